"""One training engine for every colorization task: :func:`fit`.

The split
---------
A **task** owns its networks, optimizers and losses, and knows one step of its
method: :class:`RegressionTask` (L2 / Smooth L1 / L1 on ab), :class:`ClassificationTask`
(cross-entropy over ab bins, Zhang et al. 2016), :class:`Pix2PixTask` (conditional GAN,
Isola et al. 2017) and :class:`CycleGANTask` (Zhu et al. 2017). :func:`fit` owns
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
"schedulers", "epoch": epochs completed, "step": optimizer steps, "rng": {"torch",
"numpy", "python", "cuda"} as tensors, "history": list of dicts}``. Constructor kwargs
are known when a network was built with :func:`network`; otherwise ``None`` and the
caller rebuilds it. :func:`export_weights` writes the same header with fp16 weights of
the predicting network only (``"colorlib.weights/1"``); :func:`load_checkpoint` reads
both.

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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset, DistributedSampler, Subset
from tqdm.auto import tqdm

from colorlib import losses, metrics, models
from colorlib.colorizer import Colorizer
from colorlib.gamut import ANNEAL_T, ABGamut, rebalance_weights
from colorlib.lab import AB_SCALE, denormalize_ab, lab_to_rgb, merge_lab, normalize_ab, normalize_l

__all__ = [
    "CHECKPOINT_FORMAT",
    "WEIGHTS_FORMAT",
    "ClassificationTask",
    "CycleGANTask",
    "LoadedCheckpoint",
    "Pix2PixTask",
    "RegressionTask",
    "Task",
    "TASK_KINDS",
    "TrainingDiverged",
    "UnpairedDataset",
    "export_weights",
    "fit",
    "load_checkpoint",
    "make_task",
    "network",
    "resolve_device",
    "seed_everything",
    "split_halves",
]

CHECKPOINT_FORMAT = "colorlib.train/1"
WEIGHTS_FORMAT = "colorlib.weights/1"
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
    """``"auto"``: CUDA if available, else Apple MPS, else CPU; anything else as given."""
    if str(device) != "auto":
        return torch.device(device)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def network(name: str, **kwargs: Any) -> nn.Module:
    """Build ``colorlib.models.<name>(**kwargs)`` and remember how, for checkpoints.

    >>> net = network("SeedCNN", image_size=32)
    >>> net.colorlib_spec
    {'class': 'SeedCNN', 'kwargs': {'image_size': 32}}
    """
    module = getattr(models, name)(**kwargs)
    module.colorlib_spec = {"class": name, "kwargs": dict(kwargs)}
    return module


def _spec(module: nn.Module) -> dict:
    return getattr(module, "colorlib_spec", {"class": type(module).__name__, "kwargs": None})


def _unwrap(module: nn.Module) -> nn.Module:
    return module.module if isinstance(module, DistributedDataParallel) else module


def _to_grid(x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Average-pool ``x`` (N, C, S, S) onto the spatial grid of ``like`` if it differs."""
    size = like.shape[-2:]
    return x if x.shape[-2:] == size else F.adaptive_avg_pool2d(x, size)


# ------------------------------------------------------------------ tasks


