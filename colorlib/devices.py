"""Where a run computes and how it stays reproducible: device choice and seeding.

:func:`resolve_device` turns ``"auto"`` or a device name into a torch device that
this machine really has (a one-line ValueError otherwise, before any data loads);
:func:`seed_everything` seeds python, numpy and torch and asks for deterministic
kernels; :func:`seed_streams` and :func:`epoch_seed` reseed every stream at the
start of each epoch of :func:`colorlib.train.fit` from ``(seed, epoch, rank)``, so
an epoch depends only on the weights at its start and on (seed, epoch).
"""

from __future__ import annotations

import os
import random

import numpy as np
import torch

__all__ = [
    "epoch_seed",
    "resolve_device",
    "seed_everything",
    "seed_streams",
]


def seed_everything(seed: int) -> None:
    """Seed python, numpy and torch (CPU and CUDA) and ask for deterministic kernels.

    Also sets ``torch.use_deterministic_algorithms(True, warn_only=True)``,
    ``cudnn.benchmark = False`` and, when CUDA is present,
    ``CUBLAS_WORKSPACE_CONFIG=:4096:8`` (unless already set).
    """
    if torch.cuda.is_available():
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.benchmark = False
    seed_streams(seed)


def seed_streams(seed: int) -> None:
    """Seed python's ``random``, numpy's global RNG (``seed mod 2**32``) and torch
    (CPU and every CUDA device) with ``seed``; no other setting changes."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # also every CUDA device


def epoch_seed(seed: int, epoch: int, rank: int) -> int:
    """A 32-bit seed that depends only on (seed, epoch, rank)."""
    return int(np.random.SeedSequence([seed, epoch, rank]).generate_state(1)[0])


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"``: CUDA if available, else Apple MPS, else CPU; anything else as given.

    Raises:
        ValueError: ``device`` is not a torch device name, or names a CUDA GPU or MPS
            this machine does not have; the message says what to use instead.
    """
    if str(device) != "auto":
        return _available_device(device)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def _available_device(device: str | torch.device) -> torch.device:
    """``torch.device(device)``, checked to exist on this machine (CUDA and MPS)."""
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise ValueError(
            f"device {str(device)!r} is not a device name; use auto, cpu, cuda, cuda:N or mps"
        ) from None
    if resolved.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise ValueError(f"device {resolved}: no CUDA GPU is available here; use cpu or auto")
        if resolved.index is not None and resolved.index >= count:
            raise ValueError(
                f"device {resolved}: this machine has {count} CUDA GPU(s), "
                f"cuda:0 to cuda:{count - 1}; use one of those or auto"
            )
    if resolved.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device {resolved}: Apple MPS is not available here; use cpu or auto")
    return resolved
