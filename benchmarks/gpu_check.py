"""The GPU check: every CUDA kernel against the CPU, then timings, in one run of < ~8 min.

(a) Every CUDA path against the CPU one on fresh random inputs, relative errors printed:
    label projection (2 x 2 sub-rays), volume projection, adjoint backprojection, voxel-driven
    backprojection (``backproject_interpolated``), FBP (CuPy FFTs where CuPy exists), the
    polyenergetic primary (``primary_signal`` on CuPy), the scatter convolution on the device,
    the counter-based noise (CUDA build against CPU build, and its moments on the GPU) and a
    whole small DM + DBT + FBP case and a lesion-local DM + DBT + VOI-FBP case without noise
    (``acquire(backend="cuda")``: labels uploaded once, primary, scatter, detector and readout
    on the GPU; FBP with CuPy FFTs).
(b) Timings, with CUDA events after a warm-up: DBT ``project_labels`` of a 0.05 mm
    VICTRE-size phantom (940 x 1950 x 1280 labels, 25 views, 3000 x 1500 pixels; ray-voxel
    steps per second, the steps counted independently of the kernels), a full-field DM +
    25-view DBT exam at 85 um with the phantom already on the GPU (VICTRE's systems), FBP on
    the clinical grid (0.082 mm in-plane, 1 mm slices), and one VICTRE-fidelity lesion-local
    DM + DBT + VOI-FBP case, and one twin at VICTRE's 20 sites (``acquire_regions``: the
    per-region cost of a trial, the coarse pass shared).
(c) Writes ``benchmarks/results/gpu.json`` (GPU model, driver, versions, times, steps/s,
    errors, where each stage ran) and prints a short table last.

Usage::

    bash benchmarks/gpu_check.sh                       # on the GPU node (installs wheels first)
    python benchmarks/gpu_check.py                     # same, wheels already there
    NUMBA_ENABLE_CUDASIM=1 python benchmarks/gpu_check.py --tiny --out /tmp/gpu_tiny.json

``--tiny`` runs every step on tiny sizes (numba's CUDA simulator with NumPy arrays standing in
for CuPy; what CI runs). Timings of a tiny or simulated run are not GPU figures and are
labelled so. The exit status is 1 when a check exceeds its tolerance.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import RESULTS, environment, print_table, write_json  # noqa: E402
from _gpu_common import (SIM, count_steps, device_info, rel_errors,  # noqa: E402
                         slab_phantom, small_scan, synchronize, timed, tiny_system, to_device,
                         to_host)

from victwin._backend import cuda_status, get_cupy  # noqa: E402
from victwin.geometry import Grid, tomosynthesis_arc  # noqa: E402

#: Relative-error tolerances (max |gpu - cpu| / max |cpu|) of the checks.
TOLERANCE = {"project_labels": 1e-5, "project_labels tiled": 1e-5, "project_volume": 1e-5, "backproject": 1e-4,
             "backproject_interpolated": 1e-5, "fbp": 1e-4, "primary_signal": 1e-5,
             "scatter_image": 1e-6, "case line integrals": 1e-3, "case fbp": 1e-3,
             "local case line integrals": 1e-3, "local case voi fbp": 1e-3,
             # fraction of Poisson draws that differ between the CUDA and CPU builds of the
             # same counter-based kernels (libdevice exp/log may flip a rare rejection)
             "noise draws (cuda vs cpu build)": 1e-3,
             # largest |z-score| of the GPU draws' mean and variance against the Poisson and
             # Gaussian moments
             "noise statistics (GPU)": 5.0,
             # every launch variant of the label projection gives the same numbers (mm)
             "label projection variants": 0.0, "thickness from labels": 0.0}

#: Targets of issue 18 (seconds, or steps/s).
TARGETS = {"label projection steps/s": 3e11, "DM + 25-view DBT exam s": 10.0,
           "lesion-local case s": 1.0}


# ------------------------------------------------------------------------------ (a) checks

def check_kernels(tiny: bool, seed: int) -> list[dict]:
    from victwin.physics import primary_signal, spectrum
    from victwin.raytrace import (backproject, backproject_interpolated, project_labels,
                                  project_volume)
    from victwin.recon import reconstruct

    rng = np.random.default_rng(seed)
    if tiny:
        shape, spacing, n_views, binning = (3, 5, 4), (4.0, 6.0, 6.0), 3, 250
    else:
        shape, spacing, n_views, binning = (40, 160, 96), (1.0, 0.5, 0.5), 9, 8
    # random placement inside the beam above the support
    nz, ny, nx = shape
    origin = (rng.uniform(5, 15), rng.uniform(-10, 10) - ny * spacing[1] / 2,
              20.0 + rng.uniform(1, 5))
    grid = Grid(shape=shape, spacing=spacing, origin=origin)
    views = small_scan(n_views, binning)
    nv, nu = views[0].panel.shape
    rows = []

    def add(name, gpu, cpu, **extra):
        row = {"check": name, **rel_errors(gpu, cpu), **extra}
        row["ok"] = bool(row["rel_max"] <= TOLERANCE[name])
        rows.append(row)
        print(f"  {name}: rel max {row['rel_max']:.3g}, rel rms {row['rel_rms']:.3g}", flush=True)

    n_labels = 6
    labels = rng.integers(0, n_labels, size=shape, dtype=np.uint8)
    cpu = project_labels(labels, grid, views, n_labels, backend="cpu", rays_per_pixel=2)
    gpu = project_labels(to_device(labels), grid, views, n_labels, backend="cuda",
                         rays_per_pixel=2)
    add("project_labels", gpu, cpu, shape=list(cpu.shape))

    # a finer tile set into a box on the voxel boundaries (50 um lesion tiles): hole + tile
    # traces summed on the device, against the same on the CPU
    from victwin.raytrace import iter_project_labels_tiled

    box = tuple(slice(1, max(2, n // 2)) for n in shape)
    tile = labels[box].repeat(2, 0).repeat(2, 1).repeat(2, 2)
    tile[tile.shape[0] // 2:, : tile.shape[1] // 2] = n_labels - 1
    lower = grid.lower_mm + np.array([b.start for b in box][::-1]) * grid.spacing_xyz
    half = np.asarray(spacing) / 2
    tgrid = Grid(shape=tile.shape, spacing=tuple(half), origin=tuple(lower + half[::-1] / 2))
    kw = dict(rays_per_pixel=2)
    cpu = np.concatenate([p for _, p in iter_project_labels_tiled(
        labels, grid, [(tile, tgrid)], views, n_labels, backend="cpu", **kw)])
    gpu = np.concatenate([to_host(p) for _, p in iter_project_labels_tiled(
        to_device(labels), grid, [(tile, tgrid)], views, n_labels, backend="cuda", **kw)])
    add("project_labels tiled", gpu, cpu, shape=list(cpu.shape))

    # a phantom without a recorded thickness (chest twins): its non-air extent on the device
    from victwin.acquisition._beam import phantom_thickness_mm

    mats = {lab: ("air" if lab == 0 else "adipose") for lab in range(n_labels)}
    thick = [phantom_thickness_mm(SimpleNamespace(labels=a, grid=grid, materials=mats, meta={}))
             for a in (labels, to_device(labels))]
    add("thickness from labels", np.array([thick[1]]), np.array([thick[0]]))

    volume = rng.random(shape, dtype=np.float32)
    cpu = project_volume(volume, grid, views, backend="cpu")
    gpu = project_volume(to_device(volume), grid, views, backend="cuda")
    add("project_volume", gpu, cpu, shape=list(cpu.shape))

    proj = rng.random((n_views, nv, nu), dtype=np.float32)
    cpu = backproject(proj, grid, views, backend="cpu")
    gpu = backproject(to_device(proj), grid, views, backend="cuda")
    add("backproject", gpu, cpu, shape=list(cpu.shape))

    cpu = backproject_interpolated(proj, grid, views, backend="cpu")
    gpu = backproject_interpolated(to_device(proj), grid, views, backend="cuda")
    add("backproject_interpolated", gpu, cpu, shape=list(cpu.shape))

    thickness = float(grid.upper_mm[2] - 20.0)
    cpu = reconstruct(proj, views, grid, "fbp", thickness_mm=thickness, backend="cpu",
                      progress=False)
    gpu = reconstruct(to_device(proj), views, grid, "fbp", thickness_mm=thickness,
                      backend="cuda", progress=False)
    add("fbp", gpu, cpu, shape=list(cpu.shape),
        fft="cupy" if get_cupy() is not None else "scipy (NumPy stand-in)")

    # scatter on the device (cuFFT) against the CPU function (scipy.signal.fftconvolve)
    from victwin.physics import scatter_image
    from victwin.physics._device_stages import scatter_image_xp

    sv, su, pitch = (30, 24, 1.0) if tiny else (1200, 600, 0.34)
    tissue = rng.random((sv, su)) * 20.0 + np.linspace(0.0, 40.0, su)[None, ::-1]
    tissue[:, -3:] = 0.0
    primary = 1e4 * np.exp(-0.05 * tissue) * (1.0 + 0.1 * rng.random((sv, su)))
    cpu = scatter_image(primary, tissue, pitch)
    gpu = scatter_image_xp(to_device(primary), to_device(tissue), pitch, xp=get_cupy() or np)
    add("scatter_image", gpu, cpu, shape=[sv, su])
    rows += noise_checks(tiny, rng)

    paths = (rng.random((n_labels, nv, nu)) * 10).astype(np.float32)
    spec = spectrum("W", 28.0, [("Be", 1.0), ("Rh", 0.05)])
    names = ["air", "adipose", "glandular", "skin", "mass", "hydroxyapatite"]
    cpu = primary_signal(paths, names, spec, 1000.0).energy_kev
    gpu = primary_signal(to_device(paths), names, spec, 1000.0).energy_kev
    add("primary_signal", gpu, cpu,
        device="cupy" if get_cupy() is not None else "NumPy stand-in")
    return rows


def noise_checks(tiny: bool, rng) -> list[dict]:
    """The counter-based noise: the CUDA build against the CPU build of the same kernels
    (same key, same draws), and the GPU draws' moments against Poisson and Gaussian ones."""
    from victwin.physics._noise_kernels import normal, poisson

    xp = get_cupy() or np
    key = tuple(int(k) for k in rng.integers(0, 2 ** 32, size=2))
    n = 600 if tiny else 2_000_000
    q = rng.gamma(1.0, 30.0, size=n)        # both samplers: inversion < 10, PTRS >= 10
    cpu = poisson(q, key, backend="cpu", xp=np)
    gpu = to_host(poisson(to_device(q), key, backend="cuda", xp=xp))
    frac = float(np.mean(gpu != cpu))
    rows = [{"check": "noise draws (cuda vs cpu build)", "rel_max": frac,
             "rel_rms": float(np.sqrt(np.mean((gpu - cpu) ** 2)) / np.sqrt(np.mean(cpu ** 2))),
             "n": n, "measure": "fraction of differing draws"}]
    n = 2000 if tiny else 4_000_000
    lam = 50.0
    c = to_host(poisson(xp.full(n, lam), key, stream=7, backend="cuda", xp=xp))
    z = to_host(normal(xp.zeros(n), 1.0, key, stream=8, backend="cuda", xp=xp))
    zs = {"poisson_mean": (c.mean() - lam) / np.sqrt(lam / n),
          "poisson_var": (c.var() - lam) / np.sqrt((lam + 2 * lam * lam) / n),
          "normal_mean": z.mean() / np.sqrt(1.0 / n),
          "normal_var": (z.var() - 1.0) / np.sqrt(2.0 / n)}
    rows.append({"check": "noise statistics (GPU)",
                 "rel_max": float(max(abs(v) for v in zs.values())), "rel_rms": 0.0, "n": n,
                 "measure": "largest |z| of mean and variance", **{k: float(v) for k, v in
                                                                    zs.items()}})
    for row in rows:
        row["ok"] = bool(row["rel_max"] <= TOLERANCE[row["check"]])
        print(f"  {row['check']}: {row['measure']} {row['rel_max']:.3g}", flush=True)
    return rows


