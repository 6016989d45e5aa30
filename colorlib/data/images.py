"""Image files and arrays -> uint8 sRGB, converting every common mode (Pillow).

:func:`read_image` decodes one file to a (3, H, W) tensor and :func:`to_rgb_array`
turns a Pillow image or a numpy array into an (H, W, 3) array; both convert CMYK,
16-bit, palette, alpha and grayscale images as listed under *Bad image files* in the
:mod:`colorlib.data` docstring, and raise :class:`BadImageError` for anything else.
"""

from __future__ import annotations

import os

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from colorlib.data.roots import BadImageError


def read_image(path: str | os.PathLike) -> torch.Tensor:
    """Decode one image file to sRGB with Pillow, converting what can be converted.

    The conversions are listed under *Bad image files* in the :mod:`colorlib.data`
    docstring. (Pillow rather than ``torchvision.io``: torchvision deprecated its
    decoders in 0.29.)

    Returns:
        uint8 tensor (3, H, W), sRGB in [0, 255].

    Raises:
        BadImageError: the file is not a usable image; the message says why.
    """
    try:
        with Image.open(path) as image:
            image.load()
            array = _pil_to_rgb_array(ImageOps.exif_transpose(image))
    except BadImageError:
        raise
    except UnidentifiedImageError:
        raise BadImageError("not an image") from None
    except Exception as err:  # Pillow plugins raise many types; one bad file must not stop us
        raise BadImageError(f"unreadable ({type(err).__name__}: {err})") from None
    return torch.from_numpy(np.array(array, dtype=np.uint8)).permute(2, 0, 1).contiguous()


def to_rgb_array(image: Image.Image | np.ndarray) -> np.ndarray:
    """A Pillow image or numpy array, in any common mode, -> uint8 ``(H, W, 3)`` sRGB.

    Pillow images are converted as listed under *Bad image files* in the
    :mod:`colorlib.data` docstring. numpy arrays: ``(H, W)`` gray, ``(H, W, 3)`` RGB or
    ``(H, W, 4)`` RGBA, as uint8, uint16 (scaled by 1/257) or float in [0, 1] (clipped,
    then x 255).

    Raises:
        BadImageError: an array of another shape or dtype, or an unsupported mode.
    """
    if isinstance(image, Image.Image):
        return _pil_to_rgb_array(image)
    array = np.asarray(image)
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise BadImageError(f"expected an (H, W), (H, W, 3) or (H, W, 4) array, got {array.shape}")
    if array.dtype == np.uint16:
        array = np.round(array / 257.0).astype(np.uint8)
    elif np.issubdtype(array.dtype, np.floating):
        array = np.round(np.clip(np.nan_to_num(array), 0.0, 1.0) * 255.0).astype(np.uint8)
    elif array.dtype != np.uint8:
        raise BadImageError(f"expected uint8, uint16 or float pixels, got {array.dtype}")
    return _pil_to_rgb_array(Image.fromarray(np.ascontiguousarray(array)))


def _pil_to_rgb_array(image: Image.Image) -> np.ndarray:
    """A decoded Pillow image -> uint8 (H, W, 3) sRGB (conversions in the package doc)."""
    mode = image.mode
    if mode == "RGB":
        return np.asarray(image)
    if mode.startswith("I;16") or mode == "I":
        values = np.asarray(image).astype(np.int64)
        if values.min() < 0 or values.max() > 65535:
            raise BadImageError(f"mode {mode} with values outside 16 bits")
        gray = np.round(values / 257.0).astype(np.uint8)  # 65535 -> 255, exactly scaled
        return np.repeat(gray[..., None], 3, axis=2)
    has_alpha = mode in ("RGBA", "RGBa", "LA", "La", "PA") or (
        mode == "P" and "transparency" in image.info
    )
    if has_alpha:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(white, rgba).convert("RGB"))
    if mode in ("L", "1", "P", "CMYK", "YCbCr", "RGBX"):
        return np.asarray(image.convert("RGB"))
    raise BadImageError(f"unsupported image mode {mode}")
