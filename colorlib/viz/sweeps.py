"""A decoding setting swept: mean scores against the temperature T of the annealed mean.

Zhang et al. decode a cross-entropy colorizer's predicted distribution over the ab bins
with the annealed mean at temperature T (0: the mode, 1: the mean; they use 0.38).
:func:`plot_temperature_sweep` draws what :func:`colorlib.evaluate.temperature_sweep`
measured: one panel per score, one line per model in its family's colour (models of
one family told apart by line style).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from matplotlib.figure import Figure

from colorlib.viz.families import label_colour
from colorlib.viz.labels import quantity

__all__ = ["plot_temperature_sweep"]

_STYLES = ("-", "--", ":", "-.")


def plot_temperature_sweep(
    sweeps: Mapping[str, Mapping[float, Mapping[str, torch.Tensor]]],
    keys: Sequence[str] = ("auc", "auc_rebalanced", "colorfulness"),
    panel_size: tuple[float, float] = (3.4, 3.0),
) -> Figure:
    """Mean score against T, a panel per score and a line per model.

    Args:
        sweeps: model name -> T -> score name -> per-photo scores ``(N,)`` (as stored:
            AuC as a fraction, shown in %; colourfulness in Hasler & Süsstrunk's units).
        keys: the scores to draw, one panel each (names of :data:`colorlib.viz.QUANTITIES`).
        panel_size: inches (width, height) of one panel.

    Returns:
        The figure; x: T from 0 (the mode) to 1 (the mean).

    Raises:
        ValueError: no models, or a model without a T or a score the others have.
    """
    if not sweeps:
        raise ValueError("plot_temperature_sweep: no models to draw")
    temperatures = sorted(next(iter(sweeps.values())))
    figure = Figure(figsize=(panel_size[0] * len(keys), panel_size[1]), layout="constrained")
    axes = figure.subplots(1, len(keys), squeeze=False)[0]
    for k, (name, sweep) in enumerate(sweeps.items()):
        if sorted(sweep) != temperatures or any(key not in sweep[T] for T in sweep for key in keys):
            raise ValueError(f"plot_temperature_sweep: {name!r} lacks a temperature or a score")
        for ax, key in zip(axes, keys, strict=True):
            shown = quantity(key)
            means = [shown.scale * sweep[T][key].float().mean().item() for T in temperatures]
            ax.plot(temperatures, means, marker="o", color=label_colour(name),
                    linestyle=_STYLES[k % len(_STYLES)], label=name)  # fmt: skip
    for ax, key in zip(axes, keys, strict=True):
        ax.set_xlabel("T (0: the mode, 1: the mean)")
        ax.set_ylabel(quantity(key).label, fontsize=9)
        ax.grid(True, color="0.9")
    axes[0].legend(fontsize=8)
    return figure