class Task:
    """What :func:`fit` needs from a method. Subclasses set ``kind`` and implement
    :meth:`train_step` and :meth:`eval_step`; :meth:`predict_ab` is shared.

    Attributes:
        nets: ``{name: nn.Module}`` (wrapped in DDP by :func:`fit` while it runs).
        optimizers: ``{name: Optimizer}``, each stepped via :meth:`optimize`.
        config: plain settings saved in checkpoints.
        monitor: the validation loss the LR scheduler watches.
        predict_net: the network that colourises (exported by :func:`export_weights`).
    """

    kind = "task"
    monitor = "loss"
    predict_net = "net"

    def __init__(self, nets: dict[str, nn.Module], optimizers: dict, config: dict) -> None:
        self.nets, self.optimizers, self.config = nets, optimizers, config
        self.device, self.amp = torch.device("cpu"), False
        self.scalers = {name: torch.amp.GradScaler("cuda", enabled=False) for name in optimizers}

    def setup(self, device: torch.device, amp: bool) -> None:
        """Move the networks to ``device``; mixed precision (CUDA only) if ``amp``."""
        self.device, self.amp = device, amp and device.type == "cuda"
        for net in self.nets.values():
            net.to(device)
        self.scalers = {n: torch.amp.GradScaler("cuda", enabled=self.amp) for n in self.optimizers}

    def autocast(self) -> torch.autocast:
        """Context for forward passes: float16 autocast when AMP is on, else a no-op."""
        return torch.autocast(self.device.type, dtype=torch.float16, enabled=self.amp)

    def optimize(self, name: str, loss: torch.Tensor) -> None:
        """One update of optimizer ``name`` on ``loss`` (zero grads, scaled backward, step)."""
        optimizer, scaler = self.optimizers[name], self.scalers[name]
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()

    def train(self, mode: bool = True) -> None:
        for net in self.nets.values():
            net.train(mode)

    def train_step(self, batch: dict) -> dict[str, torch.Tensor]:
        """One optimisation step on a batch already on the device; 0-dim detached losses."""
        raise NotImplementedError

    def eval_step(self, batch: dict) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """Validation losses (0-dim) and the predicted ab ``(N, 2, S, S)`` in Lab units."""
        raise NotImplementedError

    def colorizer(self) -> Colorizer:
        """The predicting network behind the colorizer contract (L -> ab, Lab units)."""
        gamut = getattr(self, "gamut", None)
        return Colorizer(self.nets[self.predict_net], gamut=gamut, T=self.config.get("T", ANNEAL_T))

    @torch.no_grad()
    def predict_ab(self, L: torch.Tensor) -> torch.Tensor:
        """``(N, 1, S, S)`` L in [0, 100] -> ``(N, 2, S, S)`` ab in Lab units (no grad)."""
        with self.autocast():
            output = self.nets[self.predict_net](normalize_l(L))
        return self.colorizer().to_ab(output, L.shape[-2:])

    def extra_state(self) -> dict:
        """Task state beyond networks and optimizers (tensors and plain types)."""
        return {}

    def load_extra_state(self, state: dict) -> None:
        pass

    def network_specs(self) -> dict:
        return {name: _spec(_unwrap(net)) for name, net in self.nets.items()}

    def state_dict(self) -> dict:
        return {
            "nets": {n: _unwrap(m).state_dict() for n, m in self.nets.items()},
            "optimizers": {n: o.state_dict() for n, o in self.optimizers.items()},
            "scalers": {n: s.state_dict() for n, s in self.scalers.items()},
            "extra": self.extra_state(),
        }

    def load_state_dict(self, state: dict) -> None:
        for name, net in self.nets.items():
            _unwrap(net).load_state_dict(state["nets"][name])
        for name, optimizer in self.optimizers.items():
            optimizer.load_state_dict(state["optimizers"][name])
        for name, scaler in self.scalers.items():
            if state["scalers"].get(name):
                scaler.load_state_dict(state["scalers"][name])
        self.load_extra_state(state["extra"])


def _adam(nets: Iterable[nn.Module], lr: float, betas=(0.9, 0.999)) -> torch.optim.Adam:
    return torch.optim.Adam([p for net in nets for p in net.parameters()], lr=lr, betas=betas)


class _OneNetworkTask(Task):
    """A single network ``"net"`` trained on one loss, given by :meth:`_loss`."""

    def _loss(self, batch: dict) -> tuple[torch.Tensor, torch.Tensor]:
        """(0-dim loss, raw network output) for a batch."""
        raise NotImplementedError

    def train_step(self, batch):
        loss, _ = self._loss(batch)
        self.optimize("net", loss)
        return {"loss": loss.detach()}

    def eval_step(self, batch):
        loss, output = self._loss(batch)
        return {"loss": loss}, self.colorizer().to_ab(output, batch["L"].shape[-2:])


