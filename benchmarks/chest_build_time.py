"""Chest twin build time, this tree against another (e.g. a `git worktree` of an older commit),
side by side, with the labels' and metadata's sha256 of every twin compared.

    python benchmarks/chest_build_time.py --before /tmp/old-tree [--after TREE] [--json OUT]

Both trees build the same twins (8 bodies spanning the accepted range x 2 seeds at 6 mm, the
test suite's robustness voxel, and three 2-3 mm twins, one neutral and two PA-positioned), each
in its own long-lived process; the twins are built one at a time, alternating between the
trees (before-after, then after-before), so that both see the same machine load over the run
(the shared 2-core machine is noisy: compare the ratio, not the seconds). Each process builds
one warm-up twin first (numba compilation, caches), not timed. Prints a table and writes JSON
(default benchmarks/results/chest_build_time.json).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BODIES = [("female", 50, 160, 25), ("male", 30, 190, 35), ("female", 80, 145, 18),
          ("male", 70, 170, 22), ("female", 25, 175, 40), ("male", 18, 120, 12),
          ("female", 90, 220, 70), ("male", 55, 178, 26)]
JOBS = ([(b, s, 6.0, "neutral") for b in BODIES for s in (0, 7)]
        + [(BODIES[0], 3, 2.0, "neutral"), (BODIES[1], 4, 2.0, "pa"), (BODIES[7], 3, 3.0, "pa")])

_CHILD = r"""
import hashlib, json, sys, time
from victwin.phantom.chest import make_chest
def build(b, seed, vox, pos):
    sex, age, h, bmi = b
    return make_chest({"body": {"sex": sex, "age_years": age, "height_cm": h, "bmi": bmi},
                       "scapulae": {"positioning": pos}}, seed=seed, voxel_mm=vox,
                      progress=False)
build(("female", 40, 165, 24), 1, 6.0, "neutral")               # warm-up, not timed
print("ready", flush=True)
for line in sys.stdin:                                            # one job per line
    b, seed, vox, pos = json.loads(line)
    t = time.perf_counter()
    try:
        ph = build(b, seed, vox, pos)
        out = {"labels": hashlib.sha256(ph.labels.tobytes()).hexdigest(),
               "meta": hashlib.sha256(json.dumps(ph.meta, sort_keys=True,
                                                 default=str).encode()).hexdigest(),
               "shape": list(ph.labels.shape)}
    except Exception as exc:                                      # a refusal is a result too
        out = {"error": str(exc)[:200]}
    out["s"] = time.perf_counter() - t
    print(json.dumps(out), flush=True)
"""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", required=True, help="the other tree (its root directory)")
    ap.add_argument("--after", default=str(ROOT), help="the tree to compare (default: this one)")
    ap.add_argument("--json", default=str(ROOT / "benchmarks/results/chest_build_time.json"))
    args = ap.parse_args(argv)
    trees = {"before": Path(args.before).resolve(), "after": Path(args.after).resolve()}
    load0 = os.getloadavg()[0]
    procs = {}
    for name, tree in trees.items():
        env = dict(os.environ, PYTHONPATH=str(tree))
        procs[name] = subprocess.Popen([sys.executable, "-c", _CHILD], cwd=str(tree), env=env,
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       text=True)
    for p in procs.values():
        if p.stdout.readline().strip() != "ready":
            sys.exit("chest_build_time: a build process failed to start")
    t0 = time.perf_counter()
    results = {name: [] for name in trees}
    for k, job in enumerate(JOBS):
        for name in (("before", "after") if k % 2 == 0 else ("after", "before")):
            procs[name].stdin.write(json.dumps(job) + "\n")
            procs[name].stdin.flush()
            line = procs[name].stdout.readline()
            if not line:
                sys.exit(f"chest_build_time: the {name} process died")
            results[name].append(json.loads(line))
    for p in procs.values():
        p.stdin.close()
        p.wait()
    wall = time.perf_counter() - t0
    rows = []
    print(f"{'body':<28} {'seed':>4} {'vox':>4} {'posture':<8} {'before s':>9} {'after s':>8} "
          f"{'ratio':>6}  same bytes")
    for job, b, a in zip(JOBS, results["before"], results["after"]):
        same = {k: b.get(k) for k in ("labels", "meta", "error")} == \
            {k: a.get(k) for k in ("labels", "meta", "error")}
        rows.append({"body": job[0], "seed": job[1], "voxel_mm": job[2], "posture": job[3],
                     "before_s": b["s"], "after_s": a["s"], "same_bytes": same})
        print(f"{str(job[0]):<28} {job[1]:>4} {job[2]:>4g} {job[3]:<8} {b['s']:9.1f} "
              f"{a['s']:8.1f} {a['s'] / b['s']:6.2f}  {same}")
    tb = sum(r["before_s"] for r in rows)
    ta = sum(r["after_s"] for r in rows)
    n_same = sum(r["same_bytes"] for r in rows)
    print(f"total: before {tb:.1f} s, after {ta:.1f} s (ratio {ta / tb:.2f}); "
          f"{n_same} of {len(rows)} twins byte-identical; load {load0:.1f} -> "
          f"{os.getloadavg()[0]:.1f}")
    Path(args.json).write_text(json.dumps({
        "before_tree": str(trees["before"]), "after_tree": str(trees["after"]), "wall_s": wall,
        "load_before": load0, "load_after": os.getloadavg()[0], "total_before_s": tb,
        "total_after_s": ta, "byte_identical": n_same, "twins": len(rows), "rows": rows},
        indent=1))
    return 0 if n_same == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
