"""The test suite's cost from a pytest log: whole-suite wall and CPU time, per-test durations.

Reads the output of ``python -m pytest ... --durations=0`` (the "slowest durations" table and
the closing counts line), optionally ``/usr/bin/time -v``'s report of the same command (CPU
seconds of pytest and every process it waited for) and the machine load before and after, and
writes one JSON file; prints the whole-suite line and the slowest tests.

    python benchmarks/ci_durations.py LOG [--time TIME_V_REPORT] [--load "before" "after"]
        [--top 40] [--json benchmarks/results/ci_durations_after.json]

Per-test durations are wall seconds of each phase (setup, call, teardown) as pytest reports
them; on the shared machine they scale with its load, so compare runs of one load.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

_DUR = re.compile(r"^([0-9.]+)s (setup|call|teardown)\s+(\S.*)$")
_END = re.compile(r"^=+ (.*) in ([0-9.]+)s")


def parse_log(text: str) -> dict:
    tests: dict[str, dict[str, float]] = {}
    summary, wall = None, None
    in_table = False
    for line in text.splitlines():
        if "slowest durations" in line:
            in_table = True
            continue
        m = _DUR.match(line.strip()) if in_table else None
        if m:
            tests.setdefault(m.group(3), {})[m.group(2)] = float(m.group(1))
        e = _END.match(line.strip())
        if e and ("passed" in e.group(1) or "failed" in e.group(1)):
            summary, wall = e.group(1), float(e.group(2))
    return {"summary": summary, "pytest_wall_s": wall, "tests": tests}


def parse_time_v(text: str) -> dict:
    out = {}
    for key, name in (("User time (seconds)", "user_s"), ("System time (seconds)", "sys_s"),
                      ("Elapsed (wall clock) time", "elapsed")):
        for line in text.splitlines():
            if key in line:
                out[name] = line.split(": ", 1)[1].strip()
    if "user_s" in out and "sys_s" in out:
        out["cpu_s"] = round(float(out["user_s"]) + float(out["sys_s"]), 2)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("log")
    ap.add_argument("--time", help="/usr/bin/time -v report of the same run")
    ap.add_argument("--load", nargs=2, metavar=("BEFORE", "AFTER"), help="uptime lines")
    ap.add_argument("--command", default="", help="the command that was run")
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    res = parse_log(Path(args.log).read_text())
    if args.time:
        res["time_v"] = parse_time_v(Path(args.time).read_text(errors="replace"))
    res["load"] = args.load
    res["command"] = args.command
    total = {k: sum(v.values()) for k, v in res["tests"].items()}
    print(f"{res['summary']} in {res['pytest_wall_s']} s wall; "
          f"CPU {res.get('time_v', {}).get('cpu_s')} s; load {args.load}")
    for k in sorted(total, key=total.get, reverse=True)[:args.top]:
        phases = ", ".join(f"{p} {s:.1f}" for p, s in res["tests"][k].items())
        print(f"{total[k]:8.1f}  {k}  ({phases})")
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
