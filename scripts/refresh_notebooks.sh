#!/usr/bin/env bash
# For maintainers: execute notebooks in place, so that the outputs stored in them (which
# nbval compares, numbers included) are those of the current code and weights.
# Run it after changing a notebook or anything a notebook prints, then commit the
# notebooks. Uses the real datasets (COLORLIB_DATA, default ../shared/datasets) and
# each notebook's default parameters (the quick profile), as nbval does.
#   bash scripts/refresh_notebooks.sh            # every numbered notebook
#   bash scripts/refresh_notebooks.sh 02 05      # some of them
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${COLORLIB_DATA:-}" ]; then
  [ -d ../shared/datasets ] || { echo "refresh_notebooks: set COLORLIB_DATA to the real datasets" >&2; exit 2; }
  COLORLIB_DATA=$(cd ../shared/datasets && pwd)
  export COLORLIB_DATA
fi
patterns=("$@")
[ ${#patterns[@]} -gt 0 ] || patterns=("[0-9][0-9]")
for pattern in "${patterns[@]}"; do
  for notebook in notebooks/${pattern}_*.ipynb; do
    [ -f "$notebook" ] || { echo "refresh_notebooks: no notebook ${pattern}_*.ipynb" >&2; exit 2; }
    echo "[refresh] $notebook (at $((SECONDS / 60)) min)"
    .venv/bin/jupyter nbconvert --to notebook --execute --inplace \
      --ExecutePreprocessor.timeout=3000 --ExecutePreprocessor.kernel_name=python3 "$notebook"
  done
done
