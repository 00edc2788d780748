"""The skin over the positioned shoulder girdle: how wide the armless trunk must be, level by
level, to hold the scapulae's glenoid heads, acromia, spines and lateral borders under their
soft tissue (2026-12-05, second session, branch issue-19shoulder20).

The trunk's shoulders (:mod:`.outline`) are Heinz et al. 2003's biacromial breadth plus the
subcutaneous layer, measured standing with the arms at the sides: they hold the scapulae of the
``"neutral"`` positioning. For the PA film (:func:`.scapula.pa_glide_deg`) the blades glide
forward around the cage and their lateral ends leave that outline (1.9 mL of the 178 cm man's
scapulae, 8.8 mL of the lean 158 cm woman's lay in air before this module). Here the
positioned bones are sampled on their surfaces (:func:`girdle_points`), each part given the
soft tissue that covers it, and :func:`girdle_half_widths` returns, for each level, the
trunk's half-width at the skin that holds every sampled point grown by its cover.
:class:`.outline.Outline` widens the trunk to that wherever it is wider (``girdle``) by
stretching the section's flanks only, the wall outside the rib cage (model choice): over the
cage the front and back (chest wall, breasts, sternum, the lungs' cover) are unchanged. The
grid grows with it by whole voxels each side (the cavity's voxels unchanged). The
``"neutral"`` twins have no ``girdle``: their labels are those of before.

Covers (mm of soft tissue between the bone and the skin):

* glenoid head: laterally the deltoid, then the subcutaneous fat; the cover reaches a
  deltoid thickness above and below the head (an elliptic fall-off), not further: below the
  shoulder joint lies the axilla, and the twin has no arm. Deltoid thickness by ultrasound
  (7.5 MHz), 100 adult outpatients (50 men, 50 women, 18-65 y) in Gujrat, Pakistan: men
  19.2 +/- 3.1 mm, women 17.6 +/- 3.0 mm (Umar M, Naz I, Ishtiaq M, Baig NA, Anjum A.
  Clinical assessment of anatomical landmarks of the shoulder for safe intramuscular
  injections. DMLS 2024, doi 10.69750/dmls.02.04.0115; abstract read, where on the deltoid
  it was measured is not given beyond the 50 mm landmark below the acromion). ASSUMPTION
  (the twin has no arms): in life the deltoid lies on the humeral head, lateral to the
  glenoid; here it lies on the glenoid head itself, so the shoulder's side is the glenoid plus
  the deltoid and fat, narrower than a real shoulder by the humeral head.
* acromion: the twin's subcutaneous fat at the sides (:func:`.anatomy.fat_mm_for`, "side";
  these covers set half-widths, so the sides' thickness, :attr:`.outline.Outline.fat`), every
  way: the
  acromion is subcutaneous (palpable; the outline's existing assumption over the acromia,
  :data:`.outline.BIACROMIAL_MM`).
* spine of the scapula: the subcutaneous fat laterally (its crest is subcutaneous); only its
  column is kept inside the trunk's side, its depth behind the blade being the scapular
  cover's (:mod:`.scapular_cover` lays muscle and fat behind the blade along ``zd``).
* lateral border: no cover, only its column inside the trunk's side (ASSUMPTION: the muscles
  over it, teres minor and major, are the scapular cover's along ``zd``; a fat cover here
  widened the trunk 10 mm at the nipple line of the 177 cm man, where the arms, not the
  girdle, would lie beside the chest).

The glenoid head and the acromion are held with the section's shape at their depth (a point
in front of or behind the widest line needs a wider flank). Between the acromion's cover and
the glenoid head's the profile is filled (one bulge per side, the deltoid draping from the one
over the other; model choice). The sampling (:data:`SAMPLES`) is a model detail: 200 points
on each ellipsoid, 5 mm lattices on the spine plate and the lateral border; the test
(``tests/phantom/test_chest_shoulders.py``) counts the scapulae's voxels in air, independently
of it.
"""

from __future__ import annotations

import numpy as np

from .scapula import (HEAD_MM, LATERAL_BORDER_MM, MEDIAL_BORDER_MM, SCAPULA_SPINE_MM,
                      SPINOGLENOID_WIDTH_MM, Scapula)
from .scapula import _spine_width as spine_width

