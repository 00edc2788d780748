"""The aortic root, the ascending aorta and the proximal arch of the chest twins (2026-12-03,
branch issue-19root13), placed from the pulmonary trunk (:mod:`.pulmonary_trunk`), the
sternum and the aortic knob (:func:`.mediastinum.aortic_knob`).

Anatomy:

* the aortic valve: "behind the left half of the sternum", the ascending aorta commencing "on a
  level with the lower border of the third costal cartilage" (Gray H. Anatomy of the Human
  Body, 20th ed. 1918, "The ascending aorta", as quoted in UBERON 0001496 and gamuts.net); its
  surface line "begins slightly to the left of the midsternal line opposite the third costal
  cartilage" (Gray's 1918, p. 1312, ascenttrust.com mirror of bartleby.com/107). The pulmonary
  valve lies behind the upper border of the third left costal cartilage at the sternum, the
  aortic valve "behind the left border of the sternum close to the lower edge of the third
  cartilage" (Treves, Surgical Anatomy, bookdome.com "The Heart"); "the pulmonary valves lie
  in front of the aortic" (Holden L, Landmarks Medical and Surgical, 43, bitlit.ru); the
  aortic valve "just below and to the right of the pulmonary valve" (gpnotebook, "cardiac
  valves (surface markings)"). So: right of, below and behind the pulmonary valve;
* the ascending aorta "passes obliquely upward, forward, and to the right ... as high as the
  upper border of the second right costal cartilage, describing a slight curve in its course,
  and being situated about 6 cm behind the posterior surface of the sternum"; about 5 cm long
  (Gray's 1918); its right limit "about even with the right edge of the sternum; sometimes it
  projects slightly beyond" (Human Body Construction, chestofbooks.com, "The Aorta"); at its
  commencement covered by the pulmonary trunk and the right auricle; posteriorly it rests on
  the left atrium and the right pulmonary artery (Gray's; qsstudy.com, kenhub.com); with the
  superior vena cava it forms the upper right border of the PA film, projecting beyond it
  after about 40 years (expertsmind.com "Aortic enlargement"; aortic unfolding: length +12 %
  per decade, diameter +3 %, Sugawara J et al. JACC Cardiovasc Imaging 2008;1:739-748, via
  Wikipedia "Aortic unfolding");
* the lateral film: the retrosternal clear space, sternum to ascending aorta, 2.2 +- 0.5 cm
  (Fujimoto et al. 1996, :data:`.cardiac.RETROSTERNAL_DEPTH_MM`);
* the arch "begins at the level of the upper border of the second sternocostal articulation of
  the right side, and runs at first upward, backward, and to the left in front of the trachea"
  (Gray's 1918); its summit is opposite the midsternal line "about 2.5 cm below the jugular
  notch" (Gray's 1918, p. 1312).

How it is drawn (mm, anatomy coordinates of :mod:`.raster`: ``x`` the patient's left, ``y``
down, ``zd`` back):

* calibre: :func:`ascending_aorta_diameter_mm` (sex, age, body surface area) for the root,
  the ascending aorta and the arch's start (tapering to the knob's along the arch, as before);
* the aortic valve: ``x`` the middle of the sternal body's left half
  (:data:`.skeleton.STERNUM_HALF_WIDTH_MM`), :data:`AORTIC_VALVE_BELOW_PULMONARY_MM` below
  the pulmonary valve, :func:`aortic_valve_depth_mm` behind the sternum's back at its level
  (:func:`.sternum.sternum_back_zd`; Gray's 6 cm in proportion to height, since 2026-12-05;
  until 2026-12-05, issue-19inlet22, behind the cavity's front wall, 1.5-2.5 mm behind the
  sternum's back) or further back, up to the left atrium's
  centre, as far as the whole ascending aorta needs to stay
  :data:`ROOTS_APART_MM` clear of the pulmonary trunk and its outflow tract (or, where the
  cavity leaves no room for that gap, touching them without overlap) with its middle no
  further right than the sternal body's right edge (the two roots lie side by side; the trunk
  at first in front of the aorta, then to its left: Gray's);
* the ascending aorta's top (the arch's start): the level of the upper border of the second
  costal cartilage at the sternum (:func:`.sternum.sternocostal_upper_border_y`: the
  cartilage's notch at the sternal angle, less half its drawn section height, 6.5 mm; until
  2026-12-04, issue-19cart16, the sternal angle itself, while ribs.py put that cartilage's
  upper border 14-17 mm higher), ``x`` the middle of the sternum's right half, its front
  the retrosternal clear space (Fujimoto's mean of the sex,
  :data:`.cardiac.RETROSTERNAL_DEPTH_BY_SEX_MM`) behind the sternum's back where that space is
  measured, :data:`RETROSTERNAL_LEVEL_MM` below the sternal angle (since 2026-12-05,
  issue-19inlet22: until then the pooled 22 mm behind the cavity's front wall at the top's
  own level, behind the manubrium; with the upper cage's shallow front the sternum leans back
  ~18 deg over the body and ~35 deg over the manubrium, and that rule put the top 2-7 mm
  behind the valve, against Gray's "upward, forward"); between the two a quadratic
  curve ("a slight curve", convex to the right) whose middle lies as far right as its top, or
  further right, up to the sternal body's right edge, as far as the trunk needs (the aorta's
  right wall then projects beyond the sternum's edge by up to a radius, "sometimes slightly
  beyond", and beyond the superior vena cava's edge in the test twins: NOTES);
* the arch: a quadratic curve from the top through the summit (midline, 25 mm below the
  jugular notch, its back against the trachea's front wall) to the aortic knob.

Until 2026-12-03 (issue-19root13) :func:`.mediastinum.paint_great_vessels` started the aorta
at ``(cx - 0.25 ra, heart top + 25, cz - 5)`` of the ventricles, left of the midline and left
of the pulmonary valve, and 30.9 mm wide (Hager et al. 2002, :data:`.anatomy.AORTA_ASC_R_MM`):
the trunk's lower half lay against the aortic root (calipers 31-38 mm; NOTES, issue-19trunk12).

References
----------
Rogers IS, Massaro JM, Truong QA, et al. Distribution, determinants, and normal reference
values of thoracic and abdominal aortic diameters by computed tomography (from the Framingham
Heart Study). Am J Cardiol 2013;111:1510-1516 (abstract, stanfordhealthcare.org): 3,431
participants, ascending aorta 34.1 mm (men), 31.9 mm (women); larger with age and body surface
area. The Framingham MDCT cohort (Offspring and Third Generation, 2002-2005) was 48.9 +- 10.3
years old (Qazi S et al. Circ Cardiovasc Imaging 2017;10:e006776, PMC5728667, abstract; 3,318
of them).
Turkbey EB et al. Determinants and normal values of ascending aortic diameter by age, gender,
and race/ethnicity in the Multi-Ethnic Study of Atherosclerosis (MESA). J Magn Reson Imaging
2014;39:360-368 (PMC3766427, abstract): ~ +1 mm per 10 years, ~ +1.9 mm in men, ~ +1 mm per
0.23 m^2 of body surface area.
Wolak A et al. JACC Cardiovasc Imaging 2008;1:200-209 (abstract): 2,952 low-risk adults,
ascending aorta 33 +- 4 mm at the pulmonary bifurcation (noncontrast CT).
"""

