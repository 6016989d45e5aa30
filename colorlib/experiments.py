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

The ImageNet half (02-05) trains on Tiny ImageNet. Each run's device and wall time
are in ``data/results/<name>.json``.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import torch

from colorlib import checkpoint, data, evaluate, methods, pretrained, tasks, train
from colorlib.colorizer import Colorizer
from colorlib.gamut import ABGamut

__all__ = [
    "EXPERIMENTS",
    "PROFILES",
    "RESULTS",
    "Experiment",
    "get",
    "baselines_path",
    "load_baselines",
    "load_per_image",
    "load_history",
    "load_results",
    "per_image_path",
    "results_path",
    "run",
    "settings",
    "train_or_load",
    "weights_path",
    "write_baselines",
    "write_results",
]

PROFILES = ("quick", "full")
RESULTS = data.PROJECT_DATA / "results"
"""Where full runs write ``<name>.json`` (final metrics and history) for the notebooks."""


@dataclasses.dataclass(frozen=True)
class Experiment:
    """One trained model of the study.

    Attributes:
        name: the weights' name (``colorlib.pretrained.load(name)``).
        notebook: the notebook that shows it (``"01"``, ``"02"``, ...).
        task: the method, by the kind its checkpoints carry (``"regression"``,
            ``"classification"`` for the ab bins, ``"pix2pix"``, ``"cyclegan"``,
            ``"labels"`` for the judge; :func:`colorlib.methods.get`).
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
        plateau: decay the learning rate 10x on a validation plateau (the poster).
        checkpoint_every: epochs between checkpoints (the 64 px SeedCNN's is 3.3 GB).
        quick: settings that replace the above in the quick profile only (e.g. a
            smaller batch and learning rate, so that a run of a few minutes gets
            somewhere); the full profile ignores it.
        ship: whether a full run's weights are shipped (the 64-px SeedCNN, 277 M
            parameters, is not: it trains only on request).
        description: one line for listings.
        augment: classifiers only: random flips and shifts while training.
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
    lr: float | None = None
    beta: float | None = None
    base_width: int | None = None
    noise_channels: int = 0
    l1_weight: float = 100.0
    adversarial_weight: float = 1.0
    batch_size: int = 200
    epochs: dict = dataclasses.field(default_factory=lambda: {"quick": 1, "full": 30})
    limit: dict = dataclasses.field(default_factory=lambda: {"quick": 1000, "full": None})
    size: int | None = None
    plateau: bool = True
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
        name, "03", "pix2pix", dataset, description, base_width=32, plateau=False,
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
        base_width=32, batch_size=32, plateau=False, **{**sized, **settings},
    )  # fmt: skip


_ZHANG_WIDTH = 0.5
"""Zhang et al.'s network at half width (8.1 M parameters, 8 MB as int8): full width
(32.2 M, 32 MB each) would put the three shipped variants over the weight budget."""

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
            "imagenet64-zhang-l2", "02", "regression", _TINY, network="ZhangNet",
            width=_ZHANG_WIDTH, size=64, epochs=_IMAGENET_EPOCHS, quick=_ZHANG_QUICK,
            description="Zhang et al.'s network (half width), L2 loss, Tiny ImageNet 64x64",
        ),
        Experiment(
            "imagenet64-zhang-ce", "02", "classification", _TINY, width=_ZHANG_WIDTH, size=64,
            epochs=_IMAGENET_EPOCHS, quick=_ZHANG_QUICK,
            description="Zhang et al.'s network (half width), cross-entropy over ab bins, "
            "Tiny ImageNet 64x64",
        ),
        Experiment(
            "imagenet64-zhang-ce-rebalanced", "02", "classification", _TINY, width=_ZHANG_WIDTH,
            size=64, rebalance=True, init_from="imagenet64-zhang-ce",
            epochs={"quick": 4, "full": 1}, limit={"quick": 1000, "full": 6_000},
            quick={**_ZHANG_QUICK, "init_from": None},
            description="imagenet64-zhang-ce fine-tuned with Zhang's class rebalancing "
            "(one pass over 6,000 photos)",
        ),
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
            epochs={"quick": 1, "full": 30}, limit={"quick": 2000, "full": None},
        ),
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


TRAIN_SCORED = 2_000
"""Random training photos a full run's record scores (its "train" metrics)."""

