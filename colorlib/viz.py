"""Figures for the notebooks: Lab channels, the sRGB gamut, ab bins, priors, image grids.

Every function takes plain tensors (or an :class:`~colorlib.gamut.ABGamut`) and
returns a :class:`matplotlib.figure.Figure`. Figures are built with
``matplotlib.figure.Figure`` rather than ``pyplot``, so nothing is registered
globally: a notebook shows a figure by ending a cell with it (or ``display(fig)``),
shows it exactly once, and nothing needs closing.

Conventions
-----------
- RGB: ``(N, 3, H, W)`` float sRGB in [0, 1] (one image: ``(3, H, W)``).
- L: ``(N, 1, H, W)`` in [0, 100]; ab: ``(N, 2, H, W)`` in Lab units (not / 110).
- Every a/b axis and colour bar is in Lab units.
- a/b channel images use an "opponent" colour map made from Lab itself: the colour
  at value v is the sRGB colour of (L = 60, a = v, b = 0) for a, (60, 0, v) for b,
  clipped to the gamut. Zero is neutral grey, so the map is diverging, and its
  colours show what the channel means (a: green to magenta, b: blue to yellow).

Example
-------
>>> import torch
>>> from colorlib import viz
>>> fig = viz.show_lab_channels(torch.rand(2, 3, 16, 16))
>>> len(fig.axes)  # 2 images x (RGB, L, a, b) + 3 colour bars
11
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
from matplotlib.ticker import MaxNLocator

from colorlib.gamut import ZHANG_Q, ABGamut, gamut_slice
from colorlib.lab import lab_to_rgb, merge_lab, rgb_to_lab, split_lab

__all__ = [
    "show_rgb",
    "gray_rgb",
    "image_grid",
    "full_size_grid",
    "show_lab_channels",
    "show_mean_colouring",
    "plot_gamut_slices",
    "plot_bins",
    "plot_prior",
    "plot_history",
    "compare_histories",
    "plot_metric_bars",
    "opponent_cmap",
]

_OPPONENT_L = 60.0  # lightness at which the a/b colour maps are drawn
_PANEL_INCHES = 1.6  # side of one image panel
_GAMUT_RANGE = 110.0  # a and b axes of the gamut plots span [-110, 110]


# --------------------------------------------------------------------------- helpers


def show_rgb(ax: Axes, rgb: torch.Tensor, title: str | None = None) -> None:
    """Draw one RGB image ``(3, H, W)`` in [0, 1] on ``ax``, without ticks.

    One-channel ``(1, H, W)`` input is drawn as grey (values in [0, 1]).
    """
    image = rgb.detach().to("cpu", torch.float32)
    if image.dim() != 3 or image.shape[0] not in (1, 3):
        raise ValueError(f"expected an image (3, H, W) or (1, H, W), got {tuple(image.shape)}")
    image = image.expand(3, -1, -1).clamp(0.0, 1.0).permute(1, 2, 0).numpy()
    ax.imshow(image, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)


def gray_rgb(L: torch.Tensor) -> torch.Tensor:
    """What the network sees, as a picture: L ``(..., 1, H, W)`` -> RGB with a = b = 0."""
    L = L.detach().float()
    return lab_to_rgb(merge_lab(L, L.new_zeros(L.shape[:-3] + (2,) + L.shape[-2:])))


def _batch(rgb: torch.Tensor, name: str = "rgb") -> torch.Tensor:
    """(3, H, W) or (N, 3, H, W) -> (N, 3, H, W) float32 on the CPU."""
    if not isinstance(rgb, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(rgb).__name__}")
    x = rgb.detach().to("cpu", torch.float32)
    if x.dim() == 3:
        x = x.unsqueeze(0)
    if x.dim() != 4 or x.shape[1] not in (1, 3):
        raise ValueError(f"{name} must be shaped (N, 3, H, W), got {tuple(rgb.shape)}")
    return x


def _figure(
    rows: int, cols: int, panel: float = _PANEL_INCHES, extra_width: float = 0.0
) -> tuple[Figure, np.ndarray]:
    """A constrained-layout Figure with a ``(rows, cols)`` array of axes."""
    fig = Figure(figsize=(cols * panel + extra_width, rows * panel + 0.4), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    return fig, axes


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


# --------------------------------------------------------------------------- grids


def image_grid(
    rows: Mapping[str, torch.Tensor],
    max_images: int = 8,
    titles: Sequence[str] | None = None,
    suptitle: str | None = None,
) -> Figure:
    """A labelled grid of images: one row per entry of ``rows``, one column per image.

    Typical use: ``image_grid({"gray input": viz.gray_rgb(L), "prediction": pred_rgb,
    "ground truth": rgb})``.

    Args:
        rows: row label -> images ``(N, 3, H, W)`` sRGB in [0, 1] (``(N, 1, H, W)`` is
            drawn as grey). Rows may have different N; missing cells stay empty.
        max_images: at most this many columns.
        titles: optional column titles (e.g. class names or per-image scores).
        suptitle: optional figure title.

    Returns:
        Figure with ``len(rows) x min(max N, max_images)`` axes.
    """
    if not rows:
        raise ValueError("image_grid needs at least one row")
    batches = {label: _batch(images, f"rows[{label!r}]") for label, images in rows.items()}
    cols = min(max_images, max(len(x) for x in batches.values()))
    fig, axes = _figure(len(batches), cols)
    for r, (label, images) in enumerate(batches.items()):
        for c in range(cols):
            ax = axes[r, c]
            if c < len(images):
                title = titles[c] if (titles is not None and r == 0 and c < len(titles)) else None
                show_rgb(ax, images[c], title)
            else:
                ax.set_axis_off()
        axes[r, 0].set_ylabel(label, fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def full_size_grid(
    images: Mapping[str, Sequence[np.ndarray]],
    max_photos: int = 3,
    panel_inches: float = 1.7,
    suptitle: str | None = None,
) -> Figure:
    """Photos at their own size and aspect, one row per photo, one column per method.

    Args:
        images: column title -> uint8 ``(H, W, 3)`` sRGB arrays, one per photo, the
            photos in the same order in every column (:func:`colorlib.evaluate.full_size`'s
            first result); photos may differ in size.
        max_photos: at most this many rows.
        panel_inches: width of one panel (1.7 in at matplotlib's 100 dpi: about the
            sample photos' own 170 px, so nothing is upsampled for display and the
            stored PNG stays small); rows take the height of their photo.
        suptitle: optional figure title.

    Returns:
        Figure with ``rows x len(images)`` axes, nothing resampled but for display.
    """
    if not images:
        raise ValueError("full_size_grid needs at least one column")
    columns = list(images)
    rows = min(max_photos, min(len(images[c]) for c in columns))
    if rows == 0:
        raise ValueError("full_size_grid: no photos to show")
    aspects = [images[columns[0]][r].shape[0] / images[columns[0]][r].shape[1] for r in range(rows)]
    fig = Figure(
        figsize=(panel_inches * len(columns), panel_inches * sum(aspects) + 0.6),
        layout="constrained",
    )
    axes = fig.subplots(rows, len(columns), squeeze=False, height_ratios=aspects)
    for c, title in enumerate(columns):
        for r in range(rows):
            ax = axes[r, c]
            ax.imshow(images[title][r], interpolation="lanczos")
            ax.set_xticks([])
            ax.set_yticks([])
        axes[0, c].set_title(title, fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    return fig


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
    images = _batch(rgb)[:max_images]
    L, ab = split_lab(rgb_to_lab(images))
    limit = _symmetric_limit(ab) if limit is None else float(limit)
    fig, axes = _figure(len(images), 4, extra_width=0.2)
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


def show_mean_colouring(rgb: torch.Tensor, mean_ab: torch.Tensor, max_images: int = 8) -> Figure:
    """Photos next to the same lightness coloured with one fixed ab: the "mean colouring".

    A network trained with L2 loss on ab is pulled towards the conditional mean of
    ab; where it cannot tell the colours apart it falls back to the dataset's mean.
    Rows: the photo | its L with ab replaced by ``mean_ab`` | its L with ab = 0 (grey).

    Args:
        rgb: ``(N, 3, H, W)`` sRGB in [0, 1].
        mean_ab: ``(2,)`` mean (a, b) in Lab units (or anything broadcastable to
            ``(N, 2, H, W)``, e.g. a ``(2, H, W)`` per-pixel mean).
        max_images: at most this many columns.

    Returns:
        Figure with ``3 x min(N, max_images)`` axes.
    """
    images = _batch(rgb)[:max_images]
    L, ab = split_lab(rgb_to_lab(images))
    mean = torch.as_tensor(mean_ab, dtype=torch.float32)
    if mean.dim() == 1:
        mean = mean.reshape(2, 1, 1)
    mean_coloured = lab_to_rgb(merge_lab(L, mean.expand_as(ab)))
    a, b = (float(v) for v in mean.reshape(2, -1).mean(dim=1))
    return image_grid(
        {
            "photo": images,
            f"L + mean ab\n({a:.1f}, {b:.1f})": mean_coloured,
            "L only (gray)": gray_rgb(L),
        },
        max_images=max_images,
    )


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
    fig, axes = _figure(rows, cols, panel=2.6)
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
    fig, axes = _figure(1, 1, panel=5.0)
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
    fig, axes = _figure(1, len(logs), panel=3.6, extra_width=0.6)
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


# -------------------------------------------------------------------------- history

_HISTORY_LABELS = {
    "train_loss": "train loss",
    "val_loss": "val loss",
    "val_ab_l2": "val ab L2 (Lab units)",
    "val_psnr": "val PSNR (dB)",
}
_DEFAULT_HISTORY_KEYS = (("train_loss", "val_loss"), "val_ab_l2")


def _panel_title(keys: Sequence[str]) -> str:
    """``["train_loss", "val_loss"]`` -> ``"loss"``; one key -> its label."""
    stems = {k.removeprefix("train_").removeprefix("val_") for k in keys}
    if len(keys) > 1 and len(stems) == 1:
        return stems.pop().replace("_", " ")
    return ", ".join(_HISTORY_LABELS.get(k, k) for k in keys)


def plot_history(
    history: Sequence[Mapping[str, float]],
    keys: Sequence[str | Sequence[str]] = _DEFAULT_HISTORY_KEYS,
    log_y: bool = False,
    title: str | None = None,
) -> Figure:
    """Training curves per epoch from a :func:`colorlib.train.fit` history.

    By default two panels: the loss (``train_loss`` and ``val_loss``; for the
    regression tasks the loss on ab / 110) and the validation ab L2 in Lab units.
    Where the learning rate changed (``lr`` in the history, e.g. the plateau decay
    from 1e-3 to 1e-4) a dotted vertical line sits between the last epoch trained at
    the old rate and the first at the new one.

    Args:
        history: one dict per epoch with ``"epoch"`` (1-based) and the values.
        keys: one entry per panel: a history key, or a sequence of keys drawn
            together. Keys missing from every epoch are skipped, and so are panels
            left empty.
        log_y: logarithmic y axes.
        title: optional figure title.

    Returns:
        Figure with one axes per panel drawn.

    Raises:
        ValueError: empty history, or none of ``keys`` is in it.
    """
    if not history:
        raise ValueError("plot_history: the history is empty")
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
            points = [(e, r[key]) for e, r in zip(epochs, history, strict=True) if key in r]
            xs, ys = zip(*points, strict=True)
            ax.plot(xs, ys, marker="o", markersize=3, label=_HISTORY_LABELS.get(key, key))
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
        ax.set_title(_panel_title(group), fontsize=10)
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
        key: the history key (default ``"val_ab_l2"``, mean ab distance in Lab units).
        title: optional axes title.
        floors: optional ``{label: value}`` drawn as dashed horizontal lines (e.g.
            the gray guess and the mean colouring).

    Raises:
        ValueError: no history holds ``key``.
    """
    drawn = {
        label: [(int(r.get("epoch", i + 1)), r[key]) for i, r in enumerate(h) if key in r]
        for label, h in histories.items()
    }
    drawn = {label: points for label, points in drawn.items() if points}
    if not drawn:
        raise ValueError(f"compare_histories: no history holds {key!r}")
    fig = Figure(figsize=(6.4, 3.6), layout="constrained")
    ax = fig.subplots()
    for label, points in drawn.items():
        xs, ys = zip(*points, strict=True)
        ax.plot(xs, ys, marker="o", markersize=2, label=label)
    for i, (label, value) in enumerate((floors or {}).items()):
        ax.axhline(value, color=str(0.3 + 0.2 * i), ls="--", lw=1, label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel(_HISTORY_LABELS.get(key, key))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(True, color="0.9")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    return fig


_METRIC_LABELS = {
    "ab_l2": "ab L2 (Lab units, lower is better)",
    "auc": "AuC (higher is better)",
    "psnr": "PSNR dB (higher is better)",
    "ssim": "SSIM (higher is better)",
    "colorfulness": "colourfulness (truth: dashed)",
}


def plot_metric_bars(
    results: Mapping[str, Mapping[str, torch.Tensor]],
    keys: Sequence[str] = ("ab_l2", "colorfulness"),
    title: str | None = None,
) -> Figure:
    """Horizontal bars of each method's mean metric, one panel per metric.

    Args:
        results: ``{method: colorlib.evaluate.evaluate(...)}``, top to bottom.
        keys: metrics to draw; for ``"colorfulness"`` the truth's mean
            (``colorfulness_true`` of the first method) is a dashed line.
        title: optional figure title.

    Error bars are two standard errors of the mean over images.
    """
    if not results:
        raise ValueError("plot_metric_bars: no results")
    names = list(results)
    fig = Figure(figsize=(4.2 * len(keys), 0.32 * len(names) + 1.2), layout="constrained")
    axes = fig.subplots(1, len(keys), squeeze=False, sharey=True)[0]
    for ax, key in zip(axes, keys, strict=True):
        values = [results[n][key].double() for n in names]
        means = [v.mean().item() for v in values]
        errors = [2 * v.std().item() / len(v) ** 0.5 if len(v) > 1 else 0.0 for v in values]
        ax.barh(range(len(names)), means, xerr=errors, color="0.55", ecolor="0.2", capsize=2)
        if key == "colorfulness" and "colorfulness_true" in results[names[0]]:
            ax.axvline(results[names[0]]["colorfulness_true"].mean().item(), ls="--", color="k")
        ax.set_yticks(range(len(names)), names, fontsize=8)
        ax.set_xlabel(_METRIC_LABELS.get(key, key), fontsize=9)
        ax.grid(True, axis="x", color="0.9")
    axes[0].invert_yaxis()  # the axes share y: inverting one puts the first method on top
    if title:
        fig.suptitle(title, fontsize=10)
    return fig
