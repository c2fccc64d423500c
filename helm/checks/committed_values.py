#!/usr/bin/env python3
"""The chart's committed files carry no credentials.

Usage: committed_values.py CHART_DIR

values.yaml and every ci/*.yaml must leave serviceToken.value and
apiKeys.value empty (those come only from --set-file at install time), and
no file of the chart may hold a token-shaped string (pul- and 40 hex
digits). Exit status: 0 clean, 1 otherwise.
"""

from __future__ import annotations

import glob
import os
import sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_policy import TOKEN_RE  # noqa: E402

FILE_ONLY_VALUES = (("serviceToken", "value"), ("apiKeys", "value"))


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: committed_values.py CHART_DIR", file=sys.stderr)
        return 2
    chart = argv[0]
    problems = []
    values_files = [os.path.join(chart, "values.yaml")] + sorted(glob.glob(os.path.join(chart, "ci", "*.yaml")))
    for path in values_files:
        with open(path, encoding="utf-8") as f:
            values = yaml.safe_load(f) or {}
        for section, key in FILE_ONLY_VALUES:
            if ((values.get(section) or {}).get(key) or ""):
                problems.append(f"{path}: {section}.{key} is set; pass it with --set-file at install time, never in a committed file")
    files = 0
    for root, _, names in os.walk(chart):
        for name in names:
            path = os.path.join(root, name)
            files += 1
            try:
                with open(path, encoding="utf-8") as f:
                    text = f.read()
            except UnicodeDecodeError:
                continue
            if TOKEN_RE.search(text):
                problems.append(f"{path}: holds a token-shaped string (pul-…)")
    for p in problems:
        print(p)
    print(f"committed_values: {len(values_files)} values files, {files} files scanned, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