from __future__ import annotations

import numpy as np

from .cardiac import RETROSTERNAL_DEPTH_BY_SEX_MM, RETROSTERNAL_DEPTH_MM
from .population import NHANES_2015_2018, age_group
from .pulmonary_trunk import pulmonary_arteries, reference_bsa_m2, segment_distance_sq
from .raster import bezier
from .skeleton import Spine
from .sternum import (STERNUM_HALF_WIDTH_MM, sternocostal_upper_border_y, sternum_back_zd,
                      sternum_levels)

__all__ = ["AORTA_ASC_MM", "AORTA_REF_AGE_YEARS", "AORTA_MM_PER_YEAR", "AORTA_MM_PER_M2",
           "AORTIC_VALVE_BELOW_PULMONARY_MM", "AORTIC_VALVE_DEPTH_MM", "ROOTS_APART_MM",
           "ARCH_SUMMIT_BELOW_NOTCH_MM",
           "AscendingAorta", "aortic_valve_depth_mm", "reference_bsa_m2",
           "ascending_aorta_diameter_mm", "ascending_aorta"]

# Ascending aorta diameter (mm, CT, outer wall) by sex: Framingham means (Rogers et al. 2013),
# about the cohort's mean age (Qazi et al. 2017), with MESA's age slope (Turkbey et al. 2014;
# ASSUMPTION: the MR lumen's slope holds for CT's outer diameter) and, since 2026-12-05
# (issue-19aorta19), MESA's body-surface-area slope, ~ +1 mm per 0.23 m^2 (Turkbey et al. 2014,
# abstract; the same ASSUMPTION), about a reference BSA: :func:`reference_bsa_m2`.
AORTA_ASC_MM = {"male": 34.1, "female": 31.9}
AORTA_REF_AGE_YEARS = 48.9
AORTA_MM_PER_YEAR = 0.1
AORTA_MM_PER_M2 = 1.0 / 0.23
# The pulmonary valve behind the upper border of the third left costal cartilage, the aortic
# valve at its lower border (module docstring): this far below (ASSUMPTION: the cartilage's
# breadth at the sternum, about 1 cm; no measured breadth was read).
AORTIC_VALVE_BELOW_PULMONARY_MM = 10.0
# Tissue between the ascending aorta and the pulmonary trunk (epicardial fat, the cardiac
# plexus; model choice, two voxels at 2 mm so that the grid shows it).
ROOTS_APART_MM = 4.0
# The arch's summit below the jugular notch (Gray's 1918, p. 1312: "about 2.5 cm").
ARCH_SUMMIT_BELOW_NOTCH_MM = 25.0
# The aortic valve (the ascending aorta's commencement) behind the sternum's back (Gray's 1918:
# "about 6 cm behind the posterior surface of the sternum"; read as its commencement, since it
# runs forward from there), measured from the sternum's back at the valve's level
# (:func:`.sternum.sternum_back_zd`; until 2026-12-05, issue-19inlet22, the cavity's front wall
# stood for it). Scaled with body height since 2026-12-05 (issue-19aorta19):
# :func:`aortic_valve_depth_mm`.
AORTIC_VALVE_DEPTH_MM = 60.0
# The level (mm below the sternal angle) at which the lateral film's retrosternal clear space
# (:data:`.cardiac.RETROSTERNAL_DEPTH_MM`) is measured: "3 cm below the sternal angle"
# (Radiopaedia, "Increased retrosternal airspace"; DocCheck Flexikon, "Retrosternalraum"; the
# level tests/phantom/test_chest_aortic_root.py reads it at).
RETROSTERNAL_LEVEL_MM = 30.0
_TRACHEAL_WALL_MM = 2.0      # as :func:`.mediastinum.paint_trachea` draws it


