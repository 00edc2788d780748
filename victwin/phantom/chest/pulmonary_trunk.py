"""The pulmonary trunk (main pulmonary artery) and the right and left pulmonary arteries of the
chest twins (2026-12-03, branch issue-19trunk12).

Anatomy (Gray's Anatomy 1918, pp. 544-545, bartleby.com/107): the trunk, about 5 cm long and
3 cm wide, arises from the conus arteriosus (the right ventricular outflow tract) on a plane in
front of the ascending aorta, runs upward, backward and to the left, at first in front of and
then to the left of the ascending aorta, to the under surface of the aortic arch, where it
divides, about the level of the fibrocartilage between the fifth and sixth thoracic vertebrae,
into right and left branches; higher up it lies in front of the left atrium on a plane
posterior to the ascending aorta. The right branch runs to the right behind the ascending aorta
and the superior vena cava and in front of the right bronchus to the root of the right lung;
the left branch passes in front of the descending aorta and the left bronchus to the root of
the left lung. A text of the same tradition (casite-701107.cloudaccess.net, "Pulmonary
artery"): the course within the pericardium is about 5 cm; the trunk starts behind the upper
margin of the third left chondrosternal articulation and divides immediately to the left of
the second left chondrosternal articulation. On CT the trunk and arch bifurcations lie below
the sternal angle, at T5-T6 (Mirjalili et al., Clin Anat 2016;29:165-174, abstract; NOTES
2026-12-03 "heart level and left atrium").

On a PA film the trunk forms the left mediastinal border for a short distance between the
aortic knob and the left atrial appendage, just below the arch; being inside the pericardium
its shadow is continuous with the left heart border; in adults the segment is flat or
concave, convex in children and some young adults (University of Virginia, "Pulmonary
trunk", med-ed.virginia.edu/courses/rad/cardiacplain/pulmtrunk.html; the same in a teaching
text at tutorsglobe.com, unattributed). Order of the left border, top to bottom: aortic knob,
pulmonary trunk, left atrial appendage, left ventricle (SUNY Downstate radiology atlas,
act.downstate.edu/courseware/rad-atlas/Thorax/1chestra.html; gpnotebook "Prominent pulmonary
artery", after Kelly B, Ulster Med J 2012;81:143-148).

How it is drawn (every length in mm, anatomy coordinates of :mod:`.raster`: ``x`` patient's
left positive, ``y`` downwards, ``zd`` backwards):

* calibre: :func:`pulmonary_trunk_diameter_mm`: Truong's Framingham mean of the sex
  (:data:`MPA_DIAMETER_MM`) plus :data:`MPA_MM_PER_M2` per m^2 of the body's surface area
  (the cavity's ``bsa_m2``) over :func:`reference_bsa_m2` (since 2026-12-05, issue-19vessels20;
  until then the same adult calibre in every body);
* bifurcation: level the top of T6 (the T5/T6 disc's lower face, Gray's); ``x`` the second
  chondrosternal joint (:data:`CHONDROSTERNAL_2_X_MM`) plus the trunk's radius (the trunk
  "immediately to the left of" the joint: its right wall there); depth in front of the left
  atrium's anterior wall by the trunk's radius and :data:`PERICARDIAL_SINUS_MM`;
* valve: :data:`TRUNK_LENGTH_MM` from the bifurcation; ``x`` behind the third left
  chondrosternal joint (the sternal body's drawn half-width,
  :data:`.skeleton.STERNUM_HALF_WIDTH_MM`); its front the retrosternal clear space
  (Fujimoto's mean of the sex, :data:`.cardiac.RETROSTERNAL_DEPTH_BY_SEX_MM`) behind the
  sternum's back at its level (:func:`.sternum.sternum_back_zd`; the right ventricular outflow
  bounds the retrosternal clear space: Ryan, Anatomy for Diagnostic Imaging, as cited in
  :mod:`.lungs`; until 2026-12-05, issue-19inlet22, the pooled 22 mm behind the cavity's
  front wall, which the shallow upper cage's sternum no longer lies on); ``y`` follows from
  the length. The trunk so runs up, back and to the left, as Gray's says (checked in
  tests/phantom/test_chest_trunk.py, not imposed);
* the outflow tract: from the valve towards the ventricles' centre until a trunk's radius
  inside their ellipsoid (:meth:`.lungs.Cavity.heart`) (model choice: a tube of the trunk's
  width; no separate right ventricle is drawn);
* the right and left pulmonary arteries: straight from the bifurcation to the hilar artery
  roots (:func:`.mediastinum.hila_for`), where the lobar arteries of
  :func:`.trees.pulmonary_trees` start.

Until 2026-12-03 (branch issue-19trunk12) :func:`.mediastinum.paint_great_vessels` drew a 26 mm
trunk from inside the ventricles up and to the right to a point 0.55 of the mediastinal
half-width left of the midline, 20 mm below the carina and as far forward as the ascending
aorta, and 20.8 mm arteries from there to the hila: the trunk's lateral edge lay 30-38 mm from
the midline, inside the aortopulmonary window's line, and the left border had no trunk segment
(NOTES, "hilar points, the interlobar artery ...", item (b)).

References
----------
Truong QA, Massaro JM, Rogers IS, et al. Reference values for normal pulmonary artery
dimensions by noncontrast cardiac computed tomography: the Framingham Heart Study. Circ
Cardiovasc Imaging 2012;5:147-154 (PMC3275437, abstract): 3171 adults, main pulmonary artery
diameter 25.1 +- 2.8 mm; sex-specific 90th percentiles 28.9 mm (men), 26.9 mm (women);
normative limits 29 and 27 mm.
Burman ED, Keegan J, Kilner PJ. Pulmonary artery diameters, cross sectional areas and area
changes measured by cine cardiovascular magnetic resonance in healthy volunteers. J Cardiovasc
Magn Reson 2016;18:12 (doi:10.1186/s12968-016-0230-9, abstract): 120 healthy adults, mean of
the greater and lesser orthogonal diastolic diameters: main 22.9 +- 2.4 (men), 21.2 +- 2.1
(women); right 16.6 +- 2.8, 14.7 +- 2.2; left 17.3 +- 2.5, 15.9 +- 2.0 mm.
Berger T, Siepe M, Simon B, et al. Pulmonary artery diameter: means and normal limits -
assessment by computed tomography angiography. Interact Cardiovasc Thorac Surg
2022;34:637-644 (abstract, via mendeley.com and thieme-connect.de): 497 patients aged
51.4 +- 20.2, three-dimensional centreline CT, pulmonary trunk 32.0 +- 4.6 mm; body surface
area the only significant predictor of its diameter, beta = 4.52 mm per m^2 (95 % CI
0.40-8.64).
Chuang ML, Gona P, Salton CJ, et al. Normal reference values for thoracic and abdominal aorta
and main pulmonary artery dimensions by cardiovascular magnetic resonance: the Framingham
Heart Study. J Cardiovasc Magn Reson 2013;15(Suppl 1):P256 (abstract): 370 healthy
Offspring, diameter against height^beta, beta = 0.29 for the main pulmonary artery (0.22 the
ascending aorta); indexing to height or BSA gave inverse correlations (over-corrects) - a
check on the slope above (NOTES, issue-19vessels20).
Sluysmans T, Colan SD. Theoretical and empirical derivation of cardiovascular allometric
relationships in children. J Appl Physiol 2005;99:445-457 (PubMed 15557009, abstract): 496
normal children aged 0-20, vessel diameters linear in sqrt(BSA) (not used: a growth law; the
adults' slopes above are flatter, elasticity 0.19-0.36 against 0.5; NOTES).
Gray H. Anatomy of the Human Body, 20th ed., 1918, pp. 544-545 (bartleby.com/107).
"""