PRIOR_PHOTOS = 20_000
"""The rebalancing prior counts the pixels of at most this many random training photos
(82 M pixels at 64 px: plenty for 261 bins, and minutes less than all 98,984)."""


def settings(experiment: Experiment) -> dict:
    """The experiment's values of its method's settings (:mod:`colorlib.methods`), by name.

    An :class:`Experiment` holds every method's settings as plain fields (its records
    in ``data/results`` keep that layout); this picks the ones its method declares.
    None means the method's default.
    """
    method = methods.get(experiment.task)
    names = [f.name for f in dataclasses.fields(method.settings)]
    return {name: getattr(experiment, name) for name in names if hasattr(experiment, name)}


def _prior(train_set) -> torch.Tensor:
    """The empirical ab prior of a training set (for class rebalancing), from batches
    of at most :data:`PRIOR_PHOTOS` random photos (seeded)."""
    photos = data.random_subset(train_set, PRIOR_PHOTOS, seed=1)
    loader = torch.utils.data.DataLoader(photos, batch_size=500)
    return ABGamut().prior(batch["ab"] for batch in loader)


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
    amp: bool = True,
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
    ``full`` run writes its final train and test metrics (on :data:`TRAIN_SCORED`
    random training photos and every test photo), device, wall time and history to
    :func:`results_path` (seed 0:
    ``data/results/<name>.json``; other seeds under ``data/results/seeds/``), and a
    seed-0 run of a shipped experiment exports its weights to :func:`weights_path`
    (``data/checkpoints/<name>.pt``). ``amp``: mixed precision on CUDA. CycleGAN trains
    on two disjoint halves of the training set (gray images from one, colour from
    the other). ``time_limit``: seconds after which no new epoch starts
    (:func:`colorlib.train.fit`); the record then says how many epochs ran.
    Full runs of seed 0 also write every test image's metrics to
    :func:`per_image_path` (the notebooks' paired intervals over the whole test set).

    Raises:
        ValueError: an ``export`` path whose folder is missing or not writable (checked
            before any training), and everything :func:`colorlib.train.fit` refuses.
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
    task = methods.build(
        method.name, image_size, prior=_prior(train_set) if experiment.rebalance else None,
        classes=_class_count(train_set), **settings(experiment),
    )  # fmt: skip
    if experiment.init_from is not None:
        _initialise(task, experiment.init_from)
    paired_train_set = train_set
    if method.training_data is not None:  # CycleGAN: two disjoint halves, never paired
        train_set = method.training_data(train_set, seed)
    history = train.fit(
        task, train_set, val_set, epochs=experiment.epochs[profile],
        batch_size=experiment.batch_size,
        checkpoint_dir=checkpoint_dir or Path(out_root) / profile / _run_name(experiment, seed),
        seed=seed, device=device, lr_schedule="plateau" if experiment.plateau else None,
        progress=progress, amp=amp, checkpoint_every=experiment.checkpoint_every,
        time_limit=time_limit,
    )  # fmt: skip
    if export is not None:
        checkpoint.export_weights(task, export, image_size, experiment.description)
    elif profile == "full":
        if experiment.ship and seed == 0:
            path = weights_path(experiment)
            path.parent.mkdir(parents=True, exist_ok=True)
            checkpoint.export_weights(task, path, image_size, experiment.description)
        write_results(
            experiment, seed, _scored_network(task), history, _device_name(task.device),
            paired_train_set, val_set, device=task.device, train_scored=TRAIN_SCORED,
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


def _run_name(experiment: Experiment, seed: int) -> str:
    return experiment.name if seed == 0 else f"{experiment.name}-seed{seed}"


def results_path(name: str, seed: int = 0) -> Path:
    """``data/results/<name>.json`` (seed 0, the shipped run) or ``seeds/<name>-seed<k>.json``."""
    return RESULTS / f"{name}.json" if seed == 0 else RESULTS / "seeds" / f"{name}-seed{seed}.json"


def load_history(
    name: str,
    profile: str = "quick",
    retrained: bool = False,
    runs: str | os.PathLike = "runs",
) -> list[dict]:
    """The per-epoch training history of experiment ``name``.

    Args:
        name: an experiment name (:data:`EXPERIMENTS`).
        profile: the profile of a fresh run (``retrained=True``).
        retrained: True: the run just made by ``train_or_load(..., retrain=True)``,
            read from ``runs/<profile>/<name>/history.json`` (relative to the current
            directory, as :func:`run` writes it). False: the
            history of the shipped weights, ``data/results/<name>.json``
            (:data:`colorlib.RESULTS`, written by the full run).
        runs: the runs folder of a fresh run.

    Returns:
        A list of per-epoch dicts as :func:`colorlib.train.fit` returns.

    Raises:
        FileNotFoundError: no such history; the message names the file.
    """
    if retrained:
        path = Path(runs) / profile / name / "history.json"
    else:
        path = RESULTS / f"{name}.json"
    if not path.is_file():
        how = "train it first" if retrained else "it is written by the full-profile run"
        raise FileNotFoundError(f"no training history at {path} ({how})")
    content = json.loads(path.read_text(encoding="utf-8"))
    return content if retrained else content["history"]


def load_results(name: str) -> dict[int, dict]:
    """Every committed full-run record of experiment ``name``, by seed (may be empty).

    Each record holds ``experiment``, ``seed``, ``device``, ``train_seconds``,
    ``final`` (``{"train": metrics, "test": metrics}``, means over images, as
    :func:`colorlib.evaluate.evaluate` names them) and ``history``. Records written
    before ``final`` existed lack it.
    """
    found = {}
    for path in [RESULTS / f"{name}.json", *sorted((RESULTS / "seeds").glob(f"{name}-seed*.json"))]:
        if path.is_file():
            record = json.loads(path.read_text(encoding="utf-8"))
            found[int(record.get("seed", 0))] = record
    return found


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{device.type} ({os.cpu_count()} cores)"


def _scored_network(task: tasks.Task) -> torch.nn.Module:
    """What a record scores: the colorizer, or a classifier's network (eval mode)."""
    if task.kind == "labels":
        return tasks.unwrap(task.nets["net"]).eval()
    return task.colorizer().to(task.device).eval()


def write_results(
    experiment: Experiment,
    seed: int,
    model: torch.nn.Module | None,
    history: list[dict],
    device_name: str,
    train_set,
    test_set,
    *,
    device: str | torch.device = "cpu",
    train_scored: int | None = None,
    note: str | None = None,
) -> dict:
    """Score a full run and write its record (and, for seed 0, per-image metrics).

    Args:
        model: the trained colorizer (L -> ab, Lab units), or a classifier (task
            ``"labels"``: sRGB -> logits); None when the weights were not kept: the
            last epoch's validation metrics are then the record's test metrics.
        history: the run's per-epoch history (:func:`colorlib.train.fit`).
        device_name: where it was trained (for the record).
        train_set, test_set: the run's data; the train metrics use
            ``train_scored`` random training photos (default: as many as test photos).
        device: where to score.
        note: a line stored in the record (e.g. how it was made).

    Returns:
        The record written to :func:`results_path`.
    """
    is_classifier = not methods.get(experiment.task).colorizes
    record = {
        "experiment": dataclasses.asdict(experiment),
        "seed": seed,
        "device": device_name,
        "train_seconds": sum(r["seconds"] for r in history),
        "epochs_run": len(history),
        "data": {"train": len(train_set), "test": len(test_set)},
        "history": history,
    }
    if note:
        record["note"] = note
    prior, test_values = None, None
    if model is None:  # weights not kept: the last epoch's validation is the final score
        last = history[-1]
        test = {k[4:]: v for k, v in last.items() if k.startswith("val_")}
        record["final"] = {"test": test | {"images": len(test_set)}}
    else:
        prior = None if is_classifier else _prior(train_set)
        test_values = _values(model, is_classifier, test_set, prior, device)
        train_part = data.random_subset(train_set, train_scored or len(test_set))
        train_values = _values(model, is_classifier, train_part, prior, device)
        record["final"] = {
            "train": _means(train_values, len(train_part)),
            "test": _means(test_values, len(test_set)),
        }
    if seed == 0 and prior is not None:
        _save_per_image({**test_values, "prior": prior}, per_image_path(experiment.name))
    path = results_path(experiment.name, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1) + "\n")
    return record


def _values(
    model: torch.nn.Module, is_classifier: bool, dataset, prior: torch.Tensor | None, device
) -> dict[str, torch.Tensor]:
    """Per-image :func:`colorlib.evaluate.evaluate` metrics of a colorizer on
    ``dataset``, with ``auc_rebalanced`` when the training ``prior`` is given (a
    classifier: ``{"accuracy": (N,) 0/1}``)."""
    if is_classifier:
        return {"accuracy": evaluate.classifier_correct(model, dataset).float()}
    prediction = evaluate.predict(model, dataset, device=device)
    values = evaluate.evaluate(prediction)
    if prior is not None:
        values["auc_rebalanced"] = evaluate.rebalanced_auc(prediction, prior)
    return values


def _means(values: dict[str, torch.Tensor], images: int) -> dict[str, float]:
    return {k: float(v.double().mean()) for k, v in values.items()} | {"images": images}


def per_image_path(name: str) -> Path:
    """``data/results/per_image/<name>.pt``: every test image's metrics (seed 0), and
    the training set's ab ``prior`` (Q,) behind ``auc_rebalanced``."""
    return RESULTS / "per_image" / f"{name}.pt"


def _save_per_image(values: dict[str, torch.Tensor], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({k: v.float() for k, v in values.items()}, path)


def baselines_path(dataset: str, size: int) -> Path:
    """``data/results/per_image/<dataset><size>-baselines.pt``."""
    return RESULTS / "per_image" / f"{dataset}{size}-baselines.pt"


def write_baselines(dataset: str, size: int, root: str | os.PathLike | None = None) -> dict:
    """Per-image metrics of the gray guess and the mean colouring on the whole test
    split of ``dataset`` at ``size`` (with ``auc_rebalanced`` under the training
    prior), saved to :func:`baselines_path` for the notebooks' whole-test-set tables.

    Returns:
        ``{"gray guess": {metric: (N,)}, "mean colouring": {...}, "prior": (Q,),
        "mean_ab": (2,)}``.
    """
    train_set = data.load(dataset, "train", root=root, size=size)
    test_set = data.load(dataset, "test", root=root, size=size)
    prior = _prior(train_set)
    mean_ab = evaluate.mean_ab(data.random_subset(train_set, PRIOR_PHOTOS, seed=1))
    content: dict = {"prior": prior, "mean_ab": mean_ab}
    for name, guess in evaluate.baselines(test_set, mean_ab).items():
        values = evaluate.evaluate(guess)
        values["auc_rebalanced"] = evaluate.rebalanced_auc(guess, prior)
        content[name] = {k: v.float() for k, v in values.items()}
    path = baselines_path(dataset, size)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(content, path)
    return content


def load_baselines(dataset: str, size: int) -> dict | None:
    """What :func:`write_baselines` saved (None when there is no such file)."""
    path = baselines_path(dataset, size)
    return torch.load(path, weights_only=True) if path.is_file() else None


def load_per_image(name: str) -> dict[str, torch.Tensor] | None:
    """The per-image test metrics of experiment ``name``'s full run (float32 (N,) each,
    in the test set's order), or None when there is no such file."""
    path = per_image_path(name)
    if not path.is_file():
        return None
    return {k: v.double() for k, v in torch.load(path, weights_only=True).items()}


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
