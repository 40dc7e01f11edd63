#!/usr/bin/env bash
# Trunk post-build hook: shrinks the training worker's wasm with binaryen's wasm-opt -Oz (the
# npm `binaryen` package, pinned in tests/package.json: Debian's binaryen is too old for rustc's
# output, and Trunk would download its own). Measured: 22.0 MB → 12.1 MB raw, 2.62 → 1.97 MB
# brotli, training speed unchanged within noise (BENCHMARKS.md); about 3 minutes on 2 cores.
# The page's wasm is left alone: index.html pins it with an integrity hash.
# AGORA_WASM_OPT=0 skips it (dev.sh does, for quick rebuilds); debug builds skip it.
set -euo pipefail
[ "${TRUNK_PROFILE:-release}" = "release" ] || exit 0
[ "${AGORA_WASM_OPT:-1}" = "0" ] && { echo "wasm_opt: skipped (AGORA_WASM_OPT=0)"; exit 0; }
root="${TRUNK_SOURCE_DIR:-$(pwd)}"
opt="$root/tests/node_modules/.bin/wasm-opt"
wasm="${TRUNK_STAGING_DIR:-dist}/agora-worker_bg.wasm"
if [ ! -x "$opt" ]; then
  echo "wasm_opt: $opt is missing: run scripts/setup.sh (it installs tests/node_modules)" >&2
  exit 1
fi
if [ ! -f "$wasm" ]; then
  echo "wasm_opt: $wasm is missing" >&2
  exit 1
fi
before=$(stat -c %s "$wasm")
"$opt" -Oz --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue "$wasm" -o "$wasm.opt"
mv "$wasm.opt" "$wasm"
echo "wasm_opt: agora-worker_bg.wasm $before → $(stat -c %s "$wasm") bytes"
