#!/usr/bin/env bash
# Streams, the "streams" part of benchmarks/run.sh: 1,000, 5,000 and 10,000
# concurrent StreamTaskEvents calls through neo-bridge, held open with
# nothing but heartbeats flowing. For each level it reports the bridge's RSS
# (idle, with every stream open, and per stream), its thread count (idle and
# loaded: it should not grow with streams), its open file descriptors, and
# its CPU while idle with heartbeats. Everything runs on loopback, on free
# ports; each level gets a fresh neo-emulator and neo-bridge, so "idle" is
# that bridge before its first call.
#
# Memory worst case: by default each stream watches its own task (TASKS =
# streams), so no two streams could ever share an upstream connection: the
# bridge holds one upstream SSE connection per stream, the emulator one
# socket per stream. The emulator sends `: heartbeat` upstream and the
# bridge sends a Heartbeat message downstream every HEARTBEAT; the CPU
# window (WINDOW seconds, starting SETTLE seconds after the last stream
# opened) sees only those.
#
#   benchmarks/streams_bench.sh           # full run: about 2 minutes
#   SMOKE=1 benchmarks/streams_bench.sh   # smoke run (CI): about 15 s
#
# Settings (environment): LEVELS concurrent streams ("1000 5000 10000";
# smoke "50 200"), TASKS tasks per level (empty = one per stream; a number
# spreads every level's streams over that many tasks), HEARTBEAT both sides'
# heartbeat interval (5s), SETTLE seconds after the streams open (3; smoke
# 1), WINDOW seconds of CPU measurement (10; smoke 2), CHANNELS client gRPC
# connections (8), BRIDGE_LOG_LEVEL (info), BUILD_DIR (build), SKIP_BUILD
# (0), JOBS (2), KEEP_LOGS (0). Smoke runs use a 1s HEARTBEAT, so the short
# window still sees some.
# Exit status: 0 when every level produced a result; the figures are
# reported, not checked.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PART=streams
# shellcheck source=benchmarks/stream_bench_lib.sh
. benchmarks/stream_bench_lib.sh

SMOKE=${SMOKE:-0}
if [ "$SMOKE" = 1 ]; then
  LEVELS=${LEVELS:-50 200}
  SETTLE=${SETTLE:-1}
  WINDOW=${WINDOW:-2}
  HEARTBEAT=${HEARTBEAT:-1s}
fi
LEVELS=${LEVELS:-1000 5000 10000}
TASKS=${TASKS:-}
HEARTBEAT=${HEARTBEAT:-5s}
SETTLE=${SETTLE:-3}
WINDOW=${WINDOW:-10}
CHANNELS=${CHANNELS:-8}
BRIDGE_LOG_LEVEL=${BRIDGE_LOG_LEVEL:-info}
RESULT_JSON=$RESULTS_DIR/streams.json

for name in SETTLE WINDOW CHANNELS; do
  [[ ${!name} =~ ^[1-9][0-9]*$ ]] || die "$name must be a positive integer (got '${!name}')"
done
[ -z "$TASKS" ] || [[ $TASKS =~ ^[1-9][0-9]*$ ]] || die "TASKS must be empty or a positive integer (got '$TASKS')"
[[ $HEARTBEAT =~ ^[0-9]+(\.[0-9]+)?(ms|s)$ ]] || die "HEARTBEAT must be a duration like 5s (got '$HEARTBEAT')"
max_level=1
for n in $LEVELS; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || die "LEVELS must be positive integers (got '$n')"
  [ "$n" -gt "$max_level" ] && max_level=$n
done

build_tools neo-bridge neo-emulator stream_load
STREAM_LOAD=$BUILD_DIR/benchmarks/stream_load
need_bins "$EMULATOR_BIN" "$BRIDGE_BIN" "$STREAM_LOAD"
# The limit is per process, and each inherits it: the bridge holds an
# upstream connection per stream (its gRPC streams share CHANNELS
# connections), the emulator a socket per stream.
raise_fd_limit $((max_level + 1024))
bench_init

RUNS=$LOG_DIR/runs.jsonl
: >"$RUNS"
failures=0
hold=$((SETTLE + WINDOW + 2))
started=$SECONDS