def aortic_valve_depth_mm(sex: str, height_cm: float | None = None) -> float:
    """Least depth (mm) of the aortic valve behind the sternum's back: Gray's
    :data:`AORTIC_VALVE_DEPTH_MM` times ``height_cm`` over the mean height of the NHANES
    2015-2018 row of ``sex`` at :data:`AORTA_REF_AGE_YEARS` (men 176.3, women 162.3 cm; None:
    that height, Gray's 60 mm).

    ASSUMPTION: Gray's "about 6 cm" is the depth in an adult of that mean height, and the depth
    is in proportion to height, as the twins' cavity is (its front-to-back half-depth ``b0``
    over height: 0.52 in the 178 cm test man and the 160 cm test woman, 0.50 in a 120 cm
    woman). Until 2026-12-05 Gray's 60 mm in every body: in bodies under ~140 cm the left
    atrium's centre lies less deep than that."""
    if sex not in AORTA_ASC_MM:
        raise ValueError(f"sex must be one of {sorted(AORTA_ASC_MM)}, got {sex!r}")
    if height_cm is None:
        return AORTIC_VALVE_DEPTH_MM
    if not height_cm > 0.0:
        raise ValueError(f"aortic_valve_depth_mm: height_cm must be > 0, got {height_cm!r}")
    ref = NHANES_2015_2018[sex][age_group(AORTA_REF_AGE_YEARS)][0]
    return AORTIC_VALVE_DEPTH_MM * float(height_cm) / ref


