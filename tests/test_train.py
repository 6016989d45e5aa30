"""Tests for colorlib.train: every task through the one fit() loop, on real photos."""

from __future__ import annotations

import functools
import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import Dataset

from colorlib import models
from colorlib.checkpoint import export_weights, load_checkpoint
from colorlib.gamut import ABGamut
from colorlib.lab import rgb_to_lab, split_lab
from colorlib.tasks import (
    BinTask,
    CycleGANTask,
    Pix2PixTask,
    RegressionTask,
    UnpairedDataset,
    build_network,
    split_halves,
)
from colorlib.train import TrainingDiverged, fit, resolve_device

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
TESTS = Path(__file__).resolve().parent


@functools.lru_cache(maxsize=4)
def sample_rgb(split: str, n: int, size: int = 32) -> torch.Tensor:
    """The first n sample photos of a split, centre square, resized: (n, 3, S, S) in [0, 1]."""
    out = []
    for path in sorted((SAMPLE / split).glob("*.jpg"))[:n]:
        img = Image.open(path).convert("RGB")
        s = min(img.size)
        left, top = (img.width - s) // 2, (img.height - s) // 2
        img = img.crop((left, top, left + s, top + s)).resize(
            (size, size), Image.Resampling.BICUBIC
        )
        out.append(torch.from_numpy(np.asarray(img).copy()).permute(2, 0, 1))
    return torch.stack(out).float() / 255.0


class Photos(Dataset):
    """Items {"L", "ab", "rgb", "label"} of an RGB batch; ``flip``: random mirror (torch RNG)."""

    def __init__(self, rgb: torch.Tensor, flip: bool = False) -> None:
        self.rgb, self.flip = rgb, flip

    def __len__(self) -> int:
        return len(self.rgb)

    def __getitem__(self, i: int) -> dict:
        rgb = self.rgb[i]
        if self.flip and torch.rand(()) < 0.5:
            rgb = rgb.flip(-1)
        L, ab = split_lab(rgb_to_lab(rgb))
        return {"L": L, "ab": ab, "rgb": rgb, "label": i}


def train_set(n: int = 32, flip: bool = False) -> Photos:
    return Photos(sample_rgb("train", n), flip)


def val_set(n: int = 16) -> Photos:
    return Photos(sample_rgb("test", n))