from __future__ import annotations

import numpy as np

from .cardiac import RETROSTERNAL_DEPTH_BY_SEX_MM, RETROSTERNAL_DEPTH_MM, body_surface_area_m2
from .population import NHANES_2015_2018, age_group
from .raster import Frame, polyline
from .skeleton import STERNUM_HALF_WIDTH_MM, Spine
from .sternum import sternum_back_zd

__all__ = ["MPA_DIAMETER_MM", "MPA_MM_PER_M2", "FRAMINGHAM_CT_AGE_YEARS", "RPA_DIAMETER_MM",
           "LPA_DIAMETER_MM", "TRUNK_LENGTH_MM",
           "CHONDROSTERNAL_2_X_MM", "PERICARDIAL_SINUS_MM", "MIN_RISE", "PulmonaryArteries",
           "pulmonary_arteries", "trunk_axis", "paint_pulmonary_arteries", "segment_distance_sq",
           "reference_bsa_m2", "pulmonary_trunk_diameter_mm"]

# Main pulmonary artery diameter by sex (mm): Truong et al. 2012 give the cohort mean (25.1,
# SD 2.8) and the sex-specific 90th percentiles (28.9 men, 26.9 women); the sex means drawn
# are the 90th percentile less 1.2816 cohort SDs (ASSUMPTION: normal, each sex with the
# cohort's SD): 25.3 and 23.3 mm (their mean 24.3; Burman 2016's CMR lumen, 22.9 / 21.2, is
# ~2 mm less, as lumen against outer-wall CT).
MPA_DIAMETER_MM = {"male": 28.9 - 1.2816 * 2.8, "female": 26.9 - 1.2816 * 2.8}
# Its change with body surface area (mm per m^2): Berger et al. 2022 (CT angiography, BSA the
# only significant predictor; ASSUMPTION: the slope of their larger centreline diameters, 32.0
# mm, holds for Truong's axial ones, and it is linear down to the smallest bodies drawn), about
# :func:`reference_bsa_m2` (since 2026-12-05, issue-19vessels20). A check of its order, as
# elasticities (d ln diameter / d ln BSA): this slope 0.36 at 24 mm and 1.9 m^2; Chuang et al.
# 2013's Framingham height exponent 0.29 is 0.19 at a fixed BMI (Mosteller BSA ~ height^1.5);
# MESA's aortic slope (Turkbey 2014, :mod:`.aortic_root`) 0.27; Sluysmans & Colan's 0.5.
MPA_MM_PER_M2 = 4.52
# The Framingham MDCT cohort's mean age (years): 48.9 +- 10.3 (Qazi et al. 2017, 3,318 of
# them; Truong et al. 2012: 51 +- 10 in 3171): the age of the reference body of both the
# trunk's and the ascending aorta's (:mod:`.aortic_root`) calibres.
FRAMINGHAM_CT_AGE_YEARS = 48.9
# Right and left pulmonary arteries (mm): Burman et al. 2016, CMR means by sex (lumen).
RPA_DIAMETER_MM = {"male": 16.6, "female": 14.7}
LPA_DIAMETER_MM = {"male": 17.3, "female": 15.9}
# Length of the trunk from the valve to the bifurcation (Gray's 1918: about 5 cm).
TRUNK_LENGTH_MM = 50.0
# The second costal cartilage joins the sternum at the sternal angle, between the manubrium
# and the body (Gray's): its joint's x is the body's drawn half-width at its top (model
# choice; the manubrium's lower corners, 27 mm, were drawn wider). (A first try at the mean of
# the two, 21 mm, left lung between the trunk's right wall and the midline band in the 2 mm
# test woman, and the PA border stopped at the band: NOTES 2026-12-03, issue-19trunk12.)
CHONDROSTERNAL_2_X_MM = STERNUM_HALF_WIDTH_MM[1]
# The trunk rises at least this fraction of its length from the valve to the bifurcation
# (30 deg above the horizontal; model choice, reached only in chests deeper than the test
# twins', where the valve then lies deeper than the retrosternal rule puts it).
MIN_RISE = 0.5
# Between the trunk and the left atrium's anterior wall: the transverse pericardial sinus
# (model choice, mm).
PERICARDIAL_SINUS_MM = 2.0


