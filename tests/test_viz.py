"""colorlib.viz figures (shape of what is drawn) and colorlib.data.load_or_sample."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from PIL import Image

from colorlib import data, viz
from colorlib.evaluate import paired_difference
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


# ---------------------------------------------------------------- model families

# Every model name of the notebooks' stored tables, figures and grids (01-05), with
# the family it belongs to.
NOTEBOOK_NAMES = {
    "baseline": [
        "gray guess", "mean colouring", "gray input", "gray guess (32 px)",
        "mean colouring (32 px)", "gray guess (64 px)", "mean colouring (64 px)",
    ],
    "regression": [
        "SeedCNN", "SeedCNN (L2)", "L2", "L2 + dropout", "Smooth L1", "Zhang net, L2",
        "L1 only", "CNN, L2 (notebook 01)", "U-Net, L1 only", "poster CNN, L2", "Zhang, L2",
        "cifar10-seedcnn-l2", "imagenet32-seedcnn-l2", "imagenet32-seedcnn-l2-dropout",
        "imagenet32-seedcnn-smoothl1", "imagenet64-zhang-l2", "cifar10-pix2pix-l1",
    ],
    "bins": [
        "cross-entropy", "CE rebalanced", "Zhang, CE", "Zhang, CE rebal.", "Zhang et al. (full)",
        "imagenet64-zhang-ce", "imagenet64-zhang-ce-rebalanced",
    ],
    "cgan": [
        "pix2pix", "cGAN + L1", "cGAN only", "cGAN + L1, noise input", "pix2pix (cGAN + L1)",
        "pix2pix, cGAN + L1", "Tiny ImageNet, cGAN + L1", "cifar10-pix2pix",
        "cifar10-pix2pix-cgan", "cifar10-pix2pix-noise", "imagenet64-pix2pix",
    ],
    "cyclegan": ["CycleGAN", "CycleGAN (unpaired)", "cifar10-cyclegan", "imagenet64-cyclegan"],
    "truth": ["ground truth"],
}  # fmt: skip


@pytest.mark.parametrize("family", list(NOTEBOOK_NAMES))
def test_every_notebook_name_maps_to_its_family(family):
    assert {name: viz.model_family(name) for name in NOTEBOOK_NAMES[family]} == {
        name: family for name in NOTEBOOK_NAMES[family]
    }


def test_unknown_names_are_other_and_every_family_has_its_own_colour():
    for name in ("", "my model", "resnet-50", "mean (T=1)"):
        assert viz.model_family(name) == "other"
    assert set(viz.FAMILY_COLOURS) == set(NOTEBOOK_NAMES) | {"other"}
    assert len(set(viz.FAMILY_COLOURS.values())) == len(viz.FAMILY_COLOURS)
    assert set(viz.FAMILY_LABELS) == set(viz.FAMILY_COLOURS)
    with pytest.raises(TypeError):
        viz.FAMILY_COLOURS["other"] = "red"  # fixed: one palette for every figure


def test_labels_are_words_with_units():
    assert viz.label("val_psnr") == "PSNR (dB, validation)"
    assert viz.label("train_loss_G_adv") == "Generator adversarial loss (train)"
    assert viz.label("ab_l2") == "ab L2 (Lab units, lower is better)"
    assert viz.label("auc") == "AuC of the ab error (%, higher is better)"
    assert viz.label("some_new_key") == "some new key"
    percent = {k for k, q in viz.QUANTITIES.items() if q.unit == "%"}
    assert percent == {k for k, q in viz.QUANTITIES.items() if q.scale == 100.0}
    assert {"auc", "auc_rebalanced", "accuracy", "val_accuracy", "fooling_rate"} <= percent


def bar_colours(ax) -> list[str]:
    return [to_hex(bar.get_facecolor()) for bar in ax.patches]


def test_plot_metric_bars_colours_bars_by_family_and_shows_fractions_in_percent():
    names = ["L2", "cross-entropy", "pix2pix", "CycleGAN (unpaired)", "gray guess", "mystery"]
    results = {
        name: {"ab_l2": torch.full((3,), 10.0 + i), "auc": torch.full((3,), 0.8)}
        for i, name in enumerate(names)
    }
    fig = viz.plot_metric_bars(results, keys=("ab_l2", "auc"))
    ab, auc = fig.axes
    expected = [viz.FAMILY_COLOURS[viz.model_family(n)] for n in names]
    assert bar_colours(ab) == bar_colours(auc) == expected
    assert [bar.get_width() for bar in auc.patches] == pytest.approx([80.0] * 6)  # in %
    assert auc.get_xlabel() == "AuC of the ab error (%, higher is better)"
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == [
        viz.FAMILY_LABELS[f]
        for f in ("baseline", "regression", "bins", "cgan", "cyclegan", "other")
    ]


# ------------------------------------------------------------ paired differences


def test_plot_paired_differences_draws_paired_difference_and_its_interval():
    generator = torch.Generator().manual_seed(0)
    gray = 15.0 + 3.0 * torch.rand(40, generator=generator, dtype=torch.float64)
    values = {
        "L2": gray - 1.0 + 0.5 * torch.randn(40, generator=generator, dtype=torch.float64),
        "gray guess": gray,
        "pix2pix": gray + 2.0 + torch.randn(40, generator=generator, dtype=torch.float64),
        "CE rebalanced": gray + 0.02 * torch.randn(40, generator=generator, dtype=torch.float64),
    }
    fig = viz.plot_paired_differences(values, "gray guess")
    (ax,) = fig.axes
    drawn = {c.get_label(): c for c in ax.containers}
    assert list(drawn) == ["L2", "pix2pix", "CE rebalanced"]  # the reference is not drawn
    for y, (name, container) in enumerate(drawn.items()):
        mean, margin, verdict = paired_difference(values[name], gray, lower_is_better=True)
        point, _, (whisker,) = container.lines
        assert point.get_xdata()[0] == pytest.approx(mean) and point.get_ydata()[0] == y
        (start, end) = whisker.get_segments()[0]
        assert (start[0], end[0]) == pytest.approx((mean - margin, mean + margin))
        assert to_hex(point.get_color()) == viz.FAMILY_COLOURS[viz.model_family(name)]
        hollow = to_hex(point.get_markerfacecolor()) == "#ffffff"
        assert hollow == (verdict == "tie")
    zero = [line for line in ax.lines if list(line.get_xdata()) == [0, 0]]
    assert len(zero) == 1  # the vertical line at 0
    assert ax.get_xlabel().startswith("ab L2: model minus gray guess, per photo (Lab units)")
    assert "left of 0: better" in ax.get_xlabel()
    assert [t.get_text() for t in ax.get_yticklabels()] == list(drawn)
    assert ax.get_ylim()[0] > ax.get_ylim()[1]  # the first model on top


def test_plot_paired_differences_percent_and_errors():
    ref = torch.tensor([0.80, 0.82, 0.84, 0.86])
    values = {"gray guess": ref, "cross-entropy": ref + torch.tensor([0.01, 0.02, 0.01, 0.02])}
    fig = viz.plot_paired_differences(values, "gray guess", metric="auc")
    (container,) = fig.axes[0].containers
    mean, _, _ = paired_difference(100 * values["cross-entropy"].double(), 100 * ref.double())
    assert container.lines[0].get_xdata()[0] == pytest.approx(mean) == pytest.approx(1.5)
    xlabel = fig.axes[0].get_xlabel()
    assert "(percentage points)" in xlabel and "right of 0: better" in xlabel
    with pytest.raises(ValueError, match="not among"):
        viz.plot_paired_differences(values, "mean colouring")
    with pytest.raises(ValueError, match="no model"):
        viz.plot_paired_differences({"gray guess": ref}, "gray guess")


# ----------------------------------------------------------------- comparison grid


def test_comparison_grid_gray_models_truth(photos32):
    L = split_lab(rgb_to_lab(photos32))[0]
    rows = {"L2": photos32 * 0.5, "pix2pix": photos32[:2]}
    fig = viz.comparison_grid(rows, gray=L, truth=photos32, titles=["a", "b", "c", "d"])
    names = [ax.get_ylabel() for ax in fig.axes[::4]]
    assert names == ["gray input", "L2", "pix2pix", "ground truth"]
    assert len(fig.axes) == 16 and n_images(fig) == 14  # pix2pix's missing cells stay empty
    assert [ax.get_title() for ax in fig.axes[:4]] == ["a", "b", "c", "d"]
    colours = [to_hex(ax.yaxis.label.get_color()) for ax in fig.axes[::4]]
    assert colours == [viz.FAMILY_COLOURS[viz.model_family(n)] for n in names]
    gray = fig.axes[0].images[0].get_array()
    assert np.allclose(gray, viz.gray_rgb(L[:1])[0].permute(1, 2, 0).numpy(), atol=1e-6)
    assert len(viz.comparison_grid(rows, max_images=3).axes) == 2 * 3


def test_comparison_grid_takes_uint8_photos_of_any_size():
    rng = np.random.default_rng(0)
    photos = [rng.integers(0, 256, shape, dtype=np.uint8) for shape in ((30, 60, 3), (40, 40, 3))]
    fig = viz.comparison_grid({"Zhang, CE": photos}, truth=photos, interpolation="lanczos")
    assert len(fig.axes) == 4
    assert np.array_equal(fig.axes[0].images[0].get_array(), photos[0])  # uint8, as given
    wide, square = fig.axes[0].get_position(), fig.axes[1].get_position()
    assert wide.width / wide.height == pytest.approx(2 * square.width / square.height, rel=0.05)
    with pytest.raises(ValueError, match="at least one row"):
        viz.comparison_grid({})
    with pytest.raises(ValueError, match="no images"):
        viz.comparison_grid({"x": []})
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        viz.comparison_grid({"x": [np.zeros((4, 4, 2), np.uint8)]})


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


def test_temperature_sweep_draws_each_model_in_its_family_colour_in_percent():
    from matplotlib.colors import to_hex

    temperatures = (0.0, 0.38, 1.0)
    sweep = {T: {"auc": torch.full((4,), 0.8 + 0.1 * T), "colorfulness": torch.full((4,), 30 - T)}
             for T in temperatures}  # fmt: skip
    sweeps = {"cross-entropy": sweep, "CE rebalanced": sweep, "Zhang net, L2": sweep}
    figure = viz.plot_temperature_sweep(sweeps, keys=("auc", "colorfulness"))
    auc_panel, colour_panel = figure.axes
    lines = auc_panel.get_lines()
    assert [line.get_label() for line in lines] == list(sweeps)
    assert list(lines[1].get_ydata()) == pytest.approx([80.0, 83.8, 90.0])  # AuC shown in %
    assert list(colour_panel.get_lines()[0].get_ydata()) == pytest.approx([30.0, 29.62, 29.0])
    colours = [to_hex(line.get_color()) for line in lines]
    assert colours[0] == colours[1] == to_hex(viz.FAMILY_COLOURS["bins"])  # one family ...
    assert lines[0].get_linestyle() != lines[1].get_linestyle()  # ... told apart by style
    assert colours[2] == to_hex(viz.FAMILY_COLOURS["regression"])
    assert "%" in auc_panel.get_ylabel()
    with pytest.raises(ValueError, match="lacks a temperature or a score"):
        viz.plot_temperature_sweep({"a": sweep, "b": {0.0: sweep[0.0]}}, keys=("auc",))
