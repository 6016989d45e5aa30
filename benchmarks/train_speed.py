"""Training speed of colorlib.train.fit() per model family, in float32 and in bf16,
against a bare PyTorch loop.

For each shipped model family at its training size, this trains the same networks
five ways in the same run (:data:`CONTENDERS`) and prints images/s for each:

- **fit**: ``colorlib.train.fit(task, data, epochs=1, precision=P)`` with no
  validation, no checkpoints and no progress bars, on an in-memory dataset of dicts
  (so what is measured is the engine: DataLoader, per-epoch seeding, deterministic
  kernels, loss bookkeeping and NaN checks, plus the task's own step), with P =
  ``"fp32"`` and ``"bf16"`` (autocast to bfloat16 and channels-last networks, as
  ``fit`` chooses in mixed precision);
- **bare**: the fastest plain loop written honestly with the same settings: the
  same networks and Adam optimizers (taken from the same task, so the same lr),
  the same batch size and the same loss maths, written out in this script without the
  Task classes; the data sit on the device as tensors and each step gathers a
  shuffled batch from them; no DataLoader, no loss syncs, no checks, torch's
  default (non-deterministic) kernels, ``cudnn.benchmark`` on CUDA. It runs in
  float32, under bf16 autocast, and under bf16 autocast with channels_last.

Each family ends with one line, ``NAME: bf16/fp32 <ratio>x ...``: what bf16 buys
through the engine (fit in bf16 over fit in float32), the engine's overhead in bf16
(fit over the faster bare bf16 loop), and what channels_last adds.

The families, as ``colorlib.experiments.EXPERIMENTS`` trains them:

    seedcnn     imagenet32-seedcnn-l2     the poster's SeedCNN, 32 px, L2 regression
    zhang       imagenet64-zhang-ce       Zhang et al.'s network (half width), 64 px,
                                          cross-entropy over ab bins
    zhang-cpu   imagenet64-zhang-ce-rebalanced
                                          the same at quarter width, batch 64: the
                                          size trained on the 2-core CPU (timed
                                          without rebalancing, as zhang)
    pix2pix     imagenet64-pix2pix        U-Net + PatchGAN, base width 32, 64 px
    cyclegan    imagenet64-cyclegan       two ResNet generators (base 32) + two
                                          PatchGANs, 64 px
    classifier  tinyimagenet-classifier   ResNet-18-like classifier, 64 px, with its
                                          flip-and-shift augmentation

Data are synthetic (uniform random sRGB converted to Lab; random labels) with the
real shapes, already in memory, so no dataset is needed. Per family it prints the
parameters (all networks of the task), the forward FLOPs per image of one training
step (every network forward the step makes, counted with
``torch.utils.flop_counter.FlopCounterMode`` on one image), a whole step's FLOPs
(forwards and backwards, counted the same way on a real step) as a multiple of that
(the rule of thumb says about 3; less where inputs or frozen discriminators need no
gradient), images/s, the ratios and the achieved fraction of "peak": a step's FLOPs
per image x images/s over the FLOP/s of a large float32 (or bf16) matmul measured in
the same run (a measured reference, not the machine's nominal peak). The bf16 peak
over the float32 one says what the chip offers: several times on Intel's AMX matrix
units, about 2x with AVX512-BF16 alone (AMD Zen 4), less than 1 where bf16 is emulated.

Warm-up steps (``--warmup`` per contender: oneDNN and cuDNN build kernels per dtype
and layout) are not timed. The contenders then take turns ``--repeats`` times and
the best run of each counts (shared machines are noisy).

``benchmarks/fit_speed.py`` is the narrower check it generalises: the SeedCNN alone,
against a bare loop that keeps the same DataLoader (engine overhead only). This
script is the one to quote for "how fast does fit train each model".

    python benchmarks/train_speed.py [--steps 2] [--repeats 2] [--only seedcnn zhang]
    python benchmarks/train_speed.py --smoke     # CI: batch 4, 2 steps, seconds
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import math
import os
import platform
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import Dataset
from torch.utils.flop_counter import FlopCounterMode

from colorlib import devices, experiments, methods, tasks
from colorlib.experiments import EXPERIMENTS, Experiment
from colorlib.gamut import ABGamut
from colorlib.lab import normalize_ab, normalize_l, rgb_to_lab, split_lab
from colorlib.losses import adversarial_loss, cycle_loss, regression_loss, soft_cross_entropy
from colorlib.train import fit, resolve_device

DEFAULT_STEPS = 2
DEFAULT_REPEATS = 2
"""Timed steps per contender and repeat, and repeats: the default run then takes about
3 minutes on the 2-core development CPU when no one else uses it (a CycleGAN step at
batch 32 takes about 5 s there, a classifier step at batch 256 about 8 s)."""
TINY_IMAGENET_CLASSES = 202
"""Classes of the study's Tiny ImageNet copy (``TinyImageNetClassifier``'s docstring)."""
SMOKE = {"steps": 2, "batch": 4, "warmup": 0, "repeats": 1}
"""``--smoke``: checks that every family runs; its numbers mean nothing."""


# ------------------------------------------------------------------ the bare steps


@dataclasses.dataclass
class BareContext:
    """What a bare step needs besides networks and batch: the optimizers and settings
    of the task, the autocast dtype (None: float32) and the method's state."""

    optimizers: dict[str, torch.optim.Optimizer]
    config: dict
    gamut: ABGamut | None = None
    device_type: str = "cpu"
    amp_dtype: torch.dtype | None = None
    dry_run: bool = False
    """Forward passes only (no backward, no optimizer step): for counting FLOPs."""
    pools: dict[str, tasks.ImagePool] = dataclasses.field(default_factory=dict)

    @classmethod
    def for_task(cls, task: tasks.Task, **kwargs) -> BareContext:
        """The task's optimizers, settings, bins and (CycleGAN) image pools."""
        pools = getattr(task, "pools", None)
        if pools is not None:
            kwargs.setdefault("pools", pools)
        return cls(task.optimizers, task.config, getattr(task, "gamut", None), **kwargs)

    def autocast(self) -> torch.autocast:
        enabled = self.amp_dtype is not None
        return torch.autocast(self.device_type, dtype=self.amp_dtype, enabled=enabled)

    def update(self, name: str, loss: torch.Tensor) -> None:
        """Zero the grads, backpropagate ``loss`` and step optimizer ``name``."""
        if self.dry_run:
            return
        optimizer = self.optimizers[name]
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    def pool(self, name: str) -> tasks.ImagePool:
        """CycleGAN's history of generated images ``name`` (created on first use)."""
        return self.pools.setdefault(name, tasks.ImagePool(self.config["pool_size"]))


