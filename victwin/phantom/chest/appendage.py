"""The left atrial appendage of the chest twins, placed beside the pulmonary trunk (2026-12-03,
branch issue-19root13; until then in :meth:`.lungs.Cavity.left_appendage`, which now calls
:func:`left_appendage`).

Size (:mod:`.cardiac`): a prolate ellipsoid of the mean resin-cast volume, 5.22 mL (Ernst G et
al., Anat Rec 1995;242:553-561, 220 casts, range 0.77-19.3 mL), 32 mm long (inside the
published 20-45 mm), inside an :data:`.cardiac.ATRIAL_WALL_MM` wall; its base one radius inside
the atrium's outer surface, so the two are joined (unchanged).

Position: "The auricula ... is directed forward and toward the right and overlaps the root of
the pulmonary artery" (Gray H. Anatomy of the Human Body, 20th ed. 1918, "The left atrium", as
quoted by IMAIOS e-Anatomy, "Left auricle"); "visible anteriorly, upon the left of the
pulmonary artery" (anatomyexpert.com, "Left atrium"); it "projects anteriorly and then to the
right over the external surface of the pulmonary trunk" (gpnotebook, "Auricle (left atrium,
anatomy)"); it lies in front of the left upper pulmonary vein, between it and the left
ventricle (:mod:`.cardiac`). Drawn: from the atrium's centre forward and to the left at
:data:`FORWARD_DEG` (the previous drawing's, model choice), tilted down towards the trunk's
root by the least angle that keeps its outer ellipsoid :data:`TRUNK_GAP_MM` clear of the
pulmonary trunk and its outflow tract (:func:`.pulmonary_trunk.trunk_axis`, with the men's
calibre: the cavity carries no sex): so it lies behind and to the left of the trunk's lower
half, near its root, without overlapping it. Horizontal (until 2026-12-03, issue-19root13) it
met the trunk's upper half, and the trunk, painted over it, took 0.5-1.1 mL of its blood
(NOTES, issue-19trunk12); turned to the left instead (a first try on this branch) it lay in
front of the left hilum and its blood widened the left lower-lobe artery's measured shadow
(NOTES, issue-19root13). A straight ellipsoid cannot curve round the trunk's root as the
auricle does. Tilted down it lies partly inside the ventricles' ellipsoid (the auricle lies on
the left ventricle's base): its blood is painted over the ventricles' chambers
(:func:`.mediastinum.paint_left_atrium`).
"""

from __future__ import annotations

import functools
import math

import numpy as np

from .cardiac import ATRIAL_WALL_MM, LAA_LENGTH_MM, LAA_ML
from .pulmonary_trunk import trunk_axis

__all__ = ["TRUNK_GAP_MM", "FORWARD_DEG", "MAX_TILT_DEG", "left_appendage",
           "appendage_tilt_deg"]

# Between the appendage's wall and the pulmonary trunk (epicardial fat; model choice, one voxel
# at 2 mm).
TRUNK_GAP_MM = 2.0
# Forward angle from the left-right axis (the previous drawing's, model choice) and the largest
# downward tilt tried (model choice).
FORWARD_DEG = 45.0
MAX_TILT_DEG = 60.0

# Unit sphere samples (polar angle along the long axis, 13 x 24) of the ellipsoid's surface.
_TH, _PH = np.meshgrid(np.linspace(0.0, np.pi, 13), np.linspace(0.0, 2.0 * np.pi, 24,
                                                                    endpoint=False))
_UNIT = np.stack([np.cos(_TH).ravel(), (np.sin(_TH) * np.cos(_PH)).ravel(),
                  (np.sin(_TH) * np.sin(_PH)).ravel()], axis=1)


def _semi_axes() -> tuple:
    a_in = 0.5 * LAA_LENGTH_MM
    b_in = math.sqrt(3.0 * LAA_ML * 1000.0 / (4.0 * math.pi * a_in))
    return a_in + ATRIAL_WALL_MM, b_in + ATRIAL_WALL_MM


def _placed(cav, u) -> np.ndarray:
    """Centre of the appendage along the unit ``u`` from the left atrium's centre: its base
    one radius ``b`` inside the atrium's outer surface."""
    x0, y0, z0, (rx, ry, rz) = cav.left_atrium()
    a, b = _semi_axes()
    s = 1.0 / math.sqrt((u[0] / rx) ** 2 + (u[1] / ry) ** 2 + (u[2] / rz) ** 2)
    return np.array([x0, y0, z0]) + u * (s - b + a)


def _direction(tilt_deg: float) -> np.ndarray:
    f, t = math.radians(FORWARD_DEG), math.radians(tilt_deg)
    return np.array([math.cos(f) * math.cos(t), math.sin(t), -math.sin(f) * math.cos(t)])


@functools.lru_cache(maxsize=256)
def appendage_tilt_deg(cav) -> float:
    """The appendage's downward tilt (deg below the horizontal) of the cavity ``cav``: the
    least up to :data:`MAX_TILT_DEG` that keeps it :data:`TRUNK_GAP_MM` clear of the
    pulmonary trunk (module docstring; 0.05 deg bisection)."""
    outflow, valve, bif, r_trunk = trunk_axis(cav, cav.spine(), "male")
    a, b = _semi_axes()

    def gap(deg):
        u = _direction(deg)
        e2 = np.cross(u, [0.0, 1.0, 0.0])
        e2 /= np.linalg.norm(e2)
        e3 = np.cross(u, e2)
        pts = (_placed(cav, u) + _UNIT[:, :1] * a * u + _UNIT[:, 1:2] * b * e2
               + _UNIT[:, 2:3] * b * e3)
        out = np.inf
        for p, q in ((outflow, valve), (valve, bif)):
            d = q - p
            t = np.clip((pts - p) @ d / float(d @ d), 0.0, 1.0)
            out = min(out, float(np.linalg.norm(pts - (p + t[:, None] * d), axis=1).min()))
        return out - r_trunk

    lo, hi = 0.0, MAX_TILT_DEG
    if gap(lo) >= TRUNK_GAP_MM:
        return lo
    if gap(hi) < TRUNK_GAP_MM:
        return hi
    while hi - lo > 0.05:
        m = 0.5 * (lo + hi)
        lo, hi = (lo, m) if gap(m) >= TRUNK_GAP_MM else (m, hi)
    return hi


def left_appendage(cav) -> tuple:
    """``(centre, axis, a, b)`` (mm) of the left atrial appendage's outer prolate ellipsoid of
    the cavity ``cav``: ``axis`` the unit vector (x, y, zd) at :func:`appendage_forward_deg`,
    ``a`` and ``b`` its semi-axes along and across."""
    u = _direction(appendage_tilt_deg(cav))
    a, b = _semi_axes()
    return (tuple(float(v) for v in _placed(cav, u)), tuple(float(v) for v in u), a, b)