def case_pair(tiny: bool, seed: int) -> tuple[list[dict], dict]:
    """A small DM + 3-view DBT + FBP case on both backends, scatter on, noise off (the
    backends draw their noise from different generators; its statistics are checked in
    :func:`noise_checks`): every stage of the CUDA path against the CPU path."""
    from victwin.recon import reconstruct

    if tiny:
        shape, spacing, det, pitch = (3, 6, 5), (8.0, 8.0, 8.0), (12, 6), 6.0
    else:
        shape, spacing, det, pitch = (45, 200, 120), (1.0, 0.5, 0.5), (600, 300), 0.425
    nz, ny, nx = shape
    grid = Grid(shape=shape, spacing=spacing,
                origin=(spacing[2] / 2, -(ny - 1) * spacing[1] / 2, 20.0 + spacing[0] / 2))
    thickness = nz * spacing[0]
    out = {}
    for backend in ("cpu", "cuda"):
        xp = get_cupy() if backend == "cuda" and get_cupy() is not None else np
        ph = slab_phantom(grid, xp, thickness, seed)
        dm = acquire_small("mammomat-dm", det, pitch, ph, backend, views=None)
        dbt = acquire_small("mammomat-dbt", det, pitch, ph, backend, views=[0, 12, 24])
        p = dbt.line_integrals()
        p = to_device(p) if backend == "cuda" else p
        vol = reconstruct(p, dbt.views, grid, "fbp", thickness_mm=thickness, backend=backend,
                          progress=False)
        out[backend] = (dm, dbt, vol)
    rows = []
    for name, g, c in (("case line integrals",
                        np.concatenate([out["cuda"][0].line_integrals().ravel(),
                                        out["cuda"][1].line_integrals().ravel()]),
                        np.concatenate([out["cpu"][0].line_integrals().ravel(),
                                        out["cpu"][1].line_integrals().ravel()])),
                       ("case fbp", out["cuda"][2], out["cpu"][2])):
        row = {"check": name, **rel_errors(g, c)}
        row["ok"] = bool(row["rel_max"] <= TOLERANCE[name])
        rows.append(row)
        print(f"  {name}: rel max {row['rel_max']:.3g}, rel rms {row['rel_rms']:.3g}", flush=True)
    return rows, dict(out["cuda"][1].devices)


