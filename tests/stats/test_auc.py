"""Single-reader ROC statistics against pROC's published test values and brute-force references.

pROC values: ``data/asah_expected.json`` (from xrobin/pROC ``tests/testthat/test-{auc,var,cov,
roc.test,ci.auc}.R`` and ``helper-deLongPlacementsCpp-expected.R``, commit ee2877e), each with
its tolerance; the data are pROC's aSAH (``data/asah.csv``).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from scipy import stats as sst

from victwin.stats import auc, auc_ci, bootstrap_auc_ci, delong_cov, delong_test, placements

DATA = Path(__file__).parent / "data"
E = json.loads((DATA / "asah_expected.json").read_text())["quantities"]
ROWS = list(csv.DictReader(open(DATA / "asah.csv")))
Y = np.array([r["outcome"] == "Poor" for r in ROWS], dtype=int)   # Poor = case (pROC)
X = {k: np.array([float(r[k]) for r in ROWS]) for k in ("wfns", "ndka", "s100b")}
FEMALE = np.array([r["gender"] == "Female" for r in ROWS])


def _check(refs, val):
    for ref in refs:
        assert abs(val - ref["value"]) <= ref["tol"], (val, ref)


@pytest.mark.parametrize("marker", ["wfns", "ndka", "s100b"])
def test_auc_variance_and_placements_match_proc(marker):
    _check(E["auc"][marker], auc(X[marker], Y))
    _, c = delong_cov(X[marker], Y)
    _check(E["delong"]["var"][marker], c[0, 0])
    v10, v01 = placements(X[marker], Y)
    ref = E["delong_placements"][marker]
    np.testing.assert_allclose(v10, ref["cases_X"], rtol=0, atol=ref["tol"])
    np.testing.assert_allclose(v01, ref["controls_Y"], rtol=0, atol=ref["tol"])


@pytest.mark.parametrize("pair", ["wfns-ndka", "ndka-s100b", "s100b-wfns"])
def test_delong_covariance_matches_proc(pair):
    a, b = pair.split("-")
    _, c = delong_cov(np.vstack([X[a], X[b]]), Y)
    _check(E["delong"]["cov"][pair], c[0, 1])


@pytest.mark.parametrize("pair", list(E["roc_test_paired_delong"]))
def test_paired_delong_test_matches_proc_roc_test(pair):
    a, b = pair.split("-")
    r = delong_test(X[a], X[b], Y)
    q = E["roc_test_paired_delong"][pair]
    _check(q["Z"], r.statistic)
    _check(q["p"], r.p)
    _check(q["ci_lower"], r.ci[0])
    _check(q["ci_upper"], r.ci[1])
    if "p_greater" in q:
        _check(q["p_greater"], r.p_greater)
        _check(q["p_less"], r.p_less)


@pytest.mark.parametrize("pair", list(E["roc_test_unpaired_delong"]))
def test_unpaired_delong_test_matches_proc_roc_test(pair):
    a, b = pair.split("-")
    r = delong_test(X[a], X[b], Y, paired=False)
    q = E["roc_test_unpaired_delong"][pair]
    _check(q["D"], r.statistic)
    _check(q["p"], r.p)
    if "p_greater" in q:
        _check(q["p_greater"], r.p_greater)
        _check(q["p_less"], r.p_less)


def test_ci_auc_matches_proc():
    a, se, ci = auc_ci(X["ndka"], Y)
    _check(E["ci_auc_delong"]["ndka"]["ci_lower"], ci[0])
    _check(E["ci_auc_delong"]["ndka"]["ci_upper"], ci[1])
    a, se, ci = auc_ci(X["ndka"][FEMALE], Y[FEMALE])
    q = E["ci_auc_delong"]["ndka_female_only"]
    _check(q["auc"], a)
    _check(q["ci_lower"], ci[0])
    _check(q["ci_upper"], ci[1])


def test_logit_ci_is_the_back_transformed_interval_of_proc_variance():
    """Pepe (2003) p. 107, computed here from pROC's own variance (not ours)."""
    a = E["auc"]["wfns"][0]["value"]
    v = E["delong"]["var"]["wfns"][0]["value"]
    z = sst.norm.ppf(0.975)
    lg = np.log(a / (1 - a))
    h = z * np.sqrt(v) / (a * (1 - a))
    expect = (1 / (1 + np.exp(-(lg - h))), 1 / (1 + np.exp(-(lg + h))))
    _, _, ci = auc_ci(X["wfns"], Y, method="logit")
    np.testing.assert_allclose(ci, expect, rtol=1e-10)


