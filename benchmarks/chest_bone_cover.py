"""How much of a chest twin's PA lung field lies over each bone, by lung zone.

    python benchmarks/chest_bone_cover.py [--seeds 0 1 2 3] [--voxel-mm 2] [--out FILE]

For each twin (``chest/adult``, the seed's drawn body), a parallel projection along z (the PA
direction, no magnification): a detector point of the lung field (any lung voxel on its ray)
counts as over a bone when its ray runs >= 1 mm through that bone label (the 1 mm of
``victwin.phantom.chest.overlap.MIN_BONE_MM``). Bones: "bone" (ribs, spine, sternum),
clavicles, scapulae, and any of them. Zones: the lung field's height in thirds (a twin's y
grows towards the feet) x medial / lateral (|x| below / at or above the median |x| of the lung
field). Prints one table per twin and writes ``benchmarks/results/chest_bone_cover.json``.

This is a reading of the twin, not of the trial: the nodules' ``rib_overlap_fraction`` traces
the real cone beam through each nodule's disc (:func:`~victwin.phantom.chest.overlap.
bone_overlap_fraction`).
"""

from __future__ import annotations

import argparse

from _common import environment, print_table, write_json

ZONES = [f"{t} {s}" for t in ("upper", "middle", "lower") for s in ("medial", "lateral")]


def bone_cover(phantom, min_bone_mm: float = 1.0) -> dict:
    """Fraction of the PA lung field over each bone, per zone and for the whole field."""
    import numpy as np

    from victwin.phantom.chest.builder import BONE, CLAVICLE, LUNG, SCAPULA

    lab = phantom.labels                                  # [z, y, x]
    dz = float(phantom.grid.spacing[0])
    lung = (lab == LUNG).any(axis=0)                      # [y, x]
    over = {name: (lab == k).sum(axis=0) * dz >= min_bone_mm
            for name, k in (("ribs, spine, sternum", BONE), ("clavicles", CLAVICLE),
                            ("scapulae", SCAPULA))}
    over["any bone"] = np.isin(lab, [BONE, CLAVICLE, SCAPULA]).sum(axis=0) * dz >= min_bone_mm
    y, x = phantom.grid.axis_mm("y"), phantom.grid.axis_mm("x")
    rows = np.flatnonzero(lung.any(axis=1))
    y0, y1 = float(y[rows[0]]), float(y[rows[-1]])
    third = np.digitize(y, [y0 + (y1 - y0) / 3, y0 + 2 * (y1 - y0) / 3])
    x_med = float(np.median(np.abs(x[np.nonzero(lung)[1]])))
    lateral = np.abs(x)[None, :] >= x_med
    out = {"lung_y_mm": [y0, y1], "median_abs_x_mm": x_med, "zones": {}}
    for t, tn in enumerate(("upper", "middle", "lower")):
        for side, is_lat in (("medial", False), ("lateral", True)):
            m = lung & (third[:, None] == t) & (lateral == is_lat)
            out["zones"][f"{tn} {side}"] = {n: float(v[m].mean()) for n, v in over.items()}
    out["zones"]["whole lung field"] = {n: float(v[lung].mean()) for n, v in over.items()}
    return out


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    ap.add_argument("--voxel-mm", type=float, default=2.0)
    ap.add_argument("--recipe", default="chest/adult")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    from victwin.phantom.chest.builder import make_chest

    res = {"recipe": args.recipe, "voxel_mm": args.voxel_mm, "min_bone_mm": 1.0,
           "environment": environment(), "twins": {}}
    for seed in args.seeds:
        ph = make_chest(args.recipe, seed=seed, voxel_mm=args.voxel_mm)
        c = bone_cover(ph)
        c["body"] = ph.meta.get("body")
        res["twins"][str(seed)] = c
        print(f"\nseed {seed}: {c['body']}")
        rows = [{"zone": z, **{n: f"{100 * v:.0f} %" for n, v in c["zones"][z].items()}}
                for z in ZONES + ["whole lung field"]]
        print_table(rows, list(rows[0]))
    write_json("chest_bone_cover", res, args.out)


if __name__ == "__main__":
    main()
