"""Write the records of full runs whose training finished but whose scoring did not.

The Tiny ImageNet GPU call of 2026-11-29 (``scripts/gpu/tiny_runs.sh``) ran out of time
after training: the weights and each run's ``history.json`` came back, the records
did not. This scores each shipped model on all Tiny ImageNet val photos here (CPU),
with its training history, through :func:`colorlib.records.write_results`; runs
without weights (extra seeds, the 64 px poster CNN) get a record from their history.

    python scripts/gpu/records.py RUNS_DIR --device-name "NVIDIA H200"
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from colorlib import checkpoint, data, experiments, pretrained, records  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", type=Path, help="folder of <name>[-seed<k>]/history.json")
    parser.add_argument("--device-name", required=True, help="where the runs were trained")
    parser.add_argument("--train-scored", type=int, default=2000, help="default 2000")
    parser.add_argument("--note", help="a line for the records (default: the GPU call's story)")
    parser.add_argument("--only", nargs="*", default=[], help="run folder names")
    parser.add_argument(
        "--baselines", action="store_true",
        help="also write the gray guess's and mean colouring's per-image val metrics",
    )  # fmt: skip
    args = parser.parse_args()
    note = args.note or (
        "trained on the GPU with a 5-minute budget (16 jobs at once); scored on the CPU "
        "afterwards (scripts/gpu/records.py)"
    )
    for folder in sorted(p for p in args.runs.iterdir() if (p / "history.json").is_file()):
        if args.only and folder.name not in args.only:
            continue
        numbered = re.fullmatch(r"(.+)-seed(\d+)", folder.name)
        name, seed = (numbered[1], int(numbered[2])) if numbered else (folder.name, 0)
        experiment = experiments.get(name)
        history = json.loads((folder / "history.json").read_text())
        train_set = data.load(experiment.dataset, "train", size=experiment.size)
        test_set = data.load(experiment.dataset, "test", size=experiment.size)
        if experiment.limit["full"] is not None:
            train_set = data.random_subset(train_set, experiment.limit["full"])
        weights = experiments.weights_path(experiment)
        model = None
        if seed == 0 and experiment.ship and weights.is_file():
            model = (
                checkpoint.load_checkpoint(weights).build()
                if experiment.task == "labels"
                else pretrained.load(experiment.name)
            )
        record = records.write_results(
            experiment, seed, model, history, args.device_name, train_set, test_set,
            train_scored=args.train_scored, note=note,
        )  # fmt: skip
        test = record.test
        shown = {k: round(v, 4) for k, v in test.items() if isinstance(v, float)}
        print(f"[records] {folder.name}: {len(history)} epochs, test {shown}", flush=True)
    if args.baselines:
        for size in (32, 64):
            records.write_baselines("tinyimagenet", size)
            path = records.baselines_path("tinyimagenet", size)
            print(f"[records] baselines at {size} px: {path}")
    return 0


if __name__ == "__main__":
    torch.set_num_threads(1)
    raise SystemExit(main())
