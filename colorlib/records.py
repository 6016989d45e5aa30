"""What a full training run leaves behind in ``data/results/``, and reading it back.

A full run (:func:`colorlib.experiments.run` with ``profile="full"``) scores its model
and writes one JSON record per seed; the notebooks read those records for training
curves, wall times and the numbers of the shipped models, and the per-image files for
paired intervals over a whole test set:

- ``data/results/<name>.json`` (seed 0, the shipped weights) and
  ``data/results/seeds/<name>-seed<k>.json``: a :class:`RunRecord`;
- ``data/results/per_image/<name>.pt``: every test image's metrics (seed 0);
- ``data/results/per_image/<dataset><size>-baselines.pt``: the gray guess's and the
  mean colouring's per-image metrics on the same test set.

This module knows the files; :mod:`colorlib.experiments` knows what to train.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from pathlib import Path

import torch

from colorlib import data, evaluate, methods, resume
from colorlib.gamut import ABGamut

__all__ = [
    "PRIOR_PHOTOS",
    "RESULTS",
    "TRAIN_SCORED",
    "RunRecord",
    "baselines_path",
    "load_baselines",
    "load_history",
    "load_per_image",
    "load_results",
    "per_image_path",
    "results_path",
    "training_prior",
    "write_baselines",
    "write_results",
]

RESULTS = data.PROJECT_DATA / "results"
"""Where full runs write ``<name>.json`` (final metrics and history) for the notebooks."""

TRAIN_SCORED = 2_000
"""Random training photos a full run's record scores (its "train" metrics)."""

PRIOR_PHOTOS = 20_000
"""The rebalancing prior counts the pixels of at most this many random training photos
(82 M pixels at 64 px: plenty for 261 bins, and minutes less than all 98,984)."""


@dataclasses.dataclass(frozen=True)
class RunRecord:
    """One full run of one experiment, as written to :func:`results_path`.

    Attributes:
        experiment: the experiment's settings as trained (the fields of
            :class:`colorlib.experiments.Experiment`, e.g. ``epochs``, ``dataset``).
        seed: the run's seed (0: the shipped weights).
        history: per-epoch dicts as :func:`colorlib.train.fit` returns them
            (``seconds``, ``train_loss``, ``val_ab_l2``, ...).
        final: ``{"test": metrics, "train": metrics}``, means over images as
            :func:`colorlib.evaluate.evaluate` names them (ab L2 in Lab units, PSNR in
            dB, ...) plus ``"images"``; empty for records written before it existed.
        device: where it was trained, in words ("NVIDIA H200", "cpu (2 cores)").
        train_seconds: wall time of training (not of scoring), seconds.
        epochs_run: epochs that ran (fewer than planned when a time limit stopped it).
        data: ``{"train": photos, "test": photos}`` the run used, where recorded.
        note: how the run was made, where that needs saying.
        precision: the arithmetic it trained in (``"fp32"``, ``"bf16"``, ``"fp16"``);
            None for records written before it was recorded.
        images_seen: training images the optimizer stepped over (steps x batch);
            None for older records.
    """

    experiment: dict
    seed: int = 0
    history: list = dataclasses.field(default_factory=list)
    final: dict = dataclasses.field(default_factory=dict)
    device: str = "a device its record does not name"
    train_seconds: float = 0.0
    epochs_run: int | None = None
    data: dict | None = None
    note: str | None = None
    precision: str | None = None
    images_seen: int | None = None

    @classmethod
    def from_json(cls, content: Mapping) -> RunRecord:
        """A record from its JSON dict (older records lack some keys: defaults fill them)."""
        known = {f.name for f in dataclasses.fields(cls)}
        record = cls(**{k: v for k, v in content.items() if k in known})
        if record.epochs_run is None:
            record = dataclasses.replace(record, epochs_run=len(record.history))
        if not record.train_seconds:
            seconds = sum(epoch.get("seconds", 0.0) for epoch in record.history)
            record = dataclasses.replace(record, train_seconds=seconds)
        return record

    def to_json(self) -> dict:
        """The JSON dict :func:`write_results` stores (None fields left out)."""
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}

    @property
    def test(self) -> dict:
        """The final test metrics (means over the test photos); {} when not recorded."""
        return self.final.get("test", {})

    @property
    def train(self) -> dict:
        """The final metrics on :data:`TRAIN_SCORED` random training photos; {} if none."""
        return self.final.get("train", {})

    @property
    def train_minutes(self) -> float:
        """Training wall time in minutes."""
        return self.train_seconds / 60


