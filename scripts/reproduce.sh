#!/usr/bin/env bash
# Install everything (scripts/install.sh), then run the main job: every numbered
# notebook, executed by papermill into runs/<profile>/ with a summary.md/.html.
# Real datasets: COLORLIB_DATA (default ../shared/datasets when it exists);
# otherwise the notebooks use the bundled sample in data/sample and say so.
# Extra arguments go to `python -m colorlib reproduce` (e.g. --profile full, --only 00).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh

if [ -z "${COLORLIB_DATA:-}" ] && [ -d ../shared/datasets ]; then
  COLORLIB_DATA=$(cd ../shared/datasets && pwd)
  export COLORLIB_DATA
fi
if [ -n "${COLORLIB_DATA:-}" ]; then
  echo "[reproduce] real data: COLORLIB_DATA=$COLORLIB_DATA"
else
  echo "[reproduce] no COLORLIB_DATA and no ../shared/datasets: using the bundled sample"
fi
.venv/bin/python -m colorlib reproduce "$@"
