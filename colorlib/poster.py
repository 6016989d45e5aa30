"""The poster's reported numbers and conclusions, and side-by-side tables against ours.

The poster ("Automatic Colorization: A Search Space Odyssey", text in
``../shared/seed/``) reports one results table, "Pixel Wise L2 Loss" per loss, and
four conclusions. They are transcribed here once, so that every notebook compares
with the same numbers.

What the extracted text leaves open, and how the tables below deal with it:

- **Units.** The table does not say how its "pixel-wise L2" was scaled (raw ab,
  ab / 110, ab / 128, summed or averaged over pixels). Our numbers are therefore
  given in two forms: in Lab units (mean Euclidean ab distance per pixel,
  :func:`colorlib.metrics.ab_l2`), and **relative to the L2 model** of the same
  table (value / value of L2). A relative number needs no units: if the poster's
  measure is ours times any constant, its relative column and ours should agree.
- **Two test numbers per loss.** The test row holds two numbers under each loss
  (e.g. "20.28 13.1" under L2), unlabelled in the text. The poster trained on
  ImageNet 64x64 and 32x32, so they are shown as "test A" and "test B" without
  guessing which size each is.
- **Cross-entropy.** Its numbers (train 1.21, test 2.53 and 3.56) have the size of
  a cross-entropy in nats over a few hundred bins rather than of an ab distance,
  so the CE row is compared with our models' cross-entropy (the training
  criterion) as well.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["CONCLUSIONS", "LOSSES", "TABLE", "ZHANG_TABLE1", "comparison_table", "relative"]

LOSSES = ("L2", "L2 + dropout", "Smooth L1", "cross-entropy")
"""The table's columns, in the poster's order."""

TABLE: dict[str, dict[str, tuple[float, ...]]] = {
    "L2": {"train": (0.96,), "test": (20.28, 13.1)},
    "L2 + dropout": {"train": (5.46,), "test": (19.4, 12.04)},
    "Smooth L1": {"train": (2.41,), "test": (16.7, 11.6)},
    "cross-entropy": {"train": (1.21,), "test": (2.53, 3.56)},
}
"""The poster's "Pixel Wise L2 Loss", train and test (two numbers each), per loss."""

CONCLUSIONS = {
    "cnn": "Deep CNN's seem well suited to the task of automatic colorization",
    "dropout_smoothl1": "Dropout and Smooth L1 Loss do not perform well in this setting",
    "l2_mean": "L2 Loss seems to perform reasonably well but learns the mean coloring "
    "leading to distorted outcomes",
    "ce_gan": "Cross Entropy and GAN rectify this issue",
}
"""The poster's conclusions, verbatim."""


def relative(values: Mapping[str, float], reference: str = "L2") -> dict[str, float]:
    """Each value divided by ``values[reference]``: a unit-free number per loss."""
    if reference not in values or values[reference] == 0:
        raise ValueError(f"relative: need a non-zero {reference!r} value, got {dict(values)}")
    return {name: value / values[reference] for name, value in values.items()}


def _fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def comparison_table(ours: Mapping[str, Mapping[str, float]]) -> str:
    """The poster's table beside ours, in absolute and in L2-relative form.

    Args:
        ours: ``{loss: {"train": x, "test": y}}`` for some of :data:`LOSSES`
            (``"L2"`` must be there for the relative columns), in one unit of
            our choice (say which in the text around the table).

    Returns:
        Fixed-width text: one row per loss of :data:`LOSSES` that ``ours`` has,
        with the poster's train, test A, test B, ours train and test, then the
        same divided by the L2 row's value (poster test A and B each by L2's).
    """
    unknown = set(ours) - set(LOSSES)
    if unknown:
        raise ValueError(f"comparison_table: unknown losses {sorted(unknown)}; use {LOSSES}")
    rows = [loss for loss in LOSSES if loss in ours]
    poster_rel = {
        key: relative({loss: TABLE[loss][split][i] for loss in LOSSES})
        for key, split, i in (("train", "train", 0), ("test A", "test", 0), ("test B", "test", 1))
    }
    ours_rel = {
        split: relative({loss: ours[loss][split] for loss in rows}) if "L2" in ours else {}
        for split in ("train", "test")
    }
    header = (
        f"{'':15}{'poster':>27}{'ours':>16}   |{'poster / L2':>27}{'ours / L2':>16}\n"
        f"{'loss':15}{'train':>9}{'test A':>9}{'test B':>9}{'train':>8}{'test':>8}   |"
        f"{'train':>9}{'test A':>9}{'test B':>9}{'train':>8}{'test':>8}"
    )
    lines = [header]
    for loss in rows:
        poster = TABLE[loss]
        lines.append(
            f"{loss:15}{poster['train'][0]:>9.2f}{poster['test'][0]:>9.2f}"
            f"{poster['test'][1]:>9.2f}{ours[loss]['train']:>8.2f}{ours[loss]['test']:>8.2f}   |"
            f"{poster_rel['train'][loss]:>9.2f}{poster_rel['test A'][loss]:>9.2f}"
            f"{poster_rel['test B'][loss]:>9.2f}"
            f"{_fmt(ours_rel['train'].get(loss)):>8}{_fmt(ours_rel['test'].get(loss)):>8}"
        )
    return "\n".join(lines)


ZHANG_TABLE1 = {
    "raw AuC %": {"Zhang et al. (full)": 89.5, "gray guess": 89.1},
    "rebalanced AuC %": {"Zhang et al. (full)": 67.3, "gray guess": 58.0},
}
"""Anchors from Zhang et al. 2016, Table 1 (ImageNet val, their full model with class
rebalancing, and the gray "ab = 0" guess): AuC of the per-pixel ab-error CDF over
thresholds 0-150, raw and class-rebalanced, in percent."""