BareStep = Callable[[dict[str, nn.Module], dict[str, torch.Tensor], BareContext], dict]


def regression_step(nets, batch, ctx):
    """L2 (or the task's loss) on normalised ab, as ``RegressionTask``."""
    with ctx.autocast():
        pred = nets["net"](normalize_l(batch["L"]))
    loss = regression_loss(
        pred.float(), normalize_ab(batch["ab"]), ctx.config["loss"], beta=ctx.config["beta"]
    )
    ctx.update("net", loss)
    return {"loss": loss.detach()}


def bins_step(nets, batch, ctx):
    """Cross-entropy over soft-encoded ab bins at the logits' grid, as ``BinTask``
    (no rebalancing: the benchmarked experiment has none)."""
    with ctx.autocast():
        logits = nets["net"](normalize_l(batch["L"]))
    logits = logits.float()
    ab = F.adaptive_avg_pool2d(batch["ab"], logits.shape[-2:])
    target = ctx.gamut.encode(ab, k=ctx.config["k"], sigma=ctx.config["sigma"])
    loss = soft_cross_entropy(logits, target)
    ctx.update("net", loss)
    return {"loss": loss.detach()}


def pix2pix_step(nets, batch, ctx):
    """D on real and detached fake pairs, then G on adversarial + lambda * L1, as
    ``Pix2PixTask`` (with a non-zero adversarial weight)."""
    G, D, mode = nets["G"], nets["D"], ctx.config["gan_mode"]
    L, real_ab = normalize_l(batch["L"]), normalize_ab(batch["ab"])
    with ctx.autocast():
        fake_ab = G(L)
        real_score = D(torch.cat((L, real_ab), 1))
        fake_score = D(torch.cat((L, fake_ab.detach()), 1))
        loss_D = 0.5 * (
            adversarial_loss(real_score, True, mode) + adversarial_loss(fake_score, False, mode)
        )
    ctx.update("D", loss_D)
    D.requires_grad_(False)
    with ctx.autocast():
        loss_adv = adversarial_loss(D(torch.cat((L, fake_ab), 1)), True, mode)
        loss_l1 = regression_loss(fake_ab.float(), real_ab, "l1")
        loss_G = ctx.config["adversarial_weight"] * loss_adv + ctx.config["l1_weight"] * loss_l1
    ctx.update("G", loss_G)
    D.requires_grad_(True)
    return {"loss_D": loss_D.detach(), "loss_G_adv": loss_adv.detach(), "l1": loss_l1.detach()}


