#!/usr/bin/env bash
# Builds Debian's own abseil (the source package of the installed libabsl-dev,
# Debian patches applied) with -fsanitize=thread as shared libraries with the
# same SONAMEs, so that a TSan run with LD_LIBRARY_PATH=<dir>/lib locks
# through an instrumented absl::Mutex in our code and in gRPC alike.
# The Debian build's ABI options are kept: C++17 and the patched options.h
# (own any/optional/string_view/variant, inline namespace debian3, hardened).
#
# Usage: tests/sanitizers/build_tsan_absl.sh [DIR]   (default build-tsan-absl)
# Prints the library directory on its last line. A second run with the same
# libabsl-dev version, compiler and script is a no-op (DIR/stamp).
# Needs a deb-src entry for Debian (setup.sh --with-test-tools adds it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
dir=$(realpath -m "${1:-build-tsan-absl}")
jobs=${JOBS:-$(nproc)}

say() { printf 'tsan-absl: %s\n' "$*" >&2; }

version=$(dpkg-query -W -f='${Version}' libabsl-dev)
stamp="libabsl-dev $version; $(clang++ --version | head -n1); $(sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1)"
if [ -f "$dir/stamp" ] && [ "$(cat "$dir/stamp")" = "$stamp" ] &&
   [ -e "$dir/lib/libabsl_synchronization.so.20220623" ]; then
  say "up to date ($dir)"
  echo "$dir/lib"
  exit 0
fi

rm -rf "$dir"
mkdir -p "$dir/src"
say "fetching the Debian source of abseil $version"
if ! (cd "$dir/src" && apt-get source -qq "abseil=$version" >/dev/null 2>"$dir/src/apt.log"); then
  cat "$dir/src/apt.log" >&2
  say "apt-get source failed: run ./setup.sh --with-test-tools (it adds the deb-src entry)"
  exit 1
fi
src=$(find "$dir/src" -mindepth 1 -maxdepth 1 -type d -name 'abseil-*' | head -n1)

# What debian/rules passes (CMAKE_CXX_STANDARD=17, BUILD_SHARED_LIBS=ON),
# built with clang and ThreadSanitizer instead of the packaging flags. The
# shared libraries leave the __tsan_* symbols to the (TSan) executable.
flags="-fsanitize=thread -O1 -gline-tables-only -fno-omit-frame-pointer"
say "configuring and building ($jobs jobs)"
cmake -S "$src" -B "$dir/build" -G Ninja \
  -DCMAKE_BUILD_TYPE=None \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=thread" \
  -DCMAKE_CXX_STANDARD=17 -DBUILD_SHARED_LIBS=ON -DBUILD_TESTING=OFF \
  -DCMAKE_INSTALL_PREFIX="$dir/install" -DCMAKE_INSTALL_LIBDIR=lib \
  >"$dir/configure.log"
cmake --build "$dir/build" -j "$jobs" >"$dir/build.log" ||
  { tail -n 40 "$dir/build.log" >&2; exit 1; }
cmake --install "$dir/build" >"$dir/install.log"

# The same SONAMEs as the packaged libraries, or the loader would not pick
# these up in place of them.
want=$(objdump -p /usr/lib/x86_64-linux-gnu/libabsl_synchronization.so.20220623 | awk '/SONAME/ {print $2}')
got=$(objdump -p "$dir/install/lib/libabsl_synchronization.so.20220623" | awk '/SONAME/ {print $2}')
if [ "$want" != "$got" ]; then
  say "SONAME mismatch: packaged $want, built $got"
  exit 1
fi
# All of abseil goes on the library path, not only the lock: our code shares
# absl::Status values between threads, and the Status reference count lives
# partly in libabsl_status (an uninstrumented decrement would hide the
# ordering of the last unref).
mkdir -p "$dir/lib"
cp -a "$dir"/install/lib/libabsl_*.so.20220623* "$dir/lib/"
echo "$stamp" >"$dir/stamp"
say "built abseil with TSan into $dir/install; library path $dir/lib"
echo "$dir/lib"
