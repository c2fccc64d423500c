#!/usr/bin/env bash
# Stream scale benchmark: holds STREAMS concurrent StreamTaskEvents calls
# through neo-bridge (in front of neo-emulator, both on loopback) for
# DURATION seconds while driving traffic, and reports the bridge's thread
# count and RSS (idle vs. under load), RSS per stream, events relayed,
# duplicates and failed streams. Writes the JSON to
# benchmarks/results/stream_scale.json. Stops by itself; see README.md.
#
#   benchmarks/stream_scale.sh                       # 1,000 streams, 60 s
#   STREAMS=50 DURATION=5 benchmarks/stream_scale.sh # smoke run (CI)
#
# Settings (environment): STREAMS (1000), DURATION seconds (60), TASKS (10),
# QUIET_TASKS (1: tasks left without traffic, so their streams get
# heartbeats), CHANNELS (8), RESPOND_INTERVAL (500ms), SAMPLE_INTERVAL
# seconds (5), BUILD_DIR (build), SKIP_BUILD (0), JOBS (2).
# Exit status: 0 when every stream stayed open and every check passed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

STREAMS=${STREAMS:-1000}
DURATION=${DURATION:-60}
TASKS=${TASKS:-10}
QUIET_TASKS=${QUIET_TASKS:-1}
CHANNELS=${CHANNELS:-8}
RESPOND_INTERVAL=${RESPOND_INTERVAL:-500ms}
SAMPLE_INTERVAL=${SAMPLE_INTERVAL:-5}
BUILD_DIR=${BUILD_DIR:-build}
SKIP_BUILD=${SKIP_BUILD:-0}
JOBS=${JOBS:-2}
RESULTS_DIR=benchmarks/results
RESULT_JSON=$RESULTS_DIR/stream_scale.json

say() { printf 'stream_scale: %s\n' "$*" >&2; }
die() { say "$*"; exit 2; }

[[ $QUIET_TASKS =~ ^[0-9]+$ ]] || die "QUIET_TASKS must be a number (got '$QUIET_TASKS')"
for name in STREAMS DURATION TASKS CHANNELS SAMPLE_INTERVAL; do
  [[ ${!name} =~ ^[1-9][0-9]*$ ]] || die "$name must be a positive integer (got '${!name}')"
done

# --- build ------------------------------------------------------------------
if [ "$SKIP_BUILD" != 1 ]; then
  if [ -f "$BUILD_DIR/build.ninja" ]; then
    cmake --build "$BUILD_DIR" -j "$JOBS" --target neo-bridge neo-emulator stream_load >&2
  else
    BUILD_DIR=$BUILD_DIR JOBS=$JOBS ./build.sh --target neo-bridge neo-emulator stream_load >&2
  fi
fi
EMULATOR=$BUILD_DIR/emulator/neo-emulator
BRIDGE=$BUILD_DIR/bridge/server/neo-bridge
LOAD=$BUILD_DIR/benchmarks/stream_load
for bin in "$EMULATOR" "$BRIDGE" "$LOAD"; do
  [ -x "$bin" ] || die "$bin not built (run ./setup.sh && ./build.sh)"
done

# --- file descriptors: each stream holds a gRPC stream and, in the bridge,
# one upstream connection; the emulator holds one socket per stream.
need_fds=$((STREAMS * 2 + 1024))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$need_fds" ]; then
  hard=$(ulimit -Hn)
  if [ "$hard" != unlimited ] && [ "$hard" -lt "$need_fds" ]; then
    die "need $need_fds open files for $STREAMS streams but the hard limit is $hard (raise it, or lower STREAMS)"
  fi
  ulimit -n "$need_fds"
fi

