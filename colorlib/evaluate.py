"""From a colorizer and a dataset to numbers: one place for notebooks 01, 02 and 05.

The pipeline, one function a step:

1. :func:`predict` runs a colorizer over a dataset and keeps everything the metrics
   need, as one dict of CPU tensors (a "prediction");
2. :func:`evaluate` turns a prediction into per-image metrics, reusing
   :mod:`colorlib.metrics`;
3. :func:`baselines` gives the two do-nothing predictions every table must show as
   its floor: the **gray guess** (ab = 0) and the **mean colouring** (the training
   set's mean ab, from :func:`mean_ab`, everywhere);
4. :func:`summary_table` prints the means as a fixed-width text table.

:func:`colorlib.experiments.load_history` reads a training history (shipped results or a
fresh run) for :func:`colorlib.viz.plot_history`.

A prediction (``dict``, every tensor on the CPU, N images of side S)
--------------------------------------------------------------------
- ``"L"``: ``(N, 1, S, S)`` float32 lightness in [0, 100] (the colorizer's input);
- ``"ab_true"``, ``"ab_pred"``: ``(N, 2, S, S)`` float32, **Lab units**;
- ``"rgb_true"``, ``"rgb_pred"``: ``(N, 3, S, S)`` float32 sRGB in [0, 1],
  ``lab_to_rgb(merge_lab(L, ab))`` of the true and the predicted ab (out-of-gamut
  colours clipped). Both are rebuilt from the *same* L, so the RGB metrics see the
  ab error only: a perfect ab prediction gives identical images. (The dataset's own
  ``"rgb"`` differs from ``rgb_true`` by the float16 rounding of the cached Lab, a
  few thousandths; :func:`colorlib.train.fit`'s ``val_psnr`` compares with it, so
  its PSNR can be a little lower than :func:`evaluate`'s.)
- ``"label"``: ``(N,)`` int64 class index, -1 where unknown.

Example
-------
>>> from colorlib import data, evaluate, pretrained
>>> test_set = data.load("cifar10", "test")
>>> model = pretrained.load("cifar10-seedcnn-l2")
>>> train_mean = evaluate.mean_ab(data.load("cifar10", "train"))
>>> pred = evaluate.predict(model, test_set, limit=2000)
>>> results = {"SeedCNN": evaluate.evaluate(pred)}
>>> for name, guess in evaluate.baselines(pred, train_mean).items():
...     results[name] = evaluate.evaluate(guess)
>>> print(evaluate.summary_table(results))
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Subset
from tqdm.auto import tqdm

from colorlib import metrics
from colorlib.colorizer import colorize, open_image
from colorlib.data import to_rgb_array
from colorlib.lab import lab_to_rgb, merge_lab, rgb_to_lab, split_lab

__all__ = [
    "METRICS",
    "PSNR_MAX_DB",
    "accuracy",
    "classifier_correct",
    "judge",
    "word_against_chance",
    "word_difference",
    "word_trend",
    "baselines",
    "bootstrap_ci",
    "by_class",
    "check_beats_gray",
    "evaluate",
    "full_size",
    "appeal_verdict",
    "paired_difference",
    "rebalanced_auc",
    "sample_spread",
    "mean_ab",
    "predict",
    "ranking_table",
    "summary_table",
    "temperature_sweep",
]

PSNR_MAX_DB = 100.0
"""PSNR cap in dB. An image whose prediction is exact (e.g. a grayscale photo and the
gray guess) has MSE 0 and PSNR +inf, which would make the mean over images inf;
capping at 100 dB (MSE 1e-10, far below 8-bit quantisation, about 48 dB) keeps the
mean finite and moves it by at most (100 - true value) / N. :func:`colorlib.train.fit`
uses the same cap for ``val_psnr``."""

METRICS = ("ab_l2", "ab_l2_squared", "auc", "psnr", "ssim", "colorfulness", "colorfulness_true")
"""The per-image metrics :func:`evaluate` returns, in this order."""

Prediction = dict[str, torch.Tensor]


# --------------------------------------------------------------------------- predict


def _to_rgb(L: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
    return lab_to_rgb(merge_lab(L.float(), ab.float()))


def _first(dataset: Dataset, limit: int | None) -> Dataset:
    if limit is None or limit >= len(dataset):
        return dataset
    if limit < 1:
        raise ValueError(f"limit must be a positive int or None, got {limit}")
    return Subset(dataset, range(limit))


def _device_of(colorizer: Callable) -> torch.device:
    if isinstance(colorizer, torch.nn.Module):
        for tensor in (*colorizer.parameters(), *colorizer.buffers()):
            return tensor.device
    return torch.device("cpu")


def predict(
    colorizer: Callable[[torch.Tensor], torch.Tensor],
    dataset: Dataset,
    batch_size: int = 256,
    device: str | torch.device | None = None,
    *,
    limit: int | None = None,
    progress: bool = False,
    resize: bool = False,
) -> Prediction:
    """Colorize every image of ``dataset`` (its first ``limit``) and keep what the metrics need.

    Args:
        colorizer: L ``(B, 1, S, S)`` in [0, 100] -> ab ``(B, 2, S, S)`` in Lab units:
            a :class:`colorlib.colorizer.Colorizer` (``pretrained.load``,
            ``experiments.train_or_load``) or any callable. An ``nn.Module`` is put in
            eval mode for the run and given back in the mode it came in.
        dataset: items ``{"L", "ab", "label", ...}`` as :mod:`colorlib.data` yields,
            read in order (no shuffling).
        batch_size: images per forward pass.
        device: where the colorizer runs; None: where its parameters are (CPU for a
            plain callable). A module is moved there (and stays there).
        limit: use only the first ``limit`` images (None: all).
        progress: show a tqdm bar. Off by default: notebooks print results, not bars.
        resize: for a colorizer trained at another size (its ``image_size``): resize
            L to that size (bilinear, antialiased when shrinking), predict, and
            resize the ab back to the photos' size; the photos' own L is kept, as
            :func:`colorlib.colorize` does. Without it a size mismatch is an error.

    Returns:
        A prediction dict (see the module docstring), every tensor on the CPU.

    Raises:
        ValueError: the colorizer has an ``image_size`` that differs from the images'
            side (load the data at that size), or its output is not ``(B, 2, S, S)``.
    """
    dataset = _first(dataset, limit)
    if len(dataset) == 0:
        raise ValueError("predict: the dataset is empty")
    if device is None:
        device = _device_of(colorizer)
    device = torch.device(device)
    module = colorizer if isinstance(colorizer, torch.nn.Module) else None
    was_training = module.training if module is not None else False
    if module is not None:
        module.to(device).eval()
    wanted = getattr(colorizer, "image_size", None)
    parts: dict[str, list[torch.Tensor]] = {k: [] for k in ("L", "ab_true", "ab_pred", "label")}
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False)
    try:
        with torch.no_grad():
            for batch in tqdm(loader, desc="predict", disable=not progress, leave=False):
                L = batch["L"].float()
                if resize and wanted is not None and L.shape[-1] != int(wanted):
                    ab = colorizer(_resize(L, int(wanted)).to(device)).float().cpu()
                    ab = _resize(ab, L.shape[-1])
                elif wanted is not None and L.shape[-1] != int(wanted):
                    raise ValueError(
                        f"predict: the colorizer was trained on {wanted}x{wanted} images, "
                        f"the dataset has {L.shape[-2]}x{L.shape[-1]}; load it at size {wanted}"
                    )
                else:
                    ab = colorizer(L.to(device)).float().cpu()
                if ab.shape != (L.shape[0], 2, *L.shape[-2:]):
                    raise ValueError(
                        f"predict: the colorizer returned {tuple(ab.shape)} for L "
                        f"{tuple(L.shape)}; expected (B, 2, H, W) ab"
                    )
                parts["L"].append(L)
                parts["ab_true"].append(batch["ab"].float())
                parts["ab_pred"].append(ab)
                labels = batch.get("label")
                parts["label"].append(
                    torch.as_tensor(labels, dtype=torch.int64)
                    if labels is not None
                    else torch.full((L.shape[0],), -1, dtype=torch.int64)
                )
    finally:
        if module is not None:
            module.train(was_training)
    pred = {k: torch.cat(v) for k, v in parts.items()}
    return _with_rgb(pred)


def _resize(x: torch.Tensor, size: int) -> torch.Tensor:
    """``x`` (N, C, s, s) bilinearly resized to ``size`` (antialiased when shrinking)."""
    if x.shape[-1] == size:
        return x
    shrink = size < x.shape[-1]
    return torch.nn.functional.interpolate(
        x, size=(size, size), mode="bilinear", align_corners=False, antialias=shrink
    )


def _with_rgb(pred: Prediction) -> Prediction:
    """Add ``rgb_true`` / ``rgb_pred`` to a dict holding L, ab_true, ab_pred (and label)."""
    out = dict(pred)
    out["rgb_true"] = _to_rgb(pred["L"], pred["ab_true"])
    out["rgb_pred"] = _to_rgb(pred["L"], pred["ab_pred"])
    if "label" not in out:
        out["label"] = torch.full((pred["L"].shape[0],), -1, dtype=torch.int64)
    return out


# -------------------------------------------------------------------------- evaluate


def evaluate(pred: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Per-image metrics of a prediction (:func:`predict`, :func:`baselines`).

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
        pred = _with_rgb(dict(pred))
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


# ------------------------------------------------------------------------- baselines


def full_size(
    colorizers: Mapping[str, torch.nn.Module],
    paths: Sequence[str | os.PathLike],
    progress: bool = False,
) -> tuple[dict[str, list[np.ndarray]], dict[str, dict[str, torch.Tensor]]]:
    """Every colorizer on every photo at the photo's own size, and per-photo scores.

    Each photo goes through :func:`colorlib.colorize` (the one path from a photo of
    any size to its colorization: L resized to the model's side, ab predicted and
    upsampled, merged with the full-resolution L), so the pictures are what a user
    of ``python -m colorlib colorize`` gets.

    Args:
        colorizers: name -> colorizer with an ``image_size`` (``pretrained.load``).
        paths: image files, any size and mode.
        progress: a tqdm bar over photos.

    Returns:
        ``(images, scores)``. ``images``: row name -> one uint8 ``(H, W, 3)`` sRGB
        array per photo, for ``"gray input"``, each colorizer and ``"ground truth"``.
        ``scores``: name -> ``{"ab_l2": (N,), "colorfulness": (N,)}`` float64 per
        photo, at full size, for ``"gray guess"`` (the gray input scored as a
        colorization), each colorizer and ``"ground truth"``; ab L2 in Lab units
        against the photo's own ab, colourfulness as :func:`colorlib.metrics.colorfulness`.
    """
    def as_batch(picture: np.ndarray) -> torch.Tensor:  # (H, W, 3) uint8 -> (1, 3, H, W)
        return torch.tensor(picture).permute(2, 0, 1)[None]

    images: dict[str, list[np.ndarray]] = {"gray input": [], **{n: [] for n in colorizers}}
    images["ground truth"], true_ab = [], []
    for path in tqdm(paths, desc="full size", disable=not progress, leave=False):
        with open_image(path) as photo:
            truth = to_rgb_array(photo)
        L, ab = split_lab(rgb_to_lab(as_batch(truth)))
        gray = lab_to_rgb(merge_lab(L, torch.zeros_like(ab)))[0]
        images["gray input"].append(gray.mul(255).round().byte().permute(1, 2, 0).numpy())
        for name, model in colorizers.items():
            images[name].append(colorize(model, truth))
        images["ground truth"].append(truth)
        true_ab.append(ab)
    scores = {}
    for name, row in images.items():
        values = {"ab_l2": [], "colorfulness": []}
        for picture, ab in zip(row, true_ab, strict=True):
            rgb = as_batch(picture)
            values["ab_l2"].append(metrics.ab_l2(split_lab(rgb_to_lab(rgb))[1], ab))
            values["colorfulness"].append(metrics.colorfulness(rgb.float() / 255))
        label = "gray guess" if name == "gray input" else name
        scores[label] = {k: torch.cat(v).double() for k, v in values.items()}
    return images, scores


def mean_ab(dataset: Dataset, limit: int | None = None, batch_size: int = 1000) -> torch.Tensor:
    """The mean (a, b) over every pixel of the first ``limit`` images of ``dataset``.

    Pass the **training** split (the mean colouring must not peek at the test
    images). Summed in float64. For a photo folder's training split (random crops)
    the value depends on the torch random state; seed it first.

    Returns:
        ``(2,)`` float32, Lab units.
    """
    dataset = _first(dataset, limit)
    total, count = torch.zeros(2, dtype=torch.float64), 0
    for batch in DataLoader(dataset, batch_size=batch_size, shuffle=False):
        ab = batch["ab"].double()
        total += ab.sum(dim=(0, 2, 3))
        count += ab.shape[0] * ab.shape[2] * ab.shape[3]
    if count == 0:
        raise ValueError("mean_ab: the dataset is empty")
    return (total / count).float()


def _constant(ab: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    value = ab.reshape(1, 2, 1, 1).float()

    def colorizer(L: torch.Tensor) -> torch.Tensor:
        return value.to(L.device).expand(L.shape[0], 2, *L.shape[-2:]).clone()

    return colorizer


def baselines(
    source: Dataset | Mapping[str, torch.Tensor],
    mean_ab: torch.Tensor | Sequence[float] | None,
    *,
    limit: int | None = None,
    batch_size: int = 256,
) -> dict[str, Prediction]:
    """The do-nothing predictions: the table's floor.

    Args:
        source: a test dataset, or a prediction already made on it (its L, ab_true
            and labels are reused; no second pass over the data).
        mean_ab: ``(2,)`` mean ab of the **training** images (:func:`mean_ab`), given
            explicitly so it never comes from the test set; None leaves out the mean
            colouring.
        limit, batch_size: as :func:`predict`, when ``source`` is a dataset.

    Returns:
        ``{"gray guess": prediction with ab = 0, "mean colouring": prediction with
        ab = mean_ab at every pixel}`` (predictions as :func:`predict` returns).
    """
    if isinstance(source, Mapping):
        base = {k: source[k] for k in ("L", "ab_true", "label") if k in source}
    else:
        base = predict(_constant(torch.zeros(2)), source, batch_size, limit=limit)
    guesses = {"gray guess": torch.zeros(2)}
    if mean_ab is not None:
        guesses["mean colouring"] = torch.as_tensor(mean_ab, dtype=torch.float32).reshape(2)
    out = {}
    for name, ab in guesses.items():
        ab_pred = _constant(ab)(base["L"])
        out[name] = _with_rgb({**base, "ab_pred": ab_pred})
    return out


# ---------------------------------------------------------------------------- table

# key, header, scale, extra decimals (SSIM differs little between methods)
_COLUMNS = (
    ("ab_l2", "ab L2", 1.0, 0),
    ("ab_l2_squared", "squared", 1.0, -1),
    ("auc", "AuC %", 100.0, 0),
    ("psnr", "PSNR dB", 1.0, 0),
    ("ssim", "SSIM", 1.0, 1),
    ("colorfulness", "colourful", 1.0, 0),
)


def summary_table(
    results: Mapping[str, Mapping[str, torch.Tensor]], digits: int = 2, legend: bool = True
) -> str:
    """Method rows x metric columns of means over images, as fixed-width text.

    Args:
        results: ``{method name: evaluate(prediction)}``, in the row order wanted.
        digits: decimals of every column (SSIM gets one more: it moves little; the
            squared ab L2, in the hundreds, one fewer).
        legend: add a line saying what each column is and which way is better.

    Returns:
        The table as one string (no trailing newline). Columns: ab L2 (Lab units,
        lower is better), its squared version (what L2 training minimises), AuC in %
        (higher is better), PSNR in dB (capped at 100), SSIM, colourfulness; a last
        row ``ground truth`` gives the true images' colourfulness when the results
        carry ``colorfulness_true``. Means of the float64 per-image values, rounded;
        -0.00 is printed as 0.00.
    """
    if not results:
        raise ValueError("summary_table: no results")
    width = max(12, *(len(name) for name in results)) + 2
    col = max(10, digits + 8)
    lines = [f"{'':{width}}" + "".join(f"{header:>{col}}" for _, header, _, _ in _COLUMNS)]

    def cells(values: Mapping[str, torch.Tensor]) -> str:
        out = ""
        for key, _, scale, extra in _COLUMNS:
            if key not in values:
                out += f"{'-':>{col}}"
                continue
            text = f"{float(values[key].double().mean()) * scale:.{max(0, digits + extra)}f}"
            if float(text) == 0.0:
                text = text.lstrip("-")
            out += f"{text:>{col}}"
        return out

    for name, values in results.items():
        lines.append(f"{name:{width}}" + cells(values))
    truths = [v["colorfulness_true"] for v in results.values() if "colorfulness_true" in v]
    if truths:
        lines.append(f"{'ground truth':{width}}" + cells({"colorfulness": truths[0]}))
    if legend:
        counts = sorted({len(t) for v in results.values() for t in list(v.values())[:1]})
        n = " / ".join(f"{c:,}" for c in counts)
        lines.append(
            f"(means over {n} images; ab L2: mean ab distance per pixel in Lab units, squared:\n"
            " its mean square, both lower is better; AuC: share of ab errors within 0-150,\n"
            " higher is better; PSNR capped at 100 dB)"
        )
    return "\n".join(lines)


# -------------------------------------------------------------------------- history


def paired_difference(
    ours: torch.Tensor, theirs: torch.Tensor, lower_is_better: bool = True
) -> tuple[float, float, str]:
    """Mean per-image difference ``ours - theirs``, two standard errors, and a verdict.

    Args:
        ours, theirs: ``(N,)`` per-image values of one metric on the same images.
        lower_is_better: the metric's direction (True for ab L2).

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
    mean, margin = diff.mean().item(), 2 * diff.std().item() / len(diff) ** 0.5
    gain = -mean if lower_is_better else mean
    verdict = "better" if gain > margin else "worse" if gain < -margin else "tie"
    return mean, margin, verdict


