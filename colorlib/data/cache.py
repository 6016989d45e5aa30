"""The on-disk cache of converted datasets: one ``torch.save`` file per dataset split.

:func:`cached` returns a dict of tensors, lists and strings from the cache folder
(:func:`colorlib.data.roots.cache_dir`) while the source files are unchanged, and
builds and saves it otherwise (see *Cache* in the :mod:`colorlib.data` docstring).
Files are written under a temporary name and moved into place, so a reader sees a
whole file or none; the temporary files that killed writers left behind are removed
by the next load (:func:`colorlib.io.remove_stale_temps`).
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import torch

from colorlib.data.roots import cache_dir
from colorlib.io import atomic_path, host_tag, remove_stale_temps

_CACHE_FORMAT = 1  # bump when what is cached changes


def cached(tag: str, source: Path, files: Sequence[Path], build: Callable[[], dict]) -> dict:
    """``build()``'s dict of tensors/lists/strings, from the cache when still valid.

    The cache file is ``<cache_dir>/<tag>-<hash of source path>-<hash of listing>.pt``;
    on a rebuild the other files of the same tag and source are deleted.
    """
    folder = cache_dir()
    stem = f"{tag}-{hashlib.sha256(str(source.absolute()).encode()).hexdigest()[:10]}"
    path = folder / f"{stem}-{_source_key(files)}.pt"
    remove_stale_temps(folder, "*.pt*.tmp")
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


def _atomic_save(content: dict, path: Path) -> None:
    """torch.save through :func:`colorlib.io.atomic_path`, synced before the rename.

    The temporary file is ``<name>.<host>.<pid>.<random>.tmp``: a writer killed
    before the replace (SIGKILL, power loss) leaves it behind, and
    :func:`colorlib.io.remove_stale_temps` tells it from the file of a writer still at
    work. Readers only open ``path``, which appears complete or not at all.
    """
    with atomic_path(path, prefix=f"{path.name}.{host_tag()}.{os.getpid()}.", sync=True) as temp:
        torch.save(content, temp)