def local_pair(tiny: bool, seed: int) -> list[dict]:
    """A lesion-local case (DM + 3-view DBT crops around a 9.3 x 9.3 x 9 mm VOI, VOI FBP) on
    both backends, noise off: the region path (crops, coarse scatter pass, strip fill, VOI
    reconstruction) of the CUDA path against the CPU path."""
    from victwin.acquisition import Region, acquire
    from victwin.recon import reconstruct

    if tiny:
        grid, det, pitch = victre_grid(True), (24, 12), 10.625
    else:
        grid = Grid(shape=(45, 200, 120), spacing=(1.0, 0.5, 0.5),
                    origin=(0.25, -49.75, 20.5))
        det, pitch = (600, 300), 0.425
    thickness = grid.shape[0] * grid.spacing[0]
    dm_sys = tiny_system("victre-dm", det, pitch, one_sub_source=True)
    dbt_sys = tiny_system("victre-dbt", det, pitch, one_sub_source=True)
    g = grid
    centre = (float(g.origin[0] + 0.3 * g.shape[2] * g.spacing[2]),
              float(g.origin[1] + 0.5 * (g.shape[1] - 1) * g.spacing[1]),
              20.0 + thickness / 2.0)
    region = Region.around(centre, (9.3, 9.3, 9.0))
    if tiny:
        voi = Grid(shape=(2, 2, 2), spacing=(4.0, 4.0, 4.0),
                   origin=(region.lower_mm[0], region.lower_mm[1], region.lower_mm[2] + 0.5))
    else:
        voi_mm = pitch * (650.0 - 20.0) / 650.0
        n_xy = max(2, int(round(9.3 / voi_mm)))
        voi = Grid(shape=(9, n_xy, n_xy), spacing=(1.0, voi_mm, voi_mm),
                   origin=(region.lower_mm[0], region.lower_mm[1], region.lower_mm[2] + 0.5))
    out = {}
    for backend in ("cpu", "cuda"):
        xp = get_cupy() if backend == "cuda" and get_cupy() is not None else np
        ph = slab_phantom(grid, xp, thickness, seed)
        kw = dict(seed=5, case=1, backend=backend, region=region, progress=False,
                  rays_per_pixel=1, noise=False)
        dm = acquire(ph, dm_sys, **kw)
        dbt = acquire(ph, dbt_sys, views=[0, 12, 24], **kw)
        p, views = dbt.reconstruction_input(xp=xp)
        vol = reconstruct(p, views, voi, "fbp", thickness_mm=thickness, backend=backend,
                          progress=False)
        out[backend] = (np.concatenate([dm.line_integrals().ravel(),
                                        dbt.line_integrals().ravel()]), to_host(vol))
    rows = []
    for k, name in enumerate(("local case line integrals", "local case voi fbp")):
        row = {"check": name, **rel_errors(out["cuda"][k], out["cpu"][k])}
        row["ok"] = bool(row["rel_max"] <= TOLERANCE[name])
        rows.append(row)
        print(f"  {name}: rel max {row['rel_max']:.3g}, rel rms {row['rel_rms']:.3g}", flush=True)
    return rows


