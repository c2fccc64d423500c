#!/usr/bin/env bash
# Unary side by side, the "unary" part of benchmarks/run.sh: GetTask and
# ListTasks through neo-bridge (gRPC, unary_load), against the same REST
# call made straight to neo-emulator and through nginx (proxy_pass with
# upstream keep-alive) in front of the same emulator (HTTP/1.1, http_load).
# Everything runs on loopback, on free ports.
#
# For each method: a saturation run (closed loop, CONCURRENCY in flight)
# against each of the three targets, then fixed offered loads (open loop:
# RATES, then 50 % of the bridge's saturation throughput), the three targets
# interleaved at each load. Every run reports throughput, latency
# percentiles, and the CPU time of the proxy under test (neo-bridge; nginx's
# master and workers) and of the emulator, read from /proc/PID/stat before
# and after, per 1,000 requests. Writes benchmarks/results/unary.json (the
# part format of report.py) and prints a summary on stderr.
#
#   benchmarks/unary_bench.sh             # full run: about 3 minutes
#   SMOKE=1 benchmarks/unary_bench.sh     # smoke run (CI): about 30 s
#
# Settings (environment):
#   DURATION      seconds of each run, after its warm-up (5; smoke 1)
#   WARMUP        uncounted start of each run (1s; smoke 300ms)
#   RATES         fixed offered loads, requests/s ("1000 5000"; smoke "200");
#                 50 % of the bridge's saturation throughput always follows
#   METHODS       "GetTask ListTasks"
#   CONCURRENCY   calls in flight at saturation (32; smoke 4)
#   CHANNELS      gRPC channels, one connection each (4)
#   CONNECTIONS   HTTP keep-alive connections at fixed loads (16)
#   TASKS         tasks created, cycled through by GetTask (20)
#   BRIDGE_LOG_LEVEL  info (the bridge's default: one access-log line per
#                 call); warn drops those lines, like nginx's access_log off
#   MAX_INFLIGHT_UPSTREAM  1000 (the bridge's default): beyond it calls fail
#                 fast with RESOURCE_EXHAUSTED, so an overload sheds load
#   LOAD_NICE     -5: the load tools run at a higher priority than the
#                 servers (when allowed), so that on a busy machine they keep
#                 their schedule and delay shows in the target, not the client
#   BRIDGE_BIN, EMULATOR_BIN  binaries (default: from BUILD_DIR)
#   NGINX         nginx binary (nginx)
#   BUILD_DIR (build), SKIP_BUILD (0), JOBS (2)
#   KEEP_LOGS     0: the logs are deleted after a successful run
# Exit status: 0 when every run produced a result, and every saturation run
# (every run, with SMOKE=1) some successes; the figures themselves are never
# checked here.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SMOKE=${SMOKE:-0}
if [ "$SMOKE" = 1 ]; then
  DURATION=${DURATION:-1}
  WARMUP=${WARMUP:-300ms}
  RATES=${RATES:-200}
  CONCURRENCY=${CONCURRENCY:-4}
fi
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-1s}
RATES=${RATES:-1000 5000}
METHODS=${METHODS:-GetTask ListTasks}
CONCURRENCY=${CONCURRENCY:-32}
CHANNELS=${CHANNELS:-4}
CONNECTIONS=${CONNECTIONS:-16}
TASKS=${TASKS:-20}
BRIDGE_LOG_LEVEL=${BRIDGE_LOG_LEVEL:-info}
MAX_INFLIGHT_UPSTREAM=${MAX_INFLIGHT_UPSTREAM:-1000}
LOAD_NICE=${LOAD_NICE:--5}
BUILD_DIR=${BUILD_DIR:-build}
SKIP_BUILD=${SKIP_BUILD:-0}
JOBS=${JOBS:-2}
KEEP_LOGS=${KEEP_LOGS:-0}
NGINX=${NGINX:-nginx}
# free_port, start_nginx.
# shellcheck source=benchmarks/nginx/start_nginx.sh
source benchmarks/nginx/start_nginx.sh
RESULTS_DIR=benchmarks/results
RESULT_JSON=$RESULTS_DIR/unary.json
ORG=acme
TOKEN=pul-emulator-alice