def cyclegan_step(nets, batch, ctx):
    """Generators on LSGAN + cycle + F's identity loss, then both discriminators on
    pooled fakes, as ``CycleGANTask``."""
    G, F_, D_y, D_x = (nets[n] for n in ("G", "F", "D_color", "D_gray"))
    w, identity_w = ctx.config["cycle_weight"], ctx.config["identity_weight"]
    x = normalize_l(batch["L"])
    y = torch.cat((normalize_l(batch["color_L"]), normalize_ab(batch["color_ab"])), 1)
    D_y.requires_grad_(False)
    D_x.requires_grad_(False)
    with ctx.autocast():
        fake_y = torch.cat((x, G(x)), 1)
        fake_x = F_(y)
        cycle = cycle_loss(F_(fake_y), x, w) + cycle_loss(torch.cat((fake_x, G(fake_x)), 1), y, w)
        gray_as_color = torch.cat((x, torch.zeros_like(y[:, 1:])), 1)
        identity = cycle_loss(F_(gray_as_color), x, w * identity_w)
        loss_adv = adversarial_loss(D_y(fake_y), True, "lsgan") + adversarial_loss(
            D_x(fake_x), True, "lsgan"
        )
        loss_gen = loss_adv + cycle + identity
    ctx.update("generators", loss_gen)
    D_y.requires_grad_(True)
    D_x.requires_grad_(True)
    old_y, old_x = ctx.pool("color").query(fake_y), ctx.pool("gray").query(fake_x)
    with ctx.autocast():
        loss_D = 0.5 * (
            adversarial_loss(D_y(y), True, "lsgan")
            + adversarial_loss(D_y(old_y), False, "lsgan")
            + adversarial_loss(D_x(x), True, "lsgan")
            + adversarial_loss(D_x(old_x), False, "lsgan")
        )
    ctx.update("discriminators", loss_D)
    return {
        "loss_G_adv": loss_adv.detach(),
        "cycle": cycle.detach(),
        "identity": identity.detach(),
        "loss_D": loss_D.detach(),
    }


def labels_step(nets, batch, ctx):
    """Cross-entropy on colour photos, after the flips and shift when the task augments,
    as ``LabelTask``."""
    rgb = tasks.augment_photos(batch["rgb"]) if ctx.config.get("augment") else batch["rgb"]
    with ctx.autocast():
        logits = nets["net"](rgb)
    loss = F.cross_entropy(logits.float(), batch["label"])
    ctx.update("net", loss)
    return {"loss": loss.detach()}


# ------------------------------------------------------------------ families


@dataclasses.dataclass(frozen=True)
class Family:
    """One model family: the experiment whose settings it takes, its bare step, the
    kind of items it trains on (``"lab"``, ``"unpaired"`` or ``"rgb"``) and the side
    of its training images (the experiment's)."""

    name: str
    experiment: str
    bare_step: BareStep
    items: str
    image_size: int

    @property
    def settings(self) -> Experiment:
        return EXPERIMENTS[self.experiment]


