"""The diaphragm's upper surface under the lungs: two domes over a base that is higher in
front than behind, with lateral costophrenic recesses.

:func:`diaphragm_y` gives the level (y, mm, anatomy coordinates of :mod:`.raster`) of the
diaphragm over each (x, zd) of a :class:`.lungs.Cavity` (its :meth:`~.lungs.Cavity.diaphragm_y`);
the lung is above it. Moved out of :mod:`.lungs` unchanged on 2026-12-03 (tenth session,
helper 19cage10) to give that module room; the same bytes.

Shape (model choices unless cited):

* the base falls from the anterior attachment (``ant_rise`` above the posterior recess, at the
  xiphoid ~T9) to the posterior recess at T12 (Gray's Anatomy, 41st ed., ch. 53);
* each dome's top lies :data:`DOME_CENTRE_X` of the base half-width from the midline,
  ``dome_right`` / ``dome_left`` high. Medial of the top (towards the central tendon and the
  heart) the dome is, as before, a cap ``sqrt(1 - r^2)`` over an ellipse :data:`DOME_R_X` of
  the half-width wide (radius) and :data:`DOME_R_Z` of the half-depth deep; at each depth its
  height over the top's column is ``H(zd)``. Since 2026-12-04 (helper 19ridge15) the cap's
  last 5 % before its rim is the quarter ellipse's tangent line (:data:`_RIM_XI`), so the cap
  meets the central tendon at a finite slope instead of a vertical wall, and the two domes
  are combined by the higher of the two, not their sum: the caps overlap 0.02 ``a0`` either
  side of the midline, and their sum stood there as a fin (the 2 mm man: 28.7 mm above the
  base, 6.6 mm above the left dome's level 0.05 ``a0`` out, 5-6 mm wide and ~60 mm front to
  back, in a notch between the caps' vertical rims). The central tendon between the domes
  lies lower than either; the heart rests on it (Gray's Anatomy, 41st ed., ch. 53);
* lateral of the top (the costal part; since 2026-12-03, fifth session, helper 19recess13) the
  dome falls at each depth from ``H(zd)`` to the base level *at the cavity's wall*. The costal
  part arises from "the internal surfaces of the lower six costal cartilages and their
  adjoining ribs" (Gray's Anatomy's wording as quoted on docslib.org, doc 8592837; IMAIOS
  e-Anatomy, "Costal part of diaphragm", the same), so the diaphragm meets the lateral wall
  along that line and the lung's recess is the wedge between the wall and the sloping costal
  part ("the acute angle that the tendinous diaphragmatic origins make with the body wall is
  termed the costophrenic angle": GPnotebook, "diaphragm (anatomy)"). At total lung capacity
  the zone of apposition (the costal part running down the inside of the rib cage before it
  leaves it) is about gone: "more than one half of the total surface [of the rib cage] at
  residual volume and decreases to zero at total lung capacity" (Postural Restoration
  Institute, "Zone of Apposition", from the respiratory-mechanics literature; usually traced
  to Mead J, Am Rev Respir Dis 1979;119:31-32, not read); in the dog 9 % of the rib cage at
  TLC against 29 % at RV ("Zone of apposition in the passive diaphragm of the dog", J Appl
  Physiol 1996, PMID 8941512). The twins are drawn at TLC: no zone of apposition, the costal
  part leaves the wall at its insertion.

  In the frontal plane at each depth the fall is a circular arc, horizontal at the top and
  ending at the wall's foot: a membrane of uniform tension under a uniform pressure
  difference (Laplace). ASSUMED: measured resting domes (FRC, erect) are flatter at the top
  than at the sides, matching a membrane under ~3 cmH2O plus the abdomen's hydrostatic
  gradient ("Relationships among pressure, tension, and shape of the diaphragm", J Appl
  Physiol, scilit abstract); at a held TLC the pressure across the diaphragm is not known
  here (it varies widely between people during a full inspiration: 20 healthy subjects,
  scilit abstract "Intrathoracic (oesophageal), intra-abdominal (gastric), and
  transdiaphragmatic (Pdi) pressures ..."; zero when relaxed against a closed airway,
  Agostoni & Rahn 1960), so the simplest membrane is used. The hydrostatic shape would make the
  fall at the wall steeper and the angle more acute (NOTES 2026-12-03, fifth session). Where
  the wall is nearer than the local height (close to the front and back walls only) the arc
  would overhang; there the fall is the quarter ellipse, vertical at the wall.

  Until then the lateral half was the medial cap mirrored, its rim at
  (:data:`DOME_CENTRE_X` + :data:`DOME_R_X`) ``a0`` = 0.92 ``a0``, and between the rim and
  the lateral wall the diaphragm lay flat at the recess level: a ring 0.08 ``a0`` (11-12 mm)
  wide, so each recess read on the PA image was a flat-floored slot 11-13 mm wide, not a
  wedge (NOTES 2026-12-03, 19cp12).

Dome heights (``dome_right`` / ``dome_left``: each top above the base level at the wall in
the top's frontal plane, mm, not scaled with the cavity) are drawn per twin by
:func:`.anatomy.thorax_for` (since 2026-12-03, sixth session, helper 19dome14): the left from
PA radiographs of 45 adults (Alghamdi S et al. Normal diaphragm measurements in the Saudi
population using posteroanterior chest radiograph. Int J Biomed 2021;11(2):206-211, abstract:
dome heights right 51.3 +- 10.6 mm, left 38.4 +- 9.2 mm; men 55.4 / 43.3, women 47.0 / 33.3;
diaphragm width between the costophrenic angles 278 +- 25 mm, men 292 +- 20, women 264 +- 21)
read as the top's height above the costophrenic angle's level, the right 1-2.5 cm higher
(Felson 1973), both divided by the film's magnification (1.07, assumed depth). Until then the
left was Felson's 1.5-3 cm (a height above the costophrenic-cardiophrenic chord whose lower end
is the limit of a flat dome) plus 15 mm (no source), times ``a0`` / 140 mm. On the PA image
the reader's top above the recess's vertex (:func:`.measure_recess.dome_rises_mm`) is 0-9 mm
under the drawn height (six 2 mm twins) and is what ``tests/phantom/test_chest_cage.py``
compares with Alghamdi's; the lung-path field's (:func:`.measure_cage.dome_heights_mm`, >= 20
mm of lung on the ray) reads 5-24 mm less: under the dome its lower edge is the lung behind
the dome, 16-22 mm (right) and 6-10 mm (left) below the dome's edge on the image, and its
recess point lies -3 to +14 mm from the vertex (NOTES 2026-12-03, sixth session).

The lateral costophrenic angle read on the PA image (:mod:`.measure_recess`, the strict test
in ``tests/phantom/test_chest_body_size.py``) against "approximately 30°" (Indiran V, Muller
J Med Sci Res 2018;9:39-40): 20-48 deg over 10 mm arms, 27-54 over 20 and 29-53 over 30 on
six 2 mm twins (left wider: the lower dome's arc is flatter at the wall); the labels' lung
field (:func:`.measure_body.costophrenic_angles_deg`, 25 mm arms) reads 54-75 deg (38-63
with the ring: the thin tip of a wedge holds less than the field's 20 mm of lung, so that
measure's lower edge sits higher, as 19cage10 found for steeper rims; NOTES 2026-12-03).
"""

