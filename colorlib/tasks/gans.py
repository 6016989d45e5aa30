"""The adversarial colorizers: :class:`Pix2PixTask` (conditional GAN, adversarial +
lambda * L1; Isola et al. 2017) and :class:`CycleGANTask` (unpaired gray <-> colour
with cycle and identity losses, discriminators fed from an :class:`ImagePool`; Zhu
et al. 2017), with the unpaired data CycleGAN trains on: :func:`split_halves` and
:class:`UnpairedDataset`. Both validate the generator ``G`` by its L1 error on ab.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

import torch
from torch import nn
from torch.utils.data import Dataset, Subset

from colorlib import losses
from colorlib.lab import denormalize_ab, normalize_ab, normalize_l
from colorlib.tasks.base import Task, adam

__all__ = ["CycleGANTask", "ImagePool", "Pix2PixTask", "UnpairedDataset", "split_halves"]


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
        optimizers = {n: adam([m], lr, betas=(0.5, 0.999)) for n, m in nets.items()}
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
            "generators": adam([G, F_], lr, betas=(0.5, 0.999)),
            "discriminators": adam([D_color, D_gray], lr, betas=(0.5, 0.999)),
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
