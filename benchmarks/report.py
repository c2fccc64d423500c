#!/usr/bin/env python3
"""Combines the side-by-side benchmark parts into one report.

Reads every part file benchmarks/results/*.json (files without a "part"
member, such as stream_scale.json or summary.json, are skipped; --parts
keeps only the named parts), prints a
combined Markdown report on stdout, and writes
  benchmarks/results/summary.json  every part, the targets, machine info
  benchmarks/results/<plot>.svg    one chart per plot of every part
Python 3 standard library only (the SVG is written by hand).

Part file format (one per part, written by that part's script as
benchmarks/results/<part>.json):

  {
    "part": "unary",                  # short name, [a-z0-9_]+, = file name
    "title": "Unary calls: ...",      # one line
    "tables": [                       # shown in order
      {"title": "...",
       "columns": ["method", "req/s", ...],
       "rows": [["GetTask", 4210.5, ...], ...]}   # cells: string, number
    ],                                            # or null (shown as "-")
    "plots": [
      {"name": "unary_latency",       # file name of the SVG, [a-z0-9_]+,
                                      # unique across all parts
       "title": "...",
       "kind": "bar" | "line",        # bar: grouped bars, one group per x;
                                      # line: one line per series
       "x_label": "...", "y_label": "...",
       "y_log": false,                # optional: logarithmic y axis
       "series": [{"name": "bridge",
                   "points": [[x, y], ...]}]}   # y a number (or null: no
    ],                                # point); x a number, or a string for
                                      # categories (bar plots; a line plot
                                      # with strings spaces them evenly)
    "targets": [                      # pass/fail goals from the issue
      {"name": "...", "value": 1.3, "limit": 2.0, "unit": "x",
       "better": "lower" | "higher",  # which side of the limit is good
       "met": true,                   # value within limit (false when the
                                      # value could not be measured: null)
       "note": "..."}                 # how it was measured (optional)
    ],
    "raw": {...}                      # anything: configuration, every run
  }

Exit status: 0 when every part file is well formed, 1 otherwise (the
report is still written for the good ones). Targets that are not met do not
change the exit status: this is a report, not a test.
"""

import argparse
import datetime
import glob
import json
import math
import os
import platform
import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from xml.sax.saxutils import escape

NAME_RE = re.compile(r"^[a-z0-9_]+$")
COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
          "#e377c2", "#7f7f7f")


# --- validation ----------------------------------------------------------


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def validate(part, path):
    """Returns a list of problems with a part file (empty when fine)."""
    problems = []

    def need(cond, what):
        if not cond:
            problems.append(f"{path}: {what}")

    need(isinstance(part.get("part"), str) and NAME_RE.match(part["part"]),
         '"part" must be a name like "unary"')
    need(isinstance(part.get("title"), str), '"title" must be a string')
    for key in ("tables", "plots", "targets"):
        need(isinstance(part.get(key), list), f'"{key}" must be a list')
    if problems:
        return problems
    for i, table in enumerate(part["tables"]):
        where = f"tables[{i}]"
        need(isinstance(table.get("title"), str), f"{where}.title")
        columns = table.get("columns")
        need(isinstance(columns, list) and columns, f"{where}.columns")
        rows = table.get("rows")
        need(isinstance(rows, list), f"{where}.rows")
        for j, row in enumerate(rows or []):
            need(isinstance(row, list) and len(row) == len(columns or []),
                 f"{where}.rows[{j}] must have one cell per column")
    for i, plot in enumerate(part["plots"]):
        where = f"plots[{i}]"
        need(isinstance(plot.get("name"), str) and
             NAME_RE.match(plot["name"] or ""), f"{where}.name")
        need(plot.get("kind") in ("bar", "line"),
             f'{where}.kind must be "bar" or "line"')
        for key in ("title", "x_label", "y_label"):
            need(isinstance(plot.get(key), str), f"{where}.{key}")
        series = plot.get("series")
        need(isinstance(series, list), f"{where}.series")
        for j, s in enumerate(series or []):
            need(isinstance(s.get("name"), str), f"{where}.series[{j}].name")
            for k, point in enumerate(s.get("points", [])):
                ok = (isinstance(point, list) and len(point) == 2 and
                      (is_number(point[0]) or isinstance(point[0], str)) and
                      (is_number(point[1]) or point[1] is None))
                need(ok, f"{where}.series[{j}].points[{k}] must be [x, y]")
    for i, target in enumerate(part["targets"]):
        where = f"targets[{i}]"
        need(isinstance(target.get("name"), str), f"{where}.name")
        need(target.get("value") is None or is_number(target.get("value")),
             f"{where}.value")
        need(is_number(target.get("limit")), f"{where}.limit")
        need(target.get("better") in ("lower", "higher"), f"{where}.better")
        need(isinstance(target.get("met"), bool), f"{where}.met")
    return problems


