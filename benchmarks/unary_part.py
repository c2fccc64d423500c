#!/usr/bin/env python3
"""Turns unary_bench.sh's run records into the "unary" part file.

Input (--runs): one JSON object per line, one per load run:
  {"method": "GetTask", "target": "bridge"|"direct"|"nginx",
   "level": "saturation"|"<rate>"|"half", "rate": 0|N, "exit": 0,
   "settle_s": 0.2, "wall_s": 6.2, "proxy_cpu_s": 1.23|null, "emulator_cpu_s": 0.8,
   "client": <the load tool's JSON line (load_stats.h)>|null}
Output (--out): the part format described in report.py. Settings given as
--set KEY=VALUE are kept under raw.config (numbers stay numbers).

Python 3 standard library only.
"""

import argparse
import json
import sys

TARGETS = ("bridge", "direct", "nginx")
CPU_RATIO_LIMIT = 2.0  # Bridge CPU per request at most 2x nginx's...
CPU_RATIO_AIM = 1.5  # ...and aiming for 1.5x.
ADDED_P99_LIMIT_MS = 1.0  # At 50 % of saturation.


def parse_value(text):
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def ms(us):
    return None if us is None else round(us / 1000.0, 3)


def per_1k(cpu_s, requests):
    """CPU seconds per 1,000 requests, or None."""
    if cpu_s is None or not requests:
        return None
    return round(1000.0 * cpu_s / requests, 4)


def errors_text(client):
    errors = client.get("errors") or {}
    total = sum(errors.values())
    if not total:
        return "0"
    detail = ", ".join(f"{k} {v}" for k, v in sorted(errors.items()))
    return f"{total} ({detail})"


class Run:
    """One load run with its derived figures."""

    def __init__(self, record):
        self.record = record
        self.method = record["method"]
        self.target = record["target"]
        self.level = record["level"]
        self.rate = record["rate"]
        client = record.get("client") or {}
        self.client = client
        latency = client.get("latency_us") or {}
        self.rps = client.get("throughput_rps")
        self.p50_ms = ms(latency.get("p50"))
        self.p99_ms = ms(latency.get("p99"))
        self.p999_ms = ms(latency.get("p999"))
        all_ok = client.get("all_ok")
        self.proxy_cpu_1k = per_1k(record.get("proxy_cpu_s"), all_ok)
        self.emulator_cpu_1k = per_1k(record.get("emulator_cpu_s"), all_ok)
        self.client_cpu_1k = per_1k(client.get("client_cpu_s"), all_ok)

    def level_label(self):
        if self.level == "saturation":
            return "saturation"
        if self.level == "half":
            return f"50% sat ({self.rate}/s)"
        return f"{self.rate}/s"


def find(runs, method, target, level):
    for run in runs:
        if (run.method, run.target, run.level) == (method, target, level):
            return run
    return None


