"""The study's trained models, each named once, with its quick and full settings.

An :class:`Experiment` says what to train (task, network, loss), on which data, and
for how long under each profile:

- ``"quick"``: minutes on a laptop CPU, on a subset; for CI and for trying things;
- ``"full"``: the real run whose weights ship in ``data/checkpoints/<name>.pt``.

Notebooks call :func:`train_or_load`: by default it loads the shipped weights (a
student sees results at once); with ``retrain=True`` it trains with the chosen
profile into ``runs/<profile>/<name>/`` (resuming there if interrupted) and never
touches the shipped files, except ``full`` runs with ``ship=True``, which replace
them (that is how the shipped weights are made).

The ImageNet half (02-05) trains on Tiny ImageNet. Each full run's record (device,
wall time, history, final metrics) is a :class:`colorlib.records.RunRecord` in
``data/results/<name>.json``.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import torch

from colorlib import checkpoint, data, methods, pretrained, records, resume, tasks, train
from colorlib.colorizer import Colorizer
from colorlib.profiles import PROFILES

__all__ = [
    "EXPERIMENTS",
    "PROFILES",
    "Experiment",
    "get",
    "run",
    "run_folder",
    "settings",
    "train_or_load",
    "weights_path",
]



@dataclasses.dataclass(frozen=True)
class Experiment:
    """One trained model of the study.

    Attributes:
        name: the weights' name (``colorlib.pretrained.load(name)``).
        notebook: the notebook that shows it (``"01"``, ``"02"``, ...).
        task: the method (``"regression"``, ``"bins"`` for the ab bins,
            ``"pix2pix"``, ``"cyclegan"``, or ``"labels"``, the kind the judge's
            checkpoints carry; :func:`colorlib.methods.get` accepts a method's name or kind).
        dataset: a :func:`colorlib.data.load` name.
        network, loss, dropout, width, rebalance, lr, beta, base_width, noise_channels,
            l1_weight, adversarial_weight, augment: the method's settings, as
            declared in :mod:`colorlib.methods` (:func:`settings` picks its own; None
            or an unused field means the method's default).
        batch_size: the global batch (the poster: about 200).
        epochs, limit: per profile; ``limit`` caps the training images (None: all),
            drawn at random with a fixed seed (datasets may be sorted by class).
        size: the side S for datasets that offer several (Tiny ImageNet: 64 or 32;
            photo folders: the crop side); None: the loader's default.
        lr_schedule: ``"plateau"`` (the poster's: decay the learning rate 10x on a
            validation plateau), ``"cosine"`` (down to 1% over the planned epochs: for
            runs sized to a time budget) or None (constant); see :func:`colorlib.train.fit`.
        checkpoint_every: epochs between checkpoints (the 64 px SeedCNN's is 3.3 GB).
        quick: settings that replace the above in the quick profile only (e.g. a
            smaller batch and learning rate, so that a run of a few minutes gets
            somewhere); the full profile ignores it.
        ship: whether a full run's weights are shipped (the 64-px SeedCNN, 277 M
            parameters, is not: it trains only on request).
        description: one line for listings.
        augment: classifiers only: random flips and shifts while training.
        gray_input: classifiers only: train and score on gray photos (a = b = 0).
        rebalance_mix: bins only: the uniform share lambda of the rebalancing weights
            (Zhang et al.: 0.5; larger is gentler).
        cycle_weight, identity_weight: CycleGAN's loss weights (Zhu et al.: 10, 0.5).
        init_from: start from the shipped weights of this experiment (same network)
            instead of random weights: fine-tuning.
    """

    name: str
    notebook: str
    task: str
    dataset: str
    description: str
    network: str | None = None
    loss: str = "l2"
    dropout: float = 0.0
    width: float | None = None
    rebalance: bool = False
    rebalance_mix: float = 0.5
    lr: float | None = None
    beta: float | None = None
    base_width: int | None = None
    noise_channels: int = 0
    l1_weight: float = 100.0
    adversarial_weight: float = 1.0
    cycle_weight: float = 10.0
    identity_weight: float = 0.5
    gray_input: bool = False
    batch_size: int = 200
    epochs: dict = dataclasses.field(default_factory=lambda: {"quick": 1, "full": 30})
    limit: dict = dataclasses.field(default_factory=lambda: {"quick": 1000, "full": None})
    size: int | None = None
    lr_schedule: str | None = "plateau"
    checkpoint_every: int = 1
    ship: bool = True
    quick: dict = dataclasses.field(default_factory=dict)
    augment: bool = False
    init_from: str | None = None


_TINY = "tinyimagenet"
"""The ImageNet half of the study trains on Tiny ImageNet (98,984 colour photos at 64
px; its 32 px copy is box-filtered) and is scored on its 9,902 colour val photos."""


def _seed_cnn(name: str, size: int, loss: str, **settings) -> Experiment:
    return Experiment(
        name, "02", "regression", _TINY, network="SeedCNN", loss=loss, size=size, **settings
    )


_IMAGENET_EPOCHS = {"quick": 4, "full": 30}
_IMAGENET_QUICK = {"batch_size": 50}  # the quick profile: 4 x 20 steps on 1,000 photos
_ZHANG_QUICK = {**_IMAGENET_QUICK, "width": 0.25}
"""Zhang's network at quarter width in the quick profile: about a CPU minute a model
(its cross-entropy model still beats the gray guess on its training photos)."""


def _pix2pix(name: str, dataset: str, description: str, **settings) -> Experiment:
    """pix2pix at a width that ships (base 32: 4.2 M parameters at 32 px, 7.3 M at 64)."""
    sized = (
        {"batch_size": 64, "epochs": {"quick": 1, "full": 20},
         "limit": {"quick": 1000, "full": 10_000}}
        if dataset == "cifar10"
        else {"batch_size": 64, "size": 64, "epochs": {"quick": 1, "full": 20}}
    )  # fmt: skip
    return Experiment(
        name, "03", "pix2pix", dataset, description, base_width=32, lr_schedule=None,
        **{**sized, **settings},
    )  # fmt: skip


def _cyclegan(name: str, dataset: str, **settings) -> Experiment:
    """CycleGAN with base-32 ResNet generators (1.96 M parameters each)."""
    sized = (
        {"epochs": {"quick": 1, "full": 15}, "limit": {"quick": 1000, "full": 10_000}}
        if dataset == "cifar10"
        else {"size": 64, "epochs": {"quick": 1, "full": 10},
              "limit": {"quick": 1000, "full": 30_000}}
    )  # fmt: skip
    return Experiment(
        name, "04", "cyclegan", dataset,
        f"CycleGAN, unpaired gray <-> colour on disjoint halves, {dataset}",
        base_width=32, batch_size=32, lr_schedule=None, **{**sized, **settings},
    )  # fmt: skip


_CPU_ZHANG_WIDTH = 0.25
"""Zhang et al.'s network at quarter width (2.0 M parameters; full width is 32.2 M and
half width 8.1 M), the width trained on the 2-core CPU in bf16: 270 training images/s
there against half width's 95 (an AMD EPYC with AVX512-BF16 and no AMX, where a bf16
matmul peaks at 2.46x float32; ``benchmarks/train_speed.py``, zhang-cpu and zhang), so
that eight epochs of all 98,984 Tiny ImageNet photos fit in one working session (about
an hour) rather than three. It is also the methods' default (:mod:`colorlib.methods`)."""

