"""Scatter-to-primary ratio of chest PA twins in the lung field, mediastinum, retrocardiac
region and below the diaphragm, for the chest-pa scatter model and alternatives.

    python benchmarks/chest_scatter.py [--voxel-mm 2.0] [--binning 8] [--twins 0 2]
                                       [--variant shipped geometric_generic ...]

For each twin of ``benchmarks/chest_twins.py`` (its index is its seed) and each variant of the
``[scatter]`` table: two noise-free ``chest-pa`` acquisitions, with and without scatter. Their
raw signals above the offset are ``k Tp P`` and ``k (Tp P + Ts S)`` (``Tp``, ``Ts`` the grid's
primary and scatter transmissions), so ``SPR_grid = raw_s / raw_p - 1`` and
``SPR = SPR_grid Tp / Ts`` (without grid), summed over each ROI (sum S / sum P). ROIs (20 mm
at the detector, from the twin's own label projections, see :func:`roi_masks`):

* lung: the four lung-field ROIs of ``chest_twins.py`` (upper and middle zones of both lungs);
* mediastinum: the midline 30 mm below the carina (over the spine, between the hila);
* retrocardiac: the centre of the pixels whose ray crosses both the lung and at least half the
  heart's largest chord, on the patient's left;
* subdiaphragm: 25 mm below the lowest lung pixel of the right mid-clavicular column;
* thorax: the lungs' bounding box (apex to costophrenic angles, side to side; the "average
  SPR of the chest radiograph").

Prints a table and writes ``benchmarks/results/chest_scatter.json`` (machine load).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from chest_twins import TWINS, lung_roi_centres  # noqa: E402

from victwin import acquire  # noqa: E402
from victwin.acquisition._beam import build_beam  # noqa: E402
from victwin.phantom.chest import make_chest  # noqa: E402
from victwin.physics import ScatterModel  # noqa: E402
from victwin.raytrace import project_labels  # noqa: E402
from victwin.systems import load as load_system  # noqa: E402

#: ``[scatter]`` tables compared; "shipped" is whatever systems/chest-pa.toml holds.
VARIANTS = {
    "shipped": None,
    # the table before issue 19scat12: geometric path, generic parameters
    "geometric_generic": dict(kind="power", amplitude=0.15, exponent=1.1, range_mm=20.0,
                              range_per_thickness=0.3, max_spr=10.0, path="geometric"),
    # the same parameters on the water-equivalent path
    "we_generic": dict(kind="power", amplitude=0.15, exponent=1.1, range_mm=20.0,
                       range_per_thickness=0.3, max_spr=10.0, path="water_equivalent"),
}

ROI_MM = 20.0
REGIONS = ("lung", "mediastinum", "retrocardiac", "subdiaphragm", "thorax")


def system_for(variant: str):
    system = load_system("chest-pa")
    spec = VARIANTS[variant]
    if spec is None:
        return system
    return dataclasses.replace(system, scatter=ScatterModel(**spec))


def _box(centre, half, shape):
    r, c = int(round(centre[0])), int(round(centre[1]))
    m = np.zeros(shape, bool)
    m[max(r - half, 0):r + half + 1, max(c - half, 0):c + half + 1] = True
    return m


def roi_masks(ph, acq) -> dict:
    """Boolean ``[nv, nu]`` masks of the four regions on the acquisition's panel."""
    names = ph.meta["label_names"]
    lab_of = lambda *words: [int(k) for k, v in names.items()  # noqa: E731
                             if any(w in v for w in words)]
    n_labels = int(ph.labels.max()) + 1
    paths = np.asarray(project_labels(ph.labels, ph.grid, acq.views, n_labels,
                                      backend="cpu"))[0]
    lung = paths[lab_of("lung parenchyma")].sum(axis=0)
    heart = paths[lab_of("myocardium", "heart chambers", "left atri")].sum(axis=0)
    nv, nu = lung.shape
    pix = float(acq.views[0].panel.pitch[0])
    half = int(round(0.5 * ROI_MM / pix))
    mag = 1800.0 / (1800.0 - ph.grid.center_mm[2])
    to_px = lambda x, y: (y * mag / pix + (nv - 1) / 2, x * mag / pix + (nu - 1) / 2)  # noqa
    out = {}
    centres, _ = lung_roi_centres(ph, acq)
    out["lung"] = np.any([_box(c, half, lung.shape) for c in centres], axis=0)
    carina = ph.meta["anatomy_mm"]["carina"]
    out["mediastinum"] = _box(to_px(0.0, carina[1] + 30.0), half, lung.shape)
    cols = np.arange(nu)[None, :] >= (nu - 1) / 2 + 0.0     # patient's left: +x
    # the flipped sign check: the heart centre must fall in the chosen half
    hx = ph.meta["anatomy_mm"]["heart_center"][0]
    if hx < 0:
        cols = ~cols
    rc = (heart >= 0.5 * heart.max()) & (lung > 1.0) & cols
    rr, cc = np.nonzero(rc)
    out["retrocardiac"] = _box((rr.mean(), cc.mean()), half, lung.shape)
    x_r = -np.sign(hx) * 0.5 * ph.meta["cavity"]["a0"]
    col = int(round(to_px(x_r, 0.0)[1]))
    low = int(np.nonzero(lung[:, col] > 1.0)[0].max())
    out["subdiaphragm"] = _box((low + 25.0 / pix, col), half, lung.shape)
    rows, cols_ = np.nonzero(lung > 1.0)
    box = np.zeros(lung.shape, bool)
    box[rows.min():rows.max() + 1, cols_.min():cols_.max() + 1] = True
    out["thorax"] = box
    return out


