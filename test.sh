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
if cargo tree -p agora-engine -e normal --target wasm32-unknown-unknown --prefix none | grep -E '^(yew|gloo|web-sys|js-sys|wasm-bindgen) '; then
  echo "the engine must not depend on web crates"; exit 1
fi

step "clippy (native, then wasm32)"
cargo clippy --workspace --all-targets --release -- -D warnings
cargo clippy -p agora-app -p agora-worker --target wasm32-unknown-unknown --release -- -D warnings

step "native tests (engine on Flex and on wgpu, app state)"
cargo test --workspace --release -- --test-threads 2

step "build the page"
trunk build --release
scripts/sizes.sh

step "end-to-end in headless Chromium"
(cd tests && AGORA_DIST=../dist AGORA_ARTIFACTS=artifacts node e2e/playground.mjs)
echo "all checks passed"
