"""The soft tissue over each scapula: a local cover of muscle and subcutaneous fat on the back.

The trunk's outline (:mod:`.outline`) carries one chest-wall muscle layer and the twin's fat
around the rib cage. The scapula lies on that wall (held :data:`.scapula._WALL_GAP_MM` off the
ribs) and, being a flat plate on a curved cage, its medial border and inferior angle reach the
skin of a lean back. In people the blade is not under the chest wall's muscle but under its own
muscles: the infraspinatus fills the infraspinous fossa, the supraspinatus the supraspinous one,
teres major/minor run along the lateral border, trapezius and latissimus dorsi lie in sheets
over the medial border and the inferior angle. So over the blade the skin stands a muscle
thickness plus the twin's fat behind the blade, whatever the wall beside it does: a bump over
each scapula (visible on lean backs), not a deeper back.

:func:`paint_scapular_cover` draws that bump into the trunk's labels before the skeleton is
painted (so the trunk the scapulae are cut by contains it), column by column (``y``, ``x``):

- over the blade's outline (:meth:`.scapula.Scapula.outline_uv`, widened by
  :data:`BORDER_MARGIN_MM` for the borders' thickness) the back's skin must lie
  :data:`INFRASPINATUS_MM` plus the twin's fat behind the blade's back (along ``zd``); the
  shortfall against the trunk's own skin is what the bump must add;
- that shortfall is widened by :data:`RAMP_MM` and smoothed (a Gaussian of ``RAMP_MM / 2.5``,
  never below the shortfall): the skin bulges smoothly, no step (ASSUMPTIONS: the muscles'
  sheets thin out beyond the blade's edges; no profile was read);
- behind the cavity's centre, in each column, air, fat and muscle are pushed back by the bump's
  height: the skin and the fat layer move out, the muscle fills in under them (the cover is
  muscle + the twin's fat, as over the rest of the back). Nothing deeper changes.

References
----------
Koppenhaver S, Harris D, Harris A, O'Connor E, Dummar M, Croy T, Walker M, Flynn T. The
reliability of rehabilitative ultrasound imaging in the measurement of infraspinatus muscle
function in the symptomatic and asymptomatic shoulders of patients with unilateral shoulder
impingement syndrome. Int J Sports Phys Ther (abstract as published by the Sports Physical
Therapy Section, spts.org; year not read): infraspinatus thickness 16.2 mm at rest, 19.1 mm
contracted.
Yi TI, Han IS, Kim JS, Jin JR, Han JS. Reliability of the supraspinatus muscle thickness
measurement by ultrasonography. Ann Rehabil Med 2012;36(4):488-495 (20 normal shoulders:
supraspinatus thickness at the scapular notch 1.72-1.74 +/- 0.21-0.24 cm, two examiners):
the supraspinous fossa's cover is as thick, so one thickness serves the whole blade.
"""

from __future__ import annotations

import numpy as np

from .raster import Frame
from .scapula import BLADE_MM, cage_back_array_for, cage_back_for  # noqa: F401 (re-exported)

__all__ = ["INFRASPINATUS_MM", "RAMP_MM", "BORDER_MARGIN_MM", "COVER_FALL", "cage_back_for",
           "cage_back_array_for", "cover_back_zd", "paint_scapular_cover"]

# Koppenhaver et al. (module references): the resting infraspinatus, over the infraspinous fossa
INFRASPINATUS_MM = 16.2
# the cover's fall-off outside the blade's outline (ASSUMPTION, see the module docstring)
RAMP_MM = 20.0
# the blade's borders are rods up to 13.8 mm thick (:data:`.scapula.LATERAL_BORDER_MM`): the
# cover reaches this far (mm) beyond the outline (half that thickness, rounded up)
BORDER_MARGIN_MM = 7.0
# the glided (PA) blades' cover ends by falling to the trunk's own surface beyond the blade at
# this slope (mm of skin zd per mm of distance in the coronal plane): a 45 deg fall, so a cover
# of thickness T ends within a distance T of the blade's outline (ASSUMPTION, a model choice:
# the muscles over and below the blade, latissimus dorsi and teres major in the posterior
# axillary fold, end in an oblique margin, not a step; no profile of that margin was read)
COVER_FALL = 1.0


