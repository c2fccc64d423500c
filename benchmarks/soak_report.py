#!/usr/bin/env python3
"""Judges a soak run of benchmarks/soak.sh: growth trend, crash, errors.

    benchmarks/soak_report.py OUT_DIR [--svg FILE] [--warmup-s N] ...

Reads OUT_DIR (written by soak.sh): samples.csv (the bridge's RSS, fds,
threads every few seconds), phases.csv (the fault plans and when they were
in force), unary.jsonl, short.jsonl, long.json, churn.json, churn.err and
meta.json. Prints a table and a text curve fit for pasting into a note,
writes an SVG plot, and exits 1 when any check fails (0 when all pass, 2 when
OUT_DIR cannot be read).

The checks (thresholds are flags):
  rss trend    after the warm-up (the first --warmup-s, default the larger of
               30 s and 20 % of the load), while the load runs: the
               least-squares slope of VmRSS, times the length of that window,
               is at most --max-rss-fit-growth MiB (i.e. the slope limit is
               that over the window in minutes, but never below
               --rss-slope-floor KiB/min) AND the median of the last third of
               those samples is within --max-rss-growth % of the first
               third's. Both must hold. Measured on 2 loaded cores: the 90 s
               run's 1-minute window, which still holds the allocator's
               first minutes, fits +0.6..1.0 MiB/min (limit 2 MiB/min); the
               10-minute run's 8-minute window +0.1 MiB/min (limit 0.25, so
               a 0.3 MiB/min leak fails it).
  fd trend     likewise, the last third's median of open fds is at most the
               first third's plus --fd-slack.
  fds after    once the load has ended and the bridge has closed its upstream
               streams, open fds are at most the idle baseline (before the
               load) plus --fd-slack.
  alive        the bridge ran through every sample and exited 0 on SIGTERM.
  errors       the load saw only the errors the fault in force explains: a
               plan with `fail` explains its status's gRPC code (429
               RESOURCE_EXHAUSTED, 500 INTERNAL, 502/503 UNAVAILABLE, 504
               DEADLINE_EXCEEDED) for streams ending early (within --grace-s
               after the phase) and, with scope `requests` on GETs, for unary
               calls of that phase. Drops, stalls, malformed frames, chunking
               and latency explain no error at all: the bridge reconnects and
               skips. Streams never see an event twice or out of order; at
               the end every stream has caught up (a short-lived run may lag
               when a stream fault overlapped its end).
"""

import argparse
import csv
import json
import os
import re
import statistics
import sys

