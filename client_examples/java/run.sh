#!/usr/bin/env bash
# Runs the Java client example against NEO_BRIDGE_ADDR (see README.md).
set -euo pipefail
jar="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/target/neo-bridge-example-all.jar"
if [ ! -f "$jar" ]; then
  echo "run client_examples/java/build.sh first" >&2
  exit 1
fi
exec java -jar "$jar" "$@"
