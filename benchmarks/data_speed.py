"""(L, ab) pairs per second from Tiny ImageNet: colorlib.data against a plain ImageFolder.

Usage:  COLORLIB_DATA=../shared/datasets python benchmarks/data_speed.py
        [--pairs 20000] [--reference-photos 3000] [--cold] [--repeats 3] [--workers 0]

colorlib: ``colorlib.data.load("tinyimagenet", "train")`` (64 px) through a shuffled
``DataLoader(batch_size=200)``; a batch is fetched with ``LabImages.__getitems__``, one
uint8 -> Lab conversion per batch. Two timings of ``--pairs`` pairs each:

* first pass: ``data.load`` (with ``--cold``, in a new temporary COLORLIB_CACHE: every
  train photo is decoded from the zip and the cache written) plus the loop;
* after the first pass: ``--repeats`` more runs of ``--pairs`` pairs each (new
  shuffled epochs of the same loader), interleaved with the reference runs; the best
  run of each side counts, as in ``fit_speed.py`` (this machine is shared and noisy).

Reference, measured in the same run: ``--reference-photos`` train photos (spread over
the classes) extracted with ``zipfile`` into a temporary folder in the class-folder
layout (``train/<wnid>/images/*.JPEG``), read by ``torchvision.datasets.ImageFolder``
(PIL decode) with a transform that converts each photo with ``skimage.color.rgb2lab``;
same DataLoader settings, one shuffled epoch a run. Both sides produce float32 L
(B, 1, 64, 64) and ab (B, 2, 64, 64). Printed: pairs/s for each and the ratios.

The data root is COLORLIB_DATA, else ``../shared/datasets`` beside the project. torch
uses 2 threads. Without ``--cold`` the usual cache is used (``COLORLIB_CACHE`` or
``data/.cache``), so the first pass is a cold one only if that cache is empty; the
output says which it was. The load average is printed too: on a shared machine other
jobs can slow any of the numbers several times over.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import torch
from skimage import color
from torch.utils.data import DataLoader
from torchvision.datasets import ImageFolder

from colorlib import data
from colorlib.data import tinyimagenet

PROJECT = Path(__file__).resolve().parents[1]
BATCH = 200


def data_root() -> Path:
    """COLORLIB_DATA, else ../shared/datasets beside the project (resolved, so the cache
    key matches that of an absolute COLORLIB_DATA)."""
    env = os.environ.get("COLORLIB_DATA")
    return Path(env).expanduser().resolve() if env else (PROJECT.parent / "shared" / "datasets")


def take(loader: DataLoader, pairs: int) -> int:
    """Draw batches until ``pairs`` (L, ab) pairs have come (more epochs if needed)."""
    seen = 0
    while seen < pairs:
        for batch in loader:
            L, ab = (batch["L"], batch["ab"]) if isinstance(batch, dict) else batch[0]
            assert L.shape[1:] == (1, 64, 64) and ab.shape[1:] == (2, 64, 64)
            seen += len(L)
            if seen >= pairs:
                break
    return seen


def timed_rate(loader: DataLoader, pairs: int) -> float:
    """pairs/s of drawing ``pairs`` pairs from ``loader``."""
    start = time.perf_counter()
    seen = take(loader, pairs)
    return seen / (time.perf_counter() - start)


def runs(rates: list[float]) -> str:
    return ", ".join(f"{r:,.0f}" for r in rates)


class SkimageLab:
    """PIL image -> (L (1, S, S), ab (2, S, S)) float32 via skimage.color.rgb2lab."""

    def __call__(self, image) -> tuple[torch.Tensor, torch.Tensor]:
        lab = color.rgb2lab(np.asarray(image)).astype(np.float32)
        lab = torch.from_numpy(lab).permute(2, 0, 1)
        return lab[:1].contiguous(), lab[1:].contiguous()


def extract_reference(source: Path, count: int, folder: Path) -> int:
    """Copy ``count`` train photos, evenly spread over the sorted listing (so over the
    classes), into ``folder/<wnid>/images/``. Returns how many were written."""
    prefix = f"{tinyimagenet.FOLDER}/"
    if source.is_file():
        with zipfile.ZipFile(source) as archive:
            names = sorted(
                n[len(prefix) :] for n in archive.namelist()
                if n.startswith(f"{prefix}train/") and n.endswith(".JPEG")
            )  # fmt: skip
            chosen = names[:: max(1, len(names) // count)][:count]
            for name in chosen:
                target = folder / Path(name).relative_to("train")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(archive.read(prefix + name))
    else:
        names = sorted(p.relative_to(source / "train") for p in (source / "train").rglob("*.JPEG"))
        chosen = names[:: max(1, len(names) // count)][:count]
        for name in chosen:
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes((source / "train" / name).read_bytes())
    return len(chosen)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--pairs", type=int, default=20_000,
        help="(L, ab) pairs timed in each colorlib pass (default 20000)",
    )  # fmt: skip
    parser.add_argument(
        "--reference-photos", type=int, default=3_000,
        help="train photos extracted for the ImageFolder + skimage reference (default 3000)",
    )  # fmt: skip
    parser.add_argument(
        "--cold", action="store_true",
        help="use a new temporary COLORLIB_CACHE, so the first pass decodes every photo",
    )  # fmt: skip
    parser.add_argument(
        "--repeats", type=int, default=3,
        help="timed runs after the first pass, per side, interleaved; the best counts "
        "(default 3; this machine is shared and noisy)",
    )  # fmt: skip
    parser.add_argument(
        "--workers", type=int, default=0, help="DataLoader workers, both sides (default 0)"
    )
    args = parser.parse_args(argv)
    if min(args.pairs, args.reference_photos, args.repeats) < 1 or args.workers < 0:
        parser.error("--pairs, --reference-photos and --repeats must be >= 1, --workers >= 0")

    root = data_root()
    source = tinyimagenet.find(root) if root.is_dir() else None
    if source is None:
        sys.exit(
            f"Tiny ImageNet ({tinyimagenet.ZIP_NAME} or {tinyimagenet.FOLDER}/) not found in "
            f"{root}; set COLORLIB_DATA to the folder that holds it"
        )
    torch.set_num_threads(2)

    decoded = []  # whether data.load had to decode the photos (the cache was cold)
    read_split = tinyimagenet.read_split

    def counting_read_split(*a, **k):
        decoded.append(True)
        return read_split(*a, **k)

    tinyimagenet.read_split = counting_read_split  # looked up as a module global

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="colorlib-data-speed-") as temporary:
        if args.cold:
            os.environ["COLORLIB_CACHE"] = str(Path(temporary) / "cache")

        start = time.perf_counter()
        dataset = data.load("tinyimagenet", "train", root=root)
        load_time = time.perf_counter() - start
        loader = DataLoader(dataset, batch_size=BATCH, shuffle=True, num_workers=args.workers)
        first_pairs = take(loader, args.pairs)
        first = time.perf_counter() - start
        size, colourless, skipped = len(dataset), dataset.colourless, len(dataset.skipped)

        reference_dir = Path(temporary) / "reference"
        photos = extract_reference(source, args.reference_photos, reference_dir)
        reference_set = ImageFolder(str(reference_dir), transform=SkimageLab())
        reference_loader = DataLoader(
            reference_set, batch_size=BATCH, shuffle=True, num_workers=args.workers
        )
        ours, reference = [], []  # pairs/s of each run, interleaved
        for _ in range(args.repeats):
            ours.append(timed_rate(loader, args.pairs))
            reference.append(timed_rate(reference_loader, len(reference_set)))
        del dataset, loader

    cache = "cold: decoded every photo, wrote the cache" if decoded else "warm: read the cache"
    where = "a new temporary cache (--cold)" if args.cold else str(data.cache_dir())
    ref_rate = max(reference)
    rows = [
        (f"colorlib first pass (load {load_time:.1f} s + loop {first - load_time:.1f} s)",
         first_pairs / first, "once"),
        ("colorlib after the first pass", max(ours), runs(ours)),
        (f"ImageFolder + PIL + skimage rgb2lab ({photos:,} photos)", ref_rate, runs(reference)),
    ]  # fmt: skip
    print(
        f"Tiny ImageNet train from {source}: {size:,} photos at 64 px ({colourless:,} "
        f"colourless and {skipped} unreadable left out)"
    )
    print(f"cache: {where} ({cache})")
    print(
        f"reference: {photos:,} photos in {len(reference_set.classes)} class folders, "
        "one shuffled epoch a run"
    )
    print(
        f"DataLoader(batch_size={BATCH}, shuffle=True, num_workers={args.workers}), "
        f"torch threads {torch.get_num_threads()}, {args.pairs:,} pairs a colorlib run, "
        f"best of {args.repeats} interleaved runs"
    )
    print(
        f"1-minute load average: {load_before:.1f} before, {os.getloadavg()[0]:.1f} after "
        f"({os.cpu_count()} CPUs; other users' jobs slow every number here)"
    )
    print(f"{'':56s} {'pairs/s':>8s} {'vs ref':>7s}   runs")
    for label, rate, all_runs in rows:
        print(f"{label:56s} {rate:8,.0f} {rate / ref_rate:6.1f}x   {all_runs}")


if __name__ == "__main__":
    main()
