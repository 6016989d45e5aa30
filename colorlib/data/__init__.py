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
:mod:`colorlib.data.tinyimagenet`. Labels index ``wnids.txt``; ``"test"`` means its
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

Modules
-------
:mod:`~colorlib.data.sources` (:func:`load`, :func:`load_or_sample`,
:func:`random_subset`); one module per source: :mod:`~colorlib.data.cifar10`,
:mod:`~colorlib.data.imagenet` (the npz files), :mod:`~colorlib.data.tinyimagenet`,
:mod:`~colorlib.data.photos` (photo folders); :mod:`~colorlib.data.datasets`
(:class:`LabImages`, :class:`PhotoFolder`); :mod:`~colorlib.data.images` (decoding);
:mod:`~colorlib.data.cache`; :mod:`~colorlib.data.roots` (data roots, names, errors).
"""

from __future__ import annotations

import importlib

__all__ = [
    "load",
    "load_or_sample",
    "IMAGENET_CHOICES",
    "random_subset",
    "short_label",
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

_HOMES = {
    **dict.fromkeys(("load", "load_or_sample", "IMAGENET_CHOICES", "random_subset",
                     "short_label"), "sources"),
    **dict.fromkeys(("read_image", "to_rgb_array"), "images"),
    **dict.fromkeys(("data_roots", "cache_dir", "DatasetNotFoundError", "BadImageError",
                     "BadImageWarning", "NAMES", "PROJECT_DATA"), "roots"),
    **dict.fromkeys(("LabImages", "PhotoFolder", "TRAIN_CROP_SCALE"), "datasets"),
    "CIFAR10_CLASSES": "cifar10",
    "PHOTO_SUFFIXES": "photos",
}  # fmt: skip
"""Where each public name lives. They are imported on first use (PEP 562), so that a
module needing one light name (``colorlib.colorizer``: :class:`BadImageError` and
:func:`to_rgb_array`) does not load every dataset reader and torchvision with it."""


def __getattr__(name: str):
    """``colorlib.data.NAME``, imported from its module now."""
    if name not in _HOMES:
        raise AttributeError(f"module 'colorlib.data' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"colorlib.data.{_HOMES[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
