#!/usr/bin/env bash
# Install everything (scripts/install.sh), then run every test, the notebook output
# checks (nbval) and the linter.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k lab -x`.
# Real datasets: COLORLIB_DATA (default ../shared/datasets when it exists).
set -euo pipefail
cd "$(dirname "$0")/.."
# each stage's start, with the minutes since the script began (CI has a time limit)
stage() { echo "[test] $* (at $((SECONDS / 60)) min)"; }
stage "install"
bash scripts/install.sh
bash scripts/install_browser.sh  # the browser test's Chromium: the test path only

if [ -z "${COLORLIB_DATA:-}" ] && [ -d ../shared/datasets ]; then
  COLORLIB_DATA=$(cd ../shared/datasets && pwd)
  export COLORLIB_DATA
fi
echo "[test] COLORLIB_DATA=${COLORLIB_DATA:-<unset: bundled sample and fixtures only>}"

stage "ruff"
.venv/bin/ruff check colorlib tests benchmarks data scripts coursework notebooks/conftest.py
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
  stage "Tiny ImageNet cache"
  .venv/bin/python -c "
from colorlib import data
for size in (64, 32):
    for split in ('train', 'val'):
        data.load('tinyimagenet', split, size=size)" 2>&1 | tail -n 2 ||
    echo "[test] no Tiny ImageNet in COLORLIB_DATA"
fi
stage "pytest"
.venv/bin/python -m pytest tests "${notebooks[@]}" "$@"

# The main job as a newcomer runs it: no real datasets, only the bundled sample. Every
# notebook must complete and name its data (reproduce fails one that prints no DATA
# line), and the summary must say up front that it used the sample.
if [ $# -eq 0 ]; then
  stage "main job on the bundled sample (python -m colorlib reproduce, no COLORLIB_DATA)"
  rm -rf runs/ci-sample
  env -u COLORLIB_DATA .venv/bin/python -m colorlib reproduce --profile quick \
    --out runs/ci-sample --no-progress
  if ! head -n 3 runs/ci-sample/quick/summary.md | grep -q "the bundled sample"; then
    echo "[test] runs/ci-sample/quick/summary.md does not say that it used the sample" >&2
    exit 1
  fi
fi

# The retrain path: every notebook that trains (01-05; 00 trains nothing and nbval has
# just run it) trains its quick models (retrain=True) and must complete; notebook 02
# also checks that its quick cross-entropy model beats the gray guess. Needs the real
# datasets (retraining on the sample is not the experiment). Bounded, so that a hang
# fails here, by name, rather than running into CI's own limit.
if [ -n "${COLORLIB_DATA:-}" ] && [ $# -eq 0 ]; then
  stage "quick retrain of notebooks 01-05 (python -m colorlib reproduce -p retrain true)"
  status=0
  timeout --kill-after=30s "${COLORLIB_RETRAIN_MINUTES:-40}m" \
    .venv/bin/python -m colorlib reproduce --profile quick -p retrain true \
    --only 01 02 03 04 05 --out runs/ci-retrain --no-progress || status=$?
  if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
    echo "[test] the retrain path ran past ${COLORLIB_RETRAIN_MINUTES:-40} minutes" >&2
  fi
  [ "$status" -eq 0 ] || exit "$status"
fi
stage "done"
