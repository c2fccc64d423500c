#!/usr/bin/env bash
# Runs the image image/build_image.sh made the way a container runtime would,
# without one, and checks it serves:
#
#   - unpacks the image's filesystem (crane export of build/image/neo-bridge.tar)
#     and reads its config: user 65532:65532, entrypoint, ports, environment;
#   - in that root (chroot): every library of neo-bridge resolves (ldd), the CA
#     bundle and the user are there, the binary is root's and not writable;
#   - starts neo-emulator (the host binary) on a free loopback port, then the
#     image's entrypoint with the image's environment only, as 65532:65532,
#     chrooted into the unpacked root, in its own PID namespace (so it is
#     PID 1, as in a container) and mount namespace (its own /proc,
#     /dev/null, zero, random, urandom bound in, a tmpfs /tmp, the rest
#     read-only as under the Helm chart), on the host network, with
#     --listen=127.0.0.1:0 --metrics-listen=127.0.0.1:0 and the emulator as
#     upstream;
#   - the process runs as uid/gid 65532 without capabilities, read-only root;
#   - gRPC health (grpcurl): neobridge.v1.AgentTasksService is SERVING;
#     CreateTask and ListTasks go through to the emulator; /metrics answers;
#   - SIGTERM: it stops and exits 0.
#
# Usage: image/smoke_test.sh [IMAGE_TAR]   (default build/image/neo-bridge.tar)
# Environment: NEO_EMULATOR (default build/emulator/neo-emulator).
# Needs: root (else exit 77, "skipped"), python3; crane and grpcurl (pinned in image/lib.sh) are
# installed into .tools/bin with `go install` when missing.
set -euo pipefail
SCRIPT_NAME=smoke_test
# shellcheck source=image/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

image_tar=${1:-$REPO_ROOT/build/image/neo-bridge.tar}
emulator_src=${NEO_EMULATOR:-$REPO_ROOT/build/emulator/neo-emulator}
need_root
[ -f "$image_tar" ] || die "no image tarball at $image_tar (run image/build_image.sh)"
[ -x "$emulator_src" ] || die "no neo-emulator at $emulator_src (./build.sh --target neo-emulator, or set NEO_EMULATOR)"
command -v python3 >/dev/null 2>&1 || die "python3 is needed to read the image config"
CRANE=$(crane_bin)
GRPCURL=$(grpcurl_bin)

passed=0
pass() { passed=$((passed + 1)); say "ok: $*"; }
fail() { say "FAILED: $*"; printf 'smoke_test: %d passed, 1 failed\n' "$passed"; exit 1; }

work=$(mktemp -d /tmp/neo-bridge-image-smoke.XXXXXX)
root=$work/rootfs
emulator_pid=
ns_pid=
bridge_pid=
cleanup() {
  local pid
  if [ -n "$bridge_pid" ]; then kill -KILL "$bridge_pid" 2>/dev/null || true; fi
  if [ -n "$emulator_pid" ]; then kill -TERM "$emulator_pid" 2>/dev/null || true; fi
  for pid in $ns_pid $emulator_pid; do wait "$pid" 2>/dev/null || true; done
  safe_rm_tree "$work"
}
trap cleanup EXIT

# --- the image: filesystem and config ----------------------------------------

