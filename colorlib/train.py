"""One training engine for every colorization task: :func:`fit`.

The split
---------
A **task** (:mod:`colorlib.tasks`) owns its networks, optimizers and losses, and
knows one step of its method: ``RegressionTask`` (L2 / Smooth L1 / L1 on ab),
``BinTask`` (cross-entropy over ab bins, Zhang et al. 2016),
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

Precision
---------
``fit(precision="auto")`` trains in bf16 where the hardware runs it natively (a CPU
with AVX512-BF16 or AMX, a recent GPU) and in float32 elsewhere
(:func:`colorlib.devices.resolve_precision`). Mixed precision is autocast around the
tasks' forward passes (:meth:`colorlib.tasks.Task.autocast`) with channels-last
networks and image batches; losses are computed on float32 outputs, and weights and
optimizer state stay float32. Two bf16 runs on one machine are bit-identical, and a
resumed bf16 run repeats an uninterrupted one (``tests/test_precision.py``).

Reproducibility and resumption
------------------------------
Every random stream of epoch e (python, numpy, torch, CUDA, the shuffling order,
DataLoader worker seeds) is seeded from ``(seed, e, rank)`` at the start of the
epoch, so an epoch depends only on the weights and optimizer state at its start and
on (seed, e). A resumed run therefore repeats an uninterrupted one exactly (on the
same device and software); the RNG states saved in a checkpoint are a record, not
needed to resume. Seeding and device choice are in :mod:`colorlib.devices`.

Checkpoints
-----------
:func:`fit` writes ``last.pt`` (format ``"colorlib.train/1"``) and ``history.json``
to ``checkpoint_dir`` and resumes from them; their layout, and what must match
before a run resumes (the task and its config, batch size, seed, schedule ...),
are in :mod:`colorlib.resume`.

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
tasks have been run under 2-process gloo by hand, not in a test. The process group
and DDP helpers are in :mod:`colorlib.distributed`.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
from torch.utils.data import DataLoader, Dataset, DistributedSampler, Subset
from tqdm.auto import tqdm

from colorlib import metrics
from colorlib.devices import (
    epoch_seed,
    resolve_device,
    resolve_precision,
    seed_everything,
    seed_streams,
)
from colorlib.distributed import (
    Dist,
    agreed,
    join_process_group,
    leave_process_group,
    unwrap_ddp,
    wrap_ddp,
)
from colorlib.lab import lab_to_rgb, merge_lab
from colorlib.resume import (
    HISTORY_FILE,
    LAST_CHECKPOINT,
    checkpoint_folder,
    resume_from,
    run_settings,
    save_training_checkpoint,
    write_history,
)
from colorlib.tasks import Task

__all__ = [
    "LR_SCHEDULES",
    "TrainingDiverged",
    "fit",
    "resolve_device",
    "seed_everything",
]


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite; the last good checkpoint is left untouched."""


# ------------------------------------------------------------------ the loop


def _to_device(batch: dict, task: Task) -> dict:
    """The batch on the task's device; image batches (4-D) channels-last when its
    networks are."""
    images = torch.channels_last if task.channels_last else torch.contiguous_format
    return {
        k: v.to(task.device, non_blocking=True, memory_format=images if v.dim() == 4 else
                torch.preserve_format)
        if isinstance(v, torch.Tensor) else v
        for k, v in batch.items()
    }  # fmt: skip


def _train_loader(
    data, batch: int, seed: int, epoch: int, d: Dist, workers: int, drop_last: bool
) -> DataLoader:
    """This rank's share of a permutation that depends only on (seed, epoch)."""
    sampler = DistributedSampler(data, num_replicas=d.world, rank=d.rank, shuffle=True, seed=seed)
    sampler.set_epoch(epoch)
    worker_seeds = torch.Generator().manual_seed(epoch_seed(seed, epoch, d.rank))
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
    task: Task, loader: DataLoader, epoch: int, d: Dist, bar: tqdm, log_every: int
) -> tuple[dict[str, float], int]:
    """Train one epoch; mean loss per key over steps and ranks, and the step count."""
    task.train(True)
    window, totals, keys, steps = [], None, [], 0
    for batch in loader:
        out = task.train_step(_to_device(batch, task))
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
def _evaluate(task: Task, data, batch: int, d: Dist, workers: int) -> dict[str, float]:
    """Validation losses and metrics on this rank's shard, summed over ranks, per image."""
    task.train(False)
    shard = Subset(data, range(d.rank, len(data), d.world))
    sums: dict[str, torch.Tensor] = {}
    for batch_cpu in DataLoader(shard, batch_size=batch, shuffle=False, num_workers=workers):
        b = _to_device(batch_cpu, task)
        out, pred_ab = task.eval_step(b)
        n = b["L"].shape[0]
        values = {
            **{k: v.double() * n for k, v in out.items()},
            "count": torch.tensor(float(n), dtype=torch.float64, device=task.device),
        }
        if pred_ab is not None:  # a colorizer: how close its colours are (in float32,
            pred_ab = pred_ab.float()  # whatever precision the network ran in)
            rgb = lab_to_rgb(merge_lab(b["L"], pred_ab))
            values["ab_l2"] = metrics.ab_l2(pred_ab, b["ab"]).sum()
            values["psnr"] = metrics.psnr(rgb, b["rgb"], max_db=100.0).sum()
        for k, v in values.items():
            sums[k] = sums.get(k, 0) + v
    keys = [k for k in sums if k != "count"]
    total = d.sum(torch.stack([sums[k].double() for k in [*keys, "count"]])).cpu()
    return {k: float(v) / float(total[-1]) for k, v in zip(keys, total[:-1], strict=True)}


