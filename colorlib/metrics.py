"""Evaluation metrics for colorization, per image, on batched torch tensors.

Conventions (all functions)
---------------------------
- ab: ``(N, 2, H, W)`` float, in **Lab units** (not the networks' ab / 110; use
  :func:`colorlib.lab.denormalize_ab` first).
- RGB: ``(N, 3, H, W)`` float sRGB in **[0, 1]** (values outside [0, 1] by more than
  1e-3 raise ``ValueError``, which catches 0-255 input).
- Every metric returns a **per-image** ``(N,)`` float64 tensor on the input's device,
  so callers can average, take medians or bootstrap confidence intervals.
  :func:`ab_error_cdf` also returns the curve itself, ``(N, K)``.
- Metrics are for evaluation only: inputs are detached, nothing is differentiable.
- Wrong or mismatched shapes and bad parameters raise a one-line ``ValueError``.

Where the code comes from
-------------------------
- :func:`psnr` and :func:`ssim` call scikit-image (``skimage.metrics``), a
  well-tested reference; only the batching and the settings are ours.
- :func:`ab_l2`, :func:`ab_error_cdf` / :func:`ab_auc` (Zhang et al. 2016) and
  :func:`colorfulness` (Hasler & Suesstrunk 2003) are written here on purpose:
  they are short and the definitions are the lesson.

Example
-------
>>> import torch
>>> from colorlib import metrics
>>> true_ab = torch.randn(2, 2, 16, 16) * 20
>>> metrics.ab_l2(torch.zeros_like(true_ab), true_ab).shape  # gray guess
torch.Size([2])
>>> metrics.ab_auc(true_ab, true_ab)
tensor([1., 1.], dtype=torch.float64)
"""

from __future__ import annotations

import math

import numpy as np
import torch
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from colorlib import checks

__all__ = [
    "ab_l2",
    "psnr",
    "ssim",
    "ab_error_cdf",
    "ab_auc",
    "colorfulness",
]

_RGB_RANGE_TOLERANCE = 1e-3  # float rounding after lab_to_rgb; 0-255 input fails loudly
_SSIM_DEFAULT_WINDOW = 7  # scikit-image's default uniform window


# --------------------------------------------------------------------------- checks


def _as_numpy_images(x: torch.Tensor) -> np.ndarray:
    """``(N, C, H, W)`` tensor -> float64 numpy array of the same shape, on CPU."""
    return x.detach().to(device="cpu", dtype=torch.float64).numpy()


# ------------------------------------------------------------------------- ab error


def _ab_distance(pred_ab: torch.Tensor, true_ab: torch.Tensor) -> torch.Tensor:
    """Per-pixel Euclidean ab distance, ``(N, H, W)`` float64, Lab units."""
    diff = pred_ab.detach().to(torch.float64) - true_ab.detach().to(torch.float64)
    return torch.linalg.vector_norm(diff, dim=1)


def ab_l2(pred_ab: torch.Tensor, true_ab: torch.Tensor, squared: bool = False) -> torch.Tensor:
    """Per-pixel L2 error on ab: the mean Euclidean ab distance per pixel, per image.

    For each image: ``mean over the H*W pixels of sqrt(da**2 + db**2)``, where da and
    db are the prediction's errors in a and b, in **Lab units** (not divided by 110,
    not divided by the number of channels). With ``squared=True``:
    ``mean over pixels of (da**2 + db**2)``, in Lab units squared.

    This is the poster's "Pixel Wise L2 Loss". The poster did not state its
    normalisation (Euclidean or squared, per pixel or per channel, Lab or scaled
    units), so compare with its table only as "mean Euclidean ab distance per pixel,
    Lab units". For scale: predicting gray (ab = 0) on natural photos typically
    scores 10 to 30; a perfect prediction scores 0.

    Args:
        pred_ab, true_ab: ``(N, 2, H, W)`` ab in Lab units.
        squared: return the mean squared distance instead of the mean distance.

    Returns:
        ``(N,)`` float64, >= 0.
    """
    checks.image_batch(pred_ab, 2, "pred_ab", "ab_l2", floating=True)
    checks.image_batch(true_ab, 2, "true_ab", "ab_l2", floating=True)
    checks.same_shape(pred_ab, true_ab, ("pred_ab", "true_ab"), "ab_l2")
    distance = _ab_distance(pred_ab, true_ab)
    per_pixel = distance.square() if squared else distance
    return per_pixel.flatten(1).mean(dim=1)


