"""The entry points: :func:`load` a dataset by name, or :func:`load_or_sample` it.

:func:`load` checks the arguments, resolves the data roots and hands the name to the
module that reads it (:mod:`~colorlib.data.cifar10`, :mod:`~colorlib.data.imagenet`,
:mod:`~colorlib.data.tinyimagenet`, or a photo folder); it reports skipped files once.
:func:`load_or_sample` falls back to the bundled sample and describes in one line,
with no absolute path, what was loaded. :func:`random_subset` draws a seeded subset.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import torch
from torch.utils.data import Dataset, Subset

from colorlib.data.cifar10 import load_cifar10
from colorlib.data.datasets import DEFAULT_PHOTO_SIZE, LabImages, PhotoFolder, check_photo_size
from colorlib.data.imagenet import load_imagenet_npz
from colorlib.data.photos import find_photo_folder, split_folder
from colorlib.data.roots import (
    NATIVE_SIZE,
    BadImageWarning,
    DatasetNotFoundError,
    data_roots,
    origin,
)
from colorlib.data.tinyimagenet import load_tinyimagenet

IMAGENET_CHOICES = {64: ("tinyimagenet", "imagenet64"), 32: ("tinyimagenet", "imagenet32")}
"""The notebooks' ImageNet photos at each size, best first: Tiny ImageNet, then the
official Downsampled ImageNet npz (then, through :func:`load_or_sample`, the sample)."""

SAMPLE_DESCRIPTION = "the bundled sample"
"""How :func:`load_or_sample` begins its description of the sample (the fallback, or
the sample asked for by name): ``colorlib.reproduce`` recognises sample runs by it."""

_DISPLAY_NAMES = {
    "cifar10": "CIFAR-10",
    "imagenet32": "Downsampled ImageNet 32x32",
    "imagenet64": "Downsampled ImageNet 64x64",
    "tinyimagenet": "Tiny ImageNet",
    "sample": SAMPLE_DESCRIPTION,
    "imagenet-photos": "ImageNet photos",
}


def load(
    name: str,
    split: str = "train",
    root: str | os.PathLike | None = None,
    size: int | None = None,
    download: bool = False,
) -> LabImages | PhotoFolder:
    """A colorization dataset of L/ab/rgb/label items (see the :mod:`colorlib.data` docstring).

    Args:
        name: ``"cifar10"``, ``"tinyimagenet"``, ``"imagenet32"``, ``"imagenet64"``,
            ``"sample"``, ``"imagenet-photos"``, or a folder of photos.
        split: ``"train"`` or ``"test"``; ``"val"`` means ``"test"`` for ImageNet and
            photo folders (CIFAR-10 has no val split).
        root: first data root to search, before ``COLORLIB_DATA`` and ``data/``.
        size: side S of the square items. CIFAR-10 and ImageNet npz have a fixed
            size (32, or 64 for imagenet64): None or that number. Tiny ImageNet: 64
            (default) or 32 (box-filtered). Photo folders: any positive int, default 64.
        download: CIFAR-10 and Tiny ImageNet only: if no root holds it, fetch the
            official files (md5-checked) into the first root.

    Returns:
        A :class:`LabImages` (CIFAR-10, ImageNet npz) or :class:`PhotoFolder`.

    Raises:
        ValueError: unknown name, bad split or size, download for another dataset.
        DatasetNotFoundError: the dataset is in none of the roots.
    """
    roots = data_roots(root)
    if name == "tinyimagenet":
        dataset = load_tinyimagenet(roots, _check_split(name, split), size, download)
    elif name in NATIVE_SIZE:
        size = _check_fixed_size(name, size)
        if download and name != "cifar10":
            raise ValueError(
                f"download=True works for cifar10 and tinyimagenet only; {name} needs the "
                "official files "
                "from https://image-net.org/download-images (free account)"
            )
        if name == "cifar10":
            dataset = load_cifar10(roots, _check_split(name, split), download)
        else:
            dataset = load_imagenet_npz(roots, name, _check_split(name, split))
    else:
        if download:
            raise ValueError("download=True works for cifar10 and tinyimagenet only")
        split, size = _check_split(name, split), check_photo_size(size)
        folder = split_folder(find_photo_folder(name, roots), split)
        dataset = PhotoFolder(folder, split, size)
    if dataset.skipped:
        warnings.warn(_skipped_message(dataset), BadImageWarning, stacklevel=2)
    return dataset


def random_subset(dataset: Dataset, count: int | None, seed: int = 0) -> Dataset:
    """``count`` items of ``dataset`` drawn at random without replacement (seeded).

    The draw depends only on ``len(dataset)``, ``count`` and ``seed``, so it is the
    same on every machine. Use it rather than "the first N": the class-folder
    datasets are sorted by class. ``count`` None (or >= the size) keeps every item,
    in a random order.
    """
    order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(seed))
    size = len(dataset) if count is None else min(count, len(dataset))
    return Subset(dataset, order[:size].tolist())


def load_or_sample(
    name: str | Sequence[str],
    split: str = "train",
    root: str | os.PathLike | None = None,
    size: int | None = None,
) -> tuple[LabImages | PhotoFolder, str]:
    """:func:`load` ``name``, or the bundled sample when it is not there; and say which.

    ``name`` may be a sequence of names tried in order (e.g.
    :data:`IMAGENET_CHOICES` ``[64]``): the first one found is used.

    For notebooks and demos that must run anywhere: with the real data they use it,
    without it they run on ``data/sample`` and say so.

    Args:
        name, split, root, size: as for :func:`load`. When falling back, the sample
            is read at ``size``, or by default at the requested dataset's native
            size (32 for CIFAR-10 and ImageNet 32, 64 otherwise).

    Returns:
        ``(dataset, description)``. The description is one line with no absolute
        path (it is printed in notebooks whose outputs are compared), e.g.
        ``"CIFAR-10 test split: 10,000 images, 32x32, from datasets/cifar10/test
        (COLORLIB_DATA)"`` or ``"the bundled sample (48 test photos, 32x32 centre
        crops): CIFAR-10 not found; set COLORLIB_DATA to use it"``.

    Raises:
        ValueError: as :func:`load` (bad name, split or size).
        DatasetNotFoundError: only if the bundled sample itself is missing.
    """
    if not isinstance(name, str):
        names = list(name)
        for candidate in names[:-1]:
            try:
                load(candidate, split, root, size)
            except DatasetNotFoundError:
                continue
            return load_or_sample(candidate, split, root, size)
        dataset, about = load_or_sample(names[-1], split, root, size)
        if about.startswith(SAMPLE_DESCRIPTION) and len(names) > 1:
            wanted = " and ".join(_DISPLAY_NAMES.get(n, n) for n in names)
            about = about.split(":")[0] + f": {wanted} not found; set COLORLIB_DATA to use them"
        return dataset, about
    try:
        dataset = load(name, split, root, size)
    except DatasetNotFoundError:
        if name == "sample":
            raise
        fallback_size = size if size is not None else NATIVE_SIZE.get(name, DEFAULT_PHOTO_SIZE)
        dataset = load("sample", split, root, fallback_size)
        wanted = _DISPLAY_NAMES.get(name, f"the photo folder {Path(name).name!r}")
        return dataset, (
            f"{SAMPLE_DESCRIPTION} ({_photo_count(dataset)}): {wanted} not found; "
            "set COLORLIB_DATA to use it"
        )
    if name == "sample":
        return dataset, f"{SAMPLE_DESCRIPTION} ({_photo_count(dataset)})"
    label = _DISPLAY_NAMES.get(name, "photos")
    colourless = getattr(dataset, "colourless", 0)
    left_out = f" ({colourless:,} colourless photos left out)" if colourless else ""
    return dataset, (
        f"{label} {_split_name(dataset, split)} split: {len(dataset):,} images{left_out}, "
        f"{dataset.size}x{dataset.size}, from {_where(dataset, root)}"
    )


def short_label(name: str, dataset: LabImages | PhotoFolder, about: str) -> str:
    """A column label for a dataset :func:`load_or_sample` returned for ``name``:
    ``name`` itself (``"cifar10"``), or ``"sample 32px"`` when the bundled sample stood
    in for it, so that two columns of the sample never pass for two real datasets.

    Args:
        name: the name asked for.
        dataset, about: what :func:`load_or_sample` returned.
    """
    return f"sample {dataset.size}px" if about.startswith(SAMPLE_DESCRIPTION) else name


def _split_name(dataset: Dataset, split: str) -> str:
    """The split's own name: Tiny ImageNet's test split is its ``val`` folder."""
    tiny = "tiny-imagenet" in str(getattr(dataset, "source", ""))
    return "val" if tiny and split in ("test", "val") else split


def _photo_count(dataset: PhotoFolder) -> str:
    """E.g. ``"48 test photos, 32x32 centre crops"``."""
    crops = "random crops" if dataset.split == "train" else "centre crops"
    return f"{len(dataset):,} {dataset.split} photos, {dataset.size}x{dataset.size} {crops}"


def _where(dataset: LabImages | PhotoFolder, root: str | os.PathLike | None) -> str:
    """Where a dataset came from, without an absolute path: ``"datasets/cifar10/test
    (COLORLIB_DATA)"`` (see :func:`colorlib.data.roots.origin`)."""
    return origin(dataset.folder if isinstance(dataset, PhotoFolder) else dataset.source, root)


