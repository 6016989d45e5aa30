"""Models side by side on one metric: mean bars, and paired differences from a reference.

Both figures colour each model by its family (:mod:`colorlib.viz.families`), draw a
legend of the families shown, and label the metric with its unit and direction
(:mod:`colorlib.viz.labels`); shares such as AuC are shown in %.

Which to use: :func:`plot_metric_bars` shows where each model stands, with two
standard errors of its mean; but two models scored on the *same* photos differ far
less from photo to photo than either's error bar suggests, so overlapping bars say
little. :func:`plot_paired_differences` shows what the comparison needs: each
model's per-photo difference from a reference (the gray guess, say), with its
paired 95% interval (:func:`colorlib.evaluate.paired_difference`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from colorlib.evaluate import paired_difference
from colorlib.viz.families import FAMILY_COLOURS, family_legend, label_colour, model_family
from colorlib.viz.labels import quantity

__all__ = ["plot_metric_bars", "plot_paired_differences"]


def _name_ticks(ax: Axes, names: Sequence[str]) -> None:
    """One y tick per model, top to bottom in order, each name in its family's colour."""
    ticks = ax.set_yticks(range(len(names)), names, fontsize=8)
    for tick, name in zip(ticks, names, strict=True):
        tick.label1.set_color(label_colour(name))


def plot_metric_bars(
    results: Mapping[str, Mapping[str, torch.Tensor]],
    keys: Sequence[str] = ("ab_l2", "colorfulness"),
    title: str | None = None,
) -> Figure:
    """Horizontal bars of each method's mean metric, one panel per metric.

    Each bar is in its model family's colour (:func:`colorlib.viz.model_family`),
    with a legend of the families under the panels. Values are shown in the units of
    :data:`colorlib.viz.QUANTITIES`: ab L2 in Lab units, PSNR in dB, AuC and
    accuracies in % (stored fractions x 100).

    Args:
        results: ``{method: colorlib.evaluate.evaluate(...)}``, top to bottom; each
            value maps a metric key to per-image values ``(N,)``.
        keys: metrics to draw; for ``"colorfulness"`` the truth's mean
            (``colorfulness_true`` of the first method) is a dashed line.
        title: optional figure title.

    Error bars are two standard errors of the mean over images. To compare models
    scored on the same images, :func:`plot_paired_differences` is the sharper test.
    """
    if not results:
        raise ValueError("plot_metric_bars: no results")
    names = list(results)
    colours = [FAMILY_COLOURS[model_family(n)] for n in names]
    fig = Figure(figsize=(4.2 * len(keys), 0.32 * len(names) + 1.6), layout="constrained")
    axes = fig.subplots(1, len(keys), squeeze=False, sharey=True)[0]
    for ax, key in zip(axes, keys, strict=True):
        shown = quantity(key)
        values = [results[n][key].double() * shown.scale for n in names]
        means = [v.mean().item() for v in values]
        errors = [2 * v.std().item() / len(v) ** 0.5 if len(v) > 1 else 0.0 for v in values]
        ax.barh(range(len(names)), means, xerr=errors, color=colours, ecolor="0.2", capsize=2)
        xlabel = shown.label
        if key == "colorfulness" and "colorfulness_true" in results[names[0]]:
            truth = results[names[0]]["colorfulness_true"].mean().item() * shown.scale
            ax.axvline(truth, ls="--", color="k")
            xlabel += "; truth: dashed"
        _name_ticks(ax, names)
        ax.set_xlabel(xlabel, fontsize=9)
        ax.grid(True, axis="x", color="0.9")
        ax.set_axisbelow(True)  # the grid behind the bars
    axes[0].invert_yaxis()  # the axes share y: inverting one puts the first method on top
    family_legend(fig, names, loc="outside lower center", ncols=min(4, len(set(colours))))
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def _direction(better: str | None, reference: str) -> str:
    if better == "lower":
        return f"left of 0: better than {reference}"
    if better == "higher":
        return f"right of 0: better than {reference}"
    return f"right of 0: higher than {reference}"


