"""Writing files so that a reader never sees half of one: :func:`atomic_path`.

Every file colorlib writes that someone may read later (checkpoints, weight exports,
training histories, the data cache, colorized PNGs, a downloaded dataset) goes
through this one function: the content is written to a temporary file in the
target's folder, then renamed onto the target with ``os.replace`` (atomic on POSIX
and Windows when both are on one file system). A crash, a full disk or Ctrl-C during
the write leaves the old file (or none) in place and removes the temporary file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path"]


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
            the target's folder (default prefix ``".NAME.PID."``: hidden, and its
            writer known; :mod:`colorlib.data` puts the host in it too, to tell a
            killed writer's leftovers from a live one's).
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
        dir=target.parent, prefix=prefix or f".{target.name}.{os.getpid()}.", suffix=suffix
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
