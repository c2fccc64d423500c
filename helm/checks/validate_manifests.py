#!/usr/bin/env python3
"""Strict, offline validation of rendered manifests against the Kubernetes API.

Usage: validate_manifests.py -k 1.30.0 [-k 1.37.0]... MANIFEST.yaml...

Every object is validated with kubernetes-validate's bundled JSON schemas in
strict mode (unknown fields are errors). Unlike the kubernetes-validate CLI,
an object whose kind has no schema is an ERROR, not a warning, unless it is
listed in SKIPPED_KINDS below with the reason: a typo in apiVersion or kind
must not pass silently.

Exit status: 0 all valid, 1 any invalid or unknown object, 2 bad input.
"""

from __future__ import annotations

import argparse
import sys

import yaml
from kubernetes_validate import utils as kv

# Custom resources: kubernetes-validate bundles only the built-in API. These
# are not schema-validated here; check_policy.py checks how they are wired
# (selector, port), and their CRD validates them at install time.
SKIPPED_KINDS = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"):
        "prometheus-operator CRD; no bundled schema (wiring checked by check_policy.py)",
}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-k", "--kubernetes-version", action="append", required=True,
                        help="Kubernetes version to validate against (repeatable)")
    parser.add_argument("--quiet", action="store_true",
                        help="print only problems, skipped kinds and the summary")
    parser.add_argument("manifests", nargs="+")
    args = parser.parse_args(argv)

    objects = []
    for path in args.manifests:
        try:
            with open(path, encoding="utf-8") as f:
                objects.extend((path, d) for d in yaml.safe_load_all(f) if d)
        except (OSError, yaml.YAMLError) as e:
            print(f"validate_manifests: cannot read {path}: {e}", file=sys.stderr)
            return 2
    if not objects:
        print("validate_manifests: no objects", file=sys.stderr)
        return 2

    errors = skipped = valid = 0
    for version in args.kubernetes_version:
        for path, obj in objects:
            name = f"{obj.get('kind')}/{(obj.get('metadata') or {}).get('name')}"
            key = (obj.get("apiVersion"), obj.get("kind"))
            if key in SKIPPED_KINDS:
                skipped += 1
                if version == args.kubernetes_version[0]:  # said once, even with --quiet
                    print(f"SKIP  {name} ({key[0]}): {SKIPPED_KINDS[key]}")
                continue
            try:
                got = kv.validate(obj, version, strict=True)
                valid += 1
                if not args.quiet:
                    print(f"OK    {name} against {got} (strict)")
            except kv.ValidationError as e:
                errors += 1
                where = ".".join(str(p) for p in e.path) or "(top)"
                print(f"ERROR {path}: {name} against {e.version} (strict): {where}: {e.message}")
            except kv.SchemaNotFoundError as e:
                errors += 1
                print(f"ERROR {path}: {name}: {e.message}; a typo in apiVersion/kind, or a custom "
                      "resource to add to SKIPPED_KINDS with a reason")
            except kv.VersionNotSupportedError as e:
                print(f"validate_manifests: {e.message}", file=sys.stderr)
                return 2
    versions = ", ".join(args.kubernetes_version)
    print(f"validate_manifests: {valid} valid, {errors} invalid, {skipped} skipped "
          f"(Kubernetes {versions}, strict)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