_CPU_ZHANG = {
    "width": _CPU_ZHANG_WIDTH, "batch_size": 64, "lr_schedule": "cosine",
    "epochs": {"quick": 4, "full": 8},
}
"""The one budget of Zhang's three 64 px networks (L2, cross-entropy, rebalanced), so
that the poster's loss comparison is made between equally trained networks: quarter
width, batch 64, eight epochs of all 98,984 photos, cosine lr from 1e-3 to 1e-5."""

EXPERIMENTS: dict[str, Experiment] = {
    e.name: e
    for e in [
        Experiment(
            "cifar10-seedcnn-l2", "01", "regression", "cifar10", network="SeedCNN",
            description="the poster's baseline CNN, L2 loss, CIFAR-10 32x32",
            epochs={"quick": 1, "full": 8}, limit={"quick": 2000, "full": None},
        ),
        *[
            _seed_cnn(f"imagenet{size}-seedcnn-{tag}", size, loss, dropout=p,
                      epochs=_IMAGENET_EPOCHS if size == 32 else {"quick": 4, "full": 15},
                      quick=_IMAGENET_QUICK, ship=size == 32,
                      checkpoint_every=1 if size == 32 else 100,
                      description=f"the poster's CNN, {label}, Tiny ImageNet {size}x{size}")
            for size in (32, 64)
            for tag, loss, p, label in [
                ("l2", "l2", 0.0, "L2 loss"),
                ("l2-dropout", "l2", 0.2, "L2 loss + dropout 0.2 after each BatchNorm"),
                ("smoothl1", "smooth_l1", 0.0, "Smooth L1 loss (knee at 1 Lab unit)"),
            ]
        ],
        Experiment(
            "imagenet64-zhang-l2", "02", "regression", _TINY, network="ZhangNet", size=64,
            quick=_ZHANG_QUICK, **_CPU_ZHANG,
            description="Zhang et al.'s network (quarter width), L2 loss, Tiny ImageNet 64x64 "
            "(bf16 on the CPU, cosine lr)",
        ),
        Experiment(
            "imagenet64-zhang-ce", "02", "bins", _TINY, size=64, quick=_ZHANG_QUICK,
            **_CPU_ZHANG,
            description="Zhang et al.'s network (quarter width), cross-entropy over ab bins, "
            "Tiny ImageNet 64x64 (bf16 on the CPU, cosine lr)",
        ),
        Experiment(
            "imagenet64-zhang-ce-rebalanced", "02", "bins", _TINY, size=64, rebalance=True,
            quick=_ZHANG_QUICK, **_CPU_ZHANG,
            description="Zhang et al.'s network (quarter width), cross-entropy over ab bins "
            "with class rebalancing, Tiny ImageNet 64x64 (bf16 on the CPU, cosine lr)",
        ),
        Experiment(
            "imagenet64-zhang-ce-gentle", "02", "bins", _TINY, size=64, rebalance=True,
            rebalance_mix=0.9, quick=_ZHANG_QUICK, **_CPU_ZHANG, ship=False,
            description="Zhang et al.'s network (quarter width), cross-entropy over ab bins "
            "with gentle rebalancing (uniform share 0.9: the rarest colour weighs 6.5 times "
            "the commonest, against 50 at Zhang's 0.5), Tiny ImageNet 64x64 (bf16 on the "
            "CPU, cosine lr)",
        ),  # the geometric middle between plain CE (dull) and Zhang's weights (vivid, but
        # below the quality goal's PSNR and raw AuC bars): a candidate vivid model
        _pix2pix("cifar10-pix2pix", "cifar10",
                 "pix2pix: U-Net + PatchGAN, cGAN + 100 L1, CIFAR-10"),
        _pix2pix("cifar10-pix2pix-l1", "cifar10", "pix2pix ablation: L1 only (no GAN), CIFAR-10",
                 adversarial_weight=0.0),
        _pix2pix("cifar10-pix2pix-cgan", "cifar10", "pix2pix ablation: cGAN only (no L1), CIFAR-10",
                 l1_weight=0.0),
        _pix2pix("cifar10-pix2pix-noise", "cifar10",
                 "pix2pix, cGAN + 100 L1, with a Gaussian noise input channel, CIFAR-10",
                 noise_channels=1),
        _pix2pix("imagenet64-pix2pix", _TINY,
                 "pix2pix: U-Net + PatchGAN, cGAN + 100 L1, Tiny ImageNet 64x64"),
        _cyclegan("cifar10-cyclegan", "cifar10"),
        _cyclegan("imagenet64-cyclegan", _TINY),
        Experiment(
            "cifar10-classifier", "05", "labels", "cifar10",
            "the judge of notebook 05: a small CNN classifying colour CIFAR-10 photos",
            batch_size=128, epochs={"quick": 1, "full": 10}, limit={"quick": 2000, "full": None},
        ),
        Experiment(
            "tinyimagenet-classifier", "05", "labels", _TINY,
            "the judge of notebook 05 on Tiny ImageNet: a ResNet-18 classifying colour photos",
            network="TinyImageNetClassifier", size=64, batch_size=256, augment=True,
            lr_schedule="cosine", epochs={"quick": 1, "full": 8},
            limit={"quick": 2000, "full": None},
        ),  # 8 epochs: about 17 CPU minutes each in bf16 (98 images/s on the 2-core CPU)
    ]
}  # fmt: skip


