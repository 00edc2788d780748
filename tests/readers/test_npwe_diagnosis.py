"""NPWE against its definition (Burgess, J Opt Soc Am A 11:1237, 1994; Eckstein, Abbey &
Bochud, Handbook of Medical Imaging vol. 1 ch. 10, 2000), and training-set resampling of
matched pairs (the chest trial's NPWE diagnosis, NOTES.md, branch issue-19npwe)."""

import numpy as np
import pytest

from victwin.readers import NPWEObserver, NPWObserver, eye_filter, resampled_readers

PIX_MM, DIST_MM = 0.28, 500.0


def _gauss(n, sd_px, amp=1.0, c=None):
    c = n // 2 if c is None else c
    yy, xx = np.mgrid[:n, :n]
    return amp * np.exp(-((yy - c) ** 2 + (xx - c) ** 2) / (2 * sd_px ** 2))


def _exact_mean_training(s, noise_rng, sigma):
    """2 absent + 2 present ROIs whose class means are exactly 0 and ``s``."""
    a, b = noise_rng.normal(0, sigma, (2,) + s.shape)
    X = np.stack([a, -a, s + b, s - b])
    return X, np.array([0, 0, 1, 1])


def _burgess_E(n):
    """E(f) = f^1.3 exp(-c f^2), f in cycles/degree reached through cycles/mm (written
    here, not through eye_filter): f_deg = f_mm * (mm on the display per degree)."""
    f_px = np.hypot(*np.meshgrid(np.fft.fftfreq(n), np.fft.fftfreq(n), indexing="ij"))
    f_deg = f_px / PIX_MM * (DIST_MM * np.tan(np.pi / 180))
    c = 1.3 / (2 * 4.0 ** 2)                      # peak at 4 cyc/deg (Burgess 1994)
    return f_deg ** 1.3 * np.exp(-c * f_deg ** 2)


