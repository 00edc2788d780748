"""The pulmonary trunk and the left mediastinal border of the chest twins
(``victwin.phantom.chest.pulmonary_trunk``, 2026-12-03, branch issue-19trunk12), measured on
the labels and the PA soft-tissue path (``victwin.phantom.chest.measure_trunk``) against:

* Gray's Anatomy (1918, pp. 544-545): the trunk, about 5 cm long, runs from the right
  ventricle's outflow upward, backward and to the left and divides under the aortic arch at
  the level of the T5/T6 disc; on CT the bifurcation lies at T5-T6, below the sternal angle
  (Mirjalili et al. 2016, abstract); it divides below the carina;
* its calibre: main pulmonary artery 25.1 +- 2.8 mm on CT (Framingham, Truong et al. 2012),
  sex-specific 90th percentiles 28.9 mm (men) and 26.9 mm (women);
* the PA film's left border: aortic knob, the aortopulmonary window (a concavity), the
  pulmonary trunk's segment, then the heart (Downstate atlas; gpnotebook after Kelly 2012);
  in adults the trunk's segment is flat or concave (University of Virginia, "Pulmonary
  trunk"): here it may lie at most 3 mm (model tolerance) plus a voxel outside the line from
  the knob to the heart's leftmost point.

All fail on the parent (stage12): no trunk recorded in the meta; measured there with the old
trunk's axis the trunk ran up and to the right (NOTES, issue-19trunk12).
"""

import numpy as np
import pytest

from victwin.phantom.chest.measure import aortic_knob_mm, carina_y_mm, heart_labels
from victwin.phantom.chest.measure_trunk import (left_border_profile_mm, left_border_segments_mm,
                                                 trunk_diameter_mm)
from victwin.phantom.chest.skeleton import LEVEL_NAMES as LEVELS

from . import _chest_bodies
from ._chest_bodies import BODIES, VOX


@pytest.fixture(scope="module", params=sorted(BODIES))
def twin(request):
    return _chest_bodies.twin(request.param)


def _top(ph, level):
    return ph.meta["spine"]["tops"][LEVELS.index(level)]


def _voxel_of(ph, p):
    g = ph.grid
    return tuple(int(np.argmin(np.abs(g.axis_mm(n) - p[i]))) for i, n in ((2, "z"), (1, "y"),
                                                                         (0, "x")))


def test_trunk_runs_from_the_ventricles_up_back_and_left(twin):
    outflow, valve, bif = (np.asarray(p) for p in twin.meta["anatomy_mm"]["pulmonary_trunk"])
    d = bif - valve
    assert d[0] > 0.0 and d[1] < 0.0 and d[2] > 0.0, d          # left, up, back (Gray's)
    assert 40.0 <= np.linalg.norm(d) <= 60.0                     # "about 5 cm"
    # blood all along the axis, from inside the heart's outflow to the bifurcation
    blood = [int(k) for k, m in twin.materials.items() if m == "blood"]
    for t in np.linspace(0.0, 1.0, 21):
        for a, b in ((outflow, valve), (valve, bif)):
            assert twin.labels[_voxel_of(twin, a + t * (b - a))] in blood
    # the outflow end lies in the ventricles: their myocardium or chambers within 8 voxels
    k = _voxel_of(twin, outflow)
    box = twin.labels[tuple(slice(max(i - 8, 0), i + 9) for i in k)]
    assert np.isin(box, heart_labels(twin, atria=False)).any()


@pytest.mark.parametrize("fraction", [0.7, 0.8, 0.9])
def test_trunk_calibre(twin, fraction):
    # near its top, where CT measures it (Truong: at the right pulmonary artery's origin);
    # lower down the trunk runs beside the ascending aorta's root, blood against blood
    d = trunk_diameter_mm(twin, fraction)
    p90 = {"male": 28.9, "female": 26.9}[twin.meta["body"]["sex"]]
    assert 25.1 - 2.0 * 2.8 <= d <= p90 + VOX, d                 # Truong et al. 2012


def test_trunk_diameter_of_a_drawn_capsule():
    from victwin.geometry import Grid
    from victwin.phantom import Phantom
    from victwin.phantom.chest.raster import paint_capsules

    g = Grid(shape=(60, 70, 60), spacing=(1.0, 1.0, 1.0))
    lab = np.zeros(g.shape, np.uint8)
    o = np.array([30.0, 35.0, 30.0])                  # the grid's centre (x, y, z), mm
    a, b = o + [-10.0, 20.0, -15.0], o + [10.0, -20.0, 15.0]
    paint_capsules(lab, g, np.array([[*a, *b, 12.5, 12.5]]), 1)
    ph = Phantom(labels=lab, grid=g, materials={0: "air", 1: "blood"},
                 meta={"anatomy_mm": {"pulmonary_trunk": [a.tolist(), a.tolist(), b.tolist()]}})
    for fraction in (0.3, 0.5, 0.7):
        assert trunk_diameter_mm(ph, fraction) == pytest.approx(25.0, abs=1.0)
    lab[:] = 0
    with pytest.raises(ValueError, match="no blood on the pulmonary trunk's axis"):
        trunk_diameter_mm(ph, 0.5)