class RegressionTask(_OneNetworkTask):
    """Predict normalised ab directly; loss ``losses.regression_loss(kind=loss)``.

    Args:
        model: normalised L ``(N, 1, S, S)`` -> normalised ab ``(N, 2, s, s)``.
        loss: ``"l2"`` (poster), ``"smooth_l1"`` or ``"l1"``; on ab / 110.
        lr: Adam learning rate (poster: 1e-3, then 1e-4 on plateau).
        beta: Smooth L1 knee in ab / 110 units.
    """

    kind = "regression"

    def __init__(self, model: nn.Module, loss: str = "l2", lr: float = 1e-3, beta: float = 1.0):
        if loss not in losses.REGRESSION_KINDS:
            raise ValueError(f"loss must be one of {losses.REGRESSION_KINDS}, got {loss!r}")
        config = {"loss": loss, "lr": lr, "beta": beta}
        super().__init__({"net": model}, {"net": _adam([model], lr)}, config)

    def _loss(self, batch: dict) -> tuple[torch.Tensor, torch.Tensor]:
        with self.autocast():
            pred = self.nets["net"](normalize_l(batch["L"]))
        target = _to_grid(normalize_ab(batch["ab"]), pred)
        loss = losses.regression_loss(
            pred.float(), target, self.config["loss"], beta=self.config["beta"]
        )
        return loss, pred


class ClassificationTask(_OneNetworkTask):
    """Classify each pixel's ab into Q bins (Zhang et al. 2016); decode by annealed mean.

    Targets: true ab average-pooled to the logit grid (``output_stride``), then
    soft-encoded over its ``k`` nearest bins (``ABGamut.encode``). With a ``prior``,
    each pixel's loss is weighted by ``rebalance_weights(prior, lam)`` at the nearest
    bin of its (pooled) true ab.

    Args:
        model: normalised L -> ``(N, Q, s, s)`` logits (e.g. ``ZhangNet(bins=Q)``).
        gamut: the bins (default ``ABGamut()``, Q = 261).
        prior: optional ``(Q,)`` empirical prior (``gamut.prior``) for rebalancing.
        lam: rebalancing mix with the uniform distribution (Zhang: 0.5).
        T: annealed-mean temperature for predictions (Zhang: 0.38).
        k, sigma: soft-encoding neighbours and width in Lab units.
    """

    kind = "classification"

    def __init__(
        self,
        model: nn.Module,
        gamut: ABGamut | None = None,
        prior: torch.Tensor | None = None,
        lam: float = 0.5,
        T: float = ANNEAL_T,
        k: int = 5,
        sigma: float = 5.0,
        lr: float = 1e-3,
    ):
        self.gamut = gamut or ABGamut()
        weights = None if prior is None else rebalance_weights(prior.float(), lam)
        self.class_weights = weights
        config = {
            "T": T,
            "k": k,
            "sigma": sigma,
            "lam": lam,
            "lr": lr,
            "centers": self.gamut.centers.clone(),
            "grid": self.gamut.grid,
            "class_weights": weights,
        }
        super().__init__({"net": model}, {"net": _adam([model], lr)}, config)

    def _loss(self, batch: dict) -> tuple[torch.Tensor, torch.Tensor]:
        with self.autocast():
            logits = self.nets["net"](normalize_l(batch["L"]))
        logits = logits.float()
        ab = _to_grid(batch["ab"], logits)
        target = self.gamut.encode(ab, k=self.config["k"], sigma=self.config["sigma"])
        weights = None
        if self.class_weights is not None:
            weights = self.class_weights.to(ab.device)[self.gamut.nearest(ab)]
        return losses.soft_cross_entropy(logits, target, weights), logits


def _set_requires_grad(nets: Iterable[nn.Module], flag: bool) -> None:
    for net in nets:
        for p in net.parameters():
            p.requires_grad_(flag)


class _GeneratorTask(Task):
    """A GAN whose generator ``G`` colourises; validated by its L1 error on ab / 110."""

    monitor = "l1"
    predict_net = "G"

    def eval_step(self, batch):
        with self.autocast():
            fake_ab = self.nets["G"](normalize_l(batch["L"])).float()
        l1 = losses.regression_loss(fake_ab, normalize_ab(batch["ab"]), "l1")
        return {"l1": l1}, denormalize_ab(fake_ab)


