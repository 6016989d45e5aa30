"""colorlib.lab against scikit-image, the trusted reference (micrograd-style)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from skimage import color

import colorlib
from colorlib import lab as labmod


def srgb_grid(steps: int = 64, dtype=torch.float64) -> torch.Tensor:
    """Every combination of `steps` levels per channel, as one (3, steps**2, steps) image."""
    levels = torch.linspace(0, 1, steps, dtype=dtype)
    r, g, b = torch.meshgrid(levels, levels, levels, indexing="ij")
    return torch.stack((r, g, b)).reshape(3, steps * steps, steps)


def skimage_rgb2lab(rgb: torch.Tensor) -> torch.Tensor:
    """(..., 3, H, W) torch -> skimage.color.rgb2lab -> same layout, float64."""
    out = color.rgb2lab(np.moveaxis(rgb.double().numpy(), -3, -1))
    return torch.from_numpy(np.moveaxis(out, -1, -3).copy())


def skimage_lab2rgb(lab: torch.Tensor) -> torch.Tensor:
    out = color.lab2rgb(np.moveaxis(lab.double().numpy(), -3, -1))
    return torch.from_numpy(np.moveaxis(out, -1, -3).copy())


def test_rgb_to_lab_matches_skimage_on_the_srgb_grid_float64():
    rgb = srgb_grid()
    err = (colorlib.rgb_to_lab(rgb) - skimage_rgb2lab(rgb)).abs().max().item()
    assert err <= 1e-4, err


def test_rgb_to_lab_matches_skimage_on_the_srgb_grid_float32():
    rgb = srgb_grid()
    ours = colorlib.rgb_to_lab(rgb.float())
    assert ours.dtype == torch.float32
    err = (ours.double() - skimage_rgb2lab(rgb)).abs().max().item()
    assert err <= 0.02, err


@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-4), (torch.float32, 0.02)])
def test_rgb_to_lab_matches_skimage_on_real_photos(photos64, dtype, tol):
    rgb = photos64.to(dtype)
    err = (colorlib.rgb_to_lab(rgb).double() - skimage_rgb2lab(rgb)).abs().max().item()
    assert err <= tol, err


def test_full_size_photo_matches_skimage():
    from skimage import data

    img = data.astronaut()  # 512 x 512 uint8
    rgb = torch.from_numpy(img).permute(2, 0, 1).double() / 255
    err = (colorlib.rgb_to_lab(rgb) - torch.from_numpy(color.rgb2lab(img)).permute(2, 0, 1)).abs()
    assert err.max().item() <= 1e-4


@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-4), (torch.float32, 0.02)])
def test_lab_to_rgb_matches_skimage(dtype, tol):
    rgb = srgb_grid(32)
    lab = skimage_rgb2lab(rgb)
    # also Lab colours far outside the sRGB gamut: both sides clip (and clamp Z at 0)
    wild = torch.stack(
        (torch.rand(64, 64, dtype=torch.float64) * 100, *(torch.rand(2, 64, 64) * 256 - 128))
    )
    for case in (lab, wild):
        ours = colorlib.lab_to_rgb(case.to(dtype))
        assert ours.dtype == dtype
        with _quiet():
            ref = skimage_lab2rgb(case)
        err = (ours.double() - ref).abs().max().item()
        assert err <= tol, err


class _quiet:
    """Silence skimage's 'negative Z values' warning for the out-of-gamut case."""

    def __enter__(self):
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore")

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)


def test_round_trip_float64():
    rgb = srgb_grid()
    back = colorlib.lab_to_rgb(colorlib.rgb_to_lab(rgb))
    assert (back - rgb).abs().max().item() <= 1e-5


def test_round_trip_real_photos_float32(photos64):
    back = colorlib.lab_to_rgb(colorlib.rgb_to_lab(photos64))
    assert (back - photos64).abs().max().item() <= 1e-4


def test_uint8_lookup_path_equals_float_path():
    codes = torch.randint(0, 256, (2, 3, 16, 16), dtype=torch.uint8)
    fast = colorlib.rgb_to_lab(codes)
    slow = colorlib.rgb_to_lab(codes.double() / 255)
    assert fast.dtype == torch.float32
    assert (fast.double() - slow).abs().max().item() <= 1e-3


def test_any_leading_batch_dimensions():
    rgb = torch.rand(2, 3, 3, 5, 7, dtype=torch.float64)
    lab = colorlib.rgb_to_lab(rgb)
    assert lab.shape == rgb.shape
    flat = colorlib.rgb_to_lab(rgb.reshape(6, 3, 5, 7)).reshape(rgb.shape)
    assert torch.equal(lab, flat)
    single = colorlib.rgb_to_lab(rgb[0, 0])  # (3, H, W): no batch dimension at all
    assert torch.allclose(single, lab[0, 0])


