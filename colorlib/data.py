"""Datasets for colorization: every item is an image split into L and ab.

One entry point, :func:`load`::

    ds = colorlib.data.load("cifar10", split="test")     # 10,000 items
    item = ds[0]
    item["L"]      # (1, S, S) float32, L in [0, 100] (CIE Lab units)
    item["ab"]     # (2, S, S) float32, a and b in Lab units (about [-110, 110])
    item["rgb"]    # (3, S, S) float32, sRGB in [0, 1]
    item["label"]  # int: the class index, or -1 where the dataset has none

``L`` and ``ab`` are ``colorlib.split_lab(colorlib.rgb_to_lab(rgb))`` of that very
``rgb`` (for CIFAR-10 and ImageNet npz read back from a float16 cache: within 0.032
Lab units, see *Cache*). A ``DataLoader`` with the default collate turns a batch
into ``L`` (B, 1, S, S), ``ab`` (B, 2, S, S), ``rgb`` (B, 3, S, S), ``label`` (B,).

Names, layouts and sizes
------------------------
``"cifar10"`` (S = 32; ``size`` must be None or 32). Labels 0-9 in CIFAR's standard
order (:data:`CIFAR10_CLASSES`). Two layouts, looked for in each data root R:

1. the official python batches: ``R/cifar10/cifar-10-batches-py/`` or
   ``R/cifar-10-batches-py/`` (where torchvision puts them), with ``data_batch_1`` ..
   ``data_batch_5`` (train) and ``test_batch`` (test). ``download=True`` fetches them
   with ``torchvision.datasets.CIFAR10`` (md5-checked) into ``R/cifar10/``, only when
   asked and only if no root has CIFAR-10 yet. The batches themselves are read here,
   not by torchvision: torchvision refuses to open any batch whose md5 differs from the
   official file (so no small test copy can be read), checks all six md5s on every
   construction, and unpickles with no restriction. This reader accepts only the
   numpy-array globals such a pickle needs.
2. class folders ``R/cifar10/{train,test}/<class>/*.{jpg,png}``; each class folder
   must be named after a CIFAR-10 class and gets that class's standard index, so a
   subset of the classes keeps the right labels. Images must be 32x32.

Within a root the lossless batches win over the class folders.

``"imagenet32"`` / ``"imagenet64"`` (S = 32 / 64): the official Downsampled ImageNet
npz files (Chrabaszcz et al. 2017): ``train_data_batch_<k>.npz`` (all found, joined in
numeric order of k) for train and ``val_data.npz`` for test; ``"val"`` is accepted as
an alias of ``"test"``. Looked for in ``R/imagenet64/`` and in the official unzipped
folders ``Imagenet64_train*_npz/`` (e.g. ``_part1_``, ``_part2_``) and
``Imagenet64_val_npz/``, both directly under R and under ``R/imagenet64/``. ``data``
rows hold the R plane, then G, then B, each row-major; ``labels`` are 1-based, so
``label = labels - 1`` is torchvision's ImageNet class index and the file's 0 ("not an
ILSVRC-2012 class") becomes -1. Everything is held in memory: fine for the subsets in
``../shared/datasets`` (2,000 images), not for the full 1.28 M-image release.

``"tinyimagenet"`` (S = 64, or 32 box-filtered): Tiny ImageNet (CS231n), read from
``R/tiny-imagenet-200.zip`` (in place, never extracted) or the extracted
``R/tiny-imagenet-200/`` (also under ``R/tinyimagenet/``); see
:mod:`colorlib.tinyimagenet`. Labels index ``wnids.txt``; ``"test"`` means its
``val`` split (the official test labels were never published); colourless photos
are left out and counted in ``dataset.colourless``. Only the uint8 photos are cached
(``lab`` is None): Lab is computed per batch.

Photo folders: ``"sample"`` (the bundled ``data/sample``), ``"imagenet-photos"``, or
any folder path (``"~/photos"``, ``"./holiday"``; a name that contains a path
separator or names an existing folder). If the folder has a ``train``, ``test`` or
``val`` subfolder it is split by them: ``"train"`` reads ``train/``; ``"test"`` reads
``test/``, or ``val/`` when there is no ``test/`` (and ``"val"`` the other way round).
A folder without split subfolders is used whole for every split. Image files
(:data:`PHOTO_SUFFIXES`) are found recursively in sorted order; hidden files and
folders are ignored. Items are S x S (``size``, default 64): for ``"train"`` a random
resized crop (scale :data:`TRAIN_CROP_SCALE`, aspect 3/4-4/3) and a random horizontal
flip; for ``"test"``/``"val"`` the short side resized to S and a centre crop
(``torchvision.transforms.v2``, antialiased). Labels are -1, except where the folder
holds an ``index.json`` as in ``imagenet-photos`` (``{"images": [{"file", "label"}]}``
with 1-based labels, matched by file stem): then ``label - 1`` as for the npz.

Data roots
----------
Each name is looked for in, in order: the ``root`` argument, the ``COLORLIB_DATA``
environment variable, the project's ``data/`` folder (:data:`PROJECT_DATA`). The first
root that holds the dataset wins. If none does, :class:`DatasetNotFoundError` (a
``FileNotFoundError``) names every path looked at and how to get the data.

Cache
-----
CIFAR-10 and ImageNet npz are converted once: uint8 RGB (N, 3, S, S), Lab as float16
(N, 3, S, S) (rounding error <= 0.032 Lab units, far below the JPEG error of the
shared CIFAR copy) and int64 labels are saved with ``torch.save`` and read back with
``torch.load(weights_only=True, mmap=True)``, so a second load maps the file instead
of decoding and converting again. For photo folders only the list of readable files,
their labels and the skipped files are cached: random crops are drawn afresh each
epoch, so their Lab cannot be cached, and images are decoded per item.

The cache folder is ``COLORLIB_CACHE`` if set, else ``<project>/data/.cache`` (git-
ignored) when the package runs from a checkout that has ``data/``, else
``~/.cache/colorlib``. A cache file's name holds a hash of the source listing (every
source file's path, size and mtime), so changing, adding or removing a source file
makes a new one; the old file of that dataset and split is then deleted. Files are
written to a temporary name and moved into place with ``os.replace``, so a reader
sees a whole file or none; temporary files that a killed writer left behind are
deleted by the next load. A cache that cannot be written only costs a warning.

Bad image files
---------------
Photo folders and CIFAR class folders are checked when the dataset is built: every
file is decoded once (the result is cached, see above) with :func:`read_image`, which
converts what it can:

- CMYK -> RGB (Pillow's conversion; ICC profiles are ignored);
- 16-bit grayscale -> 8-bit as round(v / 257) (Pillow's own conversion would clip at
  255); 16-bit RGB comes out of Pillow as the high byte, v // 256;
- palette, and anything with alpha (RGBA, LA, palette with transparency) -> RGB,
  alpha composited on white;
- grayscale and bilevel -> RGB (three equal channels);
- EXIF orientation is applied.

Everything else (unreadable, truncated, not an image, unsupported modes such as
32-bit float) is skipped. :func:`load` reports the count once, as a single
:class:`BadImageWarning` (``warnings.warn``), and the dataset's ``skipped`` attribute
lists ``"path: reason"`` for each. If a photo becomes unreadable after the check
(deleted or rewritten during training), ``__getitem__`` substitutes the next readable
item, counts it in ``substituted`` and warns once per dataset object (per DataLoader
worker), so an epoch never dies on one bad file.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import pickle
import re
import socket
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError
from torch.utils.data import Dataset, Subset
from torchvision.transforms import v2

from colorlib import tinyimagenet
from colorlib.io import atomic_path
from colorlib.lab import rgb_to_lab, split_lab

__all__ = [
    "load",
    "load_or_sample",
    "IMAGENET_CHOICES",
    "random_subset",
    "read_image",
    "to_rgb_array",
    "data_roots",
    "cache_dir",
    "LabImages",
    "PhotoFolder",
    "DatasetNotFoundError",
    "BadImageError",
    "BadImageWarning",
    "NAMES",
    "CIFAR10_CLASSES",
    "PHOTO_SUFFIXES",
    "TRAIN_CROP_SCALE",
    "PROJECT_DATA",
]

PROJECT_DATA = Path(__file__).resolve().parent.parent / "data"
"""The project's ``data/`` folder: the last data root, home of ``sample/``."""

