"""Thorax sizes of one twin, derived from its body (sex, age, height, BMI) with cited rules.

Everything the builder places is sized here, in one frozen record (:class:`Thorax`), so that
tests and the anatomy table read the same numbers the phantom was built from:

* lung volume = total lung capacity (TLC) from the GLI 2021 equations by sex, age and height
  (:mod:`.lung_volume`; until 2026-12-03 the ERS 1993 ones, which have no age term) with the
  ERS 1993 residual SD for the per-twin spread (a chest PA radiograph is taken at full
  inspiration); the lung cavity's shape is fixed in proportion and scaled until its
  voxelised volume equals that TLC (:mod:`.lungs` does the solving);
* twelve thoracic levels hang from the lung apex (Gray's Anatomy, 41st ed., ch. 53: the apex
  lies at the neck of the first rib), their bodies and discs sized by stature from published
  morphometry (:func:`.skeleton.thoracic_heights_mm`: Panjabi 1991, Kunkel 2011); the
  posterior costophrenic recess falls where the drawn lung volume puts it, at T12 (the
  pleura's lowest posterior reflection, Gray's) or L1. Until 2026-12-03 (twelfth session)
  the twelve pitches were stretched from the apex to the recess, so the column followed the
  lung volume drawn, not stature;
* the heart's transverse diameter is the cardiothoracic ratio (CTR) times the inner thoracic
  width at the diaphragm domes (Danzer 1919: normal CTR < 0.5);
* subcutaneous fat grows with BMI by half the slopes of the chest's depth (front and back)
  and breadth (sides) on BMI at a fixed height in ANSUR II (Gordon et al. 2014,
  :data:`FAT_AP_MM_PER_BMI`, :data:`FAT_SIDE_MM_PER_BMI`; until 2026-12-05 one uniform layer
  from Heinz et al. 2003's skeletal slopes), from a lean body (WHO lower limit of normal BMI,
  18.5 kg/m^2); until 2026-12-03 (tenth session) the trunk's
  cross-section area was scaled by BMI / 18.5 (mass proportional to the trunk's section at a
  fixed height), which grew the chest about twice as fast as the measured slope;
* women carry breast tissue over the chest wall (:mod:`.outline`), its volume anchored on a
  published mean and growing with BMI (:data:`BREAST_ML_REF`).

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
anatomy. Spine 1991;16:888-901 (vertebral body height 15-23 mm T1-T12; pedicle width 5-8 mm;
end-plate width 28-40 mm T1-T12).
Kunkel ME, et al. J Anat 2011;219:375-387 (thoracic disc thickness 4.5-7.2 mm, measured
directly on 72 segments; :mod:`.skeleton`).
Heinz G, Peterson LJ, Johnson RW, Kerk CJ. Exploring relationships in body dimensions.
J Stat Educ 2003;11(2) (507 physically active adults, 247 men and 260 women, 18-67 y; chest
depth between spine and sternum and chest diameter at nipple level, mid-expiration; the data
file body.dat.txt of the JSE data archive, sha256 f67b1b58...f1d0).
Huang N-s, Quan C-l, Mo M, et al. A prospective study of breast anthropomorphic measurements,
volume and ptosis in 605 Asian patients with breast cancer or benign breast disease. PLoS One
2017;12(2):e0172122 (abstract: breast volume 340.0 +- 109.1 mL, range 91.8-919.2; breast base
width 14.3 +- 1.4 cm; nipple to inframammary fold 7.5 +- 1.6 cm standing; BMI a risk factor
for a larger volume).
Chang CH. The normal roentgenographic measurement of the right descending pulmonary artery
in 1,085 cases. AJR (upper limit of its width 16 mm; not read here: cited as 1962;87:929-935
in hilum.py and as 1967;100:43-45 before - which is right is unverified).
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

__all__ = ["Thorax", "thorax_for", "tlc_ers1993_l", "TLC_RSD_L", "fat_mm_for", "breast_ml_for",
           "FAT_AP_MM_PER_BMI", "FAT_SIDE_MM_PER_BMI", "BREAST_ML_REF"]

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
# the cavity's deepest AP extent (posterior gutters beside the spine) is 1.60x that minimum
# sternum-to-spine distance: the "depression index" (maximum sagittal diameter of a hemithorax
# over the shortest midline one) on CT of the lower chest, 1.60 +- 0.09 in 23 children of 12-16
# years, 1.49 and 1.58 at 3-6 and 7-11 years (Wan YL, Chuang JH, Kong MS, Lo SK, Tsai CC, "CT
# evaluation of normal thoracic cage and its development in Chinese children", abstract,
# repository.eduhk.hk; the same study's pectus index 2.63 +- 0.33); adults agree: transverse
# over AP diameter of the thoracic cage at T6 on CT 1.62 +- 0.14 in 560 adults (men 1.60,
# women 1.67; Li Z et al., Chin J Clin Anat 2023;41(1):28-30, doi
# 10.13418/j.issn.1001-165x.2023.1.06, abstract), i.e. 2.56 / 1.62 = 1.58 (ASSUMPTION: their
# AP the deepest, inner). Was 1.45 until 2026-12-03 (twelfth session), a model choice without
# a source: a cavity 8-10 % too shallow for its width, whose TLC went into width (NOTES,
# 19cone12). Lung height (apex to costophrenic recess) / inner width 0.95 is a model choice
# (proportions of a typical adult PA/lateral film).
# Checked 2026-12-03 (19cage10; tests/phantom/test_chest_cage.py, the twins' voxels, at the
# ERS mean TLC): the PA lung field's width between the costophrenic angles (256 mm woman 163 cm,
# 302 mm man 177 cm) within 2 SD of 45 Saudi adults' films (264 +- 21 / 292 +- 20 mm: Alghamdi
# S et al. Int J Biomed 2021;11(2):206-211); lung apex to dome top (208-250 mm) inside the
# normal limits of 526 Nigerian PA films (16-28 cm women, 18-30 cm men; West Afr J Med 2007);
# sternum-to-spine distance 2 a0 / HALLER_INDEX = 109 / 122 mm against 100.4 +- 17 mm on CT of
# post-pubertal Indians (Haller index 2.37, range 1.6-3.1: Joshua SA et al., J Radiol Res
# Pract 2014, article 145020, abstract). (These checks were made with the gutters at 1.45.)
HALLER_INDEX = 2.56
GUTTER_OVER_MIN_DEPTH = 1.60
# PROTOTYPE (2026-12-05, issue-19inlet21): 0.95 -> 1.00, the model choice moved so that the
# volume the upper cage's shallow front takes (:data:`.cage_profile.INLET_AP_FRACTION`) goes
# into height, not width: the solved a0 of the 178 cm man and the 158 cm woman within 0.5 % of
# before (with 0.95 it grew 2-3 %, and the lean twins' girth and the women's biacromial
# breadth left Heinz 2003's 2 RSD; NOTES).
# Looked for on 2026-12-06 (helper 19src26, abstracts only; wip/sources/19src26-sources.md): no
# study measuring the lung's height and width in the same subjects was reached. Composite of
# two populations (apex to dome on 526 Nigerian PA films, West Afr J Med 2007, plus Alghamdi
# 2021's dome heights over the costophrenic angles, over Alghamdi's width between the angles):
# 0.98 (men), 0.99 (women); over the Nigerian transverse thoracic diameter (Obikili & Okoye,
# West Afr J Med 2006;25:186) 0.97 / 0.99, 0.96-1.04 over age bands. 1.00 lies inside that
# band, which cannot choose between 0.95 and 1.00 (population mismatch).
HEIGHT_OVER_WIDTH = 1.00

# Diaphragm domes (since 2026-12-03, sixth session, helper 19dome14). The left dome's top above
# its lateral costophrenic angle on PA films of 45 adults, mean and SD (mm): men 43.29 +- 6.65,
# women 33.28 +- 8.83 (right 55.4 +- 6.77 / 47.0 +- 12.19; Alghamdi S, Bushara L, Bilal D et
# al. Normal diaphragm measurements in the Saudi population using posteroanterior chest
# radiograph. Int J Biomed 2021;11(2):206-211, abstract: the domes' highest points and the
# costophrenic angles are the end points; read here as the height above the angle's level, as
# tests/phantom/test_chest_cage.py reads it: their right-left difference, 12-14 mm, is the
# domes' level difference, Felson's 1-2.5 cm). Until then the left dome was Felson's "1.5-3
# cm" (22 +- 4 mm, a height above the costophrenic-cardiophrenic chord, whose lower end is the
# radiographic limit of a flat dome: "< 1.5 cm above this line ... flat", ERS criteria after
# Simon) plus 15 mm for the fall to the recess (no source), scaled with the cavity's width.
DOME_LEFT_FILM_MM = {"male": (43.29, 6.65), "female": (33.28, 8.83)}
# Film to body: a PA film magnifies what lies d in front of the detector by SID / (SID - d);
# the domes' tops and the recesses ~12 cm in front of it at a 180 cm source-image distance:
# 1.07 (ASSUMED depth; tests/phantom/test_chest_cage.py's band for the lateral wall 1.06-1.09).
DOME_FILM_MAG = 1.07

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
# Fat growth (mm per kg/m^2 of BMI above LEAN_BMI, each side), front and back (``AP``) and at
# the sides (``SIDE``): half the BMI coefficients of chest depth and chest breadth in an
# ordinary least-squares fit on BMI and stature of the ANSUR II public data (Gordon CC et al.
# 2012 Anthropometric Survey of U.S. Army Personnel, NATICK/TR-15/007, 2014; 1986 women, 4082
# men; benchmarks/ansur2_chest_slopes.py, coefficient +- SE, mm per kg/m^2): depth women
# 6.27 +- 0.10, men 5.56 +- 0.05; breadth women 3.31 +- 0.08, men 2.81 +- 0.05 (skin to skin,
# anthropometer; the survey's definitions of level and breathing phase were not read). The
# layer thickens front and back about twice as fast as at the sides: a uniform layer cannot
# give both slopes. Around the section the thickness goes from the side's to the front's and
# back's as the gap between two superellipses of the section's exponent whose half-axes differ
# by the two thicknesses (ASSUMPTION: the angular interpolation; :meth:`.outline.Outline.section`).
# ASSUMPTIONS: the whole slope is fat (a heavier body of the same height also carries more
# muscle); the women's depth, at the bustpoint, includes the breasts' growth with BMI, which
# the twin draws separately (:func:`breast_ml_for`) and which is taken off (below). ANSUR II's BMI ranged 15-44. Until 2026-12-05 (fifth session, 19fat23) one
# uniform layer took half of Heinz et al. 2003's anthropometer slopes (women 1.73, men 2.42
# mm per kg/m^2), which that dataset lists as skeletal diameters: the chest's tape girth grew
# 9.9 / 14.7 mm per kg/m^2 against Heinz's 16.1 / 20.0 and ANSUR II's 19.4.
ANSUR2_DEPTH_MM_PER_BMI = {"female": 6.271, "male": 5.556}
ANSUR2_BREADTH_MM_PER_BMI = {"female": 3.312, "male": 2.813}
# Women (2026-12-05, fifth session, 19fat23b): the survey's women's chest depth is taken at the
# bustpoint with a beam caliper, i.e. the trunk's full depth at that level, breasts included
# (ASSUMPTION from the usual definition, "chest (bust) depth: maximum horizontal distance ...
# to the front of the chest in men or breast in women", Pheasant's Bodyspace table as given
# at personal.cityu.edu.hk/meachan/online anthropometry, ch. 2 no. 20; ANSUR II's own text,
# NATICK/TR-15/007 appendix, was not read; the data agree: at equal BMI and stature the
# women are 17 mm deeper than the men, with smaller rib cages). That depth grows by the back's
# fat, the front's fat and the breast's height at the nipple: 6.271 = 2 f + h' with front and
# back alike (the men's assumption) and h' = BREAST_H_MM_PER_BMI, the growth of the twin's own
# breast height (:func:`breast_ml_for` over the base the outline draws, Outline.breast_h) from
# BMI 20 to 35 in the test woman (163 cm, seed 3: 46.5 -> 69.1 mm;
# /work/scratch/19fat23/b_breast.py). So f = (6.271 - 1.50) / 2 = 2.385 mm per kg/m^2 (was
# 3.135, half the whole depth slope, which counted the breasts' growth twice).
# STALE since 2026-12-05 (fifth session, 19breast23): the breast's upper pole is now a straight
# slope (outline.breast_profile), so the same volume stands 1.081x higher (the profile's
# integral over its base, a ratio independent of the base's size): h' = 1.50 x 1.081 = 1.62,
# f would be 2.325. Not re-derived here (the fat layer's slopes are the fat helper's / the
# lead's to change); the caliper depth test reads the sum, 2 f + h'.
BREAST_H_MM_PER_BMI = 1.50
FAT_AP_MM_PER_BMI = {"female": round(0.5 * (ANSUR2_DEPTH_MM_PER_BMI["female"]
                                            - BREAST_H_MM_PER_BMI), 3),
                     "male": round(0.5 * ANSUR2_DEPTH_MM_PER_BMI["male"], 3)}
FAT_SIDE_MM_PER_BMI = {s: round(0.5 * v, 3) for s, v in ANSUR2_BREADTH_MM_PER_BMI.items()}

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

# Breast (women): volume per breast BREAST_ML_REF at BMI BREAST_BMI_REF, proportional to BMI
# (floor at half the reference). 340 mL is the mean of 1210 breasts of 605 Chinese women
# (Huang et al. 2017, abstract, BREAST-V anthropometric formula; +- 109 mL, 92-919 mL).
# ASSUMPTIONS: the BMI it is attached to (22 kg/m^2: the abstract gives no mean BMI) and the
# proportionality to BMI (Huang 2017 and Coltman CE et al., Ergonomics 2017;60:1576-1585 report
# volume rising with BMI; neither regression was read). A western cohort's mean is larger
# (MRI of 15 UK women: 561-567 mL, Hussain Z et al. Br J Radiol 1999, abstract at
# scholar.archive.org).
# Until 2026-12-03 (tenth session): 300 mL at BMI 22, a number without a source.
BREAST_ML_REF = 340.0
BREAST_BMI_REF = 22.0


def fat_mm_for(sex: str, bmi: float, where: str = "side") -> float:
    """Subcutaneous fat thickness (mm) over the chest of a body of ``sex`` and ``bmi``: the lean
    layer plus, per kg/m^2 above :data:`LEAN_BMI`, :data:`FAT_SIDE_MM_PER_BMI` at the sides
    (``where`` "side") or :data:`FAT_AP_MM_PER_BMI` in front and behind (``where`` "ap")
    (ANSUR II's breadth and depth slopes, halved; the women's depth slope less the breasts'
    growth)."""
    per = {"side": FAT_SIDE_MM_PER_BMI, "ap": FAT_AP_MM_PER_BMI}[where]
    return LEAN_FAT_MM + per[sex] * max(0.0, bmi - LEAN_BMI)


def breast_ml_for(bmi: float) -> float:
    """Volume (mL) of each breast of a woman of ``bmi`` (see :data:`BREAST_ML_REF`)."""
    return BREAST_ML_REF * max(0.5, bmi / BREAST_BMI_REF)


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
    fat_mm: float                 # subcutaneous fat at the sides (:func:`fat_mm_for`, "side")
    muscle_mm: float
    trachea_mm: float
    right_dome_raise_mm: float    # right hemidiaphragm above the left
    dome_height_mm: float         # left dome's top above its lateral costophrenic recess
    breast_ml: float              # per breast (0 for men)
    fat_ap_mm: float = 0.0        # subcutaneous fat in front and behind (:func:`fat_mm_for`,
    #                               "ap"; 0: as ``fat_mm``)

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
    # The left dome's height above its lateral costophrenic angle on PA films (Alghamdi 2021,
    # DOME_LEFT_FILM_MM, within 2 SD) and the right dome 1-2.5 cm above the left in most adults
    # (Felson B. Chest Roentgenology, 1973, ch. 12), both over the film's DOME_FILM_MAG.
    m, sd = DOME_LEFT_FILM_MM[body.sex]
    dome = _truncnorm(rng, m, sd, m - 2.0 * sd, m + 2.0 * sd) / DOME_FILM_MAG
    raise_r = _truncnorm(rng, 15.0, 4.0, 8.0, 25.0) / DOME_FILM_MAG
    # (until 2026-12-03, ninth session, the heart's long axis was drawn here, 45 +- 5 deg from
    # the vertical in the frontal plane; it now follows from the ventricles' base and apex,
    # :meth:`.lungs.Cavity.with_ventricles`; this was the last draw of the thorax's stream)
    breast = breast_ml_for(body.bmi) if body.sex == "female" else 0.0
    return Thorax(body=body, tlc_ml=1000.0 * tlc_l, ctr=ctr,
                  fat_mm=fat_mm_for(body.sex, body.bmi), muscle_mm=MUSCLE_MM,
                  trachea_mm=TRACHEA_MM[body.sex], right_dome_raise_mm=raise_r,
                  dome_height_mm=dome, breast_ml=breast,
                  fat_ap_mm=fat_mm_for(body.sex, body.bmi, "ap"))
