"""Tests for colorlib.losses: hand-computed cases, torch references, errors, gradients."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from colorlib import losses

# A 1x1x2 image (N=1, H=1, W=2) with prediction 0 and target
#   a channel: [1, 2], b channel: [3, 4]
# so the per-element errors are 1, 2 (pixel 0: a, b = 1, 3; pixel 1: a, b = 2, 4).
PRED = torch.zeros(1, 2, 1, 2)
TARGET = torch.tensor([[[[1.0, 2.0]], [[3.0, 4.0]]]])


def test_l2_by_hand() -> None:
    # squares 1, 4, 9, 16 -> mean 30 / 4 = 7.5
    assert losses.regression_loss(PRED, TARGET, "l2").item() == pytest.approx(7.5)


def test_l1_by_hand() -> None:
    # |errors| 1, 2, 3, 4 -> mean 10 / 4 = 2.5
    assert losses.regression_loss(PRED, TARGET, kind="l1").item() == pytest.approx(2.5)


def test_smooth_l1_by_hand() -> None:
    target = torch.tensor([[[[0.5, 2.0]], [[0.0, 0.0]]]])
    # beta = 1: d = 0.5 < 1 -> 0.5 * 0.25 / 1 = 0.125; d = 2 >= 1 -> 2 - 0.5 = 1.5;
    # two zeros -> (0.125 + 1.5) / 4 = 0.40625
    loss = losses.regression_loss(PRED, target, kind="smooth_l1")
    assert loss.item() == pytest.approx(0.40625)
    # beta = 2: d = 0.5 -> 0.5 * 0.25 / 2 = 0.0625; d = 2 (not < 2) -> 2 - 1 = 1;
    # (0.0625 + 1) / 4 = 0.265625
    loss = losses.regression_loss(PRED, target, kind="smooth_l1", beta=2.0)
    assert loss.item() == pytest.approx(0.265625)


def test_weighted_regression_by_hand() -> None:
    weights = torch.tensor([[[3.0, 1.0]]])  # (N, H, W): pixel 0 weighs 3, pixel 1 weighs 1
    # L1: pixel 0 errors 1, 3 -> 3, 9; pixel 1 errors 2, 4 -> 2, 4; sum 18 over 4 elements
    loss = losses.regression_loss(PRED, TARGET, kind="l1", pixel_weights=weights)
    assert loss.item() == pytest.approx(4.5)
    # L2: 3 * (1 + 9) + 1 * (4 + 16) = 50 -> 50 / 4 = 12.5
    loss = losses.regression_loss(PRED, TARGET, kind="l2", pixel_weights=weights)
    assert loss.item() == pytest.approx(12.5)


@pytest.mark.parametrize(
    ("kind", "reference"),
    [
        ("l2", F.mse_loss),
        ("l1", F.l1_loss),
        ("smooth_l1", lambda p, t: F.smooth_l1_loss(p, t, beta=0.1)),
    ],
)
def test_regression_matches_torch_and_ones_weights(kind, reference) -> None:
    pred, target = torch.randn(3, 2, 5, 6), torch.randn(3, 2, 5, 6)
    expected = reference(pred, target)
    got = losses.regression_loss(pred, target, kind, beta=0.1)
    torch.testing.assert_close(got, expected)
    ones = torch.ones(3, 5, 6)
    torch.testing.assert_close(
        losses.regression_loss(pred, target, kind, beta=0.1, pixel_weights=ones), expected
    )


def test_registry_and_unknown_name() -> None:
    assert losses.REGRESSION_KINDS == ("l2", "smooth_l1", "l1")
    with pytest.raises(ValueError, match="unknown regression loss 'mse'.*'l2', 'smooth_l1', 'l1'"):
        losses.regression_loss(PRED, TARGET, kind="mse")


@pytest.mark.parametrize(
    ("pred", "target", "weights"),
    [
        (torch.zeros(1, 3, 2, 2), torch.zeros(1, 3, 2, 2), None),  # 3 channels, not ab
        (torch.zeros(2, 2, 2), torch.zeros(2, 2, 2), None),  # no batch dimension
        (torch.zeros(1, 2, 2, 2), torch.zeros(1, 2, 2, 3), None),  # mismatched
        (torch.zeros(1, 2, 2, 2), torch.zeros(1, 2, 2, 2), torch.ones(1, 1, 2, 2)),
    ],
)
def test_regression_shape_errors(pred, target, weights) -> None:
    for kind in losses.REGRESSION_KINDS:
        with pytest.raises(ValueError):
            losses.regression_loss(pred, target, kind, pixel_weights=weights)


def test_smooth_l1_negative_beta() -> None:
    with pytest.raises(ValueError, match="beta"):
        losses.regression_loss(PRED, TARGET, "smooth_l1", beta=-0.1)


# ----------------------------------------------------------------- cross-entropy


def _two_pixel_case() -> tuple[torch.Tensor, torch.Tensor]:
    # Q = 2 bins, one image of 1x2 pixels.
    # pixel 0: logits (0, 0) -> p = (1/2, 1/2); target (1, 0) -> CE = log 2
    # pixel 1: logits (log 3, 0) -> p = (3/4, 1/4); target (1/2, 1/2)
    #          -> CE = -(0.5 log 3/4 + 0.5 log 1/4) = 0.5 log(16/3)
    logits = torch.tensor([[[[0.0, math.log(3.0)]], [[0.0, 0.0]]]], dtype=torch.float64)
    targets = torch.tensor([[[[1.0, 0.5]], [[0.0, 0.5]]]], dtype=torch.float64)
    return logits, targets


def test_soft_cross_entropy_by_hand() -> None:
    logits, targets = _two_pixel_case()
    ce0, ce1 = math.log(2.0), 0.5 * math.log(16.0 / 3.0)
    assert losses.soft_cross_entropy(logits, targets).item() == pytest.approx((ce0 + ce1) / 2)
    # weights 2 and 0.5: (2 ce0 + 0.5 ce1) / 2 pixels (divided by pixel count, not weights)
    weights = torch.tensor([[[2.0, 0.5]]], dtype=torch.float64)
    got = losses.soft_cross_entropy(logits, targets, weights).item()
    assert got == pytest.approx((2 * ce0 + 0.5 * ce1) / 2)


def test_soft_cross_entropy_matches_torch() -> None:
    logits = torch.randn(2, 7, 3, 4)
    targets = torch.softmax(torch.randn(2, 7, 3, 4) * 3, dim=1)
    expected = F.cross_entropy(logits, targets)  # probability targets, mean over pixels
    torch.testing.assert_close(losses.soft_cross_entropy(logits, targets), expected)
    weights = torch.rand(2, 3, 4) * 5
    per_pixel = F.cross_entropy(logits, targets, reduction="none")  # (N, H, W)
    torch.testing.assert_close(
        losses.soft_cross_entropy(logits, targets, weights), (per_pixel * weights).mean()
    )
    # One-hot soft targets are ordinary class-index cross-entropy.
    labels = torch.randint(0, 7, (2, 3, 4))
    one_hot = F.one_hot(labels, 7).permute(0, 3, 1, 2).float()
    torch.testing.assert_close(
        losses.soft_cross_entropy(logits, one_hot), F.cross_entropy(logits, labels)
    )


def test_soft_cross_entropy_shape_errors() -> None:
    logits = torch.zeros(2, 5, 3, 4)
    with pytest.raises(ValueError, match="soft_targets"):
        losses.soft_cross_entropy(logits, torch.zeros(2, 4, 3, 4))
    with pytest.raises(ValueError, match="logits"):
        losses.soft_cross_entropy(torch.zeros(5, 3, 4), torch.zeros(5, 3, 4))
    with pytest.raises(ValueError, match="pixel_weights"):
        losses.soft_cross_entropy(logits, torch.zeros(2, 5, 3, 4), torch.ones(2, 4, 3))


# ------------------------------------------------------------------- adversarial


def test_adversarial_by_hand() -> None:
    x = torch.tensor([0.0, math.log(3.0)], dtype=torch.float64)
    # vanilla, real: -log sigmoid(x) = log(1 + e^-x): log 2 and log(4/3)
    real = losses.adversarial_loss(x, True)
    assert real.item() == pytest.approx((math.log(2) + math.log(4 / 3)) / 2)
    # vanilla, fake: -log(1 - sigmoid(x)) = log(1 + e^x): log 2 and log 4
    fake = losses.adversarial_loss(x, False, mode="vanilla")
    assert fake.item() == pytest.approx((math.log(2) + math.log(4)) / 2)
    y = torch.tensor([[2.0, -1.0]])
    # lsgan, real: ((2 - 1)^2 + (-1 - 1)^2) / 2 = (1 + 4) / 2 = 2.5
    assert losses.adversarial_loss(y, True, mode="lsgan").item() == pytest.approx(2.5)
    # lsgan, fake: ((3 - 0)^2 + (1 - 0)^2) / 2 = (9 + 1) / 2 = 5
    z = torch.tensor([3.0, 1.0])
    assert losses.adversarial_loss(z, False, mode="lsgan").item() == pytest.approx(5.0)


def test_adversarial_errors() -> None:
    with pytest.raises(ValueError, match="'vanilla', 'lsgan'"):
        losses.adversarial_loss(torch.zeros(2), True, mode="wgan")
    with pytest.raises(TypeError, match="bool"):
        losses.adversarial_loss(torch.zeros(2), torch.tensor(1.0))


# ------------------------------------------------------------------------- cycle


def test_cycle_by_hand() -> None:
    rec = torch.tensor([[1.0, -2.0], [3.0, 4.0]])
    orig = torch.zeros(2, 2)
    # |1| + |-2| + |3| + |4| = 10 over 4 -> 2.5; weight 10 -> 25
    assert losses.cycle_loss(rec, orig).item() == pytest.approx(2.5)
    assert losses.cycle_loss(rec, orig, weight=10.0).item() == pytest.approx(25.0)
    with pytest.raises(ValueError, match="shapes differ"):
        losses.cycle_loss(rec, torch.zeros(2, 3))
    with pytest.raises(ValueError, match="weight"):
        losses.cycle_loss(rec, orig, weight=-1.0)


# ----------------------------------------------------------------- identical -> 0


def test_identical_inputs_give_zero() -> None:
    x = torch.randn(2, 2, 4, 4)
    for kind in losses.REGRESSION_KINDS:
        assert losses.regression_loss(x, x.clone(), kind).item() == 0.0
    assert losses.cycle_loss(x, x.clone(), weight=10.0).item() == 0.0


# ---------------------------------------------------------------- differentiable


def _finite_nonzero_grad(t: torch.Tensor) -> bool:
    return t.grad is not None and bool(torch.isfinite(t.grad).all()) and t.grad.abs().sum() > 0


@pytest.mark.parametrize("kind", ["l2", "smooth_l1", "l1"])
def test_regression_differentiable(kind) -> None:
    pred = torch.randn(2, 2, 4, 4, requires_grad=True)
    weights = torch.rand(2, 4, 4)
    losses.regression_loss(pred, torch.randn(2, 2, 4, 4), kind, pixel_weights=weights).backward()
    assert _finite_nonzero_grad(pred)


def test_cross_entropy_adversarial_cycle_differentiable() -> None:
    logits = torch.randn(2, 9, 4, 4, requires_grad=True)
    targets = torch.softmax(torch.randn(2, 9, 4, 4), dim=1)
    losses.soft_cross_entropy(logits, targets, torch.rand(2, 4, 4)).backward()
    assert _finite_nonzero_grad(logits)

    for mode in losses.ADVERSARIAL_MODES:
        for real in (True, False):
            d_out = torch.randn(2, 1, 3, 3, requires_grad=True)
            losses.adversarial_loss(d_out, real, mode=mode).backward()
            assert _finite_nonzero_grad(d_out)

    rec = torch.randn(2, 3, 4, 4, requires_grad=True)
    losses.cycle_loss(rec, torch.randn(2, 3, 4, 4), weight=10.0).backward()
    assert _finite_nonzero_grad(rec)


def test_the_torch_free_loss_names_are_the_losses_defined():
    from colorlib import lab, losses, profiles

    assert set(profiles.REGRESSION_LOSSES) == set(losses._PER_ELEMENT_REGRESSION)
    assert profiles.SMOOTH_L1_BETA == pytest.approx(1.0 / lab.AB_SCALE)  # 1 Lab unit
