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

from ._pectoralis import in_pectoralis

# Indices into the parameter vector P.
I_A, I_B, I_CP, I_H, I_K, I_a, I_b, I_c, I_ZC = 0, 1, 2, 3, 4, 5, 6, 7, 8
I_SKIN, I_NLEN, I_NRAD = 9, 10, 11
I_MDEPTH, I_MY0, I_MHW = 12, 13, 14
I_WTEX, I_THR, I_LIG, I_ELONG, I_EPS = 15, 16, 17, 18, 19
I_PRIOR, I_RETRO, I_SUBCUT, I_COARSE, I_FINE, I_LPERT = 20, 21, 22, 23, 24, 25
I_LCELL, I_LTILE = 26, 27
N_PARAMS = 28

#: Superellipsoid exponent of ligament lobules (breastPhantom.cxx line 4312).
_P_LIG = 2.7

# Label codes of the breast table (see _recipes.BREAST_LABELS).
AIR, FAT, SKIN, GLAND, NIPPLE, MUSCLE, LIGAMENT, DUCT, VESSEL = 0, 1, 2, 3, 4, 5, 6, 7, 8
INTERIOR = 255  # internal marker: inside the breast, below the skin, not muscle

# The helpers below are plain cached functions that LLVM inlines into the kernels. numba's own
# IR-level inlining (inline="always") deep-copies a helper's IR at every call site, which
# made the first-run compile of these kernels 30.2 CPU-s instead of 12.9 with identical
# phantoms (same bytes) and speed (NOTES.md, "First run").


@nb.njit(cache=True)
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
    if in_pectoralis(x, y, P[I_MDEPTH], P[I_MY0], P[I_MHW]):  # breastPhantom's shape
        return MUSCLE
    return INTERIOR


@nb.njit(cache=True)
def _to_uncompressed(x, y, zr, P):
    xu = x / P[I_K]
    yu = y / P[I_K]
    r2 = min((xu / P[I_a]) ** 2 + (yu / P[I_b]) ** 2, 1.0 - 1e-12)
    s = math.sqrt(1.0 - r2)
    hc = min(P[I_H], P[I_CP] * s)
    return xu, yu, zr * (P[I_c] * s) / hc


@nb.njit(cache=True)
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


@nb.njit(cache=True)
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


@nb.njit(cache=True)
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


@nb.njit(cache=True)
def _fibre_coords(xu, yu, zu, P):
    """Texture coordinates in which structures run towards the nipple (see ``_texture``).

    ``(e r, a y / r', a z / r')`` with ``r`` the distance to the nipple ``(a, 0, 0)``,
    ``r' = max(r, 0.3 a)`` and ``e`` the elongation: a field isotropic in these coordinates is
    stretched ``1 / e`` times along the lines to the nipple and fans out away from it.
    """
    a = P[I_a]
    vx = xu - a
    r = math.sqrt(vx * vx + yu * yu + zu * zu)
    rr = max(r, 0.3 * a)
    return P[I_ELONG] * r, a * yu / rr, a * zu / rr


@nb.njit(cache=True)
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
    qx, qy, qz = _fibre_coords(xu, yu, zu, P)
    cm = P[I_COARSE]
    fm = P[I_FINE]
    tex = _trilinear(coarse, (qx - tex_lower[0]) / cm, (qy - tex_lower[1]) / cm,
                     (qz - tex_lower[2]) / cm)
    tex += _trilinear_wrap(fine, qx / fm, qy / fm, qz / fm)
    return g + P[I_WTEX] * tex


@nb.njit(cache=True)
def _spow(v):
    v = abs(v)
    return math.exp(_P_LIG * math.log(v)) if v > 0.0 else 0.0