def test_known_colours():
    # white, black, and sRGB red (L=53.24, a=80.09, b=67.20 in every reference table).
    # White lands at a = -0.0025, b = 0.0047, not exactly 0: the 6-digit matrix
    # constants shared with skimage do not sum exactly to the D65 white point.
    rgb = torch.tensor([[1.0, 0.0, 1.0], [1.0, 0.0, 0.0], [1.0, 0.0, 0.0]], dtype=torch.float64)
    lab = colorlib.rgb_to_lab(rgb.reshape(3, 1, 3))[:, 0, :]
    assert torch.allclose(
        lab[:, 0], torch.tensor([100.0, 0.0, 0.0], dtype=torch.float64), atol=0.01
    )
    assert torch.allclose(lab[:, 1], torch.zeros(3, dtype=torch.float64), atol=1e-6)
    assert torch.allclose(
        lab[:, 2], torch.tensor([53.24, 80.09, 67.20], dtype=torch.float64), atol=0.01
    )


def test_gradcheck_rgb_to_lab_including_near_black():
    # values on both sides of the sRGB knee (0.04045) and of the Lab cube-root knee
    # (Y/Yn = 0.008856, reached near rgb = 0.1), plus near-black pixels
    values = torch.tensor(
        [0.0005, 0.002, 0.01, 0.03, 0.05, 0.08, 0.095, 0.12, 0.5, 0.97], dtype=torch.float64
    )
    rgb = torch.stack((values, values.flip(0), values.roll(3))).reshape(3, 2, 5)
    rgb.requires_grad_(True)
    assert torch.autograd.gradcheck(colorlib.rgb_to_lab, (rgb,))
    black = torch.full((3, 2, 2), 1e-4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(colorlib.rgb_to_lab, (black,))


def test_gradcheck_lab_to_rgb():
    lab = torch.tensor(
        [
            [1.0, 5.0, 30.0, 60.0, 90.0],
            [0.5, -10.0, 20.0, 5.0, -3.0],
            [0.3, 12.0, -25.0, 40.0, 2.0],
        ],
        dtype=torch.float64,
    ).reshape(3, 1, 5)
    lab.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda x: colorlib.lab_to_rgb(x, clip=False), (lab,))


def test_gradient_is_finite_at_exact_black():
    rgb = torch.zeros(1, 3, 2, 2, requires_grad=True)
    colorlib.rgb_to_lab(rgb).sum().backward()
    assert torch.isfinite(rgb.grad).all()


def test_clip_false_reveals_out_of_gamut():
    lab = torch.tensor([50.0, 0.0, -120.0]).reshape(3, 1, 1)  # a blue beyond sRGB
    raw = colorlib.lab_to_rgb(lab, clip=False)
    assert raw.min() < 0 or raw.max() > 1
    clipped = colorlib.lab_to_rgb(lab)
    assert clipped.min() >= 0 and clipped.max() <= 1


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_matches_cpu():
    rgb = torch.rand(2, 3, 8, 8)
    assert torch.allclose(
        colorlib.rgb_to_lab(rgb.cuda()).cpu(), colorlib.rgb_to_lab(rgb), atol=1e-4
    )


def test_normalisation_round_trip_and_range():
    lab = colorlib.rgb_to_lab(srgb_grid(16))
    L, ab = colorlib.split_lab(lab)
    assert colorlib.normalize_l(L).min() >= -1 and colorlib.normalize_l(L).max() <= 1 + 1e-6
    assert colorlib.normalize_ab(ab).abs().max() <= 1  # 110 bounds the whole sRGB gamut
    assert torch.allclose(colorlib.denormalize_l(colorlib.normalize_l(L)), L)
    assert torch.allclose(colorlib.denormalize_ab(colorlib.normalize_ab(ab)), ab)
    assert torch.equal(colorlib.merge_lab(L, ab), lab)


@pytest.mark.parametrize(
    "call",
    [
        lambda: colorlib.rgb_to_lab(torch.rand(4, 4, 4)),
        lambda: colorlib.rgb_to_lab(torch.rand(4)),
        lambda: colorlib.lab_to_rgb(torch.rand(2, 1, 4, 4)),
        lambda: colorlib.merge_lab(torch.rand(1, 4, 4), torch.rand(2, 4, 5)),
    ],
)
def test_wrong_shapes_raise_value_error(call):
    with pytest.raises(ValueError, match=r"\(\.\.\., "):
        call()


def test_wrong_types_raise_type_error():
    with pytest.raises(TypeError):
        colorlib.rgb_to_lab(np.zeros((3, 4, 4)))
    with pytest.raises(TypeError):
        colorlib.rgb_to_lab(torch.zeros(3, 4, 4, dtype=torch.int32))


def test_srgb_curve_is_continuous_at_its_knee():
    knee = torch.tensor([labmod._SRGB_LINEAR_KNEE], dtype=torch.float64)
    below, above = labmod.srgb_to_linear(knee - 1e-9), labmod.srgb_to_linear(knee + 1e-9)
    assert abs(below.item() - above.item()) < 1e-6