@pytest.fixture(autouse=True)
def _one_thread():
    """Two torch threads on a 2-core machine shared with other jobs can run 10x slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def quiet(**kwargs):
    return {"device": "cpu", "progress": False, **kwargs}


# ------------------------------------------------------------------ tasks learn


def test_regression_loss_falls_on_real_photos(photos32, tmp_path):
    torch.manual_seed(0)
    task = RegressionTask(build_network("SeedCNN", image_size=32), loss="l2", lr=3e-4)
    data = Photos(torch.cat([sample_rgb("train", 28), photos32]))
    history = fit(task, data, val_set(), epochs=5, batch_size=8, **quiet())
    losses = [h["train_loss"] for h in history]
    assert losses[-1] < 0.5 * losses[0], losses
    assert all(math.isfinite(h["val_ab_l2"]) and h["val_ab_l2"] > 0 for h in history)


@pytest.mark.parametrize("kind", ["smooth_l1", "l1"])
def test_other_regression_losses_run(kind):
    torch.manual_seed(0)
    task = RegressionTask(models.ZhangNet(width=0.125), loss=kind)  # stride-4 output
    history = fit(task, train_set(8), val_set(4), epochs=1, batch_size=4, **quiet())
    assert math.isfinite(history[0]["train_loss"]) and math.isfinite(history[0]["val_ab_l2"])


def test_classification_loss_falls_with_rebalancing():
    torch.manual_seed(0)
    gamut = ABGamut()
    data = train_set(32)
    prior = gamut.prior(torch.stack([data[i]["ab"] for i in range(len(data))]))
    task = BinTask(models.ZhangNet(width=0.25, bins=gamut.Q), gamut, prior=prior)
    history = fit(task, data, val_set(8), epochs=8, batch_size=8, **quiet())
    losses = [h["train_loss"] for h in history]
    assert losses[-1] < 0.8 * losses[0], losses
    assert losses[0] < 1.2 * math.log(gamut.Q)  # starts near uniform over the bins
    assert 0 < history[-1]["val_ab_l2"] < 60


def test_pix2pix_runs_and_writes_history(tmp_path):
    torch.manual_seed(0)
    G = build_network("UNetGenerator", image_size=32, base_width=16)
    D = models.PatchDiscriminator.for_image_size(32, base_width=16)
    history = fit(
        Pix2PixTask(G, D),
        train_set(16),
        val_set(8),
        epochs=2,
        batch_size=4,
        checkpoint_dir=tmp_path,
        **quiet(),
    )
    saved = json.loads((tmp_path / "history.json").read_text())
    assert saved == json.loads(json.dumps(history)) and len(saved) == 2
    for key in ("train_loss_D", "train_loss_G_adv", "train_l1", "val_l1", "val_ab_l2", "lr_G"):
        assert all(math.isfinite(h[key]) for h in saved), key
    assert load_checkpoint(tmp_path / "last.pt").build().__class__ is models.UNetGenerator


def test_cyclegan_runs_a_few_steps(tmp_path):
    torch.manual_seed(0)
    gray, color = split_halves(train_set(16), seed=1)
    assert not set(gray.indices) & set(color.indices) and len(gray) + len(color) == 16
    task = CycleGANTask(
        models.ResnetGenerator(1, 2, base_width=8, n_blocks=1),
        models.ResnetGenerator(3, 1, base_width=8, n_blocks=1),
        models.PatchDiscriminator.for_image_size(32, in_channels=3, base_width=8),
        models.PatchDiscriminator.for_image_size(32, in_channels=1, base_width=8),
        pool_size=6,
    )
    history = fit(
        task,
        UnpairedDataset(gray, color),
        val_set(4),
        epochs=1,
        batch_size=4,
        checkpoint_dir=tmp_path,
        **quiet(),
    )
    assert history[0]["step"] == 2
    for key in ("train_loss_G_adv", "train_cycle", "train_identity", "train_loss_D", "val_l1"):
        assert math.isfinite(history[0][key]), key
    pools = load_checkpoint(tmp_path / "last.pt").raw["state"]["extra"]
    assert len(pools["color"]) == 6 and pools["color"][0].shape == (3, 32, 32)


# ------------------------------------------------------------------ resume


def _resume_task() -> RegressionTask:
    torch.manual_seed(0)  # the same initial weights every time
    return RegressionTask(build_network("SeedCNN", image_size=32, dropout=0.1), lr=1e-3)


def _metrics(history: list[dict]) -> np.ndarray:
    return np.array([history[-1][k] for k in ("train_loss", "val_loss", "val_ab_l2", "val_psnr")])


def test_resume_matches_an_uninterrupted_run(tmp_path):
    """Dropout, random flips and shuffling all draw random numbers: resumption must be exact."""
    args = dict(epochs=4, batch_size=8, seed=7, lr_schedule="plateau", patience=0, **quiet())
    data, val = train_set(24, flip=True), val_set(8)
    full = fit(_resume_task(), data, val, checkpoint_dir=tmp_path / "full", **args)

    fit(_resume_task(), data, val, checkpoint_dir=tmp_path / "cut", **{**args, "epochs": 2})
    resumed = fit(_resume_task(), data, val, checkpoint_dir=tmp_path / "cut", **args)

    def crash_after_epoch_3(record):
        if record["epoch"] == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fit(
            _resume_task(),
            data,
            val,
            checkpoint_dir=tmp_path / "crash",
            callbacks=[crash_after_epoch_3],
            **args,
        )
    crashed = fit(_resume_task(), data, val, checkpoint_dir=tmp_path / "crash", **args)

    assert [h["epoch"] for h in resumed] == [1, 2, 3, 4] and len(crashed) == 4
    np.testing.assert_allclose(_metrics(resumed), _metrics(full), rtol=1e-4)
    np.testing.assert_allclose(_metrics(crashed), _metrics(full), rtol=1e-4)
    assert [h["lr"] for h in resumed] == [h["lr"] for h in full]
    print("resume max relative difference:", np.max(np.abs(_metrics(resumed) / _metrics(full) - 1)))


def test_resume_refuses_another_task(tmp_path):
    fit(_resume_task(), train_set(8), epochs=1, batch_size=4, checkpoint_dir=tmp_path, **quiet())
    other = RegressionTask(build_network("SeedCNN", image_size=32))
    with pytest.raises(ValueError, match="different task"):
        fit(other, train_set(8), epochs=2, batch_size=4, checkpoint_dir=tmp_path, **quiet())


def _small_task(loss: str = "l2", lr: float = 1e-3) -> RegressionTask:
    """A two-convolution regression task: resumption checks in well under a second."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(4, 2, 3, padding=1)
    )
    return RegressionTask(net, loss=loss, lr=lr)


