"""Nodule detectability on chest twins against nodule size and rib overlap (measured).

    python benchmarks/chest_nodule_detectability.py [--twins 6] [--per-size 6] [--voxel-mm 2]

For each twin (``chest/adult``: body from NHANES), solid smooth nodules of 5, 10 and 20 mm are
placed in the lung (>= 10 mm from the pleura) one at a time; each lesion-present phantom and
the lesion-free one are imaged with ``chest-pa`` (independent noise). ROIs of 40 mm around the
nodule's projection are read by a channelized Hotelling observer (5 Laguerre-Gauss channels),
trained on half of the twins and tested on the other half (and vice versa). Rib overlap: the
bone path length along the beam, averaged over the nodule's projected disc, split at its
median within each size. Writes ``benchmarks/results/chest_nodule_detectability.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from victwin import acquire
from victwin.phantom.chest import make_chest
from victwin.phantom.chest.nodules import lung_nodule, place_nodule
from victwin.readers import ChannelizedHotelling, laguerre_gauss
from victwin.stats import auc_ci

SIZES_MM = (5.0, 10.0, 20.0)


def roi_at(img, rc, half):
    r, c = int(round(rc[0])), int(round(rc[1]))
    r = min(max(r, half), img.shape[0] - half)
    c = min(max(c, half), img.shape[1] - half)
    return img[r - half:r + half, c - half:c + half].astype(np.float64)


def bone_overlap_mm(ph, centre, radius):
    g = ph.grid
    bone = [k for k, m in ph.materials.items() if m == "bone"]
    iz, iy, ix = np.rint(g.world_to_index(centre)).astype(int)
    r = max(1, int(round(radius / g.spacing[1])))
    sub = np.isin(ph.labels[:, iy - r:iy + r + 1, ix - r:ix + r + 1], bone)
    yy, xx = np.mgrid[-r:r + 1, -r:r + 1]
    disc = yy ** 2 + xx ** 2 <= r * r
    return float((sub.sum(axis=0) * g.spacing[0])[disc].mean())


def cv_auc(present, absent, groups):
    """2-fold (by twin parity) CHO AUC: ``(auc, se, (lo, hi))`` (DeLong)."""
    shape = present.shape[1:]
    ch = laguerre_gauss(shape, n_channels=5, width_px=shape[0] / 4)
    scores, truth = [], []
    for fold in (0, 1):
        tr, te = groups % 2 != fold, groups % 2 == fold
        X = np.concatenate([absent[tr], present[tr]])
        y = np.r_[np.zeros(tr.sum()), np.ones(tr.sum())]
        obs = ChannelizedHotelling(ch).fit(X, y)
        scores.append(obs.decision_function(np.concatenate([absent[te], present[te]])))
        truth.append(np.r_[np.zeros(te.sum()), np.ones(te.sum())])
    s, t = np.concatenate(scores), np.concatenate(truth)
    return auc_ci(s, t)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--twins", type=int, default=6)
    ap.add_argument("--per-size", type=int, default=6)
    ap.add_argument("--voxel-mm", type=float, default=2.0)
    ap.add_argument("--binning", type=int, default=8)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    load0 = os.getloadavg()[0]
    rows = []
    for tw in range(args.twins):
        ph = make_chest("chest/adult", seed=100 + tw, voxel_mm=args.voxel_mm, progress=False)
        rng = np.random.default_rng(tw)
        for si, size in enumerate(SIZES_MM):
            for j in range(args.per_size):
                case = (tw * len(SIZES_MM) + si) * args.per_size + j
                model = lung_nodule(rng, diameter_mm=size, nodule_type="solid",
                                    margin="smooth", voxel_mm=min(args.voxel_mm, 0.5))
                present, les = place_nodule(ph, model, rng)
                a1 = acquire(present, "chest-pa", seed=7, case=2 * case + 1,
                             binning=args.binning, progress=False)
                a0 = acquire(ph, "chest-pa", seed=7, case=2 * case, binning=args.binning,
                             progress=False)
                view = a1.views[0]
                rc = view.project(np.asarray(les.center_mm))
                half = int(round(20.0 / view.panel.pitch[0]))
                rows.append({"twin": tw, "size_mm": size,
                             "overlap_mm": bone_overlap_mm(ph, les.center_mm, 0.5 * size),
                             "present": roi_at(a1.processed[0], rc, half),
                             "absent": roi_at(a0.processed[0], rc, half)})
        print(f"twin {tw} done, {time.perf_counter() - t0:.0f} s", flush=True)
    out = {"twins": args.twins, "per_size": args.per_size, "voxel_mm": args.voxel_mm,
           "binning": args.binning, "load_1min_at_start": round(load0, 1), "by_size": {},
           "by_overlap": {}}
    for size in SIZES_MM:
        sel = [r for r in rows if r["size_mm"] == size]
        P = np.stack([r["present"] for r in sel])
        A = np.stack([r["absent"] for r in sel])
        g = np.array([r["twin"] for r in sel])
        res = cv_auc(P, A, g)
        out["by_size"][f"{size:g} mm"] = {"auc": round(float(res[0]), 3),
                                          "ci": [round(float(v), 3) for v in res[2]],
                                          "n_pairs": len(sel)}
        ov = np.array([r["overlap_mm"] for r in sel])
        med = np.median(ov)
        for name, m in (("less rib overlap", ov <= med), ("more rib overlap", ov > med)):
            try:
                r2 = cv_auc(P[m], A[m], g[m])
            except ValueError as exc:          # too few pairs in a fold
                out["by_overlap"][f"{size:g} mm, {name}"] = {"error": str(exc)}
                continue
            out["by_overlap"][f"{size:g} mm, {name}"] = {
                "auc": round(float(r2[0]), 3), "ci": [round(float(v), 3) for v in r2[2]],
                "n_pairs": int(m.sum()), "median_bone_mm": round(float(med), 1)}
    out["elapsed_s"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(out, indent=1))
    res = Path(__file__).resolve().parent / "results" / "chest_nodule_detectability.json"
    res.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
