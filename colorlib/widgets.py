"""Interactive Jupyter widgets: move a slider, see what a loss or a temperature does.

Each factory returns one ipywidgets container; a notebook displays it and that is
all (the logic lives here, not in the notebook):

- :func:`loss_comparison` teaches **why the loss matters**. For each test image it
  shows the gray input, every method's colorization and the ground truth, with the
  per-image ab L2 under each. An L2 regressor predicts the *mean* of the plausible
  colours, which for an ambiguous object (a car may be red or blue) is a
  desaturated brownish gray: it often scores a good ab L2 while looking dull, and
  the classification (cross-entropy) model looks more vivid while scoring worse.
- :func:`temperature_explorer` teaches **the mode-versus-mean trade-off** of Zhang
  et al.'s annealed mean (:meth:`colorlib.gamut.ABGamut.decode`): T = 0 takes the
  most likely ab bin (vivid but patchy, spatially inconsistent), T = 1 the mean of
  the predicted distribution (smooth but grayish, the L2 look again), and Zhang's
  T = 0.38 lies in between. The colourfulness and ab L2 at the current T are shown.

Every update draws the whole row as **one PNG** (Pillow, upscaled with
nearest-neighbour so 32 or 64 px images stay crisp, each panel 256 px on screen:
:func:`default_scale`) into an ``ipywidgets.Image``,
with the captions in an ``ipywidgets.HTML`` below it; no matplotlib figure is
made, so sliders stay fast in the browser. The pieces are attributes, so tests
can drive a widget without a browser (``w.slider.value = 2``, then read
``w.image.value`` and ``w.caption.value``).

Shapes, ranges and units (as everywhere in colorlib)
----------------------------------------------------
- L: ``(N, 1, S, S)`` float, Lab lightness in [0, 100].
- ab: ``(N, 2, S, S)`` float, Lab units (not divided by 110).
- logits: ``(N, Q, s, s)`` float over the Q bins of an :class:`~colorlib.gamut.ABGamut`,
  at any resolution s (ZhangNet: S / 4); decoded ab is upsampled bilinearly to S.
- rgb tiles: ``(3, S, S)`` sRGB in [0, 1].

Example (in a notebook cell; the last expression of a cell is displayed)::

    from colorlib.widgets import loss_comparison
    loss_comparison(L, ab, {"L2": pred_l2, "cross-entropy": pred_ce})
"""

from __future__ import annotations

import html
import io
import math
from collections.abc import Mapping, Sequence

import ipywidgets
import numpy as np
import torch
from PIL import Image

from colorlib import checks
from colorlib.gamut import ANNEAL_T, ABGamut
from colorlib.lab import lab_to_rgb, merge_lab
from colorlib.metrics import ab_l2, colorfulness
from colorlib.models import upsample_ab

__all__ = [
    "DEFAULT_T_VALUES",
    "LossComparison",
    "TemperatureExplorer",
    "default_scale",
    "lab_rgb",
    "loss_comparison",
    "row_png",
    "temperature_explorer",
]

TILE_PIXELS = 256  # on-screen side of one tile in pixels (at most; exactly for 32, 64, 128)
# Temperatures offered by default: dense near 0, where softmax(logits / T) changes fastest.
DEFAULT_T_VALUES = (0.0, 0.01, 0.02, 0.05, 0.1, 0.2, ANNEAL_T, 0.5, 0.75, 1.0)


# ------------------------------------------------------------------------ helpers


