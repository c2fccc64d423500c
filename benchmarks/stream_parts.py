#!/usr/bin/env python3
"""Turns the run records of the stream parts into their part files.

  stream_parts.py streams --runs R --out benchmarks/results/streams.json
  stream_parts.py relay   --runs R --out benchmarks/results/relay.json
  stream_parts.py fanout  --runs R --out benchmarks/results/fanout.json

Each --runs file has one JSON object per line, written by the part's script:

  streams (streams_bench.sh), one per level:
    {"streams": 1000, "tasks": 1000, "exit": 0, "open_s": 2.1,
     "idle": {"threads": 17, "rss_kb": 24000, "fds": 14},
     "load": {"threads": 21, "rss_kb": 99000, "hwm_kb": 99500, "fds": 1031},
     "window_s": 10.0, "bridge_cpu_s": 0.4, "emulator_cpu_s": 0.1,
     "emulator": {"threads": 2, "rss_kb": ..., "fds": ...},
     "client": <stream_load's JSON line> | null}
  relay (relay_bench.sh), one per path and rate:
    {"path": "direct"|"nginx"|"bridge", "rate": 20000, "exit": 0,
     "client": <relay_load's JSON line> | null}
  fanout (fanout_bench.sh), one per number of callers:
    {"callers": 100, "rate": 200, "exit": 0,
     "client": <relay_load's JSON line> | null}

The output is the part format described in report.py. --set KEY=VALUE pairs
go to raw.config (numbers stay numbers); --machine is a JSON object merged
into it. A summary table is printed on stdout.

Python 3 standard library only.
"""

import argparse
import json
import sys

RSS_LIMIT_MIB = 1024  # 10,000 streams in at most 1 GiB.
TARGET_STREAMS = 10000
ADDED_P99_LIMIT_MS = 2.0  # Relay: bridge p99 added at most 2 ms...
TARGET_RATE = 20000  # ...at 20k events/s.
KEEP_UP = 0.95  # A path "keeps up" when it receives 95 % of the rate.
# "Constant threads": the bridge's thread count with all streams open must
# be the same at every level. (gRPC's elastic timer-manager and event-engine
# pools can add a thread or two after bursts of timer callbacks; the note
# names the pools that changed.)
THREAD_JITTER = 0
PATHS = ("direct", "nginx", "bridge")


def parse_value(text):
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def rnd(value, digits=3):
    return None if value is None else round(value, digits)


def read_runs(path):
    runs = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                runs.append(json.loads(line))
    return runs


def print_table(table):
    print(f"\n{table['title']}")
    widths = [len(str(c)) for c in table["columns"]]
    cells = [["-" if v is None else str(v) for v in row]
             for row in table["rows"]]
    for row in cells:
        widths = [max(w, len(v)) for w, v in zip(widths, row)]
    print("  " + "  ".join(str(c).rjust(w)
                           for c, w in zip(table["columns"], widths)))
    for row in cells:
        print("  " + "  ".join(v.rjust(w) for v, w in zip(row, widths)))


# --- streams ---------------------------------------------------------------


