"""The thoracic cavity's width and depth by level: a conical upper cage narrowing to the
thoracic inlet, under a rounded cupola (the lung apex).

:func:`width_fraction` and :func:`depth_fraction` give the cavity's half-width and half-depth
at relative level ``t`` (0 at the lung apex, 1 at the lateral costophrenic recess) as
fractions of the base values ``a0`` and ``b0`` of :class:`.lungs.Cavity`
(:meth:`~.lungs.Cavity.half_width`, :meth:`~.lungs.Cavity.half_depth`). They are pure
functions of ``t``, so the cavity's lung volume stays a homogeneous function of its scale and
:func:`.lungs.solve_cavity` keeps the TLC on target.

Sources and choices:

* the thorax "is conical, narrow above and broad below"; its upper opening (the thoracic inlet,
  bounded by T1, the first ribs and the manubrium) measures "about 10 cm" transversely and
  "about 5 cm" front to back (Gray H, Anatomy of the Human Body, 20th ed. 1918, "The Thorax";
  GPnotebook, "Thoracic inlet (anatomy)", reviewed 01/2018: transverse 9-11 cm,
  anteroposterior 4.5-6 cm; on CT the midline T1-to-manubrium distance is 66.1 +- 6.6 mm in
  65 adults: Baker JF, Global Spine J 2023;13(3):705-712, abstract);
* the base: the diaphragm width between the costophrenic angles on PA films, 278 +- 25 mm
  (45 adults; Alghamdi S et al., Int J Biomed 2021;11(2):206-211, abstract); the twins'
  costophrenic points lie 0.97 x the base width 2 ``a0`` apart
  (:func:`.measure_cage.diaphragm_width_mm`, 2026-12-03 tenth session). So the inlet's half
  width is :data:`INLET_WIDTH_FRACTION` = 100 / 278 x 0.97 = 0.35 of ``a0``, at the level
  where the first rib's lateral arc runs (:data:`INLET_LEVEL`: the level
  :func:`.ribs.cage_surface` holds the first rib at; the rib lies just outside the cavity);
* between the inlet and the widest level (:data:`WIDEST_LEVEL`, 0.55 of the height: Gray's
  "broad below") the width grows as ``1 - (1 - s)^2.5`` of the way, fast below the inlet and
  levelling off (MODEL CHOICE). The in-plane sizes of ribs 1-7 on CT (Holcombe SA et al.,
  J Biomech 2016: 72, 113, 145, 171, 190, 203, 214 mm in men;
  :data:`.measure_ribs.HOLCOMBE_2016_SX_MM`) are 0.33, 0.53, 0.67, 0.79, 0.88, 0.94, 0.99 of
  the 8th's; this profile gives 0.34, 0.52, 0.72, 0.86, 0.95, 0.99, 1.0 at the mid-levels of
  T2..T8, where ribs 1..7 run laterally (ASSUMPTION: about one level below their heads);
* depth: the inlet's 5 cm is its midline (T1 to the manubrium, set by the spine and sternum,
  not by this profile); beside the midline the lung apices reach back into the paravertebral
  gutters. The half-depth at the inlet stays 0.9 ``b0`` as before (:data:`INLET_DEPTH_FRACTION`,
  MODEL CHOICE: a 0.6 cost the twins another 1 % of base width at the same TLC);
* above the inlet the cupola rounds off as a quarter ellipse to the apex (MODEL CHOICE, as
  before).

Until 2026-12-03 (eleventh session, helper 19outline11) the cavity was a near cylinder with a
blunt dome: its half-width reached 0.61 ``a0`` at 8 % of the height and 0.85-1.0 ``a0`` from
28 % down; the first rib ring measured 174-193 mm inside (NOTES, 19ribs10).

History of the conflicts (NOTES, 19outline11, 19blade12, 19blade13): with the first cone at a
fixed TLC the base widened (``a0`` +2-3 %), the lean twins' outer rib breadth went 31-35 mm
over Heinz 2003's caliper and the lean man's girth 0.4 mm over its 2 RSD; with the deeper
paravertebral gutters (cavity depth ratio 1.60) ``a0`` is now 1.5-1.7 % lower than before the
cone, and the ribs are counted at the paraspinal line
(:func:`.measure.posterior_rib_crossings`), not in a band at 0.4 ``a0`` that missed the
first rib.

The front (PROTOTYPE, 2026-12-05, issue-19inlet21): the profile's section is centred and
symmetric, so at the jugular notch its front lay as far in front of the vertebral bodies as at
mid-chest (T1 to the manubrium 101-122 mm in the geometry, Baker's 66.1 +- 6.6 mm; the first
rib's head-to-junction chord 1.7-2.0 x Holcombe 2016's). :meth:`.lungs.Cavity.front_ap_mm`
now holds the front at most :data:`INLET_AP_FRACTION` ``b0`` in front of the bodies from the
notch's level up and at the mid-chest's ``spine_front + b0`` from the xiphisternal joint
down, two straight pieces between meeting at the sternal angle at the MDCT angle
(:func:`angle_ap_mm`); the back (the paravertebral gutters) is unchanged. The sternum
(:func:`.sternum.sternum_course`) runs on that front: its body leans ~17 deg back from the
joint, the manubrium ~35 deg (no inclination figure read).
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["width_fraction", "depth_fraction", "trunk_width_fraction", "INLET_LEVEL",
           "WIDEST_LEVEL", "INLET_WIDTH_FRACTION", "INLET_DEPTH_FRACTION", "CONE_EXPONENT",
           "INLET_AP_FRACTION", "sternal_span", "angle_ap_mm", "front_ap_mm", "walls",
           "back_section", "inside_section"]

#: Relative level (0 apex, 1 costophrenic recess) of the thoracic inlet's lateral rim: where
#: :func:`.ribs.cage_surface` holds the first rib (8 % of the lung height).
INLET_LEVEL = 0.08
#: Relative level below which the cavity keeps its base width (0.65 for the old barrel).
WIDEST_LEVEL = 0.55
#: Inlet half-width over ``a0``: Gray's 10 cm over Alghamdi 2021's 278 mm, x 0.97 (above).
INLET_WIDTH_FRACTION = 100.0 / 278.0 * 0.97
#: Inlet half-depth over ``b0`` (MODEL CHOICE, above).
INLET_DEPTH_FRACTION = 0.9
#: Exponent of the widening ``1 - (1 - s)^p`` from the inlet to the widest level (MODEL CHOICE).
CONE_EXPONENT = 2.5
#: The midline thoracic inlet over ``b0``: the cavity's front wall lies at most this much of
#: ``b0`` in front of the vertebral bodies from the jugular notch's level up
#: (:meth:`.lungs.Cavity.front_ap_mm`; PROTOTYPE 2026-12-05, issue-19inlet21). Baker 2023's
#: thoracic inlet distance 66.1 mm (SD 6.6; read as T1's anterosuperior corner to the
#: manubrium's posterosuperior corner) over the twins' notch drop below T1's top (34-43 mm;
#: "about 3.7 cm", MedMentor) leaves a horizontal ~52 mm (47-58 within 1 SD): 0.50-0.62 of the
#: 178 cm man's ``b0`` (93 mm). 0.52 (MODEL CHOICE inside that range): the 2 mm voxel reading
#: (:func:`.measure_sternum.inlet_distance_mm`) runs 2-7 mm over the geometry's, and 0.55 put
#: the 190 cm man's reading on Baker's mean + 2 SD. Gray's "about 5 cm", GPnotebook 4.5-6 cm.
INLET_AP_FRACTION = 0.52


def _profile(t, inlet: float, widest: float) -> np.ndarray:
    t = np.clip(np.asarray(t, np.float32), 0.0, 1.2)
    u = np.minimum(t / np.float32(INLET_LEVEL), 1.0)
    cupola = inlet * np.sqrt(np.clip(1.0 - (1.0 - u) ** 2, 0.0, 1.0))
    s = np.clip((t - np.float32(INLET_LEVEL)) / np.float32(widest - INLET_LEVEL), 0.0, 1.0)
    cone = inlet + (1.0 - inlet) * (1.0 - (1.0 - s) ** CONE_EXPONENT)
    return np.where(t < INLET_LEVEL, cupola, cone).astype(np.float32)


def width_fraction(t) -> np.ndarray:
    """Half-width of the cavity over ``a0`` at relative level ``t`` (float32, ``t``'s shape):
    0 at the apex, :data:`INLET_WIDTH_FRACTION` at :data:`INLET_LEVEL`, 1 from
    :data:`WIDEST_LEVEL` down."""
    return _profile(t, INLET_WIDTH_FRACTION, WIDEST_LEVEL)


def depth_fraction(t) -> np.ndarray:
    """Half-depth of the cavity over ``b0`` at relative level ``t`` (float32): 0 at the apex,
    :data:`INLET_DEPTH_FRACTION` at the inlet, 1 from :data:`WIDEST_LEVEL` down."""
    return _profile(t, INLET_DEPTH_FRACTION, WIDEST_LEVEL)


def trunk_width_fraction(t) -> np.ndarray:
    """The skin's narrowing over the upper chest (the builder's ``cage_w`` for
    :meth:`.outline.Outline.trunk`), over ``a0``: the cavity's half-width profile as it was
    until 2026-12-03 (a blunt dome over a barrel 15 % narrower at the top), kept for the body
    outline. Below the axillae the skin does not follow the inner cone: the shoulder girdle,
    the pectoral, serratus and latissimus muscles and the axillary folds fill the upper chest
    out (MODEL CHOICE; the outline is :mod:`.outline`'s)."""
    t = np.clip(np.asarray(t, np.float32), 0.0, 1.2)
    u = np.minimum(t / 0.28, 1.0)
    return (np.sqrt(1.0 - (1.0 - u) ** 2) * (0.85 + 0.15 * np.minimum(t / 0.65, 1.0))
            ).astype(np.float32)


@functools.lru_cache(maxsize=256)
def sternal_span(y_apex: float, y_low: float, spine_front: float, scale: float) -> tuple:
    """Levels (y, mm) of the jugular notch (the top of T3, Gray's T2/T3), the sternal angle
    (the top of T5) and the xiphisternal joint (mid-T9) of the column
    :func:`.skeleton.spine_for` hangs from ``y_apex``, as :func:`.sternum.sternum_levels`
    gives them."""
    from .skeleton import spine_for

    sp = spine_for(y_apex, y_low, spine_front, scale)
    return (float(sp.tops[sp.level("T3")]), float(sp.tops[sp.level("T5")]),
            float(sp.mid_y(sp.level("T9"))))


@functools.lru_cache(maxsize=1024)
def angle_ap_mm(y_n: float, y_a: float, y_j: float, ap_n: float, ap_j: float) -> float:
    """How far (mm) in front of the vertebral bodies the sternal angle (level ``y_a``) lies
    when the manubrium from the notch (``y_n``, ``ap_n``) and the body from the xiphisternal
    joint (``y_j``, ``ap_j``) meet there at the manubriosternal angle, projecting forwards
    (bisection off the chord; the flatter sex's angle, so that either sex's sternum,
    :func:`.sternum.sternum_course`, lies on or in front of it)."""
    from .sternum import MANUBRIOSTERNAL_DEG, angle_kink_z
    msa = max(MANUBRIOSTERNAL_DEG.values())
    return float(-angle_kink_z(y_n, -ap_n, y_a, y_j, -ap_j, msa, steps=50))


def front_ap_mm(cav, y) -> np.ndarray:
    """Largest distance (mm) of the cavity ``cav``'s front wall in front of the vertebral bodies
    at level ``y`` (float32, ``y``'s shape): :data:`INLET_AP_FRACTION` ``b0`` from the jugular
    notch's level (the top of T3) up, the mid-chest's sternum-to-spine distance (``spine_front
    + b0``, :data:`.anatomy.HALLER_INDEX`) from the xiphisternal joint's (mid-T9) down; between
    them two straight pieces meeting at the sternal angle's level (the top of T5) at the
    manubriosternal angle (the flatter sex's, :data:`.sternum.MANUBRIOSTERNAL_DEG`): the
    sternum's back (:meth:`.lungs.Cavity.front_ap_mm`; moved here from :mod:`.lungs` on
    2026-12-05, fifth session, to keep it under 600 lines)."""
    y_n, y_a, y_j = sternal_span(cav.y_apex, cav.y_low, cav.spine_front, cav.spine_scale)
    ap_n = INLET_AP_FRACTION * cav.b0
    ap_j = cav.spine_front + cav.b0
    ap_a = angle_ap_mm(y_n, y_a, y_j, float(ap_n), float(ap_j))
    return np.interp(np.asarray(y, np.float64), (y_n, y_a, y_j),
                     (ap_n, ap_a, ap_j)).astype(np.float32)


def back_section(cav, y) -> tuple:
    """``(centre, half_depth)`` (mm, float32) of the cavity's section at ``y`` with its front
    not held: :func:`depth_fraction` ``b0`` deep, centred ``0.15 b0 (1 - t / 0.3)`` behind the
    origin (``t`` the relative level), as before the shallow upper front (PROTOTYPE
    2026-12-05, issue-19inlet21). Its back half is the cage's back (:func:`inside_section`)."""
    t = (np.asarray(y, np.float32) - cav.y_apex) / cav.height
    b = cav.b0 * depth_fraction(t)
    c = 0.15 * cav.b0 * (1.0 - np.minimum(np.clip(t, 0.0, 1.0) / 0.3, 1.0))
    return np.asarray(c, np.float32), np.asarray(b, np.float32)


def walls(cav, y) -> tuple:
    """(front, back) midline ``zd`` (mm, float32) of the cavity's walls at ``y``: those of
    :func:`back_section`, the front at most :func:`front_ap_mm` in front of the vertebral
    bodies (the sternum's back)."""
    c, b = back_section(cav, y)
    front = np.maximum(c - b, cav.spine_front - front_ap_mm(cav, y))
    back = c + b
    return np.minimum(front, back).astype(np.float32), np.asarray(back, np.float32)


def inside_section(cav, x, y, zd, p_section: float) -> np.ndarray:
    """Inside the rib cage's inner surface at ``(x, y, zd)`` (numpy broadcasting; apex
    included, no floor): inside both superellipses of exponent ``p_section`` and half-width
    ``cav.half_width(y)``: the one between the held front and the back (:func:`walls`, centred
    between them: the front) and :func:`back_section` (the back). Until 2026-12-05 (fifth
    session, issue-19misc23) the first alone: re-centred forward with a smaller half-depth, it
    lay up to several mm deeper behind beside the spine than before the front was held, which
    moved the posterior ribs' paths (:func:`.ribs.cage_surface`: the rib 2 -> 3 gap at the
    paraspinal line of the 178 cm man 12 mm at 3 mm voxels against 15-18 before); with both,
    the back is the one before the front was held (19inlet21's design: "the back is
    unchanged") and the front is the held one (the inner of the two at every point)."""
    a = np.maximum(cav.half_width(y), 1e-3)
    ax = np.abs(x / a) ** p_section
    f, bk = walls(cav, y)
    zc, b = 0.5 * (bk + f), np.maximum(0.5 * (bk - f), 1e-3)
    zb, bb = back_section(cav, y)
    bb = np.maximum(bb, 1e-3)
    return ((ax + np.abs((zd - zc) / b) ** p_section <= 1.0)
            & (ax + np.abs((zd - zb) / bb) ** p_section <= 1.0)
            & (np.asarray(y) >= cav.y_apex))
