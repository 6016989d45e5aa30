"""Registry of trained colorizers shipped with the project in ``data/checkpoints``.

Each ``data/checkpoints/<name>.pt`` is a weight export written by
:func:`colorlib.checkpoint.export_weights` (format ``"colorlib.weights/2"``: network class
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

from colorlib.checkpoint import load_checkpoint
from colorlib.colorizer import Colorizer
from colorlib.data import PROJECT_DATA
from colorlib.gamut import ANNEAL_T, ABGamut

__all__ = ["CHECKPOINTS", "CLASSIFIERS", "available", "describe", "load"]

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
    """Load a colorizer by name (or from a ``.pt`` path), in eval mode on ``device``.

    Returns:
        A :class:`colorlib.colorizer.Colorizer`: L ``(N, 1, S, S)`` in Lab units (0-100)
        -> ab ``(N, 2, S, S)`` in Lab units, with ``.image_size`` = the training S.
        Normalisation, bin decoding (annealed mean at the saved T) and upsampling
        happen inside.

    Raises:
        ValueError: unknown name (the message lists the available ones) or a file
            that is not a colorlib checkpoint.
    """
    checkpoint = load_checkpoint(_resolve(name, root))
    gamut = None
    if checkpoint.kind == "classification":
        gamut = ABGamut(centers=checkpoint.config["centers"], grid=checkpoint.config.get("grid"))
    colorizer = Colorizer(
        checkpoint.build(),
        image_size=checkpoint.raw.get("image_size"),
        gamut=gamut,
        T=checkpoint.config.get("T", ANNEAL_T),
    )
    return colorizer.to(device).eval()
