#!/usr/bin/env bash
# Soak: a bounded mixed load on one neo-bridge process (in front of
# neo-emulator, both on loopback and free ports) while the emulator's fault
# plans cycle, sampling the bridge's memory, open files and threads; then
# benchmarks/soak_report.py judges the run (growth trend, crash, unexpected
# errors) and its exit status is this script's.
#
#   benchmarks/soak.sh --minutes 10     # the full soak (about 11 minutes;
#                                       # not run by CI)
#   FAULT_SECONDS=12 CLEAR_SECONDS=4 benchmarks/soak.sh --seconds 90
#                                       # ctest soak.short (about 2 minutes)
#
# The load, all with alice's token through the bridge:
#   - long-lived streams: stream_load holding LONG_STREAMS StreamTaskEvents
#     calls on 2 tasks for the whole run (none may end early);
#   - churning streams: stream_load --stream-lifetime: CHURN_STREAMS streams
#     on 3 tasks, each replaced every CHURN_LIFETIME, half of the replacements
#     resuming with last_event_id, the others replaying the whole history;
#   - short-lived runs: stream_load started again and again, each creating a
#     new task (CreateTask), 6 streams for 4 s, then gone (new connections,
#     new tasks, every few seconds);
#   - unary: unary_load GetTask (UNARY_RATE/s) and ListTasks (half that),
#     one run per phase; RespondToTask comes from every stream_load.
# The 5 stream tasks get HISTORY_EVENTS (400) firehose events before any
# stream opens, and the bridge keeps 256 events per task
# (--stream-history-size), so that its cache is full and replays from the
# start need their own upstream stream from the first minute on: a
# designed, bounded step that belongs to the warm-up, not the trend.
# Faults: after the streams are open, phases alternate: a fault plan from the
# list below for FAULT_SECONDS (PUT /_emulator/faults), then CLEAR_SECONDS
# without faults (DELETE); the last TAIL_CLEAR_SECONDS of the load are
# always clear, so the streams can catch up before they are checked.
# Sampling: every SAMPLE_SECONDS, the bridge's VmRSS, VmHWM, open fds (count
# of /proc/PID/fd), threads and CPU ticks, and the emulator's open streams,
# into OUT/samples.csv, from before the load (baseline) through a recovery
# period after it. Finally SIGTERM: the bridge must exit 0.
#
# Output (OUT, default a new directory under $TMPDIR): samples.csv,
# phases.csv, unary.jsonl, short.jsonl, long.json, churn.json (+ .err),
# meta.json, soak.svg, report.txt and the processes' logs.
#
# Settings (environment): SAMPLE_SECONDS (2), FAULT_SECONDS (20),
# CLEAR_SECONDS (8), TAIL_CLEAR_SECONDS (15), LONG_STREAMS (16),
# CHURN_STREAMS (24), CHURN_LIFETIME (6s), UNARY_RATE (20),
# HISTORY_EVENTS (400), FD_SLACK (8: how close to the baseline the fds must
# come back before the recovery samples), REPORT_ARGS (extra
# soak_report.py flags, e.g. --max-rss-fit-growth 1), BUILD_DIR (build),
# SKIP_BUILD (0), JOBS (2), BRIDGE_BIN, EMULATOR_BIN (default: from
# BUILD_DIR).
# Exit status: soak_report.py's (0 pass, 1 growth/crash/unexpected errors),
# 2 for bad arguments or a setup failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PART=soak
# start_emulator, start_bridge, proc_sample, cpu_ticks, wait_for_line,
# raise_fd_limit, build_tools, need_bins, say, die.
# shellcheck source=benchmarks/stream_bench_lib.sh
source benchmarks/stream_bench_lib.sh

usage() {
  cat >&2 <<'EOF'
usage: benchmarks/soak.sh [--minutes N | --seconds N] [--out DIR]
  --minutes N   load duration in minutes (default 10)
  --seconds N   load duration in seconds (at least 60)
  --out DIR     where samples, logs and the report go (default: a new
                directory under $TMPDIR)
EOF
  exit 2
}

LOAD_S=600
OUT=''
while [ $# -gt 0 ]; do
  case $1 in
    --minutes) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || usage; LOAD_S=$(($2 * 60)); shift 2 ;;
    --seconds) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || usage; LOAD_S=$2; shift 2 ;;
    --out) [ -n "${2:-}" ] || usage; OUT=$2; shift 2 ;;
    -h | --help) usage ;;
    *) say "unknown argument '$1'"; usage ;;
  esac
done
[ "$LOAD_S" -ge 60 ] || die "the load must last at least 60 s (got $LOAD_S s)"

