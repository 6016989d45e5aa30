"""One training engine for every colorization task: :func:`fit`.

The split
---------
A **task** (:mod:`colorlib.tasks`) owns its networks, optimizers and losses, and
knows one step of its method: ``RegressionTask`` (L2 / Smooth L1 / L1 on ab),
``ClassificationTask`` (cross-entropy over ab bins, Zhang et al. 2016),
``Pix2PixTask`` (conditional GAN, Isola et al. 2017) and ``CycleGANTask`` (Zhu et
al. 2017). :func:`fit` owns
everything else, once: epochs, DataLoader and shuffling, device, mixed precision,
progress bars, history, checkpoints, resumption, divergence checks and
DistributedDataParallel. There is no second copy of the loop.

Data
----
Datasets yield dicts ``{"L": (1, S, S), "ab": (2, S, S), "rgb": (3, S, S), "label":
int}``: L in [0, 100], ab in Lab units, rgb in [0, 1] (see :mod:`colorlib.data`).
Networks see ``normalize_l(L)`` and predict ``normalize_ab(ab)`` or bin logits.
A network with an ``output_stride`` attribute (ZhangNet: 4) predicts on a coarser
grid: its targets are ab **average-pooled to that grid** (then soft-encoded, for
bins), and its predictions are bilinearly upsampled for evaluation.

Reproducibility and resumption
------------------------------
Every random stream of epoch e (python, numpy, torch, CUDA, the shuffling order,
DataLoader worker seeds) is seeded from ``(seed, e, rank)`` at the start of the
epoch, so an epoch depends only on the weights and optimizer state at its start and
on (seed, e). A resumed run therefore repeats an uninterrupted one exactly (on the
same device and software); the RNG states saved in a checkpoint are a record, not
needed to resume.

Checkpoint format (``"colorlib.train/1"``; ``torch.load(path, weights_only=True)``)
-------------------------------------------------------------------------------------
``{"format", "kind": task kind, "config": plain task settings (e.g. loss name, T,
bin centres as a tensor), "networks": {name: {"class": "ZhangNet", "kwargs": {...}
or None}}, "predict_network": name of the network that colourises, "state": {"nets":
state dicts, "optimizers", "scalers", "extra": task state such as an image pool},
"schedulers", "run": the fit() settings a resume must share (batch_size, seed,
lr_schedule, patience, drop_last, train_images), "epoch": epochs completed, "step":
optimizer steps, "rng": {"torch", "numpy", "python", "cuda"} as tensors, "history":
list of dicts}``. Resuming with another task config or other "run" settings is
refused (only the epoch count may change): it would mix two configurations. Constructor
kwargs are known when a network was built with :func:`colorlib.tasks.network`; otherwise
``None`` and the caller rebuilds it. :mod:`colorlib.checkpoint` holds the format:
``export_weights`` writes the same header with compact weights of the predicting
network only (``"colorlib.weights/2"``: int8 matrices, fp16 rest), and
``load_checkpoint`` reads both.

Scale-out
---------
Run the same script under ``torchrun --nproc_per_node=K``: :func:`fit` sees ``RANK``
and ``WORLD_SIZE``, joins a process group (gloo on CPU, NCCL on CUDA), wraps every
network in DistributedDataParallel, shards each epoch's permutation with
``DistributedSampler`` and averages losses and metrics over ranks. ``batch_size`` is
the **global** batch (split evenly over ranks), so one process and K processes take
the same optimizer steps. Only rank 0 writes files and shows progress. BatchNorm
statistics are per rank unless ``sync_batchnorm=True`` (CUDA only: SyncBatchNorm has
no CPU kernel). The test suite checks DDP on CPU with a regression task; the GAN
tasks have been run under 2-process gloo by hand, not in a test.
"""

from __future__ import annotations

import json
import math
import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset, DistributedSampler, Subset
from tqdm.auto import tqdm

from colorlib import metrics
from colorlib.checkpoint import CHECKPOINT_FORMAT, header
from colorlib.io import atomic_path
from colorlib.lab import lab_to_rgb, merge_lab
from colorlib.tasks import Task, unwrap

__all__ = [
    "TrainingDiverged",
    "fit",
    "resolve_device",
    "seed_everything",
]

