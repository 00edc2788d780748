"""The chest twins' rib cage and diaphragm against published measurements of adults
(:mod:`victwin.phantom.chest.measure_cage` reads the voxels of 2 mm twins).

The twins are built at the ERS 1993 predicted TLC (the per-twin TLC draw's SD set to ~0, the
other draws unchanged), so that they stand for the mean body of their sex, height and BMI.

Sources (each test names its own):
* Heinz G, Peterson LJ, Johnson RW, Kerk CJ. Exploring relationships in body dimensions. J Stat
  Educ 2003;11(2): chest girth with a tape, "nipple line in males and just above breast tissue
  in females, mid-expiration", 247 men and 260 women. Fitted here on their data file
  (body.dat.txt of the JSE archive, sha256 f67b1b58...f1d0, column 11), ordinary least squares
  on BMI and height (mm, H in cm): women 96.8 + 16.09 BMI + 2.459 H, residual SD 31.7; men
  -25.2 + 20.02 BMI + 3.041 H, residual SD 40.9.
* Derasse M et al. Chest expansion and lung function for healthy subjects and individuals with
  pulmonary disease. Respir Care 2021;66:661-668 (abstract: 251 adults, upper chest expansion,
  tape, maximal expiration to maximal inspiration, 4.82 +- 1.84 cm; Debouche S et al., J
  Chiropr Med 2016, 53 young adults: 5.4 cm).
* Alghamdi S et al. Normal diaphragm measurements in the Saudi population using
  posteroanterior chest radiograph. Int J Biomed 2021;11(2):206-211 (abstract, 45 adults, on
  the film: width between the costophrenic angles men 291.7 +- 20.4 mm, women 264.3 +- 21.2;
  dome heights right men 55.4 +- 6.8, women 47.0 +- 12.2; left men 43.3 +- 6.7, women
  33.3 +- 8.8).
* Lung apex to diaphragmatic apex ("LATDA") on 526 normal PA radiographs of Nigerian adults
  (West Afr J Med 2007, Ibadan; abstract): means right 22.9 (men) / 21.5 cm (women), left
  24.4 / 22.6 cm, normal limits 18-30 cm (men) and 16-28 cm (women); left longer than right in
  95 %.
"""

import functools

import numpy as np
import pytest

from victwin.phantom.chest import anatomy, make_chest
from victwin.phantom.chest.lung_volume import tlc_gli2021_l
from victwin.phantom.chest.measure_cage import (apex_to_dome_mm, chest_girth_mm,
                                                diaphragm_width_mm, rib_cage_breadth_mm)
from victwin.phantom.chest.measure_recess import dome_rises_mm, pa_line_integral

VOX = 2.0
H = {"female": 163.0, "male": 177.0}
# Heinz 2003 chest girth fit (above): intercept, BMI coefficient, height coefficient, RSD (mm)
GIRTH = {"female": (96.815, 16.088, 2.459, 31.7), "male": (-25.19, 20.016, 3.041, 40.9)}
# Mid-expiration (Heinz) to full inspiration (the PA twin, at TLC): Derasse 2021's mean chest
# expansion from maximal expiration to maximal inspiration, 48.2 mm, times the inspiratory
# capacity's share of the vital capacity, ~0.62 (FRC ~ 0.5 TLC, RV ~ 0.2-0.3 TLC; a girth
# linear in volume: ASSUMPTIONS): +30 mm.
GIRTH_TLC_MM = 30.0
# Magnification of the lateral chest wall on a PA film (180 cm source-image distance, the
# wall 10-15 cm in front of the detector): 1.06-1.09; film values are divided by 1.0-1.1.
MAG = (1.0, 1.1)


@functools.lru_cache(maxsize=None)
def mean_twin(sex: str, bmi: float, positioning: str = "pa"):
    """A 2 mm twin (seed 3) of ``sex``, 40 years, at the test height and ``bmi`` whose TLC is the
    model's predicted median (GLI 2021 since issue-19pop10; the TLC draw's SD ~0; the draw still
    consumes its random number); its scapulae positioned for a PA film unless ``positioning``
    says otherwise."""
    body = {"sex": sex, "age_years": 40, "height_cm": H[sex], "bmi": bmi}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(anatomy, "TLC_RSD_L", {"male": 1e-9, "female": 1e-9})
        ph = make_chest({"body": body, "scapulae": {"positioning": positioning}}, seed=3,
                        voxel_mm=VOX)
    tlc = tlc_gli2021_l(sex, 40, H[sex]) * 1000.0
    assert ph.meta["thorax"]["tlc_ml"] == pytest.approx(tlc, abs=1.0)
    return ph


@pytest.mark.parametrize("sex", ["female", "male"])
@pytest.mark.parametrize("bmi", [20.0, 35.0])
def test_chest_girth_within_two_rsd_of_heinz_2003(sex, bmi):
    # the tape-measure girth (skin, no caliper pressure: the same quantity in twin and data)
    # at Heinz's level, against their fit plus the mid-expiration-to-TLC expansion. Without
    # that correction the lean man would be 2.4 RSD above (measured 2026-12-03: women
    # -42..+21 mm, men +12..+68 mm from the corrected prediction). The tape is read standing
    # with the arms at the sides, not in the PA film's posture: the twin with neutral scapulae
    # (with the PA posture's scapulae and their cover on the cage's sides the lean twins'
    # hull girth was +73 / +99 mm from the prediction, 2026-12-05; NOTES).
    a, b, c, rsd = GIRTH[sex]
    pred = a + b * bmi + c * H[sex] + GIRTH_TLC_MM
    girth = chest_girth_mm(mean_twin(sex, bmi, "neutral"))
    assert abs(girth - pred) <= 2.0 * rsd, (girth, pred)


