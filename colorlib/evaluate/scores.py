"""From a prediction to per-image numbers: the metrics, and a classifier as a judge.

:func:`evaluate` scores a prediction (:mod:`colorlib.evaluate.prediction`) with
:mod:`colorlib.metrics`, one value per image and metric; :func:`rebalanced_auc` is
Zhang et al.'s class-rebalanced AuC; :func:`classifier_correct`, :func:`accuracy` and
:func:`judge` ask whether a classifier still recognises colorized photos;
:func:`by_class` averages per-image values within each class.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import torch
from torch.utils.data import DataLoader, Dataset

from colorlib import metrics
from colorlib.colorizer import device_of
from colorlib.evaluate.prediction import constant_colorizer, predict, with_rgb

__all__ = [
    "METRICS",
    "PSNR_MAX_DB",
    "accuracy",
    "by_class",
    "classifier_correct",
    "evaluate",
    "judge",
    "pooled_mean",
    "rebalanced_auc",
    "rebalanced_weight",
]


PSNR_MAX_DB = 100.0
"""PSNR cap in dB. An image whose prediction is exact (e.g. a grayscale photo and the
gray guess) has MSE 0 and PSNR +inf, which would make the mean over images inf;
capping at 100 dB (MSE 1e-10, far below 8-bit quantisation, about 48 dB) keeps the
mean finite and moves it by at most (100 - true value) / N. :func:`colorlib.train.fit`
uses the same cap for ``val_psnr``."""


METRICS = ("ab_l2", "ab_l2_squared", "auc", "psnr", "ssim", "colorfulness", "colorfulness_true")
"""The per-image metrics :func:`evaluate` returns, in this order."""


def evaluate(pred: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Per-image metrics of a prediction (:func:`~colorlib.evaluate.predict`,
    :func:`~colorlib.evaluate.baselines`).

    Returns:
        ``{name: (N,) float64}`` for every name in :data:`METRICS`:

        - ``"ab_l2"``: mean Euclidean ab distance per pixel, Lab units (the poster's
          "pixel-wise L2"; :func:`colorlib.metrics.ab_l2`); lower is better.
        - ``"ab_l2_squared"``: mean *squared* ab distance per pixel, Lab units squared:
          what an L2 loss minimises (on ab / 110, so up to a factor 110**2 / 2).
        - ``"auc"``: raw AuC of the ab-error CDF over thresholds 0-150 (Zhang et al.
          2016; :func:`colorlib.metrics.ab_auc`), in [0, 1]; higher is better.
        - ``"psnr"``: PSNR of ``rgb_pred`` against ``rgb_true`` in dB, capped at
          :data:`PSNR_MAX_DB` (see there why); higher is better.
        - ``"ssim"``: SSIM of the same pair (scikit-image, 7x7 uniform window).
        - ``"colorfulness"``, ``"colorfulness_true"``: Hasler & Suesstrunk's M of
          ``rgb_pred`` and of ``rgb_true``: how vivid the prediction is next to the
          truth (an L2-trained model typically falls short; higher is not "better").

    Keys ``rgb_true``/``rgb_pred`` are rebuilt from L and ab when missing.
    """
    missing = {"L", "ab_true", "ab_pred"} - set(pred)
    if missing:
        raise ValueError(f"evaluate: the prediction lacks {sorted(missing)}")
    if "rgb_true" not in pred or "rgb_pred" not in pred:
        pred = with_rgb(dict(pred))
    ab_pred, ab_true = pred["ab_pred"], pred["ab_true"]
    rgb_pred, rgb_true = pred["rgb_pred"], pred["rgb_true"]
    return {
        "ab_l2": metrics.ab_l2(ab_pred, ab_true),
        "ab_l2_squared": metrics.ab_l2(ab_pred, ab_true, squared=True),
        "auc": metrics.ab_auc(ab_pred, ab_true),
        "psnr": metrics.psnr(rgb_pred, rgb_true, max_db=PSNR_MAX_DB),
        "ssim": metrics.ssim(rgb_pred, rgb_true),
        "colorfulness": metrics.colorfulness(rgb_pred),
        "colorfulness_true": metrics.colorfulness(rgb_true),
    }


def _pixel_weights(ab_true: torch.Tensor, prior: torch.Tensor) -> torch.Tensor:
    """``(N, H, W)``: 1 / prior of the ab bin nearest each pixel's true ab (bins the
    training set never used get the smallest positive prior)."""
    from colorlib.gamut import ABGamut

    gamut = ABGamut()
    if prior.shape != (gamut.Q,):
        raise ValueError(f"rebalanced_auc: prior must be ({gamut.Q},), got {tuple(prior.shape)}")
    floor = prior[prior > 0].min()
    weights = 1.0 / prior.clamp_min(floor)
    return weights[gamut.nearest(ab_true)]


def rebalanced_auc(pred: Mapping[str, torch.Tensor], prior: torch.Tensor) -> torch.Tensor:
    """Zhang et al.'s class-rebalanced AuC per image: each pixel weighted by
    ``1 / prior`` of the ab bin nearest its true ab, so rare (vivid) colours count as
    much as common (grey, brown) ones.

    Per image: each image's weights are normalised, so every image counts once in a
    mean over images. Zhang et al.'s Table 1 pools every pixel of the test set
    instead; :func:`pooled_mean` with :func:`rebalanced_weight` gives that number
    from these per-image values.

    Args:
        pred: a prediction (``ab_pred``, ``ab_true``; :func:`~colorlib.evaluate.predict`).
        prior: ``(Q,)`` the empirical prior of :class:`colorlib.gamut.ABGamut` bins,
            from the training photos (``ABGamut().prior(...)``); bins the training
            set never uses get the smallest positive prior.

    Returns:
        ``(N,)`` float64 in [0, 1].
    """
    pixel_weights = _pixel_weights(pred["ab_true"], prior)
    return metrics.ab_auc(pred["ab_pred"], pred["ab_true"], pixel_weights=pixel_weights).double()