SAMPLE_SECONDS=${SAMPLE_SECONDS:-2}
FAULT_SECONDS=${FAULT_SECONDS:-20}
CLEAR_SECONDS=${CLEAR_SECONDS:-8}
TAIL_CLEAR_SECONDS=${TAIL_CLEAR_SECONDS:-15}
LONG_STREAMS=${LONG_STREAMS:-16}
CHURN_STREAMS=${CHURN_STREAMS:-24}
CHURN_LIFETIME=${CHURN_LIFETIME:-6s}
UNARY_RATE=${UNARY_RATE:-20}
REPORT_ARGS=${REPORT_ARGS:-}
HISTORY_EVENTS=${HISTORY_EVENTS:-400}
for name in SAMPLE_SECONDS FAULT_SECONDS CLEAR_SECONDS TAIL_CLEAR_SECONDS \
            LONG_STREAMS CHURN_STREAMS UNARY_RATE HISTORY_EVENTS; do
  [[ ${!name} =~ ^[1-9][0-9]*$ ]] || die "$name must be a positive integer (got '${!name}')"
done
[[ $CHURN_LIFETIME =~ ^[0-9]+(ms|s)$ ]] || die "CHURN_LIFETIME must be a duration like 6s (got '$CHURN_LIFETIME')"

# The fault plans, cycled in this order (the short run sees the first few).
# soak_report.py derives from each plan which errors it may cause.
PLANS=(
  'drop|{"stream":{"dropAfterEvents":3}}'
  '429-stream-opens|{"fail":{"status":429,"times":15,"retryAfterSeconds":1}}'
  'stall|{"stream":{"stallAfterEvents":2,"times":20}}'
  '503-gets|{"fail":{"status":503,"times":40,"scope":"requests","method":"GET"}}'
  'malformed-not-json|{"stream":{"malformed":{"afterEvents":1,"kind":"notJson"}}}'
  'drop-mid-frame|{"stream":{"dropAfterEvents":2,"dropMidFrame":true}}'
  'latency-300ms|{"latencyMs":300}'
  '429-gets|{"fail":{"status":429,"times":30,"retryAfterSeconds":1,"scope":"requests","method":"GET"}}'
  'chunked-crlf|{"stream":{"chunkBytes":7,"lineEnding":"crlf"}}'
  '500-stream-opens|{"fail":{"status":500,"times":10}}'
  '502-gets|{"fail":{"status":502,"times":20,"scope":"requests","method":"GET"}}'
  'malformed-truncated-cr|{"stream":{"malformed":{"afterEvents":2,"kind":"truncatedJson"},"lineEnding":"cr"}}'
  '504-gets|{"fail":{"status":504,"times":20,"scope":"requests","method":"GET"}}'
)

build_tools neo-bridge neo-emulator stream_load unary_load
STREAM_LOAD=$BUILD_DIR/benchmarks/stream_load
UNARY_LOAD=$BUILD_DIR/benchmarks/unary_load
need_bins "$EMULATOR_BIN" "$BRIDGE_BIN" "$STREAM_LOAD" "$UNARY_LOAD"
command -v curl >/dev/null || die "curl not found"
command -v python3 >/dev/null || die "python3 not found"
raise_fd_limit 4096

if [ -z "$OUT" ]; then
  OUT=$(mktemp -d "${TMPDIR:-/tmp}/soak.XXXXXX")
else
  mkdir -p "$OUT"
  [ -z "$(ls -A "$OUT")" ] || die "--out $OUT is not empty"
fi
LOG_DIR=$OUT
pids=()
sampler_pid=''
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ms() { date +%s%3N; }

# --- processes --------------------------------------------------------------
# Heartbeats every second, so that the bridge's 5 s idle timeout only fires
# on a stalled stream; a small history per task, so that the bridge's event
# cache is full within the warm-up and cannot pass for a leak.
start_emulator emulator --heartbeat-interval 1s
start_bridge bridge "$emulator_url" \
  --max-streams-per-caller=500 --stream-idle-timeout=5s \
  --stream-history-size=256 --stream-max-lag=256 --shutdown-drain-window=1s
say "neo-emulator $emulator_addr (pid $emulator_pid), neo-bridge $bridge_addr (pid $bridge_pid); out $OUT"

emulator_stats_open() {
  curl -s -m 2 "$emulator_url/_emulator/stats" 2>/dev/null |
    sed -n 's/.*"open_streams":\([0-9]*\).*/\1/p'
}
set_faults() {
  curl -sf -m 5 -X PUT -d "$1" "$emulator_url/_emulator/faults" >/dev/null ||
    die "the emulator refused the fault plan $1"
}
clear_faults() {
  curl -sf -m 5 -X DELETE "$emulator_url/_emulator/faults" >/dev/null ||
    die "cannot clear the emulator's faults"
}

