"""colorlib.widgets without a browser: set a slider's value, check what the observer drew."""

from __future__ import annotations

import io
import re

import ipywidgets
import numpy as np
import pytest
import torch
from PIL import Image

import colorlib
from colorlib import widgets
from colorlib.gamut import ANNEAL_T, ABGamut
from colorlib.metrics import ab_l2, colorfulness
from colorlib.models import upsample_ab

SCALE = 3


@pytest.fixture(scope="module")
def gamut() -> ABGamut:
    return ABGamut()


@pytest.fixture
def lab32(photos32: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """L (4, 1, 32, 32) in [0, 100] and ab (4, 2, 32, 32) in Lab units of real photos."""
    return colorlib.split_lab(colorlib.rgb_to_lab(photos32))


@pytest.fixture
def predictions(lab32: tuple[torch.Tensor, torch.Tensor]) -> dict[str, torch.Tensor]:
    _, ab = lab32
    return {"gray": torch.zeros_like(ab), "truth": ab.clone(), "half": ab / 2}


def png_array(png: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(png)) as picture:
        assert picture.format == "PNG"
        return np.asarray(picture.convert("RGB"))


def caption_value(caption: str, column: str, quantity: str) -> str:
    """The number printed as ``quantity: x.xx`` in the caption column titled ``column``."""
    match = re.search(rf"<b>{re.escape(column)}</b>(.*?)</div>", caption)
    assert match, f"no column {column!r} in {caption!r}"
    number = re.search(rf"{quantity}: (-?[0-9]+\.[0-9]{{2}})", match.group(1))
    assert number, f"no {quantity!r} under {column!r} in {match.group(1)!r}"
    return number.group(1)


# ------------------------------------------------------------------------ helpers


def test_row_png_size_and_nearest_upscaling() -> None:
    red = torch.zeros(3, 2, 2)
    red[0] = 1.0
    blue = torch.zeros(3, 2, 2)
    blue[2] = 1.0
    pixels = png_array(widgets.row_png([red, blue], scale=4))
    assert pixels.shape == (8, 16, 3)
    assert (pixels[:, :8] == [255, 0, 0]).all() and (pixels[:, 8:] == [0, 0, 255]).all()
    with pytest.raises(ValueError, match="one size"):
        widgets.row_png([red, torch.zeros(3, 4, 4)])
    with pytest.raises(ValueError, match="non-empty"):
        widgets.row_png([])


def test_default_scale_shows_panels_at_256_px() -> None:
    assert widgets.default_scale(32) == 8
    assert widgets.default_scale(64) == 4
    assert widgets.default_scale(48) == 5  # a whole factor: 240 px, never blurred
    assert widgets.default_scale(500) == 1


@pytest.mark.parametrize("size", [32, 64])
def test_widget_panels_render_at_256_px(photos64, gamut, size) -> None:
    rgb = torch.nn.functional.interpolate(photos64, size=size, mode="area")
    L, ab = colorlib.split_lab(colorlib.rgb_to_lab(rgb))
    comparison = widgets.loss_comparison(L, ab, {"L2": ab / 2, "cross-entropy": ab})
    explorer = widgets.temperature_explorer(L, ab, torch.zeros(4, gamut.Q, 4, 4), gamut)
    for widget, panels in ((comparison, 4), (explorer, 3)):
        assert png_array(widget.image.value).shape == (256, panels * 256, 3)
        assert (widget.image.width, widget.image.height) == (str(panels * 256), "256")
        assert widget.caption.value.count("width:256px") == panels  # captions under panels


# ---------------------------------------------------------------- loss comparison


def test_loss_comparison_initial_png_and_attributes(lab32, predictions) -> None:
    L, ab = lab32
    w = widgets.loss_comparison(L, ab, predictions, scale=SCALE)
    assert isinstance(w, ipywidgets.VBox)
    assert isinstance(w.slider, ipywidgets.IntSlider)
    assert isinstance(w.image, ipywidgets.Image) and isinstance(w.caption, ipywidgets.HTML)
    assert (w.slider.min, w.slider.max, w.slider.value) == (0, 3, 0)
    assert w.slider in w.children and w.image in w.children and w.caption in w.children
    pixels = png_array(w.image.value)
    size = 32 * SCALE
    assert pixels.shape == (size, (len(predictions) + 2) * size, 3)
    assert w.image.width == str((len(predictions) + 2) * size)

    # Tiles: gray input, gray, truth, half, ground truth. The "gray" method and the
    # gray input are the same picture; "truth" equals the ground-truth tile.
    tiles = [pixels[:, k * size : (k + 1) * size] for k in range(5)]
    assert np.array_equal(tiles[0], tiles[1])
    assert np.array_equal(tiles[2], tiles[4])
    assert not np.array_equal(tiles[0], tiles[4])
    assert np.abs(tiles[0].astype(int)[..., 0] - tiles[0][..., 1]).max() <= 1  # gray: R = G

    # Default scale: 256 px per tile.
    assert png_array(widgets.loss_comparison(L, ab, predictions).image.value).shape[0] == 256


def test_loss_comparison_slider_updates_png_and_scores(lab32, predictions) -> None:
    L, ab = lab32
    w = widgets.loss_comparison(L, ab, predictions, titles=["a", "b", "c", "d"], scale=SCALE)
    first_png, first_caption = w.image.value, w.caption.value
    assert caption_value(first_caption, "truth", "ab L2") == "0.00"
    gray0 = f"{float(ab_l2(torch.zeros_like(ab[:1]), ab[:1])[0]):.2f}"
    assert caption_value(first_caption, "gray", "ab L2") == gray0
    assert "image 1 of 4: a" in first_caption

    w.slider.value = 2
    assert w.image.value != first_png
    caption = w.caption.value
    assert caption != first_caption and "image 3 of 4: c" in caption
    assert caption_value(caption, "truth", "ab L2") == "0.00"
    gray2 = float(ab_l2(torch.zeros_like(ab[2:3]), ab[2:3])[0])
    assert caption_value(caption, "gray", "ab L2") == f"{gray2:.2f}" != gray0
    assert gray2 > 1.0  # a real photo is not gray
    # Halving ab halves every per-pixel distance exactly.
    assert caption_value(caption, "half", "ab L2") == f"{gray2 / 2:.2f}"
    assert png_array(w.image.value).shape == png_array(first_png).shape

    w.slider.value = 0
    assert w.image.value == first_png and w.caption.value == first_caption


def test_loss_comparison_escapes_method_names(lab32) -> None:
    L, ab = lab32
    w = widgets.loss_comparison(L, ab, {"<L2>": ab}, scale=1)
    assert "&lt;L2&gt;" in w.caption.value and "<L2>" not in w.caption.value


def test_loss_comparison_rejects_bad_inputs(lab32, predictions) -> None:
    L, ab = lab32
    with pytest.raises(ValueError, match="non-empty"):
        widgets.loss_comparison(L, ab, {})
    with pytest.raises(ValueError, match=r"predictions\['half'\]"):
        widgets.loss_comparison(L, ab, {"half": ab[:2]})
    with pytest.raises(ValueError, match="agree in N, H and W"):
        widgets.loss_comparison(L[:3], ab, predictions)
    with pytest.raises(ValueError, match=r"L must be shaped \(N, 1, H, W\)"):
        widgets.loss_comparison(L[:, 0], ab, predictions)
    with pytest.raises(ValueError, match="true_ab must be shaped"):
        widgets.loss_comparison(L, ab[:, :1], predictions)
    with pytest.raises(ValueError, match="titles"):
        widgets.loss_comparison(L, ab, predictions, titles=["only one"])
    for message in _messages(L, ab):
        assert "\n" not in message


def _messages(L: torch.Tensor, ab: torch.Tensor) -> list[str]:
    out = []
    for args in [(L, ab, {}), (L, ab, {"x": ab[:, :, :8]}), (L[:2], ab, {"x": ab})]:
        with pytest.raises(ValueError) as info:
            widgets.loss_comparison(*args)
        out.append(str(info.value))
    return out


# ------------------------------------------------------------ temperature explorer


@pytest.fixture
def peaked_logits(gamut: ABGamut) -> torch.Tensor:
    """(4, Q, 8, 8) random logits (1/4 of 32 px), sharp enough to have a clear mode."""
    generator = torch.Generator().manual_seed(1)
    return 4.0 * torch.randn(4, gamut.Q, 8, 8, generator=generator)


def test_temperature_explorer_defaults(lab32, peaked_logits, gamut) -> None:
    L, ab = lab32
    w = widgets.temperature_explorer(L, ab, peaked_logits, gamut, scale=SCALE)
    assert isinstance(w, ipywidgets.VBox)
    assert isinstance(w.image_slider, ipywidgets.IntSlider) and w.image_slider.max == 3
    assert isinstance(w.image, ipywidgets.Image) and isinstance(w.caption, ipywidgets.HTML)
    assert w.T_slider.value == ANNEAL_T and "Zhang" in w.T_slider.label
    assert w.temperatures[0] == 0.0 and w.temperatures[-1] == 1.0
    assert png_array(w.image.value).shape == (32 * SCALE, 3 * 32 * SCALE, 3)
    expected = upsample_ab(gamut.decode(peaked_logits[:1], T=ANNEAL_T), 32)
    assert torch.allclose(w.ab, expected)


def test_temperature_zero_is_the_mode_and_one_is_duller(lab32, peaked_logits, gamut) -> None:
    L, ab = lab32
    w = widgets.temperature_explorer(L, ab, peaked_logits, gamut, scale=SCALE)
    w.image_slider.value = 1
    w.T_slider.value = 0.0
    size = 32 * SCALE
    mode_ab = upsample_ab(gamut.mode(peaked_logits[1:2]), 32)
    assert torch.equal(w.ab, mode_ab)
    mode_rgb = colorlib.lab_to_rgb(colorlib.merge_lab(L[1:2], mode_ab))
    expected_tile = png_array(widgets.row_png([mode_rgb[0]], SCALE))
    assert np.array_equal(png_array(w.image.value)[:, size : 2 * size], expected_tile)
    mode_png, mode_caption = w.image.value, w.caption.value
    vivid_mode = float(caption_value(mode_caption, "annealed mean, T = 0", "colorfulness"))
    assert vivid_mode == pytest.approx(float(colorfulness(mode_rgb)[0]), abs=0.006)
    true_vivid = float(colorfulness(colorlib.lab_to_rgb(colorlib.merge_lab(L[1:2], ab[1:2])))[0])
    assert caption_value(mode_caption, "ground truth", "colorfulness") == f"{true_vivid:.2f}"

    w.T_slider.value = 1.0
    assert w.image.value != mode_png
    caption = w.caption.value
    vivid_mean = float(caption_value(caption, "annealed mean, T = 1", "colorfulness"))
    assert vivid_mean < vivid_mode
    assert w.stats["T"] == 1.0 and w.stats["colorfulness"] == pytest.approx(vivid_mean, abs=0.006)
    distance = float(ab_l2(w.ab, ab[1:2])[0])
    assert caption_value(caption, "annealed mean, T = 1", "ab L2") == f"{distance:.2f}"

    # Colourfulness falls as T rises from the mode to the mean, on every image.
    for index in range(4):
        w.image_slider.value = index
        vivid = []
        for T in (0.0, ANNEAL_T, 1.0):
            w.T_slider.value = T
            vivid.append(w.stats["colorfulness"])
        assert vivid[0] > vivid[1] > vivid[2], (index, vivid)


def test_temperature_explorer_custom_values(lab32, peaked_logits, gamut) -> None:
    L, ab = lab32
    w = widgets.temperature_explorer(L, ab, peaked_logits, gamut, T_values=[1, 0.5, 0], scale=1)
    assert w.temperatures == [0.0, 0.5, 1.0] and w.T_slider.value == 0.5
    assert png_array(w.image.value).shape == (32, 96, 3)


def test_temperature_explorer_rejects_bad_inputs(lab32, peaked_logits, gamut) -> None:
    L, ab = lab32
    with pytest.raises(ValueError, match=r"logits must be shaped \(N, 261, H, W\)"):
        widgets.temperature_explorer(L, ab, peaked_logits[:, :100], gamut)
    with pytest.raises(ValueError, match="logits hold 3 images"):
        widgets.temperature_explorer(L, ab, peaked_logits[:3], gamut)
    with pytest.raises(ValueError, match="agree in N, H and W"):
        widgets.temperature_explorer(L, ab[:, :, :16], peaked_logits, gamut)
    with pytest.raises(ValueError, match="T_values"):
        widgets.temperature_explorer(L, ab, peaked_logits, gamut, T_values=[-0.1, 1.0])
    with pytest.raises(ValueError, match="T_values"):
        widgets.temperature_explorer(L, ab, peaked_logits, gamut, T_values=[])
    with pytest.raises(TypeError, match="ABGamut"):
        widgets.temperature_explorer(L, ab, peaked_logits, object())
