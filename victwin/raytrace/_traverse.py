"""Per-ray voxel traversal, written once as plain Python and compiled for CPU and CUDA.

The traversal is Siddon's exact radiological path (Siddon 1985, Med Phys 12:252) walked
incrementally as Amanatides & Woo (Eurographics 1987): a ray from the source ``s`` to a point
``e`` on the detector is parametrised ``p(t) = s + t (e - s)``, ``t`` in ``[0, 1]``; it is
clipped to the grid's box, then the next crossing ``t`` of an x, y or z voxel plane is kept per
axis and the smallest one ends the current segment. Every segment's length is exact (up to
float64 rounding), so per-label path lengths add up exactly.

Voxel ``[iz, iy, ix]`` covers the half-open box ``[lo + i d, lo + (i + 1) d)`` on each axis, so a
ray lying exactly on a voxel plane belongs to the voxel above it; a ray that only grazes the
box (zero length inside) contributes nothing.

:func:`build` compiles the functions with a given ``jit`` (``numba.njit`` or
``numba.cuda.jit(device=True)``) and a ``deposit`` function for the backprojection scatter
(a plain add on the CPU, where each thread owns its accumulator, and an atomic add on the GPU).
Only scalars and array element accesses are used, so both targets accept the code.
"""

from __future__ import annotations

import math

import numpy as np

INF = math.inf


# Plain two-argument min/max: numba's CUDA target does not compile the builtin ``min``/``max``
# on floats inside device functions (found by compiling the kernels to PTX for sm_90), so the
# traversal uses these on both targets.
def _min2(a, b):
    return a if a < b else b


def _max2(a, b):
    return a if a > b else b


def _advance_py(tn, ix, iy, off, stx, sty, ystep, zstep, tnx, tny, tnz, dtx, dty, dtz,
                nx, ny, n_voxels, mxy, t1):
    """Step every axis whose plane crossing is at ``tn`` (several at an edge or corner).

    ``mxy`` is ``min(tnx, tny, t1)``: when it lies beyond ``tn`` neither x nor y steps, so a
    step that crosses only a z plane (most steps of a mammography ray) tests and updates z
    alone. ``ystep`` and ``zstep`` are the linear offset's steps along y and z (``sty * nx``,
    ``stz * nx * ny``, made once per ray). Returns the new x and y indices, linear offset,
    crossings and ``mxy``, and ``True`` when the ray has left the grid. Only a stepped axis can
    leave, so only it is checked; z is not counted: with x and y inside, the offset leaves
    ``[0, n_voxels)`` exactly when z leaves the grid (without a z index the compiler cannot
    rebuild the offset from it by multiplications, which it did on the GPU).
    """
    out = False
    if mxy <= tn:
        if tnx <= tn:
            ix += stx
            off += stx
            tnx += dtx
            out = ix < 0 or ix >= nx
        if tny <= tn:
            iy += sty
            off += ystep
            tny += dty
            out = out or iy < 0 or iy >= ny
        # _min2 spelled out: plain Python functions are not callable from a compiled one
        mxy = tnx if tnx < tny else tny
        mxy = t1 if mxy > t1 else mxy
    if tnz <= tn:
        off += zstep
        tnz += dtz
        out = out or off < 0 or off >= n_voxels
    return ix, iy, off, tnx, tny, tnz, mxy, out


def _next_crossing_py(mxy, tnz):
    """``min(tnx, tny, tnz, t1)`` given ``mxy = min(tnx, tny, t1)``: the end of the segment."""
    return mxy if mxy < tnz else tnz


def _first_t_py(t, t1, mxy, tnz):
    """The traversal's start ``t``, lowered to the first crossing where rounding put the
    crossing before the entry point (a ray entering at a voxel corner): every segment
    ``next crossing - t`` is then >= 0 without a clamp, since the crossings only grow. A ray
    that misses the box (``t >= t1``) keeps its ``t``."""
    if t < t1:
        tn = mxy if mxy < tnz else tnz
        if tn < t:
            return tn
    return t


def _read_py(a, off):
    """``a[off]`` for an ``off`` >= 0, read without the negative-index wrap (an unsigned
    index: two integer instructions fewer per step on the GPU)."""
    return a[np.uint64(off)]


def _accumulate_py(out, b, j, i, w, label, current, run, seg):
    """Run-length accumulation of one segment of ``seg`` mm in voxel label ``label``: labels
    are spatially coherent, so ``out[b, current, j, i]`` is written only when the label
    changes. Returns the new ``(current, run)``; ``current`` < 0: nothing run yet."""
    if label != current:
        if current >= 0:
            out[b, current, j, i] += w * run
        return label, seg
    return current, run + seg


def _deposit_add_py(acc, c, off, w):
    acc[c, off] += w