FAMILIES = {
    f.name: f
    for f in [
        Family("seedcnn", "imagenet32-seedcnn-l2", regression_step, "lab", 32),
        Family("zhang", "imagenet64-zhang-ce", bins_step, "lab", 64),
        Family("zhang-cpu", "imagenet64-zhang-ce-rebalanced", bins_step, "lab", 64),
        Family("pix2pix", "imagenet64-pix2pix", pix2pix_step, "lab", 64),
        Family("cyclegan", "imagenet64-cyclegan", cyclegan_step, "unpaired", 64),
        Family("classifier", "tinyimagenet-classifier", labels_step, "rgb", 64),
    ]
}


def build_task(family: Family, seed: int = 0) -> tasks.Task:
    """The family's task with its experiment's full-profile settings, as
    ``colorlib.experiments.run`` builds it, without class rebalancing (the bare step has
    none: it would need a prior of real photos, and costs one table lookup a pixel)."""
    e = family.settings
    torch.manual_seed(seed)
    settings = experiments.settings(e)
    if settings.get("rebalance"):
        settings["rebalance"] = False
    return methods.build(e.task, family.image_size, classes=TINY_IMAGENET_CLASSES, **settings)


def synthetic_pool(family: Family, count: int, seed: int = 0) -> dict[str, torch.Tensor]:
    """``count`` random items with the real shapes and ranges of the family's data:
    L in [0, 100] and ab from uniform random sRGB; CycleGAN gets an unrelated colour
    image per gray one; the classifier gets sRGB in [0, 1] and random labels."""
    generator = torch.Generator().manual_seed(seed)
    size = family.image_size

    def random_rgb() -> torch.Tensor:
        return torch.rand(count, 3, size, size, generator=generator)

    if family.items == "rgb":
        labels = torch.randint(0, TINY_IMAGENET_CLASSES, (count,), generator=generator)
        return {"rgb": random_rgb(), "label": labels}
    L, ab = split_lab(rgb_to_lab(random_rgb()))
    if family.items == "lab":
        return {"L": L, "ab": ab}
    color_L, color_ab = split_lab(rgb_to_lab(random_rgb()))
    return {"L": L, "color_L": color_L, "color_ab": color_ab}


class InMemoryItems(Dataset):
    """``length`` dict items cycling over tensors already in memory, for :func:`fit`."""

    def __init__(self, pool: dict[str, torch.Tensor], length: int) -> None:
        self.pool, self.length = pool, length
        self.count = len(next(iter(pool.values())))

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        j = i % self.count
        return {key: values[j] for key, values in self.pool.items()}


def parameter_count(task: tasks.Task) -> int:
    return sum(p.numel() for net in task.nets.values() for p in net.parameters())


# ------------------------------------------------------------------ measuring


def synchronize(device: torch.device | str) -> None:
    """Wait for queued kernels, so that the clock measures finished work."""
    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def measure_peak_flops(
    device: torch.device, size: int = 2048, seconds: float = 1.0, dtype=torch.float32
) -> float:
    """FLOP/s in ``dtype`` of the fastest of repeated ``size x size @ size x size``
    matmuls (each timed alone, after one untimed; at least 3, for at least ``seconds``):
    this run's reference "peak" for that dtype. The fastest, not the mean: other work
    only slows it."""
    a, b = (torch.randn(size, size, device=device, dtype=dtype) for _ in range(2))
    out = torch.empty(size, size, device=device, dtype=dtype)
    torch.mm(a, b, out=out)
    synchronize(device)
    fastest, products, began = math.inf, 0, time.perf_counter()
    while products < 3 or time.perf_counter() - began < seconds:
        start = time.perf_counter()
        torch.mm(a, b, out=out)
        synchronize(device)
        fastest = min(fastest, time.perf_counter() - start)
        products += 1
    return 2.0 * size**3 / fastest


def forward_flops_per_image(family: Family, task: tasks.Task, pool: dict) -> int:
    """FLOPs of every network forward one training step makes, for one image: the bare
    step run as a dry run (no backward, no update) on eval-mode networks."""
    image = {key: values[:1] for key, values in pool.items()}
    ctx = BareContext.for_task(task, device_type=task.device.type, dry_run=True)
    for net in task.nets.values():
        net.eval()
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        family.bare_step(task.nets, image, ctx)
    for net in task.nets.values():
        net.train()
    return counter.get_total_flops()


