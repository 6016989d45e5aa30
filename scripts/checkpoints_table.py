"""Print the table of shipped weights for data/checkpoints/README.md, from the files
and their training records (so that no size, epoch count or time is typed by hand).

    python scripts/checkpoints_table.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from colorlib import experiments, records  # noqa: E402


def main() -> int:
    rows, total = [], 0
    for experiment in experiments.EXPERIMENTS.values():
        path = experiments.weights_path(experiment)
        if not experiment.ship or not path.is_file():
            continue
        size = path.stat().st_size
        total += size
        runs = records.load_results(experiment.name)
        how, description = "no record", experiment.description
        if runs:  # the weights are what their record says, even if the registry moved on
            record = runs[0]
            description = record.experiment.get("description", description)
            epochs, minutes = record.epochs_run, record.train_minutes
            precision = f" in {record.precision}" if record.precision else ""
            seen = f" ({record.images_seen:,} images seen)" if record.images_seen else ""
            how = (
                f"{epochs} epoch{'s' * (epochs != 1)}{seen}, {minutes:.1f} min{precision} "
                f"on {record.device}"
            )
        relative = path.relative_to(experiments.weights_path(experiment).parents[1])
        rows.append(
            f"| `{relative.as_posix()}` | {description} | {experiment.notebook} "
            f"| {size / 1e6:.1f} MB | {how} |"
        )
    print("| file | experiment | notebook | size | how it was trained |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))
    print(f"\nTotal: {total / 1e6:.1f} MB.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
