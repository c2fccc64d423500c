#!/usr/bin/env bash
# Fails, listing the files, when a tracked C++ file is not clang-formatted
# (style: .clang-format at the repository root).
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
bad=()
while IFS= read -r -d '' file; do
  [ -f "$file" ] || continue
  if ! clang-format --dry-run -Werror "$file" >/dev/null 2>&1; then
    bad+=("$file")
  fi
done < <(git ls-files -z --cached --others --exclude-standard -- '*.cc' '*.h')
if [ "${#bad[@]}" -gt 0 ]; then
  echo "not clang-formatted (run: clang-format -i FILE):"
  printf '  %s\n' "${bad[@]}"
  exit 1
fi
echo "clang-format: all C++ files formatted"
