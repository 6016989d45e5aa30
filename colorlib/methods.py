"""Every method of the study, declared once: its settings, their defaults, its builder.

A :class:`Method` is what a newcomer adds to try a new idea: a frozen settings
dataclass (each field a default and a one-line help, :func:`setting`) and a builder
that turns those settings into a :class:`colorlib.tasks.Task` for
:func:`colorlib.train.fit`. Everything else reads the declaration:
``python -m colorlib train --method NAME`` makes one command-line option per
setting (``train --method pix2pix --help`` lists them with their defaults),
:mod:`colorlib.experiments` builds its models through :func:`build`, and
``scripts/train_full.py --dry-run`` prints them.

The methods (the default of every setting is what the shipped models use, unless a
field's help says otherwise):

==============  ======================================================================
``regression``  the poster's CNN (``SeedCNN``) or Zhang et al.'s network predicting ab
                directly, with L2 / Smooth L1 / L1 (:class:`~colorlib.tasks.RegressionTask`)
``bins``        Zhang et al. 2016: cross-entropy over quantised ab bins, optionally
                class-rebalanced, decoded by annealed mean
                (:class:`~colorlib.tasks.BinTask`)
``pix2pix``     Isola et al. 2017: U-Net + PatchGAN, adversarial + lambda L1, and its
                ablations (:class:`~colorlib.tasks.Pix2PixTask`)
``cyclegan``    Zhu et al. 2017: unpaired gray <-> colour on two disjoint halves of the
                training photos (:class:`~colorlib.tasks.CycleGANTask`)
``judge``       not a colorizer: a classifier of colour photos, the semantic-
                interpretability judge of notebook 05 (:class:`~colorlib.tasks.LabelTask`)
==============  ======================================================================

Adding a method: write its Task (or reuse one), then declare it here::

    @dataclass(frozen=True)
    class MySettings:
        lr: float = setting(1e-3, "Adam learning rate")

    METHODS["mine"] = Method("mine", "my idea", MySettings, build=_build_mine)

Each method also has the ``kind`` its checkpoints carry (``Task.kind``); for the
bins and the judge it is their historical ``"classification"`` and ``"labels"``, so
that every shipped weight file loads unchanged. :func:`get` accepts either name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from colorlib.profiles import REGRESSION_LOSSES, SMOOTH_L1_BETA

if TYPE_CHECKING:  # torch is imported by the builders only, so that the CLI starts fast
    import torch
    from torch.utils.data import Dataset

    from colorlib.tasks import Task

__all__ = [
    "METHODS",
    "BinSettings",
    "CycleGANSettings",
    "JudgeSettings",
    "Method",
    "Pix2PixSettings",
    "RegressionSettings",
    "build",
    "get",
    "setting",
    "settings_for",
]


def setting(default: Any, help: str, choices: tuple | None = None) -> Any:
    """A settings field: its default, a one-line help and, optionally, its valid values."""
    return dataclasses.field(default=default, metadata={"help": help, "choices": choices})


@dataclass(frozen=True)
class RegressionSettings:
    """The poster's CNN losses (notebooks 01, 02), or Zhang et al.'s network with L2."""

    network: str = setting("SeedCNN", "the network", ("SeedCNN", "ZhangNet"))
    loss: str | Callable = setting(
        "l2", "loss on ab / 110 (in Python also your own callable loss(pred, target))",
        REGRESSION_LOSSES,
    )  # fmt: skip
    dropout: float = setting(0.0, "SeedCNN: dropout after each BatchNorm (poster: L2 + dropout)")
    width: float = setting(0.25, "ZhangNet: channel multiplier (shipped: quarter width)")
    lr: float = setting(1e-3, "Adam learning rate (the poster's)")
    beta: float = setting(SMOOTH_L1_BETA, "Smooth L1 knee in ab / 110 units (1 Lab unit)")


@dataclass(frozen=True)
class BinSettings:
    """Zhang et al. 2016: cross-entropy over the ab bins of :class:`colorlib.gamut.ABGamut`."""

    width: float = setting(0.25, "ZhangNet channel multiplier (shipped: quarter width)")
    rebalance: bool = setting(False, "weight each pixel by its colour's rarity (Zhang et al.)")
    rebalance_mix: float = setting(
        0.5, "rebalancing: the uniform share mixed into the prior before it is inverted "
        "(Zhang et al.: 0.5; larger is gentler, 1 weighs every colour alike)",
    )  # fmt: skip
    lr: float = setting(1e-3, "Adam learning rate")


@dataclass(frozen=True)
class Pix2PixSettings:
    """Isola et al. 2017, sized for 32 and 64 px photos."""

    base_width: int = setting(32, "U-Net channels at full resolution (shipped: 32; paper: 64)")
    l1_weight: float = setting(100.0, "lambda, the L1 term's weight (0: the cGAN-only ablation)")
    adversarial_weight: float = setting(1.0, "the GAN term's weight (0: the L1-only ablation)")
    noise_channels: int = setting(0, "Gaussian noise channels added to the U-Net's input")
    lr: float = setting(2e-4, "Adam learning rate (the paper's)")


@dataclass(frozen=True)
class CycleGANSettings:
    """Zhu et al. 2017 on two disjoint halves of the training photos."""

    base_width: int = setting(32, "ResNet generator channels (shipped: 32; paper: 64)")
    cycle_weight: float = setting(10.0, "lambda, the cycle-consistency terms' weight (paper: 10)")
    identity_weight: float = setting(
        0.5, "the identity term's weight, as a fraction of cycle_weight (paper: 0.5; 0: off)"
    )
    lr: float = setting(2e-4, "Adam learning rate (the paper's)")


@dataclass(frozen=True)
class JudgeSettings:
    """A classifier of colour photos: notebook 05's semantic-interpretability judge."""

    network: str = setting(
        "CifarClassifier", "the classifier", ("CifarClassifier", "TinyImageNetClassifier")
    )
    augment: bool = setting(False, "random flips and shifts while training")
    gray_input: bool = setting(
        False, "train and score on gray photos (L only, a = b = 0): a judge of shape alone"
    )
    lr: float = setting(1e-3, "Adam learning rate")


