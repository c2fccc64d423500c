#!/usr/bin/env bash
# Builds the Go client example:
#   1. builds the protoc plugins protoc-gen-go and protoc-gen-go-grpc at the
#      versions pinned in go.mod (its `tool` block) and go.sum, into gen/bin/;
#   2. generates Go code for protos/neobridge/v1/*.proto with Debian's protoc
#      into gen/neobridge/v1/ (package neobridgev1 of this module);
#   3. compiles the example into out/neo-example-go.
# Modules come from the Go module proxy into the usual module cache; nothing
# is installed outside this directory. Idempotent, and fast once built:
# the go command caches by content, and protoc takes milliseconds.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
protos=$(cd "$here/../../protos" && pwd)
cd "$here"

protoc=/usr/bin/protoc
well_known=/usr/include/google/protobuf/struct.proto
command -v go >/dev/null || { echo "build.sh: go not found (apt-get install golang-go, or Go >= 1.26)" >&2; exit 1; }
[ -x "$protoc" ] || { echo "build.sh: $protoc not found (apt-get install protobuf-compiler)" >&2; exit 1; }
[ -f "$well_known" ] || { echo "build.sh: $well_known not found (apt-get install libprotobuf-dev)" >&2; exit 1; }

# VCS stamping needs a git that trusts this checkout; the example needs none.
build=(go build -buildvcs=false)

module=$(go list -m)
go_package=$module/gen/neobridge/v1

# 1. The plugins, at the versions go.mod pins.
"${build[@]}" -o gen/bin/ \
  google.golang.org/protobuf/cmd/protoc-gen-go \
  google.golang.org/grpc/cmd/protoc-gen-go-grpc

# 2. The code. The neobridge protos have no go_package option, so map each
# file to this module's package with M flags; module= strips the module
# prefix from output paths, so the files land in ./gen/neobridge/v1/.
# google/protobuf/*.proto (from libprotobuf-dev) carry their own go_package.
proto_files=()
go_opts=(--go_opt="module=$module")
grpc_opts=(--go-grpc_opt="module=$module")
for path in "$protos"/neobridge/v1/*.proto; do
  file=${path#"$protos"/}
  proto_files+=("$file")
  go_opts+=(--go_opt="M$file=$go_package;neobridgev1")
  grpc_opts+=(--go-grpc_opt="M$file=$go_package;neobridgev1")
done
rm -rf gen/neobridge
"$protoc" -I "$protos" -I /usr/include \
  --plugin=protoc-gen-go=gen/bin/protoc-gen-go \
  --plugin=protoc-gen-go-grpc=gen/bin/protoc-gen-go-grpc \
  --go_out=. "${go_opts[@]}" \
  --go-grpc_out=. "${grpc_opts[@]}" \
  "${proto_files[@]}"

# 3. The example.
"${build[@]}" -o out/neo-example-go .
echo "build.sh: built $here/out/neo-example-go" >&2
