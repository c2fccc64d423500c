#!/usr/bin/env bash
# Runs the Go client example against NEO_BRIDGE_ADDR (see README.md).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
binary=$here/out/neo-example-go
if [ ! -x "$binary" ]; then
  echo "run.sh: not built: run client_examples/go/build.sh first" >&2
  exit 1
fi
exec "$binary" "$@"
