"""Verdicts worded from numbers alone, never typed by hand.

:func:`word_difference` judges one method against another from a paired interval;
:func:`claim_verdict` decides whether a claim (e.g. one of the poster's conclusions)
holds, from paired intervals and the seed-to-seed spread together;
:func:`word_trend` and :func:`word_against_chance` read a training curve;
:func:`appeal_verdict` answers "which colorization is most appealing?" as far as the
numbers can.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import torch

from colorlib.evaluate.stats import paired_difference

__all__ = [
    "CLAIM_RULE",
    "Evidence",
    "appeal_verdict",
    "claim_verdict",
    "word_against_chance",
    "word_difference",
    "word_trend",
]

CLAIM_RULE = (
    "a difference counts when its paired 95% interval over the photos excludes 0 and, "
    "where a model was trained with several seeds, it is also larger than twice the "
    "seed-to-seed standard deviation of the difference (from the seeds known on either "
    "side); a claim holds when every difference it predicts counts in the predicted "
    "direction, does not hold when one counts in the other direction, and is not "
    "detectable otherwise"
)
"""The rule :func:`claim_verdict` applies, in words (print it once beside the verdicts)."""


@dataclasses.dataclass(frozen=True)
class Evidence:
    """One difference a claim predicts: ``a`` against ``b`` on one metric.

    Attributes:
        a, b: the two names (``b`` may be e.g. ``"the truth"``).
        values_a, values_b: ``(N,)`` per-image values of the metric, same photos.
        expect: ``"lower"`` or ``"higher"``: what the claim says of ``a`` against ``b``.
        metric, unit: for the sentence (e.g. ``"ab L2"``, ``" Lab units"``).
        seeds_a, seeds_b: each seed's whole-set mean of the metric, when the model was
            trained with several seeds (``(K,)``, K >= 2); None for one seed or for a
            guess that trains nothing (no seed spread known: it adds none).
        weights: ``(N,)`` image weights for a pooled mean (rebalanced AuC), or None.
    """

    a: str
    b: str
    values_a: torch.Tensor
    values_b: torch.Tensor
    expect: str
    metric: str = "ab L2"
    unit: str = ""
    seeds_a: torch.Tensor | None = None
    seeds_b: torch.Tensor | None = None
    weights: torch.Tensor | None = None


def _one_verdict(e: Evidence) -> tuple[str, str]:
    """``(verdict, sentence)`` for one :class:`Evidence` under :data:`CLAIM_RULE`."""
    if e.expect not in ("lower", "higher"):
        raise ValueError(f"Evidence.expect must be 'lower' or 'higher', got {e.expect!r}")
    mean, margin, _ = paired_difference(e.values_a, e.values_b, True, e.weights)
    seeded = [(name, v) for name, v in ((e.a, e.seeds_a), (e.b, e.seeds_b)) if v is not None]
    if any(len(v) < 2 for _, v in seeded):
        raise ValueError("Evidence: seed values need at least 2 seeds")
    seed_sd = float(sum(v.double().var() for _, v in seeded) ** 0.5) if seeded else None
    counts = abs(mean) > margin and (seed_sd is None or abs(mean) > 2 * seed_sd)
    predicted = (mean < 0) == (e.expect == "lower")
    verdict = ("holds" if predicted else "does not hold") if counts else "not detectable"
    if len(seeded) == 2:
        whose = f"{len(e.seeds_a)} and {len(e.seeds_b)} seeds"
    elif seeded:
        whose = f"{len(seeded[0][1])} seeds of {seeded[0][0]}"
    seeds = f"; seed sd of the difference {seed_sd:.2f} ({whose})" if seeded else (
        "; no seed spread known"
    )
    sentence = (
        f"{e.a} {e.expect} than {e.b} on {e.metric}? {mean:+.2f} "
        f"[{mean - margin:+.2f}, {mean + margin:+.2f}]{e.unit}{seeds}: {verdict}"
    )
    return verdict, sentence


def claim_verdict(claim: str, evidence: Sequence[Evidence]) -> tuple[str, list[str]]:
    """Decide a claim from the differences it predicts, under :data:`CLAIM_RULE`.

    Args:
        claim: the claim's words (printed first).
        evidence: one :class:`Evidence` per difference the claim predicts.

    Returns:
        ``(verdict, lines)``: ``"holds"``, ``"does not hold"`` or ``"not detectable"``,
        and the lines to print: the claim with its verdict, then one per difference
        (the mean difference ``a - b`` with its paired 95% interval, the seed spread
        where known, and that difference's own verdict).
    """
    if not evidence:
        raise ValueError(f"claim_verdict: no evidence for {claim!r}")
    parts = [_one_verdict(e) for e in evidence]
    verdicts = [v for v, _ in parts]
    if "does not hold" in verdicts:
        verdict = "does not hold"
    elif all(v == "holds" for v in verdicts):
        verdict = "holds"
    else:
        verdict = "not detectable"
    return verdict, [f"{claim!r}: {verdict.upper()}", *(f"  {s}" for s in (t for _, t in parts))]


def word_difference(
    a: str,
    b: str,
    values_a: torch.Tensor,
    values_b: torch.Tensor,
    metric: str = "ab L2",
    lower_is_better: bool = True,
    unit: str = "",
    words: tuple[str, str] | None = None,
    weights: torch.Tensor | None = None,
) -> str:
    """One sentence that judges ``a`` against ``b`` from a paired 95% interval.

    The verdict is worded from the numbers, never typed by hand: "better" or "worse"
    when the interval of the mean per-image difference excludes zero, otherwise "no
    difference detectable" with the interval's width (the smallest difference this
    test set could have shown).

    Args:
        a, b: the two methods' names.
        values_a, values_b: ``(N,)`` per-image values of one metric, same images.
        metric: its name for the sentence; ``lower_is_better``: its direction.
        unit: appended to the numbers (e.g. ``" Lab units"``).
        words: for a measure with no better direction, what a higher and a lower
            value mean, e.g. ``("more colourful", "less colourful")``: the sentence
            then says "A is more colourful than B" rather than better or worse.
        weights: ``(N,)`` image weights for a pooled mean (see
            :func:`~colorlib.evaluate.paired_difference`); the sentence then says
            "pooled over N photos".

    Returns:
        e.g. ``"L2 + dropout is worse than L2 on ab L2: +0.31 [+0.22, +0.40] Lab
        units (paired 95% interval, 9,902 photos)"``.
    """
    mean, margin, verdict = paired_difference(values_a, values_b, lower_is_better, weights)
    interval = f"{mean:+.2f} [{mean - margin:+.2f}, {mean + margin:+.2f}]{unit}"
    pooled = "" if weights is None else "pooled over "
    where = f"(paired 95% interval, {pooled}{len(values_a):,} photos)"
    if verdict == "tie":
        return (
            f"{a} vs {b} on {metric}: no difference detectable, {interval} {where}; "
            f"differences under {2 * margin:.2f} could not show"
        )
    if words is not None:
        return f"{a} is {words[0] if mean > 0 else words[1]} than {b}: {interval} {where}"
    word = "better" if verdict == "better" else "worse"
    return f"{a} is {word} than {b} on {metric}: {interval} {where}"


def word_trend(
    values: Sequence[float],
    what: str,
    unit: str = "",
    lower_is_better: bool = True,
    first_epoch: int = 1,
) -> str:
    """One sentence on how a per-epoch curve went, worded from its values alone.

    Where the curve was best, how far the last epoch is from that best, and how
    often it moved the wrong way from one epoch to the next (its noise); the words
    "still improving" are printed only when the best value is the last one.

    Args:
        values: one float per epoch, in order (e.g. ``[r["val_ab_l2"] for r in
            history]``), at least one; in the curve's own units.
        what: the curve's name for the sentence (e.g. ``"val ab L2"``).
        unit: appended to the numbers (e.g. ``" Lab units"``).
        lower_is_better: True for losses and errors, False for e.g. PSNR.
        first_epoch: the epoch number of ``values[0]``.

    Returns:
        e.g. ``"val ab L2: 16.73 at epoch 1, 14.16 at epoch 8; best at the last
        epoch, so it was still improving when the run stopped; it moved the wrong
        way in 2 of 7 epoch-to-epoch steps (largest 1.71)"``. A curve whose values
        reach 1 or more is printed with two decimals, a smaller one with three
        significant digits (``0.0141``).
    """
    values = [float(v) for v in values]
    if not values:
        raise ValueError(f"word_trend: no values for {what!r}")
    large = max(abs(v) for v in values) >= 1

    def num(value: float) -> str:
        return f"{value:.2f}" if large else f"{value:.3g}"
    n = len(values)
    last_epoch = first_epoch + n - 1
    if n == 1:
        return f"{what}: {num(values[0])}{unit} after the only epoch ({first_epoch}); no trend"
    sign = 1.0 if lower_is_better else -1.0
    best = min(range(n), key=lambda i: (sign * values[i], -i))  # the latest of equal bests
    head = (f"{what}: {num(values[0])}{unit} at epoch {first_epoch}, "
            f"{num(values[-1])}{unit} at epoch {last_epoch}")  # fmt: skip
    if best == n - 1:
        verdict = "best at the last epoch, so it was still improving when the run stopped"
    else:
        gap = values[-1] - values[best]
        off = ("+" if gap >= 0 else "-") + num(abs(gap))
        verdict = (f"best at epoch {first_epoch + best} ({num(values[best])}{unit}); the last "
                   f"epoch is {off}{unit} from that best")  # fmt: skip
    steps = [sign * (b - a) for a, b in zip(values[:-1], values[1:], strict=True)]
    wrong = [step for step in steps if step > 0]
    moves = (f"it moved the wrong way in {len(wrong)} of {n - 1} epoch-to-epoch steps"
             + (f" (largest {num(max(wrong))}{unit})" if wrong else ""))  # fmt: skip
    return f"{head}; {verdict}; {moves}"


def word_against_chance(
    values: Sequence[float],
    chance: float,
    what: str,
    below: str,
    above: str,
    near: str = "neither side clearly wins",
    band: float = 0.25,
    first_epoch: int = 1,
) -> str:
    """One sentence that reads a GAN loss curve against its chance level.

    A GAN loss has a value it takes when the discriminator cannot tell real from
    generated (its *chance level*, derived from the loss: ``ln 2`` for a binary
    cross-entropy discriminator, 0.25 per least-squares term). The last epoch's
    value is compared with it: below ``(1 - band) * chance`` the ``below`` words are
    printed, above ``(1 + band) * chance`` the ``above`` words, otherwise ``near``.

    Args:
        values: one float per epoch, in order (e.g. ``[r["train_loss_D"] for r in
            history]``), at least one; in the loss's own units.
        chance: the loss's chance level, > 0, same units.
        what: the curve's name for the sentence (e.g. ``"D's loss"``).
        below, above, near: what a value under, over and near chance means.
        band: the relative width of "near chance" (0.25: within 25% of it).
        first_epoch: the epoch number of ``values[0]``.

    Returns:
        e.g. ``"D's loss: 0.53 at epoch 1, 0.18 at epoch 20, 26.5% of its chance
        level 0.69 (near chance: 75% to 125%): the discriminator has the upper hand"``.
    """
    values = [float(v) for v in values]
    if not values or chance <= 0 or not 0 < band < 1:
        raise ValueError(f"word_against_chance: need values, chance > 0 and 0 < band < 1, got "
                         f"{len(values)} values, chance {chance}, band {band}")  # fmt: skip
    ratio = values[-1] / chance
    side = "below" if ratio < 1 - band else "above" if ratio > 1 + band else "within"
    verdict = {"below": below, "above": above, "within": near}[side]
    last_epoch = first_epoch + len(values) - 1
    return (f"{what}: {values[0]:.2f} at epoch {first_epoch}, {values[-1]:.2f} at epoch "
            f"{last_epoch}, {100 * ratio:.1f}% of its chance level {chance:.2f} ({side} the "
            f"near-chance band, {100 * (1 - band):.0f}% to {100 * (1 + band):.0f}%): "
            f"{verdict}")  # fmt: skip


def word_memorising(train_loss: float, val_loss: float, gap: float = 0.2) -> str:
    """One sentence on whether a network memorises its training photos, from the last
    epoch's losses (same loss, same units; the train loss averaged over the epoch).

    A train loss more than ``gap`` (a fraction) below the val loss is the sign of
    memorising. A train loss *above* the val loss is said as such (it happens: the train
    loss is averaged while the network still learns, and dropout or augmentation act
    only in training), never as "not more than 20% below".

    Returns:
        e.g. ``"last epoch: the train loss (0.0141) is above the val loss (0.0133): no
        sign that the network memorises its training photos"``.

    Raises:
        ValueError: a loss that is not a finite number > 0, or ``gap`` not in (0, 1).
    """
    if not (0 < train_loss < float("inf") and 0 < val_loss < float("inf") and 0 < gap < 1):
        raise ValueError(f"word_memorising: need finite losses > 0 and 0 < gap < 1, got "
                         f"{train_loss}, {val_loss}, {gap}")  # fmt: skip
    losses = f"the train loss ({train_loss:.4f}) is"
    below = 1 - train_loss / val_loss
    if below > gap:
        return (f"last epoch: {losses} {100 * below:.1f}% below the val loss ({val_loss:.4f}), "
                f"more than {100 * gap:.0f}%: the network fits its training photos better than "
                "new ones (it has begun to memorise them)")  # fmt: skip
    if below > 0:
        where = f"{100 * below:.1f}% below the val loss ({val_loss:.4f}), within {100 * gap:.0f}%"
    else:
        where = f"above the val loss ({val_loss:.4f})" if below < 0 else "equal to the val loss"
    return f"last epoch: {losses} {where}: no sign that the network memorises its training photos"


def appeal_verdict(
    scores: Mapping[str, Mapping[str, torch.Tensor]],
    truth: str = "ground truth",
    floor: str = "gray guess",
) -> list[str]:
    """Sentences that answer "which colorization is most appealing?" from numbers alone.

    A human judges appeal (the Colorization Turing Test); the numbers can only rule
    out. A colorization is a *candidate* when it is both

    - **vivid**: mean colourfulness at least half the truth's (a sepia or grey
      picture does not appeal, however close its ab), and
    - **faithful**: its ab L2 is not detectably worse than the gray guess's
      (:func:`~colorlib.evaluate.paired_difference`; a colour that is wrong by more
      than no colour at all is not plausible).

    Args:
        scores: name -> ``{"ab_l2": (N,), "colorfulness": (N,)}`` per photo (e.g.
            :func:`~colorlib.evaluate.full_size`'s second result), with ``truth`` and
            ``floor`` among them.
        truth, floor: the names of the ground truth and of the gray guess.

    Returns:
        One sentence per colorizer (vivid? faithful?, with the numbers), then the
        verdict: the most colourful candidate, or that no colorizer is both.
    """
    target = scores[truth]["colorfulness"].mean().item()
    lines, candidates = [], []
    for name, values in scores.items():
        if name in (truth, floor):
            continue
        vivid = values["colorfulness"].mean().item() >= target / 2
        mean, margin, verdict = paired_difference(values["ab_l2"], scores[floor]["ab_l2"])
        faithful = verdict != "worse"
        if vivid and faithful:
            candidates.append(name)
        lines.append(
            f"{name}: colourfulness {values['colorfulness'].mean():.1f} "
            f"({'at least' if vivid else 'under'} half the truth's {target:.1f}); ab L2 minus "
            f"the gray guess's {mean:+.2f} [{mean - margin:+.2f}, {mean + margin:+.2f}] Lab "
            f"units ({'not worse than gray' if faithful else 'worse than gray'})"
        )
    if candidates:
        best = max(candidates, key=lambda n: scores[n]["colorfulness"].mean().item())
        others = [n for n in candidates if n != best]
        lines.append(
            f"verdict: {best} is the most colourful colorization that is not detectably less "
            f"faithful than a gray guess" + (f" (also vivid and faithful: {', '.join(others)})"
                                              if others else "")
        )  # fmt: skip
    else:
        lines.append(
            "verdict: no colorization is both vivid (half the truth's colourfulness) and as "
            "faithful as a gray guess; the numbers cannot name the most appealing one"
        )
    return lines
