#!/usr/bin/env bash
# Interleaved A/B of two neo-bridge builds on one unary load: for each
# round, starts neo-emulator and build A's neo-bridge, drives GetTask at a
# fixed rate with unary_load and reads the bridge's CPU from /proc, then
# the same with build B. Whole-run figures drift between runs on a virtual
# machine; alternating the builds within minutes compares them fairly.
#
#   benchmarks/unary_ab.sh OLD_BRIDGE NEW_BRIDGE
#
# Settings (environment): ROUNDS (3), RATE (2000 calls/s), DURATION (8s),
# TASK_ID (empty: a task is created; "bad/id" measures calls refused by
# validation, i.e. the gRPC side alone), BUILD_DIR (build: neo-emulator and
# unary_load come from it). Prints one line per run: build, CPU-seconds
# per 1,000 calls (warm-up included), p50 and p99 in ms, errors.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

[ $# -eq 2 ] || { echo "usage: $0 OLD_BRIDGE NEW_BRIDGE" >&2; exit 2; }
ROUNDS=${ROUNDS:-3}
RATE=${RATE:-2000}
DURATION=${DURATION:-8s}
TASK_ID=${TASK_ID:-}
BUILD_DIR=${BUILD_DIR:-build}
EMULATOR=$BUILD_DIR/emulator/neo-emulator
LOAD=$BUILD_DIR/benchmarks/unary_load
for bin in "$1" "$2" "$EMULATOR" "$LOAD"; do
  [ -x "$bin" ] || { echo "unary_ab: $bin is not an executable (build it first)" >&2; exit 2; }
done

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# wait_for FILE PATTERN: the first line of FILE matching PATTERN (10 s).
wait_for() {
  for _ in $(seq 1 200); do
    if line=$(grep -m1 -o "$2" "$1" 2>/dev/null); then echo "$line"; return 0; fi
    sleep 0.05
  done
  echo "unary_ab: no \"$2\" in $1" >&2
  cat "$1" >&2
  return 1
}

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

run_one() {  # run_one LABEL BRIDGE
  "$EMULATOR" --listen 127.0.0.1:0 >"$work/emulator.log" 2>&1 &
  local emulator=$!
  pids+=("$emulator")
  local upstream
  upstream=$(wait_for "$work/emulator.log" 'http://127.0.0.1:[0-9]*')
  NEO_BRIDGE_SERVICE_TOKEN_POLICY=open "$2" --listen 127.0.0.1:0 \
    --metrics-listen 127.0.0.1:0 --upstream-url "$upstream" \
    --default-org acme 2>"$work/bridge.log" &
  local bridge=$!
  pids+=("$bridge")
  local address
  address=$(wait_for "$work/bridge.log" '"address":"[^"]*"' | cut -d'"' -f4)
  local task=$TASK_ID
  if [ -z "$task" ]; then
    task=$(curl -sf -X POST -H 'Authorization: token pul-emulator-alice' \
      -H 'Content-Type: application/json' "$upstream/api/preview/agents/acme/tasks" \
      -d '{"message":{"type":"user_message","content":"hi","timestamp":"2026-01-01T00:00:00Z"}}' |
      python3 -c 'import json, sys; print(json.load(sys.stdin)["taskId"])')
  fi
  local before after
  before=$(ticks "$bridge")
  "$LOAD" --target="$address" --method=GetTask --task_ids="$task" \
    --rate="$RATE" --duration="$DURATION" --warmup=1s \
    --token=pul-emulator-alice >"$work/load.json" ||
    true  # Non-zero when calls failed (TASK_ID=bad/id): the JSON says how.
  after=$(ticks "$bridge")
  kill "$bridge" "$emulator"
  wait "$bridge" "$emulator" 2>/dev/null || true
  python3 - "$1" "$((after - before))" "$(getconf CLK_TCK)" "$work/load.json" <<'EOF'
import json, sys
label, ticks, hz, path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
r = json.load(open(path))
# Open loop: every scheduled call is sent, in the warm-up too.
calls = r["offered_rps"] * (r["warmup_s"] + r["window_s"])
print(f"{label}: {ticks / hz / calls * 1000:.3f} CPU-s/1k calls, "
      f"p50 {r['latency_us']['p50'] / 1000:.2f} ms, "
      f"p99 {r['latency_us']['p99'] / 1000:.2f} ms, errors {r['errors']}")
EOF
}

for round in $(seq 1 "$ROUNDS"); do
  run_one "round $round A ($1)" "$1"
  run_one "round $round B ($2)" "$2"
done
