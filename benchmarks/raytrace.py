"""Ray-tracing throughput: rays/s and ray-voxel steps/s, side by side with ASTRA.

Cases
-----
``dbt``     labels at 0.1 mm (450 x 1400 x 700 voxels, z y x), 25 DBT views, detector binned to
            0.17 mm (1500 x 750): ``project_labels`` and ``project_volume``.
``fan``     one slice, fan beam: ``project_volume`` against astra-toolbox's CPU ``line_fanflat``
            projector (single-threaded) on the same pixels and rays; prints the throughput
            ratio victwin / ASTRA and the largest difference between the sinograms.
``victre``  (``--backend cuda`` only) a 50 um VICTRE-size phantom, 1280 x 1950 x 940 labels,
            25 views, 3000 x 1500 detector; with ``--astra`` also astra-toolbox's CUDA
            ``cone_vec`` forward projector on the same volume and rays.

A ray-voxel step is one voxel visited by one ray; the count is computed independently of the
kernels from each ray's entry and exit voxel (the number of voxel planes it crosses plus one).

Usage::

    python benchmarks/raytrace.py                       # CPU: dbt and fan
    python benchmarks/raytrace.py --backend cuda --astra  # GPU: dbt, victre, with ASTRA CUDA
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import environment, print_table, write_json  # noqa: E402

from victwin.geometry import FlatPanel, Grid, View, tomosynthesis_arc, views_to_arrays  # noqa: E402
from victwin.raytrace import project_labels, project_volume  # noqa: E402


def count_steps(grid: Grid, views, chunk: int = 1 << 20) -> int:
    """Number of voxels visited by all rays (source to pixel centre), counted analytically."""
    geo = views_to_arrays(views)
    nv, nu = geo["shape"]
    lo, hi, d = grid.lower_mm, grid.upper_mm, grid.spacing_xyz
    n = grid.shape_xyz
    total = 0
    jj, ii = np.meshgrid(np.arange(nv), np.arange(nu), indexing="ij")
    jj = jj.ravel().astype(float)
    ii = ii.ravel().astype(float)
    for b in range(len(geo["source"])):
        s = geo["source"][b]
        for c0 in range(0, ii.size, chunk):
            e = (geo["corner"][b] + ii[c0:c0 + chunk, None] * geo["du"][b]
                 + jj[c0:c0 + chunk, None] * geo["dv"][b])
            r = e - s
            with np.errstate(divide="ignore", invalid="ignore"):
                ta = (lo - s) / r
                tb = (hi - s) / r
                t0 = np.nanmax(np.where(r == 0, -np.inf, np.minimum(ta, tb)), axis=1)
                t1 = np.nanmin(np.where(r == 0, np.inf, np.maximum(ta, tb)), axis=1)
            inside_par = np.all((r != 0) | ((s >= lo) & (s < hi)), axis=1)
            t0 = np.maximum(t0, 0.0)
            t1 = np.minimum(t1, 1.0)
            hit = inside_par & (t1 > t0)
            if not hit.any():
                continue
            p0 = s + t0[hit, None] * r[hit]
            p1 = s + t1[hit, None] * r[hit]
            i0 = np.clip(np.floor((p0 - lo) / d), 0, n - 1)
            i1 = np.clip(np.floor((p1 - lo) / d), 0, n - 1)
            total += int(np.abs(i1 - i0).sum() + hit.sum())
    return total


def breast_like_labels(grid: Grid, seed: int = 0) -> np.ndarray:
    """A half-ellipse 'breast' of adipose (1) with blobby glandular tissue (2) and skin (3)."""
    rng = np.random.default_rng(seed)
    nz, ny, nx = grid.shape
    x = (np.arange(nx) + 0.5) / nx
    y = (np.arange(ny) + 0.5) / ny - 0.5
    inside = (x[None, :] ** 2 + (2 * y[:, None]) ** 2) < 1.0
    coarse = rng.random((max(nz // 25, 2), max(ny // 25, 2), max(nx // 25, 2)))
    reps = [int(np.ceil(a / b)) for a, b in zip(grid.shape, coarse.shape)]
    gland = np.kron(coarse > 0.6, np.ones(reps, dtype=bool))[:nz, :ny, :nx]
    labels = np.zeros(grid.shape, np.uint8)
    labels[:, inside] = 1
    labels[gland & inside[None]] = 2
    labels[:2] = np.where(inside, 3, 0)
    labels[-2:] = np.where(inside, 3, 0)
    return labels


def run_labels_case(name, labels, grid, views, backend, n_labels=4, repeat=1):
    warm = labels[:2, :2, :2].copy()
    project_labels(warm, Grid(warm.shape, grid.spacing, grid.origin), views[:1], n_labels,
                   backend=backend)  # compile / warm up
    steps = count_steps(grid, views)
    nv, nu = views[0].panel.shape
    rays = len(views) * nv * nu
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        project_labels(labels, grid, views, n_labels, backend=backend, check_labels=False)
        best = min(best, time.perf_counter() - t0)
    return {"case": name, "op": "project_labels", "backend": backend, "views": len(views),
            "detector": f"{nv}x{nu}", "voxels": "x".join(map(str, grid.shape)),
            "rays": rays, "steps": steps, "time_s": best, "rays_per_s": rays / best,
            "steps_per_s": steps / best}


def run_volume_case(name, volume, grid, views, backend):
    warm = volume[:2, :2, :2].copy()
    project_volume(warm, Grid(warm.shape, grid.spacing, grid.origin), views[:1], backend=backend)
    steps = count_steps(grid, views)
    nv, nu = views[0].panel.shape
    rays = len(views) * nv * nu
    t0 = time.perf_counter()
    out = project_volume(volume, grid, views, backend=backend)
    dt = time.perf_counter() - t0
    return out, {"case": name, "op": "project_volume", "backend": backend, "views": len(views),
                 "detector": f"{nv}x{nu}", "voxels": "x".join(map(str, grid.shape)),
                 "rays": rays, "steps": steps, "time_s": dt, "rays_per_s": rays / dt,
                 "steps_per_s": steps / dt}


def dbt_case(args):
    n_views = args.views
    grid = Grid(shape=(450, 1400, 700), spacing=(0.1, 0.1, 0.1), origin=(0.05, -69.95, 20.05))
    labels = breast_like_labels(grid)
    views = tomosynthesis_arc(n_views, 50.0 * (n_views - 1) / 24 if n_views < 25 else 50.0,
                              50.0, detector_binning=2)
    rows = [run_labels_case("dbt 0.1mm", labels, grid, views, args.backend)]
    vol = np.zeros(grid.shape, np.float32)
    mu = np.array([0.0, 0.05, 0.08, 0.08], np.float32)
    for z0 in range(0, grid.shape[0], 50):  # slab by slab: never a full float copy at once
        vol[z0:z0 + 50] = mu[labels[z0:z0 + 50]]
    del labels
    _, row = run_volume_case("dbt 0.1mm", vol, grid, views, args.backend)
    rows.append(row)
    return rows


def fan_case(args):
    """Single-slice fan beam, victwin vs ASTRA's CPU line_fanflat on the same rays."""
    import astra

    n = args.fan_pixels
    n_angles = args.fan_angles
    n_det = int(1.5 * n)
    pixel = 0.1
    sod, sdd = 400.0, 600.0
    rng = np.random.default_rng(1)
    img = np.zeros((n, n), np.float32)
    yy, xx = np.mgrid[:n, :n]
    for _ in range(12):  # random ellipses
        cx, cy = rng.uniform(0.25, 0.75, 2) * n
        ax, ay = rng.uniform(0.05, 0.3, 2) * n
        img[((xx - cx) / ax) ** 2 + ((yy - cy) / ay) ** 2 < 1] += rng.uniform(0.01, 0.05)
    img[: n // 8, : n // 3] += 0.03  # asymmetric corner block catches flips
    # victwin grid: one slice, x = column, y = row (row 0 at the smallest y)
    half = n * pixel / 2
    grid = Grid(shape=(1, n, n), spacing=(pixel, pixel, pixel),
                origin=(-half + pixel / 2, -half + pixel / 2, 0.0))
    det_pitch = pixel * 1.5 * sdd / sod
    angles = np.linspace(0, 2 * np.pi, n_angles, endpoint=False)
    views, vecs = [], []
    for a in angles:
        s = np.array([np.sin(a) * sod, -np.cos(a) * sod])
        dcen = np.array([-np.sin(a) * (sdd - sod), np.cos(a) * (sdd - sod)])
        u = np.array([np.cos(a), np.sin(a)])
        views.append(View(source=(s[0], s[1], 0.0),
                          panel=FlatPanel(shape=(1, n_det), pitch=(pixel, det_pitch),
                                          center=(dcen[0], dcen[1], 0.0), u=(u[0], u[1], 0.0),
                                          v=(0.0, 0.0, 1.0))))
        vecs.append([s[0], s[1], dcen[0], dcen[1], u[0] * det_pitch, u[1] * det_pitch])
    ours, row = run_volume_case("fan 1 slice", img[None], grid, views, "cpu")
    ours = ours[:, 0, :]

    vol_geom = astra.create_vol_geom(n, n, -half, half, -half, half)
    proj_geom = astra.create_proj_geom("fanflat_vec", n_det, np.array(vecs))
    proj_id = astra.create_projector("line_fanflat", proj_geom, vol_geom)
    # ASTRA's 2D image rows run from +y (row 0) down to -y; flip our y-up slice to match.
    vol_id = astra.data2d.create("-vol", vol_geom, img[::-1].copy())
    sino_id = astra.data2d.create("-sino", proj_geom, 0)
    cfg = astra.astra_dict("FP")
    cfg["ProjectorId"] = proj_id
    cfg["VolumeDataId"] = vol_id
    cfg["ProjectionDataId"] = sino_id
    alg = astra.algorithm.create(cfg)
    astra.algorithm.run(alg)  # warm
    best = np.inf
    for _ in range(2):
        t0 = time.perf_counter()
        astra.algorithm.run(alg)
        best = min(best, time.perf_counter() - t0)
    theirs = astra.data2d.get(sino_id)
    for f, i in ((astra.algorithm.delete, alg), (astra.data2d.delete, vol_id),
                 (astra.data2d.delete, sino_id), (astra.projector.delete, proj_id)):
        f(i)
    # ASTRA's 2D line kernel returns lengths in units of the volume pixel size? Compare scaled.
    scale = float(np.vdot(ours, theirs) / np.vdot(theirs, theirs))
    diff = float(np.abs(ours - scale * theirs).max())
    astra_row = dict(row, op="astra line_fanflat", backend="cpu (1 thread)", time_s=best,
                     rays_per_s=row["rays"] / best, steps_per_s=row["steps"] / best)
    ratio = astra_row["time_s"] / row["time_s"]
    extra = {"throughput_ratio_victwin_over_astra": ratio, "astra_scale": scale,
             "max_abs_sinogram_difference": diff,
             "max_sinogram_value": float(np.abs(ours).max())}
    return [row, astra_row], extra


def victre_case(args):
    """50 um VICTRE-size phantom on the GPU (labels), optionally with ASTRA CUDA cone_vec."""
    grid = Grid(shape=(940, 1950, 1280), spacing=(0.05, 0.05, 0.05),
                origin=(0.025, -48.725, 20.025))
    labels = breast_like_labels(grid)
    views = tomosynthesis_arc(args.views, 50.0, 50.0)
    rows = [run_labels_case("victre 50um", labels, grid, views, args.backend)]
    extra = {}
    if args.astra:
        import astra
        import cupy as cp

        mu = cp.asarray(np.array([0.0, 0.05, 0.08, 0.08], np.float32))
        vol = mu[cp.asarray(labels)]
        del labels
        t0 = time.perf_counter()
        ours = project_volume(vol, grid, views, backend="cuda")
        cp.cuda.runtime.deviceSynchronize()
        t_ours = time.perf_counter() - t0
        geo = views_to_arrays(views)
        nv, nu = geo["shape"]
        centre = geo["corner"] + (nu - 1) / 2 * geo["du"] + (nv - 1) / 2 * geo["dv"]
        vectors = np.concatenate([geo["source"], centre, geo["du"], geo["dv"]], axis=1)
        lo, hi = grid.lower_mm, grid.upper_mm
        vol_geom = astra.create_vol_geom(grid.shape[1], grid.shape[2], grid.shape[0],
                                         lo[0], hi[0], lo[1], hi[1], lo[2], hi[2])
        proj_geom = astra.create_proj_geom("cone_vec", nv, nu, vectors)
        host = vol.get()
        t0 = time.perf_counter()
        _, theirs = astra.create_sino3d_gpu(host, proj_geom, vol_geom)
        t_astra = time.perf_counter() - t0
        theirs = np.transpose(theirs, (1, 0, 2))  # (v, angle, u) -> (angle, v, u)
        ours_h = ours.get()
        steps = count_steps(grid, views)
        rays = len(views) * nv * nu
        for op, t in (("victwin project_volume", t_ours), ("astra cone_vec FP (incl. upload)", t_astra)):
            rows.append({"case": "victre 50um", "op": op, "backend": "cuda", "views": len(views),
                         "detector": f"{nv}x{nu}", "voxels": "x".join(map(str, grid.shape)),
                         "rays": rays, "steps": steps, "time_s": t, "rays_per_s": rays / t,
                         "steps_per_s": steps / t})
        extra = {"throughput_ratio_victwin_over_astra": t_astra / t_ours,
                 "max_abs_difference": float(np.abs(ours_h - theirs).max()),
                 "max_value": float(np.abs(ours_h).max()),
                 "relative_rms_difference": float(np.sqrt(np.mean((ours_h - theirs) ** 2))
                                                  / np.sqrt(np.mean(ours_h ** 2)))}
    return rows, extra


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--case", action="append", choices=["dbt", "fan", "victre"],
                        help="cases to run (default: dbt and fan on cpu; dbt and victre on cuda)")
    parser.add_argument("--views", type=int, default=25, help="DBT views (default 25)")
    parser.add_argument("--fan-pixels", type=int, default=1024)
    parser.add_argument("--fan-angles", type=int, default=720)
    parser.add_argument("--astra", action="store_true", help="compare with ASTRA CUDA (GPU)")
    parser.add_argument("--json", default=None, help="output JSON (default benchmarks/results/)")
    args = parser.parse_args(argv)
    cases = args.case or (["dbt", "fan"] if args.backend == "cpu" else ["dbt", "victre"])
    rows, extra = [], {}
    for case in cases:
        print(f"running {case} ...", flush=True)
        if case == "dbt":
            rows += dbt_case(args)
        elif case == "fan":
            r, e = fan_case(args)
            rows += r
            extra["fan"] = e
        elif case == "victre":
            r, e = victre_case(args)
            rows += r
            extra["victre"] = e
    print()
    print_table(rows, ["case", "op", "backend", "views", "detector", "voxels", "rays", "time_s",
                       "rays_per_s", "steps_per_s"])
    for key, e in extra.items():
        for k, v in e.items():
            print(f"{key}: {k} = {v:.6g}")
    name = "raytrace" if args.backend == "cpu" else "raytrace-cuda"
    write_json(name, {"environment": environment(), "rows": rows, "extra": extra}, args.json)


if __name__ == "__main__":
    main()