def ascending_aorta_diameter_mm(sex: str, age_years: float | None = None,
                                bsa_m2: float | None = None) -> float:
    """Outer diameter (mm) of the ascending aorta: :data:`AORTA_ASC_MM` of ``sex`` plus
    :data:`AORTA_MM_PER_YEAR` per year of ``age_years`` over :data:`AORTA_REF_AGE_YEARS` (None:
    the reference age) plus :data:`AORTA_MM_PER_M2` per m^2 of body surface area ``bsa_m2``
    over :func:`reference_bsa_m2` (None: the reference BSA)."""
    if sex not in AORTA_ASC_MM:
        raise ValueError(f"sex must be one of {sorted(AORTA_ASC_MM)}, got {sex!r}")
    age = AORTA_REF_AGE_YEARS if age_years is None else float(age_years)
    d = AORTA_ASC_MM[sex] + AORTA_MM_PER_YEAR * (age - AORTA_REF_AGE_YEARS)
    if bsa_m2 is not None:
        if not bsa_m2 > 0.0:
            raise ValueError(f"ascending_aorta_diameter_mm: bsa_m2 must be > 0, got {bsa_m2!r}")
        d += AORTA_MM_PER_M2 * (float(bsa_m2) - reference_bsa_m2(sex))
    return d


class AscendingAorta:
    """The drawn root and ascending aorta (mm, anatomy coordinates): ``valve`` (the root's
    start), ``top`` (the arch's start), ``bow`` (the quadratic curve's control point),
    ``summit`` (the arch's top, on the midline), radius ``r``."""

    def __init__(self, valve, bow, top, summit, r):
        self.valve, self.bow, self.top, self.summit = (np.asarray(p, float)
                                                        for p in (valve, bow, top, summit))
        self.r = float(r)

    def course(self, n: int = 12) -> np.ndarray:
        """``(n, 3)`` points of the ascending aorta from the valve to the top."""
        return bezier(self.valve, self.bow, self.top, n)

    def arch(self, knob, n: int = 10) -> np.ndarray:
        """``(n, 3)`` points of the arch from the top through the summit to the knob's centre
        (``knob`` as :func:`.mediastinum.aortic_knob`): the quadratic curve whose middle is
        the summit."""
        k = np.asarray(knob[:3], float)
        return bezier(self.top, 2.0 * self.summit - 0.5 * (self.top + k), k, n)


def _clearance(points, r, pa) -> float:
    """Least surface-to-surface distance (mm) between capsules of radius ``r`` round
    ``points`` and the trunk and outflow tract of ``pa``."""
    x, y, zd = np.asarray(points, float).T
    d2 = min(float(segment_distance_sq(x, y, zd, a, b).min())
             for a, b in ((pa.outflow, pa.valve), (pa.valve, pa.bifurcation)))
    return float(np.sqrt(d2)) - r - pa.r_trunk


