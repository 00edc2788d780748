"""Benchmark: the whole breast phantom vs the windows lesion-local sites need.

One twin (``--recipe``, ``--seed``) at ``--voxel-mm`` (0.1 mm: VICTRE's phantom voxel). Sites
are placed on the prepared breast as a trial places them (VICTRE's ROI boxes, DM focal spot
65 cm above the chest wall); each site gets a DBT-site window (``--dbt-mm``, default 20 x 12 mm,
the whole compressed thickness: roughly the box a DBT VOI's rays cross) and a DM-site window
(``--dm-mm``, 12 x 12 mm x thickness). Timed, each with wall and CPU seconds (all threads):

* prepare: the draws (once per twin);
* once per twin: the glandular threshold solve, the trees' voxel boxes and the whole-volume
  metadata (the whole breast at 1 mm);
* site placement on the prepared breast (each candidate's voxels only);
* every window, and a VICTRE-sized mass inserted into one DBT window;
* unless ``--no-full``: the whole phantom, placement on it, a mass inserted into it (a copy of
  the whole phantom), and checks that the sites are the same and each window equals the crop.

The machine load (``uptime``) is recorded before and after: wall time depends on it, CPU
seconds much less.

Usage: python benchmarks/phantom_window.py [--voxel-mm 0.1] [--recipe breast/dense] [--seed 1]
       [--sites 8] [--no-full] [--json PATH]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import environment, print_table, write_json  # noqa: E402

#: VICTRE's ROI/VOI boxes (mm): mass 9.265 mm (109 px of 85 um) x 9 slices of 1 mm,
#: calcification 5.525 mm (65 px) x 5 slices (NOTES.md, issue 14; VICTRE ROI Extraction).
BOXES = {"mass": (9.265, 9.265, 9.0), "calcification": (5.525, 5.525, 5.0)}
#: VICTRE's DM focal spot: 65 cm above the detector at the chest wall (placement tests).
SOURCE_MM = (0.0, 0.0, 650.0)


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


class _Clock:
    def __init__(self):
        self.rows = []

    def run(self, name, fn, voxels=None, nbytes=None):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        row = {"step": name, "wall_s": time.perf_counter() - w, "cpu_s": time.process_time() - c}
        if voxels is not None:
            row["voxels"] = int(voxels(out))
        if nbytes is not None:
            row["bytes"] = int(nbytes(out))
        self.rows.append(row)
        print(f"  {name}: {row['wall_s']:.2f} s wall, {row['cpu_s']:.2f} s CPU", flush=True)
        return out


def _window(site, size_xy, prep):
    cx, cy, _ = site.center_mm
    z0, z1 = prep.support_mm, prep.support_mm + prep.thickness_mm
    return ((cx - size_xy[0] / 2, cy - size_xy[1] / 2, z0),
            (cx + size_xy[0] / 2, cy + size_xy[1] / 2, z1))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recipe", default="breast/dense")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--voxel-mm", type=float, default=0.1)
    ap.add_argument("--sites", type=int, default=8,
                    help="sites: a quarter masses, a quarter calcifications, half absent")
    ap.add_argument("--dbt-mm", type=float, nargs=2, default=(20.0, 12.0))
    ap.add_argument("--dm-mm", type=float, nargs=2, default=(12.0, 12.0))
    ap.add_argument("--no-full", action="store_true", help="skip the whole phantom")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)

    from victwin.phantom import make, prepare, victre_mass, insert_lesion
    from victwin.phantom.placement import place_sites

    vox = args.voxel_mm
    load_before = _uptime()
    print(load_before)
    make(args.recipe, seed=args.seed, voxel_mm=4.0, window_mm=((30, -5, 30), (40, 5, 40)))
    clock = _Clock()
    n_m = max(1, args.sites // 4)
    counts = {"mass": n_m, "calcification": n_m, "absent": max(0, args.sites - 2 * n_m)}
    prep = clock.run("prepare (draws)", lambda: prepare(args.recipe, seed=args.seed))
    meta = clock.run("once per twin (threshold, tree boxes, 1 mm whole-volume meta)",
                     lambda: prep.meta(vox))
    full_voxels = prep.grid(vox).n_voxels
    sites = clock.run(f"place {args.sites} sites on the prepared breast",
                      lambda: place_sites(prep, counts, BOXES, rng=args.seed,
                                          source_mm=SOURCE_MM, voxel_mm=vox))
    windows = []
    for k, site in enumerate(sites):
        for kind, size in (("DBT", args.dbt_mm), ("DM", args.dm_mm)):
            box = _window(site, size, prep)
            ph = clock.run(f"window site {k} {kind} {size[0]:g}x{size[1]:g} mm",
                           lambda: prep.make(vox, window_mm=box, progress=False),
                           voxels=lambda p: p.labels.size, nbytes=lambda p: p.labels.nbytes)
            windows.append((kind, box, ph))
    model = victre_mass(args.seed, voxel_mm=vox)
    site0 = next(s for s in sites if s.kind == "mass")
    dbt0 = next(ph for kind, _, ph in windows if kind == "DBT")
    clock.run("insert a VICTRE mass into site 0's DBT window",
              lambda: insert_lesion(dbt0, model, center_mm=site0.center_mm))

    checks = {}
    if not args.no_full:
        full = clock.run("whole phantom", lambda: make(args.recipe, seed=args.seed,
                                                       voxel_mm=vox, progress=False),
                         voxels=lambda p: p.labels.size, nbytes=lambda p: p.labels.nbytes)
        full_sites = clock.run(f"place {args.sites} sites on the whole phantom",
                               lambda: place_sites(full, counts, BOXES, rng=args.seed,
                                                   source_mm=SOURCE_MM))
        clock.run("insert a VICTRE mass into the whole phantom",
                  lambda: insert_lesion(full, model, center_mm=site0.center_mm))
        checks["sites_equal"] = full_sites == sites
        ok = []
        for _, _, ph in windows:
            i0 = np.asarray(ph.meta["window"]["index"])
            i1 = i0 + np.asarray(ph.shape)
            ok.append(bool(np.array_equal(
                ph.labels, full.labels[i0[0]:i1[0], i0[1]:i1[1], i0[2]:i1[2]])))
        checks["windows_equal_crops"] = all(ok)
        checks["whole_volume"] = {k: {"whole phantom": full.meta[k], "window": meta[k]}
                                  for k in ("glandular_fraction_volume",
                                            "glandular_fraction_mass", "breast_volume_ml")}
        print("checks:", checks)
        del full
    load_after = _uptime()
    print(load_after)

    rows = clock.rows
    win_rows = [r for r in rows if r["step"].startswith("window")]
    summary = []
    for kind in ("DBT", "DM"):
        rs = [r for r in win_rows if f" {kind} " in r["step"]]
        summary.append({"step": f"{len(rs)} {kind} windows (sum)",
                        "wall_s": sum(r["wall_s"] for r in rs),
                        "cpu_s": sum(r["cpu_s"] for r in rs),
                        "voxels": sum(r["voxels"] for r in rs),
                        "bytes": sum(r["bytes"] for r in rs)})
    once = [r for r in rows if r["step"].startswith(("prepare", "once", "place", "window"))
            and "whole phantom" not in r["step"]]
    summary.append({"step": f"twin lesion-local: prepare + once + placement + {len(win_rows)} "
                            f"windows",
                    "wall_s": sum(r["wall_s"] for r in once),
                    "cpu_s": sum(r["cpu_s"] for r in once),
                    "voxels": sum(r.get("voxels", 0) for r in once),
                    "bytes": sum(r.get("bytes", 0) for r in once)})
    whole = [r for r in rows if r["step"] == "whole phantom"]
    if whole:
        summary.append(dict(whole[0], step="whole phantom (make)"))
    print()
    print(f"{args.recipe} seed {args.seed} at {vox} mm: whole grid {prep.grid(vox).shape} "
          f"({full_voxels / 1e6:.0f} M voxels)")
    print_table(rows + summary, ["step", "wall_s", "cpu_s", "voxels", "bytes"])
    write_json(f"phantom_window{'' if vox == 0.1 else f'_{vox:g}mm'}", {
        "environment": environment(), "uptime_before": load_before, "uptime_after": load_after,
        "recipe": args.recipe, "seed": args.seed, "voxel_mm": vox,
        "full_shape": list(prep.grid(vox).shape), "full_voxels": full_voxels,
        "sites": [s.to_dict() for s in sites], "dbt_mm": list(args.dbt_mm),
        "dm_mm": list(args.dm_mm), "rows": rows, "summary": summary, "checks": checks,
    }, args.json)
    if checks and not (checks["sites_equal"] and checks["windows_equal_crops"]):
        raise SystemExit("windows or sites differ from the whole phantom's")


if __name__ == "__main__":
    main()
