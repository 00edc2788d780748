"""DBT reconstruction: wall time and peak memory of FBP and 5-iteration SART of a 25-view scan.

Scan: VICTRE's Mammomat model (25 views over 50 degrees, source 600 mm from an axis 50 mm above
the detector; 3000 x 1500 pixels of 85 um). Projections are line integrals of a simple
breast-like phantom (see ``breast_phantom``) with Poisson noise, made once per case (not
timed). Grid: :func:`victwin.recon.dbt_grid` over the detector's full footprint (in-plane
voxel = pitch demagnified to the support, 1 mm slices over the thickness).

Cases
-----
``binned``       detector 2 x 2 binned (1500 x 750 at 170 um), 45 mm breast: FBP, SART x5.
``full-thin``    full 85 um detector, 10 mm thickness (10 slices; the full 45 mm case takes
                 hours on a shared 2-core CPU): FBP, SART x5.
``full``         full 85 um detector, 45 mm (the clinical-size grid, 45 x 1548 x 3095):
                 FBP and SART x5; run by default only with ``--backend cuda``.

Each (case, method) runs in its own subprocess; peak memory is that process's maximum resident
set size (``resource.getrusage``), which includes the projections and the volume; with CUDA
also the CuPy memory pool's high-water mark.

Usage::

    python benchmarks/recon.py                     # CPU: binned and full-thin
    python benchmarks/recon.py --backend cuda      # GPU: binned, full-thin, full
    python benchmarks/recon.py --figures           # also docs/recon/*.png (phantom, ASF)
    python benchmarks/recon.py --victre BINARY [--before TREE]
        # side by side with VICTRE's C FBP (see _victre_fbp.py for the build) on the same
        # projections and grid, filters matched (ramp x Hann to 75 % of Nyquist, no DC term,
        # no slice-thickness filter); TREE: another victwin checkout timed as "before";
        # also victwin's voxel-driven backprojector against its ray-driven one on that grid.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import environment, print_table, write_json  # noqa: E402

from victwin.geometry import Grid, tomosynthesis_arc  # noqa: E402
from victwin.raytrace import project_volume  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

# Linear attenuation at ~20 keV (1/mm), rounded from NIST XCOM-type values for breast tissues
# (Hammerstein et al. 1979 compositions): adipose ~0.05, glandular ~0.08, skin ~0.08,
# a mass as glandular at 1.06 g/cm3 ~0.085, calcium oxalate calcification ~1.2.
MU = {"adipose": 0.050, "glandular": 0.080, "skin": 0.080, "mass": 0.085, "calc": 1.2}

CASES = {
    "binned": dict(binning=2, thickness_mm=45.0),
    "full-thin": dict(binning=1, thickness_mm=10.0),
    "full": dict(binning=1, thickness_mm=45.0),
}


def scan(binning: int):
    return tomosynthesis_arc(25, 50.0, 50.0, detector_binning=binning)


def breast_phantom(thickness_mm: float, *, seed: int = 0, voxel_mm: float = 0.25,
                   slice_mm: float = 0.5, support_mm: float = 20.0):
    """A compressed breast: half-ellipse outline (chest wall at x = 0, 65 mm to the nipple,
    150 mm along the chest wall), 1.5 mm skin, glandular texture (thresholded smoothed noise,
    ~30 % glandular inside), a 6 mm mass and a cluster of 0.3 mm calcifications at mid-depth.

    Returns a list of ``(volume_1_per_mm, grid)`` parts whose projections add up (line
    integrals are linear), and a dict of where the lesions are.
    """
    from scipy.ndimage import gaussian_filter

    rng = np.random.default_rng(seed)
    nz = int(round(thickness_mm / slice_mm))
    nx, ny = int(70 / voxel_mm), int(160 / voxel_mm)
    grid = Grid(shape=(nz, ny, nx), spacing=(slice_mm, voxel_mm, voxel_mm),
                origin=(0.5 * voxel_mm, -80 + 0.5 * voxel_mm, support_mm + 0.5 * slice_mm))
    x = grid.axis_mm("x")[None, None, :]
    y = grid.axis_mm("y")[None, :, None]
    z = grid.axis_mm("z")[:, None, None]
    zc = support_mm + 0.5 * thickness_mm
    # outline: ellipse in (x, y), rounded at top and bottom (a compressed breast's edge)
    r = np.sqrt((x / 65.0) ** 2 + (y / 75.0) ** 2)
    edge = np.clip((np.abs(z - zc) - (0.5 * thickness_mm - 8.0)) / 8.0, 0, None)
    inside = (r + 0.1 * edge ** 2) <= 1.0
    inner = (r + 0.1 * edge ** 2 + 1.5 / 65.0) <= 1.0
    inner &= np.abs(z - zc) < 0.5 * thickness_mm - 1.5
    noise = gaussian_filter(rng.standard_normal(grid.shape).astype(np.float32),
                            sigma=(2.0 / slice_mm, 2.0 / voxel_mm, 2.0 / voxel_mm))
    dense = noise > np.quantile(noise[inner], 0.7)
    dense &= (r < 0.85)
    vol = np.zeros(grid.shape, np.float32)
    vol[inside] = MU["skin"]
    vol[inner] = MU["adipose"]
    vol[inner & dense] = MU["glandular"]
    parts = [(vol, grid)]
    mass_c = (30.0, -20.0, zc - 5.0)
    calc_c = np.array([28.0, 25.0, zc + 4.0])
    parts.append(_ball(mass_c, 6.0, MU["mass"] - MU["adipose"], 0.1))
    calcs = [calc_c + rng.uniform(-2.5, 2.5, 3) * np.array([1, 1, 0.2]) for _ in range(6)]
    for c in calcs:
        parts.append(_ball(tuple(c), 0.3, MU["calc"] - MU["adipose"], 0.025))
    return parts, {"mass_center_mm": mass_c, "calc_center_mm": tuple(calc_c)}


def _ball(center, diameter, mu, voxel):
    half = 0.5 * diameter + 2 * voxel
    n = int(np.ceil(2 * half / voxel))
    c = np.asarray(center, float)
    g = Grid(shape=(n, n, n), spacing=(voxel,) * 3, origin=tuple(c - 0.5 * (n - 1) * voxel))
    a = (np.arange(n) - 0.5 * (n - 1)) * voxel
    inside = a[:, None, None] ** 2 + a[None, :, None] ** 2 + a[None, None, :] ** 2 \
        <= (0.5 * diameter) ** 2
    return inside.astype(np.float32) * mu, g


def simulate(views, parts, photons: float, seed: int = 1):
    """Poisson counts ``N0 exp(-p)`` of the phantom parts, and the flat field ``N0``."""
    p = None
    for vol, g in parts:
        q = project_volume(vol, g, views)
        p = q if p is None else p + q
    rng = np.random.default_rng(seed)
    counts = rng.poisson(photons * np.exp(-p.astype(np.float64))).astype(np.float32)
    return counts, photons


CACHE = Path("/tmp/victwin_recon_bench")
PHOTONS = 3000.0


def simulate_case(case: str) -> Path:
    """Make and store the noisy projections of ``case`` (own subprocess, not timed)."""
    spec = CASES[case]
    path = CACHE / f"{case}.npy"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        parts, _ = breast_phantom(spec["thickness_mm"])
        counts, _ = simulate(scan(spec["binning"]), parts, PHOTONS)
        np.save(path, counts)
    return path


def run_case(case: str, method: str, backend: str) -> dict:
    """One timed reconstruction (called in a fresh subprocess, projections read from disk)."""
    from victwin.recon import dbt_grid, reconstruct

    spec = CASES[case]
    views = scan(spec["binning"])
    counts, flat = np.load(CACHE / f"{case}.npy"), PHOTONS
    grid = dbt_grid(views, spec["thickness_mm"])
    if backend == "cuda":
        import cupy as cp

        counts = cp.asarray(counts)
        pool = cp.get_default_memory_pool()
        cp.cuda.Device().synchronize()
    opts = {"n_iter": 5} if method == "sart" else {}
    t0 = time.perf_counter()
    vol = reconstruct(counts, views, grid, method, flat=flat, backend=backend, progress=False,
                      **opts)
    if backend == "cuda":
        cp.cuda.Device().synchronize()
    seconds = time.perf_counter() - t0
    out = {"case": case, "method": method + (" x5" if method == "sart" else ""),
           "backend": backend, "detector": f"{views[0].panel.shape[0]}x{views[0].panel.shape[1]}",
           "pitch_mm": views[0].panel.pitch[0], "volume_zyx": "x".join(map(str, grid.shape)),
           "voxels_M": grid.n_voxels / 1e6, "time_s": seconds,
           "peak_rss_GiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
           "finite": bool(np.isfinite(float(vol.sum())))}
    if backend == "cuda":
        out["gpu_pool_GiB"] = pool.total_bytes() / 2**30
    return out


def figures(out_dir: Path, backend: str) -> None:
    """Slices of the breast-like phantom: FBP vs SBP at the calcification and mass depths,
    a y-z section, and the synthesised 2D image (2 x 2 binned detector, 30 mm breast)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from victwin.recon import dbt_grid, reconstruct, synthesize_2d

    thickness = 30.0
    views = scan(2)
    parts, where = breast_phantom(thickness)
    counts, flat = simulate(views, parts, PHOTONS)
    grid = dbt_grid(views, thickness, extent_x_mm=(0, 70), extent_y_mm=(-80, 80))
    vols = {m: reconstruct(counts, views, grid, m, flat=flat, backend=backend)
            for m in ("fbp", "sbp")}
    vols["sart"] = reconstruct(counts, views, grid, "sart", flat=flat, backend=backend, n_iter=3)
    z = grid.axis_mm("z")
    kc = int(np.argmin(np.abs(z - where["calc_center_mm"][2])))
    km = int(np.argmin(np.abs(z - where["mass_center_mm"][2])))
    x, y = grid.axis_mm("x"), grid.axis_mm("y")
    ext = (x[0], x[-1], y[-1], y[0])
    out_dir.mkdir(parents=True, exist_ok=True)

    def show(ax, img, title, extent=ext, aspect="equal", origin="upper"):
        lo, hi = np.percentile(img, [1, 99.7])
        ax.imshow(img, cmap="gray", vmin=lo, vmax=hi, extent=extent, aspect=aspect,
                  origin=origin, interpolation="nearest")
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("x (mm, chest wall at 0)")
        ax.set_ylabel("y (mm)")

    fig, axes = plt.subplots(2, 3, figsize=(13, 11))
    show(axes[0, 0], vols["fbp"][kc], f"FBP, slice z = {z[kc]:.1f} mm (calcifications)")
    show(axes[0, 1], vols["sbp"][kc], f"SBP, slice z = {z[kc]:.1f} mm")
    show(axes[0, 2], vols["sart"][kc], f"SART x3, slice z = {z[kc]:.1f} mm")
    show(axes[1, 0], vols["fbp"][km], f"FBP, slice z = {z[km]:.1f} mm (6 mm mass)")
    show(axes[1, 1], synthesize_2d(vols["fbp"], "weighted"), "synthesised 2D (weighted, FBP)")
    iy = int(np.argmin(np.abs(y - where["calc_center_mm"][1])))
    show(axes[1, 2], vols["fbp"][:, iy, :], f"FBP x-z section at y = {y[iy]:.1f} mm",
         extent=(x[0], x[-1], z[0], z[-1]), aspect="auto", origin="lower")
    axes[1, 2].set_ylabel("z (mm)")
    fig.suptitle("victwin.recon: breast-like phantom, 25 views / 50 deg, 170 um detector, "
                 "Poisson noise (3000 photons/pixel)")
    fig.tight_layout()
    fig.savefig(out_dir / "breast_slices.png", dpi=80)
    plt.close(fig)
    # zoom on the calcification cluster
    cx, cy = where["calc_center_mm"][:2]
    sx = (x > cx - 8) & (x < cx + 8)
    sy = (y > cy - 8) & (y < cy + 8)
    fig, axes = plt.subplots(1, 3, figsize=(12, 4.4))
    for ax, m in zip(axes, ("fbp", "sbp", "sart")):
        show(ax, vols[m][kc][np.ix_(sy, sx)], f"{m.upper()} zoom, z = {z[kc]:.1f} mm",
             extent=(x[sx][0], x[sx][-1], y[sy][-1], y[sy][0]))
    fig.tight_layout()
    fig.savefig(out_dir / "calcifications_zoom.png", dpi=80)
    plt.close(fig)
    print(f"wrote {out_dir / 'breast_slices.png'} and {out_dir / 'calcifications_zoom.png'}")