from __future__ import annotations

import numpy as np

__all__ = ["diaphragm_y", "DOME_CENTRE_X", "DOME_R_X", "DOME_R_Z"]

#: Dome top's distance from the midline, fraction of the base half-width ``a0``.
DOME_CENTRE_X = 0.45
#: The medial cap's radius across, fraction of ``a0`` (lateral of the top the costal fall
#: reaches the wall instead; until 2026-12-03 the cap's rim lay 0.92 ``a0`` out).
DOME_R_X = 0.47
#: The cap's radius front to back, fraction of the half-depth ``b0``, about a centre 0.05
#: ``b0`` in front of the cavity's centre.
DOME_R_Z = 1.15
#: Where (fraction of the cap's radius across, at each depth) the medial cap's quarter ellipse
#: hands over to its tangent line. ASSUMPTION: a membrane under tension has a finite slope
#: everywhere in its free span (Laplace: curvature = pressure difference / tension, finite), and
#: the dome runs on into the central tendon rather than standing on it as a vertical wall (the
#: quarter ellipse's rim); 0.95 (a choice) changes little and bounds the slope (68 deg for a
#: 57 mm dome over a 148 mm half-width, 61 deg for a 42 mm one): the cap is unchanged inside
#: 0.95 of its radius, and its rim moves out by 5 % of it (NOTES 2026-12-04, 19ridge15).
_RIM_XI = 0.95


