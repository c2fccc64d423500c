#!/usr/bin/env bash
# Runs the built Node.js client example against the neo-bridge at
# NEO_BRIDGE_ADDR (see README.md).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
main=$here/dist/src/main.js
if [ ! -f "$main" ]; then
  echo "run client_examples/node/build.sh first" >&2
  exit 1
fi
exec node "$main"
