"""Mediastinum, airways and clavicles of the chest twins measured as on a PA film, and how
much a change of the builder moves the lung labels.

    python benchmarks/chest_mediastinum.py                  # the four twins of chest_twins.py
    python benchmarks/chest_mediastinum.py --save-lung DIR  # packed lung masks, seeds 0-2
    python benchmarks/chest_mediastinum.py --compare DIR_A DIR_B

The first form builds the four twins of ``benchmarks/chest_twins.py`` at ``--voxel-mm`` (1 mm)
and prints, beside each published value, the carina level, the main bronchi's angles from the
vertical, the aortic-knob diameter, the superior mediastinal width and the clavicle lengths
(``victwin.phantom.chest.measure``), with the lung volume against the ERS 1993 TLC, the path
through each label along PA rays 0, 8 and 24 mm from the midline at T3, T6 and T8, and the
build time and load; it writes ``benchmarks/results/chest_mediastinum.json``. ``--save-lung`` writes
the lung mask (``chest/adult``, seeds 0-2, 1 mm) of whatever victwin is imported, so that two
checkouts can be compared with ``--compare`` (sha256 of each mask, changed voxels).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from chest_twins import TWINS  # noqa: E402

from victwin.phantom.chest import make_chest  # noqa: E402
from victwin.phantom.chest.anatomy import tlc_ers1993_l  # noqa: E402
from victwin.phantom.chest.measure import labels_of, lung_volume_ml  # noqa: E402

LEVELS = ["C6", "C7"] + [f"T{k}" for k in range(1, 13)] + ["L1", "L2"]
PUBLISHED = {"carina": "T4/T5 (Gray's)", "bronchial angle sum": "60 +- 10 deg, 40-80 (Haskin & "
             "Goodman 1982)", "knob": {"male": "31.4 +- 3.4", "female": "27.7 +- 3.7"},
             "mediastinal width": "< 80 mm (PA); 63.1 mm mean on CT (Gleeson 2001)",
             "clavicle": {"male": "156 +- 10.4", "female": "146.2 +- 10.7"}}


def level_of(ph, y_mm: float) -> str:
    """The vertebral level (body and fraction of its pitch) at world ``y_mm``."""
    tops = ph.meta["spine"]["tops"]
    k = int(np.searchsorted(tops, y_mm, side="right")) - 1
    return f"{LEVELS[k]} + {(y_mm - tops[k]) / ph.meta['spine']['pitches'][k]:.2f}"


def measure(voxel_mm: float) -> list:
    from victwin.phantom.chest.measure import (aortic_knob_mm, carina_y_mm,
                                               clavicle_lengths_mm, main_bronchus_angles_deg)
    rows = []
    for k, (name, body) in enumerate(TWINS):
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        ph = make_chest({"body": body}, seed=k, voxel_mm=voxel_mm, progress=False)
        t_make = time.perf_counter() - t0
        knob, width, y_knob = aortic_knob_mm(ph)
        right, left = main_bronchus_angles_deg(ph)
        rows.append({"twin": name, "seed": k, "make_s": round(t_make, 1),
                     "load_1min": round(load, 1),
                     "carina_level": level_of(ph, carina_y_mm(ph)),
                     "bronchus_deg_right_left": [round(right, 1), round(left, 1)],
                     "aortic_knob_mm": round(knob, 1), "knob_level": level_of(ph, y_knob),
                     "superior_mediastinal_width_mm": round(width, 1),
                     "clavicle_mm_right_left": [round(v, 1) for v in clavicle_lengths_mm(ph)],
                     "lung_volume_l": round(lung_volume_ml(ph) / 1000.0, 2),
                     "tlc_target_l": round(ph.meta["thorax"]["tlc_ml"] / 1000.0, 2),
                     "tlc_ers1993_l": round(tlc_ers1993_l(body["sex"], body["height_cm"]), 2),
                     "midline_label_paths_mm": midline_paths(ph)})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def midline_paths(ph, levels=("T3", "T6", "T8"), xs_mm=(0.0, 8.0, 24.0)) -> dict:
    """Path length (mm) through each label along the PA ray at ``x`` (mm from the midline) at
    the middle of each vertebral level: what makes the midline column bright."""
    g = ph.grid
    x, y = g.axis_mm("x"), g.axis_mm("y")
    sp = ph.meta["spine"]
    out = {}
    for lev in levels:
        k = LEVELS.index(lev)
        j = int(np.argmin(np.abs(y - sp["tops"][k] - 0.4 * sp["pitches"][k])))
        for xx in xs_mm:
            col = ph.labels[:, j, int(np.argmin(np.abs(x - xx)))]
            names = ph.meta["label_names"]
            out[f"{lev} x={xx:g}"] = {names[str(int(v))]: round(float((col == v).sum())
                                                                 * g.spacing[0], 1)
                                      for v in np.unique(col) if int(v) != 0}
    return out


def save_lung(out: Path, voxel_mm: float) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for seed in (0, 1, 2):
        ph = make_chest("chest/adult", seed=seed, voxel_mm=voxel_mm, progress=False)
        lung = np.isin(ph.labels, labels_of(ph, "lung"))
        np.savez(out / f"lung{seed}.npz", bits=np.packbits(lung), shape=lung.shape,
                 origin=np.array(ph.grid.origin), spacing=np.array(ph.grid.spacing))
        print(seed, ph.labels.shape, hashlib.sha256(lung.tobytes()).hexdigest())


def _unpack(z) -> np.ndarray:
    shape = tuple(int(v) for v in z["shape"])
    return np.unpackbits(z["bits"], count=int(np.prod(shape))).astype(bool).reshape(shape)


def _aligned(za, zb):
    """Both lung masks on one index box, ``b`` moved to ``a``'s grid by the nearest voxel
    (grids of different shape are centred differently: up to half a voxel of shift, which
    alone changes boundary voxels); also the shift (voxels, z y x) left after rounding."""
    la, lb = _unpack(za), _unpack(zb)
    if la.shape == lb.shape and np.allclose(za["origin"], zb["origin"]):
        return la, lb, [0.0, 0.0, 0.0]
    # Grid.origin and .spacing are (x, y, z); the arrays are (z, y, x)
    sp = np.asarray(za["spacing"], float)[::-1]
    off = (np.asarray(zb["origin"], float)[::-1] - np.asarray(za["origin"], float)[::-1]) / sp
    k = np.rint(off).astype(int)
    lo = np.minimum(0, k)
    hi = np.maximum(la.shape, np.array(lb.shape) + k)
    A = np.zeros(tuple(hi - lo), bool)
    B = np.zeros_like(A)
    A[tuple(slice(-lo[i], -lo[i] + la.shape[i]) for i in range(3))] = la
    B[tuple(slice(k[i] - lo[i], k[i] - lo[i] + lb.shape[i]) for i in range(3))] = lb
    return A, B, [round(float(v), 2) for v in off - k]


def compare(a: Path, b: Path) -> list:
    rows = []
    for seed in (0, 1, 2):
        za, zb = (np.load(d / f"lung{seed}.npz") for d in (a, b))
        la, lb, resid = _aligned(za, zb)
        d = la ^ lb
        rows.append({"seed": seed, "sha256_a": hashlib.sha256(_unpack(za).tobytes()).hexdigest()[:16],
                     "sha256_b": hashlib.sha256(_unpack(zb).tobytes()).hexdigest()[:16],
                     "shape_a": [int(v) for v in za["shape"]],
                     "shape_b": [int(v) for v in zb["shape"]],
                     "residual_shift_voxels_zyx": resid,
                     "changed_of_volume": round(float(d.mean()), 5),
                     "changed_of_lung_a": round(float(d.sum() / la.sum()), 4),
                     "lung_voxels_a": int(la.sum()), "lung_voxels_b": int(lb.sum()),
                     "lung_to_other": int((la & ~lb).sum()),
                     "other_to_lung": int((lb & ~la).sum())})
        print(json.dumps(rows[-1]))
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--voxel-mm", type=float, default=1.0)
    ap.add_argument("--save-lung", type=Path)
    ap.add_argument("--compare", type=Path, nargs=2)
    args = ap.parse_args(argv)
    if args.save_lung:
        return save_lung(args.save_lung, args.voxel_mm)
    if args.compare:
        return compare(*args.compare)
    rows = measure(args.voxel_mm)
    res = Path(__file__).resolve().parent / "results" / "chest_mediastinum.json"
    res.write_text(json.dumps({"voxel_mm": args.voxel_mm, "published": PUBLISHED,
                               "machine_load_note": "os.getloadavg()[0] before each build",
                               "twins": rows}, indent=1))
    print("wrote", res)


if __name__ == "__main__":
    main()
