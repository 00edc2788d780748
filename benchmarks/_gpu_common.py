"""Helpers of benchmarks/gpu_check.py: device record, CUDA-event timing, transfers, relative
errors, and the shared inputs (breast-like labels made on the device, ray-voxel step count,
small systems)."""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import time
from types import SimpleNamespace

import numpy as np

from victwin._backend import cuda_status, get_cupy
from victwin.geometry import Grid, tomosynthesis_arc, views_to_arrays

SIM = os.environ.get("NUMBA_ENABLE_CUDASIM", "0") == "1"


# ----------------------------------------------------------------------------- environment

def device_info() -> dict:
    """GPU model, driver and the versions of CuPy and numba's CUDA target."""
    usable, reason = cuda_status()
    info = {"simulator": SIM, "cuda_usable": usable, "cuda_reason": reason}
    for dist in ("cupy-cuda13x", "cupy-cuda12x", "numba-cuda", "numba"):
        try:
            info[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            pass
    try:
        from numba import cuda

        info["numba_cuda_module"] = cuda.__name__ if hasattr(cuda, "__name__") else str(cuda)
    except Exception as exc:  # pragma: no cover - depends on the install
        info["numba_cuda_module"] = f"error: {exc}"
    cp = get_cupy()
    if cp is not None:
        props = cp.cuda.runtime.getDeviceProperties(0)
        name = props["name"]
        info.update(gpu=name.decode() if isinstance(name, bytes) else str(name),
                    gpu_memory_gib=props["totalGlobalMem"] / 2**30,
                    multiprocessors=props["multiProcessorCount"],
                    cuda_driver_api=cp.cuda.runtime.driverGetVersion(),
                    cuda_runtime_api=cp.cuda.runtime.runtimeGetVersion())
    smi = shutil.which("nvidia-smi")
    if smi:
        try:
            out = subprocess.run([smi, "--query-gpu=name,driver_version,memory.total",
                                  "--format=csv,noheader"], capture_output=True, text=True,
                                 timeout=20).stdout.strip()
            info["nvidia_smi"] = out
        except Exception as exc:  # pragma: no cover
            info["nvidia_smi"] = f"error: {exc}"
    return info


def synchronize():
    cp = get_cupy()
    if cp is not None:
        cp.cuda.runtime.deviceSynchronize()


def timed(fn, *, warmup: int = 1, repeat: int = 1):
    """``(best seconds, last result)``: CUDA events around ``fn`` after ``warmup`` calls
    (wall clock where there is no CuPy, e.g. under the simulator)."""
    cp = get_cupy()
    out = None
    for _ in range(warmup):
        out = fn()
    synchronize()
    best = np.inf
    for _ in range(repeat):
        if cp is not None:
            start, stop = cp.cuda.Event(), cp.cuda.Event()
            start.record()
            out = fn()
            stop.record()
            stop.synchronize()
            t = cp.cuda.get_elapsed_time(start, stop) / 1000.0
        else:
            t0 = time.perf_counter()
            out = fn()
            t = time.perf_counter() - t0
        best = min(best, t)
    return best, out


def to_host(a):
    return a.get() if hasattr(a, "get") else np.asarray(a)


def to_device(a):
    cp = get_cupy()
    return np.asarray(a) if cp is None else cp.asarray(a)


def rel_errors(gpu, cpu) -> dict:
    g = to_host(gpu).astype(np.float64)
    c = to_host(cpu).astype(np.float64)
    diff = g - c
    scale = float(np.max(np.abs(c))) or 1.0
    rms = float(np.sqrt(np.mean(c * c))) or 1.0
    return {"rel_max": float(np.max(np.abs(diff))) / scale,
            "rel_rms": float(np.sqrt(np.mean(diff * diff))) / rms, "n": int(c.size)}


# ------------------------------------------------------------------------- shared inputs

def breast_labels(grid: Grid, xp, seed: int = 0):
    """Half-ellipse breast: adipose (1), blobs of glandular (2), skin (3) top and bottom;
    made on the device of ``xp`` (the ray-voxel work does not depend on the content)."""
    rng = np.random.default_rng(seed)
    nz, ny, nx = grid.shape
    x = (xp.arange(nx) + 0.5) / nx
    y = (xp.arange(ny) + 0.5) / ny - 0.5
    inside = (x[None, :] ** 2 + (2 * y[:, None]) ** 2) < 1.0
    coarse = xp.asarray(rng.random((max(nz // 25, 2), max(ny // 25, 2), max(nx // 25, 2))) > 0.6)
    for axis, n in enumerate(grid.shape):
        coarse = xp.repeat(coarse, -(-n // coarse.shape[axis]), axis=axis)
    gland = coarse[:nz, :ny, :nx]
    # broadcasting only (no mixed slice / boolean-mask indexing), uint8 throughout
    u8 = np.uint8
    labels = xp.where(inside[None], xp.where(gland, u8(2), u8(1)), u8(0)).astype(u8)
    skin = xp.where(inside, u8(3), u8(0)).astype(u8)
    labels[:2] = skin[None]
    labels[-2:] = skin[None]
    return labels


def count_steps(grid: Grid, views, xp, rays_per_pixel: int = 1) -> int:
    """Voxels visited by all rays (source to pixel centre), counted from each ray's entry and
    exit voxel (planes crossed + 1), independently of the kernels; ``k x k`` sub-rays count
    as ``k^2`` rays of the pixel centre's length."""
    geo = views_to_arrays(views)
    nv, nu = geo["shape"]
    lo, hi, d = (xp.asarray(a) for a in (grid.lower_mm, grid.upper_mm, grid.spacing_xyz))
    n = xp.asarray(grid.shape_xyz)
    jj, ii = xp.meshgrid(xp.arange(nv, dtype=np.float64), xp.arange(nu, dtype=np.float64),
                         indexing="ij")
    jj, ii = jj.ravel(), ii.ravel()
    total = 0
    for b in range(len(geo["source"])):
        s = xp.asarray(geo["source"][b])
        e = (xp.asarray(geo["corner"][b]) + ii[:, None] * xp.asarray(geo["du"][b])
             + jj[:, None] * xp.asarray(geo["dv"][b]))
        r = e - s
        with np.errstate(divide="ignore", invalid="ignore"):
            ta, tb = (lo - s) / r, (hi - s) / r
            t0 = xp.max(xp.where(r == 0, -xp.inf, xp.minimum(ta, tb)), axis=1)
            t1 = xp.min(xp.where(r == 0, xp.inf, xp.maximum(ta, tb)), axis=1)
        inside_par = xp.all((r != 0) | ((s >= lo) & (s < hi)), axis=1)
        t0, t1 = xp.maximum(t0, 0.0), xp.minimum(t1, 1.0)
        hit = inside_par & (t1 > t0)
        p0 = s + t0[hit][:, None] * r[hit]
        p1 = s + t1[hit][:, None] * r[hit]
        i0 = xp.clip(xp.floor((p0 - lo) / d), 0, n - 1)
        i1 = xp.clip(xp.floor((p1 - lo) / d), 0, n - 1)
        total += int(xp.abs(i1 - i0).sum()) + int(hit.sum())
    return total * rays_per_pixel ** 2


def small_scan(n_views: int, binning: int):
    return tomosynthesis_arc(n_views, 50.0 * (n_views - 1) / 24.0, 50.0,
                             detector_binning=binning)


def tiny_system(name: str, shape, pitch_mm: float, *, one_sub_source: bool = False):
    """A shipped system with a smaller detector (same physics; ``one_sub_source``: the
    source blur, if any, sampled with one sub-source, for the simulator)."""
    import tomllib

    from victwin import systems

    with open(systems.load(name).source, "rb") as fh:
        data = tomllib.load(fh)
    data["geometry"]["detector_shape"] = list(shape)
    data["geometry"]["pitch_mm"] = float(pitch_mm)
    data["geometry"]["binning"] = 1
    if one_sub_source and "blur" in data:
        data["blur"].update({"n_focal": 1, "n_motion": 1})
    return systems.from_dict(data, source=f"{name}-small")


def slab_phantom(grid: Grid, xp, thickness_mm: float, seed: int = 0):
    """A phantom-like value (labels on the device of ``xp``, writable)."""
    labels = breast_labels(grid, xp, seed)
    return SimpleNamespace(labels=labels, grid=grid, lesions=(),
                           materials={0: "air", 1: "adipose", 2: "glandular", 3: "skin"},
                           meta={"thickness_mm": float(thickness_mm),
                                 "glandular_fraction_mass": 0.3})