def training_flops_per_image(family: Family, task: tasks.Task, pool: dict, images=2) -> float:
    """FLOPs of a whole training step (every forward and backward; the optimizers'
    elementwise updates are not counted), per image: one real bare step on ``images``
    images (two, for BatchNorm's sake), counted. It trains the task one step."""
    part = {key: values[:images] for key, values in pool.items()}
    ctx = BareContext.for_task(task, device_type=task.device.type)
    counter = FlopCounterMode(display=False)
    with counter:
        family.bare_step(task.nets, part, ctx)
    return counter.get_total_flops() / len(next(iter(part.values())))


@contextlib.contextmanager
def global_flags_kept() -> Iterator[None]:
    """Restore torch's deterministic-algorithms and cudnn.benchmark flags afterwards:
    fit turns deterministic kernels on for the whole process, the bare loop does not."""
    deterministic = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    benchmark = torch.backends.cudnn.benchmark
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(deterministic, warn_only=warn_only)
        torch.backends.cudnn.benchmark = benchmark


def time_fit(
    task: tasks.Task, pool: dict, steps: int, batch: int, device, precision: str = "fp32"
) -> float:
    """Seconds for ``fit`` to train ``steps`` steps (one epoch) on the in-memory items,
    in ``precision`` (fit's own choice of layout: channels_last in bf16)."""
    data = InMemoryItems(pool, steps * batch)
    with global_flags_kept():
        start = time.perf_counter()
        fit(task, data, epochs=1, batch_size=batch, device=device, precision=precision,
            progress=False)  # fmt: skip
        synchronize(device)
        return time.perf_counter() - start


def to_memory_format(pool: dict, memory_format: torch.memory_format) -> dict:
    return {k: v.to(memory_format=memory_format) if v.dim() == 4 else v for k, v in pool.items()}


def time_bare(
    family: Family,
    task: tasks.Task,
    pool: dict,
    steps: int,
    batch: int,
    precision: str = "fp32",
    channels_last: bool = False,
) -> float:
    """Seconds for the bare loop to train ``steps`` steps: a shuffled batch gathered
    from the device-resident pool, then the family's step, under autocast to bf16 when
    ``precision`` is ``"bf16"``, with networks and batches channels-last if asked."""
    device = task.device
    task.setup(device, precision, channels_last)  # the networks' device and layout only
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    on_device = to_memory_format({k: v.to(device) for k, v in pool.items()}, memory_format)
    count = len(next(iter(on_device.values())))
    amp_dtype = torch.bfloat16 if precision == "bf16" else None
    ctx = BareContext.for_task(task, device_type=device.type, amp_dtype=amp_dtype)
    for net in task.nets.values():
        net.train()
    synchronize(device)
    start = time.perf_counter()
    for _ in range(steps):
        order = torch.randperm(count, device=device)[:batch]
        family.bare_step(task.nets, {k: v[order] for k, v in on_device.items()}, ctx)
    synchronize(device)
    return time.perf_counter() - start


@dataclasses.dataclass(frozen=True)
class Contender:
    """One way of training: the loop (``"bare"`` or ``"fit"``), the precision and, for
    the bare loop, the memory layout (fit picks its own: channels-last in bf16)."""

    name: str
    loop: str
    precision: str
    channels_last: bool = False


CONTENDERS = (
    Contender("bare fp32", "bare", "fp32"),
    Contender("fit fp32", "fit", "fp32"),
    Contender("bare bf16", "bare", "bf16"),
    Contender("bare bf16+cl", "bare", "bf16", channels_last=True),
    Contender("fit bf16", "fit", "bf16"),
)
"""Every family trains with each of these in the same run, on the same networks."""


@dataclasses.dataclass
class Result:
    """One family's measurements: images/s per contender, the best over repeats."""

    family: Family
    batch: int
    parameters: int
    forward_flops: int
    training_flops: float
    speeds: dict[str, float]

    @property
    def fit_over_bare_fp32(self) -> float:
        return self.speeds["fit fp32"] / self.speeds["bare fp32"]

    @property
    def fit_over_bare_bf16(self) -> float:
        """fit in bf16 against the faster bare bf16 loop (with or without channels_last)."""
        return self.speeds["fit bf16"] / max(self.speeds["bare bf16"], self.speeds["bare bf16+cl"])

    @property
    def bf16_over_fp32(self) -> float:
        """What bf16 buys through the engine: fit in bf16 over fit in float32."""
        return self.speeds["fit bf16"] / self.speeds["fit fp32"]

    def peak_fraction(self, images_per_second: float, peak: float) -> float:
        return self.training_flops * images_per_second / peak


