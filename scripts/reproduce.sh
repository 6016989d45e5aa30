#!/usr/bin/env bash
# Install everything (scripts/install.sh), then run the main job.
# Real datasets: COLORLIB_DATA (default ../shared/datasets when it exists);
# otherwise the bundled sample in data/sample. Extra arguments go to the command.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh

if [ -z "${COLORLIB_DATA:-}" ] && [ -d ../shared/datasets ]; then
  COLORLIB_DATA=$(cd ../shared/datasets && pwd)
  export COLORLIB_DATA
fi
.venv/bin/python -m colorlib selfcheck "$@"