def cover_back_zd(scapulae, fat_mm: float) -> float:
    """The largest ``zd`` (mm) the cover's skin reaches over the blades (module docstring):
    the plane :data:`INFRASPINATUS_MM` behind each blade's back at its outline's corners (the
    plane is linear in ``(u, v)``, so its largest ``zd`` over the convex outline is at a
    corner), plus :data:`BORDER_MARGIN_MM` (the widened outline; ``zd`` changes by at most
    1 mm per mm of ``u, v``) and ``fat_mm`` (the back's subcutaneous layer: the builder passes
    the front and back's thickness, :attr:`.outline.Outline.fat_ap`). The builder sizes the
    grid's back face by it."""
    top = 0.5 * BLADE_MM + INFRASPINATUS_MM
    zd = -np.inf
    for s in scapulae:
        a = np.asarray(s.axes, float)
        o = np.asarray(s.origin, float) + top * a[2]
        uv = s.outline_uv()
        zd = max(zd, float(np.max(o[2] + uv[:, 0] * a[0, 2] + uv[:, 1] * a[1, 2])))
    return zd + BORDER_MARGIN_MM + fat_mm


def _outside_distance(poly: np.ndarray, u, v):
    """Distance (mm) of the points ``(u, v)`` from the convex polygon ``poly`` (0 inside)."""
    nxt = np.roll(poly, -1, axis=0)
    area2 = np.sum(poly[:, 0] * nxt[:, 1] - nxt[:, 0] * poly[:, 1])
    inside = np.ones(np.broadcast_shapes(np.shape(u), np.shape(v)), bool)
    d = np.full(inside.shape, np.inf, np.float32)
    for a, b in zip(poly, nxt):
        e = b - a
        t = np.clip(((u - a[0]) * e[0] + (v - a[1]) * e[1]) / float(e @ e), 0.0, 1.0)
        d = np.minimum(d, np.hypot(u - a[0] - t * e[0], v - a[1] - t * e[1]))
        inside &= ((e[0] * (v - a[1]) - e[1] * (u - a[0])) * np.sign(area2)) >= 0
    return np.where(inside, 0.0, d)