class Pix2PixTask(_GeneratorTask):
    """Conditional GAN: G(L) -> ab, D judges (L, ab) pairs; G loss = adv + l1_weight * L1.

    Defaults as Isola et al.: vanilla GAN loss, L1 weight 100, Adam(2e-4, betas
    (0.5, 0.999)), D loss halved. ``predict_ab`` runs G in eval mode (dropout off).

    Args:
        generator: normalised L -> normalised ab, same size (``UNetGenerator``).
        discriminator: ``(N, 3, S, S)`` normalised Lab -> patch logits.
    """

    kind = "pix2pix"

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        l1_weight: float = 100.0,
        lr: float = 2e-4,
        gan_mode: str = "vanilla",
    ):
        nets = {"G": generator, "D": discriminator}
        optimizers = {n: _adam([m], lr, betas=(0.5, 0.999)) for n, m in nets.items()}
        config = {"l1_weight": l1_weight, "lr": lr, "gan_mode": gan_mode}
        super().__init__(nets, optimizers, config)

    def train_step(self, batch):
        G, D, mode = self.nets["G"], self.nets["D"], self.config["gan_mode"]
        L, real_ab = normalize_l(batch["L"]), normalize_ab(batch["ab"])
        with self.autocast():
            fake_ab = G(L)
            real_score = D(torch.cat((L, real_ab), 1))
            fake_score = D(torch.cat((L, fake_ab.detach()), 1))
            loss_D = 0.5 * (
                losses.adversarial_loss(real_score, True, mode)
                + losses.adversarial_loss(fake_score, False, mode)
            )
        self.optimize("D", loss_D)
        _set_requires_grad([D], False)
        with self.autocast():
            loss_adv = losses.adversarial_loss(D(torch.cat((L, fake_ab), 1)), True, mode)
            loss_l1 = losses.regression_loss(fake_ab.float(), real_ab, "l1")
            loss_G = loss_adv + self.config["l1_weight"] * loss_l1
        self.optimize("G", loss_G)
        _set_requires_grad([D], True)
        return {"loss_D": loss_D.detach(), "loss_G_adv": loss_adv.detach(), "l1": loss_l1.detach()}


class ImagePool:
    """Shrivastava et al.'s history of generated images (CycleGAN: 50).

    ``query(images)`` returns, per image, the image itself while the pool fills; then
    with probability 1/2 a random older image (which the new one replaces), else the
    new one. Uses python's ``random``.
    """

    def __init__(self, size: int = 50) -> None:
        self.size, self.images = size, []

    def query(self, images: torch.Tensor) -> torch.Tensor:
        if self.size == 0:
            return images
        out = []
        for image in images.detach():
            if len(self.images) < self.size:
                self.images.append(image.clone())
                out.append(image)
            elif random.random() < 0.5:
                i = random.randrange(self.size)
                out.append(self.images[i].clone())
                self.images[i] = image.clone()
            else:
                out.append(image)
        return torch.stack(out)


