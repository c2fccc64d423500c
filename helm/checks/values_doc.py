#!/usr/bin/env python3
"""Keeps values.yaml, values.schema.json and the chart README's values table in step.

Usage: values_doc.py CHART_DIR --check    (exit 1 on any drift)
       values_doc.py CHART_DIR --write    (rewrite the README table)

Checks that every value in values.yaml has a schema entry with a type and a
description and vice versa, that every object in the schema (apart from
free-form maps) sets additionalProperties: false, that values.yaml itself
validates against the schema, and that the table between the markers
<!-- values-table:start --> and <!-- values-table:end --> in README.md lists
every value with its type, default and description.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import jsonschema
import yaml

START = "<!-- values-table:start -->"
END = "<!-- values-table:end -->"


def is_branch(node: dict) -> bool:
    """An object whose keys are values of their own (each described), recursed
    into; other objects (free-form maps, resources) are single values."""
    props = node.get("properties")
    return (node.get("type") == "object" and bool(props)
            and all("description" in p for p in props.values()))


def walk(schema: dict, values, prefix: str, rows: list, problems: list) -> None:
    props = schema.get("properties") or {}
    if schema.get("additionalProperties") is not False:
        problems.append(f"schema object {prefix or '(top)'} must set additionalProperties: false")
    if not isinstance(values, dict):
        problems.append(f"values.yaml: {prefix} must be a map")
        values = {}
    for key in values:
        if key not in props:
            problems.append(f"values.yaml: {prefix}{key} has no schema entry")
    for key, node in props.items():
        path = f"{prefix}{key}"
        if key not in values:
            problems.append(f"values.schema.json: {path} is not in values.yaml")
            continue
        if not node.get("description"):
            problems.append(f"values.schema.json: {path} has no description")
        if "type" not in node:
            problems.append(f"values.schema.json: {path} has no type")
        if is_branch(node):
            walk(node, values[key], path + ".", rows, problems)
        else:
            rows.append((path, node, values[key]))


def type_text(node: dict) -> str:
    t = node.get("type")
    text = " or ".join(t) if isinstance(t, list) else str(t)
    if "enum" in node:
        text += " (" + ", ".join(f"`{e}`" for e in node["enum"]) + ")"
    return text


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table(rows: list) -> str:
    out = ["| Value | Type | Default | Description |", "|---|---|---|---|"]
    for path, node, default in rows:
        dflt = json.dumps(default, separators=(", ", ": "))
        out.append(f"| `{path}` | {cell(type_text(node))} | `{cell(dflt)}` | {cell(node.get('description', ''))} |")
    return "\n".join(out)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("chart")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true")
    mode.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)

    with open(os.path.join(args.chart, "values.schema.json"), encoding="utf-8") as f:
        schema = json.load(f)
    with open(os.path.join(args.chart, "values.yaml"), encoding="utf-8") as f:
        values = yaml.safe_load(f)
    readme_path = os.path.join(args.chart, "README.md")
    with open(readme_path, encoding="utf-8") as f:
        readme = f.read()

    problems: list[str] = []
    try:
        jsonschema.Draft7Validator.check_schema(schema)
        errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(values), key=str)
        for e in errors:
            problems.append(f"values.yaml does not validate: {'.'.join(map(str, e.path))}: {e.message}")
    except jsonschema.SchemaError as e:
        problems.append(f"values.schema.json is not a valid draft-07 schema: {e.message}")

    rows: list = []
    walk(schema, values, "", rows, problems)
    want = table(rows)

    if START not in readme or END not in readme:
        problems.append(f"README.md has no {START} … {END} markers")
    else:
        head, rest = readme.split(START, 1)
        current, tail = rest.split(END, 1)
        if args.write:
            with open(readme_path, "w", encoding="utf-8") as f:
                f.write(f"{head}{START}\n{want}\n{END}{tail}")
            print(f"values_doc: wrote {len(rows)} values to {readme_path}")
        elif current.strip() != want.strip():
            problems.append("README.md values table is out of date: run helm/checks/values_doc.py helm/neo-bridge --write")

    for p in problems:
        print(p)
    print(f"values_doc: {len(rows)} values, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
