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
"""

from __future__ import annotations

import functools

import numpy as np
import torch

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


def _check_channels(x: torch.Tensor, name: str) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(
            f"{name} must be a torch.Tensor shaped (..., 3, H, W), got {type(x).__name__}"
        )
    if x.dim() < 3 or x.shape[-3] != 3:
        raise ValueError(f"{name} must be shaped (..., 3, H, W), got {tuple(x.shape)}")


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
    if t.device.type == "cpu" and not _needs_grad(t):
        return torch.from_numpy(np.cbrt(t.detach().numpy()))
    return t.clamp(min=_LAB_EPSILON) ** (1 / 3)  # clamp: finite gradient at 0


def _lab_f(t: torch.Tensor) -> torch.Tensor:
    """CIE's f(t): a cube root, with a linear segment near black (finite gradient)."""
    linear_segment = (t + _LAB_OFFSET / _LAB_KAPPA).mul_(_LAB_KAPPA)
    return torch.where(t > _LAB_EPSILON, _cube_root(t), linear_segment)


def _lab_f_inverse(f: torch.Tensor) -> torch.Tensor:
    return torch.where(f > _LAB_INV_KNEE, f**3, (f - _LAB_OFFSET) / _LAB_KAPPA)


def _pixels(x: torch.Tensor) -> torch.Tensor:
    """``(..., 3, H, W)`` -> ``(B, 3, H*W)`` so 3x3 colour matrices apply as one matmul."""
    return x.reshape(-1, 3, x.shape[-2] * x.shape[-1])


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
    _check_channels(rgb, "rgb")
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
    _check_channels(lab, "lab")
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
    _check_channels(lab, "lab")
    return lab[..., :1, :, :], lab[..., 1:, :, :]


def merge_lab(L: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
    """(L ``(..., 1, H, W)``, ab ``(..., 2, H, W)``) -> Lab ``(..., 3, H, W)``."""
    if L.shape[-3] != 1 or ab.shape[-3] != 2 or L.shape[-2:] != ab.shape[-2:]:
        raise ValueError(
            "expected L (..., 1, H, W) and ab (..., 2, H, W), "
            f"got {tuple(L.shape)} and {tuple(ab.shape)}"
        )
    return torch.cat((L, ab.to(L.dtype)), dim=-3)
