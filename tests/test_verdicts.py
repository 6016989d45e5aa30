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


def test_word_against_chance_rejects_bad_input():
    with pytest.raises(ValueError):
        evaluate.word_against_chance([], 0.5, "x", "a", "b")
    with pytest.raises(ValueError):
        evaluate.word_against_chance([0.1], 0.0, "x", "a", "b")


def test_word_trend_keeps_small_losses_readable():
    text = evaluate.word_trend([0.0287, 0.0183, 0.0298, 0.0141], "train loss")
    assert "0.0287 at epoch 1, 0.0141 at epoch 4" in text
    assert "(largest 0.0115)" in text
