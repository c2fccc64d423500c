#!/usr/bin/env bash
# The side-by-side benchmark harness, in one command: neo-bridge against the
# direct REST call and against nginx, all on loopback, bounded in time.
#
#   benchmarks/run.sh            # full run (under 10 minutes)
#   SMOKE=1 benchmarks/run.sh    # smoke run (CI, ctest bench.harness_smoke)
#
# Builds the tools (unless SKIP_BUILD=1), then runs the parts in order, each
# under `timeout` and each writing benchmarks/results/<part>.json:
#   unary_bench.sh    GetTask / ListTasks: bridge vs. direct vs. nginx
#   streams_bench.sh  } when present and executable (the stream, relay and
#   relay_bench.sh    } fan-out parts)
#   fanout_bench.sh   }
# and finally report.py, which prints the combined Markdown report and
# writes benchmarks/results/summary.json and the SVG plots. The part file
# format is described in report.py and benchmarks/README.md.
#
# Settings (environment): SMOKE (0), BUILD_DIR (build), SKIP_BUILD (0),
# JOBS (2), PARTS (the parts to run, e.g. "unary relay"; default all),
# PART_TIMEOUT seconds per part (300; smoke 60), TOTAL_TIMEOUT seconds for
# all parts together (570; smoke 150); every part's own settings (see its
# script) pass through.
# Exit status: 0 when every part and the report succeeded, 1 otherwise.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SMOKE=${SMOKE:-0}
BUILD_DIR=${BUILD_DIR:-build}
SKIP_BUILD=${SKIP_BUILD:-0}
JOBS=${JOBS:-2}
PARTS=${PARTS:-unary streams relay fanout}
if [ "$SMOKE" = 1 ]; then
  PART_TIMEOUT=${PART_TIMEOUT:-60}
  TOTAL_TIMEOUT=${TOTAL_TIMEOUT:-150}
fi
PART_TIMEOUT=${PART_TIMEOUT:-300}
TOTAL_TIMEOUT=${TOTAL_TIMEOUT:-570}
RESULTS_DIR=benchmarks/results

say() { printf 'run: %s\n' "$*" >&2; }
for name in PART_TIMEOUT TOTAL_TIMEOUT; do
  [[ ${!name} =~ ^[1-9][0-9]*$ ]] || { say "$name must be a positive integer (got '${!name}')"; exit 2; }
done

# Everything any part needs, built once (CMake target bench_tools: see
# unary.cmake); the parts then skip their own build.
if [ "$SKIP_BUILD" != 1 ]; then
  if [ -f "$BUILD_DIR/build.ninja" ]; then
    cmake --build "$BUILD_DIR" -j "$JOBS" --target bench_tools >&2
  else
    BUILD_DIR=$BUILD_DIR JOBS=$JOBS ./build.sh --target bench_tools >&2
  fi
fi
export SMOKE BUILD_DIR JOBS
export SKIP_BUILD=1

mkdir -p "$RESULTS_DIR"
failed=()
started=$SECONDS
for part in $PARTS; do
  script=benchmarks/${part}_bench.sh
  if [ ! -x "$script" ]; then
    [ "$part" = unary ] && { say "$script missing"; failed+=("$part"); }
    [ "$part" != unary ] && say "skipping $part: no executable $script"
    continue
  fi
  # A stale result must not pass for this run's.
  rm -f "$RESULTS_DIR/$part.json"
  # Each part gets PART_TIMEOUT, and never more than what is left of
  # TOTAL_TIMEOUT.
  limit=$((TOTAL_TIMEOUT - (SECONDS - started)))
  [ "$limit" -gt "$PART_TIMEOUT" ] && limit=$PART_TIMEOUT
  if [ "$limit" -le 0 ]; then
    say "part $part not run: TOTAL_TIMEOUT (${TOTAL_TIMEOUT}s) used up"
    failed+=("$part")
    continue
  fi
  say "part $part (at most ${limit}s)"
  part_started=$SECONDS
  status=0
  timeout --kill-after=15 "$limit" "$script" || status=$?
  if [ "$status" != 0 ]; then
    if [ "$status" = 124 ]; then say "part $part timed out after ${limit}s"; fi
    say "part $part failed (exit $status)"
    failed+=("$part")
  elif [ ! -f "$RESULTS_DIR/$part.json" ]; then
    say "part $part wrote no $RESULTS_DIR/$part.json"
    failed+=("$part")
  fi
  say "part $part took $((SECONDS - part_started)) s"
done

status=0
# Only this run's parts: a part file left by an earlier run of a part not
# run now stays out of the report.
python3 benchmarks/report.py --results-dir "$RESULTS_DIR" --parts "$PARTS" || status=$?
[ "$status" = 0 ] || { say "report.py failed (exit $status)"; failed+=(report); }
say "done in $((SECONDS - started)) s; results in $RESULTS_DIR/"
if [ "${#failed[@]}" -gt 0 ]; then
  say "failed: ${failed[*]}"
  exit 1
fi
