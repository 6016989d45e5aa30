"""Figures of the Lab colour space: the L, a, b channels, the sRGB gamut, ab bins, priors.

Every a/b axis and colour bar is in Lab units (not / 110). a/b channel images use
an "opponent" colour map made from Lab itself (:func:`opponent_cmap`): the colour at
value v is the sRGB colour of (L = 60, a = v, b = 0) for a, (60, 0, v) for b,
clipped to the gamut. Zero is neutral grey, so the map is diverging, and its colours
show what the channel means (a: green to magenta, b: blue to yellow).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.colors import Colormap, ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from colorlib.gamut import ZHANG_Q, ABGamut, gamut_slice
from colorlib.lab import lab_to_rgb, rgb_to_lab, split_lab
from colorlib.viz.panels import as_batch, panel_figure, show_rgb

__all__ = ["opponent_cmap", "plot_bins", "plot_gamut_slices", "plot_prior", "show_lab_channels"]

_OPPONENT_L = 60.0  # lightness at which the a/b colour maps are drawn
_GAMUT_RANGE = 110.0  # a and b axes of the gamut plots span [-110, 110]


def opponent_cmap(channel: str, limit: float = 100.0, L: float = _OPPONENT_L) -> Colormap:
    """A diverging colour map for the ``"a"`` or ``"b"`` channel, made from Lab.

    The colour at value v (in ``[-limit, limit]``) is ``lab_to_rgb`` of (L, v, 0) for
    ``"a"`` and (L, 0, v) for ``"b"``, clipped to sRGB: grey at 0, green -> magenta
    along a, blue -> yellow along b.
    """
    if channel not in ("a", "b"):
        raise ValueError(f"channel must be 'a' or 'b', got {channel!r}")
    values = torch.linspace(-limit, limit, 256, dtype=torch.float64)
    zeros = torch.zeros_like(values)
    a, b = (values, zeros) if channel == "a" else (zeros, values)
    lab = torch.stack((torch.full_like(values, L), a, b)).reshape(3, 1, -1)
    rgb = lab_to_rgb(lab).reshape(3, -1).T.numpy()
    return ListedColormap(rgb, name=f"lab_{channel}")


def _symmetric_limit(ab: torch.Tensor, step: float = 10.0) -> float:
    """max |ab| rounded up to a multiple of ``step`` (at least ``step``)."""
    peak = float(ab.abs().max()) if ab.numel() else 0.0
    return max(step, step * math.ceil(peak / step))


def _ab_axes(ax: Axes, title: str | None = None) -> None:
    ax.set_xlabel("a")
    ax.set_ylabel("b")
    ax.set_aspect("equal")
    ax.axhline(0.0, color="0.6", lw=0.5)
    ax.axvline(0.0, color="0.6", lw=0.5)
    if title:
        ax.set_title(title, fontsize=10)


def _best_colour(a: torch.Tensor, b: torch.Tensor) -> np.ndarray:
    """A displayable sRGB colour for each (a, b): at the L in 0..100 that needs the
    least clipping (nearest L = 60 among ties). ``(K,)`` -> ``(K, 3)`` in [0, 1]."""
    Ls = torch.linspace(0.0, 100.0, 101, dtype=torch.float64)
    a, b = a.double(), b.double()
    lab = torch.stack(torch.broadcast_tensors(Ls[:, None], a[None, :], b[None, :]))  # (3, 101, K)
    rgb = lab_to_rgb(lab, clip=False)
    excess = ((-rgb).clamp(min=0) + (rgb - 1).clamp(min=0)).sum(dim=0)  # (101, K)
    best = (excess + 1e-6 * (Ls[:, None] - _OPPONENT_L).abs()).argmin(dim=0)  # (K,)
    chosen = rgb[:, best, torch.arange(a.numel())]  # (3, K)
    return chosen.clamp(0.0, 1.0).T.numpy()


def show_lab_channels(rgb: torch.Tensor, max_images: int = 4, limit: float | None = None) -> Figure:
    """Photos split into their Lab channels: one row per photo, columns RGB | L | a | b.

    L is drawn in grey from 0 (black) to 100 (white); a and b with
    :func:`opponent_cmap` over ``[-limit, limit]``. One colour bar per channel, in
    Lab units.

    Args:
        rgb: ``(N, 3, H, W)`` sRGB in [0, 1]; the first ``max_images`` are shown.
        max_images: at most this many rows.
        limit: a/b colour range; default: max |a|, |b| of the shown photos, rounded
            up to a multiple of 10.

    Returns:
        Figure with ``4 * rows + 3`` axes (images, then the L, a, b colour bars).
    """
    images = as_batch(rgb)[:max_images]
    L, ab = split_lab(rgb_to_lab(images))
    limit = _symmetric_limit(ab) if limit is None else float(limit)
    fig, axes = panel_figure(len(images), 4, extra_width=0.2)
    channel_maps = [
        ("L", L[:, 0], "gray", 0.0, 100.0),
        ("a", ab[:, 0], opponent_cmap("a", limit), -limit, limit),
        ("b", ab[:, 1], opponent_cmap("b", limit), -limit, limit),
    ]
    for r in range(len(images)):
        show_rgb(axes[r, 0], images[r], "RGB" if r == 0 else None)
        for c, (name, values, cmap, lo, hi) in enumerate(channel_maps, start=1):
            ax = axes[r, c]
            im = ax.imshow(values[r].numpy(), cmap=cmap, vmin=lo, vmax=hi, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(name, fontsize=9)
            if r == len(images) - 1:
                bar = fig.colorbar(im, ax=axes[:, c], location="bottom", shrink=0.9, aspect=12)
                bar.set_label(f"{name} (Lab units)", fontsize=8)
                bar.ax.tick_params(labelsize=7)
    return fig


# --------------------------------------------------------------------------- ab plane


def plot_gamut_slices(
    L_values: Sequence[float], resolution: int = 221, cols: int | None = None
) -> Figure:
    """The sRGB gamut in the ab plane at several lightnesses.

    Each panel shows every (a, b) that is displayable at that L
    (:func:`colorlib.gamut.gamut_slice`), painted with its own colour
    ``lab_to_rgb(L, a, b)``; white means "no sRGB colour has this (L, a, b)".

    Args:
        L_values: lightnesses in [0, 100], one panel each.
        resolution: samples per axis over a, b in [-110, 110].
        cols: panels per row (default: all in one row, up to 5).

    Returns:
        Figure with one axes per L (plus hidden ones filling the last row).
    """
    L_values = [float(v) for v in L_values]
    if not L_values:
        raise ValueError("plot_gamut_slices needs at least one L value")
    cols = cols or min(5, len(L_values))
    rows = math.ceil(len(L_values) / cols)
    fig, axes = panel_figure(rows, cols, panel=2.6)
    for i, ax in enumerate(axes.flat):
        if i >= len(L_values):
            ax.set_axis_off()
            continue
        s = gamut_slice(L_values[i], ab_range=_GAMUT_RANGE, resolution=resolution)
        bb, aa = torch.meshgrid(s.b, s.a, indexing="ij")
        lab = torch.stack((torch.full_like(aa, L_values[i]), aa, bb))
        rgba = torch.cat((lab_to_rgb(lab), s.mask[None].double())).permute(1, 2, 0).numpy()
        extent = (float(s.a[0]), float(s.a[-1]), float(s.b[0]), float(s.b[-1]))
        ax.imshow(rgba, origin="lower", extent=extent, interpolation="nearest")
        share = 100.0 * float(s.mask.double().mean())
        _ab_axes(ax, f"L = {L_values[i]:g}  ({share:.0f}% of the square)")
    return fig


def _cell_image(values: torch.Tensor, gamut: ABGamut) -> tuple[np.ndarray, tuple]:
    """Per-bin values ``(Q,)`` -> a 2-D array over the ab grid (NaN off the bins), extent."""
    centers = gamut.centers.double()
    g = gamut.grid
    lo = centers.min(dim=0).values
    index = torch.round((centers - lo) / g).long()  # (Q, 2) column (a), row (b)
    shape = (int(index[:, 1].max()) + 1, int(index[:, 0].max()) + 1)
    image = np.full(shape, np.nan)
    image[index[:, 1].numpy(), index[:, 0].numpy()] = values.double().cpu().numpy()
    hi = centers.max(dim=0).values
    extent = (
        float(lo[0]) - g / 2,
        float(hi[0]) + g / 2,
        float(lo[1]) - g / 2,
        float(hi[1]) + g / 2,
    )
    return image, extent


def plot_bins(gamut: ABGamut, L_values: Sequence[float] = tuple(range(0, 101, 5))) -> Figure:
    """The ab bins over the gamut: one square cell per bin, in a displayable colour.

    Each bin is drawn as its ``grid x grid`` cell, filled with the colour of its
    centre at the L that needs the least clipping. The black line outlines the
    projection of the sRGB gamut onto the ab plane (the union of
    :func:`colorlib.gamut.gamut_slice` over ``L_values``): every colour inside it
    is displayable at some L. The title compares Q with Zhang et al.'s 313.

    Args:
        gamut: the bins, e.g. ``ABGamut()``.
        L_values: lightnesses whose gamut slices make the outline.

    Returns:
        Figure with one axes.
    """
    fig, axes = panel_figure(1, 1, panel=5.0)
    ax = axes[0, 0]
    union = None
    for L in L_values:
        s = gamut_slice(float(L), ab_range=_GAMUT_RANGE, resolution=221)
        union = s.mask if union is None else union | s.mask
    colours = _best_colour(gamut.centers[:, 0], gamut.centers[:, 1])
    image, cell_extent = _cell_image(torch.arange(gamut.Q), gamut)
    rgba = np.zeros(image.shape + (4,))
    filled = ~np.isnan(image)
    rgba[filled, :3] = colours[image[filled].astype(int)]
    rgba[filled, 3] = 1.0
    ax.imshow(rgba, origin="lower", extent=cell_extent, interpolation="nearest")
    g = gamut.grid
    for a, b in gamut.centers.tolist():  # cell outlines
        ax.add_patch(_square(a, b, g))
    ax.contour(s.a.numpy(), s.b.numpy(), union.double().numpy(), levels=[0.5], colors="k")
    _ab_axes(ax, f"Q = {gamut.Q} bins of {g:g} x {g:g} (Zhang et al. 2016: Q = {ZHANG_Q})")
    ax.set_xlim(-_GAMUT_RANGE, _GAMUT_RANGE)
    ax.set_ylim(-_GAMUT_RANGE - 10, _GAMUT_RANGE)
    return fig


def _square(a: float, b: float, side: float) -> Rectangle:
    return Rectangle(
        (a - side / 2, b - side / 2), side, side, fill=False, edgecolor="0.3", linewidth=0.3
    )


def plot_prior(
    prior: torch.Tensor | Mapping[str, torch.Tensor],
    gamut: ABGamut,
    title: str | None = None,
    floor: float = -8.0,
) -> Figure:
    """The empirical prior over the ab bins as a log-scale heat map on the ab grid.

    Each bin's cell is coloured by ``log10 p``; bins that no pixel fell into are
    light grey, cells that are not bins are white. Several priors (a dict) share
    one colour scale, one panel each. The scale runs from the smallest nonzero
    ``log10 p`` rounded down (but not below ``floor``; smaller values get the
    bottom colour) to the largest rounded up.

    Args:
        prior: ``(Q,)`` probabilities (e.g. :meth:`ABGamut.prior`), or a dict of
            panel title -> ``(Q,)``.
        gamut: the bins the prior is over (same Q).
        title: optional figure title.
        floor: lowest ``log10 p`` the colour scale shows.

    Returns:
        Figure with one axes per prior plus one colour bar.
    """
    priors = dict(prior) if isinstance(prior, Mapping) else {"": prior}
    logs = {}
    for name, p in priors.items():
        p = torch.as_tensor(p, dtype=torch.float64).cpu()
        if p.shape != (gamut.Q,):
            raise ValueError(f"prior {name!r} must be shaped (Q={gamut.Q},), got {tuple(p.shape)}")
        logs[name] = torch.where(p > 0, p.clamp(min=1e-300).log10(), torch.tensor(-math.inf))
    finite = torch.cat([v[torch.isfinite(v)] for v in logs.values()])
    vmin = max(float(floor), math.floor(float(finite.min()))) if finite.numel() else floor
    vmax = max(vmin + 1.0, math.ceil(float(finite.max()))) if finite.numel() else 0.0
    cmap = matplotlib.colormaps["viridis"].with_extremes(under="0.85", bad="white")
    fig, axes = panel_figure(1, len(logs), panel=3.6, extra_width=0.6)
    im = None
    for ax, (name, values) in zip(axes[0], logs.items(), strict=True):
        shown = torch.where(torch.isfinite(values), values.clamp(min=vmin), vmin - 1.0)
        image, extent = _cell_image(shown, gamut)
        im = ax.imshow(
            image, origin="lower", extent=extent, cmap=cmap, vmin=vmin, vmax=vmax,
            interpolation="nearest",
        )  # fmt: skip
        _ab_axes(ax, name or None)
    bar = fig.colorbar(im, ax=axes[0, -1], extend="min", shrink=0.9)
    bar.set_label("log10 p (grey: no pixel)")
    if title:
        fig.suptitle(title)
    return fig