def asf_figure(out_dir: Path, backend: str) -> None:
    """Artifact spread function (Zhang et al. 2006, Med Phys 33:3781) of a 2 mm ball and a
    0.3 mm bead: FBP, SBP and the analytic SBP spread (chord average over the views)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from victwin.recon import dbt_grid, reconstruct

    def analytic(dz, d, c, sources):
        s = np.asarray(sources) - (np.asarray(c) + [0.0, 0.0, dz])
        sin_t = np.hypot(s[:, 0], s[:, 1]) / np.linalg.norm(s, axis=1)
        return np.mean(np.sqrt(np.clip(1 - (2 * dz * sin_t / d) ** 2, 0, None)))

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    cases = [((12.13, 0.27, 30.5), 2.0, 0.5, (240, 120), 0.2, 20.0, (6, 18), (-6, 6), 0.05),
             ((3.04, 0.13, 27.3), 0.3, 2.0, (400, 60), 0.1, 15.0, (1, 5), (-2, 2), 0.025)]
    for ax, (c, d, mu, det, pitch, th, ex, ey, vox) in zip(axes, cases):
        views = tomosynthesis_arc(25, 50.0, 50.0, detector_shape=det, pitch_mm=pitch)
        vol, g = _ball(c, d, mu, vox)
        p = project_volume(vol, g, views)
        grid = dbt_grid(views, th, extent_x_mm=ex, extent_y_mm=ey)
        iz, iy, ix = np.round(grid.world_to_index(c)).astype(int)
        dz0 = c[2] - grid.index_to_world((iz, iy, ix))[2]
        ks = np.arange(-6, 7)
        for m, style in (("fbp", "o-"), ("sbp", "s-")):
            v = reconstruct(p, views, grid, m, backend=backend, progress=False)
            col = v[:, iy - 1:iy + 2, ix - 1:ix + 2].mean(axis=(1, 2))
            ax.plot(ks, col[iz + ks] / col[iz], style, label=m.upper())
        src = [v.source for v in views]
        sub = np.linspace(-0.5, 0.5, 21)
        ref = np.mean([analytic(-dz0 + t, d, c, src) for t in sub])
        ax.plot(ks, [np.mean([analytic(k - dz0 + t, d, c, src) for t in sub]) / ref
                     for k in ks], "k--", label="SBP analytic (chord average)")
        bound = int(np.ceil(d / np.tan(np.radians(25.0)) + 0.5))
        for b in (-bound, bound):
            ax.axvline(b, color="r", ls=":", lw=0.8)
        ax.axhline(0.5, color="gray", lw=0.5)
        ax.set_title(f"ASF, {d} mm ball, 25 views / 50 deg, 1 mm slices "
                     f"(bound +-{bound} slices)", fontsize=9)
        ax.set_xlabel("slice offset")
        ax.set_ylabel("ASF")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out_dir / "asf.png", dpi=80)
    plt.close(fig)
    print(f"wrote {out_dir / 'asf.png'}")


# The side-by-side case: 2 x 2 binned detector (1500 x 750 at 170 um), a 10 mm breast slab on
# VICTRE's own output grid (bottom face 19.5 mm above the detector, 1 mm slices, in-plane voxel
# the pitch demagnified to the support): 10 x 1546 x 773 voxels.
VICTRE_CASE = dict(binning=2, thickness_mm=10.0, support_mm=20.0, grid_bottom_mm=19.5)
#: VICTRE's filter (FBP_DBTrecon.c: ramp x Hann reaching zero at 75 % of Nyquist, no DC term)
#: in victwin's options; the slice-thickness filter is off because VICTRE has none.
VICTRE_FILTER = dict(window="hann", cutoff=0.75, dc=0.0, slice_thickness_mm=None)


def _victre_inputs():
    from victwin.recon import dbt_grid

    views = scan(VICTRE_CASE["binning"])
    grid = dbt_grid(views, VICTRE_CASE["thickness_mm"],
                    support_mm=VICTRE_CASE["grid_bottom_mm"])
    path = CACHE / "victre.npz"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        parts, where = breast_phantom(VICTRE_CASE["thickness_mm"], slice_mm=0.25,
                                      support_mm=VICTRE_CASE["support_mm"])
        counts, _ = simulate(views, parts, PHOTONS)
        calcs = np.array([g.center_mm for v, g in parts[2:]])
        np.savez(path, counts=counts, calcs=calcs)
    data = np.load(path)
    return views, grid, data["counts"], data["calcs"]


def _victre_inputs_clean() -> np.ndarray:
    """The side-by-side case's expected counts ``N0 exp(-p)`` (no noise), float64."""
    path = CACHE / "victre_clean.npy"
    if not path.exists():
        views, _, _, _ = _victre_inputs()
        parts, _ = breast_phantom(VICTRE_CASE["thickness_mm"], slice_mm=0.25,
                                  support_mm=VICTRE_CASE["support_mm"])
        p = None
        for vol, g in parts:
            q = project_volume(vol, g, views)
            p = q if p is None else p + q
        np.save(path, PHOTONS * np.exp(-p.astype(np.float64)))
    return np.load(path)


