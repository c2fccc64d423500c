#!/usr/bin/env bash
# Runs the Python client example against the neo-bridge at NEO_BRIDGE_ADDR
# (see README.md). Build it first with build.sh.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ ! -x "$here/.venv/bin/python" ] || [ ! -f "$here/gen/.generated" ]; then
  echo "python/run.sh: not built: run client_examples/python/build.sh first" >&2
  exit 1
fi

# The generated modules import each other as `neobridge.v1.…`.
export PYTHONPATH="$here/gen${PYTHONPATH:+:$PYTHONPATH}"
# -u: print each line as it happens, also into a pipe or a file.
exec "$here/.venv/bin/python" -u "$here/neo_example.py" "$@"
