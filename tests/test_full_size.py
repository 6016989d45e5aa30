"""evaluate.full_size, evaluate.appeal_verdict and viz.full_size_grid on real photos."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from skimage import data as skdata

from colorlib import evaluate, metrics, viz
from colorlib.lab import rgb_to_lab, split_lab


class ConstantColour(torch.nn.Module):
    """A colorizer that paints every pixel one ab colour, at a 16 px working size."""

    image_size = 16

    def __init__(self, a: float, b: float) -> None:
        super().__init__()
        self.ab = torch.nn.Parameter(torch.tensor([a, b]).view(1, 2, 1, 1), requires_grad=False)

    def forward(self, L: torch.Tensor) -> torch.Tensor:
        return self.ab.expand(L.shape[0], 2, *L.shape[-2:])


@pytest.fixture(scope="module")
def photo_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("photos")
    paths = []
    for name in ("coffee", "chelsea"):  # 400x600 and 300x451: two sizes and aspects
        path = folder / f"{name}.png"
        Image.fromarray(getattr(skdata, name)()).save(path)
        paths.append(path)
    return paths


def test_full_size_keeps_each_photo_size_and_scores_it(photo_files):
    images, scores = evaluate.full_size({"orange": ConstantColour(20.0, 40.0)}, photo_files)
    assert list(images) == ["gray input", "orange", "ground truth"]
    for k, path in enumerate(photo_files):
        truth = np.asarray(Image.open(path).convert("RGB"))
        for row in images.values():
            assert row[k].shape == truth.shape and row[k].dtype == np.uint8
        assert np.array_equal(images["ground truth"][k], truth)
    assert list(scores) == ["gray guess", "orange", "ground truth"]
    true_rgb = [torch.tensor(np.asarray(Image.open(p).convert("RGB"))).permute(2, 0, 1)[None]
                for p in photo_files]  # fmt: skip
    true_ab = [split_lab(rgb_to_lab(rgb))[1] for rgb in true_rgb]
    # the gray guess is scored as ab = 0 (up to the uint8 rounding of its picture)
    expected_gray = torch.cat([ab.norm(dim=1).mean(dim=(-2, -1)) for ab in true_ab]).double()
    assert torch.allclose(scores["gray guess"]["ab_l2"], expected_gray, atol=0.5)
    assert (scores["gray guess"]["colorfulness"] < 1).all()
    assert (scores["ground truth"]["ab_l2"] == 0).all()
    expected_colour = torch.cat([metrics.colorfulness(rgb.float() / 255) for rgb in true_rgb])
    assert torch.allclose(scores["ground truth"]["colorfulness"], expected_colour.double())
    # the pictures carry the colorizer's colour (where mid lightness keeps it in gamut),
    # and are scored on it
    for k, picture in enumerate(images["orange"]):
        L, ab = split_lab(rgb_to_lab(torch.tensor(picture).permute(2, 0, 1)[None]))
        mid = (L[0, 0] > 50) & (L[0, 0] < 75)
        median_ab = ab[0][:, mid].median(dim=1).values
        assert torch.allclose(median_ab, torch.tensor([20.0, 40.0]), atol=2)
        distance = (ab - true_ab[k]).norm(dim=1).mean().double()
        assert scores["orange"]["ab_l2"][k] == pytest.approx(distance.item(), rel=1e-5)


def _scores(**named) -> dict:
    return {n: {"ab_l2": torch.tensor(v[0]), "colorfulness": torch.tensor(v[1])}
            for n, v in named.items()}  # fmt: skip


def test_appeal_verdict_names_the_most_colourful_faithful_one():
    scores = _scores(
        **{"gray guess": ([10.0, 12.0, 11.0, 13.0], [0.0, 0.0, 0.0, 0.0]),
           "ground truth": ([0.0, 0.0, 0.0, 0.0], [40.0, 40.0, 40.0, 40.0]),
           "dull": ([9.0, 11.0, 10.0, 12.0], [5.0, 5.0, 5.0, 5.0]),  # faithful, not vivid
           "wild": ([20.0, 22.0, 21.0, 23.0], [60.0, 60.0, 60.0, 60.0]),  # vivid, wrong
           "good": ([10.0, 12.5, 10.5, 13.0], [30.0, 31.0, 29.0, 30.0]),  # both
           "fine": ([10.1, 12.0, 11.0, 12.9], [22.0, 21.0, 20.0, 21.0])}  # both, duller
    )  # fmt: skip
    lines = evaluate.appeal_verdict(scores)
    assert len(lines) == 5
    assert "dull: colourfulness 5.0 (under half the truth's 40.0)" in lines[0]
    assert "(worse than gray)" in lines[1]
    assert lines[-1].startswith("verdict: good is the most colourful colorization")
    assert "also vivid and faithful: fine" in lines[-1]


def test_appeal_verdict_says_when_no_colorization_qualifies():
    scores = _scores(
        **{"gray guess": ([10.0, 12.0, 11.0], [0.0, 0.0, 0.0]),
           "ground truth": ([0.0, 0.0, 0.0], [40.0, 40.0, 40.0]),
           "wild": ([20.0, 22.0, 21.0], [60.0, 60.0, 60.0])}
    )  # fmt: skip
    assert evaluate.appeal_verdict(scores)[-1].startswith("verdict: no colorization is both")


def test_full_size_grid_one_row_per_photo_one_column_per_method():
    rng = np.random.default_rng(0)
    images = {
        "gray input": [rng.integers(0, 256, (30, 40, 3), dtype=np.uint8) for _ in range(3)],
        "model": [rng.integers(0, 256, (30, 40, 3), dtype=np.uint8) for _ in range(3)],
    }
    images["gray input"][1] = images["model"][1] = np.zeros((50, 20, 3), np.uint8)
    fig = viz.full_size_grid(images, max_photos=2, suptitle="two photos")
    assert len(fig.axes) == 4
    assert [ax.get_title() for ax in fig.axes[:2]] == ["gray input", "model"]
    assert fig.get_figwidth() >= 2 * 2.4  # panels large enough to judge a colour
    with pytest.raises(ValueError, match="at least one column"):
        viz.full_size_grid({})
