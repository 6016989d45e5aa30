"""Training curves from :func:`colorlib.train.fit` histories, labelled in words.

A history is a list of dicts, one per epoch, with ``"epoch"`` (1-based) and the
values under keys such as ``"train_loss"``, ``"val_ab_l2"``, ``"train_loss_G_adv"``.
Axes, titles and legends show each key through :mod:`colorlib.viz.labels`
(``"val_psnr"`` -> "PSNR (dB, validation)"), and fractions (``"val_accuracy"``) in %.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from colorlib.viz.labels import Quantity, label, quantity

__all__ = ["compare_histories", "plot_history"]

_DEFAULT_HISTORY_KEYS = (("train_loss", "val_loss"), "val_ab_l2")


def _curve_label(key: str, labels: Mapping[str, str]) -> str:
    return labels.get(key) or label(key)


def _panel_title(keys: Sequence[str], labels: Mapping[str, str]) -> str:
    """The title of a panel of ``keys``: the quantity, and what all its curves share.

    One quantity on several splits (``train_loss``, ``val_loss``) -> "Loss"; several
    quantities of one unit and split (``train_cycle``, ``train_identity``) ->
    "Cycle-consistency loss, Identity loss (train)"; otherwise the curves' labels.
    """
    shown = [quantity(k) for k in keys]
    if len(keys) > 1 and not any(k in labels for k in keys) and len({q.unit for q in shown}) == 1:
        names = ", ".join(dict.fromkeys(q.name for q in shown))
        splits = {q.split for q in shown}
        return Quantity(names, shown[0].unit, splits.pop() if len(splits) == 1 else "").label
    return ", ".join(_curve_label(k, labels) for k in keys)


def plot_history(
    history: Sequence[Mapping[str, float]],
    keys: Sequence[str | Sequence[str]] = _DEFAULT_HISTORY_KEYS,
    log_y: bool = False,
    title: str | None = None,
    labels: Mapping[str, str] | None = None,
) -> Figure:
    """Training curves per epoch from a :func:`colorlib.train.fit` history.

    By default two panels: the loss (``train_loss`` and ``val_loss``; for the
    regression tasks the loss on ab / 110) and the validation ab L2 in Lab units.
    Where the learning rate changed (``lr`` in the history, e.g. the plateau decay
    from 1e-3 to 1e-4) a dotted vertical line sits between the last epoch trained at
    the old rate and the first at the new one. Each key is labelled in words by
    :func:`colorlib.viz.labels.label`, and shown in its unit: fractions such as
    ``val_accuracy`` are drawn in % (x 100).

    Args:
        history: one dict per epoch with ``"epoch"`` (1-based) and the values.
        keys: one entry per panel: a history key, or a sequence of keys drawn
            together. Keys missing from every epoch are skipped, and so are panels
            left empty.
        log_y: logarithmic y axes.
        title: optional figure title.
        labels: optional key -> label, for a key whose meaning depends on the run
            (e.g. ``{"train_loss_G_adv": "G + F adversarial loss (train)"}`` for
            CycleGAN, whose value sums two generators' terms).

    Returns:
        Figure with one axes per panel drawn.

    Raises:
        ValueError: empty history, or none of ``keys`` is in it.
    """
    if not history:
        raise ValueError("plot_history: the history is empty")
    labels = dict(labels or {})
    epochs = [int(record.get("epoch", i + 1)) for i, record in enumerate(history)]
    panels = []
    for entry in keys:
        group = [entry] if isinstance(entry, str) else list(entry)
        present = [k for k in group if any(k in record for record in history)]
        if present:
            panels.append(present)
    if not panels:
        known = sorted({k for record in history for k in record})
        raise ValueError(f"plot_history: none of {list(keys)} is in the history (it has {known})")
    # a record's "lr" is the rate after that epoch's scheduler step, i.e. the next epoch's
    lrs = [record.get("lr") for record in history]
    lr_changes = [
        (epochs[i] + 0.5, lrs[i - 1], lrs[i])
        for i in range(1, len(history))
        if None not in (lrs[i - 1], lrs[i]) and lrs[i] != lrs[i - 1]
    ]
    fig = Figure(figsize=(4.2 * len(panels), 3.2), layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, group in zip(axes, panels, strict=True):
        for key in group:
            scale = quantity(key).scale
            points = [(e, r[key] * scale) for e, r in zip(epochs, history, strict=True) if key in r]
            xs, ys = zip(*points, strict=True)
            ax.plot(xs, ys, marker="o", markersize=3, label=_curve_label(key, labels))
        for x, old, new in lr_changes:
            ax.axvline(x, color="0.5", ls=":", lw=1)
            ax.annotate(
                f"lr {old:g} -> {new:g}", (x, 1.0), xycoords=("data", "axes fraction"),
                xytext=(2, -10), textcoords="offset points", fontsize=7, color="0.35",
            )  # fmt: skip
        if log_y:
            ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlim(min(epochs) - 0.5, max(epochs) + 0.5)  # whole epochs, even for one
        ax.set_title(_panel_title(group, labels), fontsize=10)
        ax.grid(True, color="0.9")
        if len(group) > 1:
            ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


def compare_histories(
    histories: Mapping[str, Sequence[Mapping[str, float]]],
    key: str = "val_ab_l2",
    title: str | None = None,
    floors: Mapping[str, float] | None = None,
) -> Figure:
    """One curve per run of ``key`` against the epoch, on one axes.

    Args:
        histories: ``{run label: fit() history}``, drawn in this order.
        key: the history key (default ``"val_ab_l2"``, mean ab distance in Lab units);
            the y axis is labelled and scaled as :func:`plot_history` does.
        title: optional axes title.
        floors: optional ``{label: value}`` drawn as dashed horizontal lines (e.g.
            the gray guess and the mean colouring), in the key's stored units.

    Raises:
        ValueError: no history holds ``key``.
    """
    scale = quantity(key).scale
    drawn = {
        run: [(int(r.get("epoch", i + 1)), r[key] * scale) for i, r in enumerate(h) if key in r]
        for run, h in histories.items()
    }
    drawn = {run: points for run, points in drawn.items() if points}
    if not drawn:
        raise ValueError(f"compare_histories: no history holds {key!r}")
    fig = Figure(figsize=(6.4, 3.6), layout="constrained")
    ax = fig.subplots()
    for run, points in drawn.items():
        xs, ys = zip(*points, strict=True)
        ax.plot(xs, ys, marker="o", markersize=2, label=run)
    for i, (name, value) in enumerate((floors or {}).items()):
        ax.axhline(value * scale, color=str(0.3 + 0.2 * i), ls="--", lw=1, label=name)
    ax.set_xlabel("epoch")
    ax.set_ylabel(label(key))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(True, color="0.9")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    return fig
