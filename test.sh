#!/usr/bin/env bash
# Sets up, builds, and runs the whole test suite (unit, service, integration
# and lint tests) with ctest. CI runs exactly this.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
./setup.sh
./build.sh
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j "${JOBS:-$(nproc)}" "$@"