def paint_scapular_cover(labels, f: Frame, scapulae, fat_mm: float, *, AIR: int, ADIPOSE: int,
                         MUSCLE: int, glided: bool = False) -> None:
    """The bump of muscle and fat over each scapula (module docstring) into the trunk's
    ``labels`` (modified in place; only air, fat and muscle behind the cavity's centre change).

    Per column ``(y, x)`` the back's skin must lie :data:`INFRASPINATUS_MM` plus ``fat_mm``
    behind the blade's back (along ``zd``, within :data:`BORDER_MARGIN_MM` of its outline);
    the shortfall, widened by :data:`RAMP_MM` and smoothed with a Gaussian of
    ``RAMP_MM / 2.5`` (never below the shortfall), pushes the back's skin and fat out by
    ``h(y, x)``, the muscle filling in under them.

    ``glided`` (the PA positioning's blades, glided onto the cage's side,
    :func:`.scapula.glide`; off for the neutral blades, whose bytes it would change):

    - no column's skin is pushed past the farthest-back skin the blades need within
      :data:`RAMP_MM` of it. Without this cap the ramp carries the large shortfall of a column
      at the trunk's side (whose back skin lies far forward) onto its neighbours whose skin is
      already behind the blade, and pushes them past the blade's cover (and the grid's back
      face). Beyond that distance the cap, and the ramp itself, fall to the trunk's own
      surface at :data:`COVER_FALL` (:func:`_cone_dilation`): the cover ends obliquely, not
      in a step (until issue-19shelf19 the cap stopped at :data:`RAMP_MM` and cut 18-26 mm of
      cover in one row, a horizontal edge ~27 mm below the inferior angle on the PA film);
    - the cover is then also laid along the blade's normal (:func:`_paint_normal_cover`): a
      glided blade faces back and out, and a column along ``zd`` alone leaves the trunk's fat
      on the outer face of its lateral part (muscle replaces it, inside the trunk only)."""
    from scipy import ndimage

    dz, dy, dx = (float(c) for c in f.grid.spacing)
    back = (f.zd > 0.0)[:, None, None]
    # the last body voxel of each column, plane by plane: a whole-volume mask (labels != AIR)
    # cost a byte a voxel, 62 MiB on chest/adult seed 1 at 1 mm, over the build's slab-wise peak
    # (tests/cli/test_chest_memory.py)
    last = np.full(labels.shape[1:], -1, np.intp)
    first = np.zeros(labels.shape[1:], np.intp)        # the first body voxel (last < 0: none)
    for k in range(labels.shape[0] - 1, -1, -1):
        body = labels[k] != AIR
        last[body & (last < 0)] = k
        first[body] = k
    skin = np.where(last >= 0, f.zd[np.maximum(last, 0)], -np.inf)   # [y, x] back skin zd
    X, Y = np.meshgrid(f.x, f.y)
    need = np.zeros(skin.shape, np.float32)
    target = np.full(skin.shape, -np.inf)        # the skin zd the blades need (cap)
    top = 0.5 * BLADE_MM + INFRASPINATUS_MM
    for s in scapulae:
        a = np.asarray(s.axes, float)
        o = np.asarray(s.origin, float) + top * a[2]
        # the point of the plane w = top over (x, y): o + u a0 + v a1 = (x, y, zd)
        m = np.array([a[0], a[1], [0.0, 0.0, -1.0]]).T                 # columns u, v, zd
        rhs = np.stack([X - o[0], Y - o[1], np.full(X.shape, -o[2])], axis=-1)
        uvz = np.linalg.solve(m, rhs[..., None])[..., 0]
        u, v, zd = uvz[..., 0], uvz[..., 1], uvz[..., 2]
        near = _outside_distance(s.outline_uv(), u, v) <= BORDER_MARGIN_MM
        short = np.where(near & np.isfinite(skin), zd + fat_mm - skin, 0.0)
        need = np.maximum(need, np.clip(short, 0.0, None))
        target = np.maximum(target, np.where(near & np.isfinite(skin), zd + fat_mm, -np.inf))
    if not need.any():
        return
    r = RAMP_MM / max(dx, dy)
    fp = np.hypot(*np.mgrid[-int(r):int(r) + 1, -int(r):int(r) + 1]) <= r
    h = ndimage.gaussian_filter(ndimage.grey_dilation(need, footprint=fp), r / 2.5)
    h = np.maximum(h, need)
    if glided:
        # the cover's end (issue-19shelf19): the ramp falls to the trunk's own surface at
        # COVER_FALL, and the cap on the skin falls at COVER_FALL beyond RAMP_MM of the skin
        # the blades need; both continuous. Until 2026-12-05 the cap ended at RAMP_MM (a flat
        # grey dilation, `lowest` beyond it): the ramp's 18-26 mm of muscle at the trunk's side
        # stopped in one row, a horizontal edge ~27 mm below the inferior angle on the PA film
        lowest = float(np.min(skin[np.isfinite(skin)], initial=0.0)) - 1.0
        reach = ndimage.grey_dilation(np.where(np.isfinite(target), target, lowest),
                                      footprint=fp)
        far = float(h.max()) / COVER_FALL + max(dx, dy)     # beyond it the fallen h is 0
        h = _cone_dilation(h, dy, dx, COVER_FALL, 0.0, far)
        reach = _cone_dilation(reach, dy, dx, COVER_FALL, lowest, far)
        h = np.maximum(np.minimum(h, np.where(np.isfinite(skin), reach - skin, 0.0)), need)
    J, I = np.nonzero(h >= 0.5 * dz)
    K = np.rint(h[J, I] / dz).astype(np.intp)
    nz = labels.shape[0]
    over = last[J, I] + K - nz + 1
    if over.size and over.max() > 0:
        raise RuntimeError(f"the scapular cover reaches {over.max() * dz:.1f} mm past the "
                           "grid's back face (builder._chest_grid)")
    # only planes behind the centre change; they take voxels from up to max(K) planes ahead
    zb = int(np.argmax(back[:, 0, 0])) if back.any() else nz
    z0 = max(0, zb - int(K.max(initial=0)))
    z = np.arange(z0, nz)[:, None]
    behind = back[z0:, :, 0]
    # every column at once, in chunks (an index array per voxel: 8 bytes each)
    step = max(1, (1 << 22) // max(nz - z0, 1))
    for c0 in range(0, J.size, step):
        j, i, k = J[c0:c0 + step], I[c0:c0 + step], K[c0:c0 + step]
        col = labels[z0:, j, i]                                          # (nz - z0, n) copy
        src = z - z0 - k[None, :]
        shifted = np.where(z - k[None, :] >= 0,
                           np.take_along_axis(col, np.maximum(src, 0), axis=0),
                           np.asarray(AIR, col.dtype))
        new = np.where((shifted == AIR) | (shifted == ADIPOSE), shifted,
                       np.asarray(MUSCLE, col.dtype))
        # a column grazing the trunk's side, its front within k voxels of the centre, pulled
        # air in from in front of the body: that band is muscle too (was a 2-voxel air gap in
        # the 2 mm test woman's flank; 19dome14, 2026-12-03)
        front = first[j, i][None, :]
        band = (z >= front) & (z - k[None, :] < front) & (last[j, i] >= 0)[None, :]
        new[behind & (new == AIR) & band] = MUSCLE
        change = behind & ((col == AIR) | (col == ADIPOSE) | (col == MUSCLE))
        labels[z0:, j, i] = np.where(change, new, col)
    if glided:
        _paint_normal_cover(labels, f, scapulae, fat_mm, AIR=AIR, ADIPOSE=ADIPOSE,
                            MUSCLE=MUSCLE)


def _cone_dilation(a, dy: float, dx: float, fall: float, floor: float, far: float):
    """``max(a(p), max_q a(q) - fall * |p - q|)`` over ``|p - q| <= far`` (mm, in the
    ``(y, x)`` plane; ``floor`` outside the grid): ``a`` falling off at ``fall`` mm per mm, a
    cone dilation, by repeated dilations with a 3-voxel cone (cones compose; the result is a
    polygonal cone, within a few % of the round one). Continuous where ``a`` is: no edge."""
    from scipy import ndimage

    r = 3
    jj, ii = np.mgrid[-r:r + 1, -r:r + 1]
    dist = np.hypot(jj * dy, ii * dx)
    fp = dist <= r * min(dy, dx) + 1e-9
    out = np.asarray(a, np.float64)
    for _ in range(int(np.ceil(far / (r * min(dy, dx))))):
        nxt = np.maximum(ndimage.grey_dilation(out, footprint=fp, structure=-fall * dist,
                                               mode="constant", cval=floor), out)
        if np.array_equal(nxt, out):
            break
        out = nxt
    return out


def _paint_normal_cover(labels, f: Frame, scapulae, fat_mm: float, *, AIR: int, ADIPOSE: int,
                        MUSCLE: int) -> None:
    """The cover of each blade laid along its normal ``w``: over the outline widened by
    :data:`BORDER_MARGIN_MM`, from the blade's back face to :data:`INFRASPINATUS_MM` behind
    it, muscle where the trunk is fat (the infraspinatus under the skin's fat, as
    :func:`paint_scapular_cover` builds it along ``zd``). Inside the trunk only: the
    armless trunk's side does not follow the shoulders forward (a slab painted over air stood
    out of the trunk's side, 20 mm wider at the breasts' level, with air between it and the
    breast along ``zd``), so what of a glided blade lies past the skin is cut there. Behind
    the cavity's centre only (``zd > 0``, as the cover along ``zd``): in front of it lie the
    breasts' fat. The ``fat_mm`` argument is kept for the call's symmetry. For the glided (PA)
    blades only."""
    face, top = 0.5 * BLADE_MM, 0.5 * BLADE_MM + INFRASPINATUS_MM
    for s in scapulae:
        a = np.asarray(s.axes, float)
        o = np.asarray(s.origin, float)
        poly = s.outline_uv()
        lo_uv = poly.min(axis=0) - BORDER_MARGIN_MM
        hi_uv = poly.max(axis=0) + BORDER_MARGIN_MM
        corners = np.array([o + u * a[0] + v * a[1] + w * a[2]
                            for u in (lo_uv[0], hi_uv[0]) for v in (lo_uv[1], hi_uv[1])
                            for w in (0.0, top + fat_mm)])
        lo, hi = corners.min(axis=0), corners.max(axis=0)
        rows = a.tolist()
        oo = o.tolist()

        def within(x, y, z, w0, w1):
            d = (x - oo[0], y - oo[1], z - oo[2])
            u, v, w = (d[0] * r[0] + d[1] * r[1] + d[2] * r[2] for r in rows)
            shape = np.broadcast_shapes(np.shape(u), np.shape(v), np.shape(w))
            u, v, w = (np.broadcast_to(c, shape) for c in (u, v, w))
            m = (w > w0) & (w <= w1) & (np.broadcast_to(z, shape) > 0.0)
            if m.any():
                m[m] = _outside_distance(poly, u[m], v[m]) <= BORDER_MARGIN_MM
            return m

        # the box in slabs of 16 z-planes (temporaries stay small at 0.5 mm), as the blades
        step = 16 * float(f.grid.spacing[0])
        for z0 in np.arange(lo[2], hi[2], step):
            f.paint_mask(labels, (lo[0], lo[1], z0), (hi[0], hi[1], min(z0 + step, hi[2]) - 1e-3),
                         lambda x, y, z: within(x, y, z, face, top), MUSCLE, only=ADIPOSE)
