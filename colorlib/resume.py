"""Resuming a training run: the ``last.pt`` and ``history.json`` that
:func:`colorlib.train.fit` writes after each epoch, and the checks before it
continues from them.

Not :mod:`colorlib.checkpoint`: that module is the weight *format* (the task
:func:`~colorlib.checkpoint.header`, ``export_weights`` and ``load_checkpoint``,
which reads a shipped export and a training checkpoint alike, to colourise). This
module is about *continuing a run*: it saves the whole training state with the
settings the run was started with, and refuses (one-line ValueError, the file left
in place) to resume from a file that is unreadable, incomplete, of another task or
of other settings, since that would mix two configurations.

Checkpoint format (``"colorlib.train/1"``; ``torch.load(path, weights_only=True)``)
-------------------------------------------------------------------------------------
``{"format", "kind": task kind, "config": plain task settings (e.g. loss name, T,
bin centres as a tensor), "networks": {name: {"class": "ZhangNet", "kwargs": {...}
or None}}, "predict_network": name of the network that colourises, "state": {"nets":
state dicts, "optimizers", "scalers", "extra": task state such as an image pool},
"schedulers", "run": the fit() settings a resume must share (batch_size, seed,
lr_schedule, patience, drop_last, train_images, precision), "epoch": epochs completed, "step":
optimizer steps, "rng": {"torch", "numpy", "python", "cuda"} as tensors, "history":
list of dicts}``. Resuming with another task config or other "run" settings is
refused (only the epoch count may change): it would mix two configurations. Constructor
kwargs are known when a network was built with :func:`colorlib.tasks.build_network`; otherwise
``None`` and the caller rebuilds it. :mod:`colorlib.checkpoint` holds the format:
``export_weights`` writes the same header with compact weights of the predicting
network only (``"colorlib.weights/3"``: int8 matrices, fp16 rest), and
``load_checkpoint`` reads both.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from colorlib.checkpoint import CHECKPOINT_FORMAT, header, save_atomically
from colorlib.io import atomic_path, host_tag, pid_alive, remove_stale_temps
from colorlib.tasks import Task

__all__ = [
    "HISTORY_FILE",
    "LAST_CHECKPOINT",
    "LOCK_FILE",
    "TRAINING_CHECKPOINT_KEYS",
    "checkpoint_folder",
    "resume_from",
    "run_name",
    "run_settings",
    "save_training_checkpoint",
    "training_lock",
    "write_history",
]

LAST_CHECKPOINT = "last.pt"
"""The training checkpoint's file name in ``checkpoint_dir``."""

HISTORY_FILE = "history.json"
"""The per-epoch history's file name in ``checkpoint_dir`` (JSON list of dicts)."""

def run_name(name: str, seed: int = 0) -> str:
    """The one naming of a run by its seed: ``name`` for seed 0 (the shipped run),
    ``name-seed<k>`` otherwise, so that a run with another seed never resumes this one's
    checkpoint. Run folders, per-seed records and training logs are all named so."""
    return name if seed == 0 else f"{name}-seed{seed}"


LOCK_FILE = ".training.lock"
"""Held in ``checkpoint_dir`` by :func:`training_lock` while a run trains there; it
holds ``HOST PID`` of that run."""

MAX_HISTORY_BYTES = 64 << 20
"""A ``history.json`` larger than this is no training history (one epoch: ~300 bytes)."""

TRAINING_CHECKPOINT_KEYS = ("kind", "config", "networks", "state", "epoch", "step", "history")
"""What :func:`colorlib.train.fit` needs from ``last.pt`` to resume (``"run"`` is
checked when present)."""

_START_AFRESH = "remove it (or move it away) or use another output folder (--out, checkpoint_dir)"


# ------------------------------------------------------------------ writing


def checkpoint_folder(checkpoint_dir: str | os.PathLike | None) -> Path | None:
    """``checkpoint_dir`` as a Path, checked before a run writes there.

    Also deletes the temporary files (``.last.pt.*.tmp``, ``.history.json.*.tmp``)
    that a killed writer left there (:func:`colorlib.io.remove_stale_temps`).

    Raises:
        ValueError: (one line) it exists and is not a folder, or it holds a
            ``history.json`` that no colorlib run wrote (it would be overwritten).
    """
    if checkpoint_dir is None:
        return None
    folder = Path(checkpoint_dir)
    if folder.exists() and not folder.is_dir():
        raise ValueError(
            f"checkpoint folder {folder} exists and is not a folder; choose another (--out)"
        )
    for name in (LAST_CHECKPOINT, HISTORY_FILE):
        remove_stale_temps(folder, f".{name}.*.tmp")
    _check_history(folder / HISTORY_FILE)
    return folder


