#!/usr/bin/env bash
# Generates and builds the Python, Go, Node and Java examples with their own
# tooling (the C++ one is part of the CMake build). test.sh runs this before
# ctest; each build.sh is idempotent and fetches pinned dependencies.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
for language in python go node java; do
  echo "client_examples: building $language" >&2
  "./$language/build.sh"
done
# The pinned formatter the lint test checks the Python example with.
if [ ! -x python/.venv/bin/ruff ]; then
  python/.venv/bin/python -m pip install --quiet --disable-pip-version-check \
    --only-binary=:all: -r python/requirements-dev.txt
fi
