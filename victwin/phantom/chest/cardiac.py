"""Sizes and placement of the heart's chambers in the chest twins, with their sources: the
atria (right by body height, left by body surface area, the left atrial appendage) and the
ventricles (an ellipsoid from the left atrium to the apex, 2026-12-03, ninth session).
:class:`.lungs.Cavity` draws them (:meth:`~.lungs.Cavity.cardiac`); :mod:`.mediastinum` paints
them. (The constants were in :mod:`.lungs` until the ninth session; it re-exports them.)
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import scipy.optimize

__all__ = ["RA_ML_PER_M", "LA_ML_PER_M2", "LA_ML_PER_M2_SD", "LA_AP_MM", "LA_BELOW_CARINA_MM",
           "ATRIAL_WALL_MM", "LAA_ML", "LAA_LENGTH_MM", "RETROSTERNAL_DEPTH_MM",
           "RETROSTERNAL_DEPTH_BY_SEX_MM",
           "VENTRICLE_BASE_IN_LA", "APEX_WALL_MM",
           "HEART_PROPORTIONS", "VENTRICLES_MAX_ML_PER_M2", "HEART_AXIS_FRONTAL_DEG",
           "HEART_AXIS_TRANSVERSE_DEG",
           "body_surface_area_m2", "place_ventricles"]

# Right atrial volume by height, healthy adults of the Gutenberg Health Study (echocardiography,
# 1942 reference subjects; "Right atrium size in the general population", abstract): men
# 26.1, women 20.2 mL per m of body height (mL/m). (In :mod:`.mediastinum` until 2026-12-03.)
RA_ML_PER_M = {"male": 26.1, "female": 20.2}

# Left atrium (2026-12-03, eighth session). Maximal volume indexed to body surface area in the
# healthy group of the ACE 1950 study (832 healthy 64-year-olds, echocardiography: Eur Heart J
# Cardiovasc Imaging 2020;21:501-507, abstract): men 26.4 +- 6.5, women 24.9 +- 5.8 mL/m^2
# (normal range mean +- 2 SD, men up to 39.4, women 36.5 mL/m^2). The ASE/EACVI chamber
# quantification (Lang RM et al. J Am Soc Echocardiogr 2015;28:1-39) gives ~25 mL/m^2 as the
# normal mean and 34 mL/m^2 as the upper normal limit for both sexes (read at second hand: the
# guideline's text could not be opened; Henriksen et al. Int J Cardiovasc Imaging
# 2015;31:57-64 and a summary page agree). The volume is the blood pool (echocardiographic
# tracing of the endocardium): it is the atrium's interior here, the wall drawn around it.
LA_ML_PER_M2 = {"male": 26.4, "female": 24.9}
LA_ML_PER_M2_SD = {"male": 6.5, "female": 5.8}
# Anteroposterior LA diameter (parasternal long axis, echocardiography, 225 healthy adults aged
# 17-23: Adamu A et al., Ultraschall Med 2007;28:P_2_3, abstract): men 32.2, women 29.7 mm
# (Francis GS et al. 1976, 200 normals: 28.5 +- 5.1 mm at end systole, range 18.3-38.7 mm).
LA_AP_MM = {"male": 32.2, "female": 29.7}
# The atrium's transverse and supero-inferior diameters are drawn equal (assumption: no
# published pair was read), so that with the AP diameter the ellipsoid holds the volume.
# The LA lies directly in front of the oesophagus at the tracheal bifurcation, below it
# (Gray's Anatomy; Dornheim Anatomy "Speiseroehre": "below the tracheal bifurcation ... the
# oesophagus lies close to the left atrium"; multislice CT: the oesophagus runs along the
# posterior LA wall, jcvit.com fig. 2); its roof this far (mm) below the carina: the subcarinal
# space (lymph nodes, fat) between the bronchi (model choice, not from a table):
LA_BELOW_CARINA_MM = 10.0
# Wall of the atria (mm; model choice, as the right atrium's in :func:`.mediastinum.paint_heart`).
ATRIAL_WALL_MM = 2.0
# Left atrial appendage (2026-12-03, eighth session): a prolate ellipsoid of the mean cast
# volume, 5.22 +- 3.04 mL (range 0.77-19.3 mL; resin casts of 220 appendages at autopsy: Ernst G
# et al., "Morphology of the left atrial appendage", Anat Rec 1995;242:553-561, abstract) and
# 32 mm long, inside the published 20-45 mm length (orifice 15-35 mm; Taylor & Francis chapter
# "Left atrial appendage", abstract; CT of 860 patients: orifice major axis men 24.8 +- 3.8,
# women 22.7 +- 4.1 mm, PLoS ONE 2015, doi via doaj.org d1941aee, abstract); its diameter
# follows (17.7 mm). It leaves the atrium at its left side and runs to the left and forward,
# horizontally, beside the pulmonary trunk (:mod:`.appendage`; direction a model choice: the
# appendage lies between the left upper pulmonary vein and the left ventricle, its tip towards
# the pulmonary trunk, and on PA films forms the left heart border between the pulmonary trunk
# and the left ventricle, flat or slightly concave when normal: Radiology Assistant via
# grepmed.com; radiologysigns). It is
# not part of the atrial volume (echocardiographic LA volumes exclude it: Lang et al. 2015,
# at second hand) and is labelled as a heart chamber.
LAA_ML = 5.22
LAA_LENGTH_MM = 32.0

#: Depth (mm) of the lungs' junction behind the sternum: the retrosternal clear space of the
#: lateral film, sternum to ascending aorta, 2.2 +- 0.5 cm (100 normal films; women 2.0, men
#: 2.4: Fujimoto K et al., Nihon Igaku Hoshasen Gakkai Zasshi 1996;56(5), abstract;
#: Radiopaedia "Increased retrosternal airspace": normally no more than 2.5 cm). (In
#: :mod:`.lungs` until 2026-12-03, issue-19root13: here so that the great vessels' modules,
#: which the cavity's appendage needs, do not import :mod:`.lungs`.)
RETROSTERNAL_DEPTH_MM = 22.0
#: The same by sex, Fujimoto's means (women 2.0, men 2.4 cm; abstract): the great vessels'
#: depth behind the sternum's back (:mod:`.pulmonary_trunk`, :mod:`.aortic_root`; since
#: 2026-12-05, issue-19inlet22; the lungs' junction keeps the pooled mean, the cavity having
#: no sex).
RETROSTERNAL_DEPTH_BY_SEX_MM = {"male": 24.0, "female": 20.0}

# The ventricles (2026-12-03, ninth session; before: one ellipsoid tilted in the frontal plane
# only, sized by the CTR alone, 670-1330 mL, its centre 0.55 of its vertical half-extent above
# the left dome: a ball on the left hemidiaphragm whose top stayed at mid-T7, below the left
# atrium, with a waist on the left heart border between the appendage and the ventricles).
# The ventricles are an ellipsoid from the base to the apex:
# * base: the mitral valve lies between the left atrium and the left ventricle, so the
#   ventricles' base end lies inside the left atrium's outer ellipsoid on the line from the
#   atrium's centre to the apex, this fraction of the way from the centre to the surface
#   (model choice: the atrioventricular junction; the two are joined, one heart):
VENTRICLE_BASE_IN_LA = 0.5
# * apex: against the anterior chest wall (Gray's Anatomy 20th ed. 1918, "Surface markings of
#   the thorax", bartleby.com/107 p. 1311: the apex lies in the fifth interspace 9 cm left of
#   the midsternal line) and on the diaphragm (it rests on the central tendon: "Human Body
#   Construction", chestofbooks.com, "The Heart"): the tip this far (mm) inside the cavity's
#   anterior wall and above the diaphragm's surface (pericardium and pleura, model choice):
APEX_WALL_MM = 5.0
#   Its left-right position is the CTR's: the ventricles' leftmost point 2/3 of the
#   transverse diameter left of the midline (one third of the heart right of the midline, two
#   thirds left, kept from before), found by bisection on the apex's x;
# * shape: the heart's length : breadth : thickness 12 : 8.5 : 6 (Gray's Anatomy 1918, "The
#   heart", 12 cm long, 8-9 cm broad, 6 cm thick; read at second hand on pages quoting it
#   (mediconweb.com "Heart shape and size"); "Human Body Construction" (chestofbooks.com):
#   12.5 x 7.75 x 6.25 cm) applied to the ventricles' ellipsoid (assumption: the whole heart's
#   proportions for the ventricles), its thickness axis as near the vertical as the long axis
#   allows (the heart flattened on the diaphragm, model choice), the breadth across both.
HEART_PROPORTIONS = (12.0, 8.5, 6.0)
# * volume cap (2026-12-05, helper 19heart22): with the base and apex fixed the ellipsoid's
#   volume goes with the base-apex distance cubed, so a low diaphragm (a tall cavity) made the
#   heart large in every direction; no source ties ventricular volume to the diaphragm's level,
#   chamber volumes scale with body surface area and the LV's length/diameter (1.40-1.41, HUNT:
#   Stoylen A et al., Open Heart 2016;3:e000465, abstract) does not depend on it. So where the
#   drawn ellipsoid holds more than the upper normal limit indexed to BSA (Mosteller), its two
#   transverse semi-axes shrink (the length kept) until it holds that limit: a longer, slenderer
#   ("vertical") heart; below the limit nothing changes. The limit is the ventricles' blood
#   and walls at their upper normal values: LV and RV end-diastolic volume, 97.5th centiles
#   per BSA of 569 healthy adults on 320-row CT, men 97 and 120, women 83 and 102 mL/m^2, and
#   LV mass 80 / 65 g/m^2 (Copenhagen General Population Study: Fuchs A et al., Eur Heart J
#   Cardiovasc Imaging 2016;17:1009-1017, abstract), RV mass 46 g/m^2 (CMR upper limit, Heart
#   (BMJ) review, table 1 "Echocardiographic and cardiovascular magnetic resonance reference
#   values of RV and right atrial size", read as a table; Fuchs's abstract gives no RV mass),
#   the myocardium at 1.05 g/mL (assumption, its usual specific gravity). The whole ellipsoid
#   is counted against it (the part inside the left atrium too, model choice). mL/m^2:
VENTRICLES_MAX_ML_PER_M2 = {"male": 97.0 + 120.0 + (80.0 + 46.0) / 1.05,
                            "female": 83.0 + 102.0 + (65.0 + 46.0) / 1.05}
# The long axis so built is checked, not imposed, against the anatomical axis of healthy
# hearts (tests/phantom/test_chest_heart.py): cardiac MR of 94 healthy adults aged 21-82, the
# axis projected on the frontal plane +38 +- 10 deg below the horizontal and on the transverse
# plane +46 +- 7 deg in front of the left-right axis ("The relationship between electrical
# axis by 12-lead electrocardiogram and anatomical axis of the heart by cardiac magnetic
# resonance in healthy subjects", Am Heart J 2005;150:507-512, abstract via em-consulte.com;
# first author Engblom H as recalled, not shown on the page read); CT of 59 adults of normal
# BMI, frontal 38.1 +- 7.8 deg (Sathananthan G et al., Br J Cardiol 2015;22(2),
# doi:10.5837/bjc.2015.016); 36 obese 25.1 +- 6.2, 29 older 34.4 +- 9.1 deg (the same group's
# follow-up, abstract, discovery.researcher.life). Both supine; upright the axis moves
# caudally and dorsally (upright CT, 41 men: Norimatsu T et al., Sci Rep 2023,
# doi:10.1038/s41598-023-45528-y, abstract; no angle read).
HEART_AXIS_FRONTAL_DEG = (38.0, 10.0)
HEART_AXIS_TRANSVERSE_DEG = (46.0, 7.0)


def body_surface_area_m2(height_cm: float, weight_kg: float) -> float:
    """Body surface area (m^2), Mosteller's formula sqrt(height cm x weight kg / 3600)
    (Mosteller RD. N Engl J Med 1987;317:1098)."""
    return math.sqrt(height_cm * weight_kg / 3600.0)


def place_ventricles(cav):
    """``cav`` (a :class:`.lungs.Cavity` with ``ctr`` and ``la_ml``) with its ventricles
    placed: see :meth:`.lungs.Cavity.with_ventricles`. Where ``cav.vent_max_ml`` > 0 and the
    ellipsoid would hold more, its breadth and thickness shrink by one factor until it holds
    ``vent_max_ml`` (:data:`VENTRICLES_MAX_ML_PER_M2`); the cap is applied at every trial apex
    of the left-border solve, so the drawn CTR holds with the capped ellipsoid."""
    if cav.ctr <= 0.0 or cav.la_ml <= 0.0:
        raise ValueError(f"Cavity.with_ventricles needs ctr > 0 and la_ml > 0, got "
                         f"ctr = {cav.ctr:g}, la_ml = {cav.la_ml:g}")
    x_left = 2.0 / 3.0 * cav.ctr * 2.0 * cav.a0
    lx, ly, lz, (rx, ry, rz) = cav.left_atrium()
    la = np.array([lx, ly, lz])
    ratio = np.asarray(HEART_PROPORTIONS, np.float64) / HEART_PROPORTIONS[0]

    def place(xa):
        za = cav.front_zd(xa, float(cav.y_low)) + APEX_WALL_MM
        for _ in range(6):       # the apex on the diaphragm, against the front wall
            ya = float(cav.diaphragm_y(np.float32(xa), np.float32(za))) - APEX_WALL_MM
            za = cav.front_zd(xa, ya) + APEX_WALL_MM
        apex = np.array([xa, ya, za])
        u = apex - la
        u = u / np.linalg.norm(u)
        s = 1.0 / math.sqrt((u[0] / rx) ** 2 + (u[1] / ry) ** 2 + (u[2] / rz) ** 2)
        base = la + VENTRICLE_BASE_IN_LA * s * u
        half = 0.5 * float(np.linalg.norm(apex - base))
        r = half * ratio
        ml = 4.0 / 3.0 * math.pi * float(np.prod(r)) / 1000.0
        if cav.vent_max_ml > 0.0 and ml > cav.vent_max_ml:
            r[1:] *= math.sqrt(cav.vent_max_ml / ml)     # the length kept
        out = dataclasses.replace(cav, heart_c=tuple(float(v) for v in 0.5 * (apex + base)),
                                  heart_r=tuple(float(v) for v in r),
                                  heart_axis=tuple(float(v) for v in (apex - base) / (2 * half)))
        return out, out.heart_c[0] + out.heart_half_width()

    # The left border grows with the apex's x: the root of border(x) = x_left on [0, x_left].
    xa = scipy.optimize.brentq(lambda x: place(x)[1] - x_left, 0.0, x_left, xtol=1e-6)
    return place(xa)[0]