# ------------------------------------------------------------------- PSNR and SSIM


def psnr(
    pred_rgb: torch.Tensor, true_rgb: torch.Tensor, max_db: float | None = None
) -> torch.Tensor:
    """Peak signal-to-noise ratio in dB, per image, via ``skimage.metrics``.

    Calls ``skimage.metrics.peak_signal_noise_ratio(true, pred, data_range=1)`` on each
    image: ``10 * log10(1 / MSE)``, the MSE taken over all three channels and all
    pixels, in float64.

    Identical images have MSE 0 and PSNR **+inf**, which is returned as is (the
    honest value; numpy's divide-by-zero warning is silenced). An average over images
    that include one is then inf too: pass ``max_db`` (e.g. 100) to cap every value
    at ``max_db`` instead.

    Args:
        pred_rgb, true_rgb: ``(N, 3, H, W)`` sRGB in [0, 1].
        max_db: optional upper bound for the returned values, in dB.

    Returns:
        ``(N,)`` float64, in dB; higher is better.
    """
    checks.image_batch(pred_rgb, 3, "pred_rgb", "psnr", floating=True)
    checks.image_batch(true_rgb, 3, "true_rgb", "psnr", floating=True)
    checks.same_shape(pred_rgb, true_rgb, ("pred_rgb", "true_rgb"), "psnr")
    checks.unit_range(pred_rgb, "pred_rgb", "psnr", _RGB_RANGE_TOLERANCE)
    checks.unit_range(true_rgb, "true_rgb", "psnr", _RGB_RANGE_TOLERANCE)
    if max_db is not None and not max_db > 0:
        raise ValueError(f"psnr: max_db must be > 0 or None, got {max_db}")
    pred_np, true_np = _as_numpy_images(pred_rgb), _as_numpy_images(true_rgb)
    with np.errstate(divide="ignore"):
        values = [
            peak_signal_noise_ratio(t, p, data_range=1.0)
            for p, t in zip(pred_np, true_np, strict=True)
        ]
    out = torch.tensor(values, dtype=torch.float64, device=pred_rgb.device)
    return out if max_db is None else out.clamp(max=max_db)


def _ssim_window(height: int, width: int) -> int:
    """scikit-image's default 7, or the largest odd size that fits a smaller image."""
    side = min(height, width, _SSIM_DEFAULT_WINDOW)
    return side if side % 2 == 1 else side - 1


def ssim(pred_rgb: torch.Tensor, true_rgb: torch.Tensor) -> torch.Tensor:
    """Structural similarity (Wang et al. 2004), per image, via ``skimage.metrics``.

    Calls ``skimage.metrics.structural_similarity(true, pred, data_range=1,
    channel_axis=0)`` on each ``(3, H, W)`` image, in float64, with scikit-image's
    default settings: a **uniform 7x7 window** (``gaussian_weights=False``, not the
    Gaussian sigma-1.5 window of Wang et al.'s reference code), sample covariance,
    K1 = 0.01, K2 = 0.03. SSIM is computed on each of R, G and B and averaged; the
    border of half a window is excluded from the mean, as scikit-image does.

    Small images: the window is 7 for images of at least 7x7 pixels (so 32x32 is
    fine); below that it shrinks to the largest odd size that fits (5 or 3).
    Images smaller than 3x3 raise ``ValueError``.

    Args:
        pred_rgb, true_rgb: ``(N, 3, H, W)`` sRGB in [0, 1].

    Returns:
        ``(N,)`` float64 in [-1, 1]; 1 for identical images.
    """
    checks.image_batch(pred_rgb, 3, "pred_rgb", "ssim", floating=True)
    checks.image_batch(true_rgb, 3, "true_rgb", "ssim", floating=True)
    checks.same_shape(pred_rgb, true_rgb, ("pred_rgb", "true_rgb"), "ssim")
    height, width = pred_rgb.shape[-2:]
    if min(height, width) < 3:
        raise ValueError(f"ssim: images must be at least 3x3 pixels, got {height}x{width}")
    checks.unit_range(pred_rgb, "pred_rgb", "ssim", _RGB_RANGE_TOLERANCE)
    checks.unit_range(true_rgb, "true_rgb", "ssim", _RGB_RANGE_TOLERANCE)
    window = _ssim_window(height, width)
    pred_np, true_np = _as_numpy_images(pred_rgb), _as_numpy_images(true_rgb)
    values = [
        structural_similarity(
            t, p, data_range=1.0, channel_axis=0, win_size=window, gaussian_weights=False
        )
        for p, t in zip(pred_np, true_np, strict=True)
    ]
    return torch.tensor(values, dtype=torch.float64, device=pred_rgb.device)


