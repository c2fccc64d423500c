#!/usr/bin/env bash
# Relay side by side, the "relay" part of benchmarks/run.sh: how fast and how
# late a task's events reach a client, through neo-bridge against the same
# SSE read straight from neo-emulator and through nginx (proxy_buffering off)
# in front of the same emulator. Everything runs on loopback, on free ports.
#
# At each rate of RATES, for each path of PATHS (interleaved, so the three
# see the same machine), relay_load opens one stream on a fresh task and
# starts the emulator's firehose on it: RATE events/s for DURATION seconds,
# each stamped with the emulator's send time (CLOCK_REALTIME). It reports
# the latency from send to receipt (the first WARMUP of events excluded),
# the events/s received, order and completeness, and the CPU time of the
# proxy under test and of the emulator over the firehose window. Added
# latency is a proxy's figure minus the direct path's at the same rate.
# Writes benchmarks/results/relay.json (the part format of report.py) and
# prints a summary on stderr.
#
#   benchmarks/relay_bench.sh             # full run: about 1 minute
#   SMOKE=1 benchmarks/relay_bench.sh     # smoke run (CI): about 10 s
#
# Settings (environment): RATES events/s ("5000 10000 20000"; smoke "2000"),
# DURATION seconds per run (4; smoke 1), WARMUP (500ms; smoke 200ms), PATHS
# ("direct nginx bridge"), BRIDGE_LOG_LEVEL (info), BRIDGE_FLAGS (extra
# neo-bridge flags, e.g. "--stream-queue-size 1024"), PERF (0; 1 = record the
# bridge with `perf record -g` during its run at the highest rate, report in
# the logs), BUILD_DIR (build), SKIP_BUILD (0), JOBS (2), KEEP_LOGS (0),
# NGINX (nginx).
# Exit status: 0 when every run produced a result; the figures themselves
# (and lost or repeated events, reported in the JSON) are not checked here.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PART=relay
# shellcheck source=benchmarks/stream_bench_lib.sh
. benchmarks/stream_bench_lib.sh

SMOKE=${SMOKE:-0}
if [ "$SMOKE" = 1 ]; then
  RATES=${RATES:-2000}
  DURATION=${DURATION:-1}
  WARMUP=${WARMUP:-200ms}
fi
RATES=${RATES:-5000 10000 20000}
DURATION=${DURATION:-4}
WARMUP=${WARMUP:-500ms}
PATHS=${PATHS:-direct nginx bridge}
BRIDGE_LOG_LEVEL=${BRIDGE_LOG_LEVEL:-info}
BRIDGE_FLAGS=${BRIDGE_FLAGS:-}
PERF=${PERF:-0}
RESULT_JSON=$RESULTS_DIR/relay.json

[[ $DURATION =~ ^[1-9][0-9]*$ ]] || die "DURATION must be a positive integer (got '$DURATION')"
[[ $WARMUP =~ ^[0-9]+(\.[0-9]+)?(ms|s)$ ]] || die "WARMUP must be a duration like 500ms (got '$WARMUP')"
for rate in $RATES; do
  [[ $rate =~ ^[1-9][0-9]*$ ]] || die "RATES must be positive integers (got '$rate')"
done
for path in $PATHS; do
  [[ $path =~ ^(direct|nginx|bridge)$ ]] || die "PATHS may hold direct, nginx and bridge (got '$path')"
done

build_tools neo-bridge neo-emulator relay_load
RELAY_LOAD=$BUILD_DIR/benchmarks/relay_load
need_bins "$EMULATOR_BIN" "$BRIDGE_BIN" "$RELAY_LOAD"
command -v curl >/dev/null || die "curl not found"
raise_fd_limit 4096
bench_init

# --- processes --------------------------------------------------------------
# No scripted-agent pauses: a new task's first turn is over at once, so only
# the firehose writes to it.
start_emulator emulator --agent-step-delay 0 --heartbeat-interval 5s
# shellcheck disable=SC2086 # BRIDGE_FLAGS is a list of flags.
start_bridge bridge "$emulator_url" --log-level "$BRIDGE_LOG_LEVEL" $BRIDGE_FLAGS
nginx_addr='' nginx_pids=''
if [[ " $PATHS " == *" nginx "* ]]; then start_nginx "$emulator_port"; fi
say "neo-emulator $emulator_addr (pid $emulator_pid), neo-bridge $bridge_addr (pid $bridge_pid)${nginx_addr:+, nginx $nginx_addr (pids $nginx_pids)}"

# --- runs -------------------------------------------------------------------
RUNS=$LOG_DIR/runs.jsonl
: >"$RUNS"
failures=0
max_rate=0
for rate in $RATES; do [ "$rate" -gt "$max_rate" ] && max_rate=$rate; done
perf_report=''

