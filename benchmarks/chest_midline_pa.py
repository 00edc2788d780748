"""The chest twins' midline on PA line integrals: how much lung and tissue the PA rays near the
midline cross at each thoracic level, in front of and behind the heart (issue 19, the straight
soft-tissue column of the PA film; 2026-12-03, branch issue-19slab12).

    python benchmarks/chest_midline_pa.py [--voxel-mm 2] [--out JSON] [--npy DIR]

For the 2 mm test twins of ``tests/phantom/_chest_bodies.py`` (man 178 cm, woman 160 cm) and the
188 cm man of ``benchmarks/chest_twins.py``: at the middle of T3-T11, along the PA ray at
``x`` = 0, +-6, +-12, +-20 mm, the lung path (mm), split at 40 mm in front of the vertebral
bodies (front / back), the non-lung, non-air path inside the cavity's depth, and the 60 keV
parallel-beam line integral (sum of mu x path over the labels, xraylib attenuation; no
scatter, no spectrum); per twin the lung volume against the target TLC, the CTR and the
superior mediastinal width at the aortic knob (Felson: < 80 mm). Writes JSON (default
``benchmarks/results/chest_midline_pa.json``) with the machine load; ``--npy DIR`` saves the PA
line-integral images.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from victwin.phantom.chest import make_chest
from victwin.phantom.chest.measure import (aortic_knob_mm, cardiothoracic_ratio, labels_of,
                                           lung_volume_ml)
from victwin.phantom.chest.skeleton import LEVEL_NAMES
from victwin.physics import linear_attenuation

TWINS = {"man 178 cm": ({"sex": "male", "age_years": 55, "height_cm": 178, "bmi": 26}, 3),
         "woman 160 cm": ({"sex": "female", "age_years": 45, "height_cm": 160, "bmi": 31}, 4),
         "man 188 cm": ({"sex": "male", "age_years": 70, "height_cm": 188, "bmi": 31}, 0)}
LEVELS = [f"T{k}" for k in range(3, 12)]
XS_MM = (0.0, -6.0, 6.0, -12.0, 12.0, -20.0, 20.0)


def pa_line_integral(ph, energy_kev: float = 60.0) -> np.ndarray:
    """``(y, x)`` sum of mu (1/mm) x voxel (mm) along z."""
    lut = np.zeros(256, np.float32)
    for k, m in ph.materials.items():
        lut[k] = float(linear_attenuation(m, energy_kev))
    return lut[ph.labels].sum(axis=0) * ph.grid.spacing[0]


def twin_numbers(ph) -> dict:
    g = ph.grid
    v = g.spacing[0]
    x, y = g.axis_mm("x"), g.axis_mm("y")
    zd = g.axis_mm("z") - ph.meta["zc_mm"]
    sp = ph.meta["spine"]
    front = sp["front_zd"]
    lung = np.isin(ph.labels, labels_of(ph, "lung"))
    air = np.isin(ph.labels, labels_of(ph, "air"))
    pa = pa_line_integral(ph)
    knob, width, _ = aortic_knob_mm(ph)
    out = {"lung_l": round(lung_volume_ml(ph) / 1000.0, 3),
           "tlc_l": round(ph.meta["thorax"]["tlc_ml"] / 1000.0, 3),
           "ctr": round(cardiothoracic_ratio(ph)[0], 3), "knob_mm": round(knob, 1),
           "mediastinal_width_at_knob_mm": round(width, 1), "levels": {}}
    for lev in LEVELS:
        k = LEVEL_NAMES.index(lev)
        j = int(np.argmin(np.abs(y - sp["tops"][k] - 0.5 * sp["pitches"][k])))
        near = lung[:, j, np.abs(x) < 40.0].any(axis=1)
        z0 = zd[near].min() if near.any() else front
        rows = {}
        for xx in XS_MM:
            i = int(np.argmin(np.abs(x - xx)))
            cl, ca = lung[:, j, i], air[:, j, i]
            cav = (zd >= z0) & (zd < front)
            rows[f"{xx:g}"] = {"lung_front_mm": float((cl & (zd < front - 40.0)).sum() * v),
                               "lung_back_mm": float((cl & (zd >= front - 40.0)
                                                      & (zd < front)).sum() * v),
                               "tissue_mm": float((cav & ~cl & ~ca).sum() * v),
                               "pa_mu": round(float(pa[j, i]), 3)}
        out["levels"][lev] = {"cavity_depth_mm": round(float(front - z0), 1), "rays": rows}
    return out, pa


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--voxel-mm", type=float, default=2.0)
    ap.add_argument("--out", default="benchmarks/results/chest_midline_pa.json")
    ap.add_argument("--npy", default=None)
    a = ap.parse_args(argv)
    res = {"command": "python benchmarks/chest_midline_pa.py", "voxel_mm": a.voxel_mm,
           "load_before": os.getloadavg(), "twins": {}}
    t0 = time.time()
    print(f"{'twin':14s} {'level':5s} {'x_mm':>5s} {'lung_front_mm':>13s} {'lung_back_mm':>12s} "
          f"{'tissue_mm':>9s} {'pa_mu':>6s}")
    for name, (body, seed) in TWINS.items():
        ph = make_chest({"body": body}, seed=seed, voxel_mm=a.voxel_mm)
        r, pa = twin_numbers(ph)
        res["twins"][name] = r
        if a.npy:
            Path(a.npy).mkdir(parents=True, exist_ok=True)
            np.save(Path(a.npy) / f"pa_{name.replace(' ', '_')}.npy", pa)
        for lev, d in r["levels"].items():
            for xx, q in d["rays"].items():
                print(f"{name:14s} {lev:5s} {xx:>5s} {q['lung_front_mm']:13.0f} "
                      f"{q['lung_back_mm']:12.0f} {q['tissue_mm']:9.0f} {q['pa_mu']:6.2f}")
        print(f"{name}: lung {r['lung_l']} L (TLC {r['tlc_l']}), CTR {r['ctr']}, knob "
              f"{r['knob_mm']} mm, mediastinal width at the knob "
              f"{r['mediastinal_width_at_knob_mm']} mm")
    res["seconds"] = round(time.time() - t0, 1)
    res["load_after"] = os.getloadavg()
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
