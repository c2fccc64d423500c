#!/usr/bin/env bash
# Checks the client examples with each language's usual formatter: gofmt,
# prettier (TypeScript) and ruff format (Python), pinned by the examples
# and installed by client_examples/build_all.sh. (C++ is checked with the
# rest of the project's C++.)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../client_examples"
status=0
unformatted=$(gofmt -l go/*.go)
if [ -n "$unformatted" ]; then
  echo "not gofmt-formatted: $unformatted (run: gofmt -w client_examples/go)"
  status=1
fi
node/node_modules/.bin/prettier --check --log-level warn node/src ||
  { echo "(run: cd client_examples/node && npm run format)"; status=1; }
python/.venv/bin/ruff format --check --quiet python ||
  { echo "(run: client_examples/python/.venv/bin/ruff format client_examples/python)"; status=1; }
[ "$status" -eq 0 ] && echo "client examples: formatted"
exit "$status"
