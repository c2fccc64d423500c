#!/usr/bin/env bash
# Builds the project with clang's sanitizers and runs the bridge's and the
# emulator's own C++ suites there (ctest labels unit, service, integration,
# faults, security; not lint, clients, image, bench, fuzz, soak).
#
#   tests/sanitizers/run.sh asan [ctest args]   # ASan + UBSan in build-asan
#   tests/sanitizers/run.sh tsan [ctest args]   # TSan in build-tsan
#
# The tsan mode first builds Debian's abseil with TSan (build_tsan_absl.sh,
# cached in build-tsan-absl) and runs the tests with it on LD_LIBRARY_PATH,
# so absl::Mutex, in our code and in gRPC, is visible to TSan.
# Reports fail the test that caused them; the run options and suppressions
# are the files beside this script. Env: JOBS (default nproc),
# ASAN_BUILD_DIR, TSAN_BUILD_DIR, TSAN_ABSL_DIR.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
here=$PWD/tests/sanitizers
jobs=${JOBS:-$(nproc)}
mode=${1:-}
shift || true
labels='^(unit|service|integration|faults|security)$'

say() { printf 'sanitizers(%s): %s\n' "$mode" "$*"; }

case "$mode" in
  asan) dir=${ASAN_BUILD_DIR:-build-asan}; sanitize=address,undefined ;;
  tsan) dir=${TSAN_BUILD_DIR:-build-tsan}; sanitize=thread ;;
  *) echo "usage: $0 asan|tsan [ctest args]" >&2; exit 2 ;;
esac

start=$SECONDS
if [ "$mode" = tsan ]; then
  absl_lib=$("$here/build_tsan_absl.sh" "${TSAN_ABSL_DIR:-build-tsan-absl}" | tail -n1)
  say "abseil with TSan ready after $((SECONDS - start)) s"
fi

# -O1 and line tables only: sanitizer reports keep file:line, the build stays
# fast. Benchmarks and client examples are not built (NEOBRIDGE_BUILD_EXTRAS).
if [ ! -f "$dir/build.ninja" ]; then
  cmake -S . -B "$dir" -G Ninja -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" \
    -DNEOBRIDGE_SANITIZE="$sanitize" -DNEOBRIDGE_BUILD_EXTRAS=OFF \
    -DNEOBRIDGE_BUILD_TESTS=ON >/dev/null
fi
# TSan runs the multi-threaded suites that do not serve gRPC calls: the
# timer thread, the curl loop thread and its callers, the shared EventFeed
# fan-out (stream_hub_test), retries, and the emulator's libevent server.
# The suites on a gRPC server (service, stream integration, operations) are
# left out: Debian's gRPC is uninstrumented, and it hands calls, arenas,
# reactors and Statuses between its threads through its own atomics, which
# TSan cannot see, so every call yields reports no suppression could tell
# apart from ours (see tests/sanitizers/README.md). Single-threaded unit
# suites gain nothing from TSan and stay with ASan.
tsan_targets=(timer_queue_test stream_hub_test fake_http_transport_test
              curl_transport_test rest_neo_client_test upstream_retry_test
              upstream_tls_test emulator_fault_test emulator_contract_test
              emulator_tls_test)
build_start=$SECONDS
if [ "$mode" = tsan ]; then
  cmake --build "$dir" -j "$jobs" --target "${tsan_targets[@]}"
else
  cmake --build "$dir" -j "$jobs"
fi
say "build took $((SECONDS - build_start)) s"

# For every process the tests start (the neo-bridge binary under test
# included, which inherits the environment). The first report ends the
# process with a non-zero status, so the test fails.
case "$mode" in
  asan)
    export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1:suppressions=$here/asan.supp"
    export LSAN_OPTIONS="suppressions=$here/lsan.supp"
    export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$here/ubsan.supp"
    ;;
  tsan)
    export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$here/tsan.supp"
    export LD_LIBRARY_PATH="$absl_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    ;;
esac

select=()
if [ "$mode" = tsan ]; then
  # Exactly the test suites of those binaries (ctest names are Suite.Test).
  suites=$(for target in "${tsan_targets[@]}"; do
             find "$dir" -type f -name "$target" -perm -u+x -print -quit
           done | while read -r binary; do
             "$binary" --gtest_list_tests | sed -n 's|^\([A-Za-z0-9_/]*\)\..*|\1|p'
           done | sort -u | paste -sd'|')
  select=(-R "^($suites)\\.")
fi

test_start=$SECONDS
status=0
ctest --test-dir "$dir" -L "$labels" "${select[@]}" --output-on-failure \
  -j "$jobs" --timeout 600 "$@" || status=$?
say "tests took $((SECONDS - test_start)) s, $((SECONDS - start)) s in all"
exit "$status"