def acquire_small(name, det, pitch, phantom, backend, views):
    from victwin.acquisition import acquire

    system = tiny_system(name, det, pitch)
    return acquire(phantom, system, seed=11, case=3, backend=backend, rays_per_pixel=1,
                   views=views, progress=False, noise=False)


# ----------------------------------------------------------------------------- (b) timings

def victre_grid(tiny: bool) -> Grid:
    if tiny:
        return Grid(shape=(4, 8, 6), spacing=(6.0, 6.0, 6.0), origin=(3.0, -21.0, 23.0))
    # a 50 um VICTRE-size breast (as benchmarks/raytrace.py's victre case)
    return Grid(shape=(940, 1950, 1280), spacing=(0.05, 0.05, 0.05),
                origin=(0.025, -48.725, 20.025))


def time_label_projection(grid, labels, tiny: bool) -> dict:
    from victwin.raytrace import project_labels

    views = small_scan(25, 250) if tiny else tomosynthesis_arc(25, 50.0, 50.0)
    warm = labels[:2, :2, :2].copy()
    wgrid = Grid(shape=warm.shape, spacing=grid.spacing, origin=grid.origin)
    project_labels(warm, wgrid, views[:1], 4, backend="cuda", check_labels=False)  # compile
    t, _ = timed(lambda: project_labels(labels, grid, views, 4, backend="cuda",
                                        check_labels=False), warmup=0, repeat=2 if not tiny
                 else 1)
    xp = get_cupy() or np
    steps = count_steps(grid, views, xp)
    nv, nu = views[0].panel.shape
    from victwin.raytrace import _cuda

    return {"timing": "DBT project_labels, 0.05 mm VICTRE-size", "seconds": t,
            "launch": {"threads_per_block": _cuda.LABELS_LAUNCH[0],
                       "max_registers": _cuda.LABELS_LAUNCH[1],
                       "form": _cuda._FORMS[_cuda.LABELS_LAUNCH[2]]},
            "voxels": "x".join(map(str, grid.shape)), "views": len(views),
            "detector": f"{nv}x{nu}", "rays": len(views) * nv * nu, "steps": steps,
            "steps_per_s": steps / t}


def victre_systems(tiny: bool, tiny_shape, tiny_pitch_mm: float):
    """VICTRE's DM and DBT systems, or (``tiny``) the same with a small detector and one
    focal sub-source, for the simulator."""
    if tiny:
        return tuple(tiny_system(name, tiny_shape, tiny_pitch_mm, one_sub_source=True)
                     for name in ("victre-dm", "victre-dbt"))
    from victwin import systems

    return systems.load("victre-dm"), systems.load("victre-dbt")


