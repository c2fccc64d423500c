#!/usr/bin/env bash
# Builds the neo-bridge container image without a Docker daemon (for CI):
#
#   1. a Debian bookworm root filesystem: `debootstrap --variant=minbase`,
#      slimmed like debian:bookworm-slim, then image/rootfs-setup.sh run in it
#      by chroot (the packages of image/runtime-packages.txt and the user
#      65532), the same script the Dockerfile's runtime stage runs. The result
#      is cached as a tarball in .cache/image/, keyed by the package list, the
#      setup code and the mirrors, and rebuilt when older than
#      NEOBRIDGE_IMAGE_CACHE_DAYS (default 7) so security updates get in;
#   2. a second layer holding only /usr/local/bin/neo-bridge (the binary that
#      ./build.sh made, stripped);
#   3. with crane (go-containerregistry, pinned in image/lib.sh, installed into
#      .tools/bin) an OCI image from the two layers, configured like the
#      Dockerfile's: user 65532:65532, entrypoint neo-bridge, ports 50051 and
#      9090, NEO_BRIDGE_LISTEN / NEO_BRIDGE_METRICS_LISTEN. crane edits images
#      through a registry, so it runs its own in-memory one on a free loopback
#      port for the duration; nothing is pushed anywhere else.
#
# Output (default build/image/): oci/ (OCI image layout: `crane push
# build/image/oci REGISTRY/neo-bridge:TAG`), neo-bridge.tar (docker-save
# tarball: `docker load -i`, and image/smoke_test.sh), config.json,
# manifest.json, digest, packages.txt (Debian packages and versions inside).
#
# Usage: image/build_image.sh [--binary PATH] [--out DIR] [--tag NAME:TAG] [--refresh]
#   --binary   neo-bridge to put in the image (default build/bridge/server/neo-bridge)
#   --out      output folder (default build/image)
#   --tag      name:tag recorded in neo-bridge.tar for `docker load` (default neo-bridge:<project version>)
#   --refresh  rebuild the cached root filesystem
# Environment: NEOBRIDGE_DEBIAN_MIRROR, NEOBRIDGE_DEBIAN_SECURITY_MIRROR
# (default: what this machine's apt uses, else deb.debian.org),
# NEOBRIDGE_IMAGE_CACHE_DAYS, NEOBRIDGE_IMAGE_STRIP=0 (keep debug info),
# SOURCE_DATE_EPOCH (mtime of the binary layer; default 0).
#
# Needs: root (else exit 77, "skipped"), network to a Debian mirror (first
# run), debootstrap (installed with apt-get when missing), Go >= 1.25 (first
# run, for crane), python3.
set -euo pipefail
SCRIPT_NAME=build_image
# shellcheck source=image/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SUITE=bookworm
binary=$REPO_ROOT/build/bridge/server/neo-bridge
out=$REPO_ROOT/build/image
# The project version (CMakeLists.txt), never "latest".
version=$(sed -n 's/^project(neo_bridge VERSION \([0-9.]*\).*/\1/p' "$REPO_ROOT/CMakeLists.txt")
tag=neo-bridge:${version:?no project version in CMakeLists.txt}
refresh=0
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary=${2:?--binary needs a path}; shift 2 ;;
    --binary=*) binary=${1#*=}; shift ;;
    --out) out=${2:?--out needs a folder}; shift 2 ;;
    --out=*) out=${1#*=}; shift ;;
    --tag) tag=${2:?--tag needs name:tag}; shift 2 ;;
    --tag=*) tag=${1#*=}; shift ;;
    --refresh) refresh=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done

need_root
[ -x "$binary" ] || die "no neo-bridge binary at $binary (run ./build.sh --target neo-bridge, or pass --binary)"
command -v python3 >/dev/null 2>&1 || die "python3 is needed to check the image config"
binary=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")
mkdir -p "$out"
out=$(cd "$out" && pwd)

started=$SECONDS
ARCH=$(dpkg --print-architecture)
CACHE_DIR=$REPO_ROOT/.cache/image
mkdir -p "$CACHE_DIR"
# One build at a time per checkout: they share the cache and build/image.
exec 9>"$CACHE_DIR/.lock"
flock 9

# --- Debian mirrors ----------------------------------------------------------

