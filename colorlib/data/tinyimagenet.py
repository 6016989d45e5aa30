"""Tiny ImageNet (Stanford CS231n): read the official zip or its folder, or download it.

Tiny ImageNet holds about 110,000 ImageNet photos at 64x64 in 200 classes (the copy
in ``../shared/datasets`` has 202), 500 training photos a class and 50 validation
photos a class. It is the training set of the study's ImageNet half. The official
layout, inside ``tiny-imagenet-200.zip`` or the folder it unzips to::

    tiny-imagenet-200/wnids.txt                       one WordNet ID a line (the classes)
    tiny-imagenet-200/words.txt                       wnid <tab> names
    tiny-imagenet-200/train/<wnid>/images/<wnid>_<k>.JPEG
    tiny-imagenet-200/val/images/val_<k>.JPEG
    tiny-imagenet-200/val/val_annotations.txt         file <tab> wnid <tab> box

Photos are read straight from the zip (Python's ``zipfile``; the official entries are
stored or deflated, either works), never extracted. Labels index ``wnids.txt``.

Why this is written here rather than taken from torchvision: torchvision has no Tiny
ImageNet dataset, and an ``ImageFolder`` over the extracted files neither reads the
zip nor the val annotations, nor skips colourless photos.

**Colourless photos.** About 2% of the photos are grayscale (JPEG mode ``L``) or RGB
with no chroma. They teach a colorizer nothing, so :func:`read_split` skips them and
counts them: a photo is colourless when its mode is ``L`` (or ``1``/``LA``), or when
fewer than 1% of its pixels have a channel spread ``max(R,G,B) - min(R,G,B)`` of
:data:`CHROMA_SPREAD` levels or more (JPEG rounding alone gives a spread of 1-2).

**32 px.** :func:`box_downsample` averages 2x2 blocks of sRGB values, as the official
Downsampled ImageNet files were made (a box filter).

:func:`load_tinyimagenet` finds the zip or folder in the data roots and returns the
:class:`~colorlib.data.datasets.LabImages` that ``colorlib.data.load("tinyimagenet")``
gives, through the cache.
"""

from __future__ import annotations

import hashlib
import io
import os
import urllib.request
import zipfile
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from tqdm.auto import tqdm

from colorlib.data.cache import cached
from colorlib.data.datasets import LabImages
from colorlib.data.roots import DatasetNotFoundError, not_found_message
from colorlib.io import atomic_path

__all__ = [
    "URL",
    "ZIP_MD5",
    "ZIP_NAME",
    "FOLDER",
    "NATIVE_SIZE",
    "CHROMA_SPREAD",
    "find",
    "places",
    "read_split",
    "box_downsample",
    "download",
    "class_names",
    "load_tinyimagenet",
]

URL = "http://cs231n.stanford.edu/tiny-imagenet-200.zip"
"""Where CS231n publishes the official zip."""
ZIP_MD5 = "90528d7ca1a48142e341f4ef8d21d0de"
"""md5 of the official zip (248,100,043 bytes); :func:`download` checks it."""
ZIP_NAME = "tiny-imagenet-200.zip"
FOLDER = "tiny-imagenet-200"
NATIVE_SIZE = 64
CHROMA_SPREAD = 3
"""A pixel has colour when max(R,G,B) - min(R,G,B) >= this many 8-bit levels."""
_COLOUR_FRACTION = 0.01  # a photo needs at least this fraction of such pixels


