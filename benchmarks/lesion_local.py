"""Lesion-local acquisition against full field, side by side in one run, per case.

Setting (VICTRE-like, sized for a shared 2-core CPU): a ``breast/dense`` phantom at 0.1 mm
voxels (``victwin.phantom.make``, seed 1); one lesion site at the breast's middle (x = 40 %
of the breast's depth from the chest wall, y = 0, mid-height) with VICTRE's mass VOI,
109 x 109 pixels of 85 um x 9 slices of 1 mm, i.e. a 9.3 x 9.3 x 9 mm box; the systems'
own rays per pixel (2 x 2) and AEC. Cases:

``dm``   mammomat-dm, 85 um (3000 x 1500), one view.
``dbt``  mammomat-dbt, 25 views, ``--dbt-binning`` (default 2: 170 um, 1500 x 750).
         Lesion-local runs all 25 views; the full field runs ``--full-views`` of them
         (default 5 evenly spread) and its 25-view time is 25 x its mean time per view
         (every view traces the same panel; say ``--full-views 25`` to run them all).

Both runs are noise-free (the noise draw is part of the "detector" stage and the same code
in both); each case also reports the equivalence of the lesion-local crops with the full
field's at this fidelity (relative RMS of line integrals) and, for DBT, the time of the VOI's
FBP from the lesion-local strip. The full-field column does not include a full-grid FBP
(~100 s quiet at 85 um), so the speed-ups are conservative. The machine load (``uptime``)
is recorded before and after.

Usage::

    python benchmarks/lesion_local.py [--dbt-binning 2] [--full-views 5] [--out FILE]
    python benchmarks/lesion_local.py --voxel-mm 0.5 --dm-binning 8 --dbt-binning 8 \
        --full-views 2 --out /tmp/smoke.json       # a one-minute smoke run
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import environment, print_table, write_json  # noqa: E402

from victwin.acquisition import Region, acquire  # noqa: E402
from victwin.geometry import Grid  # noqa: E402
from victwin.recon import reconstruct  # noqa: E402

VOI_MM = (109 * 0.085, 109 * 0.085, 9.0)  # VICTRE mass VOI: 109 x 109 x 9 (85 um, 1 mm)


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _site(phantom) -> tuple:
    """A site in the breast's middle: x = 40 % of the breast's depth, y = 0, mid-height."""
    labels, grid = phantom.labels, phantom.grid
    air = [k for k, m in phantom.materials.items() if m == "air"]
    mid = labels[labels.shape[0] // 2]
    tissue = ~np.isin(mid, air)
    cols = np.nonzero(tissue.any(axis=0))[0]
    x = grid.axis_mm("x")
    x_site = x[cols[0]] + 0.4 * (x[cols[-1]] - x[cols[0]])
    z = grid.axis_mm("z")
    tz = np.nonzero([np.any(~np.isin(labels[k], air)) for k in range(labels.shape[0])])[0]
    return (float(x_site), 0.0, float(0.5 * (z[tz[0]] + z[tz[-1]])))


def _crop_rel_rms(full, local, full_views) -> float:
    pf, pl = full.line_integrals(), local.line_integrals()
    h, w = local.region.shape
    errs = []
    for a, k in enumerate(full_views):
        r0, c0 = local.region.offsets[k]
        ref = pf[a, r0:r0 + h, c0:c0 + w]
        errs.append(float(np.sqrt(np.mean((pl[k] - ref) ** 2)) / np.sqrt(np.mean(ref ** 2))))
    return max(errs)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dbt-binning", type=int, default=2)
    ap.add_argument("--full-views", type=int, default=5)
    ap.add_argument("--recipe", default="breast/dense")
    ap.add_argument("--voxel-mm", type=float, default=0.1)
    ap.add_argument("--dm-binning", type=int, default=1)
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)

    from victwin.phantom import make

    load_before = _load()
    t0 = time.perf_counter()
    phantom = make(args.recipe, seed=1, voxel_mm=args.voxel_mm, progress=False)
    t_phantom = time.perf_counter() - t0
    site = _site(phantom)
    region = Region.around(site, VOI_MM)
    thickness = float(phantom.meta["thickness_mm"])
    print(f"phantom {args.recipe} {phantom.labels.shape} in {t_phantom:.1f} s; site {site}; "
          f"load {load_before}")
    # numba compiles on first use: warm both code paths on a tiny run (not timed)
    acquire(phantom, "mammomat-dm", seed=1, binning=40, noise=False, progress=False)
    acquire(phantom, "mammomat-dm", seed=1, binning=40, noise=False, progress=False,
            region=Region.around(site, (20.0, 20.0, 9.0)))

    rows = []
    n_full = max(1, min(25, args.full_views))
    full_views = sorted(set(np.linspace(0, 24, n_full).round().astype(int).tolist()))
    cases = [("dm", "mammomat-dm", args.dm_binning, None), ("dbt", "mammomat-dbt", args.dbt_binning,
                                              full_views)]
    for name, system, binning, sub in cases:
        kw = dict(seed=1, binning=binning, noise=False, progress=False)
        t = time.perf_counter()
        full = acquire(phantom, system, views=sub, **kw)
        t_full = time.perf_counter() - t
        n_views = 1 if sub is None else 25
        t_full_all = t_full * n_views / (1 if sub is None else len(sub))
        t = time.perf_counter()
        local = acquire(phantom, system, region=region, **kw)
        t_local = time.perf_counter() - t
        row = {"case": name, "system": system, "views": n_views,
               "pitch_mm": round(full.views[0].panel.pitch[0], 4),
               "full_panel": "x".join(map(str, full.raw.shape[1:])),
               "crop": "x".join(map(str, local.raw.shape[1:])),
               "full_s": t_full_all, "full_views_run": len(sub) if sub else 1,
               "local_s": t_local,
               "local_coarse_scatter_s": local.timings_s.get("coarse_scatter", 0.0),
               "speedup": t_full_all / t_local,
               "crop_rel_rms": _crop_rel_rms(full, local, sub or [0]),
               "full_timings_s": full.timings_s, "local_timings_s": local.timings_s}
        if name == "dbt":
            p, views = local.reconstruction_input()
            vxy = 0.085 * (650.0 - 20.0) / 650.0
            n = int(round(VOI_MM[0] / vxy))
            lower = np.subtract(site, np.divide(VOI_MM, 2))
            voi = Grid(shape=(9, n, n), spacing=(1.0, vxy, vxy),
                       origin=tuple(lower + (vxy / 2, vxy / 2, 0.5)))
            t = time.perf_counter()
            reconstruct(p, views, voi, "fbp", thickness_mm=thickness, support_mm=20.0,
                        progress=False)
            row["local_voi_fbp_s"] = time.perf_counter() - t
            row["local_s_with_fbp"] = t_local + row["local_voi_fbp_s"]
        rows.append(row)
        print(f"{name}: full {t_full_all:.1f} s, local {t_local:.1f} s, "
              f"x{t_full_all / t_local:.1f}; load {_load()}", flush=True)
    total_full = sum(r["full_s"] for r in rows)
    total_local = sum(r.get("local_s_with_fbp", r["local_s"]) for r in rows)
    rows.append({"case": "dm+dbt", "full_s": total_full, "local_s": total_local,
                 "speedup": total_full / total_local})
    print_table(rows, ["case", "views", "pitch_mm", "full_panel", "crop", "full_s",
                       "full_views_run", "local_s", "local_coarse_scatter_s", "speedup",
                       "crop_rel_rms"])
    payload = {"environment": environment(), "load_avg_before": load_before,
               "load_avg_after": _load(), "recipe": args.recipe, "voxel_mm": args.voxel_mm,
               "phantom_shape_zyx": list(phantom.labels.shape), "phantom_s": t_phantom,
               "site_mm": list(site), "region": region.to_dict(), "noise": False,
               "results": rows}
    write_json("lesion_local", payload, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