class PulmonaryArteries:
    """The drawn trunk and branches (mm, anatomy coordinates): ``outflow`` (inside the
    ventricles), ``valve``, ``bifurcation`` (points ``(3,)``) and the radii ``r_trunk``,
    ``r_right``, ``r_left``; ``right``, ``left``: the hilar artery roots."""

    def __init__(self, outflow, valve, bifurcation, right, left, r_trunk, r_right, r_left):
        self.outflow, self.valve, self.bifurcation = (np.asarray(p, float)
                                                      for p in (outflow, valve, bifurcation))
        self.right, self.left = np.asarray(right, float), np.asarray(left, float)
        self.r_trunk, self.r_right, self.r_left = float(r_trunk), float(r_right), float(r_left)

    def points(self) -> tuple:
        """``(outflow, valve, bifurcation)``: the trunk's axis from inside the ventricles."""
        return self.outflow, self.valve, self.bifurcation

    def segments(self) -> list:
        """Capsule rows (:func:`.raster.polyline`) of the outflow + trunk and both arteries."""
        return [polyline([self.outflow, self.valve, self.bifurcation], self.r_trunk),
                polyline([self.bifurcation, self.right], self.r_right),
                polyline([self.bifurcation, self.left], self.r_left)]


def pulmonary_arteries(cav, sp: Spine, hila, sex: str) -> PulmonaryArteries:
    """The trunk and arteries of the cavity ``cav`` (a :class:`.lungs.Cavity` with its left
    atrium and ventricles), spine ``sp``, hila ``hila`` (:func:`.mediastinum.hila_for`) and
    ``sex`` ("male" or "female"), placed as the module docstring says."""
    outflow, valve, bif, r = trunk_axis(cav, sp, sex)
    return PulmonaryArteries(outflow, valve, bif, hila.artery[0], hila.artery[1], r,
                             0.5 * RPA_DIAMETER_MM[sex], 0.5 * LPA_DIAMETER_MM[sex])