CODE_OF_STATUS = {
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
EARLY_END = re.compile(
    r"^stream_load: early end unix_ms=(\d+) code=(\w+) task=(\S*): (.*)$")


def expected_codes(plan):
    """(stream codes, unary codes) a fault plan explains."""
    fail = plan.get("fail")
    if not fail:
        return set(), set()
    code = CODE_OF_STATUS.get(fail.get("status"))
    if code is None:
        return set(), set()
    stream = {code}
    unary = set()
    if fail.get("scope") == "requests" and fail.get("method") in (None, "GET"):
        unary = {code}
    return stream, unary


def has_stream_knobs(plan):
    return bool(plan.get("stream")) or bool(plan.get("latencyMs"))


def least_squares_slope(xs, ys):
    """Slope of the least-squares line through (xs, ys); 0 for < 2 points."""
    n = len(xs)
    if n < 2:
        return 0.0
    mx = sum(xs) / n
    my = sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return 0.0
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx


def thirds(values):
    """Medians of the first and the last third."""
    k = max(1, len(values) // 3)
    return statistics.median(values[:k]), statistics.median(values[-k:])


def read_json_lines(path):
    rows = []
    if not os.path.exists(path):
        return rows
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    rows.append({"unparsable": line})
    return rows


def read_last_json(path):
    try:
        with open(path) as f:
            lines = [l for l in f.read().splitlines() if l.startswith("{")]
        return json.loads(lines[-1]) if lines else None
    except (OSError, json.JSONDecodeError):
        return None


def read_samples(path):
    samples = []
    with open(path) as f:
        for row in csv.DictReader(f):
            try:
                samples.append({
                    "ms": int(row["unix_ms"]),
                    "stage": row["stage"],
                    "phase": row["phase"],
                    "rss_kb": int(row["rss_kb"]),
                    "fds": int(row["fds"]),
                    "threads": int(row["threads"]),
                    "cpu_ticks": int(row["cpu_ticks"]),
                    "open": int(row["emulator_open_streams"]),
                })
            except (KeyError, TypeError, ValueError):
                continue  # A torn line (the sampler was stopped mid-write).
    return samples


def read_phases(path):
    phases = []
    with open(path) as f:
        for row in csv.DictReader(f):
            plan = json.loads(row["plan"]) if row["plan"] else {}
            stream, unary = expected_codes(plan)
            phases.append({
                "index": int(row["index"]),
                "name": row["name"],
                "start_ms": int(row["start_ms"]),
                "end_ms": int(row["end_ms"]),
                "plan": plan,
                "stream_codes": stream,
                "unary_codes": unary,
            })
    return phases


class Checks:
    def __init__(self):
        self.rows = []  # (name, ok, detail)
        self.unexpected = []

    def add(self, name, ok, detail):
        self.rows.append((name, ok, detail))

    def error(self, text):
        self.unexpected.append(text)

    @property
    def ok(self):
        return all(ok for _, ok, _ in self.rows)


def check_errors(out, meta, phases, grace_ms, checks):
    """Every error the load saw against what the faults explain."""

    def phases_near(start_ms, end_ms):
        return [p for p in phases
                if p["start_ms"] - 1000 <= end_ms and
                start_ms <= p["end_ms"] + grace_ms]

    counts = {"unary_calls": 0, "unary_errors": 0, "unary_expected": 0,
              "streams": 0, "early_ends": 0, "early_expected": 0,
              "short_runs": 0}
    # Unary: one run per phase and method; the phase's plan is in force
    # for the whole run.
    by_index = {p["index"]: p for p in phases}
    for run in read_json_lines(os.path.join(out, "unary.jsonl")):
        phase = by_index.get(run.get("phase"))
        client = run.get("client")
        where = f"unary {run.get('method')} in phase {run.get('phase')} {run.get('name')}"
        if not client or run.get("exit") not in (0, 1):
            checks.error(f"{where}: no result (exit {run.get('exit')})")
            continue
        counts["unary_calls"] += client.get("sent", 0)
        allowed = phase["unary_codes"] if phase else set()
        for code, n in client.get("errors", {}).items():
            counts["unary_errors"] += n
            if code in allowed:
                counts["unary_expected"] += n
            else:
                checks.error(f"{where}: {n} × {code}")
        if client.get("ok", 0) + sum(client.get("errors", {}).values()) != client.get("sent", 0):
            checks.error(f"{where}: sent {client.get('sent')} but ok + errors differ")

    def stream_invariants(name, result, allow_incomplete=False):
        if result is None:
            checks.error(f"{name}: no result")
            return
        counts["streams"] += result.get("streams_started", result.get("streams", 0))
        for key in ("duplicates", "order_violations", "streams_not_finished"):
            if result.get(key, 0):
                checks.error(f"{name}: {key} = {result[key]}")
        if result.get("incomplete_streams", 0) and not allow_incomplete:
            checks.error(f"{name}: incomplete_streams = {result['incomplete_streams']}")

    # Long-lived streams: nothing may end them.
    long = read_last_json(os.path.join(out, "long.json"))
    stream_invariants("long-lived streams", long)
    if long is not None:
        if long.get("streams_failed", 0) or long.get("streams_opened") != long.get("streams"):
            checks.error(f"long-lived streams: {long.get('streams_failed')} failed, "
                         f"{long.get('streams_opened')}/{long.get('streams')} opened, "
                         f"status {long.get('status_counts')}")
    if meta.get("long_exit") != 0:
        checks.error(f"long-lived stream_load exited {meta.get('long_exit')}")

    # Churning streams: each early end matched with the phases around it.
    churn = read_last_json(os.path.join(out, "churn.json"))
    stream_invariants("churning streams", churn)
    early = []
    try:
        with open(os.path.join(out, "churn.err")) as f:
            for line in f:
                m = EARLY_END.match(line.rstrip("\n"))
                if m:
                    early.append((int(m.group(1)), m.group(2), m.group(4)))
    except OSError:
        pass
    for ms, code, message in early:
        counts["early_ends"] += 1
        near = phases_near(ms, ms)
        if any(code in p["stream_codes"] for p in near):
            counts["early_expected"] += 1
        else:
            names = ",".join(p["name"] for p in near) or "none"
            checks.error(f"churning stream ended early with {code} during "
                         f"phase(s) {names}: {message[:160]}")
    if churn is not None and churn.get("streams_failed", 0) != len(early):
        checks.error(f"churning streams: {churn.get('streams_failed')} failed but "
                     f"{len(early)} early ends logged (status {churn.get('status_counts')})")
    if meta.get("churn_exit") not in (0, 1):
        checks.error(f"churning stream_load exited {meta.get('churn_exit')}")

    # Short-lived runs: their codes matched with the phases they overlapped.
    for run in read_json_lines(os.path.join(out, "short.jsonl")):
        counts["short_runs"] += 1
        near = phases_near(run.get("start_ms", 0), run.get("end_ms", 0))
        allowed = set().union(*(p["stream_codes"] for p in near)) if near else set()
        lag_ok = any(has_stream_knobs(p["plan"]) for p in near)
        client = run.get("client")
        name = f"short-lived run {run.get('run')}"
        if run.get("exit") not in (0, 1) or client is None:
            checks.error(f"{name}: exit {run.get('exit')}, no result "
                         f"(see short.{run.get('run')}.err)")
            continue
        stream_invariants(name, client, allow_incomplete=lag_ok)
        for code, n in client.get("status_counts", {}).items():
            if code == "CANCELLED":
                continue
            counts["early_ends"] += n
            if code in allowed:
                counts["early_expected"] += n
            else:
                names = ",".join(p["name"] for p in near) or "none"
                checks.error(f"{name}: {n} stream(s) ended with {code} during phase(s) {names}")
        unopened = client.get("streams", 0) - client.get("streams_opened", 0)
        failed = client.get("streams_failed", 0)
        if unopened > failed:
            checks.error(f"{name}: {unopened} stream(s) never opened, {failed} failed")
    if meta.get("short_loop_exit") != 0:
        checks.error(f"short-lived loop exited {meta.get('short_loop_exit')}")
    return counts


def series_stats(points, baseline, after):
    xs = [t for t, _ in points]
    ys = [v for _, v in points]
    first, last = thirds(ys)
    return {
        "baseline": baseline, "start": ys[0], "end": ys[-1], "min": min(ys),
        "max": max(ys), "slope_per_min": least_squares_slope(xs, ys) * 60,
        "first_third": first, "last_third": last, "after": after,
    }


def ascii_chart(times, values, t0, t1, marks, width=64, height=8, fmt="{:.1f}"):
    """Rows of an ASCII chart of `values` over [t0, t1], one column per
    (t1 - t0) / width seconds (the bin's mean), plus a time axis with
    `marks` ({seconds: char})."""
    bins = [[] for _ in range(width)]
    for t, v in zip(times, values):
        i = min(width - 1, max(0, int((t - t0) / (t1 - t0) * width)))
        bins[i].append(v)
    cols = [statistics.mean(b) if b else None for b in bins]
    present = [c for c in cols if c is not None]
    lo, hi = min(present), max(present)
    if hi - lo < 1e-9:
        hi = lo + 1
    level = [None if c is None else round((c - lo) / (hi - lo) * (height - 1))
             for c in cols]
    rows = []
    for r in range(height - 1, -1, -1):
        line = "".join("*" if lv == r else " " for lv in level)
        label = fmt.format(lo + (hi - lo) * r / (height - 1))
        rows.append(f"{label:>8} {line}")
    axis = ["-"] * width
    for t, ch in marks.items():
        i = min(width - 1, max(0, int((t - t0) / (t1 - t0) * width)))
        axis[i] = ch
    rows.append(f"{'':>8} {''.join(axis)}")
    rows.append(f"{'':>8} 0s{'':>{width - 2 - len(str(int(t1 - t0))) - 1}}{int(t1 - t0)}s")
    return rows


def svg_plot(path, series, t_total, load_start, warm_end, load_end, phases_rel, title):
    """Stacked panels of (name, unit, [(t, v)], fit) with the fault phases
    shaded and the warm-up greyed; fit = (t_from, t_to, v_from, v_to)."""
    w, panel_h, left, right, top = 900, 170, 70, 20, 40
    plot_w = w - left - right
    h = top + panel_h * len(series) + 30
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
           f'font-family="sans-serif" font-size="11">',
           f'<rect width="{w}" height="{h}" fill="white"/>',
           f'<text x="{left}" y="20" font-size="14">{title}</text>']

    def x_of(t):
        return left + plot_w * t / t_total

    for k, (name, unit, points, fit) in enumerate(series):
        y0 = top + k * panel_h
        ph = panel_h - 30
        vals = [v for _, v in points]
        lo, hi = min(vals), max(vals)
        pad = max((hi - lo) * 0.1, 1e-6 + abs(hi) * 0.01)
        lo, hi = lo - pad, hi + pad

        def y_of(v):
            return y0 + ph - ph * (v - lo) / (hi - lo)

        for p_start, p_end, faulty, pname in phases_rel:
            if faulty:
                out.append(f'<rect x="{x_of(p_start):.1f}" y="{y0}" '
                           f'width="{max(0.5, x_of(p_end) - x_of(p_start)):.1f}" height="{ph}" '
                           f'fill="#fbe3d0"><title>{pname}</title></rect>')
        out.append(f'<rect x="{x_of(load_start):.1f}" y="{y0}" width="{x_of(warm_end) - x_of(load_start):.1f}" '
                   f'height="{ph}" fill="#808080" fill-opacity="0.25"/>')
        out.append(f'<line x1="{x_of(load_end):.1f}" y1="{y0}" x2="{x_of(load_end):.1f}" '
                   f'y2="{y0 + ph}" stroke="#888" stroke-dasharray="4 3"/>')
        out.append(f'<rect x="{left}" y="{y0}" width="{plot_w}" height="{ph}" fill="none" stroke="#999"/>')
        for frac in (0, 0.5, 1):
            v = lo + (hi - lo) * frac
            out.append(f'<text x="{left - 5}" y="{y_of(v) + 4:.1f}" text-anchor="end">{v:.1f}</text>')
        out.append(f'<text x="{left + 5}" y="{y0 + 13}">{name} ({unit})</text>')
        pts = " ".join(f"{x_of(t):.1f},{y_of(v):.1f}" for t, v in points)
        out.append(f'<polyline points="{pts}" fill="none" stroke="#1f5fa8" stroke-width="1.5"/>')
        if fit:
            t_a, t_b, v_a, v_b = fit
            out.append(f'<line x1="{x_of(t_a):.1f}" y1="{y_of(v_a):.1f}" x2="{x_of(t_b):.1f}" '
                       f'y2="{y_of(v_b):.1f}" stroke="#c0392b" stroke-width="1.2" stroke-dasharray="6 3"/>')
        out.append(f'<text x="{left + plot_w / 2:.0f}" y="{y0 + ph + 14}" text-anchor="middle" fill="#555">'
                   f'seconds since the first sample (grey: warm-up, orange: fault phases, dashed: load end, red: fit)</text>')
        for t in range(0, int(t_total) + 1, max(30, int(t_total / 10) // 30 * 30 or 30)):
            out.append(f'<text x="{x_of(t):.1f}" y="{y0 + ph + 26}" text-anchor="middle" fill="#555">{t}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="the directory soak.sh wrote")
    parser.add_argument("--svg", help="write the plot here (default OUT/soak.svg)")
    parser.add_argument("--warmup-s", type=float, default=None,
                        help="seconds of load excluded from the trend (default max(30, 20%% of the load))")
    parser.add_argument("--max-rss-fit-growth", type=float, default=2,
                        help="MiB the fitted line may rise over the window (default 2)")
    parser.add_argument("--rss-slope-floor", type=float, default=128,
                        help="KiB per minute: the slope limit is never lower (default 128)")
    parser.add_argument("--max-rss-growth", type=float, default=10,
                        help="percent, last third's median over the first's (default 10)")
    parser.add_argument("--fd-slack", type=int, default=8,
                        help="fds allowed above the baseline / the first third (default 8)")
    parser.add_argument("--grace-s", type=float, default=15,
                        help="how long after a phase its errors are still explained (default 15)")
    args = parser.parse_args()
    out = args.out
    try:
        with open(os.path.join(out, "meta.json")) as f:
            meta = json.load(f)
        samples = read_samples(os.path.join(out, "samples.csv"))
        phases = read_phases(os.path.join(out, "phases.csv"))
    except (OSError, json.JSONDecodeError, KeyError) as e:
        print(f"soak_report: cannot read {out}: {e}", file=sys.stderr)
        return 2

    load_start = meta["load_start_ms"]
    load_s = meta["load_s"]
    warmup_s = args.warmup_s if args.warmup_s is not None else max(30.0, 0.2 * load_s)
    checks = Checks()

    def rel(ms):
        return (ms - load_start) / 1000.0

    alive = [s for s in samples if s["rss_kb"] >= 0]
    gone = [s for s in samples if s["rss_kb"] < 0]
    checks.add("alive", not gone and meta.get("bridge_alive_at_end") and meta.get("bridge_exit") == 0,
               f"{len(gone)} sample(s) without the process; alive at the end: "
               f"{meta.get('bridge_alive_at_end')}; exit status {meta.get('bridge_exit')} "
               f"(0 expected on SIGTERM; 128+N: killed by signal N)")
    window = [s for s in alive if s["stage"] == "load" and rel(s["ms"]) >= warmup_s]
    baseline = [s for s in alive if s["stage"] == "baseline"]
    recovery = [s for s in alive if s["stage"] == "recovery"]
    if len(window) < 6 or not baseline:
        if not checks.ok:  # The bridge died early: that is the verdict.
            for name, ok, detail in checks.rows:
                print(f"{'PASS' if ok else 'FAIL'}  {name:<10} {detail}")
            print(f"(only {len(window)} sample(s) of the bridge after the warm-up: no trend)")
            print("RESULT: FAIL")
            return 1
        print(f"soak_report: too few samples after the warm-up ({len(window)}) "
              f"or none before the load ({len(baseline)})", file=sys.stderr)
        return 2

    def points(key, scale=1.0):
        return [(rel(s["ms"]), s[key] * scale) for s in window]

    after = recovery[-1] if recovery else None
    rss = series_stats(points("rss_kb", 1 / 1024), baseline[-1]["rss_kb"] / 1024,
                       after["rss_kb"] / 1024 if after else None)
    fds = series_stats(points("fds"), max(s["fds"] for s in baseline),
                       after["fds"] if after else None)
    threads = series_stats(points("threads"), baseline[-1]["threads"],
                           after["threads"] if after else None)

    slope_kib = rss["slope_per_min"] * 1024
    window_min = (rel(window[-1]["ms"]) - rel(window[0]["ms"])) / 60
    slope_limit = max(args.rss_slope_floor, args.max_rss_fit_growth * 1024 / window_min)
    growth_pct = 100 * (rss["last_third"] - rss["first_third"]) / rss["first_third"]
    checks.add("rss trend", slope_kib <= slope_limit and growth_pct <= args.max_rss_growth,
               f"slope {slope_kib:+.0f} KiB/min (limit {slope_limit:.0f}: "
               f"{args.max_rss_fit_growth:g} MiB over {window_min:.1f} min), last third "
               f"{growth_pct:+.1f}% over the first (limit {args.max_rss_growth:g}%)")
    checks.add("fd trend", fds["last_third"] <= fds["first_third"] + args.fd_slack,
               f"last third median {fds['last_third']:.0f} vs first third {fds['first_third']:.0f} "
               f"(+{args.fd_slack} allowed); slope {fds['slope_per_min']:+.2f}/min")
    fds_after = after["fds"] if after else None
    checks.add("fds after", fds_after is not None and fds_after <= fds["baseline"] + args.fd_slack,
               f"{fds_after} after the load vs {fds['baseline']} before (+{args.fd_slack} allowed)")

    counts = check_errors(out, meta, phases, args.grace_s * 1000, checks)
    checks.add("errors", not checks.unexpected,
               f"{len(checks.unexpected)} unexpected; unary {counts['unary_calls']} calls, "
               f"{counts['unary_errors']} errors ({counts['unary_expected']} explained by faults); "
               f"streams {counts['streams']}, {counts['early_ends']} ended early "
               f"({counts['early_expected']} explained); {counts['short_runs']} short-lived runs")

    # --- output ---------------------------------------------------------------
    cpu = [s for s in alive if s["stage"] == "load"]
    cpu_s = (cpu[-1]["cpu_ticks"] - cpu[0]["cpu_ticks"]) / 100.0 if len(cpu) > 1 else 0
    span = rel(cpu[-1]["ms"]) - rel(cpu[0]["ms"]) if len(cpu) > 1 else 1
    fault_names = [p["name"] for p in phases if p["plan"]]
    print(f"neo-bridge soak: {load_s} s of load, warm-up {warmup_s:.0f} s excluded, "
          f"{len(samples)} samples every {meta.get('sample_seconds')} s; "
          f"{meta.get('cores')} cores, load average at end {meta.get('loadavg_at_end')}; "
          f"bridge CPU {100 * cpu_s / span:.0f}% of a core during the load")
    print(f"fault phases ({len(fault_names)}): {', '.join(fault_names)}")
    print()
    head = ("", "before", "start", "end", "min", "max", "slope/min", "1st third", "last third", "after")
    print("{:<10}{:>8}{:>8}{:>8}{:>8}{:>8}{:>11}{:>11}{:>11}{:>8}".format(*head))
    for name, st, f in (("RSS MiB", rss, "{:.1f}"), ("fds", fds, "{:.0f}"), ("threads", threads, "{:.0f}")):
        vals = [st["baseline"], st["start"], st["end"], st["min"], st["max"]]
        slope = ("{:+.2f}" if name == "RSS MiB" else "{:+.2f}").format(st["slope_per_min"])
        print("{:<10}".format(name) + "".join("{:>8}".format(f.format(v)) for v in vals) +
              "{:>11}{:>11}{:>11}{:>8}".format(slope, f.format(st["first_third"]),
                                               f.format(st["last_third"]),
                                               f.format(st["after"]) if st["after"] is not None else "-"))
    print("(start..last third: the load after the warm-up; before: idle, before the load; "
          "after: idle, after the load)")
    print()
    load_samples = [s for s in alive if s["stage"] in ("load", "recovery")]
    t_end = max(rel(s["ms"]) for s in load_samples)
    marks = {warmup_s: "W", load_s: "E"}
    for p in phases:
        if p["plan"]:
            marks.setdefault(rel(p["start_ms"]), "f")
    times = [rel(s["ms"]) for s in load_samples]
    print("RSS (MiB) over the run; axis: f = a fault phase starts, W = end of warm-up, "
          "E = end of load")
    for line in ascii_chart(times, [s["rss_kb"] / 1024 for s in load_samples], 0, t_end, marks):
        print(line)
    print("open fds")
    for line in ascii_chart(times, [s["fds"] for s in load_samples], 0, t_end, marks, height=5,
                            fmt="{:.0f}"):
        print(line)
    bucket_s = 60 if load_s >= 300 else 15
    print(f"per {bucket_s} s (medians; time from the load's start):")
    print(f"{'t':>7} {'stage':<9}{'phase(s)':<34}{'RSS MiB':>8}{'fds':>5}{'thr':>5}")
    buckets = {}
    for s in alive:
        buckets.setdefault((int(rel(s["ms"]) // bucket_s), s["stage"]), []).append(s)
    for (b, stage), group in sorted(buckets.items()):
        names = sorted({g["phase"] for g in group if g["phase"] not in ("none", "clear")})
        print(f"{b * bucket_s:>6}s {stage:<9}{(','.join(names) or '-')[:33]:<34}"
              f"{statistics.median(g['rss_kb'] for g in group) / 1024:>8.1f}"
              f"{statistics.median(g['fds'] for g in group):>5.0f}"
              f"{statistics.median(g['threads'] for g in group):>5.0f}")
    print()
    for name, ok, detail in checks.rows:
        print(f"{'PASS' if ok else 'FAIL'}  {name:<10} {detail}")
    for text in checks.unexpected[:30]:
        print(f"      unexpected: {text}")
    if len(checks.unexpected) > 30:
        print(f"      … and {len(checks.unexpected) - 30} more")

    svg = args.svg or os.path.join(out, "soak.svg")
    all_pts = [s for s in alive]
    t_total = max(rel(s["ms"]) for s in all_pts)
    t_first = min(rel(s["ms"]) for s in all_pts)
    shift = -t_first if t_first < 0 else 0

    def pts(key, scale=1.0):
        return [(rel(s["ms"]) + shift, s[key] * scale) for s in all_pts]

    def fit(key, scale):
        xy = points(key, scale)
        xs = [t for t, _ in xy]
        ys = [v for _, v in xy]
        m = least_squares_slope(xs, ys)
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        return (xs[0] + shift, xs[-1] + shift, my + m * (xs[0] - mx), my + m * (xs[-1] - mx))

    phases_rel = [(rel(p["start_ms"]) + shift, rel(p["end_ms"]) + shift, bool(p["plan"]), p["name"])
                  for p in phases]
    svg_plot(svg, [("VmRSS", "MiB", pts("rss_kb", 1 / 1024), fit("rss_kb", 1 / 1024)),
                   ("open fds", "count", pts("fds"), fit("fds", 1)),
                   ("threads", "count", pts("threads"), None)],
             t_total + shift, shift, warmup_s + shift, load_s + shift, phases_rel,
             f"neo-bridge soak: {load_s} s mixed load with faults — "
             f"{'PASS' if checks.ok else 'FAIL'}")
    print(f"plot: {svg}")
    print("RESULT: " + ("PASS" if checks.ok else "FAIL"))
    return 0 if checks.ok else 1


if __name__ == "__main__":
    sys.exit(main())
