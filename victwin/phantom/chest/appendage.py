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
ventricle (:mod:`.cardiac`). Drawn (2026-12-03, sixth session, issue-19base14): from the
atrium's centre along the direction nearest to :data:`FORWARD_DEG` forward-left in the
horizontal (the drawing's until then) that keeps its outer ellipsoid :data:`TRUNK_GAP_MM`
clear of the pulmonary trunk and its outflow tract (:func:`.pulmonary_trunk.trunk_axis`, with
the men's calibre at the cavity's body surface area, since 2026-12-05 by BSA: the cavity carries
no sex, and the men's trunk is the wider at any BSA), turned to the left, down, or between
(:func:`appendage_turn_deg`): so it lies beside the trunk's left side and below it, towards
the trunk's root. Which way, left or down (since 2026-12-05, helper 19heart23): the way that
lays its tip on the ventricles' surface. The appendage lies in the left atrioventricular
groove, "between the left upper pulmonary vein and the left ventricle, overlapping the
proximal left circumflex artery" (Taylor & Francis chapter "Left atrial appendage", abstract,
as in :mod:`.cardiac`); its tip lies "over the pulmonary trunk (PT) and the left anterior
descending (LAD) coronary artery" or medially (Left atrial anatomy relevant to catheter
ablation, Cardiol Res Pract 2014:289720, doi 10.1155/2014/289720, fig. 8 caption); the LAD and
the circumflex run on the ventricles' surface, in their grooves; in an anterior view "the LAA
lies in between the pulmonary artery and the left ventricle filling in the gap between these
structures", the third of the four bumps of the left border (thoracickey.com, "The Left
Atrium and the Left Atrial Appendage", a book chapter, anatomy section). Model choice: the
tip on the ventricles' ellipsoid (its outer surface, the epicardium, where those arteries
run). Until then the least deviation over all azimuths was taken; it is nearly the same
from 0 to 40 deg of azimuth (within 1.3-4.3 deg in the five test bodies), so the azimuth was set by
small moves of the trunk: with the great vessels measured from the sternum's back
(issue-19inlet22) it turned from 20-45 to 10-25 deg (mostly leftward), and the appendage stood
out high on the left border above a 15-16 mm waist (NOTES, 19heart23). Turned 23-32 deg,
36-51 deg of it downwards, in the five test bodies (2026-12-05).
A straight ellipsoid cannot curve round the trunk's root as the auricle does; its blood is
painted over the ventricles' chambers where it lies on them
(:func:`.mediastinum.paint_left_atrium`).

History: horizontal at 45 deg until 2026-12-03 (issue-19root13), where it met the trunk's upper
half and the trunk, painted over it, took 0.5-1.1 mL of its blood (NOTES, issue-19trunk12). On
issue-19root13 a leftward turn alone (21-25 deg) widened the left lower-lobe artery's measured
shadow, so it was only tilted down (16-52 deg); merged with the conical cage the tilted
appendage lay below the atrium's left edge and left a 15.1-15.6 mm waist on the left heart
border of two test bodies (NOTES, issue-19root13, issue-19fix13). Turned either way, as here,
on main's hila, the left interlobar width is unchanged (NOTES, issue-19base14).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import math

import numpy as np

from .cardiac import ATRIAL_WALL_MM, LAA_LENGTH_MM, LAA_ML
from .pulmonary_trunk import segment_distance_sq, trunk_axis

__all__ = ["TRUNK_GAP_MM", "FORWARD_DEG", "MAX_TURN_DEG", "left_appendage", "trial_cavities",
           "appendage_turn_deg"]

# Between the appendage's wall and the pulmonary trunk (epicardial fat; model choice, one voxel
# at 2 mm).
TRUNK_GAP_MM = 2.0
# Forward angle from the left-right axis, horizontal (the drawing's until 2026-12-03, model
# choice), and the largest turn away from it tried (model choice).
FORWARD_DEG = 45.0
MAX_TURN_DEG = 60.0

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


