"""Registry of trained colorizers shipped with the project in ``data/checkpoints``.

Each ``data/checkpoints/<name>.pt`` is a weight export written by
:func:`colorlib.checkpoint.export_weights` (format ``"colorlib.weights/3"``: network class
and constructor arguments, int8 weight matrices and fp16 rest, the task kind and its
decoding settings, the training image size and a one-line description). Loading uses
``torch.load(weights_only=True)``: no code is unpickled.

>>> import colorlib
>>> colorlib.pretrained.available()            # names of the shipped colorizers
>>> model = colorlib.pretrained.load(name)      # a Colorizer, in eval mode
>>> ab = model(L)                               # L (N, 1, S, S) -> ab (N, 2, S, S), Lab units

The shipped weights are made by the full profile of :mod:`colorlib.experiments`
(``python -m colorlib train --experiment NAME --profile full``).
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from colorlib.checkpoint import (
    CHECKPOINT_FORMAT,
    COLORIZER_CLASSES,
    MAX_SETTING,
    LoadedCheckpoint,
    load_checkpoint,
)
from colorlib.colorizer import Colorizer
from colorlib.data import PROJECT_DATA
from colorlib.devices import resolve_device
from colorlib.gamut import ANNEAL_T, ABGamut

__all__ = ["CHECKPOINTS", "CLASSIFIERS", "available", "check_colorizer", "describe", "load"]

CHECKPOINTS = PROJECT_DATA / "checkpoints"
"""Where shipped weights live: ``<project>/data/checkpoints/<name>.pt``."""

CLASSIFIERS = CHECKPOINTS / "classifiers"
"""Shipped networks that are not colorizers (notebook 05's judge); not listed by
:func:`available`."""


def available(root: str | os.PathLike | None = None) -> list[str]:
    """Names of the colorizers in ``root`` (default :data:`CHECKPOINTS`), sorted."""
    folder = Path(root) if root is not None else CHECKPOINTS
    return sorted(p.stem for p in folder.glob("*.pt")) if folder.is_dir() else []


def _resolve(name: str, root: str | os.PathLike | None) -> Path:
    candidate = Path(name)
    if candidate.suffix == ".pt" and candidate.is_file():
        return candidate
    folder = Path(root) if root is not None else CHECKPOINTS
    path = folder / f"{name}.pt"
    if not path.is_file():
        names = ", ".join(available(root)) or "none"
        raise ValueError(f"unknown model {name!r} in {folder}; available: {names}")
    return path


def describe(name: str, root: str | os.PathLike | None = None) -> dict:
    """Plain facts about a shipped colorizer: kind, network, image size, description."""
    checkpoint = load_checkpoint(_resolve(name, root))
    spec = checkpoint.networks[checkpoint.predict_network]
    return {
        "name": name,
        "kind": checkpoint.kind,
        "network": spec["class"],
        "kwargs": spec["kwargs"],
        "image_size": checkpoint.raw.get("image_size"),
        "description": checkpoint.raw.get("description", ""),
    }


def load(
    name: str, device: str | torch.device = "cpu", root: str | os.PathLike | None = None
) -> Colorizer:
    """Load a colorizer by name (or from a ``.pt`` path), in eval mode on ``device``
    (``"auto"``, ``"cpu"``, ``"cuda"`` ...: :func:`colorlib.devices.resolve_device`).

    Returns:
        A :class:`colorlib.colorizer.Colorizer`: L ``(N, 1, S, S)`` in Lab units (0-100)
        -> ab ``(N, 2, S, S)`` in Lab units, with ``.image_size`` = the training S.
        Normalisation, bin decoding (annealed mean at the saved T) and upsampling
        happen inside.

    Raises:
        ValueError: one line: a device this machine lacks or a name that is not a
            device, an unknown name (the message lists the available ones),
            a file that is not a colorlib weight export (a training checkpoint, a
            classifier, another file), or one whose header does not describe a
            colorizer its weights fit (:func:`check_colorizer`). Checked before any
            network is built.
    """
    device = resolve_device(device)  # a bad or missing device: refused before loading
    path = _resolve(name, root)
    checkpoint = load_checkpoint(path)
    try:
        image_size, gamut, T = check_colorizer(checkpoint)
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None
    colorizer = Colorizer(checkpoint.build(), image_size=image_size, gamut=gamut, T=T)
    return colorizer.to(device).eval()


def check_colorizer(checkpoint: LoadedCheckpoint) -> tuple[int, ABGamut | None, float]:
    """What a weight export's header promises, checked before its network is built.

    The file must be a weight export (a training checkpoint has no image size; export
    it with ``train --export``), its predicting network one of
    :data:`colorlib.checkpoint.COLORIZER_CLASSES`, its ``image_size`` an int from 1 to
    :data:`colorlib.checkpoint.MAX_SETTING`, a bins model's ``centers`` a ``(Q, 2)``
    tensor and ``T`` a finite number >= 0; and the network (built on the ``meta``
    device: no memory) must map L ``(1, 1, S, S)`` to 2 channels (ab), or Q for a
    bins model (``kind`` ``"classification"``).

    Returns:
        ``(image_size S, gamut or None, T)`` for :class:`Colorizer`.

    Raises:
        ValueError: one line saying what is wrong.
    """
    if checkpoint.raw.get("format") == CHECKPOINT_FORMAT:
        raise ValueError(
            "a training checkpoint, not colorizer weights; export weights from it with "
            "the same train command and --export FILE.pt (the run resumes and exports)"
        )
    networks = checkpoint.networks if isinstance(checkpoint.networks, dict) else {}
    spec = networks.get(checkpoint.predict_network) if isinstance(checkpoint.predict_network,
                                                                  str) else None  # fmt: skip
    cls = spec.get("class") if isinstance(spec, dict) else None
    config = checkpoint.config if isinstance(checkpoint.config, dict) else {}
    if cls not in COLORIZER_CLASSES:
        raise ValueError(
            f"not a colorizer: its network is {str(cls)[:60]!r} (a {checkpoint.kind!s:.20} "
            f"model); colorizers are {', '.join(COLORIZER_CLASSES)}"
        )
    size = checkpoint.raw.get("image_size")
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_SETTING:
        raise ValueError(f"image_size {str(size)[:40]} is not an int from 1 to {MAX_SETTING}")
    T = config.get("T", ANNEAL_T)
    if isinstance(T, bool) or not isinstance(T, int | float) or not 0 <= T < float("inf"):
        raise ValueError(f"temperature T {str(T)[:40]} is not a finite number >= 0")
    gamut = _gamut(config) if checkpoint.kind == "classification" else None
    channels = 2 if gamut is None else len(gamut.centers)
    network = checkpoint.skeleton()
    try:
        with torch.device("meta"):
            out = network(torch.empty(1, 1, size, size))
    except (RuntimeError, ValueError, TypeError) as err:
        raise ValueError(f"its {cls} does not take L at {size}x{size} ({err})") from None
    if out.ndim != 4 or out.shape[1] != channels:
        what = f"{channels} bin logits" if gamut is not None else "2 channels (ab)"
        raise ValueError(
            f"its {cls} predicts {out.shape[1] if out.ndim == 4 else tuple(out.shape)} "
            f"channels, not the {what} its kind {checkpoint.kind!r} needs"
        )
    return size, gamut, float(T)


def _gamut(config: dict) -> ABGamut:
    """The ab bins of a bins model's header ``config``: ``centers`` ``(Q, 2)`` floating,
    2 <= Q <= MAX_SETTING, and its ``grid``."""
    centers = config.get("centers")
    if not (
        isinstance(centers, torch.Tensor)
        and centers.is_floating_point()
        and centers.ndim == 2
        and centers.shape[1] == 2
        and 2 <= centers.shape[0] <= MAX_SETTING
        and bool(torch.isfinite(centers).all())
    ):
        raise ValueError("a bins model whose header has no (Q, 2) tensor of bin centres")
    return ABGamut(centers=centers, grid=config.get("grid"))
