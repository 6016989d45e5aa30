"""Peak memory and time of ``python -m colorlib colorize`` on one big photo, in one run.

Usage:  python benchmarks/colorize_memory.py [--size 12000x9000] [--model NAME]
        [--no-reference]

Writes a synthetic but photo-like JPEG (smooth colour waves plus grain, quality 90)
of --size pixels into a temporary folder, then colorizes it twice with the command
line, each in its own process: with the default strips of rows, and with
``--tile-rows 0``, the whole image at once (the untiled reference, as colorize
worked before it was cut into strips). Printed for each: peak resident memory (MB)
of the process, as ``/usr/bin/time -v`` reports it (else ``getrusage`` of a
wrapper's child), and wall time (s, including Python start-up and model load), then
the ratios tiled / reference and the largest difference between the two results
in uint8 levels. The untiled reference needs about 110 bytes per pixel (12.6 GB
for 12000x9000): use --size for a small smoke run, or --no-reference.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
BAND_ROWS = 500  # rows of the synthetic photo generated at a time
COMPARE_ROWS = 500  # rows of the two results compared at a time
_WRAPPER = (
    "import resource, subprocess, sys; "
    "code = subprocess.run(sys.argv[1:]).returncode; "
    "print(f'Maximum resident set size (kbytes): "
    "{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}', file=sys.stderr); "
    "sys.exit(code)"
)


def parse_size(text: str) -> tuple[int, int]:
    """``"12000x9000"`` -> ``(12000, 9000)``: width, height in pixels."""
    match = re.fullmatch(r"(\d+)[xX](\d+)", text)
    if not match or 0 in (int(match[1]), int(match[2])):
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, e.g. 12000x9000, got {text}")
    return int(match[1]), int(match[2])


def default_model() -> str:
    """``cifar10-seedcnn-l2`` when shipped, else the first of ``pretrained.available()``."""
    from colorlib import pretrained

    names = pretrained.available()
    if not names:
        raise SystemExit("no shipped models: colorlib.pretrained.available() is empty")
    return "cifar10-seedcnn-l2" if "cifar10-seedcnn-l2" in names else names[0]


def write_photo(path: Path, width: int, height: int, seed: int = 0) -> None:
    """A photo-like JPEG: smooth colour waves plus Gaussian grain, generated in bands.

    The pixels are uint8 ``(height, width, 3)`` sRGB; only the array itself (3 bytes
    per pixel) is held whole, the float32 work is done ``BAND_ROWS`` rows at a time.
    """
    rng = np.random.default_rng(seed)
    rgb = np.empty((height, width, 3), np.uint8)
    x = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :]
    waves = [(6.0, 2.0, 0.0), (3.0, 5.0, 1.0), (1.5, 4.0, 2.0)]  # (x, y frequency, phase)
    for top in range(0, height, BAND_ROWS):
        rows = min(BAND_ROWS, height - top)
        y = (np.arange(top, top + rows, dtype=np.float32) / max(height - 1, 1))[:, None]
        for channel, (fx, fy, phase) in enumerate(waves):
            wave = 127.5 + 100.0 * np.sin(fx * x + fy * y + phase)
            grain = rng.normal(0.0, 8.0, (rows, width)).astype(np.float32)
            rgb[top : top + rows, :, channel] = np.clip(wave + grain, 0, 255)
    Image.fromarray(rgb).save(path, quality=90)


def measure(command: list[str]) -> tuple[float, float]:
    """Run ``command``; return (peak RSS in MB, wall time in s). Exits if it fails."""
    timer = shutil.which("time", path="/usr/bin")
    prefix = [timer, "-v"] if timer else [sys.executable, "-c", _WRAPPER]
    start = time.perf_counter()
    result = subprocess.run([*prefix, *command], capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"failed ({result.returncode}): {' '.join(command)}\n{result.stderr}")
    kilobytes = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
    return int(kilobytes[1]) / 1024, seconds


def max_difference(first: Path, second: Path) -> int:
    """Largest |difference| in uint8 levels between two same-size RGB images."""
    with Image.open(first) as a, Image.open(second) as b:
        if a.size != b.size:
            raise SystemExit(f"the results differ in size: {a.size} and {b.size}")
        worst = 0
        for top in range(0, a.height, COMPARE_ROWS):
            box = (0, top, a.width, min(top + COMPARE_ROWS, a.height))
            rows_a = np.asarray(a.crop(box).convert("RGB"), dtype=np.int16)
            rows_b = np.asarray(b.crop(box).convert("RGB"), dtype=np.int16)
            worst = max(worst, int(np.abs(rows_a - rows_b).max()))
    return worst


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--size", type=parse_size, default=(12000, 9000), metavar="WxH",
        help="photo size in pixels (default 12000x9000, 108 megapixels)",
    )  # fmt: skip
    parser.add_argument("--model", help="model name (default cifar10-seedcnn-l2)")
    parser.add_argument(
        "--no-reference", action="store_true", help="skip the untiled reference run"
    )
    args = parser.parse_args(argv)
    width, height = args.size
    model = args.model or default_model()
    Image.MAX_IMAGE_PIXELS = None  # we wrote this photo ourselves

    with tempfile.TemporaryDirectory(prefix="colorize-memory-") as folder:
        photo = Path(folder) / "photo.jpg"
        start = time.perf_counter()
        write_photo(photo, width, height)
        print(
            f"photo {width}x{height} ({width * height / 1e6:.1f} MP, JPEG "
            f"{photo.stat().st_size / 1e6:.1f} MB, written in {time.perf_counter() - start:.0f} s)"
            f"; model {model}; {os.cpu_count()} CPUs"
        )
        runs = {"tiled (default strips)": []}
        if not args.no_reference:
            runs["reference (--tile-rows 0)"] = ["--tile-rows", "0"]
        results = {}
        for label, extra in runs.items():
            out = Path(folder) / f"out{len(results)}"
            command = [sys.executable, "-m", "colorlib", "colorize", str(photo), str(out)]
            rss, seconds = measure([*command, "--model", model, *extra])
            results[label] = (rss, seconds, out / "photo.png")
            print(f"{label:28s} peak RSS {rss:8.0f} MB   wall {seconds:6.1f} s")
        if len(results) == 2:
            (rss, seconds, tiled), (ref_rss, ref_seconds, reference) = results.values()
            print(
                f"{'tiled / reference':28s} peak RSS {rss / ref_rss:8.3f} x    "
                f"wall {seconds / ref_seconds:6.2f} x   "
                f"max |difference| {max_difference(tiled, reference)} uint8 levels"
            )


if __name__ == "__main__":
    main()
