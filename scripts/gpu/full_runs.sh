#!/usr/bin/env bash
# The full-profile training of notebooks 02-04 on a rented GPU, in one go.
# Run from the repository root on the GPU machine, after
#   python scripts/gpu/pack_data.py ../shared/datasets .gpu/datasets   (here)
# with .gpu carried along. Results come back as parts of one tar.gz in $OUT
# (data/checkpoints, data/results and the job logs written by this run).
# Usage: bash scripts/gpu/full_runs.sh [SECONDS_FOR_TRAINING]
set -uo pipefail
budget=${1:-420}
out=${OUT:-/tmp/colorlib-gpu-out}
mkdir -p "$out"
export COLORLIB_DATA=$PWD/.gpu/datasets PYTHONUNBUFFERED=1
stamp=$(mktemp) && sleep 1
{
  nvidia-smi -L
  python3 -c "import torch, sys; print('python', sys.version.split()[0], 'torch', torch.__version__)"
  # build the dataset caches once, before the parallel jobs read them
  python3 -c "
from colorlib import data
for name in ('imagenet64', 'imagenet32', 'cifar10'):
    for split in ('train', 'test'):
        print(name, split, len(data.load(name, split)))"
  timeout "$budget" python3 scripts/train_full.py --only 02 03 04 --seeds 0 1 2 --jobs 8 \
    --deadline $((budget - 90))
  echo "train_full exit $?"
} 2>&1 | tee "$out/full_runs.log"
find data/checkpoints data/results runs/full/logs -type f -newer "$stamp" -print0 |
  tar czf - --null -T - | split -b 15m - "$out/results.tar.gz.part-"
ls -l "$out"
