"""Compiled rasterisers of lesion shapes: capsule chains and star-shaped bodies, and patch
crops.

:func:`paint_capsules` is the one capsule painter of victwin: lesion spicules
(:func:`~victwin.phantom.lesions.spiculated_mass`, :func:`~victwin.phantom.lesions.victre_mass`)
and the chest twins' ribs, vessels and airways (:mod:`victwin.phantom.chest.raster`) use it.
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = ["paint_capsules", "paint_star_body", "crop_symmetric", "crop_like"]


def paint_capsules(out: np.ndarray, segs, value: int, *, origin_mm, spacing_mm,
                   only: int = -1) -> None:
    """Set ``out[z, y, x] = value`` inside capsules (in place).

    Parameters
    ----------
    out : uint8 ndarray ``[z, y, x]``
        Label volume, painted in place.
    segs : float ndarray ``[n, 8]``, mm
        Rows ``x0, y0, z0, x1, y1, z1, r0, r1``: a cone-capped segment from ``(x0, y0, z0)`` to
        ``(x1, y1, z1)`` whose radius goes linearly from ``r0`` to ``r1``.
    value : int
        Label written.
    origin_mm : (x, y, z) floats, mm
        World position of the centre of voxel ``[0, 0, 0]``.
    spacing_mm : (dx, dy, dz) floats, mm
        Voxel size along x, y and z.
    only : int
        Where ``>= 0``, a voxel is painted only if it currently holds ``only``.
    """
    _capsules_kernel(out, np.asarray(origin_mm, np.float64), np.asarray(spacing_mm, np.float64),
                     np.ascontiguousarray(segs, dtype=np.float64), value, int(only))


def paint_star_body(out: np.ndarray, center_zyx, voxel_mm: float, scale: float,
                    table: np.ndarray, rmin_mm: float, rmax_mm: float, value: int) -> None:
    """Set ``out = value`` inside the star-shaped body ``|p - c| <= scale * r(u)`` (in place).

    ``r(u)`` is tabulated on a polar grid ``table[n_theta, n_phi]`` (theta = arccos(u_z) in
    [0, pi], phi = atan2(u_y, u_x) in [-pi, pi], bilinear); ``center_zyx`` is in voxel-index
    units; ``rmin_mm``/``rmax_mm`` bound ``scale * r`` (voxels inside ``rmin_mm`` are set
    without reading the table).
    """
    _star_body(out, center_zyx, voxel_mm, scale, table, rmin_mm, rmax_mm, value)


@numba.njit(cache=True, nogil=True)
def _capsules_kernel(out, origin, spacing, segs, value, only):
    """Set ``out[z, y, x] = value`` inside capsules.

    ``origin`` and ``spacing`` are the world ``(x, y, z)`` of voxel [0, 0, 0]'s centre and the
    voxel size (mm). ``segs`` rows are ``x0, y0, z0, x1, y1, z1, r0, r1`` (mm), a cone-capped
    segment whose radius goes linearly from ``r0`` to ``r1``. Where ``only >= 0`` a voxel is
    painted only if it currently holds ``only``.
    """
    nz, ny, nx = out.shape
    for s in range(segs.shape[0]):
        ax, ay, az = segs[s, 0], segs[s, 1], segs[s, 2]
        bx, by, bz = segs[s, 3], segs[s, 4], segs[s, 5]
        r0, r1 = segs[s, 6], segs[s, 7]
        rmax = max(r0, r1)
        dx, dy, dz = bx - ax, by - ay, bz - az
        ll = dx * dx + dy * dy + dz * dz
        i0 = max(0, int(math.floor((min(ax, bx) - rmax - origin[0]) / spacing[0])))
        i1 = min(nx - 1, int(math.ceil((max(ax, bx) + rmax - origin[0]) / spacing[0])))
        j0 = max(0, int(math.floor((min(ay, by) - rmax - origin[1]) / spacing[1])))
        j1 = min(ny - 1, int(math.ceil((max(ay, by) + rmax - origin[1]) / spacing[1])))
        k0 = max(0, int(math.floor((min(az, bz) - rmax - origin[2]) / spacing[2])))
        k1 = min(nz - 1, int(math.ceil((max(az, bz) + rmax - origin[2]) / spacing[2])))
        for k in range(k0, k1 + 1):
            pz = origin[2] + k * spacing[2]
            for j in range(j0, j1 + 1):
                py = origin[1] + j * spacing[1]
                for i in range(i0, i1 + 1):
                    if only >= 0 and out[k, j, i] != only:
                        continue
                    px = origin[0] + i * spacing[0]
                    t = 0.0
                    if ll > 0.0:
                        t = ((px - ax) * dx + (py - ay) * dy + (pz - az) * dz) / ll
                        t = min(1.0, max(0.0, t))
                    qx = ax + t * dx - px
                    qy = ay + t * dy - py
                    qz = az + t * dz - pz
                    r = r0 + t * (r1 - r0)
                    if qx * qx + qy * qy + qz * qz <= r * r:
                        out[k, j, i] = value


@numba.njit(cache=True, nogil=True)
def _star_body(out, center, voxel, scale, table, rmin, rmax, value):
    """Voxelise a star-shaped body ``|p - c| <= scale * r(u)``.

    ``r(u)`` is tabulated on a polar grid ``table[n_theta, n_phi]`` (theta = arccos(u_z) in
    [0, pi], phi = atan2(u_y, u_x) in [-pi, pi]) and read with bilinear interpolation.
    ``center`` is in voxel-index units ``(z, y, x)``; ``rmin``/``rmax`` (mm) bound
    ``scale * r`` so that voxels inside ``rmin`` are set without reading the table.
    """
    nz, ny, nx = out.shape
    nt, npp = table.shape
    h = int(math.ceil(rmax / voxel)) + 1
    k0, k1 = max(0, int(center[0]) - h), min(nz, int(center[0]) + h + 2)
    j0, j1 = max(0, int(center[1]) - h), min(ny, int(center[1]) + h + 2)
    i0, i1 = max(0, int(center[2]) - h), min(nx, int(center[2]) + h + 2)
    for k in range(k0, k1):
        dz = (k - center[0]) * voxel
        for j in range(j0, j1):
            dy = (j - center[1]) * voxel
            for i in range(i0, i1):
                dx = (i - center[2]) * voxel
                d2 = dx * dx + dy * dy + dz * dz
                if d2 > rmax * rmax:
                    continue
                if d2 <= rmin * rmin:
                    out[k, j, i] = value
                    continue
                d = math.sqrt(d2)
                ft = math.acos(min(1.0, max(-1.0, dz / d))) / math.pi * (nt - 1)
                fp = (math.atan2(dy, dx) + math.pi) / (2.0 * math.pi) * (npp - 1)
                t0 = min(int(ft), nt - 2)
                p0 = min(int(fp), npp - 2)
                at, ap = ft - t0, fp - p0
                r = ((1 - at) * ((1 - ap) * table[t0, p0] + ap * table[t0, p0 + 1])
                     + at * ((1 - ap) * table[t0 + 1, p0] + ap * table[t0 + 1, p0 + 1]))
                if d <= scale * r:
                    out[k, j, i] = value


def crop_symmetric(patch: np.ndarray) -> np.ndarray:
    """Trim empty borders equally on both sides of each axis, keeping the centre voxel."""
    sl = []
    for ax in range(3):
        other = tuple(a for a in range(3) if a != ax)
        used = np.flatnonzero(patch.any(axis=other))
        n = patch.shape[ax]
        c = (n - 1) // 2
        m = max(c - used[0], used[-1] - c)
        sl.append(slice(c - m, c + m + 1))
    return np.ascontiguousarray(patch[tuple(sl)])


def crop_like(patch: np.ndarray, ref: np.ndarray) -> np.ndarray:
    sl = []
    for ax in range(3):
        other = tuple(a for a in range(3) if a != ax)
        used = np.flatnonzero(ref.any(axis=other))
        c = (ref.shape[ax] - 1) // 2
        m = max(c - used[0], used[-1] - c)
        sl.append(slice(c - m, c + m + 1))
    return np.ascontiguousarray(patch[tuple(sl)])

