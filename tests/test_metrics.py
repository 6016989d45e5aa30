"""Tests for colorlib.metrics: hand-computed cases, real photos, invariants, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from skimage.metrics import structural_similarity

from colorlib import metrics
from colorlib.lab import rgb_to_lab, split_lab


def _true_ab(rgb: torch.Tensor) -> torch.Tensor:
    return split_lab(rgb_to_lab(rgb))[1]


def _per_image_float64(x: torch.Tensor, n: int) -> None:
    assert x.shape == (n,) and x.dtype == torch.float64


# ------------------------------------------------------------------------- ab_l2


def test_ab_l2_by_hand() -> None:
    # One image of 1x2 pixels; true ab = 0.
    # pixel 0: (da, db) = (3, 4) -> distance 5, squared 25; pixel 1: (0, 0) -> 0.
    pred = torch.tensor([[[[3.0, 0.0]], [[4.0, 0.0]]]])
    true = torch.zeros(1, 2, 1, 2)
    # mean distance (5 + 0) / 2 = 2.5; mean squared distance (25 + 0) / 2 = 12.5
    got = metrics.ab_l2(pred, true)
    _per_image_float64(got, 1)
    assert got.item() == pytest.approx(2.5)
    assert metrics.ab_l2(pred, true, squared=True).item() == pytest.approx(12.5)


def test_ab_l2_identical_is_zero_and_gray_guess_is_sensible(photos64) -> None:
    true_ab = _true_ab(photos64)
    assert torch.equal(metrics.ab_l2(true_ab, true_ab.clone()), torch.zeros(4, dtype=torch.float64))
    gray = metrics.ab_l2(torch.zeros_like(true_ab), true_ab)
    _per_image_float64(gray, 4)
    # Gray (ab = 0) on natural photos: mean Euclidean ab distance of order 10-30 Lab
    # units (coffee, mostly red-brown, is the most colourful: about 44 at 64 px).
    assert bool(((gray > 5) & (gray < 60)).all()), gray
    assert 10 < gray.mean().item() < 35


# ---------------------------------------------------------------------------- PSNR


def test_psnr_by_hand_and_identical() -> None:
    pred = torch.zeros(1, 3, 2, 2)
    true = torch.zeros(1, 3, 2, 2)
    true[..., 0] = 0.5  # half of the 12 values are off by 0.5
    # MSE = 6 * 0.25 / 12 = 0.125 -> PSNR = 10 log10(1 / 0.125) = 10 log10(8) ~ 9.03 dB
    got = metrics.psnr(pred, true)
    _per_image_float64(got, 1)
    assert got.item() == pytest.approx(10 * math.log10(8))
    # Identical images: MSE 0 -> +inf, returned as is (or capped with max_db).
    assert metrics.psnr(true, true.clone()).item() == math.inf
    assert metrics.psnr(true, true.clone(), max_db=100.0).item() == 100.0
    assert metrics.psnr(pred, true, max_db=100.0).item() == pytest.approx(10 * math.log10(8))


def test_psnr_real_photos(photos32) -> None:
    noisy = (photos32 + 0.05 * torch.randn_like(photos32)).clamp(0, 1)
    got = metrics.psnr(noisy, photos32)
    _per_image_float64(got, 4)
    assert bool(((got > 20) & (got < 35)).all()), got  # sigma 0.05 noise: about 26 dB


# ---------------------------------------------------------------------------- SSIM


def test_ssim_by_hand_constant_images() -> None:
    # Constant images a = 0.5 and b = 0.25: every window has variance 0, so the
    # contrast-structure term is C2 / C2 = 1 and SSIM is the luminance term
    # (2ab + C1) / (a^2 + b^2 + C1), C1 = (0.01 * 1)^2 = 1e-4:
    # (0.25 + 1e-4) / (0.3125 + 1e-4) = 0.2501 / 0.3126 ~ 0.80006
    pred = torch.full((1, 3, 8, 8), 0.5)
    true = torch.full((1, 3, 8, 8), 0.25)
    got = metrics.ssim(pred, true)
    _per_image_float64(got, 1)
    assert got.item() == pytest.approx(0.2501 / 0.3126)


def test_ssim_identical_is_one_and_matches_skimage(photos32) -> None:
    torch.testing.assert_close(
        metrics.ssim(photos32, photos32.clone()), torch.ones(4, dtype=torch.float64)
    )
    blurred = torch.nn.functional.avg_pool2d(photos32, 3, stride=1, padding=1)
    got = metrics.ssim(blurred, photos32)
    expected = [
        structural_similarity(
            t.double().numpy(), p.double().numpy(), data_range=1.0, channel_axis=0
        )
        for p, t in zip(blurred, photos32, strict=True)
    ]
    np.testing.assert_allclose(got.numpy(), expected)
    assert bool(((got > 0) & (got < 1)).all())


def test_ssim_small_images() -> None:
    x = torch.rand(2, 3, 5, 6)
    torch.testing.assert_close(metrics.ssim(x, x.clone()), torch.ones(2, dtype=torch.float64))
    assert metrics.ssim(torch.rand(1, 3, 3, 3), torch.rand(1, 3, 3, 3)).shape == (1,)
    with pytest.raises(ValueError, match="at least 3x3"):
        metrics.ssim(torch.rand(1, 3, 2, 8), torch.rand(1, 3, 2, 8))


# ----------------------------------------------------------------------------- AuC


def _ab_with_errors() -> tuple[torch.Tensor, torch.Tensor]:
    # One image of 1x4 pixels, true ab = 0, prediction errors (da, db):
    # (0, 0) -> 0, (1.5, 0) -> 1.5, (0, 3) -> 3, (6, 8) -> 10.
    pred = torch.tensor([[[[0.0, 1.5, 0.0, 6.0]], [[0.0, 0.0, 3.0, 8.0]]]], dtype=torch.float64)
    return pred, torch.zeros_like(pred)


def test_auc_by_hand() -> None:
    pred, true = _ab_with_errors()
    # Thresholds 0, 1, 2, 3, 4 (max 4, step 1). Fraction of errors <= t:
    # t=0: {0} 1/4; t=1: 1/4; t=2: {0, 1.5} 2/4; t=3: {0, 1.5, 3} 3/4; t=4: 3/4.
    # AuC = mean = (0.25 + 0.25 + 0.5 + 0.75 + 0.75) / 5 = 2.5 / 5 = 0.5
    thresholds, cdf = metrics.ab_error_cdf(pred, true, max_threshold=4, step=1)
    torch.testing.assert_close(thresholds, torch.arange(5, dtype=torch.float64))
    torch.testing.assert_close(
        cdf, torch.tensor([[0.25, 0.25, 0.5, 0.75, 0.75]], dtype=torch.float64)
    )
    got = metrics.ab_auc(pred, true, max_threshold=4, step=1)
    _per_image_float64(got, 1)
    assert got.item() == pytest.approx(0.5)
    # Default thresholds 0..150: counts of thresholds >= error are 151, 149, 148, 141
    # -> (151 + 149 + 148 + 141) / (4 * 151) = 589 / 604
    assert metrics.ab_auc(pred, true).item() == pytest.approx(589 / 604)


def test_rebalanced_auc_by_hand() -> None:
    pred, true = _ab_with_errors()
    weights = torch.tensor([[[2.0, 1.0, 1.0, 0.0]]])  # normalised: 0.5, 0.25, 0.25, 0
    # t=0: 0.5; t=1: 0.5; t=2: 0.75; t=3: 1; t=4: 1 -> mean 3.75 / 5 = 0.75
    got = metrics.ab_auc(pred, true, max_threshold=4, step=1, pixel_weights=weights)
    assert got.item() == pytest.approx(0.75)


def test_auc_identical_is_one_and_uniform_weights_equal_raw(photos32) -> None:
    true_ab = _true_ab(photos32)
    torch.testing.assert_close(
        metrics.ab_auc(true_ab, true_ab.clone()), torch.ones(4, dtype=torch.float64)
    )
    gray = torch.zeros_like(true_ab)
    raw = metrics.ab_auc(gray, true_ab)
    _per_image_float64(raw, 4)
    assert bool(((raw > 0.5) & (raw < 1)).all()), raw
    uniform = torch.full((4, 32, 32), 3.7)
    torch.testing.assert_close(metrics.ab_auc(gray, true_ab, pixel_weights=uniform), raw)

    # Pooled AuC via one tall image = mean of per-image AuC (equal sizes, no weights).
    def tall(ab: torch.Tensor) -> torch.Tensor:
        return ab.permute(1, 0, 2, 3).reshape(1, 2, 4 * 32, 32)

    pooled = metrics.ab_auc(tall(gray), tall(true_ab))
    assert pooled.item() == pytest.approx(raw.mean().item())


def test_auc_monotone_in_error() -> None:
    # Whole-number ab, so that pred - true is exactly d (no rounding across a threshold).
    true = torch.randint(-60, 60, (2, 2, 8, 8)).to(torch.float64)
    offsets = [0.0, 5.0, 20.0, 60.0, 149.0, 200.0]
    aucs = []
    for d in offsets:
        pred = true.clone()
        pred[:, 0] += d  # every pixel off by exactly d in a
        aucs.append(metrics.ab_auc(pred, true)[0].item())
    # A constant error d (whole number) is within 151 - d of the thresholds 0..150:
    # 151/151 = 1, 146/151, 131/151, 91/151, 2/151, and 0 beyond 150.
    expected = [1.0, 146 / 151, 131 / 151, 91 / 151, 2 / 151, 0.0]
    assert aucs == pytest.approx(expected)
    assert all(a > b for a, b in zip(aucs, aucs[1:], strict=False))
    noise = torch.randn_like(true)  # from here on, errors are not whole numbers
    noisy = [metrics.ab_auc(true + s * noise, true).mean().item() for s in (1, 5, 20, 80)]
    assert all(a > b for a, b in zip(noisy, noisy[1:], strict=False))


def test_auc_parameter_errors() -> None:
    ab = torch.zeros(2, 2, 4, 4)
    with pytest.raises(ValueError, match="max_threshold"):
        metrics.ab_auc(ab, ab, max_threshold=0)
    with pytest.raises(ValueError, match="step"):
        metrics.ab_auc(ab, ab, step=0)
    with pytest.raises(ValueError, match="step"):
        metrics.ab_auc(ab, ab, max_threshold=10, step=20)
    with pytest.raises(ValueError, match=r"\(N, H, W\)"):
        metrics.ab_auc(ab, ab, pixel_weights=torch.ones(2, 1, 4, 4))
    with pytest.raises(ValueError, match=">= 0"):
        metrics.ab_auc(ab, ab, pixel_weights=-torch.ones(2, 4, 4))
    with pytest.raises(ValueError, match="positive sum"):
        metrics.ab_auc(ab, ab, pixel_weights=torch.zeros(2, 4, 4))


# -------------------------------------------------------------------- colorfulness


def test_colorfulness_gray_is_zero() -> None:
    gray = torch.rand(2, 1, 6, 6).expand(2, 3, 6, 6)  # R = G = B, varying lightness
    got = metrics.colorfulness(gray)
    _per_image_float64(got, 2)
    torch.testing.assert_close(got, torch.zeros(2, dtype=torch.float64))


def test_colorfulness_by_hand() -> None:
    # Left half pure red (255, 0, 0), right half pure blue (0, 0, 255), on 0-255:
    # red:  rg = 255, yb = 127.5;   blue: rg = 0, yb = -255.
    # mean_rg = 127.5, mean_yb = -63.75; sd_rg = 255 / 2 = 127.5, sd_yb = 382.5 / 2 = 191.25.
    # M = sqrt(127.5^2 + 191.25^2) + 0.3 sqrt(127.5^2 + 63.75^2)
    #   = 127.5 sqrt(3.25) + 0.3 * 63.75 sqrt(5) ~ 229.85 + 42.77 = 272.62
    rgb = torch.zeros(1, 3, 4, 4)
    rgb[:, 0, :, :2] = 1.0
    rgb[:, 2, :, 2:] = 1.0
    expected = 127.5 * math.sqrt(3.25) + 0.3 * 63.75 * math.sqrt(5)
    assert metrics.colorfulness(rgb).item() == pytest.approx(expected)
    # All red: no spread, M = 0.3 sqrt(255^2 + 127.5^2) = 0.3 * 127.5 sqrt(5) ~ 85.5
    red = torch.zeros(1, 3, 2, 2)
    red[:, 0] = 1.0
    assert metrics.colorfulness(red).item() == pytest.approx(0.3 * 127.5 * math.sqrt(5))


def test_colorfulness_real_photos(photos64) -> None:
    got = metrics.colorfulness(photos64)
    assert bool(((got > 15) & (got < 120)).all()), got


# -------------------------------------------------------------------------- errors


@pytest.mark.parametrize("name", ["ab_l2", "ab_auc"])
def test_ab_shape_errors(name) -> None:
    fn = getattr(metrics, name)
    with pytest.raises(ValueError, match=r"\(N, 2, H, W\)"):
        fn(torch.zeros(1, 3, 4, 4), torch.zeros(1, 3, 4, 4))
    with pytest.raises(ValueError, match=r"\(N, 2, H, W\)"):
        fn(torch.zeros(2, 4, 4), torch.zeros(2, 4, 4))
    with pytest.raises(ValueError, match="shapes differ"):
        fn(torch.zeros(1, 2, 4, 4), torch.zeros(2, 2, 4, 4))


@pytest.mark.parametrize("name", ["psnr", "ssim"])
def test_rgb_shape_and_range_errors(name) -> None:
    fn = getattr(metrics, name)
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\)"):
        fn(torch.zeros(1, 2, 8, 8), torch.zeros(1, 2, 8, 8))
    with pytest.raises(ValueError, match="shapes differ"):
        fn(torch.zeros(1, 3, 8, 8), torch.zeros(1, 3, 8, 9))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        fn(torch.full((1, 3, 8, 8), 255.0), torch.zeros(1, 3, 8, 8))


def test_colorfulness_errors() -> None:
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\)"):
        metrics.colorfulness(torch.zeros(3, 8, 8))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        metrics.colorfulness(torch.full((1, 3, 2, 2), 200.0))
