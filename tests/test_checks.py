"""colorlib.checks: one wording for every tensor-argument error, as the core modules use it."""

from __future__ import annotations

import pytest
import torch

from colorlib import checks, lab, losses, metrics
from colorlib.gamut import ABGamut


def test_an_image_batch_is_returned_unchanged():
    x = torch.zeros(2, 3, 4, 4)
    assert checks.image_batch(x, 3, "rgb", "f", floating=True) is x
    assert checks.image_batch(torch.zeros(3, 4, 4), 3, "rgb", leading="...") is not None


@pytest.mark.parametrize(
    ("bad", "error", "message"),
    [
        ([1.0], TypeError, r"f: rgb must be a torch.Tensor shaped \(N, 3, H, W\), got list"),
        (
            torch.zeros(3, 4, 4),
            ValueError,
            r"f: rgb must be shaped \(N, 3, H, W\), got \(3, 4, 4\)",
        ),
        (torch.zeros(1, 2, 4, 4), ValueError, r"must be shaped \(N, 3, H, W\), got \(1, 2, 4, 4\)"),
        (torch.zeros(1, 3, 4, 4, dtype=torch.uint8), TypeError, "must be floating point"),
    ],
)
def test_a_bad_image_batch_is_one_line_naming_function_argument_and_shape(bad, error, message):
    with pytest.raises(error, match=message):
        checks.image_batch(bad, 3, "rgb", "f", floating=True)


def test_the_core_modules_word_their_errors_through_checks():
    with pytest.raises(
        ValueError, match=r"ab_l2: pred_ab must be shaped \(N, 2, H, W\), got \(2, 8, 8\)"
    ):
        metrics.ab_l2(torch.zeros(2, 8, 8), torch.zeros(2, 2, 8, 8))
    with pytest.raises(ValueError, match="pred_ab and true_ab shapes differ"):
        metrics.ab_l2(torch.zeros(1, 2, 8, 8), torch.zeros(2, 2, 8, 8))
    with pytest.raises(TypeError, match=r"rgb must be a torch.Tensor shaped \(\.\.\., 3, H, W\)"):
        lab.rgb_to_lab([0.5, 0.5, 0.5])
    with pytest.raises(TypeError, match="ab must be floating point"):
        ABGamut().encode(torch.zeros(1, 2, 4, 4, dtype=torch.int64))
    with pytest.raises(TypeError, match="pred must be floating point"):
        losses.regression_loss(torch.zeros(1, 2, 4, 4, dtype=torch.int64), torch.zeros(1, 2, 4, 4))


def test_pixel_weights_are_checked_for_shape_always_and_for_values_on_request():
    images = torch.zeros(2, 2, 4, 4)
    with pytest.raises(ValueError, match=r"pixel_weights must be shaped \(N, H, W\) = \(2, 4, 4\)"):
        checks.pixel_weights(torch.ones(2, 4), images, "f")
    negative = -torch.ones(2, 4, 4)
    assert checks.pixel_weights(negative, images, "f") is negative  # no device sync by default
    with pytest.raises(ValueError, match="finite and >= 0"):
        checks.pixel_weights(negative, images, "f", values=True)
    with pytest.raises(ValueError, match="positive sum in every image"):
        checks.pixel_weights(torch.zeros(2, 4, 4), images, "f", values=True)


def test_unit_range_allows_its_tolerance_only():
    checks.unit_range(torch.tensor([-0.0005, 1.0005]), "rgb", "f", tolerance=1e-3)
    with pytest.raises(
        ValueError, match=r"f: rgb must be sRGB in \[0, 1\], got values in \[0, 1.1\]"
    ):
        checks.unit_range(torch.tensor([0.0, 1.1]), "rgb", "f", tolerance=1e-3)
