"""Colorizers and colorizing any photo: the package's front door.

:class:`Colorizer` is the contract every trained model is used through: it maps L
``(N, 1, S, S)`` in Lab units to ab ``(N, 2, S, S)`` in Lab units, whatever the
network inside predicts (normalised ab, or logits over ab bins, at full or 1/4
resolution). :func:`colorize` wraps the rest of the pipeline for one image of any
size and mode:

1. the image becomes uint8 sRGB (gray, palette, RGBA, CMYK and 16-bit all convert;
   see :func:`colorlib.data.to_rgb_array`), then Lab at full resolution;
2. L is resized (squashed, aspect ratio not kept) to S x S with antialiasing and
   colourised there;
3. the predicted ab are upsampled bilinearly back to the full size and merged with
   the *full-resolution* L, so every edge stays sharp: colour is low-frequency,
   lightness carries the detail (the trick every colorization paper uses).

Steps 2 and 3 are :func:`predict_ab`, the one path from a full-resolution L to its
ab: :func:`colorlib.evaluate.predict` (``resize=True``) uses it too, so a score and a
picture come from the same numbers.

Memory: steps 1 and 3 run on horizontal strips of rows (about :data:`TILE_PIXELS`
pixels each), so besides the input and the uint8 output only one strip's float32
temporaries are alive: a 12000x9000 photo needs about 0.9 GB on top of the Python
process (1.8 GB peak RSS for the whole CLI run, against 12.1 GB untiled; see
``benchmarks/colorize_memory.py``). Step 1 runs twice per strip (once for step 2,
once for step 3) rather than keep a float32 L of the whole image. The strips do
:func:`predict_ab`'s maths: step 2's antialiased resize is separable (columns per
strip, then rows) and the upsampling in step 3 computes each strip's source rows
exactly as ``F.interpolate`` does for the whole image, so strips give the same result
as the whole image at once (``tile_rows=None``, kept as the reference) within one
uint8 level.

Reading photo files and writing the results (``python -m colorlib colorize``) is
:mod:`colorlib.photo_files`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from colorlib.data import BadImageError, to_rgb_array
from colorlib.gamut import ANNEAL_T, ABGamut
from colorlib.lab import denormalize_ab, lab_to_rgb, merge_lab, normalize_l, rgb_to_lab, split_lab
from colorlib.models import upsample_ab

__all__ = [
    "Colorizer",
    "colorize",
    "predict_ab",
    "device_of",
    "TILE_PIXELS",
]

TILE_PIXELS = 1 << 20
"""Pixels per strip when :func:`colorize` picks the strip height (``tile_rows="auto"``):
the float32 temporaries of one strip take about 150 bytes per pixel, 150 MB in all."""


class Colorizer(nn.Module):
    """A network behind the colorizer contract: L in Lab units -> ab in Lab units.

    Hides the three things that differ between models: the input normalisation
    (``L / 50 - 1``), what the network outputs (normalised ab ``ab / 110``, or logits
    over the bins of ``gamut``, decoded by annealed mean at temperature ``T``), and
    its output resolution (ZhangNet predicts at 1/4 size; ab is upsampled
    bilinearly).

    Args:
        network: normalised L ``(N, 1, S, S)`` -> ``(N, 2, s, s)`` normalised ab, or
            ``(N, Q, s, s)`` logits when ``gamut`` is given.
        image_size: the side S the network was trained at (what :func:`colorize`
            resizes to); None if unknown.
        gamut: the ab bins of a classification network, else None.
        T: annealed-mean temperature for classification (Zhang et al.: 0.38).

    Shapes: ``forward(L)``: L ``(N, 1, H, W)`` in [0, 100] -> ab ``(N, 2, H, W)`` in
    Lab units.
    """

    def __init__(
        self,
        network: nn.Module,
        image_size: int | None = None,
        gamut: ABGamut | None = None,
        T: float = ANNEAL_T,
    ) -> None:
        super().__init__()
        self.network, self.image_size, self.gamut, self.T = network, image_size, gamut, T

    def logits(self, L: torch.Tensor) -> torch.Tensor:
        """The network's raw output for L ``(N, 1, H, W)`` in [0, 100]: ``(N, Q, s, s)``
        bin logits for a bins model, ``(N, 2, s, s)`` normalised ab (ab / 110) otherwise.

        With :meth:`decode`, one forward pass can be decoded several ways (e.g. at
        several temperatures) without changing the colorizer.
        """
        return self.network(normalize_l(L))

    def decode(
        self, output: torch.Tensor, size: tuple[int, int], T: float | None = None
    ) -> torch.Tensor:
        """:meth:`logits`' output -> ab ``(N, 2, *size)`` in Lab units (float32).

        Args:
            output: the network's raw output.
            size: the ``(H, W)`` of the photos; a coarser prediction is upsampled
                bilinearly.
            T: annealed-mean temperature for a bins model (None: the colorizer's own
                ``T``; 0 is the mode, 1 the mean); ignored by a regression model.
        """
        output = output.float()
        if self.gamut is None:
            ab = denormalize_ab(output)
        else:
            ab = self.gamut.decode(output, T=self.T if T is None else T)
        return ab if tuple(ab.shape[-2:]) == tuple(size) else upsample_ab(ab, tuple(size))

    def forward(self, L: torch.Tensor) -> torch.Tensor:
        return self.decode(self.logits(L), L.shape[-2:])


def predict_ab(
    model: nn.Module, L: torch.Tensor, device: str | torch.device | None = None
) -> torch.Tensor:
    """The one path from a photo's L at any size to its ab: resize, predict, resize back.

    L is resized to the model's side S (``model.image_size``), the model predicts ab
    there, and the ab are resized back to the photo's height and width. Both resizes
    are bilinear (``align_corners=False``), antialiased when they shrink either side;
    at ``H == W == S`` nothing is resized. The caller merges the ab with its own
    full-resolution L, so the detail of the photo is kept (richzhang/colorization's
    ``preprocess_img`` and ``postprocess_tens`` do the same two steps).
    :func:`colorize` (untiled; its strips do the same maths) and
    :func:`colorlib.evaluate.predict` (``resize=True``) both go through here.

    Args:
        model: a colorizer with an ``image_size`` S: L ``(B, 1, S, S)`` in [0, 100]
            -> ab ``(B, 2, S, S)`` in Lab units (``pretrained.load``); its mode
            (train / eval) is left as it is.
        L: ``(B, 1, H, W)`` float Lab lightness in [0, 100], on any device.
        device: where the model runs (None: where its parameters are, else the CPU).

    Returns:
        ab ``(B, 2, H, W)`` float32 in Lab units, on the CPU.
    """
    size = getattr(model, "image_size", None)
    if size is None:
        raise ValueError("predict_ab: the model has no image_size to resize the photos to")
    size = int(size)
    device = device_of(model) if device is None else device
    height, width = L.shape[-2:]
    with torch.no_grad():
        ab = model(_resize(L.float(), (size, size)).to(device)).float().cpu()
    return _resize(ab, (height, width))


def device_of(model: Callable) -> torch.device:
    """Where a module's first parameter (or buffer) is; the CPU for anything else."""
    if isinstance(model, nn.Module):
        for tensor in (*model.parameters(), *model.buffers()):
            return tensor.device
    return torch.device("cpu")