def _check_history(path: Path) -> None:
    """Refuse a ``history.json`` that is not a list of ``{"epoch", "step", ...}`` records."""
    if not path.exists():
        return
    try:
        ours = path.is_file() and path.stat().st_size <= MAX_HISTORY_BYTES
        records = json.loads(path.read_text(encoding="utf-8")) if ours else None
    except (OSError, UnicodeDecodeError, ValueError):
        records = None
    if not (
        isinstance(records, list)
        and all(isinstance(r, dict) and "epoch" in r and "step" in r for r in records)
    ):
        raise ValueError(
            f"{path} is not a colorlib training history, and training would overwrite it; "
            "move it away or use another output folder (--out, checkpoint_dir)"
        )


@contextlib.contextmanager
def training_lock(checkpoint_dir: str | os.PathLike) -> Iterator[Path]:
    """Hold ``checkpoint_dir/.training.lock`` while a run trains there.

    Two runs training into one folder would overwrite each other's checkpoints, and
    one of them would be lost without a word. The lock is a file created exclusively
    (``O_EXCL``) holding ``HOST PID``; it is removed when the block ends, and taken
    over when its process no longer runs on this host (a killed run). A folder the
    lock created is removed again if the run wrote nothing into it.

    Yields:
        the folder (:func:`checkpoint_folder`'s checks done), created.

    Raises:
        ValueError: (one line) another live run holds the lock, or as
            :func:`checkpoint_folder`.
    """
    folder = checkpoint_folder(checkpoint_dir)
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    lock = folder / LOCK_FILE
    _take_lock(lock)
    try:
        yield folder
    finally:
        lock.unlink(missing_ok=True)
        if created:
            with contextlib.suppress(OSError):
                folder.rmdir()  # only if empty: nothing was written


def _take_lock(lock: Path) -> None:
    """Create ``lock`` exclusively with ``HOST PID``; take over a dead process's lock."""
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = _lock_holder(lock)
            if holder is not None and holder[0] == host_tag() and not pid_alive(holder[1]):
                lock.unlink(missing_ok=True)  # a killed run's: take it over
                continue
            who = f"process {holder[1]} on {holder[0]}" if holder else "another process"
            raise ValueError(
                f"{lock.parent} is in use by another training run ({who}); wait for it to "
                f"end or use another output folder (--out); if no run uses it, delete {lock}"
            ) from None
        with os.fdopen(fd, "w") as file:
            file.write(f"{host_tag()} {os.getpid()}\n")
        return
    raise ValueError(f"could not take the lock {lock}; try again")


def _lock_holder(lock: Path) -> tuple[str, int] | None:
    """``(host, pid)`` written in ``lock``, or None when it cannot be read."""
    try:
        host, pid = lock.read_text(encoding="utf-8").split()
        return host, int(pid)
    except (OSError, UnicodeDecodeError, ValueError):
        return None


def _rng_state() -> dict:
    keys, pos, has_gauss, gauss = np.random.get_state()[1:]
    version, py_state, py_gauss = random.getstate()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "numpy": {
            "keys": torch.from_numpy(keys.astype(np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "gauss": float(gauss),
        },
        "python": {
            "version": version,
            "state": torch.tensor(py_state, dtype=torch.int64),
            "gauss": py_gauss,
        },
    }


def save_training_checkpoint(
    path: Path, task: Task, schedulers: dict, epoch: int, step: int, history: list, run: dict
) -> None:
    """Write the whole training state to ``path`` atomically (the format above):
    ``epoch`` epochs and ``step`` optimizer steps done, ``run`` from :func:`run_settings`."""
    payload = {
        "format": CHECKPOINT_FORMAT,
        **header(task),
        "run": run,
        "state": task.state_dict(),
        "schedulers": {n: s.state_dict() for n, s in schedulers.items()},
        "epoch": epoch,
        "step": step,
        "rng": _rng_state(),
        "history": history,
    }
    save_atomically(payload, path)


def write_history(path: Path, history: list) -> None:
    """Write the per-epoch history to ``path`` as indented JSON, atomically.

    Raises:
        OSError: one line, ``"cannot write PATH: reason"``; the old file is kept.
    """
    text = json.dumps(history, indent=1)
    try:
        with atomic_path(path) as tmp:
            tmp.write_text(text, encoding="utf-8")
    except OSError as err:
        raise OSError(f"cannot write {path}: {err.strerror or err}") from None


def run_settings(
    train_data: Dataset, batch_size: int, seed: int, lr_schedule: str | None, patience: int,
    drop_last: bool, precision: str = "fp32", epochs: int | None = None,
) -> dict:  # fmt: skip
    """The settings of :func:`colorlib.train.fit` that a resumed run must share with
    the run it continues (with the task's ``config``: loss, learning rate ...), the
    resolved ``precision`` among them: a run that changed arithmetic half-way would
    match neither a bf16 nor an fp32 run. The device, workers and checkpoint cadence
    may change, and so may the number of epochs, except under the cosine schedule,
    whose every learning rate depends on it."""
    settings = {
        "precision": precision,
        "batch_size": batch_size,
        "seed": seed,
        "lr_schedule": lr_schedule,
        "patience": patience if lr_schedule == "plateau" else None,
        "drop_last": drop_last,
        "train_images": len(train_data),
    }
    if lr_schedule == "cosine":
        settings["epochs"] = epochs
    return settings


# ------------------------------------------------------------------ resuming


def _read_training_checkpoint(path: Path) -> dict:
    """``torch.load`` a ``last.pt``; a one-line ValueError if it is unreadable or incomplete.

    The file is never deleted: it may be the only copy of days of training.
    """
    try:
        ckpt = torch.load(path, weights_only=True, map_location="cpu")
    except Exception as err:  # torch raises many types for a corrupt or foreign file
        raise ValueError(
            f"{path} is unreadable ({type(err).__name__}), so training cannot resume from it; "
            f"{_START_AFRESH}"
        ) from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path} is not a colorlib training checkpoint; {_START_AFRESH}")
    missing = [key for key in TRAINING_CHECKPOINT_KEYS if key not in ckpt]
    if missing:
        raise ValueError(
            f"{path} is incomplete (no {', '.join(missing)}), so training cannot resume from "
            f"it; {_START_AFRESH}"
        )
    return ckpt


