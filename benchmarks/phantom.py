"""Benchmark: time and peak memory to make one dense breast phantom at 0.1 mm and 0.05 mm,
and the glandular fraction of each density recipe over 20 seeds.

Each timing runs in a fresh Python process (so ``ru_maxrss`` is that run's own peak) after a
warm-up phantom that loads the numba kernels from cache (compile time is reported apart).
Wall time depends on what else runs on the machine (the 1-minute load average is recorded);
``cpu_s`` (user + system CPU seconds of the run) is the contention-free cost. Memory is
reported two ways: the tracemalloc peak (NumPy buffers and Python objects) and the
growth of the resident-set peak over the warmed-up baseline; both are divided by the number of
voxels. Target (issue 5): 0.1 mm in under 60 s on 2 cores, about 2 bytes per voxel.

Usage: python benchmarks/phantom.py [--voxels 0.1 0.05] [--seeds 20] [--fraction-voxel-mm 1.0]
       python benchmarks/phantom.py --previews docs/phantoms [--preview-voxel-mm 0.2]
"""

from __future__ import annotations

import argparse
import json
import os
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
r0 = resource.getrusage(resource.RUSAGE_SELF)
t = time.perf_counter()
p = make("breast/dense", seed=seed, voxel_mm=vox, progress=False)
dt = time.perf_counter() - t
r1 = resource.getrusage(resource.RUSAGE_SELF)
cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
cur, peak = tracemalloc.get_traced_memory()
tracemalloc.stop()
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"voxel_mm": vox, "seed": seed, "time_s": dt, "cpu_s": cpu, "warmup_s": warm_s,
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
    r["load_avg_1min"] = os.getloadavg()[0]
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


def write_previews(folder: str, voxel_mm: float, seed: int) -> None:
    """One PNG per breast recipe (and the Shepp-Logan phantom) for the docs."""
    from victwin.phantom import make

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    for name in ("fatty", "scattered", "heterogeneous", "dense"):
        p = make(f"breast/{name}", seed=seed, voxel_mm=voxel_mm, progress=False)
        m = p.meta
        title = (f"breast/{name} (BI-RADS {m['birads']})  seed {seed}  voxel {voxel_mm:g} mm  "
                 f"T {m['thickness_mm']:.1f} mm  glandular {m['glandular_fraction_volume']:.2f}")
        print("wrote", p.preview(out / f"breast_{name}.png", title=title))
    p = make("analytic/shepp_logan", voxel_mm=2.0)
    print("wrote", p.preview(out / "analytic_shepp_logan.png"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--voxels", type=float, nargs="+", default=[0.1, 0.05])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--fraction-voxel-mm", type=float, default=1.0)
    ap.add_argument("--json", default=None)
    ap.add_argument("--previews", default=None, help="write preview PNGs to this folder and exit")
    ap.add_argument("--preview-voxel-mm", type=float, default=0.2)
    args = ap.parse_args()
    if args.previews:
        write_previews(args.previews, args.preview_voxel_mm, args.seed)
        return

    timing = [time_one(v, args.seed) for v in args.voxels]
    print("\nDense breast phantom (breast/dense), one process per row")
    print_table(timing, ["voxel_mm", "shape", "voxels_M", "time_s", "cpu_s", "Mvoxel_per_s",
                         "tracemalloc_B_per_voxel", "rss_growth_B_per_voxel", "warmup_s",
                         "load_avg_1min"])

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
