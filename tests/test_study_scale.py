"""The pieces behind the study at scale: time-limited fit, fine-tuning from shipped
weights, records without weights, verdicts worded from intervals, the judges."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from colorlib import data, evaluate, experiments, methods, models, pretrained, records, tasks, train

ROOT = Path(__file__).resolve().parent.parent


class _Photos(torch.utils.data.Dataset):
    def __init__(self, rgb: torch.Tensor, labels: torch.Tensor | None = None) -> None:
        from colorlib.lab import rgb_to_lab, split_lab

        self.rgb = rgb
        self.L, self.ab = split_lab(rgb_to_lab(rgb))
        self.labels = labels if labels is not None else torch.zeros(len(rgb), dtype=torch.long)

    def __len__(self) -> int:
        return len(self.rgb)

    def __getitem__(self, i: int) -> dict:
        return {"L": self.L[i], "ab": self.ab[i], "rgb": self.rgb[i], "label": int(self.labels[i])}


def test_word_difference_says_better_worse_or_no_difference():
    base = torch.linspace(10, 20, 200)
    worse = evaluate.word_difference("A", "B", base + 1.0, base, unit=" Lab units")
    assert worse.startswith("A is worse than B on ab L2: +1.00 [+1.00, +1.00] Lab units")
    assert "200 photos" in worse
    better = evaluate.word_difference("A", "B", base + 1.0, base, "AuC", lower_is_better=False)
    assert better.startswith("A is better than B on AuC")
    vivid = evaluate.word_difference("A", "B", base - 2.0, base, words=("more vivid", "duller"))
    assert vivid.startswith("A is duller than B: -2.00")
    noise = torch.randn(200, generator=torch.Generator().manual_seed(0))
    tie = evaluate.word_difference("A", "B", base + noise, base + noise.flip(0))
    assert "no difference detectable" in tie and "could not show" in tie


def test_fit_stops_after_the_epoch_in_which_time_ran_out(photos32, tmp_path):
    task = methods.build("regression", 32, network="ZhangNet", width=0.25)
    history = train.fit(
        task, _Photos(photos32), epochs=5, batch_size=2, checkpoint_dir=tmp_path,
        time_limit=0.0, progress=False,
    )  # fmt: skip
    assert len(history) == 1  # one full epoch, then no new one
    saved = torch.load(tmp_path / "last.pt", weights_only=True)
    assert saved["epoch"] == 1  # the early end is checkpointed, so it can resume to 5


def test_init_from_loads_the_shipped_weights():
    task = methods.build("bins", 64, width=experiments.get("imagenet64-zhang-ce").width)
    experiments._initialise(task, "imagenet64-zhang-ce")
    shipped = pretrained.load("imagenet64-zhang-ce").network.state_dict()
    mine = task.nets["net"].state_dict()
    assert all(torch.allclose(mine[k].float(), v.float()) for k, v in shipped.items())
    with pytest.raises(ValueError, match="no shipped weights"):
        experiments._initialise(task, "imagenet64-seedcnn-l2")


def test_a_record_without_weights_takes_the_last_validation(tmp_path, monkeypatch):
    monkeypatch.setattr(records, "RESULTS", tmp_path)
    history = [{"epoch": 1, "seconds": 2.0, "val_ab_l2": 17.0, "val_psnr": 22.0},
               {"epoch": 2, "seconds": 3.0, "val_ab_l2": 16.0, "val_psnr": 23.0}]  # fmt: skip
    experiment = experiments.get("imagenet32-seedcnn-l2")
    record = records.write_results(
        experiment, 1, None, history, "somewhere", list(range(10)), list(range(4))
    )
    assert record.test == {"ab_l2": 16.0, "psnr": 23.0, "images": 4}
    assert record.epochs_run == 2 and record.train_seconds == 5.0
    written = json.loads((tmp_path / "seeds" / "imagenet32-seedcnn-l2-seed1.json").read_text())
    assert written["device"] == "somewhere"
    assert record.images_seen is None and record.precision is None  # not in this history
    stepped = [{**h, "step": 5 * h["epoch"]} for h in history]
    record = records.write_results(
        experiment, 1, None, stepped, "somewhere", list(range(10)), list(range(4)),
        precision="bf16",
    )  # fmt: skip
    assert record.images_seen == 10 * experiment.batch_size and record.precision == "bf16"


def test_load_or_sample_takes_the_first_dataset_found(tmp_path, monkeypatch):
    monkeypatch.delenv("COLORLIB_DATA", raising=False)
    dataset, about = data.load_or_sample(data.IMAGENET_CHOICES[64], "test", root=tmp_path)
    assert about.startswith("the bundled sample")
    assert "Tiny ImageNet and Downsampled ImageNet 64x64 not found" in about
    assert dataset.size == 64


def test_judge_counts_right_answers_on_real_gray_and_colorized_photos(photos64):
    labels = torch.tensor([0, 1, 0, 1])

    class ReadsRed(torch.nn.Module):  # label 1 when the photo is redder than it is green
        def forward(self, rgb):
            red = (rgb[:, 0] - rgb[:, 1]).mean(dim=(1, 2))
            return torch.stack([-red, red], dim=1)

    photos = _Photos(photos64, labels)
    truth = evaluate.classifier_correct(ReadsRed(), photos)
    assert truth.dtype == torch.bool and truth.shape == (4,)
    result = evaluate.judge(ReadsRed(), photos, {"copy": lambda L: photos.ab[: len(L)]})
    assert set(result) == {"real colour", "gray", "copy"}
    assert torch.equal(result["real colour"], truth)
    assert torch.equal(result["copy"], truth)  # the true colours give the true answers
    assert evaluate.accuracy(ReadsRed(), photos) == truth.float().mean().item()


def test_tiny_imagenet_judge_and_its_augmentation():
    net = models.TinyImageNetClassifier(classes=202).eval()
    with torch.no_grad():
        assert net(torch.rand(2, 3, 64, 64)).shape == (2, 202)
    assert net.net.conv1.stride == (1, 1)
    rgb = torch.arange(2 * 3 * 8 * 8, dtype=torch.float32).reshape(2, 3, 8, 8)
    torch.manual_seed(0)
    out = tasks.augment_photos(rgb, shift=0)
    for i in range(2):  # each photo is itself or its mirror image
        assert torch.equal(out[i], rgb[i]) or torch.equal(out[i], rgb[i].flip(-1))
    assert tasks.augment_photos(rgb, shift=2).shape == rgb.shape


def test_train_full_dry_run_lists_every_experiment_with_its_settings():
    listing = subprocess.run(
        [sys.executable, "scripts/train_full.py", "--dry-run", "--seeds", "0", "1"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.splitlines()  # fmt: skip
    names = {line.split(" seed ")[0] for line in listing}
    assert names == set(experiments.EXPERIMENTS)
    assert any(line.startswith("imagenet32-seedcnn-l2 seed 1:") for line in listing)
    assert any("TinyImageNetClassifier" in line and "labels" in line for line in listing)


def test_short_label_never_passes_the_sample_off_as_a_real_dataset(tmp_path, monkeypatch):
    # notebook 00 heads its prior table's columns with these labels; on the sample they
    # once read "cifar10" and "imagenet64" although both columns were the sample
    monkeypatch.delenv("COLORLIB_DATA", raising=False)
    labels = [data.short_label(name, *data.load_or_sample(name, "train", root=tmp_path))
              for name in ("cifar10", "imagenet64")]  # fmt: skip
    assert labels == ["sample 32px", "sample 64px"]
    about = "CIFAR-10 train split: 50,000 images, 32x32, from datasets/cifar10/train"
    assert data.short_label("cifar10", object(), about) == "cifar10"  # real data: its name
