"""Benchmark: does a victwin DM look like a mammogram? NPS exponent beta and straight-line energy.

For each density class and seed: a breast phantom, a DM on ``mammomat-dm`` (noise on), and on
the log image ``p = ln(flat / (raw - offset))`` inside the breast interior (beyond the
peripheral fall-off zone found by the presentation processing):

ROIs lie on the peripherally equalised log image, 10 mm inside the skin line and 15 mm off the
chest wall (``_image_metrics.breast_interior``).

* beta: the power-law exponent of the NPS over 0.1-1 cycles/mm, 256-pixel ROIs
  (``victwin.phantom._image_metrics.nps_beta``). Published for clinical mammograms: about 2.8
  (Burgess, Jacobson & Judy, Med. Phys. 28:419, 2001); 2.47 +- 0.20 and 2.92 +- 0.28 in two
  groups of 172 clinical CC views (Li, Giger et al., J. Digit. Imaging 21:145, 2008). The
  issue's acceptance range is 2.5-3.5.
* line energy: the Radon peak of high-passed 256-pixel ROIs over that of phase-randomised
  surrogates (1 = no more straight lines than a texture with the same spectrum).
* saturation of the "for presentation" image: fractions of breast, pectoralis and skin-line
  pixels in the top or bottom 1% of the display range.

Usage: python benchmarks/anatomy.py [--voxel-mm 0.2] [--binning 2] [--seeds 0 1]
       [--classes fatty scattered heterogeneous dense]
Writes benchmarks/results/anatomy.json and prints a table.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import environment, print_table, write_json  # noqa: E402

#: Acceptance range of the issue (Burgess 2001; Li et al. 2008 group means 2.47 and 2.92).
BETA_RANGE = (2.5, 3.5)


def measure(name: str, seed: int, voxel_mm: float, binning: int) -> dict:
    import victwin
    from victwin.phantom import make
    from victwin.phantom._image_metrics import (breast_interior, line_energy_ratio, nps_beta,
                                                roi_corners)
    from victwin.physics import log_normalise
    from victwin.physics._presentation import breast_mask, equalise_periphery, skin_distance_mm

    t0 = time.perf_counter()
    p = make(f"breast/{name}", seed=seed, voxel_mm=voxel_mm, progress=False)
    t1 = time.perf_counter()
    a = victwin.acquire(p, "mammomat-dm", seed=seed, binning=binning, progress=False)
    t2 = time.perf_counter()
    pitch = 0.085 * binning
    logp = log_normalise(a.raw[0], a.detector["offset_adu"], a.flat_adu[0], dtype=np.float64)
    mask = breast_mask(logp)
    p_eq, info = equalise_periphery(logp, mask, pitch)
    d = skin_distance_mm(mask, pitch)
    interior = breast_interior(mask, d, pitch)
    roi = max(64, int(round(256 * 0.085 / pitch)))  # 21.8 mm ROIs whatever the binning
    nps = nps_beta(p_eq, interior, pitch, roi_px=roi)
    corners = roi_corners(interior, roi, stride_px=roi)
    pick = corners[:: max(1, len(corners) // 6)][:6]
    lines = [line_energy_ratio(p_eq[r:r + roi, c:c + roi], pitch, seed=k,
                               highpass_mm=max(0.3, pitch))
             for k, (r, c) in enumerate(pick)]
    out = a.processed[0]
    top = 4095
    # Pectoralis: columns at the chest wall (x = 0 is image column 0 here) where the phantom
    # has muscle; skin line: the outer 1 mm of the mask.
    hi_sat = out >= 0.99 * top
    lo_sat = out <= 0.01 * top
    skin = mask & (d <= 1.0)
    counts = np.bincount(p.labels.ravel(), minlength=9)
    return {"class": name, "seed": seed, "voxel_mm": voxel_mm, "binning": binning,
            "beta": round(nps["beta"], 3), "n_rois": nps["n_rois"],
            "line_energy_median": round(float(np.median(lines)), 3) if lines else None,
            "line_energy_max": round(float(np.max(lines)), 3) if lines else None,
            "saturated_breast": round(float(np.mean((hi_sat | lo_sat)[mask])), 5),
            "saturated_skin_line": round(float(np.mean((hi_sat | lo_sat)[skin])), 5),
            "muscle_voxels": int(counts[5]),
            "equalised_zone_mm": round(info["zone_mm"], 2),
            "glandular_fraction_volume": p.meta["glandular_fraction_volume"],
            "phantom_s": round(t1 - t0, 1), "dm_s": round(t2 - t1, 1)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--voxel-mm", type=float, default=0.2)
    ap.add_argument("--binning", type=int, default=2)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--classes", nargs="+",
                    default=["fatty", "scattered", "heterogeneous", "dense"])
    ap.add_argument("--out", default=None, help="JSON path (default results/anatomy.json)")
    args = ap.parse_args(argv)
    rows = []
    for name in args.classes:
        for seed in args.seeds:
            r = measure(name, seed, args.voxel_mm, args.binning)
            rows.append(r)
            print(r, flush=True)
    betas = np.array([r["beta"] for r in rows])
    summary = {"beta_mean": round(float(betas.mean()), 3), "beta_min": round(float(betas.min()), 3),
               "beta_max": round(float(betas.max()), 3), "beta_range_published": BETA_RANGE,
               "all_in_range": bool(np.all((betas >= BETA_RANGE[0]) & (betas <= BETA_RANGE[1])))}
    print_table(rows, ["class", "seed", "beta", "n_rois", "line_energy_median", "line_energy_max",
                       "saturated_breast", "saturated_skin_line", "phantom_s", "dm_s"])
    print(summary)
    write_json("anatomy", {"environment": environment(), "load_avg": os.getloadavg(),
                           "args": vars(args), "rows": rows, "summary": summary}, args.out)


if __name__ == "__main__":
    main()