@pytest.mark.parametrize(
    "change,message",
    [({"loss": "l1"}, "loss 'l2' (checkpoint) vs 'l1' (now)"),
     ({"lr": 1e-2}, "lr 0.001 (checkpoint) vs 0.01 (now)"),
     ({"batch_size": 2}, "batch_size 4 (checkpoint) vs 2 (now)"),
     ({"seed": 3}, "seed 0 (checkpoint) vs 3 (now)"),
     ({"images": 4}, "train_images 8 (checkpoint) vs 4 (now)")],
)  # fmt: skip
def test_resume_refuses_other_settings_and_says_what_differs(tmp_path, change, message):
    """Resuming with another loss, lr or batch once mixed two runs (and the checkpoint
    then claimed the new loss); only the epoch count may change."""
    fit(_small_task(), train_set(8), epochs=1, batch_size=4, checkpoint_dir=tmp_path, **quiet())
    saved = torch.load(tmp_path / "last.pt", weights_only=True)
    assert saved["run"]["batch_size"] == 4 and saved["run"]["seed"] == 0
    task = _small_task(change.get("loss", "l2"), change.get("lr", 1e-3))
    with pytest.raises(ValueError, match="was trained with other settings") as info:
        fit(
            task, train_set(change.get("images", 8)), epochs=2, checkpoint_dir=tmp_path,
            batch_size=change.get("batch_size", 4), seed=change.get("seed", 0), **quiet(),
        )  # fmt: skip
    text = str(info.value)
    assert message in text and "fresh output folder" in text and "\n" not in text
    assert torch.load(tmp_path / "last.pt", weights_only=True)["epoch"] == 1  # untouched
    history = fit(
        _small_task(), train_set(8), epochs=2, batch_size=4, checkpoint_dir=tmp_path, **quiet()
    )
    assert [h["epoch"] for h in history] == [1, 2]  # more epochs, same settings: resumes


@pytest.mark.parametrize(
    "content,message",
    [(b"garbage", "is unreadable (UnpicklingError)"),
     ({"format": "colorlib.train/1", "kind": "regression"}, "is incomplete (no config, networks"),
     ({"format": "other"}, "is not a colorlib training checkpoint")],
)  # fmt: skip
def test_unusable_last_checkpoint_is_refused_and_kept(tmp_path, content, message):
    last = tmp_path / "last.pt"
    if isinstance(content, bytes):
        last.write_bytes(content)
    else:
        torch.save(content, last)
    before = last.read_bytes()
    with pytest.raises(ValueError, match="remove it") as info:
        fit(_small_task(), train_set(8), epochs=1, batch_size=4, checkpoint_dir=tmp_path, **quiet())
    assert message in str(info.value) and "\n" not in str(info.value)
    assert last.read_bytes() == before  # never deleted nor overwritten


def test_checkpoint_dir_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "file").write_text("mine")
    with pytest.raises(ValueError, match="exists and is not a folder"):
        fit(_small_task(), train_set(8), epochs=1, batch_size=4, checkpoint_dir=tmp_path / "file")


def test_load_checkpoint_refuses_a_crafted_file(tmp_path):
    torch.save({"format": "colorlib.weights/2", "kind": "regression"}, tmp_path / "w.pt")
    with pytest.raises(ValueError, match="incomplete colorlib checkpoint"):
        load_checkpoint(tmp_path / "w.pt")


# ------------------------------------------------------------------ failure handling


class NaNAtStep(RegressionTask):
    """A regression task whose loss turns NaN at one global step (counted from 1)."""

    def __init__(self, model, bad_step: int) -> None:
        super().__init__(model)
        self.bad_step, self.steps = bad_step, 0

    def _loss(self, batch):
        loss, pred = super()._loss(batch)
        self.steps += self.nets["net"].training
        return (loss * math.nan if self.steps == self.bad_step else loss), pred