class CycleGANTask(_GeneratorTask):
    """Unpaired colorization: gray domain X (L only) and colour domain Y (L, a, b).

    G: L -> ab gives the colour image ``(L, G(L))``; F: Lab -> L greys it back.
    Losses (LSGAN, as Zhu et al.): adversarial for G via D_color and for F via D_gray,
    cycle L1 ``|F(L, G(L)) - L| + |(F(y), G(F(y))) - y|`` times ``cycle_weight`` (10),
    discriminators trained on an image pool of 50.

    Identity loss: CycleGAN asks each generator to leave images of its target domain
    unchanged. For F this is natural here: a gray image *is* a colour image with
    ab = 0, so ``F(L, 0, 0)`` should return L; that term, weighted ``identity_weight *
    cycle_weight`` (0.5 * 10), is used. For G the analogue would be ``G(y_L) = y_ab``
    on colour images, which is plain supervised regression on the colour half, i.e.
    it would turn the unpaired method into a paired one; so G has no identity term.

    Batches come from :class:`UnpairedDataset`: ``"L"`` is the gray image,
    ``"color_L"`` / ``"color_ab"`` an unrelated colour image from the other half.
    Validation scores G alone on ordinary (L, ab) items.
    """

    kind = "cyclegan"

    def __init__(
        self,
        G: nn.Module,
        F_: nn.Module,
        D_color: nn.Module,
        D_gray: nn.Module,
        cycle_weight: float = 10.0,
        identity_weight: float = 0.5,
        pool_size: int = 50,
        lr: float = 2e-4,
    ):
        nets = {"G": G, "F": F_, "D_color": D_color, "D_gray": D_gray}
        optimizers = {
            "generators": _adam([G, F_], lr, betas=(0.5, 0.999)),
            "discriminators": _adam([D_color, D_gray], lr, betas=(0.5, 0.999)),
        }
        config = {
            "cycle_weight": cycle_weight,
            "identity_weight": identity_weight,
            "pool_size": pool_size,
            "lr": lr,
        }
        super().__init__(nets, optimizers, config)
        self.pools = {"color": ImagePool(pool_size), "gray": ImagePool(pool_size)}

    def train_step(self, batch):
        G, F_, D_y, D_x = (self.nets[n] for n in ("G", "F", "D_color", "D_gray"))
        adv, w = losses.adversarial_loss, self.config["cycle_weight"]
        x = normalize_l(batch["L"])
        y = torch.cat((normalize_l(batch["color_L"]), normalize_ab(batch["color_ab"])), 1)
        _set_requires_grad([D_y, D_x], False)
        with self.autocast():
            fake_y = torch.cat((x, G(x)), 1)
            fake_x = F_(y)
            cycle = losses.cycle_loss(F_(fake_y), x, w) + losses.cycle_loss(
                torch.cat((fake_x, G(fake_x)), 1), y, w
            )
            gray_as_color = torch.cat((x, torch.zeros_like(y[:, 1:])), 1)
            identity = losses.cycle_loss(F_(gray_as_color), x, w * self.config["identity_weight"])
            loss_adv = adv(D_y(fake_y), True, "lsgan") + adv(D_x(fake_x), True, "lsgan")
            loss_gen = loss_adv + cycle + identity
        self.optimize("generators", loss_gen)
        _set_requires_grad([D_y, D_x], True)
        old_y, old_x = self.pools["color"].query(fake_y), self.pools["gray"].query(fake_x)
        with self.autocast():
            loss_D = 0.5 * (
                adv(D_y(y), True, "lsgan")
                + adv(D_y(old_y), False, "lsgan")
                + adv(D_x(x), True, "lsgan")
                + adv(D_x(old_x), False, "lsgan")
            )
        self.optimize("discriminators", loss_D)
        return {
            "loss_G_adv": loss_adv.detach(),
            "cycle": cycle.detach(),
            "identity": identity.detach(),
            "loss_D": loss_D.detach(),
        }

    def extra_state(self):
        return {name: [t.cpu() for t in pool.images] for name, pool in self.pools.items()}

    def load_extra_state(self, state):
        for name, pool in self.pools.items():
            pool.images = [t.to(self.device) for t in state.get(name, [])]


def split_halves(dataset: Dataset, seed: int = 0) -> tuple[Subset, Subset]:
    """Two disjoint random halves of ``dataset`` (the first gets the odd item out)."""
    order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(seed)).tolist()
    middle = (len(order) + 1) // 2
    return Subset(dataset, order[:middle]), Subset(dataset, order[middle:])


class UnpairedDataset(Dataset):
    """Items of ``gray`` with an unrelated colour image of ``color`` attached (CycleGAN).

    Item i is ``gray[i]`` plus ``"color_L"``, ``"color_ab"`` from ``color[i % len(color)]``.
    Build it from :func:`split_halves` so no photo is seen in both domains. The gray
    item's own ``"ab"`` is never used for training.
    """

    def __init__(self, gray: Dataset, color: Dataset) -> None:
        self.gray, self.color = gray, color

    def __len__(self) -> int:
        return len(self.gray)

    def __getitem__(self, i: int) -> dict:
        other = self.color[i % len(self.color)]
        return {**self.gray[i], "color_L": other["L"], "color_ab": other["ab"]}


