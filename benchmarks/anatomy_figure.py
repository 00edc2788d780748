"""Figure: a victwin DM ("for presentation"), a DBT slice through a mass, and lesion close-ups
at full resolution (docs/phantoms/anatomy.png).

One breast phantom with a spiculated mass and a calcification cluster inserted at random
glandular sites; the DM on ``mammomat-dm`` at its native 85 um; the DBT on ``mammomat-dbt``
(25 views, binned 2x2 to 170 um, one ray per pixel to keep the CPU run short) reconstructed by
FBP on 1 mm slices around the mass. Close-ups are 12 mm squares shown pixel for pixel
(enlarged by pixel replication). Display: the DM is the "for presentation" image (peripheral
equalisation and sigmoid LUT); the DBT slice is shown minus its 5 mm low-pass (as DBT displays
are processed); it and the close-ups use a 1-99 percentile window of their own pixels.

Usage: python benchmarks/anatomy_figure.py [--recipe breast/dense] [--seed 1] [--voxel-mm 0.1]
       [--out docs/phantoms/anatomy.png]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np


def _crop(img, centre_rc, half):
    r, c = (int(round(v)) for v in centre_rc)
    r0, c0 = max(0, r - half), max(0, c - half)
    return img[r0:r + half, c0:c + half]


def _win(img, lo=1, hi=99):
    a, b = np.percentile(img, [lo, hi])
    return np.clip((img - a) / max(b - a, 1e-9), 0, 1)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recipe", default="breast/dense")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--voxel-mm", type=float, default=0.1)
    ap.add_argument("--out", default="docs/phantoms/anatomy.png")
    args = ap.parse_args(argv)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import victwin
    from victwin.geometry import Grid
    from victwin.phantom import calcification_cluster, insert_lesion, make, spiculated_mass
    from victwin.recon import dbt_grid, reconstruct

    t0 = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    p = make(args.recipe, seed=args.seed, voxel_mm=args.voxel_mm, progress=False)
    p, mass = insert_lesion(p, spiculated_mass(rng, diameter_mm=7.0, voxel_mm=args.voxel_mm),
                            rng=rng)
    p, calc = insert_lesion(p, calcification_cluster(rng), rng=rng)
    t1 = time.perf_counter()
    dm = victwin.acquire(p, "mammomat-dm", seed=args.seed, progress=False)
    t2 = time.perf_counter()
    dbt = victwin.acquire(p, "mammomat-dbt", seed=args.seed, binning=2, rays_per_pixel=1,
                          progress=False)
    t3 = time.perf_counter()
    g = dbt_grid(dbt.views, p.meta["thickness_mm"], voxel_xy_mm=0.17,
                 extent_x_mm=(0.0, p.grid.upper_mm[0]),
                 extent_y_mm=(p.grid.lower_mm[1], p.grid.upper_mm[1]))
    zc = mass.center_mm[2]
    slab = Grid(shape=(3, g.shape[1], g.shape[2]), spacing=g.spacing,
                origin=(g.origin[0], g.origin[1], zc - g.spacing[0]))
    raw = dbt.raw.astype(np.float64) - dbt.detector["offset_adu"]
    vol = reconstruct(raw, dbt.views, slab, method="fbp", flat=dbt.flat_adu, progress=False)
    t4 = time.perf_counter()

    view = dm.views[0]
    pres = dm.processed[0].astype(float) / 4095.0
    logp = -np.log(np.maximum(dm.raw[0].astype(float) - dm.detector["offset_adu"], 0.5)
                   / dm.flat_adu[0])
    m_rc = view.project(np.asarray(mass.center_mm))
    c_rc = view.project(np.asarray(calc.center_mm))
    half = int(round(6.0 / 0.085))
    # DBT slices are shown high-passed as clinical DBT displays are processed: the slice minus
    # its 5 mm Gaussian low-pass inside the breast (normalised convolution).
    from scipy import ndimage

    raw_sl = vol[1].astype(np.float64)
    breast = raw_sl > 0.33 * np.median(raw_sl[raw_sl > 0]) if np.any(raw_sl > 0) else raw_sl > 0
    s_px = 5.0 / 0.17
    low = ndimage.gaussian_filter(np.where(breast, raw_sl, 0.0), s_px) / np.maximum(
        ndimage.gaussian_filter(breast.astype(float), s_px), 1e-6)
    sl = np.where(breast, raw_sl - low, np.nan)
    x_axis = slab.axis_mm("x")
    y_axis = slab.axis_mm("y")
    ms_rc = (np.searchsorted(y_axis, mass.center_mm[1]), np.searchsorted(x_axis, mass.center_mm[0]))
    half_t = int(round(6.0 / 0.17))

    m = pres > 0
    rows = np.flatnonzero(m.any(1))
    cols = np.flatnonzero(m.any(0))
    fig = plt.figure(figsize=(16, 12), dpi=100)
    ax = fig.add_axes([0.0, 0.0, 0.42, 0.96])
    ax.imshow(pres[rows[0]:rows[-1] + 1, :cols[-1] + 10], cmap="gray", vmin=0, vmax=1,
              interpolation="nearest")
    for rc, name in ((m_rc, "mass"), (c_rc, "calcifications")):
        ax.add_patch(plt.Rectangle((rc[1] - half, rc[0] - rows[0] - half), 2 * half, 2 * half,
                                   fill=False, ec="yellow", lw=1))
        ax.text(rc[1] + half + 5, rc[0] - rows[0], name, color="yellow", fontsize=9)
    ax.set_title(f"victwin DM, for presentation ({args.recipe}, seed {args.seed}, "
                 f"{args.voxel_mm} mm voxels, 85 um pixels)", fontsize=10)
    ax.axis("off")
    ax = fig.add_axes([0.44, 0.35, 0.30, 0.60])
    # Window the slice on the breast (mu above a third of its median), air black.
    inside = np.isfinite(sl)
    a_lo, a_hi = np.percentile(sl[inside], [1, 99]) if inside.any() else (0.0, 1.0)
    ax.imshow(np.where(inside, np.clip((sl - a_lo) / max(a_hi - a_lo, 1e-9), 0, 1), 0.0),
              cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.add_patch(plt.Rectangle((ms_rc[1] - half_t, ms_rc[0] - half_t), 2 * half_t, 2 * half_t,
                               fill=False, ec="yellow", lw=1))
    ax.set_title(f"DBT FBP slice through the mass (z = {zc:.1f} mm, 0.17 mm pixels, 1 mm slice; "
                 f"5 mm high-pass for display)", fontsize=10)
    ax.axis("off")
    panels = [(_crop(pres, m_rc, half), "DM mass, for presentation (12 mm)"),
              (_crop(logp, m_rc, half), "DM mass, log signal"),
              (np.nan_to_num(_crop(sl, ms_rc, half_t)), "DBT mass (12 mm)"),
              (_crop(logp, c_rc, half), "DM calcifications, log signal")]
    for k, (img, title) in enumerate(panels):
        ax = fig.add_axes([0.44 + 0.14 * (k % 4), 0.02, 0.13, 0.28])
        ax.imshow(_win(img) if "presentation" not in title else img, cmap="gray",
                  vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(title, fontsize=8)
        ax.axis("off")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    print(f"wrote {out}: phantom {t1 - t0:.0f} s, DM {t2 - t1:.0f} s, DBT {t3 - t2:.0f} s, "
          f"FBP {t4 - t3:.0f} s; mass at {mass.center_mm}, cluster at {calc.center_mm}")


if __name__ == "__main__":
    main()
