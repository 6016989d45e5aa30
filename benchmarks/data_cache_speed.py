"""How long colorlib.data.load takes for CIFAR-10, before and after its cache exists.

Usage:  COLORLIB_DATA=../shared/datasets python benchmarks/data_cache_speed.py
        [--split test] [--cache DIR]

The first load decodes every image (10,000 JPEGs for the test split of the shared
class-folder copy, or the pickled batches) and converts it to Lab, then writes the
cache; the second load only checks the source listing and maps the cache file. Both
run in this process after the imports, and the second load is timed once more in a
fresh Python process (imports not counted), which is what a restarted notebook sees.

By default the cache goes to a new temporary folder (removed afterwards), so the
first load is a real first load; ``--cache DIR`` uses and keeps DIR instead.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

from colorlib import data

FRESH_PROCESS = """
import time
from colorlib import data
start = time.perf_counter()
data.load("cifar10", {split!r})
print(time.perf_counter() - start)
"""


def timed_load(split: str) -> tuple[float, int]:
    start = time.perf_counter()
    dataset = data.load("cifar10", split)
    return time.perf_counter() - start, len(dataset)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="test", choices=["train", "test"])
    parser.add_argument("--cache", help="cache folder to use and keep (default: a temporary one)")
    args = parser.parse_args()
    if not os.environ.get("COLORLIB_DATA"):
        sys.exit("set COLORLIB_DATA to the folder that holds cifar10/ (e.g. ../shared/datasets)")

    with tempfile.TemporaryDirectory(prefix="colorlib-cache-") as temporary:
        os.environ["COLORLIB_CACHE"] = args.cache or temporary
        first, n = timed_load(args.split)
        second, _ = timed_load(args.split)
        fresh = subprocess.run(
            [sys.executable, "-c", FRESH_PROCESS.format(split=args.split)],
            check=True,
            capture_output=True,
            text=True,
        )
        fresh_second = float(fresh.stdout.strip().splitlines()[-1])
        cache_files = sorted(os.listdir(os.environ["COLORLIB_CACHE"]))

    print(f"CIFAR-10 {args.split}: {n} images from {os.environ['COLORLIB_DATA']}")
    print(f"  first load (decode + Lab + write cache): {first:6.2f} s")
    print(f"  second load (same process):              {second:6.2f} s")
    print(f"  second load (fresh process):             {fresh_second:6.2f} s")
    print(f"  cache: {os.environ['COLORLIB_CACHE']} {cache_files}")


if __name__ == "__main__":
    main()