def run_contender(
    contender: Contender, family: Family, task: tasks.Task, pool: dict, steps: int, batch: int
) -> float:
    """Seconds for ``steps`` training steps of ``contender`` on the task's networks."""
    if contender.loop == "fit":
        return time_fit(task, pool, steps, batch, task.device, contender.precision)
    return time_bare(family, task, pool, steps, batch, contender.precision,
                     contender.channels_last)  # fmt: skip


def measure_family(family: Family, args: argparse.Namespace, device: torch.device) -> Result:
    """Count the FLOPs, warm every contender up once (oneDNN and cuDNN build kernels per
    dtype and layout), then run the contenders in turn ``args.repeats`` times."""
    batch = args.batch or family.settings.batch_size
    task = build_task(family)
    task.setup(device)
    pool = synthetic_pool(family, batch)
    on_device = {k: v.to(device) for k, v in pool.items()}
    forward = forward_flops_per_image(family, task, on_device)
    training = training_flops_per_image(family, task, on_device)
    if args.warmup:
        for contender in CONTENDERS:
            run_contender(contender, family, task, pool, args.warmup, batch)
    best = dict.fromkeys((c.name for c in CONTENDERS), math.inf)
    for _ in range(args.repeats):
        for contender in CONTENDERS:
            seconds = run_contender(contender, family, task, pool, args.steps, batch)
            best[contender.name] = min(best[contender.name], seconds)
    images = args.steps * batch
    return Result(
        family, batch, parameter_count(task), forward, training,
        speeds={name: images / seconds for name, seconds in best.items()},
    )  # fmt: skip


# ------------------------------------------------------------------ report


COLUMNS = (
    f"{'model':<11}{'params':>8}{'GFLOP/img':>10}{'train/fwd':>10}{'batch':>6}"
    f"{'bare32/s':>9}{'fit32/s':>8}{'bare16/s':>9}{'cl16/s':>8}{'fit16/s':>8}"
    f"{'fit/bare':>9}{'bf16/fp32':>10}{'%pk32':>7}{'%pk16':>7}"
)
LEGEND = """\
params: all networks of the task; GFLOP/img: every network forward of one training step,
one image; train/fwd: a whole step's FLOPs (forwards and backwards, measured) over that
(the rule of thumb says about 3); bare32/s, fit32/s: training images per second of the
bare loop and of fit in float32; bare16/s, cl16/s: the bare loop under bf16 autocast,
without and with channels_last; fit16/s: fit(precision="bf16"); fit/bare: fit16 over
the faster bare bf16 loop (the engine's overhead in bf16); bf16/fp32: fit16 over fit32
(what bf16 buys); %pk32, %pk16: a step's FLOPs per image x images/s of fit32 (fit16)
over the float32 (bf16) matmul peak measured in this run (above 100 %: the convolution
kernels beat the matmul that sets the reference)"""


def describe_row(result: Result, peak: float, peak_bf16: float) -> str:
    """One table row (its ``fit/bare`` and ``bf16/fp32`` columns are parsed by the tests)."""
    speeds = result.speeds
    return (
        f"{result.family.name:<11}{result.parameters / 1e6:>7.2f}M"
        f"{result.forward_flops / 1e9:>10.3f}"
        f"{result.training_flops / result.forward_flops:>10.2f}{result.batch:>6}"
        f"{speeds['bare fp32']:>9.1f}{speeds['fit fp32']:>8.1f}"
        f"{speeds['bare bf16']:>9.1f}{speeds['bare bf16+cl']:>8.1f}{speeds['fit bf16']:>8.1f}"
        f"{result.fit_over_bare_bf16:>9.3f}{result.bf16_over_fp32:>10.2f}"
        f"{100 * result.peak_fraction(speeds['fit fp32'], peak):>6.1f}%"
        f"{100 * result.peak_fraction(speeds['fit bf16'], peak_bf16):>6.1f}%"
    )


