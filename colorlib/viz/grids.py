"""Grids of pictures: gray input, each model's colours, the ground truth.

:func:`comparison_grid` is the notebooks' figure for "what did each model do to
these photos": one row per model, one column per photo, the row names written in
the model family's colour (:mod:`colorlib.viz.families`). It takes torch batches
``(N, 3, H, W)`` in [0, 1] (what :func:`colorlib.evaluate.predict` holds) as well as
uint8 ``(H, W, 3)`` photos of any size (what :func:`colorlib.evaluate.full_size`
returns). :func:`image_grid` and :func:`full_size_grid` are the same drawing with
their own, older layouts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
from matplotlib.figure import Figure

from colorlib.lab import lab_to_rgb, merge_lab, rgb_to_lab, split_lab
from colorlib.viz.families import label_colour
from colorlib.viz.panels import PANEL_INCHES, as_batch, as_pictures, gray_rgb, show_picture

__all__ = ["comparison_grid", "full_size_grid", "image_grid", "show_mean_colouring"]


def _draw_grid(
    series: Mapping[str, list[np.ndarray]],
    count: int,
    titles: Sequence[str] | None,
    suptitle: str | None,
    *,
    names_on: str,
    panel: float,
    interpolation: str,
    pad: float,
    comparison: bool,
) -> Figure:
    """Named series of pictures as a grid: series on rows or columns, ``count`` photos.

    Photo k's cells take the aspect of the first series that holds a k-th picture;
    a series shorter than ``count`` leaves its last cells empty. ``titles`` name the
    photos (column titles, or row labels when the series are the columns);
    ``suptitle`` the figure.
    ``comparison``: the series names are written level and in their family's colour.
    """
    aspects = []
    for k in range(count):
        picture = next(pictures[k] for pictures in series.values() if k < len(pictures))
        aspects.append(picture.shape[0] / picture.shape[1])  # height / width
    names = list(series)
    if names_on == "rows":
        fig = Figure(
            figsize=(panel * sum(1 / a for a in aspects), panel * len(names) + pad),
            layout="constrained",
        )
        grid = fig.subplots(len(names), count, squeeze=False, width_ratios=[1 / a for a in aspects])
    else:
        fig = Figure(figsize=(panel * len(names), panel * sum(aspects) + pad), layout="constrained")
        grid = fig.subplots(count, len(names), squeeze=False, height_ratios=aspects).T
    for n, name in enumerate(names):
        for k in range(count):
            if k < len(series[name]):
                show_picture(grid[n, k], series[name][k], None, interpolation)
            else:
                grid[n, k].set_axis_off()
    for n, name in enumerate(names):  # the series' names
        style = {"fontsize": 9}
        if comparison:
            style.update(color=label_colour(name), rotation=0, ha="right", va="center")
        if names_on == "rows":
            grid[n, 0].set_ylabel(name, **style)
        else:
            grid[n, 0].set_title(name, **style)
    for k, title in enumerate((titles or [])[:count]):  # the photos' titles
        if names_on == "rows" and len(series[names[0]]) > k:
            grid[0, k].set_title(title, fontsize=9)
        elif names_on != "rows":
            grid[0, k].set_ylabel(title, fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def comparison_grid(
    rows: Mapping[str, object],
    max_images: int = 8,
    titles: Sequence[str] | None = None,
    suptitle: str | None = None,
    *,
    gray: torch.Tensor | None = None,
    truth: object = None,
    panel_inches: float = PANEL_INCHES,
    interpolation: str = "nearest",
) -> Figure:
    """The same photos as each model colours them: one row per model, one column per photo.

    Typical use, with :func:`colorlib.evaluate.predict` outputs::

        viz.comparison_grid({name: pred["rgb_pred"][:8] for name, pred in predictions.items()},
                            gray=first["L"][:8], truth=first["rgb_true"][:8])

    Row names are written level, left of the row, in the colour of the model's
    family (:func:`colorlib.viz.families.model_family`: the gray input grey, the
    truth black, regression blue, ...).

    Args:
        rows: row name -> that row's images, in the photos' order: a torch batch
            ``(N, 3, H, W)`` float sRGB in [0, 1] (``(N, 1, H, W)``: grey), or a uint8
            ``(N, H, W, 3)`` array, or a list of uint8 ``(H, W, 3)`` photos (photos
            may differ in size; photo k should have the same size in every row).
            Rows may have different N; missing cells stay empty.
        max_images: at most this many columns.
        titles: optional column titles (e.g. class names), one per photo.
        suptitle: optional figure title.
        gray: optional L ``(N, 1, H, W)`` in [0, 100]: a first row "gray input",
            what the networks see (:func:`colorlib.viz.gray_rgb`).
        truth: optional images as in ``rows``: a last row "ground truth".
        panel_inches: height of one row (and width of a square photo), in inches.
        interpolation: how ``imshow`` resamples: ``"nearest"`` keeps 32 px pixels
            crisp; ``"lanczos"`` suits full-size photos.

    Returns:
        Figure with ``rows x min(max N, max_images)`` axes, rows top to bottom:
        gray input, ``rows`` in order, ground truth.

    Raises:
        ValueError: no rows, or no images in any of them.
    """
    named: dict[str, object] = {}
    if gray is not None:
        named["gray input"] = gray_rgb(as_batch(gray, "gray"))
    named.update(rows)
    if truth is not None:
        named["ground truth"] = truth
    if not named:
        raise ValueError("comparison_grid needs at least one row")
    series = {name: as_pictures(images, f"rows[{name!r}]") for name, images in named.items()}
    count = min(max_images, max(len(pictures) for pictures in series.values()))
    if count == 0:
        raise ValueError("comparison_grid: no images to show")
    return _draw_grid(
        series, count, titles, suptitle, names_on="rows", panel=panel_inches,
        interpolation=interpolation, pad=0.4, comparison=True,
    )  # fmt: skip


def image_grid(
    rows: Mapping[str, torch.Tensor],
    max_images: int = 8,
    titles: Sequence[str] | None = None,
    suptitle: str | None = None,
) -> Figure:
    """A labelled grid of images: one row per entry of ``rows``, one column per image.

    Typical use: ``image_grid({"gray input": viz.gray_rgb(L), "prediction": pred_rgb,
    "ground truth": rgb})``; for models, :func:`comparison_grid` writes the row
    names in their family's colour.

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
    series = {label: as_pictures(as_batch(x, f"rows[{label!r}]")) for label, x in rows.items()}
    count = min(max_images, max(len(pictures) for pictures in series.values()))
    return _draw_grid(
        series, count, titles, suptitle, names_on="rows", panel=PANEL_INCHES,
        interpolation="nearest", pad=0.4, comparison=False,
    )  # fmt: skip


