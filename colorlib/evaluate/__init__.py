"""From a colorizer and a dataset to numbers: one place for notebooks 01 to 05.

The pipeline, one function a step:

1. :func:`predict` runs a colorizer over a dataset and keeps everything the metrics
   need, as one dict of CPU tensors (a "prediction"; its keys, shapes and units in
   :mod:`colorlib.evaluate.prediction`);
2. :func:`evaluate` turns a prediction into per-image metrics, reusing
   :mod:`colorlib.metrics` (:mod:`colorlib.evaluate.scores`);
3. :func:`baselines` gives the two do-nothing predictions every table must show as
   its floor: the **gray guess** (ab = 0) and the **mean colouring** (the training
   set's mean ab, from :func:`mean_ab`, everywhere);
4. :func:`summary_table` prints the means as a fixed-width text table
   (:mod:`colorlib.evaluate.tables`).

:func:`compare` runs the four steps for several colorizers on one dataset
(:mod:`colorlib.evaluate.comparison`). Intervals and paired differences are in
:mod:`colorlib.evaluate.stats`, verdicts worded from numbers in
:mod:`colorlib.evaluate.words`, and the project's quality goal for a vivid colorizer
(pooled rebalanced AuC, as Zhang et al.'s Table 1) in :mod:`colorlib.evaluate.goal`.
:func:`colorlib.records.load_history` reads a
training history (shipped results or a fresh run) for :func:`colorlib.viz.plot_history`.

Example
-------
>>> from colorlib import data, evaluate, pretrained
>>> test_set = data.load("cifar10", "test")
>>> model = pretrained.load("cifar10-seedcnn-l2")
>>> train_mean = evaluate.mean_ab(data.load("cifar10", "train"))
>>> pred = evaluate.predict(model, test_set, limit=2000)
>>> results = {"SeedCNN": evaluate.evaluate(pred)}
>>> for name, guess in evaluate.baselines(pred, train_mean).items():
...     results[name] = evaluate.evaluate(guess)
>>> print(evaluate.summary_table(results))
>>> print(evaluate.compare({"SeedCNN": model}, test_set, train_mean, limit=2000))  # the same
"""

from colorlib.evaluate.comparison import Comparison, compare
from colorlib.evaluate.goal import GOAL_GAIN, quality_goal
from colorlib.evaluate.prediction import baselines, full_size, mean_ab, predict, temperature_sweep
from colorlib.evaluate.scores import (
    METRICS,
    PSNR_MAX_DB,
    accuracy,
    by_class,
    classifier_correct,
    evaluate,
    judge,
    pooled_mean,
    rebalanced_auc,
    rebalanced_weight,
)
from colorlib.evaluate.stats import bootstrap_ci, check_beats_gray, paired_difference, sample_spread
from colorlib.evaluate.tables import ranking_table, summary_table
from colorlib.evaluate.words import (
    CLAIM_RULE,
    Evidence,
    appeal_verdict,
    claim_verdict,
    word_against_chance,
    word_difference,
    word_memorising,
    word_trend,
)

__all__ = [
    "CLAIM_RULE",
    "Evidence",
    "claim_verdict",
    "GOAL_GAIN",
    "METRICS",
    "PSNR_MAX_DB",
    "Comparison",
    "accuracy",
    "classifier_correct",
    "compare",
    "judge",
    "word_against_chance",
    "word_memorising",
    "word_difference",
    "word_trend",
    "baselines",
    "bootstrap_ci",
    "by_class",
    "check_beats_gray",
    "evaluate",
    "full_size",
    "appeal_verdict",
    "paired_difference",
    "pooled_mean",
    "rebalanced_auc",
    "rebalanced_weight",
    "sample_spread",
    "mean_ab",
    "predict",
    "quality_goal",
    "ranking_table",
    "summary_table",
    "temperature_sweep",
]