def time_exam(phantom, tiny: bool) -> tuple[list[dict], object, dict]:
    """Full-field DM + 25-view DBT at 85 um (VICTRE's systems), the phantom on the GPU."""
    from victwin.acquisition import acquire

    dm_sys, dbt_sys = victre_systems(tiny, (12, 6), 21.25)
    # warm-up: compile every kernel on a small piece of the same phantom, one view each
    g = phantom.grid
    ny, nx = min(8, g.shape[1]), min(8, g.shape[2])
    piece = SimpleNamespace(labels=phantom.labels[:, :ny, :nx].copy(),
                            grid=Grid(shape=(g.shape[0], ny, nx), spacing=g.spacing,
                                      origin=g.origin),
                            materials=phantom.materials, meta=phantom.meta, lesions=())
    for system in (dm_sys, dbt_sys):
        acquire(piece, system, seed=1, backend="cuda", views=[0], progress=False)
    acqs = {}

    def exam():
        acqs["dm"] = acquire(phantom, dm_sys, seed=1, case=0, backend="cuda", progress=False)
        acqs["dbt"] = acquire(phantom, dbt_sys, seed=1, case=0, backend="cuda",
                              progress=False)
        return acqs

    t, _ = timed(exam, warmup=0, repeat=1)
    rows = [{"timing": "full-field DM + 25-view DBT exam, 85 um, phantom on the GPU",
             "seconds": t,
             "detector": "x".join(map(str, acqs["dbt"].raw.shape[1:])),
             "views": 1 + len(acqs["dbt"].views),
             "stages_s": {k: {s: round(v, 4) for s, v in a.timings_s.items()}
                          for k, a in acqs.items()}}]
    return rows, acqs["dbt"], dict(acqs["dbt"].devices)


def time_twin_regions(phantom, thickness_mm: float, tiny: bool) -> dict:
    """VICTRE's site count on one twin, as a trial images it: 20 regions (VICTRE: 4 masses,
    4 calcification clusters, 12 lesion-absent sites per phantom) on a 4 x 5 grid inside the
    breast, DM and 25-view DBT by ``acquire_regions`` (beam and coarse scatter pass once per
    twin and system), a VOI FBP per DBT region: the per-region cost a trial sees."""
    from victwin.acquisition import Region, acquire_regions
    from victwin.recon import reconstruct

    dm_sys, dbt_sys = victre_systems(tiny, (24, 12), 10.625)
    g = phantom.grid
    size = (9.3, 9.3, 9.0)
    lo, hi = np.asarray(g.lower_mm), np.asarray(g.upper_mm)
    # tiny (the simulator in CI): 2 regions, enough to run the shared-pass path
    nx_, ny_ = (1, 2) if tiny else (4, 5)
    xs = np.linspace(lo[0] + 0.15 * (hi[0] - lo[0]), lo[0] + 0.55 * (hi[0] - lo[0]), nx_)
    ys = np.linspace(lo[1] + 0.25 * (hi[1] - lo[1]), lo[1] + 0.75 * (hi[1] - lo[1]), ny_)
    z = 20.0 + thickness_mm / 2.0
    regions = [Region.around((float(x), float(y), z), size) for x in xs for y in ys]
    voi_mm = float(dbt_sys.geometry.pitch_mm) * (650.0 - 20.0) / 650.0
    n_xy = 2 if tiny else max(2, int(round(size[0] / voi_mm)))
    out = {}

    def twin():
        kw = dict(seed=5, case=2, backend="cuda", progress=False,
                  rays_per_pixel=1 if tiny else None)
        dm = acquire_regions(phantom, dm_sys, regions, **kw)
        # as a trial: no for-presentation processing of the DBT views (FBP reads raw)
        dbt = acquire_regions(phantom, dbt_sys, regions, presentation=False, **kw)
        vois = []
        for acq, region in zip(dbt, regions):
            p, views = acq.reconstruction_input(xp=get_cupy())
            voi = Grid(shape=(2, 2, 2) if tiny else (9, n_xy, n_xy),
                       spacing=(4.0, 4.0, 4.0) if tiny else (1.0, voi_mm, voi_mm),
                       origin=(region.lower_mm[0], region.lower_mm[1], region.lower_mm[2] + 0.5))
            vois.append(to_host(reconstruct(to_device(p), views, voi, "fbp",
                                            thickness_mm=thickness_mm, backend="cuda",
                                            progress=False)))
        out.update(dm=dm, dbt=dbt, vois=vois)
        return out

    t, _ = timed(twin, warmup=0 if tiny else 1, repeat=1)
    return {"timing": f"one twin at {len(regions)} sites (DM + DBT regions + VOI FBP)",
            "seconds": t, "regions": len(regions), "seconds_per_region": t / len(regions),
            "voi": "x".join(map(str, out["vois"][0].shape))}