# ---------------------------------------------------------------------------- AuC


def _thresholds(max_threshold: float, step: float) -> torch.Tensor:
    if not (math.isfinite(max_threshold) and max_threshold > 0):
        raise ValueError(f"ab_auc: max_threshold must be finite and > 0, got {max_threshold}")
    if not (math.isfinite(step) and 0 < step <= max_threshold):
        raise ValueError(f"ab_auc: step must be in (0, max_threshold], got {step}")
    count = math.floor(max_threshold / step + 1e-9) + 1  # 0, step, ..., <= max_threshold
    return torch.arange(count, dtype=torch.float64) * step


def ab_error_cdf(
    pred_ab: torch.Tensor,
    true_ab: torch.Tensor,
    max_threshold: float = 150.0,
    step: float = 1.0,
    pixel_weights: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Cumulative distribution of the per-pixel ab error, per image (Zhang et al. 2016).

    ``cdf[n, k]`` is the (weighted) fraction of image n's pixels whose Euclidean ab
    error ``sqrt(da**2 + db**2)`` (Lab units) is **<= thresholds[k]**, for thresholds
    ``0, step, 2*step, ..., max_threshold`` (the last one included when
    ``max_threshold / step`` is whole). An error exactly on a threshold counts as
    within it; float rounding of the inputs can move such ties by one step. Each
    image's weights are normalised to sum to 1; ``pixel_weights=None`` weighs every
    pixel equally. See :func:`ab_auc` for
    the weights and for the area under this curve.

    Args:
        pred_ab, true_ab: ``(N, 2, H, W)`` ab in Lab units.
        max_threshold: largest threshold, Lab units (> 0).
        step: threshold spacing, Lab units (0 < step <= max_threshold).
        pixel_weights: optional ``(N, H, W)`` weights, finite, >= 0, positive sum
            per image.

    Returns:
        ``(thresholds, cdf)``: ``(K,)`` float64 and ``(N, K)`` float64 in [0, 1],
        non-decreasing in k.
    """
    checks.image_batch(pred_ab, 2, "pred_ab", "ab_auc", floating=True)
    checks.image_batch(true_ab, 2, "true_ab", "ab_auc", floating=True)
    checks.same_shape(pred_ab, true_ab, ("pred_ab", "true_ab"), "ab_auc")
    thresholds = _thresholds(float(max_threshold), float(step)).to(pred_ab.device)
    n, _, h, w = pred_ab.shape
    errors = _ab_distance(pred_ab, true_ab).reshape(n, h * w)
    if pixel_weights is None:
        weights = torch.ones_like(errors)
    else:
        weights = checks.pixel_weights(pixel_weights, pred_ab, "ab_auc", values=True)
        weights = weights.detach().to(torch.float64).reshape(n, h * w)
    weights = weights / weights.sum(dim=1, keepdim=True)

    # first_k[n, p]: index of the smallest threshold >= the pixel's error (K if none).
    # The pixel then counts in cdf[n, k] for every k >= first_k. One pass over the
    # pixels (a histogram of first_k, then a cumulative sum) instead of an
    # (N, K, H*W) comparison.
    count = thresholds.numel()
    first_k = torch.searchsorted(thresholds, errors.contiguous(), right=False)
    histogram = torch.zeros(n, count + 1, dtype=torch.float64, device=errors.device)
    histogram.scatter_add_(1, first_k, weights)
    cdf = histogram[:, :count].cumsum(dim=1).clamp(max=1.0)  # clamp: float rounding only
    return thresholds, cdf


def ab_auc(
    pred_ab: torch.Tensor,
    true_ab: torch.Tensor,
    max_threshold: float = 150.0,
    step: float = 1.0,
    pixel_weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """Area under the cumulative ab-error curve (AuC), per image, in [0, 1].

    Zhang et al. 2016 ("Colorful Image Colorization", Sec. 3.1 / Table 1): the fraction
    of pixels whose ab error is within a threshold, swept over thresholds 0 to 150
    Lab units, integrated and normalised so that a perfect prediction scores 1.

    The integral is approximated by the **mean of the CDF over the thresholds**
    ``0, step, ..., max_threshold`` (151 points with the defaults; a left-closed
    rectangle rule over [0, max_threshold + step]; see :func:`ab_error_cdf`). With
    equal weights this is exactly ``mean over pixels of (number of thresholds >= the
    pixel's error) / 151``, about ``max(0, 1 - error / 151)`` per pixel. Zhang et al.
    did not publish their discretisation, so expect agreement with their numbers to
    within about a percent, not to the last digit.

    Variants:
        - **raw** AuC: ``pixel_weights=None`` (every pixel counts equally).
        - **class-rebalanced** AuC: pass ``pixel_weights`` ``(N, H, W)``, e.g. for each
          pixel ``1 / prior`` (or Zhang's smoothed rebalancing weight) of the ab bin
          nearest its *true* ab. The caller obtains them from the gamut's empirical
          prior (:mod:`colorlib.gamut`); this module does not know the bins. Uniform
          weights of any positive value give the raw AuC.

    Per image, not pooled: each image's weights are normalised to sum to 1, so every
    image counts equally in the mean over images. For Zhang's pooled AuC over a
    whole set (every pixel of every image counted together) pass the batch as one
    tall image, e.g. ``ab.permute(1, 0, 2, 3).reshape(1, 2, N * H, W)`` (and the
    weights as ``(1, N * H, W)``); with equal image sizes and no weights both agree.

    Args:
        pred_ab, true_ab: ``(N, 2, H, W)`` ab in Lab units.
        max_threshold: largest threshold, Lab units (Zhang: 150).
        step: threshold spacing, Lab units (default 1).
        pixel_weights: optional ``(N, H, W)`` weights, finite, >= 0, positive sum per
            image.

    Returns:
        ``(N,)`` float64 in [0, 1]; 1 for a perfect prediction; higher is better.
    """
    _, cdf = ab_error_cdf(pred_ab, true_ab, max_threshold, step, pixel_weights)
    return cdf.mean(dim=1)


# --------------------------------------------------------------------- colorfulness


def colorfulness(rgb: torch.Tensor) -> torch.Tensor:
    """Colourfulness M of Hasler & Suesstrunk (2003), per image.

    On RGB scaled to **[0, 255]** (the scale published values use; the input is
    [0, 1] and is multiplied by 255 here), with opponent channels ``rg = R - G`` and
    ``yb = (R + G) / 2 - B`` over all pixels of an image::

        M = sqrt(sd_rg**2 + sd_yb**2) + 0.3 * sqrt(mean_rg**2 + mean_yb**2)

    where sd is the population standard deviation (divide by the pixel count, as
    numpy's ``std``). A gray image (R = G = B everywhere) scores 0; Hasler &
    Suesstrunk found about 33 "moderately", 59 "quite" and 82 "highly" colourful
    on their scale. Computed directly on sRGB values (no linearisation), as in the
    paper.

    Args:
        rgb: ``(N, 3, H, W)`` sRGB in [0, 1].

    Returns:
        ``(N,)`` float64, >= 0; no upper bound (half pure red, half pure blue: about 273).
    """
    checks.image_batch(rgb, 3, "rgb", "colorfulness", floating=True)
    checks.unit_range(rgb, "rgb", "colorfulness", _RGB_RANGE_TOLERANCE)
    r, g, b = (rgb.detach().to(torch.float64) * 255.0).unbind(dim=1)
    rg = (r - g).flatten(1)
    yb = (0.5 * (r + g) - b).flatten(1)
    spread = torch.sqrt(rg.var(dim=1, correction=0) + yb.var(dim=1, correction=0))
    offset = torch.sqrt(rg.mean(dim=1).square() + yb.mean(dim=1).square())
    return spread + 0.3 * offset