@dataclass(frozen=True)
class Method:
    """One method: its name, what it is, its settings, and how it becomes a Task.

    Attributes:
        name: what users type (``train --method NAME``).
        summary: one line for listings.
        settings: a frozen dataclass of :func:`setting` fields.
        build: ``build(settings, image_size, prior, classes) -> Task``; ``prior`` is the
            ``(Q,)`` ab-bin prior of the training photos when the settings ask for
            rebalancing (else None), ``classes`` the number of labels.
        kind: the tag its checkpoints carry (``Task.kind``).
        colorizes: False for a method whose model is not a colorizer (the judge).
        training_data: how the training photos are fed to it (default: as they are;
            CycleGAN: two disjoint halves, unpaired).
    """

    name: str
    summary: str
    settings: type
    build: Callable[..., Task]
    kind: str = ""
    colorizes: bool = True
    training_data: Callable[[Dataset, int], Dataset] | None = None

    def __post_init__(self) -> None:
        if not self.kind:
            object.__setattr__(self, "kind", self.name)


def _regression(s: RegressionSettings, image_size: int, prior, classes: int) -> Task:
    from colorlib.tasks import RegressionTask, build_network

    if s.network == "SeedCNN":
        net = build_network("SeedCNN", image_size=image_size, dropout=s.dropout)
    elif s.network == "ZhangNet":
        net = build_network("ZhangNet", width=s.width)
    else:
        raise ValueError(f"regression trains SeedCNN or ZhangNet, not {s.network!r}")
    return RegressionTask(net, loss=s.loss, lr=s.lr, beta=s.beta)


def _bins(s: BinSettings, image_size: int, prior, classes: int) -> Task:
    from colorlib.gamut import ABGamut
    from colorlib.tasks import BinTask, build_network

    gamut = ABGamut()
    net = build_network("ZhangNet", width=s.width, bins=gamut.Q)
    prior = prior if s.rebalance else None
    return BinTask(net, gamut=gamut, prior=prior, lam=s.rebalance_mix, lr=s.lr)


def _critic(image_size: int, in_channels: int) -> torch.nn.Module:
    from colorlib import models
    from colorlib.tasks import build_network

    n_layers = models.PatchDiscriminator.for_image_size(image_size).n_layers
    return build_network("PatchDiscriminator", in_channels=in_channels, n_layers=n_layers)


def _pix2pix(s: Pix2PixSettings, image_size: int, prior, classes: int) -> Task:
    from colorlib.tasks import Pix2PixTask, build_network

    G = build_network(
        "UNetGenerator", image_size=image_size, base_width=s.base_width,
        noise_channels=s.noise_channels,
    )  # fmt: skip
    return Pix2PixTask(
        G, _critic(image_size, 3), lr=s.lr, l1_weight=s.l1_weight,
        adversarial_weight=s.adversarial_weight,
    )  # fmt: skip


