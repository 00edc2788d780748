"""Known-answer checks of the observers: a known signal in white Gaussian noise.

For g = s + n with n ~ N(0, sigma^2 I), the Hotelling (ideal linear) observer has SNR
||s|| / sigma (Barrett & Myers, Foundations of Image Science, 2004, sec. 13.2). A linear
template w then has SNR w.s / (sigma ||w||), and a CHO with channel matrix U has the ideal
SNR^2 = s^T U (sigma^2 U^T U)^-1 U^T s <= ||s||^2 / sigma^2 (projection onto span U).
"""

import numpy as np
import pytest

import victwin.readers as R

SHAPE = (8, 8)
SIGMA = 1.5


def _signal():
    yy, xx = np.mgrid[0:8, 0:8] - 3.5
    return 1.2 * np.exp(-(xx ** 2 + yy ** 2) / (2 * 1.5 ** 2))


def _draw(rng, n, s):
    X = rng.normal(0.0, SIGMA, size=(2 * n,) + SHAPE)
    y = np.repeat([0, 1], n)
    X[y == 1] += s
    return X, y


def test_hotelling_hold_out_ci_covers_trained_template_snr():
    """Test-set d' of the trained HO: its exact hold-out CI (Wunderlich & Noo 2011) covers
    the true SNR of the trained template in about 95% of draws, and the truth
    ||s||/sigma bounds every trained template's SNR."""
    rng = np.random.default_rng(20150453)
    s = _signal()
    ideal = np.linalg.norm(s) / SIGMA
    n_draws, hits = 300, 0
    for _ in range(n_draws):
        Xtr, ytr = _draw(rng, 150, s)
        Xte, yte = _draw(rng, 100, s)
        ho = R.HotellingObserver()
        res = R.assess(ho, Xtr, ytr, Xte, yte)
        w = ho.template_.ravel()
        true_w = float(w @ s.ravel() / (SIGMA * np.linalg.norm(w)))
        assert true_w <= ideal + 1e-12
        lo, hi = res.interval.snr_ci
        hits += lo <= true_w <= hi
        assert res.evaluation == "hold-out"
    coverage = hits / n_draws
    # binomial SD at 95% with 300 draws is 1.3%; allow about 3 SD
    assert 0.91 <= coverage <= 0.99, coverage


def test_same_set_ci_covers_ideal_snr_and_cho_never_beats_ho():
    """Same-set exact CI (Wunderlich et al. 2015, IEEE TMI 34:453) of the HO on all 64
    pixels covers ||s||/sigma in ~95% of draws; the CHO (LG channels) scored on the same
    images never exceeds the HO, and the ideal CHO SNR is below ||s||/sigma."""
    rng = np.random.default_rng(34453)
    s = _signal()
    ideal = np.linalg.norm(s) / SIGMA
    U = R.laguerre_gauss(SHAPE, n_channels=4, width_px=4.0)
    Uf = U.reshape(4, -1).T
    cho_ideal = np.sqrt(s.ravel() @ Uf @ np.linalg.solve(SIGMA ** 2 * Uf.T @ Uf, Uf.T @ s.ravel()))
    assert cho_ideal <= ideal
    n_draws, hits, cho_hits, snr2 = 300, 0, 0, []
    for _ in range(n_draws):
        X, y = _draw(rng, 120, s)
        F = X.reshape(X.shape[0], -1)
        ci = R.exact_ci_same_set(F[y == 0], F[y == 1])
        snr2.append(ci.snr ** 2)
        hits += ci.snr_ci[0] <= ideal <= ci.snr_ci[1]
        ho = R.assess(R.HotellingObserver(), X, y, resubstitution=True)
        cho = R.assess(R.ChannelizedHotelling(U), X, y, resubstitution=True)
        assert ho.evaluation == cho.evaluation == "resubstitution"
        assert ho.interval.snr_ci == ci.snr_ci and ho.interval.method == "same-set"
        assert cho.dprime <= ho.dprime * (1 + 1e-12)
        cho_hits += cho.interval.snr_ci[0] <= cho_ideal <= cho.interval.snr_ci[1]
    assert 0.91 <= hits / n_draws <= 0.99, hits / n_draws
    # the point estimate of SNR^2 is unbiased: mean within 3 standard errors of the truth
    snr2 = np.array(snr2)
    assert abs(snr2.mean() - ideal ** 2) < 3 * snr2.std(ddof=1) / np.sqrt(n_draws)
    assert 0.91 <= cho_hits / n_draws <= 0.99, cho_hits / n_draws


def test_resubstitution_dprime_is_sample_mahalanobis():
    """Resubstituted HO d' equals sqrt(dg^T K^-1 dg) with K the pooled covariance
    (computed here with numpy.cov and numpy.linalg.inv, independent of the observer)."""
    rng = np.random.default_rng(1)
    X, y = _draw(rng, 150, _signal())
    F = X.reshape(X.shape[0], -1)
    K = 0.5 * (np.cov(F[y == 0], rowvar=False) + np.cov(F[y == 1], rowvar=False))
    dg = F[y == 1].mean(0) - F[y == 0].mean(0)
    res = R.assess(R.HotellingObserver(), X, y, resubstitution=True)
    assert res.dprime == pytest.approx(np.sqrt(dg @ np.linalg.inv(K) @ dg), rel=1e-9)