def _resize(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """``x`` ``(N, C, h, w)`` resized bilinearly to ``size`` ``(H, W)`` (align_corners=False),
    antialiased when it shrinks either side; ``x`` itself when already that size."""
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    shrink = size[0] < x.shape[-2] or size[1] < x.shape[-1]
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=shrink)


def colorize(
    model: torch.nn.Module,
    image: Image.Image | np.ndarray,
    tile_rows: int | Literal["auto"] | None = "auto",
) -> np.ndarray:
    """Colorize one image with ``model``; keep its size and its lightness.

    The image's L goes through :func:`predict_ab` (resized to the model's side,
    colourised, the ab resized back) and the ab are merged with the full-resolution L.
    With ``tile_rows`` the full-resolution steps run in strips of rows that do the same
    maths as :func:`predict_ab` on the whole image (see the module docstring).

    Args:
        model: a colorizer (``colorlib.pretrained.load(name)``): L ``(N, 1, S, S)`` in
            Lab units -> ab ``(N, 2, S, S)`` in Lab units, with an ``image_size``
            attribute S. Run on the model's device; the full-size work runs on the CPU.
        image: a Pillow image or numpy array of any size; gray, RGB, RGBA, palette,
            CMYK or 16-bit. Any colour it has is discarded: only its L is used.
        tile_rows: rows per strip for the full-resolution work: ``"auto"`` (about
            :data:`TILE_PIXELS` pixels per strip), a positive int, or None for the
            whole image at once (the untiled reference: about 110 bytes per pixel).
            All give the same result within one uint8 level.

    Returns:
        uint8 ``(H, W, 3)`` sRGB array (0-255) of the input's height and width.

    Raises:
        BadImageError: (a ValueError, one line) a path rather than an image, an empty
            image, an unusable array shape or dtype, float pixels that are NaN,
            infinite or outside [0, 1], or an unsupported mode.
    """
    image = _checked_image(image)
    if tile_rows is None:
        return _colorize_untiled(model, image)
    source, height, width = _strip_source(image)
    bounds = _strips(height, width, tile_rows)
    size = int(model.image_size)
    small_ab = predict_ab(model, _small_lightness(source, bounds, width, size))
    # predict_ab's resize back, by strips: the columns (width) first, then the rows
    # of each strip; an ab no taller than the model's output is resized whole
    shrink = height < size or width < size
    columns = F.interpolate(
        small_ab, size=(size, width), mode="bilinear", align_corners=False, antialias=shrink
    )
    if height < size:
        columns = F.interpolate(
            columns, size=(height, width), mode="bilinear", align_corners=False, antialias=True
        )
    out = np.empty((height, width, 3), np.uint8)
    out_rows = torch.from_numpy(out)
    for top, bottom in bounds:
        L = _lightness(_rgb_rows(source, top, bottom))
        ab = _ab_rows(columns, top, bottom, height)
        rgb = lab_to_rgb(merge_lab(L, ab))[0]  # (3, rows, W) in [0, 1]
        out_rows[top:bottom].copy_(rgb.mul_(255).round_().permute(1, 2, 0))
    return out


