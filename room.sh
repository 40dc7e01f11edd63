#!/usr/bin/env bash
# The teacher's one command: sets up what is missing, builds the page if it is not built, and
# starts the room server, which serves the page and the rooms on port 8090 of this machine.
# Students on the same network open the address it prints. Extra arguments go to agora-room
# (--port, --host, --dist).
set -euo pipefail
cd "$(dirname "$0")"
AGORA_SETUP_PY=0 scripts/setup.sh
. scripts/env.sh
if [ ! -f dist/index.html ]; then
  trunk build --release
fi
cargo build -p agora-room --release
exec "$CARGO_TARGET_DIR/release/agora-room" --dist dist "$@"
