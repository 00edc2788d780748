"""Posterior and anterior ribs on a PA radiograph: the ribs' share of the line integral.

    python benchmarks/chest_rib_contrast.py [--voxel-mm 1.0] [--binning 4]

For each twin of ``benchmarks/chest_twins.py``: noise- and scatter-free ``chest-pa`` line
integrals ``-ln(I / I0)`` of the twin and of the twin with its rib and cartilage voxels made
soft tissue (:func:`victwin.phantom.chest.measure_ribs.rib_voxels`); the difference is the
ribs' share. Its median along each rib's centre line (ribs 2-10, both sides) over the
posterior part (8-30 % of the bony length from the head) and the anterior part (beyond 85 %)
gives the "posterior" and "anterior" columns (medians over the ribs). On films anterior ribs
are fainter than posterior ones; here that follows from the ribs' sections and cortex
(:mod:`victwin.phantom.chest.rib_section`), not from a factor.

Prints a table and writes ``benchmarks/results/chest_rib_contrast.json`` (machine load).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from chest_twins import TWINS, line_integrals  # noqa: E402

from victwin import acquire  # noqa: E402
from victwin.phantom import Phantom  # noqa: E402
from victwin.phantom.chest import make_chest  # noqa: E402
from victwin.phantom.chest.builder import SOFT  # noqa: E402
from victwin.phantom.chest.measure_ribs import rib_share_of_pa, rib_voxels, twin_ribs  # noqa: E402

POSTERIOR, ANTERIOR = (0.08, 0.30), (0.85, 1.0)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--voxel-mm", type=float, default=1.0)
    ap.add_argument("--binning", type=int, default=4)
    ap.add_argument("--out", default="benchmarks/results/chest_rib_contrast.json")
    args = ap.parse_args(argv)
    rows = []
    print(f"{'twin':28s} {'posterior':>9s} {'anterior':>9s} {'ant/post':>8s} {'calcified':>9s}")
    for k, (name, body) in enumerate(TWINS):
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        recipe = {"body": body}
        ph = make_chest(recipe, seed=k, voxel_mm=args.voxel_mm, progress=False)
        kw = dict(seed=k, binning=args.binning, progress=False, noise=False, scatter=False)
        a = acquire(ph, "chest-pa", **kw)
        lab = ph.labels.copy()
        lab[rib_voxels(ph, recipe)] = SOFT                # soft tissue
        li0 = line_integrals(acquire(Phantom(labels=lab, grid=ph.grid, materials=ph.materials,
                                             meta=ph.meta), "chest-pa", **kw))
        li = line_integrals(a)
        _, _, paths = twin_ribs(recipe, seed=k, voxel_mm=args.voxel_mm)
        post = [rib_share_of_pa(li, li0, a, paths, ph.meta["zc_mm"], r, POSTERIOR)
                for r in range(2, 11)]
        ant = [rib_share_of_pa(li, li0, a, paths, ph.meta["zc_mm"], r, ANTERIOR)
               for r in range(2, 11)]
        row = {"twin": name, **body, "seed": k, "voxel_mm": args.voxel_mm,
               "binning": args.binning, "posterior": round(float(np.median(post)), 4),
               "anterior": round(float(np.median(ant)), 4),
               "per_rib_posterior": [round(v, 4) for v in post],
               "per_rib_anterior": [round(v, 4) for v in ant],
               "costal_cartilage_calcified": ph.meta["costal_cartilage_calcified"],
               "seconds": round(time.perf_counter() - t0, 1), "load_1min": round(load, 2)}
        row["anterior_over_posterior"] = round(row["anterior"] / row["posterior"], 3)
        rows.append(row)
        print(f"{name:28s} {row['posterior']:9.3f} {row['anterior']:9.3f} "
              f"{row['anterior_over_posterior']:8.2f} {str(row['costal_cartilage_calcified']):>9s}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"command": " ".join(["python"] + sys.argv), "rows": rows},
                              indent=1))


if __name__ == "__main__":
    main()
