"""colorlib.methods: one declaration per method, read by the builder, the CLI and experiments."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from torch import nn

from colorlib import experiments, methods
from colorlib.__main__ import main
from colorlib.gamut import ABGamut
from colorlib.tasks import RegressionTask


@pytest.mark.parametrize("name", list(methods.METHODS))
def test_every_method_builds_with_its_defaults(name):
    method = methods.METHODS[name]
    prior = torch.full((ABGamut().Q,), 1.0 / ABGamut().Q)
    task = methods.build(name, 32, prior=prior)
    assert task.kind == method.kind and methods.get(method.kind) is method
    assert method.colorizes == (name != "judge")
    for field in dataclasses.fields(method.settings):
        assert field.metadata["help"], f"{name}.{field.name} has no help"


def test_the_defaults_are_what_the_shipped_models_use():
    shipped = experiments.EXPERIMENTS
    assert methods.Pix2PixSettings().base_width == shipped["cifar10-pix2pix"].base_width == 32
    assert methods.CycleGANSettings().base_width == shipped["cifar10-cyclegan"].base_width == 32
    assert methods.BinSettings().width == shipped["imagenet64-zhang-ce"].width == 0.25
    assert methods.RegressionSettings().width == shipped["imagenet64-zhang-l2"].width
    assert methods.Pix2PixSettings().l1_weight == shipped["cifar10-pix2pix"].l1_weight == 100


def test_each_experiment_builds_through_its_method():
    prior = torch.full((ABGamut().Q,), 1.0 / ABGamut().Q)
    for e in experiments.EXPERIMENTS.values():
        if e.network == "SeedCNN" and e.size == 64:
            continue  # 277 M parameters: built by the GPU runs only
        values = experiments.settings(e)
        task = methods.build(e.task, e.size or 32, prior=prior, classes=200, **values)
        assert task.kind == methods.get(e.task).kind
        for key in ("l1_weight", "adversarial_weight", "lr"):
            if key in values and values[key] is not None:
                assert task.config[key] == values[key], (e.name, key)
    ablation = experiments.settings(experiments.get("cifar10-pix2pix-cgan"))
    assert ablation["l1_weight"] == 0.0 and "dropout" not in ablation


def test_settings_are_checked():
    with pytest.raises(ValueError, match=r"pix2pix has no setting width; its settings: base_width"):
        methods.build("pix2pix", 32, width=0.5)
    with pytest.raises(ValueError, match="loss must be one of"):
        methods.settings_for("regression", loss="l3")
    with pytest.raises(ValueError, match="rebalance needs the prior"):
        methods.build("bins", 32, rebalance=True)
    with pytest.raises(ValueError, match="unknown method 'gan'; valid methods: regression, bins"):
        methods.get("gan")


def _help(capsys, *argv) -> str:
    with pytest.raises(SystemExit) as exit_:
        main(["train", *argv, "--help"])
    assert exit_.value.code == 0
    return " ".join(capsys.readouterr().out.split())


def test_train_help_shows_the_methods_settings_with_the_shipped_defaults(capsys):
    text = _help(capsys, "--method", "pix2pix")
    assert "settings of --method pix2pix" in text
    assert "--base-width BASE_WIDTH U-Net channels" in text and "(default: 32)" in text
    assert "--l1-weight L1_WEIGHT lambda" in text and "(default: 100)" in text
    assert "--dropout" not in text  # another method's setting
    default = _help(capsys)
    assert "settings of --method regression" in default and "--loss {l2,smooth_l1,l1}" in default


def test_train_refuses_another_methods_setting(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--method", "cyclegan", "--l1-weight", "3"])
    assert exit_.value.code == 2
    assert "unrecognized arguments: --l1-weight 3" in capsys.readouterr().err


def test_adding_a_method_is_one_declaration_and_its_builder(monkeypatch, capsys):
    @dataclasses.dataclass(frozen=True)
    class TinySettings:
        channels: int = methods.setting(4, "hidden channels")

    def build_tiny(settings, image_size, prior, classes):
        net = nn.Sequential(nn.Conv2d(1, settings.channels, 3, padding=1), nn.ReLU(),
                            nn.Conv2d(settings.channels, 2, 3, padding=1))  # fmt: skip
        return RegressionTask(net)

    tiny = methods.Method("tiny", "a two-layer CNN", TinySettings, build_tiny)
    monkeypatch.setitem(methods.METHODS, "tiny", tiny)
    task = methods.build("tiny", 32, channels=6)
    assert task.nets["net"][0].out_channels == 6
    assert "--channels CHANNELS hidden channels (default: 4)" in _help(capsys, "--method", "tiny")


def test_cyclegan_weights_reach_the_task_from_the_cli_settings():
    # exercise 04.2 asks for cycle weights 1 and 100: the setting must reach the losses
    task = methods.build("cyclegan", 32, cycle_weight=1.0, identity_weight=0.0)
    assert task.config["cycle_weight"] == 1.0 and task.config["identity_weight"] == 0.0
    default = methods.build("cyclegan", 32)
    assert (default.config["cycle_weight"], default.config["identity_weight"]) == (10.0, 0.5)
    shipped = experiments.settings(experiments.get("cifar10-cyclegan"))
    assert (shipped["cycle_weight"], shipped["identity_weight"]) == (10.0, 0.5)


def test_a_gray_input_judge_sees_the_gray_photo_and_a_colour_judge_the_colour_one():
    from colorlib.lab import lab_to_rgb, merge_lab, rgb_to_lab, split_lab

    rgb = torch.rand(2, 3, 8, 8)
    L, ab = split_lab(rgb_to_lab(rgb))
    batch = {"rgb": rgb, "L": L, "label": torch.tensor([0, 1])}
    gray = methods.build("judge", 8, classes=2, gray_input=True)
    seen = gray.photos(batch)
    assert seen.shape == rgb.shape
    assert torch.allclose(seen, lab_to_rgb(merge_lab(L, torch.zeros_like(ab))))
    assert torch.allclose(seen[:, 0], seen[:, 1], atol=2e-3)  # gray: R = G = B
    colour = methods.build("judge", 8, classes=2)
    assert colour.photos(batch) is rgb
    # recorded only when on, so that judge checkpoints saved before the setting resume
    assert "gray_input" not in colour.config and gray.config["gray_input"] is True


def test_the_rebalancing_mix_reaches_the_weights():
    from colorlib.gamut import rebalance_weights

    prior = torch.tensor([0.6, 0.3, 0.09, 0.01])
    prior = torch.cat([prior, torch.zeros(ABGamut().Q - 4)]) + 1e-6
    zhang = methods.build("bins", 64, prior=prior, rebalance=True)
    gentle = methods.build("bins", 64, prior=prior, rebalance=True, rebalance_mix=0.9)
    assert zhang.config["lam"] == 0.5 and gentle.config["lam"] == 0.9
    assert torch.allclose(gentle.class_weights, rebalance_weights(prior, 0.9))
    spread = [w.max() / w.min() for w in (zhang.class_weights, gentle.class_weights)]
    assert spread[1] < spread[0]  # gentler: rare colours weigh less against common ones
    assert experiments.get("imagenet64-zhang-ce-gentle").rebalance_mix == 0.9


def test_the_judge_augments_what_it_sees_and_needs_no_l_in_colour():
    torch.manual_seed(0)
    rgb = torch.rand(4, 3, 16, 16)
    colour = methods.build("judge", 16, classes=2, augment=True)
    losses = colour.train_step({"rgb": rgb, "label": torch.tensor([0, 1, 0, 1])})  # no "L"
    assert all(torch.isfinite(torch.as_tensor(v)).all() for v in losses.values())
    from colorlib.lab import rgb_to_lab, split_lab

    L, _ = split_lab(rgb_to_lab(rgb))
    gray = methods.build("judge", 16, classes=2, augment=True, gray_input=True)
    losses = gray.train_step({"rgb": rgb, "L": L, "label": torch.tensor([0, 1, 0, 1])})
    assert all(torch.isfinite(torch.as_tensor(v)).all() for v in losses.values())