def default_scale(size: int) -> int:
    """Whole upscaling factor that shows an image of side ``size`` px at up to 256 px.

    ``TILE_PIXELS // size``, at least 1: a 32 px image is shown 8x (256 px), a 64 px
    one 4x (256 px), a 48 px one 5x (240 px); one of 256 px or more at its own size.
    A whole factor keeps every pixel a sharp square (nearest neighbour).
    """
    return max(1, TILE_PIXELS // int(size))


def lab_rgb(L: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
    """L ``(..., 1, H, W)`` in [0, 100] and ab ``(..., 2, H, W)`` in Lab units -> sRGB in [0, 1].

    Out-of-gamut colours are clipped (:func:`colorlib.lab_to_rgb`).
    """
    return lab_to_rgb(merge_lab(L.detach().float().cpu(), ab.detach().float().cpu()))


def row_png(images: Sequence[torch.Tensor], scale: int = 1) -> bytes:
    """Side-by-side PNG of equally sized RGB images, upscaled by nearest neighbour.

    Args:
        images: a non-empty list of ``(3, H, W)`` sRGB tensors in [0, 1].
        scale: whole factor >= 1; each pixel becomes a ``scale x scale`` block.

    Returns:
        PNG bytes of an image ``len(images) * W * scale`` wide and ``H * scale`` high.
    """
    if not images:
        raise ValueError("row_png: images must be a non-empty list of (3, H, W) tensors")
    shapes = {tuple(image.shape) for image in images}
    if len(shapes) != 1 or len(next(iter(shapes))) != 3 or next(iter(shapes))[0] != 3:
        raise ValueError(f"row_png: images must all be (3, H, W) of one size, got {shapes}")
    if int(scale) != scale or scale < 1:
        raise ValueError(f"row_png: scale must be a whole number >= 1, got {scale}")
    row = torch.cat([image.detach().float().cpu() for image in images], dim=-1)
    pixels = row.clamp(0.0, 1.0).mul(255.0).round().to(torch.uint8).permute(1, 2, 0).numpy()
    picture = Image.fromarray(np.ascontiguousarray(pixels))
    if scale > 1:
        size = (picture.width * int(scale), picture.height * int(scale))
        picture = picture.resize(size, Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def _caption_html(columns: Sequence[Sequence[str]], width: int, header: str) -> str:
    """One header line, then one centred column of lines under each tile (``width`` px)."""
    cells = "".join(
        f'<div style="width:{width}px;text-align:center;line-height:1.3">'
        + "<br>".join(lines)
        + "</div>"
        for lines in columns
    )
    return f'<div>{header}</div><div style="display:flex;font-size:12px">{cells}</div>'


def _fmt(value: float) -> str:
    return f"{float(value):.2f}"


def _images_on_cpu(x: object, name: str, channels: int | None) -> torch.Tensor:
    """``x`` checked as a float ``(N, C, H, W)`` batch (:mod:`colorlib.checks`), on the CPU."""
    return checks.image_batch(x, channels, name, floating=True).detach().float().cpu()


def check_images(L: object, true_ab: object) -> tuple[torch.Tensor, torch.Tensor]:
    """``L`` ``(N, 1, H, W)`` and ``true_ab`` ``(N, 2, H, W)`` checked (N >= 1, same N, H,
    W), as float32 on the CPU; a one-line error otherwise."""
    L = _images_on_cpu(L, "L", 1)
    true_ab = _images_on_cpu(true_ab, "true_ab", 2)
    if L.shape[0] == 0:
        raise ValueError("L must hold at least one image, got N = 0")
    if (L.shape[0],) + tuple(L.shape[2:]) != (true_ab.shape[0],) + tuple(true_ab.shape[2:]):
        raise ValueError(
            f"L {tuple(L.shape)} and true_ab {tuple(true_ab.shape)} must agree in N, H and W"
        )
    return L, true_ab


def check_scale(scale: int | None, size: int) -> int:
    """The whole-number upscaling of ``size``-pixel images: ``scale``, or
    :func:`default_scale` when None; ValueError for anything else."""
    scale = default_scale(size) if scale is None else scale
    if int(scale) != scale or scale < 1:
        raise ValueError(f"scale must be a whole number >= 1, got {scale}")
    return int(scale)


def _image_slider(n: int) -> ipywidgets.IntSlider:
    return ipywidgets.IntSlider(
        value=0, min=0, max=n - 1, step=1, description="image", disabled=n == 1
    )


def _image_widget(png: bytes, width: int, height: int) -> ipywidgets.Image:
    # width/height pin the on-screen size to the PNG's own, so the browser never rescales.
    return ipywidgets.Image(value=png, format="png", width=str(width), height=str(height))


# ---------------------------------------------------------------- loss comparison


class LossComparison(ipywidgets.VBox):
    """A slider over test images comparing several colorization methods side by side.

    Shows, for the image on the slider: the gray input | each method's colorization
    (the true L with the method's ab) | the ground truth, with the per-image ab L2
    (:func:`colorlib.metrics.ab_l2`, rounded to 2 decimals) under each method.

    Args:
        L: ``(N, 1, S, S)`` float, Lab L in [0, 100] (N >= 1).
        true_ab: ``(N, 2, S, S)`` float, true ab in Lab units.
        predictions: non-empty dict, method name -> ``(N, 2, S, S)`` predicted ab in
            Lab units, e.g. ``{"L2": ..., "L2 + dropout": ..., "Smooth L1": ...,
            "cross-entropy": ...}``; shown in the dict's order.
        titles: optional per-image titles (N strings, e.g. class names) shown in the
            caption header.
        scale: whole upscaling factor per tile (default: :func:`default_scale`, so
            that a 32 or 64 px image shows at 256 px).

    The PNG is ``(len(predictions) + 2) * S * scale`` wide and ``S * scale`` high.

    Raises:
        ValueError: shapes that disagree, empty ``predictions``, wrong ``titles``.

    Attributes:
    - ``slider``: ``ipywidgets.IntSlider`` over image indices 0 .. N-1.
    - ``image``: ``ipywidgets.Image`` holding the row as PNG bytes.
    - ``caption``: ``ipywidgets.HTML``: image header, then each column's title and,
      under each method, ``ab L2: x.xx`` (per-image mean ab distance, Lab units).
    - ``scores``: dict method -> ``(N,)`` float64 ab L2 of every image.
    - ``methods``, ``scale``.
    """

    def __init__(
        self,
        L: torch.Tensor,
        true_ab: torch.Tensor,
        predictions: Mapping[str, torch.Tensor],
        titles: Sequence[str] | None = None,
        *,
        scale: int | None = None,
    ) -> None:
        L, true_ab = check_images(L, true_ab)
        if not isinstance(predictions, Mapping) or len(predictions) == 0:
            raise ValueError("predictions must be a non-empty dict: method name -> (N, 2, H, W) ab")
        preds: dict[str, torch.Tensor] = {}
        for name, pred in predictions.items():
            pred = _images_on_cpu(pred, f"predictions[{name!r}]", 2)
            if pred.shape != true_ab.shape:
                raise ValueError(
                    f"predictions[{name!r}] is {tuple(pred.shape)}, "
                    f"but true_ab is {tuple(true_ab.shape)}"
                )
            preds[str(name)] = pred
        n = L.shape[0]
        if titles is not None and len(titles) != n:
            raise ValueError(f"titles must have one entry per image ({n}), got {len(titles)}")
        self.L, self.true_ab, self.predictions = L, true_ab, preds
        self.titles = None if titles is None else [str(t) for t in titles]
        self.methods = list(preds)
        self.scale = check_scale(scale, L.shape[-1])
        self.scores = {name: ab_l2(pred, true_ab) for name, pred in preds.items()}

        self.slider = _image_slider(n)
        height, width = L.shape[-2] * self.scale, L.shape[-1] * self.scale
        columns = len(self.methods) + 2
        self.image = _image_widget(b"", columns * width, height)
        self.caption = ipywidgets.HTML()
        self.show(0)
        self.slider.observe(self._on_slider, names="value")
        super().__init__(children=[self.slider, self.image, self.caption])

    def _on_slider(self, change: dict) -> None:
        self.show(change["new"])

    def show(self, index: int) -> None:
        """Draw image ``index``: sets ``image.value`` and ``caption.value``."""
        i = int(index)
        L = self.L[i : i + 1]
        abs_ = [torch.zeros_like(self.true_ab[i : i + 1])]
        abs_ += [self.predictions[name][i : i + 1] for name in self.methods]
        abs_.append(self.true_ab[i : i + 1])
        rgb = lab_rgb(L.expand(len(abs_), -1, -1, -1), torch.cat(abs_))
        self.image.value = row_png(list(rgb), self.scale)

        columns = [["<b>gray input</b>", "&nbsp;"]]
        for name in self.methods:
            score = _fmt(self.scores[name][i])
            columns.append([f"<b>{html.escape(name)}</b>", f"ab L2: {score}"])
        columns.append(["<b>ground truth</b>", "&nbsp;"])
        header = f"image {i + 1} of {self.L.shape[0]}"
        if self.titles is not None:
            header += f": {html.escape(self.titles[i])}"
        header += (
            " &mdash; ab L2: mean distance to the true ab per pixel, Lab units; lower is closer"
        )
        self.caption.value = _caption_html(columns, self.L.shape[-1] * self.scale, header)


loss_comparison = LossComparison
"""The factory name notebooks use; builds a :class:`LossComparison`."""


# ------------------------------------------------------------ temperature explorer


def _check_temperatures(values: Sequence[float] | None) -> list[float]:
    values = DEFAULT_T_VALUES if values is None else values
    try:
        temps = sorted({float(t) for t in values})
    except (TypeError, ValueError) as error:
        raise ValueError(f"T_values must be numbers, got {values!r}") from error
    if not temps or any(not math.isfinite(t) or t < 0 for t in temps):
        raise ValueError(f"T_values must be a non-empty list of finite numbers >= 0, got {values}")
    return temps


def _t_label(t: float) -> str:
    label = f"{t:g}"
    if t == 0.0:
        return label + " (mode)"
    if t == ANNEAL_T:
        return label + " (Zhang)"
    if t == 1.0:
        return label + " (mean)"
    return label


class TemperatureExplorer(ipywidgets.VBox):
    """Sliders for the annealed-mean temperature T and the image: mode versus mean.

    Decodes ``logits`` with ``gamut.decode(logits, T)`` (T = 0: the mode, exactly
    :meth:`~colorlib.gamut.ABGamut.mode`), upsamples the ab bilinearly to S with
    :func:`colorlib.models.upsample_ab`, and shows gray | decoded | ground truth with
    the colourfulness (:func:`colorlib.metrics.colorfulness`, Hasler & Suesstrunk,
    on sRGB scaled to [0, 255]) and the ab L2 (Lab units) at the current T.

    Args:
        L: ``(N, 1, S, S)`` float, Lab L in [0, 100] (N >= 1).
        true_ab: ``(N, 2, S, S)`` float, true ab in Lab units.
        logits: ``(N, Q, s, s)`` float scores over the Q bins of ``gamut`` (ZhangNet:
            s = S / 4); pass ``probabilities.log()`` if you hold probabilities.
        gamut: the :class:`~colorlib.gamut.ABGamut` the network was trained with.
        T_values: the temperatures offered (finite, >= 0); default
            :data:`DEFAULT_T_VALUES`, 0 to 1 through 0.38. The slider starts at the
            one nearest 0.38.
        scale: whole upscaling factor per tile (default: :func:`default_scale`, so
            that a 32 or 64 px image shows at 256 px).

    The PNG is ``3 * S * scale`` wide and ``S * scale`` high.

    Raises:
        ValueError: shapes that disagree (N, or Q against ``gamut.Q``), bad ``T_values``.

    Attributes:
    - ``T_slider``: ``ipywidgets.SelectionSlider`` whose ``value`` is the temperature
      (a float among ``temperatures``).
    - ``image_slider``: ``ipywidgets.IntSlider`` over image indices 0 .. N-1.
    - ``image``: ``ipywidgets.Image`` holding the row as PNG bytes.
    - ``caption``: ``ipywidgets.HTML``: the decoded column shows ``T = t``,
      ``colorfulness: x.xx`` and ``ab L2: x.xx``; the ground truth its colorfulness.
    - ``ab``: the decoded ab shown now, ``(1, 2, S, S)`` Lab units.
    - ``stats``: ``{"T": t, "colorfulness": c, "ab_l2": d}`` for what is shown now.
    - ``temperatures``, ``scale``.
    """

    def __init__(
        self,
        L: torch.Tensor,
        true_ab: torch.Tensor,
        logits: torch.Tensor,
        gamut: ABGamut,
        T_values: Sequence[float] | None = None,
        *,
        scale: int | None = None,
    ) -> None:
        L, true_ab = check_images(L, true_ab)
        if not isinstance(gamut, ABGamut):
            raise TypeError(f"gamut must be a colorlib.gamut.ABGamut, got {type(gamut).__name__}")
        logits = _images_on_cpu(logits, "logits", gamut.Q)
        if logits.shape[0] != L.shape[0]:
            raise ValueError(
                f"logits hold {logits.shape[0]} images but L holds {L.shape[0]}: "
                f"logits {tuple(logits.shape)}, L {tuple(L.shape)}"
            )
        self.L, self.true_ab, self.logits, self.gamut = L, true_ab, logits, gamut
        self.temperatures = _check_temperatures(T_values)
        self.scale = check_scale(scale, L.shape[-1])
        self.true_colorfulness = colorfulness(lab_rgb(L, true_ab))

        start = min(self.temperatures, key=lambda t: abs(t - ANNEAL_T))
        self.T_slider = ipywidgets.SelectionSlider(
            options=[(_t_label(t), t) for t in self.temperatures],
            value=start,
            description="T",
        )
        self.image_slider = _image_slider(L.shape[0])
        height, width = L.shape[-2] * self.scale, L.shape[-1] * self.scale
        self.image = _image_widget(b"", 3 * width, height)
        self.caption = ipywidgets.HTML()
        self.update()
        self.T_slider.observe(self._on_change, names="value")
        self.image_slider.observe(self._on_change, names="value")
        super().__init__(children=[self.T_slider, self.image_slider, self.image, self.caption])

    def _on_change(self, change: dict) -> None:
        self.update()

    def decode(self, index: int, T: float) -> torch.Tensor:
        """ab ``(1, 2, S, S)`` in Lab units: image ``index`` decoded at ``T``, upsampled."""
        i = int(index)
        ab = self.gamut.decode(self.logits[i : i + 1], T=float(T))
        return upsample_ab(ab, tuple(self.L.shape[-2:]))

    def update(self) -> None:
        """Draw the image and temperature on the sliders (``image``, ``caption``)."""
        i, T = int(self.image_slider.value), float(self.T_slider.value)
        L, true_ab = self.L[i : i + 1], self.true_ab[i : i + 1]
        self.ab = self.decode(i, T)
        rgb = lab_rgb(
            L.expand(3, -1, -1, -1), torch.cat([torch.zeros_like(true_ab), self.ab, true_ab])
        )
        self.image.value = row_png(list(rgb), self.scale)

        vivid = float(colorfulness(rgb[1:2])[0])
        distance = float(ab_l2(self.ab, true_ab)[0])
        self.stats = {"T": T, "colorfulness": vivid, "ab_l2": distance}
        columns = [
            ["<b>gray input</b>", "&nbsp;", "&nbsp;"],
            [
                f"<b>annealed mean, T = {T:g}</b>",
                f"colorfulness: {_fmt(vivid)}",
                f"ab L2: {_fmt(distance)}",
            ],
            [
                "<b>ground truth</b>",
                f"colorfulness: {_fmt(self.true_colorfulness[i])}",
                "&nbsp;",
            ],
        ]
        header = (
            f"image {i + 1} of {self.L.shape[0]} &mdash; T = 0: the mode (vivid, patchy); "
            f"T = 1: the mean (smooth, grayish); Zhang et al.: T = {ANNEAL_T:g}"
        )
        self.caption.value = _caption_html(columns, self.L.shape[-1] * self.scale, header)


temperature_explorer = TemperatureExplorer
"""The factory name notebooks use; builds a :class:`TemperatureExplorer`."""
