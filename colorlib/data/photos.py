"""Photo folders: find the folder a name means, pick its split, and index its images.

A photo dataset is ``"sample"``, ``"imagenet-photos"`` or any folder path (see *Photo
folders* in the :mod:`colorlib.data` docstring). This module turns the name into a
folder (:func:`find_photo_folder`), picks its ``train``/``test``/``val`` subfolder
(:func:`split_folder`), lists its image files (:func:`list_images`) and checks each of
them once, with the labels of an ``index.json`` (:func:`index_photos`, cached).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch

from colorlib.data.cache import cached
from colorlib.data.images import read_image
from colorlib.data.roots import NAMES, BadImageError, DatasetNotFoundError, not_found_message

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp")
"""File name endings (any case) taken as images in folders."""


def find_photo_folder(name: str, roots: list[Path]) -> Path:
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
        raise DatasetNotFoundError(not_found_message(name, looked, how))
    looks_like_path = os.sep in name or "/" in name or name.startswith((".", "~"))
    folder = Path(name).expanduser()
    if folder.is_dir():
        return folder.absolute()
    if looks_like_path:
        raise DatasetNotFoundError(not_found_message("photo folder", [folder.absolute()], ""))
    raise ValueError(f"unknown dataset {name!r}: use one of {', '.join(NAMES)} or a folder path")


def split_folder(folder: Path, split: str) -> Path:
    """The folder's ``split`` subfolder (test <-> val as fallback), or itself if unsplit."""
    present = [s for s in ("train", "test", "val") if (folder / s).is_dir()]
    if not present:
        return folder
    wanted = {"train": ["train"], "test": ["test", "val"], "val": ["val", "test"]}[split]
    for sub in wanted:
        if sub in present:
            return folder / sub
    raise DatasetNotFoundError(
        not_found_message(
            f"{split} split", [folder / s for s in wanted], f"{folder} has {present} only."
        )
    )


def index_photos(folder: Path) -> dict:
    """Check every image file of a folder once (cached): readable files, labels, skipped.

    Returns:
        ``{"files": [str], "labels": int64 (N,) (-1 where unknown), "skipped":
        ["path: reason"]}``, the files sorted as :func:`list_images` finds them.
    """

    files = list_images(folder)

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
    return cached(f"photos-{folder.name}", folder, sources, build)


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


def list_images(folder: Path) -> list[Path]:
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
