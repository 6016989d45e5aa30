#!/usr/bin/env bash
# Install everything (scripts/install.sh), then run every test and the linter.
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
echo "[test] pytest"
.venv/bin/python -m pytest "$@"
