"""The two dataset classes and how their L/ab/rgb/label items are built.

:class:`LabImages` holds fixed-size uint8 images in memory (CIFAR-10, ImageNet npz,
Tiny ImageNet) with their Lab precomputed or computed per batch;
:func:`cached_lab_images` makes one through the cache. :class:`PhotoFolder` decodes
photos per item and crops them to S x S (random for train, centre for test). Both
return the items described in the :mod:`colorlib.data` docstring.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
from torch.utils.data import Dataset
from torchvision.transforms import v2

from colorlib.data.cache import cached
from colorlib.data.images import read_image
from colorlib.data.photos import PHOTO_SUFFIXES, index_photos
from colorlib.data.roots import BadImageError, BadImageWarning, DatasetNotFoundError
from colorlib.lab import rgb_to_lab, split_lab

DEFAULT_PHOTO_SIZE = 64
"""Side S of photo-folder items when no ``size`` is given."""

TRAIN_CROP_SCALE = (0.25, 1.0)
"""Area fraction range of the random crops of photo folders (torchvision's default
(0.08, 1) zooms in too far for 144-pixel photos)."""

_LAB_CHUNK = 2048  # images converted to Lab at a time (bounds the float32 temporaries)


def check_photo_size(size: int | None) -> int:
    """A photo folder's ``size`` argument -> S (None means :data:`DEFAULT_PHOTO_SIZE`).

    Raises:
        ValueError: ``size`` is not a positive int.
    """
    if size is None:
        return DEFAULT_PHOTO_SIZE
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"size must be a positive int (pixels), got {size!r}")
    return size


def _make_item(rgb: torch.Tensor, lab: torch.Tensor, label: int) -> dict:
    """uint8 rgb (3, S, S) and float Lab (3, S, S) -> the item dict of the package doc."""
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


def cached_lab_images(
    tag: str,
    source: Path,
    files: Sequence[Path],
    read: Callable[[], dict],
    classes: Sequence[str] | None = None,
) -> LabImages:
    """LabImages from the cache, or from ``read()`` + Lab conversion (then cached).

    Args:
        tag: the cache file's name prefix, ``"<dataset>-<split>"``.
        source: the folder the images come from (:attr:`LabImages.source`).
        files: the source files; any change to them (path, size, mtime) rebuilds.
        read: returns ``{"images": uint8 (N, 3, S, S), "labels": int64 (N,),
            "skipped": ["path: reason"]}``; its Lab is added as float16.
        classes: the class names, indexed by label, or None.
    """

    def build() -> dict:
        content = read()
        content["lab"] = _lab_float16(content["images"])
        return content

    content = cached(tag, source, files, build)
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


class PhotoFolder(Dataset):
    """Photos decoded per item, cropped to S x S (random for train, centre for test).

    Args:
        folder: the folder whose image files (recursively) make the dataset.
        split: ``"train"`` (random resized crop + flip) or ``"test"``/``"val"``
            (resize short side + centre crop).
        size: S.
        files, labels, skipped: the checked file list; built with
            :func:`colorlib.data.photos.index_photos` (cached) when ``files`` is None.

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
        self.split, self.size = split, check_photo_size(size)
        if files is None:
            index = index_photos(self.folder)
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
