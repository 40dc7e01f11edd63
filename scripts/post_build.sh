#!/usr/bin/env bash
# Trunk's one post-build hook, so the steps run in order on the staged build: the CSP's hash of
# the loader (csp_hash.py), wasm-opt and the page wasm's integrity (wasm_opt.sh), then the
# service worker's list of files and version (offline.py), which must see the final bytes.
set -euo pipefail
root="${TRUNK_SOURCE_DIR:-$(pwd)}"
python3 "$root/scripts/csp_hash.py"
bash "$root/scripts/wasm_opt.sh"
python3 "$root/scripts/offline.py"