def profile_top(fn, n: int, *, by_own_time: list | None = None) -> list[str]:
    """One more run of ``fn`` under cProfile: the ``n`` functions of largest cumulative time
    (wall, the host's view: a kernel's time shows where the host waits for it), printed and
    returned; ``by_own_time`` (a list) receives the ``n`` of largest own time, not printed."""
    import cProfile
    import io
    import pstats

    prof = cProfile.Profile()
    prof.enable()
    fn()
    synchronize()
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(n)
    lines = [ln.rstrip() for ln in buf.getvalue().splitlines() if ln.strip()]
    if by_own_time is not None:
        own = io.StringIO()
        pstats.Stats(prof, stream=own).sort_stats("tottime").print_stats(n)
        by_own_time += [ln.rstrip() for ln in own.getvalue().splitlines() if ln.strip()]
    for ln in lines:
        print("   ", ln)
    return lines


#: Launches of the label projection timed side by side: (threads per block, register cap,
#: traversal form: False plain, True prefetching, "zrun" prefetching with the z-only steps in
#: a loop of their own); the first is the plain kernel (victwin.raytrace._cuda.labels_kernel),
#: the second the prefetching form that was the default until the second session of
#: 2026-12-04, the fifth the default since (``_cuda.LABELS_LAUNCH``).
LABEL_VARIANTS = [(256, None, False), (128, 48, True), (128, 40, True), (128, 48, "zrun"),
                  (128, 40, "zrun"), (64, 48, "zrun"), (64, 40, "zrun"), (256, 40, "zrun")]


def time_label_variants(grid, labels, tiny: bool) -> list[dict]:
    """The same DBT label projection with each of :data:`LABEL_VARIANTS` (same numbers, checked
    against the first), one after the other in one process."""
    from victwin.raytrace import _cuda, project_labels

    views = small_scan(25, 250) if tiny else tomosynthesis_arc(25, 50.0, 50.0)
    xp = get_cupy() or np
    steps = count_steps(grid, views, xp)
    warm = labels[:2, :2, :2].copy()
    wgrid = Grid(shape=warm.shape, spacing=grid.spacing, origin=grid.origin)
    saved = _cuda.LABELS_LAUNCH
    rows, first = [], None
    try:
        for variant in LABEL_VARIANTS:
            _cuda.LABELS_LAUNCH = variant
            project_labels(warm, wgrid, views[:1], 4, backend="cuda", check_labels=False)
            t, out = timed(lambda: project_labels(labels, grid, views, 4, backend="cuda",
                                                  check_labels=False),
                           warmup=0, repeat=1 if tiny else 2)
            if first is None:
                first, diff = out, 0.0
            else:
                diff = float(xp.max(xp.abs(out - first)))
            threads, regs, form = variant
            rows.append({"threads_per_block": threads, "max_registers": regs,
                         "form": _cuda._FORMS[form], "seconds": t, "steps_per_s": steps / t,
                         "max_abs_diff_mm": diff})
            print(f"  {variant}: {t:.4f} s, {steps / t:.3g} steps/s, diff {diff:.3g} mm",
                  flush=True)
            del out
    finally:
        _cuda.LABELS_LAUNCH = saved
    return rows


def time_fbp(thickness_mm: float, tiny: bool, seed: int) -> dict:
    """FBP of a 25-view 85 um scan on the clinical grid (the detector pitch demagnified to
    the support in-plane, 1 mm slices), projections already on the GPU (random: the work does
    not depend on them)."""
    from victwin.recon import dbt_grid, reconstruct

    views = small_scan(25, 250) if tiny else tomosynthesis_arc(25, 50.0, 50.0)
    nv, nu = views[0].panel.shape
    rng = np.random.default_rng(seed)
    p = to_device(rng.random((len(views), nv, nu), dtype=np.float32))
    grid = dbt_grid(views, thickness_mm)
    reconstruct(p, views, grid.slab(0, 1), "fbp", thickness_mm=thickness_mm, backend="cuda",
                progress=False)  # warm-up: compile
    t, vol = timed(lambda: reconstruct(p, views, grid, "fbp", thickness_mm=thickness_mm,
                                       backend="cuda", progress=False), warmup=0, repeat=1)
    return {"timing": "FBP on the clinical grid (1 mm slices)", "seconds": t,
            "voxels": "x".join(map(str, grid.shape)), "views": len(views),
            "detector": f"{nv}x{nu}", "voxel_mm": list(grid.spacing),
            "output": type(vol).__module__.split(".")[0]}


