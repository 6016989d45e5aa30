"""Score every shipped Tiny ImageNet colorizer with the Tiny ImageNet judge, on all
val photos, and save whether the judge labels each photo right (notebook 05 reads it).

    python3 scripts/gpu/judge.py [--device cuda] [--limit N]

Writes ``data/results/per_image/judge-tinyimagenet.pt``: ``{name: (N,) bool}`` for
"real colour", "gray" and each colorizer, in the val set's order.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from colorlib import data, evaluate, experiments, pretrained, records  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--limit", type=int, help="the first N val photos only")
    args = parser.parse_args()
    val = data.load("tinyimagenet", "val", size=64)
    judge = experiments.train_or_load("tinyimagenet-classifier", device=args.device)
    names = [
        e.name for e in experiments.EXPERIMENTS.values()
        if e.ship and e.dataset == "tinyimagenet" and e.task != "labels"
        and experiments.weights_path(e).is_file()
    ]  # fmt: skip
    colorizers = {name: pretrained.load(name, device=args.device) for name in names}
    correct = evaluate.judge(judge, val, colorizers, device=args.device, limit=args.limit)
    path = records.RESULTS / "per_image" / "judge-tinyimagenet.pt"
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(correct, path)
    for name, right in correct.items():
        print(f"[judge] {name}: {100 * right.double().mean():.1f}% top-1 on {len(right)} photos")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
