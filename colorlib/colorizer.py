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
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from colorlib.data import to_rgb_array
from colorlib.gamut import ANNEAL_T, ABGamut
from colorlib.lab import denormalize_ab, lab_to_rgb, merge_lab, normalize_l, rgb_to_lab, split_lab
from colorlib.models import upsample_ab

__all__ = ["Colorizer", "colorize"]


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

    def to_ab(self, output: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        """The network's raw output -> ab ``(N, 2, *size)`` in Lab units (float32)."""
        output = output.float()
        ab = denormalize_ab(output) if self.gamut is None else self.gamut.decode(output, T=self.T)
        return ab if tuple(ab.shape[-2:]) == tuple(size) else upsample_ab(ab, tuple(size))

    def forward(self, L: torch.Tensor) -> torch.Tensor:
        return self.to_ab(self.network(normalize_l(L)), L.shape[-2:])


def colorize(model: torch.nn.Module, image: Image.Image | np.ndarray) -> np.ndarray:
    """Colorize one image with ``model``; keep its size and its lightness.

    Args:
        model: a colorizer (``colorlib.pretrained.load(name)``): L ``(N, 1, S, S)`` in
            Lab units -> ab ``(N, 2, S, S)`` in Lab units, with an ``image_size``
            attribute S. Run on the model's device.
        image: a Pillow image or numpy array of any size; gray, RGB, RGBA, palette,
            CMYK or 16-bit. Any colour it has is discarded: only its L is used.

    Returns:
        uint8 ``(H, W, 3)`` sRGB array of the input's height and width.
    """
    rgb = torch.from_numpy(np.array(to_rgb_array(image))).permute(2, 0, 1)  # writable copy
    height, width = rgb.shape[-2:]
    L, _ = split_lab(rgb_to_lab(rgb[None]))  # (1, 1, H, W), float32
    size = int(model.image_size)
    device = next(model.parameters()).device
    small_L = F.interpolate(L, size=(size, size), mode="bilinear", antialias=True)
    with torch.no_grad():
        small_ab = model(small_L.to(device)).float().cpu()
    ab = F.interpolate(small_ab, size=(height, width), mode="bilinear", align_corners=False)
    out = lab_to_rgb(merge_lab(L, ab))[0]
    return out.mul(255).round_().to(torch.uint8).permute(1, 2, 0).numpy()