LAST_CHECKPOINT = "last.pt"
HISTORY_FILE = "history.json"


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite; the last good checkpoint is left untouched."""


# ------------------------------------------------------------------ setup helpers


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
    _seed_streams(seed)


def _seed_streams(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # also every CUDA device


def _epoch_seed(seed: int, epoch: int, rank: int) -> int:
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


# ------------------------------------------------------------------ checkpoints


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


def _save_checkpoint(
    path: Path, task: Task, schedulers: dict, epoch: int, step: int, history: list, run: dict
) -> None:
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
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


# ------------------------------------------------------------------ distributed


@dataclass
class _Dist:
    rank: int = 0
    world: int = 1
    created_group: bool = False

    @property
    def main(self) -> bool:
        return self.rank == 0

    def mean(self, values: torch.Tensor) -> torch.Tensor:
        """Average a tensor over ranks (identity in a single process)."""
        if self.world > 1:
            values = values.clone()
            dist.all_reduce(values)
            values /= self.world
        return values

    def sum(self, values: torch.Tensor) -> torch.Tensor:
        if self.world > 1:
            values = values.clone()
            dist.all_reduce(values)
        return values


def _join_process_group(device: str | torch.device) -> tuple[_Dist, torch.device]:
    """Read RANK / WORLD_SIZE (torchrun) and init gloo (CPU) or NCCL (CUDA) if needed."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return _Dist(), resolve_device(device)
    rank = int(os.environ["RANK"])
    resolved = resolve_device(device)
    if resolved.type == "cuda":
        resolved = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(resolved)
    created = not dist.is_initialized()
    if created:
        dist.init_process_group("nccl" if resolved.type == "cuda" else "gloo")
    return _Dist(rank, world, created), resolved


# ------------------------------------------------------------------ the loop


def _to_device(batch: dict, device: torch.device) -> dict:
    return {
        k: v.to(device, non_blocking=True) if isinstance(v, torch.Tensor) else v
        for k, v in batch.items()
    }


def _train_loader(
    data, batch: int, seed: int, epoch: int, d: _Dist, workers: int, drop_last: bool
) -> DataLoader:
    """This rank's share of a permutation that depends only on (seed, epoch)."""
    sampler = DistributedSampler(data, num_replicas=d.world, rank=d.rank, shuffle=True, seed=seed)
    sampler.set_epoch(epoch)
    worker_seeds = torch.Generator().manual_seed(_epoch_seed(seed, epoch, d.rank))
    return DataLoader(
        data,
        batch_size=batch,
        sampler=sampler,
        num_workers=workers,
        drop_last=drop_last,
        generator=worker_seeds,
    )


def _diverged(
    values: torch.Tensor, keys: list[str], first_step: int, epoch: int, where: str
) -> TrainingDiverged | None:
    """A TrainingDiverged for the first non-finite row of ``values`` (steps x keys), if any."""
    bad = ~torch.isfinite(values)
    if not bad.any():
        return None
    row, col = (int(i) for i in bad.nonzero()[0])
    return TrainingDiverged(
        f"training diverged: {keys[col]} = {values[row, col].item()} at epoch {epoch + 1}, "
        f"step {first_step + row + 1} ({where}); {{kept}}"
    )


def _run_train_epoch(
    task: Task, loader: DataLoader, epoch: int, d: _Dist, bar: tqdm, log_every: int
) -> tuple[dict[str, float], int]:
    """Train one epoch; mean loss per key over steps and ranks, and the step count."""
    task.train(True)
    window, totals, keys, steps = [], None, [], 0
    for batch in loader:
        out = task.train_step(_to_device(batch, task.device))
        keys = list(out)
        window.append(torch.stack([out[k].float() for k in keys]))
        if len(window) == log_every or steps + 1 == len(loader):
            values = d.mean(torch.stack(window)).cpu()
            error = _diverged(values, keys, steps + 1 - len(window), epoch, "training")
            if error:
                raise error
            totals = values.sum(0) if totals is None else totals + values.sum(0)
            window = []
            bar.set_postfix({k: f"{v:.4g}" for k, v in zip(keys, values[-1].tolist(), strict=True)})
        steps += 1
        bar.update(1)
    if steps == 0:
        raise ValueError("the training set gives no batch: lower batch_size or drop_last=False")
    return {k: v / steps for k, v in zip(keys, totals.tolist(), strict=True)}, steps