def test_nan_stops_training_and_keeps_last_good_checkpoint(tmp_path):
    torch.manual_seed(0)
    task = NaNAtStep(build_network("SeedCNN", image_size=32), bad_step=7)  # epoch 2, step 3
    with pytest.raises(TrainingDiverged, match=r"loss = nan at epoch 2, step 3") as info:
        fit(
            task,
            train_set(16),
            val_set(4),
            epochs=3,
            batch_size=4,
            log_every=2,
            checkpoint_dir=tmp_path,
            **quiet(),
        )
    message = str(info.value)
    assert "\n" not in message and "(epoch 1) is kept" in message
    checkpoint = torch.load(tmp_path / "last.pt", weights_only=True, map_location="cpu")
    assert checkpoint["epoch"] == 1 and checkpoint["step"] == 4
    weights = checkpoint["state"]["nets"]["net"]
    assert all(torch.isfinite(v).all() for v in weights.values() if v.is_floating_point())
    assert len(json.loads((tmp_path / "history.json").read_text())) == 1


def test_huge_learning_rate_diverges(tmp_path):
    torch.manual_seed(0)
    task = RegressionTask(build_network("SeedCNN", image_size=32), lr=1e10)
    with pytest.raises(TrainingDiverged, match="training diverged"):
        fit(
            task,
            train_set(16),
            val_set(4),
            epochs=5,
            batch_size=4,
            checkpoint_dir=tmp_path,
            log_every=1,
            **quiet(),
        )


# ------------------------------------------------------------------ checkpoints and history


def test_checkpoint_format_history_and_export(tmp_path):
    torch.manual_seed(0)
    task = RegressionTask(build_network("SeedCNN", image_size=32), loss="smooth_l1")
    history = fit(
        task,
        train_set(8),
        val_set(4),
        epochs=2,
        batch_size=4,
        checkpoint_dir=tmp_path,
        lr_schedule="plateau",
        precision="fp32",  # the rebuilt network (float32) must repeat predict_ab exactly
        **quiet(),
    )
    raw = torch.load(tmp_path / "last.pt", weights_only=True, map_location="cpu")
    assert raw["format"] == "colorlib.train/1" and raw["kind"] == "regression"
    assert raw["networks"] == {"net": {"class": "SeedCNN", "kwargs": {"image_size": 32}}}
    assert raw["config"]["loss"] == "smooth_l1" and raw["epoch"] == 2 and raw["step"] == 4
    assert isinstance(raw["rng"]["torch"], torch.Tensor) and "net" in raw["schedulers"]
    assert raw["history"] == history
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # atomic writes

    saved = json.loads((tmp_path / "history.json").read_text())
    expected = {"epoch", "step", "train_loss", "val_loss", "val_ab_l2", "val_psnr", "lr", "seconds"}
    assert set(saved[0]) == expected and [h["epoch"] for h in saved] == [1, 2]
    assert saved[1]["step"] == 4 and saved[0]["lr"] == 1e-3 and saved[0]["seconds"] > 0

    L = val_set(4)[0]["L"][None]
    rebuilt = load_checkpoint(tmp_path / "last.pt").build()
    task.train(False)
    from colorlib.lab import denormalize_ab, normalize_l

    with torch.no_grad():
        expected_ab = task.predict_ab(L)
        assert torch.allclose(denormalize_ab(rebuilt(normalize_l(L))), expected_ab, atol=1e-5)
        export = export_weights(task, tmp_path / "weights.pt", image_size=32)
        shipped = load_checkpoint(export)
        assert shipped.epoch is None and shipped.kind == "regression"
        stored = torch.load(export, weights_only=True)["state"]
        assert stored["int8"]["net"], "the big matrices ship as int8"
        assert all(p["q"].dtype == torch.int8 for p in stored["int8"]["net"].values())
        assert all(
            v.dtype == torch.float16
            for k, v in stored["nets"]["net"].items()
            if "num_batches" not in k
        )
        compact_ab = denormalize_ab(shipped.build()(normalize_l(L)))
        assert (compact_ab - expected_ab).abs().max() < 1.0  # Lab units
    # int8 matrices: about a quarter of the float32 weights (the checkpoint also holds Adam)
    assert export.stat().st_size < 0.1 * (tmp_path / "last.pt").stat().st_size