def build(jit, deposit_py=_deposit_add_py, *, inner_jit=None, labels_prefetch=False):
    """Compile the per-ray functions with ``jit``, their helpers with ``inner_jit`` (or ``jit``).

    The CPU build inlines the three per-ray functions into its kernels at numba's IR level but
    leaves their helpers (clipping, stepping, min/max) to LLVM's inliner: numba deep-copies a
    callee's IR at every IR-level inlining, and doing that for the nested helpers was most of
    the ray tracer's first-run compile time (30.5 -> 10.9 CPU-s for the labels, forward and
    backprojection kernels; the kernels' speed and output bytes unchanged; NOTES.md).

    The volume, label and accumulator arrays are passed flattened (C order), so a voxel is
    reached through one linear offset that the traversal updates incrementally.

    The segment ends at ``min(tnx, tny, tnz, t1)``; ``min(tnx, tny)`` is carried from step to
    step and recomputed only when x or y steps (``_advance_py``), so a step that crosses only a
    z plane -- most steps of a mammography ray through 0.1 mm voxels -- has one add and one min
    on its dependency chain instead of one add and two mins. The minimum and the crossings are
    the same numbers either way, so the path lengths are bit for bit those of the plain form
    (10-15 % faster on the CPU, NOTES.md "DBT site cost").

    Returns
    -------
    (trace_labels, trace_volume, trace_backproject)
        ``trace_labels(labels, out, b, j, i, sx, sy, sz, ex, ey, ez, w, lo..., d..., n...)`` adds
        ``w`` times each label's path length (mm) to ``out[b, label, j, i]``;
        ``trace_volume(volume, sx, ..., n...)`` returns the line integral (value x mm);
        ``trace_backproject(acc, c, value, sx, ..., n...)`` adds ``value`` times each segment
        length to ``acc[c, voxel]`` through ``deposit``. With ``labels_prefetch`` two more,
        ``trace_labels_prefetch`` (same arguments and numbers as ``trace_labels``, the next
        label read one step ahead) and ``trace_labels_zrun`` (the same, its z-only steps in a
        loop of their own); used by the CUDA build.
    """
    inner = jit if inner_jit is None else inner_jit
    min2 = inner(_min2)
    max2 = inner(_max2)
    advance = inner(_advance_py)
    next_crossing = inner(_next_crossing_py)
    first_t = inner(_first_t_py)
    read = inner(_read_py)
    accumulate = inner(_accumulate_py)
    deposit = inner(deposit_py)

    def setup(sx, sy, sz, ex, ey, ez, lox, loy, loz, dx, dy, dz, nx, ny, nz):
        """Clip the ray to the grid box and find its first voxel and next plane crossings.

        Distances along the ray are in mm from the source. Returns
        ``(t0, t1, ix, iy, iz, off, stx, sty, stz, ystep, zstep, tnx, tny, tnz, dtx, dty, dtz)``
        where ``off`` is the linear index of voxel ``[iz, iy, ix]`` in the C-ordered volume,
        ``st*`` the index step (-1, 0, 1), ``ystep``/``zstep`` the linear index's step along y
        and z, ``tn*`` the distance of the next plane crossing and ``dt*`` the distance between
        crossings along each axis; ``t0 >= t1`` when the ray misses the box.
        """
        rx = ex - sx
        ry = ey - sy
        rz = ez - sz
        length = math.sqrt(rx * rx + ry * ry + rz * rz)
        t0 = 0.0
        t1 = 1.0
        hix = lox + nx * dx
        hiy = loy + ny * dy
        hiz = loz + nz * dz
        if rx != 0.0:
            ta = (lox - sx) / rx
            tb = (hix - sx) / rx
            t0 = max2(t0, min2(ta, tb))
            t1 = min2(t1, max2(ta, tb))
        elif sx < lox or sx >= hix:
            t1 = -1.0
        if ry != 0.0:
            ta = (loy - sy) / ry
            tb = (hiy - sy) / ry
            t0 = max2(t0, min2(ta, tb))
            t1 = min2(t1, max2(ta, tb))
        elif sy < loy or sy >= hiy:
            t1 = -1.0
        if rz != 0.0:
            ta = (loz - sz) / rz
            tb = (hiz - sz) / rz
            t0 = max2(t0, min2(ta, tb))
            t1 = min2(t1, max2(ta, tb))
        elif sz < loz or sz >= hiz:
            t1 = -1.0

        # First voxel: the one holding the entry point, clamped against rounding at the faces.
        ix = min2(max2(int(math.floor((sx + t0 * rx - lox) / dx)), 0), nx - 1)
        iy = min2(max2(int(math.floor((sy + t0 * ry - loy) / dy)), 0), ny - 1)
        iz = min2(max2(int(math.floor((sz + t0 * rz - loz) / dz)), 0), nz - 1)

        stx = 0
        tnx = INF
        dtx = INF
        if rx > 0.0:
            stx = 1
            tnx = (lox + (ix + 1) * dx - sx) / rx * length
            dtx = dx / rx * length
        elif rx < 0.0:
            stx = -1
            tnx = (lox + ix * dx - sx) / rx * length
            dtx = -dx / rx * length
        sty = 0
        ystep = 0
        tny = INF
        dty = INF
        if ry > 0.0:
            sty = 1
            ystep = nx
            tny = (loy + (iy + 1) * dy - sy) / ry * length
            dty = dy / ry * length
        elif ry < 0.0:
            sty = -1
            ystep = -nx
            tny = (loy + iy * dy - sy) / ry * length
            dty = -dy / ry * length
        stz = 0
        zstep = 0
        tnz = INF
        dtz = INF
        if rz > 0.0:
            stz = 1
            zstep = nx * ny
            tnz = (loz + (iz + 1) * dz - sz) / rz * length
            dtz = dz / rz * length
        elif rz < 0.0:
            stz = -1
            zstep = -(nx * ny)
            tnz = (loz + iz * dz - sz) / rz * length
            dtz = -dz / rz * length
        off = (iz * ny + iy) * nx + ix
        # the offset's steps chosen, not multiplied (stz * nx * ny): the GPU compiler kept the
        # product's factors and multiplied them again at every step
        return (t0 * length, t1 * length, ix, iy, iz, off, stx, sty, stz, ystep, zstep,
                tnx, tny, tnz, dtx, dty, dtz)

    setup = inner(setup)

    def start(sx, sy, sz, ex, ey, ez, lox, loy, loz, dx, dy, dz, nx, ny, nz):
        """``setup`` plus the traversal's state: ``mxy = min(tnx, tny, t1)`` and the start
        ``t`` from ``first_t``."""
        (t, t1, ix, iy, iz, off, stx, sty, stz, ystep, zstep, tnx, tny, tnz, dtx, dty,
         dtz) = setup(sx, sy, sz, ex, ey, ez, lox, loy, loz, dx, dy, dz, nx, ny, nz)
        mxy = min2(min2(tnx, tny), t1)
        t = first_t(t, t1, mxy, tnz)
        return (t, t1, ix, iy, off, stx, sty, ystep, zstep, tnx, tny, tnz, dtx, dty, dtz, mxy,
                nx * ny * nz)

    start = inner(start)

    def trace_labels(labels, out, b, j, i, sx, sy, sz, ex, ey, ez, w,
                     lox, loy, loz, dx, dy, dz, nx, ny, nz):
        (t, t1, ix, iy, off, stx, sty, ystep, zstep, tnx, tny, tnz, dtx, dty, dtz, mxy,
         n_voxels) = start(sx, sy, sz, ex, ey, ez, lox, loy, loz, dx, dy, dz, nx, ny, nz)
        current = -1
        run = 0.0
        while t < t1:
            tn = next_crossing(mxy, tnz)
            seg = tn - t
            current, run = accumulate(out, b, j, i, w, read(labels, off), current, run, seg)
            t = tn
            ix, iy, off, tnx, tny, tnz, mxy, gone = advance(
                tn, ix, iy, off, stx, sty, ystep, zstep, tnx, tny, tnz, dtx, dty, dtz, nx, ny,
                n_voxels, mxy, t1)
            if gone:
                break
        if current >= 0:
            out[b, current, j, i] += w * run

    def trace_labels_prefetch(labels, out, b, j, i, sx, sy, sz, ex, ey, ez, w,
                              lox, loy, loz, dx, dy, dz, nx, ny, nz):
        """``trace_labels`` with the next voxel's label read one step ahead: the read is
        issued before the current label is used, so on a GPU its latency overlaps the step's
        bookkeeping. Same segments, same sums in the same order: the same numbers."""
        (t, t1, ix, iy, off, stx, sty, ystep, zstep, tnx, tny, tnz, dtx, dty, dtz, mxy,
         n_voxels) = start(sx, sy, sz, ex, ey, ez, lox, loy, loz, dx, dy, dz, nx, ny, nz)
        current = -1
        run = 0.0
        label = read(labels, off) if t < t1 else 0
        while t < t1:
            tn = next_crossing(mxy, tnz)
            seg = tn - t
            t = tn
            ix, iy, off, tnx, tny, tnz, mxy, gone = advance(
                tn, ix, iy, off, stx, sty, ystep, zstep, tnx, tny, tnz, dtx, dty, dtz, nx, ny,
                n_voxels, mxy, t1)
            nxt = label
            if not gone and t < t1:   # a voxel of the grid that the ray still crosses
                nxt = read(labels, off)
            current, run = accumulate(out, b, j, i, w, label, current, run, seg)
            label = nxt
            if gone:
                break
        if current >= 0:
            out[b, current, j, i] += w * run

    def trace_labels_zrun(labels, out, b, j, i, sx, sy, sz, ex, ey, ez, w,
                          lox, loy, loz, dx, dy, dz, nx, ny, nz):
        """``trace_labels_prefetch`` with the steps that cross only a z plane in a loop of
        their own: while the next z crossing comes before every x and y crossing and the exit
        (``tnz < mxy``), the step needs no minimum, no x/y test and no exit test, so its loop
        is about half the instructions of the general step (most steps of a mammography ray
        cross only a z plane). Each step is the one the general loop takes there (the same
        ``tn``, indices and sums in the same order): the same numbers."""
        (t, t1, ix, iy, off, stx, sty, ystep, zstep, tnx, tny, tnz, dtx, dty, dtz, mxy,
         n_voxels) = start(sx, sy, sz, ex, ey, ez, lox, loy, loz, dx, dy, dz, nx, ny, nz)
        current = np.int32(-1)   # 32-bit label registers (numba's default int64 takes two)
        run = 0.0
        label = np.int32(read(labels, off)) if t < t1 else np.int32(0)
        gone = False
        while t < t1:
            while tnz < mxy:   # t <= tnz < t1: the ray stays in the grid unless rounding
                seg = tnz - t
                t = tnz
                off += zstep
                tnz += dtz
                gone = off < 0 or off >= n_voxels   # z left the grid (rounding)
                nxt = label
                if not gone:
                    nxt = np.int32(read(labels, off))
                current, run = accumulate(out, b, j, i, w, label, current, run, seg)
                label = nxt
                if gone:
                    break
            if gone:
                break
            tn = next_crossing(mxy, tnz)
            seg = tn - t
            t = tn
            ix, iy, off, tnx, tny, tnz, mxy, gone = advance(
                tn, ix, iy, off, stx, sty, ystep, zstep, tnx, tny, tnz, dtx, dty, dtz, nx, ny,
                n_voxels, mxy, t1)
            nxt = label
            if not gone and t < t1:
                nxt = np.int32(read(labels, off))
            current, run = accumulate(out, b, j, i, w, label, current, run, seg)
            label = nxt
            if gone:
                break
        if current >= 0:
            out[b, current, j, i] += w * run

    def trace_volume(volume, sx, sy, sz, ex, ey, ez, lox, loy, loz, dx, dy, dz, nx, ny, nz):
        (t, t1, ix, iy, off, stx, sty, ystep, zstep, tnx, tny, tnz, dtx, dty, dtz, mxy,
         n_voxels) = start(sx, sy, sz, ex, ey, ez, lox, loy, loz, dx, dy, dz, nx, ny, nz)
        total = 0.0
        while t < t1:
            tn = next_crossing(mxy, tnz)
            total += read(volume, off) * (tn - t)
            t = tn
            ix, iy, off, tnx, tny, tnz, mxy, gone = advance(
                tn, ix, iy, off, stx, sty, ystep, zstep, tnx, tny, tnz, dtx, dty, dtz, nx, ny,
                n_voxels, mxy, t1)
            if gone:
                break
        return total

    def trace_backproject(acc, c, value, sx, sy, sz, ex, ey, ez,
                          lox, loy, loz, dx, dy, dz, nx, ny, nz):
        (t, t1, ix, iy, off, stx, sty, ystep, zstep, tnx, tny, tnz, dtx, dty, dtz, mxy,
         n_voxels) = start(sx, sy, sz, ex, ey, ez, lox, loy, loz, dx, dy, dz, nx, ny, nz)
        while t < t1:
            tn = next_crossing(mxy, tnz)
            deposit(acc, c, off, value * (tn - t))
            t = tn
            ix, iy, off, tnx, tny, tnz, mxy, gone = advance(
                tn, ix, iy, off, stx, sty, ystep, zstep, tnx, tny, tnz, dtx, dty, dtz, nx, ny,
                n_voxels, mxy, t1)
            if gone:
                break

    traces = (jit(trace_labels), jit(trace_volume), jit(trace_backproject))
    if labels_prefetch:
        return traces + (jit(trace_labels_prefetch), jit(trace_labels_zrun))
    return traces


def ray_end_py(corner, du, dv, b, j, i, a, c, k):
    """End point of sub-ray ``(a, c)`` of ``k x k`` in pixel ``[j, i]`` of view ``b``.

    Sub-rays sit at the centres of a ``k x k`` partition of the pixel aperture.
    """
    fu = i + (a + 0.5) / k - 0.5
    fv = j + (c + 0.5) / k - 0.5
    ex = corner[b, 0] + fu * du[b, 0] + fv * dv[b, 0]
    ey = corner[b, 1] + fu * du[b, 1] + fv * dv[b, 1]
    ez = corner[b, 2] + fu * du[b, 2] + fv * dv[b, 2]
    return ex, ey, ez
