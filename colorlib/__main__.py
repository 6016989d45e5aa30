"""Command line: ``python -m colorlib COMMAND ...`` (or ``colorlib COMMAND ...``).

Commands:
  selfcheck   run the library end to end on real photos and report what it measured
"""

from __future__ import annotations

import argparse
import sys


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _selfcheck(args: argparse.Namespace) -> int:
    from colorlib import selfcheck

    source, train_rgb, test_rgb = selfcheck.load_photos(size=args.size, limit=args.images)
    print(f"[selfcheck] {len(train_rgb)} training and {len(test_rgb)} test photos from {source}")
    checks = selfcheck.run(
        train_rgb, test_rgb, steps=args.steps, seed=args.seed, progress=not args.no_progress
    )
    print(selfcheck.format_report(source, checks))
    return 0 if all(c.passed for c in checks) else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m colorlib",
        description="colorlib: automatic image colorization, taught and reproduced.",
        epilog="Real data: set COLORLIB_DATA to the folder holding cifar10/, imagenet64/ ...; "
        "without it the bundled sample in data/sample is used.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    check = commands.add_parser(
        "selfcheck",
        help="run the library end to end on real photos and report what it measured",
        description="Convert real photos to Lab (checked against scikit-image), "
        "round-trip them through the ab bins, build every network, train the poster's "
        "CNN briefly and score it against a gray guess. Uses CIFAR-10 from "
        "COLORLIB_DATA when present, else the bundled sample. Exit status 1 if any "
        "check fails.",
    )
    check.add_argument(
        "--steps", type=_positive_int, default=60, help="training steps (default 60)"
    )
    check.add_argument(
        "--images", type=_positive_int, default=512, help="training photos to use (default 512)"
    )
    check.add_argument(
        "--size", type=int, choices=(32, 64), default=32, help="image side in pixels (default 32)"
    )
    check.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    check.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    check.set_defaults(handler=_selfcheck)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (FileNotFoundError, ValueError) as exc:
        print(f"colorlib {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
