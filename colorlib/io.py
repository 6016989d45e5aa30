"""Writing files so that a reader never sees half of one: :func:`atomic_path`.

Every file colorlib writes that someone may read later (checkpoints, weight exports,
training histories, the data cache, colorized PNGs, a downloaded dataset) goes
through this one function: the content is written to a temporary file in the
target's folder, then renamed onto the target with ``os.replace`` (atomic on POSIX
and Windows when both are on one file system). A crash, a full disk or Ctrl-C during
the write leaves the old file (or none) in place and removes the temporary file.

A writer killed outright (SIGKILL, power loss) cannot remove it: its temporary file
is named after the host and process (``.NAME.HOST.PID.RANDOM.tmp``), and
:func:`remove_stale_temps` deletes those whose writer is gone. The data cache, the
training checkpoints and ``colorize``'s outputs call it before they write.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path", "host_tag", "pid_alive", "remove_stale_temps"]

STALE_TEMP_SECONDS = 24 * 3600
"""A temporary file this old is stale, whoever wrote it (another host's, say)."""

_TEMP_NAME = re.compile(r"(?P<name>.+)\.(?P<host>[A-Za-z0-9-]+)\.(?P<pid>\d+)\.[^.]+\.tmp")


@contextlib.contextmanager
def atomic_path(
    target: str | os.PathLike,
    prefix: str | None = None,
    suffix: str = ".tmp",
    sync: bool = False,
) -> Iterator[Path]:
    """A temporary path to write to; it becomes ``target`` when the block ends cleanly.

    >>> with atomic_path(folder / "history.json") as tmp:  # doctest: +SKIP
    ...     tmp.write_text(text)

    Args:
        target: the file to create or replace; its folder must exist.
        prefix, suffix: the temporary file's name is ``prefix + random + suffix`` in
            the target's folder (default prefix ``".NAME.HOST.PID."``: hidden, and its
            writer known, so that :func:`remove_stale_temps` tells a killed writer's
            leftovers from a live one's).
        sync: ``os.fsync`` the content before the rename, so that after a power loss
            the target is the new content or the old, never an empty file.

    Yields:
        The temporary path (an empty file, readable and writable by the user and
        with the permissions the umask gives new files).

    Raises:
        Whatever the block raises (the temporary file is removed first), or OSError
        from creating, syncing or renaming the file.
    """
    target = Path(target)
    fd, name = tempfile.mkstemp(
        dir=target.parent, prefix=prefix or temp_prefix(target), suffix=suffix
    )
    os.close(fd)
    temp = Path(name)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)  # mkstemp's file is private; the target need not be
        yield temp
        if sync:
            with open(temp, "rb+") as written:
                os.fsync(written.fileno())
        os.replace(temp, target)
    finally:
        with contextlib.suppress(OSError):
            temp.unlink(missing_ok=True)


def temp_prefix(target: Path) -> str:
    """``".NAME.HOST.PID."``: the default start of :func:`atomic_path`'s temporary name."""
    return f".{target.name}.{host_tag()}.{os.getpid()}."


def remove_stale_temps(folder: str | os.PathLike, pattern: str = "*.tmp") -> int:
    """Delete the temporary files matching ``pattern`` that killed writers left in ``folder``.

    Stale: named ``NAME.HOST.PID.RANDOM.tmp`` by a process of this host that no
    longer runs, or untouched for :data:`STALE_TEMP_SECONDS` (another host's, or named
    otherwise). A live writer's file is kept. Errors are ignored: the cleanup never
    stops the work that follows.

    Returns:
        how many files were deleted.
    """
    now, removed = time.time(), 0
    try:
        for temp in Path(folder).glob(pattern):
            try:
                if _is_stale_temp(temp, now):
                    temp.unlink(missing_ok=True)
                    removed += 1
            except OSError:  # removed by another process meanwhile, or not ours to remove
                pass
    except OSError:  # no readable folder
        pass
    return removed


def _is_stale_temp(temp: Path, now: float) -> bool:
    """Whether ``temp`` is a killed writer's leftover (see :func:`remove_stale_temps`)."""
    match = _TEMP_NAME.fullmatch(temp.name)
    if match and match["host"] == host_tag() and not pid_alive(int(match["pid"])):
        return True
    return now - temp.stat().st_mtime > STALE_TEMP_SECONDS


@functools.cache
def host_tag() -> str:
    """This machine's name as letters, digits and ``-`` (for temporary file names)."""
    return re.sub(r"[^A-Za-z0-9-]+", "-", socket.gethostname())[:40].strip("-") or "host"


def pid_alive(pid: int) -> bool:
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