mkdir -p "$root"
"$CRANE" export - - <"$image_tar" | tar --extract --numeric-owner --directory="$root"
config_path=$(tar --extract --to-stdout --file="$image_tar" manifest.json \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Config"])')
tar --extract --to-stdout --file="$image_tar" "$config_path" >"$work/config.json"

checks=(
  "c['config']['User'] == '$IMAGE_USER'"
  "c['config']['Entrypoint'] == ['$IMAGE_ENTRYPOINT']"
  "sorted(c['config']['ExposedPorts']) == sorted([$(printf "'%s'," "${IMAGE_PORTS[@]}")])"
)
for e in "${IMAGE_ENV[@]}"; do checks+=("'$e' in c['config']['Env']"); done
json_check "$work/config.json" "${checks[@]}" || fail "image config (user, entrypoint, ports, env)"
pass "image config: user $IMAGE_USER, entrypoint $IMAGE_ENTRYPOINT, ports ${IMAGE_PORTS[*]}, env"

# The container's command line and environment, from the config.
mapfile -t entrypoint < <(python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["config"]
for a in (c.get("Entrypoint") or []) + (c.get("Cmd") or []): print(a)' "$work/config.json")
mapfile -t image_env < <(python3 -c 'import json,sys
for e in json.load(open(sys.argv[1]))["config"].get("Env") or []: print(e)' "$work/config.json")
user=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["config"]["User"])' "$work/config.json")

# --- inside the root -----------------------------------------------------------

in_root "$root" ldd "$IMAGE_ENTRYPOINT" >"$work/ldd.txt" 2>&1 || { cat "$work/ldd.txt" >&2; fail "ldd $IMAGE_ENTRYPOINT in the image"; }
if grep -q 'not found' "$work/ldd.txt"; then grep 'not found' "$work/ldd.txt" >&2; fail "libraries missing in the image"; fi
pass "every library of neo-bridge resolves in the image ($(grep -c '=>' "$work/ldd.txt") libraries)"

[ -s "$root/etc/ssl/certs/ca-certificates.crt" ] || fail "no CA bundle at /etc/ssl/certs/ca-certificates.crt"
grep -q '^[^:]*:x:65532:65532:' "$root/etc/passwd" || fail "no user 65532 in /etc/passwd"
grep -q '^[^:]*:x:65532:' "$root/etc/group" || fail "no group 65532 in /etc/group"
owner=$(stat -c '%u:%g %a' "$root$IMAGE_ENTRYPOINT")
[ "$owner" = "0:0 755" ] || fail "$IMAGE_ENTRYPOINT is $owner, want 0:0 755"
pass "CA bundle, user and group 65532, $IMAGE_ENTRYPOINT root-owned 0755"

# --- run it ----------------------------------------------------------------------

cp "$emulator_src" "$work/neo-emulator"
"$work/neo-emulator" --listen 127.0.0.1:0 >"$work/emulator.log" 2>&1 &
emulator_pid=$!
upstream=
for _ in $(seq 1 100); do
  upstream=$(sed -n 's/^neo-emulator listening on \(http:\/\/[0-9.:]*\).*/\1/p' "$work/emulator.log")
  [ -n "$upstream" ] && break
  kill -0 "$emulator_pid" 2>/dev/null || { cat "$work/emulator.log" >&2; fail "neo-emulator exited"; }
  sleep 0.1
done
[ -n "$upstream" ] || fail "neo-emulator did not say where it listens"

# The image's environment only (as a runtime gives it), plus what a deployment
# would set; flags after the entrypoint as `docker run IMAGE ARGS...` would.
# shellcheck disable=SC2016  # expanded by the inner shell
env -i "${image_env[@]}" \
  NEO_BRIDGE_UPSTREAM_URL="$upstream" NEO_BRIDGE_DEFAULT_ORG=acme \
  unshare --mount --propagation private --pid --fork -- /bin/sh -c '
    root=$1; user=$2; shift 2
    set -e
    for node in null zero random urandom; do : >"$root/dev/$node"; done
    mount --bind "$root" "$root"
    mount -t proc proc "$root/proc"
    for node in null zero random urandom; do mount --bind "/dev/$node" "$root/dev/$node"; done
    mount -t tmpfs -o mode=1777,size=64m tmpfs "$root/tmp"
    mount -o remount,bind,ro "$root"
    cd "$root"
    exec chroot --userspec="$user" "$root" "$@"' \
  smoke "$root" "$user" "${entrypoint[@]}" --listen=127.0.0.1:0 --metrics-listen=127.0.0.1:0 \
  >"$work/bridge.log" 2>&1 &
ns_pid=$!

address=
for _ in $(seq 1 200); do
  if [ -z "$bridge_pid" ]; then
    bridge_pid=$(cat "/proc/$ns_pid/task/$ns_pid/children" 2>/dev/null || pgrep -P "$ns_pid" 2>/dev/null) || true
    bridge_pid=$(printf '%s\n' "$bridge_pid" | awk 'NF { print $1; exit }')
  fi
  address=$(sed -n 's/.*"msg":"listening".*"address":"\([^"]*\)".*/\1/p' "$work/bridge.log" | head -n 1)
  [ -n "$address" ] && break
  kill -0 "$ns_pid" 2>/dev/null || { cat "$work/bridge.log" >&2; fail "neo-bridge exited at start"; }
  sleep 0.1
done
[ -n "$address" ] || { cat "$work/bridge.log" >&2; fail "neo-bridge did not log its listening address"; }
[ -n "$bridge_pid" ] || fail "cannot find the neo-bridge process"
metrics=$(sed -n 's/.*"msg":"listening".*"metrics":"\([^"]*\)".*/\1/p' "$work/bridge.log" | head -n 1)
exe=$(readlink "/proc/$bridge_pid/exe")
[ "$exe" = "$root$IMAGE_ENTRYPOINT" ] || fail "process $bridge_pid runs $exe, not the image's $IMAGE_ENTRYPOINT"
pass "neo-bridge from the image listens on $address (metrics $metrics), upstream $upstream"

status=$(grep -E '^(Uid|Gid|Groups|CapEff|NSpid):' "/proc/$bridge_pid/status")
printf '%s\n' "$status" | sed 's/^/    /' >&2
printf '%s\n' "$status" | grep -qP '^Uid:\t65532\t65532\t65532\t65532$' || fail "uid is not 65532"
printf '%s\n' "$status" | grep -qP '^Gid:\t65532\t65532\t65532\t65532$' || fail "gid is not 65532"
printf '%s\n' "$status" | grep -qP '^Groups:\t(65532 ?)?$' || fail "supplementary groups other than 65532"
printf '%s\n' "$status" | grep -qP '^CapEff:\t0+$' || fail "the process has capabilities"
printf '%s\n' "$status" | grep -qP '^NSpid:\t[0-9]+\t1$' || fail "the process is not PID 1 of its namespace"
# Its root is read-only (as with Kubernetes' readOnlyRootFilesystem and the
# Helm chart's writable /tmp): the mount at the process's / says ro.
root_opts=$(awk '$5 == "/" { print $6 }' "/proc/$bridge_pid/mountinfo" | tail -n 1)
case ",$root_opts," in *,ro,*) ;; *) fail "the root filesystem is not read-only ($root_opts)" ;; esac
pass "runs as 65532:65532, no capabilities, PID 1 in its PID namespace, read-only root, /tmp tmpfs"

