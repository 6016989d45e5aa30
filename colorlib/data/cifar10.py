"""CIFAR-10: find it in the data roots (official batches or class folders) and read it.

The official python batches are unpickled here, accepting only the numpy-array
globals such a pickle needs, rather than by torchvision (see the :mod:`colorlib.data`
docstring); torchvision is used only for ``download=True``. Class folders must be
named after the CIFAR-10 classes and hold 32x32 images. :func:`load_cifar10` returns
a :class:`~colorlib.data.datasets.LabImages` through the cache.
"""

from __future__ import annotations

import functools
import pickle
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from colorlib.data.datasets import LabImages, cached_lab_images
from colorlib.data.images import read_image
from colorlib.data.photos import list_images
from colorlib.data.roots import BadImageError, DatasetNotFoundError, not_found_message

CIFAR10_CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
)  # fmt: skip
"""CIFAR-10 class names in the official label order (also alphabetical)."""

_CIFAR_BATCHES = {"train": [f"data_batch_{k}" for k in range(1, 6)], "test": ["test_batch"]}


def load_cifar10(roots: list[Path], split: str, download: bool) -> LabImages:
    """Find CIFAR-10 (batches or class folders) in the roots, read it via the cache.

    Args:
        roots: the data roots in search order (:func:`colorlib.data.data_roots`).
        split: ``"train"`` or ``"test"``.
        download: if no root holds it, fetch the official batches into the first root.

    Raises:
        DatasetNotFoundError: no root holds CIFAR-10 (and ``download`` is False).
    """
    looked: list[Path] = []
    for root in roots:
        for batches in (root / "cifar10" / "cifar-10-batches-py", root / "cifar-10-batches-py"):
            looked.append(batches)
            files = [batches / f for f in _CIFAR_BATCHES[split]]
            if all(f.is_file() for f in files):
                read = functools.partial(read_cifar_batches, files)
                return cached_lab_images(f"cifar10-{split}", batches, files, read, CIFAR10_CLASSES)
        folders = root / "cifar10" / split
        looked.append(folders)
        files = list_images(folders) if folders.is_dir() else []
        if files:
            read = functools.partial(_read_cifar_folders, folders, files)
            return cached_lab_images(f"cifar10-{split}", folders, files, read, CIFAR10_CLASSES)
    if download:
        _download_cifar10(roots[0] / "cifar10")
        return load_cifar10(roots[:1], split, download=False)
    raise DatasetNotFoundError(
        not_found_message(
            "CIFAR-10",
            looked,
            "Get it with colorlib.data.load('cifar10', download=True) (torchvision fetches "
            f"cifar-10-python.tar.gz, md5-checked, into {roots[0] / 'cifar10'}), or put the "
            "batches (cifar-10-batches-py/) or class folders (cifar10/train|test/<class>/) "
            "in a folder and point COLORLIB_DATA at it.",
        )
    )


def _download_cifar10(folder: Path) -> None:
    """Fetch and extract the official batches with torchvision (md5-checked)."""
    from torchvision.datasets import CIFAR10

    folder.mkdir(parents=True, exist_ok=True)
    CIFAR10(str(folder), train=False, download=True)


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles dicts/lists of numbers, strings and numpy arrays, and nothing else."""

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("_codecs", "encode"),  # bytes inside protocol-2 pickles written by Python 3
    }

    def find_class(self, module: str, name: str):
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"refusing to unpickle {module}.{name}")
        return super().find_class(module, name)


def _read_cifar_batch(path: Path) -> dict:
    """One official batch -> dict with str keys (``data``, ``labels``, ...)."""
    with open(path, "rb") as f:
        batch = _ArrayUnpickler(f, encoding="latin1").load()
    return {k.decode() if isinstance(k, bytes) else k: v for k, v in batch.items()}


def read_cifar_batches(files: Sequence[Path]) -> dict:
    """Official batches -> uint8 images (N, 3, 32, 32) and int64 labels (N,).

    Returns:
        ``{"images", "labels", "skipped": []}``, the ``read`` of
        :func:`colorlib.data.datasets.cached_lab_images`.

    Raises:
        ValueError: a file is not a CIFAR-10 python batch (or pickles other objects).
    """
    images, labels = [], []
    for path in files:
        try:
            batch = _read_cifar_batch(path)
            data = np.asarray(batch["data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
        except Exception as err:
            raise ValueError(f"{path} is not a CIFAR-10 python batch: {err}") from err
        images.append(torch.from_numpy(data.copy()))
        labels.append(torch.as_tensor(np.asarray(batch["labels"], dtype=np.int64)))
    return {"images": torch.cat(images), "labels": torch.cat(labels), "skipped": []}


def _read_cifar_folders(folder: Path, files: Sequence[Path]) -> dict:
    """Class folders -> uint8 images (N, 3, 32, 32), labels (N,), skipped files."""
    class_names = sorted({f.relative_to(folder).parts[0] for f in files if f.parent != folder})
    unknown = [c for c in class_names if c not in CIFAR10_CLASSES]
    if unknown or any(f.parent.parent != folder for f in files):
        raise ValueError(
            f"{folder} must hold one folder per CIFAR-10 class ({', '.join(CIFAR10_CLASSES)}) "
            f"with the images directly inside; found {unknown or 'images outside class folders'}"
        )
    labels = [CIFAR10_CLASSES.index(f.parent.name) for f in files]
    images, keep, skipped = _decode_fixed_size(files, 32)
    return {"images": images, "labels": torch.tensor(labels)[keep], "skipped": skipped}


def _decode_fixed_size(
    files: Sequence[Path], size: int
) -> tuple[torch.Tensor, list[int], list[str]]:
    """Decode files that must be size x size -> uint8 (K, 3, S, S), kept indices, skipped."""
    images = torch.empty((len(files), 3, size, size), dtype=torch.uint8)
    keep, skipped = [], []
    for i, path in enumerate(files):
        try:
            image = read_image(path)
            if image.shape[1:] != (size, size):
                raise BadImageError(
                    f"{image.shape[2]}x{image.shape[1]} pixels, expected {size}x{size}"
                )
        except BadImageError as err:
            skipped.append(f"{path}: {err}")
            continue
        images[len(keep)] = image
        keep.append(i)
    return images[: len(keep)].clone(), keep, skipped