__all__ = ["DELTOID_MM", "girdle_points", "girdle_half_widths", "SAMPLES"]

#: Deltoid thickness (mm) by ultrasound, mean by sex (Umar et al. 2024, module docstring).
DELTOID_MM = {"male": 19.2, "female": 17.6}
#: Points on each ellipsoid; lattice step (mm) on the spine plate and the lateral border.
SAMPLES = (200, 5.0)
#: Level step (mm) of the half-width knots.
STEP_MM = 1.0


def _ellipsoid_surface(centre, axes, half, n: int) -> np.ndarray:
    """``(n, 3)`` points on the ellipsoid (a Fibonacci lattice on the unit sphere, stretched)."""
    i = np.arange(n) + 0.5
    phi = np.arccos(1.0 - 2.0 * i / n)
    th = np.pi * (1.0 + 5.0 ** 0.5) * i
    unit = np.column_stack([np.cos(th) * np.sin(phi), np.sin(th) * np.sin(phi), np.cos(phi)])
    e = np.asarray(axes, float)
    return np.asarray(centre, float) + (unit * np.asarray(half, float)) @ e


def _spine_plate(s: Scapula, step: float) -> np.ndarray:
    """Points of the spine plate (both faces), as :func:`.scapula.paint_scapulae` draws it."""
    k = s.k
    a = np.asarray(s.axes)
    e_s = s.spine_dir()
    e_m = np.cross(a[0], e_s)
    ug, _ = s.glenoid_uv()
    u_notch = ug - 0.5 * HEAD_MM * k
    pts = []
    for u in np.arange(0.0, SCAPULA_SPINE_MM * k + 1e-6, step):
        lo = 0.0 if u <= u_notch else 0.25 * SPINOGLENOID_WIDTH_MM * k
        hi = min(float(spine_width(np.array([u]), k, u_notch)[0]), SPINOGLENOID_WIDTH_MM * k)
        for sd in np.append(np.arange(lo, hi, step), hi):
            for m in (-0.5, 0.5):
                pts.append(np.asarray(s.point(u, 0.0)) + sd * e_s + m * MEDIAL_BORDER_MM * e_m)
    return np.array(pts)


def _lateral_border(s: Scapula, step: float) -> np.ndarray:
    """Points on the lateral border's rod (glenoid neck to inferior angle; its radius tapers
    from the lateral to the medial border's), six around each lattice point: four on two
    perpendicular diameters and the two of the rod's cross-section furthest left and right."""
    k = s.k
    poly = s.outline_uv()
    p0, p1 = np.asarray(s.point(*poly[3])), np.asarray(s.point(*poly[-1]))
    n = max(int(np.linalg.norm(p1 - p0) / step), 1)
    t = np.linspace(0.0, 1.0, n + 1)[:, None]
    centre = p0 + t * (p1 - p0)
    r = 0.5 * k * (LATERAL_BORDER_MM + t * (MEDIAL_BORDER_MM - LATERAL_BORDER_MM))
    a = np.asarray(s.axes)
    d = (p1 - p0) / np.linalg.norm(p1 - p0)
    e1 = np.cross(d, a[2])
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(d, e1)
    # and the rod's outermost points left and right: the x axis projected on the rod's
    # cross-section (four points at e1, e2 only miss up to 1 - 1/sqrt(2) of the radius there)
    ex = np.array([1.0, 0.0, 0.0]) - d[0] * d
    ex /= max(float(np.linalg.norm(ex)), 1e-9)
    return np.vstack([centre + r * e for e in (e1, -e1, e2, -e2, ex, -ex)])


def girdle_points(s: Scapula, *, sex: str, fat_mm: float) -> list:
    """``[(points (n, 3) anatomy mm, lateral cover mm, vertical cover mm, sectional), ...]``:
    the surfaces of the scapula ``s``'s glenoid head, acromion, spine plate and lateral
    border, each with the soft tissue that covers it laterally and above and below (module
    docstring); ``sectional``: held by the section's shape at the point's depth (False for the
    lateral border, whose depth the scapular cover holds: only its column is kept inside the
    trunk's side)."""
    n, step = SAMPLES
    return [(_ellipsoid_surface(*s.head_ellipsoid(), n), DELTOID_MM[sex] + fat_mm,
             DELTOID_MM[sex], True),
            (_ellipsoid_surface(*s.acromion_ellipsoid(), n), fat_mm, fat_mm, True),
            (_spine_plate(s, step), fat_mm, fat_mm, False),
            (_lateral_border(s, step), 0.0, step, False)]


