"""What to learn: one :class:`Task` per colorization method (built by :mod:`colorlib.methods`).

A task owns its networks, optimizers and losses and knows one step of its method;
:func:`colorlib.train.fit` owns everything else (epochs, devices, checkpoints,
resumption, DDP). The tasks:

- :class:`RegressionTask`: L2 / Smooth L1 / L1 on normalised ab (the poster's CNNs);
- :class:`ClassificationTask`: cross-entropy over ab bins, optional class
  rebalancing, annealed-mean decoding (Zhang et al. 2016);
- :class:`Pix2PixTask`: conditional GAN, adversarial + lambda * L1 (Isola et al. 2017);
- :class:`CycleGANTask`: unpaired gray <-> colour with cycle and identity losses
  (Zhu et al. 2017).

Every task predicts through the same :class:`colorlib.colorizer.Colorizer`, so
evaluation and shipped weights behave alike whatever the method.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Iterable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import Dataset, Subset

from colorlib import losses, models
from colorlib.colorizer import Colorizer
from colorlib.gamut import ANNEAL_T, ABGamut, rebalance_weights
from colorlib.lab import AB_SCALE, denormalize_ab, normalize_ab, normalize_l

__all__ = [
    "SMOOTH_L1_BETA",
    "ClassificationTask",
    "CycleGANTask",
    "ImagePool",
    "LabelTask",
    "Pix2PixTask",
    "RegressionTask",
    "Task",
    "UnpairedDataset",
    "network",
    "split_halves",
    "unwrap",
]


# Smooth L1's knee for the study: 1 Lab unit (PyTorch's default beta = 1, had the poster
# trained on raw Lab ab), in the networks' ab / 110 units. With beta = 1 on ab / 110 the
# loss would be 0.5 * MSE for every real error, and "Smooth L1 vs L2" an empty comparison.
SMOOTH_L1_BETA = 1.0 / AB_SCALE


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


def unwrap(module: nn.Module) -> nn.Module:
    """The network inside a DistributedDataParallel wrapper (or the network itself)."""
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
        """Validation losses (0-dim) and the predicted ab ``(N, 2, S, S)`` in Lab units
        (None for a task that predicts no colour, :class:`LabelTask`)."""
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
        return self.colorizer().decode(output, L.shape[-2:])

    def extra_state(self) -> dict:
        """Task state beyond networks and optimizers (tensors and plain types)."""
        return {}

    def load_extra_state(self, state: dict) -> None:
        pass

    def network_specs(self) -> dict:
        return {name: _spec(unwrap(net)) for name, net in self.nets.items()}

    def state_dict(self) -> dict:
        return {
            "nets": {n: unwrap(m).state_dict() for n, m in self.nets.items()},
            "optimizers": {n: o.state_dict() for n, o in self.optimizers.items()},
            "scalers": {n: s.state_dict() for n, s in self.scalers.items()},
            "extra": self.extra_state(),
        }

    def load_state_dict(self, state: dict) -> None:
        for name, net in self.nets.items():
            unwrap(net).load_state_dict(state["nets"][name])
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
        return {"loss": loss}, self.colorizer().decode(output, batch["L"].shape[-2:])


def _loss_name(loss: Callable) -> str:
    """The name a callable loss is saved under in checkpoints (``"custom:<name>"``)."""
    if not callable(loss):
        raise TypeError(f"loss must be a name or a callable, got {type(loss).__name__}")
    return "custom:" + getattr(loss, "__name__", type(loss).__name__)


class RegressionTask(_OneNetworkTask):
    """Predict normalised ab directly, trained on a regression loss.

    Args:
        model: normalised L ``(N, 1, S, S)`` -> normalised ab ``(N, 2, s, s)``.
        loss: ``"l2"`` (poster), ``"smooth_l1"`` or ``"l1"`` (``losses.regression_loss``),
            or **your own loss**: a callable ``loss(pred, target) -> 0-dim tensor`` on
            normalised ab (ab / 110), both ``(N, 2, s, s)`` (the target pooled to the
            prediction's grid). It is saved in checkpoints as ``"custom:<its name>"``;
            a resumed run must pass the same callable again.
        lr: Adam learning rate (poster: 1e-3, then 1e-4 on plateau).
        beta: Smooth L1 knee in ab / 110 units (named losses only).
    """

    kind = "regression"

    def __init__(
        self, model: nn.Module, loss: str | Callable = "l2", lr: float = 1e-3, beta: float = 1.0
    ):
        if isinstance(loss, str):
            if loss not in losses.REGRESSION_KINDS:
                raise ValueError(f"loss must be one of {losses.REGRESSION_KINDS}, got {loss!r}")
            self.loss_fn = functools.partial(losses.regression_loss, kind=loss, beta=beta)
            name = loss
        else:
            self.loss_fn, name = loss, _loss_name(loss)
        config = {"loss": name, "lr": lr, "beta": beta}
        super().__init__({"net": model}, {"net": _adam([model], lr)}, config)

    def _loss(self, batch: dict) -> tuple[torch.Tensor, torch.Tensor]:
        with self.autocast():
            pred = self.nets["net"](normalize_l(batch["L"]))
        target = _to_grid(normalize_ab(batch["ab"]), pred)
        return self.loss_fn(pred.float(), target), pred


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
        loss: ``losses.soft_cross_entropy`` by default, or **your own loss**: a callable
            ``loss(logits, target, weights) -> 0-dim tensor`` with float logits
            ``(N, Q, s, s)``, the soft-encoded target ``(N, Q, s, s)`` (sums to 1 over
            Q) and per-pixel rebalancing weights ``(N, s, s)`` or None. Saved in
            checkpoints as ``"custom:<its name>"``.
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
        loss: Callable | None = None,
    ):
        self.gamut = gamut or ABGamut()
        self.loss_fn = loss or losses.soft_cross_entropy
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
        if loss is not None:
            config["loss"] = _loss_name(loss)
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
        return self.loss_fn(logits, target, weights), logits


class LabelTask(_OneNetworkTask):
    """Classify colour photos (``batch["rgb"]`` -> ``batch["label"]``), cross-entropy.

    Not a colorization method: it trains the judge of notebook 05's semantic
    interpretability test (``colorlib.models.CifarClassifier``) with the same
    engine. Validation reports the loss and the accuracy; it predicts no ab, so
    :func:`colorlib.train.fit` skips the colour metrics.
    """

    kind = "labels"

    def __init__(self, model: nn.Module, lr: float = 1e-3, augment: bool = False):
        config = {"lr": lr, "augment": augment}
        super().__init__({"net": model}, {"net": _adam([model], lr)}, config)

    def _loss(self, batch: dict) -> tuple[torch.Tensor, torch.Tensor]:
        with self.autocast():
            logits = self.nets["net"](batch["rgb"])
        return F.cross_entropy(logits.float(), batch["label"]), logits

    def train_step(self, batch):
        if self.config.get("augment"):
            batch = {**batch, "rgb": augment_photos(batch["rgb"])}
        return super().train_step(batch)

    def eval_step(self, batch):
        loss, logits = self._loss(batch)
        accuracy = (logits.argmax(dim=1) == batch["label"]).float().mean()
        return {"loss": loss, "accuracy": accuracy}, None

    def colorizer(self) -> Colorizer:
        raise TypeError("a LabelTask classifies photos; it has no colorizer")


def augment_photos(rgb: torch.Tensor, shift: int = 4) -> torch.Tensor:
    """Random horizontal flips (each photo) and a random shift of up to ``shift`` pixels
    (reflect-padded; one shift per batch): the usual light augmentation for training a
    classifier on small photos. ``(N, 3, S, S)`` -> same shape; uses torch's RNG."""
    flip = torch.rand(rgb.shape[0], 1, 1, 1, device=rgb.device) < 0.5
    rgb = torch.where(flip, rgb.flip(-1), rgb)
    size = rgb.shape[-1]
    padded = F.pad(rgb, (shift, shift, shift, shift), mode="reflect")
    dy, dx = (int(v) for v in torch.randint(0, 2 * shift + 1, (2,)))
    return padded[..., dy : dy + size, dx : dx + size]


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
    The paper's ablations are weights: ``adversarial_weight=0`` is "L1 only" (D is
    then not trained at all), ``l1_weight=0`` is "cGAN only".

    Args:
        generator: normalised L -> normalised ab, same size (``UNetGenerator``).
        discriminator: ``(N, 3, S, S)`` normalised Lab -> patch logits.
        l1_weight: lambda, the weight of L1 on ab / 110 (default 100).
        adversarial_weight: weight of G's adversarial loss (default 1; 0: L1 only).
    """

    kind = "pix2pix"

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        l1_weight: float = 100.0,
        lr: float = 2e-4,
        gan_mode: str = "vanilla",
        adversarial_weight: float = 1.0,
    ):
        if l1_weight < 0 or adversarial_weight < 0 or l1_weight + adversarial_weight == 0:
            raise ValueError(
                "l1_weight and adversarial_weight must be >= 0 and not both 0, got "
                f"{l1_weight} and {adversarial_weight}"
            )
        nets = {"G": generator, "D": discriminator}
        optimizers = {n: _adam([m], lr, betas=(0.5, 0.999)) for n, m in nets.items()}
        config = {
            "l1_weight": l1_weight,
            "adversarial_weight": adversarial_weight,
            "lr": lr,
            "gan_mode": gan_mode,
        }
        super().__init__(nets, optimizers, config)

    def train_step(self, batch):
        G, D, mode = self.nets["G"], self.nets["D"], self.config["gan_mode"]
        L, real_ab = normalize_l(batch["L"]), normalize_ab(batch["ab"])
        if self.config.get("adversarial_weight", 1.0) == 0:  # "L1 only": no GAN at all
            with self.autocast():
                fake_ab = G(L)
            loss_l1 = losses.regression_loss(fake_ab.float(), real_ab, "l1")
            self.optimize("G", self.config["l1_weight"] * loss_l1)
            return {"l1": loss_l1.detach()}
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
            loss_G = (
                self.config.get("adversarial_weight", 1.0) * loss_adv
                + self.config["l1_weight"] * loss_l1
            )
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