TASK_KINDS = ("regression", "classification", "pix2pix", "cyclegan")

# Smooth L1's knee for the study: 1 Lab unit (PyTorch's default beta = 1, had the poster
# trained on raw Lab ab), in the networks' ab / 110 units. With beta = 1 on ab / 110 the
# loss would be 0.5 * MSE for every real error, and "Smooth L1 vs L2" an empty comparison.
SMOOTH_L1_BETA = 1.0 / AB_SCALE


def make_task(
    kind: str,
    image_size: int,
    network_name: str | None = None,
    loss: str = "l2",
    dropout: float = 0.0,
    width: float = 1.0,
    prior: torch.Tensor | None = None,
    lr: float | None = None,
    beta: float = SMOOTH_L1_BETA,
) -> Task:
    """Build a task with the networks the study uses, by name (for the CLI and notebooks).

    - ``"regression"``: ``SeedCNN(image_size, dropout)`` (the poster's CNN) or, with
      ``network_name="ZhangNet"``, ``ZhangNet(width)``; loss ``l2``/``smooth_l1``/``l1``
      (``beta``: the Smooth L1 knee in ab / 110 units, default :data:`SMOOTH_L1_BETA`).
    - ``"classification"``: ``ZhangNet(width, bins=Q)`` over the derived bins;
      ``prior`` (Q,) turns on class rebalancing.
    - ``"pix2pix"``: ``UNetGenerator(image_size)`` + ``PatchDiscriminator`` sized for it.
    - ``"cyclegan"``: two ``ResnetGenerator`` (L -> ab, Lab -> L) + two PatchGANs.

    ``lr`` defaults to each method's published value (1e-3 CNNs, 2e-4 GANs).
    """
    if kind not in TASK_KINDS:
        raise ValueError(f"unknown task {kind!r}; valid tasks: {', '.join(TASK_KINDS)}")
    if kind == "regression":
        name = network_name or "SeedCNN"
        if name == "SeedCNN":
            net = network("SeedCNN", image_size=image_size, dropout=dropout)
        elif name == "ZhangNet":
            net = network("ZhangNet", width=width)
        else:
            raise ValueError(f"regression trains SeedCNN or ZhangNet, not {name!r}")
        return RegressionTask(net, loss=loss, lr=lr or 1e-3, beta=beta)
    if kind == "classification":
        gamut = ABGamut()
        net = network("ZhangNet", width=width, bins=gamut.Q)
        return ClassificationTask(net, gamut=gamut, prior=prior, lr=lr or 1e-3)
    n_layers = models.PatchDiscriminator.for_image_size(image_size).n_layers
    critic = {"in_channels": 3, "n_layers": n_layers}
    if kind == "pix2pix":
        G = network("UNetGenerator", image_size=image_size)
        return Pix2PixTask(G, network("PatchDiscriminator", **critic), lr=lr or 2e-4)
    G = network("ResnetGenerator", in_channels=1, out_channels=2)
    F_ = network("ResnetGenerator", in_channels=3, out_channels=1)
    D_color = network("PatchDiscriminator", **critic)
    D_gray = network("PatchDiscriminator", **{**critic, "in_channels": 1})
    return CycleGANTask(G, F_, D_color, D_gray, lr=lr or 2e-4)


# ------------------------------------------------------------------ checkpoints


def _atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Write via a temporary file in the same folder, then ``os.replace`` it into place."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


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


def _header(task: Task) -> dict:
    return {
        "kind": task.kind,
        "config": task.config,
        "networks": task.network_specs(),
        "predict_network": task.predict_net,
    }


