#!/usr/bin/env bash
# Create (or update) the project's virtual environment in .venv and install colorlib
# with every dependency from requirements.txt. Idempotent: a stamp file holding the
# hash of requirements.txt and pyproject.toml skips the pip step when nothing changed.
# Override the interpreter with PYTHON=/path/to/python3.11. No system package is
# installed here: the browser test's Chromium is scripts/install_browser.sh's (test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
"$PYTHON" -c 'import sys; assert sys.version_info >= (3, 10), "colorlib needs Python >= 3.10"'

if [ ! -x .venv/bin/python ]; then
  echo "[install] creating .venv with $("$PYTHON" --version)"
  "$PYTHON" -m venv .venv
fi

stamp=.venv/.colorlib-installed
want=$(cat requirements.txt pyproject.toml | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "[install] .venv is up to date"
  exit 0
fi

echo "[install] installing requirements (torch is large: this takes a few minutes once)"
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -r requirements.txt
.venv/bin/python -m pip install --quiet --no-deps -e .
echo "$want" > "$stamp"
echo "[install] done"
