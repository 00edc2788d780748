"""Numba kernels that label a compressed breast voxel by voxel (private; see ``_breast``).

Every voxel's label is a pure function of its world position and of the (small) random
structures drawn beforehand, so the kernels run in parallel over rows and give the same bytes
whatever the thread count. Parameters travel in one float64 vector ``P`` indexed by the
constants below.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

# Indices into the parameter vector P.
I_A, I_B, I_CP, I_H, I_K, I_a, I_b, I_c, I_ZC = 0, 1, 2, 3, 4, 5, 6, 7, 8
I_SKIN, I_NLEN, I_NRAD = 9, 10, 11
I_MDEPTH, I_MY0, I_MHW = 12, 13, 14
I_WTEX, I_THR, I_LIG, I_LOB, I_EPS = 15, 16, 17, 18, 19
I_PRIOR, I_RETRO, I_SUBCUT, I_COARSE, I_FINE, I_WARP = 20, 21, 22, 23, 24, 25
N_PARAMS = 26

# Label codes of the breast table (see _recipes.BREAST_LABELS).
AIR, FAT, SKIN, GLAND, NIPPLE, MUSCLE, LIGAMENT, DUCT, VESSEL = 0, 1, 2, 3, 4, 5, 6, 7, 8
INTERIOR = 255  # internal marker: inside the breast, below the skin, not muscle


@nb.njit(cache=True, inline="always")
def _outer(x, y, zr, P):
    """Outer anatomy at a compressed point: AIR, SKIN, NIPPLE, MUSCLE or INTERIOR."""
    A = P[I_A]
    B = P[I_B]
    cp = P[I_CP]
    h = P[I_H]
    f2 = (x / A) ** 2 + (y / B) ** 2
    inside = False
    if x >= 0.0 and f2 < 1.0 and abs(zr) <= h:
        s = math.sqrt(1.0 - f2)
        inside = abs(zr) <= cp * s
    if not inside:
        # Nipple: a half-ellipsoid on the front of the breast at mid height.
        nl = P[I_NLEN]
        nr = P[I_NRAD]
        if nl > 0.0 and x > 0.5 * A:
            q = ((x - A) / nl) ** 2 + (y * y + zr * zr) / (nr * nr)
            if q <= 1.0:
                return NIPPLE
        return AIR
    # Approximate distance to the curved side (first-order implicit distance) and to a paddle.
    f = math.sqrt(f2 + (zr / cp) ** 2)
    gx = x / (A * A)
    gy = y / (B * B)
    gz = zr / (cp * cp)
    g = math.sqrt(gx * gx + gy * gy + gz * gz) / max(f, 1e-12)
    d = min((1.0 - f) / max(g, 1e-12), h - abs(zr))
    if d < P[I_SKIN]:
        return SKIN
    if P[I_MDEPTH] > 0.0:
        u = (y - P[I_MY0]) / P[I_MHW]
        if u * u < 1.0 and x < P[I_MDEPTH] * (1.0 - u * u) * (1.0 - 0.5 * (zr / h) ** 2):
            return MUSCLE
    return INTERIOR


@nb.njit(cache=True, inline="always")
def _to_uncompressed(x, y, zr, P):
    xu = x / P[I_K]
    yu = y / P[I_K]
    r2 = min((xu / P[I_a]) ** 2 + (yu / P[I_b]) ** 2, 1.0 - 1e-12)
    s = math.sqrt(1.0 - r2)
    hc = min(P[I_H], P[I_CP] * s)
    return xu, yu, zr * (P[I_c] * s) / hc


@nb.njit(cache=True, inline="always")
def _trilinear(field, fx, fy, fz):
    nz, ny, nx = field.shape
    fx = min(max(fx, 0.0), nx - 1.000001)
    fy = min(max(fy, 0.0), ny - 1.000001)
    fz = min(max(fz, 0.0), nz - 1.000001)
    ix = int(fx)
    iy = int(fy)
    iz = int(fz)
    tx = fx - ix
    ty = fy - iy
    tz = fz - iz
    c00 = field[iz, iy, ix] * (1 - tx) + field[iz, iy, ix + 1] * tx
    c01 = field[iz, iy + 1, ix] * (1 - tx) + field[iz, iy + 1, ix + 1] * tx
    c10 = field[iz + 1, iy, ix] * (1 - tx) + field[iz + 1, iy, ix + 1] * tx
    c11 = field[iz + 1, iy + 1, ix] * (1 - tx) + field[iz + 1, iy + 1, ix + 1] * tx
    return (c00 * (1 - ty) + c01 * ty) * (1 - tz) + (c10 * (1 - ty) + c11 * ty) * tz


@nb.njit(cache=True, inline="always")
def _trilinear_wrap(tile, fx, fy, fz):
    n = tile.shape[0]
    fx = fx % n
    fy = fy % n
    fz = fz % n
    ix = int(fx)
    iy = int(fy)
    iz = int(fz)
    tx = fx - ix
    ty = fy - iy
    tz = fz - iz
    jx = (ix + 1) % n
    jy = (iy + 1) % n
    jz = (iz + 1) % n
    c00 = tile[iz, iy, ix] * (1 - tx) + tile[iz, iy, jx] * tx
    c01 = tile[iz, jy, ix] * (1 - tx) + tile[iz, jy, jx] * tx
    c10 = tile[jz, iy, ix] * (1 - tx) + tile[jz, iy, jx] * tx
    c11 = tile[jz, jy, ix] * (1 - tx) + tile[jz, jy, jx] * tx
    return (c00 * (1 - ty) + c01 * ty) * (1 - tz) + (c10 * (1 - ty) + c11 * ty) * tz


@nb.njit(cache=True, inline="always")
def _compartment(xu, yu, zu, seeds, dirs, eps2):
    """Nearest compartment and the distance (mm) to its border.

    The metric ``|D|^2 - (1 - eps^2) (D . n_i)^2`` shortens distances along ``n_i`` (the
    direction from seed ``i`` to the nipple), so compartments are wedges radiating from the
    nipple. The border distance is the first-order distance to the zero set of
    ``d2^2 - d1^2`` (value over gradient norm), exact for the isotropic metric.
    """
    best = 1e30
    second = 1e30
    ib = 0
    i2 = 0
    for i in range(seeds.shape[0]):
        dx = xu - seeds[i, 0]
        dy = yu - seeds[i, 1]
        dz = zu - seeds[i, 2]
        along = dx * dirs[i, 0] + dy * dirs[i, 1] + dz * dirs[i, 2]
        d2 = dx * dx + dy * dy + dz * dz - (1.0 - eps2) * along * along
        if d2 < best:
            second = best
            i2 = ib
            best = d2
            ib = i
        elif d2 < second:
            second = d2
            i2 = i
    if seeds.shape[0] < 2:
        return ib, 1e30
    # Gradients of the two quadratic forms: 2 (D - (1 - eps^2) (D . n) n).
    w = 1.0 - eps2
    ax = xu - seeds[ib, 0]
    ay = yu - seeds[ib, 1]
    az = zu - seeds[ib, 2]
    al = ax * dirs[ib, 0] + ay * dirs[ib, 1] + az * dirs[ib, 2]
    bx = xu - seeds[i2, 0]
    by = yu - seeds[i2, 1]
    bz = zu - seeds[i2, 2]
    bl = bx * dirs[i2, 0] + by * dirs[i2, 1] + bz * dirs[i2, 2]
    gx = (bx - w * bl * dirs[i2, 0]) - (ax - w * al * dirs[ib, 0])
    gy = (by - w * bl * dirs[i2, 1]) - (ay - w * al * dirs[ib, 1])
    gz = (bz - w * bl * dirs[i2, 2]) - (az - w * al * dirs[ib, 2])
    gn = 2.0 * math.sqrt(gx * gx + gy * gy + gz * gz)
    return ib, (second - best) / max(gn, 1e-9)


@nb.njit(cache=True, inline="always")
def _lobule_gap(xu, yu, zu, jitter, lower, cell):
    """Distance (mm) to the nearest fat-lobule wall (Voronoi cells of jittered lattice seeds)."""
    ncz, ncy, ncx = jitter.shape[0], jitter.shape[1], jitter.shape[2]
    cx = int(math.floor((xu - lower[0]) / cell))
    cy = int(math.floor((yu - lower[1]) / cell))
    cz = int(math.floor((zu - lower[2]) / cell))
    d1 = 1e30
    d2 = 1e30
    s1x = s1y = s1z = 0.0
    s2x = s2y = s2z = 0.0
    for kz in range(max(cz - 1, 0), min(cz + 2, ncz)):
        for ky in range(max(cy - 1, 0), min(cy + 2, ncy)):
            for kx in range(max(cx - 1, 0), min(cx + 2, ncx)):
                sx = lower[0] + (kx + jitter[kz, ky, kx, 0]) * cell
                sy = lower[1] + (ky + jitter[kz, ky, kx, 1]) * cell
                sz = lower[2] + (kz + jitter[kz, ky, kx, 2]) * cell
                d = (xu - sx) ** 2 + (yu - sy) ** 2 + (zu - sz) ** 2
                if d < d1:
                    d2 = d1
                    s2x, s2y, s2z = s1x, s1y, s1z
                    d1 = d
                    s1x, s1y, s1z = sx, sy, sz
                elif d < d2:
                    d2 = d
                    s2x, s2y, s2z = sx, sy, sz
    sep = math.sqrt((s2x - s1x) ** 2 + (s2y - s1y) ** 2 + (s2z - s1z) ** 2)
    if sep <= 0.0 or d2 >= 1e29:
        return 1e30
    # Exact distance to the bisector plane of the two nearest seeds.
    return (d2 - d1) / (2.0 * sep)


@nb.njit(cache=True, inline="always")
def _gland_value(xu, yu, zu, P, seeds, dirs, offsets, coarse, tex_lower, fine):
    """Glandular propensity: radial prior + compartment offset + power-law texture."""
    a = P[I_a]
    b = P[I_b]
    c = P[I_c]
    rho2 = (xu / a) ** 2 + (yu / b) ** 2 + (zu / c) ** 2
    rho = math.sqrt(rho2)
    comp, _ = _compartment(xu, yu, zu, seeds, dirs, P[I_EPS] ** 2)
    g = -P[I_PRIOR] * rho2 + offsets[comp]
    # Retromammary fat: little gland next to the chest wall.
    g -= 2.0 * math.exp(-xu / P[I_RETRO])
    # Subcutaneous fat: gland stops short of the skin.
    t = rho - P[I_SUBCUT]
    if t > 0.0:
        g -= 60.0 * t * t
    cm = P[I_COARSE]
    fm = P[I_FINE]
    tex = _trilinear(coarse, (xu - tex_lower[0]) / cm, (yu - tex_lower[1]) / cm,
                     (zu - tex_lower[2]) / cm)
    tex += _trilinear_wrap(fine, xu / fm, yu / fm, zu / fm)
    return g + P[I_WTEX] * tex


@nb.njit(cache=True, inline="always")
def _is_ligament(xu, yu, zu, P, seeds, dirs, jitter, lob_lower, coarse, tex_lower):
    half = P[I_LIG]
    # Warp the point with the coarse texture field (three shifted reads) so that ligament
    # walls curve instead of being flat Voronoi faces.
    cm = P[I_COARSE]
    w = P[I_WARP]
    fx = (xu - tex_lower[0]) / cm
    fy = (yu - tex_lower[1]) / cm
    fz = (zu - tex_lower[2]) / cm
    # Read at a quarter of the coordinates: only wavelengths above ~10 mm bend the walls.
    xu = xu + w * _trilinear(coarse, 0.25 * fx + 3.0, 0.25 * fy, 0.25 * fz)
    yu = yu + w * _trilinear(coarse, 0.25 * fx, 0.25 * fy + 5.0, 0.25 * fz)
    zu = zu + w * _trilinear(coarse, 0.25 * fx, 0.25 * fy, 0.25 * fz + 7.0)
    _, gap = _compartment(xu, yu, zu, seeds, dirs, P[I_EPS] ** 2)
    if gap < half:
        return True
    return _lobule_gap(xu, yu, zu, jitter, lob_lower, P[I_LOB]) < half


@nb.njit(cache=True, parallel=True)
def sample_kernel(points, P, seeds, dirs, offsets, coarse, tex_lower, fine, jitter, lob_lower):
    """At compressed world points ``[n, (x, y, z)]``: interior flag, gland value, ligament flag."""
    n = points.shape[0]
    inside = np.zeros(n, dtype=np.bool_)
    gval = np.zeros(n, dtype=np.float32)
    lig = np.zeros(n, dtype=np.bool_)
    for i in nb.prange(n):
        x = points[i, 0]
        y = points[i, 1]
        zr = points[i, 2] - P[I_ZC]
        if _outer(x, y, zr, P) != INTERIOR:
            continue
        inside[i] = True
        xu, yu, zu = _to_uncompressed(x, y, zr, P)
        gval[i] = _gland_value(xu, yu, zu, P, seeds, dirs, offsets, coarse, tex_lower, fine)
        lig[i] = _is_ligament(xu, yu, zu, P, seeds, dirs, jitter, lob_lower, coarse, tex_lower)
    return inside, gval, lig


@nb.njit(cache=True, parallel=True)
def fill_kernel(labels, z_start, z_stop, x0, y0, z0, dx, dy, dz, P, seeds, dirs, offsets,
                coarse, tex_lower, fine, jitter, lob_lower):
    """Label slices ``z_start:z_stop`` of ``labels[z, y, x]`` (uint8) in place."""
    ny = labels.shape[1]
    nx = labels.shape[2]
    nrows = (z_stop - z_start) * ny
    thr = P[I_THR]
    A = P[I_A]
    B = P[I_B]
    for row in nb.prange(nrows):
        iz = z_start + row // ny
        iy = row % ny
        y = y0 + iy * dy
        zr = z0 + iz * dz - P[I_ZC]
        # Only x up to the breast front (plus the nipple) can be non-air on this row.
        fy = 1.0 - (y / B) ** 2
        xmax = A * math.sqrt(fy) if fy > 0.0 else 0.0
        if abs(y) <= P[I_NRAD] and abs(zr) <= P[I_NRAD]:
            xmax = max(xmax, A + P[I_NLEN])
        nxr = min(nx, int((xmax - x0) / dx) + 2)
        for ix in range(nxr):
            x = x0 + ix * dx
            code = _outer(x, y, zr, P)
            if code != INTERIOR:
                labels[iz, iy, ix] = code
                continue
            xu, yu, zu = _to_uncompressed(x, y, zr, P)
            g = _gland_value(xu, yu, zu, P, seeds, dirs, offsets, coarse, tex_lower, fine)
            if g > thr:
                labels[iz, iy, ix] = GLAND
            elif _is_ligament(xu, yu, zu, P, seeds, dirs, jitter, lob_lower, coarse, tex_lower):
                labels[iz, iy, ix] = LIGAMENT
            else:
                labels[iz, iy, ix] = FAT


@nb.njit(cache=True, parallel=True)
def segments_kernel(labels, x0, y0, z0, dx, dy, dz, P, segs, boxes, code, allowed):
    """Paint tubes (uncompressed segments ``[n, (x0,y0,z0,x1,y1,z1,r)]``) with ``code``.

    ``boxes[n, 6]`` are voxel index bounds ``(iz0, iz1, iy0, iy1, ix0, ix1)`` (half-open) of
    each tube in the compressed grid; a voxel is painted when its centre, mapped back to the
    uncompressed breast, lies within ``r`` of the segment and its label is ``allowed``.
    """
    nz = labels.shape[0]
    for z in nb.prange(nz):
        zr = z0 + z * dz - P[I_ZC]
        for s in range(segs.shape[0]):
            if z < boxes[s, 0] or z >= boxes[s, 1]:
                continue
            ax = segs[s, 0]
            ay = segs[s, 1]
            az = segs[s, 2]
            ux = segs[s, 3] - ax
            uy = segs[s, 4] - ay
            uz = segs[s, 5] - az
            r2 = segs[s, 6] * segs[s, 6]
            L2 = ux * ux + uy * uy + uz * uz
            for iy in range(boxes[s, 2], boxes[s, 3]):
                y = y0 + iy * dy
                for ix in range(boxes[s, 4], boxes[s, 5]):
                    if not allowed[labels[z, iy, ix]]:
                        continue
                    x = x0 + ix * dx
                    xu, yu, zu = _to_uncompressed(x, y, zr, P)
                    px = xu - ax
                    py = yu - ay
                    pz = zu - az
                    t = (px * ux + py * uy + pz * uz) / L2 if L2 > 0.0 else 0.0
                    t = min(max(t, 0.0), 1.0)
                    ddx = px - t * ux
                    ddy = py - t * uy
                    ddz = pz - t * uz
                    if ddx * ddx + ddy * ddy + ddz * ddz <= r2:
                        labels[z, iy, ix] = code
