"""Resampled-training readers."""

import numpy as np
import pytest

import victwin.readers as R


def _data(rng, n):
    X = rng.normal(size=(2 * n, 7, 7))
    y = np.repeat([0, 1], n)
    X[y == 1, 3, 3] += 1.5
    return X, y


def test_reader_table_shape_seed_and_training_variance():
    rng = np.random.default_rng(0)
    Xtr, ytr = _data(rng, 60)
    Xte, yte = _data(rng, 25)
    U = R.laguerre_gauss((7, 7), n_channels=3, width_px=2.5)
    obs = R.ChannelizedHotelling(U)
    a = R.resampled_readers(obs, Xtr, ytr, Xte, yte, n_readers=4, rng=np.random.default_rng(5))
    b = R.resampled_readers(obs, Xtr, ytr, Xte, yte, n_readers=4, rng=np.random.default_rng(5))
    assert a.scores.shape == (4, 50) and a.variance_source == "training"
    assert a.reader_ids == ("reader-01", "reader-02", "reader-03", "reader-04")
    np.testing.assert_array_equal(a.scores, b.scores)
    assert not np.allclose(a.scores[0], a.scores[1])        # readers differ by training
    assert not hasattr(obs, "weights_")                      # the template is not fitted
    # each reader is the observer fitted on a stratified bootstrap of the training set:
    # reproduce reader 1 with the same draws
    g = np.random.default_rng(5)
    sel = np.r_[g.choice(np.arange(60), 60), g.choice(np.arange(60, 120), 60)]
    ref = R.ChannelizedHotelling(U).fit(Xtr[sel], ytr[sel]).decision_function(Xte)
    np.testing.assert_allclose(a.scores[0], ref)
    # subsampling everything gives identical readers: the fixed test set never trains
    full = R.resampled_readers(obs, Xtr, ytr, Xte, yte, n_readers=3, method="subsample",
                               fraction=1.0, rng=np.random.default_rng(1))
    one = R.ChannelizedHotelling(U).fit(Xtr, ytr).decision_function(Xte)
    for r in range(3):
        np.testing.assert_allclose(full.scores[r], one, rtol=1e-9)


def test_reader_errors():
    rng = np.random.default_rng(0)
    X, y = _data(rng, 5)
    obs = R.NPWObserver()
    with pytest.raises(ValueError, match="method must be one of"):
        R.resampled_readers(obs, X, y, X, y, method="jackknife", rng=rng)
    with pytest.raises(TypeError, match="Generator"):
        R.resampled_readers(obs, X, y, X, y, rng=1)
    with pytest.raises(ValueError, match="case_ids must have 10 entries"):
        R.resampled_readers(obs, X, y, X, y, rng=rng, case_ids=[1, 2])


def test_score_table_for_mrmc():
    """Two 'modalities' (extra noise or not) on the same test cases stack into a
    victwin.stats.ScoreTable [modality, reader, case] in the given order."""
    rng = np.random.default_rng(3)
    Xtr, ytr = _data(rng, 40)
    Xte, yte = _data(rng, 20)
    obs = R.NPWObserver()
    weak = R.resampled_readers(obs, Xtr + rng.normal(size=Xtr.shape), ytr,
                               Xte + rng.normal(size=Xte.shape), yte, n_readers=3,
                               rng=np.random.default_rng(1))
    strong = R.resampled_readers(obs, Xtr, ytr, Xte, yte, n_readers=3,
                                 rng=np.random.default_rng(2))
    table = R.to_score_table({"DM": weak, "DBT": strong})
    assert table.modalities == ("DM", "DBT") and table.readers == weak.reader_ids
    assert table.scores.shape == (2, 3, 40)
    np.testing.assert_array_equal(table.scores[1], strong.scores)
    other = R.resampled_readers(obs, Xtr, ytr, Xte[:10], yte[:10], n_readers=3,
                                rng=np.random.default_rng(2))
    with pytest.raises(ValueError, match="other test cases"):
        R.to_score_table({"DM": weak, "DBT": other})


def _auc(scores, truth):
    """Mann-Whitney AUC, by brute force over all pairs (ties count one half)."""
    s1, s0 = scores[truth == 1][:, None], scores[truth == 0][None, :]
    return float(np.mean((s1 > s0) + 0.5 * (s1 == s0)))


