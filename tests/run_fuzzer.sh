#!/usr/bin/env bash
# Runs a libFuzzer target for a bounded time over a copy of its committed
# seed corpus. Usage: run_fuzzer.sh FUZZER_BINARY CORPUS_DIR SECONDS
set -euo pipefail
fuzzer=$1 corpus=$2 seconds=$3
if [ ! -x "$fuzzer" ]; then
  echo "fuzzer $fuzzer is not built: ./test.sh builds it (clang, -DNEOBRIDGE_FUZZ=ON, in build-fuzz/)" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$corpus"/. "$work/corpus"
mkdir -p "$work/artifacts"
"$fuzzer" -max_total_time="$seconds" -print_final_stats=1 \
  -artifact_prefix="$work/artifacts/" "$work/corpus" 2>&1 | tail -n 25
status=${PIPESTATUS[0]}
if [ "$status" -ne 0 ]; then
  echo "fuzzer found a crash; reproducer:" >&2
  ls "$work/artifacts" >&2
  for f in "$work"/artifacts/*; do base64 "$f" >&2; done
fi
exit "$status"
