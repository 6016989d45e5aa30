"""The data roots and what :mod:`colorlib.data` says when a dataset is in none of them.

The dataset names, the fixed sizes of the npz/batch datasets, the project's ``data/``
folder, the search order of the data roots (``root`` argument, ``COLORLIB_DATA``,
``data/``), the cache folder, the package's errors and warning, and the messages that
name every place looked at. Everything that reads :data:`PROJECT_DATA` at run time
lives here, so patching ``colorlib.data.roots.PROJECT_DATA`` moves every fallback.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

PROJECT_DATA = Path(__file__).resolve().parent.parent.parent / "data"
"""The project's ``data/`` folder: the last data root, home of ``sample/``."""

NAMES = ("cifar10", "imagenet32", "imagenet64", "tinyimagenet", "sample", "imagenet-photos")
"""Dataset names :func:`colorlib.data.load` knows; any folder path is accepted too."""

NATIVE_SIZE = {"cifar10": 32, "imagenet32": 32, "imagenet64": 64}
"""Side S in pixels of the datasets whose images all have one size (CIFAR-10, ImageNet npz)."""


class DatasetNotFoundError(FileNotFoundError):
    """A dataset is in none of the data roots; the message says where we looked."""


class BadImageWarning(UserWarning):
    """Some image files could not be read and were skipped."""


class BadImageError(ValueError):
    """One file is not a usable image; the message says why (:func:`colorlib.data.read_image`)."""


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
    """Where converted datasets are cached (see *Cache* in the :mod:`colorlib.data` docstring)."""
    if os.environ.get("COLORLIB_CACHE"):
        return Path(os.environ["COLORLIB_CACHE"]).expanduser()
    if PROJECT_DATA.is_dir():
        return PROJECT_DATA / ".cache"
    return Path.home() / ".cache" / "colorlib"


def origin(source: str | os.PathLike, root: str | os.PathLike | None) -> str:
    """Where ``source`` came from, without an absolute path: ``"datasets/cifar10/test
    (COLORLIB_DATA)"``; just its name when it lies under none of the data roots.

    ``root`` is the ``root`` argument the dataset was loaded with (or None).
    """
    source = Path(source)
    env = os.environ.get("COLORLIB_DATA") or None
    origins = [(root, "the root argument"), (env, "COLORLIB_DATA"), (PROJECT_DATA, "data/")]
    for candidate, where in origins:
        if candidate is None:
            continue
        base = Path(candidate).expanduser().absolute()
        if source.absolute().is_relative_to(base):
            relative = Path(base.name) / source.absolute().relative_to(base)
            return f"{relative.as_posix()} ({where})"
    return source.name


def not_found_message(what: str, looked: Sequence[Path], how: str) -> str:
    """The :class:`DatasetNotFoundError` message: ``what`` was not found in any of the
    ``looked`` paths (one a line), then ``how`` to get it."""
    places = "\n".join(f"  - {p}" for p in looked)
    return (
        f"{what} not found. Looked in (data roots: the root argument, then COLORLIB_DATA, "
        f"then the project's data/):\n{places}\n{how}"
    ).rstrip()