def test_calibrated_llr_is_the_gaussian_likelihood_ratio():
    # equal-variance Gaussian scores: the log-likelihood ratio is analytic,
    # ln N(t; m1, s) / N(t; m0, s) = (m1 - m0) / s^2 (t - (m0 + m1) / 2)
    rng = np.random.default_rng(1)
    m0, m1, s = 3.0, 5.0, 2.0
    y = np.repeat([0, 1], 200_000)
    t = rng.normal(np.where(y == 1, m1, m0), s)
    grid = np.linspace(-5, 12, 7)
    want = (m1 - m0) / s**2 * (grid - (m0 + m1) / 2)
    # slope and midpoint estimated from 2 x 200 000 scores: SE of the slope ~0.3 %
    np.testing.assert_allclose(R.calibrated_llr(t, y, grid), want, rtol=0.01, atol=0.01)
    with pytest.raises(ValueError, match="at least 2 training scores of each truth"):
        R.calibrated_llr([1.0, 2.0, 3.0], [0, 0, 1], [0.0])


def test_hotelling_scores_calibrate_by_their_midpoint_and_pool_across_observers():
    rng = np.random.default_rng(2)
    Xtr, ytr = _data(rng, 80)
    obs = R.HotellingObserver().fit(Xtr, ytr)
    t = obs.decision_function(Xtr)
    # for a Hotelling template on its own training data m1 - m0 = s^2 = dg^T K^-1 dg
    m0, m1 = t[ytr == 0].mean(), t[ytr == 1].mean()
    np.testing.assert_allclose(R.calibrated_llr(t, ytr, [m0, m1]),
                               [-(m1 - m0) / 2, (m1 - m0) / 2], rtol=1e-9)

    # two observers (two ROI groups) whose raw scores sit on different scales: pooled raw
    # scores lose what each separates; calibrated, the pooled AUC is that of the true
    # likelihood ratios (known here), and within the two groups' own AUCs
    n = 4000
    y = np.tile(np.repeat([0, 1], n), 2)
    group = np.repeat([0, 1], 2 * n)
    d = np.where(group == 0, 1.0, 2.0)                     # d' of each group
    offset, scale = np.where(group == 0, 0.0, 40.0), np.where(group == 0, 1.0, 7.0)
    z = rng.normal(size=y.size) + d * y                   # unit-variance, mean d * y
    raw = offset + scale * z
    llr_true = d * (z - d / 2)
    half = np.arange(y.size) % 2 == 0                    # train on half, score the rest
    cal = np.empty(y.size)
    for g in (0, 1):
        tr, te = (group == g) & half, (group == g) & ~half
        cal[te] = R.calibrated_llr(raw[tr], y[tr], raw[te])
    te = ~half
    a_raw, a_cal, a_true = (_auc(v[te], y[te]) for v in (raw, cal, llr_true))
    a_groups = [_auc(raw[te & (group == g)], y[te & (group == g)]) for g in (0, 1)]
    assert abs(a_cal - a_true) < 0.005
    assert a_raw < a_cal - 0.05 and min(a_groups) < a_cal < max(a_groups)


# ------------------------------------------------------- groups: draws that span a CHO

class _Spy:
    """A CHO that keeps every training set it is given (``fits``: the class attribute)."""

    fits = []

    def __init__(self, channels):
        self.channels = channels
        self.cho = R.ChannelizedHotelling(channels)

    def get_params(self):
        return {"channels": self.channels}

    def fit(self, X, y):
        _Spy.fits.append((np.array(X), np.array(y)))
        self.cho.fit(X, y)
        return self

    def decision_function(self, X):
        return self.cho.decision_function(X)


def _pairs(rng, n_groups):
    """One lesion-absent / lesion-present pair per group (its twin): the present ROI is the
    absent one plus a spot, as a matched pair shares its anatomy."""
    a = rng.normal(size=(n_groups, 9, 9))
    p = a + 0.3 * rng.normal(size=a.shape)
    p[:, 4, 4] += 2.0
    X = np.concatenate([a, p])
    y = np.repeat([0, 1], n_groups)
    return X, y, np.tile(np.arange(n_groups), 2)


def _pooled_rank(U, X, y):
    """Rank of the pooled channel covariance, computed here (numpy's cov, matrix_rank)."""
    V = X.reshape(len(X), -1) @ U.reshape(len(U), -1).T
    K = 0.5 * sum(np.atleast_2d(np.cov(V[y == c], rowvar=False)) for c in (0, 1))
    return np.linalg.matrix_rank(K)


