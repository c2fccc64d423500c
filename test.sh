#!/usr/bin/env bash
# Sets up, builds, and runs the whole test suite with ctest: unit, service,
# integration, clients, lint and (bounded) fuzz tests. CI runs exactly this.
# Then the bridge's own C++ suites again under ASan + UBSan and under TSan
# (tests/sanitizers/run.sh); SANITIZERS="" skips those, SANITIZERS=asan runs
# one. Extra arguments go to the main ctest, e.g. ./test.sh -L unit.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
# setup.sh may fetch a newer Go toolchain here (see GO_TOOLCHAIN_VERSION).
export PATH="$PWD/.tools/go/bin:$PATH"
SANITIZERS=${SANITIZERS-asan tsan}

# Wall time of each step, printed as it ends and again at the end.
timings=()
timed() {
  local name=$1 start=$SECONDS status=0
  shift
  "$@" || status=$?
  timings+=("$name $((SECONDS - start)) s")
  printf 'test.sh: %s took %d s\n' "$name" "$((SECONDS - start))"
  return "$status"
}

timed setup ./setup.sh --with-test-tools
timed build ./build.sh
# The Python, Go, Node and Java client examples, with their own tooling.
timed client-examples client_examples/build_all.sh
# The libFuzzer targets need clang: a second, small build of just those.
FUZZ_DIR=${FUZZ_DIR:-build-fuzz}
if [ ! -f "$FUZZ_DIR/build.ninja" ]; then
  cmake -S . -B "$FUZZ_DIR" -G Ninja -DCMAKE_CXX_COMPILER=clang++ \
    -DNEOBRIDGE_FUZZ=ON -DNEOBRIDGE_BUILD_TESTS=OFF >/dev/null
fi
timed fuzz-build cmake --build "$FUZZ_DIR" --target fuzzers -j "${JOBS:-$(nproc)}"

# Each ctest run's output is kept to add its counts to the final line.
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
failed_runs=()
run_logged() {
  local name=$1
  shift
  local status=0
  # Not a pipe: timed has to run in this shell to record its time.
  timed "$name" "$@" > >(tee "$logs/$name.log") 2>&1 || status=$?
  wait $!  # for tee
  if [ "$status" -ne 0 ]; then
    failed_runs+=("$name")
  fi
}
run_logged ctest ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure \
  -j "${JOBS:-$(nproc)}" "$@"
for sanitizer in $SANITIZERS; do
  run_logged "$sanitizer" tests/sanitizers/run.sh "$sanitizer"
done

printf 'test.sh: %s\n' "${timings[@]}"
# ctest's summary: "NN% tests passed, F tests failed out of T".
passed=0 failed=0
for log in "$logs"/*.log; do
  line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n1 || true)
  if [ -z "$line" ]; then
    # No summary: a run that failed stopped before testing (a build error).
    if [[ " ${failed_runs[*]} " == *" $(basename "$log" .log) "* ]]; then
      failed=$((failed + 1))
    fi
    continue
  fi
  f=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
  t=$(sed -E 's/.* failed out of ([0-9]+).*/\1/' <<<"$line")
  passed=$((passed + t - f))
  failed=$((failed + f))
done
if [ "${#failed_runs[@]}" -gt 0 ]; then
  printf 'test.sh: failed: %s\n' "${failed_runs[*]}"
fi
echo "total: $passed passed, $failed failed"
[ "${#failed_runs[@]}" -eq 0 ]