def _colorize_untiled(model: torch.nn.Module, image: Image.Image | np.ndarray) -> np.ndarray:
    """:func:`colorize` on the whole image at once: the reference the strips must match."""
    rgb = torch.from_numpy(np.array(to_rgb_array(image))).permute(2, 0, 1)  # writable copy
    L = _lightness(rgb)  # (1, 1, H, W), float32
    out = lab_to_rgb(merge_lab(L, predict_ab(model, L)))[0]
    return out.mul(255).round_().to(torch.uint8).permute(1, 2, 0).numpy()


FLOAT_SLACK = 0.5 / 255
"""How far float pixels may stray outside [0, 1] (half a uint8 level, rounding noise)
before :func:`colorize` refuses them; within it they are clipped."""


def _checked_image(image: Image.Image | np.ndarray) -> Image.Image | np.ndarray:
    """``image`` (an array as ``np.asarray``), or a one-line BadImageError: a path or
    other non-image, an image with no pixels, or float pixels that are not finite or
    lie outside [0, 1] by more than :data:`FLOAT_SLACK` (e.g. a 0-255 float image)."""
    if isinstance(image, str | bytes | os.PathLike):
        shown = os.fsdecode(image)[:80] if not isinstance(image, bytes) else "bytes"
        raise BadImageError(
            f"colorize takes a Pillow image or a numpy array, not a path ({shown!r}); "
            "open it first with colorlib.photo_files.open_image"
        )
    if isinstance(image, Image.Image):
        if image.width == 0 or image.height == 0:
            raise BadImageError(f"an empty image ({image.width}x{image.height} pixels)")
        return image
    array = np.asarray(image)
    if array.ndim in (2, 3) and 0 in array.shape[:2]:
        raise BadImageError(f"an empty image ({array.shape[1]}x{array.shape[0]} pixels)")
    if np.issubdtype(array.dtype, np.floating) and array.size:
        if not np.isfinite(array).all():
            raise BadImageError("float pixels must be finite numbers in [0, 1]; got NaN or inf")
        low, high = float(array.min()), float(array.max())
        if low < -FLOAT_SLACK or high > 1 + FLOAT_SLACK:
            hint = " (a 0-255 image? divide it by 255)" if high > 1 + FLOAT_SLACK else ""
            raise BadImageError(
                f"float pixels must lie in [0, 1]; got values from {low:g} to {high:g}{hint}"
            )
    return array