# gRPC's built-in health service has no descriptors for server reflection,
# so grpcurl gets its (standard, wire-compatible) definition from a file.
mkdir -p "$work/proto/grpc/health/v1"
cat >"$work/proto/grpc/health/v1/health.proto" <<'PROTO'
syntax = "proto3";
package grpc.health.v1;
message HealthCheckRequest { string service = 1; }
message HealthCheckResponse {
  enum ServingStatus { UNKNOWN = 0; SERVING = 1; NOT_SERVING = 2; SERVICE_UNKNOWN = 3; }
  ServingStatus status = 1;
}
service Health { rpc Check(HealthCheckRequest) returns (HealthCheckResponse); }
PROTO
health=
for _ in $(seq 1 100); do
  health=$("$GRPCURL" -plaintext -max-time 5 -import-path "$work/proto" -proto grpc/health/v1/health.proto \
    -d '{"service": "neobridge.v1.AgentTasksService"}' "$address" grpc.health.v1.Health/Check 2>&1) || true
  printf '%s' "$health" | grep -q '"SERVING"' && break
  kill -0 "$ns_pid" 2>/dev/null || { cat "$work/bridge.log" >&2; fail "neo-bridge exited"; }
  sleep 0.2
done
printf '%s' "$health" | grep -q '"SERVING"' || { printf '%s\n' "$health" >&2; cat "$work/bridge.log" >&2; fail "health of neobridge.v1.AgentTasksService is not SERVING"; }
pass "grpc.health.v1.Health/Check neobridge.v1.AgentTasksService: SERVING"

"$GRPCURL" -plaintext -max-time 10 -H 'authorization: Bearer pul-emulator-alice' \
  -d '{"message": {"user_message": {"content": "image smoke test"}}}' \
  "$address" neobridge.v1.AgentTasksService/CreateTask >"$work/create.json" 2>&1 \
  || { cat "$work/create.json" >&2; fail "CreateTask through the bridge"; }
"$GRPCURL" -plaintext -max-time 10 -H 'authorization: Bearer pul-emulator-alice' -d '{"page_size": 10}' \
  "$address" neobridge.v1.AgentTasksService/ListTasks >"$work/list.json" 2>&1 \
  || { cat "$work/list.json" >&2; fail "ListTasks through the bridge"; }
grep -q 'image smoke test' "$work/list.json" || { cat "$work/list.json" >&2; fail "ListTasks does not list the task just created"; }
pass "CreateTask and ListTasks reach the emulator through the bridge"

python3 - "http://$metrics" >"$work/metrics.txt" <<'PY' || fail "GET /metrics"
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=5) as r:
    sys.stdout.write(r.read().decode())
PY
grep -q '^# TYPE ' "$work/metrics.txt" || fail "/metrics is not a Prometheus exposition"
pass "GET /metrics answers ($(grep -c '^# TYPE ' "$work/metrics.txt") metric families)"

kill -TERM "$bridge_pid"
rc=
for _ in $(seq 1 300); do
  kill -0 "$ns_pid" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$ns_pid" 2>/dev/null; then
  cat "$work/bridge.log" >&2
  fail "neo-bridge still running 30 s after SIGTERM"
fi
wait "$ns_pid" && rc=0 || rc=$?
ns_pid=
bridge_pid=
grep -q '"msg":"stopped"' "$work/bridge.log" || { cat "$work/bridge.log" >&2; fail "no \"stopped\" log line after SIGTERM"; }
[ "$rc" = 0 ] || { cat "$work/bridge.log" >&2; fail "exit code $rc after SIGTERM, want 0"; }
pass "SIGTERM: stopped, exit code 0"

printf 'smoke_test: %d passed, 0 failed\n' "$passed"