def streams_part(runs, config):
    rows = []
    levels = []
    for run in runs:
        client = run.get("client") or {}
        idle, load = run.get("idle") or {}, run.get("load") or {}
        n = run["streams"]
        rss_mib = load.get("rss_kb", 0) / 1024.0 if load.get("rss_kb", -1) > 0 else None
        per_stream = None
        if rss_mib is not None and idle.get("rss_kb", -1) > 0:
            per_stream = (load["rss_kb"] - idle["rss_kb"]) / n
        window = run.get("window_s") or 0
        cpu = run.get("bridge_cpu_s")
        cpu_pct = 100.0 * cpu / window if cpu is not None and window else None
        emu_cpu = run.get("emulator_cpu_s")
        emu_pct = 100.0 * emu_cpu / window if emu_cpu is not None and window else None
        opened = client.get("streams_opened")
        levels.append({"streams": n, "rss_mib": rss_mib, "per_stream_kib": per_stream,
                       "names": load.get("thread_names") or {},
                       "threads": load.get("threads"), "idle_threads": idle.get("threads"),
                       "cpu_pct": cpu_pct, "opened": opened,
                       "failed": client.get("streams_failed")})
        rows.append([
            n, run.get("tasks"), opened, client.get("streams_failed"),
            rnd(run.get("open_s"), 1),
            idle.get("threads"), load.get("threads"),
            rnd(idle.get("rss_kb", 0) / 1024.0, 1), rnd(rss_mib, 1),
            rnd(load.get("hwm_kb", 0) / 1024.0, 1),
            rnd(per_stream, 1), idle.get("fds"), load.get("fds"),
            rnd(cpu_pct, 2), rnd(emu_pct, 2), client.get("heartbeats"),
        ])
    tables = [{
        "title": "Concurrent StreamTaskEvents streams through neo-bridge, "
                 "idle but for heartbeats (a fresh bridge per level)",
        "columns": ["streams", "tasks", "opened", "failed", "open s",
                    "threads idle", "threads load", "RSS idle MiB",
                    "RSS load MiB", "RSS peak MiB", "KiB per stream",
                    "fds idle", "fds load", "bridge CPU % (heartbeats)",
                    "emulator CPU %", "heartbeats received"],
        "rows": rows,
    }]
    xs = [lv["streams"] for lv in levels]
    plots = [
        {"name": "streams_rss", "title": "neo-bridge RSS with N open streams",
         "kind": "line", "x_label": "concurrent streams", "y_label": "RSS (MiB)",
         "series": [{"name": "bridge", "points": [[x, rnd(lv["rss_mib"], 1)]
                                                  for x, lv in zip(xs, levels)]}]},
        {"name": "streams_threads", "title": "neo-bridge threads with N open streams",
         "kind": "bar", "x_label": "concurrent streams", "y_label": "threads",
         "series": [{"name": "idle", "points": [[str(x), lv["idle_threads"]]
                                                for x, lv in zip(xs, levels)]},
                    {"name": "streams open", "points": [[str(x), lv["threads"]]
                                                        for x, lv in zip(xs, levels)]}]},
        {"name": "streams_idle_cpu",
         "title": "neo-bridge CPU with N open streams and only heartbeats",
         "kind": "line", "x_label": "concurrent streams", "y_label": "% of one core",
         "series": [{"name": "bridge", "points": [[x, rnd(lv["cpu_pct"], 2)]
                                                  for x, lv in zip(xs, levels)]}]},
    ]
    targets = []
    if levels:
        top = max(levels, key=lambda lv: lv["streams"])
        note = (f"VmRSS with {top['streams']} streams open, one task (one "
                "upstream connection) each unless TASKS says otherwise")
        all_open = top["opened"] == top["streams"] and not top["failed"]
        if top["streams"] != TARGET_STREAMS:
            note += f"; measured at {top['streams']} streams, not {TARGET_STREAMS}"
        if not all_open:
            note += f"; only {top['opened']} of {top['streams']} streams opened"
        value = rnd(top["rss_mib"], 1)
        targets.append({
            "name": f"RSS with {TARGET_STREAMS:,} concurrent streams",
            "value": value, "limit": RSS_LIMIT_MIB, "unit": "MiB", "better": "lower",
            "met": bool(value is not None and value <= RSS_LIMIT_MIB and all_open
                        and top["streams"] >= TARGET_STREAMS),
            "note": note})
        threads = [lv["threads"] for lv in levels if lv["threads"] not in (None, -1)]
        spread = max(threads) - min(threads) if threads else None
        note = "bridge threads with all streams open: " + ", ".join(
            f"{lv['streams']}: {lv['threads']}" for lv in levels)
        grew = thread_name_changes([lv["names"] for lv in levels])
        if grew:
            note += ("; threads by name that differ (" + "/".join(
                str(x) for x in xs) + " streams): " + ", ".join(grew))
        if any(name.startswith(("grpc_global_tim", "event_engine"))
               for name in grew):
            note += ("; grpc_global_tim and event_engine are gRPC's elastic "
                     "timer-manager and event-engine pools (they grow after "
                     "bursts of timer callbacks, e.g. per-stream heartbeat "
                     "alarms), not a thread per stream")
        targets.append({
            "name": "threads constant across " + "/".join(str(x) for x in xs) + " streams",
            "value": spread, "limit": THREAD_JITTER, "unit": "threads (max - min)",
            "better": "lower",
            "met": spread is not None and spread <= THREAD_JITTER
                   and len(threads) == len(levels),
            "note": note})
    return {"part": "streams",
            "title": "Streams: concurrent StreamTaskEvents, memory, threads, idle CPU",
            "tables": tables, "plots": plots, "targets": targets,
            "raw": {"config": config, "runs": runs}}


