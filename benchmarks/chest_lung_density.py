"""The chest twins' lung density against CT of normal lungs, and what it does to the PA image.

    python benchmarks/chest_lung_density.py [--voxel-mm 1.0] [--nps-twins 2] [--binning 4]
        [--images /work/scratch/19dens10]

For each twin of ``benchmarks/chest_twins.py`` (same bodies and seeds): the volume fractions of
the lung region (each coronal slice's lung mask with its holes filled: parenchyma, the painted
vessels (blood) and airways (air), a little chest wall), the region's mean CT number at 70 keV
as built (lung label "lung_parenchyma") and with ICRU 46's whole lung ("lung", 0.26 g/cm3,
the builder's material before 2026-12-03), and the parenchyma density that makes the region read
the CT mean of normal lungs (-817 HU) and the ends of its range (-770, -875 HU; Clin Radiol
1991;43:238) - :mod:`victwin.phantom.chest.measure_density`. The mean of the 1 mm figures is
``victwin.physics`` "lung_parenchyma"'s density.

For the first ``--nps-twins`` twins, noise-free PA line integrals (``chest-pa``) before and after,
on the four 48 mm lung ROIs of ``chest_twins.py``: beta over ``chest_twins.nps_band`` with its
bootstrap CI, the NPS integrated over 0.1-1 cycles/mm, and the mean line integral in the ROIs;
PA images (with quantum noise, ``chest_twins.display``) before/after and the difference of the
line integrals go to ``--images``. Prints a table and writes
``benchmarks/results/chest_lung_density.json`` with machine load.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from chest_twins import TWINS, display, line_integrals, lung_roi_centres, nps_band  # noqa: E402

import victwin  # noqa: E402
from victwin import acquire  # noqa: E402
from victwin.phantom.chest import make_chest  # noqa: E402
from victwin.phantom.chest.measure import beta_bootstrap_ci, labels_of, roi_periodograms  # noqa: E402
from victwin.phantom.chest.measure_density import (CT_LUNG_HU_RANGE, CT_MEAN_LUNG_HU,  # noqa: E402
                                                   lung_mean_hu, lung_region_counts,
                                                   parenchyma_density_for_hu)


def before(ph):
    """The twin with ICRU 46's whole lung (0.26 g/cm3) as its lung material (labels unchanged)."""
    return ph.replace(materials={k: ("lung" if k in labels_of(ph, "lung") else m)
                                 for k, m in ph.materials.items()})