def build(records, config):
    runs = [Run(r) for r in records]
    methods = list(dict.fromkeys(r.method for r in runs))
    concurrency = config.get("concurrency", "?")
    smoke = bool(config.get("smoke"))

    saturation_rows = []
    fixed_rows = []
    for method in methods:
        for target in TARGETS:
            run = find(runs, method, target, "saturation")
            if run is None:
                continue
            saturation_rows.append([
                method, target, run.rps, run.p50_ms, run.p99_ms, run.p999_ms,
                errors_text(run.client), run.proxy_cpu_1k,
                run.emulator_cpu_1k, run.client_cpu_1k
            ])
        levels = [r.level for r in runs if r.method == method and
                  r.level != "saturation"]
        for level in dict.fromkeys(levels):
            for target in TARGETS:
                run = find(runs, method, target, level)
                if run is None:
                    continue
                fixed_rows.append([
                    method, run.level_label(), target, run.rps, run.p50_ms,
                    run.p99_ms, run.p999_ms, errors_text(run.client),
                    run.client.get("late_sends"), run.proxy_cpu_1k,
                    run.emulator_cpu_1k
                ])

    derived_rows = []
    targets = []
    smoke_note = "; smoke run: not a measurement" if smoke else ""
    for method in methods:
        bridge = find(runs, method, "bridge", "half")
        direct = find(runs, method, "direct", "half")
        nginx = find(runs, method, "nginx", "half")
        if not (bridge and direct and nginx):
            continue
        ratio = None
        if bridge.proxy_cpu_1k and nginx.proxy_cpu_1k:
            ratio = round(bridge.proxy_cpu_1k / nginx.proxy_cpu_1k, 2)
        added_bridge = added_nginx = None
        if None not in (bridge.p99_ms, direct.p99_ms, nginx.p99_ms):
            added_bridge = round(bridge.p99_ms - direct.p99_ms, 3)
            added_nginx = round(nginx.p99_ms - direct.p99_ms, 3)
        derived_rows.append([
            method, bridge.rate, bridge.proxy_cpu_1k, nginx.proxy_cpu_1k,
            ratio, added_bridge, added_nginx
        ])
        targets.append({
            "name": f"{method}: bridge CPU per request / nginx's, at 50% "
                    "of saturation",
            "value": ratio,
            "limit": CPU_RATIO_LIMIT,
            "unit": "x",
            "better": "lower",
            "met": ratio is not None and ratio <= CPU_RATIO_LIMIT,
            "note": f"aim {CPU_RATIO_AIM}x; bridge {bridge.proxy_cpu_1k} vs "
                    f"nginx {nginx.proxy_cpu_1k} CPU-s per 1k requests at "
                    f"{bridge.rate}/s{smoke_note}",
        })
        targets.append({
            "name": f"{method}: p99 latency the bridge adds, at 50% of "
                    "saturation",
            "value": added_bridge,
            "limit": ADDED_P99_LIMIT_MS,
            "unit": "ms",
            "better": "lower",
            "met": added_bridge is not None and
                   added_bridge <= ADDED_P99_LIMIT_MS,
            "note": f"p99 via bridge {bridge.p99_ms} ms - direct "
                    f"{direct.p99_ms} ms at {bridge.rate}/s; nginx adds "
                    f"{added_nginx} ms{smoke_note}",
        })

    plots = [{
        "name": "unary_saturation",
        "title": f"Unary saturation throughput ({concurrency} in flight)",
        "kind": "bar",
        "x_label": "method",
        "y_label": "requests/s",
        "series": [{
            "name": target,
            "points": [[m, find(runs, m, target, "saturation").rps]
                       for m in methods
                       if find(runs, m, target, "saturation")],
        } for target in TARGETS],
    }]
    for method in methods:
        plots.append({
            "name": f"unary_p99_{method.lower()}",
            "title": f"{method}: p99 latency at fixed offered loads",
            "kind": "line",
            "x_label": "offered load (requests/s)",
            "y_label": "p99 latency (ms)",
            "y_log": True,
            "series": [{
                "name": target,
                "points": sorted([r.rate, r.p99_ms] for r in runs
                                 if r.method == method and
                                 r.target == target and
                                 r.level != "saturation" and
                                 r.p99_ms is not None),
            } for target in TARGETS],
        })
    cpu_points = {"bridge": [], "nginx": []}
    for method in methods:
        for level in dict.fromkeys(r.level for r in runs
                                   if r.method == method):
            for target in cpu_points:
                run = find(runs, method, target, level)
                if run and run.proxy_cpu_1k is not None:
                    cpu_points[target].append(
                        [f"{method} {run.level_label()}", run.proxy_cpu_1k])
    plots.append({
        "name": "unary_cpu",
        "title": "Proxy CPU per 1,000 requests",
        "kind": "bar",
        "x_label": "method and load",
        "y_label": "CPU-seconds per 1k requests",
        "series": [{"name": t, "points": p} for t, p in cpu_points.items()],
    })

    return {
        "part": "unary",
        "title": "Unary calls: neo-bridge vs. direct REST vs. nginx",
        "tables": [
            {
                "title": f"Unary saturation (closed loop, {concurrency} in "
                         "flight; CPU in CPU-seconds per 1,000 requests)",
                "columns": [
                    "method", "target", "req/s", "p50 ms", "p99 ms",
                    "p99.9 ms", "errors", "proxy CPU/1k", "emulator CPU/1k",
                    "client CPU/1k"
                ],
                "rows": saturation_rows,
            },
            {
                "title": "Unary fixed offered loads (open loop, latency from "
                         "the scheduled send; CPU-seconds per 1,000 "
                         "requests)",
                "columns": [
                    "method", "offered", "target", "req/s", "p50 ms",
                    "p99 ms", "p99.9 ms", "errors", "late sends",
                    "proxy CPU/1k", "emulator CPU/1k"
                ],
                "rows": fixed_rows,
            },
            {
                "title": "Unary at 50% of the bridge's saturation: bridge "
                         "vs. nginx",
                "columns": [
                    "method", "offered req/s", "bridge CPU/1k",
                    "nginx CPU/1k", "bridge/nginx CPU", "bridge adds p99 ms",
                    "nginx adds p99 ms"
                ],
                "rows": derived_rows,
            },
        ],
        "plots": plots,
        "targets": targets,
        "raw": {"config": config, "runs": records},
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", required=True, help="run records (JSONL)")
    parser.add_argument("--out", required=True, help="part file to write")
    parser.add_argument("--set", action="append", default=[],
                        metavar="KEY=VALUE", help="a setting for raw.config")
    args = parser.parse_args()
    config = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            parser.error(f"--set wants KEY=VALUE (got {item!r})")
        config[key] = parse_value(value)
    with open(args.runs) as f:
        records = [json.loads(line) for line in f if line.strip()]
    if not records:
        sys.exit("unary_part: no runs in " + args.runs)
    part = build(records, config)
    with open(args.out, "w") as f:
        json.dump(part, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
