#!/usr/bin/env bash
# Agora against TensorFlow.js in the same headless Chromium (tests/bench/speed.mjs): builds the
# page, then prints sizes, load time, samples/s per backend and ratios, Auto's choice and the
# longest main-thread tasks while training; writes tests/artifacts/bench/speed.json.
# SKIP_WEBGPU=1 leaves out the WebGPU rows (SwiftShader makes them take most of the run here).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. scripts/env.sh
trunk build --release
cd tests && AGORA_DIST=../dist AGORA_ARTIFACTS=artifacts node bench/speed.mjs
