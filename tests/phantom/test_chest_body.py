"""Chest bodies and trees: the NHANES table draws, impossible bodies, Kitaoka/Murray branching
against their published values."""

import math

import numpy as np
import pytest

from victwin.phantom.chest.lungs import solve_cavity
from victwin.phantom.chest.anatomy import thorax_for
from victwin.phantom.chest.builder import _lung_points
from victwin.phantom.chest.population import NHANES_2015_2018, check_body, draw_body
from victwin.phantom.chest.trees import WEIBEL_DIAMETER_MM, branch_angles_deg, grow_tree


@pytest.mark.parametrize("sex", ["female", "male"])
def test_draws_reproduce_the_table_they_are_given(sex):
    # A check of the sampler (normal heights, lognormal BMI with the table's mean and SD), not
    # of the table: NHANES_2015_2018's numbers are the model's input. They were not re-read
    # against Fryar et al. 2021 (Vital Health Stat 3(46)) here: the report was not reachable
    # from this machine (2026-12-02). The height SDs are checked against an independent survey
    # below.
    rng = np.random.default_rng(7)
    bodies = [draw_body(rng, sex=sex, age_years=50.0) for _ in range(1000)]
    h_mean, h_sd, b_mean, b_sd = NHANES_2015_2018[sex]["40-59"]
    h = np.array([b.height_cm for b in bodies])
    bmi = np.array([b.bmi for b in bodies])
    assert abs(h.mean() - h_mean) < 4 * h_sd / math.sqrt(1000) + 0.1
    assert abs(h.std() - h_sd) < 0.15 * h_sd
    assert abs(bmi.mean() - b_mean) < 4 * b_sd / math.sqrt(1000) + 0.1
    assert np.median(bmi) < bmi.mean()                 # right-skewed, as BMI is


@pytest.mark.parametrize("sex, sd_in", [("male", 2.85), ("female", 2.58)])
def test_height_sds_agree_with_an_independent_nchs_survey(sex, sd_in):
    # Estimated SD of adult height, NCHS Vital Health Stat 11(8), 1965 (US 1960-62, ages
    # 18-79): an independent survey; the NHANES 2015-2018 SDs (derived from P5-P95) should
    # be close, since the spread of adult height has changed little.
    for group, (_, h_sd, _, _) in NHANES_2015_2018[sex].items():
        assert abs(h_sd - 2.54 * sd_in) < 0.5, (group, h_sd)


def test_sex_is_drawn_with_the_given_fraction():
    rng = np.random.default_rng(1)
    sexes = [draw_body(rng, female_fraction=0.3).sex for _ in range(500)]
    assert abs(sexes.count("female") / 500 - 0.3) < 0.07


@pytest.mark.parametrize("args, key", [
    (("male", 50, 176, -2), "bmi"), (("male", 50, 176, 0), "bmi"),
    (("male", 50, 320, 25), "height_cm"), (("male", 50, 90, 25), "height_cm"),
    (("male", 12, 150, 20), "age_years"), (("other", 50, 170, 25), "sex"),
    (("male", 50, float("nan"), 25), "height_cm"),
])
def test_impossible_bodies(args, key):
    with pytest.raises(ValueError, match=f"'{key}'") as exc:
        check_body(*args)
    assert "\n" not in str(exc.value)


def test_symmetric_branching_angle_is_murrays():
    # Murray 1926 / Kitaoka 1999: equal daughters with the cube law branch at
    # arccos(2^(-1/3)) = 37.47 deg each
    t1, t2 = branch_angles_deg(0.5, 3.0)
    assert t1 == pytest.approx(math.degrees(math.acos(2 ** (-1 / 3))), abs=1e-6) == t2
    # the smaller daughter turns away more than the larger one
    small, large = branch_angles_deg(0.2, 3.0)
    assert small > large


def test_airway_calibres_by_generation_near_weibel():
    rng = np.random.default_rng(0)
    th = thorax_for(check_body("male", 50, 176, 24), rng)
    cav = solve_cavity(th)
    pts = _lung_points(cav, rng, 4000)[1]
    rows = grow_tree(pts, (40.0, cav.y_apex + 0.35 * cav.height, 0.0), (1.0, 0.3, 0.0),
                     WEIBEL_DIAMETER_MM[2], exponent=2.8, first_generation=2,
                     min_diameter_mm=1.0, min_points=4)
    gen = rows[:, 8].astype(int)
    for g in range(3, 7):
        d = 2.0 * rows[gen == g, 6]
        # Kitaoka's asymmetric tree against Weibel's symmetric model A: within 40 %
        assert d.mean() == pytest.approx(WEIBEL_DIAMETER_MM[g], rel=0.40)
    # flow is conserved: the daughters' d^n add up to the parent's (n = 2.8)
    parent = rows[:, 9].astype(int)
    for p in range(0, 30):
        kids = np.flatnonzero(parent == p)
        if len(kids) == 2:
            d_p = 2.0 * rows[p, 6]
            d_k = 2.0 * rows[kids, 6]
            assert (d_k ** 2.8).sum() == pytest.approx(d_p ** 2.8, rel=1e-6)
    # the tree reaches the periphery: terminal branches end near their region points
    assert len(rows) > 200


@pytest.fixture(scope="module")
def cohort_bodies():
    # 4000 twins' bodies drawn exactly as make_chest draws them (one seed each), ages 20-90 so
    # that every age band of the table is drawn
    from victwin.phantom.chest import load_chest_recipe, twin_body

    rec = load_chest_recipe({"body": {"age_range_years": [20, 90]}})
    return [twin_body(rec, seed=s) for s in range(4000)]


@pytest.mark.parametrize("sex", ["female", "male"])
@pytest.mark.parametrize("band", ["20-39", "40-59", "60-79", "80+"])
def test_cohort_draws_reproduce_the_table_by_sex_and_age_band(cohort_bodies, sex, band):
    # A check of the cohort's draws against the table they are given, band by band, over many
    # seeds (the numbers themselves are checked where a source could be read:
    # docs/phantoms/chest.md, "Population table: what could be verified")
    from victwin.phantom.chest.population import age_group

    mine = [b for b in cohort_bodies if b.sex == sex and age_group(b.age_years) == band]
    assert len(mine) > 150
    h_mean, h_sd, b_mean, b_sd = NHANES_2015_2018[sex][band]
    h = np.array([b.height_cm for b in mine])
    bmi = np.array([b.bmi for b in mine])
    n = len(mine)
    assert abs(h.mean() - h_mean) < 4 * h_sd / math.sqrt(n) + 0.05
    assert abs(bmi.mean() - b_mean) < 4 * b_sd / math.sqrt(n) + 0.05
    # SDs within their sampling error (4 SE of an SD: sd * 4 / sqrt(2 n)); BMI's is skewed
    assert abs(h.std() - h_sd) < 4 * h_sd / math.sqrt(2 * n)
    assert abs(bmi.std() - b_sd) < 6 * b_sd / math.sqrt(2 * n)