class _Members:
    """Read members of the dataset by their path below ``tiny-imagenet-200/``, from the
    zip or from the extracted folder."""

    def __init__(self, source: Path) -> None:
        self.source = source
        try:
            self._zip = zipfile.ZipFile(source) if source.suffix == ".zip" else None
        except zipfile.BadZipFile as err:
            raise ValueError(
                f"{source} is not a zip file ({err}): delete it and download again"
            ) from None
        if self._zip is not None:
            prefix = f"{FOLDER}/"
            self._names = {n[len(prefix) :] for n in self._zip.namelist() if n.startswith(prefix)}

    def exists(self, relative: str) -> bool:
        if self._zip is not None:
            return relative in self._names
        return (self.source / relative).is_file()

    def listing(self) -> list[str]:
        """Every member's path below ``tiny-imagenet-200/`` (files only)."""
        if self._zip is not None:
            return sorted(n for n in self._names if not n.endswith("/"))
        return sorted(
            p.relative_to(self.source).as_posix() for p in self.source.rglob("*") if p.is_file()
        )

    def read(self, relative: str) -> bytes:
        if self._zip is not None:
            return self._zip.read(f"{FOLDER}/{relative}")
        return (self.source / relative).read_bytes()

    def text(self, relative: str) -> str:
        return self.read(relative).decode("utf-8")

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


def find(root: Path) -> Path | None:
    """The Tiny ImageNet source in data root ``root``: ``tiny-imagenet-200.zip`` or the
    folder ``tiny-imagenet-200/`` (directly under the root or under ``tinyimagenet/``),
    the folder first; None when there is neither."""
    for base in (root, root / "tinyimagenet"):
        folder, archive = base / FOLDER, base / ZIP_NAME
        if (folder / "wnids.txt").is_file():
            return folder
        if archive.is_file():
            return archive
    return None


def places(root: Path) -> list[Path]:
    """The paths :func:`find` looks at in ``root`` (for error messages)."""
    return [b / n for b in (root, root / "tinyimagenet") for n in (FOLDER, ZIP_NAME)]


def class_names(source: Path) -> list[str]:
    """``names[label]``: the first name ``words.txt`` gives each class of ``wnids.txt``."""
    members = _Members(source)
    try:
        wnids = _wnids(members)
        words = {}
        if members.exists("words.txt"):
            for line in members.text("words.txt").splitlines():
                wnid, _, names = line.partition("\t")
                words[wnid] = names.split(",")[0].strip()
        return [words.get(w, w) for w in wnids]
    finally:
        members.close()


def _wnids(members: _Members) -> list[str]:
    return [w.strip() for w in members.text("wnids.txt").splitlines() if w.strip()]


def _split_files(members: _Members, split: str, wnids: list[str]) -> list[tuple[str, int]]:
    """(member path, label) of every photo of ``split``, in a fixed order."""
    index = {w: i for i, w in enumerate(wnids)}
    if split == "train":
        found = []
        for path in members.listing():
            parts = path.split("/")  # train/<wnid>/images/<file>
            if len(parts) == 4 and parts[0] == "train" and parts[2] == "images":
                if parts[1] in index and parts[3].lower().endswith((".jpeg", ".jpg")):
                    found.append((path, index[parts[1]]))
        return found
    annotations = members.text("val/val_annotations.txt")
    found = []
    for line in annotations.splitlines():
        fields = line.split("\t")
        if len(fields) >= 2 and fields[1] in index:
            found.append((f"val/images/{fields[0]}", index[fields[1]]))
    return sorted(found, key=lambda f: _number(f[0]))


def _number(path: str) -> tuple[int, str]:
    stem = Path(path).stem
    digits = stem.rsplit("_", 1)[-1]
    return (int(digits) if digits.isdigit() else -1, stem)


def _read_photo(members: _Members, relative: str) -> bytes | str:
    """A photo's bytes, or why it cannot be read: a corrupt zip member (bad CRC-32,
    damaged compressed data) or an unreadable file is skipped like a bad photo."""
    try:
        return members.read(relative)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as err:
        return f"unreadable ({type(err).__name__}: {err})"


