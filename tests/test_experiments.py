"""The study's experiment registry and train-or-load, run on the bundled sample."""

from __future__ import annotations

import dataclasses
import json

import pytest
import torch

from colorlib import experiments, pretrained, records, tasks


def test_registry_covers_the_study():
    names = set(experiments.EXPERIMENTS)
    assert "cifar10-seedcnn-l2" in names  # notebook 01: the poster's baseline
    for size in (32, 64):  # notebook 02: the poster's three regression losses at both sizes
        for loss in ("l2", "l2-dropout", "smoothl1"):
            assert f"imagenet{size}-seedcnn-{loss}" in names
    assert {"imagenet64-zhang-ce", "imagenet64-zhang-ce-rebalanced"} <= names
    for experiment in experiments.EXPERIMENTS.values():
        assert set(experiment.epochs) == set(experiment.limit) == set(experiments.PROFILES)
        # the quick profile shows no more photos than the full one
        quick = experiment.epochs["quick"] * (experiment.limit["quick"] or 10**9)
        assert quick <= experiment.epochs["full"] * (experiment.limit["full"] or 10**9)
    # the 277 M-parameter 64-px SeedCNN is never shipped
    assert not experiments.get("imagenet64-seedcnn-l2").ship
    with pytest.raises(ValueError, match="unknown experiment 'nope'.*cifar10-seedcnn-l2"):
        experiments.get("nope")


def test_load_without_shipped_weights_says_how_to_train():
    experiment = experiments.get("imagenet64-seedcnn-l2")  # 277 M parameters: never shipped
    assert experiment.name not in pretrained.available()
    with pytest.raises(ValueError, match="pass retrain=True"):
        experiments.train_or_load(experiment)


def test_every_shipped_experiment_has_weights_and_results():
    shipped = [e for e in experiments.EXPERIMENTS.values() if e.ship]
    colorizers = sorted(e.name for e in shipped if e.task != "labels")
    assert sorted(pretrained.available()) == colorizers  # the judge is not a colorizer
    for experiment in shipped:
        assert experiments.weights_path(experiment).is_file(), experiment.name
        assert records.results_path(experiment.name).exists(), experiment.name