@nb.njit(cache=True)
def _is_ligament(xu, yu, zu, P, shells, lig_off, lig_lower, lig_shape, lig_start, lig_items,
                 lig_tile):
    """True when the point lies in the shell of the first ligament lobule that holds it.

    Lobules are tested in placement order (see ``_ligaments``): the first whose perturbed
    superellipsoid contains the point decides: ligament in its outer ``thickness``, its own
    tissue inside.
    """
    cm = P[I_LCELL]
    cx = int(math.floor((xu - lig_lower[0]) / cm))
    cy = int(math.floor((yu - lig_lower[1]) / cm))
    cz = int(math.floor((zu - lig_lower[2]) / cm))
    if (cx < 0 or cy < 0 or cz < 0 or cx >= lig_shape[0] or cy >= lig_shape[1]
            or cz >= lig_shape[2]):
        return False
    cell = (cz * lig_shape[1] + cy) * lig_shape[0] + cx
    thick = 2.0 * P[I_LIG]
    pert = P[I_LPERT]
    tm = P[I_LTILE]
    for j in range(lig_start[cell], lig_start[cell + 1]):
        i = lig_items[j]
        dx = xu - shells[i, 0]
        dy = yu - shells[i, 1]
        dz = zu - shells[i, 2]
        A = shells[i, 12]
        l0 = shells[i, 3] * dx + shells[i, 4] * dy + shells[i, 5] * dz
        if abs(l0) > A * (1.0 + pert):
            continue
        l1 = shells[i, 6] * dx + shells[i, 7] * dy + shells[i, 8] * dz
        if abs(l1) > A * (1.0 / shells[i, 13] + pert):
            continue
        l2 = shells[i, 9] * dx + shells[i, 10] * dy + shells[i, 11] * dz
        if abs(l2) > A * (1.0 / shells[i, 14] + pert):
            continue
        r = math.sqrt(l0 * l0 + l1 * l1 + l2 * l2)
        if r < 1e-9:
            return False
        # Quick decision deep inside: the p = 2.7 norm is at most the ellipsoidal (p = 2) one,
        # so r (A / N2 - 1) > A pert + thick means inside the shell's inner surface for any
        # perturbation.
        m1 = l1 * shells[i, 13]
        m2 = l2 * shells[i, 14]
        n2 = math.sqrt(l0 * l0 + m1 * m1 + m2 * m2)
        if r * (A / n2 - 1.0) > A * pert + thick:
            return False
        # Quick decision outside: the p = 2.7 norm is at least 3**(1/2.7 - 1/2) = 0.8667 of N2.
        if r * (1.0 - A / (0.8667 * n2)) > A * pert:
            continue
        nrm = math.exp(math.log(_spow(l0) + _spow(m1) + _spow(m2)) / _P_LIG)
        # Radial perturbation read where the ray from the centre meets the radius-A sphere.
        s = A / (r * tm)
        pv = pert * _trilinear_wrap(lig_tile, lig_off[i, 0] + l0 * s, lig_off[i, 1] + l1 * s,
                                    lig_off[i, 2] + l2 * s)
        rs = A * (r / nrm + pv)
        if r > rs:
            continue
        return r > rs - thick
    return False


@nb.njit(cache=True, parallel=True)
def sample_kernel(points, P, seeds, dirs, offsets, coarse, tex_lower, fine, shells, lig_off,
                  lig_lower, lig_shape, lig_start, lig_items, lig_tile):
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
        lig[i] = _is_ligament(xu, yu, zu, P, shells, lig_off, lig_lower, lig_shape, lig_start,
                              lig_items, lig_tile)
    return inside, gval, lig


@nb.njit(cache=True)
def _fill_row(labels, iz, iy, oz, oy, ox, step, x0, y0, z0, dx, dy, dz, P, seeds, dirs,
              offsets, coarse, tex_lower, fine, shells, lig_off, lig_lower, lig_shape, lig_start,
              lig_items, lig_tile):
    """Label row ``labels[iz, iy, :]`` (see :func:`fill_kernel`)."""
    nx = labels.shape[2]
    thr = P[I_THR]
    A = P[I_A]
    B = P[I_B]
    y = y0 + (oy + iy * step) * dy
    zr = z0 + (oz + iz * step) * dz - P[I_ZC]
    # Only x up to the breast front (plus the nipple) can be non-air on this row.
    fy = 1.0 - (y / B) ** 2
    xmax = A * math.sqrt(fy) if fy > 0.0 else 0.0
    if abs(y) <= P[I_NRAD] and abs(zr) <= P[I_NRAD]:
        xmax = max(xmax, A + P[I_NLEN])
    jx_stop = int((xmax - x0) / dx) + 2  # full-grid x index past the last non-air voxel
    for ix in range(nx):
        jx = ox + ix * step
        if jx >= jx_stop:
            break
        x = x0 + jx * dx
        code = _outer(x, y, zr, P)
        if code != INTERIOR:
            labels[iz, iy, ix] = code
            continue
        xu, yu, zu = _to_uncompressed(x, y, zr, P)
        # breastPhantom runs ligament shells through fat and gland alike; ligaments and gland
        # share the glandular material (_recipes.BREAST_LABELS), so gland is decided first
        # and the shell test (the costly one) runs in fat only.
        if _gland_value(xu, yu, zu, P, seeds, dirs, offsets, coarse, tex_lower, fine) > thr:
            labels[iz, iy, ix] = GLAND
        elif _is_ligament(xu, yu, zu, P, shells, lig_off, lig_lower, lig_shape, lig_start,
                          lig_items, lig_tile):
            labels[iz, iy, ix] = LIGAMENT
        else:
            labels[iz, iy, ix] = FAT


