"""Check (for a next step, not used by the runner): do a region's rays touch only the voxels
of its per-slab supports?

A DBT site's rays fill a wedge of its window box. If no ray's traversal touches a voxel
outside the union of the region's supports over z slabs (``region_support`` with the grid
cut to slabs of ``--slab`` voxels, one voxel of overlap), those voxels need no label. The
tracer accumulates run lengths and writes a run at every label change, even across a
zero-length step, so the test is strict: the voxels outside are set to a foreign label (skin)
and the noise-free acquisition (raw counts, flat) must equal the one through the true window
byte for byte. Case ``--case`` of ``--spec``, its first sites (one per kind) in DM and DBT
(views ``--views``).

Usage: python benchmarks/window_fill_check.py [--spec examples/demo-victre.toml] [--case 0]
       [--slab 80] [--views 0 12 24]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spec", default=str(Path(__file__).resolve().parents[1] / "examples"
                                          / "demo-victre.toml"))
    ap.add_argument("--case", type=int, default=0)
    ap.add_argument("--slab", type=int, default=80)
    ap.add_argument("--views", type=int, nargs="+", default=[0, 12, 24])
    ap.add_argument("--sites", type=int, default=2)
    args = ap.parse_args(argv)

    from victwin.acquisition import acquire_regions, region_support
    from victwin.phantom._window import window_grid
    from victwin.systems import load
    from victwin.trial import load_spec, sample_cohort
    from victwin.trial._local import case_twins, window_box
    from victwin.trial._sites import plan_rois
    from victwin.trial._twins import _Clock

    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    spec = load_spec(args.spec)
    (cid, attrs), = sample_cohort(spec, [args.case])
    lt = case_twins(spec, cid, attrs, _Clock())
    meta, th = lt.meta, lt.meta["thickness_mm"]
    grid = lt.prepared.grid(spec.resolution.voxel_mm)
    ok = True
    for modality in spec.modalities:
        system = load(modality.system)
        multi = len(system.views(spec.resolution.detector_binning)) > 1
        views = args.views if multi else None
        plans = plan_rois(spec, modality, SimpleNamespace(meta=meta), lt.sites, lt.names)
        for p in plans[:args.sites]:
            version = "present" if p.site.truth else "absent"
            w, = lt.windows(version, [window_box(spec, modality, p.region, th)])
            lo = np.asarray(w.meta["window"]["index"])
            mask = np.zeros(w.labels.shape, bool)
            for z0 in range(0, grid.shape[0], args.slab):
                a, b = max(0, z0 - 1), min(grid.shape[0], z0 + args.slab + 1)
                g = window_grid(grid, (a, 0, 0), (b, grid.shape[1], grid.shape[2]))
                s = region_support(p.region, system, thickness_mm=th, grid=g, views=views,
                                   binning=spec.resolution.detector_binning)
                i0 = np.maximum(np.add(s.index_lower, (a, 0, 0)) - lo, 0)
                i1 = np.minimum(np.add(s.index_upper, (a, 0, 0)) - lo, w.labels.shape)
                if np.all(i1 > i0):
                    mask[i0[0]:i1[0], i0[1]:i1[1], i0[2]:i1[2]] = True
            labels = np.array(w.labels)
            labels[~mask] = 2                                  # skin: foreign outside
            w2 = w.replace(labels=labels)
            kw = dict(seed=attrs["noise_seed"], case=0, binning=spec.resolution.detector_binning,
                      rays_per_pixel=spec.resolution.rays_per_pixel, progress=False,
                      noise=False, presentation=False, views=views, backend="cpu")
            out = []
            for win in (w, w2):
                c = time.process_time()
                acq, = acquire_regions(w, system, [p.region], windows=[win],
                                       coarse_phantom=lt.coarse[version], **kw)
                out.append((acq, time.process_time() - c))
            same = (out[0][0].raw.tobytes() == out[1][0].raw.tobytes()
                    and np.array_equal(out[0][0].line_integrals(), out[1][0].line_integrals()))
            ok &= same
            print(f"{modality.name} {p.name} ({p.site.kind}): window {w.labels.size / 1e6:.1f} M "
                  f"voxels, per-slab supports {mask.sum() / 1e6:.1f} M; same bytes: {same} "
                  f"(traces {out[0][1]:.1f} + {out[1][1]:.1f} CPU-s)", flush=True)
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    print("peak RSS", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, "MB")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
