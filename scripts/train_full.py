"""Train the study's full-profile experiments, several at once, and say how each went.

Each job is ``python -m colorlib train --experiment NAME --profile full --seed K``
in its own process (so one failure never stops the others). A job that fails is
tried once more in float32 (``--precision fp32``). A table of jobs, exit codes and wall
times is printed at the end and written to ``<log-dir>/jobs.json``; each job's
output is in ``<log-dir>/<name>[-seed<k>].log``.

Seed 0 of a shipped experiment writes ``data/checkpoints/<name>.pt``; every full run
writes its results under ``data/results/`` (see ``colorlib.experiments.run``).

Examples:
    python scripts/train_full.py --list
    python scripts/train_full.py --only 02 --seeds 0 1 2 --jobs 8
    python scripts/train_full.py --only imagenet32-seedcnn-l2 --jobs 1
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from colorlib.experiments import EXPERIMENTS  # noqa: E402
from colorlib.resume import run_name  # noqa: E402

SEEDED = tuple(f"imagenet32-seedcnn-{loss}" for loss in ("l2", "l2-dropout", "smoothl1"))
"""Experiments also trained with the extra ``--seeds`` (the poster's three losses)."""
RANK = {"cyclegan": 0, "pix2pix": 1, "labels": 2, "bins": 3, "regression": 4}
"""Job order: the longest first (GANs, the judge, the wide 64 px networks, the rest)."""


def _jobs(only: list[str], seeds: list[int]) -> list[tuple[str, int]]:
    chosen = [e for e in EXPERIMENTS.values() if not only or e.name in only or e.notebook in only]
    unknown = (
        set(only)
        - {e.name for e in EXPERIMENTS.values()}
        - {e.notebook for e in EXPERIMENTS.values()}
    )
    if unknown:
        raise SystemExit(f"train_full: unknown experiments or notebooks: {sorted(unknown)}")
    jobs = [(e.name, seed) for e in chosen for seed in (seeds if e.name in SEEDED else [0])]
    return sorted(jobs, key=lambda j: (RANK[EXPERIMENTS[j[0]].task], j[1], j[0]))


def _run(job: tuple[str, int], log_dir: Path, deadline: float, minutes: float | None) -> dict:
    name, seed = job
    stem = run_name(name, seed)
    record = {"experiment": name, "seed": seed, "rc": None, "seconds": 0.0, "precision": "auto"}
    if time.time() > deadline:
        record["rc"] = "skipped: past the deadline"
        return record
    base = [sys.executable, "-m", "colorlib", "train", "--experiment", name]
    base += ["--profile", "full", "--seed", str(seed), "--no-progress"]
    if minutes is not None:
        base += ["--max-minutes", str(minutes)]
    began = time.time()
    with open(log_dir / f"{stem}.log", "w") as log:
        for precision in ("auto", "fp32"):
            record["precision"] = precision
            command = [*base, "--precision", precision]
            log.write(f"$ {' '.join(command)}\n")
            log.flush()
            rc = subprocess.call(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
            record["rc"] = rc
            if rc == 0 or time.time() > deadline:
                break
    record["seconds"] = round(time.time() - began, 1)
    print(f"[train_full] {stem}: rc {record['rc']} in {record['seconds']} s", flush=True)
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only", nargs="*", default=[], help="experiment names or notebook numbers (default all)"
    )
    parser.add_argument(
        "--seeds", nargs="+", type=int, default=[0],
        help="extra seeds for the experiments in SEEDED (default 0 only)",
    )  # fmt: skip
    parser.add_argument("--jobs", type=int, default=1, help="processes at once (default 1)")
    parser.add_argument("--log-dir", default="runs/full/logs", help="default runs/full/logs")
    parser.add_argument(
        "--deadline", type=float, default=float("inf"),
        help="seconds from now after which no job starts or is retried (default none)",
    )  # fmt: skip
    parser.add_argument(
        "--max-minutes", type=float,
        help="each job starts no new epoch after this many minutes of training",
    )  # fmt: skip
    parser.add_argument(
        "--list", "--dry-run", action="store_true", dest="list",
        help="print every job with its method and settings, and exit",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be >= 1")
    jobs = _jobs(args.only, args.seeds)
    if args.list:
        for name, seed in jobs:
            e = EXPERIMENTS[name]
            settings = f"{e.task}, {e.network or '-'}, loss {e.loss}, {e.dataset}"
            size = f" {e.size}px" if e.size else ""
            print(
                f"{name} seed {seed}: {settings}{size}, batch {e.batch_size}, "
                f"{e.epochs['full']} epochs (full): {e.description}"
            )
        return 0
    log_dir = ROOT / args.log_dir
    log_dir.mkdir(parents=True, exist_ok=True)
    deadline = time.time() + args.deadline
    # each process gets a fair share of the cores (torch would take them all)
    threads = max(1, (os.cpu_count() or 1) // args.jobs)
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    print(f"[train_full] {len(jobs)} jobs, {args.jobs} at a time, logs in {log_dir}", flush=True)
    with ThreadPoolExecutor(args.jobs) as pool:
        records = list(pool.map(lambda job: _run(job, log_dir, deadline, args.max_minutes), jobs))
    (log_dir / "jobs.json").write_text(json.dumps(records, indent=1) + "\n")
    failed = [r for r in records if r["rc"] != 0]
    for r in failed:
        print(f"[train_full] FAILED {r['experiment']} seed {r['seed']}: rc {r['rc']}")
    print(f"[train_full] {len(records) - len(failed)}/{len(records)} jobs succeeded")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