def _save_checkpoint(
    path: Path, task: Task, schedulers: dict, epoch: int, step: int, history: list
) -> None:
    payload = {
        "format": CHECKPOINT_FORMAT,
        **_header(task),
        "state": task.state_dict(),
        "schedulers": {n: s.state_dict() for n, s in schedulers.items()},
        "epoch": epoch,
        "step": step,
        "rng": _rng_state(),
        "history": history,
    }
    _atomic_write(path, lambda tmp: torch.save(payload, tmp))


def export_weights(
    task: Task, path: str | os.PathLike, image_size: int, description: str = ""
) -> Path:
    """Save the predicting network's weights in float16 with the checkpoint header.

    The file (``"colorlib.weights/1"``) holds only ``kind``, ``config``, the network
    spec and its state dict (floating tensors as fp16), plus ``image_size`` (the side
    the network was trained at) and a one-line ``description``: about half a float32
    checkpoint of that network, with no optimizer or discriminator.
    :func:`colorlib.pretrained.load` turns it back into a colorizer.
    """
    name = task.predict_net
    state = {
        k: v.half() if v.is_floating_point() else v
        for k, v in _unwrap(task.nets[name]).state_dict().items()
    }
    header = _header(task)
    header["networks"] = {name: header["networks"][name]}
    payload = {
        "format": WEIGHTS_FORMAT,
        **header,
        "image_size": int(image_size),
        "description": str(description),
        "state": {"nets": {name: state}},
    }
    path = Path(path)
    _atomic_write(path, lambda tmp: torch.save(payload, tmp))
    return path


@dataclass
class LoadedCheckpoint:
    """What :func:`load_checkpoint` returns; ``build()`` rebuilds the colourising network.

    Attributes:
        kind: task kind (``"regression"``, ``"classification"``, ...).
        config: task settings (``T``, ``centers`` for classification, ...).
        networks: ``{name: {"class", "kwargs"}}``.
        predict_network: name of the network that colourises.
        state_dicts: ``{name: state_dict}`` (all networks for a training checkpoint).
        epoch, step: progress when saved (None for weight exports).
        history: the per-epoch history (empty for weight exports).
        raw: the whole loaded dict.
    """

    kind: str
    config: dict
    networks: dict
    predict_network: str
    state_dicts: dict
    epoch: int | None
    step: int | None
    history: list
    raw: dict

    def build(self, name: str | None = None) -> nn.Module:
        """Instantiate network ``name`` (default: the predicting one) with its weights, float32."""
        name = name or self.predict_network
        spec = self.networks[name]
        if spec["kwargs"] is None:
            raise ValueError(
                f"network {name!r} ({spec['class']}) was not built with colorlib.train.network, "
                "so its constructor arguments are unknown; build it yourself and load "
                "state_dicts[name]"
            )
        module = network(spec["class"], **spec["kwargs"])
        module.load_state_dict(
            {
                k: v.float() if v.is_floating_point() else v
                for k, v in self.state_dicts[name].items()
            }
        )
        return module.eval()


def load_checkpoint(path: str | os.PathLike) -> LoadedCheckpoint:
    """Read a training checkpoint or weight export with ``weights_only=True`` on the CPU."""
    try:
        raw = torch.load(path, weights_only=True, map_location="cpu")
    except FileNotFoundError:
        raise
    except Exception as err:  # torch raises many types for a corrupt or foreign file
        raise ValueError(f"{path}: not a readable checkpoint ({type(err).__name__})") from None
    if not isinstance(raw, dict) or raw.get("format") not in (CHECKPOINT_FORMAT, WEIGHTS_FORMAT):
        raise ValueError(f"{path}: not a colorlib checkpoint")
    return LoadedCheckpoint(
        kind=raw["kind"],
        config=raw["config"],
        networks=raw["networks"],
        predict_network=raw["predict_network"],
        state_dicts=raw["state"]["nets"],
        epoch=raw.get("epoch"),
        step=raw.get("step"),
        history=raw.get("history", []),
        raw=raw,
    )


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
        rgb = lab_to_rgb(merge_lab(b["L"], pred_ab.float()))
        values = {
            **{k: v.double() * n for k, v in out.items()},
            "ab_l2": metrics.ab_l2(pred_ab, b["ab"]).sum(),
            "psnr": metrics.psnr(rgb, b["rgb"], max_db=100.0).sum(),
            "count": torch.tensor(float(n), dtype=torch.float64, device=task.device),
        }
        for k, v in values.items():
            sums[k] = sums.get(k, 0) + v
    keys = [k for k in sums if k != "count"]
    total = d.sum(torch.stack([sums[k].double() for k in [*keys, "count"]])).cpu()
    return {k: float(v) / float(total[-1]) for k, v in zip(keys, total[:-1], strict=True)}


