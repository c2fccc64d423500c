# shellcheck shell=bash disable=SC2034  # its variables are for the scripts sourcing it
# Shared by image/build_image.sh and image/smoke_test.sh (sourced, bash).

IMAGE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$IMAGE_DIR/.." && pwd)
TOOLS_BIN=$REPO_ROOT/.tools/bin

# Pinned tools, installed with `go install` into .tools/bin (gitignored).
CRANE_VERSION=v0.22.1   # github.com/google/go-containerregistry; needs Go >= 1.25
GRPCURL_VERSION=v1.9.4  # the version setup.sh --with-grpcurl installs

# The image's runtime contract, checked by both scripts.
IMAGE_USER=65532:65532
IMAGE_ENTRYPOINT=/usr/local/bin/neo-bridge
IMAGE_PORTS=(50051/tcp 9090/tcp)
IMAGE_ENV=(
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
  NEO_BRIDGE_LISTEN=0.0.0.0:50051
  NEO_BRIDGE_METRICS_LISTEN=0.0.0.0:9090
)

say() { printf '%s: %s\n' "${SCRIPT_NAME:-image}" "$*" >&2; }
die() { say "error: $*"; exit 1; }

# Not root: exit 77, which ctest takes as "skipped" with SKIP_RETURN_CODE 77.
need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    say "skipped: needs root (debootstrap, chroot and mount namespaces)"
    exit 77
  fi
}

# go_tool NAME MODULE PACKAGE VERSION: prints the path of .tools/bin/NAME,
# installing PACKAGE@VERSION with `go install` unless the binary there was
# built from MODULE at VERSION (read with `go version -m`; without Go on PATH
# an existing binary is taken as it is).
go_tool() {
  local name=$1 module=$2 package=$3 version=$4
  local bin=$TOOLS_BIN/$name
  if [ -x "$bin" ]; then
    if ! command -v go >/dev/null 2>&1 \
       || go version -m "$bin" 2>/dev/null | awk -v m="$module" -v v="$version" \
            '$1 == "mod" && $2 == m && $3 == v { found = 1 } END { exit !found }'; then
      printf '%s\n' "$bin"
      return
    fi
  fi
  command -v go >/dev/null 2>&1 || die "$name $version is installed with 'go install'; Go (>= 1.25) is not on PATH"
  say "installing $name $version (go install $package@$version)"
  mkdir -p "$TOOLS_BIN"
  GOBIN="$TOOLS_BIN" GOFLAGS=-mod=mod go install "$package@$version" >&2 \
    || die "go install $package@$version failed (needs Go >= 1.25; have $(go env GOVERSION))"
  printf '%s\n' "$bin"
}

crane_bin() {
  go_tool crane github.com/google/go-containerregistry \
    github.com/google/go-containerregistry/cmd/crane "$CRANE_VERSION"
}

grpcurl_bin() {
  go_tool grpcurl github.com/fullstorydev/grpcurl \
    github.com/fullstorydev/grpcurl/cmd/grpcurl "$GRPCURL_VERSION"
}

# in_root ROOT COMMAND...: runs COMMAND chrooted into ROOT, in a private mount
# namespace with its own /proc, so nothing stays mounted when it ends.
in_root() {
  local root=$1
  shift
  # shellcheck disable=SC2016  # expanded by the inner shell
  unshare --mount --propagation private --fork -- \
    /bin/sh -c 'root=$1; shift; mount -t proc proc "$root/proc" && exec chroot "$root" "$@"' \
    in_root "$root" "$@"
}

# safe_rm_tree DIR: removes DIR, refusing while anything is mounted under it
# (a bind-mounted /dev node must never be deleted through a rootfs).
safe_rm_tree() {
  local dir=$1
  [ -n "$dir" ] && [ -d "$dir" ] || return 0
  dir=$(cd "$dir" && pwd -P)
  if awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo; then
    say "warning: not removing $dir: something is still mounted under it"
    return 0
  fi
  rm -rf --one-file-system -- "$dir"
}

# json_check FILE PYTHON_EXPR...: asserts each Python expression over `c`
# (the parsed JSON in FILE) is true; prints the failing ones.
json_check() {
  local file=$1
  shift
  python3 - "$file" "$@" <<'PY'
import json, sys
with open(sys.argv[1]) as f:
    c = json.load(f)
bad = [e for e in sys.argv[2:] if not eval(e, {"c": c})]
for e in bad:
    print("  failed: " + e, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
}
