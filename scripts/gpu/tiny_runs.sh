#!/usr/bin/env bash
# The Tiny ImageNet half of the study (notebooks 02-05), trained on one rented GPU in
# one call. The zip travels in parts (the device tool carries at most 64 MiB a call):
#   here:   mkdir -p .gpu/p1 .gpu/p2 .gpu/p3 .gpu/p4
#           split -n 4 -d ../shared/datasets/tiny-imagenet-200.zip tiny.part-
#           (one part into each .gpu/pK; earlier calls carry .gpu/p1..p3, this one .gpu/p4)
#   there:  bash scripts/gpu/tiny_runs.sh MINUTES MD5
# Every job trains until MINUTES of training have passed (then finishes its epoch),
# scores itself on all Tiny ImageNet val photos and writes data/checkpoints,
# data/results (records and per-image metrics); then scripts/gpu/judge.py scores
# every colorizer with the new judge. Results come back as parts of one
# tar.gz in $OUT, with the job logs.
set -uo pipefail
minutes=${1:-5}
md5=${2:-}
out=${OUT:-/tmp/colorlib-gpu-out}
mkdir -p "$out" .gpu/datasets
export COLORLIB_DATA=$PWD/.gpu/datasets PYTHONUNBUFFERED=1
stamp=$(mktemp) && sleep 1
{
  cat .gpu/p*/tiny.part-* > .gpu/datasets/tiny-imagenet-200.zip
  got=$(md5sum .gpu/datasets/tiny-imagenet-200.zip | cut -d' ' -f1)
  echo "zip md5 $got (expected ${md5:-unchecked})"
  if [ -n "$md5" ] && [ "$got" != "$md5" ]; then echo "zip damaged in transit"; exit 3; fi
  nvidia-smi -L
  python3 -c "import torch, sys; print('python', sys.version.split()[0], 'torch', torch.__version__)"
  # build the uint8 caches once, before the parallel jobs map them
  python3 -c "
from colorlib import data
for size in (64, 32):
    for split in ('train', 'val'):
        d = data.load('tinyimagenet', split, size=size)
        print('tinyimagenet', size, split, len(d), 'colourless', d.colourless)"
  timeout $((minutes * 60 + 150)) python3 scripts/train_full.py --jobs 16 --seeds 0 1 2 \
    --max-minutes "$minutes" --deadline 60 --only \
    imagenet64-cyclegan imagenet64-pix2pix tinyimagenet-classifier imagenet64-zhang-l2 \
    imagenet64-zhang-ce imagenet64-zhang-ce-rebalanced imagenet64-seedcnn-l2 \
    imagenet32-seedcnn-l2 imagenet32-seedcnn-l2-dropout imagenet32-seedcnn-smoothl1
  echo "train_full exit $?"
  timeout 90 python3 scripts/gpu/judge.py --device cuda
  echo "judge exit $?"
  nvidia-smi --query-gpu=memory.used,utilization.gpu --format=csv
} 2>&1 | tee "$out/tiny_runs.log"
find data/checkpoints data/results runs/full/logs -type f -newer "$stamp" -print0 |
  tar czf - --null -T - | split -b 15m - "$out/results.tar.gz.part-"
ls -l "$out"
