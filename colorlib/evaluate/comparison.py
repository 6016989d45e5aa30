"""Several colorizers on one dataset, with their floors, scored and tabled in one call.

What notebooks 01 to 05 do for every table: :func:`~colorlib.evaluate.predict` each
colorizer, add the do-nothing :func:`~colorlib.evaluate.baselines`, score every row
with :func:`~colorlib.evaluate.evaluate`, print a
:func:`~colorlib.evaluate.summary_table`. :func:`compare` is that sequence, number
for number; :class:`Comparison` holds what it found.

Example
-------
>>> from colorlib import data, evaluate, pretrained
>>> test_set = data.load("cifar10", "test")
>>> train_mean = evaluate.mean_ab(data.load("cifar10", "train"))
>>> models = {"SeedCNN": pretrained.load("cifar10-seedcnn-l2")}
>>> comparison = evaluate.compare(models, test_set, train_mean, limit=2000)
>>> print(comparison)  # SeedCNN, gray guess, mean colouring
>>> comparison.scores["SeedCNN"]["ab_l2"]  # (2000,) float64, one value per photo
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import torch
from torch.utils.data import Dataset

from colorlib.evaluate.prediction import BASELINES, Prediction, constant_colorizer, predict
from colorlib.evaluate.prediction import baselines as do_nothing
from colorlib.evaluate.scores import evaluate
from colorlib.evaluate.tables import summary_table

__all__ = ["Comparison", "compare"]

TRUTH = "ground truth"
"""The name of the row whose prediction is the true ab (``compare(..., truth=True)``)."""


@dataclass(frozen=True, repr=False)
class Comparison:
    """What :func:`compare` found: one row per name, in the table's order.

    Attributes:
        predictions: name -> prediction (as :func:`~colorlib.evaluate.predict`
            returns): the colorizers in the order given, then the baselines, then
            ``"ground truth"`` when asked for.
        scores: name -> per-image scores ``{metric: (N,) float64}``
            (:func:`~colorlib.evaluate.evaluate`, then any ``extra`` scores); the
            same names in the same order.
        colorizers: the names of the rows that came from a colorizer, in order.

    ``str(comparison)`` is :meth:`table`.
    """

    predictions: dict[str, Prediction]
    scores: dict[str, dict[str, torch.Tensor]]
    colorizers: tuple[str, ...]

    def table(self, digits: int = 2, legend: bool = True) -> str:
        """:func:`~colorlib.evaluate.summary_table` of :attr:`scores`, every row in order."""
        return summary_table(self.scores, digits=digits, legend=legend)

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        images = len(next(iter(self.predictions.values()))["L"])
        return f"Comparison({list(self.scores)}, {images:,} images)"


def compare(
    colorizers: Mapping[str, Callable[[torch.Tensor], torch.Tensor]],
    dataset: Dataset,
    train_mean: torch.Tensor | Sequence[float] | None = None,
    *,
    limit: int | None = None,
    resize: bool = False,
    progress: bool = False,
    batch_size: int = 256,
    device: str | torch.device | None = None,
    baselines: Sequence[str] | None = None,
    suffix: str = "",
    truth: bool = False,
    extra: Callable[[Prediction], Mapping[str, torch.Tensor]] | None = None,
) -> Comparison:
    """Predict with every colorizer on ``dataset``, add the baselines, score every row.

    The same numbers as doing it by hand: ``predict`` each colorizer, then
    ``baselines(first prediction, train_mean)``, then ``evaluate`` each row.

    Args:
        colorizers: name -> colorizer (as :func:`~colorlib.evaluate.predict` takes),
            predicted in this order; may be empty when only baselines are wanted.
        dataset: the test photos (items ``{"L", "ab", "label", ...}``).
        train_mean: ``(2,)`` mean ab of the **training** photos
            (:func:`~colorlib.evaluate.mean_ab`). Given, the rows ``"gray guess"``
            and ``"mean colouring"`` follow the colorizers; None: no baselines.
        limit, resize, progress, batch_size, device: as
            :func:`~colorlib.evaluate.predict`, for every colorizer.
        baselines: which baselines to add instead of that default, a subset of
            ``("gray guess", "mean colouring")`` in that order (the mean colouring
            needs ``train_mean``); ``()`` for none.
        suffix: appended to the names of the rows added here (baselines, ground
            truth), e.g. ``" (32 px)"`` when tables of two image sizes are joined.
        truth: add a ``"ground truth"`` row last, the true ab scored as a prediction:
            the ceiling of a ranking (:func:`~colorlib.evaluate.ranking_table`;
            :func:`~colorlib.evaluate.summary_table` already prints the truth's
            colourfulness).
        extra: prediction -> ``{name: (N,) values}``, more per-image scores added
            after the metrics of every row (e.g. ``lambda pred: {"auc_rebalanced":
            evaluate.rebalanced_auc(pred, prior)}``).

    Returns:
        A :class:`Comparison`; ``print`` it for the summary table.

    Raises:
        ValueError: nothing to compare, an unknown baseline, the mean colouring
            without ``train_mean``, or two rows of the same name.
    """
    if baselines is None:
        baselines = BASELINES if train_mean is not None else ()
    wanted = tuple(baselines)
    unknown = [name for name in wanted if name not in BASELINES]
    if unknown:
        raise ValueError(f"compare: unknown baselines {unknown}; choose from {list(BASELINES)}")
    needs_mean = BASELINES[1] in wanted
    if needs_mean and train_mean is None:
        raise ValueError(f"compare: the {BASELINES[1]!r} baseline needs train_mean")
    if not colorizers and not wanted and not truth:
        raise ValueError("compare: no colorizers and no baselines: nothing to compare")
    settings = dict(limit=limit, progress=progress)
    predictions = {
        name: predict(colorizer, dataset, batch_size, device, resize=resize, **settings)
        for name, colorizer in colorizers.items()
    }
    if predictions:
        first = next(iter(predictions.values()))
    else:  # only baselines: the photos' L and true ab, from a colorizer that paints gray
        first = predict(constant_colorizer(torch.zeros(2)), dataset, batch_size, **settings)
    added = {}
    if wanted:
        floors = do_nothing(first, train_mean if needs_mean else None)
        added.update({name: floors[name] for name in BASELINES if name in wanted})
    if truth:
        added[TRUTH] = {**first, "ab_pred": first["ab_true"], "rgb_pred": first["rgb_true"]}
    for name, prediction in added.items():
        if name + suffix in predictions:
            raise ValueError(f"compare: two rows named {name + suffix!r}")
        predictions[name + suffix] = prediction
    scores = {
        name: {**evaluate(prediction), **(extra(prediction) if extra is not None else {})}
        for name, prediction in predictions.items()
    }
    return Comparison(predictions, scores, tuple(colorizers))
