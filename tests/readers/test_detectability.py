"""d', AUC and the exact intervals against independent computations."""

import numpy as np
import pytest
from scipy import special, stats

import victwin.readers as R


def test_dprime_formula():
    t = np.array([0.0, 1.0, 2.0, 3.0, 5.0, 9.0])
    y = np.array([0, 0, 0, 1, 1, 1])
    ref = (np.mean([3, 5, 9]) - 1.0) / np.sqrt((np.var([0, 1, 2], ddof=1)
                                                + np.var([3, 5, 9], ddof=1)) / 2)
    assert R.dprime(t, y) == pytest.approx(ref)
    ref0 = (np.mean([3, 5, 9]) - 1.0) / np.sqrt((np.var([0, 1, 2]) + np.var([3, 5, 9])) / 2)
    assert R.dprime(t, y, ddof=0) == pytest.approx(ref0)


def test_assess_reports_mann_whitney_auc_of_its_scores():
    """The AUC in the result is the Mann-Whitney statistic of the test scores (brute-force
    double loop here, ties 1/2), and d' is the pooled-SD formula."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 5, 5))
    y = np.repeat([0, 1], 60)
    X[y == 1, 2, 2] += 1.0
    res = R.assess(R.NPWObserver(), X[::2], y[::2], X[1::2], y[1::2])
    t0, t1 = res.scores[res.truth == 0], res.scores[res.truth == 1]
    brute = np.mean((t1[:, None] > t0[None]) + 0.5 * (t1[:, None] == t0[None]))
    assert res.auc == pytest.approx(brute, rel=1e-12)
    assert res.dprime == pytest.approx((t1.mean() - t0.mean())
                                       / np.sqrt((t0.var(ddof=1) + t1.var(ddof=1)) / 2))


def test_hold_out_interval_is_the_two_sample_t_inversion():
    """The hold-out interval inverts the non-central t of the two-sample t statistic
    (Wunderlich & Noo 2011): at the bounds, P(T <= t_obs) = 0.975 and 0.025."""
    rng = np.random.default_rng(1)
    t0, t1 = rng.normal(0, 1, 60), rng.normal(1.3, 1, 40)
    t = np.r_[t0, t1]
    y = np.r_[np.zeros(60), np.ones(40)]
    res = R.exact_ci_hold_out(t, y)
    tt = stats.ttest_ind(t1, t0).statistic            # scipy's pooled two-sample t
    k = np.sqrt(60 * 40 / 100)
    assert stats.nct.cdf(tt, 98, res.snr_ci[0] * k) == pytest.approx(0.975, abs=1e-8)
    assert stats.nct.cdf(tt, 98, res.snr_ci[1] * k) == pytest.approx(0.025, abs=1e-8)
    assert res.auc == pytest.approx(special.ndtr(res.snr / np.sqrt(2)))
    assert res.snr_ci[0] < res.snr < res.snr_ci[1]


def test_hold_out_snr_estimate_is_unbiased():
    """c * (mean difference)/s with c = sqrt(2 pi / nu) / B((nu-1)/2, 1/2) is unbiased."""
    rng = np.random.default_rng(2)
    vals = [R.exact_ci_hold_out(np.r_[rng.normal(0, 2, 12), rng.normal(2, 2, 10)],
                                np.r_[np.zeros(12), np.ones(10)]).snr for _ in range(1500)]
    assert np.mean(vals) == pytest.approx(1.0, abs=3 * np.std(vals) / np.sqrt(1500))


def test_same_set_interval_errors():
    with pytest.raises(ValueError, match=r"need m \+ n > p \+ 3"):
        R.exact_ci_same_set(np.zeros((3, 5)), np.zeros((3, 5)))
    with pytest.raises(ValueError, match="alpha must be in"):
        R.exact_ci_same_set(np.ones((30, 2)), np.ones((30, 2)), alpha=1.5)
