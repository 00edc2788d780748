"""Lesion-local acquisition against full field, side by side in one run, per case.

Setting (VICTRE fidelity, sized for a shared 2-core CPU): a ``breast/dense`` phantom at 0.1 mm
voxels (``victwin.phantom.make``, seed 1), the lesion-absent twin; ``--sites`` lesion sites
drawn on glandular voxels, each with its lesion-present twin (a VICTRE mass,
``victwin.phantom.victre_mass`` at 0.05 mm, inserted there); at each site VICTRE's mass VOI,
109 x 109 pixels of 85 um x 9 slices of 1 mm, i.e. a 9.3 x 9.3 x 9 mm box; the systems' own
rays per pixel (2 x 2) and AEC. Systems:

``dm``   mammomat-dm, 85 um (3000 x 1500), one view.
``dbt``  mammomat-dbt, 25 views, ``--dbt-binning`` (default 2: 170 um, 1500 x 750).
         The full field runs ``--full-views`` of the 25 views (default 5 evenly spread) and
         its 25-view time is 25 x its mean time per view (every view traces the same panel;
         say ``--full-views 25`` to run them all).

A *case* is what a trial simulates at one site: DM and DBT of the lesion-present and the
lesion-absent twin. Full field: 2 x (DM + DBT) acquisitions of the whole panel (the two
twins cost the same; the full-grid FBP, ~100 s quiet, is not counted, so the speed-ups are
conservative). Lesion-local, one site per twin: the four ``acquire(..., region=...)`` runs
of the site, each with its own coarse scatter pass, and the two DBT VOIs' FBP from the
strip. Reported: each site's case time, the median, the speed-up. Several sites per twin
(as a trial runs them; VICTRE: 20): ``acquire_regions`` over all sites of the
lesion-absent twin and of one lesion-present twin holding every site's mass (beam and
coarse pass shared within a twin), plus the VOIs' FBP, divided by the number of sites: the
amortised case time; its absent-twin bytes are checked equal to the single runs; the
crops' relative RMS difference to the full field (noise-free line integrals); and what
using the lesion-absent twin's coarse scatter pass for the lesion-present twin would
change, against the noise (off with ``--no-coarse-reuse``).

All runs are noise-free (the noise draw is part of the "detector" stage and the same code
in both) except the one noisy run per system that measures the noise for that comparison.
The machine load (``uptime``) is recorded before, during and after.

Usage::

    python benchmarks/lesion_local.py [--sites 3] [--dbt-binning 2] [--full-views 5] \
        [--phantom saved.npz]   # a saved make("breast/dense", seed=1, voxel_mm=0.1)
    python benchmarks/lesion_local.py --voxel-mm 0.5 --dm-binning 8 --dbt-binning 8 \
        --full-views 2 --sites 2 --out /tmp/smoke.json     # a smoke run (~1 min)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import environment, print_table, write_json  # noqa: E402

from victwin.acquisition import Region, acquire, acquire_regions  # noqa: E402
from victwin.geometry import Grid  # noqa: E402
from victwin.recon import reconstruct  # noqa: E402

VOI_MM = (109 * 0.085, 109 * 0.085, 9.0)  # VICTRE mass VOI: 109 x 109 x 9 (85 um, 1 mm)
SUPPORT_MM = 20.0


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _rel_rms(a, b) -> float:
    return float(np.sqrt(np.mean((a - b) ** 2)) / np.sqrt(np.mean(b ** 2)))


def _crop_rel_rms(full, local, full_views) -> float:
    pf, pl = full.line_integrals(), local.line_integrals()
    h, w = local.region.shape
    errs = []
    for a, k in enumerate(full_views):
        r0, c0 = local.region.offsets[k]
        errs.append(_rel_rms(pl[k], pf[a, r0:r0 + h, c0:c0 + w]))
    return max(errs)


def _voi_fbp(acq, site, thickness) -> float:
    p, views = acq.reconstruction_input()
    vxy = 0.085 * (650.0 - SUPPORT_MM) / 650.0
    n = int(round(VOI_MM[0] / vxy))
    lower = np.subtract(site, np.divide(VOI_MM, 2))
    voi = Grid(shape=(9, n, n), spacing=(1.0, vxy, vxy),
               origin=tuple(lower + (vxy / 2, vxy / 2, 0.5)))
    t = time.perf_counter()
    reconstruct(p, views, voi, "fbp", thickness_mm=thickness, support_mm=SUPPORT_MM,
                progress=False)
    return time.perf_counter() - t


def _sites(phantom, n: int, rng) -> tuple[list, list]:
    """``n`` lesion-present twins (a VICTRE mass on a random glandular voxel) and the
    mass centres, mm."""
    from victwin.phantom import insert_lesion, victre_mass

    twins, sites = [], []
    for _ in range(n):
        model = victre_mass(rng, voxel_mm=0.05)
        present, lesion = insert_lesion(phantom, model, rng=rng)
        twins.append(present)
        sites.append(tuple(float(c) for c in lesion.center_mm))
    return twins, sites


def _fits(phantom, site, systems) -> bool:
    try:
        for system, binning in systems:
            acquire(phantom, system, seed=1, binning=40, noise=False, progress=False,
                    scatter=False, views=[0], region=Region.around(site, VOI_MM))
    except ValueError:
        return False
    return True


def _coarse_reuse(absent, present, system, region, binning, views) -> dict:
    """The lesion-present twin's crops with its own coarse scatter pass against those with
    the lesion-absent twin's: difference of line integrals against their noise std."""
    # private on purpose: the benchmark measures whether sharing would be safe
    from victwin.acquisition._acquire import _prepare, _run

    kw = dict(seed=7, case=0, mas=None, kvp=None, dose_scale=1.0, binning=binning,
              rays_per_pixel=None, views=views)
    run = dict(seed=7, case=0, backend="auto", scatter=True, progress=False, region=region)
    own = acquire(present, system, noise=False, region=region, progress=False,
                  **{k: v for k, v in kw.items() if v is not None and k != "case"})
    shared_absent, _, _ = _prepare(absent, system, **kw)
    _run(absent, shared_absent, noise=False, **run)          # fills shared_absent.coarse
    shared_present, _, _ = _prepare(present, system, **kw)
    shared_present.coarse = shared_absent.coarse
    borrowed = _run(present, shared_present, noise=False, **run)
    noisy = acquire(present, system, noise=True, region=region, progress=False,
                    **{k: v for k, v in kw.items() if v is not None and k != "case"})
    li_own, li_b = own.line_integrals(), borrowed.line_integrals()
    sigma = float(np.std(noisy.line_integrals() - li_own))
    diff = li_b - li_own
    return {"system": system, "views": views, "rel_rms": _rel_rms(li_b, li_own),
            "max_abs_diff": float(np.abs(diff).max()), "rms_diff": float(np.sqrt(np.mean(
                diff ** 2))), "noise_std": sigma,
            "max_abs_diff_over_noise": float(np.abs(diff).max()) / sigma}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sites", type=int, default=3)
    ap.add_argument("--dbt-binning", type=int, default=2)
    ap.add_argument("--full-views", type=int, default=5)
    ap.add_argument("--recipe", default="breast/dense")
    ap.add_argument("--voxel-mm", type=float, default=0.1)
    ap.add_argument("--dm-binning", type=int, default=1)
    ap.add_argument("--phantom", default=None,
                    help="a saved phantom (.npz) to use instead of making --recipe")
    ap.add_argument("--no-coarse-reuse", dest="coarse_reuse", action="store_false")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)

    from victwin.phantom import load, make

    loads = {"before": _load()}
    t0 = time.perf_counter()
    if args.phantom:
        absent = load(args.phantom)
    else:
        absent = make(args.recipe, seed=1, voxel_mm=args.voxel_mm, progress=False)
    t_phantom = time.perf_counter() - t0
    thickness = float(absent.meta["thickness_mm"])
    systems = [("mammomat-dm", args.dm_binning), ("mammomat-dbt", args.dbt_binning)]
    rng = np.random.default_rng(11)
    twins, sites = [], []
    t0 = time.perf_counter()
    while len(sites) < args.sites:
        tw, st = _sites(absent, 1, rng)
        if _fits(absent, st[0], systems):   # the VOI must lie in the breast slab
            twins += tw
            sites += st
    t_twins = time.perf_counter() - t0
    print(f"phantom {args.recipe} {absent.labels.shape} in {t_phantom:.1f} s; {len(sites)} "
          f"lesion-present twins in {t_twins:.1f} s; load {loads['before']}", flush=True)
    # numba compiles on first use: warm both code paths on a tiny run (not timed)
    acquire(absent, "mammomat-dm", seed=1, binning=40, noise=False, progress=False)
    acquire(absent, "mammomat-dm", seed=1, binning=8, noise=False, progress=False,
            region=Region.around(sites[0], VOI_MM))

    n_full = max(1, min(25, args.full_views))
    full_views = sorted(set(np.linspace(0, 24, n_full).round().astype(int).tolist()))
    kw_of = {s: dict(seed=1, binning=b, noise=False, progress=False) for s, b in systems}

    # full field, once per system (the two twins cost the same)
    full, t_full = {}, {}
    for system, _ in systems:
        sub = full_views if system.endswith("dbt") else None
        t = time.perf_counter()
        full[system] = acquire(absent, system, views=sub, **kw_of[system])
        dt = time.perf_counter() - t
        t_full[system] = dt * (25 / len(sub) if sub else 1)
        print(f"full {system}: {t_full[system]:.1f} s ({len(sub) if sub else 1} views run); "
              f"load {_load()}", flush=True)
    loads["after_full"] = _load()

    # lesion-local, per site: DM + DBT of both twins
    per_site, singles = [], {s: [] for s, _ in systems}
    for k, (site, present) in enumerate(zip(sites, twins)):
        region = Region.around(site, VOI_MM)
        row = {"case": f"site {k}", "site_mm": [round(c, 2) for c in site]}
        total = 0.0
        for system, _ in systems:
            for twin_name, twin in (("absent", absent), ("present", present)):
                t = time.perf_counter()
                acq = acquire(twin, system, region=region, **kw_of[system])
                dt = time.perf_counter() - t
                if system.endswith("dbt"):
                    dt += _voi_fbp(acq, site, thickness)
                total += dt
                row[f"{system.split('-')[1]}_{twin_name}_s"] = dt
                if twin_name == "absent":
                    singles[system].append(acq)
                    sub = full_views if system.endswith("dbt") else [0]
                    row[f"{system.split('-')[1]}_crop_rel_rms"] = _crop_rel_rms(
                        full[system], acq, sub)
                    row[f"{system.split('-')[1]}_crop"] = "x".join(map(str, acq.raw.shape[1:]))
                    row[f"{system.split('-')[1]}_coarse_s"] = acq.timings_s.get(
                        "coarse_scatter", 0.0)
        row["local_case_s"] = total
        row["full_case_s"] = 2 * sum(t_full.values())
        row["speedup"] = row["full_case_s"] / total
        per_site.append(row)
        print(f"site {k}: lesion-local case {total:.1f} s (x{row['speedup']:.1f}); "
              f"load {_load()}", flush=True)
    loads["after_local"] = _load()

    # acquire_regions: all sites of one twin at once, as a trial with several sites per twin
    # runs (VICTRE: 20 per twin); the lesion-present twin here holds every site's mass
    from victwin.phantom import insert_lesion, victre_mass

    t0 = time.perf_counter()
    all_present = absent
    for site in sites:
        all_present, _ = insert_lesion(all_present, victre_mass(rng, voxel_mm=0.05),
                                       center_mm=site)
    t_all_present = time.perf_counter() - t0
    shared = {"twin_with_all_masses_s": t_all_present}
    regions = [Region.around(s, VOI_MM) for s in sites]
    amortised = 0.0
    for system, _ in systems:
        for twin_name, twin in (("absent", absent), ("present", all_present)):
            t = time.perf_counter()
            got = acquire_regions(twin, system, regions, **kw_of[system])
            dt = time.perf_counter() - t
            t_fbp = sum(_voi_fbp(a, st, thickness) for a, st in zip(got, sites)) \
                if system.endswith("dbt") else 0.0
            amortised += dt + t_fbp
            entry = {"regions": len(regions), "acquire_regions_s": dt, "voi_fbp_s": t_fbp,
                     "per_region_s": (dt + t_fbp) / len(regions),
                     "coarse_scatter_s": got[0].timings_s.get("coarse_scatter", 0.0)}
            if twin_name == "absent":
                entry["bytes_equal_single_runs"] = all(
                    a.raw.tobytes() == b.raw.tobytes() for a, b in zip(got, singles[system]))
            shared[f"{system}_{twin_name}"] = entry
            print(f"acquire_regions {system} {twin_name}: {dt:.1f} s + VOI FBP {t_fbp:.1f} s "
                  f"for {len(regions)} regions {entry}; load {_load()}", flush=True)
    amortised_case = amortised / len(sites)
    loads["after_regions"] = _load()

    reuse = []
    if args.coarse_reuse:
        region = Region.around(sites[0], VOI_MM)
        for system, b in systems:
            reuse.append(_coarse_reuse(absent, twins[0], system, region, b,
                                       None if system.endswith("dm") else [12]))
            print(f"coarse pass of the lesion-absent twin for the present one, {system}: "
                  f"max |diff| {reuse[-1]['max_abs_diff']:.2e} = "
                  f"{reuse[-1]['max_abs_diff_over_noise']:.3f} noise std", flush=True)
    loads["after"] = _load()

    cases = [r["local_case_s"] for r in per_site]
    full_case = 2 * sum(t_full.values())
    summary = {"case": "median", "local_case_s": statistics.median(cases),
               "full_case_s": full_case, "speedup": full_case / statistics.median(cases)}
    shared_row = {"case": f"acquire_regions ({len(sites)} sites/twin)",
                  "local_case_s": amortised_case, "full_case_s": full_case,
                  "speedup": full_case / amortised_case}
    dbt_local = statistics.median(r["dbt_absent_s"] for r in per_site)
    dm_local = statistics.median(r["dm_absent_s"] for r in per_site)
    per_system = {"dm": {"full_s": t_full["mammomat-dm"], "local_median_s": dm_local,
                         "speedup": t_full["mammomat-dm"] / dm_local},
                  "dbt": {"full_s": t_full["mammomat-dbt"], "full_views_run": len(full_views),
                          "local_median_s_with_voi_fbp": dbt_local,
                          "speedup": t_full["mammomat-dbt"] / dbt_local}}
    print_table(per_site + [summary, shared_row],
                ["case", "dm_absent_s", "dm_present_s", "dbt_absent_s", "dbt_present_s",
                 "local_case_s", "full_case_s", "speedup", "dm_crop_rel_rms",
                 "dbt_crop_rel_rms"])
    for name, d in per_system.items():
        print(name, {k: round(v, 2) if isinstance(v, float) else v for k, v in d.items()})
    payload = {"environment": environment(), "load_avg": loads, "recipe": args.recipe,
               "phantom_file": args.phantom,
               "voxel_mm": args.voxel_mm, "phantom_shape_zyx": list(absent.labels.shape),
               "phantom_s": t_phantom, "twins_s": t_twins, "voi_mm": list(VOI_MM),
               "dbt_binning": args.dbt_binning, "dm_binning": args.dm_binning,
               "noise": False, "per_site": per_site, "median": summary,
               "case_with_acquire_regions": shared_row,
               "per_system": per_system, "acquire_regions": shared, "coarse_reuse": reuse}
    write_json("lesion_local", payload, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
