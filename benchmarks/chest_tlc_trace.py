"""Where a chest twin's painted lung parts from its drawn TLC: the solve's own volume, then
the lung after each painting step of :func:`victwin.phantom.chest.make_chest`.

    python benchmarks/chest_tlc_trace.py [--voxel-mm 2] [--twins 0 1 2 3] [--tlc-factor 1]
                                         [--json OUT]

For each docs twin (``benchmarks/chest_twins.py``'s TWINS, seeds 0-3) it prints

* the drawn TLC and the solve's lung volume on its own coarse grid
  (:meth:`~victwin.phantom.chest.lungs.Cavity.lung_volume_ml` at the solve's 4 mm step);
* the solved lung (:meth:`Cavity.lung`) counted on the phantom's grid;
* the lung after each step that writes labels (the builder's painters are wrapped, the
  build itself is unchanged): the lung label's voxels and the measured lung volume
  (:func:`~victwin.phantom.chest.measure.lung_volume_ml`'s rule: each axial slice's lung
  mask with its holes filled, so vessels and airways inside the lung count as lung).

Each step's change (mL) says which structure takes how much lung. The script runs against
any checkout that has the builder's step functions (for comparing commits: put that
checkout first on PYTHONPATH).
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from victwin.phantom.chest import builder as B
from victwin.phantom._phantom import LUNG_MATERIALS
from victwin.phantom.chest.measure import lung_volume_ml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from chest_twins import TWINS  # noqa: E402  (the docs twins, the same bodies and seeds)

#: Builder-level functions that write labels (those present in the checkout are wrapped).
PAINTERS = ("_fill_trunk", "_fill_lungs", "paint_heart", "paint_great_vessels",
            "paint_left_atrium", "paint_pulmonary_arteries", "paint_trachea", "_paint_airways",
            "_paint_vessels", "paint_upper_lobe_veins", "paint_spine", "paint_ribs",
            "paint_sternum", "paint_clavicles", "paint_scapulae")

LUNG_LABELS = [k for k, m in B.CHEST_MATERIALS.items() if m in LUNG_MATERIALS]


def lung_counts_ml(labels: np.ndarray, grid) -> tuple[float, float]:
    """(lung-label volume, :func:`~victwin.phantom.chest.measure.lung_volume_ml` of the labels
    as they stand) in mL."""
    v = float(np.prod(grid.spacing)) / 1000.0
    partial = SimpleNamespace(labels=labels, grid=grid, materials=B.CHEST_MATERIALS)
    return int(np.count_nonzero(np.isin(labels, LUNG_LABELS))) * v, lung_volume_ml(partial)


def trace_twin(body: dict, seed: int, voxel_mm: float, tlc_factor: float = 1.0) -> dict:
    log, state = [], {}

    def wrap(name, fn):
        @functools.wraps(fn)
        def inner(*args, **kw):
            labels = args[0] if args and isinstance(args[0], np.ndarray) else None
            if name == "_fill_lungs":
                f, t = args[1], args[2]
                n = 0
                X, Y = f.x[None, None, :], f.y[None, :, None]
                for Z, _ in B._slabs(f, labels):
                    n += int(np.count_nonzero(t.cav.lung(X, Y, Z)))
                state["solved_on_grid_ml"] = n * voxel_mm ** 3 / 1000.0
            out = fn(*args, **kw)
            f = args[1] if len(args) > 1 else None
            if labels is not None and labels.ndim == 3 and hasattr(f, "grid"):
                shown = name
                if f.grid.spacing[0] != voxel_mm:     # the solve's coarse painting
                    shown = f"({f.grid.spacing[0]:g} mm) {name}"
                log.append((shown, *lung_counts_ml(labels, f.grid)))
            return out
        return inner

    def wrap_solve(fn):
        @functools.wraps(fn)
        def inner(th, *a, **kw):
            if tlc_factor != 1.0:       # a sensitivity check: the drawn TLC alone scaled
                th = dataclasses.replace(th, tlc_ml=th.tlc_ml * tlc_factor)
            cav = fn(th, *a, **kw)
            state["tlc_ml"] = th.tlc_ml
            state["solve_target_ml"] = th.tlc_ml + kw.get("extra_ml", 0.0)
            state["solve_coarse_ml"] = cav.lung_volume_ml(4.0)
            state["cavity"] = {"a0": cav.a0, "b0": cav.b0, "height": cav.height}
            return cav
        return inner

    saved = {n: getattr(B, n) for n in PAINTERS if hasattr(B, n)}
    saved["solve_cavity"] = B.solve_cavity
    try:
        for n in PAINTERS:
            if n in saved:
                setattr(B, n, wrap(n, saved[n]))
        B.solve_cavity = wrap_solve(saved["solve_cavity"])
        t0 = time.time()
        ph = B.make_chest({"body": body}, seed=seed, voxel_mm=voxel_mm, progress=False)
        dt = time.time() - t0
    finally:
        for n, fn in saved.items():
            setattr(B, n, fn)
    from victwin.phantom.chest.measure import posterior_rib_crossings, ribs_above_right_dome
    n_above, dome_y = ribs_above_right_dome(ph)
    ribs = posterior_rib_crossings(ph, side=-1)
    return {**state, "steps": log, "measured_ml": lung_volume_ml(ph), "shape": ph.labels.shape,
            "ribs_above_right_dome": n_above, "dome_top_y_mm": dome_y,
            "right_rib_crossings_y_mm": [float(v) for v in ribs], "build_s": dt}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--voxel-mm", type=float, default=2.0)
    ap.add_argument("--twins", type=int, nargs="+", default=[0, 1, 2, 3])
    ap.add_argument("--tlc-factor", type=float, default=1.0,
                    help="scale the drawn TLC before the solve (sensitivity checks)")
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    out = []
    for k in args.twins:
        name, body = TWINS[k]
        r = trace_twin(body, k, args.voxel_mm, args.tlc_factor)
        tlc = r["tlc_ml"]
        print(f"\n{name} (seed {k}, {args.voxel_mm} mm, {r['build_s']:.0f} s): drawn TLC "
              f"{tlc:.0f} mL; solve's target {r['solve_target_ml']:.0f}, its lung (4 mm) "
              f"{r['solve_coarse_ml']:.0f} ({r['solve_coarse_ml'] - tlc:+.0f}); "
              f"solved lung on this grid {r['solved_on_grid_ml']:.0f} "
              f"({r['solved_on_grid_ml'] - tlc:+.0f}); cavity a0 {r['cavity']['a0']:.1f} "
              f"b0 {r['cavity']['b0']:.1f} height {r['cavity']['height']:.1f} mm")
        print(f"  {'step':28s} {'lung label mL':>14s} {'change':>8s} {'filled mL':>10s} "
              f"{'change':>8s} {'filled - TLC':>12s}")
        prev = (0.0, 0.0)
        for name_s, raw, filled in r["steps"]:
            print(f"  {name_s:28s} {raw:14.0f} {raw - prev[0]:+8.0f} {filled:10.0f} "
                  f"{filled - prev[1]:+8.0f} {filled - tlc:+12.0f}")
            prev = (raw, filled)
        print(f"  measured lung_volume_ml {r['measured_ml']:.0f} mL, lung - drawn TLC "
              f"{r['measured_ml'] - tlc:+.0f} mL; posterior ribs above the right dome "
              f"{r['ribs_above_right_dome']} (dome top y {r['dome_top_y_mm']:.1f} mm; dome minus "
              f"the 10th / 11th rib's crossing "
              + " / ".join(f"{r['dome_top_y_mm'] - c:+.1f}"
                           for c in r["right_rib_crossings_y_mm"][9:11]) + " mm)")
        out.append({"twin": name, "seed": k, "voxel_mm": args.voxel_mm, **r,
                    "shape": list(r["shape"])})
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()