def thread_name_changes(by_level):
    """Thread names whose count differs between levels, as "name a/b/c"."""
    out = []
    for name in sorted(set().union(*by_level)):
        counts = [names.get(name, 0) for names in by_level]
        if len(set(counts)) > 1:
            out.append(f"{name} " + "/".join(str(n) for n in counts))
    return out


# --- relay -----------------------------------------------------------------


def relay_part(runs, config):
    by = {}
    for run in runs:
        by[(run["path"], run["rate"])] = run.get("client")
    rates = sorted({run["rate"] for run in runs})
    paths = [p for p in PATHS if any(run["path"] == p for run in runs)]

    def lat(client, q):
        return client["latency_us"][q] / 1000.0 if client else None

    rows = []
    for rate in rates:
        direct = by.get(("direct", rate))
        for path in paths:
            c = by.get((path, rate))
            if c is None:
                rows.append([rate, path] + [None] * 13)
                continue
            added50 = added99 = None
            if path != "direct" and direct:
                added50 = lat(c, "p50") - lat(direct, "p50")
                added99 = lat(c, "p99") - lat(direct, "p99")
            proxy_cpu = c["cpu_s"].get("proxy")
            per_1k = (1e6 * proxy_cpu / c["delivered"]
                      if proxy_cpu is not None and c["delivered"] else None)
            rows.append([rate, path, rnd(c["events_per_s"], 0),
                         rnd(lat(c, "p50")), rnd(lat(c, "p90")), rnd(lat(c, "p99")),
                         rnd(lat(c, "p999")), rnd(lat(c, "max")),
                         rnd(added50), rnd(added99),
                         c["expected"] - c["delivered"], c["duplicates"],
                         rnd(proxy_cpu, 2), rnd(per_1k, 1),
                         rnd(c["cpu_s"].get("emulator"), 2)])
    columns = ["rate", "path", "received events/s", "p50 ms", "p90 ms", "p99 ms",
               "p99.9 ms", "max ms", "added p50 ms", "added p99 ms", "lost",
               "duplicates", "proxy CPU s", "proxy CPU ms / 1k events",
               "emulator CPU s"]
    tables = [{"title": "One stream, the emulator's firehose at a fixed rate: "
                        "latency from the emulator's send to the client's receipt "
                        "(added = path - direct at the same rate)",
               "columns": columns, "rows": rows}]
    row_of = {(r[1], r[0]): r for r in rows}

    def series(col, which, cat=False):
        out = []
        for path in which:
            pts = []
            for rate in rates:
                r = row_of.get((path, rate))
                pts.append([str(rate) if cat else rate,
                            r[columns.index(col)] if r else None])
            out.append({"name": path, "points": pts})
        return out

    proxies = [p for p in paths if p != "direct"]
    plots = [
        {"name": "relay_p99", "title": "Relay p99 latency, emulator send to client receipt",
         "kind": "line", "x_label": "events/s", "y_label": "p99 (ms)",
         "series": series("p99 ms", paths)},
        {"name": "relay_added_p99", "title": "Added p99 latency over direct SSE",
         "kind": "bar", "x_label": "events/s", "y_label": "added p99 (ms)",
         "series": series("added p99 ms", proxies, cat=True)},
        {"name": "relay_cpu", "title": "Proxy CPU per 1,000 relayed events",
         "kind": "bar", "x_label": "events/s", "y_label": "CPU ms per 1k events",
         "series": series("proxy CPU ms / 1k events", proxies, cat=True)},
    ]
    targets = []
    if "bridge" in paths and "direct" in paths and rates:
        rate = TARGET_RATE if TARGET_RATE in rates else max(rates)
        r = row_of.get(("bridge", rate))
        bridge = by.get(("bridge", rate))
        value = r[columns.index("added p99 ms")] if r else None
        kept_up = bool(bridge and bridge["events_per_s"] >= KEEP_UP * rate
                       and bridge["delivered"] == bridge["expected"]
                       and not bridge["duplicates"])
        note = (f"bridge p99 minus direct p99 at {rate} events/s, one stream; the "
                f"bridge received {bridge['events_per_s']:.0f} events/s"
                if bridge else "no bridge run")
        if rate != TARGET_RATE:
            note += f" (measured at {rate}/s, not {TARGET_RATE}/s)"
        if bridge and not kept_up:
            note += "; it did not keep up (or lost or repeated events)"
        targets.append({"name": f"bridge relay p99 added at {TARGET_RATE:,} events/s",
                        "value": value, "limit": ADDED_P99_LIMIT_MS, "unit": "ms",
                        "better": "lower",
                        "met": bool(value is not None and value <= ADDED_P99_LIMIT_MS
                                    and kept_up and rate >= TARGET_RATE),
                        "note": note})
    return {"part": "relay",
            "title": "Relay: events/s and added latency, neo-bridge vs nginx vs direct SSE",
            "tables": tables, "plots": plots, "targets": targets,
            "raw": {"config": config, "runs": runs}}