@pytest.mark.parametrize("sex", ["female", "male"])
def test_rib_cage_breadth_of_a_lean_twin_as_heinz_2003_chest_diameter(sex):
    # Heinz's chest diameter is a caliper reading on the ribs at the nipple line: the rib
    # cage's outer breadth plus the soft tissue pressed under the tips, mid-expiration. At BMI
    # 20 (little fat to press) the twin's outer rib breadth, less the expansion to TLC
    # (breadth x 48.2 x 0.62 / girth, as GIRTH_TLC_MM: ~10 mm), within 2 RSD of the fit.
    # (The skin breadth is 54-84 mm above it: skin and caliper are different quantities.)
    a, b, c, rsd = {"female": (54.63, 3.336, 0.801, 14.1),
                    "male": (-7.99, 4.906, 1.048, 14.1)}[sex]
    pred = a + b * 20.0 + c * H[sex]
    ga, gb, gc, _ = GIRTH[sex]
    pred_tlc = pred * (1.0 + GIRTH_TLC_MM / (ga + gb * 20.0 + gc * H[sex]))
    breadth = rib_cage_breadth_mm(mean_twin(sex, 20.0))
    assert abs(breadth - pred_tlc) <= 2.0 * rsd, (breadth, pred_tlc)


@pytest.mark.parametrize("sex", ["female", "male"])
def test_width_between_costophrenic_angles_as_alghamdi_2021(sex):
    mean, sd = {"male": (291.7, 20.4), "female": (264.3, 21.2)}[sex]
    w = diaphragm_width_mm(mean_twin(sex, 20.0))
    assert mean / MAG[1] - 2.0 * sd <= w <= mean / MAG[0] + 2.0 * sd, w


@pytest.mark.parametrize("sex", ["female", "male"])
def test_dome_heights_as_alghamdi_2021(sex):
    # each dome's top above its lateral costophrenic angle as a reader finds both on the PA
    # image (the dome's silhouette edge, the recess wedge's vertex: measure_recess.dome_rises_mm),
    # within 2 SD of the film's mean (divided by the magnification band); the right dome the
    # higher (Felson 1973; right higher in 98 % of 50 Turkish PA films, Baskent University).
    # Until 2026-12-03 (sixth session) the lung-path field's (>= 20 mm of lung on the ray,
    # measure_cage.dome_heights_mm): its lower edge under the dome is the lung behind the dome
    # (16-22 mm below the dome's edge on the image on the right, 6-10 on the left, four 2 mm
    # twins) and its recess point where the wedge's lung falls under 20 mm (up to 14 mm above
    # the vertex): 5-24 mm short.
    # The domes are drawn from the same paper (anatomy.DOME_LEFT_FILM_MM): this checks the chain
    # from the drawn cavity to what the image shows, not the source.
    ref = {"male": ((55.4, 6.8), (43.3, 6.7)), "female": ((47.0, 12.2), (33.3, 8.8))}[sex]
    ph = mean_twin(sex, 20.0)
    heights = dome_rises_mm(pa_line_integral(ph), VOX)
    for h, (mean, sd) in zip(heights, ref):
        assert mean / MAG[1] - 2.0 * sd <= h <= mean / MAG[0] + 2.0 * sd, heights
    assert heights[0] > heights[1]


@pytest.mark.parametrize("sex", ["female", "male"])
def test_lung_apex_to_dome_within_the_ibadan_normal_limits(sex):
    lo, hi = {"male": (180.0, 300.0), "female": (160.0, 280.0)}[sex]
    right, left = apex_to_dome_mm(mean_twin(sex, 20.0))
    assert lo / MAG[1] <= right <= hi and lo / MAG[1] <= left <= hi, (right, left)
    assert left > right


def test_girth_is_the_taut_tape_around_two_discs():
    """A slice holding two discs of radius r whose centres lie d apart: a taut tape around
    them is 2 pi r + 2 d (the convex hull), not the outline's 4 pi r."""
    from victwin.geometry import Grid
    from victwin.phantom import Phantom

    vox, r, d = 0.5, 30.0, 50.0
    g = Grid(shape=(240, 3, 300), spacing=(vox, vox, vox), origin=(-60.0, -0.5, -75.0))
    z, x = g.axis_mm("z")[:, None], g.axis_mm("x")[None, :]
    disc = ((x - d / 2) ** 2 + z ** 2 <= r ** 2) | ((x + d / 2) ** 2 + z ** 2 <= r ** 2)
    lab = np.zeros(g.shape, np.uint8)
    lab[:, :, :] = disc[:, None, :]
    # the two discs overlap (d < 2 r): one outline with two hollows, as a back over scapulae
    ph = Phantom(labels=lab, grid=g, materials={0: "air", 1: "soft_tissue"})
    assert chest_girth_mm(ph, y_mm=0.0) == pytest.approx(2 * np.pi * r + 2 * d, rel=0.01)
