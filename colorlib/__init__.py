"""colorlib: automatic image colorization, taught and reproduced.

Given the L (lightness) channel of a CIE Lab image, predict its a and b channels.

Public API (see each module's docstring for shapes, ranges and units):

- :func:`rgb_to_lab`, :func:`lab_to_rgb` and the L/ab normalisation: :mod:`colorlib.lab`
- quantized ab space (bins, soft encoding, prior, annealed mean): :mod:`colorlib.gamut`
- networks: :mod:`colorlib.models`
- training losses: :mod:`colorlib.losses`
- evaluation metrics: :mod:`colorlib.metrics`
- the training engine: :mod:`colorlib.train`; shipped colorizers: :mod:`colorlib.pretrained`
- :func:`colorize` any photo with a :class:`Colorizer`
- datasets (CIFAR-10, Downsampled ImageNet, photo folders, the bundled sample): :mod:`colorlib.data`

Every name below, and every submodule (``colorlib.lab``, ``colorlib.records``, ...), is
imported on first use (PEP 562 ``__getattr__``), so ``import colorlib`` alone does not
load torch.
"""

import importlib
import importlib.util

__version__ = "0.1.0"

__all__ = [
    "Colorizer",
    "colorize",
    "pretrained",
    "tasks",
    "train",
    "AB_SCALE",
    "L_CENTER",
    "denormalize_ab",
    "data",
    "denormalize_l",
    "gamut",
    "lab_to_rgb",
    "losses",
    "merge_lab",
    "metrics",
    "models",
    "normalize_ab",
    "normalize_l",
    "rgb_to_lab",
    "split_lab",
]

_LAB = ("AB_SCALE", "L_CENTER", "denormalize_ab", "denormalize_l", "lab_to_rgb", "merge_lab",
        "normalize_ab", "normalize_l", "rgb_to_lab", "split_lab")  # fmt: skip
_HOMES = {"Colorizer": "colorizer", "colorize": "colorizer", **dict.fromkeys(_LAB, "lab")}
"""Where each public function or class lives; the other public names are submodules."""


def __getattr__(name: str):
    """``colorlib.NAME``: a public function or class, or any submodule, imported now."""
    if name in _HOMES:
        value = getattr(importlib.import_module(f"colorlib.{_HOMES[name]}"), name)
    elif not name.startswith("_") and importlib.util.find_spec(f"colorlib.{name}") is not None:
        value = importlib.import_module(f"colorlib.{name}")
    else:
        raise AttributeError(f"module 'colorlib' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