CIFAR10_CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
)  # fmt: skip
"""CIFAR-10 class names in the official label order (also alphabetical)."""

NAMES = ("cifar10", "imagenet32", "imagenet64", "tinyimagenet", "sample", "imagenet-photos")
"""Dataset names :func:`load` knows; any folder path is accepted too."""

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp")
"""File name endings (any case) taken as images in folders."""

TRAIN_CROP_SCALE = (0.25, 1.0)
"""Area fraction range of the random crops of photo folders (torchvision's default
(0.08, 1) zooms in too far for 144-pixel photos)."""

DEFAULT_PHOTO_SIZE = 64
_NATIVE_SIZE = {"cifar10": 32, "imagenet32": 32, "imagenet64": 64}
_CIFAR_BATCHES = {"train": [f"data_batch_{k}" for k in range(1, 6)], "test": ["test_batch"]}
_CACHE_FORMAT = 1  # bump when what is cached changes
_LAB_CHUNK = 2048  # images converted to Lab at a time (bounds the float32 temporaries)


class DatasetNotFoundError(FileNotFoundError):
    """A dataset is in none of the data roots; the message says where we looked."""


class BadImageWarning(UserWarning):
    """Some image files could not be read and were skipped."""


class BadImageError(ValueError):
    """One file is not a usable image; the message says why (:func:`read_image`)."""


# ----------------------------------------------------------------------------- API