@pytest.mark.slow
def test_quick_retrain_on_the_sample_gives_a_colorizer(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # runs/ goes here
    tiny = dataclasses.replace(
        experiments.get("imagenet64-zhang-ce-rebalanced"), dataset="sample",
        width=0.25, batch_size=16, limit={"quick": 32, "full": 32}, quick={}, init_from=None,
    )  # fmt: skip
    shipped = {p: p.stat().st_mtime_ns for p in pretrained.CHECKPOINTS.glob("*.pt")}
    results = {p: p.stat().st_mtime_ns for p in records.RESULTS.rglob("*.json")}
    model = experiments.train_or_load(tiny, "quick", retrain=True, progress=False)
    assert model.image_size == 64 and not model.training and model.gamut is not None
    with torch.no_grad():
        ab = model(torch.full((2, 1, 64, 64), 50.0))
    assert ab.shape == (2, 2, 64, 64) and torch.isfinite(ab).all()
    history = json.loads((tmp_path / "runs/quick" / tiny.name / "history.json").read_text())
    assert len(history) == tiny.epochs["quick"] and "val_ab_l2" in history[0]
    # a quick run never writes the shipped weights or results
    assert {p: p.stat().st_mtime_ns for p in pretrained.CHECKPOINTS.glob("*.pt")} == shipped
    assert {p: p.stat().st_mtime_ns for p in records.RESULTS.rglob("*.json")} == results


@pytest.mark.slow
def test_cyclegan_experiment_trains_on_disjoint_halves(tmp_path):
    tiny = experiments.Experiment(
        "tiny-cyclegan", "", "cyclegan", "sample", "a tiny CycleGAN", batch_size=4,
        epochs={"quick": 1, "full": 1}, limit={"quick": 8, "full": 8}, size=32, ship=False,
    )  # fmt: skip
    task, history, image_size = experiments.run(
        tiny, checkpoint_dir=tmp_path / "run", export=tmp_path / "w.pt", progress=False
    )
    assert image_size == 32
    assert {"train_cycle", "train_identity", "val_ab_l2"} <= set(history[0])
    assert pretrained.load(str(tmp_path / "w.pt")).image_size == 32


def test_quick_settings_apply_to_the_quick_profile_only(tmp_path, monkeypatch):
    seen = {}

    def fake_fit(task, train_set, val_set, **kwargs):
        seen["batch_size"], seen["epochs"] = kwargs["batch_size"], kwargs["epochs"]
        return [{"epoch": 1, "seconds": 0.0}]

    monkeypatch.setattr(experiments.train, "fit", fake_fit)
    tiny = experiments.Experiment(
        "tiny", "", "regression", "sample", "tiny", batch_size=200, size=32,
        epochs={"quick": 1, "full": 1}, limit={"quick": 8, "full": 8}, quick={"batch_size": 4},
    )  # fmt: skip
    experiments.run(tiny, "quick", out_root=tmp_path, progress=False)
    assert seen["batch_size"] == 4
    assert experiments.get("imagenet32-seedcnn-l2").quick == {"batch_size": 50}


def test_load_results_gathers_every_seed(tmp_path, monkeypatch):
    shipped = records.load_results("imagenet32-seedcnn-l2")  # committed by the full runs
    assert sorted(shipped) == [0, 1, 2] and shipped[0].test["ab_l2"] > 0
    monkeypatch.setattr(records, "RESULTS", tmp_path)
    assert records.load_results("x") == {}
    (tmp_path / "seeds").mkdir()
    for seed in (0, 1, 2):
        path = records.results_path("x", seed)
        assert path == (tmp_path / "x.json" if seed == 0 else tmp_path / f"seeds/x-seed{seed}.json")
        record = {"experiment": {"name": "x"}, "seed": seed, "history": [{"seconds": 60.0}]}
        if seed != 1:  # seed 1 is an old record: no final metrics
            record["final"] = {"test": {"ab_l2": 10.0 + seed}}
        path.write_text(json.dumps(record))
    found = records.load_results("x")
    assert sorted(found) == [0, 1, 2] and found[2].test["ab_l2"] == 12.0
    assert found[1].test == {} and found[1].epochs_run == 1 and found[1].train_minutes == 1.0


def test_a_diverged_gan_run_says_so_and_ships_nothing(tmp_path, monkeypatch):
    from colorlib.train import TrainingDiverged

    monkeypatch.setattr(pretrained, "CHECKPOINTS", tmp_path / "checkpoints")
    monkeypatch.setattr(records, "RESULTS", tmp_path / "results")
    calls = []

    def nan_after_one_step(self, batch):  # the second step of epoch 2 goes NaN
        calls.append(1)
        value = float("nan") if len(calls) == 4 else 0.5
        return {"loss_D": torch.tensor(value), "l1": torch.tensor(0.1)}

    monkeypatch.setattr(tasks.Pix2PixTask, "train_step", nan_after_one_step)
    tiny = experiments.Experiment(
        "tiny-pix2pix", "", "pix2pix", "sample", "a tiny pix2pix", base_width=8, batch_size=4,
        epochs={"quick": 3, "full": 3}, limit={"quick": 8, "full": 8}, size=32, lr_schedule=None,
    )  # fmt: skip
    with pytest.raises(TrainingDiverged, match="loss_D = nan at epoch 2"):
        experiments.run(tiny, "full", out_root=tmp_path / "runs", progress=False)
    assert not (tmp_path / "checkpoints").exists() and not (tmp_path / "results").exists()
    saved = torch.load(tmp_path / "runs/full/tiny-pix2pix/last.pt", weights_only=True)
    assert saved["epoch"] == 1  # the last good epoch is kept for a resume


def test_export_into_a_missing_folder_is_refused_before_training(tmp_path, monkeypatch):
    """The export folder was once found missing only after the whole run had trained."""
    monkeypatch.setattr(experiments.train, "fit", lambda *a, **k: pytest.fail("trained first"))
    tiny = experiments.Experiment(
        "tiny", "", "regression", "sample", "tiny", batch_size=4, size=32,
        epochs={"quick": 1, "full": 1}, limit={"quick": 8, "full": 8},
    )  # fmt: skip
    with pytest.raises(ValueError, match="export folder .*missing does not exist"):
        experiments.run(tiny, checkpoint_dir=tmp_path / "run", export=tmp_path / "missing/w.pt")
    with pytest.raises(ValueError, match="is a folder; give a file name"):
        experiments.run(tiny, checkpoint_dir=tmp_path / "run", export=tmp_path)


def test_every_run_of_another_seed_is_named_one_way():
    from colorlib import records, resume
    from colorlib.__main__ import _default_out

    experiment = experiments.get("imagenet32-seedcnn-l2")
    for seed, stem in [(0, "imagenet32-seedcnn-l2"), (2, "imagenet32-seedcnn-l2-seed2")]:
        assert resume.run_name(experiment.name, seed) == stem
        assert experiments.run_folder(experiment, "full", seed).name == stem
        assert records.results_path(experiment.name, seed).name == f"{stem}.json"
        assert _default_out(experiment.name, seed).name == stem
    assert records.results_path(experiment.name, 2).parent.name == "seeds"