def get(name: str) -> Experiment:
    """The experiment called ``name``; a clear error lists the valid names."""
    try:
        return EXPERIMENTS[name]
    except KeyError:
        raise ValueError(f"unknown experiment {name!r}; known: {', '.join(EXPERIMENTS)}") from None


def _datasets(experiment: Experiment, profile: str, root: str | os.PathLike | None):
    train_set = data.load(experiment.dataset, "train", root=root, size=experiment.size)
    val_set = data.load(experiment.dataset, "test", root=root, size=experiment.size)
    limit = experiment.limit[profile]
    if limit is not None:  # a seeded random subset: the datasets may be sorted by class
        train_set = data.random_subset(train_set, limit)
        if profile == "quick":  # a full run is scored on the whole test split
            val_set = data.random_subset(val_set, max(limit // 5, 1))
    return train_set, val_set


def settings(experiment: Experiment) -> dict:
    """The experiment's values of its method's settings (:mod:`colorlib.methods`), by name.

    An :class:`Experiment` holds every method's settings as plain fields (its records
    in ``data/results`` keep that layout); this picks the ones its method declares.
    None means the method's default.
    """
    method = methods.get(experiment.task)
    names = [f.name for f in dataclasses.fields(method.settings)]
    return {name: getattr(experiment, name) for name in names if hasattr(experiment, name)}


def _initialise(task: tasks.Task, name: str) -> None:
    """Load the shipped weights of experiment ``name`` into the task's predicting
    network (fine-tuning); the networks must match."""
    source = weights_path(get(name))
    if not source.is_file():
        raise ValueError(f"init_from {name!r}: no shipped weights at {source}")
    weights = checkpoint.load_checkpoint(source).build()
    tasks.unwrap(task.nets[task.predict_net]).load_state_dict(weights.state_dict())


def _class_count(dataset) -> int:
    """How many classes a (possibly subset) labelled dataset has: its class list, else
    the largest label + 1 (at least 1)."""
    base = dataset.dataset if isinstance(dataset, torch.utils.data.Subset) else dataset
    classes = getattr(base, "classes", None)
    if classes:
        return len(classes)
    labels = getattr(base, "labels", None)
    return max(int(labels.max()) + 1, 1) if labels is not None and len(labels) else 1


def _check_labelled(dataset, name: str) -> None:
    """Refuse to train a classifier (the judge) on photos without class labels (a photo
    folder, the bundled sample: label -1), which cross-entropy would meet as an index
    error deep in torch."""
    base = dataset.dataset if isinstance(dataset, torch.utils.data.Subset) else dataset
    labels = getattr(base, "labels", None)
    if labels is None or not len(labels) or int(torch.as_tensor(labels).min()) < 0:
        raise ValueError(
            f"the judge learns class labels, and {name!r} has photos without one; train it "
            "on a labelled dataset (cifar10 or tinyimagenet)"
        )


def run(
    experiment: Experiment,
    profile: str = "quick",
    *,
    root: str | os.PathLike | None = None,
    out_root: str | os.PathLike = "runs",
    checkpoint_dir: str | os.PathLike | None = None,
    export: str | os.PathLike | None = None,
    device: str = "auto",
    seed: int = 0,
    progress: bool = True,
    precision: str = "auto",
    time_limit: float | None = None,
) -> tuple[tasks.Task, list[dict], int]:
    """Train ``experiment`` with ``profile`` settings.

    Returns:
        ``(task, history, image_size)``: the trained task, its per-epoch history and
        the side S of the training images.

    Checkpoints and ``history.json`` go to ``checkpoint_dir`` (default
    ``out_root/<profile>/<name>/``, ``<name>-seed<k>/`` for seed k > 0; an
    interrupted run resumes there). ``export``
    writes compact weights (int8 matrices, fp16 rest) to that path. Without it, a
    ``full`` run writes its final train and test metrics (on :data:`colorlib.records.TRAIN_SCORED`
    random training photos and every test photo), device, wall time and history to
    :func:`colorlib.records.results_path` (seed 0:
    ``data/results/<name>.json``; other seeds under ``data/results/seeds/``), and a
    seed-0 run of a shipped experiment exports its weights to :func:`weights_path`
    (``data/checkpoints/<name>.pt``). ``precision``: ``"auto"``, ``"fp32"``, ``"bf16"``
    or ``"fp16"`` (:func:`colorlib.train.fit`; the record names the one used). CycleGAN trains
    on two disjoint halves of the training set (gray images from one, colour from
    the other). ``time_limit``: seconds after which no new epoch starts
    (:func:`colorlib.train.fit`); the record then says how many epochs ran.
    Full runs of seed 0 also write every test image's metrics to
    :func:`colorlib.records.per_image_path` (the notebooks' paired intervals over the
    whole test set).

    Raises:
        ValueError: an ``export`` path whose folder is missing or not writable (checked
            before any training), a classifier asked to learn from unlabelled photos,
            and everything :func:`colorlib.train.fit` refuses.
    """
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {PROFILES}, got {profile!r}")
    if export is not None:
        _check_export(Path(export))
    if profile == "quick":
        experiment = dataclasses.replace(experiment, **experiment.quick)
    train_set, val_set = _datasets(experiment, profile, root)
    image_size = train_set[0]["L"].shape[-1]
    train.seed_everything(seed)  # the networks' initial weights depend on the seed only
    method = methods.get(experiment.task)
    if not method.colorizes:
        _check_labelled(train_set, experiment.dataset)
    prior = records.training_prior(train_set) if experiment.rebalance else None
    task = methods.build(
        method.name, image_size, prior=prior, classes=_class_count(train_set),
        **settings(experiment),
    )  # fmt: skip
    if experiment.init_from is not None:
        _initialise(task, experiment.init_from)
    paired_train_set = train_set
    if method.training_data is not None:  # CycleGAN: two disjoint halves, never paired
        train_set = method.training_data(train_set, seed)
    history = train.fit(
        task, train_set, val_set, epochs=experiment.epochs[profile],
        batch_size=experiment.batch_size,
        checkpoint_dir=checkpoint_dir or run_folder(experiment, profile, seed, out_root),
        seed=seed, device=device, lr_schedule=experiment.lr_schedule,
        progress=progress, precision=precision, checkpoint_every=experiment.checkpoint_every,
        time_limit=time_limit,
    )  # fmt: skip
    if export is not None:
        checkpoint.export_weights(task, export, image_size, experiment.description)
    elif profile == "full":
        if experiment.ship and seed == 0:
            path = weights_path(experiment)
            path.parent.mkdir(parents=True, exist_ok=True)
            checkpoint.export_weights(task, path, image_size, experiment.description)
        records.write_results(
            experiment, seed, _scored_network(task), history, _device_name(task.device),
            paired_train_set, val_set, device=task.device, train_scored=records.TRAIN_SCORED,
            precision=task.precision,
        )  # fmt: skip
    return task, history, image_size


def _check_export(path: Path) -> None:
    """Refuse, before any training, an ``export`` path that could not be written after it."""
    if path.is_dir():
        raise ValueError(f"export path {path} is a folder; give a file name such as {path}/NAME.pt")
    folder = path.parent
    if not folder.is_dir():
        raise ValueError(
            f"export folder {folder} does not exist (or is not a folder); create it first "
            "or export elsewhere"
        )
    if not os.access(folder, os.W_OK):
        raise ValueError(f"export folder {folder} is not writable; export elsewhere")


def weights_path(experiment: Experiment) -> Path:
    """Where a full run ships the weights: ``data/checkpoints/<name>.pt``, or, for the
    classifier that judges colorizations (task ``"labels"``, not a colorizer),
    ``data/checkpoints/classifiers/<name>.pt``."""
    colorizes = methods.get(experiment.task).colorizes
    folder = pretrained.CHECKPOINTS if colorizes else pretrained.CLASSIFIERS
    return folder / f"{experiment.name}.pt"


def run_folder(
    experiment: Experiment, profile: str, seed: int = 0, out_root: str | os.PathLike = "runs"
) -> Path:
    """Where :func:`run` keeps a run's checkpoints and ``history.json``:
    ``out_root/<profile>/<name>/`` (seed 0) or ``out_root/<profile>/<name>-seed<k>/``."""
    return Path(out_root) / profile / resume.run_name(experiment.name, seed)


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{device.type} ({os.cpu_count()} cores)"


def _scored_network(task: tasks.Task) -> torch.nn.Module:
    """What a record scores: the colorizer, or a classifier's network (eval mode)."""
    if task.kind == "labels":
        return tasks.unwrap(task.nets["net"]).eval()
    return task.colorizer().to(task.device).eval()


def train_or_load(
    name: str | Experiment,
    profile: str = "quick",
    retrain: bool = False,
    *,
    root: str | os.PathLike | None = None,
    device: str = "auto",
    seed: int = 0,
    progress: bool = True,
) -> Colorizer:
    """The colorizer of experiment ``name``: shipped weights, or trained now.

    Args:
        name: an :data:`EXPERIMENTS` name (or an :class:`Experiment`).
        profile: settings used when training (``"quick"`` or ``"full"``).
        retrain: train (resuming from ``runs/<profile>/<name>/``) instead of loading
            ``data/checkpoints/<name>.pt``.

    Returns:
        A :class:`colorlib.colorizer.Colorizer` in eval mode: L ``(N, 1, S, S)`` ->
        ab ``(N, 2, S, S)``, Lab units; for the ``"labels"`` task, the classifier
        network in eval mode (sRGB ``(N, 3, S, S)`` in [0, 1] -> logits).

    Raises:
        ValueError: unknown name, or no shipped weights and ``retrain`` is False (the
            message says to pass ``retrain=True``).
    """
    experiment = name if isinstance(name, Experiment) else get(name)
    if not retrain:
        path = weights_path(experiment)
        if not path.is_file():
            raise ValueError(
                f"no shipped weights for {experiment.name!r} (see data/checkpoints/README.md);"
                " pass retrain=True to train them"
            )
        if not methods.get(experiment.task).colorizes:
            return checkpoint.load_checkpoint(path).build().to(train.resolve_device(device))
        return pretrained.load(experiment.name, device=train.resolve_device(device))
    task, _, image_size = run(
        experiment, profile, root=root, device=device, seed=seed, progress=progress
    )
    if not methods.get(experiment.task).colorizes:
        return tasks.unwrap(task.nets["net"]).eval()
    colorizer = task.colorizer()
    colorizer.image_size = image_size
    return colorizer.eval()
