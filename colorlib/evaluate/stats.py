"""Statistics over per-image values: paired differences, bootstrap intervals, spread.

:func:`paired_difference` and :func:`bootstrap_ci` turn per-image values (from
:func:`colorlib.evaluate.evaluate`) into a difference or a mean with its uncertainty;
:func:`check_beats_gray` is a quick retrain's sanity check; :func:`sample_spread`
measures how much a generator's colours vary with its noise.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch

from colorlib.colorizer import device_of

__all__ = ["bootstrap_ci", "check_beats_gray", "paired_difference", "sample_spread"]


def paired_difference(
    ours: torch.Tensor,
    theirs: torch.Tensor,
    lower_is_better: bool = True,
    weights: torch.Tensor | None = None,
) -> tuple[float, float, str]:
    """Mean per-image difference ``ours - theirs``, two standard errors, and a verdict.

    Args:
        ours, theirs: ``(N,)`` per-image values of one metric on the same images.
        lower_is_better: the metric's direction (True for ab L2).
        weights: optional ``(N,)`` image weights >= 0: the difference of the *pooled*
            means ``sum(w * d) / sum(w)`` instead, e.g. Zhang et al.'s rebalanced AuC
            over every pixel of a set (each image's per-image AuC weighted by its total
            pixel weight, :func:`~colorlib.evaluate.rebalanced_weight`). Its standard
            error is the ratio estimator's (linearised): ``sqrt(N / (N - 1) *
            sum(w**2 (d - mean)**2)) / sum(w)``, which equal weights turn into the
            plain one.

    Returns:
        ``(mean, margin, verdict)``: the mean difference, two standard errors of the
        mean of the paired differences, and ``"better"``, ``"worse"`` or ``"tie"``
        (zero within the margin). Two standard errors: a rough 95% interval, fine
        for reading a table; notebook 05 bootstraps proper intervals.
    """
    if ours.shape != theirs.shape or ours.dim() != 1 or len(ours) < 2:
        raise ValueError(
            f"paired_difference: need two (N,) tensors, N >= 2, got {tuple(ours.shape)} "
            f"and {tuple(theirs.shape)}"
        )
    diff = (ours - theirs).double()
    if weights is None:
        mean, margin = diff.mean().item(), 2 * diff.std().item() / len(diff) ** 0.5
    else:
        w = weights.double()
        if w.shape != diff.shape or not bool(torch.isfinite(w).all()) or (w < 0).any():
            raise ValueError(f"paired_difference: weights must be ({len(diff)},), finite, >= 0")
        if w.sum() <= 0:
            raise ValueError("paired_difference: the weights sum to 0")
        mean = float((w * diff).sum() / w.sum())
        n = len(diff)
        spread = (n / (n - 1) * (w**2 * (diff - mean) ** 2).sum()).sqrt()
        margin = 2 * float(spread / w.sum())
    gain = -mean if lower_is_better else mean
    verdict = "better" if gain > margin else "worse" if gain < -margin else "tie"
    return mean, margin, verdict


def bootstrap_ci(
    values: torch.Tensor, confidence: float = 0.95, resamples: int = 1000, seed: int = 0
) -> tuple[float, float, float]:
    """Mean of per-image ``values`` and its bootstrap confidence interval.

    Resampling images with replacement (``scipy.stats.bootstrap``, percentile
    method; a well-kept library, so not rewritten here).

    Returns:
        ``(mean, low, high)``.
    """
    from scipy.stats import bootstrap

    data = values.double().cpu().numpy()
    if data.ndim != 1 or len(data) < 2:
        raise ValueError(f"bootstrap_ci: need (N,) values with N >= 2, got {data.shape}")
    result = bootstrap(
        (data,), lambda x, axis: x.mean(axis=axis), confidence_level=confidence,
        n_resamples=resamples, method="percentile", random_state=seed, vectorized=True,
    )  # fmt: skip
    low, high = result.confidence_interval
    return float(data.mean()), float(low), float(high)


def check_beats_gray(
    results: Mapping[str, Mapping[str, torch.Tensor]], gray: str = "gray guess"
) -> None:
    """Raise unless every method's mean ab L2 is below the gray guess's.

    The sanity check of a quick retrain (CI): a model that cannot beat "ab = 0" has
    not learned anything. ``results`` maps names to :func:`~colorlib.evaluate.evaluate`
    outputs and must hold ``gray``; every other entry counts as a method.

    Raises:
        ValueError: naming each method that does not beat gray, with both numbers.
    """
    if gray not in results:
        raise ValueError(f"check_beats_gray: no {gray!r} entry among {list(results)}")
    floor = float(results[gray]["ab_l2"].mean())
    losers = [
        f"{name} ({float(values['ab_l2'].mean()):.2f})"
        for name, values in results.items()
        if name != gray and float(values["ab_l2"].mean()) >= floor
    ]
    if losers:
        raise ValueError(f"ab L2 not below the gray guess's {floor:.2f}: {', '.join(losers)}")


@torch.no_grad()
def sample_spread(
    colorizer: torch.nn.Module,
    L: torch.Tensor,
    samples: int = 8,
    dropout: bool = False,
    seed: int = 0,
) -> torch.Tensor:
    """How much a generator's colours vary with its randomness, per image.

    pix2pix feeds its generator noise through dropout (kept on at test time in the
    paper) and, optionally, an explicit noise input (:class:`colorlib.models.UNetGenerator`
    ``noise_channels``); Isola et al. report that the output barely depends on it.
    This measures it: ``samples`` predictions of the same L, each with fresh noise
    (and, if ``dropout``, with the network's ``nn.Dropout`` layers active while
    BatchNorm stays in eval mode).

    Args:
        colorizer: a :class:`colorlib.colorizer.Colorizer` (or any module mapping L
            ``(N, 1, S, S)`` in [0, 100] to ab ``(N, 2, S, S)`` in Lab units).
        L: ``(N, 1, S, S)``, Lab L in [0, 100].
        samples: predictions per image (>= 2).
        dropout: also draw dropout masks (the paper's test-time noise).
        seed: seeds the draws (the global torch RNG is restored afterwards).

    Returns:
        ``(N,)`` float64: per image, the mean over pixels of the standard deviation
        over samples of the ab vector (``sqrt(var a + var b)``), in Lab units; 0 for
        a deterministic colorizer.
    """
    if samples < 2:
        raise ValueError(f"sample_spread: samples must be >= 2, got {samples}")
    device = device_of(colorizer)
    was_training = colorizer.training
    colorizer.eval()
    dropouts = [m for m in colorizer.modules() if isinstance(m, torch.nn.Dropout)]
    state = torch.random.get_rng_state()
    try:
        torch.manual_seed(seed)
        for module in dropouts:
            module.train(dropout)
        draws = torch.stack([colorizer(L.to(device)).float().cpu() for _ in range(samples)])
    finally:
        torch.random.set_rng_state(state)
        colorizer.train(was_training)
    spread = draws.var(dim=0, unbiased=True).sum(dim=1).sqrt()  # (N, S, S)
    return spread.flatten(1).mean(dim=1).double()