for n in $LEVELS; do
  tasks=${TASKS:-$n}
  [ "$tasks" -gt "$n" ] && tasks=$n
  start_emulator "emulator.$n" --agent-step-delay 0 --heartbeat-interval "$HEARTBEAT"
  start_bridge "bridge.$n" "$emulator_url" --log-level "$BRIDGE_LOG_LEVEL" \
    --stream-heartbeat-interval "$HEARTBEAT" \
    --max-streams-per-caller "$((n > 100 ? n : 100))" --max-streams "$((n + 1000))"
  sleep 1
  read -r idle_threads idle_rss _ idle_fds < <(proc_sample "$bridge_pid")
  idle_names=$(thread_names "$bridge_pid")

  out=$LOG_DIR/load.$n.json
  err=$LOG_DIR/load.$n.err
  client_started=$SECONDS
  # Creates the tasks (their first turn is over at once: no agent delay),
  # opens every stream, holds them with no traffic (respond interval 0).
  timeout --kill-after=5 "$((hold + 300))" \
    "$STREAM_LOAD" --target="$bridge_addr" --streams="$n" --tasks="$tasks" \
      --quiet-tasks="$tasks" --respond-interval=0 --duration="${hold}s" \
      --open-timeout=120s --channels="$CHANNELS" --org="$ORG" --token="$TOKEN" \
      >"$out" 2>"$err" &
  load_pid=$!
  pids+=("$load_pid")
  open_line=$(wait_for_line "$err" 'streams open after' "$load_pid" 3000) || open_line=''
  open_s=$((SECONDS - client_started))
  window_s=null bridge_cpu=null emulator_cpu=null
  load='{}' emulator_sample='{}'
  if [ -n "$open_line" ]; then
    say "$n streams: ${open_line#stream_load: } (${open_s}s with task creation)"
    sleep "$SETTLE"
    b0=$(cpu_ticks "$bridge_pid") e0=$(cpu_ticks "$emulator_pid") t0=$(date +%s.%N)
    sleep "$WINDOW"
    b1=$(cpu_ticks "$bridge_pid") e1=$(cpu_ticks "$emulator_pid") t1=$(date +%s.%N)
    read -r threads rss hwm fds < <(proc_sample "$bridge_pid")
    read -r e_threads e_rss _ e_fds < <(proc_sample "$emulator_pid")
    window_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    bridge_cpu=$(awk -v t="$((b1 - b0))" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t / hz }')
    emulator_cpu=$(awk -v t="$((e1 - e0))" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t / hz }')
    load=$(printf '{"threads":%s,"rss_kb":%s,"hwm_kb":%s,"fds":%s,"thread_names":%s}' \
      "$threads" "$rss" "$hwm" "$fds" "$(thread_names "$bridge_pid")")
    emulator_sample=$(printf '{"threads":%s,"rss_kb":%s,"fds":%s}' "$e_threads" "$e_rss" "$e_fds")
    say "$n streams: bridge $threads threads (idle $idle_threads), RSS $((rss / 1024)) MiB (idle $((idle_rss / 1024))), $fds fds, CPU ${bridge_cpu}s in ${window_s}s"
  else
    say "$n streams: the client did not report its streams open: $(tail -n 3 "$err" | tr '\n' ' ')"
  fi
  status=0
  wait "$load_pid" || status=$?
  stop_pid "$load_pid"
  client=$(json_line "$out")
  if [ "$client" = null ] || [ -z "$open_line" ]; then failures=$((failures + 1)); fi
  printf '{"streams":%s,"tasks":%s,"exit":%s,"open_s":%s,"idle":{"threads":%s,"rss_kb":%s,"fds":%s,"thread_names":%s},"load":%s,"window_s":%s,"bridge_cpu_s":%s,"emulator_cpu_s":%s,"emulator":%s,"client":%s}\n' \
    "$n" "$tasks" "$status" "$open_s" "$idle_threads" "$idle_rss" "$idle_fds" "$idle_names" \
    "$load" "$window_s" "$bridge_cpu" "$emulator_cpu" "$emulator_sample" "$client" >>"$RUNS"
  stop_pid "$bridge_pid"
  stop_pid "$emulator_pid"
done
say "levels took $((SECONDS - started)) s"

mkdir -p "$RESULTS_DIR"
python3 benchmarks/stream_parts.py streams --runs "$RUNS" --out "$RESULT_JSON" \
  --set "levels=$LEVELS" --set "tasks=${TASKS:-per stream}" \
  --set "heartbeat=$HEARTBEAT" --set "settle_s=$SETTLE" --set "window_s=$WINDOW" \
  --set "channels=$CHANNELS" --set "bridge_log_level=$BRIDGE_LOG_LEVEL" \
  --set "smoke=$SMOKE" --machine "$(machine_json)" >&2
say "JSON: $RESULT_JSON"
[ "$failures" = 0 ] || { say "$failures level(s) produced no result"; exit 1; }
bench_succeeded
