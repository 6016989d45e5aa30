"""Scale-out for :func:`colorlib.train.fit`: one process per rank under ``torchrun``.

:func:`join_process_group` reads ``RANK`` / ``WORLD_SIZE`` (set by ``torchrun
--nproc_per_node=K``), joins a process group (gloo on CPU, NCCL on CUDA) and returns
a :class:`Dist`: this process's rank, the world size, and averages and sums of
tensors over ranks. :func:`wrap_ddp` wraps a task's networks in
DistributedDataParallel, :func:`unwrap_ddp` takes them out again, :func:`agreed`
makes every rank act on rank 0's decision and :func:`leave_process_group` closes a
group that :func:`join_process_group` opened. In a single process every one of them
is a no-op, so the training loop has one code path.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from colorlib.devices import resolve_device
from colorlib.tasks import Task, unwrap

__all__ = [
    "Dist",
    "agreed",
    "join_process_group",
    "leave_process_group",
    "unwrap_ddp",
    "wrap_ddp",
]


@dataclass
class Dist:
    """This process's place in a run: ``rank`` of ``world`` processes (0 of 1 alone),
    and whether :func:`join_process_group` created the process group (then
    :func:`leave_process_group` destroys it)."""

    rank: int = 0
    world: int = 1
    created_group: bool = False

    @property
    def main(self) -> bool:
        """Rank 0: the one process that writes files and shows progress."""
        return self.rank == 0

    def mean(self, values: torch.Tensor) -> torch.Tensor:
        """Average a tensor over ranks (identity in a single process)."""
        if self.world > 1:
            values = values.clone()
            dist.all_reduce(values)
            values /= self.world
        return values

    def sum(self, values: torch.Tensor) -> torch.Tensor:
        """Sum a tensor over ranks (identity in a single process)."""
        if self.world > 1:
            values = values.clone()
            dist.all_reduce(values)
        return values


def join_process_group(device: str | torch.device) -> tuple[Dist, torch.device]:
    """Read RANK / WORLD_SIZE (torchrun) and init gloo (CPU) or NCCL (CUDA) if needed.

    Returns this process's :class:`Dist` and its device: ``resolve_device(device)``,
    on CUDA the GPU ``LOCAL_RANK``.
    """
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Dist(), resolve_device(device)
    rank = int(os.environ["RANK"])
    resolved = resolve_device(device)
    if resolved.type == "cuda":
        resolved = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(resolved)
    created = not dist.is_initialized()
    if created:
        dist.init_process_group("nccl" if resolved.type == "cuda" else "gloo")
    return Dist(rank, world, created), resolved


def leave_process_group(d: Dist) -> None:
    """Destroy the process group if :func:`join_process_group` created it."""
    if d.created_group:
        dist.destroy_process_group()


def agreed(d: Dist, flag: bool, device: torch.device) -> bool:
    """``flag`` as rank 0 sees it, on every rank (so all ranks stop together)."""
    if d.world == 1:
        return flag
    value = torch.tensor([float(flag)], device=device)
    dist.broadcast(value, src=0)
    return bool(value.item())


def wrap_ddp(task: Task, device: torch.device, sync_batchnorm: bool) -> None:
    """Wrap every network of ``task`` in DistributedDataParallel, in place; with
    ``sync_batchnorm`` on CUDA, convert its BatchNorm to SyncBatchNorm first."""
    ids = [device.index] if device.type == "cuda" else None
    for name, net in task.nets.items():
        if sync_batchnorm and device.type == "cuda":
            net = nn.SyncBatchNorm.convert_sync_batchnorm(net)
        task.nets[name] = DistributedDataParallel(net, device_ids=ids)


def unwrap_ddp(task: Task) -> None:
    """Put the plain networks back into ``task.nets`` (undoes :func:`wrap_ddp`)."""
    for name, net in task.nets.items():
        task.nets[name] = unwrap(net)
