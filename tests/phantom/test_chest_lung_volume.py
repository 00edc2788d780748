"""A twin's lung volume follows the GLI 2021 TLC equations by sex, age and height: age now
changes the anatomy (it only picked the population row before).

Checks: the equation's form and coefficients at one point typed from the source's
transcription; agreement with an independent equation set (ERS 1993, Quanjer et al.) where
both hold; and two real twins that differ only in age, whose measured lung volumes must
differ as the equation says.
"""

import math

import pytest

from victwin.phantom.chest import make_chest
from victwin.phantom.chest.anatomy import TLC_RSD_L, thorax_for, tlc_ers1993_l
from victwin.phantom.chest.lung_volume import tlc_gli2021_l
from victwin.phantom.chest.measure import lung_volume_ml
from victwin.phantom.chest.population import check_body


def test_the_equation_at_one_point_from_its_coefficients():
    # Hall et al. 2021 (ERJ 57:2000289) TLC, men: a0 -10.5861, 0.1433 ln(age), 2.3155
    # ln(height cm), Mspline(40 y) 0.0318860 (GLI lookup table at 40.0 years); women:
    # -10.1128, 0.1062, 2.2259, Mspline(60 y) -0.0232888 (as transcribed, PySpiro 98b653e)
    man = math.exp(-10.5861 + 0.1433 * math.log(40) + 2.3155 * math.log(175) + 0.0318860)
    woman = math.exp(-10.1128 + 0.1062 * math.log(60) + 2.2259 * math.log(162) - 0.0232888)
    assert tlc_gli2021_l("male", 40, 175) == pytest.approx(man, rel=1e-4)
    assert tlc_gli2021_l("female", 60, 162) == pytest.approx(woman, rel=1e-4)
    # between whole years the lookup table's 0.25-year values (men, 40.25 and 40.5 years)
    for age, spline in ((40.25, 0.0311370), (40.5, 0.0303941)):
        ref = math.exp(-10.5861 + 0.1433 * math.log(age) + 2.3155 * math.log(175) + spline)
        assert tlc_gli2021_l("male", age, 175) == pytest.approx(ref, rel=3e-4)


@pytest.mark.parametrize("sex, heights", [("male", range(155, 196, 5)),
                                          ("female", range(145, 181, 5))])
def test_gli2021_agrees_with_ers1993_where_both_hold(sex, heights):
    # ERS 1993 (Quanjer et al., Table 7: ages 18-70, men 1.55-1.95 m, women 1.45-1.80 m) has no
    # age term; over adult ages 25-70 the two equation sets must agree within ERS's residual SD
    for age in range(25, 71, 5):
        for h in heights:
            gap = tlc_gli2021_l(sex, age, h) - tlc_ers1993_l(sex, h)
            assert abs(gap) < TLC_RSD_L[sex], (age, h, gap)


def test_old_age_lowers_the_predicted_tlc():
    # GLI 2021: TLC falls after middle age (more in women); ages over 80 hold the 80-year value
    for sex, h in (("female", 162), ("male", 175)):
        assert tlc_gli2021_l(sex, 80, h) < tlc_gli2021_l(sex, 50, h)
        assert tlc_gli2021_l(sex, 90, h) == tlc_gli2021_l(sex, 80, h)
    assert tlc_gli2021_l("female", 80, 162) / tlc_gli2021_l("female", 40, 162) < 0.94


def test_the_thorax_targets_the_gli_tlc_of_its_body():
    import numpy as np

    for body in (check_body("female", 30, 160, 24), check_body("female", 85, 160, 24)):
        # the same generator state: the same per-twin offset (ERS residual SD) for both
        th = thorax_for(body, np.random.default_rng(0))
        offset = th.tlc_ml / 1000.0 - tlc_gli2021_l("female", body.age_years, 160)
        assert abs(offset) <= 1.64 * TLC_RSD_L["female"] + 1e-9


def test_two_twins_that_differ_only_in_age_differ_in_lung_volume_as_predicted():
    young = {"sex": "female", "age_years": 35, "height_cm": 160, "bmi": 24}
    old = dict(young, age_years=85)
    v = {}
    for name, body in (("young", young), ("old", old)):
        ph = make_chest({"body": body}, seed=9, voxel_mm=4.0)
        v[name] = lung_volume_ml(ph), ph.meta["thorax"]["tlc_ml"]
    # the targets differ by the GLI difference (the same per-twin offset, one seed) ...
    want = 1000.0 * (tlc_gli2021_l("female", 85, 160) - tlc_gli2021_l("female", 35, 160))
    assert v["old"][1] - v["young"][1] == pytest.approx(want, abs=1.0)
    assert want < -250.0                       # 5.11 L at 35, 4.82 L at 80+: -0.29 L
    # ... and so do the measured lungs (each within 1 % of its target at 4 mm, as in
    # test_chest.py; until 2026-12-06 4 %: these two read -1.7 % and -2.8 %, now -0.01 % and
    # +0.44 %)
    for measured, target in v.values():
        assert measured == pytest.approx(target, rel=0.01)
    assert v["old"][0] < v["young"][0] - 0.5 * abs(want)


@pytest.mark.parametrize("sex, age, height, bmi, seed", [("male", 55, 178, 26, 3),
                                                         ("female", 35, 158, 21, 0)])
def test_the_painted_lung_loss_estimate_holds_for_bodies_outside_its_fit(sex, age, height, bmi,
                                                                          seed):
    # The build solves the cavity on the TLC plus an estimate of the lung its painting takes
    # (painted_lung.LOSS_FIT, fitted by benchmarks/chest_painted_lung_loss_fit.py to the 3 mm
    # painted reference of 56 bodies, seeds 40-55 and 731000-731039). For two bodies outside
    # that fit (test_chest.py's man and the lean woman of benchmarks/chest_twins.py, with their
    # seeds' thorax draws; 3-5 s each) the estimate must meet the reference within the fit's
    # 99 % band: 2.58 x its leave-one-out residual SD, 9.88 mL
    # (benchmarks/results/chest_painted_lung_loss_fit.json; largest of 56: 25.3 mL). Measured
    # 2026-12-06: +7.6 and +9.7 mL (four more held-out bodies -5.2 to +9.8 mL, NOTES).
    from victwin.phantom.chest import builder as B
    from victwin.phantom.chest.painted_lung import painted_lung_loss_estimate_ml

    th = thorax_for(check_body(sex, age, height, bmi), B._streams(seed)[1])
    ref = B.painted_lung_loss_reference_ml(th)
    assert painted_lung_loss_estimate_ml(th) == pytest.approx(ref, abs=2.58 * 9.88)