def _decode(blob: bytes | str) -> tuple[np.ndarray | None, str]:
    """JPEG bytes -> uint8 (64, 64, 3), or (None, why it is skipped); a str ``blob``
    is already the reason (:func:`_read_photo`)."""
    if isinstance(blob, str):
        return None, blob
    try:
        with Image.open(io.BytesIO(blob)) as image:
            image.load()
            if image.mode in ("L", "LA", "1"):
                return None, "colourless"
            rgb = np.array(image.convert("RGB"))  # writable: torch.from_numpy warns otherwise
    except Exception as err:  # Pillow raises many types; one bad photo must not stop us
        return None, f"unreadable ({type(err).__name__}: {err})"
    if rgb.shape[:2] != (NATIVE_SIZE, NATIVE_SIZE):
        return None, f"{rgb.shape[1]}x{rgb.shape[0]} pixels, expected 64x64"
    spread = rgb.max(axis=2).astype(np.int16) - rgb.min(axis=2)
    if (spread >= CHROMA_SPREAD).mean() < _COLOUR_FRACTION:
        return None, "colourless"
    return rgb, ""


def read_split(
    source: Path, split: str, *, threads: int | None = None, progress: bool = True
) -> dict:
    """Decode every photo of ``split`` (``"train"`` or ``"val"``) from the zip or folder.

    Returns:
        ``{"images": uint8 (N, 3, 64, 64) sRGB, "labels": int64 (N,) indices into
        wnids.txt, "skipped": ["member: reason", ...], "colourless": int}``; the
        colourless photos are skipped and counted, not listed. A photo that cannot
        be decoded, or whose zip member is corrupt (bad CRC-32), is skipped and
        listed.

    Raises:
        ValueError: ``source`` lacks ``wnids.txt`` or the val annotations.
    """
    members = _Members(source)
    try:
        if not members.exists("wnids.txt"):
            raise ValueError(f"{source} has no {FOLDER}/wnids.txt: not a Tiny ImageNet copy")
        if split == "val" and not members.exists("val/val_annotations.txt"):
            raise ValueError(f"{source} has no {FOLDER}/val/val_annotations.txt")
        files = _split_files(members, split, _wnids(members))
        if not files:
            raise ValueError(f"{source} holds no {split} photos of the classes in wnids.txt")
        images = torch.empty((len(files), 3, NATIVE_SIZE, NATIVE_SIZE), dtype=torch.uint8)
        keep, skipped, colourless = [], [], 0
        workers = threads or min(8, os.cpu_count() or 1)
        chunk = 512
        with ThreadPoolExecutor(workers) as pool, tqdm(
            total=len(files), desc=f"Tiny ImageNet {split} (first read)", unit="photo",
            disable=not progress,
        ) as bar:  # fmt: skip
            for start in range(0, len(files), chunk):
                batch = files[start : start + chunk]
                blobs = [_read_photo(members, path) for path, _ in batch]
                for (path, _), i, (rgb, why) in zip(
                    batch, range(start, start + len(batch)), pool.map(_decode, blobs), strict=True
                ):
                    if rgb is None:
                        if why == "colourless":
                            colourless += 1
                        else:
                            skipped.append(f"{FOLDER}/{path}: {why}")
                        continue
                    images[len(keep)] = torch.from_numpy(rgb).permute(2, 0, 1)
                    keep.append(i)
                bar.update(len(batch))
    finally:
        members.close()
    labels = torch.tensor([files[i][1] for i in keep], dtype=torch.int64)
    images = images[: len(keep)].clone() if len(keep) < len(files) else images
    return {"images": images, "labels": labels, "skipped": skipped, "colourless": colourless}