def load(
    name: str,
    split: str = "train",
    root: str | os.PathLike | None = None,
    size: int | None = None,
    download: bool = False,
) -> LabImages | PhotoFolder:
    """A colorization dataset of L/ab/rgb/label items (see the module docstring).

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
        dataset = _load_tinyimagenet(roots, _check_split(name, split), size, download)
    elif name in _NATIVE_SIZE:
        size = _check_fixed_size(name, size)
        if download and name != "cifar10":
            raise ValueError(
                f"download=True works for cifar10 and tinyimagenet only; {name} needs the "
                "official files "
                "from https://image-net.org/download-images (free account)"
            )
        if name == "cifar10":
            dataset = _load_cifar10(roots, _check_split(name, split), download)
        else:
            dataset = _load_imagenet_npz(roots, name, _check_split(name, split))
    else:
        if download:
            raise ValueError("download=True works for cifar10 and tinyimagenet only")
        split, size = _check_split(name, split), _check_photo_size(size)
        folder = _split_folder(_find_photo_folder(name, roots), split)
        dataset = PhotoFolder(folder, split, size)
    if dataset.skipped:
        warnings.warn(_skipped_message(dataset), BadImageWarning, stacklevel=2)
    return dataset


_DISPLAY_NAMES = {
    "cifar10": "CIFAR-10",
    "imagenet32": "Downsampled ImageNet 32x32",
    "imagenet64": "Downsampled ImageNet 64x64",
    "tinyimagenet": "Tiny ImageNet",
    "sample": "the bundled sample",
    "imagenet-photos": "ImageNet photos",
}


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


IMAGENET_CHOICES = {64: ("tinyimagenet", "imagenet64"), 32: ("tinyimagenet", "imagenet32")}
"""The notebooks' ImageNet photos at each size, best first: Tiny ImageNet, then the
official Downsampled ImageNet npz (then, through :func:`load_or_sample`, the sample)."""


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
        if about.startswith("the bundled sample") and len(names) > 1:
            wanted = " and ".join(_DISPLAY_NAMES.get(n, n) for n in names)
            about = about.split(":")[0] + f": {wanted} not found; set COLORLIB_DATA to use them"
        return dataset, about
    try:
        dataset = load(name, split, root, size)
    except DatasetNotFoundError:
        if name == "sample":
            raise
        fallback_size = size if size is not None else _NATIVE_SIZE.get(name, DEFAULT_PHOTO_SIZE)
        dataset = load("sample", split, root, fallback_size)
        wanted = _DISPLAY_NAMES.get(name, f"the photo folder {Path(name).name!r}")
        return dataset, (
            f"the bundled sample ({_photo_count(dataset)}): {wanted} not found; "
            "set COLORLIB_DATA to use it"
        )
    if name == "sample":
        return dataset, f"the bundled sample ({_photo_count(dataset)})"
    label = _DISPLAY_NAMES.get(name, "photos")
    colourless = getattr(dataset, "colourless", 0)
    left_out = f" ({colourless:,} colourless photos left out)" if colourless else ""
    return dataset, (
        f"{label} {_split_name(dataset, split)} split: {len(dataset):,} images{left_out}, "
        f"{dataset.size}x{dataset.size}, from {_where(dataset, root)}"
    )


def _split_name(dataset: Dataset, split: str) -> str:
    """The split's own name: Tiny ImageNet's test split is its ``val`` folder."""
    return "val" if "tiny-imagenet" in str(getattr(dataset, "source", "")) else split


def _photo_count(dataset: PhotoFolder) -> str:
    """E.g. ``"48 test photos, 32x32 centre crops"``."""
    crops = "random crops" if dataset.split == "train" else "centre crops"
    return f"{len(dataset):,} {dataset.split} photos, {dataset.size}x{dataset.size} {crops}"


def _where(dataset: LabImages | PhotoFolder, root: str | os.PathLike | None) -> str:
    """Where a dataset came from, without an absolute path: ``"datasets/cifar10/test
    (COLORLIB_DATA)"``."""
    source = Path(dataset.folder if isinstance(dataset, PhotoFolder) else dataset.source)
    env = os.environ.get("COLORLIB_DATA") or None
    origins = [(root, "the root argument"), (env, "COLORLIB_DATA"), (PROJECT_DATA, "data/")]
    for candidate, origin in origins:
        if candidate is None:
            continue
        base = Path(candidate).expanduser().absolute()
        if source.absolute().is_relative_to(base):
            relative = Path(base.name) / source.absolute().relative_to(base)
            return f"{relative.as_posix()} ({origin})"
    return source.name


def data_roots(root: str | os.PathLike | None = None) -> list[Path]:
    """The data roots in search order: ``root``, ``$COLORLIB_DATA``, project ``data/``."""
    candidates = [root, os.environ.get("COLORLIB_DATA") or None, PROJECT_DATA]
    roots: list[Path] = []
    for candidate in candidates:
        if candidate is not None:
            path = Path(candidate).expanduser().absolute()
            if path not in roots:
                roots.append(path)
    return roots


