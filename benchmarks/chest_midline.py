"""The chest twins' midline anatomy measured on the labels as on a PA film: lung and tissue along
PA rays near the midline, the posterior junction's gap between the lungs, the right
paratracheal stripe and the left paravertebral band.

    python benchmarks/chest_midline.py [--voxel-mm 2] [--seeds 0 1 2] [--out JSON] [--png DIR]

For ``chest/adult`` at each seed and the four figure twins of ``benchmarks/chest_twins.py``,
at the middle of the vertebral levels T2-T8 (``0.4`` of the level's pitch below its top, as
``chest_mediastinum.py``): path length (mm) of lung and of non-air tissue along the PA ray at
``x`` = 0, +-4, +-8, +-12, +-16 mm from the midline; the posterior junction gap (mm of tissue
between the two lungs behind the trachea's centre, the smallest over the depth); the right
paratracheal stripe (mm of tissue between the tracheal air and the right lung, at the
trachea's centre depth, Savoca et al. 1977: 1-4 mm in 1,259 normal subjects); the left band
(the same on the left); the left paraspinal stripe (left lung's medial edge beside the
vertebral body less the body's half-width) and the lung volume against the target TLC. Writes
JSON (default ``benchmarks/results/chest_midline.json``) with the machine load; ``--png DIR`` writes axial
crops of the midline at each level for looking at.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from victwin.phantom.chest import make_chest  # noqa: E402
from victwin.phantom.chest.measure import lung_volume_ml  # noqa: E402

LEVELS = ["C6", "C7"] + [f"T{k}" for k in range(1, 13)] + ["L1", "L2"]
LUNG, AIRWAY, AIR = 4, 5, 0
XS_MM = (0.0, -4.0, 4.0, -8.0, 8.0, -12.0, 12.0, -16.0, 16.0)


def row_of(ph, level: str) -> int:
    sp = ph.meta["spine"]
    k = LEVELS.index(level)
    y = ph.grid.axis_mm("y")
    return int(np.argmin(np.abs(y - sp["tops"][k] - 0.4 * sp["pitches"][k])))


def trachea_centre(sl: np.ndarray, x: np.ndarray, z: np.ndarray):
    """(x, z) of the tracheal air's centre in an axial slice ``sl`` (z, x), or None: the
    air component nearest the midline."""
    from scipy.ndimage import label

    lab, n = label(sl == AIRWAY)
    best = None
    for i in range(1, n + 1):
        zz, xx = np.nonzero(lab == i)
        cx = float(x[xx].mean())
        if abs(cx) < 15.0 and (best is None or len(zz) > best[2]):
            best = (cx, float(z[zz].mean()), len(zz))
    return None if best is None else best[:2]


def level_numbers(ph, level: str) -> dict:
    g = ph.grid
    v = g.spacing[0]
    x, z = g.axis_mm("x"), g.axis_mm("z")
    j = row_of(ph, level)
    sl = ph.labels[:, j, :]                      # (z, x)
    out = {"rays": {}}
    for xx in XS_MM:
        col = sl[:, int(np.argmin(np.abs(x - xx)))]
        out["rays"][f"x={xx:g}"] = {"lung_mm": round(float((col == LUNG).sum()) * v, 1),
                                    "tissue_mm": round(float(((col != AIR) & (col != LUNG)
                                                              & (col != AIRWAY)).sum()) * v, 1)}
    # left paraspinal stripe: the left lung's medial edge beside the vertebral body (between
    # its centre and back) less the body's half-width (Radiopaedia "Left paraspinal line";
    # Ryan: up to ~1 cm on the left in obese people)
    sp = ph.meta["spine"]
    k = LEVELS.index(level)
    zd = z - ph.meta["zc_mm"]
    zk = (zd >= sp["front_zd"] + 0.5 * sp["depths"][k]) & (zd <= sp["front_zd"] + sp["depths"][k])
    left = ((sl[zk] == LUNG).any(axis=0)) & (x > 0)
    if left.any():
        out["left_paraspinal_mm"] = round(float(x[left].min()) - 0.5 * v
                                          - 0.5 * sp["widths"][k], 1)
    tc = trachea_centre(sl, x, z)
    if tc is None:
        return out
    xc, zc = tc
    # posterior junction: the smallest tissue gap between the right and the left lung over the
    # z-planes behind the trachea's centre
    gaps = []
    for i in np.nonzero(z > zc)[0]:
        r = np.nonzero((sl[i] == LUNG) & (x < xc))[0]
        le = np.nonzero((sl[i] == LUNG) & (x > xc))[0]
        if len(r) and len(le):
            gaps.append(float(x[le.min()] - x[r.max()]) - v)
    out["posterior_gap_mm"] = round(min(gaps), 1) if gaps else None
    i = int(np.argmin(np.abs(z - zc)))
    air = np.nonzero(sl[i] == AIRWAY)[0]
    air = air[np.abs(x[air] - xc) < 20.0]
    r = np.nonzero((sl[i] == LUNG) & (x < xc))[0]
    le = np.nonzero((sl[i] == LUNG) & (x > xc))[0]
    out["trachea_centre_mm"] = [round(xc, 1), round(zc, 1)]
    if len(air) and len(r):
        out["right_paratracheal_mm"] = round(float(x[air.min()] - x[r.max()]) - v, 1)
    if len(air) and len(le):
        out["left_paratracheal_mm"] = round(float(x[le.min()] - x[air.max()]) - v, 1)
    return out


def crop_png(ph, levels, path: Path, title: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    g = ph.grid
    x, z = g.axis_mm("x"), g.axis_mm("z")
    keep = np.abs(x) <= 70.0
    from matplotlib.colors import ListedColormap

    # air, fat, muscle, soft, lung, airway, blood, bone, gland, cartilage, myocardium,
    # chambers, clavicle, left atrium, its appendage (builder.CHEST_LABELS order)
    cmap = ListedColormap(["black", "khaki", "sienna", "tan", "darkgreen", "cyan", "red",
                           "white", "pink", "lightgrey", "brown", "darkred", "white",
                           "orangered", "orange"])
    fig, axs = plt.subplots(1, len(levels), figsize=(4.0 * len(levels), 5.0))
    for ax, lev in zip(axs, levels):
        sl = ph.labels[:, row_of(ph, lev), :][:, keep]
        ax.imshow(sl, cmap=cmap, vmin=-0.5, vmax=14.5, interpolation="nearest",
                  extent=(x[keep][0], x[keep][-1], z[-1], z[0]))
        ax.set_title(lev)
        ax.axvline(0.0, color="w", lw=0.3)
    fig.suptitle(title + " (axial, anterior up)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def twins():
    from chest_twins import TWINS
    return TWINS


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--voxel-mm", type=float, default=2.0)
    p.add_argument("--seeds", type=int, nargs="*", default=[0, 1, 2])
    p.add_argument("--no-figure-twins", action="store_true")
    p.add_argument("--out", type=Path,
                   default=Path(__file__).resolve().parent / "results" / "chest_midline.json")
    p.add_argument("--png", type=Path, default=None)
    a = p.parse_args(argv)
    levels = ["T2", "T3", "T4", "T5", "T7", "T8"]
    cases = [(f"chest/adult seed {s}", "chest/adult", s) for s in a.seeds]
    if not a.no_figure_twins:
        cases += [(name, {"body": body}, k) for k, (name, body) in enumerate(twins())]
    rows = []
    for name, rec, seed in cases:
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        ph = make_chest(rec, seed=seed, voxel_mm=a.voxel_mm, progress=False)
        row = {"twin": name, "seed": seed, "make_s": round(time.perf_counter() - t0, 1),
               "load_1min": round(load, 1),
               "lung_volume_l": round(lung_volume_ml(ph) / 1000.0, 3),
               "tlc_target_l": round(ph.meta["thorax"]["tlc_ml"] / 1000.0, 3),
               "levels": {lev: level_numbers(ph, lev) for lev in levels}}
        rows.append(row)
        print(json.dumps(row), flush=True)
        if a.png is not None:
            a.png.mkdir(parents=True, exist_ok=True)
            crop_png(ph, levels, a.png / f"midline_{len(rows) - 1}.png", name)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps({"command": " ".join(["python"] + sys.argv),
                                 "voxel_mm": a.voxel_mm, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