def box_downsample(images: torch.Tensor, factor: int = 2) -> torch.Tensor:
    """uint8 (N, 3, S, S) -> uint8 (N, 3, S/f, S/f): the mean of each f x f block of
    sRGB values, rounded (the box filter of Downsampled ImageNet)."""
    if images.dtype != torch.uint8 or images.dim() != 4 or images.shape[-1] % factor:
        raise ValueError(
            f"images must be uint8 (N, 3, S, S) with S divisible by {factor}, "
            f"got {images.dtype} {tuple(images.shape)}"
        )
    out = torch.empty(
        (*images.shape[:2], images.shape[2] // factor, images.shape[3] // factor),
        dtype=torch.uint8,
    )
    for start in range(0, len(images), 4096):  # bounded float temporaries
        block = images[start : start + 4096].float()
        out[start : start + 4096] = (
            torch.nn.functional.avg_pool2d(block, factor).round().to(torch.uint8)
        )
    return out


def download(
    folder: str | os.PathLike,
    *,
    url: str = URL,
    md5: str = ZIP_MD5,
    progress: bool = True,
    opener: Callable[..., object] = urllib.request.urlopen,
) -> Path:
    """Fetch the official zip into ``folder/tiny-imagenet-200.zip`` (md5-checked).

    The file is written to a temporary name in ``folder`` and moved into place only
    when its md5 matches, so an interrupted or corrupt download never leaves a
    ``tiny-imagenet-200.zip`` behind.

    Returns:
        The path of the zip. An existing zip is kept (not fetched again).

    Raises:
        OSError: the download failed (the message names the URL).
        ValueError: the md5 differs (the partial file is deleted).
    """
    folder = Path(folder).expanduser()
    target = folder / ZIP_NAME
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.md5()
    try:
        with (
            atomic_path(target, prefix=f".{ZIP_NAME}.", suffix=".part") as temp,
            open(temp, "wb") as out,
            opener(url, timeout=60) as response,
        ):
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(
                total=total, unit="B", unit_scale=True, desc=f"downloading {ZIP_NAME}",
                disable=not progress,
            ) as bar:  # fmt: skip
                while block := response.read(1 << 20):
                    out.write(block)
                    digest.update(block)
                    bar.update(len(block))
            if digest.hexdigest() != md5.lower():
                raise ValueError(
                    f"{url}: md5 {digest.hexdigest()} differs from the official {md5}; "
                    "the download is corrupt or the file changed (nothing was kept)"
                )
    except OSError as err:
        raise OSError(f"could not download Tiny ImageNet from {url}: {err}") from err
    return target


def load_tinyimagenet(roots: list[Path], split: str, size: int | None, fetch: bool) -> LabImages:
    """Tiny ImageNet ``split`` ("train" or "val") at 64 or 32 px, via the cache.

    Only uint8 RGB is cached (1.2 GB for train at 64 px); Lab is computed per batch.
    The 32 px set is the 64 px one box-filtered (:func:`box_downsample`).

    Args:
        roots: the data roots in search order (:func:`colorlib.data.data_roots`).
        split: ``"train"`` or ``"val"``.
        size: 64 (or None) or 32.
        fetch: if no root holds it, :func:`download` the official zip into the first
            root (``load``'s ``download`` argument).

    Raises:
        ValueError: another size.
        DatasetNotFoundError: no root holds it (and ``fetch`` is False).
    """
    if size is None:
        size = NATIVE_SIZE
    if size not in (64, 32):
        raise ValueError(f"tinyimagenet photos are 64x64 (or 32x32 box-filtered); got {size!r}")
    looked: list[Path] = []
    source = None
    for root in roots:
        source = find(root)
        looked += places(root)
        if source is not None:
            break
    if source is None and fetch:
        source = download(roots[0])
    if source is None:
        raise DatasetNotFoundError(
            not_found_message(
                "Tiny ImageNet (tiny-imagenet-200.zip or its folder)",
                looked,
                f"Download {URL} (about 250 MB; or pass download=True) into a "
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
        return read_split(source, split)

    content = cached(f"tinyimagenet64-{split}", source, listing, read64)
    if size == 32:

        def read32() -> dict:
            return {**content, "images": box_downsample(content["images"])}

        content = cached(f"tinyimagenet32-{split}", source, listing, read32)
    return LabImages(
        content["images"], None, content["labels"], source=str(source),
        classes=class_names(source), skipped=content["skipped"],
        colourless=int(content["colourless"]),
    )  # fmt: skip