def cache_dir() -> Path:
    """Where converted datasets are cached (see *Cache* in the module docstring)."""
    if os.environ.get("COLORLIB_CACHE"):
        return Path(os.environ["COLORLIB_CACHE"]).expanduser()
    if PROJECT_DATA.is_dir():
        return PROJECT_DATA / ".cache"
    return Path.home() / ".cache" / "colorlib"


def read_image(path: str | os.PathLike) -> torch.Tensor:
    """Decode one image file to sRGB with Pillow, converting what can be converted.

    The conversions are listed under *Bad image files* in the module docstring.
    (Pillow rather than ``torchvision.io``: torchvision deprecated its decoders in 0.29.)

    Returns:
        uint8 tensor (3, H, W), sRGB in [0, 255].

    Raises:
        BadImageError: the file is not a usable image; the message says why.
    """
    try:
        with Image.open(path) as image:
            image.load()
            array = _pil_to_rgb_array(ImageOps.exif_transpose(image))
    except BadImageError:
        raise
    except UnidentifiedImageError:
        raise BadImageError("not an image") from None
    except Exception as err:  # Pillow plugins raise many types; one bad file must not stop us
        raise BadImageError(f"unreadable ({type(err).__name__}: {err})") from None
    return torch.from_numpy(np.array(array, dtype=np.uint8)).permute(2, 0, 1).contiguous()


# ------------------------------------------------------------------- the datasets


def _make_item(rgb: torch.Tensor, lab: torch.Tensor, label: int) -> dict:
    """uint8 rgb (3, S, S) and float Lab (3, S, S) -> the item dict of the module doc."""
    L, ab = split_lab(lab.float())
    return {"L": L, "ab": ab, "rgb": rgb.float() / 255.0, "label": label}


class LabImages(Dataset):
    """Fixed-size images held as uint8 RGB, with their Lab precomputed or computed per batch.

    Attributes:
        images: uint8 (N, 3, S, S), sRGB in [0, 255].
        lab: float16 or float32 (N, 3, S, S), ``rgb_to_lab(images)``; or None, and Lab
            is computed when items are read (the uint8 lookup path of
            :func:`colorlib.rgb_to_lab`: exact to float32, and it keeps a 100,000-photo
            set at 1.2 GB instead of 3.7 GB).
        labels: int64 (N,), -1 where unknown.
        classes: class names indexed by label, or None.
        source: where the images were read from.
        skipped: ``"path: reason"`` for each source file that could not be read.
        colourless: photos left out because they have no colour (Tiny ImageNet).

    A ``DataLoader`` fetches a whole batch through ``__getitems__``: one Lab conversion
    per batch rather than one per image.
    """

    def __init__(
        self,
        images: torch.Tensor,
        lab: torch.Tensor | None,
        labels: torch.Tensor,
        *,
        source: str = "",
        classes: Sequence[str] | None = None,
        skipped: Sequence[str] = (),
        colourless: int = 0,
    ) -> None:
        if images.dtype != torch.uint8 or images.dim() != 4 or images.shape[1] != 3:
            raise ValueError(
                f"images must be uint8 (N, 3, S, S), got {images.dtype} {tuple(images.shape)}"
            )
        if (lab is not None and lab.shape != images.shape) or labels.shape != images.shape[:1]:
            raise ValueError("images, lab and labels must describe the same N images")
        self.images, self.lab, self.labels = images, lab, labels
        self.source, self.classes, self.skipped = source, classes, list(skipped)
        self.colourless = colourless

    @property
    def size(self) -> int:
        return self.images.shape[-1]

    def __len__(self) -> int:
        return self.images.shape[0]

    def __getitem__(self, index: int) -> dict:
        rgb = self.images[index]
        lab = self.lab[index] if self.lab is not None else rgb_to_lab(rgb)
        return _make_item(rgb, lab, int(self.labels[index]))

    def __getitems__(self, indices: Sequence[int]) -> list[dict]:
        """The items at ``indices``, converted to Lab as one batch."""
        index = torch.as_tensor(indices, dtype=torch.int64)
        rgb = self.images[index]
        lab = self.lab[index] if self.lab is not None else rgb_to_lab(rgb)
        L, ab = split_lab(lab.float())
        rgb = rgb.float().div_(255.0)
        labels = self.labels[index].tolist()
        return [
            {"L": L[i], "ab": ab[i], "rgb": rgb[i], "label": labels[i]} for i in range(len(labels))
        ]

    def __repr__(self) -> str:
        return f"LabImages({len(self)} images, {self.size}x{self.size}, from {self.source})"