def describe_summary(result: Result) -> str:
    """The family's one-line verdict: ``NAME: bf16/fp32 1.80x, fit/bare 0.99 ...``."""
    layout = result.speeds["bare bf16+cl"] / result.speeds["bare bf16"]
    return (
        f"{result.family.name}: bf16/fp32 {result.bf16_over_fp32:.2f}x through fit; "
        f"fit/bare {result.fit_over_bare_bf16:.2f} in bf16 ({result.fit_over_bare_fp32:.2f} "
        f"in fp32); channels_last {layout:.2f}x the bare bf16 loop"
    )


def processor_name() -> str:
    """The CPU's model name (Linux), else what ``platform`` knows."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def describe_machine(device: torch.device, threads: int, peak: float, peak_bf16: float) -> str:
    native_bf16 = devices.resolve_precision("auto", device) == "bf16"
    if device.type == "cuda":
        where = torch.cuda.get_device_name(device)
    else:
        where = f"{processor_name()}, {os.cpu_count()} cores"
    return (
        f"device {device} ({where}), torch {torch.__version__}, "
        f"{threads} thread(s), native bf16: {native_bf16}\npeak (measured, not nominal): "
        f"{peak / 1e9:.1f} GFLOP/s float32 and {peak_bf16 / 1e9:.1f} GFLOP/s bf16 "
        f"({peak_bf16 / peak:.2f}x) from a repeated large matmul"
    )


# ------------------------------------------------------------------ command line


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="\n\n".join(__doc__.split("\n\n")[:6]),  # what is compared, families
        epilog="Prints one table row per family; benchmarks/train_speed.py's docstring "
        "says how each number is measured.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--steps", type=int, default=None,
        help=f"timed training steps per contender and repeat (default {DEFAULT_STEPS})",
    )  # fmt: skip
    parser.add_argument(
        "--warmup", type=int, default=None, help="untimed steps per family first (default 1)"
    )
    parser.add_argument(
        "--repeats", type=int, default=None,
        help=f"alternating bare/fit runs; the best of each counts (default {DEFAULT_REPEATS})",
    )  # fmt: skip
    parser.add_argument(
        "--batch", type=int, default=None,
        help="batch size for every family (default: each experiment's own)",
    )  # fmt: skip
    parser.add_argument(
        "--only", nargs="+", choices=list(FAMILIES), metavar="NAME",
        help=f"benchmark only these families ({', '.join(FAMILIES)})",
    )  # fmt: skip
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    parser.add_argument(
        "--device", default="auto", help="auto (CUDA, MPS, CPU), cpu, cuda, cuda:1, ..."
    )
    parser.add_argument(
        "--smoke", action="store_true",
        help="tiny run for CI: batch 4, 2 steps, no warm-up, small peak matmul",
    )  # fmt: skip
    args = parser.parse_args(argv)
    defaults = (
        SMOKE if args.smoke else {"steps": DEFAULT_STEPS, "warmup": 1, "repeats": DEFAULT_REPEATS}
    )
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    for key in ("steps", "repeats"):
        if getattr(args, key) < 1:
            parser.error(f"--{key} must be at least 1")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # the bare loop's choice; fit sets its own
    size = (256, 0.05) if args.smoke else (2048, 1.0)
    peak = measure_peak_flops(device, *size)
    peak_bf16 = measure_peak_flops(device, *size, dtype=torch.bfloat16)
    print(describe_machine(device, args.threads, peak, peak_bf16))
    print(
        f"{args.steps} timed step(s) per contender, {args.warmup} warm-up, best of "
        f"{args.repeats}; synthetic in-memory data; one run"
    )
    print(COLUMNS, flush=True)
    results = []
    for name in args.only or FAMILIES:
        results.append(measure_family(FAMILIES[name], args, device))
        print(describe_row(results[-1], peak, peak_bf16), flush=True)
    print(LEGEND)
    for result in results:
        print(describe_summary(result))


if __name__ == "__main__":
    main()