say() { printf 'unary: %s\n' "$*" >&2; }
die() { say "$*"; exit 2; }

for name in DURATION CONCURRENCY CHANNELS CONNECTIONS TASKS MAX_INFLIGHT_UPSTREAM; do
  [[ ${!name} =~ ^[1-9][0-9]*$ ]] || die "$name must be a positive integer (got '${!name}')"
done
for rate in $RATES; do
  [[ $rate =~ ^[1-9][0-9]*$ ]] || die "RATES must be positive integers (got '$rate')"
done
for method in $METHODS; do
  [[ $method == GetTask || $method == ListTasks ]] ||
    die "METHODS may hold GetTask and ListTasks (got '$method')"
done
[[ $LOAD_NICE =~ ^-?[0-9]+$ ]] || die "LOAD_NICE must be an integer (got '$LOAD_NICE')"
[[ $WARMUP =~ ^[0-9]+(\.[0-9]+)?(ms|s)$ ]] || die "WARMUP must be a duration like 1s or 300ms (got '$WARMUP')"

# --- build ------------------------------------------------------------------
targets=(neo-bridge neo-emulator unary_load http_load)
if [ "$SKIP_BUILD" != 1 ]; then
  if [ -f "$BUILD_DIR/build.ninja" ]; then
    cmake --build "$BUILD_DIR" -j "$JOBS" --target "${targets[@]}" >&2
  else
    BUILD_DIR=$BUILD_DIR JOBS=$JOBS ./build.sh --target "${targets[@]}" >&2
  fi
fi
BRIDGE_BIN=${BRIDGE_BIN:-$BUILD_DIR/bridge/server/neo-bridge}
EMULATOR_BIN=${EMULATOR_BIN:-$BUILD_DIR/emulator/neo-emulator}
UNARY_LOAD=$BUILD_DIR/benchmarks/unary_load
HTTP_LOAD=$BUILD_DIR/benchmarks/http_load
for bin in "$EMULATOR_BIN" "$BRIDGE_BIN" "$UNARY_LOAD" "$HTTP_LOAD"; do
  [ -x "$bin" ] || die "$bin not built (run ./setup.sh && ./build.sh)"
done
command -v "$NGINX" >/dev/null || die "$NGINX not found (./setup.sh installs the nginx package)"
command -v curl >/dev/null || die "curl not found"
command -v python3 >/dev/null || die "python3 not found"

# One fd per client connection and upstream connection, with room to spare.
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 8192 ]; then
  ulimit -n "$(ulimit -Hn | sed 's/unlimited/8192/')" 2>/dev/null || true
fi

# --- processes --------------------------------------------------------------
LOG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/unary_bench.XXXXXX")
chmod 755 "$LOG_DIR"  # nginx's workers run as another user when started as root.
pids=()
succeeded=0
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$succeeded" = 1 ] && [ "$KEEP_LOGS" != 1 ]; then
    rm -rf "$LOG_DIR"
  else
    say "logs in $LOG_DIR"
  fi
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

"$EMULATOR_BIN" --listen 127.0.0.1:0 --agent-step-delay 0 \
  >"$LOG_DIR/emulator.out" 2>"$LOG_DIR/emulator.err" &
emulator_pid=$!
pids+=("$emulator_pid")
line=$(wait_for_line "$LOG_DIR/emulator.out" 'listening on http://' "$emulator_pid") ||
  { cat "$LOG_DIR/emulator.err" >&2; die "neo-emulator did not start"; }
