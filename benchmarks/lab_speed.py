"""Throughput of colorlib.rgb_to_lab against skimage.color.rgb2lab, in one run.

Usage:  python benchmarks/lab_speed.py [--batch 256] [--size 64] [--repeats 10]

Both sides convert the same (batch, 3, size, size) batch of random sRGB photos-worth
of pixels; the reference is skimage's rgb2lab on the equivalent (batch, size, size, 3)
float64 array (its native layout, so it pays no transpose). Each side takes its best
of --repeats timed runs after one warm-up. Printed: megapixels/s for each and the
ratio ours / skimage, for float32, float64 and uint8 input.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from skimage import color

from colorlib import rgb_to_lab


def best_time(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=256, help="images per batch (default 256)")
    parser.add_argument("--size", type=int, default=64, help="image side in pixels (default 64)")
    parser.add_argument("--repeats", type=int, default=10, help="timed runs per side (default 10)")
    args = parser.parse_args(argv)

    generator = torch.Generator().manual_seed(0)
    codes = torch.randint(
        0, 256, (args.batch, 3, args.size, args.size), dtype=torch.uint8, generator=generator
    )
    reference_input = codes.permute(0, 2, 3, 1).numpy().astype(np.float64) / 255.0
    megapixels = args.batch * args.size * args.size / 1e6

    reference = best_time(lambda: color.rgb2lab(reference_input), args.repeats)
    print(
        f"batch ({args.batch}, 3, {args.size}, {args.size}), torch threads: "
        f"{torch.get_num_threads()}, best of {args.repeats}"
    )
    print(f"{'skimage rgb2lab (float64, NHWC)':34s} {megapixels / reference:8.1f} Mpx/s   1.00x")
    for label, batch in [
        ("colorlib rgb_to_lab float32", codes.float() / 255),
        ("colorlib rgb_to_lab float64", codes.double() / 255),
        ("colorlib rgb_to_lab uint8 (LUT)", codes),
    ]:
        with torch.inference_mode():
            ours = best_time(lambda b=batch: rgb_to_lab(b), args.repeats)
        print(f"{label:34s} {megapixels / ours:8.1f} Mpx/s {reference / ours:6.2f}x")


if __name__ == "__main__":
    main()
