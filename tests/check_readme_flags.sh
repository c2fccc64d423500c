#!/usr/bin/env bash
# Checks that README.md documents every flag and environment variable that
# `neo-bridge --help` lists, so the operations table cannot fall behind.
# Usage: check_readme_flags.sh <neo-bridge binary> <README.md>
set -euo pipefail
binary=$1
readme=$2
help=$("$binary" --help)
missing=0
names=$(printf '%s\n' "$help" |
  grep -oE -- '--[a-z][a-z-]+|NEO_BRIDGE_[A-Z_]+|PULUMI_ACCESS_TOKEN' |
  grep -vxE -- '--(flag|help)' | sort -u)
for name in $names; do
  if ! grep -qF -- "\`$name" "$readme"; then
    echo "README.md does not document $name (listed by neo-bridge --help)"
    missing=1
  fi
done
exit "$missing"
