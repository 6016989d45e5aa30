"""The on-disk cache of converted datasets: one ``torch.save`` file per dataset split.

:func:`cached` returns a dict of tensors, lists and strings from the cache folder
(:func:`colorlib.data.roots.cache_dir`) while the source files are unchanged, and
builds and saves it otherwise (see *Cache* in the :mod:`colorlib.data` docstring).
Files are written under a temporary name and moved into place, so a reader sees a
whole file or none; the temporary files that killed writers left behind are removed
by the next load.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import socket
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import torch

from colorlib.data.roots import cache_dir
from colorlib.io import atomic_path

_CACHE_FORMAT = 1  # bump when what is cached changes
_STALE_TEMP_SECONDS = 24 * 3600  # a temporary cache file this old is stale, whoever wrote it
_TEMP_NAME = re.compile(r"(?P<name>.+\.pt)\.(?P<host>[A-Za-z0-9-]+)\.(?P<pid>\d+)\.[^.]+\.tmp")


def cached(tag: str, source: Path, files: Sequence[Path], build: Callable[[], dict]) -> dict:
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
    :func:`_remove_stale_temps` tells it from the file of a writer still at work.
    Readers only open ``path``, which appears complete or not at all.
    """
    with atomic_path(path, prefix=f"{path.name}.{host_tag()}.{os.getpid()}.", sync=True) as temp:
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
    if match and match["host"] == host_tag() and not _pid_alive(int(match["pid"])):
        return True
    return now - temp.stat().st_mtime > _STALE_TEMP_SECONDS


@functools.cache
def host_tag() -> str:
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
