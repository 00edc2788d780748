"""The heart of the chest twins measured on the labels (``victwin.phantom.chest.measure``)
against its published sources (2026-12-03, eighth session):

* vertical extent by vertebral level: the heart lies at the level of the 5th-8th thoracic
  vertebrae (textbook, read at second hand: Wikipedia "Heart" as transcribed at
  dentistry.uokerbala.edu.iq, citing Moore's Clinically Oriented Anatomy), supine and at
  end-tidal breathing; erect and at full inspiration it lies lower ("depending on posture and
  phase of respiration, the lower margin of the heart may be ... as much as 5 cm below the
  xiphosternal joint", Dartmouth Human Anatomy, fig. 23-4; the xiphisternal joint at T9:
  Gray's). The top (the left atrium's roof) must lie in T5 or T6, the left cardiophrenic angle
  at or below the top of T8 and above the diaphragm's posterior recess (T12);
* left atrium: its blood pool indexed to body surface area (Mosteller) inside the normal
  range of the ACE 1950 study (mean +- 2 SD 13.1-37.9 mL/m^2) and under the ASE/EACVI upper
  limit of 34 mL/m^2 (Lang et al. 2015, at second hand); its AP diameter inside the range of
  200 normal adults at end systole (Francis et al. 1976: 18.3-38.7 mm); below the carina and
  directly in front of the oesophagus, which lies on the vertebral bodies (collapsed
  oesophagus ~2 cm across at most);
* left atrial appendage: its blood within the range of 220 resin casts (Ernst et al., Anat Rec
  1995: 0.77-19.3 mL), to the left of and in front of the atrium;
* the left atrium does not widen the heart on the PA film: the cardiothoracic ratio is the
  drawn one (Danzer's transverse diameter, :mod:`.anatomy`), with or without the atrium,
  within a voxel.

The ventricles (2026-12-03, ninth session):

* long axis (apex to the left atrium's centroid, measured on the labels) against cardiac MR of
  94 healthy adults (Am Heart J 2005;150:507-512, abstract; first author Engblom as
  recalled, :data:`.cardiac.HEART_AXIS_FRONTAL_DEG`): transverse-plane angle
  46 +- 7 deg in front of the left-right axis, inside mean +- 2 SD; frontal-plane angle
  38 +- 10 deg below the horizontal, inside mean +- 3 SD (supine studies; upright the axis
  turns caudally, Norimatsu et al. 2023, so the erect twins' axis is allowed the wider band);
* volume: the myocardium and chambers (ventricles and right atrium) hold at least the normal
  ventricles' blood (LV + RV end-diastolic volume mean - 2 SD, SSFP MR of 108 adults:
  Hudsmith et al., J Cardiovasc Magn Reson 2005, abstract) and at most the upper normal
  limits indexed to body surface area (Mosteller): LV end-diastolic volume 75 mL/m^2 and LV
  mass 95 (women) / 115 (men) g/m^2 (ASE 2005 reference ranges, echocardiography, as
  tabulated by echopedia.org and ecgwaves.com), RV end-diastolic volume 108 mL/m^2 and RV
  mass 46 g/m^2 (CMR upper limits, Heart (BMJ) review, table 1 "Echocardiographic and
  cardiovascular magnetic resonance reference values of RV and right atrial size", read as a
  table only), myocardium at 1.05 g/mL (assumption), plus the right atrium (Gutenberg
  Health Study mean, :data:`.lungs.RA_ML_PER_M`);
* left heart border: no waist between the appendage and the ventricles: its deepest
  concavity under the convex hull, from the heart's top to its leftmost point, at most
  15 mm (model criterion: the normal border there is "flat or slightly concave",
  Radiology Assistant, radiologysigns; no depth published that was read; the parent's
  ventricles left a 32-46 mm waist).
"""

import numpy as np
import pytest

from victwin.phantom.chest.skeleton import LEVEL_NAMES as LEVELS
from victwin.phantom.chest.lungs import body_surface_area_m2
from victwin.phantom.chest.lungs import (HEART_AXIS_FRONTAL_DEG, HEART_AXIS_TRANSVERSE_DEG,
                                         RA_ML_PER_M)
from victwin.phantom.chest.measure import (cardiothoracic_ratio, carina_y_mm, heart_axis_deg,
                                           heart_labels, heart_levels_mm, left_atrium_ap_mm,
                                           left_atrium_box_mm, left_atrium_ml,
                                           left_border_dent_mm)

VOX = 2.0
BODIES = {"small woman": ({"sex": "female", "age_years": 35, "height_cm": 155, "bmi": 20}, 5),
          "obese woman": ({"sex": "female", "age_years": 60, "height_cm": 167, "bmi": 36}, 1),
          "tall man": ({"sex": "male", "age_years": 50, "height_cm": 190, "bmi": 27}, 6)}


@pytest.fixture(scope="module", params=sorted(BODIES))
def twin(request, chest_twin):
    return chest_twin(*BODIES[request.param], VOX)   # the tall man shared with the sternum's


def _top(ph, level):
    return ph.meta["spine"]["tops"][LEVELS.index(level)]


def test_heart_vertebral_levels(twin):
    top, bottom = heart_levels_mm(twin)
    # textbook T5-T8; the top (the base of the heart, the left atrium's roof) in T5 or T6
    assert _top(twin, "T5") <= top <= _top(twin, "T7")
    # the lower margin (the left cardiophrenic angle) at or below T8 (erect, inspiration:
    # lower) and above the diaphragm's posterior recess (T12, Gray's ch. 53). NOT tested:
    # Dartmouth's "as much as 5 cm below the xiphisternal joint" (T9): at 2 mm the angle lies
    # 0-10 mm beyond it in these twins, where their left dome lies (T11; NOTES 2026-12-03:
    # an open point of the diaphragm's level)
    assert _top(twin, "T8") <= bottom <= _top(twin, "L1")


