"""Training losses for colorization, as plain differentiable torch functions.

Written here, not taken from a library, because the losses *are* the lesson: each
one is a few lines over ``torch.nn.functional`` and says exactly how it reduces
and weights pixels. Nothing in this module knows about the gamut; callers pass
plain tensors (for example rebalancing weights looked up in the gamut's prior).

Shapes, ranges and units
------------------------
- Regression (:func:`regression_loss`): prediction and target ab as
  ``(N, 2, H, W)``, in whatever units the caller trains in. The package trains on
  *normalised* ab, ``ab / 110`` (see :func:`colorlib.lab.normalize_ab`), so an error
  of 0.1 there is 11 Lab units.
- Classification (:func:`soft_cross_entropy`): logits ``(N, Q, H, W)`` over the Q
  ab bins, soft targets ``(N, Q, H, W)`` that sum to 1 over Q.
- Optional per-pixel weights are ``(N, H, W)``, non-negative. Weighted losses are
  ``mean over pixels of (weight * per-pixel loss)``: they are divided by the number
  of pixels, *not* by the sum of the weights, so all-ones weights give exactly the
  unweighted loss and weights whose mean is 1 under the data (as Zhang et al.'s
  rebalancing weights are normalised) keep the loss on the same scale.

Every loss returns a 0-dim tensor in the input's dtype and device.

Example
-------
>>> import torch
>>> from colorlib import losses
>>> pred, target = torch.zeros(2, 2, 8, 8), torch.full((2, 2, 8, 8), 0.5)
>>> float(losses.regression_loss(pred, target, kind="l1"))
0.5
>>> losses.REGRESSION_KINDS  # valid names, for a CLI or config file
('l2', 'smooth_l1', 'l1')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

import torch
import torch.nn.functional as F

from colorlib import checks
from colorlib.profiles import REGRESSION_LOSSES

__all__ = [
    "REGRESSION_KINDS",
    "ADVERSARIAL_MODES",
    "regression_loss",
    "soft_cross_entropy",
    "adversarial_loss",
    "cycle_loss",
]


# --------------------------------------------------------------------------- checks


def _weighted_pixel_mean(
    per_element: torch.Tensor, pixel_weights: torch.Tensor | None
) -> torch.Tensor:
    """Mean of ``(N, C, H, W)`` per-element losses, each pixel scaled by its weight.

    ``mean(w[n, h, w] * loss[n, c, h, w])`` over all N*C*H*W elements: divided by the
    element count, not by the weight sum (see the module docstring).
    """
    if pixel_weights is None:
        return per_element.mean()
    return (per_element * pixel_weights.unsqueeze(1).to(per_element.dtype)).mean()


# ----------------------------------------------------------------------- regression

#: The per-element regression losses :func:`regression_loss` knows, by name.
_PER_ELEMENT_REGRESSION: Mapping[str, Callable[[torch.Tensor, torch.Tensor, float], torch.Tensor]]
_PER_ELEMENT_REGRESSION = MappingProxyType(
    {
        "l2": lambda pred, target, beta: F.mse_loss(pred, target, reduction="none"),
        "smooth_l1": lambda pred, target, beta: F.smooth_l1_loss(
            pred, target, reduction="none", beta=beta
        ),
        "l1": lambda pred, target, beta: F.l1_loss(pred, target, reduction="none"),
    }
)

#: Valid ``kind`` names for :func:`regression_loss` (for the training engine and CLI),
#: declared torch-free in :data:`colorlib.profiles.REGRESSION_LOSSES`.
REGRESSION_KINDS = REGRESSION_LOSSES


def regression_loss(
    pred: torch.Tensor,
    target: torch.Tensor,
    kind: str = "l2",
    *,
    beta: float = 1.0,
    pixel_weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """Regression loss on ab, chosen by name: the poster's L2 and Smooth L1, and L1.

    Per element, with ``d = pred - target``:

    - ``"l2"``: ``d**2`` (mean squared error). This is the *squared* error, unlike
      the metric :func:`colorlib.metrics.ab_l2`, which averages Euclidean distances.
    - ``"smooth_l1"``: ``0.5 * d**2 / beta`` where ``|d| < beta``, else
      ``|d| - 0.5 * beta`` (``torch.nn.functional.smooth_l1_loss``). ``beta`` is in
      the units of ``pred``: on the package's ab / 110 the default 1.0 puts the knee
      at 110 Lab units, beyond almost every real error, so the loss is then
      practically ``0.5 * MSE``; for a knee at k Lab units pass ``beta = k / 110``.
    - ``"l1"``: ``|d|`` (mean absolute error; pix2pix's reconstruction term).

    Args:
        pred, target: ``(N, 2, H, W)``, same units (the package uses ab / 110).
        kind: one of :data:`REGRESSION_KINDS`.
        beta: the smooth-L1 knee, >= 0 (0 gives plain L1). Ignored by other kinds.
        pixel_weights: optional ``(N, H, W)`` non-negative weights per pixel.

    Returns:
        0-dim tensor: mean over N, both channels, H and W of the per-element loss
        (each pixel scaled by its weight when ``pixel_weights`` is given).

    Raises:
        ValueError: unknown ``kind`` (the message lists the valid ones), wrong or
            mismatched shapes, negative ``beta``.
    """
    if kind not in _PER_ELEMENT_REGRESSION:
        valid = ", ".join(repr(k) for k in REGRESSION_KINDS)
        raise ValueError(f"unknown regression loss {kind!r}; valid names: {valid}")
    what = f"regression_loss({kind!r})"
    checks.image_batch(pred, 2, "pred", what, floating=True)
    checks.image_batch(target, 2, "target", what, floating=True)
    checks.same_shape(pred, target, ("pred", "target"), what)
    if pixel_weights is not None:
        checks.pixel_weights(pixel_weights, pred, what)
    if not beta >= 0:  # also rejects NaN
        raise ValueError(f"{what}: beta must be >= 0, got {beta}")
    per_element = _PER_ELEMENT_REGRESSION[kind](pred, target, float(beta))
    return _weighted_pixel_mean(per_element, pixel_weights)


# ------------------------------------------------------------------- classification


def soft_cross_entropy(
    logits: torch.Tensor,
    soft_targets: torch.Tensor,
    pixel_weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """Cross-entropy against soft (probability) targets over Q ab bins.

    Zhang et al. 2016, eq. 2: for each pixel, ``-sum_q z_q * log softmax(logits)_q``,
    scaled by the pixel's rebalancing weight ``v``, averaged over pixels. In Zhang's
    scheme ``v`` is the rebalancing weight of the pixel's ground-truth bin (the
    nearest bin to its true ab); the caller computes it (e.g. from
    :mod:`colorlib.gamut`'s prior) and passes it here.

    Args:
        logits: ``(N, Q, H, W)`` unnormalised scores (log-softmax is taken over Q).
        soft_targets: ``(N, Q, H, W)``, non-negative, summing to 1 over Q at each
            pixel (e.g. Zhang's Gaussian soft-encoding over 5 nearest bins). Not
            checked, to avoid a device sync per step.
        pixel_weights: optional ``(N, H, W)`` non-negative weights per pixel.

    Returns:
        0-dim tensor: mean over the N*H*W pixels of ``v * cross-entropy`` (in nats).
        Without weights this equals
        ``torch.nn.functional.cross_entropy(logits, soft_targets)``.
    """
    what = "soft_cross_entropy"
    checks.image_batch(logits, None, "logits", what, floating=True)
    checks.tensor(soft_targets, "soft_targets", what)
    checks.same_shape(logits, soft_targets, ("logits (N, Q, H, W)", "soft_targets"), what)
    if pixel_weights is not None:
        checks.pixel_weights(pixel_weights, logits, what)
    log_probs = F.log_softmax(logits, dim=1)
    per_pixel = -(soft_targets.to(log_probs.dtype) * log_probs).sum(dim=1)  # (N, H, W)
    if pixel_weights is not None:
        per_pixel = per_pixel * pixel_weights.to(per_pixel.dtype)
    return per_pixel.mean()


# ---------------------------------------------------------------------- adversarial

#: The GAN objectives :func:`adversarial_loss` knows.
ADVERSARIAL_MODES = ("vanilla", "lsgan")


def adversarial_loss(
    logits: torch.Tensor, target_is_real: bool, mode: str = "vanilla"
) -> torch.Tensor:
    """GAN loss of a discriminator's raw outputs against an all-real or all-fake label.

    - ``"vanilla"`` (Goodfellow et al. 2014; pix2pix): binary cross-entropy with
      logits against 1 (real) or 0 (fake); a sigmoid is applied inside, so pass
      raw scores.
    - ``"lsgan"`` (Mao et al. 2017): mean squared error of the raw outputs to 1 or 0
      (no sigmoid).

    For the discriminator: ``adversarial_loss(D(real), True) + adversarial_loss(D(fake),
    False)``; for the generator (non-saturating): ``adversarial_loss(D(fake), True)``.

    Args:
        logits: discriminator output, any shape (e.g. PatchGAN ``(N, 1, h, w)``).
        target_is_real: ``True`` to compare against "real", ``False`` for "fake".
        mode: ``"vanilla"`` or ``"lsgan"``.

    Returns:
        0-dim tensor, the mean over all elements of ``logits``.
    """
    checks.tensor(logits, "logits", "adversarial_loss")
    if not isinstance(target_is_real, bool):
        raise TypeError(f"target_is_real must be a bool, got {type(target_is_real).__name__}")
    if mode not in ADVERSARIAL_MODES:
        raise ValueError(
            f"unknown adversarial mode {mode!r}; valid modes: "
            + ", ".join(repr(m) for m in ADVERSARIAL_MODES)
        )
    target = torch.full_like(logits, 1.0 if target_is_real else 0.0)
    if mode == "vanilla":
        return F.binary_cross_entropy_with_logits(logits, target)
    return F.mse_loss(logits, target)


# ---------------------------------------------------------------------------- cycle


def cycle_loss(
    reconstructed: torch.Tensor, original: torch.Tensor, weight: float = 1.0
) -> torch.Tensor:
    """Cycle-consistency loss (CycleGAN, Zhu et al. 2017): ``weight * mean |rec - orig|``.

    The weight is applied here (CycleGAN uses ``weight = 10``); the default 1.0
    leaves it to the caller.

    Args:
        reconstructed: the image after the round trip, e.g. ``G_BA(G_AB(x))``; any
            shape, usually ``(N, C, H, W)``.
        original: the image it should equal, same shape and units.
        weight: non-negative multiplier (lambda in the CycleGAN paper).

    Returns:
        0-dim tensor.
    """
    checks.tensor(reconstructed, "reconstructed", "cycle_loss")
    checks.tensor(original, "original", "cycle_loss")
    checks.same_shape(reconstructed, original, ("reconstructed", "original"), "cycle_loss")
    if not weight >= 0:
        raise ValueError(f"cycle_loss: weight must be >= 0, got {weight}")
    return weight * F.l1_loss(reconstructed, original)
