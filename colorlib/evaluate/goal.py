"""The project's quality goal for a vivid colorizer, decided from per-image scores.

A colorizer can win on ab L2 by painting everything a little brown: the gray guess
itself is hard to beat there. Zhang et al. 2016 (Table 1) therefore report a
**class-rebalanced AuC**, pooled over every pixel of the test set, where rare vivid
colours count as much as common dull ones: their full model scores 67.3% against the
gray guess's 58.0%, a gain of 9.3 points. The goal here asks the same of our best
*vivid* colorizer, one that really paints:

1. **vivid**: colourfulness at least half the truth's (Hasler & Suesstrunk), raw AuC
   at most 1 point below the gray guess's and PSNR at most 1 dB below it (a vivid
   colorizer pays some PSNR for every wrong guess of a colour; the gray guess pays
   none);
2. among the vivid ones, the one with the highest pooled rebalanced AuC must beat the
   gray guess by at least :data:`GOAL_GAIN` (6 points; stretch: Zhang's 9.3).

:func:`quality_goal` words the whole decision from the numbers; nothing is typed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import torch

from colorlib.evaluate.scores import pooled_mean
from colorlib.evaluate.words import word_difference

__all__ = [
    "GOAL_GAIN",
    "STRETCH_GAIN",
    "VIVID",
    "GoalReport",
    "quality_goal",
    "vivid_failures",
]

GOAL_GAIN = 6.0
"""Points of pooled rebalanced AuC above the gray guess that the best vivid model must gain."""
STRETCH_GAIN = 9.3
"""Zhang et al.'s full model's gain on ImageNet (67.3% against 58.0%): the stretch goal."""


@dataclasses.dataclass(frozen=True)
class Vivid:
    """What counts as vivid: colourfulness share of the truth's, and how far below the
    gray guess the raw AuC (points) and PSNR (dB) may fall."""

    colourfulness_share: float = 0.5
    raw_auc_points_below_gray: float = 1.0
    psnr_db_below_gray: float = 1.0


VIVID = Vivid()


@dataclasses.dataclass(frozen=True)
class GoalReport:
    """The decision: ``lines`` to print, the ``best`` vivid model (None if none is
    vivid), its pooled ``gain`` over gray in points and whether the goal is ``met``."""

    lines: list[str]
    best: str | None
    gain: float | None
    met: bool

    def __str__(self) -> str:
        return "\n".join(self.lines)


def vivid_failures(
    scores: Mapping[str, torch.Tensor], gray: Mapping[str, torch.Tensor]
) -> list[str]:
    """Which of the :data:`VIVID` checks a colorizer fails against the gray guess on the
    same photos: a sublist of ``["colour", "AuC", "PSNR"]`` (empty: it is vivid).

    Args:
        scores, gray: per-image metrics ``(N,)`` (:func:`~colorlib.evaluate.evaluate`):
            ``colorfulness`` and ``colorfulness_true`` (M), ``auc`` (fraction), ``psnr``
            (dB).
    """
    checks = (
        scores["colorfulness"].mean().item()
        >= VIVID.colourfulness_share * scores["colorfulness_true"].mean().item(),
        100 * scores["auc"].mean().item()
        >= 100 * gray["auc"].mean().item() - VIVID.raw_auc_points_below_gray,
        scores["psnr"].mean().item() >= gray["psnr"].mean().item() - VIVID.psnr_db_below_gray,
    )
    return [what for what, ok in zip(("colour", "AuC", "PSNR"), checks, strict=True) if not ok]


def quality_goal(
    scores: Mapping[str, Mapping[str, torch.Tensor]],
    gray: str,
    weights: torch.Tensor,
    candidates: Sequence[str],
) -> GoalReport:
    """Decide the quality goal (module docstring) on one test set.

    Args:
        scores: per-image metrics by model name (:func:`~colorlib.evaluate.evaluate` plus
            ``auc_rebalanced``), all on the same ``N`` photos; ``gray`` among them.
        gray: the gray guess's name in ``scores``.
        weights: ``(N,)`` each photo's total rebalancing weight
            (:func:`~colorlib.evaluate.rebalanced_weight`), which pools per-image
            rebalanced AuC over every pixel of the set.
        candidates: the models that may be the vivid one (same image size as ``gray``).

    Returns:
        a :class:`GoalReport`; its lines give every candidate's three vivid checks
        (AuC in points, PSNR in dB, colourfulness as M), then the best vivid model's
        pooled gain over gray with its paired 95% interval, and the verdict.
    """
    g = scores[gray]

    def pooled(name: str) -> float:
        return 100 * pooled_mean(scores[name]["auc_rebalanced"], weights)

    gray_auc, gray_psnr = 100 * g["auc"].mean().item(), g["psnr"].mean().item()
    lines = [
        f"vivid = colourfulness >= {VIVID.colourfulness_share:.0%} of the truth's, raw AuC >= "
        f"{gray_auc - VIVID.raw_auc_points_below_gray:.1f}% (gray - "
        f"{VIVID.raw_auc_points_below_gray:g} point), PSNR >= "
        f"{gray_psnr - VIVID.psnr_db_below_gray:.2f} dB (gray - {VIVID.psnr_db_below_gray:g} dB)",
        f"{'model':24}{'colourful':>10}{'truth':>7}{'raw AuC %':>11}{'PSNR dB':>9}"
        f"{'pooled rebal. AuC %':>21}  vivid",
    ]
    vivid = []
    for name in candidates:
        s = scores[name]
        failed = vivid_failures(s, g)
        if not failed:
            vivid.append(name)
        lines.append(
            f"{name:24}{s['colorfulness'].mean().item():>10.1f}"
            f"{s['colorfulness_true'].mean().item():>7.1f}{100 * s['auc'].mean().item():>11.1f}"
            f"{s['psnr'].mean().item():>9.2f}{pooled(name):>21.1f}  "
            + ("yes" if not failed else "no (" + ", ".join(failed) + ")")
        )
    lines.append(f"{gray:24}{'':>10}{'':>7}{gray_auc:>11.1f}{gray_psnr:>9.2f}{pooled(gray):>21.1f}")
    if not vivid:
        lines.append(
            f"quality goal NOT met: no candidate is vivid, so none can count for the "
            f"+{GOAL_GAIN:g}-point gain"
        )
        return GoalReport(lines, None, None, False)
    best = max(vivid, key=pooled)
    gain = pooled(best) - pooled(gray)
    met = gain >= GOAL_GAIN
    lines.append(
        "best vivid model: "
        + word_difference(
            best, gray, 100 * scores[best]["auc_rebalanced"], 100 * g["auc_rebalanced"],
            "pooled rebalanced AuC", lower_is_better=False, unit=" points", weights=weights,
        )  # fmt: skip
    )
    stretch = " (and the stretch goal, Zhang's +9.3)" if gain >= STRETCH_GAIN else ""
    lines.append(
        f"quality goal {'met' if met else 'NOT met'}: {best} gains {gain:+.1f} points of pooled "
        f"rebalanced AuC over the gray guess, against the goal's +{GOAL_GAIN:g}{stretch}"
    )
    return GoalReport(lines, best, gain, met)