def _direction(forward_deg: float) -> np.ndarray:
    f = math.radians(forward_deg)
    return np.array([math.cos(f), 0.0, -math.sin(f)])


def _gap(cav, u, trunk) -> float:
    """Least distance (mm) from the appendage's outer ellipsoid along ``u`` to the wall of the
    trunk and outflow tract ``trunk`` (:func:`.pulmonary_trunk.trunk_axis`)."""
    outflow, valve, bif, r_trunk = trunk
    a, b = _semi_axes()
    e2 = np.cross(u, [0.0, 1.0, 0.0])
    e2 /= np.linalg.norm(e2)
    e3 = np.cross(u, e2)
    pts = (_placed(cav, u) + _UNIT[:, :1] * a * u + _UNIT[:, 1:2] * b * e2
           + _UNIT[:, 2:3] * b * e3)
    x, y, zd = pts.T
    d2 = min(float(segment_distance_sq(x, y, zd, p, q).min())
             for p, q in ((outflow, valve), (valve, bif)))
    return float(np.sqrt(d2)) - r_trunk


def _turned(deviation_deg: float, azimuth_deg: float) -> np.ndarray:
    """The unit direction :data:`FORWARD_DEG` forward-left in the horizontal, turned by
    ``deviation_deg`` towards the left (``azimuth_deg`` 0: in the horizontal, away from the
    trunk's side) or down (90: a downward tilt) or between."""
    u0 = _direction(FORWARD_DEG)
    left = _direction(FORWARD_DEG - 90.0)
    down = np.array([0.0, 1.0, 0.0])
    a, d = math.radians(azimuth_deg), math.radians(deviation_deg)
    w = math.cos(a) * left + math.sin(a) * down
    return math.cos(d) * u0 + math.sin(d) * w


def _tip_in_ventricles(cav, u) -> float:
    """Ellipsoidal radius of the tip of the appendage along ``u`` in the ventricles' ellipsoid
    (:meth:`.lungs.Cavity.heart`): 1 on its surface, below 1 inside."""
    a, _ = _semi_axes()
    d = np.asarray(cav.heart_frame()) @ (_placed(cav, u) + a * u - np.asarray(cav.heart_c))
    return float(np.sqrt(np.sum((d / np.asarray(cav.heart_r, np.float64)) ** 2)))


