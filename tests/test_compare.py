"""evaluate.compare: every colorizer, the baselines, the scores and the table in one call."""

from __future__ import annotations

import pytest
import torch

from colorlib import evaluate
from colorlib.lab import rgb_to_lab, split_lab

N, SIDE = 6, 8


@pytest.fixture(scope="module")
def photos() -> list[dict]:
    """Random colour photos as dataset items (L, ab, label), labels 0, 1, 2, 0, 1, 2."""
    rgb = torch.rand(N, 3, SIDE, SIDE, generator=torch.Generator().manual_seed(0))
    L, ab = split_lab(rgb_to_lab(rgb))
    return [{"L": L[i], "ab": ab[i], "label": i % 3} for i in range(N)]


def halves(L: torch.Tensor) -> torch.Tensor:
    """A tiny colorizer: ab = (L / 10, -L / 10)."""
    return torch.cat([L, -L], dim=1) / 10


def reddish(L: torch.Tensor) -> torch.Tensor:
    """Another: ab = (20, 5) everywhere."""
    return torch.tensor([20.0, 5.0]).reshape(1, 2, 1, 1).expand(len(L), 2, *L.shape[-2:]).clone()


TRAIN_MEAN = torch.tensor([3.0, -4.0])


def test_compare_equals_the_hand_assembled_sequence(photos):
    comparison = evaluate.compare({"halves": halves, "reddish": reddish}, photos, TRAIN_MEAN)
    # by hand, as notebooks 01, 03 and 04 did it
    predictions = {name: evaluate.predict(c, photos) for name, c in [("halves", halves),
                                                                     ("reddish", reddish)]}
    results = {name: evaluate.evaluate(pred) for name, pred in predictions.items()}
    guesses = evaluate.baselines(predictions["halves"], TRAIN_MEAN)
    results.update({name: evaluate.evaluate(guess) for name, guess in guesses.items()})
    assert list(comparison.scores) == list(results)
    for name, values in results.items():
        assert list(comparison.scores[name]) == list(evaluate.METRICS)
        for key, value in values.items():
            assert torch.equal(comparison.scores[name][key], value), (name, key)
    for name, pred in {**predictions, **guesses}.items():
        assert comparison.predictions[name].keys() == pred.keys()
        assert all(torch.equal(comparison.predictions[name][k], v) for k, v in pred.items())
    assert str(comparison) == comparison.table() == evaluate.summary_table(results)
    assert comparison.table(digits=1, legend=False) == evaluate.summary_table(
        results, digits=1, legend=False
    )


def test_rows_in_order_colorizers_first_then_the_baselines(photos):
    comparison = evaluate.compare({"reddish": reddish, "halves": halves}, photos, TRAIN_MEAN)
    rows = ["reddish", "halves", "gray guess", "mean colouring"]
    assert list(comparison.scores) == list(comparison.predictions) == rows
    assert comparison.colorizers == ("reddish", "halves")
    table = str(comparison).splitlines()
    assert [line.split()[0] for line in table[1:5]] == ["reddish", "halves", "gray", "mean"]
    assert table[5].startswith("ground truth")  # summary_table's colourfulness row
    assert "reddish" in repr(comparison) and f"{N:,} images" in repr(comparison)


def test_baselines_only_with_train_mean(photos):
    bare = evaluate.compare({"halves": halves}, photos)
    assert list(bare.scores) == ["halves"]
    gray = evaluate.compare({"halves": halves}, photos, baselines=("gray guess",))
    assert list(gray.scores) == ["halves", "gray guess"]
    none = evaluate.compare({"halves": halves}, photos, TRAIN_MEAN, baselines=())
    assert list(none.scores) == ["halves"]
    with pytest.raises(ValueError, match="needs train_mean"):
        evaluate.compare({"halves": halves}, photos, baselines=("mean colouring",))
    with pytest.raises(ValueError, match="unknown baselines"):
        evaluate.compare({"halves": halves}, photos, TRAIN_MEAN, baselines=("mean",))
    with pytest.raises(ValueError, match="nothing to compare"):
        evaluate.compare({}, photos)


