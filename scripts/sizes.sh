#!/usr/bin/env bash
# Prints the size of each .wasm in dist/: raw, gzip -9 and brotli -q 11.
set -euo pipefail
cd "$(dirname "$0")/.."
for wasm in dist/*.wasm; do
  raw=$(stat -c %s "$wasm")
  gz=$(gzip -9 -c "$wasm" | wc -c)
  br=$(brotli -q 11 -c "$wasm" | wc -c)
  awk -v name="$(basename "$wasm")" -v raw="$raw" -v gz="$gz" -v br="$br" \
    'BEGIN { printf "%-36s raw %7.2f MB   gzip %6.2f MB   brotli %6.2f MB\n", name, raw/1e6, gz/1e6, br/1e6 }'
done
