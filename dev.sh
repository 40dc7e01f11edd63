#!/usr/bin/env bash
# Sets everything up (first run: ~30 minutes of installs and builds) and serves Agora on
# http://127.0.0.1:8080 with live rebuilds.
set -euo pipefail
cd "$(dirname "$0")"
# The export checks' Python packages are for ./test.sh, not for serving the page.
AGORA_SETUP_PY=0 scripts/setup.sh
. scripts/env.sh
# Rebuilds skip the ~3-minute wasm-opt pass (AGORA_WASM_OPT=1 keeps it).
export AGORA_WASM_OPT="${AGORA_WASM_OPT:-0}"
exec trunk serve --release --address 127.0.0.1 --port 8080
