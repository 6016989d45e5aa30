"""The poster's colorizers, one network on one loss: :class:`RegressionTask`
(L2 / Smooth L1 / L1 on normalised ab) and :class:`BinTask` (cross-entropy
over the ab bins of :class:`colorlib.gamut.ABGamut`, optional class rebalancing,
annealed-mean decoding; Zhang et al. 2016). Both train a network whose output may
lie on a coarser grid (``output_stride``): their targets are average-pooled to it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from colorlib import losses
from colorlib.gamut import ANNEAL_T, ABGamut, rebalance_weights
from colorlib.lab import normalize_ab, normalize_l
from colorlib.profiles import SMOOTH_L1_BETA
from colorlib.tasks.base import OneNetworkTask, adam

__all__ = ["SMOOTH_L1_BETA", "BinTask", "RegressionTask"]




def _to_grid(x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Average-pool ``x`` (N, C, S, S) onto the spatial grid of ``like`` if it differs."""
    size = like.shape[-2:]
    return x if x.shape[-2:] == size else F.adaptive_avg_pool2d(x, size)


def _loss_name(loss: Callable) -> str:
    """The name a callable loss is saved under in checkpoints (``"custom:<name>"``)."""
    if not callable(loss):
        raise TypeError(f"loss must be a name or a callable, got {type(loss).__name__}")
    return "custom:" + getattr(loss, "__name__", type(loss).__name__)


class RegressionTask(OneNetworkTask):
    """Predict normalised ab directly, trained on a regression loss.

    Args:
        model: normalised L ``(N, 1, S, S)`` -> normalised ab ``(N, 2, s, s)``.
        loss: ``"l2"`` (poster), ``"smooth_l1"`` or ``"l1"`` (``losses.regression_loss``),
            or **your own loss**: a callable ``loss(pred, target) -> 0-dim tensor`` on
            normalised ab (ab / 110), both ``(N, 2, s, s)`` (the target pooled to the
            prediction's grid). It is saved in checkpoints as ``"custom:<its name>"``;
            a resumed run must pass the same callable again.
        lr: Adam learning rate (poster: 1e-3, then 1e-4 on plateau).
        beta: Smooth L1 knee in ab / 110 units (named losses only).
    """

    kind = "regression"

    def __init__(
        self, model: nn.Module, loss: str | Callable = "l2", lr: float = 1e-3, beta: float = 1.0
    ):
        if isinstance(loss, str):
            if loss not in losses.REGRESSION_KINDS:
                raise ValueError(f"loss must be one of {losses.REGRESSION_KINDS}, got {loss!r}")
            self.loss_fn = functools.partial(losses.regression_loss, kind=loss, beta=beta)
            name = loss
        else:
            self.loss_fn, name = loss, _loss_name(loss)
        config = {"loss": name, "lr": lr, "beta": beta}
        super().__init__({"net": model}, {"net": adam([model], lr)}, config)

    def _loss(self, batch: dict) -> tuple[torch.Tensor, torch.Tensor]:
        with self.autocast():
            pred = self.nets["net"](normalize_l(batch["L"]))
        target = _to_grid(normalize_ab(batch["ab"]), pred)
        return self.loss_fn(pred.float(), target), pred


class BinTask(OneNetworkTask):
    """Classify each pixel's ab into Q bins (Zhang et al. 2016); decode by annealed mean.

    Targets: true ab average-pooled to the logit grid (``output_stride``), then
    soft-encoded over its ``k`` nearest bins (``ABGamut.encode``). With a ``prior``,
    each pixel's loss is weighted by ``rebalance_weights(prior, lam)`` at the nearest
    bin of its (pooled) true ab.

    Args:
        model: normalised L -> ``(N, Q, s, s)`` logits (e.g. ``ZhangNet(bins=Q)``).
        gamut: the bins (default ``ABGamut()``, Q = 261).
        prior: optional ``(Q,)`` empirical prior (``gamut.prior``) for rebalancing.
        lam: rebalancing mix with the uniform distribution (Zhang: 0.5).
        T: annealed-mean temperature for predictions (Zhang: 0.38).
        k, sigma: soft-encoding neighbours and width in Lab units.
        loss: ``losses.soft_cross_entropy`` by default, or **your own loss**: a callable
            ``loss(logits, target, weights) -> 0-dim tensor`` with float logits
            ``(N, Q, s, s)``, the soft-encoded target ``(N, Q, s, s)`` (sums to 1 over
            Q) and per-pixel rebalancing weights ``(N, s, s)`` or None. Saved in
            checkpoints as ``"custom:<its name>"``.
    """

    kind = "classification"

    def __init__(
        self,
        model: nn.Module,
        gamut: ABGamut | None = None,
        prior: torch.Tensor | None = None,
        lam: float = 0.5,
        T: float = ANNEAL_T,
        k: int = 5,
        sigma: float = 5.0,
        lr: float = 1e-3,
        loss: Callable | None = None,
    ):
        self.gamut = gamut or ABGamut()
        self.loss_fn = loss or losses.soft_cross_entropy
        weights = None if prior is None else rebalance_weights(prior.float(), lam)
        self.class_weights = weights
        config = {
            "T": T,
            "k": k,
            "sigma": sigma,
            "lam": lam,
            "lr": lr,
            "centers": self.gamut.centers.clone(),
            "grid": self.gamut.grid,
            "class_weights": weights,
        }
        if loss is not None:
            config["loss"] = _loss_name(loss)
        super().__init__({"net": model}, {"net": adam([model], lr)}, config)

    def _loss(self, batch: dict) -> tuple[torch.Tensor, torch.Tensor]:
        with self.autocast():
            logits = self.nets["net"](normalize_l(batch["L"]))
        logits = logits.float()
        ab = _to_grid(batch["ab"], logits)
        target = self.gamut.encode(ab, k=self.config["k"], sigma=self.config["sigma"])
        weights = None
        if self.class_weights is not None:
            weights = self.class_weights.to(ab.device)[self.gamut.nearest(ab)]
        return self.loss_fn(logits, target, weights), logits
