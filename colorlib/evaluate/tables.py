"""Per-image scores as fixed-width text tables.

:func:`summary_table`: methods x metrics, means over images (notebooks 01 to 04);
:func:`ranking_table`: methods ranked by one metric, each cell with its 95% bootstrap
interval (notebooks 02 and 05).
"""

from __future__ import annotations

from collections.abc import Mapping

import torch

from colorlib.evaluate.stats import bootstrap_ci

__all__ = ["RANKING_COLUMNS", "ranking_table", "summary_table"]


# key, header, scale, extra decimals (SSIM differs little between methods)
_COLUMNS = (
    ("ab_l2", "ab L2", 1.0, 0),
    ("ab_l2_squared", "squared", 1.0, -1),
    ("auc", "AuC %", 100.0, 0),
    ("psnr", "PSNR dB", 1.0, 0),
    ("ssim", "SSIM", 1.0, 1),
    ("colorfulness", "colourful", 1.0, 0),
)


def summary_table(
    results: Mapping[str, Mapping[str, torch.Tensor]], digits: int = 2, legend: bool = True
) -> str:
    """Method rows x metric columns of means over images, as fixed-width text.

    Args:
        results: ``{method name: evaluate(prediction)}``, in the row order wanted.
        digits: decimals of every column (SSIM gets one more: it moves little; the
            squared ab L2, in the hundreds, one fewer).
        legend: add a line saying what each column is and which way is better.

    Returns:
        The table as one string (no trailing newline). Columns: ab L2 (Lab units,
        lower is better), its squared version (what L2 training minimises), AuC in %
        (higher is better), PSNR in dB (capped at 100), SSIM, colourfulness; a last
        row ``ground truth`` gives the true images' colourfulness when the results
        carry ``colorfulness_true``. Means of the float64 per-image values, rounded;
        -0.00 is printed as 0.00.
    """
    if not results:
        raise ValueError("summary_table: no results")
    width = max(12, *(len(name) for name in results)) + 2
    col = max(10, digits + 8)
    lines = [f"{'':{width}}" + "".join(f"{header:>{col}}" for _, header, _, _ in _COLUMNS)]

    def cells(values: Mapping[str, torch.Tensor]) -> str:
        out = ""
        for key, _, scale, extra in _COLUMNS:
            if key not in values:
                out += f"{'-':>{col}}"
                continue
            text = f"{float(values[key].double().mean()) * scale:.{max(0, digits + extra)}f}"
            if float(text) == 0.0:
                text = text.lstrip("-")
            out += f"{text:>{col}}"
        return out

    for name, values in results.items():
        lines.append(f"{name:{width}}" + cells(values))
    truths = [v["colorfulness_true"] for v in results.values() if "colorfulness_true" in v]
    if truths:
        lines.append(f"{'ground truth':{width}}" + cells({"colorfulness": truths[0]}))
    if legend:
        counts = sorted({len(t) for v in results.values() for t in list(v.values())[:1]})
        n = " / ".join(f"{c:,}" for c in counts)
        lines.append(
            f"(means over {n} images; ab L2: mean ab distance per pixel in Lab units, squared:\n"
            " its mean square, both lower is better; AuC: share of ab errors within 0-150,\n"
            " higher is better; PSNR capped at 100 dB)"
        )
    return "\n".join(lines)


RANKING_COLUMNS = (
    ("ab_l2", "ab L2", 1.0),
    ("psnr", "PSNR dB", 1.0),
    ("ssim", "SSIM", 1.0),
    ("auc", "AuC %", 100.0),
    ("auc_rebalanced", "AuC reb. %", 100.0),
    ("colorfulness", "colourful", 1.0),
    ("colorfulness_gap", "gap", 1.0),
)
"""Columns of :func:`ranking_table`: key, header, scale."""


def ranking_table(
    results: Mapping[str, Mapping[str, torch.Tensor]],
    sort_by: str = "ab_l2",
    resamples: int = 1000,
    seed: int = 0,
) -> str:
    """Methods ranked by one metric, every cell ``mean [low, high]`` (95% bootstrap).

    Args:
        results: ``{method: evaluate(...)}``, optionally with ``"auc_rebalanced"``
            (:func:`~colorlib.evaluate.rebalanced_auc`); ``"colorfulness_gap"``
            (colourfulness minus the truth's, per image) is added here.
        sort_by: the metric ranked on (ascending for ab L2, descending otherwise).
        resamples, seed: for :func:`~colorlib.evaluate.bootstrap_ci`.

    Returns:
        Fixed-width text, best first, one decimal (three for SSIM).
    """
    if not results:
        raise ValueError("ranking_table: no results")
    rows = {}
    for name, values in results.items():
        values = dict(values)
        if "colorfulness" in values and "colorfulness_true" in values:
            values["colorfulness_gap"] = values["colorfulness"] - values["colorfulness_true"]
        rows[name] = values
    columns = [c for c in RANKING_COLUMNS if any(c[0] in v for v in rows.values())]
    ascending = sort_by == "ab_l2"
    order = sorted(rows, key=lambda n: rows[n][sort_by].double().mean().item(),
                   reverse=not ascending)  # fmt: skip
    width = max(14, *(len(n) for n in rows)) + 2
    cell = 22
    lines = [f"{'':{width}}" + "".join(f"{header:>{cell}}" for _, header, _ in columns)]
    for name in order:
        text = f"{name:{width}}"
        for key, _, scale in columns:
            if key not in rows[name]:
                text += f"{'-':>{cell}}"
                continue
            mean, low, high = bootstrap_ci(rows[name][key] * scale, resamples=resamples, seed=seed)
            digits = 3 if key == "ssim" else 1
            text += f"{f'{mean:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]':>{cell}}"
        lines.append(text)
    return "\n".join(lines)