upstream_url=${line##* }
emulator_addr=${upstream_url#http://}
emulator_port=${emulator_addr##*:}

# start_bridge LISTEN: starts neo-bridge on LISTEN (HOST:PORT) in the
# background, setting bridge_pid.
start_bridge() {
  NEO_BRIDGE_UPSTREAM_URL=$upstream_url \
  PULUMI_ACCESS_TOKEN=$TOKEN \
  NEO_BRIDGE_SERVICE_TOKEN_POLICY=open \
  NEO_BRIDGE_DEFAULT_ORG=$ORG \
    "$BRIDGE_BIN" --listen "$1" --metrics-listen 127.0.0.1:0 \
      --max-inflight-upstream "$MAX_INFLIGHT_UPSTREAM" \
      --log-level "$BRIDGE_LOG_LEVEL" 2>>"$LOG_DIR/bridge.log" &
  bridge_pid=$!
}
bridge_pid='' bridge_addr=''
if [[ $BRIDGE_LOG_LEVEL == info || $BRIDGE_LOG_LEVEL == debug ]]; then
  # Port 0; the bound address is in the "listening" line (info).
  start_bridge 127.0.0.1:0
  pids+=("$bridge_pid")
  line=$(wait_for_line "$LOG_DIR/bridge.log" '"msg":"listening"' "$bridge_pid") ||
    { cat "$LOG_DIR/bridge.log" >&2; die "neo-bridge did not start"; }
  bridge_addr=$(printf '%s\n' "$line" | sed -n 's/.*"address":"\([^"]*\)".*/\1/p')
  [ -n "$bridge_addr" ] || die "no address in the bridge's listening line: $line"
else
  # No "listening" line below info: a port that was free a moment ago,
  # retried when taken meanwhile.
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    start_bridge "127.0.0.1:$port"
    for _ in $(seq 1 100); do
      kill -0 "$bridge_pid" 2>/dev/null || break
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        bridge_addr=127.0.0.1:$port
        break
      fi
      sleep 0.1
    done
    # Still running: the port was its own, not another process's.
    sleep 0.3
    kill -0 "$bridge_pid" 2>/dev/null || bridge_addr=''
    if [ -n "$bridge_addr" ]; then pids+=("$bridge_pid"); break; fi
    kill "$bridge_pid" 2>/dev/null || true
    wait "$bridge_pid" 2>/dev/null || true
    say "neo-bridge did not start on port $port (attempt $attempt)"
  done
  [ -n "$bridge_addr" ] || { cat "$LOG_DIR/bridge.log" >&2; die "neo-bridge did not start"; }
fi

start_nginx "$emulator_port"
say "neo-emulator $emulator_addr (pid $emulator_pid), neo-bridge $bridge_addr (pid $bridge_pid), nginx $nginx_addr (pid $nginx_pid)"

# --- tasks ------------------------------------------------------------------
task_ids=()
for i in $(seq 1 "$TASKS"); do
  body=$(curl -sf -H "Authorization: token $TOKEN" -H 'Content-Type: application/json' \
    -d "{\"message\":{\"content\":\"unary bench task $i\"}}" \
    "$upstream_url/api/preview/agents/$ORG/tasks") || die "cannot create a task on the emulator"
  id=$(printf '%s' "$body" | sed -n 's/.*"taskId":"\([^"]*\)".*/\1/p')
  [ -n "$id" ] || die "no taskId in the emulator's answer: $body"
  task_ids+=("$id")
done
task_list=$(IFS=,; printf '%s' "${task_ids[*]}")

# --- measurement ------------------------------------------------------------
CLK_TCK=$(getconf CLK_TCK)
# cpu_ticks PID...: user + system CPU time of the processes (all threads),
# in clock ticks. The fields after the command name (which may hold spaces)
# start at field 3; utime and stime are fields 14 and 15.
cpu_ticks() {
  local total=0 pid rest
  local -a fields
  for pid in "$@"; do
    rest=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null) || continue
    read -ra fields <<<"$rest"
    total=$((total + fields[11] + fields[12]))
  done
  printf '%s\n' "$total"
}
# proxy_ticks TARGET: CPU ticks of the proxy under test: neo-bridge, or
# nginx's master and workers; 0 for the emulator alone.
proxy_ticks() {
  local -a procs
  case $1 in
    bridge) cpu_ticks "$bridge_pid" ;;
    nginx)
      mapfile -t procs < <(printf '%s\n' "$nginx_pid"; pgrep -P "$nginx_pid" || true)
      cpu_ticks "${procs[@]}" ;;
    *) echo 0 ;;
  esac
}

