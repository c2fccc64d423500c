#!/usr/bin/env python3
"""Checks what a client example printed against the flow every example runs.

Each example prints these lines (other lines are allowed and ignored):

  created task <task id>
  event <event id> <event type> ends_turn=<true|false>
  approval requested <approval request id>
  approved <approval request id>
  stream unavailable; resuming after <last event id, or - before any>
  turn ended
  listed <n> tasks in <p> pages
  error <CODE> reason=<ErrorInfo.reason> domain=<ErrorInfo.domain>

Usage: check_output.py <file with the example's stdout>
"""
import re
import sys

EVENT = re.compile(r"^event (\S+) (\S+) ends_turn=(true|false)$")


def check(lines):
    problems = []
    created = [l for l in lines if l.startswith("created task ")]
    if len(created) != 1 or not created[0].split()[-1]:
        problems.append("expected one 'created task <id>' line")

    event_ids = []
    approval_asked = approval_given = turn_ended = None
    resumes = []
    for index, line in enumerate(lines):
        match = EVENT.match(line)
        if match:
            event_ids.append(match.group(1))
        elif line.startswith("approval requested "):
            approval_asked = (index, line.split()[-1])
        elif line.startswith("approved "):
            approval_given = (index, line.split()[-1])
        elif line == "turn ended":
            turn_ended = index
        elif line.startswith("stream unavailable; resuming after "):
            resumes.append((line.split()[-1], list(event_ids)))

    if len(event_ids) < 4:
        problems.append(f"expected at least 4 events, got {len(event_ids)}")
    duplicates = sorted({i for i in event_ids if event_ids.count(i) > 1})
    if duplicates:
        problems.append(f"events printed twice (resume must not repeat): {duplicates}")
    if approval_asked is None:
        problems.append("no 'approval requested <id>' line")
    elif approval_given is None or approval_given[1] != approval_asked[1]:
        problems.append("no 'approved <id>' line for the requested approval")
    elif approval_given[0] < approval_asked[0]:
        problems.append("approved before the approval was requested")
    if turn_ended is None:
        problems.append("no 'turn ended' line")
    elif approval_given is not None and turn_ended < approval_given[0]:
        problems.append("the turn ended before the approval was answered")
    if not resumes:
        problems.append("the stream was never resumed after UNAVAILABLE")
    for last_id, seen in resumes:
        expected = seen[-1] if seen else "-"
        if last_id != expected:
            problems.append(
                f"resumed after {last_id!r}, not after the last event printed "
                f"({expected!r})")

    if "listed 5 tasks in 3 pages" not in lines:
        problems.append("expected 'listed 5 tasks in 3 pages'")
    if "error NOT_FOUND reason=UPSTREAM_NOT_FOUND domain=neobridge.v1" not in lines:
        problems.append(
            "expected 'error NOT_FOUND reason=UPSTREAM_NOT_FOUND domain=neobridge.v1'")
    return problems


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        lines = [line.rstrip("\n") for line in f]
    problems = check(lines)
    for problem in problems:
        print(f"check_output: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
