"""Speed of colorlib.rgb_to_lab against skimage and kornia, in one run.

Usage:  python benchmarks/lab_speed.py [--batch 256] [--size 64] [--repeats 10] [--threads 2]

Every contender converts the same (batch, 3, size, size) batch of random sRGB pixels
(random uint8 codes, divided by 255 for float input) to the whole Lab image:

- ``skimage.color.rgb2lab`` on the equivalent (batch, size, size, 3) NumPy array (its
  native layout, so it pays no transpose), of the same dtype: float32, float64, or
  uint8 (which skimage converts to float64 itself);
- ``kornia.color.rgb_to_lab`` on the same (batch, 3, size, size) tensor (float only;
  skipped when kornia is not installed);
- ``colorlib.rgb_to_lab`` on that tensor (uint8: its lookup-table path).

torch runs on ``--threads`` threads (default 2). The contenders take turns within each
of ``--repeats`` rounds, in an order that rotates from round to round, after one
warm-up call each, so a busy machine slows all of them alike; each keeps its best
time. Printed per input dtype: best and median ms per call, megapixels per second,
the largest Lab difference from colorlib's output (a check that all compute the
same thing), and colorlib's speed-up over each peer (peer's best time / colorlib's).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch
from skimage import color

from colorlib import rgb_to_lab

try:
    import kornia.color
except ImportError:  # kornia is a benchmark-only dependency
    kornia = None


def contenders(codes: torch.Tensor) -> dict[tuple[str, str], Callable[[], np.ndarray]]:
    """(dtype, name) -> a call that converts ``codes`` (as that dtype) to Lab.

    Args:
        codes: uint8 ``(B, 3, S, S)`` sRGB codes.

    Returns:
        Calls returning Lab as a NumPy array ``(B, 3, S, S)`` (skimage's NHWC output is
        only transposed for the comparison, outside the timed call).
    """
    calls = {}
    for dtype, np_dtype in (("float32", np.float32), ("float64", np.float64)):
        batch = codes.to(getattr(torch, dtype)) / 255
        nhwc = np.ascontiguousarray(batch.permute(0, 2, 3, 1).numpy(), dtype=np_dtype)
        calls[dtype, "skimage"] = lambda x=nhwc: color.rgb2lab(x)
        if kornia is not None:
            calls[dtype, "kornia"] = lambda x=batch: kornia.color.rgb_to_lab(x)
        calls[dtype, "colorlib"] = lambda x=batch: rgb_to_lab(x)
    nhwc_codes = np.ascontiguousarray(codes.permute(0, 2, 3, 1).numpy())
    calls["uint8", "skimage"] = lambda: color.rgb2lab(nhwc_codes)
    calls["uint8", "colorlib"] = lambda: rgb_to_lab(codes)
    return calls


def as_nchw(lab) -> np.ndarray:
    """A contender's output as float64 NumPy ``(B, 3, S, S)``."""
    if isinstance(lab, torch.Tensor):
        return lab.double().numpy()
    return np.moveaxis(lab, -1, -3).astype(np.float64)


def time_interleaved(calls: dict, repeats: int) -> dict[tuple[str, str], list[float]]:
    """Seconds per call of each contender: ``repeats`` rounds, every contender once per
    round, the order rotated by one each round, after one warm-up call each."""
    keys = list(calls)
    times: dict[tuple[str, str], list[float]] = {key: [] for key in keys}
    with torch.inference_mode():
        for key in keys:
            calls[key]()
        for round_ in range(repeats):
            shift = round_ % len(keys)
            for key in keys[shift:] + keys[:shift]:
                start = time.perf_counter()
                calls[key]()
                times[key].append(time.perf_counter() - start)
    return times


def report(calls: dict, times: dict, megapixels: float) -> list[str]:
    """The printed table: one line per contender, grouped by input dtype."""
    with torch.inference_mode():
        outputs = {key: as_nchw(call()) for key, call in calls.items()}
    lines = [
        f"{'input':8s} {'contender':10s} {'best ms':>8s} {'median':>8s} {'Mpx/s':>7s} "
        f"{'max|dLab|':>10s}   colorlib speed-up"
    ]
    for dtype in dict.fromkeys(d for d, _ in calls):
        ours = min(times[dtype, "colorlib"])
        speedups = []
        for (d, name), spent in times.items():
            if d != dtype:
                continue
            diff = np.abs(outputs[d, name] - outputs[d, "colorlib"]).max()
            best = min(spent)
            lines.append(
                f"{d:8s} {name:10s} {1e3 * best:8.2f} {1e3 * statistics.median(spent):8.2f} "
                f"{megapixels / best:7.1f} {diff:10.2e}"
            )
            if name != "colorlib":
                speedups.append(f"colorlib/{name} {best / ours:5.2f}x")
        lines.append(f"{dtype:8s} => " + ", ".join(speedups))
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=256, help="images per batch (default 256)")
    parser.add_argument("--size", type=int, default=64, help="image side in pixels (default 64)")
    parser.add_argument("--repeats", type=int, default=10, help="timed rounds (default 10)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    generator = torch.Generator().manual_seed(0)
    codes = torch.randint(
        0, 256, (args.batch, 3, args.size, args.size), dtype=torch.uint8, generator=generator
    )
    calls = contenders(codes)
    times = time_interleaved(calls, args.repeats)
    print(
        f"batch ({args.batch}, 3, {args.size}, {args.size}), torch threads: "
        f"{torch.get_num_threads()}, best of {args.repeats} interleaved rounds"
        + ("" if kornia is not None else " (kornia not installed)")
    )
    print("\n".join(report(calls, times, args.batch * args.size * args.size / 1e6)))


if __name__ == "__main__":
    main()