# --- text ----------------------------------------------------------------


def cell(value):
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value == 0:
            return "0"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.3g}" if abs(value) < 0.01 else f"{value:.3f}".rstrip(
            "0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10000 else str(value)
    return str(value).replace("|", "\\|")


def markdown_table(columns, rows):
    lines = ["| " + " | ".join(cell(c) for c in columns) + " |",
             "|" + "|".join("---" for _ in columns) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(cell(c) for c in row) + " |")
    return "\n".join(lines)


# --- SVG charts ----------------------------------------------------------

WIDTH, HEIGHT = 760, 440
LEFT, RIGHT, TOP, BOTTOM = 80, 170, 50, 100


def nice_step(span, count=5):
    """A 1, 2 or 5 times a power of ten step giving about `count` ticks."""
    if span <= 0:
        return 1.0
    raw = span / count
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if m * power >= raw:
            return m * power
    return 10 * power


def linear_ticks(low, high):
    step = nice_step(high - low)
    start = math.floor(low / step) * step
    ticks = []
    value = start
    while value <= high + step * 1e-9:
        ticks.append(round(value, 12))
        value += step
    if ticks[-1] < high:
        ticks.append(ticks[-1] + step)
    return ticks


def log_ticks(low, high):
    """Powers of ten around [low, high], with 2 and 5 between them when the
    range spans few decades."""
    lo = math.floor(math.log10(low))
    hi = math.ceil(math.log10(high))
    if hi == lo:
        hi += 1
    if hi - lo > 3:
        return [10.0 ** e for e in range(lo, hi + 1)]
    return [m * 10.0 ** e for e in range(lo, hi) for m in (1, 2, 5)] + [
        10.0 ** hi]


def tick_label(value):
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:g}"
    return f"{value:.3g}"


def text(x, y, content, size=12, anchor="middle", extra=""):
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" '
            f'text-anchor="{anchor}" {extra}>{escape(str(content))}</text>')


class YAxis:
    """Maps values to pixels on the plot's y axis."""

    def __init__(self, values, log):
        values = [v for v in values if v is not None]
        self.log = log and all(v > 0 for v in values) and bool(values)
        if self.log:
            self.ticks = log_ticks(min(values), max(values))
        else:
            high = max(values + [0]) or 1
            self.ticks = linear_ticks(0, high)
        self.low, self.high = self.ticks[0], self.ticks[-1]

    def y(self, value):
        bottom, height = HEIGHT - BOTTOM, HEIGHT - TOP - BOTTOM
        if self.log:
            span = math.log10(self.high) - math.log10(self.low)
            frac = (math.log10(value) - math.log10(self.low)) / span
        else:
            frac = (value - self.low) / ((self.high - self.low) or 1)
        return bottom - frac * height


def frame(plot, y_axis):
    """The chart's title, axes, y ticks and labels."""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" '
        f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        'font-family="sans-serif">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        text(WIDTH / 2, 24, plot["title"], size=15, extra='font-weight="bold"'),
    ]
    x0, x1 = LEFT, WIDTH - RIGHT
    for tick in y_axis.ticks:
        y = y_axis.y(tick)
        parts.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x1}" y2="{y:.1f}" '
                     'stroke="#e0e0e0"/>')
        parts.append(text(x0 - 6, y + 4, tick_label(tick), anchor="end"))
    parts.append(f'<line x1="{x0}" y1="{TOP}" x2="{x0}" '
                 f'y2="{HEIGHT - BOTTOM}" stroke="black"/>')
    parts.append(f'<line x1="{x0}" y1="{HEIGHT - BOTTOM}" x2="{x1}" '
                 f'y2="{HEIGHT - BOTTOM}" stroke="black"/>')
    label = plot["y_label"] + (" (log scale)" if y_axis.log else "")
    cy = (TOP + HEIGHT - BOTTOM) / 2
    parts.append(text(18, cy, label, extra=f'transform="rotate(-90 18 {cy})"'))
    parts.append(text((x0 + x1) / 2, HEIGHT - 14, plot["x_label"]))
    return parts