def test_checkpoint_every_k_epochs_and_always_the_last(tmp_path):
    saved_epochs = []

    def note(record):
        last = tmp_path / "last.pt"
        epoch = torch.load(last, weights_only=True)["epoch"] if last.exists() else None
        saved_epochs.append(epoch)

    task = RegressionTask(build_network("SeedCNN", image_size=32))
    fit(task, train_set(8), epochs=5, batch_size=4, checkpoint_dir=tmp_path,
        checkpoint_every=2, callbacks=[note], **quiet())  # fmt: skip
    assert saved_epochs == [None, 2, 2, 4, 5]
    with pytest.raises(ValueError, match="checkpoint_every must be >= 1"):
        fit(task, train_set(8), epochs=1, checkpoint_every=0, **quiet())


def test_int8_quantization_error_is_within_half_a_step():
    from colorlib.checkpoint import dequantize_int8, quantize_int8

    weight = torch.randn(16, 8, 3, 3) * torch.logspace(-3, 1, 16)[:, None, None, None]
    packed = quantize_int8(weight)
    assert packed["q"].dtype == torch.int8 and packed["scale"].shape == (16,)
    error = (dequantize_int8(packed) - weight).abs().flatten(1).amax(1)
    assert torch.all(error <= packed["scale"] / 2 + 1e-7)  # every row: its own step
    assert torch.equal(quantize_int8(torch.zeros(2, 5))["q"], torch.zeros(2, 5, dtype=torch.int8))


def test_resolve_device_auto_is_cpu_here():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    if not torch.cuda.is_available() and torch.backends.mps.is_available():
        expected = "mps"
    assert resolve_device("auto").type == expected
    assert resolve_device("cpu") == torch.device("cpu")


def test_resolve_device_refuses_bad_names_and_missing_gpus(monkeypatch):
    with pytest.raises(ValueError, match="'banana' is not a device name; use auto, cpu"):
        resolve_device("banana")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="no CUDA GPU is available here; use cpu or auto"):
        resolve_device("cuda")


# ------------------------------------------------------------------ DDP


def _load_ddp_script():
    spec = importlib.util.spec_from_file_location("ddp_fit_script", TESTS / "ddp_fit_script.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_ddp_two_processes_match_one_with_the_same_global_batch(tmp_path):
    """gloo, 2 CPU processes x batch 4 vs 1 process x batch 8.

    The test network has no BatchNorm (SyncBatchNorm has no CPU kernel, and per-rank
    BatchNorm statistics would legitimately differ), so the averaged gradient equals the
    one-process gradient up to float summation order: tolerance 1e-5 relative.
    """
    torchrun = Path(sys.executable).parent / "torchrun"
    if not torchrun.exists() and shutil.which("torchrun") is None:
        pytest.skip("torchrun not found")
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE")}
    subprocess.run(
        [
            str(torchrun if torchrun.exists() else "torchrun"),
            "--standalone",
            "--nproc_per_node=2",
            str(TESTS / "ddp_fit_script.py"),
            str(tmp_path / "ddp"),
        ],
        check=True,
        env=env,
        timeout=120,
        capture_output=True,
    )
    two = json.loads((tmp_path / "ddp" / "history.json").read_text())
    one = _load_ddp_script().run(str(tmp_path / "one"))
    keys = ("train_loss", "val_loss", "val_ab_l2")
    a, b = (
        np.array([[h[k] for k in keys] for h in one]),
        np.array([[h[k] for k in keys] for h in two]),
    )
    print("DDP max relative difference:", np.max(np.abs(b / a - 1)))
    np.testing.assert_allclose(b, a, rtol=1e-5)
    assert [h["step"] for h in two] == [4, 8]
    assert a[-1, 0] < a[0, 0]  # it learns


def test_label_task_trains_a_classifier_with_the_same_engine(tmp_path):
    from colorlib import methods

    task = methods.build("judge", 32)
    photos = train_set(8)
    items = [{**photos[i], "label": i % 2} for i in range(len(photos))]
    history = fit(task, items, items[:4], epochs=2, batch_size=4, **quiet())
    assert {"train_loss", "val_loss", "val_accuracy"} <= set(history[-1])
    assert "val_ab_l2" not in history[-1] and 0 <= history[-1]["val_accuracy"] <= 1
    with pytest.raises(TypeError, match="no colorizer"):
        task.colorizer()
