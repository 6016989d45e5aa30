"""The pieces every image figure is made of: one panel, one picture, one figure.

A *picture* here is what ``imshow`` draws: a numpy ``(H, W, 3)`` array, uint8 in
0..255 or float in [0, 1]. :func:`as_pictures` makes pictures from what the rest of
colorlib holds: torch batches ``(N, 3, H, W)`` (or ``(N, 1, H, W)``, drawn as grey)
in [0, 1], uint8 ``(H, W, 3)`` arrays from :func:`colorlib.evaluate.full_size`, or
lists of either.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from colorlib.lab import lab_to_rgb, merge_lab

__all__ = [
    "PANEL_INCHES",
    "as_batch",
    "as_pictures",
    "gray_rgb",
    "panel_figure",
    "show_picture",
    "show_rgb",
]

PANEL_INCHES = 1.6  # side of one image panel, in inches (matplotlib draws 100 px per inch)


def show_picture(
    ax: Axes, picture: np.ndarray, title: str | None = None, interpolation: str = "nearest"
) -> None:
    """Draw one picture (see :func:`as_pictures`) on ``ax``, without ticks."""
    ax.imshow(picture, interpolation=interpolation)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)


def show_rgb(ax: Axes, rgb: torch.Tensor, title: str | None = None) -> None:
    """Draw one RGB image ``(3, H, W)`` in [0, 1] on ``ax``, without ticks.

    One-channel ``(1, H, W)`` input is drawn as grey (values in [0, 1]).
    """
    image = rgb.detach().to("cpu", torch.float32)
    if image.dim() != 3 or image.shape[0] not in (1, 3):
        raise ValueError(f"expected an image (3, H, W) or (1, H, W), got {tuple(image.shape)}")
    show_picture(ax, image.expand(3, -1, -1).clamp(0.0, 1.0).permute(1, 2, 0).numpy(), title)


def gray_rgb(L: torch.Tensor) -> torch.Tensor:
    """What the network sees, as a picture: L ``(..., 1, H, W)`` -> RGB with a = b = 0."""
    L = L.detach().float()
    return lab_to_rgb(merge_lab(L, L.new_zeros(L.shape[:-3] + (2,) + L.shape[-2:])))


def as_batch(rgb: torch.Tensor, name: str = "rgb") -> torch.Tensor:
    """(3, H, W) or (N, 3, H, W) (or one channel) -> (N, C, H, W) float32 on the CPU."""
    if not isinstance(rgb, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(rgb).__name__}")
    x = rgb.detach().to("cpu", torch.float32)
    if x.dim() == 3:
        x = x.unsqueeze(0)
    if x.dim() != 4 or x.shape[1] not in (1, 3):
        raise ValueError(f"{name} must be shaped (N, 3, H, W), got {tuple(rgb.shape)}")
    return x


def _array_picture(array: np.ndarray, name: str) -> np.ndarray:
    """One numpy ``(H, W, 3)``, ``(H, W, 1)`` or ``(H, W)`` array -> a picture."""
    if array.ndim == 2:
        array = array[..., None]
    if array.ndim != 3 or array.shape[-1] not in (1, 3):
        raise ValueError(f"{name}: a numpy picture must be (H, W, 3), got {array.shape}")
    array = np.repeat(array, 3, axis=-1) if array.shape[-1] == 1 else array
    if array.dtype == np.uint8:
        return array
    return np.clip(array.astype(np.float32), 0.0, 1.0)


def as_pictures(images: object, name: str = "images") -> list[np.ndarray]:
    """Whatever holds images -> a list of pictures ``(H, W, 3)`` for ``imshow``.

    Args:
        images: a torch tensor ``(N, 3, H, W)`` or ``(3, H, W)`` (one channel: grey),
            float sRGB in [0, 1] or uint8 in 0..255; a numpy array ``(N, H, W, 3)`` or
            ``(H, W, 3)``, uint8 in 0..255 or float in [0, 1]; or a list of single
            images of either kind (they may differ in size).
        name: what to call ``images`` in error messages.

    Returns:
        One picture per image: uint8 arrays stay uint8, anything else becomes float32
        clipped to [0, 1].
    """
    if isinstance(images, torch.Tensor):
        batch = images.detach().cpu()
        batch = batch.float() / 255.0 if batch.dtype == torch.uint8 else batch.float()
        batch = as_batch(batch, name).clamp(0.0, 1.0)
        return [image.expand(3, -1, -1).permute(1, 2, 0).numpy() for image in batch]
    if isinstance(images, np.ndarray):
        if images.ndim == 4:
            return [_array_picture(image, name) for image in images]
        return [_array_picture(images, name)]
    if isinstance(images, Sequence) and not isinstance(images, str):
        return [picture for image in images for picture in as_pictures(image, name)]
    raise TypeError(f"{name}: expected a tensor, a numpy array or a list, got {type(images)}")


def panel_figure(
    rows: int, cols: int, panel: float = PANEL_INCHES, extra_width: float = 0.0
) -> tuple[Figure, np.ndarray]:
    """A constrained-layout Figure with a ``(rows, cols)`` array of axes."""
    fig = Figure(figsize=(cols * panel + extra_width, rows * panel + 0.4), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    return fig, axes