def _cyclegan(s: CycleGANSettings, image_size: int, prior, classes: int) -> Task:
    from colorlib.tasks import CycleGANTask, build_network

    G = build_network("ResnetGenerator", in_channels=1, out_channels=2, base_width=s.base_width)
    F_ = build_network("ResnetGenerator", in_channels=3, out_channels=1, base_width=s.base_width)
    return CycleGANTask(
        G, F_, _critic(image_size, 3), _critic(image_size, 1), lr=s.lr,
        cycle_weight=s.cycle_weight, identity_weight=s.identity_weight,
    )  # fmt: skip


def _judge(s: JudgeSettings, image_size: int, prior, classes: int) -> Task:
    from colorlib.tasks import LabelTask, build_network

    if s.network == "CifarClassifier" and classes == 10:
        net = build_network("CifarClassifier")
    else:
        net = build_network(s.network, classes=classes)
    return LabelTask(net, lr=s.lr, augment=s.augment, gray_input=s.gray_input)


def _unpaired_halves(photos: Dataset, seed: int) -> Dataset:
    """CycleGAN's training data: gray photos of one half, colour photos of the other."""
    from colorlib.tasks import UnpairedDataset, split_halves

    return UnpairedDataset(*split_halves(photos, seed=seed))


METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method("regression", "the poster's CNN or Zhang's network, ab predicted directly",
               RegressionSettings, _regression),
        Method("bins", "Zhang et al.: cross-entropy over ab bins, annealed-mean decoding",
               BinSettings, _bins, kind="classification"),
        Method("pix2pix", "Isola et al.: U-Net + PatchGAN, adversarial + L1",
               Pix2PixSettings, _pix2pix),
        Method("cyclegan", "Zhu et al.: unpaired gray <-> colour, cycle consistency",
               CycleGANSettings, _cyclegan, training_data=_unpaired_halves),
        Method("judge", "a classifier of colour photos (notebook 05's judge), not a colorizer",
               JudgeSettings, _judge, kind="labels", colorizes=False),
    )
}  # fmt: skip
"""The methods by name, in the order of the study."""


def get(name: str) -> Method:
    """The method called ``name`` (or whose checkpoints carry the kind ``name``)."""
    for method in METHODS.values():
        if name in (method.name, method.kind):
            return method
    raise ValueError(f"unknown method {name!r}; valid methods: {', '.join(METHODS)}")


def settings_for(name: str, **values: Any) -> Any:
    """``name``'s settings with ``values`` in place of their defaults; None keeps a default.

    Raises:
        ValueError: a value for a setting the method does not have (the message lists
            the ones it has), or one outside a setting's choices.
    """
    method = get(name)
    fields = {f.name: f for f in dataclasses.fields(method.settings)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ValueError(
            f"{method.name} has no setting {', '.join(unknown)}; its settings: "
            f"{', '.join(fields)}"
        )
    given = {k: v for k, v in values.items() if v is not None}
    for key, value in given.items():
        choices = fields[key].metadata.get("choices")
        if choices and not callable(value) and value not in choices:
            raise ValueError(f"{method.name}: {key} must be one of {choices}, got {value!r}")
    return method.settings(**given)


def build(
    name: str,
    image_size: int,
    prior: torch.Tensor | None = None,
    classes: int = 10,
    **values: Any,
) -> Task:
    """The Task of method ``name`` with its settings (``values`` override the defaults).

    >>> task = build("pix2pix", 32, l1_weight=0.0)  # the cGAN-only ablation
    >>> task.config["l1_weight"], type(task).__name__
    (0.0, 'Pix2PixTask')

    Args:
        name: a method name (or checkpoint kind), see :data:`METHODS`.
        image_size: the training photos' side S.
        prior: ``(Q,)`` ab-bin prior of the training photos, for ``rebalance``.
        classes: number of labels, for the judge.
        values: settings of that method (:func:`settings_for`).
    """
    method = get(name)
    settings = settings_for(method.name, **values)
    if getattr(settings, "rebalance", False) and prior is None:
        raise ValueError(f"{method.name}: rebalance needs the prior of the training photos")
    return method.build(settings, image_size, prior, classes)
