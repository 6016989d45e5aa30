"""From a colorizer and a dataset to a *prediction*: what every metric needs.

:func:`predict` runs a colorizer over a dataset; :func:`baselines` gives the two
do-nothing predictions every table must show as its floor (the **gray guess**, ab = 0,
and the **mean colouring**, the training set's :func:`mean_ab` everywhere);
:func:`temperature_sweep` decodes one forward pass of a bins model at several
temperatures; :func:`full_size` colorizes photos at their own size.

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
  its PSNR can be a little lower than :func:`colorlib.evaluate.evaluate`'s.)
- ``"label"``: ``(N,)`` int64 class index, -1 where unknown.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Subset
from tqdm.auto import tqdm

from colorlib import metrics
from colorlib.colorizer import colorize, device_of, predict_ab
from colorlib.data import to_rgb_array
from colorlib.lab import lab_to_rgb, merge_lab, rgb_to_lab, split_lab
from colorlib.photo_files import open_image

__all__ = [
    "BASELINES",
    "Prediction",
    "baselines",
    "constant_colorizer",
    "full_size",
    "mean_ab",
    "predict",
    "temperature_sweep",
    "with_rgb",
]


Prediction = dict[str, torch.Tensor]
"""A prediction: see the module docstring for its keys, shapes and units."""

BASELINES = ("gray guess", "mean colouring")
"""The names :func:`baselines` gives its do-nothing predictions, in order."""


def _to_rgb(L: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
    return lab_to_rgb(merge_lab(L.float(), ab.float()))


def _first(dataset: Dataset, limit: int | None) -> Dataset:
    if limit is None or limit >= len(dataset):
        return dataset
    if limit < 1:
        raise ValueError(f"limit must be a positive int or None, got {limit}")
    return Subset(dataset, range(limit))


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
        resize: for a colorizer trained at another size (its ``image_size``): go
            through :func:`colorlib.colorizer.predict_ab`, the path
            :func:`colorlib.colorize` takes (L resized to that size, bilinear and
            antialiased when shrinking; ab predicted and resized back to the photos'
            size); the photos' own L is kept. Without it a size mismatch is an error.

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
        device = device_of(colorizer)
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
                if resize and wanted is not None:
                    ab = predict_ab(colorizer, L, device)
                elif wanted is not None and tuple(L.shape[-2:]) != (int(wanted), int(wanted)):
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
    return with_rgb(pred)


def with_rgb(pred: Prediction) -> Prediction:
    """Add ``rgb_true`` / ``rgb_pred`` to a dict holding L, ab_true, ab_pred (and label)."""
    out = dict(pred)
    out["rgb_true"] = _to_rgb(pred["L"], pred["ab_true"])
    out["rgb_pred"] = _to_rgb(pred["L"], pred["ab_pred"])
    if "label" not in out:
        out["label"] = torch.full((pred["L"].shape[0],), -1, dtype=torch.int64)
    return out


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


def constant_colorizer(ab: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    """A colorizer that paints every pixel ``ab`` (``(2,)``, Lab units): L ``(B, 1, H, W)``
    -> ab ``(B, 2, H, W)`` float32, on L's device."""
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
        base = predict(constant_colorizer(torch.zeros(2)), source, batch_size, limit=limit)
    gray, mean = BASELINES
    guesses = {gray: torch.zeros(2)}
    if mean_ab is not None:
        guesses[mean] = torch.as_tensor(mean_ab, dtype=torch.float32).reshape(2)
    out = {}
    for name, ab in guesses.items():
        ab_pred = constant_colorizer(ab)(base["L"])
        out[name] = with_rgb({**base, "ab_pred": ab_pred})
    return out


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
    device = device_of(colorizer)
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
    return {T: with_rgb({**common, "ab_pred": torch.cat(ab)}) for T, ab in parts.items()}