def test_baseline_scores_are_what_they_say(photos):
    comparison = evaluate.compare({"halves": halves}, photos, TRAIN_MEAN)
    ab = torch.stack([p["ab"] for p in photos]).double()
    # the gray guess is off by the true ab's length: its ab L2 is the mean ab norm
    by_hand = ab.norm(dim=1).mean(dim=(1, 2))
    gray = comparison.scores["gray guess"]["ab_l2"]
    assert gray.dtype == torch.float64 and gray.shape == (N,)
    assert torch.allclose(gray, by_hand, rtol=1e-5)
    # the mean colouring paints the training mean everywhere
    mean_pred = comparison.predictions["mean colouring"]["ab_pred"]
    assert torch.equal(mean_pred, TRAIN_MEAN.reshape(1, 2, 1, 1).expand(N, 2, SIDE, SIDE))
    by_hand = (ab - TRAIN_MEAN.double().reshape(1, 2, 1, 1)).norm(dim=1).mean(dim=(1, 2))
    assert torch.allclose(comparison.scores["mean colouring"]["ab_l2"], by_hand, rtol=1e-5)
    # the colorizer's row too: ab = (L / 10, -L / 10)
    L = torch.stack([p["L"] for p in photos]).double()
    by_hand = (torch.cat([L, -L], dim=1) / 10 - ab).norm(dim=1).mean(dim=(1, 2))
    assert torch.allclose(comparison.scores["halves"]["ab_l2"], by_hand, rtol=1e-5)
    assert comparison.predictions["halves"]["label"].tolist() == [0, 1, 2, 0, 1, 2]


def test_baselines_alone_match_baselines_of_the_dataset(photos):
    comparison = evaluate.compare({}, photos, TRAIN_MEAN, limit=4)
    guesses = evaluate.baselines(photos, TRAIN_MEAN, limit=4)
    assert list(comparison.scores) == list(guesses) == ["gray guess", "mean colouring"]
    assert comparison.colorizers == ()
    for name, guess in guesses.items():
        expected = evaluate.evaluate(guess)
        assert all(torch.equal(comparison.scores[name][k], v) for k, v in expected.items())
        assert len(comparison.scores[name]["ab_l2"]) == 4


def test_truth_suffix_and_extra_scores(photos):
    def extra(pred):
        return {"red_share": (pred["ab_pred"][:, 0] > 0).double().mean(dim=(1, 2))}

    comparison = evaluate.compare(
        {"reddish": reddish}, photos, TRAIN_MEAN, baselines=("gray guess",), truth=True,
        suffix=" (8 px)", extra=extra, limit=5,
    )  # fmt: skip
    assert list(comparison.scores) == ["reddish", "gray guess (8 px)", "ground truth (8 px)"]
    truth = comparison.scores["ground truth (8 px)"]
    assert torch.equal(truth["ab_l2"], torch.zeros(5, dtype=torch.float64))
    assert torch.equal(truth["psnr"], torch.full((5,), evaluate.PSNR_MAX_DB, dtype=torch.float64))
    assert list(comparison.scores["reddish"]) == [*evaluate.METRICS, "red_share"]
    ones = torch.ones(5, dtype=torch.float64)
    assert torch.equal(comparison.scores["reddish"]["red_share"], ones)
    assert torch.equal(comparison.scores["gray guess (8 px)"]["red_share"], 0 * ones)
    with pytest.raises(ValueError, match="two rows named 'gray guess'"):
        evaluate.compare({"gray guess": reddish}, photos, TRAIN_MEAN)


def test_compare_resizes_like_predict(photos):
    class AtSixteen(torch.nn.Module):  # a colorizer trained at 16 px
        image_size = 16

        def forward(self, L):
            assert L.shape[-1] == 16
            return halves(L)

    with pytest.raises(ValueError, match="trained on 16x16"):
        evaluate.compare({"16 px": AtSixteen()}, photos)
    comparison = evaluate.compare({"16 px": AtSixteen()}, photos, resize=True)
    pred = evaluate.predict(AtSixteen(), photos, resize=True)
    assert torch.equal(comparison.predictions["16 px"]["ab_pred"], pred["ab_pred"])
    assert comparison.predictions["16 px"]["ab_pred"].shape == (N, 2, SIDE, SIDE)
