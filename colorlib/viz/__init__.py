"""Figures for the notebooks: Lab channels, the sRGB gamut, ab bins, priors, image
grids, training curves, and models compared by family.

Every function takes plain tensors (or an :class:`~colorlib.gamut.ABGamut`) and
returns a :class:`matplotlib.figure.Figure`. Figures are built with
``matplotlib.figure.Figure`` rather than ``pyplot``, so nothing is registered
globally: a notebook shows a figure by ending a cell with it (or ``display(fig)``),
shows it exactly once, and nothing needs closing.

Conventions
-----------
- RGB: ``(N, 3, H, W)`` float sRGB in [0, 1] (one image: ``(3, H, W)``); full-size
  photos: uint8 ``(H, W, 3)`` arrays.
- L: ``(N, 1, H, W)`` in [0, 100]; ab: ``(N, 2, H, W)`` in Lab units (not / 110).
- Every a/b axis and colour bar is in Lab units; fractions (AuC, accuracy, fooling
  rates) are shown in % (:mod:`colorlib.viz.labels`).
- A model is drawn in its family's colour (:func:`model_family`,
  :data:`FAMILY_COLOURS`): baselines grey, regression blue, cross-entropy orange,
  pix2pix purple, CycleGAN vermilion, the truth black.

Modules: ``panels`` (one picture), ``grids`` (pictures side by side),
``colour_space`` (Lab, gamut, bins, priors), ``history`` (training curves),
``bars`` (models on a metric), ``sweeps`` (a decoding temperature swept),
``families`` and ``labels`` (colours and words).

Example
-------
>>> import torch
>>> from colorlib import viz
>>> fig = viz.show_lab_channels(torch.rand(2, 3, 16, 16))
>>> len(fig.axes)  # 2 images x (RGB, L, a, b) + 3 colour bars
11
"""

from colorlib.viz.bars import plot_metric_bars, plot_paired_differences
from colorlib.viz.colour_space import (
    opponent_cmap,
    plot_bins,
    plot_gamut_slices,
    plot_prior,
    show_lab_channels,
)
from colorlib.viz.families import FAMILY_COLOURS, FAMILY_LABELS, model_family
from colorlib.viz.grids import comparison_grid, full_size_grid, image_grid, show_mean_colouring
from colorlib.viz.history import compare_histories, plot_history
from colorlib.viz.labels import QUANTITIES, label
from colorlib.viz.panels import gray_rgb, show_rgb
from colorlib.viz.sweeps import plot_temperature_sweep

__all__ = [
    "show_rgb",
    "gray_rgb",
    "image_grid",
    "full_size_grid",
    "comparison_grid",
    "show_lab_channels",
    "show_mean_colouring",
    "plot_gamut_slices",
    "plot_bins",
    "plot_prior",
    "plot_history",
    "compare_histories",
    "plot_metric_bars",
    "plot_paired_differences",
    "plot_temperature_sweep",
    "opponent_cmap",
    "model_family",
    "FAMILY_COLOURS",
    "FAMILY_LABELS",
    "QUANTITIES",
    "label",
]
