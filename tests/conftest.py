"""Shared fixtures: small real photos from scikit-image's bundled data."""

from __future__ import annotations

import numpy as np
import pytest
import torch

# Colour photos shipped inside the scikit-image wheel (no download needed).
SKIMAGE_PHOTOS = ("astronaut", "coffee", "chelsea", "rocket")


def skimage_photos(size: int = 64) -> torch.Tensor:
    """The scikit-image colour photos, centre-cropped square and resized.

    Returns:
        float32 sRGB in [0, 1], shape (4, 3, size, size).
    """
    from PIL import Image
    from skimage import data

    out = []
    for name in SKIMAGE_PHOTOS:
        img = getattr(data, name)()[..., :3]
        h, w = img.shape[:2]
        s = min(h, w)
        top, left = (h - s) // 2, (w - s) // 2
        crop = Image.fromarray(img[top : top + s, left : left + s])
        crop = crop.resize((size, size), Image.Resampling.BICUBIC)
        out.append(torch.from_numpy(np.asarray(crop).copy()).permute(2, 0, 1))
    return torch.stack(out).float() / 255.0


@pytest.fixture(scope="session")
def photos64() -> torch.Tensor:
    """(4, 3, 64, 64) float32 sRGB in [0, 1]: astronaut, coffee, chelsea, rocket."""
    return skimage_photos(64)


@pytest.fixture(scope="session")
def photos32() -> torch.Tensor:
    """(4, 3, 32, 32) float32 sRGB in [0, 1]: astronaut, coffee, chelsea, rocket."""
    return skimage_photos(32)


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)
    np.random.seed(0)