def reference_bsa_m2(sex: str) -> float:
    """Body surface area (m^2) about which :data:`MPA_DIAMETER_MM` and the ascending aorta's
    :data:`.aortic_root.AORTA_ASC_MM` are taken: Mosteller's BSA
    (:func:`.cardiac.body_surface_area_m2`) of the mean height and BMI of the NHANES 2015-2018
    row (:data:`.population.NHANES_2015_2018`) of ``sex`` at :data:`FRAMINGHAM_CT_AGE_YEARS`
    (40-49 years: men 176.3 cm, BMI 30.1, 2.14 m^2; women 162.3 cm, BMI 30.7, 1.91 m^2).

    ASSUMPTION: the Framingham MDCT cohort's body size (Offspring and Third Generation,
    2002-2005) is that of US adults of its mean age in NHANES 2015-2018; its own mean BSA by sex
    (Rogers et al. 2013, Truong et al. 2012: tables) was not read (only the abstracts could be
    reached). Framingham then was likely less obese than NHANES 2015-2018 (a smaller reference
    BSA would give every twin a slightly larger trunk and aorta: 0.1 m^2 = 0.45 / 0.43 mm).
    (In :mod:`.aortic_root` from 2026-12-05, issue-19aorta19; here since issue-19vessels20.)"""
    if sex not in MPA_DIAMETER_MM:
        raise ValueError(f"sex must be one of {sorted(MPA_DIAMETER_MM)}, got {sex!r}")
    h, _, bmi, _ = NHANES_2015_2018[sex][age_group(FRAMINGHAM_CT_AGE_YEARS)]
    return body_surface_area_m2(h, bmi * (h / 100.0) ** 2)


def pulmonary_trunk_diameter_mm(sex: str, bsa_m2: float | None = None) -> float:
    """Outer diameter (mm) of the pulmonary trunk: :data:`MPA_DIAMETER_MM` of ``sex`` plus
    :data:`MPA_MM_PER_M2` per m^2 of body surface area ``bsa_m2`` over
    :func:`reference_bsa_m2` (None: the reference BSA, Truong's mean)."""
    d = MPA_DIAMETER_MM.get(sex)
    if d is None:
        raise ValueError(f"sex must be one of {sorted(MPA_DIAMETER_MM)}, got {sex!r}")
    if bsa_m2 is None:
        return d
    if not bsa_m2 > 0.0:
        raise ValueError(f"pulmonary_trunk_diameter_mm: bsa_m2 must be > 0, got {bsa_m2!r}")
    return d + MPA_MM_PER_M2 * (float(bsa_m2) - reference_bsa_m2(sex))