def results_path(name: str, seed: int = 0) -> Path:
    """``data/results/<name>.json`` (seed 0, the shipped run) or ``seeds/<name>-seed<k>.json``."""
    return (RESULTS if seed == 0 else RESULTS / "seeds") / f"{resume.run_name(name, seed)}.json"


def load_results(name: str) -> dict[int, RunRecord]:
    """Every committed full-run record of experiment ``name``, by seed (may be empty)."""
    found = {}
    for path in [results_path(name), *sorted((RESULTS / "seeds").glob(f"{name}-seed*.json"))]:
        if path.is_file():
            record = RunRecord.from_json(json.loads(path.read_text(encoding="utf-8")))
            found[record.seed] = record
    return found


def load_history(
    name: str,
    profile: str = "quick",
    retrained: bool = False,
    runs: str | os.PathLike = "runs",
) -> list[dict]:
    """The per-epoch training history of experiment ``name``.

    Args:
        name: an experiment name (:data:`colorlib.experiments.EXPERIMENTS`).
        profile: the profile of a fresh run (``retrained=True``).
        retrained: True: the run just made by ``train_or_load(..., retrain=True)``,
            read from ``runs/<profile>/<name>/history.json`` (relative to the current
            directory, as :func:`colorlib.experiments.run` writes it). False: the
            history of the shipped weights, ``data/results/<name>.json``.
        runs: the runs folder of a fresh run.

    Returns:
        A list of per-epoch dicts as :func:`colorlib.train.fit` returns.

    Raises:
        FileNotFoundError: no such history; the message names the file.
    """
    path = Path(runs) / profile / name / resume.HISTORY_FILE if retrained else results_path(name)
    if not path.is_file():
        how = "train it first" if retrained else "it is written by the full-profile run"
        raise FileNotFoundError(f"no training history at {path} ({how})")
    content = json.loads(path.read_text(encoding="utf-8"))
    return content if retrained else content["history"]


def training_prior(train_set) -> torch.Tensor:
    """The empirical ab prior ``(Q,)`` of a training set (for class rebalancing and the
    rebalanced AuC), from batches of at most :data:`PRIOR_PHOTOS` random photos (seeded)."""
    photos = data.random_subset(train_set, PRIOR_PHOTOS, seed=1)
    loader = torch.utils.data.DataLoader(photos, batch_size=500)
    return ABGamut().prior(batch["ab"] for batch in loader)


def write_results(
    experiment,
    seed: int,
    model: torch.nn.Module | None,
    history: list[dict],
    device_name: str,
    train_set,
    test_set,
    *,
    colorizes: bool | None = None,
    device: str | torch.device = "cpu",
    train_scored: int | None = None,
    note: str | None = None,
    precision: str | None = None,
) -> RunRecord:
    """Score a full run and write its record (and, for seed 0, per-image metrics).

    Args:
        experiment: the :class:`colorlib.experiments.Experiment` that was trained.
        model: the trained colorizer (L -> ab, Lab units), or a classifier
            (``colorizes=False``: sRGB -> logits); None when the weights were not
            kept: the last epoch's validation metrics are then the record's test metrics.
        history: the run's per-epoch history (:func:`colorlib.train.fit`).
        device_name: where it was trained (for the record).
        train_set, test_set: the run's data; the train metrics use
            ``train_scored`` random training photos (default: as many as test photos).
        colorizes: whether ``model`` is a colorizer; None: as the experiment's method
            declares (:func:`colorlib.methods.get`; False for the judge).
        device: where to score.
        note: a line stored in the record (e.g. how it was made).
        precision: the precision it trained in (``task.precision``).

    Returns:
        The record written to :func:`results_path`.
    """
    if colorizes is None:
        colorizes = methods.get(experiment.task).colorizes
    prior, test_values = None, None
    if model is None:  # weights not kept: the last epoch's validation is the final score
        last = history[-1]
        test = {k[4:]: v for k, v in last.items() if k.startswith("val_")}
        final = {"test": test | {"images": len(test_set)}}
    else:
        prior = training_prior(train_set) if colorizes else None
        test_values = _scored(model, colorizes, test_set, prior, device)
        train_part = data.random_subset(train_set, train_scored or len(test_set))
        train_values = _scored(model, colorizes, train_part, prior, device)
        final = {"train": _means(train_values, len(train_part)),
                 "test": _means(test_values, len(test_set))}  # fmt: skip
    record = RunRecord(
        experiment=dataclasses.asdict(experiment), seed=seed, history=history, final=final,
        device=device_name, train_seconds=sum(r["seconds"] for r in history),
        epochs_run=len(history), data={"train": len(train_set), "test": len(test_set)},
        note=note or None, precision=precision,
        images_seen=_images_seen(history, experiment.batch_size),
    )  # fmt: skip
    if seed == 0 and prior is not None:
        path = per_image_path(experiment.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save({k: v.float() for k, v in {**test_values, "prior": prior}.items()}, path)
    path = results_path(experiment.name, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record.to_json(), indent=1) + "\n")
    return record