def _lrs(task: Task) -> dict[str, float]:
    lrs = {n: o.param_groups[0]["lr"] for n, o in task.optimizers.items()}
    return (
        {"lr": next(iter(lrs.values()))}
        if len(lrs) == 1
        else {f"lr_{n}": v for n, v in lrs.items()}
    )


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
    precision: str = "auto",
    channels_last: bool | None = None,
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
        precision: ``"auto"`` (bf16 where the hardware runs it natively: a CPU with AMX
            or AVX512-BF16, a recent GPU; fp16 with gradient scaling on an older GPU;
            fp32 elsewhere), ``"fp32"``, ``"bf16"`` or ``"fp16"`` (CUDA only); see
            :func:`colorlib.devices.resolve_precision`. Saved in the checkpoint: a run
            resumes only in the precision it began with.
        channels_last: NHWC layout for networks and image batches; None (default): on
            in mixed precision, where oneDNN's and cuDNN's fast convolutions want it.
        lr_schedule: None; ``"plateau"``: ``ReduceLROnPlateau(factor=0.1,
            min_lr=1e-4, patience=patience)`` on each optimizer, stepped on the
            validation ``task.monitor`` loss (training loss without val_data); or
            ``"cosine"``: the lr falls to 1% of itself along a half cosine over
            ``epochs`` (so a cosine run resumes only with the same ``epochs``).
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
    d, dev = join_process_group(device)
    try:
        if checkpoint_every < 1:
            raise ValueError(f"checkpoint_every must be >= 1, got {checkpoint_every}")
        if batch_size % d.world:
            raise ValueError(f"batch_size {batch_size} is not divisible by {d.world} ranks")
        folder = checkpoint_folder(checkpoint_dir)
        seed_everything(seed)
        precision = resolve_precision(precision, dev)
        task.setup(dev, precision, precision != "fp32" if channels_last is None else channels_last)
        schedulers = _make_schedulers(task, lr_schedule, patience, epochs)
        last = folder / LAST_CHECKPOINT if folder else None
        run = run_settings(
            train_data, batch_size, seed, lr_schedule, patience, drop_last, precision, epochs
        )
        start, step, history = 0, 0, []
        if last is not None and resume and last.exists():
            start, step, history = resume_from(task, schedulers, last, run)
        if folder is not None and d.main:
            folder.mkdir(parents=True, exist_ok=True)
        if d.world > 1:
            wrap_ddp(task, dev, sync_batchnorm)
        local_batch = batch_size // d.world
        show = progress and d.main
        started = time.perf_counter()
        for epoch in tqdm(
            range(start, epochs), desc="epochs", disable=not show, initial=start, total=epochs
        ):
            began = time.perf_counter()
            seed_streams(epoch_seed(seed, epoch, d.rank))
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
            _step_schedulers(schedulers, monitor)
            record.update(_lrs(task))
            record["seconds"] = time.perf_counter() - began
            history.append(record)
            out_of_time = time_limit is not None and agreed(
                d, time.perf_counter() - started > time_limit, dev
            )
            due = (epoch + 1) % checkpoint_every == 0 or epoch + 1 == epochs or out_of_time
            if d.main and folder is not None and due:
                save_training_checkpoint(last, task, schedulers, epoch + 1, step, history, run)
                write_history(folder / HISTORY_FILE, history)
            if d.main:
                for callback in callbacks:
                    callback(record)
            if out_of_time:
                break
        return history
    finally:
        unwrap_ddp(task)
        leave_process_group(d)


LR_SCHEDULES = (None, "plateau", "cosine")
"""What ``fit(lr_schedule=...)`` accepts."""


def _make_schedulers(task: Task, lr_schedule: str | None, patience: int, epochs: int) -> dict:
    """One learning-rate scheduler per optimizer, stepped once per epoch.

    - ``"plateau"`` (the poster's): lr x 0.1 when the monitored loss stalls for
      ``patience`` epochs, down to 1e-4;
    - ``"cosine"``: from the optimizer's lr down to 1% of it along half a cosine over
      ``epochs`` epochs (Loshchilov & Hutter 2017, without restarts): a run sized to a
      fixed budget ends at a small learning rate, which is worth as much as more epochs.
    """
    if lr_schedule not in LR_SCHEDULES:
        raise ValueError(f"lr_schedule must be None, 'plateau' or 'cosine', got {lr_schedule!r}")
    schedulers = {}
    for name, optimizer in task.optimizers.items():
        if lr_schedule == "plateau":
            schedulers[name] = torch.optim.lr_scheduler.ReduceLROnPlateau(
                optimizer, factor=0.1, min_lr=1e-4, patience=patience
            )
        elif lr_schedule == "cosine":
            lr = optimizer.param_groups[0]["lr"]
            schedulers[name] = torch.optim.lr_scheduler.CosineAnnealingLR(
                optimizer, T_max=epochs, eta_min=0.01 * lr
            )
    return schedulers


def _step_schedulers(schedulers: dict, monitor: float) -> None:
    """End of an epoch: the plateau scheduler watches ``monitor``, the others count."""
    for scheduler in schedulers.values():
        if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
            scheduler.step(monitor)
        else:
            scheduler.step()


def _with_kept(error: TrainingDiverged, last: Path | None, history: list) -> TrainingDiverged:
    """Fill in which checkpoint survives into the one-line message."""
    if last is None:
        kept = "no checkpoint_dir, nothing saved"
    elif history:
        kept = f"last good checkpoint {last} (epoch {history[-1]['epoch']}) is kept"
    else:
        kept = "no good epoch yet, nothing saved"
    return TrainingDiverged(str(error).replace("{kept}", kept))
