# Shared by streams_bench.sh, relay_bench.sh and fanout_bench.sh (sourced,
# not run): building the tools, starting neo-emulator, neo-bridge and nginx
# on loopback and free ports, /proc sampling, and cleaning up.
#
# The sourcing script sets PART (its part name, for messages) and then calls
# bench_init, which creates LOG_DIR and installs the EXIT trap that stops
# every process started here (their pids are in `pids`). Settings read here:
# BUILD_DIR (build), SKIP_BUILD (0), JOBS (2), KEEP_LOGS (0: the logs are
# deleted after a successful run, i.e. after bench_succeeded), NGINX (nginx).

BUILD_DIR=${BUILD_DIR:-build}
SKIP_BUILD=${SKIP_BUILD:-0}
JOBS=${JOBS:-2}
KEEP_LOGS=${KEEP_LOGS:-0}
NGINX=${NGINX:-nginx}
# free_port, start_nginx.
# shellcheck source=benchmarks/nginx/start_nginx.sh
source benchmarks/nginx/start_nginx.sh
ORG=acme
TOKEN=pul-emulator-alice
RESULTS_DIR=benchmarks/results
EMULATOR_BIN=${EMULATOR_BIN:-$BUILD_DIR/emulator/neo-emulator}
BRIDGE_BIN=${BRIDGE_BIN:-$BUILD_DIR/bridge/server/neo-bridge}
CLK_TCK=$(getconf CLK_TCK)

say() { printf '%s: %s\n' "$PART" "$*" >&2; }
die() { say "$*"; exit 2; }

pids=()
bench_ok=0

bench_cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$bench_ok" = 1 ] && [ "$KEEP_LOGS" != 1 ]; then
    rm -rf "$LOG_DIR"
  else
    say "logs in $LOG_DIR"
  fi
}

