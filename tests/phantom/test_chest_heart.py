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
"""

import numpy as np
import pytest

from victwin.phantom.chest import make_chest
from victwin.phantom.chest.lungs import body_surface_area_m2
from victwin.phantom.chest.measure import (cardiothoracic_ratio, carina_y_mm, heart_labels,
                                           heart_levels_mm, left_atrium_ap_mm,
                                           left_atrium_box_mm, left_atrium_ml)

VOX = 2.0
BODIES = {"small woman": ({"sex": "female", "age_years": 35, "height_cm": 155, "bmi": 20}, 5),
          "obese woman": ({"sex": "female", "age_years": 60, "height_cm": 167, "bmi": 36}, 1),
          "tall man": ({"sex": "male", "age_years": 50, "height_cm": 190, "bmi": 27}, 6)}
LEVELS = ["C6", "C7"] + [f"T{k}" for k in range(1, 13)] + ["L1", "L2"]


@pytest.fixture(scope="module", params=sorted(BODIES))
def twin(request):
    body, seed = BODIES[request.param]
    return make_chest({"body": body}, seed=seed, voxel_mm=VOX)


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