RUNS=$LOG_DIR/runs.jsonl
: >"$RUNS"
failures=0

# settle: waits (at most 10 s) until the bridge, nginx and the emulator are
# idle (at most 2 CPU ticks together in 200 ms), so that no run inherits the
# previous one's backlog; prints the seconds waited.
settle() {
  local before after waited=0
  local -a procs
  mapfile -t procs < <(printf '%s\n' "$bridge_pid" "$emulator_pid" "$nginx_pid"; pgrep -P "$nginx_pid" || true)
  before=$(cpu_ticks "${procs[@]}")
  while [ "$waited" -lt 50 ]; do
    sleep 0.2
    waited=$((waited + 1))
    after=$(cpu_ticks "${procs[@]}")
    [ $((after - before)) -le 2 ] && break
    before=$after
  done
  awk -v n="$waited" 'BEGIN { printf "%.1f", n * 0.2 }'
}

# run_case METHOD TARGET RATE LEVEL: one run (RATE 0 = saturation), its
# client summary and CPU figures appended to $RUNS as one JSON line.
run_case() {
  local method=$1 target=$2 rate=$3 level=$4 out err status=0
  local -a cmd
  out=$LOG_DIR/$method.$target.$level.json
  err=$LOG_DIR/$method.$target.$level.err
  case $target in
    bridge)
      cmd=("$UNARY_LOAD" --target="$bridge_addr" --channels="$CHANNELS" --token="$TOKEN" --org="$ORG") ;;
    direct)
      cmd=("$HTTP_LOAD" --target="$emulator_addr" --connections="$CONNECTIONS" --token="$TOKEN" --org="$ORG") ;;
    nginx)
      cmd=("$HTTP_LOAD" --target="$nginx_addr" --connections="$CONNECTIONS" --token="$TOKEN" --org="$ORG") ;;
  esac
  cmd+=(--method="$method" --rate="$rate" --concurrency="$CONCURRENCY"
        --duration="${DURATION}s" --warmup="$WARMUP" --page-size=10
        --task-ids="$task_list")
  local proxy_before emu_before proxy_after emu_after started ended settled
  settled=$(settle)
  proxy_before=$(proxy_ticks "$target")
  emu_before=$(cpu_ticks "$emulator_pid")
  started=$(date +%s.%N)
  timeout --kill-after=5 "$((DURATION + 60))" nice -n "$LOAD_NICE" "${cmd[@]}" \
    >"$out" 2>"$err" || status=$?
  ended=$(date +%s.%N)
  proxy_after=$(proxy_ticks "$target")
  emu_after=$(cpu_ticks "$emulator_pid")
  local client
  client=$(tail -n 1 "$out" 2>/dev/null || true)
  if [[ $client != \{* ]]; then
    say "$method $target $level: no result (exit $status): $(tail -n 3 "$err" | tr '\n' ' ')"
    failures=$((failures + 1))
    client='null'
  fi
  printf '{"method":"%s","target":"%s","level":"%s","rate":%s,"exit":%s,"settle_s":%s,"wall_s":%s,"proxy_cpu_s":%s,"emulator_cpu_s":%s,"client":%s}\n' \
    "$method" "$target" "$level" "$rate" "$status" "$settled" \
    "$(awk -v a="$started" -v b="$ended" 'BEGIN { printf "%.3f", b - a }')" \
    "$(awk -v t="$((proxy_after - proxy_before))" -v hz="$CLK_TCK" -v x="$target" 'BEGIN { if (x == "direct") print "null"; else printf "%.2f", t / hz }')" \
    "$(awk -v t="$((emu_after - emu_before))" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t / hz }')" \
    "$client" >>"$RUNS"
  # One progress line.
  python3 - "$RUNS" <<'PY' >&2
import json, sys
run = json.loads(open(sys.argv[1]).read().splitlines()[-1])
c = run["client"] or {}
lat = c.get("latency_us", {})
all_ok = c.get("all_ok") or 0
cpu = run["proxy_cpu_s"]
per_k = f", proxy CPU {1000 * cpu / all_ok:.3f} s/1k" if cpu is not None and all_ok else ""
settled = f" (after {run['settle_s']} s settling)" if run["settle_s"] >= 1 else ""
print(f"unary: {run['method']} {run['target']} {run['level']}{settled}: "
      f"{c.get('throughput_rps', 0):.0f} req/s, p50 {lat.get('p50', 0) / 1000:.2f} ms, "
      f"p99 {lat.get('p99', 0) / 1000:.2f} ms, errors {sum(c.get('errors', {}).values())}"
      f"{per_k}")
PY
  # Nothing succeeded: the harness is broken (saturation, smoke), or a
  # fixed load overwhelmed the target (a result, reported as such).
  if [[ $client != null ]] && [[ $client == *'"ok":0,'* ]]; then
    if [ "$level" = saturation ] || [ "$SMOKE" = 1 ]; then
      say "$method $target $level: no request succeeded"
      failures=$((failures + 1))
    else
      say "$method $target $level: no request succeeded (overloaded?)"
    fi
  fi
}

