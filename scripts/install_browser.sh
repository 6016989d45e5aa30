#!/usr/bin/env bash
# System package for the browser test only (scripts/test.sh calls this): Debian's
# Chromium (playwright's own browser download needs the internet). Installed with apt
# when we are root; else say so. The main job (scripts/reproduce.sh) never needs it.
set -euo pipefail
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "[install] installing chromium with apt-get (for the browser test)"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "[install] note: no chromium; the browser test will be skipped (apt-get install chromium)"
  fi
fi