@functools.lru_cache(maxsize=256)
def appendage_turn_deg(cav) -> tuple:
    """``(deviation, azimuth)`` (deg) of the appendage's axis from :data:`FORWARD_DEG`
    forward-left in the horizontal in the cavity ``cav`` (:func:`_turned`). At each azimuth,
    from a leftward turn (0) to a downward tilt (90), the least deviation (0.05 deg bisection,
    up to :data:`MAX_TURN_DEG`) that keeps it :data:`TRUNK_GAP_MM` clear of the pulmonary
    trunk and its outflow tract; of these turns, the one whose tip lies on the ventricles'
    surface (module docstring; the azimuth bisected to 0.1 deg between the 5 deg
    steps where the tip passes from outside to inside; none passing: the step whose tip lies
    nearest the surface). Without ventricles (``heart_r`` 0) the least deviation over the
    azimuths (the rule until 2026-12-05, helper 19heart23). No clear turn is a ``ValueError``
    (since 2026-12-04; until then ``(MAX_TURN_DEG, 90)`` was returned)."""
    trunk = trunk_axis(cav, cav.spine(), "male")

    def clear(dev, az):
        return _gap(cav, _turned(dev, az), trunk) >= TRUNK_GAP_MM

    if clear(0.0, 0.0):
        return 0.0, 0.0

    def least(az, top=float(MAX_TURN_DEG)):
        if not clear(top, az):
            return None
        lo, hi = 0.0, top
        while hi - lo > 0.05:
            m = 0.5 * (lo + hi)
            lo, hi = (lo, m) if clear(m, az) else (m, hi)
        return hi

    turns = [(float(az), least(float(az))) for az in np.arange(0.0, 90.0 + 1e-9, 5.0)]
    turns = [(az, dev) for az, dev in turns if dev is not None]
    if not turns:
        raise ValueError(f"appendage_turn_deg: no turn up to {MAX_TURN_DEG:g} deg keeps the left "
                         f"atrial appendage {TRUNK_GAP_MM:g} mm clear of the pulmonary trunk in "
                         f"the cavity a0 {cav.a0:.1f} mm, b0 {cav.b0:.1f} mm, height "
                         f"{cav.height:.1f} mm")
    if not all(r > 0.0 for r in cav.heart_r):     # the rule until 2026-12-05, as it was
        best = (float(MAX_TURN_DEG), 90.0)
        for az in np.arange(0.0, 90.0 + 1e-9, 5.0):
            if not clear(best[0], az):
                continue
            lo, hi = 0.0, best[0]
            while hi - lo > 0.05:
                m = 0.5 * (lo + hi)
                lo, hi = (lo, m) if clear(m, az) else (m, hi)
            best = (hi, float(az))
        return best

    def q(az, dev):
        return _tip_in_ventricles(cav, _turned(dev, az)) - 1.0

    qs = [q(az, dev) for az, dev in turns]
    for (a0, d0), (a1, d1), q0, q1 in zip(turns, turns[1:], qs, qs[1:]):
        if a1 - a0 <= 5.0 + 1e-9 and q0 >= 0.0 >= q1:
            lo, hi = (a0, d0), (a1, d1)
            while hi[0] - lo[0] > 0.1:
                m = 0.5 * (lo[0] + hi[0])
                dm = least(m)
                if dm is None:
                    break
                lo, hi = ((m, dm), hi) if q(m, dm) >= 0.0 else (lo, (m, dm))
            return hi[1], hi[0]
    az, dev = min(zip(turns, qs), key=lambda t: abs(t[1]))[0]
    return dev, az


# inside :func:`trial_cavities`; a context variable, so builds in threads of one process (a
# threaded Dask worker) do not see each other's solve
_TRIAL = contextvars.ContextVar("victwin_appendage_trial", default=False)


@contextlib.contextmanager
def trial_cavities():
    """Within it, a cavity that no turn clears (:func:`appendage_turn_deg`'s ``ValueError``)
    gets the appendage at :data:`MAX_TURN_DEG` tilted down (the drawing's until 2026-12-04),
    not cached: for the lung volume's solve (:func:`.lungs.solve_cavity`), whose cube-root
    steps pass through trial scales that the solved cavity is not (since 2026-12-05, helper
    19heart23: the 120 cm, BMI 70 corners were refused at a trial a0 3-5 mm below the solved
    one, whose appendage clears at 56-59 deg). The solved cavity is held to the rule: outside
    the context its appendage raises as before."""
    token = _TRIAL.set(True)
    try:
        yield
    finally:
        _TRIAL.reset(token)


def left_appendage(cav) -> tuple:
    """``(centre, axis, a, b)`` (mm) of the left atrial appendage's outer prolate ellipsoid of
    the cavity ``cav``: ``axis`` the unit vector (x, y, zd) turned by
    :func:`appendage_turn_deg` (in :func:`trial_cavities`, a cavity no turn clears gets
    :data:`MAX_TURN_DEG` tilted down), ``a`` and ``b`` its semi-axes along and across."""
    try:
        u = _turned(*appendage_turn_deg(cav))
    except ValueError:
        if not _TRIAL.get():
            raise
        u = _turned(MAX_TURN_DEG, 90.0)
    a, b = _semi_axes()
    return (tuple(float(v) for v in _placed(cav, u)), tuple(float(v) for v in u), a, b)