def _border_row(notch_mm: float | None, columns: int = 1):
    """A synthetic PA row set: 5 rows, x 0-119 mm (1 mm columns), 200 mm deep; lung from x = 1
    mm out, with 100 mm of soft tissue on every lung ray, and the mediastinum 160 mm of soft
    tissue from x = 1 to 40 mm; ``notch_mm``: the soft-tissue path of the one column at x = 20
    mm (a notch 5 mm under the 120 mm threshold when 115), and of the ``columns - 1`` beside it."""
    from victwin.geometry import Grid
    from victwin.phantom import Phantom

    g = Grid(shape=(200, 5, 120), spacing=(1.0, 1.0, 1.0))
    lab = np.zeros(g.shape, np.uint8)
    lab[:100, :, 1:] = 2                            # lung
    lab[100:, :, 1:] = 1                            # 100 mm of soft tissue on every ray
    lab[:60, :, 1:41] = 1                           # the mediastinum: 160 mm, x 1-40 mm
    if notch_mm is not None:
        lab[:, :, 20:20 + columns] = 2
        lab[200 - int(notch_mm):, :, 20:20 + columns] = 1
    return Phantom(labels=lab, grid=g, materials={0: "air", 1: "soft_tissue",
                                                   2: "lung_parenchyma"})


def test_left_border_walk_is_not_ended_by_a_one_column_notch():
    # the border is the outer face of the mediastinum's last column (x = 40.5 mm) with or
    # without a one-column notch 5 mm under the threshold at x = 20 mm; two notched columns
    # are a gap a reader sees, and end the border there
    for notch in (None, 115.0):
        _, x = left_border_profile_mm(_border_row(notch))
        assert np.all(x == 40.5), (notch, x)
    _, x = left_border_profile_mm(_border_row(115.0, columns=2))
    assert np.all(x == 19.5)


def test_left_border_is_read_against_the_lung_beside_it():
    # a fainter part of the border (130 mm of soft tissue, x 41-46 mm) against thin lung
    # beside it (100 mm, x 47-54) and a lateral field thickened by muscle (115 mm, x 55-119,
    # as the scapulae's cover does): 30 mm over the lung beside it, a border a reader sees.
    # The field's 10th percentile (115) put the border at the mediastinum's 160 mm (40.5).
    from victwin.geometry import Grid
    from victwin.phantom import Phantom

    g = Grid(shape=(200, 5, 120), spacing=(1.0, 1.0, 1.0))
    lab = np.zeros(g.shape, np.uint8)
    lab[:100, :, 1:] = 2
    lab[100:, :, 1:] = 1
    lab[:60, :, 1:41] = 1
    lab[:30, :, 41:47] = 1
    lab[:15, :, 55:] = 1
    ph = Phantom(labels=lab, grid=g, materials={0: "air", 1: "soft_tissue",
                                                 2: "lung_parenchyma"})
    _, x = left_border_profile_mm(ph)
    assert np.all(x == 46.5), x


def test_bifurcation_below_the_carina_and_the_arch_at_t5_t6(twin):
    _, _, bif = twin.meta["anatomy_mm"]["pulmonary_trunk"]
    assert _top(twin, "T5") <= bif[1] <= _top(twin, "T7")       # Gray's T5/T6; CT T5-T6
    assert bif[1] > carina_y_mm(twin)
    r = 0.5 * trunk_diameter_mm(twin, 0.9)
    assert bif[1] - r > aortic_knob_mm(twin)[2]                  # the trunk's top under the arch


@pytest.fixture(scope="module", params=sorted(BODIES))
def twin_1mm(request):
    body, seed = BODIES[request.param]
    return _chest_bodies.build(body, seed, 1.0)


def test_left_border_has_the_trunk_segment_between_knob_and_heart(twin_1mm):
    # read at 1 mm (2026-12-05, fifth session, 19scap23): at 2 mm the PA path's columns carry
    # ~3.4 mm SD of z-phase noise (thin mediastinal slivers), one column each of knob and window
    # decide the 3 mm asked: the 2 mm man read depth 6 on 8227ab6 and 2 on issue-19fat23 with
    # the same anatomy shifted 2.69 mm in z (1 mm: 7 and 8); NOTES
    twin, VOX = twin_1mm, 1.0
    # (the woman's a strict xfail from the PA positioning, 2026-12-05, until the shallow upper
    # cage, issue-19inlet22: her aortopulmonary window read 2 mm deep (knob 31, window 29,
    # segment 41 mm), under the 3 mm asked; now 6 mm (knob 35, window 29, segment 41): the
    # knob's border lies 4 mm further out; NOTES 2026-12-05 fourth)
    s = left_border_segments_mm(twin)
    # the aortopulmonary window: a concavity between the knob and the trunk's segment
    assert s["window"][1] <= min(s["knob"][1], s["segment"][1]) - 3.0, s
    assert s["knob"][0] < s["window"][0] < s["segment"][0] < s["heart"][0], s
    # the segment at the bifurcation's level (within one voxel and a trunk's radius)
    _, _, bif = twin.meta["anatomy_mm"]["pulmonary_trunk"]
    assert abs(s["segment"][0] - bif[1]) <= 0.5 * 26.9 + VOX, (s, bif)
    # flat or concave in adults: not beyond the knob-to-heart line by more than 3 mm + a voxel
    assert s["beyond_line"] <= 3.0 + VOX, s


