"""colorlib.viz figures (shape of what is drawn) and colorlib.data.load_or_sample."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from PIL import Image

from colorlib import data, viz
from colorlib.gamut import ZHANG_Q, ABGamut
from colorlib.lab import rgb_to_lab, split_lab


@pytest.fixture(scope="module")
def gamut() -> ABGamut:
    return ABGamut()


def n_images(fig: Figure) -> int:
    return sum(len(ax.images) for ax in fig.axes)


def test_show_lab_channels(photos32):
    fig = viz.show_lab_channels(photos32)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 4 * 4 + 3  # RGB, L, a, b per photo + 3 colour bars
    assert n_images(fig) == 16
    labels = [ax.get_xlabel() for ax in fig.axes[-3:]]
    assert labels == ["L (Lab units)", "a (Lab units)", "b (Lab units)"]
    assert len(viz.show_lab_channels(photos32, max_images=2).axes) == 2 * 4 + 3


def test_plot_gamut_slices():
    fig = viz.plot_gamut_slices([30, 70], resolution=41)
    assert len(fig.axes) == 2 and n_images(fig) == 2
    rgba = fig.axes[0].images[0].get_array()
    assert rgba.shape == (41, 41, 4)
    assert 0 < rgba[..., 3].mean() < 1  # part of the square is in gamut, part is not
    fig = viz.plot_gamut_slices([10, 30, 50, 70, 90, 100], resolution=21, cols=4)
    assert len(fig.axes) == 8 and n_images(fig) == 6  # last row padded with hidden axes


def test_plot_bins(gamut):
    fig = viz.plot_bins(gamut, L_values=(25, 50, 75))
    (ax,) = fig.axes
    assert len(ax.patches) == gamut.Q  # one outlined cell per bin
    assert f"Q = {gamut.Q}" in ax.get_title() and str(ZHANG_Q) in ax.get_title()


def test_plot_prior(gamut, photos32):
    ab = split_lab(rgb_to_lab(photos32))[1]
    raw, smooth = gamut.prior(ab, sigma=0), gamut.prior(ab)
    fig = viz.plot_prior({"raw": raw, "smoothed": smooth}, gamut, title="prior")
    assert len(fig.axes) == 3 and n_images(fig) == 2  # two panels + colour bar
    image = fig.axes[0].images[0].get_array()
    assert np.ma.count(image) == gamut.Q  # one finite cell per bin, NaN elsewhere
    assert len(viz.plot_prior(raw, gamut).axes) == 2
    with pytest.raises(ValueError, match="shaped"):
        viz.plot_prior(raw[:-1], gamut)


def test_show_mean_colouring(photos32):
    fig = viz.show_mean_colouring(photos32, torch.tensor([5.0, 10.0]))
    assert len(fig.axes) == 3 * 4 and n_images(fig) == 12
    assert "(5.0, 10.0)" in fig.axes[4].get_ylabel()


def test_image_grid_and_gray(photos32):
    L = split_lab(rgb_to_lab(photos32))[0]
    gray = viz.gray_rgb(L)
    assert gray.shape == photos32.shape
    assert torch.allclose(gray[:, 0], gray[:, 1], atol=1e-4)
    assert torch.allclose(gray[:, 1], gray[:, 2], atol=1e-4)
    fig = viz.image_grid({"gray": gray, "truth": photos32[:2]}, titles=["a", "b", "c", "d"])
    assert len(fig.axes) == 8 and n_images(fig) == 6  # missing cells stay empty
    assert fig.axes[0].get_ylabel() == "gray" and fig.axes[0].get_title() == "a"
    assert len(viz.image_grid({"x": photos32}, max_images=3).axes) == 3
    with pytest.raises(ValueError):
        viz.image_grid({})


def test_opponent_cmap_is_grey_at_zero():
    r, g, b, _ = viz.opponent_cmap("a", 50.0)(0.5)
    assert abs(r - g) < 0.02 and abs(g - b) < 0.02


# ------------------------------------------------------------------ load_or_sample


def _tiny_cifar(root, n=2):
    folder = root / "cifar10" / "test" / "cat"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        pixels = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"{i:04d}.png")


def test_load_or_sample_found(tmp_path, monkeypatch):
    monkeypatch.delenv("COLORLIB_DATA", raising=False)
    monkeypatch.setenv("COLORLIB_CACHE", str(tmp_path / "cache"))
    _tiny_cifar(tmp_path / "mydata")
    dataset, description = data.load_or_sample("cifar10", "test", root=tmp_path / "mydata")
    assert len(dataset) == 2
    assert description == (
        "CIFAR-10 test split: 2 images, 32x32, from mydata/cifar10/test (the root argument)"
    )
    monkeypatch.setenv("COLORLIB_DATA", str(tmp_path / "mydata"))
    assert data.load_or_sample("cifar10", "test")[1].endswith("(COLORLIB_DATA)")


def test_load_or_sample_falls_back(tmp_path, monkeypatch):
    if (data.PROJECT_DATA / "cifar10").exists():
        pytest.skip("the project's data/ holds CIFAR-10, so nothing is missing")
    monkeypatch.setenv("COLORLIB_DATA", str(tmp_path))
    monkeypatch.setenv("COLORLIB_CACHE", str(tmp_path / "cache"))
    dataset, description = data.load_or_sample("cifar10", "test", root=tmp_path)
    assert description == (
        "the bundled sample (48 test photos, 32x32 centre crops): CIFAR-10 not found; "
        "set COLORLIB_DATA to use it"
    )
    assert len(dataset) == 48 and dataset[0]["rgb"].shape == (3, 32, 32)
    assert str(tmp_path) not in description
    dataset, description = data.load_or_sample("imagenet64", "train")
    assert dataset[0]["ab"].shape == (2, 64, 64)  # the sample at ImageNet 64's size
    assert description.startswith("the bundled sample (191 train photos, 64x64 random crops)")
    with pytest.raises(ValueError):
        data.load_or_sample("cifar10", "val")
