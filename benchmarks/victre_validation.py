"""VICTRE validation table (issue 12, item 8): victwin's `victre` preset beside VICTRE.

Part A: every quantity of issue 12's table, measured on the installed code, beside VICTRE's
number and its source, with the ratio. Part B: lesion contrast-to-noise of a VICTRE mass and a
VICTRE cluster in DM and in the DBT slice through the lesion, per density class: contrast =
the noise-free lesion-present minus lesion-absent image (line integrals, or FBP values in the
1 mm slice) averaged over the lesion footprint; noise = SD of the noisy lesion-absent image
over VICTRE's ROI after a quadratic detrend; CNR = contrast / noise.

Part B works on a block of each breast cut around the lesion (lesion-local, to fit a shared
2-core machine): the class's phantom at ``--phantom-voxel`` mm (default 0.2), a block around
the lesion site upsampled to the lesion's voxel (mass 0.1 mm, cluster 0.05 mm), VICTRE's
materials, the victre-dm / victre-dbt systems on a panel that covers the block, AEC as
configured, 85 um pixels (1 ray per pixel by default), blur on, scatter off (the scatter model
needs the whole breast). The DM block is 24 x 36 mm (mass) or 12 x 18 mm (cluster); the DBT
block is the VOI plus 1.5 mm in x and plus (t/2 + 1 mm) tan 25 deg + 1 mm in y, so that every
ray through the VOI crosses the whole breast thickness inside it.

    python benchmarks/victre_validation.py [--classes dense fatty ...] [--kinds mass ...]
        [--scans dm dbt] [--skip-cnr | --skip-table] [--motion-points 3] [--out PATH]

Writes ``benchmarks/results/victre_validation.json`` and prints Markdown tables.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
import tomllib
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


# ------------------------------------------------------------------------------------------
# Part A
# ------------------------------------------------------------------------------------------

def _row(quantity, victre, source, ours, note=""):
    ratio = (ours / victre) if isinstance(victre, (int, float)) and isinstance(
        ours, (int, float)) and victre else None
    return {"quantity": quantity, "victre": victre, "source": source, "victwin": ours,
            "ratio": ratio, "note": note}


def part_a(n_seeds: int = 50) -> list[dict]:
    from scipy import ndimage
    from scipy.spatial.distance import pdist

    from victwin import systems
    from victwin.physics import (A_SE_VICTRE, MATERIALS, detect, focal_spot_rule,
                                 linear_attenuation, victre_spectrum)
    from victwin.phantom import victre_cluster, victre_mass
    from victwin.phantom.lesions._victre_mass import VICTRE_MASS, _Core
    import dataclasses

    rows = []
    mc = "MC-GPU_v1.5b.cu"
    rows.append(_row("mass density (g/cm3)", 1.06, f"{mc} l. 2138",
                     MATERIALS["mass_victre"].density_g_cm3))
    rows.append(_row("glandular density (g/cm3)", 1.035, f"{mc} l. 2130",
                     MATERIALS["glandular_victre"].density_g_cm3))
    rows.append(_row("adipose density (g/cm3)", 0.92, f"{mc} l. 2128",
                     MATERIALS["adipose_victre"].density_g_cm3))
    rows.append(_row("calcification density (g/cm3)", 1.781, f"{mc} l. 2139 (CaC2O4)",
                     MATERIALS["calcium_oxalate_victre"].density_g_cm3))
    # attenuation vs MC-GPU's PENELOPE tables at 20 keV (tests/data/mcgpu_victre_mfp.csv)
    for name, mfp, rho0, label in (("glandular_victre", 1.2725785597, 1.06, "glandular"),
                                   ("adipose_victre", 1.9510258258, 0.92, "adipose"),
                                   ("calcium_oxalate_victre", 0.10255201164, 2.12,
                                    "calcium oxalate")):
        rho = MATERIALS[name].density_g_cm3
        ref = rho / rho0 / (10 * mfp)
        rows.append(_row(f"mu at 20 keV, {label} (1/mm)", round(ref, 5),
                         f"PENELOPE file {label} (MC-GPU material/)",
                         round(float(linear_attenuation(name, 20.0)), 5)))
    mg = float(linear_attenuation("mass_victre", 20.0) / linear_attenuation("glandular_victre",
                                                                            20.0))
    rows.append(_row("mass / glandular attenuation", 1.06 / 1.035, f"{mc} (same material)",
                     mg))
    # lesions
    radii = [float(_Core(VICTRE_MASS, np.random.default_rng(s), 0.1).rmap.mean())
             for s in range(n_seeds)]
    rows.append(_row(f"mass core mean radius (mm), {n_seeds} seeds", 2.5,
                     "breastMass VICTREMass.cfg l. 15 (alpha)", float(np.mean(radii))))
    diam, ext = [], []
    for s in range(10):
        m = victre_mass(s, voxel_mm=0.05)
        diam.append(m.size_mm)
        ext.append(m.info["extent_mm"])
    rows.append(_row("mass diameter (mm), equivalent sphere, 10 seeds at 0.05 mm", 5.0,
                     "breastMass doc/running.rst ('5 mm diameter')", float(np.mean(diam)),
                     "spikes and spicules add to the 2 alpha core"))
    rows.append(_row("mass extent with spicules (mm), 10 seeds", 8.3,
                     "VICTRE mass_-308854003_cropped_166.raw (166 voxels of 0.05 mm)",
                     float(np.mean(ext)),
                     "VICTRE's file is a crop (not in the public mirror) of one seed; "
                     "ours is the bounding box"))
    counts, vox, dists = [], [], []
    for s in range(n_seeds):
        c = victre_cluster(s)
        lab, n = ndimage.label(c.patch > 0, structure=np.ones((3, 3, 3)))
        counts.append(n)
        vox.extend(ndimage.sum(c.patch > 0, lab, range(1, n + 1)))
        cen = np.array(ndimage.center_of_mass(c.patch > 0, lab, range(1, n + 1))) * 0.05
        dists.extend(pdist(cen))
    src = "heteroCalc2_121_100.raw, measured"
    rows.append(_row(f"calcifications per cluster, {n_seeds} seeds", 5, src,
                     float(np.mean(counts))))
    rows.append(_row("voxels per calcification (0.05 mm)", 24.2, src + " (21-31)",
                     float(np.mean(vox)), f"range {min(vox):.0f}-{max(vox):.0f}"))
    rows.append(_row("closest calcification pair (mm)", 1.66, src, float(np.min(dists))))
    rows.append(_row("farthest calcification pair (mm)", 3.68, src, float(np.max(dists))))
    # detector
    det = dataclasses.replace(A_SE_VICTRE, noise_model="mcgpu")
    z = np.zeros((400, 400))
    q = detect(z, z, det, np.random.default_rng(1))
    rows.append(_row("electronic noise SD, dark field (e)", math.sqrt(5200),
                     f"{mc} l. 3360 (sqrt(5200))", float(q.std()),
                     "victwin's own model: 5200 e rms"))
    # blur
    x, w = focal_spot_rule(0.3, 8, "mcgpu")
    sigma = 0.3 / 2.354820045
    rows.append(_row("focal spot, per-axis rms across the beam (um)",
                     1000 * sigma * math.sqrt(0.7737413 / 3),
                     "MC-GPU kernel l. 459-481 (FWHM 0.0300 cm, input l. 33)",
                     1000 * math.sqrt(float(np.dot(w, x * x)))))
    dbt = systems.load("victre-dbt")
    rows.append(_row("DBT motion per view (deg)", 0.18, "MC-GPU input l. 34",
                     dbt.blur.motion_arc_deg))
    # spectra
    for kvp, mean_log, hvl_hdr in ((28, 19.247, 0.486), (30, 19.550, 0.503)):
        s = victre_spectrum(kvp)
        rows.append(_row(f"mean energy {kvp} kVp (keV)", mean_log,
                         "MC-GPU log (results/*.out l. 79)", s.mean_energy_kev))
        rows.append(_row(f"HVL {kvp} kVp, tabulated points (mm Al)", hvl_hdr,
                         f"W{kvp}kVp_Rh50um_Be1mm.spc header l. 5",
                         victre_spectrum(kvp, bins="points").hvl_mm_al()))
        rows.append(_row(f"HVL {kvp} kVp as MC-GPU samples it (mm Al)", hvl_hdr,
                         f"W{kvp}kVp_Rh50um_Be1mm.spc header l. 5", s.hvl_mm_al(),
                         "MC-GPU reads each energy as a bin's lower edge: +0.25 keV"))
    # exposure: MC-GPU's largest detected energy per pixel in the DM (primary + scatter, with
    # grid), "Maximum pixel value = X eV/cm^2 per hist" x histories (results/*.out l. 282, 273)
    from types import SimpleNamespace

    from victwin.acquisition._beam import build_beam
    from victwin.acquisition._view import geometry_factor

    from victwin.physics._aec import mcgpu_photons_per_mm2

    dm = systems.load("victre-dm")
    for label, t_mm, g, ev_cm2, hist, polar in (
            ("hetero 45 mm", 45.0, 0.36, 88.411251, 1.7000256e11, 7.4686667),
            ("scattered 55 mm", 55.0, 0.16, 59.551134, 3.4000512e11, 11.203)):
        ph = SimpleNamespace(meta={"thickness_mm": t_mm, "glandular_fraction_mass": g},
                             labels=None, grid=None, materials={})
        beam = build_beam(dm, ph)
        gf = float(geometry_factor(dm.views(1)[0], 0.085 ** 2).max())
        photons = beam.photons_per_mas_mm2_1m * beam.mas_per_view * gf
        # MC-GPU: N histories uniform over the half-cone beam's solid angle (input l. 31)
        rows.append(_row(f"DM photons per mm2 at the detector, open field, {label}",
                         mcgpu_photons_per_mm2(hist, 15.0, polar, 650.0),
                         "N / (Omega SID^2): histories (log l. 277), aperture (input l. 31)",
                         photons / 0.085 ** 2,
                         "victre systems: VICTRE's histories per view (mcgpu_histories)"))
        e = photons * beam.flat_kev_per_photon * beam.grid_primary
        rows.append(_row(f"DM detected energy, unattenuated pixel, {label} (keV)",
                         ev_cm2 * hist * 0.0085 ** 2 / 1000.0,
                         "MC-GPU log l. 282: max pixel x histories", e,
                         "detector: Se absorption by energy vs MC-GPU's one MFP; grid 0.73 "
                         "measured vs MC-GPU's Day & Dance 0.748"))
    return rows


# ------------------------------------------------------------------------------------------
# Part B
# ------------------------------------------------------------------------------------------

def _small_system(name, shape, motion_points=None):
    from victwin import systems

    with open(systems.load(name).source, "rb") as fh:
        data = tomllib.load(fh)
    data["geometry"]["detector_shape"] = list(shape)
    data["scatter"] = {"enabled": False}
    if motion_points is not None and "blur" in data:
        data["blur"]["n_motion"] = int(motion_points)
    return systems.from_dict(data, source=name)


def _block(phantom, center, half_mm, vox):
    """Labels around ``center`` (x, y, z mm), full thickness, upsampled to ``vox``."""
    from victwin.geometry import Grid

    g = phantom.grid
    dz, dy, dx = g.spacing
    x0, y0, z0 = g.origin
    ix = [int(round((center[0] - half_mm[0] - x0) / dx)), int(round((center[0] + half_mm[0]
                                                                     - x0) / dx))]
    iy = [int(round((center[1] - half_mm[1] - y0) / dy)), int(round((center[1] + half_mm[1]
                                                                     - y0) / dy))]
    ix = [max(0, ix[0]), min(g.shape[2], ix[1])]
    iy = [max(0, iy[0]), min(g.shape[1], iy[1])]
    lab = phantom.labels[:, iy[0]:iy[1], ix[0]:ix[1]]
    k = int(round(dx / vox))
    lab = np.repeat(np.repeat(np.repeat(lab, k, 0), k, 1), k, 2)
    origin = (x0 + ix[0] * dx - (dx - vox) / 2, y0 + iy[0] * dy - (dy - vox) / 2,
              z0 - (dz - vox) / 2)
    grid = Grid(shape=lab.shape, spacing=(vox, vox, vox), origin=origin)
    return phantom.replace(labels=np.ascontiguousarray(lab), grid=grid, lesions=())


def _detrended_sd(img):
    ny, nx = img.shape
    yy, xx = np.mgrid[0:ny, 0:nx]
    a = np.stack([np.ones(img.size), xx.ravel(), yy.ravel(), xx.ravel() ** 2,
                  yy.ravel() ** 2, (xx * yy).ravel()], 1)
    coef, *_ = np.linalg.lstsq(a, img.ravel(), rcond=None)
    return float(np.std(img.ravel() - a @ coef))


def _roi_around(center_ij, half, shape):
    j, i = center_ij
    return (slice(max(0, j - half), min(shape[0], j + half + 1)),
            slice(max(0, i - half), min(shape[1], i + half + 1)))


def part_b(classes, *, phantom_voxel=0.2, seed=12, backend="cpu", rays_per_pixel=1,
           kinds=("mass", "calcification"), scans=("dm", "dbt"), on_result=None,
           motion_points=None):
    from victwin.acquisition import acquire
    from victwin.geometry import Grid
    from victwin.phantom import insert_lesion, make, victre_cluster, victre_mass
    from victwin.recon import reconstruct
    from victwin.systems import get_preset

    preset = get_preset("victre")
    out = []
    for density in classes:
        t0 = time.time()
        ph = make(f"breast/{density}", seed=seed, voxel_mm=phantom_voxel, progress=False)
        thick = float(ph.meta["thickness_mm"])
        support = 20.0
        zc = support + thick / 2
        xc = 16.0                  # lesion 16 mm from the chest wall (a small panel)
        for kind in kinds:
            if kind == "mass":
                vox, half, model = 0.1, (12.0, 18.0), victre_mass(seed, voxel_mm=0.05)
                roi_mm = 9.3           # VICTRE DM ROI for masses (109 px)
            else:
                vox, half, model = 0.05, (6.0, 9.0), victre_cluster(seed)
                roi_mm = 5.5           # 65 px
            res = {"density": density, "lesion": kind, "thickness_mm": thick,
                   "block_voxel_mm": vox}
            for scan in scans:
                if scan == "dbt":
                    # DBT block: the rays through the 1 mm VOI slant by up to 25 deg along y
                    # (the tube sweeps about x), so the block must reach (t/2 + 1) tan 25 deg
                    # beyond the VOI in y to hold all the tissue they cross; in x only the VOI
                    # and a margin (the FBP filter runs along the scan axis, y).
                    r = roi_mm / 2
                    half = (r + 1.5, r + (thick / 2 + 1.0) * math.tan(math.radians(25.0)) + 1.0)
                blk = _block(ph, (xc, 0.0, zc), half, vox)
                present, les = insert_lesion(blk, model, center_mm=(xc, 0.0, zc), rng=seed)
                absent = preset.apply(blk)
                present = preset.apply(present)
                lesion_mask = present.labels != absent.labels
                res["lesion_size_mm"] = les.size_mm
                res[f"{scan}_block_mm"] = [2 * half[0], 2 * half[1], thick]
                nu = int(math.ceil((xc + half[0]) * 1.15 / 0.085))
                nv = 2 * int(math.ceil(half[1] * 1.15 / 0.085)) + 1
                system = _small_system(f"victre-{scan}", (nv, nu), motion_points)
                kw = dict(seed=seed, case=0, backend=backend, progress=False,
                          rays_per_pixel=rays_per_pixel)
                # The contrast comes from the noise-free pair (exact: numpy's Poisson sampler
                # draws a variable number of uniforms per pixel, so a noisy present/absent pair
                # shares its quantum noise only up to the first lesion pixel, and its
                # difference carries that noise); the noise from the noisy lesion-absent image.
                a_a = acquire(absent, system, **kw)
                li_a = a_a.line_integrals()
                nf_p = acquire(present, system, noise=False, **kw).line_integrals()
                nf_a = acquire(absent, system, noise=False, **kw).line_integrals()
                if scan == "dm":
                    d = nf_p[0] - nf_a[0]
                    fp = d > 0.1 * d.max()
                    cj, ci = np.argwhere(fp).mean(0).round().astype(int)
                    roi = _roi_around((cj, ci), int(roi_mm / 0.085 / 2), d.shape)
                    c = float(d[fp].mean())
                    sd = _detrended_sd(li_a[0][roi])
                    res.update({"dm_cnr": c / sd, "dm_contrast": c, "dm_sd": sd,
                                "dm_mas": a_a.technique.mas_total,
                                "dm_kvp": a_a.technique.kvp})
                else:
                    # 1 mm slices through the lesion centre, 85 um in-plane, ROI-sized
                    n = int(roi_mm / 0.085) + 1
                    grid = Grid(shape=(3, n, n), spacing=(1.0, 0.085, 0.085),
                                origin=(xc - (n - 1) / 2 * 0.085, -(n - 1) / 2 * 0.085,
                                        zc - 1.0))
                    # the VOI is a sub-grid: FBP normalises by the object slab (recon docs)
                    rkw = dict(method="fbp", backend=backend, progress=False,
                               thickness_mm=thick, support_mm=support)
                    ra = reconstruct(li_a, a_a.views, grid, **rkw)[1]
                    d = (reconstruct(nf_p, a_a.views, grid, **rkw)[1]
                         - reconstruct(nf_a, a_a.views, grid, **rkw)[1])
                    # footprint: the lesion's voxels within the 1 mm slice, on the recon grid
                    g = present.grid
                    kz = [int(round((zc - 0.5 - g.origin[2]) / g.spacing[0])),
                          int(round((zc + 0.5 - g.origin[2]) / g.spacing[0]))]
                    m2 = lesion_mask[kz[0]:kz[1]].any(axis=0)
                    ys = g.origin[1] + np.arange(g.shape[1]) * g.spacing[1]
                    xs = g.origin[0] + np.arange(g.shape[2]) * g.spacing[2]
                    gy = grid.origin[1] + np.arange(n) * 0.085
                    gx = grid.origin[0] + np.arange(n) * 0.085
                    jy = np.clip(np.searchsorted(ys, gy), 0, len(ys) - 1)
                    ix = np.clip(np.searchsorted(xs, gx), 0, len(xs) - 1)
                    fp = m2[np.ix_(jy, ix)]
                    if not fp.any():
                        res.update({"dbt_cnr": None})
                        continue
                    c = float(d[fp].mean())
                    sd = _detrended_sd(ra)
                    res.update({"dbt_cnr": c / sd, "dbt_contrast": c, "dbt_sd": sd,
                                "dbt_mas": a_a.technique.mas_total})
            res["seconds"] = time.time() - t0
            print(json.dumps(res), flush=True)
            out.append(res)
            if on_result is not None:
                on_result(out)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--classes", nargs="+",
                    default=["fatty", "scattered", "heterogeneous", "dense"])
    ap.add_argument("--skip-cnr", action="store_true")
    ap.add_argument("--skip-table", action="store_true",
                    help="only the lesion contrast-to-noise (part B)")
    ap.add_argument("--phantom-voxel", type=float, default=0.2)
    ap.add_argument("--backend", default="cpu")
    ap.add_argument("--rays-per-pixel", type=int, default=1)
    ap.add_argument("--kinds", nargs="+", default=["mass", "calcification"])
    ap.add_argument("--scans", nargs="+", default=["dm", "dbt"])
    ap.add_argument("--motion-points", type=int, default=None,
                    help="DBT motion-blur rule points (victre-dbt: 3)")
    ap.add_argument("--out", default=str(HERE / "results" / "victre_validation.json"))
    args = ap.parse_args()
    t0 = time.time()
    rows = [] if args.skip_table else part_a()
    print("| quantity | VICTRE | source | victwin (victre preset) | ratio | note |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        ratio = "" if r["ratio"] is None else f"{r['ratio']:.3f}"
        print(f"| {r['quantity']} | {r['victre']:.4g} | {r['source']} | {r['victwin']:.4g} | "
              f"{ratio} | {r['note']} |")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)

    def save(cnr):
        Path(args.out).write_text(json.dumps(
            {"table": rows, "cnr": cnr, "seconds": time.time() - t0,
             "loadavg": os.getloadavg(), "settings": vars(args)}, indent=1, default=float))

    save([])
    cnr = [] if args.skip_cnr else part_b(args.classes, phantom_voxel=args.phantom_voxel,
                                          backend=args.backend,
                                          rays_per_pixel=args.rays_per_pixel,
                                          kinds=args.kinds, scans=args.scans,
                                          on_result=save, motion_points=args.motion_points)
    save(cnr)
    load = os.getloadavg()
    print(f"wrote {args.out} in {time.time() - t0:.0f} s (load {load[0]:.1f})")


if __name__ == "__main__":
    main()
