"""Does parenchymal texture change the lung-field NPS of PA chest images? Before vs after.

    python benchmarks/chest_parenchyma.py [--voxel-mm 1.0] [--binning 4] [--twins 4]
        [--images /work/scratch/19paren10]

For each twin of ``benchmarks/chest_twins.py`` (same bodies and seeds) the noise-free PA line
integrals are simulated (``acquire(..., "chest-pa", noise=False)``, 120 kV, grid, scatter,
CsI) as built ("before") and with a parenchymal density field
(:func:`victwin.phantom.chest.parenchyma.parenchymal_density`) in the lung ("after"):

* ``lobules``: Voronoi lobules of 17.5 mm, density SD 0.025 g/cm3 (25 HU);
* ``lobules_x2``: the same lobules at twice the SD (0.05 g/cm3), a sensitivity bound;
* ``gradient``: no lobules, the lung 40 % denser at its base than at its apex (the supine-FRC
  dependent excess, an upper bound for the erect lung at TLC);
* ``voxel_white``: every lung voxel its own density, normal with SD 0.025 g/cm3 - the bound
  on structure below the voxel: a 1 mm^3 voxel averages ~170 alveoli (Ochs et al. 2004, Am J
  Respir Crit Care Med 169:120: 480 million alveoli of 4.2e6 um^3), so independent alveoli
  leave it far less than 25 HU of spread;
* ``ct_density``: the lung material scaled so that the lungs with their vessels and airways
  have the mean CT density of normal lungs, -817 HU (:data:`CT_MLD_G_CM3`; the builder's ICRU
  46 lung at 0.26 g/cm3 plus the painted blood makes them ~0.30 g/cm3), and ``ct_lobules``,
  that plus the lobules.

The field enters the primary exactly: for one composition the attenuation scales with the
density, so each ray's lung path gains the line integral of ``w = rho / rho_lung - 1``
(``project_volume`` of ``w`` through the same views), added to the lung label's path lengths
before the polyenergetic signal, scatter and detector (``victwin.raytrace.iter_project_labels``
is wrapped for the call). The generic scatter model reads the tissue path as a geometric
thickness, so there the added path counts as thickness too (its kernel is >= 20 mm wide plus
0.3 mm per mm of tissue: far below the bands measured). Measured on the four 48 mm lung ROIs
per twin of ``chest_twins.py``: the power-law exponent beta over the fit band of
``chest_twins.nps_band`` (percentile bootstrap over ROIs) and the NPS integrated over 0.1-1
cycles/mm (capped at the binned pixel's Nyquist) and over 0.02-0.1 cycles/mm, i.e. the bands'
variance of the line integrals (dimensionless, Hann-windowed ROIs). Also the texture alone
(after minus before). Prints a table and writes ``benchmarks/results/chest_parenchyma.json``
(with machine load); PA images before/after (with quantum noise) and the difference go to
``--images``.
"""

from __future__ import annotations

import argparse
import contextlib
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
from victwin.phantom.chest.measure import (beta_bootstrap_ci, labels_of,  # noqa: E402
                                           roi_periodograms)
from victwin.phantom.chest.parenchyma import (LOBULE_DENSITY_SD_G_CM3,  # noqa: E402
                                              SUPINE_FRC_DEPENDENT_EXCESS,
                                              parenchymal_density)

BAND_VAR = (0.1, 1.0)
VARIANTS = ("lobules", "lobules_x2", "gradient", "voxel_white", "ct_density", "ct_lobules")
BAND_LOW = (0.02, 0.1)     # below the fit band, down to the 48 mm ROI's lowest bins
#: Mean CT lung density of 17 normal subjects, -817 HU (range -770 to -875 HU; Clin Radiol
#: 1991;43:238, "An appraisal of CT pulmonary density mapping in normal subjects"), as g/cm3
#: on the CT scale (1 HU = 0.001 g/cm3 for air-tissue mixtures)
CT_MLD_G_CM3 = 1.0 - 0.817