# bench_init: LOG_DIR and the traps.
bench_init() {
  LOG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/${PART}_bench.XXXXXX")
  chmod 755 "$LOG_DIR"  # nginx's workers run as another user under root.
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

# bench_succeeded: keep no logs (unless KEEP_LOGS=1).
bench_succeeded() { bench_ok=1; }

# build_tools TARGET...: builds them unless SKIP_BUILD=1.
build_tools() {
  [ "$SKIP_BUILD" = 1 ] && return 0
  if [ -f "$BUILD_DIR/build.ninja" ]; then
    cmake --build "$BUILD_DIR" -j "$JOBS" --target "$@" >&2
  else
    BUILD_DIR=$BUILD_DIR JOBS=$JOBS ./build.sh --target "$@" >&2
  fi
}

# need_bins PATH...: dies unless each is executable.
need_bins() {
  local bin
  for bin in "$@"; do
    [ -x "$bin" ] || die "$bin not built (run ./setup.sh && ./build.sh, or drop SKIP_BUILD)"
  done
}

# raise_fd_limit N: at least N open files for this shell and its children.
raise_fd_limit() {
  local need=$1 hard
  [ "$(ulimit -n)" = unlimited ] && return 0
  [ "$(ulimit -n)" -ge "$need" ] && return 0
  hard=$(ulimit -Hn)
  if [ "$hard" != unlimited ] && [ "$hard" -lt "$need" ]; then
    die "need $need open files but the hard limit is $hard (raise it with ulimit -Hn, or run fewer streams)"
  fi
  ulimit -n "$need"
}

# wait_for_line FILE PATTERN PID [TENTHS]: waits (10 s) for a line matching
# PATTERN in FILE, printing it; fails if PID exits first.
wait_for_line() {
  local file=$1 pattern=$2 pid=$3 tenths=${4:-100} line
  for _ in $(seq 1 "$tenths"); do
    line=$(grep -m1 -E "$pattern" "$file" 2>/dev/null || true)
    if [ -n "$line" ]; then printf '%s\n' "$line"; return 0; fi
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# stop_pid PID: stops one process started here and forgets it.
stop_pid() {
  local pid=$1 kept=() p
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  for p in "${pids[@]}"; do [ "$p" != "$pid" ] && kept+=("$p"); done
  pids=("${kept[@]}")
}

# start_emulator NAME [FLAG...]: neo-emulator on a free port; sets
# emulator_pid, emulator_url (http://HOST:PORT), emulator_addr, emulator_port.
start_emulator() {
  local name=$1 line
  shift
  "$EMULATOR_BIN" --listen 127.0.0.1:0 "$@" \
    >"$LOG_DIR/$name.out" 2>"$LOG_DIR/$name.err" &
  emulator_pid=$!
  pids+=("$emulator_pid")
  line=$(wait_for_line "$LOG_DIR/$name.out" 'listening on http://' "$emulator_pid") ||
    { cat "$LOG_DIR/$name.err" >&2; die "neo-emulator did not start"; }
  emulator_url=${line##* }
  emulator_addr=${emulator_url#http://}
  emulator_port=${emulator_addr##*:}
}

# start_bridge NAME UPSTREAM_URL [FLAG...]: neo-bridge in front of it, with
# the service token open to every caller (loopback only); sets bridge_pid
# and bridge_addr.
start_bridge() {
  local name=$1 upstream=$2 line
  shift 2
  NEO_BRIDGE_UPSTREAM_URL=$upstream \
  PULUMI_ACCESS_TOKEN=$TOKEN \
  NEO_BRIDGE_SERVICE_TOKEN_POLICY=open \
  NEO_BRIDGE_DEFAULT_ORG=$ORG \
    "$BRIDGE_BIN" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 "$@" \
      2>"$LOG_DIR/$name.log" &
  bridge_pid=$!
  pids+=("$bridge_pid")
  line=$(wait_for_line "$LOG_DIR/$name.log" '"msg":"listening"' "$bridge_pid") ||
    { tail -n 20 "$LOG_DIR/$name.log" >&2; die "neo-bridge did not start"; }
  bridge_addr=$(printf '%s\n' "$line" | sed -n 's/.*"address":"\([^"]*\)".*/\1/p')
  [ -n "$bridge_addr" ] || die "no address in the bridge's listening line: $line"
}

# cpu_ticks PID...: user + system CPU time of the processes (all threads,
# living and exited), in clock ticks. The fields after the command name
# (which may hold spaces) start at field 3; utime and stime are fields 14
# and 15.
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

# proc_sample PID: "threads rss_kb hwm_kb fds" of a process ("-1 -1 -1 -1"
# once it is gone).
proc_sample() {
  local pid=$1 status fds
  if ! status=$(cat "/proc/$pid/status" 2>/dev/null); then
    echo "-1 -1 -1 -1"
    return
  fi
  fds=$(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
  printf '%s\n' "$status" | awk -v fds="$fds" '
    /^Threads:/ {t = $2} /^VmRSS:/ {r = $2} /^VmHWM:/ {h = $2}
    END {print t, r, h, fds}'
}

# thread_names PID: a JSON object of the process' thread names (comm) and
# how many threads have each, e.g. {"neo-bridge":1,"default-executo":4}.
thread_names() {
  cat /proc/"$1"/task/*/comm 2>/dev/null | sort | uniq -c |
    awk 'BEGIN { printf "{" }
         { n = $1; $1 = ""; sub(/^ /, ""); gsub(/["\\]/, "_");
           printf "%s\"%s\":%d", (i++ ? "," : ""), $0, n }
         END { print "}" }'
}

# json_line FILE: the last line of FILE when it is a JSON object, else null.
json_line() {
  local line
  line=$(tail -n 1 "$1" 2>/dev/null || true)
  if [[ $line == \{* ]]; then printf '%s\n' "$line"; else echo null; fi
}

# machine_json: cores, CPU model, OS and load average, for raw.config.
machine_json() {
  python3 - <<'PY'
import json, os, platform
model = ""
try:
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
except OSError:
    pass
pretty = ""
try:
    with open("/etc/os-release") as f:
        for line in f:
            if line.startswith("PRETTY_NAME="):
                pretty = line.split("=", 1)[1].strip().strip('"')
except OSError:
    pass
print(json.dumps({"cores": os.cpu_count(), "cpu": model, "os": pretty,
                  "loadavg_at_start": [round(x, 2) for x in os.getloadavg()]}))
PY
}