def test_left_atrium_volume_and_diameter(twin):
    b = twin.meta["body"]
    bsa = body_surface_area_m2(b["height_cm"], b["bmi"] * (b["height_cm"] / 100.0) ** 2)
    lavi = left_atrium_ml(twin) / bsa
    assert 13.1 <= lavi <= 34.0               # ACE 1950 normal range; ASE/EACVI upper limit
    ap = left_atrium_ap_mm(twin)
    assert 18.3 <= ap <= 38.7                 # Francis et al. 1976, 200 normal adults


def test_left_atrial_appendage(twin):
    # resin casts of 220 appendages: 0.77-19.3 mL, mean 5.22 mL (Ernst et al. 1995)
    assert 0.77 <= left_atrium_ml(twin, "left atrial appendage") <= 19.3
    # it leaves the atrium to the left and forward (between the left upper pulmonary vein and
    # the left ventricle; on PA films the border between the pulmonary trunk and the ventricle)
    g = twin.grid
    m = np.isin(twin.labels, [int(k) for k, v in twin.meta["label_names"].items()
                              if v.startswith("left atrial appendage")])
    x = g.axis_mm("x")[m.any(axis=(0, 1))]
    zd = g.axis_mm("z")[m.any(axis=(1, 2))] - twin.meta["zc_mm"]
    box = left_atrium_box_mm(twin)
    assert x.max() > box["x"][1] and zd.min() < box["zd"][0]


def test_left_atrium_below_carina_in_front_of_oesophagus(twin):
    box = left_atrium_box_mm(twin)
    front = twin.meta["spine"]["front_zd"]
    assert box["y"][0] > carina_y_mm(twin)               # below the tracheal bifurcation
    # its back wall in front of the vertebral bodies by no more than the oesophagus (<= 2 cm)
    # plus a 5 mm paraspinal stripe and the atrial wall, a voxel of slack
    assert front - 27.0 - VOX <= box["zd"][1] <= front
    # it straddles the midline (the oesophagus behind it runs near the midline)
    assert box["x"][0] < 0.0 < box["x"][1]


def test_left_atrium_keeps_the_drawn_ctr(twin):
    ctr, heart_mm, thorax_mm = cardiothoracic_ratio(twin)
    x = twin.grid.axis_mm("x")
    cols = np.flatnonzero(np.isin(twin.labels, heart_labels(twin, atria=False)).any(axis=(0, 1)))
    without = float(x[cols[-1]] - x[cols[0]] + VOX)
    assert abs(heart_mm - without) <= VOX                 # the atrium stays inside the border
    # the drawn CTR is of the inner thoracic width at the domes; the lung fields' widest span
    # on the labels measures it within two voxels of the heart's and the thorax's extent
    assert abs(ctr - twin.meta["thorax"]["ctr"]) <= 2.0 * VOX * (1.0 / thorax_mm + ctr / thorax_mm)


# Hudsmith et al. 2005 (SSFP MR, 63 men, 45 women): end-diastolic volumes, mean and SD (mL)
LV_EDV = {"male": (160.0, 29.0), "female": (135.0, 26.0)}
RV_EDV = {"male": (190.0, 33.0), "female": (148.0, 35.0)}
# upper normal limits per m^2 of body surface area: LV end-diastolic volume and LV mass (ASE
# 2005, echocardiography), RV end-diastolic volume and RV mass (CMR; module docstring)
LV_EDV_UPPER_ML_M2 = 75.0
LV_MASS_UPPER_G_M2 = {"male": 115.0, "female": 95.0}
RV_EDV_UPPER_ML_M2 = 108.0
RV_MASS_UPPER_G_M2 = 46.0
MYOCARDIUM_G_PER_ML = 1.05      # assumption: the usual specific gravity of myocardium


def test_ventricles_long_axis(twin):
    frontal, transverse, _ = heart_axis_deg(twin)
    m, sd = HEART_AXIS_TRANSVERSE_DEG
    assert m - 2.0 * sd <= transverse <= m + 2.0 * sd
    m, sd = HEART_AXIS_FRONTAL_DEG
    assert m - 3.0 * sd <= frontal <= m + 3.0 * sd


def test_ventricles_volume(twin):
    b = twin.meta["body"]
    sex = b["sex"]
    n = np.count_nonzero(np.isin(twin.labels, heart_labels(twin, atria=False)))
    ml = n * VOX ** 3 / 1000.0
    (lv, lsd), (rv, rsd) = LV_EDV[sex], RV_EDV[sex]
    assert ml >= lv - 2.0 * lsd + rv - 2.0 * rsd
    bsa = body_surface_area_m2(b["height_cm"], b["bmi"] * (b["height_cm"] / 100.0) ** 2)
    ra = RA_ML_PER_M[sex] * b["height_cm"] / 100.0
    upper = bsa * (LV_EDV_UPPER_ML_M2 + RV_EDV_UPPER_ML_M2
                   + (LV_MASS_UPPER_G_M2[sex] + RV_MASS_UPPER_G_M2) / MYOCARDIUM_G_PER_ML)
    assert ml <= upper + ra


def test_left_heart_border_has_no_waist(twin):
    assert left_border_dent_mm(twin) <= 15.0