def time_lesion_local(phantom, thickness_mm: float, tiny: bool) -> dict:
    """VICTRE fidelity, lesion-local: DM and 25-view DBT crops around a 9.3 x 9.3 x 9 mm VOI
    (VICTRE's mass VOI), VOI FBP on the GPU; only the ROI/VOI come back to the host."""
    from victwin.acquisition import Region, acquire
    from victwin.recon import reconstruct

    dm_sys, dbt_sys = victre_systems(tiny, (24, 12), 10.625)
    size = (9.3, 9.3, 9.0)
    g = phantom.grid
    centre = (float(g.origin[0] + 0.3 * g.shape[2] * g.spacing[2]),
              float(g.origin[1] + 0.5 * (g.shape[1] - 1) * g.spacing[1]),
              20.0 + thickness_mm / 2.0)
    region = Region.around(centre, size)
    voi_mm = float(dbt_sys.geometry.pitch_mm) * (650.0 - 20.0) / 650.0
    n_xy = max(2, int(round(size[0] / voi_mm))) if not tiny else 2
    voi = Grid(shape=(9, n_xy, n_xy) if not tiny else (2, 2, 2),
               spacing=(1.0, voi_mm, voi_mm) if not tiny else (4.0, 4.0, 4.0),
               origin=(region.lower_mm[0], region.lower_mm[1], region.lower_mm[2] + 0.5))
    out = {}

    def case(present_dbt: bool = False):
        kw = dict(seed=5, case=1, backend="cuda", region=region, progress=False,
                  rays_per_pixel=1 if tiny else None)
        dm = acquire(phantom, dm_sys, **kw)
        # as a trial case (victwin.trial._runner): FBP reads the raw projections, so the DBT
        # views get no for-presentation processing (before 2026-12-04's second session this
        # timing included it; "seconds_dbt_presented" times that form)
        dbt = acquire(phantom, dbt_sys, presentation=present_dbt, **kw)
        p, views = dbt.reconstruction_input(xp=get_cupy())
        vol = reconstruct(to_device(p), views, voi, "fbp", thickness_mm=thickness_mm,
                          backend="cuda", progress=False)
        out.update(dm_roi=dm.line_integrals(), voi=to_host(vol), dm=dm, dbt=dbt)
        return out

    # best of three: the case is ~1 s, most of it host-side (Python, launches, the CPU parts
    # of the display processing), which the node's other work makes jitter by ~30 %
    t, _ = timed(case, warmup=0 if tiny else 1, repeat=1 if tiny else 3)
    from victwin.acquisition import _coarse

    _coarse.ON_DEVICE = False   # the coarse pass's primary and scatter on the CPU, as before
    try:
        t_cpu_coarse, _ = timed(case, warmup=0, repeat=1 if tiny else 3)
    finally:
        _coarse.ON_DEVICE = True
    t_presented, _ = timed(lambda: case(present_dbt=True), warmup=0, repeat=1 if tiny else 3)
    print(f"  coarse pass on the GPU {t:.3f} s, its primary and scatter on the CPU "
          f"{t_cpu_coarse:.3f} s; with the DBT views presented {t_presented:.3f} s", flush=True)
    own: list = []
    profile = profile_top(case, 25, by_own_time=own)
    return {"timing": "VICTRE-fidelity lesion-local case (DM + DBT + VOI FBP)", "seconds": t,
            "seconds_coarse_pass_on_cpu": t_cpu_coarse, "seconds_dbt_presented": t_presented,
            "profile_top": profile,
            "profile_own_time": own,
            "roi": "x".join(map(str, out["dm_roi"].shape)),
            "voi": "x".join(map(str, out["voi"].shape)),
            "devices": dict(out["dbt"].devices),
            "stages_s": {k: {s: round(v, 4) for s, v in out[k].timings_s.items()}
                         for k in ("dm", "dbt")}}