def legend(series_names):
    parts = []
    x = WIDTH - RIGHT + 16
    for i, name in enumerate(series_names):
        y = TOP + 10 + i * 20
        parts.append(f'<rect x="{x}" y="{y - 9}" width="12" height="12" '
                     f'fill="{COLORS[i % len(COLORS)]}"/>')
        parts.append(text(x + 18, y + 2, name, anchor="start"))
    return parts


def bar_chart(plot):
    series = plot["series"]
    categories = []
    for s in series:
        for x, _ in s["points"]:
            if x not in categories:
                categories.append(x)
    values = [y for s in series for _, y in s["points"]]
    y_axis = YAxis(values, plot.get("y_log", False))
    parts = frame(plot, y_axis)
    x0, x1 = LEFT, WIDTH - RIGHT
    group = (x1 - x0) / max(1, len(categories))
    bar = group * 0.8 / max(1, len(series))
    base = y_axis.y(y_axis.low)
    for c, category in enumerate(categories):
        gx = x0 + c * group + group * 0.1
        for i, s in enumerate(series):
            y_value = dict((str(x), y) for x, y in s["points"]).get(
                str(category))
            if y_value is None:
                continue
            top = y_axis.y(max(y_value, y_axis.low))
            parts.append(
                f'<rect x="{gx + i * bar:.1f}" y="{top:.1f}" '
                f'width="{bar * 0.95:.1f}" height="{max(0.0, base - top):.1f}" '
                f'fill="{COLORS[i % len(COLORS)]}">'
                f'<title>{escape(s["name"])} {escape(str(category))}: '
                f'{escape(tick_label(y_value))}</title></rect>')
        label_x = x0 + c * group + group / 2
        label_y = HEIGHT - BOTTOM + 16
        if len(categories) > 4:
            parts.append(text(label_x, label_y, category, size=10,
                              anchor="end",
                              extra=f'transform="rotate(-25 {label_x:.1f} '
                              f'{label_y:.1f})"'))
        else:
            parts.append(text(label_x, label_y, category))
    parts += legend([s["name"] for s in series])
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def line_chart(plot):
    series = plot["series"]
    xs = [x for s in series for x, y in s["points"] if y is not None]
    categorical = any(isinstance(x, str) for x in xs)
    values = [y for s in series for _, y in s["points"]]
    y_axis = YAxis(values, plot.get("y_log", False))
    parts = frame(plot, y_axis)
    x0, x1 = LEFT, WIDTH - RIGHT
    if categorical:
        categories = list(dict.fromkeys(str(x) for x in xs))
        step = (x1 - x0) / max(1, len(categories))

        def px(x):
            return x0 + step * (categories.index(str(x)) + 0.5)

        for category in categories:
            parts.append(text(px(category), HEIGHT - BOTTOM + 16, category))
    else:
        low = min(xs + [0])
        ticks = linear_ticks(low, max(xs + [1]))

        def px(x):
            return x0 + (x - ticks[0]) / ((ticks[-1] - ticks[0]) or 1) * (
                x1 - x0)

        for tick in ticks:
            parts.append(text(px(tick), HEIGHT - BOTTOM + 16,
                              tick_label(tick)))
            parts.append(f'<line x1="{px(tick):.1f}" y1="{HEIGHT - BOTTOM}" '
                         f'x2="{px(tick):.1f}" y2="{HEIGHT - BOTTOM + 4}" '
                         'stroke="black"/>')
    for i, s in enumerate(series):
        color = COLORS[i % len(COLORS)]
        points = [(x, y) for x, y in s["points"] if y is not None and
                  (not y_axis.log or y > 0)]
        if not categorical:
            points.sort()
        coords = [(px(x), y_axis.y(y)) for x, y in points]
        if len(coords) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
            parts.append(f'<polyline points="{path}" fill="none" '
                         f'stroke="{color}" stroke-width="2"/>')
        for (x, y), (cx, cy) in zip(points, coords):
            parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3.5" '
                         f'fill="{color}"><title>{escape(s["name"])} '
                         f'{escape(tick_label(x) if not categorical else x)}: '
                         f'{escape(tick_label(y))}</title></circle>')
    parts += legend([s["name"] for s in series])
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


