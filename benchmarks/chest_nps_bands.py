"""Lung-field NPS exponent of the chest twins over several bands, with and without the
detector MTF divided out (does beta converge with the voxel size?).

    python benchmarks/chest_nps_bands.py [--binning 4]

Reads the ROI periodograms ``benchmarks/results/chest_twins_nps.npz`` written by
``benchmarks/chest_twins.py`` (noise-free PA line integrals of four twins, each built at 1 mm
and at 0.5 mm, four 48 mm lung ROIs per twin) and fits ``P ~ f^-beta`` (percentile bootstrap
over the 16 ROIs) over the bands below. The MTF divided out is the one the simulated
``chest-pa`` system applies, from its own parameters: the binned pixel's aperture
``sinc(a f)`` (``a`` = pitch x binning; rays are traced at the native pitch, so the binned
pixel integrates over its full width) times the CsI exponential light spread
``1 / (1 + (2 pi f s)^2)`` (``victwin.physics._detector._light_spread``); the focal spot
(1.2 mm, ~1.07 magnification at the lungs: < 0.1 mm at the detector) is left out. Writes
``benchmarks/results/chest_nps_bands.json``.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

from victwin.phantom.chest.measure import beta_bootstrap_ci
from victwin.systems import load

BANDS = ((0.1, 0.45), (0.1, 0.7), (0.45, 0.7), (0.1, 0.3))


def system_mtf2(f, binning: int) -> np.ndarray:
    det = load("chest-pa").detector
    a = det.pitch_mm * binning
    s = det.light_spread_mm
    return np.sinc(a * f) ** 2 / (1.0 + (2 * math.pi * f * s) ** 2) ** 2


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--binning", type=int, default=4)
    args = ap.parse_args(argv)
    res = Path(__file__).resolve().parent / "results"
    z = np.load(res / "chest_twins_nps.npz")
    out = {"binning": args.binning, "bands_cycles_per_mm": BANDS, "fits": {}}
    for key in sorted(k[:-2] for k in z.files if k.endswith("_f")):
        f, p = z[key + "_f"], z[key + "_p"]
        vox = float(key.rstrip("m"))
        nyq = 1.0 / (2.0 * vox * 1.1)          # the twin's own Nyquist at the detector
        rows = {}
        for band in BANDS:
            if band[1] > nyq + 1e-9:
                continue
            b, ci = beta_bootstrap_ci(f, p, band)
            bm, cim = beta_bootstrap_ci(f, p / system_mtf2(f, args.binning), band)
            rows[f"{band[0]:g}-{band[1]:g}"] = {
                "beta": round(b, 2), "ci": [round(v, 2) for v in ci],
                "beta_mtf_corrected": round(bm, 2), "ci_mtf_corrected": [round(v, 2)
                                                                          for v in cim]}
        out["fits"][key] = {"n_rois": int(len(p)), "own_nyquist_cycles_per_mm": round(nyq, 2),
                            "bands": rows}
    print(json.dumps(out, indent=1))
    (res / "chest_nps_bands.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
