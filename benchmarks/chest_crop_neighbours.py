"""How often a size-class crop about a chest nodule holds (part of) another nodule of its
twin, from a run's records (issue 19: the crops of a size class that borrows other classes'
training ROIs).

    python benchmarks/chest_crop_neighbours.py RUN_DIR [--magnification 1.15] [--out JSON]

For every nodule site of every finished twin (first modality; the lesion's position in the
image is its ROI's ``center_index`` minus ``shift_px``), and for each size class's crop side
(``class_roi_px``), counts the crops that hold another nodule's centre, and those that reach
its projected disc (radius = lesion_size_mm / 2 x ``magnification``, assumed: 1.05-1.15 at
1800 mm SID, ``victwin/trial/_nodule_classes.py``; 1.15 by default, the larger disc). Placement
keeps every nodule out of the other sites' own-class ROIs (``place_nodule_sites``), so the
diagonal (a nodule's own class's crop) should read 0. Reads ``trial.sqlite`` read-only, so
it can run beside the trial writing it. Writes ``benchmarks/results/chest_crop_neighbours.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
from pathlib import Path

import numpy as np

from _common import environment, print_table, write_json
from victwin.trial._nodule_classes import NODULE_SIZE_CLASSES, class_roi_px, nodule_size_class


def crop_neighbours(run_dir, magnification: float = 1.15) -> tuple[list[dict], int]:
    """Rows ``(nodule class, crop class)`` with the counts; and the number of twins read."""
    db = sqlite3.connect(f"file:{Path(run_dir) / 'trial.sqlite'}?mode=ro", uri=True)
    rows = db.execute("SELECT result FROM cases WHERE state='done' ORDER BY case_id").fetchall()
    db.close()
    counts: dict = {}
    for (text,) in rows:
        res = json.loads(text)
        first = min(res["modalities"], key=lambda k: res["modalities"][k]["order"])
        mod = res["modalities"][first]
        pixel = mod["roi"]["pixel_mm"]
        nodules = []
        for s in res.get("sites") or []:
            if s["truth"] != 1 or s.get("lesion_size_mm") is None:
                continue
            roi = mod["rois"][s["name"]]
            at = (np.array(roi["center_index"][-2:], float)
                  - np.array(roi["shift_px"][-2:] if roi.get("shift_px") else (0, 0), float))
            nodules.append((at, 0.5 * s["lesion_size_mm"] * magnification / pixel,
                            nodule_size_class(s["lesion_size_mm"])))
        for i, (ci, _, own) in enumerate(nodules):
            for crop in NODULE_SIZE_CLASSES:
                half = class_roi_px(crop, pixel) / 2.0          # the crop spans +-half px
                disc = centre = False
                for j, (cj, rj, _) in enumerate(nodules):
                    if j == i:
                        continue
                    d = np.abs(cj - ci)
                    disc |= bool(np.hypot(*np.maximum(d - half, 0.0)) <= rj)
                    centre |= bool(np.all(d <= half))
                c = counts.setdefault((own, crop), {"rois": 0, "disc": 0, "centre": 0,
                                                    "crop_px": class_roi_px(crop, pixel)})
                c["rois"] += 1
                c["disc"] += disc
                c["centre"] += centre
    out = []
    for (own, crop), c in sorted(counts.items(), key=lambda t: (
            NODULE_SIZE_CLASSES.index(t[0][0]), NODULE_SIZE_CLASSES.index(t[0][1]))):
        out.append({"nodule_class": own, "crop_class": crop, "crop_px": c["crop_px"],
                    "nodule_rois": c["rois"], "with_centre": c["centre"],
                    "with_disc": c["disc"], "with_disc_pct": 100.0 * c["disc"] / c["rois"]})
    return out, len(rows)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("run_dir")
    ap.add_argument("--magnification", type=float, default=1.15)
    ap.add_argument("--out", default=None)
    a = ap.parse_args(argv)
    load = os.getloadavg()
    rows, n_twins = crop_neighbours(a.run_dir, a.magnification)
    print(f"{a.run_dir}: {n_twins} finished twins; disc radius = size / 2 x {a.magnification}")
    print_table(rows, ["nodule_class", "crop_class", "crop_px", "nodule_rois", "with_centre",
                       "with_disc", "with_disc_pct"])
    write_json("chest_crop_neighbours", {
        "run_dir": str(a.run_dir), "n_twins": n_twins, "magnification": a.magnification,
        "rows": rows, "loadavg": load, "environment": environment()}, a.out)


if __name__ == "__main__":
    main()
