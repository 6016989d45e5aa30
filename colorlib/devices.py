"""Where a run computes, in which precision, and how it stays reproducible.

:func:`resolve_device` turns ``"auto"`` or a device name into a torch device that
this machine really has (a one-line ValueError otherwise, before any data loads);
:func:`resolve_precision` picks the arithmetic of the forward passes (bfloat16 where
the hardware runs it natively, float32 elsewhere);
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

from colorlib.profiles import PRECISIONS

__all__ = [
    "PRECISIONS",
    "autocast_dtype",
    "cpu_has_bf16",
    "epoch_seed",
    "resolve_device",
    "resolve_precision",
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


# ------------------------------------------------------------------ precision

_CPU_BF16_FLAGS = ("amx_bf16", "avx512_bf16")
"""CPU flags (``/proc/cpuinfo``, ``lscpu``) of native bfloat16 arithmetic: Intel's AMX
matrix units and AVX512-BF16. Without them oneDNN emulates bf16, slower than float32."""


def cpu_has_bf16(cpuinfo: str | os.PathLike = "/proc/cpuinfo") -> bool:
    """Whether this CPU does bfloat16 arithmetic natively (AMX or AVX512-BF16).

    Reads the ``flags`` lines of ``cpuinfo`` (Linux); False where that file does not
    exist (macOS, Windows) or names neither flag, so that ``precision="auto"`` never
    slows a laptop down by emulating bf16.
    """
    try:
        with open(cpuinfo, encoding="utf-8", errors="replace") as lines:
            flags = {
                flag
                for line in lines
                if line.startswith("flags")
                for flag in line.partition(":")[2].split()
            }
    except OSError:
        return False
    return any(flag in flags for flag in _CPU_BF16_FLAGS)


def resolve_precision(precision: str, device: torch.device) -> str:
    """``"auto"`` or an explicit precision, checked against ``device``: ``"fp32"``,
    ``"bf16"`` or ``"fp16"``.

    ``"auto"`` picks bf16 where it runs natively (a CUDA GPU that supports it, a CPU
    with AMX or AVX512-BF16, :func:`cpu_has_bf16`), float16 with gradient scaling on an
    older CUDA GPU, and float32 everywhere else (Apple MPS, CPUs without bf16 units).
    Mixed precision means autocast: convolutions and matmuls run in the low precision,
    losses, softmax and reductions stay float32, and weights and Adam's state stay
    float32 (:meth:`colorlib.tasks.Task.setup`).

    Raises:
        ValueError: an unknown name; fp16 off CUDA (on the CPU it is slow and needs
            gradient scaling: use bf16 or fp32); bf16 on MPS or on a GPU without it.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    cuda = device.type == "cuda"
    cuda_bf16 = cuda and torch.cuda.is_bf16_supported()
    if precision == "auto":
        if cuda:
            return "bf16" if cuda_bf16 else "fp16"
        return "bf16" if device.type == "cpu" and cpu_has_bf16() else "fp32"
    if precision == "fp16" and not cuda:
        raise ValueError(
            f"precision fp16 runs on CUDA only (on {device.type} it is slow and needs "
            "gradient scaling); use bf16 or fp32"
        )
    if precision == "bf16" and (device.type == "mps" or (cuda and not cuda_bf16)):
        raise ValueError(f"precision bf16 is not supported on {device}; use fp32 (or fp16 on CUDA)")
    return precision


def autocast_dtype(precision: str) -> torch.dtype | None:
    """The autocast dtype of a resolved precision (None: float32, no autocast)."""
    return {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]