def _timed_victwin_fbp() -> dict:
    """victwin's FBP (VICTRE's filter) on the side-by-side case, in this process: CPU time
    of the reconstruction (all threads), wall time and peak RSS; the volume goes to disk."""
    from victwin.recon import reconstruct

    views, grid, counts, _ = _victre_inputs()
    kw = dict(flat=PHOTONS, progress=False, **VICTRE_FILTER)
    # compile the kernels on a small grid first (numba's cache makes this cheap after a run)
    from victwin.geometry import Grid

    small = Grid(shape=(1, 8, 8), spacing=grid.spacing, origin=grid.origin)
    reconstruct(counts, views, small, "fbp", **kw)
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    try:
        vol = reconstruct(counts, views, grid, "fbp", thickness_mm=VICTRE_CASE["thickness_mm"],
                          support_mm=VICTRE_CASE["support_mm"], **kw)
    except TypeError:  # an older victwin without the object slab
        vol = reconstruct(counts, views, grid, "fbp", **kw)
    wall = time.perf_counter() - t0
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    np.save(CACHE / "victwin_fbp.npy", vol)
    clean = -np.log(_victre_inputs_clean() / PHOTONS)
    kw_clean = dict(progress=False, **VICTRE_FILTER)
    try:
        vol_clean = reconstruct(clean, views, grid, "fbp", thickness_mm=VICTRE_CASE["thickness_mm"],
                                support_mm=VICTRE_CASE["support_mm"], **kw_clean)
    except TypeError:
        vol_clean = reconstruct(clean, views, grid, "fbp", **kw_clean)
    np.save(CACHE / "victwin_fbp_clean.npy", vol_clean)
    return {"cpu_s": (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime),
            "wall_s": wall, "max_rss_mb": ru1.ru_maxrss / 1024.0}


