#!/usr/bin/env bash
# Trunk post-build hook: shrinks both wasm modules with binaryen's wasm-opt -Oz (the npm
# `binaryen` package, pinned in tests/package.json: Debian's binaryen is too old for rustc's
# output, and Trunk would download its own). Measured on the worker: 22.0 MB → 12.1 MB raw,
# 2.62 → 1.97 MB brotli, training speed unchanged within noise (BENCHMARKS.md); about 3
# minutes on 2 cores. On the page (UI only): 377 → 299 KB brotli. index.html pins the page's
# wasm with an integrity hash (its preload link), so the hash is written anew here.
# AGORA_WASM_OPT=0 skips it (dev.sh does, for quick rebuilds); debug builds skip it.
set -euo pipefail
[ "${TRUNK_PROFILE:-release}" = "release" ] || exit 0
[ "${AGORA_WASM_OPT:-1}" = "0" ] && { echo "wasm_opt: skipped (AGORA_WASM_OPT=0)"; exit 0; }
root="${TRUNK_SOURCE_DIR:-$(pwd)}"
opt="$root/tests/node_modules/.bin/wasm-opt"
staging="${TRUNK_STAGING_DIR:-dist}"
wasm="$staging/agora-worker_bg.wasm"
if [ ! -x "$opt" ]; then
  echo "wasm_opt: $opt is missing: run scripts/setup.sh (it installs tests/node_modules)" >&2
  exit 1
fi
if [ ! -f "$wasm" ]; then
  echo "wasm_opt: $wasm is missing" >&2
  exit 1
fi
shrink() {
  local file=$1 before
  before=$(stat -c %s "$file")
  "$opt" -Oz --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue "$file" -o "$file.opt"
  mv "$file.opt" "$file"
  echo "wasm_opt: $(basename "$file") $before → $(stat -c %s "$file") bytes"
}
shrink "$wasm"
pages=("$staging"/agora-app-*_bg.wasm)
if [ ${#pages[@]} -ne 1 ] || [ ! -f "${pages[0]}" ]; then
  echo "wasm_opt: expected one page wasm in $staging, found ${#pages[@]}" >&2
  exit 1
fi
page="${pages[0]}"
shrink "$page"
# The preload link's integrity must match the new bytes, or the browser refuses the page.
python3 - "$staging/index.html" "$page" <<'PY'
import base64, hashlib, os, re, sys
html_path, wasm_path = sys.argv[1], sys.argv[2]
html = open(html_path, encoding="utf-8").read()
name = os.path.basename(wasm_path)
digest = base64.b64encode(hashlib.sha384(open(wasm_path, "rb").read()).digest()).decode()
pattern = r'(href="/' + re.escape(name) + r'"[^>]*integrity=")sha384-[^"]*(")'
html, count = re.subn(pattern, r"\g<1>sha384-" + digest + r"\g<2>", html)
if count != 1:
    sys.exit(f"wasm_opt: expected one preload link for {name} in {html_path}, found {count}")
open(html_path, "w", encoding="utf-8").write(html)
print(f"wasm_opt: {name} integrity sha384-{digest}")
PY
