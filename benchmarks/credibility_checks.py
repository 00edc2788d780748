"""Time of the report's live verification and validation checks (victwin.validation).

The report runs the checks of its trial's body part when it is written, so their sum is part
of every report's cost (breast: about 15 s on 2 idle cores when they were written). Prints one
row per check and writes JSON.

    python benchmarks/credibility_checks.py [--family breast|chest] [--json FILE]

Without ``--family`` every check runs (what the test suite's fixture runs).
"""

from __future__ import annotations

import argparse
import json
import os
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", default=None)
    ap.add_argument("--family", default=None, choices=("breast", "chest"))
    args = ap.parse_args()
    from victwin.validation import run_checks

    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    results = run_checks(family=args.family)
    total = time.perf_counter() - t0
    print(f"{'model':<16}{'check':<52}{'passed':>8}{'time s':>9}")
    for r in results:
        print(f"{r.model:<16}{r.name[:50]:<52}{str(r.passed):>8}{r.seconds:9.2f}")
    print(f"total {total:.1f} s wall (load average {load0:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after; {os.cpu_count()} CPUs)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"total_s": total, "load_before": load0,
                       "checks": [{"model": r.model, "name": r.name, "passed": r.passed,
                                   "seconds": r.seconds} for r in results],
                       "family": args.family, "load_after": os.getloadavg()[0],
                       "cpus": os.cpu_count(),
                       "command": "python benchmarks/credibility_checks.py"
                                  + (f" --family {args.family}" if args.family else "")},
                      f, indent=1)


if __name__ == "__main__":
    main()
