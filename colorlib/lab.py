"""sRGB <-> CIE Lab in torch: batched, differentiable, CPU or CUDA.

Written here rather than taken from a library because the conversion *is* the
lesson: every constant below is the one scikit-image uses (``skimage.color``,
sRGB primaries, D65 white point, 2-degree observer), so the two agree to float
rounding and the tests check exactly that.

Shapes and ranges
-----------------
- RGB: ``(..., 3, H, W)``, any number of leading batch dimensions, sRGB in [0, 1]
  (float32 or float64), or uint8 in [0, 255] for :func:`rgb_to_lab`.
- Lab: ``(..., 3, H, W)``; L in [0, 100], a and b roughly in [-128, 127].

Model-side normalisation (one place for the whole package)
-----------------------------------------------------------
Networks see ``L / 50 - 1`` (in [-1, 1]) and predict ``ab / 110`` (roughly
[-1, 1]); :func:`normalize_l`, :func:`normalize_ab` and their inverses are the only
functions that know these numbers. Over all 16.7 M sRGB colours a spans
[-86.2, 98.2] and b spans [-107.9, 94.5] (pure blue gives the extreme b), so 110
bounds the gamut, as in the colorization mode of Isola et al.'s pix2pix code.

Example
-------
>>> import torch, colorlib
>>> rgb = torch.rand(4, 3, 32, 32)
>>> lab = colorlib.rgb_to_lab(rgb)
>>> torch.allclose(colorlib.lab_to_rgb(lab), rgb, atol=1e-4)
True

Speed
-----
The functions below that spell out each step (:func:`srgb_to_linear`, the colour
matrices, CIE's f(t)) are the reference: they run whenever a gradient is needed, on
CUDA, and for uint8 input (through a 256-entry lookup table). float32 and float64
input on the CPU that needs no gradient takes a fast path that computes the same
formulas in NumPy, tile by tile (:func:`_rgb_to_lab_tiles`): NumPy's SIMD ``log2``,
``exp2`` and ``cbrt`` are several times faster than torch's CPU ``pow``, a tile of
65536 pixels keeps the temporaries in cache, branch-free selects replace
``torch.where``, and ``torch.get_num_threads()`` threads share the tiles. The two
paths agree to float rounding (tests check it); ``benchmarks/lab_speed.py`` times it
against scikit-image and kornia.
"""

from __future__ import annotations

import functools
import queue
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numpy as np
import torch

from colorlib import checks

__all__ = [
    "rgb_to_lab",
    "lab_to_rgb",
    "srgb_to_linear",
    "linear_to_srgb",
    "normalize_l",
    "denormalize_l",
    "normalize_ab",
    "denormalize_ab",
    "split_lab",
    "merge_lab",
    "L_CENTER",
    "AB_SCALE",
]

# sRGB (linear) -> XYZ, ITU-R BT.709 primaries, as in skimage.color.colorconv.
_XYZ_FROM_RGB = (
    (0.412453, 0.357580, 0.180423),
    (0.212671, 0.715160, 0.072169),
    (0.019334, 0.119193, 0.950227),
)
# D65 reference white, 2-degree observer (skimage's default illuminant).
_WHITE_D65 = (0.95047, 1.0, 1.08883)

_SRGB_LINEAR_KNEE = 0.04045  # gamma-encoded value where the sRGB curve turns linear
_LINEAR_SRGB_KNEE = 0.0031308  # the same point, in linear light
_LAB_EPSILON = 0.008856  # (6/29)^3, rounded as in skimage: below it f(t) is linear
_LAB_KAPPA = 7.787  # slope of that linear segment, (29/6)^2 / 3 rounded
_LAB_OFFSET = 16.0 / 116.0
_LAB_INV_KNEE = 0.2068966  # 6/29: f(t) at t = epsilon

L_CENTER = 50.0  # L / L_CENTER - 1 maps [0, 100] onto [-1, 1]
AB_SCALE = 110.0  # ab / AB_SCALE maps the sRGB gamut into about [-1, 1]