# --- processes --------------------------------------------------------------
LOG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/stream_scale.XXXXXX")
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_for_line FILE PATTERN PID: waits (10 s) for a line matching PATTERN
# in FILE, printing it; fails if PID exits first.
wait_for_line() {
  local file=$1 pattern=$2 pid=$3 line
  for _ in $(seq 1 100); do
    line=$(grep -m1 -E "$pattern" "$file" 2>/dev/null || true)
    if [ -n "$line" ]; then printf '%s\n' "$line"; return 0; fi
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

"$EMULATOR" --listen 127.0.0.1:0 --agent-step-delay 20ms --heartbeat-interval 5s \
  >"$LOG_DIR/emulator.out" 2>"$LOG_DIR/emulator.err" &
emulator_pid=$!
pids+=("$emulator_pid")
line=$(wait_for_line "$LOG_DIR/emulator.out" 'listening on http://' "$emulator_pid") ||
  { cat "$LOG_DIR/emulator.err" >&2; die "neo-emulator did not start"; }
upstream_url=${line##* }

# The load client sends no token: lend it the service token (loopback only).
# It stands for many callers, so the per-caller stream limit is lifted.
NEO_BRIDGE_UPSTREAM_URL=$upstream_url \
PULUMI_ACCESS_TOKEN=pul-emulator-alice \
NEO_BRIDGE_SERVICE_TOKEN_POLICY=open \
NEO_BRIDGE_DEFAULT_ORG=acme \
  "$BRIDGE" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 \
    --max-streams-per-caller "$((STREAMS > 100 ? STREAMS : 100))" \
    2>"$LOG_DIR/bridge.log" &
bridge_pid=$!
pids+=("$bridge_pid")
line=$(wait_for_line "$LOG_DIR/bridge.log" '"msg":"listening"' "$bridge_pid") ||
  { cat "$LOG_DIR/bridge.log" >&2; die "neo-bridge did not start"; }
bridge_addr=$(printf '%s\n' "$line" | sed -n 's/.*"address":"\([^"]*\)".*/\1/p')
[ -n "$bridge_addr" ] || die "no address in the bridge's listening line: $line"
say "neo-emulator $upstream_url, neo-bridge $bridge_addr (pid $bridge_pid), logs in $LOG_DIR"

# sample PID: "threads rss_kb hwm_kb fds" of a process, from /proc
# ("-1 -1 -1 -1" once it is gone).
sample() {
  local pid=$1 status
  if ! status=$(cat "/proc/$pid/status" 2>/dev/null); then
    echo "-1 -1 -1 -1"
    return
  fi
  printf '%s\n' "$status" | awk -v fds="$(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)" '
    /^Threads:/ {t = $2} /^VmRSS:/ {r = $2} /^VmHWM:/ {h = $2}
    END {print t, r, h, fds}'
}
# cpu_ticks PID: user + system CPU time of a process, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

sleep 1
read -r idle_threads idle_rss _ idle_fds < <(sample "$bridge_pid")
idle_ticks=$(cpu_ticks "$bridge_pid")
say "idle: $idle_threads threads, RSS $idle_rss KiB, $idle_fds fds"

# --- load -------------------------------------------------------------------
# The client stops by itself; `timeout` only bounds a hung run.
timeout --kill-after=5 "$((DURATION + 120))" \
  "$LOAD" --target="$bridge_addr" --streams="$STREAMS" --tasks="$TASKS" \
  --quiet-tasks="$QUIET_TASKS" --duration="${DURATION}s" \
  --respond-interval="$RESPOND_INTERVAL" \
  --channels="$CHANNELS" --org=acme --token=pul-emulator-alice \
  >"$LOG_DIR/load.json" 2> >(tee "$LOG_DIR/load.err" >&2) &
load_pid=$!
pids+=("$load_pid")

# Samples every SAMPLE_INTERVAL seconds while the client runs:
# seconds threads rss_kb hwm_kb fds.
samples=()
started=$SECONDS
while kill -0 "$load_pid" 2>/dev/null; do
  kill -0 "$bridge_pid" 2>/dev/null || break
  read -r threads rss hwm fds < <(sample "$bridge_pid")
  samples+=("$((SECONDS - started)) $threads $rss $hwm $fds")
  say "t=$((SECONDS - started))s bridge: $threads threads, RSS $rss KiB, $fds fds"
  for _ in $(seq 1 "$((SAMPLE_INTERVAL * 10))"); do
    kill -0 "$load_pid" 2>/dev/null || break
    sleep 0.1
  done
done
load_status=0
wait "$load_pid" || load_status=$?
load_seconds=$((SECONDS - started))

bridge_alive=1
kill -0 "$bridge_pid" 2>/dev/null || bridge_alive=0
after_threads=-1 after_rss=-1 after_fds=-1 peak_hwm=-1 cpu_seconds=-1
if [ "$bridge_alive" = 1 ]; then
  cpu_seconds=$(awk -v t="$(( $(cpu_ticks "$bridge_pid") - idle_ticks ))" \
    -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", t / hz }')
  sleep 2  # Let the bridge release the cancelled streams.
  read -r after_threads after_rss peak_hwm after_fds < <(sample "$bridge_pid")
fi

# --- report -----------------------------------------------------------------
client_json=$(tail -n 1 "$LOG_DIR/load.json" 2>/dev/null || true)
[ -n "$client_json" ] || client_json='{}'
field() {  # field NAME: a number from the client's JSON, or -1.
  local value
  value=$(printf '%s\n' "$client_json" | sed -n "s/.*\"$1\":\(-\{0,1\}[0-9.]*\).*/\1/p")
  printf '%s\n' "${value:--1}"
}
status_counts=$(printf '%s\n' "$client_json" | sed -n 's/.*"status_counts":\({[^}]*}\).*/\1/p')

# Threads and RSS under load: samples taken once every stream was open.
load_threads_min=-1 load_threads_max=-1 peak_rss=$idle_rss
open_after_s=$(( ($(field open_all_ms) + 999) / 1000 ))
samples_json=""
for s in "${samples[@]}"; do
  read -r t threads rss hwm fds <<<"$s"
  samples_json+="${samples_json:+,}[$t,$threads,$rss,$fds]"
  if (( rss > peak_rss )); then peak_rss=$rss; fi
  if (( t >= open_after_s && t > 0 )); then
    if (( load_threads_min < 0 || threads < load_threads_min )); then load_threads_min=$threads; fi
    if (( threads > load_threads_max )); then load_threads_max=$threads; fi
  fi
done
if (( peak_hwm > peak_rss )); then peak_rss=$peak_hwm; fi
rss_per_stream=$(awk -v p="$peak_rss" -v i="$idle_rss" -v n="$STREAMS" \
  'BEGIN { printf "%.1f", (p - i) / n }')
log_warnings=$(grep -c '"level":"warn"' "$LOG_DIR/bridge.log" || true)
log_errors=$(grep -c '"level":"error"' "$LOG_DIR/bridge.log" || true)
reconnects=$(grep -c 'reconnecting upstream stream' "$LOG_DIR/bridge.log" || true)

mkdir -p "$RESULTS_DIR"
cat >"$RESULT_JSON" <<JSON
{"config":{"streams":$STREAMS,"duration_s":$DURATION,"tasks":$TASKS,"quiet_tasks":$QUIET_TASKS,"channels":$CHANNELS,"respond_interval":"$RESPOND_INTERVAL","cores":$(nproc),"os":"$(. /etc/os-release && printf '%s' "$PRETTY_NAME")"},
 "bridge":{"alive_at_end":$bridge_alive,"threads_idle":$idle_threads,"threads_load_min":$load_threads_min,"threads_load_max":$load_threads_max,"threads_after":$after_threads,"rss_idle_kb":$idle_rss,"rss_peak_kb":$peak_rss,"rss_after_kb":$after_rss,"rss_per_stream_kb":$rss_per_stream,"cpu_s":$cpu_seconds,"client_run_s":$load_seconds,"fds_idle":$idle_fds,"fds_after":$after_fds,"log_warnings":$log_warnings,"log_errors":$log_errors,"upstream_reconnects":$reconnects,"samples_t_threads_rsskb_fds":[$samples_json]},
 "client":$client_json}
JSON

row() { printf '  %-38s %s\n' "$1" "$2"; }
{
  echo
  echo "stream_scale: $STREAMS streams over $TASKS tasks, ${DURATION}s hold, $(nproc) cores"
  row "streams opened / requested" "$(field streams_opened) / $STREAMS (all open after $(field open_all_ms) ms)"
  row "bridge threads idle -> under load" "$idle_threads -> $load_threads_min..$load_threads_max (after: $after_threads)"
  row "bridge RSS idle / peak / after" "$idle_rss / $peak_rss / $after_rss KiB"
  row "bridge RSS per stream" "$rss_per_stream KiB ((peak - idle) / streams)"
  row "bridge fds idle / after" "$idle_fds / $after_fds"
  row "bridge CPU during the client's run" "$cpu_seconds s in ${load_seconds} s"
  row "events relayed (received)" "$(field events_received) ($(field task_events) distinct task events)"
  row "events/s during hold" "$(field events_per_s)"
  row "heartbeats" "$(field heartbeats)"
  row "duplicates / order violations" "$(field duplicates) / $(field order_violations)"
  row "streams behind at end" "$(field incomplete_streams)"
  row "failed streams" "$(field streams_failed) (final statuses: ${status_counts:-none})"
  row "bridge log warn / error / reconnects" "$log_warnings / $log_errors / $reconnects"
  row "client threads (peak)" "$(field client_threads_peak)"
  echo "  JSON: $RESULT_JSON"
} >&2
cat "$RESULT_JSON"

if [ "$bridge_alive" != 1 ]; then
  say "neo-bridge exited during the run; log: $LOG_DIR/bridge.log"
  exit 1
fi
exit "$load_status"
