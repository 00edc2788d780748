"""Cost of one chest-nodules trial case, side by side for several source trees.

    python benchmarks/chest_case_cost.py [--tree PATH ...] [--cases 1 2] [--sites 8]
        [--rounds 2] [--out FILE]

Each tree (default: this checkout; e.g. a ``git worktree`` of main beside it) runs, in its own
subprocess, ``examples/chest-nodules.toml`` with ``cohort.sites = {nodule = N}``: case 0 once
to compile the kernels (not timed), then the given cases with
:func:`victwin.trial.run_case` (phantom, nodules, PA-full and PA-half acquisitions of both
twins, ROIs), recording per case the wall and CPU seconds, the case's own stage clock and the
SHA-256 of every ROI array. Trees alternate round by round (A, B, A, B, ...), so their times
share the machine's load; the table gives each tree's median wall time and the ratio to the
first tree, and whether every ROI's bytes are equal across the trees. Writes
``benchmarks/results/chest_case_cost.json`` (load averages before and after included).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import environment, print_table, write_json

HERE = Path(__file__).resolve().parent


def _child(tree: str, cases: list[int], sites: int) -> dict:
    """Run in the subprocess: time the cases with the tree's victwin."""
    import numpy as np

    import victwin
    from victwin.trial import load_spec, run_case, sample_cohort, spec_from_dict

    base = load_spec(str(Path(tree) / "examples" / "chest-nodules.toml"))
    d = base.to_toml_dict()
    d["cohort"] = dict(d["cohort"], sites={"nodule": sites})
    spec = spec_from_dict(d)
    cohort = dict(sample_cohort(spec, [0, *cases]))
    run_case(spec, 0, cohort[0])                       # compile, not timed
    out = {"victwin": victwin.__file__, "cases": {}}
    for c in cases:
        w0, p0 = time.perf_counter(), time.process_time()
        res = run_case(spec, c, cohort[c])
        wall, cpu = time.perf_counter() - w0, time.process_time() - p0
        sha = {k: hashlib.sha256(np.ascontiguousarray(v).tobytes()).hexdigest()
               for k, v in sorted(res.arrays.items())}
        out["cases"][str(c)] = {"wall_s": wall, "cpu_s": cpu,
                                "stages_s": {k: round(v, 3) for k, v in res.timings.items()},
                                "sha256": sha}
    return out


def _run(tree: Path, cases: list[int], sites: int) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree))
    cmd = [sys.executable, str(HERE / "chest_case_cost.py"), "--child", "--tree", str(tree),
           "--sites", str(sites), "--cases", *map(str, cases)]
    p = subprocess.run(cmd, env=env, cwd=str(HERE), capture_output=True, text=True)
    if p.returncode:
        sys.exit(f"child ({tree}) failed:\n{p.stderr[-3000:]}")
    rec = json.loads(p.stdout.strip().splitlines()[-1])
    if not rec["victwin"].startswith(str(tree)):
        sys.exit(f"child imported victwin from {rec['victwin']}, not from {tree}")
    return rec


def _git(tree: Path) -> str:
    p = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"],
                       capture_output=True, text=True)
    return p.stdout.strip() or "?"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tree", action="append", default=None,
                    help="source tree to import victwin from (repeat; default: this checkout)")
    ap.add_argument("--cases", nargs="+", type=int, default=[1, 2])
    ap.add_argument("--sites", type=int, default=8, help="nodules per twin (cohort.sites)")
    ap.add_argument("--rounds", type=int, default=2, help="alternations of the trees")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    if args.sites < 1 or args.rounds < 1 or any(c < 1 for c in args.cases):
        sys.exit("--sites and --rounds must be >= 1, --cases >= 1 (case 0 compiles)")
    if args.child:
        print(json.dumps(_child(args.tree[0], args.cases, args.sites)))
        return
    trees = [Path(t).resolve() for t in (args.tree or [HERE.parent])]
    load_before = os.getloadavg()
    runs: dict[str, list] = {str(t): [] for t in trees}
    for _ in range(args.rounds):
        for t in trees:
            print(f"round {_ + 1}: {t} ...", file=sys.stderr, flush=True)
            runs[str(t)].append(_run(t, args.cases, args.sites))
    load_after = os.getloadavg()
    rows, summary = [], {}
    first = None
    for t in trees:
        walls = [c["wall_s"] for r in runs[str(t)] for c in r["cases"].values()]
        cpus = [c["cpu_s"] for r in runs[str(t)] for c in r["cases"].values()]
        acq = [c["stages_s"].get("acquisition", 0.0) for r in runs[str(t)]
               for c in r["cases"].values()]
        med = statistics.median(walls)
        first = med if first is None else first
        summary[str(t)] = {"commit": _git(t), "median_wall_s": med,
                           "median_cpu_s": statistics.median(cpus),
                           "median_acquisition_s": statistics.median(acq), "runs": runs[str(t)]}
        rows.append({"tree": f"{t.name} ({_git(t)})", "cases x rounds": len(walls),
                     "median wall s": med, "median CPU s": statistics.median(cpus),
                     "median acquisition s": statistics.median(acq),
                     "wall / first tree": med / first})
    shas = [json.dumps({c: v["sha256"] for c, v in r["cases"].items()}, sort_keys=True)
            for t in trees for r in runs[str(t)]]
    equal = len(set(shas)) == 1
    print_table(rows, list(rows[0]))
    print(f"ROI bytes equal across trees and rounds: {equal}; load {load_before[0]:.1f} -> "
          f"{load_after[0]:.1f}")
    write_json("chest_case_cost", {"environment": environment(), "sites": args.sites,
                                   "cases": args.cases, "rounds": args.rounds,
                                   "load_before": load_before, "load_after": load_after,
                                   "roi_bytes_equal": equal, "trees": summary}, args.out)


if __name__ == "__main__":
    main()
