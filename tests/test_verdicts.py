"""Verdicts on training curves: evaluate.word_trend and evaluate.word_against_chance."""

import math

import pytest

from colorlib import evaluate


def test_word_trend_best_at_last_epoch_says_still_improving():
    text = evaluate.word_trend([16.7, 18.4, 16.4, 15.3, 14.2], "val ab L2", unit=" Lab units")
    assert text.startswith("val ab L2: 16.70 Lab units at epoch 1, 14.20 Lab units at epoch 5")
    assert "still improving" in text
    assert "wrong way in 1 of 4 epoch-to-epoch steps (largest 1.70 Lab units)" in text


def test_word_trend_best_earlier_gives_the_distance_and_no_improving_claim():
    text = evaluate.word_trend([18.1, 16.8, 17.9, 18.5], "val ab L2", first_epoch=1)
    assert "best at epoch 2 (16.80); the last epoch is +1.70 from that best" in text
    assert "still improving" not in text
    assert "wrong way in 2 of 3" in text


def test_word_trend_higher_is_better_and_single_epoch():
    rising = evaluate.word_trend([20.0, 21.0, 22.5], "val PSNR", lower_is_better=False)
    assert "still improving" in rising and "wrong way in 0 of 2" in rising
    assert "no trend" in evaluate.word_trend([3.0], "loss")
    with pytest.raises(ValueError):
        evaluate.word_trend([], "loss")


def test_word_against_chance_three_verdicts():
    words = dict(what="D's loss", below="D wins", above="G wins")
    ln2 = math.log(2)
    assert evaluate.word_against_chance([0.5, 0.18], ln2, **words).endswith(": D wins")
    assert evaluate.word_against_chance([0.5, 0.66], ln2, **words).endswith(
        ": neither side clearly wins")
    assert evaluate.word_against_chance([0.5, 1.2], ln2, **words).endswith(": G wins")
    text = evaluate.word_against_chance([0.49, 0.45], 0.5, **words, first_epoch=1)
    assert "0.49 at epoch 1, 0.45 at epoch 2, 90.0% of its chance level 0.50" in text


@pytest.mark.parametrize("last, side", [(0.18, "below"), (0.66, "within"), (1.2, "above")])
def test_word_against_chance_says_where_the_value_is_against_the_band(last, side):
    # the bracket once read "(near chance: 75% to 125%)" under a value of 26%
    text = evaluate.word_against_chance([0.5, last], math.log(2), "D's loss", "D", "G")
    assert f"({side} the near-chance band, 75% to 125%)" in text
    assert "(near chance:" not in text


@pytest.mark.parametrize(
    "train, val, words",
    [
        (0.0141, 0.0133, "is above the val loss (0.0133): no sign that the network memorises"),
        (0.0130, 0.0133, "is 2.3% below the val loss (0.0133), within 20%: no sign"),
        (0.0100, 0.0133, "is 24.8% below the val loss (0.0133), more than 20%: the network fits"),
        (0.0133, 0.0133, "is equal to the val loss: no sign"),
    ],
)
def test_word_memorising_reads_the_two_losses_the_right_way_round(train, val, words):
    text = evaluate.word_memorising(train, val, gap=0.2)
    assert text.startswith(f"last epoch: the train loss ({train:.4f}) ") and words in text
    assert "not more than" not in text  # the old sentence, wrong when train > val


@pytest.mark.parametrize("train, val, gap", [(0.0, 1.0, 0.2), (1.0, float("nan"), 0.2),
                                             (1.0, 1.0, 1.5), (-1.0, 1.0, 0.2)])  # fmt: skip
def test_word_memorising_rejects_bad_input(train, val, gap):
    with pytest.raises(ValueError, match="word_memorising"):
        evaluate.word_memorising(train, val, gap)


def test_word_against_chance_rejects_bad_input():
    with pytest.raises(ValueError):
        evaluate.word_against_chance([], 0.5, "x", "a", "b")
    with pytest.raises(ValueError):
        evaluate.word_against_chance([0.1], 0.0, "x", "a", "b")


def test_word_trend_keeps_small_losses_readable():
    text = evaluate.word_trend([0.0287, 0.0183, 0.0298, 0.0141], "train loss")
    assert "0.0287 at epoch 1, 0.0141 at epoch 4" in text
    assert "(largest 0.0115)" in text