def _write_history(path: Path, history: list) -> None:
    text = json.dumps(history, indent=1)
    _atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _lrs(task: Task) -> dict[str, float]:
    lrs = {n: o.param_groups[0]["lr"] for n, o in task.optimizers.items()}
    return (
        {"lr": next(iter(lrs.values()))}
        if len(lrs) == 1
        else {f"lr_{n}": v for n, v in lrs.items()}
    )


def _resume(task: Task, schedulers: dict, path: Path) -> tuple[int, int, list]:
    """Load ``path`` into the task; (epochs done, step, history). Refuses another task."""
    ckpt = torch.load(path, weights_only=True, map_location="cpu")
    mine, theirs = (task.kind, task.network_specs()), (ckpt["kind"], ckpt["networks"])
    if mine != theirs:
        raise ValueError(
            f"{path} holds a different task {theirs}, not {mine}: pass resume=False "
            "or another checkpoint_dir"
        )
    task.load_state_dict(ckpt["state"])
    for name, scheduler in schedulers.items():
        scheduler.load_state_dict(ckpt["schedulers"][name])
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
    callbacks: Sequence[Callable[[dict], None]] = (),
) -> list[dict]:
    """Train ``task`` for ``epochs`` epochs in total; return the per-epoch history.

    Args:
        task: a :class:`Task` (its networks and optimizers are trained in place).
        train_data, val_data: datasets of dicts (see the module docstring). Validation
            runs after every epoch when given.
        epochs: total epochs; a resumed run continues up to this number.
        batch_size: the **global** batch, split evenly over DDP ranks.
        checkpoint_dir: where ``last.pt`` and ``history.json`` go after every epoch
            (rank 0, atomically); None writes nothing.
        resume: continue from ``checkpoint_dir/last.pt`` when it exists (it must hold
            the same task kind and networks); False starts afresh and overwrites.
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

    Returns:
        list of dicts, one per epoch: ``epoch`` (1-based), ``step``, ``train_<loss>``,
        ``val_<loss>``, ``val_ab_l2`` (mean ab distance, Lab units), ``val_psnr`` (dB,
        capped at 100), ``lr`` (or ``lr_<optimizer>``), ``seconds`` (wall time).

    Raises:
        TrainingDiverged: a loss is NaN or infinite; names the epoch and step. The last
            checkpoint and history on disk stay those of the last good epoch.
    """
    d, dev = _join_process_group(device)
    try:
        if batch_size % d.world:
            raise ValueError(f"batch_size {batch_size} is not divisible by {d.world} ranks")
        seed_everything(seed)
        task.setup(dev, amp)
        schedulers = _make_schedulers(task, lr_schedule, patience)
        folder = Path(checkpoint_dir) if checkpoint_dir is not None else None
        last = folder / LAST_CHECKPOINT if folder else None
        start, step, history = 0, 0, []
        if last is not None and resume and last.exists():
            start, step, history = _resume(task, schedulers, last)
        if folder is not None and d.main:
            folder.mkdir(parents=True, exist_ok=True)
        if d.world > 1:
            _wrap_ddp(task, dev, sync_batchnorm)
        local_batch = batch_size // d.world
        show = progress and d.main
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
            if d.main and folder is not None:
                _save_checkpoint(last, task, schedulers, epoch + 1, step, history)
                _write_history(folder / HISTORY_FILE, history)
            if d.main:
                for callback in callbacks:
                    callback(record)
        return history
    finally:
        for name, net in task.nets.items():
            task.nets[name] = _unwrap(net)
        if d.created_group:
            dist.destroy_process_group()


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