@torch.no_grad()
def _evaluate(task: Task, data, batch: int, d: _Dist, workers: int) -> dict[str, float]:
    """Validation losses and metrics on this rank's shard, summed over ranks, per image."""
    task.train(False)
    shard = Subset(data, range(d.rank, len(data), d.world))
    sums: dict[str, torch.Tensor] = {}
    for batch_cpu in DataLoader(shard, batch_size=batch, shuffle=False, num_workers=workers):
        b = _to_device(batch_cpu, task.device)
        out, pred_ab = task.eval_step(b)
        n = b["L"].shape[0]
        values = {
            **{k: v.double() * n for k, v in out.items()},
            "count": torch.tensor(float(n), dtype=torch.float64, device=task.device),
        }
        if pred_ab is not None:  # a colorizer: how close its colours are
            rgb = lab_to_rgb(merge_lab(b["L"], pred_ab.float()))
            values["ab_l2"] = metrics.ab_l2(pred_ab, b["ab"]).sum()
            values["psnr"] = metrics.psnr(rgb, b["rgb"], max_db=100.0).sum()
        for k, v in values.items():
            sums[k] = sums.get(k, 0) + v
    keys = [k for k in sums if k != "count"]
    total = d.sum(torch.stack([sums[k].double() for k in [*keys, "count"]])).cpu()
    return {k: float(v) / float(total[-1]) for k, v in zip(keys, total[:-1], strict=True)}


def _write_history(path: Path, history: list) -> None:
    text = json.dumps(history, indent=1)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def _lrs(task: Task) -> dict[str, float]:
    lrs = {n: o.param_groups[0]["lr"] for n, o in task.optimizers.items()}
    return (
        {"lr": next(iter(lrs.values()))}
        if len(lrs) == 1
        else {f"lr_{n}": v for n, v in lrs.items()}
    )


TRAINING_CHECKPOINT_KEYS = ("kind", "config", "networks", "state", "epoch", "step", "history")
"""What :func:`fit` needs from ``last.pt`` to resume (``"run"`` is checked when present)."""

_START_AFRESH = "remove it (or move it away) or use another output folder (--out, checkpoint_dir)"


def _run_settings(
    train_data: Dataset, batch_size: int, seed: int, lr_schedule: str | None, patience: int,
    drop_last: bool,
) -> dict:  # fmt: skip
    """The settings of :func:`fit` that a resumed run must share with the run it
    continues (with the task's ``config``: loss, learning rate ...). The epoch count,
    device, precision, workers and checkpoint cadence may change."""
    return {
        "batch_size": batch_size,
        "seed": seed,
        "lr_schedule": lr_schedule,
        "patience": patience if lr_schedule else None,
        "drop_last": drop_last,
        "train_images": len(train_data),
    }


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
        differences += _setting_differences(ckpt["run"], run)
    if differences:
        raise ValueError(
            f"{path} was trained with other settings ({'; '.join(differences)}), and resuming "
            "would mix the two; use a fresh output folder (--out, checkpoint_dir) or the same "
            "settings (only the number of epochs may change)"
        )