def full_size_grid(
    images: Mapping[str, Sequence[np.ndarray]],
    max_photos: int = 3,
    panel_inches: float = 2.4,
    suptitle: str | None = None,
) -> Figure:
    """Photos at their own size and aspect, one row per photo, one column per method.

    Args:
        images: column title -> uint8 ``(H, W, 3)`` sRGB arrays, one per photo, the
            photos in the same order in every column (:func:`colorlib.evaluate.full_size`'s
            first result); photos may differ in size.
        max_photos: at most this many rows.
        panel_inches: width of one panel (2.4 in: 240 px at matplotlib's 100 dpi, large
            enough to judge a colour; the bundled sample's photos, about 170 px wide,
            are enlarged for display with Lanczos filtering); rows take the height of
            their photo.
        suptitle: optional figure title.

    Returns:
        Figure with ``rows x len(images)`` axes, nothing resampled but for display.
    """
    if not images:
        raise ValueError("full_size_grid needs at least one column")
    count = min(max_photos, min(len(photos) for photos in images.values()))
    if count == 0:
        raise ValueError("full_size_grid: no photos to show")
    series = {title: as_pictures(list(photos[:count]), title) for title, photos in images.items()}
    return _draw_grid(
        series, count, None, suptitle, names_on="columns", panel=panel_inches,
        interpolation="lanczos", pad=0.6, comparison=False,
    )  # fmt: skip


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
    images = as_batch(rgb)[:max_images]
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