def trunk_axis(cav, sp: Spine, sex: str) -> tuple:
    """``(outflow, valve, bifurcation, radius)`` (mm) of the trunk of :func:`pulmonary_arteries`
    (no hila needed); its calibre by ``sex`` and the cavity's ``bsa_m2``
    (:func:`pulmonary_trunk_diameter_mm`; 0: the reference body's)."""
    if sex not in MPA_DIAMETER_MM:
        raise ValueError(f"sex must be one of {sorted(MPA_DIAMETER_MM)}, got {sex!r}")
    if cav.la_ml <= 0.0:
        raise ValueError(f"the pulmonary trunk is placed in front of the left atrium: "
                         f"cav.la_ml must be > 0, got {cav.la_ml:g}")
    bsa = getattr(cav, "bsa_m2", 0.0)
    r = 0.5 * pulmonary_trunk_diameter_mm(sex, bsa if bsa > 0.0 else None)
    lx, ly, lz, (_, _, lrz) = cav.left_atrium()
    yb = sp.tops[sp.level("T6")]
    bif = np.array([CHONDROSTERNAL_2_X_MM + r, yb, lz - lrz - PERICARDIAL_SINUS_MM - r])
    xv = STERNUM_HALF_WIDTH_MM[1]
    # the valve's depth at its own level (converges in 2-3 steps), but the trunk rising at
    # least :data:`MIN_RISE` of its length (a deep chest would lay it flat: model choice)
    dz_max = np.sqrt(TRUNK_LENGTH_MM ** 2 * (1.0 - MIN_RISE ** 2) - (bif[0] - xv) ** 2)
    zv = bif[2]
    for _ in range(4):
        yv = bif[1] + _rise(bif, xv, zv)
        back = float(sternum_back_zd(cav, sp, sex, yv))
        zv = max(back + RETROSTERNAL_DEPTH_BY_SEX_MM[sex] + r, bif[2] - dz_max)
    yv = bif[1] + _rise(bif, xv, zv)
    valve = np.array([xv, yv, zv])
    # the outflow tract: from the valve towards the ventricles' centre until a radius inside
    # them (1 mm steps)
    u = np.asarray(cav.heart_c, float) - valve
    n = int(np.linalg.norm(u))
    u /= np.linalg.norm(u)
    for s in range(0, n + 1):
        p = valve + s * u
        if bool(cav.heart(np.float32(p[0]), np.float32(p[1]), np.float32(p[2]))):
            break
    outflow = p + min(r, n - s) * u
    return outflow, valve, bif, r


def _rise(bif, xv: float, zv: float) -> float:
    """How far (mm) below the bifurcation the valve at ``(xv, zv)`` lies so that the trunk is
    :data:`TRUNK_LENGTH_MM` long (at least :data:`MIN_RISE` of it)."""
    h2 = TRUNK_LENGTH_MM ** 2 - (bif[0] - xv) ** 2 - (bif[2] - zv) ** 2
    return float(np.sqrt(max(h2, (MIN_RISE * TRUNK_LENGTH_MM) ** 2)))


def paint_pulmonary_arteries(labels, f: Frame, cav, sp: Spine, hila, sex: str, *,
                             BLOOD: int, only=None) -> PulmonaryArteries:
    """Paint :func:`pulmonary_arteries` as ``BLOOD`` over the labels ``only`` (a label or a
    tuple; None: over everything); returns them. The builder paints them after the atria,
    over soft tissue, lung, muscle, blood, the myocardium (the outflow opens into the
    ventricles) and the left atrial appendage, not over the left atrium's blood pool. Until
    2026-12-03 (issue-19root13) the appendage (then forward and left at 45 deg from the
    atrium) met the trunk's upper half and the trunk was kept whole there (painted before
    the atria, the appendage's wall and blood cut its section to 15-17 mm at 0.8-0.9 of its
    length in a 1 mm twin; NOTES, issue-19trunk12); now it lies clear of the trunk
    (:mod:`.appendage`)."""
    pa = pulmonary_arteries(cav, sp, hila, sex)
    for rows in pa.segments():
        for x0, y0, z0, x1, y1, z1, r, _ in np.asarray(rows, float).reshape(-1, 8):
            a, b = np.array([x0, y0, z0]), np.array([x1, y1, z1])
            f.paint_mask(labels, np.minimum(a, b) - r - 1.0, np.maximum(a, b) + r + 1.0,
                         _capsule(a, b, r), BLOOD, only=only)
    return pa


def segment_distance_sq(x, y, zd, a, b):
    """Squared distance (mm^2) from the points ``(x, y, zd)`` (mm, arrays of any broadcastable
    shapes, one per coordinate) to the segment ``a``-``b`` (mm, ``(3,)`` each); a zero-length
    segment (under 1e-9 mm^2 squared length) is the point ``a``. Also used by
    :mod:`.aortic_root` and :mod:`.appendage` (until 2026-12-04 each had its own copy)."""
    a = np.asarray(a, float)
    d = np.asarray(b, float) - a
    dd = max(float(d @ d), 1e-9)
    px, py, pz = x - a[0], y - a[1], zd - a[2]
    t = np.clip((px * d[0] + py * d[1] + pz * d[2]) / dd, 0.0, 1.0)
    return (px - t * d[0]) ** 2 + (py - t * d[1]) ** 2 + (pz - t * d[2]) ** 2


def _capsule(a, b, r: float):
    """Mask ``fn(x, y, zd)`` of the points within ``r`` of the segment ``a``-``b`` (mm)."""

    def fn(x, y, zd):
        return segment_distance_sq(x, y, zd, a, b) <= r * r

    return fn