# --- machine -------------------------------------------------------------


def machine_info(repo):
    info = {"nproc": os.cpu_count(), "kernel": platform.release(),
            "python": platform.python_version()}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu_model"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
            info["memory_gib"] = round(kb / 1024 / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    info["os"] = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass

    def git(*args):
        try:
            return subprocess.run(["git", "-C", repo, *args], check=True,
                                  capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return None

    info["git_commit"] = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    info["git_dirty"] = None if status is None else bool(status)
    return info


# --- main ----------------------------------------------------------------


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results-dir", default=os.path.join(here, "results"))
    parser.add_argument("--parts", default="",
                        help="only these parts (space- or comma-separated "
                        "names); default: every part file found")
    args = parser.parse_args()
    wanted = set(re.split(r"[\s,]+", args.parts.strip())) - {""}
    results = args.results_dir

    problems = []
    parts = []
    for path in sorted(glob.glob(os.path.join(results, "*.json"))):
        if os.path.basename(path) == "summary.json":
            continue
        try:
            with open(path) as f:
                part = json.load(f)
        except (OSError, ValueError) as e:
            problems.append(f"{path}: not JSON: {e}")
            continue
        if not isinstance(part, dict) or "part" not in part:
            continue  # Not a part file (e.g. stream_scale.json).
        if wanted and part["part"] not in wanted:
            continue
        found = validate(part, path)
        if found:
            problems += found
            continue
        parts.append(part)

    if not parts and not problems:
        problems.append(f"no part files in {results}")
    order = ["unary", "streams", "relay", "fanout"]
    parts.sort(key=lambda p: (order.index(p["part"]) if p["part"] in order
                              else len(order), p["part"]))
    machine = machine_info(os.path.dirname(here))
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)

    out = ["# Side-by-side benchmarks", ""]
    out.append(f"{now.isoformat()}; {machine.get('cpu_model', '?')}, "
               f"{machine['nproc']} CPUs, {machine.get('os', '?')}, kernel "
               f"{machine['kernel']}; commit "
               f"{(machine.get('git_commit') or '?')[:12]}"
               f"{' (with local changes)' if machine.get('git_dirty') else ''}")
    svgs = []
    seen_plots = set()
    all_targets = []
    for part in parts:
        out += ["", f"## {part['title']}"]
        for table in part["tables"]:
            out += ["", f"### {table['title']}", "",
                    markdown_table(table["columns"], table["rows"])]
        for plot in part["plots"]:
            if plot["name"] in seen_plots:
                problems.append(f"plot name {plot['name']} used twice")
                continue
            seen_plots.add(plot["name"])
            svg = bar_chart(plot) if plot["kind"] == "bar" else line_chart(plot)
            ElementTree.fromstring(svg)  # Well-formed, or raise.
            path = os.path.join(results, plot["name"] + ".svg")
            with open(path, "w") as f:
                f.write(svg)
            svgs.append(os.path.relpath(path, results))
        for target in part["targets"]:
            all_targets.append(dict(target, part=part["part"]))

    out += ["", "## Targets", ""]
    rows = [[t["part"], t["name"], t["value"],
             f"{'at most' if t['better'] == 'lower' else 'at least'} "
             f"{cell(t['limit'])} {t.get('unit', '')}".strip(),
             "met" if t["met"] else "NOT MET", t.get("note", "")]
            for t in all_targets]
    out.append(markdown_table(
        ["part", "target", "value", "goal", "", "note"], rows)
        if rows else "(no targets measured)")
    if svgs:
        out += ["", "Plots: " + ", ".join(f"{results}/{s}" for s in svgs)]
    print("\n".join(out))

    summary = {"generated_at": now.isoformat(), "machine": machine,
               "parts": parts, "targets": all_targets, "plots": svgs,
               "problems": problems}
    with open(os.path.join(results, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
        f.write("\n")
    for problem in problems:
        print(f"report: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