def test_logit_ci_stays_inside_unit_interval_near_one():
    rng = np.random.default_rng(0)
    y = np.r_[np.zeros(30), np.ones(30)].astype(int)
    s = rng.normal(size=60) + 2.5 * y
    a, _, ci_w = auc_ci(s, y)
    _, _, ci_l = auc_ci(s, y, method="logit")
    assert a > 0.98 and ci_w[1] > 1.0
    assert 0 < ci_l[0] < a < ci_l[1] < 1


def test_auc_equals_brute_force_mann_whitney_with_ties():
    rng = np.random.default_rng(1)
    for _ in range(5):
        s = rng.integers(0, 6, size=57).astype(float)   # many ties
        y = rng.integers(0, 2, size=57)
        x0, x1 = s[y == 0], s[y == 1]
        brute = ((x1[None, :] > x0[:, None]) + 0.5 * (x1[None, :] == x0[:, None])).mean()
        assert auc(s, y) == pytest.approx(brute, abs=1e-15)
        # and scipy's Mann-Whitney U (an independent implementation)
        u = sst.mannwhitneyu(x1, x0).statistic
        assert auc(s, y) == pytest.approx(u / (x0.size * x1.size), abs=1e-15)


def test_delong_variance_equals_brute_force_structural_components():
    rng = np.random.default_rng(2)
    s = np.round(rng.normal(size=(2, 40)), 1)
    y = np.r_[np.zeros(22), np.ones(18)].astype(int)
    _, c = delong_cov(s, y)
    comps = []
    for row in s:
        x0, x1 = row[y == 0], row[y == 1]
        psi = (x1[None, :] > x0[:, None]) + 0.5 * (x1[None, :] == x0[:, None])
        comps.append((psi.mean(axis=0), psi.mean(axis=1)))
    expect = np.cov([comps[0][0], comps[1][0]]) / 18 + np.cov([comps[0][1], comps[1][1]]) / 22
    np.testing.assert_allclose(c, expect, rtol=1e-12)


def test_stratified_bootstrap_se_matches_the_ideal_bootstrap_variance():
    """The exact (ideal) stratified-bootstrap variance of the AUC is the V-statistic variance
    (1/(n0 n1)) [M1 + (n1-1) M2 + (n0-1) M3] + ((n0-1)(n1-1)/(n0 n1) - 1) A^2 with plug-in
    moments of the kernel; 4000 resamples estimate its SD to about 1.1 %."""
    rng = np.random.default_rng(5)
    y = np.r_[np.zeros(35), np.ones(25)].astype(int)
    s = rng.normal(size=60) + 1.0 * y
    x0, x1 = s[y == 0], s[y == 1]
    psi = (x1[None, :] > x0[:, None]) + 0.5 * (x1[None, :] == x0[:, None])
    n0, n1 = psi.shape
    A = psi.mean()
    m1 = (psi ** 2).mean()
    m2 = (psi.mean(axis=1) ** 2).mean()   # same normal
    m3 = (psi.mean(axis=0) ** 2).mean()   # same abnormal
    ideal = (m1 + (n1 - 1) * m2 + (n0 - 1) * m3) / (n0 * n1) + ((n0 - 1) * (n1 - 1) / (n0 * n1) - 1) * A ** 2
    est, se, ci, reps = bootstrap_auc_ci(s, y, n_boot=4000, seed=11)
    assert est == pytest.approx(A)
    assert se == pytest.approx(np.sqrt(ideal), rel=0.05)
    assert ci[0] < est < ci[1]
    assert reps.shape == (4000,)


def test_bootstrap_of_a_difference_is_centred_on_the_difference():
    rng = np.random.default_rng(6)
    y = np.r_[np.zeros(40), np.ones(40)].astype(int)
    s1 = rng.normal(size=80) + 1.2 * y
    s2 = s1 + rng.normal(scale=0.8, size=80)
    est, se, ci, reps = bootstrap_auc_ci(s1, y, scores2=s2, n_boot=1000, seed=1)
    assert est == pytest.approx(auc(s1, y) - auc(s2, y))
    # the paired DeLong SE and the bootstrap SE estimate the same quantity
    assert se == pytest.approx(delong_test(s1, s2, y).se, rel=0.2)


@pytest.mark.parametrize("bad,match", [
    (dict(scores=[1.0, 2.0], truth=[0, 2]), "truth must be 0 or 1"),
    (dict(scores=[1.0, 2.0], truth=[1, 1]), "both classes"),
    (dict(scores=[1.0, np.nan], truth=[0, 1]), "finite"),
    (dict(scores=[1.0, 2.0, 3.0], truth=[0, 1]), "same length"),
])
def test_bad_input_gives_one_line_errors(bad, match):
    with pytest.raises(ValueError, match=match) as e:
        auc(**bad)
    assert "\n" not in str(e.value)
