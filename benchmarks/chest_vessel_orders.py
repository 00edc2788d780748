"""Pulmonary vessel calibres by Strahler order, periphery reach and generation cost, for the
working tree and a reference commit side by side (one run, same machine load).

    python benchmarks/chest_vessel_orders.py [--ref 870186b] [--seeds 0 1 2]

For each code version (``--ref``: a git commit, exported with ``git archive`` to a temporary
directory; ``HEAD`` of the working tree otherwise called "current") and each ``chest/adult``
seed, in a fresh subprocess:

* the arterial and venous trees ``vessel_trees(seed=, voxel_mm=1)`` returns, ordered by
  Strahler's method over vessels >= 1 mm (as Horsfield & Thomas, Thorax 1981;36:360, order
  normal angiograms: 6 orders with the main pulmonary artery): number of orders (+1 for the
  main artery), mean diameter of each order, diameter ratio per order;
* periphery reach: distance from each of the lung's sample points to the nearest terminal
  branch end (median, 95th percentile), vessel volume and length;
* cost: CPU time (user + system) and wall time of ``make_chest`` for the 178 cm, BMI 27,
  50-year-old man of docs/phantoms/chest.md ("Cost"), 1 mm voxels, numba compiled first.

Writes ``benchmarks/results/chest_vessel_orders.json`` (with the 1-minute load before and
after each timing) and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import environment, print_table, write_json  # noqa: E402

COST_BODY = {"body": {"sex": "male", "age_years": 50, "height_cm": 178, "bmi": 27}}

CHILD = r"""
import json, math, resource, sys, time
import numpy as np
from scipy.spatial import cKDTree
from victwin.phantom.chest import make_chest
from victwin.phantom.chest import builder as B
from victwin.phantom.chest.trees import strahler_orders

seeds = json.loads(sys.argv[1])
out = {"trees": []}
for seed in seeds:
    rec = B.load_chest_recipe("chest/adult")
    r_body, r_thorax, r_trees, _ = B._streams(seed)
    body = B.resolve_body(rec, r_body)
    t = B._place_torso(B.thorax_for(body, r_thorax), body.height_cm)
    pts = B._lung_points(t.cav, r_trees, rec["lungs"]["vessel_points"])
    trees = B._vessel_trees(rec, t, B.hila_for(t.cav, t.sp), pts, 1.0)
    for kind, side, rows in trees:
        order = strahler_orders(rows, min_diameter_mm=1.0)
        d = 2.0 * rows[:, 6]
        means = [float(d[order == k].mean()) for k in range(1, order.max() + 1)]
        ratio = math.exp(np.polyfit(np.arange(len(means)), np.log(means), 1)[0])
        parent = rows[:, 9].astype(int)
        has_child = np.zeros(len(rows), bool)
        has_child[parent[parent >= 0]] = True
        dist, _ = cKDTree(rows[~has_child, 3:6]).query(pts[side])
        length = np.linalg.norm(rows[:, 3:6] - rows[:, 0:3], axis=1)
        out["trees"].append({
            "seed": seed, "kind": kind, "side": "right" if side < 0 else "left",
            "branches": int(len(rows)), "root_mm": float(d[0]),
            "orders_ge_1mm_with_main_artery": len(means) + 1,
            "mean_diameter_by_order_mm": [round(m, 2) for m in means],
            "ratio_per_order": round(ratio, 3),
            "point_to_nearest_end_mm": [round(float(v), 1) for v in np.percentile(dist, [50, 95])],
            "volume_ml": round(float(np.sum(np.pi * rows[:, 6] ** 2 * length)) / 1e3, 1),
            "length_m": round(float(length.sum()) / 1e3, 1)})
body = json.loads(sys.argv[2])
make_chest(body, seed=0, voxel_mm=4.0, progress=False)          # numba compiled first
with open("/proc/loadavg") as fh:
    load0 = float(fh.read().split()[0])
r0 = resource.getrusage(resource.RUSAGE_SELF)
w0 = time.perf_counter()
make_chest(body, seed=0, voxel_mm=1.0, progress=False)
wall = time.perf_counter() - w0
r1 = resource.getrusage(resource.RUSAGE_SELF)
with open("/proc/loadavg") as fh:
    load1 = float(fh.read().split()[0])
out["cost_1mm"] = {"user_s": round(r1.ru_utime - r0.ru_utime, 2),
                   "system_s": round(r1.ru_stime - r0.ru_stime, 2),
                   "wall_s": round(wall, 1), "load_1min": [load0, load1],
                   "peak_rss_gb": round(r1.ru_maxrss / 1e6, 2)}
print(json.dumps(out))
"""


def run_version(src: Path, seeds: list[int]) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src)}
    res = subprocess.run([sys.executable, "-c", CHILD, json.dumps(seeds), json.dumps(COST_BODY)],
                         env=env, cwd=str(src), capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ref", default="870186b", help="reference commit (before)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = ap.parse_args()
    versions = {}
    with tempfile.TemporaryDirectory() as tmp:
        ref_dir = Path(tmp) / "ref"
        ref_dir.mkdir()
        archive = subprocess.run(["git", "archive", args.ref], cwd=ROOT, capture_output=True,
                                 check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(ref_dir)], input=archive, check=True)
        for name, src in ((f"ref {args.ref}", ref_dir), ("current", ROOT)):
            t0 = time.time()
            versions[name] = run_version(src, args.seeds)
            versions[name]["elapsed_s"] = round(time.time() - t0, 1)
    rows = []
    for name, v in versions.items():
        for tr in v["trees"]:
            rows.append({"version": name, "seed": tr["seed"], "tree": f"{tr['kind']} {tr['side']}",
                         "orders": tr["orders_ge_1mm_with_main_artery"],
                         "ratio": tr["ratio_per_order"],
                         "orders 2-4 (mm)": "/".join(f"{m:.1f}" for m in
                                                     tr["mean_diameter_by_order_mm"][1:4]),
                         "pt->end p50/p95": "/".join(str(x) for x in tr["point_to_nearest_end_mm"]),
                         "vol mL": tr["volume_ml"]})
    print_table(rows, ["version", "seed", "tree", "orders", "ratio", "orders 2-4 (mm)",
                       "pt->end p50/p95", "vol mL"])
    print()
    cost = [{"version": n, **v["cost_1mm"]} for n, v in versions.items()]
    print_table(cost, ["version", "user_s", "system_s", "wall_s", "load_1min", "peak_rss_gb"])
    write_json("chest_vessel_orders", {"environment": environment(), "ref": args.ref,
                                       "seeds": args.seeds, "cost_body": COST_BODY,
                                       "versions": versions})


if __name__ == "__main__":
    main()