# Tasks for GetTask, created on the emulator directly.
task_ids=()
for i in 1 2 3 4 5 6 7 8; do
  body=$(curl -sf -m 5 -H "Authorization: token $TOKEN" -H 'Content-Type: application/json' \
    -d "{\"message\":{\"content\":\"soak unary task $i\"}}" \
    "$emulator_url/api/preview/agents/$ORG/tasks") || die "cannot create a task on the emulator"
  id=$(printf '%s' "$body" | sed -n 's/.*"taskId":"\([^"]*\)".*/\1/p')
  [ -n "$id" ] || die "no taskId in the emulator's answer: $body"
  task_ids+=("$id")
done
task_list=$(IFS=,; printf '%s' "${task_ids[*]}")

# Tasks of the long-lived (2) and churning (3) streams, each with
# HISTORY_EVENTS firehose events (more than the bridge's --stream-history-size
# of 256) before any stream opens: a replay from the start cannot come from
# the bridge's cache and opens its own upstream stream from the first minute,
# so that this step is part of the warm-up, not of the trend.
stream_tasks=()
for i in 1 2 3 4 5; do
  body=$(curl -sf -m 5 -H "Authorization: token $TOKEN" -H 'Content-Type: application/json' \
    -d "{\"message\":{\"content\":\"soak stream task $i\"}}" \
    "$emulator_url/api/preview/agents/$ORG/tasks") || die "cannot create a task on the emulator"
  id=$(printf '%s' "$body" | sed -n 's/.*"taskId":"\([^"]*\)".*/\1/p')
  [ -n "$id" ] || die "no taskId in the emulator's answer: $body"
  curl -sf -m 5 -X PUT -d "{\"task_id\":\"$id\",\"rate\":5000,\"count\":$HISTORY_EVENTS}" \
    "$emulator_url/_emulator/firehose" >/dev/null || die "cannot start a firehose on task $id"
  stream_tasks+=("$id")
done
for _ in $(seq 1 100); do
  curl -sf -m 5 "$emulator_url/_emulator/firehose" | grep -q '"running":true' || break
  sleep 0.1
done
long_tasks=${stream_tasks[0]},${stream_tasks[1]}
churn_tasks=${stream_tasks[2]},${stream_tasks[3]},${stream_tasks[4]}

# --- sampler ----------------------------------------------------------------
# STAGE_FILE and PHASE_FILE tell the sampler what is going on; put_file
# replaces one at once, so that the sampler never reads it half-written.
STAGE_FILE=$OUT/.stage
PHASE_FILE=$OUT/.phase
put_file() { printf '%s\n' "$2" >"$1.new" && mv -f "$1.new" "$1"; }
put_file "$STAGE_FILE" baseline
put_file "$PHASE_FILE" none
echo 'unix_ms,stage,phase,rss_kb,hwm_kb,fds,threads,cpu_ticks,emulator_open_streams' >"$OUT/samples.csv"
sample_once() {
  local sample threads rss hwm fds open
  sample=$(proc_sample "$bridge_pid")
  read -r threads rss hwm fds <<<"$sample"
  open=$(emulator_stats_open)
  printf '%s,%s,%s,%s,%s,%s,%s,%s,%s\n' "$(now_ms)" "$(cat "$STAGE_FILE")" \
    "$(cat "$PHASE_FILE")" "$rss" "$hwm" "$fds" "$threads" \
    "$(cpu_ticks "$bridge_pid")" "${open:--1}" >>"$OUT/samples.csv"
}
(
  while true; do
    sample_once
    sleep "$SAMPLE_SECONDS"
  done
) &
sampler_pid=$!
pids+=("$sampler_pid")

# sample_count STAGE: samples taken so far in STAGE.
sample_count() { grep -c ",$1," "$OUT/samples.csv" || true; }
# wait_samples STAGE N: until the sampler has N samples of STAGE.
wait_samples() {
  while [ "$(sample_count "$1")" -lt "$2" ]; do sleep 0.2; done
}
wait_samples baseline 3

# --- load -------------------------------------------------------------------
put_file "$STAGE_FILE" load
load_start_ms=$(now_ms)
load_end_ms=$((load_start_ms + LOAD_S * 1000))
common=(--target="$bridge_addr" --token="$TOKEN" --org="$ORG")

"$STREAM_LOAD" "${common[@]}" --streams="$LONG_STREAMS" --task-ids="$long_tasks" --channels=2 \
  --duration="${LOAD_S}s" --respond-interval=2s \
  >"$OUT/long.json" 2>"$OUT/long.err" &