def _timed_backprojectors() -> dict:
    """Ray-driven (exact adjoint, normalised by A.T 1) against voxel-driven (bilinear mean)
    backprojection of the same line integrals on the side-by-side grid: wall time and the
    correlation of the two normalised backprojections."""
    from victwin.raytrace import backproject, backproject_interpolated

    views, grid, counts, _ = _victre_inputs()
    p = -np.log(np.maximum(counts, 1.0) / PHOTONS).astype(np.float32)
    from victwin.geometry import Grid

    small = Grid(shape=(1, 8, 8), spacing=grid.spacing, origin=grid.origin)
    backproject(p, small, views), backproject_interpolated(p, small, views)  # compile
    t0 = time.perf_counter()
    ray = backproject(p, grid, views)
    ray_norm = backproject(np.ones_like(p), grid, views)
    t_ray = time.perf_counter() - t0
    t0 = time.perf_counter()
    vox = backproject_interpolated(p, grid, views)
    t_vox = time.perf_counter() - t0
    ray = np.where(ray_norm > 0, ray / np.where(ray_norm > 0, ray_norm, 1), 0)
    inside = (ray_norm > 0) & (vox != 0)
    r = float(np.corrcoef(ray[inside], vox[inside])[0, 1])
    return {"ray_driven_s": t_ray, "voxel_driven_s": t_vox,
            "speedup": t_ray / t_vox, "correlation": r}


