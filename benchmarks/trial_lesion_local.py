"""Per-case time of a lesion-local trial at VICTRE fidelity, by stage, and the costs
``victwin plan`` extrapolates from (``victwin.trial._plan.LESION_LOCAL``).

    python benchmarks/trial_lesion_local.py [--spec examples/demo-victre.toml] [--cases 0 1]
    python benchmarks/trial_lesion_local.py --one-site    # one site of the spec's case 0
    python benchmarks/trial_lesion_local.py --compare --cases 0   # full field vs lesion-local

``--one-site`` times the parts of one case separately (phantom; one mass-sized site: the DM
region, the DBT region and its VOI FBP) and is what the recorded costs come from when whole
cases do not fit the time at hand.

Runs the given cases of the spec with :func:`victwin.trial.run_case` (nothing stored), prints
a table and writes ``benchmarks/results/trial_lesion_local.json`` with the machine, the load
average before and after every case, and per case: wall time, stage times, phantom voxels,
sites; then the per-site costs (seconds per site and modality, phantom seconds per M voxels).
The first case pays numba's compilation when its cache is cold: its time is recorded apart.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import environment, write_json  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spec", default=str(Path(__file__).resolve().parents[1] / "examples"
                                          / "demo-victre.toml"))
    ap.add_argument("--cases", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--backend", default="cpu")
    ap.add_argument("--out", default=None)
    ap.add_argument("--one-site", action="store_true")
    ap.add_argument("--save-arrays", default=None, metavar="DIR",
                    help="write every ROI / VOI of each case to DIR/case<id>.npz (to measure "
                         "how much a change moves them: benchmarks/compare_arrays.py)")
    ap.add_argument("--compare", action="store_true",
                    help="per case: the lesion-local run, then the full-field case's costs")
    ap.add_argument("--full-views", type=int, default=3,
                    help="--compare: DBT views the full field runs (x 25 / n)")
    args = ap.parse_args(argv)
    if args.one_site:
        return _one_site(args)
    if args.compare:
        return _compare(args)

    import numpy as np

    from victwin.trial import load_spec, run_case, sample_cohort

    spec = load_spec(args.spec)
    rows = []
    for case_id, attributes in sample_cohort(spec, args.cases):
        load0 = os.getloadavg()
        t0, c0 = time.perf_counter(), time.process_time()
        out = run_case(spec, case_id, attributes, backend=args.backend)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        sites = out.result.sites
        if args.save_arrays:
            Path(args.save_arrays).mkdir(parents=True, exist_ok=True)
            np.savez(Path(args.save_arrays) / f"case{case_id}.npz",
                     **{k: np.asarray(v) for k, v in out.arrays.items()})
        rows.append({"case_id": case_id, "density": attributes["density"], "wall_s": wall,
                     "cpu_s": cpu,
                     "timings_s": out.timings, "load_before": load0,
                     "load_after": os.getloadavg(),
                     "voxels": list(out.result.phantom.voxels), "n_sites": len(sites),
                     "n_lesion_sites": sum(s.truth for s in sites),
                     # sha256 of every ROI / VOI: exact changes must keep them
                     "sha256": {k: hashlib.sha256(np.ascontiguousarray(v).tobytes()).hexdigest()
                                for k, v in sorted(out.arrays.items())}})
        t = out.timings
        print(f"case {case_id} ({attributes['density']}): {wall:.0f} s wall, {cpu:.0f} CPU-s, load "
              f"{load0[0]:.1f} -> {os.getloadavg()[0]:.1f}; " + ", ".join(
                  f"{k} {v:.1f}" for k, v in t.items()), flush=True)
    warm = rows[1:] or rows
    n = len(warm)

    def mean(f):
        return sum(f(r) for r in warm) / n

    mod = {m.name: m for m in spec.modalities}
    costs = {"phantom_s_per_mvoxel": mean(lambda r: r["timings_s"].get("phantom", 0.0) / (
                 r["voxels"][0] * r["voxels"][1] * r["voxels"][2] / 1e6)),
             "lesion_s_per_site": mean(lambda r: r["timings_s"].get("lesion", 0.0)
                                       / max(r["n_lesion_sites"], 1))}
    for name, m in mod.items():
        key = "dbt_site_s" if m.reconstruction else "dm_site_s"
        costs[key] = mean(lambda r: r["timings_s"].get(f"modality.{name}", 0.0) / r["n_sites"])
    costs["load"] = round(mean(lambda r: (r["load_before"][0] + r["load_after"][0]) / 2), 1)
    print("per-site costs (cases after the first):",
          ", ".join(f"{k} {v:.3g}" for k, v in costs.items()))
    record = {"environment": environment(), "spec": args.spec, "spec_hash": spec.hash,
              "cases": rows, "costs": costs}
    write_json("trial_lesion_local", record, args.out)
    return 0


def _one_site(args) -> int:
    import numpy as np

    from victwin.trial import load_spec, sample_cohort
    from victwin.trial._sites import cut_roi, plan_rois

    spec = load_spec(args.spec)
    (case_id, attributes), = sample_cohort(spec, [0])
    env_load = [os.getloadavg()]
    timings = {}
    t0 = time.perf_counter()
    from victwin.trial._sites import case_sites

    class Clock:
        def add(self, k, v):
            timings[k] = timings.get(k, 0.0) + v

    c0 = time.process_time()
    phantom, present, sites, names, _ = case_sites(spec, case_id, attributes, Clock())
    timings["phantom+lesions_wall"] = time.perf_counter() - t0
    timings["phantom+lesions_cpu"] = time.process_time() - c0
    print(f"phantom + lesions: {timings['phantom+lesions_wall']:.1f} s wall, "
          f"{timings['phantom+lesions_cpu']:.1f} s CPU, load {os.getloadavg()[0]:.1f}", flush=True)
    voxels = int(np.prod(phantom.labels.shape))
    lesion_sites = sum(s.truth for s in sites)
    k = next(i for i, s in enumerate(sites) if s.roi_kind == "mass" and s.truth)
    costs = {"phantom_s_per_mvoxel": timings.get("phantom", 0.0) / (voxels / 1e6),
             "phantom_lesions_cpu_s": timings["phantom+lesions_cpu"], "voxels": voxels,
             "lesion_s_per_site": timings.get("lesion", 0.0) / max(lesion_sites, 1)}
    from victwin.acquisition import acquire

    for m in spec.modalities:
        plan = plan_rois(spec, m, phantom, [sites[k]], [names[k]])[0]
        t0, c0 = time.perf_counter(), time.process_time()
        acq = acquire(present, m.system, seed=1, region=plan.region,
                      binning=spec.resolution.detector_binning,
                      rays_per_pixel=spec.resolution.rays_per_pixel, progress=False)
        t_acq = time.perf_counter() - t0
        t0 = time.perf_counter()
        roi, _ = cut_roi(acq, plan, m, backend=args.backend)
        t_roi = time.perf_counter() - t0
        cpu = time.process_time() - c0
        key = "dbt_site_s" if m.reconstruction else "dm_site_s"
        costs[key] = t_acq + t_roi
        costs[key[:-2] + "_cpu_s"] = cpu
        timings[m.name] = {"acquire_s": t_acq, "roi_s": t_roi, "cpu_s": cpu,
                           "crop": list(acq.raw.shape),
                           **{f"acquire.{a}": b for a, b in acq.timings_s.items()}}
        env_load.append(os.getloadavg())
        stages = ", ".join(f"{a} {b:.1f}" for a, b in acq.timings_s.items())
        print(f"{m.name}: acquire {t_acq:.1f} s ({stages}), "
              f"ROI/VOI {t_roi:.1f} s, CPU {cpu:.1f} s, crop {acq.raw.shape}, "
              f"load {os.getloadavg()[0]:.1f}",
              flush=True)
    costs["load"] = round(float(np.mean([x[0] for x in env_load])), 1)
    print("costs:", ", ".join(f"{a} {b:.3g}" for a, b in costs.items()))
    write_json("trial_lesion_local", {"environment": environment(), "spec": args.spec,
                                      "spec_hash": spec.hash, "mode": "one-site",
                                      "phantom_voxels": voxels, "timings_s": timings,
                                      "load_avg": env_load, "costs": costs}, args.out)
    return 0


def _timed(fn):
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - t0, time.process_time() - c0


def _compare(args) -> int:
    """Lesion-local vs full field, side by side in one run, per case.

    Lesion-local: ``run_case`` of the case (the spec's mode). Full field, the same case:
    ``case_sites`` (the whole fine twin and its lesion-present version), the full DM of the
    lesion-present twin, and ``--full-views`` of the 25 DBT views of it (x 25 / n: every
    view traces the same panel); both twins cost the same, so the acquisitions count twice.
    The full-grid FBP (~100 s quiet) is not counted: the speed-up is conservative.
    """
    import dataclasses

    import numpy as np

    from victwin.acquisition import acquire
    import numpy as np

    from victwin.trial import load_spec, run_case, sample_cohort
    from victwin.trial._sites import case_sites

    spec = load_spec(args.spec)
    spec = dataclasses.replace(spec, resolution=dataclasses.replace(spec.resolution,
                                                                     mode="lesion-local"))
    rows = []
    for case_id, attributes in sample_cohort(spec, args.cases):
        row = {"case_id": case_id, "density": attributes["density"],
               "load": [os.getloadavg()]}
        out, wall, cpu = _timed(lambda: run_case(spec, case_id, attributes,
                                                 backend=args.backend))
        row["local"] = {"wall_s": wall, "cpu_s": cpu, "timings_s": out.timings,
                        "n_sites": len(out.result.sites)}
        row["load"].append(os.getloadavg())
        print(f"case {case_id} lesion-local: {wall:.0f} s wall, {cpu:.0f} s CPU, load "
              f"{os.getloadavg()[0]:.1f}; " + ", ".join(f"{k} {v:.1f}"
                                                     for k, v in out.timings.items()),
              flush=True)
        (phantom, present, _, _, _), wall, cpu = _timed(
            lambda: case_sites(spec, case_id, attributes))
        full = {"phantom+lesions": (wall, cpu), "voxels": int(np.prod(phantom.labels.shape))}
        del phantom
        row["load"].append(os.getloadavg())
        print(f"  full: phantom + lesions {wall:.0f} s wall, {cpu:.0f} s CPU", flush=True)
        kw = dict(seed=1, binning=spec.resolution.detector_binning,
                  rays_per_pixel=spec.resolution.rays_per_pixel, progress=False)
        for m in spec.modalities:
            n = args.full_views if m.reconstruction else None
            views = None if n is None else [int(round(v)) for v in np.linspace(0, 24, n)]
            _, wall, cpu = _timed(lambda: acquire(present, m.system, views=views, **kw))
            scale = 1.0 if n is None else 25.0 / n
            full[m.name] = (wall * scale, cpu * scale)
            row["load"].append(os.getloadavg())
            print(f"  full: {m.name} {wall:.0f} s wall ({'all' if n is None else n} views; "
                  f"x{scale:.3g}), load {os.getloadavg()[0]:.1f}", flush=True)
        del present
        fw = full["phantom+lesions"][0] + 2 * sum(full[m.name][0] for m in spec.modalities)
        fc = full["phantom+lesions"][1] + 2 * sum(full[m.name][1] for m in spec.modalities)
        row["full"] = {"wall_s": fw, "cpu_s": fc, "parts": full}
        row["speedup_wall"] = fw / row["local"]["wall_s"]
        row["speedup_cpu"] = fc / row["local"]["cpu_s"]
        print(f"case {case_id}: full field {fw:.0f} s wall ({fc:.0f} CPU) vs lesion-local "
              f"{row['local']['wall_s']:.0f} s ({row['local']['cpu_s']:.0f} CPU): "
              f"x{row['speedup_wall']:.1f} wall, x{row['speedup_cpu']:.1f} CPU", flush=True)
        rows.append(row)
    write_json("trial_lesion_local_compare", {"environment": environment(), "spec": args.spec,
                                              "spec_hash": spec.hash, "cases": rows,
                                              "full_views": args.full_views}, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