# -------------------------------------------------------------- argument checks


def _check_split(name: str, split: str) -> str:
    """``split`` -> "train" or "test" (``"val"`` kept for photo folders to pick val/)."""
    allowed = ("train", "test") if name == "cifar10" else ("train", "test", "val")
    if split not in allowed:
        hint = " (CIFAR-10 has no val split)" if split == "val" else ""
        raise ValueError(f"split must be one of {allowed} for {name!r}, got {split!r}{hint}")
    if name in NATIVE_SIZE and split == "val":
        return "test"
    if name == "tinyimagenet" and split == "test":
        return "val"  # Tiny ImageNet's test labels were never published: val is its test
    return split


def _check_fixed_size(name: str, size: int | None) -> int:
    native = NATIVE_SIZE[name]
    if size is not None and size != native:
        raise ValueError(
            f"{name} images are {native}x{native}; size must be None or {native}, got {size!r}. "
            "For other sizes load a photo folder such as 'imagenet-photos'."
        )
    return native


def _skipped_message(dataset: Dataset) -> str:
    skipped = dataset.skipped
    examples = "; ".join(skipped[:3]) + ("; ..." if len(skipped) > 3 else "")
    total = len(dataset) + len(skipped)
    return (
        f"colorlib.data: skipped {len(skipped)} of {total} image files that could not be "
        f"read ({examples}). The full list is in dataset.skipped."
    )
