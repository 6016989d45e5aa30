"""Argument checks for image tensors: one wording for every shape error in the package.

The core modules (:mod:`colorlib.lab`, :mod:`colorlib.gamut`, :mod:`colorlib.losses`,
:mod:`colorlib.metrics`, :mod:`colorlib.widgets`) check their tensor arguments here
first, so a wrong argument fails at once with one line that names the function, the
argument, the shape it must have and what it got, for example::

    ab_l2: pred must be shaped (N, 2, H, W), got (2, 32, 32)

Shapes are checked everywhere; values only where the caller asks for it, since
reading a value of a GPU tensor waits for the device (a cost a loss computed every
training step should not pay).
"""

from __future__ import annotations

import torch

__all__ = ["image_batch", "pixel_weights", "same_shape", "tensor", "unit_range"]


def _prefix(what: str) -> str:
    return f"{what}: " if what else ""


def tensor(x: object, name: str, what: str = "", shape: str = "") -> torch.Tensor:
    """``x`` itself if it is a torch.Tensor, else TypeError naming ``name`` (in ``what``)
    and, when given, the ``shape`` it must have."""
    if not isinstance(x, torch.Tensor):
        shaped = f" shaped {shape}" if shape else ""
        raise TypeError(
            f"{_prefix(what)}{name} must be a torch.Tensor{shaped}, got {type(x).__name__}"
        )
    return x


def image_batch(
    x: object,
    channels: int | None,
    name: str,
    what: str = "",
    *,
    leading: str = "N",
    floating: bool = False,
) -> torch.Tensor:
    """``x`` if it is an image tensor of ``channels`` channels, else a one-line error.

    Args:
        x: the argument to check.
        channels: the channel count C it must have; None: any.
        name: the argument's name in the message (``"ab"``, ``"pred"``).
        what: the function's name, the message's prefix (may be empty).
        leading: ``"N"``: exactly ``(N, C, H, W)``; ``"..."``: any leading dimensions,
            ``(..., C, H, W)`` (at least three dimensions).
        floating: also require a floating-point dtype.

    Returns:
        ``x`` unchanged.

    Raises:
        TypeError: not a tensor, or an integer dtype when ``floating`` is set.
        ValueError: the wrong shape.
    """
    shape = f"({leading}, {'C' if channels is None else channels}, H, W)"
    x = tensor(x, name, what, shape)
    rank_ok = x.dim() == 4 if leading == "N" else x.dim() >= 3
    if not rank_ok or (channels is not None and x.shape[-3] != channels):
        raise ValueError(f"{_prefix(what)}{name} must be shaped {shape}, got {tuple(x.shape)}")
    if floating and not x.is_floating_point():
        raise TypeError(f"{_prefix(what)}{name} must be floating point, got {x.dtype}")
    return x


def same_shape(
    first: torch.Tensor, second: torch.Tensor, names: tuple[str, str], what: str = ""
) -> None:
    """ValueError when two checked tensors differ in shape (names them both)."""
    if first.shape != second.shape:
        raise ValueError(
            f"{_prefix(what)}{names[0]} and {names[1]} shapes differ: "
            f"{tuple(first.shape)} vs {tuple(second.shape)}"
        )


def pixel_weights(
    weights: object, reference: torch.Tensor, what: str = "", *, values: bool = False
) -> torch.Tensor:
    """Per-pixel weights ``(N, H, W)`` for images ``reference`` ``(N, C, H, W)``.

    Args:
        weights: the argument to check.
        reference: the images they weight.
        what: the function's name, for the message.
        values: also require finite weights >= 0 with a positive sum in every image
            (reads the values: a device sync on a GPU).

    Returns:
        ``weights`` unchanged.
    """
    weights = tensor(weights, "pixel_weights", what)
    n, _, h, w = reference.shape
    if tuple(weights.shape) != (n, h, w):
        raise ValueError(
            f"{_prefix(what)}pixel_weights must be shaped (N, H, W) = {(n, h, w)}, "
            f"got {tuple(weights.shape)}"
        )
    if values:
        as_float = weights.detach().double()
        if not bool(torch.isfinite(as_float).all()) or bool((as_float < 0).any()):
            raise ValueError(f"{_prefix(what)}pixel_weights must be finite and >= 0")
        if bool((as_float.flatten(1).sum(dim=1) <= 0).any()):
            raise ValueError(
                f"{_prefix(what)}pixel_weights must have a positive sum in every image"
            )
    return weights


def unit_range(rgb: torch.Tensor, name: str, what: str = "", tolerance: float = 0.0) -> None:
    """ValueError unless every value of ``rgb`` lies in [0, 1] (give or take ``tolerance``)."""
    low, high = float(rgb.min()), float(rgb.max())
    if low < -tolerance or high > 1.0 + tolerance:
        raise ValueError(
            f"{_prefix(what)}{name} must be sRGB in [0, 1], got values in [{low:.4g}, {high:.4g}]"
        )