def girdle_half_widths(ol, scapulae, *, sex: str, cage_half_width=None) -> tuple:
    """``((y, half-width), ...)`` every :data:`STEP_MM` (mm) over the levels the girdle's
    covers reach: the least half-width (mm, at the skin) of the trunk ``ol``
    (:class:`.outline.Outline`, its depth and exponent at each level, the same
    ``cage_half_width`` the builder draws with) that holds every point of
    :func:`girdle_points` grown by its cover, 0 at a level where the outline's own half-width
    already holds them. At ``dy`` above or below a point its lateral cover ``c`` falls
    elliptically over the vertical reach ``cv``: ``c * sqrt(1 - (dy / cv)^2)``. A sectional
    point is held with the section at its depth, the outline stretching only the flank beyond
    the cage (:meth:`.outline.Outline._fold_flanks`: the width needed is
    ``x0 + (x - x0) (a - x0) / (X - x0)``, ``a`` the own half-width, ``x0`` where the flank
    begins, ``X`` the own section's half-width at the point's depth, ``X - x0`` kept >= a tenth
    of ``a - x0``); a column-only point needs ``x`` itself. The profile is then filled between
    its peaks (rising to its widest level, falling after it: no notch between the acromion's
    and the glenoid head's covers; model choice). The voxel test counts what remains."""
    parts = [pc for s in scapulae for pc in girdle_points(s, sex=sex, fat_mm=ol.fat)]
    y_lo = min(float(p[:, 1].min()) - cv for p, _, cv, _ in parts)
    y_hi = max(float(p[:, 1].max()) + cv for p, _, cv, _ in parts)
    ys = np.arange(np.floor(y_lo), np.ceil(y_hi) + STEP_MM, STEP_MM)
    own, depth = ol._a_depth(ys.astype(np.float32), 0.0, cage_half_width)
    back = ol._back_depth(ys, depth)
    p_y = np.broadcast_to(ol._p(ys.astype(np.float32)) + ol.skin_dp, ys.shape)
    need = np.zeros(len(ys))
    # the front's cut over the upper cage (PROTOTYPE 2026-12-05, issue-19inlet21)
    cut = np.broadcast_to(np.asarray(ol._cut(ys), np.float64), ys.shape)
    for pts, c, cv, sectional in parts:
        dy = ys[:, None] - pts[None, :, 1]
        reach = c * np.sqrt(np.clip(1.0 - (dy / cv) ** 2, 0.0, None))
        lateral = np.where(np.abs(dy) <= cv, np.abs(pts[None, :, 0]) + reach, 0.0)
        zd = pts[None, :, 2] * (1.0 if sectional else 0.0)
        b = np.where(zd > 0, ol.b_post * back[:, None],
                     np.maximum(ol.b_ant - cut[:, None], 1.0) * depth[:, None])
        q = np.minimum(np.abs(zd) / b, 0.95) ** p_y[:, None]
        # the section's half-width at the point's depth, and where its flank begins (the
        # outline stretches the wall beyond ``x0`` only, :meth:`.outline.Outline._fold_flanks`)
        reach_x = own[:, None] * (1.0 - q) ** (1.0 / p_y[:, None])
        x0 = own[:, None] - (ol.a - ol.cage_a)
        span = np.maximum(reach_x - x0, 0.1 * (own[:, None] - x0))
        a_g = x0 + (lateral - x0) * (own[:, None] - x0) / span
        need = np.maximum(need, np.where(lateral > x0, a_g, 0.0).max(axis=1))
    # the skin spans from the acromion's cover to the glenoid head's (the deltoid drapes from
    # the one over the other): no notch between them (model choice), one bulge per side
    need = np.minimum(np.maximum.accumulate(need), np.maximum.accumulate(need[::-1])[::-1])
    wider = need > own
    if not wider.any():
        return ()
    return tuple((float(y), float(w)) for y, w in zip(ys, np.where(wider, need, 0.0)))