# run_case PATH RATE: one relay_load run; its record appended to $RUNS.
run_case() {
  local path=$1 rate=$2 out err status=0 perf_pid=''
  local -a cmd=("$RELAY_LOAD" --emulator="$emulator_addr" --org="$ORG"
                --token="$TOKEN" --streams=1 --rate="$rate"
                --duration="${DURATION}s" --warmup="$WARMUP")
  case $path in
    direct) cmd+=(--protocol=sse --target="$emulator_addr"
                  --watch="emulator=$emulator_pid") ;;
    nginx) cmd+=(--protocol=sse --target="$nginx_addr"
                 --watch="proxy=$nginx_pids,emulator=$emulator_pid") ;;
    bridge) cmd+=(--protocol=grpc --target="$bridge_addr" --channels=1
                  --watch="proxy=$bridge_pid,emulator=$emulator_pid") ;;
  esac
  out=$LOG_DIR/$path.$rate.json
  err=$LOG_DIR/$path.$rate.err
  if [ "$PERF" = 1 ] && [ "$path" = bridge ] && [ "$rate" = "$max_rate" ]; then
    if command -v perf >/dev/null; then
      perf record -g -o "$LOG_DIR/perf.data" -p "$bridge_pid" \
        >"$LOG_DIR/perf.out" 2>&1 &
      perf_pid=$!
      sleep 0.5
    else
      say "PERF=1 but perf is not installed (apt-get install linux-perf)"
    fi
  fi
  timeout --kill-after=5 "$((DURATION + 90))" "${cmd[@]}" >"$out" 2>"$err" || status=$?
  if [ -n "$perf_pid" ]; then
    kill -INT "$perf_pid" 2>/dev/null || true
    wait "$perf_pid" 2>/dev/null || true
    # Self time per symbol, one line each, shortened.
    perf report -i "$LOG_DIR/perf.data" --no-children --sort dso,symbol \
      -g none --stdio 2>/dev/null | grep -E '^ +[0-9]' |
      sed -E 's/ +$//; s/  +/ /g' | cut -c1-160 | head -n 40 >"$LOG_DIR/perf.top" || true
    # And per thread (comm): where the work happens.
    { echo "by thread:"
      perf report -i "$LOG_DIR/perf.data" --no-children --sort comm -g none \
        --stdio 2>/dev/null | grep -E '^ +[0-9]' | sed -E 's/ +$//; s/  +/ /g' |
        head -n 15; } >>"$LOG_DIR/perf.top" || true
    perf_report=$LOG_DIR/perf.top
  fi
  local client
  client=$(json_line "$out")
  if [ "$client" = null ]; then
    say "$path at $rate/s: no result (exit $status): $(tail -n 3 "$err" | tr '\n' ' ')"
    failures=$((failures + 1))
  fi
  printf '{"path":"%s","rate":%s,"exit":%s,"client":%s}\n' \
    "$path" "$rate" "$status" "$client" >>"$RUNS"
  python3 - "$path" "$rate" "$client" <<'PY' >&2
import json, sys
path, rate, client = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
if client:
    lat = client["latency_us"]
    print(f"relay: {path:6} {rate:>6}/s: {client['events_per_s']:>9.0f} events/s, "
          f"p50 {lat['p50'] / 1000:.3f} ms, p99 {lat['p99'] / 1000:.3f} ms, "
          f"proxy CPU {client['cpu_s'].get('proxy', 0)} s, "
          f"lost {client['expected'] - client['delivered']}, dup {client['duplicates']}")
PY
}

started=$SECONDS
for rate in $RATES; do
  for path in $PATHS; do
    run_case "$path" "$rate"
  done
done
say "runs took $((SECONDS - started)) s"
if [ -n "$perf_report" ]; then
  say "perf: top self-time symbols of neo-bridge at $max_rate/s:"
  head -n 15 "$perf_report" >&2 || true
  cp "$perf_report" "$RESULTS_DIR/relay_perf_top.txt" 2>/dev/null || true
fi

# --- report -----------------------------------------------------------------
mkdir -p "$RESULTS_DIR"
python3 benchmarks/stream_parts.py relay --runs "$RUNS" --out "$RESULT_JSON" \
  --set "rates=$RATES" --set "duration_s=$DURATION" --set "warmup=$WARMUP" \
  --set "paths=$PATHS" --set "bridge_log_level=$BRIDGE_LOG_LEVEL" \
  --set "bridge_flags=$BRIDGE_FLAGS" \
  --set "smoke=$SMOKE" --machine "$(machine_json)" >&2
say "JSON: $RESULT_JSON"
[ "$failures" = 0 ] || { say "$failures run(s) produced no result"; exit 1; }
bench_succeeded