@functools.lru_cache(maxsize=16)
def _matrices(dtype: torch.dtype, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """The XYZ<-RGB matrix with the white point folded in, and its inverse."""
    xyz_from_rgb = torch.tensor(_XYZ_FROM_RGB, dtype=torch.float64)
    white = torch.tensor(_WHITE_D65, dtype=torch.float64)
    forward = xyz_from_rgb / white[:, None]  # RGB -> XYZ / white
    inverse = torch.linalg.inv(xyz_from_rgb) * white[None, :]  # XYZ / white -> RGB
    return forward.to(dtype=dtype, device=device), inverse.to(dtype=dtype, device=device)


@functools.lru_cache(maxsize=16)
def _lab_from_f(dtype: torch.dtype, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """(matrix, offset) with Lab = matrix @ (f(X), f(Y), f(Z)) + offset."""
    matrix = torch.tensor(((0.0, 116.0, 0.0), (500.0, -500.0, 0.0), (0.0, 200.0, -200.0)))
    offset = torch.tensor((-16.0, 0.0, 0.0)).reshape(3, 1)
    return matrix.to(dtype=dtype, device=device), offset.to(dtype=dtype, device=device)


@functools.lru_cache(maxsize=4)
def _uint8_linear_table(device: torch.device) -> torch.Tensor:
    codes = torch.arange(256, dtype=torch.float64) / 255.0
    return srgb_to_linear(codes).to(dtype=torch.float32, device=device)


def _needs_grad(x: torch.Tensor) -> bool:
    return torch.is_grad_enabled() and x.requires_grad


def _numpy_view(x: torch.Tensor) -> np.ndarray | None:
    """``x``'s data as a NumPy array (no copy), or None where NumPy must not or cannot
    see it: not on the CPU, needs a gradient, or has no plain storage (inside
    ``torch.func.vmap``, say)."""
    if x.device.type != "cpu" or _needs_grad(x):
        return None
    try:
        return x.detach().numpy()
    except RuntimeError:
        return None


def srgb_to_linear(rgb: torch.Tensor) -> torch.Tensor:
    """Undo the sRGB transfer curve ("gamma"): encoded [0, 1] -> linear light [0, 1]."""
    knee = _SRGB_LINEAR_KNEE
    curved = ((rgb.clamp(min=knee) + 0.055) / 1.055) ** 2.4
    return torch.where(rgb > knee, curved, rgb / 12.92)


def linear_to_srgb(linear: torch.Tensor) -> torch.Tensor:
    """Apply the sRGB transfer curve: linear light -> encoded sRGB (not clipped)."""
    knee = _LINEAR_SRGB_KNEE
    curved = 1.055 * linear.clamp(min=knee) ** (1 / 2.4) - 0.055
    return torch.where(linear > knee, curved, linear * 12.92)


def _cube_root(t: torch.Tensor) -> torch.Tensor:
    """t ** (1/3) for t >= epsilon (smaller values are discarded by the caller).

    Speed: torch's CPU ``pow`` with a fractional exponent is several times slower
    than NumPy's dedicated ``cbrt``, so CPU tensors that need no gradient go
    through ``np.cbrt`` (zero-copy both ways); everything else uses torch.
    """
    array = _numpy_view(t)
    if array is not None:
        return torch.from_numpy(np.cbrt(array))
    return t.clamp(min=_LAB_EPSILON) ** (1 / 3)  # clamp: finite gradient at 0


def _lab_f(t: torch.Tensor) -> torch.Tensor:
    """CIE's f(t): a cube root, with a linear segment near black (finite gradient)."""
    linear_segment = (t + _LAB_OFFSET / _LAB_KAPPA).mul_(_LAB_KAPPA)
    return torch.where(t > _LAB_EPSILON, _cube_root(t), linear_segment)


def _lab_f_inverse(f: torch.Tensor) -> torch.Tensor:
    return torch.where(f > _LAB_INV_KNEE, f**3, (f - _LAB_OFFSET) / _LAB_KAPPA)


def _pixels(x: torch.Tensor) -> torch.Tensor:
    """``(..., 3, H, W)`` -> ``(B, 3, H*W)`` so 3x3 colour matrices apply as one matmul."""
    return x.reshape(x.shape[:-3].numel(), 3, x.shape[-2] * x.shape[-1])  # also when empty


def rgb_to_lab(rgb: torch.Tensor) -> torch.Tensor:
    """Convert sRGB to CIE Lab (D65, 2-degree observer), as ``skimage.color.rgb2lab``.

    Args:
        rgb: ``(..., 3, H, W)``. Float in [0, 1] (float32 or float64; the result has
            the same dtype), or uint8 in [0, 255] (the result is float32; the gamma
            curve is then a 256-entry lookup table, the fast path for photos).

    Returns:
        Lab, ``(..., 3, H, W)``: L in [0, 100], a and b in about [-128, 127].
        Differentiable for float input.
    """
    checks.image_batch(rgb, 3, "rgb", leading="...")
    array = _numpy_view(rgb) if rgb.dtype in _TILE_DTYPES else None
    if array is not None:
        return _rgb_to_lab_tiles(array, rgb.dtype)
    pixels = _pixels(rgb)
    if rgb.dtype == torch.uint8:
        table = _uint8_linear_table(rgb.device)
        linear = table.index_select(0, pixels.reshape(-1).int()).reshape(pixels.shape)
    elif rgb.is_floating_point():
        linear = srgb_to_linear(pixels)
    else:
        raise TypeError(f"rgb must be uint8 or floating point, got {rgb.dtype}")
    xyz_from_rgb, _ = _matrices(linear.dtype, linear.device)
    lab_from_f, offset = _lab_from_f(linear.dtype, linear.device)
    lab = torch.matmul(lab_from_f, _lab_f(torch.matmul(xyz_from_rgb, linear))).add_(offset)
    return lab.reshape(rgb.shape)


# ----------------------------------------------------------- fast CPU path (no grad)

_TILE_DTYPES = (torch.float32, torch.float64)
_TILE_PIXELS = 1 << 16  # pixels per tile: big enough that NumPy's per-call cost is small,
# small enough that a tile's temporaries (768 KiB each in float32) stay in the CPU cache
_SRGB_SCALE = 1.055**2.4  # (x + 0.055) ** 2.4 = _SRGB_SCALE * ((x + 0.055) / 1.055) ** 2.4


class _TileConstants(NamedTuple):
    """The constants of :func:`rgb_to_lab` as NumPy scalars of one dtype.

    ``matrix`` is XYZ / white <- RGB divided by ``_SRGB_SCALE``: the tiles keep linear
    light multiplied by ``_SRGB_SCALE`` (one multiplication fewer per value) and the
    matrix takes the factor out again.
    """

    knee: np.floating
    dark_slope: np.floating  # _SRGB_SCALE / 12.92
    matrix: np.ndarray  # (3, 3): XYZ / white <- RGB, over _SRGB_SCALE
    epsilon: np.floating
    kappa: np.floating
    offset: np.floating


@functools.lru_cache(maxsize=2)
def _tile_constants(dtype: torch.dtype) -> _TileConstants:
    np_dtype = torch.empty(0, dtype=dtype).numpy().dtype
    forward, _ = _matrices(torch.float64, torch.device("cpu"))
    return _TileConstants(
        knee=np_dtype.type(_SRGB_LINEAR_KNEE),
        dark_slope=np_dtype.type(_SRGB_SCALE / 12.92),
        matrix=(forward.numpy() / _SRGB_SCALE).astype(np_dtype),
        epsilon=np_dtype.type(_LAB_EPSILON),
        kappa=np_dtype.type(_LAB_KAPPA),
        offset=np_dtype.type(_LAB_OFFSET),
    )


def _select(curve: np.ndarray, line: np.ndarray, mask: np.ndarray) -> None:
    """``curve = where(mask, line, curve)`` in place, branch-free; ``line`` is clobbered.

    ``mask`` is 1.0 or 0.0 (float, as ``curve``). Where it is 0 ``curve`` is kept
    bit for bit; where it is 1 the result is ``line`` to one rounding of
    ``max(|curve|, |line|)``. (Measured on float32 tiles: ``np.copyto(..., where=)``
    with a bool mask takes 1.6 times as long, ``torch.where`` over ten times.)
    """
    np.subtract(line, curve, out=line)
    np.multiply(line, mask, out=line)
    np.add(curve, line, out=curve)


def _linear_tile(
    rgb: np.ndarray,
    out: np.ndarray,
    scratch: np.ndarray,
    mask: np.ndarray,
    knee: np.ndarray,
    c: _TileConstants,
) -> None:
    """sRGB ``(b, 3, n)`` -> linear light times ``_SRGB_SCALE`` into ``out``.

    As :func:`srgb_to_linear`: ``(x + 0.055) ** 2.4`` above the knee and
    ``x * _SRGB_SCALE / 12.92`` at or below it. The power is ``exp2(2.4 * log2(.))``:
    NumPy's SIMD float32 ``exp2`` and ``log2`` take half the time of ``exp`` and
    ``log``, the three steps less than half of ``np.power``'s, and they stay within
    about 12 float ulp of the exact power. ``knee``: filled with the knee value, same
    shape (``np.maximum`` against a scalar takes twice as long). ``scratch``,
    ``mask``: same shape, clobbered.
    """
    np.maximum(rgb, knee, out=out)  # keeps log2's argument positive below the knee
    out += 0.055
    np.log2(out, out=out)
    out *= 2.4
    np.exp2(out, out=out)
    np.multiply(rgb, c.dark_slope, out=scratch)
    np.less_equal(rgb, c.knee, out=mask, casting="unsafe")
    _select(out, scratch, mask)


def _lab_f_tile(t: np.ndarray, scratch: np.ndarray, mask: np.ndarray, c: _TileConstants) -> None:
    """CIE's f(t) in place on XYZ / white ``(b, 3, n)``, as :func:`_lab_f`."""
    np.multiply(t, c.kappa, out=scratch)
    scratch += c.offset
    np.less_equal(t, c.epsilon, out=mask, casting="unsafe")
    np.cbrt(t, out=t)
    _select(t, scratch, mask)


def _lab_tile(
    rgb: np.ndarray, lab: np.ndarray, buffers: list[np.ndarray], c: _TileConstants
) -> None:
    """One tile: sRGB ``(b, 3, n)`` (nominally [0, 1]) -> Lab ``(b, 3, n)`` into ``lab``.

    ``buffers``: four flat arrays of at least ``rgb.size`` values: three scratch,
    and the last one filled with ``c.knee``.
    """
    linear, xyz, mask, knee = (buf[: rgb.size].reshape(rgb.shape) for buf in buffers)
    _linear_tile(rgb, linear, xyz, mask, knee, c)
    np.matmul(c.matrix, linear, out=xyz)
    _lab_f_tile(xyz, linear, mask, c)
    _lab_from_f_tile(xyz, lab)


def _lab_from_f_tile(f: np.ndarray, lab: np.ndarray) -> None:
    """L = 116 f(Y) - 16, a = 500 (f(X) - f(Y)), b = 200 (f(Y) - f(Z)), ``(b, 3, n)``.

    Written out rather than as a matrix product: a BLAS product with fused
    multiply-adds leaves a and b at 1e-7 instead of 0 where f(X) = f(Y) = f(Z).
    """
    np.subtract(f[:, :2], f[:, 1:], out=lab[:, 1:])  # f(X) - f(Y), f(Y) - f(Z)
    lab[:, 1] *= 500.0
    lab[:, 2] *= 200.0
    np.multiply(f[:, 1], 116.0, out=lab[:, 0])
    lab[:, 0] -= 16.0


def _tiles(batch: int, pixels: int) -> list[tuple[slice, slice]]:
    """(images, pixels) slices that cover ``(batch, 3, pixels)``, about _TILE_PIXELS each."""
    per_tile = max(1, _TILE_PIXELS // max(pixels, 1))
    columns = min(pixels, _TILE_PIXELS)
    return [
        (slice(b, b + per_tile), slice(n, n + columns))
        for b in range(0, batch, per_tile)
        for n in range(0, pixels, columns)
    ]


def _drain(jobs: queue.SimpleQueue) -> Iterator:
    """Items taken from ``jobs`` until it is empty (several threads may drain one queue)."""
    while True:
        try:
            yield jobs.get_nowait()
        except queue.Empty:
            return


def _convert_tiles(
    rgb: np.ndarray,
    lab: np.ndarray,
    tiles: Iterable[tuple[slice, slice]],
    size: int,
    c: _TileConstants,
) -> None:
    """Convert tiles of ``rgb`` ``(B, 3, N)`` into ``lab`` in this thread.

    ``size``: values in the largest tile (the scratch buffers are that long).
    """
    buffers = [np.empty(size, rgb.dtype) for _ in range(3)] + [np.full(size, c.knee)]
    with np.errstate(all="ignore"):  # inf and nan propagate silently, as in torch
        for images, columns in tiles:
            _lab_tile(rgb[images, :, columns], lab[images, :, columns], buffers, c)


def _rgb_to_lab_tiles(rgb: np.ndarray, dtype: torch.dtype) -> torch.Tensor:
    """:func:`rgb_to_lab` of float32/float64 CPU tensors that need no gradient.

    The same formulas as the reference path, in NumPy, on tiles of about 65536 pixels
    that ``torch.get_num_threads()`` threads take from one queue (NumPy releases the
    GIL inside each operation; a thread that the OS holds back takes fewer tiles).
    The threads live for one call only, so a later ``fork`` (DataLoader workers)
    inherits none. Each tile is converted the same way whichever thread takes it.

    Args:
        rgb: the tensor's data (:func:`_numpy_view`), ``(..., 3, H, W)``, sRGB.
        dtype: its torch dtype.

    Returns:
        Lab, a new contiguous tensor ``(..., 3, H, W)`` of ``dtype``.
    """
    out = torch.empty(rgb.shape, dtype=dtype)
    if out.numel() == 0:
        return out
    batch = out.numel() // (3 * rgb.shape[-2] * rgb.shape[-1])
    pixels = rgb.reshape(batch, 3, -1)  # a view, or a copy as torch's reshape would make
    lab = out.numpy().reshape(pixels.shape)
    tiles = _tiles(*pixels.shape[::2])
    images, columns = tiles[0]  # a largest tile
    size = pixels[images, :, columns].size
    c = _tile_constants(out.dtype)
    workers = min(torch.get_num_threads(), len(tiles))
    if workers == 1:
        _convert_tiles(pixels, lab, tiles, size, c)
        return out
    jobs: queue.SimpleQueue = queue.SimpleQueue()
    for tile in tiles:
        jobs.put(tile)
    with ThreadPoolExecutor(workers - 1) as pool:  # this thread is the last worker
        helpers = [
            pool.submit(_convert_tiles, pixels, lab, _drain(jobs), size, c)
            for _ in range(workers - 1)
        ]
        _convert_tiles(pixels, lab, _drain(jobs), size, c)
        for job in helpers:
            job.result()
    return out


def lab_to_rgb(lab: torch.Tensor, clip: bool = True) -> torch.Tensor:
    """Convert CIE Lab (D65, 2-degree observer) to sRGB, as ``skimage.color.lab2rgb``.

    Args:
        lab: ``(..., 3, H, W)`` float; L in [0, 100], a and b in Lab units.
        clip: clip the result to [0, 1] (skimage always does). Out-of-gamut Lab
            colours otherwise come back outside [0, 1], which is how
            :mod:`colorlib.gamut` finds the gamut.

    Returns:
        sRGB, ``(..., 3, H, W)``, same dtype as ``lab``. Differentiable.
        As in skimage, f(Z) = (L + 16) / 116 - b / 200 is clamped at 0 when b is far
        above the gamut (skimage's "negative Z values clipped to zero" warning).
    """
    checks.image_batch(lab, 3, "lab", leading="...")
    if not lab.is_floating_point():
        raise TypeError(f"lab must be floating point, got {lab.dtype}")
    L, a, b = _pixels(lab).unbind(-2)
    fy = (L + 16.0) / 116.0
    fz = (fy - b / 200.0).clamp(min=0.0)  # skimage's "negative Z" clamp, applied to f(Z)
    xyz = _lab_f_inverse(torch.stack((fy + a / 500.0, fy, fz), dim=-2))
    _, rgb_from_xyz = _matrices(lab.dtype, lab.device)
    rgb = linear_to_srgb(torch.matmul(rgb_from_xyz, xyz)).reshape(lab.shape)
    return rgb.clamp(0.0, 1.0) if clip else rgb


def normalize_l(L: torch.Tensor) -> torch.Tensor:
    """Model input: L in [0, 100] -> [-1, 1]."""
    return L / L_CENTER - 1.0


def denormalize_l(x: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`normalize_l`: [-1, 1] -> L in [0, 100]."""
    return (x + 1.0) * L_CENTER


def normalize_ab(ab: torch.Tensor) -> torch.Tensor:
    """Model target/output: ab in Lab units -> about [-1, 1] (divide by 110)."""
    return ab / AB_SCALE


def denormalize_ab(x: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`normalize_ab`: network output -> ab in Lab units."""
    return x * AB_SCALE


def split_lab(lab: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(..., 3, H, W)`` Lab -> (L ``(..., 1, H, W)``, ab ``(..., 2, H, W)``)."""
    checks.image_batch(lab, 3, "lab", leading="...")
    return lab[..., :1, :, :], lab[..., 1:, :, :]


def merge_lab(L: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
    """(L ``(..., 1, H, W)``, ab ``(..., 2, H, W)``) -> Lab ``(..., 3, H, W)``."""
    if L.shape[-3] != 1 or ab.shape[-3] != 2 or L.shape[-2:] != ab.shape[-2:]:
        raise ValueError(
            "expected L (..., 1, H, W) and ab (..., 2, H, W), "
            f"got {tuple(L.shape)} and {tuple(ab.shape)}"
        )
    return torch.cat((L, ab.to(L.dtype)), dim=-3)