@nb.njit(cache=True, parallel=True)
def fill_kernel(labels, z_start, z_stop, oz, oy, ox, step, x0, y0, z0, dx, dy, dz, P, seeds,
                dirs, offsets, coarse, tex_lower, fine, shells, lig_off, lig_lower, lig_shape,
                lig_start, lig_items, lig_tile):
    """Label slices ``z_start:z_stop`` of ``labels[z, y, x]`` (uint8, zero = air) in place.

    ``labels[i, j, k]`` is voxel ``(oz + i step, oy + j step, ox + k step)`` of the full grid
    (origin ``(x0, y0, z0)``, spacing ``(dx, dy, dz)``): the whole grid with offsets 0 and step
    1, a window of it with step 1, a sub-lattice with step > 1. A voxel's world position is
    computed from its full-grid index in every case, so a window holds the same bytes as the
    crop of the whole grid. Rows run in parallel (:func:`fill_kernel_serial`: one thread, for
    a few voxels, where waking threads costs more than the work).
    """
    ny = labels.shape[1]
    for row in nb.prange((z_stop - z_start) * ny):
        _fill_row(labels, z_start + row // ny, row % ny, oz, oy, ox, step, x0, y0, z0, dx, dy,
                  dz, P, seeds, dirs, offsets, coarse, tex_lower, fine, shells, lig_off,
                  lig_lower, lig_shape, lig_start, lig_items, lig_tile)


@nb.njit(cache=True)
def fill_kernel_serial(labels, z_start, z_stop, oz, oy, ox, step, x0, y0, z0, dx, dy, dz, P,
                       seeds, dirs, offsets, coarse, tex_lower, fine, shells, lig_off, lig_lower,
                       lig_shape, lig_start, lig_items, lig_tile):
    """:func:`fill_kernel` on one thread."""
    ny = labels.shape[1]
    for row in range((z_stop - z_start) * ny):
        _fill_row(labels, z_start + row // ny, row % ny, oz, oy, ox, step, x0, y0, z0, dx, dy,
                  dz, P, seeds, dirs, offsets, coarse, tex_lower, fine, shells, lig_off,
                  lig_lower, lig_shape, lig_start, lig_items, lig_tile)


@nb.njit(cache=True)
def _first_at_or_after(b, o, step):
    """Least ``i >= 0`` with ``o + i step >= b``."""
    return (b - o + step - 1) // step if b > o else 0


@nb.njit(cache=True)
def _paint_slice(labels, z, oz, oy, ox, step, x0, y0, z0, dx, dy, dz, P, segs, boxes, code,
                 allowed):
    """Paint the tubes into slice ``labels[z]`` (see :func:`segments_kernel`)."""
    ny = labels.shape[1]
    nx = labels.shape[2]
    jz = oz + z * step
    zr = z0 + jz * dz - P[I_ZC]
    for s in range(segs.shape[0]):
        if jz < boxes[s, 0] or jz >= boxes[s, 1]:
            continue
        ax = segs[s, 0]
        ay = segs[s, 1]
        az = segs[s, 2]
        ux = segs[s, 3] - ax
        uy = segs[s, 4] - ay
        uz = segs[s, 5] - az
        r2 = segs[s, 6] * segs[s, 6]
        L2 = ux * ux + uy * uy + uz * uz
        iy0 = _first_at_or_after(boxes[s, 2], oy, step)
        iy1 = min(ny, _first_at_or_after(boxes[s, 3], oy, step))
        ix0 = _first_at_or_after(boxes[s, 4], ox, step)
        ix1 = min(nx, _first_at_or_after(boxes[s, 5], ox, step))
        for iy in range(iy0, iy1):
            y = y0 + (oy + iy * step) * dy
            for ix in range(ix0, ix1):
                if not allowed[labels[z, iy, ix]]:
                    continue
                x = x0 + (ox + ix * step) * dx
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


@nb.njit(cache=True, parallel=True)
def segments_kernel(labels, oz, oy, ox, step, x0, y0, z0, dx, dy, dz, P, segs, boxes, code,
                    allowed):
    """Paint tubes (uncompressed segments ``[n, (x0,y0,z0,x1,y1,z1,r)]``) with ``code``.

    ``labels[i, j, k]`` is full-grid voxel ``(oz + i step, oy + j step, ox + k step)`` (see
    :func:`fill_kernel`). ``boxes[n, 6]`` are full-grid voxel index bounds ``(iz0, iz1, iy0,
    iy1, ix0, ix1)`` (half-open) of each tube; a voxel is painted when its centre, mapped back
    to the uncompressed breast, lies within ``r`` of the segment and its label is ``allowed``.
    Slices run in parallel (:func:`segments_kernel_serial`: one thread).
    """
    for z in nb.prange(labels.shape[0]):
        _paint_slice(labels, z, oz, oy, ox, step, x0, y0, z0, dx, dy, dz, P, segs, boxes, code,
                     allowed)


@nb.njit(cache=True)
def segments_kernel_serial(labels, oz, oy, ox, step, x0, y0, z0, dx, dy, dz, P, segs, boxes,
                           code, allowed):
    """:func:`segments_kernel` on one thread."""
    for z in range(labels.shape[0]):
        _paint_slice(labels, z, oz, oy, ox, step, x0, y0, z0, dx, dy, dz, P, segs, boxes, code,
                     allowed)
