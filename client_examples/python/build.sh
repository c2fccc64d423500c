#!/usr/bin/env bash
# Builds the Python client example:
#   1. .venv/ : a virtualenv with the pinned packages of requirements.txt;
#   2. gen/   : Python modules generated from ../../protos/neobridge/v1/*.proto
#               by grpc_tools.protoc (messages, type stubs and gRPC stubs);
#   3. a check that the example imports with them.
# Idempotent and fast when nothing changed: step 1 reruns only when
# requirements.txt changes, step 2 only when a proto (or this script) does.
# Set PYTHON to use another interpreter than python3 (3.10 or later).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
protos=$(cd "$here/../../protos" && pwd)
venv=$here/.venv
gen=$here/gen
python=${PYTHON:-python3}

fail() {
  echo "python/build.sh: $*" >&2
  exit 1
}

# 1. The virtualenv. A copy of the requirements it was installed from marks
# it as up to date.
installed=$venv/.installed-requirements.txt
if ! cmp -s "$here/requirements.txt" "$installed"; then
  command -v "$python" >/dev/null || fail "$python not found; install Python 3.10 or later"
  "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))' ||
    fail "$("$python" --version 2>&1) is too old: grpcio needs Python 3.10 or later"
  if [ ! -x "$venv/bin/python" ]; then
    if ! "$python" -m venv "$venv"; then
      rm -rf "$venv" # a failed venv is half made: start over next time
      fail "'$python -m venv' failed; on Debian or Ubuntu install python3-venv" \
        "(apt-get install python3-venv)"
    fi
  fi
  # Wheels only: a source build of grpcio takes many minutes; fail fast
  # instead on a platform without wheels.
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    --only-binary=:all: -r "$here/requirements.txt"
  cp "$here/requirements.txt" "$installed"
fi

# 2. Generated code. Run from the protos root so that the modules import each
# other as `neobridge.v1.…` (run.sh puts gen/ on PYTHONPATH). The
# google/protobuf imports resolve to the copies bundled with grpc_tools, which
# `python -m grpc_tools.protoc` adds to the include path itself; google.rpc
# comes ready-made from googleapis-common-protos.
stamp=$gen/.generated
if [ ! -f "$stamp" ] ||
  [ -n "$(find "$protos/neobridge" "$installed" "$here/build.sh" -newer "$stamp" -print -quit)" ]; then
  rm -rf "$gen"
  mkdir -p "$gen"
  (cd "$protos" && "$venv/bin/python" -m grpc_tools.protoc -I. \
    --python_out="$gen" --pyi_out="$gen" --grpc_python_out="$gen" \
    neobridge/v1/*.proto)
  touch "$stamp"
fi

# 3. Import the example (its main() does not run on import): catches a
# missing or mismatched generated module here rather than at run time.
(cd "$here" && PYTHONPATH="$gen" "$venv/bin/python" -c 'import neo_example') ||
  fail "the example does not import; see the error above"