def _same(a, b) -> bool:
    """Equality for checkpoint settings: containers element-wise, tensors by value (to
    float32 rounding: a rebalancing prior counted on another machine may differ by an ulp)."""
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return (
            isinstance(a, torch.Tensor)
            and isinstance(b, torch.Tensor)
            and a.shape == b.shape
            and torch.allclose(a.double(), b.double(), rtol=1e-6, atol=0.0)
        )
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def _shown(value) -> str:
    if isinstance(value, torch.Tensor):
        return f"a {tuple(value.shape)} tensor"
    return repr(value)


def _setting_differences(saved: dict, now: dict) -> list[str]:
    """``"name X (checkpoint) vs Y (now)"`` for every setting that differs."""
    return [
        f"{key} {_shown(saved.get(key))} (checkpoint) vs {_shown(now.get(key))} (now)"
        for key in sorted(set(saved) | set(now))
        if not _same(saved.get(key), now.get(key))
    ]


def _check_same_run(ckpt: dict, task: Task, run: dict, path: Path) -> None:
    """Refuse to resume another task, or the same task with other settings."""
    mine, theirs = (task.kind, task.network_specs()), (ckpt["kind"], ckpt["networks"])
    if mine != theirs:
        raise ValueError(
            f"{path} holds a different task {theirs}, not {mine}: pass resume=False "
            "or another checkpoint_dir (--out)"
        )
    differences = _setting_differences(ckpt["config"], task.config)
    if "run" in ckpt:  # checkpoints written before the run settings were saved lack it
        # ... and those written before precision was a setting trained in float32
        # (or float16 autocast on CUDA): compare what they record
        saved = {"precision": run["precision"], **ckpt["run"]}
        differences += _setting_differences(saved, run)
    if differences:
        raise ValueError(
            f"{path} was trained with other settings ({'; '.join(differences)}), and resuming "
            "would mix the two; use a fresh output folder (--out, checkpoint_dir) or the same "
            "settings (only the number of epochs may change)"
        )


def resume_from(task: Task, schedulers: dict, path: Path, run: dict) -> tuple[int, int, list]:
    """Load ``path`` into the task; (epochs done, step, history).

    Refuses (ValueError, one line) an unreadable or incomplete file, another task, or
    other run settings (:func:`run_settings`, the task's ``config``).
    """
    ckpt = _read_training_checkpoint(path)
    _check_same_run(ckpt, task, run, path)
    try:
        task.load_state_dict(ckpt["state"])
        for name, scheduler in schedulers.items():
            scheduler.load_state_dict(ckpt["schedulers"][name])
    except (KeyError, RuntimeError, TypeError, ValueError) as err:
        reason = f"no {err}" if isinstance(err, KeyError) else type(err).__name__
        raise ValueError(
            f"{path} does not fit this task ({reason}), so training cannot resume from it; "
            f"{_START_AFRESH}"
        ) from None
    return ckpt["epoch"], ckpt["step"], ckpt["history"]
