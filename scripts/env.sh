# Sourced by the scripts: where tools and build outputs live (outside the clone, so a fresh
# clone reuses them), and Trunk pointed at the installed wasm-bindgen instead of downloading.
AGORA_CACHE="${AGORA_CACHE:-$HOME/.cache/agora}"
export PATH="$AGORA_CACHE/tools/bin:$PATH"
# The Python that checks exports (torch, onnx, onnxruntime; scripts/requirements-export.txt).
export AGORA_PY="${AGORA_PY:-$AGORA_CACHE/py/bin/python}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$AGORA_CACHE/target}"
# Native wgpu tests run on lavapipe (Mesa's CPU Vulkan) when there is no GPU.
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f /usr/share/vulkan/icd.d/lvp_icd.x86_64.json ] && ! ls /dev/dri/renderD* >/dev/null 2>&1; then
  export VK_DRIVER_FILES=/usr/share/vulkan/icd.d/lvp_icd.x86_64.json
fi
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
