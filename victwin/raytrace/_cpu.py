"""CPU kernels: the traversal of ``_traverse`` compiled with ``numba.njit(parallel=True)``.

Rows of detector pixels (one view, one detector row) are spread over threads with ``prange``;
a co-prime stride interleaves the rows so that each thread's static share covers the whole
detector (rays that miss the object are cheap, so contiguous shares would be unbalanced).
Backprojection scatters into ``N_CHUNKS`` private accumulators, one per interleaved share of
rows, summed in a fixed order afterwards: the result does not depend on the thread count.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numba
import numpy as np
from numba import prange

from . import _interp, _traverse


def _drop_stale_cache() -> None:
    """Drop this module's numba cache when ``_traverse.py`` or ``_interp.py`` changed.

    numba's cache only checks the file that defines a kernel, not the files of the functions
    it inlines, so an edited traversal would otherwise keep running from a stale cache.
    """
    here = Path(__file__).resolve().parent
    try:
        sources = b"".join((here / name).read_bytes() for name in ("_traverse.py", "_interp.py"))
        digest = hashlib.sha256(sources).hexdigest()[:16]
        cache = here / "__pycache__"
        stamp = cache / "_traverse.sha256"
        if stamp.exists() and stamp.read_text() == digest:
            return
        cache.mkdir(exist_ok=True)
        for f in cache.glob("_cpu.*.nb[ic]"):
            f.unlink(missing_ok=True)
        stamp.write_text(digest)
    except OSError:  # read-only install: numba then compiles in memory anyway
        pass


_drop_stale_cache()

#: Number of private accumulators for CPU backprojection (fixed so results are reproducible
#: on any machine; memory is N_CHUNKS x the volume in float32).
N_CHUNKS = 4

_jit = numba.njit(cache=True, inline="always", fastmath=False)
# Helpers of the per-ray functions are left to LLVM's inliner (see _traverse.build).
_trace_labels, _trace_volume, _trace_backproject = _traverse.build(
    _jit, inner_jit=numba.njit(cache=True, fastmath=False))
_ray_end = _jit(_traverse.ray_end_py)
_sample, _sample_view, _voxel = _interp.build(_jit)


@numba.njit(cache=True)
def _row_stride(n_rows):
    # A prime stride co-prime with n_rows permutes 0..n_rows-1.
    for p in (7919, 7907, 7901, 7883):
        if n_rows % p != 0:
            return p % max(n_rows, 1) if n_rows > 1 else 1
    return 1


@numba.njit(parallel=True, cache=True)
def labels_kernel(labels, source, corner, du, dv, lo, d, k, out):
    """``out[b, label, j, i] += path length`` for views ``b`` (see ``project_labels``)."""
    n_views, _, nv, nu = out.shape
    nz, ny, nx = labels.shape
    flat = labels.ravel()
    n_rows = n_views * nv
    stride = _row_stride(n_rows)
    w = 1.0 / (k * k)
    for q in prange(n_rows):
        row = (q * stride) % n_rows
        b = row // nv
        j = row % nv
        sx, sy, sz = source[b, 0], source[b, 1], source[b, 2]
        for i in range(nu):
            for c in range(k):
                for a in range(k):
                    ex, ey, ez = _ray_end(corner, du, dv, b, j, i, a, c, k)
                    _trace_labels(flat, out, b, j, i, sx, sy, sz, ex, ey, ez, w,
                                  lo[0], lo[1], lo[2], d[0], d[1], d[2], nx, ny, nz)


@numba.njit(parallel=True, cache=True)
def forward_kernel(volume, source, corner, du, dv, lo, d, out):
    """``out[b, j, i]`` = line integral of ``volume`` from the source to pixel ``[j, i]``."""
    n_views, nv, nu = out.shape
    nz, ny, nx = volume.shape
    flat = volume.ravel()
    n_rows = n_views * nv
    stride = _row_stride(n_rows)
    for q in prange(n_rows):
        row = (q * stride) % n_rows
        b = row // nv
        j = row % nv
        sx, sy, sz = source[b, 0], source[b, 1], source[b, 2]
        for i in range(nu):
            ex, ey, ez = _ray_end(corner, du, dv, b, j, i, 0, 0, 1)
            out[b, j, i] = _trace_volume(flat, sx, sy, sz, ex, ey, ez,
                                         lo[0], lo[1], lo[2], d[0], d[1], d[2], nx, ny, nz)


@numba.njit(parallel=True, cache=True)
def backproject_kernel(projections, source, corner, du, dv, lo, d, acc):
    """``acc[c]`` += adjoint of ``forward_kernel`` for the rows of chunk ``c``."""
    n_views, nv, nu = projections.shape
    n_chunks, nz, ny, nx = acc.shape
    flat = acc.reshape((n_chunks, nz * ny * nx))
    n_rows = n_views * nv
    stride = _row_stride(n_rows)
    for c in prange(n_chunks):
        for q in range(c, n_rows, n_chunks):
            row = (q * stride) % n_rows
            b = row // nv
            j = row % nv
            sx, sy, sz = source[b, 0], source[b, 1], source[b, 2]
            for i in range(nu):
                value = projections[b, j, i]
                if value == 0.0:
                    continue
                ex, ey, ez = _ray_end(corner, du, dv, b, j, i, 0, 0, 1)
                _trace_backproject(flat, c, value, sx, sy, sz, ex, ey, ez,
                                   lo[0], lo[1], lo[2], d[0], d[1], d[2], nx, ny, nz)


@numba.njit(parallel=True, cache=True)
def sum_chunks(acc, out):
    """``out = acc.sum(axis=0)`` in a fixed order, in parallel over slices."""
    n_chunks, nz, ny, nx = acc.shape
    for z in prange(nz):
        for y in range(ny):
            for x in range(nx):
                s = np.float32(0.0)
                for c in range(n_chunks):
                    s += acc[c, z, y, x]
                out[z, y, x] = s


@numba.njit(parallel=True, cache=True)
def interpolate_kernel(q, P, origin, spacing, average, out):
    """Voxel-driven backprojection of ``q [n_views, nv, nu]`` into ``out [z, y, x]``.

    Each voxel gets the sum (``average`` False) or the mean (True; 0 where no view sees it)
    of the bilinear samples of the views at its centre's projections (see ``_interp``).
    Rows of voxels (one z, one y) are spread over threads, one view at a time per row. When a
    view's detector rows and magnification do not change along x (the panel's columns run
    along x, as in every victwin DBT scan) the row's projection is a straight line along one
    detector row, walked with one multiply-add per voxel; other views take the general
    per-voxel projection. Every voxel is computed alone, so the result does not depend on the
    thread count.
    """
    n_views, nv, nu = q.shape
    nz, ny, nx = out.shape
    for r in prange(nz * ny):
        iz = r // ny
        iy = r % ny
        z = origin[2] + iz * spacing[2]
        y = origin[1] + iy * spacing[1]
        acc = np.zeros(nx)
        cnt = np.zeros(nx)
        for k in range(n_views):
            if P[k, 2, 0] == 0.0 and P[k, 1, 0] == 0.0:
                w = P[k, 2, 1] * y + P[k, 2, 2] * z + P[k, 2, 3]
                if w <= 0.0:
                    continue
                inv = 1.0 / w
                vj = (P[k, 1, 1] * y + P[k, 1, 2] * z + P[k, 1, 3]) * inv
                if not (vj >= 0.0 and vj <= nv - 1.0):
                    continue
                a0 = (P[k, 0, 0] * origin[0] + P[k, 0, 1] * y + P[k, 0, 2] * z
                      + P[k, 0, 3]) * inv
                a1 = P[k, 0, 0] * spacing[0] * inv
                for ix in range(nx):
                    val, seen = _sample(q, k, a0 + a1 * ix, vj, nv, nu)
                    acc[ix] += val
                    cnt[ix] += seen
            else:
                for ix in range(nx):
                    val, seen = _sample_view(q, P, k, origin[0] + ix * spacing[0], y, z, nv, nu)
                    acc[ix] += val
                    cnt[ix] += seen
        for ix in range(nx):
            if average:
                out[iz, iy, ix] = acc[ix] / cnt[ix] if cnt[ix] > 0.0 else 0.0
            else:
                out[iz, iy, ix] = acc[ix]


def kernels_cached() -> bool:
    """Whether numba's disk cache holds the CPU ray-tracing kernel (False on a first run)."""
    from victwin._firstrun import kernels_cached as cached

    return cached(labels_kernel)