def ascending_aorta(cav, sp: Spine, hila, knob: tuple, sex: str,
                    age_years: float | None = None,
                    trachea_mm: float | None = None, *,
                    bsa_m2: float | None = None,
                    height_cm: float | None = None) -> AscendingAorta:
    """The root and ascending aorta of the cavity ``cav`` (a :class:`.lungs.Cavity` with its
    left atrium and ventricles), spine ``sp``, hila (:func:`.mediastinum.hila_for`; its carina
    gives the trachea's depth), aortic knob ``knob`` (:func:`.mediastinum.aortic_knob`),
    ``sex``, age, tracheal diameter (None: the knob's radius stands for the trachea's reach
    forward of the carina's depth), body surface area (m^2; None: the calibre's reference
    BSA, :func:`reference_bsa_m2`) and height (cm; None: Gray's valve depth unscaled,
    :func:`aortic_valve_depth_mm`), placed as the module docstring says."""
    r = 0.5 * ascending_aorta_diameter_mm(sex, age_years, bsa_m2=bsa_m2)
    pa = pulmonary_arteries(cav, sp, hila, sex)
    s = STERNUM_HALF_WIDTH_MM[1]
    notch = sternum_levels(sp)[0]
    # the arch begins at "the upper border of the second sternocostal articulation" (Gray's)
    y_top = sternocostal_upper_border_y(sp, 2)
    xt = -0.5 * s
    # its front wall the retrosternal clear space behind the sternum's back where that space
    # is measured, RETROSTERNAL_LEVEL_MM below the sternal angle (since 2026-12-05,
    # issue-19inlet22; until then at the top's own level, behind the manubrium)
    y_rss = sternum_levels(sp)[1] + RETROSTERNAL_LEVEL_MM
    top = np.array([xt, y_top, float(sternum_back_zd(cav, sp, sex, y_rss))
                    + RETROSTERNAL_DEPTH_BY_SEX_MM[sex] + r])
    xv, yv = 0.5 * s, pa.valve[1] + AORTIC_VALVE_BELOW_PULMONARY_MM
    # the valve at Gray's depth behind the sternum, or further back (0.1 mm bisection) until
    # the ascending aorta, its middle no further right than the sternal body's right edge,
    # can stay ROOTS_APART_MM clear of the pulmonary trunk and its outflow tract; then the
    # middle as little right of the top as keeps it so (0.1 mm bisection). Where no depth up
    # to the left atrium's centre keeps that gap, the same search for roots that touch without
    # overlapping (below). A valve that would have to lie behind the left atrium's centre, or
    # forward of Gray's depth, is an error (since 2026-12-04; until then the search silently
    # gave the deepest depth, overlapping the trunk, or a depth forward of Gray's)
    front = float(sternum_back_zd(cav, sp, sex, yv))
    gray = aortic_valve_depth_mm(sex, height_cm)
    at = "" if height_cm is None else f", {gray:.1f} mm at {height_cm:g} cm"

    def course(depth, xm):             # the curve from the valve whose middle is at x = xm
        valve = np.array([xv, yv, front + depth])
        mid = 0.5 * (valve + top)
        bow = np.array([2.0 * xm - 0.5 * (valve[0] + top[0]), mid[1], mid[2]])
        return valve, bow

    def clear(depth, xm, gap):
        return _clearance(bezier(*course(depth, xm), top, 48), r, pa) >= gap

    deepest = float(cav.left_atrium()[2]) - front
    if deepest < gray:
        # the rule above, checked first (since 2026-12-05, issue-19aorta19; until then only
        # when the aorta at Gray's depth met the trunk, so that a valve that cleared it there
        # was drawn behind the atrium's centre: 120 cm woman aged 18, valve 60.0 mm, atrium's
        # centre 47.5 mm)
        raise ValueError(f"ascending_aorta ({sex}, age {age_years}): the left atrium's centre "
                         f"lies only {deepest:.1f} mm behind the sternum's back, in front of the "
                         f"valve (no room behind Gray's {AORTIC_VALVE_DEPTH_MM:g} mm{at})")
    # ROOTS_APART_MM where the cavity has room for it; where it has not (a short, heavy, older
    # twin: a wide aorta in a shallow cavity, 3 of the 360 twins of examples/chest-ribs.toml)
    # the roots touch without overlapping (ROOTS_APART_MM is a model choice; the aorta and the
    # trunk lie side by side in one pericardial sheath, Gray's)
    for gap in (ROOTS_APART_MM, 0.0):
        lo, hi = gray, deepest
        if not clear(lo, -s, gap) and hi > lo:
            while hi - lo > 0.1:
                d = 0.5 * (lo + hi)
                lo, hi = (lo, d) if clear(d, -s, gap) else (d, hi)
            lo = hi
        depth = lo
        if clear(depth, -s, gap):
            break
    else:
        raise ValueError(f"ascending_aorta ({sex}, age {age_years}): no valve depth from "
                         f"Gray's {AORTIC_VALVE_DEPTH_MM:g} mm{at} to the left atrium's centre "
                         f"({depth:.1f} mm behind the sternum's back) keeps the aorta off the "
                         f"pulmonary trunk")
    lo, hi = -s, xt
    if not clear(depth, hi, gap):
        while hi - lo > 0.1:
            xm = 0.5 * (lo + hi)
            lo, hi = (xm, hi) if clear(depth, xm, gap) else (lo, xm)
        hi = lo
    valve, bow = course(depth, hi)
    # the arch's summit: on the midline below the jugular notch, in front of the trachea
    # (its radius half-way between the ascending aorta's and the knob's)
    rs = 0.5 * (r + knob[3])
    t_front = hila.carina[2] - (0.5 * trachea_mm + _TRACHEAL_WALL_MM if trachea_mm
                                else knob[3])
    summit = np.array([0.0, notch + ARCH_SUMMIT_BELOW_NOTCH_MM, t_front - rs])
    return AscendingAorta(valve, bow, top, summit, r)
