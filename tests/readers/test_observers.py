"""Observers against independent linear-algebra references and equivalences."""

import numpy as np
import pytest

import victwin.readers as R


def _data(rng, n, shape, amp=0.8):
    s = np.zeros(shape)
    c = tuple(k // 2 for k in shape)
    s[c] = amp
    if len(shape) == 2:
        s[c[0] - 1:c[0] + 2, c[1] - 1:c[1] + 2] += amp / 2
    X = rng.normal(size=(2 * n,) + shape)
    # correlated noise: smooth along the last axis so K is not white
    X = X + 0.5 * np.roll(X, 1, axis=-1)
    y = np.repeat([0, 1], n)
    X[y == 1] += s
    return X, y


def _pooled(F, y):
    return 0.5 * (np.cov(F[y == 0], rowvar=False) + np.cov(F[y == 1], rowvar=False))


@pytest.mark.parametrize("n", [200, 20])   # p = 49 < 2n and p > 2n - 2 (pseudo-inverse)
def test_hotelling_template_is_pinv_of_pooled_cov(n):
    rng = np.random.default_rng(n)
    X, y = _data(rng, n, (7, 7))
    F = X.reshape(len(X), -1)
    ref = np.linalg.pinv(_pooled(F, y)) @ (F[y == 1].mean(0) - F[y == 0].mean(0))
    ho = R.HotellingObserver().fit(X, y)
    np.testing.assert_allclose(ho.template_.ravel(), ref, rtol=1e-7, atol=1e-9 * np.abs(ref).max())
    np.testing.assert_allclose(ho.decision_function(X[:5]), F[:5] @ ref, rtol=1e-7)


def test_cho_is_hotelling_on_channel_outputs_and_pixel_channels_give_ho():
    rng = np.random.default_rng(2)
    X, y = _data(rng, 150, (9, 9))
    U = R.laguerre_gauss((9, 9), n_channels=4, width_px=3.0)
    cho = R.ChannelizedHotelling(U).fit(X, y)
    V = X.reshape(len(X), -1) @ U.reshape(4, -1).T
    w = np.linalg.solve(_pooled(V, y), V[y == 1].mean(0) - V[y == 0].mean(0))
    np.testing.assert_allclose(cho.weights_, w, rtol=1e-9)
    np.testing.assert_allclose(cho.decision_function(X), V @ w, rtol=1e-9)
    np.testing.assert_allclose(cho.decision_function(X),
                               X.reshape(len(X), -1) @ cho.template_.ravel(), rtol=1e-9)
    eye = np.eye(81).reshape(81, 9, 9)
    np.testing.assert_allclose(R.ChannelizedHotelling(eye).fit(X, y).decision_function(X),
                               R.HotellingObserver().fit(X, y).decision_function(X),
                               rtol=1e-7)


def test_npw_and_npwe_templates():
    rng = np.random.default_rng(3)
    X, y = _data(rng, 50, (15, 15))
    dg = X[y == 1].mean(0) - X[y == 0].mean(0)
    np.testing.assert_allclose(R.NPWObserver().fit(X, y).template_, dg, rtol=1e-12)
    npwe = R.NPWEObserver(pixel_mm=0.2, viewing_distance_mm=600.0).fit(X, y)
    E = npwe.eye_filter_
    ref = np.real(np.fft.ifft2(E ** 2 * np.fft.fft2(dg)))
    np.testing.assert_allclose(npwe.template_, ref, atol=1e-12)


def test_eye_filter_peak_and_constants():
    """Burgess (1994): E = f^1.3 exp(-c f^2) with c = 1.3 / (2 * 4^2) = 0.0406 peaks at
    4 cyc/deg; at 500 mm and 0.165 mm/px there are 500 tan(1 deg)/0.165 = 52.9 px/deg."""
    ppd = 500 * np.tan(np.deg2rad(1.0)) / 0.165
    assert ppd == pytest.approx(52.89, abs=0.01)
    n = 513
    E = R.eye_filter((n, n), pixel_mm=0.165, viewing_distance_mm=500.0)
    f_deg = np.fft.fftfreq(n) * ppd
    k = np.argmax(E[0, : n // 2])
    assert f_deg[k] == pytest.approx(4.0, abs=ppd / n)
    c = 1.3 / 32
    ref = f_deg[: n // 2] ** 1.3 * np.exp(-c * f_deg[: n // 2] ** 2)
    np.testing.assert_allclose(E[0, : n // 2], ref / ref.max(), rtol=1e-3)


def test_fit_uses_only_training_data_and_scores_do_not_change_state():
    rng = np.random.default_rng(4)
    X, y = _data(rng, 100, (9, 9))
    Xt, yt = _data(rng, 100, (9, 9))
    U = R.laguerre_gauss((9, 9), n_channels=5, width_px=3.0)
    a = R.ChannelizedHotelling(U).fit(X, y)
    w0 = a.weights_.copy()
    a.decision_function(Xt)
    np.testing.assert_array_equal(a.weights_, w0)
    res = R.assess(R.ChannelizedHotelling(U), X, y, Xt, yt)
    res2 = R.assess(R.ChannelizedHotelling(U), X, y, Xt * 3.0 + 1.0, yt)
    assert res.evaluation == "hold-out" and res.n_train == (100, 100)
    # a linear template is not refit on the test set: scaling test ROIs scales scores
    np.testing.assert_allclose(res2.scores, 3.0 * res.scores + a.template_.sum(), rtol=1e-9)
    with pytest.raises(ValueError, match="X_test and y_test are required"):
        R.assess(R.ChannelizedHotelling(U), X, y)
    with pytest.raises(ValueError, match="do not pass X_test"):
        R.assess(R.ChannelizedHotelling(U), X, y, Xt, yt, resubstitution=True)


def test_convolutional_cho_uses_training_mean_signal():
    rng = np.random.default_rng(5)
    X, y = _data(rng, 80, (15, 15))
    U = R.laguerre_gauss((15, 15), n_channels=3, width_px=4.0)
    cho = R.ChannelizedHotelling(U, convolutional=True).fit(X, y)
    sbar = X[y == 1].mean(0) - X[y == 0].mean(0)
    np.testing.assert_allclose(cho.channels_, R.convolutional_channels(U, sbar))


def test_internal_noise_decision_and_channel():
    """Decision noise of b times the external SD multiplies the score variance by 1 + b^2;
    channel noise (Zhang, Pham, Eckstein 2007) gives d'^2 = dv^T (K + K_int)^-1 dv."""
    rng = np.random.default_rng(6)
    X, y = _data(rng, 2000, (7, 7))
    U = R.laguerre_gauss((7, 7), n_channels=3, width_px=2.5)
    plain = R.ChannelizedHotelling(U).fit(X, y)
    noisy = R.ChannelizedHotelling(U, decision_noise=1.0, random_state=11).fit(X, y)
    t0, t1 = plain.decision_function(X), noisy.decision_function(X)
    assert np.var(t1 - t0) / np.var(t0[y == 0]) == pytest.approx(1.0, rel=0.08)
    np.testing.assert_array_equal(t1, noisy.decision_function(X))   # seeded, repeatable
    ch = R.ChannelizedHotelling(U, channel_noise=1.0, random_state=3).fit(X, y)
    K, dv = ch.channel_cov_, ch.delta_v_
    np.testing.assert_allclose(np.diag(ch.internal_cov_), np.diag(K))
    expect = np.sqrt(dv @ np.linalg.solve(K + np.diag(np.diag(K)), dv))
    d = R.dprime(ch.decision_function(X), y)
    assert d == pytest.approx(expect, rel=0.08)
    assert d < R.dprime(t0, y)
    with pytest.raises(ValueError, match="channel_noise must be a non-negative number"):
        R.ChannelizedHotelling(U, channel_noise=-1).fit(X, y)


def test_multislice_variants_equivalences():
    rng = np.random.default_rng(7)
    X, y = _data(rng, 150, (3, 11, 11))
    X[y == 1, :, 4:7, 4:7] += 0.3
    U = R.laguerre_gauss((11, 11), n_channels=3, width_px=3.5)
    # msCHOc == a volumetric CHO whose channels are the 2D channels placed on each slice
    U3 = np.zeros((9, 3, 11, 11))
    for k in range(3):
        U3[3 * k:3 * k + 3, k] = U
    c = R.MultiSliceCHO(U, variant="c").fit(X, y).decision_function(X)
    v = R.VolumetricCHO(U3).fit(X, y).decision_function(X)
    np.testing.assert_allclose(c, v, rtol=1e-8)
    # single slice == 2D CHO on the central slice
    ss = R.MultiSliceCHO(U, variant="ss").fit(X, y).decision_function(X)
    np.testing.assert_allclose(ss, R.ChannelizedHotelling(U).fit(X[:, 1], y)
                               .decision_function(X[:, 1]), rtol=1e-8)
    # msCHOa: per-slice 2D CHOs, then a Hotelling on the slice scores
    T = np.stack([R.ChannelizedHotelling(U).fit(X[:, k], y).decision_function(X[:, k])
                  for k in range(3)], axis=1)
    w = np.linalg.solve(0.5 * (np.cov(T[y == 0].T) + np.cov(T[y == 1].T)),
                        T[y == 1].mean(0) - T[y == 0].mean(0))
    np.testing.assert_allclose(R.MultiSliceCHO(U, variant="a").fit(X, y).decision_function(X),
                               T @ w, rtol=1e-8)
    # msCHOb: the central-slice template on every slice, then a Hotelling
    w1 = R.ChannelizedHotelling(U).fit(X[:, 1], y).weights_
    Tb = np.einsum("nzc,c->nz", X.reshape(300, 3, -1) @ U.reshape(3, -1).T, w1)
    wb = np.linalg.solve(0.5 * (np.cov(Tb[y == 0].T) + np.cov(Tb[y == 1].T)),
                         Tb[y == 1].mean(0) - Tb[y == 0].mean(0))
    np.testing.assert_allclose(R.MultiSliceCHO(U, variant="b").fit(X, y).decision_function(X),
                               Tb @ wb, rtol=1e-8)
    # the volumetric model with the most information does at least as well in resubstitution
    assert R.dprime(c, y) >= R.dprime(ss, y)


def test_sklearn_style_params_and_errors():
    U = R.laguerre_gauss((5, 5), n_channels=2, width_px=2.0)
    o = R.ChannelizedHotelling(U, decision_noise=0.5)
    p = o.get_params()
    assert p["decision_noise"] == 0.5 and p["channels"] is U
    clone = type(o)(**p)
    assert clone.get_params()["decision_noise"] == 0.5
    assert not hasattr(o, "weights_")
    with pytest.raises(ValueError, match="not fitted"):
        o.decision_function(np.zeros((2, 5, 5)))
    X = np.random.default_rng(0).normal(size=(6, 5, 5))
    with pytest.raises(ValueError, match="at least 2 training ROIs of class 1"):
        o.fit(X, [0, 0, 0, 0, 0, 1])
    with pytest.raises(ValueError, match="only 0"):
        o.fit(X, [0, 0, 0, 1, 1, 2])
    o.fit(X, [0, 0, 0, 1, 1, 1])
    with pytest.raises(ValueError, match=r"fitted on \(5, 5\)"):
        o.decision_function(np.zeros((2, 6, 6)))
    with pytest.raises(ValueError, match="unknown parameter 'foo'"):
        o.set_params(foo=1)
    with pytest.raises(ValueError, match="variant must be one of"):
        R.MultiSliceCHO(U, variant="d").fit(np.zeros((4, 3, 5, 5)), [0, 0, 1, 1])
