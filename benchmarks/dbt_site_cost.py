"""Where a lesion-local DBT site's CPU goes (issue 14, NOTES.md "DBT site cost").

    python benchmarks/dbt_site_cost.py dump  [--data /tmp/case0.pkl]   # case 0's windows (~4 min)
    python benchmarks/dbt_site_cost.py stages [--data ...] --out X.json # CPU-s per stage, 1 site
    python benchmarks/dbt_site_cost.py steps  [--data ...]              # rays, Siddon steps, runs

``dump`` builds case 0 of ``examples/demo-victre.toml`` lesion-locally as the runner does
(``trial._local.case_twins``
per modality and twin version the sites' fine windows and the
coarse twin) and pickles it, so the other two measure the acquisition alone. ``stages`` runs the
lesion-present sites one region at a time (s1 first, to warm numba's caches
s0 measured),
with the acquisition's stage timers reading process CPU time (both threads), and prints the
VOI's sha256. ``steps`` counts, per site, the traced rays, the voxel steps of the traversal
(the same clipping and stepping as ``victwin.raytrace``), label runs per ray and the share of
steps in air, for the 5.6e8 steps/s of ``benchmarks/results/raytrace.json`` to be compared with.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math  # noqa: F401  (the counter's setup uses it)
import os
import pickle
import sys
import time
import types
from pathlib import Path

import numpy as np

SPEC = str(Path(__file__).resolve().parents[1] / "examples" / "demo-victre.toml")


def _dump(args):
    from types import SimpleNamespace

    from victwin.trial import load_spec, sample_cohort
    from victwin.trial._local import case_twins, window_box
    from victwin.trial._sites import plan_rois

    class Clock:
        def __init__(self):
            self.t = {}

        def add(self, k, v):
            self.t[k] = self.t.get(k, 0.0) + v

    spec = load_spec(SPEC)
    (case_id, attributes), = sample_cohort(spec, [0])
    lt = case_twins(spec, case_id, attributes, Clock())
    meta = lt.meta
    out = {"attributes": attributes, "case_id": case_id, "meta": meta, "calls": []}
    for modality in spec.modalities:
        plans = plan_rois(spec, modality, SimpleNamespace(meta=meta), lt.sites, lt.names)
        for version in ("present", "absent"):
            mine = [p for p in plans if (p.site.truth == 1) == (version == "present")]
            wins = lt.windows(version, [window_box(spec, modality, p.region, meta["thickness_mm"])
                                        for p in mine])
            out["calls"].append({"modality": modality.name, "version": version, "plans": mine,
                                 "windows": wins, "coarse": lt.coarse[version]})
    with open(args.data, "wb") as f:
        pickle.dump(out, f, protocol=5)


def _stages(args):
    import victwin.acquisition._acquire as A
    import victwin.acquisition._view as V

    cpu = types.SimpleNamespace(perf_counter=time.process_time)
    A.time = cpu   # the stage timers now read CPU time
    V.time = cpu
    from victwin.trial import load_spec
    from victwin.trial._runner import acquire_version
    from victwin.trial._sites import cut_roi

    spec = load_spec(SPEC)
    d = pickle.load(open(args.data, "rb"))
    mods = {m.name: m for m in spec.modalities}
    out = {"load": [os.getloadavg()]}
    for name in ("DM", "DBT"):
        c = [c for c in d["calls"] if c["modality"] == name and c["version"] == "present"][0]
        m = mods[name]
        for k in (1, 0):
            plan, win = c["plans"][k], c["windows"][k]
            c0 = time.process_time()
            acq, = acquire_version(spec, m, win, d["case_id"], d["attributes"], present=True,
                                   backend="cpu", regions=[plan.region], windows=[win],
                                   coarse_phantom=c["coarse"],
                                   presentation=not m.reconstruction)
            c1 = time.process_time()
            roi, _ = cut_roi(acq, plan, m, backend="cpu")
            row = {"site": plan.name, "crop": list(acq.raw.shape), "acquire_cpu_s": c1 - c0,
                   "roi_cpu_s": time.process_time() - c1, "stages_cpu_s": acq.timings_s,
                   "sha256_roi": hashlib.sha256(roi.tobytes()).hexdigest()}
            print(name, json.dumps(row), flush=True)
            if k == 0:
                out[name] = row
        out["load"].append(os.getloadavg())
    if args.out:
        Path(args.out).write_text(json.dumps(out, indent=1) + "\n")


def _counter():
    """The traversal of ``victwin.raytrace._traverse`` (same clipping, same stepping) counting
    steps, label runs and air steps per pixel instead of path lengths."""
    import numba
    from numba import prange

    from victwin.raytrace._cpu import _ray_end
    from victwin.raytrace._traverse import _max2, _min2

    inner = numba.njit
    min2, max2 = inner(_min2), inner(_max2)

    @inner
    def advance(tn, ix, iy, iz, off, stx, sty, stz, tnx, tny, tnz, dtx, dty, dtz, nx, ny, nz, ox, oy, oz):
        out = False
        if tnx <= tn:
            ix += stx
            off += stx * ox
            tnx += dtx
            out = ix < 0 or ix >= nx
        if tny <= tn:
            iy += sty
            off += sty * oy
            tny += dty
            out = out or iy < 0 or iy >= ny
        if tnz <= tn:
            iz += stz
            off += stz * oz
            tnz += dtz
            out = out or iz < 0 or iz >= nz
        return ix, iy, iz, off, tnx, tny, tnz, out

    @inner
    def setup(sx, sy, sz, ex, ey, ez, lox, loy, loz, dx, dy, dz, nx, ny, nz, ox, oy, oz):
        rx = ex - sx
        ry = ey - sy
        rz = ez - sz
        length = math.sqrt(rx * rx + ry * ry + rz * rz)
        t0 = 0.0
        t1 = 1.0
        hix = lox + nx * dx
        hiy = loy + ny * dy
        hiz = loz + nz * dz
        if rx != 0.0:
            ta = (lox - sx) / rx
            tb = (hix - sx) / rx
            t0 = max2(t0, min2(ta, tb))
            t1 = min2(t1, max2(ta, tb))
        elif sx < lox or sx >= hix:
            t1 = -1.0
        if ry != 0.0:
            ta = (loy - sy) / ry
            tb = (hiy - sy) / ry
            t0 = max2(t0, min2(ta, tb))
            t1 = min2(t1, max2(ta, tb))
        elif sy < loy or sy >= hiy:
            t1 = -1.0
        if rz != 0.0:
            ta = (loz - sz) / rz
            tb = (hiz - sz) / rz
            t0 = max2(t0, min2(ta, tb))
            t1 = min2(t1, max2(ta, tb))
        elif sz < loz or sz >= hiz:
            t1 = -1.0
        ix = min2(max2(int(math.floor((sx + t0 * rx - lox) / dx)), 0), nx - 1)
        iy = min2(max2(int(math.floor((sy + t0 * ry - loy) / dy)), 0), ny - 1)
        iz = min2(max2(int(math.floor((sz + t0 * rz - loz) / dz)), 0), nz - 1)
        stx = 0
        tnx = np.inf
        dtx = np.inf
        if rx > 0.0:
            stx = 1
            tnx = (lox + (ix + 1) * dx - sx) / rx * length
            dtx = dx / rx * length
        elif rx < 0.0:
            stx = -1
            tnx = (lox + ix * dx - sx) / rx * length
            dtx = -dx / rx * length
        sty = 0
        tny = np.inf
        dty = np.inf
        if ry > 0.0:
            sty = 1
            tny = (loy + (iy + 1) * dy - sy) / ry * length
            dty = dy / ry * length
        elif ry < 0.0:
            sty = -1
            tny = (loy + iy * dy - sy) / ry * length
            dty = -dy / ry * length
        stz = 0
        tnz = np.inf
        dtz = np.inf
        if rz > 0.0:
            stz = 1
            tnz = (loz + (iz + 1) * dz - sz) / rz * length
            dtz = dz / rz * length
        elif rz < 0.0:
            stz = -1
            tnz = (loz + iz * dz - sz) / rz * length
            dtz = -dz / rz * length
        off = iz * oz + iy * oy + ix * ox
        return (t0 * length, t1 * length, ix, iy, iz, off, stx, sty, stz, tnx, tny, tnz, dtx, dty, dtz)


    @numba.njit(parallel=True)
    def count_steps(labels_flat, ox, oy, oz, nz, ny, nx, source, corner, du, dv, lo, d, k, steps, changes, air):
        n_views, nv, nu = steps.shape
        lox, loy, loz, dx, dy, dz = lo[0], lo[1], lo[2], d[0], d[1], d[2]
        for row in prange(n_views * nv):
            b = row // nv
            j = row % nv
            sx, sy, sz = source[b, 0], source[b, 1], source[b, 2]
            for i in range(nu):
                for c in range(k):
                    for a in range(k):
                        ex, ey, ez = _ray_end(corner, du, dv, b, j, i, a, c, k)
                        (t, t1, ix, iy, iz, off, stx, sty, stz, tnx, tny, tnz, dtx, dty, dtz) = setup(
                            sx, sy, sz, ex, ey, ez, lox, loy, loz, dx, dy, dz, nx, ny, nz, ox, oy, oz)
                        cur = -1
                        while t < t1:
                            tn = min2(min2(tnx, tny), min2(tnz, t1))
                            label = labels_flat[off]
                            steps[b, j, i] += 1
                            if label == 0:
                                air[b, j, i] += 1
                            if label != cur:
                                changes[b, j, i] += 1
                                cur = label
                            t = tn
                            ix, iy, iz, off, tnx, tny, tnz, gone = advance(
                                tn, ix, iy, iz, off, stx, sty, stz, tnx, tny, tnz, dtx, dty, dtz, nx, ny, nz, ox, oy, oz)
                            if gone:
                                break


    return count_steps


def _steps(args):
    from victwin.acquisition._beam import phantom_thickness_mm
    from victwin.acquisition._region import plan_region
    from victwin.acquisition._view import _blur_sub_views
    from victwin.geometry import views_to_arrays
    from victwin.systems import load

    count_steps = _counter()
    d = pickle.load(open(args.data, "rb"))
    rows = []
    for call in d["calls"]:
        system = load("victre-dbt" if call["modality"] == "DBT" else "victre-dm")
        views = tuple(system.views(1))
        for win, plan in zip(call["windows"], call["plans"]):
            sub, _ = plan_region(plan.region, views, system,
                                 thickness_mm=phantom_thickness_mm(win),
                                 support_mm=system.geometry.breast_support_mm)
            subs = _blur_sub_views(system, list(sub))
            tv = list(sub) if subs is None else [v for s in subs for v, _ in s]
            geo = views_to_arrays(tv)
            nv, nu = geo["shape"]
            lab = np.ascontiguousarray(win.labels)
            nz, ny, nx = lab.shape
            lo = np.ascontiguousarray(win.grid.lower_mm, np.float64)
            dd = np.ascontiguousarray(win.grid.spacing_xyz, np.float64)
            st = np.zeros((len(tv), nv, nu), np.int64)
            ch, air = np.zeros_like(st), np.zeros_like(st)
            count_steps(lab.ravel(), 1, nx, nx * ny, nz, ny, nx, geo["source"], geo["corner"],
                        geo["du"], geo["dv"], lo, dd, system.rays_per_pixel, st, ch, air)
            rays = st.size * system.rays_per_pixel ** 2
            row = {"modality": call["modality"], "version": call["version"], "site": plan.name,
                   "window": list(lab.shape), "crop": [len(sub), nv, nu],
                   "traced_views": len(tv), "rays": rays, "steps": int(st.sum()),
                   "runs_per_ray": float(ch.sum() / rays), "air_steps": float(air.sum() / st.sum())}
            rows.append(row)
            print(json.dumps(row), flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=1) + "\n")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=("dump", "stages", "steps"))
    ap.add_argument("--data", default="/tmp/victwin_case0_windows.pkl")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    return {"dump": _dump, "stages": _stages, "steps": _steps}[args.what](args) or 0


if __name__ == "__main__":
    sys.exit(main())