def plot_paired_differences(
    values: Mapping[str, torch.Tensor],
    reference: str,
    metric: str = "ab_l2",
    title: str | None = None,
) -> Figure:
    """Each model's per-photo difference from a reference, with its paired 95% interval.

    For every model but the reference: the mean over photos of (model - reference)
    as a point, and the interval ``mean +- margin`` of
    :func:`colorlib.evaluate.paired_difference` (two standard errors of the paired
    differences: a rough 95% interval) as a horizontal whisker, in the model
    family's colour. A vertical line marks 0 (no difference). A filled point's
    interval excludes 0 (a difference these photos can show); a hollow one's
    contains it (no difference detectable).

    Args:
        values: model name -> per-image values ``(N,)`` of one metric on the same N
            photos (N >= 2), e.g. ``{name: results[name]["ab_l2"] for name in results}``
            with ``results`` from :func:`colorlib.evaluate.evaluate`; top to bottom.
        reference: the name in ``values`` every model is compared with (e.g.
            ``"gray guess"``); it is not drawn itself.
        metric: the key the values were stored under, for the axis label, the unit,
            the better direction and the display scale (:data:`colorlib.viz.QUANTITIES`:
            ``"ab_l2"`` in Lab units, lower is better; ``"auc"`` in %, higher is
            better; ...). Differences are shown in that unit (fractions x 100: percentage
            points).
        title: optional axes title (default: what is drawn, and over how many photos).

    Returns:
        Figure with one axes: one errorbar container per model (labelled with its
        name, top to bottom in ``values``' order) and the zero line.

    Raises:
        ValueError: ``reference`` not in ``values``, nothing else to draw, or values
            that are not ``(N,)`` tensors of one N >= 2.
    """
    if reference not in values:
        raise ValueError(f"plot_paired_differences: {reference!r} is not among {list(values)}")
    names = [name for name in values if name != reference]
    if not names:
        raise ValueError("plot_paired_differences: no model besides the reference")
    shown = quantity(metric)
    lower_is_better = shown.better != "higher"
    base = values[reference].double() * shown.scale
    fig = Figure(figsize=(6.4, 0.34 * len(names) + 1.9), layout="constrained")
    ax = fig.subplots()
    ax.axvline(0.0, color="0.15", lw=1.2, zorder=2)  # above the grid, below the points
    for y, name in enumerate(names):
        ours = values[name].double() * shown.scale
        mean, margin, verdict = paired_difference(ours, base, lower_is_better)
        colour = FAMILY_COLOURS[model_family(name)]
        ax.errorbar(
            mean, y, xerr=margin, fmt="o", color=colour, ecolor=colour, elinewidth=2,
            capsize=3, markersize=6, markeredgecolor=colour,
            markerfacecolor="white" if verdict == "tie" else colour, label=name,
        )  # fmt: skip
    _name_ticks(ax, names)
    ax.invert_yaxis()  # the first model on top
    # a difference of two percentages is in percentage points
    unit = {"": "", "%": " (percentage points)"}.get(shown.unit, f" ({shown.unit})")
    ax.set_xlabel(
        f"{shown.name}: model minus {reference}, per photo{unit}\n"
        f"{_direction(shown.better, reference)}",
        fontsize=9,
    )
    ax.grid(True, axis="x", color="0.9")
    n = len(base)
    ax.set_title(
        title or f"Difference from {reference}: mean and paired 95% interval, {n:,} photos",
        fontsize=10,
    )
    hollow = Line2D(
        [], [], marker="o", linestyle="", color="0.3", markerfacecolor="white",
        label="hollow: interval contains 0",
    )  # fmt: skip
    family_legend(fig, names, marker="o", extra=[hollow], loc="outside lower center", ncols=2)
    return fig