def _resume(task: Task, schedulers: dict, path: Path, run: dict) -> tuple[int, int, list]:
    """Load ``path`` into the task; (epochs done, step, history).

    Refuses (ValueError, one line) an unreadable or incomplete file, another task, or
    other run settings (:func:`_run_settings`, the task's ``config``).
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


def fit(
    task: Task,
    train_data: Dataset,
    val_data: Dataset | None = None,
    *,
    epochs: int,
    batch_size: int = 32,
    checkpoint_dir: str | os.PathLike | None = None,
    resume: bool = True,
    seed: int = 0,
    device: str | torch.device = "auto",
    amp: bool = True,
    lr_schedule: str | None = None,
    patience: int = 3,
    num_workers: int = 0,
    drop_last: bool = True,
    progress: bool = True,
    log_every: int = 10,
    sync_batchnorm: bool = False,
    checkpoint_every: int = 1,
    callbacks: Sequence[Callable[[dict], None]] = (),
    time_limit: float | None = None,
) -> list[dict]:
    """Train ``task`` for ``epochs`` epochs in total; return the per-epoch history.

    Args:
        task: a :class:`Task` (its networks and optimizers are trained in place).
        train_data, val_data: datasets of dicts (see the module docstring). Validation
            runs after every epoch when given.
        epochs: total epochs; a resumed run continues up to this number.
        batch_size: the **global** batch, split evenly over DDP ranks.
        checkpoint_dir: where ``last.pt`` and ``history.json`` go after every
            ``checkpoint_every``-th epoch and the last (rank 0, atomically); None
            writes nothing. Raise ``checkpoint_every`` for huge networks: the 64 px
            SeedCNN's checkpoint (weights + Adam) is 3.3 GB.
        resume: continue from ``checkpoint_dir/last.pt`` when it exists; it must hold
            the same task kind and networks, the same task ``config`` (loss, learning
            rate ...) and the same batch size, seed, schedule, ``drop_last`` and number
            of training images (only ``epochs`` may change). False starts afresh and
            overwrites.
        seed: seeds every random stream, per epoch (see the module docstring).
        device: ``"auto"`` (CUDA, MPS, CPU), or any torch device.
        amp: float16 autocast and gradient scaling, used on CUDA only.
        lr_schedule: None, or ``"plateau"``: ``ReduceLROnPlateau(factor=0.1,
            min_lr=1e-4, patience=patience)`` on each optimizer, stepped on the
            validation ``task.monitor`` loss (training loss without val_data).
        num_workers, drop_last: DataLoader settings for training.
        progress: tqdm bars (widget in Jupyter, text in a terminal) on rank 0.
        log_every: steps between loss syncs (bar update and NaN check).
        sync_batchnorm: under DDP on CUDA, convert BatchNorm to SyncBatchNorm.
        callbacks: called on rank 0 with each epoch's history record, after it is saved.
        time_limit: seconds of training (this call) after which no new epoch starts;
            the run then ends early after a complete epoch, checkpointed, and the
            history says how many epochs ran. None: no limit. For sizing runs to a
            rented GPU's time; a run ended this way resumes to ``epochs`` later.

    Returns:
        list of dicts, one per epoch: ``epoch`` (1-based), ``step``, ``train_<loss>``,
        ``val_<loss>``, ``val_ab_l2`` (mean ab distance, Lab units), ``val_psnr`` (dB,
        capped at 100), ``lr`` (or ``lr_<optimizer>``), ``seconds`` (wall time).

    Raises:
        TrainingDiverged: a loss is NaN or infinite; names the epoch and step. The last
            checkpoint and history on disk stay those of the last good epoch.
        ValueError: ``checkpoint_dir`` is a file; or ``last.pt`` there is unreadable,
            incomplete, of another task or of other settings (see ``resume``). The
            message says what differs and what to do; the file is left in place.
    """
    d, dev = _join_process_group(device)
    try:
        if checkpoint_every < 1:
            raise ValueError(f"checkpoint_every must be >= 1, got {checkpoint_every}")
        if batch_size % d.world:
            raise ValueError(f"batch_size {batch_size} is not divisible by {d.world} ranks")
        folder = _checkpoint_folder(checkpoint_dir)
        seed_everything(seed)
        task.setup(dev, amp)
        schedulers = _make_schedulers(task, lr_schedule, patience)
        last = folder / LAST_CHECKPOINT if folder else None
        run = _run_settings(train_data, batch_size, seed, lr_schedule, patience, drop_last)
        start, step, history = 0, 0, []
        if last is not None and resume and last.exists():
            start, step, history = _resume(task, schedulers, last, run)
        if folder is not None and d.main:
            folder.mkdir(parents=True, exist_ok=True)
        if d.world > 1:
            _wrap_ddp(task, dev, sync_batchnorm)
        local_batch = batch_size // d.world
        show = progress and d.main
        started = time.perf_counter()
        for epoch in tqdm(
            range(start, epochs), desc="epochs", disable=not show, initial=start, total=epochs
        ):
            began = time.perf_counter()
            _seed_streams(_epoch_seed(seed, epoch, d.rank))
            loader = _train_loader(train_data, local_batch, seed, epoch, d, num_workers, drop_last)
            with tqdm(
                total=len(loader), desc=f"epoch {epoch + 1}", leave=False, disable=not show
            ) as bar:
                try:
                    train, steps = _run_train_epoch(task, loader, epoch, d, bar, log_every)
                except TrainingDiverged as error:
                    raise _with_kept(error, last, history) from None
            step += steps
            record = {
                "epoch": epoch + 1,
                "step": step,
                **{f"train_{k}": v for k, v in train.items()},
            }
            if val_data is not None:
                val = _evaluate(task, val_data, local_batch, d, num_workers)
                record.update({f"val_{k}": v for k, v in val.items()})
                bad = [k for k, v in val.items() if not math.isfinite(v)]
                if bad:
                    error = TrainingDiverged(
                        f"training diverged: val {bad[0]} = "
                        f"{val[bad[0]]} after epoch {epoch + 1}; {{kept}}"
                    )
                    raise _with_kept(error, last, history)
            monitor = record.get(f"val_{task.monitor}", next(iter(train.values())))
            for scheduler in schedulers.values():
                scheduler.step(monitor)
            record.update(_lrs(task))
            record["seconds"] = time.perf_counter() - began
            history.append(record)
            out_of_time = time_limit is not None and _agreed(
                d, time.perf_counter() - started > time_limit, dev
            )
            due = (epoch + 1) % checkpoint_every == 0 or epoch + 1 == epochs or out_of_time
            if d.main and folder is not None and due:
                _save_checkpoint(last, task, schedulers, epoch + 1, step, history, run)
                _write_history(folder / HISTORY_FILE, history)
            if d.main:
                for callback in callbacks:
                    callback(record)
            if out_of_time:
                break
        return history
    finally:
        for name, net in task.nets.items():
            task.nets[name] = unwrap(net)
        if d.created_group:
            dist.destroy_process_group()


def _checkpoint_folder(checkpoint_dir: str | os.PathLike | None) -> Path | None:
    """``checkpoint_dir`` as a Path; a ValueError if it exists and is not a folder."""
    if checkpoint_dir is None:
        return None
    folder = Path(checkpoint_dir)
    if folder.exists() and not folder.is_dir():
        raise ValueError(
            f"checkpoint folder {folder} exists and is not a folder; choose another (--out)"
        )
    return folder


def _agreed(d: _Dist, flag: bool, device: torch.device) -> bool:
    """``flag`` as rank 0 sees it, on every rank (so all ranks stop together)."""
    if d.world == 1:
        return flag
    value = torch.tensor([float(flag)], device=device)
    dist.broadcast(value, src=0)
    return bool(value.item())


def _make_schedulers(task: Task, lr_schedule: str | None, patience: int) -> dict:
    """The poster's schedule: lr x 0.1 when the monitored loss stalls, down to 1e-4."""
    if lr_schedule is None:
        return {}
    if lr_schedule != "plateau":
        raise ValueError(f"lr_schedule must be None or 'plateau', got {lr_schedule!r}")
    return {
        name: torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, factor=0.1, min_lr=1e-4, patience=patience
        )
        for name, optimizer in task.optimizers.items()
    }


def _with_kept(error: TrainingDiverged, last: Path | None, history: list) -> TrainingDiverged:
    """Fill in which checkpoint survives into the one-line message."""
    if last is None:
        kept = "no checkpoint_dir, nothing saved"
    elif history:
        kept = f"last good checkpoint {last} (epoch {history[-1]['epoch']}) is kept"
    else:
        kept = "no good epoch yet, nothing saved"
    return TrainingDiverged(str(error).replace("{kept}", kept))


def _wrap_ddp(task: Task, device: torch.device, sync_batchnorm: bool) -> None:
    ids = [device.index] if device.type == "cuda" else None
    for name, net in task.nets.items():
        if sync_batchnorm and device.type == "cuda":
            net = nn.SyncBatchNorm.convert_sync_batchnorm(net)
        task.nets[name] = DistributedDataParallel(net, device_ids=ids)
