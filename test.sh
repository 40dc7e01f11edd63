#!/usr/bin/env bash
# Runs every check, cheapest first: fmt, clippy (native and wasm32), the engine's direction
# check, native unit and integration tests (CPU and wgpu over lavapipe), the release build,
# and the end-to-end tests in headless Chromium (CPU and WebGPU).
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
. scripts/env.sh

step() { printf '\n== %s\n' "$*"; }

step "rustfmt"
cargo fmt --all -- --check

step "engine depends on no web crate"
# The engine names none itself; its Burn-free half (what the page links) has none at all. With
# Burn, wgpu's own WebGPU bindings bring web-sys in on wasm32, and nothing else may.
web='^(yew|gloo[a-z-]*|web-sys|js-sys|wasm-bindgen) '
if cargo tree -p agora-engine -e normal --target wasm32-unknown-unknown --depth 1 --prefix none | grep -E "$web"; then
  echo "the engine must not depend on web crates"; exit 1
fi
if cargo tree -p agora-engine --no-default-features -e normal --target wasm32-unknown-unknown --prefix none | grep -E "$web"; then
  echo "the engine without Burn must not pull in any web crate"; exit 1
fi
if cargo tree -p agora-engine -e normal --target wasm32-unknown-unknown --prefix none | grep -E '^(yew|gloo[a-z-]*) '; then
  echo "the engine must not depend on UI crates"; exit 1
fi

step "clippy (native, then wasm32)"
cargo clippy --workspace --all-targets --release -- -D warnings
cargo clippy -p agora-app -p agora-worker --target wasm32-unknown-unknown --release -- -D warnings

step "native tests (engine on Flex and on wgpu, app state)"
cargo test --workspace --release -- --test-threads 2

step "exports held to onnx.checker, onnxruntime and PyTorch (torchrun, 2 processes, gloo)"
exports="$CARGO_TARGET_DIR/exports"
rm -rf "$exports"
cargo run -p agora-engine --release --example export_cases -- "$exports"
"$AGORA_PY" scripts/check_export.py --torchrun lenet "$exports"/*.zip

step "the room's privacy accountant held to Opacus's"
cargo run -p agora-federated --release --example epsilon | "$AGORA_PY" scripts/room/check_epsilon.py

step "the pretrained EfficientNet-Lite0 held to PyTorch and to photos (CPU, then wgpu)"
scripts/pretrained/setup.sh check
cargo run -p agora-engine --release --example pretrained_check -- "$AGORA_CACHE/pretrained" cpu
cargo run -p agora-engine --release --example pretrained_check -- "$AGORA_CACHE/pretrained" wgpu

step "build the page and the room server"
trunk build --release
scripts/sizes.sh
cargo build -p agora-room --release

step "end-to-end in headless Chromium"
(cd tests && AGORA_DIST=../dist AGORA_ARTIFACTS=artifacts node e2e/links.mjs)
(cd tests && AGORA_DIST=../dist AGORA_ARTIFACTS=artifacts node e2e/offline.mjs)
(cd tests && AGORA_DIST=../dist AGORA_ARTIFACTS=artifacts node e2e/lessons.mjs)
(cd tests && AGORA_DIST=../dist AGORA_ARTIFACTS=artifacts node e2e/a11y.mjs)
(cd tests && AGORA_DIST=../dist AGORA_ARTIFACTS=artifacts node e2e/project.mjs)
(cd tests && AGORA_DIST=../dist AGORA_ARTIFACTS=artifacts node e2e/runs.mjs)
(cd tests && AGORA_DIST=../dist AGORA_ARTIFACTS=artifacts node e2e/export.mjs)
(cd tests && AGORA_DIST=../dist AGORA_ARTIFACTS=artifacts node e2e/cli.mjs)
(cd tests && AGORA_DIST=../dist AGORA_ARTIFACTS=artifacts node e2e/speed.mjs)
(cd tests && AGORA_DIST=../dist AGORA_ARTIFACTS=artifacts node e2e/photos.mjs)
crops="$CARGO_TARGET_DIR/pretrained-crops"
"$AGORA_PY" scripts/pretrained/crops.py "$AGORA_CACHE"/wheels/scikit_image-0.26.0-*.whl "$crops"
(cd tests && AGORA_DIST=../dist AGORA_ARTIFACTS=artifacts AGORA_CROPS="$crops" node e2e/pretrained.mjs)
(cd tests && AGORA_DIST=../dist AGORA_ARTIFACTS=artifacts node e2e/room.mjs)
(cd tests && AGORA_DIST=../dist AGORA_ARTIFACTS=artifacts node e2e/inside.mjs)
(cd tests && AGORA_DIST=../dist AGORA_ARTIFACTS=artifacts node e2e/playground.mjs)
(cd tests && AGORA_DIST=../dist AGORA_ARTIFACTS=artifacts node e2e/table.mjs)
(cd tests && AGORA_DIST=../dist AGORA_ARTIFACTS=artifacts node e2e/lab.mjs)
echo "all checks passed"