# ---------------------------------------------------------------------------------- main

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tiny", action="store_true",
                    help="tiny sizes (CI, under NUMBA_ENABLE_CUDASIM=1)")
    ap.add_argument("--budget-s", type=float, default=450.0,
                    help="stop starting new timings after this many seconds (default 450)")
    ap.add_argument("--out", default=None, help="JSON path (default benchmarks/results/gpu.json;"
                    " with --tiny a file in the temp folder)")
    ap.add_argument("--seed", type=int, default=None, help="seed of the random inputs "
                    "(default: fresh)")
    args = ap.parse_args(argv)
    # numba's note on small grids (a lesion-local crop's launches): dozens of lines per run
    # that would push the figures out of a node's captured output
    warnings.filterwarnings("ignore", message=r".*Grid size \d+ will likely result in GPU "
                            "under-utilization")
    t_start = time.perf_counter()
    seed = int(args.seed if args.seed is not None else np.random.SeedSequence().entropy % 2**31)
    if args.out is None:
        import tempfile
        out_path = (Path(tempfile.gettempdir()) / "victwin_gpu_check_tiny.json" if args.tiny
                    else RESULTS / "gpu.json")
    else:
        out_path = Path(args.out)
    usable, reason = cuda_status()
    if not usable:
        print(f"gpu_check: CUDA is not usable here: {reason}", file=sys.stderr)
        return 2
    device = device_info()
    print(f"device: {device.get('gpu', 'numba CUDA simulator' if SIM else '?')}; "
          f"seed {seed}", flush=True)
    result = {"mode": "tiny" if args.tiny else "full", "seed": seed,
              "environment": environment(), "device": device,
              "note": ("tiny/simulated run: timings are not GPU figures" if (args.tiny or SIM)
                       else "measured on the GPU named in device"),
              "checks": [], "timings": [], "skipped": [], "errors": []}

    def left():
        return args.budget_s - (time.perf_counter() - t_start)

    def step(name, fn, need_s):
        if left() < need_s:
            result["skipped"].append(f"{name}: {left():.0f} s of the budget left, needs "
                                     f"~{need_s:.0f} s")
            print(f"skipped {name} (budget)", flush=True)
            return None
        print(f"{name} ...", flush=True)
        t0 = time.perf_counter()
        try:
            return fn()
        except Exception as exc:
            result["errors"].append(f"{name}: {type(exc).__name__}: {exc}")
            traceback.print_exc()
            return None
        finally:
            print(f"  ({time.perf_counter() - t0:.1f} s wall)", flush=True)
            save_partial()

    def save_partial():
        # after every step, so a run stopped by the hard timeout still leaves its figures
        result["total_s"] = time.perf_counter() - t_start
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_text(json.dumps(result, indent=2, default=float) + "\n")

    rows = step("(a) kernels vs CPU", lambda: check_kernels(args.tiny, seed), 0)
    result["checks"] += rows or []
    pair = step("(a) whole case vs CPU", lambda: case_pair(args.tiny, seed), 0)
    if pair:
        result["checks"] += pair[0]
        result["stages_small_case"] = pair[1]
    result["checks"] += step("(a) lesion-local case vs CPU", lambda: local_pair(args.tiny, seed),
                             0) or []

    xp = get_cupy() or np
    grid = victre_grid(args.tiny)
    thickness = grid.shape[0] * grid.spacing[0]
    phantom = step("phantom on the device", lambda: slab_phantom(grid, xp, thickness, seed),
                   20)
    if phantom is not None:
        row = step("(b) label projection", lambda: time_label_projection(
            grid, phantom.labels, args.tiny), 60)
        if row:
            result["timings"].append(row)
        rows = step("(b) label projection launch variants", lambda: time_label_variants(
            grid, phantom.labels, args.tiny), 40)
        if rows:
            result["label_variants"] = rows
            worst = max(r["max_abs_diff_mm"] for r in rows)
            result["checks"].append({"check": "label projection variants", "rel_max": worst,
                                     "rel_rms": 0.0, "n": len(rows),
                                     "measure": "largest |difference| (mm) from the plain "
                                                "launch", "ok": worst == 0.0})
        # cheapest first: a slow exam (CPU detector stages) must not starve the others
        row = step("(b) lesion-local case", lambda: time_lesion_local(phantom, thickness,
                                                                       args.tiny), 45)
        if row:
            result["timings"].append(row)
    if phantom is not None:
        row = step("(b) twin at 20 sites", lambda: time_twin_regions(phantom, thickness,
                                                                      args.tiny), 60)
        if row:
            result["timings"].append(row)
    row = step("(b) FBP clinical grid", lambda: time_fbp(thickness, args.tiny, seed), 45)
    if row:
        result["timings"].append(row)
    if phantom is not None:
        exam = step("(b) DM + DBT exam", lambda: time_exam(phantom, args.tiny), 120)
        if exam:
            result["timings"] += exam[0]
            result["stages_exam"] = exam[2]

    result["total_s"] = time.perf_counter() - t_start
    by_name = {r["timing"]: r for r in result["timings"]}
    checks = []
    for key, target in TARGETS.items():
        if key.startswith("label"):
            r = by_name.get("DBT project_labels, 0.05 mm VICTRE-size")
            val = r and r["steps_per_s"]
            ok = val is not None and val >= target
        elif key.startswith("DM"):
            r = next((v for k, v in by_name.items() if k.startswith("full-field")), None)
            val = r and r["seconds"]
            ok = val is not None and val < target
        else:
            r = next((v for k, v in by_name.items() if k.startswith("VICTRE-fidelity")), None)
            val = r and r["seconds"]
            ok = val is not None and val < target
        checks.append({"target": key, "goal": target, "value": val,
                       "met": bool(ok) if not (args.tiny or SIM) else "n/a (not a GPU run)"})
    result["targets"] = checks
    write_json("gpu", result, str(out_path))

    print()
    print_table([{k: r.get(k) for k in ("check", "rel_max", "rel_rms", "ok")}
                 for r in result["checks"]], ["check", "rel_max", "rel_rms", "ok"])
    print()
    print_table([{"timing": r["timing"], "seconds": r["seconds"],
                  "steps_per_s": r.get("steps_per_s", "")} for r in result["timings"]],
                ["timing", "seconds", "steps_per_s"])
    print()
    print_table(checks, ["target", "goal", "value", "met"])
    for line in result["skipped"] + result["errors"]:
        print("!", line)
    print(f"device: {device.get('gpu', 'simulator')}  driver: "
          f"{device.get('nvidia_smi', device.get('cuda_driver_api', '-'))}  "
          f"total {result['total_s']:.0f} s")
    bad = [r["check"] for r in result["checks"] if not r["ok"]]
    return 1 if bad or result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