def word_difference(
    a: str,
    b: str,
    values_a: torch.Tensor,
    values_b: torch.Tensor,
    metric: str = "ab L2",
    lower_is_better: bool = True,
    unit: str = "",
    words: tuple[str, str] | None = None,
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

    Returns:
        e.g. ``"L2 + dropout is worse than L2 on ab L2: +0.31 [+0.22, +0.40] Lab
        units (paired 95% interval, 9,902 photos)"``.
    """
    mean, margin, verdict = paired_difference(values_a, values_b, lower_is_better)
    interval = f"{mean:+.2f} [{mean - margin:+.2f}, {mean + margin:+.2f}]{unit}"
    where = f"(paired 95% interval, {len(values_a):,} photos)"
    if verdict == "tie":
        return (
            f"{a} vs {b} on {metric}: no difference detectable, {interval} {where}; "
            f"differences under {2 * margin:.2f} could not show"
        )
    if words is not None:
        return f"{a} is {words[0] if mean > 0 else words[1]} than {b}: {interval} {where}"
    word = "better" if verdict == "better" else "worse"
    return f"{a} is {word} than {b} on {metric}: {interval} {where}"


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
      (:func:`paired_difference`; a colour that is wrong by more than no colour at
      all is not plausible).

    Args:
        scores: name -> ``{"ab_l2": (N,), "colorfulness": (N,)}`` per photo (e.g.
            :func:`full_size`'s second result), with ``truth`` and ``floor`` among them.
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
    device = _device_of(colorizer)
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
    device = _device_of(classifier)
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
            its training size and back, as :func:`predict` with ``resize=True``).
        device: where everything runs (None: where the classifier is).
        limit: the first ``limit`` photos only.

    Returns:
        ``{"real colour": (N,) bool, "gray": (N,) bool, **{name: (N,) bool}}``: whether
        the classifier labels each photo right, on the real photo, on its gray
        version (ab = 0) and on each colorization.
    """
    device = torch.device(device) if device is not None else _device_of(classifier)
    classifier.to(device)
    truth = predict(_constant(torch.zeros(2)), dataset, limit=limit)
    labels = truth["label"]
    out = {
        "real colour": classifier_correct(classifier, truth["rgb_true"], labels),
        "gray": classifier_correct(classifier, truth["rgb_pred"], labels),
    }
    for name, colorizer in colorizers.items():
        pred = predict(colorizer, dataset, device=device, limit=limit, resize=True)
        out[name] = classifier_correct(classifier, pred["rgb_pred"], labels)
    return out


def rebalanced_auc(pred: Mapping[str, torch.Tensor], prior: torch.Tensor) -> torch.Tensor:
    """Zhang et al.'s class-rebalanced AuC per image: each pixel weighted by
    ``1 / prior`` of the ab bin nearest its true ab, so rare (vivid) colours count as
    much as common (grey, brown) ones.

    Args:
        pred: a prediction (``ab_pred``, ``ab_true``; :func:`predict`).
        prior: ``(Q,)`` the empirical prior of :class:`colorlib.gamut.ABGamut` bins,
            from the training photos (``ABGamut().prior(...)``); bins the training
            set never uses get the smallest positive prior.

    Returns:
        ``(N,)`` float64 in [0, 1].
    """
    from colorlib.gamut import ABGamut

    gamut = ABGamut()
    if prior.shape != (gamut.Q,):
        raise ValueError(f"rebalanced_auc: prior must be ({gamut.Q},), got {tuple(prior.shape)}")
    floor = prior[prior > 0].min()
    weights = 1.0 / prior.clamp_min(floor)
    pixel_weights = weights[gamut.nearest(pred["ab_true"])]
    return metrics.ab_auc(pred["ab_pred"], pred["ab_true"], pixel_weights=pixel_weights).double()


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


@torch.no_grad()
def temperature_sweep(
    colorizer: torch.nn.Module,
    dataset: Dataset,
    temperatures: Sequence[float],
    batch_size: int = 256,
) -> dict[float, Prediction]:
    """Predictions of a cross-entropy colorizer decoded at each temperature.

    The network runs once per batch (``Colorizer.logits``); its bin logits are
    decoded with every T (``Colorizer.decode``: 0 is the mode, 1 the mean, Zhang's
    0.38 between). The colorizer itself is not changed.

    Returns:
        ``{T: prediction}`` (as :func:`predict` returns, with rgb).

    Raises:
        ValueError: the colorizer has no ab bins (not a cross-entropy model).
    """
    if getattr(colorizer, "gamut", None) is None:
        raise ValueError("temperature_sweep: the colorizer decodes no bins (no gamut)")
    device = _device_of(colorizer)
    was_training = colorizer.training
    colorizer.eval()
    parts: dict[float, list[torch.Tensor]] = {float(t): [] for t in temperatures}
    base: dict[str, list[torch.Tensor]] = {"L": [], "ab_true": [], "label": []}
    try:
        with torch.no_grad():
            for batch in DataLoader(dataset, batch_size=batch_size, shuffle=False):
                L = batch["L"].float()
                logits = colorizer.logits(L.to(device))
                for T in parts:
                    parts[T].append(colorizer.decode(logits, L.shape[-2:], T=T).float().cpu())
                base["L"].append(L)
                base["ab_true"].append(batch["ab"].float())
                base["label"].append(torch.as_tensor(batch["label"], dtype=torch.int64))
    finally:
        colorizer.train(was_training)
    common = {k: torch.cat(v) for k, v in base.items()}
    return {T: _with_rgb({**common, "ab_pred": torch.cat(ab)}) for T, ab in parts.items()}


RANKING_COLUMNS = (
    ("ab_l2", "ab L2", 1.0),
    ("psnr", "PSNR dB", 1.0),
    ("ssim", "SSIM", 1.0),
    ("auc", "AuC %", 100.0),
    ("auc_rebalanced", "AuC reb. %", 100.0),
    ("colorfulness", "colourful", 1.0),
    ("colorfulness_gap", "gap", 1.0),
)
"""Columns of :func:`ranking_table`: key, header, scale."""


def ranking_table(
    results: Mapping[str, Mapping[str, torch.Tensor]],
    sort_by: str = "ab_l2",
    resamples: int = 1000,
    seed: int = 0,
) -> str:
    """Methods ranked by one metric, every cell ``mean [low, high]`` (95% bootstrap).

    Args:
        results: ``{method: evaluate(...)}``, optionally with ``"auc_rebalanced"``
            (:func:`rebalanced_auc`); ``"colorfulness_gap"`` (colourfulness minus
            the truth's, per image) is added here.
        sort_by: the metric ranked on (ascending for ab L2, descending otherwise).
        resamples, seed: for :func:`bootstrap_ci`.

    Returns:
        Fixed-width text, best first, one decimal (three for SSIM).
    """
    if not results:
        raise ValueError("ranking_table: no results")
    rows = {}
    for name, values in results.items():
        values = dict(values)
        if "colorfulness" in values and "colorfulness_true" in values:
            values["colorfulness_gap"] = values["colorfulness"] - values["colorfulness_true"]
        rows[name] = values
    columns = [c for c in RANKING_COLUMNS if any(c[0] in v for v in rows.values())]
    ascending = sort_by == "ab_l2"
    order = sorted(rows, key=lambda n: rows[n][sort_by].double().mean().item(),
                   reverse=not ascending)  # fmt: skip
    width = max(14, *(len(n) for n in rows)) + 2
    cell = 22
    lines = [f"{'':{width}}" + "".join(f"{header:>{cell}}" for _, header, _ in columns)]
    for name in order:
        text = f"{name:{width}}"
        for key, _, scale in columns:
            if key not in rows[name]:
                text += f"{'-':>{cell}}"
                continue
            mean, low, high = bootstrap_ci(rows[name][key] * scale, resamples=resamples, seed=seed)
            digits = 3 if key == "ssim" else 1
            text += f"{f'{mean:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]':>{cell}}"
        lines.append(text)
    return "\n".join(lines)


def check_beats_gray(
    results: Mapping[str, Mapping[str, torch.Tensor]], gray: str = "gray guess"
) -> None:
    """Raise unless every method's mean ab L2 is below the gray guess's.

    The sanity check of a quick retrain (CI): a model that cannot beat "ab = 0" has
    not learned anything. ``results`` maps names to :func:`evaluate` outputs and must
    hold ``gray``; every other entry counts as a method.

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


# ------------------------------------------------------------ verdicts on training curves


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
    verdict = below if ratio < 1 - band else above if ratio > 1 + band else near
    last_epoch = first_epoch + len(values) - 1
    return (f"{what}: {values[0]:.2f} at epoch {first_epoch}, {values[-1]:.2f} at epoch "
            f"{last_epoch}, {100 * ratio:.1f}% of its chance level {chance:.2f} (near chance: "
            f"{100 * (1 - band):.0f}% to {100 * (1 + band):.0f}%): {verdict}")  # fmt: skip

