#!/usr/bin/env bash
# Builds the Node.js (TypeScript) client example:
#   1. npm ci: the pinned dependencies of package-lock.json;
#   2. protoc + ts-proto: TypeScript for the neo-bridge protos and
#      google/rpc/{status,error_details}.proto into gen/;
#   3. tsc: src/ and gen/ into dist/.
# Each step is skipped when its inputs have not changed since it last ran.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
protos=$(cd "$here/../../protos" && pwd)
cd "$here"

# Is any of the given files or directories (searched recursively) newer than
# $1, or is $1 missing?
stale() {
  local stamp=$1
  shift
  [ ! -e "$stamp" ] || [ -n "$(find "$@" -newer "$stamp" -print -quit)" ]
}

# npm ci records the tree it installed in node_modules/.package-lock.json.
# No package here needs an install script, so none is run.
if stale node_modules/.package-lock.json package-lock.json; then
  echo "node example: npm ci" >&2
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
fi

# google/rpc/*.proto come from our own pinned google-proto-files; the
# google/protobuf/*.proto well-known types come with protoc itself.
if stale gen/.stamp "$protos/neobridge" node_modules/.package-lock.json build.sh; then
  echo "node example: generating gen/ with protoc $(protoc --version | cut -d' ' -f2) and ts-proto" >&2
  rm -rf gen
  mkdir gen
  protoc \
    --plugin=protoc-gen-ts_proto=node_modules/.bin/protoc-gen-ts_proto \
    --ts_proto_out=gen \
    --ts_proto_opt=outputServices=grpc-js,esModuleInterop=true,env=node \
    -I "$protos" \
    -I node_modules/google-proto-files \
    "$protos"/neobridge/v1/*.proto \
    google/rpc/status.proto \
    google/rpc/error_details.proto
  touch gen/.stamp
fi

if stale dist/.stamp src gen tsconfig.json node_modules/.package-lock.json; then
  echo "node example: compiling with tsc" >&2
  rm -rf dist
  node_modules/.bin/tsc -p .
  touch dist/.stamp
fi
