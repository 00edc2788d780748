"""Thorax sizes of one twin, derived from its body (sex, age, height, BMI) with cited rules.

Everything the builder places is sized here, in one frozen record (:class:`Thorax`), so that
tests and the anatomy table read the same numbers the phantom was built from:

* lung volume = total lung capacity (TLC) from the GLI 2021 equations by sex, age and height
  (:mod:`.lung_volume`; until 2026-12-03 the ERS 1993 ones, which have no age term) with the
  ERS 1993 residual SD for the per-twin spread (a chest PA radiograph is taken at full
  inspiration); the lung cavity's shape is fixed in proportion and scaled until its
  voxelised volume equals that TLC (:mod:`.lungs` does the solving);
* twelve thoracic levels span the lung fields: the apex is at the first rib's level and the
  posterior costophrenic recess at the twelfth (Gray's Anatomy, 41st ed., ch. 53: the lung
  apex lies at the neck of the first rib; the pleura's lowest reflection reaches T12
  posteriorly), so the vertebral pitch follows from the lung height;
* the heart's transverse diameter is the cardiothoracic ratio (CTR) times the inner thoracic
  width at the diaphragm domes (Danzer 1919: normal CTR < 0.5);
* subcutaneous fat grows with BMI: at a fixed height body mass is proportional to the mean
  cross-section of the trunk (constant tissue density), so the trunk's cross-section area is
  scaled by BMI / 18.5 from a lean body (WHO lower limit of normal BMI, 18.5 kg/m^2) whose fat
  layer is the thinnest one measured on CT;
* women carry breast tissue over the chest wall, its volume growing with the same area ratio.

References
----------
Quanjer PH, Tammeling GJ, Cotes JE, Pedersen OF, Peslin R, Yernault JC. Lung volumes and
forced ventilatory flows. Eur Respir J 1993;6 Suppl 16:5-40 (Table 7: TLC men 7.99 H - 7.08,
RSD 0.70 L; women 6.60 H - 5.79, RSD 0.60 L; H in m, ages 18-70).
Danzer CS. The cardiothoracic ratio: an index of cardiac enlargement. Am J Med Sci
1919;157:513-521.
Breatnach E, Abbott GC, Fraser RG. Dimensions of the normal human trachea. AJR 1984;142:903-906
(coronal diameter, 95 % range: men 13-25 mm, women 10-21 mm).
Haller JA, Kramer SS, Lietman SA. Use of CT scans in selection of patients for pectus
excavatum surgery. J Pediatr Surg 1987;22:904-906 (normal transverse / AP inner thoracic
diameter ratio, mean 2.56).
Panjabi MM, Takata K, Goel V, et al. Thoracic human vertebrae: quantitative three-dimensional
anatomy. Spine 1991;16:888-901 (vertebral body height 15-23 mm T1-T12, disc ~ 20 % of the
segment; pedicle width 5-8 mm; end-plate width 28-40 mm T1-T12).
Chang CH. The normal roentgenographic measurement of the right descending pulmonary artery
in 1,085 cases. AJR 1967;100:43-45 (upper limit of its width 16 mm).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from .lung_volume import tlc_gli2021_l
from .population import Body

# Aorta, helical CT of 70 adults without cardiovascular disease (Hager A et al. J Thorac
# Cardiovasc Surg 2002;123:1060-1066, abstract, mean +- SD): ascending 3.09 +- 0.41 cm,
# isthmus 2.47 +- 0.40 cm, at the diaphragm 2.43 +- 0.35 cm. Radii: half the ascending mean and
# half the mean of isthmus and diaphragm (was 15 / 12 mm from recalled ranges).
AORTA_ASC_R_MM, AORTA_DESC_R_MM = 15.45, 12.25

__all__ = ["Thorax", "thorax_for", "tlc_ers1993_l", "TLC_RSD_L"]

# ERS 1993 (Quanjer et al. 1993, Table 7): TLC (L) = a * height (m) + b; residual SD (L).
_TLC = {"male": (7.99, -7.08), "female": (6.60, -5.79)}
TLC_RSD_L = {"male": 0.70, "female": 0.60}

# CTR of healthy adults: Danzer 1919 puts the upper limit of normal at 0.50. Mean and SD from a
# published series of 80 PA radiographs of healthy young adults (40 men, 40 women, 16-24 y):
# CTR 0.460 +- 0.026 ("Determination of cardiothoracic ratio (CTR) of normal fresh undergraduate
# students of University of Jos using plain chest radiographs", eajournals.org, abstract;
# replaces 0.44 +- 0.04, which had no source). Twins are drawn in [0.36, 0.50], inside the
# normal range by construction.
CTR_MEAN, CTR_SD, CTR_RANGE = 0.46, 0.026, (0.36, 0.50)

# Shape proportions of the thoracic cavity (fixed; the scale comes from TLC):
# transverse / AP inner diameter at mid-thorax = Haller index, normal mean 2.56 (Haller 1987);
# the cavity's deepest AP extent (posterior gutters beside the spine) is 1.45x that minimum
# sternum-to-spine distance and lung height (apex to costophrenic recess) / inner width 0.95:
# these two are model choices (proportions of a typical adult PA/lateral film).
HALLER_INDEX = 2.56
GUTTER_OVER_MIN_DEPTH = 1.45
HEIGHT_OVER_WIDTH = 0.95

# Trachea coronal diameter: midpoints of Breatnach 1984's 95 % ranges (men 13-25, women 10-21).
TRACHEA_MM = {"male": 19.0, "female": 15.5}
# Right descending pulmonary artery, root of each lung's arterial tree: 14 mm, below Chang
# 1967's 16 mm upper limit (widths of 9-16 mm in his series).
LOBAR_ARTERY_MM = 14.0
# Pulmonary veins: each lung's venous tree has one root standing for its two veins (superior
# and inferior). CT of 135 adults (Medical University of Warsaw, "Morphology and morphometry
# of pulmonary veins and the left atrium in multi-slice computed tomography", abstract at
# siftdesk.org): the smallest ostium, the left inferior vein's, has a mean area of 136 mm^2,
# i.e. a circle of 13.2 mm, the other three being larger. Two such veins merged by Murray's
# cube law (the trees' own branching rule, :mod:`.trees`): (2 x 13.2^3)^(1/3) = 16.6 mm, a
# lower bound (larger ostia give a larger root). Replaces 12 mm (unsourced; the paper cited for
# it, Kato et al. Circulation 2003;107:2004-2010, gives no diameters in its abstract). Until
# 2026-12-02 neither constant was used: the builder had 14 and 12 mm written into it.
VEIN_OSTIUM_MM = 2.0 * math.sqrt(136.0 / math.pi)
VEIN_ROOT_MM = round((2.0 * VEIN_OSTIUM_MM ** 3) ** (1.0 / 3.0), 1)

# Chest wall: intercostal/pectoral muscle layer 12 mm and lean-body fat layer 3 mm: model
# choices (typical CT appearance of a lean adult chest wall), not taken from a table.
MUSCLE_MM = 12.0
LEAN_FAT_MM = 3.0
LEAN_BMI = 18.5          # WHO lower limit of normal BMI

# Ribs: ASSUMPTION (no source read). The section is drawn as two overlapping round struts of
# radius 3.5 mm, 3 mm apart: 10 mm high, 7 mm thick, 59 mm^2. A mid-shaft section "about
# 12-14 mm high and 6-8 mm thick" was attributed to Mohr M et al. (J Biomech 2007;40:1310-1317)
# from memory; that paper could not be read (2026-12-01/02 sessions, search tool), and the
# sixth-rib cross-section corridors of Holcombe et al. 2019 (below) give areas along the rib
# but no numbers in their abstract. The drawn height (10 mm) is below the recalled 12-14 mm:
# if the recalled figure is right the ribs are drawn ~20 % too narrow.
RIB_STRUT_RADIUS_MM = 3.5
RIB_STRUT_OFFSET_MM = 3.0
# Cortical shell: sixth-rib cortical thickness maps of 33 adults (Holcombe SA et al. J Anat
# 2019;235:883-891, abstract): mid-rib maxima on the pleural side 0.9-2.6 mm, average map
# maximum 1.4 mm; 1.2 mm is inside that range (the thickness away from the maxima is lower).
CORTEX_MM = 1.2

# Breast (women): ASSUMPTION. Each breast a half-ellipsoid of 300 mL at BMI 22, proportional
# to BMI. Coltman CE et al. (Ergonomics 2017;60:1576-1585) report breast volume rising with
# BMI, not with age; their regression was not read, so neither the 300 mL nor the
# proportionality is theirs. 300 mL lies inside the reported spread of adult breast volumes
# (a few hundred mL per breast; secondary summaries quote means of 270-650 mL depending on the
# method). Breast tissue lies over the chest wall, outside the lung fields' centre, and does
# not enter the lung NPS or the nodule studies' ROIs much.
BREAST_ML_AT_BMI22 = 300.0


def tlc_ers1993_l(sex: str, height_cm: float) -> float:
    """Predicted total lung capacity (L), ERS 1993 (Quanjer et al. 1993, Table 7)."""
    a, b = _TLC[sex]
    return a * height_cm / 100.0 + b


@dataclass(frozen=True)
class Thorax:
    """Sizes of one twin's thorax (mm, mL, ratios); see the module docstring for sources."""

    body: Body
    tlc_ml: float                 # target lung volume
    ctr: float                    # cardiothoracic ratio drawn for the twin
    fat_mm: float                 # subcutaneous fat thickness (lateral)
    muscle_mm: float
    area_ratio: float             # trunk cross-section over the lean body's
    trachea_mm: float
    right_dome_raise_mm: float    # right hemidiaphragm above the left
    dome_height_mm: float         # dome above the costophrenic recesses
    breast_ml: float              # per breast (0 for men)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["body"] = self.body.to_dict()
        return d