def test_eye_filter_zero_at_dc_and_peak_at_4_cyc_per_degree_in_mm_units():
    n = 512
    E = eye_filter((n, n), pixel_mm=PIX_MM, viewing_distance_mm=DIST_MM)
    assert E[0, 0] == 0.0
    f_mm = np.fft.fftfreq(n)[: n // 2] / PIX_MM
    peak = f_mm[np.argmax(E[0, : n // 2])]
    # 4 cyc/deg at 500 mm: one degree is 8.727 mm on the display -> 0.458 cyc/mm
    assert peak == pytest.approx(4.0 / (DIST_MM * np.tan(np.pi / 180)), abs=1 / (n * PIX_MM))
    E2 = eye_filter((n, n), pixel_mm=PIX_MM, viewing_distance_mm=2 * DIST_MM)
    assert f_mm[np.argmax(E2[0, : n // 2])] == pytest.approx(peak / 2, abs=1 / (n * PIX_MM))
    np.testing.assert_allclose(E, _burgess_E(n) / _burgess_E(n).max(), rtol=1e-12)


def test_npwe_dprime_in_white_noise_matches_the_analytic_formula():
    """d'^2 = (s^T E^2 s)^2 / (sigma^2 s^T E^4 s) (Parseval, cyclic), checked against a Monte
    Carlo of the fitted observer on fresh white-noise ROIs."""
    n, sigma = 33, 1.0
    s = _gauss(n, 2.0, amp=0.6)
    rng = np.random.default_rng(5)
    X, y = _exact_mean_training(s, rng, sigma)
    o = NPWEObserver(pixel_mm=PIX_MM, viewing_distance_mm=DIST_MM).fit(X, y)
    S2 = np.abs(np.fft.fft2(s)) ** 2
    E = _burgess_E(n)
    d_analytic = (np.sum(E ** 2 * S2) / n ** 2) / np.sqrt(sigma ** 2 * np.sum(E ** 4 * S2) / n ** 2)
    m = 3000
    t0 = o.decision_function(rng.normal(0, sigma, (m, n, n)))
    t1 = o.decision_function(s + rng.normal(0, sigma, (m, n, n)))
    d_mc = (t1.mean() - t0.mean()) / np.sqrt(0.5 * (t0.var() + t1.var()))
    se = np.sqrt(2 / m + d_analytic ** 2 / (4 * m))
    assert abs(d_mc - d_analytic) < 4 * se
    # NPWE d' is below the ideal (Hotelling = matched filter in white noise) ||s|| / sigma
    assert d_analytic < np.linalg.norm(s) / sigma


def test_npwe_template_has_no_dc_and_no_ramp_response_for_a_centred_symmetric_signal():
    n = 39
    s = _gauss(n, 3.0)
    X, y = _exact_mean_training(s, np.random.default_rng(1), 0.0)
    w = NPWEObserver(pixel_mm=PIX_MM, viewing_distance_mm=DIST_MM).fit(X, y).template_
    yy, xx = np.mgrid[:n, :n]
    scale = np.abs(w).sum() * n
    assert abs(w.sum()) < 1e-12 * np.abs(w).sum()
    assert abs((w * xx).sum()) < 1e-12 * scale and abs((w * yy).sum()) < 1e-12 * scale
    # the filtering is cyclic (DFT): an off-centre signal's template is the centred one
    # rolled, its tails wrapped across the ROI edge (then the ramp response is not 0)
    s2 = np.roll(s, (-3, 2), axis=(0, 1))
    X2, _ = _exact_mean_training(s2, np.random.default_rng(1), 0.0)
    w2 = NPWEObserver(pixel_mm=PIX_MM, viewing_distance_mm=DIST_MM).fit(X2, y).template_
    np.testing.assert_allclose(w2, np.roll(w, (-3, 2), axis=(0, 1)), atol=1e-12)


def _matched_pairs(rng, n_pairs, n=25, amp_anat=1.0):
    """Matched pairs: the same smooth 'anatomy' in the lesion and the lesion-absent ROI."""
    k = np.fft.fftfreq(n)
    f = np.hypot(*np.meshgrid(k, k, indexing="ij"))
    f[0, 0] = 1.0 / n
    white = rng.normal(size=(n_pairs, n, n))
    anat = amp_anat * np.real(np.fft.ifft2(np.fft.fft2(white) * f ** -1.5)) / n
    s = _gauss(n, 2.0)
    X = np.concatenate([anat + s, anat])
    y = np.r_[np.ones(n_pairs, int), np.zeros(n_pairs, int)]
    pair = np.r_[np.arange(n_pairs), np.arange(n_pairs)]
    return X, y, pair, s


def test_pair_bootstrap_keeps_shared_anatomy_out_of_the_npw_template():
    """Noise-free matched pairs: the full training set's NPW template is the signal exactly
    (the anatomy cancels pair by pair); so is every reader's when whole pairs are resampled
    (scores equal the full fit's), while resampling ROIs class by class leaves anatomy in
    the template and costs AUC."""
    rng = np.random.default_rng(3)
    X, y, pair, s = _matched_pairs(rng, 40)
    Xte, yte, _, _ = _matched_pairs(rng, 40)
    full = NPWObserver().fit(X, y)
    np.testing.assert_allclose(full.template_, s, atol=1e-9)
    t_full = full.decision_function(Xte)
    grouped = resampled_readers(NPWObserver(), X, y, Xte, yte, n_readers=4,
                                rng=np.random.default_rng(0), groups=pair)
    sub = resampled_readers(NPWObserver(), X, y, Xte, yte, n_readers=2, method="subsample",
                            rng=np.random.default_rng(0), groups=pair)
    for t in np.concatenate([grouped.scores, sub.scores]):
        np.testing.assert_allclose(t, t_full, rtol=1e-9, atol=1e-9)
    by_roi = resampled_readers(NPWObserver(), X, y, Xte, yte, n_readers=4,
                               rng=np.random.default_rng(0))

    def auc(t):
        return np.mean(t[yte == 1][:, None] > t[yte == 0][None, :])

    assert auc(t_full) > 0.75
    assert np.mean([auc(t) for t in by_roi.scores]) < auc(t_full) - 0.05


def test_groups_errors_are_one_line():
    rng = np.random.default_rng(0)
    X, y, pair, _ = _matched_pairs(rng, 4, n=9)
    with pytest.raises(ValueError, match="one label per training ROI"):
        resampled_readers(NPWObserver(), X, y, X, y, n_readers=1, rng=rng, groups=pair[:-1])
