#!/usr/bin/env bash
# Install everything (scripts/install.sh), then run every test, the notebook output
# checks (nbval) and the linter.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k lab -x`.
# Real datasets: COLORLIB_DATA (default ../shared/datasets when it exists).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh

if [ -z "${COLORLIB_DATA:-}" ] && [ -d ../shared/datasets ]; then
  COLORLIB_DATA=$(cd ../shared/datasets && pwd)
  export COLORLIB_DATA
fi
echo "[test] COLORLIB_DATA=${COLORLIB_DATA:-<unset: bundled sample and fixtures only>}"

echo "[test] ruff"
.venv/bin/ruff check colorlib tests benchmarks data scripts
# The notebooks' stored outputs were made with the real datasets: compare them (nbval)
# only when those are here.
notebooks=()
if [ -n "${COLORLIB_DATA:-}" ]; then
  notebooks=(notebooks --nbval --nbval-current-env --nbval-sanitize-with notebooks/nbval_sanitize.cfg)
else
  echo "[test] no COLORLIB_DATA: the notebooks' stored outputs are not compared"
fi
if [ -n "${COLORLIB_DATA:-}" ]; then
  # decode Tiny ImageNet into the cache once (about a minute on a fresh clone), so that
  # no notebook prints the first read's progress bar that its stored outputs lack
  echo "[test] Tiny ImageNet cache"
  .venv/bin/python -c "
from colorlib import data
for size in (64, 32):
    for split in ('train', 'val'):
        data.load('tinyimagenet', split, size=size)" 2>&1 | tail -n 2 ||
    echo "[test] no Tiny ImageNet in COLORLIB_DATA"
fi
echo "[test] pytest"
.venv/bin/python -m pytest tests "${notebooks[@]}" "$@"

# The retrain path: every notebook trains its quick models (retrain=True) and must
# complete; notebook 02 also checks that its quick cross-entropy model beats the gray
# guess. Needs the real datasets (retraining on the sample is not the experiment).
if [ -n "${COLORLIB_DATA:-}" ] && [ $# -eq 0 ]; then
  echo "[test] quick retrain of every notebook (python -m colorlib reproduce -p retrain true)"
  .venv/bin/python -m colorlib reproduce --profile quick -p retrain true \
    --out runs/ci-retrain --no-progress
fi
