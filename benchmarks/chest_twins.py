"""Chest twins of different sex and body size: PA and lateral radiographs, anatomy table,
anatomical-noise power spectrum of the lung fields, generation time.

    python benchmarks/chest_twins.py [--voxel-mm 1.0] [--binning 4] [--out docs/phantoms]

Writes ``chest_twins_pa.png``, ``chest_twins_lateral.png``, ``chest_lung_nps.png`` into
``--out`` and ``benchmarks/results/chest_twins.json`` (anatomy table, NPS exponents, timings,
machine load). The radiographs come from ``victwin.acquire(phantom, "chest-pa")`` (120 kV,
grid, CsI); the lateral is the same system with the twin turned (left side to the detector).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from victwin import acquire
from victwin.geometry import Grid
from victwin.phantom import Phantom
from victwin.phantom.chest import make_chest
from victwin.phantom.chest.anatomy import TLC_RSD_L, tlc_ers1993_l
from victwin.phantom.chest.lung_volume import tlc_gli2021_l
from victwin.phantom.chest.lungs import body_surface_area_m2
from victwin.phantom.chest.measure import (beta_bootstrap_ci, cardiothoracic_ratio,
                                           heart_axis_deg, heart_labels, heart_levels_mm,
                                           left_atrium_ap_mm, left_atrium_ml, left_border_dent_mm,
                                           lung_volume_ml, posterior_rib_crossings,
                                           ribs_above_right_dome, roi_periodograms)

LEVELS = ["C6", "C7"] + [f"T{k}" for k in range(1, 13)] + ["L1", "L2"]


def vertebral_level(ph, y: float) -> str:
    """``y`` (mm) as a vertebral level and the fraction of its pitch, e.g. "T5+0.41"."""
    sp = ph.meta["spine"]
    for name, top, pitch in zip(LEVELS, sp["tops"], sp["pitches"]):
        if top <= y < top + pitch:
            return f"{name}+{(y - top) / pitch:.2f}"
    return "outside"

TWINS = [
    ("woman, 158 cm, BMI 21", {"sex": "female", "age_years": 35, "height_cm": 158, "bmi": 21}),
    ("woman, 167 cm, BMI 36", {"sex": "female", "age_years": 60, "height_cm": 167, "bmi": 36}),
    ("man, 168 cm, BMI 23", {"sex": "male", "age_years": 45, "height_cm": 168, "bmi": 23}),
    ("man, 188 cm, BMI 31", {"sex": "male", "age_years": 70, "height_cm": 188, "bmi": 31}),
]


def lateral(ph: Phantom) -> Phantom:
    """The twin turned for a left lateral: its left side on the detector (z = 0)."""
    lab = np.ascontiguousarray(ph.labels.transpose(2, 1, 0)[::-1])
    v = ph.grid.spacing[0]
    nz, ny, nx = lab.shape
    g = Grid(shape=lab.shape, spacing=(v, v, v),
             origin=(-0.5 * (nx - 1) * v, ph.grid.origin[1], 5.0 + 0.5 * v))
    return Phantom(labels=lab, grid=g, materials=ph.materials, meta={**ph.meta,
                                                                     "view": "lateral"})


def display(img: np.ndarray, pixel_mm: float) -> tuple:
    """``(image, lo, hi)`` for showing a chest radiograph: unsharp masking (70 % of a 25 mm
    Gaussian blur subtracted, as clinical chest processing equalises lungs and mediastinum;
    the same as the phantom preview, :mod:`victwin.phantom.plotting`) and a window over the
    body (1st-99.8th percentile of the pixels above the image's 20th percentile, so that the
    air beside the body does not take up the grey scale)."""
    from scipy.ndimage import gaussian_filter

    img = np.asarray(img, np.float64)
    out = img - 0.7 * gaussian_filter(img, 25.0 / pixel_mm)
    body = out[img > np.percentile(img, 20)]
    lo, hi = np.percentile(body, [1, 99.8])
    return out, lo, hi


def line_integrals(acq) -> np.ndarray:
    raw = acq.raw[0].astype(np.float64) - acq.detector["offset_adu"]
    return -np.log(np.clip(raw, 1.0, None) / np.asarray(acq.flat_adu)[0])


def nps_band(voxel_mm: float) -> tuple:
    """Fit band (cycles/mm at the detector): 0.1 up to 0.7 or the phantom's own Nyquist
    frequency 1 / (2 voxel x 1.1 magnification), whichever is lower (above it the spectrum is
    the voxel grid's staircase, not anatomy)."""
    return (0.1, round(min(0.7, 1.0 / (2.0 * voxel_mm * 1.1)), 2))


def lung_roi_centres(ph: Phantom, acq) -> tuple[list, float]:
    """Centres (row, col, pixels) of four lung-field ROIs of a PA image of ``ph`` (upper and
    middle zones of both lungs: half the cavity's half-width out from the midline, 35 % and
    55 % of the cavity's height below the apex) and the image's pixel (mm)."""
    nv, nu = acq.raw[0].shape
    pix = float(acq.views[0].panel.pitch[0])
    mag = 1800.0 / (1800.0 - ph.grid.center_mm[2])
    cav = ph.meta["cavity"]
    centres = []
    for side in (-1, 1):
        for f_y in (0.35, 0.55):
            x = side * 0.5 * cav["a0"] * mag
            y = (cav["y_apex"] + f_y * cav["height"]) * mag
            centres.append((int(round(y / pix + (nv - 1) / 2)),
                            int(round(x / pix + (nu - 1) / 2))))
    return centres, pix


def lung_periodograms(ph: Phantom, seed: int, binning: int):
    """Periodograms of four 48 mm lung-field ROIs (upper and middle zones of both lungs) of
    the noise-free PA line integrals of ``ph``."""
    clean = acquire(ph, "chest-pa", seed=seed, binning=binning, progress=False, noise=False)
    li = line_integrals(clean)
    centres, pix = lung_roi_centres(ph, clean)
    roi = int(round(48.0 / pix)) // 2 * 2
    return roi_periodograms(li, pix, centres, roi_px=roi)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--voxel-mm", type=float, default=1.0)
    ap.add_argument("--binning", type=int, default=4)
    ap.add_argument("--out", default="docs/phantoms")
    ap.add_argument("--nps-voxel-mm", type=float, default=0.5,
                    help="also measure the lung NPS on twins built at this voxel size (0: no)")
    args = ap.parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows, pa_imgs, lat_imgs, nps, pooled = [], [], [], [], {}
    for k, (name, body) in enumerate(TWINS):
        load0 = os.getloadavg()[0]
        t0 = time.perf_counter()
        ph = make_chest({"body": body}, seed=k, voxel_mm=args.voxel_mm, progress=False)
        t_make = time.perf_counter() - t0
        shape = list(ph.labels.shape)
        ctr, heart_mm, thorax_mm = cardiothoracic_ratio(ph)
        ribs = posterior_rib_crossings(ph, -1)
        n_above, _ = ribs_above_right_dome(ph)
        v_l = lung_volume_ml(ph) / 1000.0
        pred = tlc_ers1993_l(body["sex"], body["height_cm"])
        heart_top, heart_bottom = heart_levels_mm(ph)
        bsa = body_surface_area_m2(body["height_cm"], body["bmi"] * (body["height_cm"] / 100) ** 2)
        drawn = ph.meta["thorax"]["tlc_ml"] / 1000.0
        heart = {"tlc_drawn_l": round(drawn, 3), "lung_minus_drawn_tlc_l": round(v_l - drawn, 3),
                 "heart_top_level": vertebral_level(ph, heart_top),
                 "heart_left_cardiophrenic_level": vertebral_level(ph, heart_bottom),
                 "left_atrium_ml": round(left_atrium_ml(ph), 1),
                 "left_atrium_ml_per_m2": round(left_atrium_ml(ph) / bsa, 1),
                 "left_atrium_ap_mm": round(left_atrium_ap_mm(ph), 1)}
        # the ventricles (2026-12-03, ninth session): long axis from the left atrium's centroid
        # to the apex (Engblom 2005's angles), the left border's deepest concavity, and the
        # volume of myocardium and chambers (ventricles and right atrium)
        frontal, transverse, apex = heart_axis_deg(ph)
        n_heart = np.count_nonzero(np.isin(ph.labels, heart_labels(ph, atria=False)))
        heart.update({"heart_axis_frontal_deg": round(frontal, 1),
                      "heart_axis_transverse_deg": round(transverse, 1),
                      "apex_level": vertebral_level(ph, float(apex[1])),
                      "apex_x_mm": round(float(apex[0]), 1),
                      "left_border_dent_mm": round(left_border_dent_mm(ph), 1),
                      "ventricles_ra_ml": round(n_heart * args.voxel_mm ** 3 / 1000.0)})
        t0 = time.perf_counter()
        pa = acquire(ph, "chest-pa", seed=k, binning=args.binning, progress=False)
        la = acquire(lateral(ph), "chest-pa", seed=k, binning=args.binning, progress=False)
        t_acq = time.perf_counter() - t0
        pa_imgs.append((name, pa.processed[0], pa))
        lat_imgs.append((name, la.processed[0], float(la.views[0].panel.pitch[0])))
        # anatomical NPS of the lung fields, noise-free line integrals
        f, p_rois = lung_periodograms(ph, k, args.binning)
        band = nps_band(args.voxel_mm)
        beta, ci = beta_bootstrap_ci(f, p_rois, band)
        nps_row = {"voxel_mm": args.voxel_mm, "band": band, "beta": round(beta, 2),
                   "ci": [round(v, 2) for v in ci]}
        pooled.setdefault(args.voxel_mm, (f, []))[1].append(p_rois)
        nps.append((name, args.voxel_mm, beta, f, p_rois.mean(axis=0)))
        if args.nps_voxel_mm:
            del ph
            ph2 = make_chest({"body": body}, seed=k, voxel_mm=args.nps_voxel_mm,
                             progress=False)
            f2, p2 = lung_periodograms(ph2, k, args.binning)
            del ph2
            band2 = nps_band(args.nps_voxel_mm)
            b2, ci2 = beta_bootstrap_ci(f2, p2, band2)
            pooled.setdefault(args.nps_voxel_mm, (f2, []))[1].append(p2)
            nps.append((name, args.nps_voxel_mm, b2, f2, p2.mean(axis=0)))
            nps_fine = {"voxel_mm": args.nps_voxel_mm, "band": band2, "beta": round(b2, 2),
                        "ci": [round(v, 2) for v in ci2]}
            # the same twin at both voxel sizes over the band both resolve (the coarse
            # twin's): does the exponent converge with the voxel size?
            b2c, ci2c = beta_bootstrap_ci(f2, p2, band)
            nps_fine["common_band"] = {"band": band, "beta": round(b2c, 2),
                                       "ci": [round(v, 2) for v in ci2c]}
            if band2[1] > band[1]:
                b2h, ci2h = beta_bootstrap_ci(f2, p2, (band[1], band2[1]))
                nps_fine["upper_band"] = {"band": (band[1], band2[1]), "beta": round(b2h, 2),
                                          "ci": [round(v, 2) for v in ci2h]}
        else:
            nps_fine = None
        rows.append({"twin": name, **body, "seed": k, "shape": shape,
                     "make_s": round(t_make, 1), "acquire_pa_lat_s": round(t_acq, 1),
                     "load_1min": round(load0, 1),
                     "lung_volume_l": round(v_l, 2), "tlc_ers1993_l": round(pred, 2),
                     # the twin's target since 2026-12-03 (age enters); the range is ERS's
                     "tlc_gli2021_l": round(tlc_gli2021_l(body["sex"], body["age_years"],
                                                          body["height_cm"]), 2),
                     **heart,
                     "tlc_90pct_range_l": [round(pred - 1.64 * TLC_RSD_L[body["sex"]], 2),
                                           round(pred + 1.64 * TLC_RSD_L[body["sex"]], 2)],
                     "ctr": round(ctr, 3), "heart_mm": heart_mm, "thorax_mm": thorax_mm,
                     "posterior_ribs": int(len(ribs)),
                     "rib_spacing_mm": [round(float(np.diff(ribs).min()), 1),
                                        round(float(np.diff(ribs).max()), 1)],
                     "posterior_ribs_above_right_dome": n_above,
                     "lung_nps": nps_row, "lung_nps_fine": nps_fine,
                     "entrance_kerma_mgy": round(float(pa.dose.entrance_air_kerma_mgy), 3)})
        print(json.dumps(rows[-1]))
    fig, ax = plt.subplots(1, len(pa_imgs), figsize=(5.0 * len(pa_imgs), 5.6))
    for a, (name, img, acq) in zip(ax, pa_imgs):
        img, lo, hi = display(img, float(acq.views[0].panel.pitch[0]))
        a.imshow(img, cmap="gray", vmin=lo, vmax=hi)
        a.set_title(f"PA: {name}", fontsize=10)
        a.axis("off")
    fig.tight_layout()
    fig.savefig(out / "chest_twins_pa.png", dpi=90)
    plt.close(fig)
    fig, ax = plt.subplots(1, len(lat_imgs), figsize=(5.0 * len(lat_imgs), 5.6))
    for a, (name, img, pix) in zip(ax, lat_imgs):
        img, lo, hi = display(img, pix)
        a.imshow(img, cmap="gray", vmin=lo, vmax=hi)
        a.set_title(f"lateral: {name}", fontsize=10)
        a.axis("off")
    fig.tight_layout()
    fig.savefig(out / "chest_twins_lateral.png", dpi=90)
    plt.close(fig)
    fig, a = plt.subplots(figsize=(6.0, 4.4))
    for name, vox, beta, f, p in nps:
        m = f > 0
        a.loglog(f[m], p[m], ls="-" if vox == args.voxel_mm else "--",
                 label=f"{name}, {vox:g} mm voxels: beta = {beta:.2f}")
    ff = np.array([0.1, 0.7])
    a.loglog(ff, p[m][np.argmin(np.abs(f[m] - 0.1))] * (ff / 0.1) ** -3.0, "k:",
             label="slope -3")
    a.set_xlabel("spatial frequency (cycles/mm at the detector)")
    a.set_ylabel("NPS of lung-field line integrals (mm^2)")
    a.legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(out / "chest_lung_nps.png", dpi=90)
    plt.close(fig)
    summary = {}
    for vox, (f, rows_p) in pooled.items():
        P = np.vstack(rows_p)
        b, ci = beta_bootstrap_ci(f, P, nps_band(vox))
        per_twin = [t[2] for t in nps if t[1] == vox]
        summary[f"{vox:g} mm"] = {"band_cycles_per_mm": nps_band(vox), "n_rois": int(len(P)),
                                  "beta_pooled": round(b, 2),
                                  "ci_bootstrap_rois": [round(v, 2) for v in ci],
                                  "beta_per_twin": [round(v, 2) for v in per_twin]}
    if len(pooled) == 2:                      # both voxel sizes over the coarse twin's band
        band_c = nps_band(args.voxel_mm)
        summary["common band"] = {"band_cycles_per_mm": band_c}
        for vox, (f, rows_p) in pooled.items():
            b, ci = beta_bootstrap_ci(f, np.vstack(rows_p), band_c)
            summary["common band"][f"{vox:g} mm"] = {"beta_pooled": round(b, 2),
                                                     "ci_bootstrap_rois": [round(v, 2)
                                                                           for v in ci]}
    print(json.dumps(summary))
    # the ROI periodograms themselves (radial, 1 / mm^2 at the detector), for re-fits over
    # other bands or with the detector MTF divided out (benchmarks/chest_nps_bands.py)
    np.savez_compressed(Path(__file__).resolve().parent / "results" / "chest_twins_nps.npz",
                        **{f"{vox:g}mm_f": f for vox, (f, _) in pooled.items()},
                        **{f"{vox:g}mm_p": np.vstack(rows_p) for vox, (_, rows_p)
                           in pooled.items()})
    res = Path(__file__).resolve().parent / "results" / "chest_twins.json"
    res.write_text(json.dumps({"voxel_mm": args.voxel_mm, "binning": args.binning,
                               "lung_nps": summary, "twins": rows}, indent=1))
    print("wrote", res)


if __name__ == "__main__":
    main()