def _strip_source(image: Image.Image | np.ndarray) -> tuple[Image.Image | np.ndarray, int, int]:
    """``(image or array, H, W)``; arrays of an unusable shape raise BadImageError here."""
    if isinstance(image, Image.Image):
        return image, image.height, image.width
    array = np.asarray(image)
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        to_rgb_array(array)  # raises the BadImageError that names the whole shape
    return array, array.shape[0], array.shape[1]


def _strips(height: int, width: int, tile_rows: int | Literal["auto"]) -> list[tuple[int, int]]:
    """Row ranges ``[(top, bottom), ...]`` covering ``0..height`` in strips of ``tile_rows``."""
    rows = max(1, TILE_PIXELS // max(width, 1)) if tile_rows == "auto" else tile_rows
    if not isinstance(rows, int) or rows < 1:
        raise ValueError(f"tile_rows must be a positive int, 'auto' or None, got {tile_rows!r}")
    return [(top, min(top + rows, height)) for top in range(0, height, rows)]


def _rgb_rows(source: Image.Image | np.ndarray, top: int, bottom: int) -> torch.Tensor:
    """Rows ``top:bottom`` of the image as uint8 ``(3, rows, W)`` sRGB in [0, 255].

    Every conversion of :func:`colorlib.data.to_rgb_array` is per pixel, so a strip
    converts exactly as it would inside the whole image.
    """
    if isinstance(source, Image.Image):
        part = to_rgb_array(source.crop((0, top, source.width, bottom)))
    else:
        part = to_rgb_array(source[top:bottom])
    return torch.from_numpy(np.array(part)).permute(2, 0, 1)  # writable copy


def _lightness(rgb: torch.Tensor) -> torch.Tensor:
    """uint8 sRGB ``(3, h, W)`` -> L ``(1, 1, h, W)`` float32 in [0, 100]."""
    return split_lab(rgb_to_lab(rgb[None]))[0]


def _small_lightness(
    source: Image.Image | np.ndarray, bounds: list[tuple[int, int]], width: int, size: int
) -> torch.Tensor:
    """The image's L resized to ``(1, 1, size, size)`` as :func:`predict_ab` does, by strips.

    When the resize shrinks either side it is antialiased, and that resize is
    separable: each strip is resized along its width to ``(rows, size)``, then the
    stacked ``(H, size)`` columns along the height; the same as ``F.interpolate`` of
    the whole L (checked in the tests). An image no larger than ``size`` on both
    sides is small: its L is resized whole.
    """
    height = bounds[-1][1]
    if height <= size and width <= size:
        strips = [_lightness(_rgb_rows(source, top, bottom)) for top, bottom in bounds]
        return _resize(torch.cat(strips, dim=-2), (size, size))
    columns = torch.empty(1, 1, height, size)  # preallocated: no small blocks pin the heap
    for top, bottom in bounds:
        L = _lightness(_rgb_rows(source, top, bottom))
        columns[..., top:bottom, :] = F.interpolate(
            L, size=(bottom - top, size), mode="bilinear", antialias=True
        )
    return F.interpolate(columns, size=(size, size), mode="bilinear", antialias=True)


def _ab_rows(columns: torch.Tensor, top: int, bottom: int, height: int) -> torch.Tensor:
    """Rows ``top:bottom`` of ab upsampled bilinearly (align_corners=False) to ``height``.

    Args:
        columns: ab ``(1, 2, s, W)`` in Lab units, already at the full width W.
        top, bottom: the output rows wanted, ``0 <= top < bottom <= height``.
        height: the full output height H.

    Returns:
        ab ``(1, 2, bottom - top, W)`` float32. Output row y reads source row
        ``(y + 0.5) * s / H - 0.5`` (clamped at 0) and blends its two neighbours,
        computed in float32 as ``F.interpolate`` does, so strips join seamlessly.
    """
    small = columns.shape[-2]
    scale = torch.tensor(small, dtype=torch.float32) / height
    y = torch.arange(top, bottom, dtype=torch.float32)
    source = (scale * (y + 0.5) - 0.5).clamp_(min=0.0)
    below = source.long()
    weight = (source - below).reshape(1, 1, -1, 1)
    above = (below + 1).clamp_(max=small - 1)
    return columns[:, :, below] * (1.0 - weight) + columns[:, :, above] * weight