def lung_mean_density(ph) -> tuple[float, float, float]:
    """``(mean density g/cm3, lung volume mL, parenchyma density g/cm3 for the CT mean)`` of
    the lungs with their vessels and airways: every voxel inside the per-slice filled lung
    mask (as ``measure.lung_volume_ml``) at its label's material density; the last value is
    the lung material's density that would make the mean :data:`CT_MLD_G_CM3`."""
    from scipy import ndimage

    from victwin.physics import get_material

    rho = np.zeros(256)
    for lab, mat in ph.materials.items():
        rho[lab] = get_material(mat).density_g_cm3
    lung_labs = labels_of(ph, "lung")
    lung = np.isin(ph.labels, lung_labs)
    total, n, n_lung = 0.0, 0, 0
    for j in range(lung.shape[1]):
        m = ndimage.binary_fill_holes(lung[:, j, :])
        total += float(rho[ph.labels[:, j, :][m]].sum())
        n += int(m.sum())
        n_lung += int(np.count_nonzero(lung[:, j, :]))
    rho_lung = rho[lung_labs[0]]
    rho_p = (CT_MLD_G_CM3 * n - (total - rho_lung * n_lung)) / n_lung
    return total / n, n * float(np.prod(ph.grid.spacing)) / 1000.0, rho_p


@contextlib.contextmanager
def lung_density(w: np.ndarray, lung_label: int):
    """Within the block every label projection adds the line integral of ``w`` (mm) to the
    path of ``lung_label``: the lung's density scaled by ``1 + w`` voxel by voxel."""
    import victwin.raytrace as rt

    orig = rt.iter_project_labels

    def wrapped(labels, grid, views, n_labels, **kw):
        for sl, paths in orig(labels, grid, views, n_labels, **kw):
            extra = rt.project_volume(w, grid, tuple(views)[sl], backend="cpu")
            paths[:, lung_label] += extra
            yield sl, paths

    rt.iter_project_labels = wrapped
    try:
        yield
    finally:
        rt.iter_project_labels = orig


def band_variance(f, p, band) -> float:
    """``integral of P(f) 2 pi f df`` over ``band`` (radial bins, trapezoid in f)."""
    m = (f >= band[0]) & (f <= band[1])
    return float(np.trapezoid(p[m] * 2 * np.pi * f[m], f[m]))


