"""Model families: one colour per kind of colorizer, the same in every figure.

A figure of a dozen models reads at a glance when the colour says what kind each
one is. :func:`model_family` reads a model's name as the notebooks write it (table
rows such as ``"L2 + dropout"``, ``"CE rebalanced"``, ``"pix2pix (cGAN + L1)"``,
``"gray guess (32 px)"``, or experiment names such as
``"imagenet64-zhang-ce-rebalanced"``) and gives its family; :data:`FAMILY_COLOURS`
gives the family's colour (Okabe & Ito's colour-blind-safe palette, with greys for
the do-nothing guesses).

Families:

- ``"baseline"``: the do-nothing guesses: the gray guess (a = b = 0, also the
  "gray input" row of a grid) and the mean colouring.
- ``"regression"``: networks that regress ab with a per-pixel loss: L2, L2 +
  dropout, Smooth L1, L1 (SeedCNN, Zhang's network trained with L2, and the
  pix2pix U-Net trained with L1 alone, the paper's "L1 only" ablation).
- ``"bins"``: cross-entropy over ab bins (Zhang et al.), with or
  without class rebalancing.
- ``"cgan"``: pix2pix, a conditional GAN (with or without its L1 term or a noise
  input).
- ``"cyclegan"``: CycleGAN, trained without pairs.
- ``"truth"``: the ground truth.
- ``"other"``: any name none of the rules above recognises (never an error).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from types import MappingProxyType

from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

__all__ = ["FAMILY_COLOURS", "FAMILY_LABELS", "family_legend", "label_colour", "model_family"]

FAMILY_COLOURS = MappingProxyType(
    {
        "baseline": "#8c8c8c",  # mid grey
        "regression": "#0072b2",  # blue
        "bins": "#e69f00",  # orange
        "cgan": "#cc79a7",  # reddish purple
        "cyclegan": "#d55e00",  # vermilion
        "truth": "#000000",  # black
        "other": "#c9bfa8",  # neutral beige
    }
)
"""Family -> matplotlib colour (hex sRGB); the order is the legend's."""

FAMILY_LABELS = MappingProxyType(
    {
        "baseline": "baseline (gray guess, mean colouring)",
        "regression": "regression (L2, L1, Smooth L1)",
        "bins": "ab bins, cross-entropy (Zhang et al.)",
        "cgan": "pix2pix (conditional GAN)",
        "cyclegan": "CycleGAN (unpaired)",
        "truth": "ground truth",
        "other": "other",
    }
)
"""Family -> its name in a legend."""

_ADVERSARIAL = {"cgan", "gan", "adversarial", "patchgan"}
_CROSS_ENTROPY = {"ce", "cross", "entropy", "crossentropy", "rebal", "rebalanced", "bins"}
_REGRESSION = {"l1", "l2", "smooth", "smoothl1", "mse", "regression", "dropout", "seedcnn"}
_REGRESSION |= {"cnn", "unet"}


def model_family(name: str) -> str:
    """The family of a model from its name: a key of :data:`FAMILY_COLOURS`.

    The name is read case-insensitively as words (runs of letters and digits), and
    the first rule that matches decides:

    1. "truth" -> ``"truth"``;
    2. "gray"/"grey", "guess", or "mean" with "colouring" -> ``"baseline"``;
    3. "cyclegan" -> ``"cyclegan"``;
    4. "cgan", "gan" or "adversarial", or "pix2pix" without "l1" -> ``"cgan"``
       ("pix2pix ... l1" without an adversarial word is the L1-only U-Net);
    5. "ce", "cross-entropy", "rebal(anced)", or "zhang" with no regression word ->
       ``"bins"``;
    6. "l1", "l2", "smooth", "dropout", "seedcnn", "cnn", "unet", "mse" ->
       ``"regression"``;
    7. anything else -> ``"other"``.

    Args:
        name: a row name of a notebook's table or an experiment name, e.g.
            ``"Smooth L1"``, ``"cifar10-pix2pix-l1"``, ``"mean colouring (64 px)"``.

    Returns:
        ``"baseline"``, ``"regression"``, ``"bins"``, ``"cgan"``,
        ``"cyclegan"``, ``"truth"`` or ``"other"``.
    """
    words = set(re.findall(r"[a-z0-9]+", str(name).lower()))
    if "truth" in words:
        return "truth"
    if words & {"gray", "grey", "guess"} or ("mean" in words and words & {"colouring", "coloring"}):
        return "baseline"
    if "cyclegan" in words:
        return "cyclegan"
    if words & _ADVERSARIAL or ("pix2pix" in words and "l1" not in words):
        return "cgan"
    if words & _CROSS_ENTROPY or ("zhang" in words and not words & _REGRESSION):
        return "bins"
    if words & _REGRESSION or "pix2pix" in words:
        return "regression"
    return "other"


def label_colour(name: str) -> str:
    """The colour to write ``name`` in: its family's, but black for ``"other"``
    (whose pale colour is for areas, not for text)."""
    family = model_family(name)
    return "#000000" if family == "other" else FAMILY_COLOURS[family]


def family_legend(
    where: Axes | Figure,
    names: Iterable[str],
    marker: str | None = None,
    extra: Sequence[Artist] = (),
    **kwargs: object,
) -> Legend:
    """A legend of the families of ``names``, in the order of :data:`FAMILY_COLOURS`.

    Args:
        where: an Axes or a Figure to put the legend on.
        names: the models drawn; each family among them gets one entry.
        marker: ``None`` for filled squares (bars), or a marker such as ``"o"``
            (points).
        extra: more legend handles after the families' (e.g. what a hollow marker
            means).
        **kwargs: passed to ``legend`` (e.g. ``loc``, ``ncols``, ``fontsize``).
    """
    present = {model_family(n) for n in names}
    handles = [
        Patch(facecolor=colour, edgecolor="0.3", label=FAMILY_LABELS[family])
        if marker is None
        else Line2D([], [], color=colour, marker=marker, linestyle="", label=FAMILY_LABELS[family])
        for family, colour in FAMILY_COLOURS.items()
        if family in present
    ]
    handles.extend(extra)
    kwargs.setdefault("fontsize", 8)
    kwargs.setdefault("title", "model family")
    kwargs.setdefault("title_fontsize", 8)
    return where.legend(handles=handles, **kwargs)
