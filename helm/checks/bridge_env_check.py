#!/usr/bin/env python3
"""Feeds the rendered NEO_BRIDGE_* settings to a real neo-bridge binary.

Usage: bridge_env_check.py NEO_BRIDGE_BINARY MANIFEST.yaml...

For each container that has NEO_BRIDGE_* variables, runs
`neo-bridge --version` with exactly those literal variables: the bridge
parses every variable before it handles --version, so a value it would
refuse at start-up (a bad duration, size, enum, address) fails here with the
bridge's own message. File paths are not opened. Exit status: 0 all
accepted, 1 any refused, 2 bad input.
"""

from __future__ import annotations

import subprocess
import sys

import yaml

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from check_policy import obj_name, pod_spec_of  # noqa: E402


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__.strip().split("\n")[2], file=sys.stderr)
        return 2
    binary, paths = argv[0], argv[1:]
    refused = checked = 0
    for path in paths:
        with open(path, encoding="utf-8") as f:
            objects = [d for d in yaml.safe_load_all(f) if d]
        for obj in objects:
            spec = pod_spec_of(obj)
            for c in (spec or {}).get("containers") or []:
                env = {e["name"]: e["value"] for e in c.get("env") or []
                       if e.get("name", "").startswith("NEO_BRIDGE_") and "value" in e}
                if not env:
                    continue
                checked += 1
                run = subprocess.run([binary, "--version"], env={"PATH": "/usr/bin:/bin", **env},
                                     capture_output=True, text=True, timeout=30)
                if run.returncode != 0:
                    refused += 1
                    print(f"{path}: {obj_name(obj)} container {c.get('name')}: neo-bridge refuses "
                          f"its settings (exit {run.returncode}): {(run.stderr or run.stdout).strip()}")
    print(f"bridge_env_check: {checked} containers checked, {refused} refused")
    return 1 if refused else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
