"""The chest twins' lateral costophrenic angles and dome heights read from the PA image
(:mod:`victwin.phantom.chest.measure_recess`) beside the labels' field measures
(:mod:`.measure_body`, :mod:`.measure_cage`).

    python benchmarks/chest_recess.py [--voxel-mm 2.0] [--out PATH]

The twins: the two bodies of ``tests/phantom/test_chest_body_size.py`` (163 cm woman and
177 cm man, BMI 20, 40 y, seed 3) and the four figure twins of ``benchmarks/chest_twins.py``
(seeds 0-3). The image is the 60 keV parallel-beam PA line integral
(:func:`.measure_recess.pa_line_integral`). Prints a table and writes
``benchmarks/results/chest_recess.json`` (with versions, command and machine load).
"""

from __future__ import annotations

import argparse
import os
import time

from _common import environment, print_table, write_json

from victwin.phantom.chest import make_chest
from victwin.phantom.chest.measure_body import costophrenic_angles_deg as field_cp_deg
from victwin.phantom.chest.measure_cage import dome_heights_mm as field_domes_mm
from victwin.phantom.chest.measure_recess import (costophrenic_angles_deg, dome_heights_mm,
                                                  pa_line_integral)

BODIES = [("F163b20", {"sex": "female", "age_years": 40, "height_cm": 163, "bmi": 20}, 3),
          ("M177b20", {"sex": "male", "age_years": 40, "height_cm": 177, "bmi": 20}, 3),
          ("F158b21", {"sex": "female", "age_years": 35, "height_cm": 158, "bmi": 21}, 0),
          ("F167b36", {"sex": "female", "age_years": 60, "height_cm": 167, "bmi": 36}, 1),
          ("M168b23", {"sex": "male", "age_years": 45, "height_cm": 168, "bmi": 23}, 2),
          ("M188b31", {"sex": "male", "age_years": 70, "height_cm": 188, "bmi": 31}, 3)]
ARMS_MM = (10.0, 20.0, 30.0)


def _rl(pair) -> str:
    return f"{pair[0]:.0f}/{pair[1]:.0f}"


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--voxel-mm", type=float, default=2.0)
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    rows = []
    for name, body, seed in BODIES:
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        ph = make_chest({"body": body}, seed=seed, voxel_mm=args.voxel_mm)
        img = pa_line_integral(ph)
        row = {"twin": name, "seed": seed, "load_1min": round(load, 2)}
        for arm in ARMS_MM:
            row[f"cp_reader_{arm:.0f}mm_deg"] = [round(a, 1) for a in
                                                 costophrenic_angles_deg(img, ph.grid.spacing[2],
                                                                         arm_mm=arm)]
        row["cp_field_deg"] = [round(a, 1) for a in field_cp_deg(ph)]
        row["domes_reader_mm"] = [round(h, 1) for h in dome_heights_mm(img, ph.grid.spacing[2])]
        row["domes_field_mm"] = [round(h, 1) for h in field_domes_mm(ph)]
        row["t_s"] = round(time.perf_counter() - t0, 1)
        rows.append(row)
    table = [{"twin": r["twin"],
              **{f"CP R/L {a:.0f} mm arms (deg)": _rl(r[f"cp_reader_{a:.0f}mm_deg"])
                 for a in ARMS_MM},
              "CP field R/L (deg)": _rl(r["cp_field_deg"]),
              "domes reader R/L (mm)": _rl(r["domes_reader_mm"]),
              "domes field R/L (mm)": _rl(r["domes_field_mm"]), "t (s)": r["t_s"],
              "load": r["load_1min"]} for r in rows]
    print_table(table, list(table[0]))
    write_json("chest_recess", {"voxel_mm": args.voxel_mm, "energy_kev": 60.0,
                                "arms_mm": list(ARMS_MM), "environment": environment(),
                                "machine_load_note": "os.getloadavg()[0] before each build",
                                "twins": rows}, args.out)


if __name__ == "__main__":
    main()