def _images_seen(history: list[dict], batch_size: int) -> int | None:
    """Training images the optimizer stepped over: the last epoch's step count x the
    batch (fit drops incomplete batches); None for a history without step counts."""
    steps = history[-1].get("step") if history else None
    return None if steps is None else int(steps) * batch_size


def _scored(
    model: torch.nn.Module, colorizes: bool, dataset, prior: torch.Tensor | None, device
) -> dict[str, torch.Tensor]:
    """Per-image :func:`colorlib.evaluate.evaluate` metrics of a colorizer on
    ``dataset``, with ``auc_rebalanced`` when the training ``prior`` is given (a
    classifier: ``{"accuracy": (N,) 0/1}``)."""
    if not colorizes:
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


def load_per_image(name: str) -> dict[str, torch.Tensor] | None:
    """The per-image test metrics of experiment ``name``'s full run (float64 (N,) each,
    in the test set's order), or None when there is no such file."""
    path = per_image_path(name)
    if not path.is_file():
        return None
    return {k: v.double() for k, v in torch.load(path, weights_only=True).items()}


def baselines_path(dataset: str, size: int) -> Path:
    """``data/results/per_image/<dataset><size>-baselines.pt``."""
    return RESULTS / "per_image" / f"{dataset}{size}-baselines.pt"


def write_baselines(dataset: str, size: int, root: str | os.PathLike | None = None) -> dict:
    """Per-image metrics of the gray guess and the mean colouring on the whole test
    split of ``dataset`` at ``size`` (with ``auc_rebalanced`` under the training
    prior), saved to :func:`baselines_path` for the notebooks' whole-test-set tables.

    Returns:
        ``{"gray guess": {metric: (N,)}, "mean colouring": {...}, "prior": (Q,),
        "mean_ab": (2,), "rebalanced_weight": (N,)}``; the last, each test photo's
        total rebalancing weight (:func:`colorlib.evaluate.rebalanced_weight`), pools
        any model's per-image ``auc_rebalanced`` over every pixel of the set, as Zhang
        et al.'s Table 1 does.
    """
    train_set = data.load(dataset, "train", root=root, size=size)
    test_set = data.load(dataset, "test", root=root, size=size)
    prior = training_prior(train_set)
    mean_ab = evaluate.mean_ab(data.random_subset(train_set, PRIOR_PHOTOS, seed=1))
    content: dict = {"prior": prior, "mean_ab": mean_ab}
    for name, guess in evaluate.baselines(test_set, mean_ab).items():
        values = evaluate.evaluate(guess)
        values["auc_rebalanced"] = evaluate.rebalanced_auc(guess, prior)
        content[name] = {k: v.float() for k, v in values.items()}
        content["rebalanced_weight"] = evaluate.rebalanced_weight(guess["ab_true"], prior)
    path = baselines_path(dataset, size)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(content, path)
    return content


def load_baselines(dataset: str, size: int) -> dict | None:
    """What :func:`write_baselines` saved (None when there is no such file)."""
    path = baselines_path(dataset, size)
    return torch.load(path, weights_only=True) if path.is_file() else None