# --- fanout ----------------------------------------------------------------


def fanout_part(runs, config):
    rows = []
    points_up, points_cpu = [], []
    for run in runs:
        c = run.get("client")
        n = run["callers"]
        if c is None:
            rows.append([n, run["rate"]] + [None] * 10)
            continue
        cpu = c["cpu_s"].get("bridge")
        per_event = 1e6 * cpu / c["delivered"] if cpu is not None and c["delivered"] else None
        up = c["upstream_streams_mid"]
        rows.append([n, run["rate"], c["delivered"], c["expected"] - c["delivered"],
                     c["duplicates"], rnd(c["deliveries_per_s"], 0), up,
                     c["upstream_streams_end"], rnd(cpu, 2), rnd(per_event, 2),
                     rnd(c["latency_us"]["p50"] / 1000.0),
                     rnd(c["latency_us"]["p99"] / 1000.0)])
        points_up.append([str(n), up])
        points_cpu.append([n, rnd(per_event, 2)])
    tables = [{"title": "N callers on one task with one credential while the task "
                        "produces events (firehose); upstream streams as the "
                        "emulator counts them mid-run",
               "columns": ["callers", "events/s", "delivered", "lost", "duplicates",
                           "deliveries/s", "upstream streams", "upstream at end",
                           "bridge CPU s", "bridge CPU us per delivery",
                           "p50 ms", "p99 ms"],
               "rows": rows}]
    plots = [
        {"name": "fanout_upstreams", "title": "Upstream event streams for N callers of one task",
         "kind": "bar", "x_label": "callers", "y_label": "upstream streams",
         "y_log": True, "series": [{"name": "bridge", "points": points_up}]},
        {"name": "fanout_cpu", "title": "neo-bridge CPU per delivered event",
         "kind": "line", "x_label": "callers", "y_label": "CPU us per delivery",
         "series": [{"name": "bridge", "points": points_cpu}]},
    ]
    measured = [r for r in rows if r[6] is not None]
    worst = max((r[6] for r in measured), default=None)
    targets = [{
        "name": "one upstream connection per task and credential",
        "value": worst, "limit": 1, "unit": "upstream streams (most, over N)",
        "better": "lower",
        "met": bool(measured) and worst == 1 and len(measured) == len(rows),
        "note": "emulator /_emulator/stats open_streams_by_task mid-run: "
                + ", ".join(f"{r[0]} callers: {r[6]}" for r in rows)}]
    return {"part": "fanout",
            "title": "Fan-out: N callers of one task share one upstream stream",
            "tables": tables, "plots": plots, "targets": targets,
            "raw": {"config": config, "runs": runs}}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("part", choices=("streams", "relay", "fanout"))
    parser.add_argument("--runs", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--set", action="append", default=[])
    parser.add_argument("--machine", default="{}")
    args = parser.parse_args()
    config = {}
    for item in args.set:
        key, _, value = item.partition("=")
        config[key] = parse_value(value)
    config.update(json.loads(args.machine))
    runs = read_runs(args.runs)
    part = {"streams": streams_part, "relay": relay_part,
            "fanout": fanout_part}[args.part](runs, config)
    with open(args.out, "w") as f:
        json.dump(part, f, indent=1)
        f.write("\n")
    for table in part["tables"]:
        print_table(table)
    for target in part["targets"]:
        print(f"target: {target['name']}: {target['value']} {target['unit']} "
              f"(limit {target['limit']}): {'met' if target['met'] else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
