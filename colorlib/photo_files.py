"""Photo files in and out for ``python -m colorlib colorize``.

:func:`open_image` opens any image file safely (EXIF orientation applied, absurd
sizes refused before decoding), :func:`plan_outputs` decides where each result goes
(and refuses collisions and overwrites up front), :func:`colorize_file` runs
:func:`colorlib.colorizer.colorize` from one file to one PNG, and :func:`write_png`
writes it atomically, so an interrupted run never leaves half a file.
"""

from __future__ import annotations

import errno
import os
import stat
import warnings
from pathlib import Path
from typing import Literal

import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from colorlib.colorizer import colorize
from colorlib.data import BadImageError
from colorlib.io import atomic_path, remove_stale_temps

__all__ = [
    "colorize_file",
    "max_pixels",
    "open_image",
    "plan_outputs",
    "remove_stale_output_temps",
    "write_png",
]


def max_pixels() -> int | None:
    """The largest image :func:`open_image` decodes: twice Pillow's
    ``Image.MAX_IMAGE_PIXELS`` (179 MP by default, where Pillow itself raises its
    decompression-bomb error); None when that limit is switched off."""
    limit = Image.MAX_IMAGE_PIXELS
    return None if limit is None else 2 * int(limit)


def open_image(path: str | os.PathLike) -> Image.Image:
    """Open and decode one image file for :func:`colorize`, without converting it.

    The counterpart of :func:`colorlib.data.read_image` for big photos: it applies the
    EXIF orientation in place and keeps Pillow's own pixels (no full-size numpy copy;
    :func:`colorize` converts one strip at a time). Pillow's decompression-bomb
    warning (above 89 MP) is silenced: up to :func:`max_pixels` an image is decoded,
    beyond it refused.

    Returns:
        the loaded Pillow image, in the file's mode; close it when done.

    Raises:
        BadImageError: not an image, unreadable or truncated, or too large; the
            message says which, in one line.
    """
    limit = max_pixels()
    too_large = f"too large to colorize: more than {limit:,} pixels" if limit else ""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(path)
        except Image.DecompressionBombError:
            raise BadImageError(too_large) from None
        except UnidentifiedImageError:
            raise BadImageError("not an image") from None
        except Exception as err:  # Pillow plugins raise many types
            raise BadImageError(f"unreadable ({type(err).__name__}: {err})") from None
    try:
        width, height = image.size
        if limit is not None and width * height > limit:
            raise BadImageError(f"{too_large} ({width}x{height} = {width * height:,})")
        image.load()
        ImageOps.exif_transpose(image, in_place=True)
    except BadImageError:
        image.close()
        raise
    except Exception as err:
        image.close()
        raise BadImageError(f"unreadable ({type(err).__name__}: {err})") from None
    return image


# ------------------------------------------------------------ files (the CLI's)


def plan_outputs(sources: list[Path], out_dir: Path, force: bool) -> list[tuple[Path, str | None]]:
    """Each input's output ``out_dir/<stem>.png``, and why it must not be written.

    Checked up front, before anything is written, so no input is ever overwritten and
    no success is claimed for a file another input overwrites.

    Returns:
        one ``(target, reason)`` per input, in order; ``reason`` is a one-line error
        or None when the input can be colorized. An input is refused when it is
        missing or a folder, when its output is an input file (itself, with
        OUT_DIR its own folder, or another input), when an earlier accepted input
        has the same output name (``a.jpg`` and ``a.png``), or when the output
        exists and ``force`` is False.
    """
    inputs = {_file_id(source): source for source in sources if source.is_file()}
    claimed: dict[Path, Path] = {}  # target -> the accepted input that writes it
    plan = []
    for source in sources:
        target = out_dir / f"{source.stem}.png"
        reason = _input_problem(source, target, inputs) or _collision(source, target, claimed)
        if reason is None:
            claimed[target.absolute()] = source
            if target.exists() and not force:
                reason = f"{target} exists; pass --force to overwrite it"
        plan.append((target, reason))
    return plan


def _file_id(path: Path) -> tuple[int, int]:
    """``(device, inode)``: the same for every path (link, relative ...) to one file."""
    stat = path.stat()
    return stat.st_dev, stat.st_ino