def _truncnorm(rng, mean, sd, lo, hi) -> float:
    for _ in range(1000):
        v = float(rng.normal(mean, sd))
        if lo <= v <= hi:
            return v
    return float(min(max(mean, lo), hi))


def thorax_for(body: Body, rng: np.random.Generator) -> Thorax:
    """The thorax of ``body``: fixed rules plus a few per-twin draws (TLC, CTR, domes)."""
    tlc_l = tlc_gli2021_l(body.sex, body.age_years, body.height_cm)
    if tlc_l < 2.0:
        raise ValueError(f"chest body key 'height_cm' = {body.height_cm:g} gives a TLC of "
                         f"{tlc_l:.2f} L by the GLI 2021 equation; need >= 2 L")
    # TLC varies between people of the same height: draw within +-1.64 RSD (90 % range).
    rsd = TLC_RSD_L[body.sex]
    tlc_l += _truncnorm(rng, 0.0, rsd, -1.64 * rsd, 1.64 * rsd)
    ctr = _truncnorm(rng, CTR_MEAN, CTR_SD, *CTR_RANGE)
    area_ratio = max(1.0, body.bmi / LEAN_BMI)
    # Dome height above the costophrenic recess 1.5-3 cm at full inspiration and the right
    # dome 1-2.5 cm above the left in most adults (Felson B. Chest Roentgenology, 1973, ch. 12).
    dome = _truncnorm(rng, 22.0, 4.0, 15.0, 30.0)
    raise_r = _truncnorm(rng, 15.0, 4.0, 8.0, 25.0)
    # (until 2026-12-03, ninth session, the heart's long axis was drawn here, 45 +- 5 deg from
    # the vertical in the frontal plane; it now follows from the ventricles' base and apex,
    # :meth:`.lungs.Cavity.with_ventricles`; this was the last draw of the thorax's stream)
    breast = 0.0
    if body.sex == "female":
        breast = BREAST_ML_AT_BMI22 * max(0.5, body.bmi / 22.0)
    return Thorax(body=body, tlc_ml=1000.0 * tlc_l, ctr=ctr, fat_mm=LEAN_FAT_MM,
                  muscle_mm=MUSCLE_MM, area_ratio=area_ratio,
                  trachea_mm=TRACHEA_MM[body.sex], right_dome_raise_mm=raise_r,
                  dome_height_mm=dome, breast_ml=breast)


def lean_to_fat_mm(a_mm: float, b_mm: float, area_ratio: float, p: float) -> float:
    """Fat thickness that grows a superellipse of half-axes (a, b) and exponent ``p`` to
    ``area_ratio`` times its area (uniform thickness added on both axes)."""
    if area_ratio <= 1.0:
        return 0.0
    # area of a superellipse ~ a * b * const: solve (a + t)(b + t) = ratio * a * b
    s = a_mm + b_mm
    return 0.5 * (-s + math.sqrt(s * s + 4.0 * (area_ratio - 1.0) * a_mm * b_mm))
