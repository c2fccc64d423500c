#!/usr/bin/env bash
# Sets up, builds, and runs the whole test suite with ctest: unit, service,
# integration, clients, lint and (bounded) fuzz tests. CI runs exactly this.
# Extra arguments go to ctest, e.g. ./test.sh -L unit.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
./setup.sh --with-test-tools
./build.sh
# The Python, Go, Node and Java client examples, with their own tooling.
client_examples/build_all.sh
# The libFuzzer targets need clang: a second, small build of just those.
FUZZ_DIR=${FUZZ_DIR:-build-fuzz}
if [ ! -f "$FUZZ_DIR/build.ninja" ]; then
  cmake -S . -B "$FUZZ_DIR" -G Ninja -DCMAKE_CXX_COMPILER=clang++ \
    -DNEOBRIDGE_FUZZ=ON -DNEOBRIDGE_BUILD_TESTS=OFF >/dev/null
fi
cmake --build "$FUZZ_DIR" --target fuzzers -j "${JOBS:-$(nproc)}"
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j "${JOBS:-$(nproc)}" "$@"