def spr_table(ph, system, *, seed: int, binning: int) -> dict:
    kw = dict(seed=seed, binning=binning, progress=False, noise=False)
    off = system.detector.offset_adu
    with_s = acquire(ph, system, scatter=True, **kw)
    without = acquire(ph, system, scatter=False, **kw)
    rs = with_s.raw[0].astype(np.float64) - off
    rp = without.raw[0].astype(np.float64) - off
    beam = build_beam(system, ph)
    tp, ts = beam.grid_primary, beam.grid_scatter
    masks = roi_masks(ph, with_s)
    row = {}
    for name in REGIONS:
        m = masks[name]
        spr_grid = float(rs[m].sum() / rp[m].sum() - 1.0)
        row[name] = {"spr": spr_grid * tp / ts, "spr_grid": spr_grid,
                     "sf": spr_grid * tp / ts / (1 + spr_grid * tp / ts)}
    body = rp > 0
    row["saturated_px"] = int((with_s.raw[0] >= 2 ** system.detector.bits - 1).sum())
    row["grid"] = {"tp": tp, "ts": ts}
    return row, with_s, without, masks, body


def look(path, name, variant, with_s, without, masks, system, tp_over_ts):
    """PA line integrals (display of ``chest_twins.py``) and the SPR map without grid."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from chest_twins import display, line_integrals

    spr_grid = (with_s.raw[0].astype(float) - system.detector.offset_adu) / np.clip(
        without.raw[0].astype(float) - system.detector.offset_adu, 1, None) - 1.0
    pix = float(with_s.views[0].panel.pitch[0])
    img, lo, hi = display(line_integrals(with_s), pix)
    fig, ax = plt.subplots(1, 2, figsize=(11, 5.6))
    ax[0].imshow(img, cmap="gray_r", vmin=lo, vmax=hi)
    ax[0].set_title(f"{name}: PA, {variant}")
    spr = spr_grid * tp_over_ts
    im = ax[1].imshow(np.clip(spr, 0, 12), cmap="magma", vmin=0, vmax=12)
    fig.colorbar(im, ax=ax[1], fraction=0.046, label="SPR without grid")
    colours = dict(lung="c", mediastinum="r", retrocardiac="y", subdiaphragm="m", thorax="w")
    for r, m in masks.items():
        ax[1].contour(m, [0.5], colors=colours[r], linewidths=0.8)
    ax[1].set_title("SPR map (ROIs: lung c, mediastinum r, retrocardiac y, subdiaphragm m)",
                    fontsize=8)
    for a in ax:
        a.set_axis_off()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--voxel-mm", type=float, default=2.0)
    ap.add_argument("--binning", type=int, default=8)
    ap.add_argument("--twins", type=int, nargs="+", default=[0, 2])
    ap.add_argument("--variant", nargs="+", default=["geometric_generic", "shipped"])
    ap.add_argument("--out", default="benchmarks/results/chest_scatter.json")
    ap.add_argument("--png", default=None,
                    help="folder for look images: each twin's PA and SPR map per variant")
    args = ap.parse_args(argv)
    rows = []
    print(f"{'twin':24s} {'variant':18s} " + " ".join(f"{r:>12s}" for r in REGIONS)
          + "   (SPR without grid / with the 10:1 grid)")
    for k in args.twins:
        name, body = TWINS[k]
        ph = make_chest({"body": body}, seed=k, voxel_mm=args.voxel_mm, progress=False)
        for variant in args.variant:
            load = os.getloadavg()[0]
            t0 = time.perf_counter()
            system = system_for(variant)
            row, with_s, without, masks, _ = spr_table(ph, system, seed=k,
                                                       binning=args.binning)
            if args.png:
                look(Path(args.png) / f"chest_scatter_twin{k}_{variant}.png", name, variant,
                     with_s, without, masks, system, row["grid"]["tp"] / row["grid"]["ts"])
            print(f"{name:24s} {variant:18s} " + " ".join(
                f"{row[r]['spr']:5.2f}/{row[r]['spr_grid']:5.2f}" for r in REGIONS))
            rows.append({"twin": name, "seed": k, "variant": variant,
                         "scatter": dataclasses.asdict(system.scatter), **row,
                         "seconds": time.perf_counter() - t0, "load_1min": load})
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"voxel_mm": args.voxel_mm, "binning": args.binning,
                                          "roi_mm": ROI_MM, "rows": rows}, indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