def _peak_error_mm(vol, grid, centers) -> float:
    """Mean distance (mm) from each calcification's true centre to the brightest voxel within
    1 mm in-plane and 3 slices of it."""
    errs = []
    for c in centers:
        k = np.round(grid.world_to_index(c)).astype(int)
        rz, ry, rx = 3, int(np.ceil(1.0 / grid.spacing[1])), int(np.ceil(1.0 / grid.spacing[2]))
        lo = np.maximum(k - [rz, ry, rx], 0)
        hi = np.minimum(k + [rz, ry, rx] + 1, grid.shape)
        box = vol[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]]
        peak = np.array(np.unravel_index(np.argmax(box), box.shape)) + lo
        errs.append(float(np.linalg.norm(grid.index_to_world(tuple(peak)) - np.asarray(c))))
    return float(np.mean(errs))


def victre_comparison(binary: str, before: str | None, json_path: str | None) -> int:
    """victwin's FBP against VICTRE's C FBP on the same projections and grid (see the module
    docstring); before/after when ``before`` names another victwin tree."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _victre_fbp import args_from_victwin, run_victre_fbp

    views, grid, counts, calcs = _victre_inputs()
    rows = []
    load = {"before": os.getloadavg()}
    # noise-free agreement first: the same line integrals, no Poisson noise
    clean = -np.log(_victre_inputs_clean() / PHOTONS)
    vc, _ = run_victre_fbp(clean, None, binary=binary, **args_from_victwin(views, grid))
    vv, info = run_victre_fbp(counts, PHOTONS, binary=binary, **args_from_victwin(views, grid))
    vv = vv / 10.0  # VICTRE works in cm: 1/cm -> 1/mm
    breast = vv != 0
    rows.append({"program": "VICTRE C FBP (g++ -O3, 1 thread)", "cpu_s": info["cpu_s"],
                 "wall_s": info["wall_s"], "max_rss_mb": info["max_rss_mb"],
                 "cpu_ratio": 1.0, "correlation": 1.0, "correlation_noise_free": 1.0,
                 "calc_peak_error_mm": _peak_error_mm(vv, grid, calcs)})
    trees = [("victwin (this tree)", str(ROOT))] + ([("victwin before", before)] if before
                                                    else [])
    for name, tree in trees:
        env = dict(os.environ, PYTHONPATH=tree)
        proc = subprocess.run([sys.executable, __file__, "--_victwin_fbp"], env=env,
                              capture_output=True, text=True, cwd=tree)
        line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
        if proc.returncode != 0 or not line:
            print(f"{name} failed:\n{proc.stderr[-2000:]}", file=sys.stderr)
            continue
        res = json.loads(line[0][7:])
        vol = np.load(CACHE / "victwin_fbp.npy")
        r = float(np.corrcoef(vol[breast], vv[breast])[0, 1])
        clean_vol = np.load(CACHE / "victwin_fbp_clean.npy")
        r_clean = float(np.corrcoef(clean_vol[vc != 0], vc[vc != 0])[0, 1])
        rows.append({"program": name, "cpu_s": res["cpu_s"], "wall_s": res["wall_s"],
                     "max_rss_mb": res["max_rss_mb"], "cpu_ratio": info["cpu_s"] / res["cpu_s"],
                     "correlation": r, "correlation_noise_free": r_clean,
                     "calc_peak_error_mm": _peak_error_mm(vol, grid, calcs)})
        print_table(rows[-1:], list(rows[-1]))
    bp = _timed_backprojectors()
    load["after"] = os.getloadavg()
    print()
    print_table(rows, ["program", "cpu_s", "wall_s", "max_rss_mb", "cpu_ratio", "correlation",
                       "correlation_noise_free", "calc_peak_error_mm"])
    print()
    print_table([bp], list(bp))
    out = Path(json_path) if json_path else ROOT / "benchmarks" / "results" / "recon_victre.json"
    write_json("recon_victre", {
        "environment": environment(), "load_average": load,
        "case": {"detector": list(views[0].panel.shape), "pitch_mm": views[0].panel.pitch[0],
                 "grid_zyx": list(grid.shape), "voxel_mm": list(grid.spacing),
                 "photons_per_pixel": PHOTONS, "filter": VICTRE_FILTER,
                 "victre_command": info["command"], "victre_stage_cpu_s": info["stage_s"]},
        "results": rows, "backprojectors": bp,
        "notes": "cpu_ratio = VICTRE CPU seconds / victwin CPU seconds (victwin uses both cores; "
                 "its CPU time sums them). correlation over the voxels VICTRE reconstructs "
                 "(non-zero), of the noisy reconstructions (correlation) and of the "
                 "reconstructions of the noise-free line integrals (correlation_noise_free). "
                 "calc_peak_error_mm: mean distance of the brightest voxel near each "
                 "of 6 calcifications (0.3 mm) from its true centre."}, str(out))
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--backend", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--cases", nargs="*", default=None, choices=sorted(CASES))
    ap.add_argument("--methods", nargs="*", default=["fbp", "sart"], choices=["fbp", "sart"])
    ap.add_argument("--figures", action="store_true", help="write docs/recon/*.png")
    ap.add_argument("--no-bench", action="store_true", help="only the figures")
    ap.add_argument("--json", default=None, help="output JSON path")
    ap.add_argument("--victre", default=None, metavar="BINARY",
                    help="compare with VICTRE's C FBP built at BINARY")
    ap.add_argument("--before", default=None, metavar="TREE",
                    help="with --victre: another victwin source tree timed as 'before'")
    ap.add_argument("--_victwin_fbp", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--_case", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--_simulate", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--_method", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args._simulate:
        simulate_case(args._simulate)
        return 0
    if args._victwin_fbp:
        print("RESULT " + json.dumps(_timed_victwin_fbp()))
        return 0
    if args.victre:
        return victre_comparison(args.victre, args.before, args.json)
    if args._case:
        print("RESULT " + json.dumps(run_case(args._case, args._method, args.backend)))
        return 0
    if args.figures:
        asf_figure(ROOT / "docs" / "recon", args.backend)
        figures(ROOT / "docs" / "recon", args.backend)
    if args.no_bench:
        return 0
    cases = args.cases or (["binned", "full-thin", "full"] if args.backend == "cuda"
                           else ["binned", "full-thin"])
    rows = []
    for case in cases:
        proc = subprocess.run([sys.executable, __file__, "--_simulate", case],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"{case}: simulation failed:\n{proc.stderr[-2000:]}", file=sys.stderr)
            continue
        for method in args.methods:
            cmd = [sys.executable, __file__, "--backend", args.backend, "--_case", case,
                   "--_method", method]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
            if proc.returncode != 0 or not line:
                print(f"{case} {method} failed:\n{proc.stderr[-2000:]}", file=sys.stderr)
                continue
            rows.append(json.loads(line[0][7:]))
            print_table(rows[-1:], list(rows[-1]))
            _save(rows, args.json)  # after every case: a long run keeps what it finished
    columns = ["case", "method", "backend", "detector", "volume_zyx", "voxels_M", "time_s",
               "peak_rss_GiB"] + (["gpu_pool_GiB"] if args.backend == "cuda" else [])
    print()
    print_table(rows, columns)
    return 0


def _save(rows: list[dict], path: str | None) -> None:
    """Merge ``rows`` into the results file, replacing rows of the same case/method/backend."""
    out = Path(path) if path else ROOT / "benchmarks" / "results" / "recon.json"
    old = []
    if out.exists():
        try:
            old = json.loads(out.read_text()).get("results", [])
        except (json.JSONDecodeError, AttributeError):
            old = []
    key = lambda r: (r.get("case"), r.get("method"), r.get("backend"))  # noqa: E731
    new_keys = {key(r) for r in rows}
    merged = [r for r in old if key(r) not in new_keys] + rows
    write_json("recon", {"environment": environment(), "results": merged,
                         "notes": "peak_rss_GiB is the reconstructing process's maximum "
                                  "resident set (Python, numba, the float32 counts and the "
                                  "volume included); projections are simulated beforehand in "
                                  "another process and read from disk. CPU runs share 2 cores "
                                  "with other jobs (see load in the report)."},
               str(out))


if __name__ == "__main__":
    sys.exit(main())