def test_segment_distance_against_dense_sampling():
    # the point-to-segment distance shared by the trunk's capsules, the aortic root's clearance
    # and the appendage's gap (pulmonary_trunk.segment_distance_sq) against the least distance
    # to 10,001 points along the segment (error at most half their spacing), on seeded random
    # points and segments, a zero-length one included (the distance to its point)
    from victwin.phantom.chest.pulmonary_trunk import segment_distance_sq
    rng = np.random.default_rng(19)
    for k in range(20):
        a = rng.uniform(-50.0, 50.0, 3)
        b = a.copy() if k == 0 else rng.uniform(-50.0, 50.0, 3)
        p = rng.uniform(-80.0, 80.0, (100, 3))
        s = a + np.linspace(0.0, 1.0, 10001)[:, None] * (b - a)
        ref = np.sqrt(((p[:, None, :] - s[None, :, :]) ** 2).sum(axis=2).min(axis=1))
        got = np.sqrt(segment_distance_sq(p[:, 0], p[:, 1], p[:, 2], a, b))
        assert np.abs(got - ref).max() <= 0.5 * np.linalg.norm(b - a) / 10000 + 1e-9


def test_trunk_calibre_grows_with_body_surface_area():
    """The trunk's calibre by body size (2026-12-05, issue-19vessels20; until then Truong's
    mean of the sex in every body): body surface area the only significant predictor of the
    trunk's diameter on CT, beta = 4.52 mm per m^2 (Berger et al. 2022, abstract), about the
    reference BSA, recomputed here by hand from NHANES 2015-2018's 40-49 year rows (men 176.3
    cm, BMI 30.1; women 162.3 cm, BMI 30.7) with Mosteller's formula; at it Truong et al.
    2012's sex means (90th percentile 28.9 / 26.9 mm less 1.2816 x the cohort's SD 2.8)."""
    import math

    from victwin.phantom.chest import pulmonary_trunk as pt
    for sex, h, bmi, p90 in (("male", 176.3, 30.1, 28.9), ("female", 162.3, 30.7, 26.9)):
        ref = math.sqrt(h * bmi * (h / 100.0) ** 2 / 3600.0)
        mean = p90 - 1.2816 * 2.8
        assert pt.reference_bsa_m2(sex) == pytest.approx(ref, rel=1e-12)
        assert pt.pulmonary_trunk_diameter_mm(sex) == pytest.approx(mean)
        assert pt.pulmonary_trunk_diameter_mm(sex, ref) == pytest.approx(mean)
        assert pt.pulmonary_trunk_diameter_mm(sex, ref - 0.5) == pytest.approx(mean - 2.26)
    with pytest.raises(ValueError, match="bsa_m2 must be > 0, got 0"):
        pt.pulmonary_trunk_diameter_mm("male", 0.0)
    with pytest.raises(ValueError, match="sex must be one of"):
        pt.pulmonary_trunk_diameter_mm("other")


def test_mean_adults_trunk_calibre_inside_truongs_normal_range():
    """The mean body of every NHANES 2015-2018 adult row (each sex, 20-29 to 80+: mean height
    and BMI, Mosteller BSA by hand) gets a trunk inside Truong et al. 2012's normal range: at
    least the cohort's mean less 2 SD (25.1 - 5.6 mm), at most the sex's 90th percentile (28.9
    men, 26.9 women); and the drawn trunk's radius is that of the body's own BSA (a placed
    cavity carries it)."""
    import math

    from victwin.phantom.chest import builder as B
    from victwin.phantom.chest.anatomy import thorax_for
    from victwin.phantom.chest.population import NHANES_2015_2018, check_body
    from victwin.phantom.chest.pulmonary_trunk import pulmonary_trunk_diameter_mm, trunk_axis
    for sex, rows in NHANES_2015_2018.items():
        for h, _, bmi, _ in rows.values():
            bsa = math.sqrt(h * bmi * (h / 100.0) ** 2 / 3600.0)
            d = pulmonary_trunk_diameter_mm(sex, bsa)
            assert 25.1 - 2.0 * 2.8 <= d <= {"male": 28.9, "female": 26.9}[sex], (sex, h, d)
    body = check_body("female", 70.0, 148.0, 24.0)
    t = B._place_torso(thorax_for(body, B._streams(0)[1]), body.height_cm)
    bsa = math.sqrt(148.0 * 24.0 * 1.48 ** 2 / 3600.0)
    assert t.cav.bsa_m2 == pytest.approx(bsa, rel=1e-9)
    r = trunk_axis(t.cav, t.sp, "female")[3]
    assert 2.0 * r == pytest.approx(26.9 - 1.2816 * 2.8 + 4.52 * (bsa - 1.909395), abs=1e-5)
