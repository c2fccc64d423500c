#!/usr/bin/env bash
# Configures and builds everything C++ into build/ (after ./setup.sh).
# Extra arguments go to `cmake --build`, e.g. ./build.sh --target neo-bridge.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
BUILD_DIR=${BUILD_DIR:-build}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}"
fi
cmake --build "$BUILD_DIR" -j "${JOBS:-$(nproc)}" "$@"