long_pid=$!
pids+=("$long_pid")
"$STREAM_LOAD" "${common[@]}" --streams="$CHURN_STREAMS" --task-ids="$churn_tasks" --channels=3 \
  --duration="${LOAD_S}s" --respond-interval=1s --stream-lifetime="$CHURN_LIFETIME" \
  >"$OUT/churn.json" 2>"$OUT/churn.err" &
churn_pid=$!
pids+=("$churn_pid")

# Short-lived runs until the load ends (less the tail's settling).
(
  n=0
  while [ $(($(now_ms) + 12000)) -lt "$load_end_ms" ]; do
    n=$((n + 1))
    start=$(now_ms)
    status=0
    timeout --kill-after=5 90 "$STREAM_LOAD" "${common[@]}" --streams=6 --tasks=1 \
      --channels=1 --duration=4s --respond-interval=500ms \
      >"$OUT/short.$n.json" 2>"$OUT/short.$n.err" || status=$?
    end=$(now_ms)
    client=$(tail -n 1 "$OUT/short.$n.json" 2>/dev/null || true)
    [[ $client == \{* ]] || client=null
    printf '{"run":%s,"start_ms":%s,"end_ms":%s,"exit":%s,"client":%s}\n' \
      "$n" "$start" "$end" "$status" "$client" >>"$OUT/short.jsonl"
    # Keep the stderr of runs that did not pass, for the report.
    if [ "$status" = 0 ]; then rm -f "$OUT/short.$n.err"; fi
    rm -f "$OUT/short.$n.json"
  done
) &
short_pid=$!
pids+=("$short_pid")

# Faults start once the long-lived and churning streams are all open.
wait_for_line "$OUT/long.err" 'streams open after' "$long_pid" 300 >/dev/null ||
  { cat "$OUT/long.err" >&2; die "the long-lived streams did not open"; }
wait_for_line "$OUT/churn.err" 'streams open after' "$churn_pid" 300 >/dev/null ||
  { cat "$OUT/churn.err" >&2; die "the churning streams did not open"; }

echo 'index,name,start_ms,end_ms,plan' >"$OUT/phases.csv"
: >"$OUT/unary.jsonl"
# run_phase NAME PLAN SECONDS: one phase (PLAN '' = no faults) with its
# unary runs; the phase lasts as long as they do.
phase_index=0
run_phase() {
  local name=$1 plan=$2 seconds=$3 start end method rate page status
  local -a upids=()
  phase_index=$((phase_index + 1))
  if [ -n "$plan" ]; then set_faults "$plan"; fi
  put_file "$PHASE_FILE" "$name"
  start=$(now_ms)
  for method in GetTask ListTasks; do
    rate=$UNARY_RATE
    [ "$method" = ListTasks ] && rate=$(((UNARY_RATE + 1) / 2))
    "$UNARY_LOAD" "${common[@]}" --method="$method" --rate="$rate" \
      --duration="${seconds}s" --warmup=0s --channels=2 --deadline=10s \
      --task-ids="$task_list" --page-size=20 \
      >"$OUT/unary.$phase_index.$method.json" 2>"$OUT/unary.$phase_index.$method.err" &
    upids+=("$!")
  done
  local i=0
  for method in GetTask ListTasks; do
    status=0
    wait "${upids[$i]}" || status=$?
    i=$((i + 1))
    client=$(tail -n 1 "$OUT/unary.$phase_index.$method.json" 2>/dev/null || true)
    [[ $client == \{* ]] || client=null
    printf '{"phase":%s,"name":"%s","method":"%s","exit":%s,"client":%s}\n' \
      "$phase_index" "$name" "$method" "$status" "$client" >>"$OUT/unary.jsonl"
    rm -f "$OUT/unary.$phase_index.$method.json"
    if [ "$status" = 0 ]; then rm -f "$OUT/unary.$phase_index.$method.err"; fi
  done
  if [ -n "$plan" ]; then clear_faults; fi
  end=$(now_ms)
  put_file "$PHASE_FILE" none
  # The plan as a CSV field: doubled quotes inside quotes.
  printf '%s,%s,%s,%s,"%s"\n' "$phase_index" "$name" "$start" "$end" \
    "${plan//\"/\"\"}" >>"$OUT/phases.csv"
  say "phase $phase_index $name: $(((end - start) / 1000)) s"
}

plan_index=0
while true; do
  left_s=$(((load_end_ms - $(now_ms)) / 1000))
  if [ "$left_s" -ge $((FAULT_SECONDS + CLEAR_SECONDS + TAIL_CLEAR_SECONDS)) ]; then
    entry=${PLANS[$((plan_index % ${#PLANS[@]}))]}
    plan_index=$((plan_index + 1))
    run_phase "${entry%%|*}" "${entry#*|}" "$FAULT_SECONDS"
    run_phase clear '' "$CLEAR_SECONDS"
  else
    [ "$left_s" -ge 1 ] && run_phase clear '' "$left_s"
    break
  fi
done

# The streams' own durations end about now; they settle, check and exit.
long_exit=0 churn_exit=0 short_exit=0
wait "$long_pid" || long_exit=$?
wait "$churn_pid" || churn_exit=$?
wait "$short_pid" || short_exit=$?
load_done_ms=$(now_ms)

# --- recovery ---------------------------------------------------------------
put_file "$STAGE_FILE" recovery
# The bridge keeps a task's upstream stream for --stream-linger (5 s) after
# its last caller: wait until the emulator has none open (60 s at most),
# then until the bridge's fds are back near the baseline (30 s at most).
baseline_fds=$(awk -F, '$2 == "baseline" && $6 >= 0 { print $6 }' "$OUT/samples.csv" | sort -n | tail -n 1)
FD_SLACK=${FD_SLACK:-8}
for _ in $(seq 1 300); do
  [ "$(emulator_stats_open)" = 0 ] && break
  sleep 0.2
done
upstream_closed_ms=$(now_ms)
for _ in $(seq 1 150); do
  kill -0 "$bridge_pid" 2>/dev/null || break  # Gone: the report says so.
  read -r _ _ _ fds <<<"$(proc_sample "$bridge_pid")"
  [ "$fds" -ge 0 ] && [ "$fds" -le $((baseline_fds + FD_SLACK)) ] && break
  sleep 0.2
done
recovery_samples=$(($(sample_count recovery) + 5))
wait_samples recovery "$recovery_samples"
kill "$sampler_pid" 2>/dev/null || true
wait "$sampler_pid" 2>/dev/null || true
sample_once  # The final sample, after the sampler stopped.

# --- shutdown ---------------------------------------------------------------
bridge_alive=0
kill -0 "$bridge_pid" 2>/dev/null && bridge_alive=1
bridge_exit=-1
if [ "$bridge_alive" = 1 ]; then
  kill -TERM "$bridge_pid"
  for _ in $(seq 1 400); do
    kill -0 "$bridge_pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$bridge_pid" 2>/dev/null; then
    kill -KILL "$bridge_pid" 2>/dev/null || true
    say "neo-bridge did not exit within 40 s of SIGTERM"
    bridge_exit=-9
    wait "$bridge_pid" 2>/dev/null || true
  else
    bridge_exit=0
    wait "$bridge_pid" || bridge_exit=$?
  fi
else
  # Gone before the end: its status, if it can still be collected.
  wait "$bridge_pid" 2>/dev/null || bridge_exit=$?
fi
stop_pid "$emulator_pid"

python3 - "$OUT/meta.json" <<PY
import json, sys
json.dump({
    "load_s": $LOAD_S, "load_start_ms": $load_start_ms, "load_end_ms": $load_end_ms,
    "load_done_ms": $load_done_ms, "upstream_closed_ms": $upstream_closed_ms,
    "sample_seconds": $SAMPLE_SECONDS, "fault_seconds": $FAULT_SECONDS,
    "clear_seconds": $CLEAR_SECONDS, "baseline_fds": $baseline_fds,
    "bridge_alive_at_end": bool($bridge_alive), "bridge_exit": $bridge_exit,
    "long_exit": $long_exit, "churn_exit": $churn_exit, "short_loop_exit": $short_exit,
    "long_streams": $LONG_STREAMS, "churn_streams": $CHURN_STREAMS,
    "churn_lifetime": "$CHURN_LIFETIME", "unary_rate": $UNARY_RATE,
    "bridge_bin": "$BRIDGE_BIN", "stream_load": "$STREAM_LOAD",
    "cores": $(nproc), "loadavg_at_end": "$(cut -d' ' -f1-3 /proc/loadavg)",
}, open(sys.argv[1], "w"), indent=1)
PY
rm -f "$STAGE_FILE" "$PHASE_FILE"

status=0
# shellcheck disable=SC2086  # REPORT_ARGS holds several flags.
python3 benchmarks/soak_report.py "$OUT" --svg "$OUT/soak.svg" $REPORT_ARGS \
  >"$OUT/report.txt" || status=$?
cat "$OUT/report.txt"
say "samples, logs and report in $OUT"
exit "$status"
