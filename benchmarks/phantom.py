"""Benchmark: time and peak memory to make one dense breast phantom at 0.1 mm and 0.05 mm,
and the glandular fraction of each density recipe over 20 seeds.

Each timing runs in a fresh Python process (so ``ru_maxrss`` is that run's own peak) after a
warm-up phantom that loads the numba kernels from cache (compile time is reported apart).
Memory is reported two ways: the tracemalloc peak (NumPy buffers and Python objects) and the
growth of the resident-set peak over the warmed-up baseline; both are divided by the number of
voxels. Target (issue 5): 0.1 mm in under 60 s on 2 cores, about 2 bytes per voxel.

Usage: python benchmarks/phantom.py [--voxels 0.1 0.05] [--seeds 20] [--fraction-voxel-mm 1.0]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import environment, print_table, write_json  # noqa: E402

_CHILD = r"""
import json, resource, sys, time, tracemalloc
t0 = time.perf_counter()
from victwin.phantom import make
make("breast/dense", seed=0, voxel_mm=2.0, progress=False)  # load/compile kernels
warm_s = time.perf_counter() - t0
base_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
vox = float(sys.argv[1]); seed = int(sys.argv[2])
tracemalloc.start()
t = time.perf_counter()
p = make("breast/dense", seed=seed, voxel_mm=vox, progress=False)
dt = time.perf_counter() - t
cur, peak = tracemalloc.get_traced_memory()
tracemalloc.stop()
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"voxel_mm": vox, "seed": seed, "time_s": dt, "warmup_s": warm_s,
                  "shape": list(p.shape), "n_voxels": int(p.labels.size),
                  "tracemalloc_peak_bytes": peak, "rss_base_bytes": base_kb * 1024,
                  "rss_peak_bytes": peak_kb * 1024,
                  "glandular_fraction_volume": p.meta["glandular_fraction_volume"],
                  "thickness_mm": p.meta["thickness_mm"],
                  "breast_volume_ml": p.meta["breast_volume_ml"]}))
"""


def time_one(voxel_mm: float, seed: int) -> dict:
    out = subprocess.run([sys.executable, "-c", _CHILD, str(voxel_mm), str(seed)],
                         capture_output=True, text=True, check=True)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    n = r["n_voxels"]
    r["voxels_M"] = n / 1e6
    r["tracemalloc_B_per_voxel"] = r["tracemalloc_peak_bytes"] / n
    r["rss_growth_B_per_voxel"] = (r["rss_peak_bytes"] - r["rss_base_bytes"]) / n
    r["Mvoxel_per_s"] = n / 1e6 / r["time_s"]
    return r


def fraction_table(n_seeds: int, voxel_mm: float) -> list[dict]:
    from victwin.phantom import load_recipe, make

    victre = {"fatty": 0.05, "scattered": 0.15, "heterogeneous": 0.34, "dense": 0.60}
    rows = []
    for name in ("fatty", "scattered", "heterogeneous", "dense"):
        rng = load_recipe(f"breast/{name}")["glandular"]["fraction_volume"]
        fv, fm, err, t = [], [], [], []
        for seed in range(n_seeds):
            t0 = time.perf_counter()
            p = make(f"breast/{name}", seed=seed, voxel_mm=voxel_mm, progress=False)
            t.append(time.perf_counter() - t0)
            fv.append(p.meta["glandular_fraction_volume"])
            fm.append(p.meta["glandular_fraction_mass"])
            err.append(abs(fv[-1] - p.meta["glandular_fraction_target"]))
        inside = sum(rng["min"] <= f <= rng["max"] for f in fv)
        rows.append({"recipe": f"breast/{name}", "victre_fraction": victre[name],
                     "target_min": rng["min"], "target_max": rng["max"],
                     "fv_min": min(fv), "fv_median": sorted(fv)[len(fv) // 2], "fv_max": max(fv),
                     "fm_median": sorted(fm)[len(fm) // 2], "max_abs_err_vs_target": max(err),
                     "in_range": f"{inside}/{n_seeds}", "mean_time_s": sum(t) / len(t)})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--voxels", type=float, nargs="+", default=[0.1, 0.05])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--fraction-voxel-mm", type=float, default=1.0)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    timing = [time_one(v, args.seed) for v in args.voxels]
    print("\nDense breast phantom (breast/dense), one process per row")
    print_table(timing, ["voxel_mm", "shape", "voxels_M", "time_s", "Mvoxel_per_s",
                         "tracemalloc_B_per_voxel", "rss_growth_B_per_voxel", "warmup_s"])

    fractions = fraction_table(args.seeds, args.fraction_voxel_mm)
    print(f"\nVolume glandular fraction over {args.seeds} seeds at {args.fraction_voxel_mm} mm")
    print_table(fractions, ["recipe", "victre_fraction", "target_min", "target_max", "fv_min",
                            "fv_median", "fv_max", "fm_median", "max_abs_err_vs_target",
                            "in_range", "mean_time_s"])
    write_json("phantom", {"environment": environment(), "timing": timing,
                           "glandular_fraction": fractions,
                           "fraction_voxel_mm": args.fraction_voxel_mm}, args.json)


if __name__ == "__main__":
    main()
