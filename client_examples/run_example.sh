#!/usr/bin/env bash
# Runs one client example end to end: starts neo-emulator and neo-bridge on
# free loopback ports, runs the example against the bridge, and checks what
# it printed (check_output.py). ctest label `clients` runs this per language.
#
# Usage: run_example.sh <neo-emulator> <neo-bridge> <example command...>
#
# The example gets NEO_BRIDGE_ADDR (host:port, plaintext), PULUMI_ACCESS_TOKEN
# (the emulator user alice's token) and NEO_ORG. The bridge closes every
# connection after ~1.3 s (--max-connection-age and its grace), so a long stream is cut
# with UNAVAILABLE and the example must resume it from its last event id.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
emulator=$1
bridge=$2
shift 2
work=$(mktemp -d "${TMPDIR:-/tmp}/neo-client-example.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "run_example: $*" >&2
  for log in "$work"/*.log "$work"/*.err; do
    [ -s "$log" ] && { echo "--- $log" >&2; tail -n 40 "$log" >&2; }
  done
  exit 1
}

# Waits until `file` has a line matching `pattern` (while `pid` lives).
wait_for_line() {
  local file=$1 pattern=$2 pid=$3
  for _ in $(seq 1 300); do
    if grep -m1 -E "$pattern" "$file" 2>/dev/null; then return 0; fi
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

# Each agent step takes a while, so the conversation outlives a connection.
"$emulator" --listen 127.0.0.1:0 --agent-step-delay 500ms \
  >"$work/emulator.out" 2>"$work/emulator.err" &
pids+=($!)
line=$(wait_for_line "$work/emulator.out" 'listening on http://' "${pids[0]}") ||
  fail "neo-emulator did not start"
upstream=${line##* }

"$bridge" --listen 127.0.0.1:0 --metrics-listen off --upstream-url "$upstream" \
  --default-org acme --max-connection-age 1s --max-connection-age-grace 300ms \
  --shutdown-drain-window 1s 2>"$work/bridge.log" &
pids+=($!)
line=$(wait_for_line "$work/bridge.log" '"msg":"listening"' "${pids[1]}") ||
  fail "neo-bridge did not start"
addr=$(printf '%s\n' "$line" | sed -n 's/.*"address":"\([^"]*\)".*/\1/p')
[ -n "$addr" ] || fail "no address in: $line"

status=0
NEO_BRIDGE_ADDR=$addr PULUMI_ACCESS_TOKEN=pul-emulator-alice NEO_ORG=acme \
  timeout 180 "$@" >"$work/example.out" 2>"$work/example.err" || status=$?
cat "$work/example.out"
[ "$status" -eq 0 ] || fail "the example exited with $status"
python3 "$here/check_output.py" "$work/example.out" || fail "unexpected output"
echo "run_example: OK"
