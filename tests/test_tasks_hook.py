"""The public hook for your own loss or network (RegressionTask / BinTask).

Checks that a callable loss is the loss that is optimised, that it trains through the
same ``fit()`` and checkpoints under a plain name, and that the README's example runs
as written.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch
from torch import nn

from colorlib import losses, methods, train
from colorlib.gamut import ABGamut
from colorlib.lab import rgb_to_lab, split_lab
from colorlib.tasks import BinTask, RegressionTask

README = Path(__file__).resolve().parents[1] / "README.md"


def _batch(n: int = 4, size: int = 8) -> dict:
    generator = torch.Generator().manual_seed(0)
    return {
        "L": torch.rand(n, 1, size, size, generator=generator) * 100,
        "ab": (torch.rand(n, 2, size, size, generator=generator) - 0.5) * 100,
    }


class _TinyNet(nn.Module):
    """Normalised L (N, 1, S, S) -> (N, C, S, S): one 1x1 convolution."""

    def __init__(self, out_channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


def test_callable_regression_loss_is_what_is_computed():
    calls = []

    def doubled_l1(pred, target):
        calls.append((pred.shape, target.shape))
        return 2 * (pred - target).abs().mean()

    torch.manual_seed(0)
    net = _TinyNet(2)
    task = RegressionTask(net, loss=doubled_l1)
    batch = _batch()
    ours, _ = task._loss(batch)
    named = RegressionTask(net, loss="l1")
    reference, _ = named._loss(batch)
    assert calls == [((4, 2, 8, 8), (4, 2, 8, 8))]
    assert torch.allclose(ours, 2 * reference)
    assert task.config["loss"] == "custom:doubled_l1"


def test_callable_bin_loss_gets_logits_targets_and_weights():
    gamut = ABGamut()
    seen = {}

    def weighted_ce(logits, target, weights):
        seen.update(logits=logits.shape, target=target.shape, weights=weights)
        return losses.soft_cross_entropy(logits, target, weights)

    torch.manual_seed(0)
    net = _TinyNet(gamut.Q)
    prior = torch.full((gamut.Q,), 1.0 / gamut.Q)
    custom = BinTask(net, gamut=gamut, prior=prior, loss=weighted_ce)
    default = BinTask(net, gamut=gamut, prior=prior)
    batch = _batch()
    ours, _ = custom._loss(batch)
    reference, _ = default._loss(batch)
    assert seen["logits"] == (4, gamut.Q, 8, 8) and seen["target"] == (4, gamut.Q, 8, 8)
    assert seen["weights"].shape == (4, 8, 8)
    assert torch.allclose(ours, reference)
    assert custom.config["loss"] == "custom:weighted_ce" and "loss" not in default.config


def test_the_regression_method_takes_a_callable_loss():
    def my_loss(pred, target):
        return ((pred - target) ** 2).mean()

    task = methods.build("regression", 32, loss=my_loss)
    assert task.loss_fn is my_loss


def test_a_loss_that_is_neither_name_nor_callable_is_refused():
    with pytest.raises(ValueError, match="loss must be one of"):
        RegressionTask(_TinyNet(2), loss="l3")
    with pytest.raises(TypeError, match="loss must be a name or a callable"):
        RegressionTask(_TinyNet(2), loss=3)


def test_own_loss_trains_through_fit_and_checkpoints(tmp_path):
    def l1_loss(pred, target):
        return (pred - target).abs().mean()

    generator = torch.Generator().manual_seed(1)
    gray = torch.rand(32, 1, 8, 8, generator=generator) * 0.8 + 0.1
    rgb = gray * torch.tensor([1.0, 0.75, 0.5]).view(1, 3, 1, 1)  # one sepia tint
    L, ab = split_lab(rgb_to_lab(rgb))
    photos = [{"L": L[i], "ab": ab[i], "rgb": rgb[i]} for i in range(32)]
    torch.manual_seed(0)
    task = RegressionTask(_TinyNet(2), loss=l1_loss, lr=0.05)
    history = train.fit(
        task, photos, photos, epochs=4, batch_size=8, progress=False, checkpoint_dir=tmp_path
    )
    assert history[-1]["val_loss"] < 0.5 * history[0]["val_loss"]
    saved = torch.load(tmp_path / "last.pt", weights_only=True, map_location="cpu")
    assert saved["config"]["loss"] == "custom:l1_loss"


def test_readme_own_loss_example_runs_as_written(capsys):
    text = README.read_text(encoding="utf-8")
    section = text.split("### Your own loss or network", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    exec(compile(code, "README.md", "exec"), {})
    printed = capsys.readouterr().out.strip()
    assert printed.startswith("ab L2 on the sample's test photos: ")
    assert 0 < float(printed.split(": ")[1].split()[0]) < 110
