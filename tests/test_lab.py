"""colorlib.lab against scikit-image, the trusted reference (micrograd-style)."""

from __future__ import annotations

import re

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


# ------------------------------------------------- the fast CPU path (no gradient)


def reference_rgb_to_lab(rgb: torch.Tensor) -> torch.Tensor:
    """The torch reference path: it runs whenever the input needs a gradient."""
    with torch.enable_grad():
        return colorlib.rgb_to_lab(rgb.detach().clone().requires_grad_(True)).detach()


def awkward_rgb(dtype) -> torch.Tensor:
    """Random sRGB plus values at and around both knees, black, white and out of range."""
    gen = torch.Generator().manual_seed(1)
    rgb = torch.rand(6, 3, 24, 24, generator=gen, dtype=torch.float64)
    special = torch.tensor(
        [0.0, 1.0, 0.04045, 0.04045 - 1e-7, 0.04045 + 1e-7, 0.0031308, 0.08, 0.0999, 0.1001,
         1e-30, -0.02, -0.5, -3.0, 1.2, 7.0],
        dtype=torch.float64,
    )  # fmt: skip
    rgb[0].view(-1)[: special.numel() * 3] = special.repeat_interleave(3).roll(1)
    rgb[1].view(-1)[: special.numel()] = special
    return rgb.to(dtype)


@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-10), (torch.float32, 5e-4)])
def test_fast_path_equals_the_reference_path(dtype, tol):
    rgb = awkward_rgb(dtype)
    fast = colorlib.rgb_to_lab(rgb)
    assert fast.dtype == dtype and not fast.requires_grad and fast.is_contiguous()
    err = (fast.double() - reference_rgb_to_lab(rgb).double()).abs().max().item()
    assert err <= tol, err
    exact = reference_rgb_to_lab(rgb.double())  # float64: both paths' float32 error
    assert (fast.double() - exact).abs().max().item() <= 2e-4
    black = colorlib.rgb_to_lab(torch.zeros(1, 3, 1, 1, dtype=dtype))
    assert black.abs().max().item() == 0.0  # exactly (0, 0, 0), as the reference path


def test_fast_path_gives_the_same_bits_whatever_the_tiles_threads_and_layout(monkeypatch):
    rgb = awkward_rgb(torch.float32).repeat(3, 1, 4, 3)  # (18, 3, 96, 72)
    first = colorlib.rgb_to_lab(rgb)
    threads = torch.get_num_threads()
    try:
        # one tile for all; 37-pixel strips of each image; two tiles per image
        for tile_pixels, n_threads in [(1 << 20, 1), (37, 3), (5000, 2)]:
            monkeypatch.setattr(labmod, "_TILE_PIXELS", tile_pixels)
            torch.set_num_threads(n_threads)
            assert torch.equal(colorlib.rgb_to_lab(rgb), first)
    finally:
        torch.set_num_threads(threads)
    assert torch.equal(
        colorlib.rgb_to_lab(rgb.contiguous(memory_format=torch.channels_last)), first
    )
    assert torch.equal(colorlib.rgb_to_lab(rgb[:, :, ::2, 1::2]), first[:, :, ::2, 1::2])
    assert torch.equal(colorlib.rgb_to_lab(rgb[3]), first[3])
    big = torch.rand(3, 300, 301)  # one image wider than a tile: split into columns
    assert torch.allclose(colorlib.rgb_to_lab(big), reference_rgb_to_lab(big), atol=5e-4)


def test_fast_path_only_without_gradient_and_on_empty_input():
    rgb = torch.rand(2, 3, 4, 4, requires_grad=True)
    assert colorlib.rgb_to_lab(rgb).requires_grad  # the reference path, differentiable
    with torch.no_grad():
        assert not colorlib.rgb_to_lab(rgb).requires_grad
    with torch.inference_mode():
        assert colorlib.rgb_to_lab(rgb.detach()).shape == (2, 3, 4, 4)
    for shape in [(0, 3, 4, 4), (2, 3, 0, 5), (3, 4, 0)]:
        assert colorlib.rgb_to_lab(torch.rand(shape)).shape == shape


def test_float32_agrees_with_kornia():
    kornia_color = pytest.importorskip("kornia.color")
    gen = torch.Generator().manual_seed(2)
    rgb = torch.rand(8, 3, 32, 32, generator=gen)
    err = (colorlib.rgb_to_lab(rgb) - kornia_color.rgb_to_lab(rgb)).abs().max().item()
    assert err <= 0.02, err


def test_lab_speed_benchmark_prints_every_contender_and_ratio(capsys):
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "benchmarks" / "lab_speed.py"
    spec = importlib.util.spec_from_file_location("lab_speed", script)
    lab_speed = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(lab_speed)
    threads = torch.get_num_threads()
    try:
        lab_speed.main(["--batch", "2", "--size", "8", "--repeats", "2", "--threads", "1"])
    finally:
        torch.set_num_threads(threads)
    out = capsys.readouterr().out
    peers = ["skimage"] + (["kornia"] if lab_speed.kornia is not None else [])
    summary = next(line for line in out.splitlines() if line.startswith("float32") and "=>" in line)
    for peer in peers:
        assert f"colorlib/{peer}" in summary, out
    for dtype in ("float32", "float64", "uint8"):
        assert re.search(rf"^{dtype} +colorlib +\d", out, re.MULTILINE), out


def test_works_inside_vmap_where_numpy_cannot_see_the_data():
    rgb = torch.rand(4, 3, 8, 8)
    mapped = torch.func.vmap(colorlib.rgb_to_lab)(rgb)  # the reference path, torch only
    assert torch.allclose(mapped, colorlib.rgb_to_lab(rgb), atol=5e-4)