def rebalanced_weight(ab_true: torch.Tensor, prior: torch.Tensor) -> torch.Tensor:
    """Each image's total rebalancing weight: the sum over its pixels of ``1 / prior``
    of the bin nearest the true ab, ``(N,)`` float64.

    An image of rare, vivid colours weighs more than a grey one. Zhang et al.'s pooled
    rebalanced AuC over a set, every pixel of every image counted together, is the mean
    of the per-image :func:`rebalanced_auc` weighted by these:
    ``pooled_mean(rebalanced_auc(pred, prior), rebalanced_weight(ab_true, prior))``
    (exact: a per-image AuC is its pixels' weighted mean).

    Args:
        ab_true: ``(N, 2, H, W)`` true ab, Lab units.
        prior: ``(Q,)`` as for :func:`rebalanced_auc`.
    """
    return _pixel_weights(ab_true, prior).double().flatten(1).sum(dim=1)


def pooled_mean(values: torch.Tensor, weights: torch.Tensor) -> float:
    """``sum(weights * values) / sum(weights)`` over images: a per-image metric pooled
    over every pixel of the set (see :func:`rebalanced_weight`)."""
    if values.shape != weights.shape or values.dim() != 1:
        raise ValueError(
            f"pooled_mean: need (N,) values and weights, got {tuple(values.shape)} and "
            f"{tuple(weights.shape)}"
        )
    w = weights.double()
    return float((w * values.double()).sum() / w.sum())


@torch.no_grad()
def classifier_correct(
    classifier: torch.nn.Module,
    source: Dataset | torch.Tensor,
    labels: torch.Tensor | None = None,
    batch_size: int = 500,
) -> torch.Tensor:
    """Whether a classifier labels each photo right: ``(N,)`` bool.

    Args:
        classifier: sRGB ``(B, 3, S, S)`` in [0, 1] -> logits (e.g.
            ``colorlib.models.CifarClassifier``); run in eval mode.
        source: a dataset of items with ``"rgb"`` and ``"label"``, or an sRGB tensor
            ``(N, 3, S, S)`` (a colorization: ``predict(...)["rgb_pred"]``), then with
            ``labels`` ``(N,)``.
    """
    device = device_of(classifier)
    was_training = classifier.training
    classifier.eval()
    if isinstance(source, torch.Tensor):
        if labels is None or len(labels) != len(source):
            raise ValueError("accuracy: an image tensor needs labels of the same length")
        batches = zip(source.split(batch_size), labels.split(batch_size), strict=True)
    else:
        loader = DataLoader(source, batch_size=batch_size, shuffle=False)
        batches = ((b["rgb"], b["label"]) for b in loader)
    parts = []
    try:
        with torch.no_grad():
            for rgb, label in batches:
                guess = classifier(rgb.float().to(device)).argmax(dim=1).cpu()
                parts.append(guess == torch.as_tensor(label))
    finally:
        classifier.train(was_training)
    if not parts:
        raise ValueError("accuracy: no photos")
    return torch.cat(parts)


def accuracy(
    classifier: torch.nn.Module,
    source: Dataset | torch.Tensor,
    labels: torch.Tensor | None = None,
    batch_size: int = 500,
) -> float:
    """Share of photos a classifier labels right (0-1); arguments as
    :func:`classifier_correct`."""
    return float(classifier_correct(classifier, source, labels, batch_size).double().mean())


def judge(
    classifier: torch.nn.Module,
    dataset: Dataset,
    colorizers: Mapping[str, Callable[[torch.Tensor], torch.Tensor]],
    *,
    device: str | torch.device | None = None,
    limit: int | None = None,
) -> dict[str, torch.Tensor]:
    """Zhang et al.'s semantic-interpretability test: does a classifier trained on
    real colour photos still recognise them after colorization?

    Args:
        classifier: sRGB -> logits, trained on colour photos of ``dataset``'s classes.
        dataset: labelled test photos (items with ``L``, ``ab``, ``rgb``, ``label``).
        colorizers: ``{name: colorizer}``; each colourises the photos' L (resized to
            its training size and back, as :func:`~colorlib.evaluate.predict` with
            ``resize=True``).
        device: where everything runs (None: where the classifier is).
        limit: the first ``limit`` photos only.

    Returns:
        ``{"real colour": (N,) bool, "gray": (N,) bool, **{name: (N,) bool}}``: whether
        the classifier labels each photo right, on the real photo, on its gray
        version (ab = 0) and on each colorization.
    """
    device = torch.device(device) if device is not None else device_of(classifier)
    classifier.to(device)
    truth = predict(constant_colorizer(torch.zeros(2)), dataset, limit=limit)
    labels = truth["label"]
    out = {
        "real colour": classifier_correct(classifier, truth["rgb_true"], labels),
        "gray": classifier_correct(classifier, truth["rgb_pred"], labels),
    }
    for name, colorizer in colorizers.items():
        pred = predict(colorizer, dataset, device=device, limit=limit, resize=True)
        out[name] = classifier_correct(classifier, pred["rgb_pred"], labels)
    return out


def by_class(
    values: torch.Tensor, labels: torch.Tensor, classes: Sequence[str]
) -> dict[str, float]:
    """Mean of per-image ``values`` ``(N,)`` within each class (``labels`` ``(N,)``)."""
    if values.shape != labels.shape:
        raise ValueError(f"by_class: {tuple(values.shape)} values, {tuple(labels.shape)} labels")
    return {
        name: float(values[labels == i].double().mean())
        for i, name in enumerate(classes)
        if (labels == i).any()
    }
