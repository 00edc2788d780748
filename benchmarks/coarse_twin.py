"""What the coarse twin changes: the coarse pass through the twin made at coarse voxels
instead of through the fine twin, at VICTRE fidelity.

A lesion-local case (``trial/_local.py``) traces each site's rays through a fine window and
the coarse full-field pass (scatter, DBT strip fill) through the twin made at
``COARSE_VOXEL_MM`` (``PreparedBreast.make(0.5)``), never the whole fine twin. This script
measures, at ``--sites`` sites of case 0 of ``--spec`` (the victre systems, 0.1 mm twin):

* DM (85 um, 2x2 rays): crop line integrals with the coarse twin vs with the fine twin
  (noise-free): relative RMS and the largest difference against the pixel noise std (one
  noisy run); and both against the full field's crop (relative RMS; issue 14: < 0.1 %).
* DBT (``--dbt-binning``, 25 views): the VOI FBP from the strip with the coarse twin vs the
  fine twin: relative RMS and against the VOI's noise std; and the crops' line integrals in
  views 0, 12, 24 against the full field's (relative RMS).

    python benchmarks/coarse_twin.py [--sites 3] [--dbt-binning 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import environment, write_json  # noqa: E402


def _rel_rms(a, b) -> float:
    return float(np.sqrt(np.mean((a - b) ** 2)) / np.sqrt(np.mean(b ** 2)))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spec", default=str(Path(__file__).resolve().parents[1] / "examples"
                                          / "demo-victre.toml"))
    ap.add_argument("--sites", type=int, default=3)
    ap.add_argument("--dbt-binning", type=int, default=2)
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)

    import dataclasses

    from victwin.acquisition import acquire, acquire_regions
    from victwin.phantom import prepare
    from victwin.systems import get_preset
    from victwin.trial import load_spec, sample_cohort
    from victwin.trial._local import COARSE_VOXEL_MM, window_box
    from victwin.trial._sites import cut_roi, draw_sites, plan_rois

    spec = load_spec(args.spec)
    (case_id, attrs), = sample_cohort(spec, [0])
    preset = get_preset(spec.preset)
    vox = spec.resolution.voxel_mm
    loads = [os.getloadavg()]
    t0 = time.perf_counter()
    prepared = prepare(attrs["recipe"], seed=attrs["phantom_seed"])
    sites = draw_sites(spec, case_id, prepared, voxel_mm=vox)[:args.sites]
    names = [f"s{k}" for k in range(len(sites))]
    fine = preset.apply(prepared.make(vox))
    coarse = preset.apply(prepared.make(COARSE_VOXEL_MM))
    print(f"twins: {time.perf_counter() - t0:.0f} s, load {os.getloadavg()[0]:.1f}", flush=True)
    thick = fine.meta["thickness_mm"]
    out = {"sites": [s.to_dict() for s in sites], "coarse_voxel_mm": COARSE_VOXEL_MM,
           "voxel_mm": vox, "DM": [], "DBT": []}
    for m in spec.modalities:
        dbt = bool(m.reconstruction)
        k_bin = args.dbt_binning if dbt else spec.resolution.detector_binning
        s2 = dataclasses.replace(spec, resolution=dataclasses.replace(
            spec.resolution, detector_binning=k_bin))
        plans = plan_rois(s2, m, fine, sites, names)
        regions = [p.region for p in plans]
        wins = [preset.apply(prepared.make(vox, window_mm=window_box(s2, m, r, thick)))
                for r in regions]
        kw = dict(seed=3, binning=k_bin, rays_per_pixel=1 if dbt else None, progress=False)
        t0 = time.perf_counter()
        ref = acquire_regions(wins[0], m.system, regions, windows=wins, coarse_phantom=fine,
                              noise=False, **kw)
        got = acquire_regions(wins[0], m.system, regions, windows=wins, coarse_phantom=coarse,
                              noise=False, **kw)
        noisy = acquire_regions(wins[0], m.system, regions, windows=wins,
                                coarse_phantom=coarse, **kw)
        views = [0, 12, 24] if dbt else None
        full = acquire(fine, m.system, noise=False, views=views, **kw).line_integrals()
        print(f"{m.name}: regions x3 + full field {time.perf_counter() - t0:.0f} s, load "
              f"{os.getloadavg()[0]:.1f}", flush=True)
        loads.append(os.getloadavg())
        for p, a, b, n in zip(plans, got, ref, noisy):
            la, lb = a.line_integrals(), b.line_integrals()
            sigma = float(np.std(n.line_integrals() - la))
            h, w = a.region.shape
            sel = views if dbt else [0]
            crops = np.stack([full[i, r0:r0 + h, c0:c0 + w] for i, (r0, c0) in
                              zip(range(len(sel)), [a.region.offsets[v] for v in sel])])
            row = {"site": p.name, "kind": p.site.kind,
                   "li_rel_rms_coarse_vs_fine": _rel_rms(la, lb),
                   "li_max_diff_over_noise": float(np.abs(la - lb).max()) / sigma,
                   "li_noise_std": sigma,
                   "crop_rel_rms_vs_full_coarse": _rel_rms(la[sel], crops),
                   "crop_rel_rms_vs_full_fine": _rel_rms(lb[sel], crops)}
            if dbt:
                va, _ = cut_roi(a, p, m)
                vb, _ = cut_roi(b, p, m)
                vn, _ = cut_roi(n, p, m)
                vsig = float(np.std(vn - va))
                row.update({"voi_rel_rms_coarse_vs_fine": _rel_rms(va, vb),
                            "voi_rms_diff_over_noise": float(np.sqrt(np.mean((va - vb) ** 2)))
                            / vsig, "voi_noise_std": vsig})
            out[m.name].append(row)
            print("  " + ", ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}"
                                   for k, v in row.items()), flush=True)
    write_json("coarse_twin", {"environment": environment(), "spec": args.spec,
                               "dbt_binning": args.dbt_binning, "load": loads, **out}, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
