#!/usr/bin/env bash
# Fan-out, the "fanout" part of benchmarks/run.sh: N callers watch one task
# with one credential through neo-bridge while the task produces events.
# The bridge should hold one upstream event stream for all of them (DESIGN.md
# "Fan-out"); the emulator counts the streams it serves per task
# (GET /_emulator/stats), and relay_load reads that count mid-run. Also
# reports the bridge's CPU time per delivered event (CPU seconds over the
# firehose window / (events × callers)) and the delivery latency.
# Everything runs on loopback, on free ports.
#
# For each N of CALLERS: relay_load opens N StreamTaskEvents calls on a
# fresh task (spread over 8 channels, all with the same token), then the
# emulator's firehose sends min(MAX_RATE, DELIVERIES / N) events/s (at least
# 10) for DURATION seconds. Writes benchmarks/results/fanout.json (the part
# format of report.py) and prints a summary on stderr.
#
#   benchmarks/fanout_bench.sh            # full run: about 40 s
#   SMOKE=1 benchmarks/fanout_bench.sh    # smoke run (CI): about 10 s
#
# Settings (environment): CALLERS ("1 10 100 1000"; smoke "1 10"),
# DURATION seconds per run (4; smoke 1), DELIVERIES events/s summed over the
# callers (20000; smoke 2000), MAX_RATE events/s of the task (500),
# BRIDGE_LOG_LEVEL (info), BUILD_DIR (build), SKIP_BUILD (0), JOBS (2),
# KEEP_LOGS (0).
# Exit status: 0 when every run produced a result; the figures (and the
# number of upstream streams) are reported, not checked.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PART=fanout
# shellcheck source=benchmarks/stream_bench_lib.sh
. benchmarks/stream_bench_lib.sh

SMOKE=${SMOKE:-0}
if [ "$SMOKE" = 1 ]; then
  CALLERS=${CALLERS:-1 10}
  DURATION=${DURATION:-1}
  DELIVERIES=${DELIVERIES:-2000}
fi
CALLERS=${CALLERS:-1 10 100 1000}
DURATION=${DURATION:-4}
DELIVERIES=${DELIVERIES:-20000}
MAX_RATE=${MAX_RATE:-500}
BRIDGE_LOG_LEVEL=${BRIDGE_LOG_LEVEL:-info}
RESULT_JSON=$RESULTS_DIR/fanout.json

for name in DURATION DELIVERIES MAX_RATE; do
  [[ ${!name} =~ ^[1-9][0-9]*$ ]] || die "$name must be a positive integer (got '${!name}')"
done
max_callers=1
for n in $CALLERS; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || die "CALLERS must be positive integers (got '$n')"
  [ "$n" -gt "$max_callers" ] && max_callers=$n
done

build_tools neo-bridge neo-emulator relay_load
RELAY_LOAD=$BUILD_DIR/benchmarks/relay_load
need_bins "$EMULATOR_BIN" "$BRIDGE_BIN" "$RELAY_LOAD"
# Per process: until streams are shared, the bridge holds an upstream
# connection per caller and the emulator a socket (the callers' gRPC streams
# share 8 connections).
raise_fd_limit $((max_callers + 1024))
bench_init

start_emulator emulator --agent-step-delay 0 --heartbeat-interval 5s
# One caller (one token) holds all N streams: lift the per-caller limit.
start_bridge bridge "$emulator_url" --log-level "$BRIDGE_LOG_LEVEL" \
  --max-streams-per-caller "$((max_callers > 100 ? max_callers : 100))" \
  --max-streams "$((max_callers + 1000))"
say "neo-emulator $emulator_addr (pid $emulator_pid), neo-bridge $bridge_addr (pid $bridge_pid)"

RUNS=$LOG_DIR/runs.jsonl
: >"$RUNS"
failures=0
started=$SECONDS
for n in $CALLERS; do
  rate=$((DELIVERIES / n))
  [ "$rate" -gt "$MAX_RATE" ] && rate=$MAX_RATE
  [ "$rate" -lt 10 ] && rate=10
  out=$LOG_DIR/fanout.$n.json
  err=$LOG_DIR/fanout.$n.err
  status=0
  timeout --kill-after=5 "$((DURATION + 120))" \
    "$RELAY_LOAD" --protocol=grpc --target="$bridge_addr" \
      --emulator="$emulator_addr" --org="$ORG" --token="$TOKEN" \
      --streams="$n" --channels=8 --rate="$rate" --duration="${DURATION}s" \
      --warmup=0s --watch="bridge=$bridge_pid,emulator=$emulator_pid" \
      >"$out" 2>"$err" || status=$?
  client=$(json_line "$out")
  if [ "$client" = null ]; then
    say "$n callers: no result (exit $status): $(tail -n 3 "$err" | tr '\n' ' ')"
    failures=$((failures + 1))
  fi
  printf '{"callers":%s,"rate":%s,"exit":%s,"client":%s}\n' \
    "$n" "$rate" "$status" "$client" >>"$RUNS"
  python3 - "$n" "$client" <<'PY' >&2
import json, sys
n, c = sys.argv[1], json.loads(sys.argv[2])
if c:
    cpu = c["cpu_s"].get("bridge")
    per = 1e6 * cpu / c["delivered"] if cpu is not None and c["delivered"] else float("nan")
    print(f"fanout: {n:>5} callers at {c['rate']}/s: {c['delivered']} of {c['expected']} "
          f"delivered, upstream streams {c['upstream_streams_mid']}, "
          f"bridge CPU {cpu} s ({per:.1f} us per delivery), "
          f"p99 {c['latency_us']['p99'] / 1000:.2f} ms")
PY
done
say "runs took $((SECONDS - started)) s"

mkdir -p "$RESULTS_DIR"
python3 benchmarks/stream_parts.py fanout --runs "$RUNS" --out "$RESULT_JSON" \
  --set "callers=$CALLERS" --set "duration_s=$DURATION" \
  --set "deliveries_per_s=$DELIVERIES" --set "max_rate=$MAX_RATE" \
  --set "bridge_log_level=$BRIDGE_LOG_LEVEL" --set "smoke=$SMOKE" \
  --machine "$(machine_json)" >&2
say "JSON: $RESULT_JSON"
[ "$failures" = 0 ] || { say "$failures run(s) produced no result"; exit 1; }
bench_succeeded
