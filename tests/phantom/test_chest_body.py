"""Chest bodies and trees: the NHANES table draws, impossible bodies, Kitaoka/Murray branching
against their published values."""

import math

import numpy as np
import pytest

from victwin.phantom.chest.lungs import solve_cavity
from victwin.phantom.chest.anatomy import thorax_for
from victwin.phantom.chest.builder import _lung_points
from victwin.phantom.chest.population import (NHANES_2015_2018, NHANES_2015_2018_SHARE,
                                              age_group, check_body, draw_body)
from victwin.phantom.chest.trees import WEIBEL_DIAMETER_MM, branch_angles_deg, grow_tree


@pytest.mark.parametrize("sex", ["female", "male"])
def test_draws_reproduce_the_table_they_are_given(sex):
    # A check of the sampler (normal heights, lognormal BMI with the table's mean and SD);
    # the table itself is checked against the report below.
    rng = np.random.default_rng(7)
    bodies = [draw_body(rng, sex=sex, age_years=55.0) for _ in range(1000)]
    h_mean, h_sd, b_mean, b_sd = NHANES_2015_2018[sex]["50-59"]
    h = np.array([b.height_cm for b in bodies])
    bmi = np.array([b.bmi for b in bodies])
    assert abs(h.mean() - h_mean) < 4 * h_sd / math.sqrt(1000) + 0.1
    assert abs(h.std() - h_sd) < 0.15 * h_sd
    assert abs(bmi.mean() - b_mean) < 4 * b_sd / math.sqrt(1000) + 0.1
    assert np.median(bmi) < bmi.mean()                 # right-skewed, as BMI is


def _pooled_cdf(sex, x_cm):
    """P(height <= x) of the adults >= 20 pooled from the table's rows (normal per row,
    weighted by the row's population share)."""
    return sum(NHANES_2015_2018_SHARE[sex][g] * 0.5 * (1 + math.erf((x_cm - m) / (sd * 2 ** 0.5)))
               for g, (m, sd, _, _) in NHANES_2015_2018[sex].items())


@pytest.mark.parametrize("sex, mean_in, p85_in", [("male", 69.0, 72.0), ("female", 63.5, 66.3)])
def test_table_pools_to_the_reports_adult_heights(sex, mean_in, p85_in):
    # Fryar et al. 2021 (Vital Health Stat 3(46)), adults 20 and over, as transcribed from the
    # report (J Nuzzo 2025, citing it): men mean 69.0 in, 85th percentile 72.0 in ("6 ft 0");
    # women mean 63.5 in (161.3 cm), 85th percentile 66.3 in. The table's age rows, pooled
    # with their population shares, must give them back (to the report's 0.1 in; the
    # percentile to 0.2 in, the rows being normal approximations).
    share = NHANES_2015_2018_SHARE[sex]
    assert sum(share.values()) == pytest.approx(1.0, abs=2e-4)
    mean_cm = sum(share[g] * row[0] for g, row in NHANES_2015_2018[sex].items())
    assert mean_cm / 2.54 == pytest.approx(mean_in, abs=0.06)
    lo, hi = 150.0, 200.0
    for _ in range(60):                       # the pooled 85th percentile by bisection
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if _pooled_cdf(sex, mid) < 0.85 else (lo, mid)
    assert lo / 2.54 == pytest.approx(p85_in, abs=0.2)


def test_age_groups_are_the_reports():
    # the report's adult rows: 20-29, ..., 70-79, 80 and over; 18-19 year olds use 20-29
    assert [age_group(a) for a in (18, 19.9, 20, 29.9, 30, 45, 59.9, 60, 79.9, 80, 90)] == [
        "20-29", "20-29", "20-29", "20-29", "30-39", "40-49", "50-59", "60-69", "70-79",
        "80+", "80+"]
    for sex in ("female", "male"):
        assert list(NHANES_2015_2018[sex]) == list(NHANES_2015_2018_SHARE[sex]) == [
            "20-29", "30-39", "40-49", "50-59", "60-69", "70-79", "80+"]


@pytest.mark.parametrize("sex, sd_in", [("male", 2.85), ("female", 2.58)])
def test_height_sds_agree_with_an_independent_nchs_survey(sex, sd_in):
    # Estimated SD of adult height, NCHS Vital Health Stat 11(8), 1965 (US 1960-62, ages
    # 18-79): an independent survey; the NHANES 2015-2018 SDs should be close, since the
    # spread of adult height has changed little.
    for group, (_, h_sd, _, _) in NHANES_2015_2018[sex].items():
        assert abs(h_sd - 2.54 * sd_in) < 0.6, (group, h_sd)


def test_a_range_keeps_the_populations_shape_inside_it():
    # BMI restricted to [30, 40] for women of 45: the share below 35 must be the lognormal's
    # conditional probability, computed here with math.erf (not the sampler's scipy calls)
    rng = np.random.default_rng(11)
    b = np.array([draw_body(rng, sex="female", age_years=45.0, bmi=(30, 40)).bmi
                  for _ in range(4000)])
    assert b.min() >= 30.0 and b.max() <= 40.0
    _, _, mean, sd = NHANES_2015_2018["female"]["40-49"]
    s = math.sqrt(math.log(1 + (sd / mean) ** 2))
    mu = math.log(mean) - 0.5 * s * s

    def cdf(x):
        return 0.5 * (1 + math.erf((math.log(x) - mu) / (s * 2 ** 0.5)))

    expect = (cdf(35) - cdf(30)) / (cdf(40) - cdf(30))
    assert np.mean(b < 35) == pytest.approx(expect, abs=4 * math.sqrt(0.25 / 4000))
    # a far tail still draws (inverse CDF, no rejection loop): BMI 65-70 for a man of 85
    t = draw_body(np.random.default_rng(1), sex="male", age_years=85.0, bmi=(65, 70))
    assert 65 <= t.bmi <= 70


def test_fixed_values_are_kept_and_impossible_ranges_refused():
    body = draw_body(np.random.default_rng(2), sex="male", age_years=50.0, height_cm=181.3,
                     bmi=27.25)
    assert (body.height_cm, body.bmi) == (181.3, 27.25)
    with pytest.raises(ValueError, match="'bmi' must be a range") as exc:
        draw_body(np.random.default_rng(2), bmi=(40, 30))
    assert "\n" not in str(exc.value)
    with pytest.raises(ValueError, match="'height_cm' must be in"):
        draw_body(np.random.default_rng(2), height_cm=(100, 150))


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
@pytest.mark.parametrize("band", ["20-29", "30-39", "40-49", "50-59", "60-69", "70-79", "80+"])
def test_cohort_draws_reproduce_the_table_by_sex_and_age_band(cohort_bodies, sex, band):
    # A check of the cohort's draws against the table they are given, band by band, over many
    # seeds (the table itself against the report: test_table_pools_to_the_reports_adult_heights)
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
