"""Downsampled ImageNet (Chrabaszcz et al. 2017): find the official npz files and read them.

``train_data_batch_<k>.npz`` (joined in numeric order of k) and ``val_data.npz``, in
``<root>/imagenet<S>/`` or the official unzipped ``Imagenet<S>_*_npz/`` folders (see
the :mod:`colorlib.data` docstring). :func:`load_imagenet_npz` returns a
:class:`~colorlib.data.datasets.LabImages` through the cache, with 0-based labels
(-1 where the file says "not an ILSVRC-2012 class").
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from colorlib.data.datasets import LabImages, cached_lab_images
from colorlib.data.roots import NATIVE_SIZE, DatasetNotFoundError, not_found_message


def load_imagenet_npz(roots: list[Path], name: str, split: str) -> LabImages:
    """Find the official npz files of ``name`` in the roots, read them via the cache.

    Args:
        roots: the data roots in search order (:func:`colorlib.data.data_roots`).
        name: ``"imagenet32"`` or ``"imagenet64"``.
        split: ``"train"`` or ``"test"`` (``val_data.npz``).

    Raises:
        DatasetNotFoundError: no root holds the files of the split.
    """
    size = NATIVE_SIZE[name]
    looked: list[Path] = []
    for root in roots:
        files, places = _find_npz(root, size, split)
        looked += places
        if files:
            read = functools.partial(_read_npz, files, size)
            return cached_lab_images(f"{name}-{split}", files[0].parent, files, read)
    official = f"Imagenet{size}_train*_npz.zip and Imagenet{size}_val_npz.zip"
    wanted = "train_data_batch_*.npz" if split == "train" else "val_data.npz"
    raise DatasetNotFoundError(
        not_found_message(
            f"Downsampled ImageNet {size}x{size} ({wanted})",
            looked,
            f"Download the official npz files ({official}) from "
            "https://image-net.org/download-images (free account, non-commercial use), "
            f"unzip them into <root>/{name}/ and point COLORLIB_DATA at <root>.",
        )
    )


def _find_npz(root: Path, size: int, split: str) -> tuple[list[Path], list[Path]]:
    """(npz files of the split in this root, in batch order; the folders looked at)."""
    pattern = f"Imagenet{size}_{split.replace('test', 'val')}*_npz"
    places = []
    for base in (root / f"imagenet{size}", root):
        places.append(base)
        if base.is_dir():
            places += sorted(p for p in base.glob(pattern) if p.is_dir())
    if split == "train":
        files = [f for p in places for f in p.glob("train_data_batch_*.npz")]
        numbered = {int(m.group(1)): f for f in files if (m := re.search(r"_(\d+)\.npz$", f.name))}
        files = [numbered[k] for k in sorted(numbered)]
    else:
        files = [p / "val_data.npz" for p in places if (p / "val_data.npz").is_file()][:1]
    return files, places


def _read_npz(files: Sequence[Path], size: int) -> dict:
    """Official npz files -> uint8 images (N, 3, S, S) and labels (N,), 0-based, -1 = none."""
    images, labels = [], []
    for path in files:
        try:
            with np.load(path) as npz:
                data, raw_labels = npz["data"], np.asarray(npz["labels"], dtype=np.int64)
        except Exception as err:
            raise ValueError(f"{path} is not a Downsampled ImageNet npz file: {err}") from err
        if data.dtype != np.uint8 or data.shape != (raw_labels.size, 3 * size * size):
            raise ValueError(
                f"{path}: data is {data.dtype} {data.shape} with {raw_labels.size} labels, "
                f"expected uint8 (N, {3 * size * size}) for {size}x{size} images"
            )
        images.append(torch.from_numpy(data.reshape(-1, 3, size, size)))  # R, G, B planes
        labels.append(torch.from_numpy(raw_labels.reshape(-1) - 1))
    return {"images": torch.cat(images), "labels": torch.cat(labels), "skipped": []}