def _medial_fall(xi):
    """The medial cap's height over the local top's at ``xi`` = ``|dx|`` / ``top`` (the
    fraction of the way from the top's column to the cap's rim at that depth): the quarter
    ellipse ``sqrt(1 - xi^2)`` up to :data:`_RIM_XI`, then its tangent line down to 0 (at
    ``xi`` = 1 / :data:`_RIM_XI`), so the cap meets the central tendon at a finite slope."""
    c = _RIM_XI
    xi = np.asarray(xi)
    cap = np.sqrt(np.clip(1.0 - xi * xi, 0.0, 1.0))
    k = np.sqrt(1.0 - c * c)
    tail = np.clip(k - (c / k) * (xi - c), 0.0, 1.0)
    return np.where(xi <= c, cap, tail)


def _costal_fall(xi, q):
    """The costal part's height over the local top's (1 at ``xi`` = 0, 0 at ``xi`` = 1, ``xi``
    the fraction of the way from the top's column to the wall): the circle with a horizontal
    tangent at the top through the wall's foot, ``q`` = height / run (the quarter ellipse
    ``sqrt(1 - xi^2)`` for ``q`` >= 1, where the circle would overhang)."""
    q = np.clip(q, 1e-6, 1.0)
    r = (1.0 + q * q) / (2.0 * q)                     # radius over the run
    xi = np.clip(xi, 0.0, 1.0)
    return np.clip((np.sqrt(np.maximum(r * r - xi * xi, 0.0)) - (r - q)) / q, 0.0, 1.0)


def diaphragm_y(cav, x, zd, *, p_section: float):
    """Level (y, mm) of the diaphragm's upper surface over each (x, zd) (numpy broadcasting);
    ``cav`` a :class:`.lungs.Cavity`. The wall is the cavity's base section: a superellipse of
    exponent ``p_section`` (:data:`.lungs.P_SECTION`), half-width ``a0`` and half-depth
    ``b0``, the section from 0.55-0.65 of the lung's height down, above every dome's top."""
    x = np.asarray(x, np.float32)
    zd = np.asarray(zd, np.float32)
    u = np.clip((zd + cav.b0) / (2.0 * cav.b0), 0.0, 1.0)
    base = cav.y_low - cav.ant_rise * (1.0 - u) ** 1.5
    out = base
    # the wall's half-width at each depth (the base section)
    fall = np.clip(1.0 - np.abs(zd / cav.b0) ** p_section, 0.0, 1.0)
    x_wall = cav.a0 * fall ** (1.0 / p_section)
    x_top = DOME_CENTRE_X * cav.a0
    run = np.maximum(x_wall - x_top, 1e-3)
    rise = None
    for side, h in ((-1.0, cav.dome_right), (1.0, cav.dome_left)):
        dx = (x - side * x_top) / (DOME_R_X * cav.a0)
        dz = (zd + 0.05 * cav.b0) / (DOME_R_Z * cav.b0)
        top = np.sqrt(np.clip(1.0 - dz * dz, 0.0, 1.0))          # H(zd) / h
        # the cap sqrt(1 - dx^2 - dz^2) = top * sqrt(1 - xi^2), xi = |dx| / top, with its
        # vertical rim replaced by the tangent line from xi = _RIM_XI (_medial_fall)
        medial = top * _medial_fall(np.abs(dx) / np.maximum(top, 1e-6))
        s = x * side - x_top                                      # > 0: lateral of the top
        lateral = top * _costal_fall(s / run, h * top / run)
        bump = h * np.where(s > 0.0, lateral, medial)
        # the higher dome at each point, not the sum: near the midline the two medial caps
        # overlap (their rims reach 0.02 a0 past it) and their sum stood as a fin up to 12 mm
        # above both domes' flanks; the central tendon between the domes lies lower than
        # either (the heart rests on it: Gray's Anatomy, 41st ed., ch. 53)
        rise = bump if rise is None else np.maximum(rise, bump)
    return out - rise