# Prints "SUITE URI" for every enabled `deb` source of this machine's apt
# (one-line sources.list files and deb822 .sources files).
apt_sources() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" | awk '$1 == "deb" && NF >= 3 { print $3, $2 }'
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk '
      function flush(   n, m, i, j, u, s) {
        if (types ~ /(^| )deb( |$)/ && tolower(enabled) != "no") {
          n = split(uris, u, " "); m = split(suites, s, " ")
          for (i = 1; i <= n; i++) for (j = 1; j <= m; j++) print s[j], u[i]
        }
        types = ""; uris = ""; suites = ""; enabled = "yes"; last = ""
      }
      BEGIN { enabled = "yes" }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      /^[ \t]/ { if (last == "uris") uris = uris " " $0; else if (last == "suites") suites = suites " " $0; next }
      {
        key = tolower($0); sub(/:.*/, "", key)
        val = $0; sub(/^[^:]*:[ \t]*/, "", val)
        last = key
        if (key == "types") types = val
        else if (key == "uris") uris = val
        else if (key == "suites") suites = val
        else if (key == "enabled") enabled = val
      }
      END { flush() }' "$f"
  done
}
mirror_for() {  # mirror_for SUITE DEFAULT
  local uri
  uri=$(apt_sources | awk -v s="$1" '$1 == s { print $2; exit }')
  case "$uri" in
    http://*|https://*) printf '%s\n' "${uri%/}" ;;
    *) printf '%s\n' "$2" ;;
  esac
}
MIRROR=${NEOBRIDGE_DEBIAN_MIRROR:-$(mirror_for "$SUITE" http://deb.debian.org/debian)}
SECURITY_MIRROR=${NEOBRIDGE_DEBIAN_SECURITY_MIRROR:-$(mirror_for "$SUITE-security" http://deb.debian.org/debian-security)}

# --- the runtime root filesystem (cached) ------------------------------------

PACKAGE_LIST=$IMAGE_DIR/runtime-packages.txt

build_rootfs() {
  local root=$work/rootfs
  if ! command -v debootstrap >/dev/null 2>&1; then
    say "installing debootstrap (apt-get)"
    { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap \
        || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap; }
    } >"$work/apt.log" 2>&1 || { tail -n 20 "$work/apt.log" >&2; die "cannot install debootstrap"; }
  fi
  say "debootstrap --variant=minbase $SUITE ($ARCH) from $MIRROR"
  local t=$SECONDS
  debootstrap --variant=minbase --arch="$ARCH" "$SUITE" "$root" "$MIRROR" >"$work/debootstrap.log" 2>&1 \
    || { tail -n 30 "$work/debootstrap.log" >&2; [ -f "$root/debootstrap/debootstrap.log" ] && tail -n 30 "$root/debootstrap/debootstrap.log" >&2; die "debootstrap failed"; }
  say "debootstrap done in $((SECONDS - t)) s"

  # Slim, as debian:bookworm-slim is: no manuals, docs (but copyrights),
  # locales; dpkg keeps it so for the packages installed next.
  cat >"$root/etc/dpkg/dpkg.cfg.d/slim" <<'EOF'
# Slim image: files containers do not need (as in debian:*-slim).
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/overrides/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/man/*
EOF
  find "$root/usr/share/doc" -mindepth 1 -not -type d -not -name copyright -delete
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
  local d
  for d in groff info linda lintian/overrides man; do
    if [ -d "$root/usr/share/$d" ]; then find "$root/usr/share/$d" -mindepth 1 -delete; fi
  done
  if [ -d "$root/usr/share/locale" ]; then
    find "$root/usr/share/locale" -mindepth 1 -not -name locale.alias -delete
  fi

  # apt sources for the build: the release, its updates and security.
  cat >"$root/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECURITY_MIRROR $SUITE-security main
EOF
  cp -L /etc/resolv.conf "$root/etc/resolv.conf"
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod 0755 "$root/usr/sbin/policy-rc.d"

  say "installing $(sed -e 's/#.*//' "$PACKAGE_LIST" | xargs) (chroot)"
  t=$SECONDS
  mkdir -p "$root/tmp/image"
  cp "$IMAGE_DIR/rootfs-setup.sh" "$PACKAGE_LIST" "$root/tmp/image/"
  in_root "$root" /bin/sh /tmp/image/rootfs-setup.sh /tmp/image/runtime-packages.txt >"$work/setup.log" 2>&1 \
    || { tail -n 40 "$work/setup.log" >&2; die "rootfs-setup.sh failed in the chroot"; }
  say "packages installed in $((SECONDS - t)) s"
  # shellcheck disable=SC2016  # dpkg-query's own format
  in_root "$root" dpkg-query -W -f='${Package} ${Version}\n' >"$work/packages.txt"

  # What a container runtime provides, or what only the build needed.
  rm -rf "$root/tmp/image" "$root/usr/sbin/policy-rc.d" "$root/etc/apt/sources.list"
  cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: http://deb.debian.org/debian
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  : >"$root/etc/resolv.conf"
  echo localhost >"$root/etc/hostname"
  chmod 0644 "$root/etc/resolv.conf" "$root/etc/hostname"
  rm -f "$root/var/log/bootstrap.log" "$root/var/log/dpkg.log" "$root/var/log/alternatives.log" \
    "$root/var/cache/ldconfig/aux-cache" "$root/run/mount/utab"
  find "$root/tmp" "$root/var/tmp" "$root/var/cache/apt" "$root/var/lib/apt/lists" \
    -mindepth 1 -maxdepth 1 ! -name partial -exec rm -rf {} +
  chmod 0755 "$root"
  chown 0:0 "$root"

  # The layer: everything but the contents of /dev, /proc and /sys (the
  # runtime mounts those), in name order with numeric owners.
  (cd "$root" && tar --create --file="$work/rootfs.tar" --format=pax --sort=name --numeric-owner \
     --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
     --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' .)
  mv "$work/packages.txt" "$ROOTFS_PACKAGES"
  mv "$work/rootfs.tar" "$ROOTFS_TAR"
  safe_rm_tree "$root"
}

# The cache key: mirrors, the package list, rootfs-setup.sh and the code of
# build_rootfs above (as bash prints it: comments do not count).
key=$( {
  printf 'suite=%s arch=%s mirror=%s security=%s\n' "$SUITE" "$ARCH" "$MIRROR" "$SECURITY_MIRROR"
  cat "$PACKAGE_LIST" "$IMAGE_DIR/rootfs-setup.sh"
  declare -f build_rootfs
} | sha256sum | cut -c1-16)
ROOTFS_TAR=$CACHE_DIR/rootfs-$SUITE-$ARCH-$key.tar
ROOTFS_PACKAGES=$CACHE_DIR/rootfs-$SUITE-$ARCH-$key.packages.txt
max_days=${NEOBRIDGE_IMAGE_CACHE_DAYS:-7}
# Cached root filesystems (of any key) older than that go.
find "$CACHE_DIR" -maxdepth 1 -name 'rootfs-*' -mtime +"$max_days" -delete

# Work folders of runs that were killed (none is running: we hold the lock).
for stale in "$CACHE_DIR"/work.*; do safe_rm_tree "$stale"; done
work=$(mktemp -d "$CACHE_DIR/work.XXXXXX")
registry_pid=
cleanup() {
  if [ -n "$registry_pid" ]; then kill "$registry_pid" 2>/dev/null || true; wait "$registry_pid" 2>/dev/null || true; fi
  safe_rm_tree "$work"
}
trap cleanup EXIT

t_rootfs=$SECONDS
rootfs_from=cache
if [ "$refresh" = 1 ] || [ ! -s "$ROOTFS_TAR" ] || [ ! -s "$ROOTFS_PACKAGES" ]; then
  rm -f "$ROOTFS_TAR" "$ROOTFS_PACKAGES"
  build_rootfs
  rootfs_from=built
else
  say "root filesystem from cache: ${ROOTFS_TAR#"$REPO_ROOT"/} (built $(date -u -r "$ROOTFS_TAR" +%FT%TZ); --refresh rebuilds)"
fi

t_rootfs=$((SECONDS - t_rootfs))

# --- the binary layer --------------------------------------------------------

layer=$work/bin-layer
mkdir -p "$layer/usr/local/bin"
if [ "${NEOBRIDGE_IMAGE_STRIP:-1}" != 0 ] && command -v strip >/dev/null 2>&1; then
  strip --strip-unneeded -o "$layer/usr/local/bin/neo-bridge" "$binary"
else
  cp "$binary" "$layer/usr/local/bin/neo-bridge"
fi
chmod 0755 "$layer/usr" "$layer/usr/local" "$layer/usr/local/bin" "$layer/usr/local/bin/neo-bridge"
(cd "$layer" && tar --create --file="$work/bin.tar" --format=pax --sort=name --numeric-owner --owner=0 --group=0 \
   --mtime="@${SOURCE_DATE_EPOCH:-0}" --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
   usr)
version=$("$binary" --version | awk '{ print $NF; exit }')
revision=$(git -C "$REPO_ROOT" rev-parse --verify -q HEAD 2>/dev/null || true)

# --- the image (crane, through a private loopback registry) ------------------

t_crane=$SECONDS
CRANE=$(crane_bin)
t_crane=$((SECONDS - t_crane))
t_image=$SECONDS
"$CRANE" registry serve --address 127.0.0.1:0 >"$work/registry.log" 2>&1 &
registry_pid=$!
port=
for _ in $(seq 1 100); do
  port=$(sed -n 's/.*serving on port \([0-9][0-9]*\).*/\1/p' "$work/registry.log" | head -n 1)
  [ -n "$port" ] && break
  kill -0 "$registry_pid" 2>/dev/null || { cat "$work/registry.log" >&2; die "crane registry serve exited"; }
  sleep 0.1
done
[ -n "$port" ] || die "crane registry serve did not say its port"
REG=127.0.0.1:$port/neo-bridge

# crane, its progress log kept for when it fails.
crane_q() {
  "$CRANE" "$@" >>"$work/crane.log" 2>&1 || { tail -n 20 "$work/crane.log" >&2; die "crane $1 failed"; }
}
say "assembling the image with crane $CRANE_VERSION"
crane_q append --oci-empty-base -f "$ROOTFS_TAR" -f "$work/bin.tar" -t "$REG:layers"
mutate_args=(
  --set-platform "linux/$ARCH"
  --entrypoint "$IMAGE_ENTRYPOINT"
  --user "$IMAGE_USER"
  --workdir /
  -l org.opencontainers.image.title=neo-bridge
  -l "org.opencontainers.image.description=gRPC API for Pulumi Neo agent tasks"
  -l "org.opencontainers.image.version=$version"
)
[ -n "$revision" ] && mutate_args+=(-l "org.opencontainers.image.revision=$revision")
for e in "${IMAGE_ENV[@]}"; do mutate_args+=(-e "$e"); done
for p in "${IMAGE_PORTS[@]}"; do mutate_args+=(--exposed-ports "$p"); done
# The same mutation twice: pushed to the private registry (OCI media types,
# for the OCI layout) and saved as a docker tarball tagged $tag.
crane_q mutate "$REG:layers" "${mutate_args[@]}" -t "$REG:latest"
rm -rf "$out/oci" "$out/neo-bridge.tar"
crane_q mutate "$REG:layers" "${mutate_args[@]}" -t "$tag" -o "$out/neo-bridge.tar"
crane_q pull --format oci "$REG:latest" "$out/oci"

# --- checks ------------------------------------------------------------------

"$CRANE" config "$REG:latest" | python3 -m json.tool >"$out/config.json"
"$CRANE" manifest "$REG:latest" | python3 -m json.tool >"$out/manifest.json"
"$CRANE" digest "$REG:latest" >"$out/digest"
crane_q validate --remote "$REG:latest"
crane_q validate --tarball "$out/neo-bridge.tar"
cp "$ROOTFS_PACKAGES" "$out/packages.txt"

checks=(
  "c['config']['User'] == '$IMAGE_USER'"
  "c['config']['Entrypoint'] == ['$IMAGE_ENTRYPOINT']"
  "not c['config'].get('Cmd')"
  "sorted(c['config']['ExposedPorts']) == sorted([$(printf "'%s'," "${IMAGE_PORTS[@]}")])"
  "c['os'] == 'linux' and c['architecture'] == '$ARCH'"
  "len(c['rootfs']['diff_ids']) == 2"
)
for e in "${IMAGE_ENV[@]}"; do checks+=("'$e' in c['config']['Env']"); done
json_check "$out/config.json" "${checks[@]}" || die "the image config is not what it should be ($out/config.json)"
json_check "$out/manifest.json" \
  "c['mediaType'] == 'application/vnd.oci.image.manifest.v1+json'" \
  "len(c['layers']) == 2" || die "the image manifest is not what it should be ($out/manifest.json)"
json_check "$out/oci/index.json" "len(c['manifests']) == 1" \
  "c['manifests'][0]['digest'] == '$(cat "$out/digest")'" || die "the OCI layout does not hold the image"

size=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(round(sum(l["size"] for l in m["layers"])/1e6, 1))' "$out/manifest.json")
say "built neo-bridge $version, $(cat "$out/digest"), ${size} MB compressed, in $((SECONDS - started)) s" \
  "(root filesystem $rootfs_from: $t_rootfs s, crane: $t_crane s, image: $((SECONDS - t_image)) s)"
say "  ${out#"$REPO_ROOT"/}/oci           OCI layout: crane push ${out#"$REPO_ROOT"/}/oci REGISTRY/neo-bridge:TAG"
say "  ${out#"$REPO_ROOT"/}/neo-bridge.tar docker load -i ${out#"$REPO_ROOT"/}/neo-bridge.tar  (as $tag)"