class PhotoFolder(Dataset):
    """Photos decoded per item, cropped to S x S (random for train, centre for test).

    Args:
        folder: the folder whose image files (recursively) make the dataset.
        split: ``"train"`` (random resized crop + flip) or ``"test"``/``"val"``
            (resize short side + centre crop).
        size: S.
        files, labels, skipped: the checked file list; built with
            :func:`_index_photos` (cached) when ``files`` is None.

    Attributes:
        files: the readable image files, sorted; labels: int64 (N,), -1 if unknown;
        skipped: ``"path: reason"`` for files that could not be read;
        substituted: items replaced at run time because their file became unreadable.
    """

    def __init__(
        self,
        folder: str | os.PathLike,
        split: str = "test",
        size: int = DEFAULT_PHOTO_SIZE,
        files: Sequence[str] | None = None,
        labels: torch.Tensor | None = None,
        skipped: Sequence[str] = (),
    ) -> None:
        self.folder = Path(folder)
        self.split, self.size = split, _check_photo_size(size)
        if files is None:
            index = _index_photos(self.folder)
            files, labels, skipped = index["files"], index["labels"], index["skipped"]
        if not files:
            raise DatasetNotFoundError(
                f"no readable image files ({', '.join(PHOTO_SUFFIXES)}) in {self.folder}"
                + (f"; {len(skipped)} unreadable ones skipped" if skipped else "")
            )
        self.files = [str(f) for f in files]
        self.labels = labels if labels is not None else torch.full((len(files),), -1)
        self.skipped = list(skipped)
        self.substituted = 0
        self.transform = _photo_transform(split == "train", self.size)

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> dict:
        for attempt in range(len(self.files)):
            i = (index + attempt) % len(self.files)
            try:
                rgb = self.transform(read_image(self.files[i]))
            except BadImageError as err:
                self._note_substitution(self.files[i], err)
                continue
            return _make_item(rgb, rgb_to_lab(rgb), int(self.labels[i]))
        raise RuntimeError(
            f"none of the {len(self.files)} image files in {self.folder} is readable now"
        )

    def _note_substitution(self, path: str, err: Exception) -> None:
        self.substituted += 1
        if self.substituted == 1:
            warnings.warn(
                f"colorlib.data: {path} became unreadable ({err}); substituting the next "
                "image (counted in dataset.substituted, warned once)",
                BadImageWarning,
                stacklevel=3,
            )

    def __repr__(self) -> str:
        shape = f"{self.size}x{self.size}"
        return f"PhotoFolder({len(self)} photos, {self.split}, {shape}, from {self.folder})"


def _photo_transform(train: bool, size: int) -> Callable[[torch.Tensor], torch.Tensor]:
    """uint8 (3, H, W) -> uint8 (3, size, size): random crop + flip, or centre crop."""
    if train:
        return v2.Compose([
            v2.RandomResizedCrop(size, scale=TRAIN_CROP_SCALE, antialias=True),
            v2.RandomHorizontalFlip(),
        ])  # fmt: skip
    return v2.Compose([v2.Resize(size, antialias=True), v2.CenterCrop(size)])


# -------------------------------------------------------------- argument checks


def _check_split(name: str, split: str) -> str:
    """``split`` -> "train" or "test" (``"val"`` kept for photo folders to pick val/)."""
    allowed = ("train", "test") if name == "cifar10" else ("train", "test", "val")
    if split not in allowed:
        hint = " (CIFAR-10 has no val split)" if split == "val" else ""
        raise ValueError(f"split must be one of {allowed} for {name!r}, got {split!r}{hint}")
    if name in _NATIVE_SIZE and split == "val":
        return "test"
    if name == "tinyimagenet" and split == "test":
        return "val"  # Tiny ImageNet's test labels were never published: val is its test
    return split


def _check_fixed_size(name: str, size: int | None) -> int:
    native = _NATIVE_SIZE[name]
    if size is not None and size != native:
        raise ValueError(
            f"{name} images are {native}x{native}; size must be None or {native}, got {size!r}. "
            "For other sizes load a photo folder such as 'imagenet-photos'."
        )
    return native


def _check_photo_size(size: int | None) -> int:
    if size is None:
        return DEFAULT_PHOTO_SIZE
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"size must be a positive int (pixels), got {size!r}")
    return size


# ----------------------------------------------------------------- CIFAR-10