def lung_rois(ph, seed, binning):
    clean = acquire(ph, "chest-pa", seed=seed, binning=binning, progress=False, noise=False)
    li = line_integrals(clean)
    centres, pix = lung_roi_centres(ph, clean)
    roi = int(round(48.0 / pix)) // 2 * 2
    f, p = roi_periodograms(li, pix, centres, roi_px=roi)
    mean_li = float(np.mean([li[r - roi // 2:r + roi // 2, c - roi // 2:c + roi // 2].mean()
                             for r, c in centres]))
    return li, f, p, mean_li


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--voxel-mm", type=float, default=1.0)
    ap.add_argument("--binning", type=int, default=4)
    ap.add_argument("--nps-twins", type=int, default=2)
    ap.add_argument("--images", default="")
    ap.add_argument("--json", default=str(Path(__file__).resolve().parent / "results"
                                          / "chest_lung_density.json"))
    args = ap.parse_args(argv)
    rows, t_start = [], time.perf_counter()
    print(f"{'twin':24s} {'blood %':>8s} {'air %':>6s} {'HU built':>9s} {'HU ICRU':>8s} "
          f"{'rho_p -817':>10s} {'-770':>6s} {'-875':>6s} {'beta before':>18s} "
          f"{'beta after':>18s} {'var ratio':>9s} {'mean LI b/a':>12s}")
    for k, (name, body) in enumerate(TWINS):
        t0, load0 = time.perf_counter(), os.getloadavg()[0]
        ph = make_chest({"body": body}, seed=k, voxel_mm=args.voxel_mm, progress=False)
        old = before(ph)
        c = lung_region_counts(ph)
        n = sum(c.values())
        row = {"twin": name, "seed": k, "voxel_mm": args.voxel_mm,
               "fractions": {m: round(v / n, 5) for m, v in sorted(c.items())},
               "lung_ml": round(n * float(np.prod(ph.grid.spacing)) / 1000.0),
               "mean_hu_built": round(lung_mean_hu(ph), 1),
               "mean_hu_icru46_lung": round(lung_mean_hu(old), 1),
               "rho_p_g_cm3": {str(int(h)): round(parenchyma_density_for_hu(ph, h), 4)
                               for h in (CT_MEAN_LUNG_HU, *CT_LUNG_HU_RANGE)}}
        if k < args.nps_twins:
            band = nps_band(args.voxel_mm)
            res = {}
            for tag, p in (("before", old), ("after", ph)):
                li, f, per, mean_li = lung_rois(p, k, args.binning)
                beta, ci = beta_bootstrap_ci(f, per, band)
                m = (f >= 0.1) & (f <= 1.0)
                var = float(np.trapezoid(per.mean(axis=0)[m] * 2 * np.pi * f[m], f[m]))
                res[tag] = {"beta": round(beta, 3), "ci": [round(v, 3) for v in ci],
                            "var_0.1_1": var, "mean_line_integral": round(mean_li, 4), "li": li}
            row["nps"] = {"band": band, **{t: {kk: v for kk, v in r.items() if kk != "li"}
                                           for t, r in res.items()},
                          "var_ratio": round(res["after"]["var_0.1_1"]
                                             / res["before"]["var_0.1_1"], 3)}
            if args.images:
                save_look(Path(args.images), name, k, args, old, ph,
                          res["after"]["li"] - res["before"]["li"])
        row["s"], row["load"] = round(time.perf_counter() - t0, 1), round(load0, 2)
        rows.append(row)
        nps = row.get("nps")
        fmt = (lambda r: f"{r['beta']:.2f} ({r['ci'][0]:.2f}-{r['ci'][1]:.2f})")
        print(f"{name:24s} {100 * row['fractions'].get('blood', 0):8.2f} "
              f"{100 * row['fractions'].get('air', 0):6.2f} {row['mean_hu_built']:9.1f} "
              f"{row['mean_hu_icru46_lung']:8.1f} {row['rho_p_g_cm3']['-817']:10.4f} "
              f"{row['rho_p_g_cm3']['-770']:6.3f} {row['rho_p_g_cm3']['-875']:6.3f} "
              + (f"{fmt(nps['before']):>18s} {fmt(nps['after']):>18s} {nps['var_ratio']:9.3f} "
                 f"{nps['before']['mean_line_integral']:.3f}/{nps['after']['mean_line_integral']:.3f}"
                 if nps else ""), flush=True)
    rho = [r["rho_p_g_cm3"]["-817"] for r in rows]
    print(f"parenchyma for -817 HU: {min(rho):.4f}-{max(rho):.4f}, mean {np.mean(rho):.4f} g/cm3")
    out = {"command": " ".join(sys.argv), "victwin": victwin.__version__,
           "python": platform.python_version(), "machine": platform.machine(),
           "wall_s": round(time.perf_counter() - t_start, 1),
           "load_end": [round(v, 2) for v in os.getloadavg()],
           "rho_p_mean_g_cm3": round(float(np.mean(rho)), 4), "twins": rows}
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(out, indent=1))
    print("wrote", args.json)


def save_look(out: Path, name: str, k: int, args, old, new, diff) -> None:
    """PA images (quantum noise) of the twin before and after, and the line-integral change."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(1, 3, figsize=(15, 6))
    for a, p, tag in ((ax[0], old, "before: ICRU 46 lung 0.26"),
                      (ax[1], new, "after: parenchyma 0.141")):
        acq = acquire(p, "chest-pa", seed=k, binning=args.binning, progress=False)
        img, lo, hi = display(acq.processed[0], float(acq.views[0].panel.pitch[0]))
        a.imshow(img, cmap="gray", vmin=lo, vmax=hi)
        a.set_title(f"{name}, {tag}", fontsize=9)
    im = ax[2].imshow(diff, cmap="RdBu")
    ax[2].set_title("line integral after - before", fontsize=9)
    fig.colorbar(im, ax=ax[2], shrink=0.7)
    for a in ax:
        a.axis("off")
    fig.tight_layout()
    fig.savefig(out / f"lung_density_{args.voxel_mm:g}mm_twin{k}.png", dpi=90)
    plt.close(fig)


if __name__ == "__main__":
    main()