def test_group_draws_span_the_channels_when_asked():
    """6 twins of one matched pair each, 5 channels: a bootstrap of 6 twins holds d distinct
    twins (2d ROIs, pooled covariance rank <= 2d - 2), and d <= 3 in about 25 % of draws
    (1 - P(d >= 4) = (6 + 930 + 10800) / 46656; counted here by brute force). With
    ``n_features = 5`` every reader's training set spans the 5 channels (rank checked with
    numpy); without it some reader of 20 trains on a singular covariance."""
    import itertools

    n = 6
    low = sum(len(set(d)) <= 3 for d in itertools.product(range(n), repeat=n)) / n ** n
    assert low == pytest.approx((6 + 930 + 10800) / 46656)
    rng = np.random.default_rng(3)
    X, y, g = _pairs(rng, n)
    Xte, yte, _ = _pairs(rng, 10)
    U = R.laguerre_gauss((9, 9), n_channels=5, width_px=3.0)
    ranks = {}
    for n_features in (None, 5):
        _Spy.fits = []
        out = R.resampled_readers(_Spy(U), X, y, Xte, yte, n_readers=20, groups=g,
                                  rng=np.random.default_rng(8), n_features=n_features)
        ranks[n_features] = [_pooled_rank(U, Xs, ys) for Xs, ys in _Spy.fits]
        if n_features is not None:
            assert out.rejected_draws > 0
            for Xs, ys in _Spy.fits:
                assert len(np.unique(Xs.reshape(len(Xs), -1), axis=0)) >= n_features + 2
        else:
            assert out.rejected_draws == 0
    assert min(ranks[None]) < 5
    assert min(ranks[5]) == 5


def test_group_draws_without_rejections_are_the_draws_of_before():
    """``n_features`` small enough that no draw is refused leaves every score as it was (the
    same draws from the same generator), so results without the rule do not move."""
    rng = np.random.default_rng(4)
    X, y, g = _pairs(rng, 30)
    Xte, yte, _ = _pairs(rng, 10)
    obs = R.ChannelizedHotelling(R.laguerre_gauss((9, 9), n_channels=3, width_px=3.0))
    a = R.resampled_readers(obs, X, y, Xte, yte, n_readers=5, groups=g,
                            rng=np.random.default_rng(2))
    b = R.resampled_readers(obs, X, y, Xte, yte, n_readers=5, groups=g,
                            rng=np.random.default_rng(2), n_features=2)
    assert b.rejected_draws == 0
    np.testing.assert_array_equal(a.scores, b.scores)


def test_group_draws_that_cannot_span_are_a_one_line_error():
    rng = np.random.default_rng(5)
    X, y, g = _pairs(rng, 3)                     # 6 ROIs: rank <= 4
    obs = R.ChannelizedHotelling(R.laguerre_gauss((9, 9), n_channels=5, width_px=3.0))
    with pytest.raises(ValueError, match=r"^groups: none of 100 draws in a row held 2 "
                                         r"training ROIs of each truth and 7 distinct"):
        R.resampled_readers(obs, X, y, X, y, groups=g, rng=np.random.default_rng(0),
                            n_features=5)
    with pytest.raises(ValueError, match=r"n_features applies only with groups"):
        R.resampled_readers(obs, X, y, X, y, rng=np.random.default_rng(0), n_features=5)


def test_covariance_size_is_the_size_of_the_fitted_template():
    """``covariance_size`` against what the fitted observer's Hotelling template holds: a
    CHO's channel-space weights, a multi-slice CHO's per-slice weights ("ss"), the
    concatenated slices' weights ("c"), or the larger of a slice's channel weights and the
    slice combiner ("a"); ``None`` for the NPW(E) (no covariance) and the pixel Hotelling
    (rank deficient by design)."""
    rng = np.random.default_rng(6)
    U = R.laguerre_gauss((9, 9), n_channels=4, width_px=3.0)
    X2, y = rng.normal(size=(40, 9, 9)), np.repeat([0, 1], 20)
    X3 = rng.normal(size=(40, 7, 9, 9))
    cho = R.ChannelizedHotelling(U).fit(X2, y)
    assert R.covariance_size(cho, X2.shape[1:]) == cho.weights_.size == 4
    for variant, size in (("ss", lambda o: o.slice_weights_.shape[1]),
                          ("c", lambda o: o.weights_.size),
                          ("a", lambda o: max(o.slice_weights_.shape[1],
                                              o.combine_weights_.size))):
        ms = R.MultiSliceCHO(U, variant=variant).fit(X3, y)
        assert R.covariance_size(ms, X3.shape[1:]) == size(ms)
    assert R.covariance_size(R.MultiSliceCHO(U, variant="c"), X3.shape[1:]) == 28
    for obs in (R.NPWObserver(), R.NPWEObserver(), R.HotellingObserver()):
        assert R.covariance_size(obs, X2.shape[1:]) is None