def periodograms(li, ph, acq, roi_mm=48.0):
    centres, pix = lung_roi_centres(ph, acq)
    roi = int(round(roi_mm / pix)) // 2 * 2
    return roi_periodograms(li, pix, centres, roi_px=roi)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--voxel-mm", type=float, default=1.0)
    ap.add_argument("--binning", type=int, default=4)
    ap.add_argument("--twins", type=int, default=4)
    ap.add_argument("--variants", type=lambda t: t.split(","),
                    default=",".join(VARIANTS),
                    help="comma-separated, besides 'before': " + ", ".join(VARIANTS))
    ap.add_argument("--images", default="/work/scratch/19paren10")
    ap.add_argument("--json", default=str(Path(__file__).resolve().parent / "results"
                                          / "chest_parenchyma.json"))
    args = ap.parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    img_dir = Path(args.images)
    img_dir.mkdir(parents=True, exist_ok=True)
    band = nps_band(args.voxel_mm)
    rows, pooled, looks = [], {}, []
    pix = bv = f = None
    t_all = time.perf_counter()
    for k, (name, body) in enumerate(TWINS[:args.twins]):
        load0 = os.getloadavg()[0]
        t0 = time.perf_counter()
        ph = make_chest({"body": body}, seed=k, voxel_mm=args.voxel_mm, progress=False)
        t_make = time.perf_counter() - t0
        lung = labels_of(ph, "lung")
        assert len(lung) == 1, lung
        height = float(ph.meta["cavity"]["height"])
        t0 = time.perf_counter()
        w1 = parenchymal_density(ph.labels, ph.grid, lung, np.random.default_rng([k, 19]))
        t_field = time.perf_counter() - t0
        lis, row = {}, {"twin": name, "seed": k, "shape": list(ph.labels.shape),
                        "make_s": round(t_make, 1), "field_s": round(t_field, 1),
                        "load_1min": round(load0, 1)}
        row["field_sd_g_cm3"] = round(float(w1[w1 != 0].std()) * 0.26, 4)
        rho_l, v_l, rho_p = lung_mean_density(ph)
        row["lung_mean_density_g_cm3"] = round(rho_l, 4)
        row["lung_volume_ml"] = round(v_l)
        row["parenchyma_g_cm3_for_ct_mean"] = round(rho_p, 4)

        def field(key):
            """The variant's relative density field (None: as built)."""
            if key == "lobules":
                return w1
            if key == "lobules_x2":
                return 2.0 * w1
            if key == "voxel_white":   # sub-voxel structure's bound: every voxel its own
                w = np.zeros(ph.labels.shape, np.float32)
                m = ph.labels == lung[0]
                w[m] = np.random.default_rng([k, 20]).normal(
                    0.0, LOBULE_DENSITY_SD_G_CM3 / 0.26, int(m.sum())).astype(np.float32)
                return w
            if key == "gradient":
                return parenchymal_density(ph.labels, ph.grid, lung, np.random.default_rng(0),
                                           sd_g_cm3=0.0, gradient_per_mm=(
                                               SUPINE_FRC_DEPENDENT_EXCESS / height))
            # the CT mean density: the lung material scaled to rho_p (lobules on top)
            w = np.where(ph.labels == lung[0], np.float32(rho_p / 0.26 - 1.0), np.float32(0))
            return w + w1 if key == "ct_lobules" else w

        for key in ["before"] + [v for v in VARIANTS if v in args.variants]:
            w = None if key == "before" else field(key)
            ctx = contextlib.nullcontext() if w is None else lung_density(w, lung[0])
            with ctx:
                acq = acquire(ph, "chest-pa", seed=k, binning=args.binning, progress=False,
                              noise=False)
            lis[key] = line_integrals(acq)
            f, p = periodograms(lis[key], ph, acq)
            pooled.setdefault(key, []).append(p)
            beta, ci = beta_bootstrap_ci(f, p, band)
            nyq = 1.0 / (2.0 * float(acq.views[0].panel.pitch[0]))
            bv = (BAND_VAR[0], min(BAND_VAR[1], nyq))
            row[key] = {"beta": round(beta, 2), "ci": [round(v, 2) for v in ci],
                        "var_band": float(f"{band_variance(f, p.mean(axis=0), bv):.4g}"),
                        "var_low": float(f"{band_variance(f, p.mean(axis=0), BAND_LOW):.4g}")}
            if key != "before":
                fd, pd = periodograms(lis[key] - lis["before"], ph, acq)
                pooled.setdefault(key + "_alone", []).append(pd)
                pm = pd.mean(axis=0)
                row[key]["alone_var_band"] = float(f"{band_variance(fd, pm, bv):.4g}")
                row[key]["alone_var_low"] = float(f"{band_variance(fd, pm, BAND_LOW):.4g}")
                row[key]["var_ratio"] = round(row[key]["var_band"] / row["before"]["var_band"], 4)
            if k == 0:   # the look: noisy processed PA images (before and each variant)
                pix = float(acq.views[0].panel.pitch[0])
                with ctx if w is None else lung_density(w, lung[0]):
                    pa = acquire(ph, "chest-pa", seed=k, binning=args.binning, progress=False)
                looks.append((key, pa.processed[0], lis[key] - lis["before"]))
            del w
        row["band_var_cycles_per_mm"] = list(bv)
        del ph, w1
        rows.append(row)
        print(json.dumps(row), flush=True)
    summary = {}
    for key, ps in pooled.items():
        P = np.vstack(ps)
        b, ci = beta_bootstrap_ci(f, P, band)
        summary[key] = {"beta_pooled": round(b, 2), "ci": [round(v, 2) for v in ci],
                        "var_band": float(f"{band_variance(f, P.mean(axis=0), bv):.4g}"),
                        "var_low": float(f"{band_variance(f, P.mean(axis=0), BAND_LOW):.4g}"),
                        "n_rois": int(len(P))}
    print(f"\n{'variant':<20}{'beta pooled (95% CI), ' + f'{band[0]:g}-{band[1]:g} c/mm':<40}"
          f"{'var 0.1-' + f'{bv[1]:.2f}' + ' c/mm (1e-6)':<26}{'vs before':<11}"
          f"{'var 0.02-0.1 c/mm (1e-6)':<26}{'vs before'}")
    for key, s in summary.items():
        base, low = summary["before"]["var_band"], summary["before"]["var_low"]
        print(f"{key:<20}{s['beta_pooled']:<6.2f}[{s['ci'][0]:.2f}, {s['ci'][1]:.2f}]"
              f"{'':<24}{s['var_band'] * 1e6:<26.3f}{s['var_band'] / base:<11.4f}"
              f"{s['var_low'] * 1e6:<26.3f}{s['var_low'] / low:.4f}")
    # figures: the look (processed PA with quantum noise; line-integral differences)
    fig, ax = plt.subplots(2, len(looks), figsize=(4.6 * len(looks), 10.4), squeeze=False)
    for j, (key, img, diff) in enumerate(looks):
        im, lo, hi = display(img, pix)
        ax[0, j].imshow(im, cmap="gray", vmin=lo, vmax=hi)
        ax[0, j].set_title(f"PA {TWINS[0][0]}: {key}", fontsize=9)
        lim = max(float(np.percentile(np.abs(diff), 99.5)), 1e-6)
        ax[1, j].imshow(diff, cmap="gray", vmin=-lim, vmax=lim)
        ax[1, j].set_title(f"{key} - before (line integral), +-{lim:.3f}", fontsize=9)
        for a in ax[:, j]:
            a.axis("off")
    fig.tight_layout()
    fig.savefig(img_dir / "parenchyma_pa_before_after.png", dpi=70)
    plt.close(fig)
    fig, a = plt.subplots(figsize=(6.5, 4.6))
    for key, ps in pooled.items():
        p = np.vstack(ps).mean(axis=0)
        a.loglog(f[f > 0], p[f > 0], ls="--" if key.endswith("_alone") else "-",
                 label=f"{key}: beta {summary[key]['beta_pooled']:.2f}")
    a.axvspan(*band, color="0.9")
    a.set_xlabel("spatial frequency (cycles/mm at the detector)")
    a.set_ylabel("NPS of lung-field line integrals (mm^2)")
    a.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(img_dir / "parenchyma_nps.png", dpi=90)
    plt.close(fig)
    out = {"command": " ".join(["python", "benchmarks/chest_parenchyma.py",
                                *(argv or sys.argv[1:])]),
           "voxel_mm": args.voxel_mm, "binning": args.binning, "fit_band": band,
           "var_band_cycles_per_mm": list(bv), "var_low_cycles_per_mm": list(BAND_LOW),
           "lobule_sd_g_cm3": LOBULE_DENSITY_SD_G_CM3,
           "gradient_dependent_excess": SUPINE_FRC_DEPENDENT_EXCESS,
           "summary": summary, "twins": rows, "total_s": round(time.perf_counter() - t_all),
           "load_end": [round(v, 2) for v in os.getloadavg()],
           "versions": {"victwin": victwin.__version__, "numpy": np.__version__,
                        "python": platform.python_version()},
           "machine": platform.machine(), "cpus": os.cpu_count()}
    Path(args.json).write_text(json.dumps(out, indent=1))
    print("wrote", args.json)


if __name__ == "__main__":
    main()
