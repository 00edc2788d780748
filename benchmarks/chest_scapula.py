"""The chest twins' scapulae measured from their voxels beside the published values.

    python benchmarks/chest_scapula.py [--voxel-mm 2.0]

Builds the four twins of ``benchmarks/chest_twins.py`` and, per scapula (label "scapulae
(bone)", :mod:`victwin.phantom.chest.measure_skeleton`), prints the most bone on one lateral
(x) and one PA (z) ray, the lower blade's angle to the coronal plane, the superior to inferior
angle distance, the spine's length (as cut at the skin) and the median PA path through the
lower blade, with the vertebral body heights at T2 and T9; writes
``benchmarks/results/chest_scapula.json`` with the load average.
Sources: :mod:`victwin.phantom.chest.scapula` and ``tests/phantom/test_chest_scapula.py``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import environment, print_table, write_json  # noqa: E402
from chest_twins import TWINS  # noqa: E402

from victwin.phantom.chest import make_chest  # noqa: E402
from victwin.phantom.chest.measure_skeleton import (  # noqa: E402
    blade_angle_deg, blade_pa_path_mm, bone_path_max_mm, scapula_height_mm, scapula_mask,
    scapula_sides, spine_extent_mm, vertebral_body_heights_mm)

PUBLISHED = {"lateral_path_mm": "< 48 (acromion length, von Schroeder 2001)",
             "blade_angle_deg": "29.0, IQR 24.9-33.3 (Yoshida 2022)",
             "height_mm": "155 +- 16 (von Schroeder 2001); 139.3 +- 11.1 (Siriraj 2004)",
             "spine_mm": "134 +- 12 (von Schroeder 2001; here cut at the skin)",
             "blade_pa_path_mm": "2.06 / cos(angle) (Yoo 2012)",
             "body_T2_mm": "16.93 +- 1.57 ant., 17.59 +- 1.43 post. (Egwu 2019, men)",
             "body_T9_mm": "18.83 +- 1.54 ant., 20.46 +- 3.08 post. (Egwu 2019, men)"}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--voxel-mm", type=float, default=2.0)
    args = ap.parse_args(argv)
    rows = []
    for k, (name, body) in enumerate(TWINS):
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        ph = make_chest({"body": body}, seed=k, voxel_mm=args.voxel_mm)
        t_make = time.perf_counter() - t0
        v = args.voxel_mm
        heights = vertebral_body_heights_mm(ph)
        for side, m in scapula_sides(scapula_mask(ph), ph.grid).items():
            rows.append({"twin": name, "side": side, "lateral_path_mm": bone_path_max_mm(m, v, 2),
                         "pa_path_mm": bone_path_max_mm(m, v, 0),
                         "blade_angle_deg": round(blade_angle_deg(m, ph.grid), 1),
                         "height_mm": round(scapula_height_mm(m, ph.grid), 1),
                         "spine_mm": round(spine_extent_mm(m, ph.grid), 1),
                         "blade_pa_path_mm": blade_pa_path_mm(m, ph.grid),
                         "volume_ml": round(float(m.sum()) * v ** 3 / 1000.0, 1),
                         "body_T2_mm": heights["T2"], "body_T9_mm": heights["T9"],
                         "make_s": round(t_make, 1), "load_1min": round(load, 2)})
    print_table(rows, list(rows[0]))
    print("published:", PUBLISHED)
    write_json("chest_scapula", {"voxel_mm": args.voxel_mm, "published": PUBLISHED,
                                 "rows": rows, "environment": environment()})


if __name__ == "__main__":
    main()