started_all=$SECONDS
for method in $METHODS; do
  for target in bridge direct nginx; do
    run_case "$method" "$target" 0 saturation
  done
  # 50 % of the bridge's saturation throughput, rounded down to 10/s.
  half=$(python3 - "$RUNS" "$method" <<'PY'
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
sat = [r for r in runs if r["method"] == sys.argv[2] and r["target"] == "bridge"
       and r["level"] == "saturation" and r["client"]]
rps = sat[-1]["client"]["throughput_rps"] if sat else 0
print(max(10, int(rps / 2 / 10) * 10))
PY
)
  for rate in $RATES; do
    for target in bridge direct nginx; do
      run_case "$method" "$target" "$rate" "$rate"
    done
  done
  for target in bridge direct nginx; do
    run_case "$method" "$target" "$half" half
  done
done
say "all runs took $((SECONDS - started_all)) s"

# --- report -----------------------------------------------------------------
log_warnings=$(grep -c '"level":"warn"' "$LOG_DIR/bridge.log" || true)
log_errors=$(grep -c '"level":"error"' "$LOG_DIR/bridge.log" || true)
kill -0 "$bridge_pid" 2>/dev/null || { say "neo-bridge exited during the run"; failures=$((failures + 1)); }
mkdir -p "$RESULTS_DIR"
python3 benchmarks/unary_part.py --runs "$RUNS" --out "$RESULT_JSON" \
  --set smoke="$SMOKE" --set duration_s="$DURATION" --set warmup="$WARMUP" \
  --set rates="$RATES" --set methods="$METHODS" --set concurrency="$CONCURRENCY" \
  --set channels="$CHANNELS" --set connections="$CONNECTIONS" --set tasks="$TASKS" \
  --set bridge_log_level="$BRIDGE_LOG_LEVEL" --set bridge_bin="$BRIDGE_BIN" \
  --set max_inflight_upstream="$MAX_INFLIGHT_UPSTREAM" --set load_nice="$LOAD_NICE" \
  --set nginx="$("$NGINX" -v 2>&1 | sed 's/.*version: //')" \
  --set bridge_version="$("$BRIDGE_BIN" --version 2>&1 | head -n 1)" \
  --set bridge_log_warnings="$log_warnings" --set bridge_log_errors="$log_errors"
say "wrote $RESULT_JSON"

if [ "$failures" -gt 0 ]; then
  say "$failures run(s) failed"
  exit 1
fi
succeeded=1