def _load_cifar10(roots: list[Path], split: str, download: bool) -> LabImages:
    """Find CIFAR-10 (batches or class folders) in the roots, read it via the cache."""
    looked: list[Path] = []
    for root in roots:
        for batches in (root / "cifar10" / "cifar-10-batches-py", root / "cifar-10-batches-py"):
            looked.append(batches)
            files = [batches / f for f in _CIFAR_BATCHES[split]]
            if all(f.is_file() for f in files):
                read = functools.partial(_read_cifar_batches, files)
                return _cached_lab_images(f"cifar10-{split}", batches, files, read)
        folders = root / "cifar10" / split
        looked.append(folders)
        files = _list_images(folders) if folders.is_dir() else []
        if files:
            read = functools.partial(_read_cifar_folders, folders, files)
            return _cached_lab_images(f"cifar10-{split}", folders, files, read)
    if download:
        _download_cifar10(roots[0] / "cifar10")
        return _load_cifar10(roots[:1], split, download=False)
    raise DatasetNotFoundError(
        _not_found_message(
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


def _read_cifar_batches(files: Sequence[Path]) -> dict:
    """Official batches -> uint8 images (N, 3, 32, 32) and int64 labels (N,)."""
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


# ------------------------------------------------------------- Tiny ImageNet


def _load_tinyimagenet(
    roots: list[Path], split: str, size: int | None, download: bool
) -> LabImages:
    """Tiny ImageNet ``split`` ("train" or "val") at 64 or 32 px, via the cache.

    Only uint8 RGB is cached (1.2 GB for train at 64 px); Lab is computed per batch.
    The 32 px set is the 64 px one box-filtered (:func:`tinyimagenet.box_downsample`).
    """
    if size is None:
        size = tinyimagenet.NATIVE_SIZE
    if size not in (64, 32):
        raise ValueError(f"tinyimagenet photos are 64x64 (or 32x32 box-filtered); got {size!r}")
    looked: list[Path] = []
    source = None
    for root in roots:
        source = tinyimagenet.find(root)
        looked += tinyimagenet.places(root)
        if source is not None:
            break
    if source is None and download:
        source = tinyimagenet.download(roots[0])
    if source is None:
        raise DatasetNotFoundError(
            _not_found_message(
                "Tiny ImageNet (tiny-imagenet-200.zip or its folder)",
                looked,
                f"Download {tinyimagenet.URL} (about 250 MB; or pass download=True) into a "
                "data root and point COLORLIB_DATA at it. Non-commercial research and "
                "teaching only.",
            )
        )
    listing = (
        [source]
        if source.is_file()
        else [source / "wnids.txt", *sorted(p for p in (source / split).rglob("*") if p.is_file())]
    )

    def read64() -> dict:
        return tinyimagenet.read_split(source, split)

    content = _cached(f"tinyimagenet64-{split}", source, listing, read64)
    if size == 32:

        def read32() -> dict:
            return {**content, "images": tinyimagenet.box_downsample(content["images"])}

        content = _cached(f"tinyimagenet32-{split}", source, listing, read32)
    return LabImages(
        content["images"], None, content["labels"], source=str(source),
        classes=tinyimagenet.class_names(source), skipped=content["skipped"],
        colourless=int(content["colourless"]),
    )  # fmt: skip


# ------------------------------------------------------- Downsampled ImageNet


def _load_imagenet_npz(roots: list[Path], name: str, split: str) -> LabImages:
    """Find the official npz files of ``name`` in the roots, read them via the cache."""
    size = _NATIVE_SIZE[name]
    looked: list[Path] = []
    for root in roots:
        files, places = _find_npz(root, size, split)
        looked += places
        if files:
            read = functools.partial(_read_npz, files, size)
            return _cached_lab_images(f"{name}-{split}", files[0].parent, files, read)
    official = f"Imagenet{size}_train*_npz.zip and Imagenet{size}_val_npz.zip"
    wanted = "train_data_batch_*.npz" if split == "train" else "val_data.npz"
    raise DatasetNotFoundError(
        _not_found_message(
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


# ----------------------------------------------------------------- photo folders


def _find_photo_folder(name: str, roots: list[Path]) -> Path:
    """A photo dataset name or path -> the folder to read (split subfolders not applied)."""
    if name in ("sample", "imagenet-photos"):
        looked = [root / name for root in roots]
        for folder in looked:
            if folder.is_dir():
                return folder
        how = (
            "The bundled sample belongs in the project's data/sample (rebuild it with "
            "data/build_sample.py)."
            if name == "sample"
            else "Point COLORLIB_DATA at the folder that holds imagenet-photos/ "
            "(e.g. ../shared/datasets)."
        )
        raise DatasetNotFoundError(_not_found_message(name, looked, how))
    looks_like_path = os.sep in name or "/" in name or name.startswith((".", "~"))
    folder = Path(name).expanduser()
    if folder.is_dir():
        return folder.absolute()
    if looks_like_path:
        raise DatasetNotFoundError(_not_found_message("photo folder", [folder.absolute()], ""))
    raise ValueError(f"unknown dataset {name!r}: use one of {', '.join(NAMES)} or a folder path")


def _split_folder(folder: Path, split: str) -> Path:
    """The folder's ``split`` subfolder (test <-> val as fallback), or itself if unsplit."""
    present = [s for s in ("train", "test", "val") if (folder / s).is_dir()]
    if not present:
        return folder
    wanted = {"train": ["train"], "test": ["test", "val"], "val": ["val", "test"]}[split]
    for sub in wanted:
        if sub in present:
            return folder / sub
    raise DatasetNotFoundError(
        _not_found_message(
            f"{split} split", [folder / s for s in wanted], f"{folder} has {present} only."
        )
    )


def _index_photos(folder: Path) -> dict:
    """Check every image file of a folder once (cached): readable files, labels, skipped."""

    files = _list_images(folder)

    def build() -> dict:
        labels = _index_json_labels(folder)
        good, skipped = [], []
        for path in files:
            try:
                read_image(path)
            except BadImageError as err:
                skipped.append(f"{path}: {err}")
            else:
                good.append(path)
        return {
            "files": [str(f) for f in good],
            "labels": torch.tensor([labels.get(f.stem, -1) for f in good], dtype=torch.int64),
            "skipped": skipped,
        }

    sources = files + [folder / "index.json", folder.parent / "index.json"]
    return _cached(f"photos-{folder.name}", folder, sources, build)


def _index_json_labels(folder: Path) -> dict[str, int]:
    """file stem -> 0-based label from an imagenet-photos style index.json, if any."""
    for path in (folder / "index.json", folder.parent / "index.json"):
        if path.is_file():
            try:
                entries = json.loads(path.read_text())["images"]
                return {Path(e["file"]).stem: int(e["label"]) - 1 for e in entries}
            except (ValueError, KeyError, TypeError):
                return {}  # not that format: no labels
    return {}


def _list_images(folder: Path) -> list[Path]:
    """Image files under ``folder`` (recursive, sorted, hidden entries skipped)."""
    found = []
    for parent, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [
            Path(parent, n)
            for n in sorted(names)
            if not n.startswith(".") and n.lower().endswith(PHOTO_SUFFIXES)
        ]
    return found


# ----------------------------------------------------------------------- decoding


def to_rgb_array(image: Image.Image | np.ndarray) -> np.ndarray:
    """A Pillow image or numpy array, in any common mode, -> uint8 ``(H, W, 3)`` sRGB.

    Pillow images are converted as listed under *Bad image files* in the module
    docstring. numpy arrays: ``(H, W)`` gray, ``(H, W, 3)`` RGB or ``(H, W, 4)`` RGBA,
    as uint8, uint16 (scaled by 1/257) or float in [0, 1] (clipped, then x 255).

    Raises:
        BadImageError: an array of another shape or dtype, or an unsupported mode.
    """
    if isinstance(image, Image.Image):
        return _pil_to_rgb_array(image)
    array = np.asarray(image)
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise BadImageError(f"expected an (H, W), (H, W, 3) or (H, W, 4) array, got {array.shape}")
    if array.dtype == np.uint16:
        array = np.round(array / 257.0).astype(np.uint8)
    elif np.issubdtype(array.dtype, np.floating):
        array = np.round(np.clip(np.nan_to_num(array), 0.0, 1.0) * 255.0).astype(np.uint8)
    elif array.dtype != np.uint8:
        raise BadImageError(f"expected uint8, uint16 or float pixels, got {array.dtype}")
    return _pil_to_rgb_array(Image.fromarray(np.ascontiguousarray(array)))


def _pil_to_rgb_array(image: Image.Image) -> np.ndarray:
    """A decoded Pillow image -> uint8 (H, W, 3) sRGB (conversions in the module doc)."""
    mode = image.mode
    if mode == "RGB":
        return np.asarray(image)
    if mode.startswith("I;16") or mode == "I":
        values = np.asarray(image).astype(np.int64)
        if values.min() < 0 or values.max() > 65535:
            raise BadImageError(f"mode {mode} with values outside 16 bits")
        gray = np.round(values / 257.0).astype(np.uint8)  # 65535 -> 255, exactly scaled
        return np.repeat(gray[..., None], 3, axis=2)
    has_alpha = mode in ("RGBA", "RGBa", "LA", "La", "PA") or (
        mode == "P" and "transparency" in image.info
    )
    if has_alpha:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(white, rgba).convert("RGB"))
    if mode in ("L", "1", "P", "CMYK", "YCbCr", "RGBX"):
        return np.asarray(image.convert("RGB"))
    raise BadImageError(f"unsupported image mode {mode}")


# -------------------------------------------------------------------------- cache


def _cached_lab_images(
    tag: str, source: Path, files: Sequence[Path], read: Callable[[], dict]
) -> LabImages:
    """LabImages from the cache, or from ``read()`` + Lab conversion (then cached)."""

    def build() -> dict:
        content = read()
        content["lab"] = _lab_float16(content["images"])
        return content

    content = _cached(tag, source, files, build)
    classes = CIFAR10_CLASSES if tag.startswith("cifar10") else None
    return LabImages(
        content["images"],
        content["lab"],
        content["labels"],
        source=str(source),
        classes=classes,
        skipped=content["skipped"],
    )


def _lab_float16(images: torch.Tensor) -> torch.Tensor:
    """uint8 (N, 3, S, S) -> Lab float16 (N, 3, S, S), converted in chunks."""
    lab = torch.empty(images.shape, dtype=torch.float16)
    for start in range(0, len(images), _LAB_CHUNK):
        lab[start : start + _LAB_CHUNK] = rgb_to_lab(images[start : start + _LAB_CHUNK])
    return lab


def _source_key(files: Sequence[Path]) -> str:
    """Hash of the source listing: every file's absolute path, size and mtime."""
    digest = hashlib.sha256(f"colorlib-data-cache-{_CACHE_FORMAT}".encode())
    for path in files:
        try:
            stat = path.stat()
            digest.update(f"{path.absolute()}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
        except OSError:
            digest.update(f"{path.absolute()}\0missing\n".encode())
    return digest.hexdigest()[:20]


def _cached(tag: str, source: Path, files: Sequence[Path], build: Callable[[], dict]) -> dict:
    """``build()``'s dict of tensors/lists/strings, from the cache when still valid.

    The cache file is ``<cache_dir>/<tag>-<hash of source path>-<hash of listing>.pt``;
    on a rebuild the other files of the same tag and source are deleted.
    """
    folder = cache_dir()
    stem = f"{tag}-{hashlib.sha256(str(source.absolute()).encode()).hexdigest()[:10]}"
    path = folder / f"{stem}-{_source_key(files)}.pt"
    _remove_stale_temps(folder)
    if path.is_file():
        try:
            return torch.load(path, weights_only=True, mmap=True)
        except Exception as err:  # damaged cache: rebuild it
            warnings.warn(
                f"colorlib.data: rebuilding unreadable cache {path} ({err})", stacklevel=3
            )
    content = build()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _atomic_save(content, path)
        for stale in folder.glob(f"{stem}-*.pt"):
            if stale != path:
                stale.unlink(missing_ok=True)
    except OSError as err:
        warnings.warn(f"colorlib.data: could not write the cache in {folder} ({err})", stacklevel=3)
    return content


_STALE_TEMP_SECONDS = 24 * 3600  # a temporary cache file this old is stale, whoever wrote it
_TEMP_NAME = re.compile(r"(?P<name>.+\.pt)\.(?P<host>[A-Za-z0-9-]+)\.(?P<pid>\d+)\.[^.]+\.tmp")


def _atomic_save(content: dict, path: Path) -> None:
    """torch.save through :func:`colorlib.io.atomic_path`, synced before the rename.

    The temporary file is ``<name>.<host>.<pid>.<random>.tmp``: a writer killed
    before the replace (SIGKILL, power loss) leaves it behind, and
    :func:`_remove_stale_temps` tells it from the file of a writer still at work.
    Readers only open ``path``, which appears complete or not at all.
    """
    with atomic_path(path, prefix=f"{path.name}.{_host_tag()}.{os.getpid()}.", sync=True) as temp:
        torch.save(content, temp)


def _remove_stale_temps(folder: Path) -> None:
    """Delete the temporary files (``*.pt*.tmp``) that killed writers left in ``folder``.

    Stale: written on this host by a process that no longer runs, or untouched for a
    day (another host's, or named before the writer's PID was in the name). A live
    writer's file is kept. Errors are ignored: the cleanup never stops a load.
    """
    now = time.time()
    try:
        for temp in folder.glob("*.pt*.tmp"):
            try:
                if _is_stale_temp(temp, now):
                    temp.unlink(missing_ok=True)
            except OSError:  # removed by another process meanwhile, or not ours to remove
                pass
    except OSError:  # no readable folder
        pass


def _is_stale_temp(temp: Path, now: float) -> bool:
    """Whether ``temp`` is a killed writer's leftover (see :func:`_remove_stale_temps`)."""
    match = _TEMP_NAME.fullmatch(temp.name)
    if match and match["host"] == _host_tag() and not _pid_alive(int(match["pid"])):
        return True
    return now - temp.stat().st_mtime > _STALE_TEMP_SECONDS


@functools.cache
def _host_tag() -> str:
    """This machine's name as letters, digits and ``-`` (for temporary file names)."""
    return re.sub(r"[^A-Za-z0-9-]+", "-", socket.gethostname())[:40].strip("-") or "host"


def _pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this machine (True when that cannot be told)."""
    if pid == os.getpid() or os.name == "nt":  # Windows' os.kill would end the process
        return True
    try:
        os.kill(pid, 0)  # signal 0: only checks that the process exists
    except ProcessLookupError:
        return False
    except OSError:  # e.g. PermissionError: it exists, under another user
        return True
    return True


# ------------------------------------------------------------------------ messages


def _not_found_message(what: str, looked: Sequence[Path], how: str) -> str:
    places = "\n".join(f"  - {p}" for p in looked)
    return (
        f"{what} not found. Looked in (data roots: the root argument, then COLORLIB_DATA, "
        f"then the project's data/):\n{places}\n{how}"
    ).rstrip()


def _skipped_message(dataset: Dataset) -> str:
    skipped = dataset.skipped
    examples = "; ".join(skipped[:3]) + ("; ..." if len(skipped) > 3 else "")
    total = len(dataset) + len(skipped)
    return (
        f"colorlib.data: skipped {len(skipped)} of {total} image files that could not be "
        f"read ({examples}). The full list is in dataset.skipped."
    )