def _input_problem(source: Path, target: Path, inputs: dict[tuple[int, int], Path]) -> str | None:
    """Why ``source`` cannot be read, or its ``target`` would overwrite an input; or None."""
    problem = _not_a_file(source)
    if problem is not None:
        return problem
    if target.is_file() and _file_id(target) in inputs:
        clash = inputs[_file_id(target)]
        which = "this input itself" if _file_id(source) == _file_id(target) else f"input {clash}"
        return f"its output {target} is {which}; choose another OUT_DIR"
    return None


def _not_a_file(source: Path) -> str | None:
    """Why ``source`` is not a regular file to read (missing, a folder, a link loop, a
    FIFO, a device ...), or None; never opens it (a FIFO would block, /dev/zero never
    ends)."""
    try:
        mode = source.stat().st_mode
    except OSError as err:
        if err.errno == errno.ELOOP:
            return "is a symbolic link loop, not an image file"
        if source.is_symlink():
            return "is a broken symbolic link (its target does not exist)"
        if isinstance(err, FileNotFoundError):
            return "no such file"
        return f"cannot be read ({err.strerror or err})"
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a folder, not an image file"
    kinds = {stat.S_ISFIFO: "a FIFO (named pipe)", stat.S_ISCHR: "a character device",
             stat.S_ISBLK: "a block device", stat.S_ISSOCK: "a socket"}  # fmt: skip
    kind = next((name for test, name in kinds.items() if test(mode)), "a special file")
    return f"is {kind}, not an image file"


def _collision(source: Path, target: Path, claimed: dict[Path, Path]) -> str | None:
    """Why ``target`` is already taken by an earlier input, or None."""
    first = claimed.get(target.absolute())
    if first is None:
        return None
    if _file_id(first) == _file_id(source):
        return f"given twice; colorized once into {target}"
    return (
        f"its output {target} is also the output of {first}; colorize them into "
        "separate folders or rename one"
    )


def colorize_file(
    model: torch.nn.Module,
    source: Path,
    target: Path,
    tile_rows: int | Literal["auto"] | None = "auto",
) -> int:
    """Colorize the image file ``source`` into the PNG file ``target`` (overwritten).

    An animated GIF or a multi-page TIFF is colorized from its first frame; the return
    value says how many frames it had, so the caller can say so.

    Peak memory is the decoded input (4 bytes per pixel in Pillow), the uint8 result
    (3 bytes per pixel) and one strip's temporaries (see :func:`colorize`): the input
    is released before the result is copied into a Pillow image for saving.

    Returns:
        the number of frames (pages) in ``source``: 1 for a still image.

    Raises:
        BadImageError: ``source`` is not a usable image (one-line message).
        OSError: ``target`` could not be written; no partial file is left behind.
    """
    image = open_image(source)
    try:
        frames = int(getattr(image, "n_frames", 1))
        rgb = colorize(model, image, tile_rows=tile_rows)
    finally:
        image.close()  # frees the decoded pixels (a with block would not)
    result = Image.fromarray(rgb)
    del rgb
    write_png(result, target)
    return frames


def remove_stale_output_temps(out_dir: Path) -> int:
    """Delete the temporary PNGs (``.NAME.png.*.tmp``) that a killed run left in
    ``out_dir`` (:func:`colorlib.io.remove_stale_temps`); how many were deleted."""
    return remove_stale_temps(out_dir, ".*.png.*.tmp")


def write_png(image: Image.Image, target: Path) -> None:
    """Save ``image`` as PNG at ``target``, atomically (:func:`colorlib.io.atomic_path`:
    a hidden temporary file ``.NAME.HOST.PID.*.tmp`` in the same folder, renamed over
    ``target`` when complete; :func:`remove_stale_output_temps` deletes those of a
    killed run).

    Raises:
        OSError: ``"cannot write TARGET: reason"`` (disk full, permissions ...). The
            temporary file is removed on every failure, so a retry starts clean.
    """
    try:
        with atomic_path(target) as partial:
            image.save(partial, format="PNG")
    except OSError as err:
        raise OSError(f"cannot write {target}: {err.strerror or err}") from None
