"""Detectability of a model observer: empirical d', AUC and exact confidence intervals."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special, stats


def _split(scores, truth):
    t = np.asarray(scores, dtype=float).reshape(-1)
    y = np.asarray(truth).reshape(-1)
    if t.shape != y.shape:
        raise ValueError(f"scores and truth must have the same length, got {t.size} and {y.size}")
    if not np.all(np.isin(y, (0, 1))):
        raise ValueError("truth must hold only 0 (absent) and 1 (present)")
    if not np.all(np.isfinite(t)):
        raise ValueError("scores hold non-finite values")
    t0, t1 = t[y == 0], t[y == 1]
    if t0.size < 2 or t1.size < 2:
        raise ValueError(f"need at least 2 scores per class, got {t0.size} absent and "
                         f"{t1.size} present")
    return t0, t1


def dprime(scores, truth, *, ddof=1):
    """Empirical detectability ``d' = (mean t_1 - mean t_0) / sqrt((var t_0 + var t_1) / 2)``.

    Parameters
    ----------
    scores : array_like, shape ``[n]``
        Decision variables.
    truth : array_like, shape ``[n]``
        0 (lesion absent) or 1 (present).
    ddof : int
        Variance divisor ``n - ddof``; 1 as VICTRE_MO and LCD_CT (VICTRE_PIPELINE uses 0).
    """
    t0, t1 = _split(scores, truth)
    return float((t1.mean() - t0.mean()) / np.sqrt(0.5 * (t0.var(ddof=ddof) + t1.var(ddof=ddof))))


def _empirical_auc(scores, truth):
    """Empirical (Mann-Whitney) AUC, ties 1/2: :func:`victwin.stats.auc`."""
    from victwin.stats import auc

    _split(scores, truth)
    return float(auc(np.asarray(scores, float), np.asarray(truth).astype(np.int64)))


@dataclass(frozen=True)
class SNRInterval:
    """A point estimate and an exact confidence interval for SNR (= d') and AUC.

    ``auc`` and ``auc_ci`` are ``Phi(snr / sqrt(2))`` of the SNR values (equal-variance
    Gaussian decision variables). ``method`` names the estimator: ``"same-set"``
    (Wunderlich et al. 2015) or ``"hold-out"`` (fixed template, Wunderlich & Noo 2011).
    """

    snr: float
    snr_ci: tuple
    auc: float
    auc_ci: tuple
    confidence: float
    method: str
    n_absent: int
    n_present: int


def _phi_auc(snr):
    return float(special.ndtr(snr / np.sqrt(2.0)))


def _check_alpha(alpha):
    if not 0.0 < float(alpha) < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    return float(alpha)


def exact_ci_same_set(v_absent, v_present, *, alpha=0.05):
    """Exact CI of the CHO SNR when the same images train and test it (Wunderlich 2015).

    With ``m`` absent and ``n`` present channel-output vectors of dimension ``p``, pooled
    covariance ``S`` (divisor ``m + n - 2``) and ``dv`` the mean difference, the estimate is
    ``SNR^2 = g dv^T S^-1 dv - p (m + n) / (m n)`` with ``g = (m + n - p - 3) / (m + n - 2)``,
    unbiased for the population SNR^2 (from the mean of the non-central F below; reported as
    0 when negative). ``g dv^T S^-1 dv`` alone, the point value printed by IQmodelo
    ``exactCI_CHO.m``, exceeds it by ``p (m + n) / (m n)`` on average. The statistic
    ``F = dv^T S^-1 dv (m + n - p - 1) m n / (p (m + n - 2)(m + n))`` follows a non-central
    F(p, m + n - p - 1) with non-centrality ``SNR^2 m n / (m + n)``; the CI inverts that
    distribution. It covers the SNR of the ideal (infinitely trained) CHO for these
    channels, assuming Gaussian channel outputs with equal class covariance.

    Parameters
    ----------
    v_absent : array_like, shape ``[m, p]``
        Channel outputs of the lesion-absent images.
    v_present : array_like, shape ``[n, p]``
        Channel outputs of the lesion-present images.
    alpha : float
        1 - confidence; equal tails.

    Returns
    -------
    SNRInterval

    References
    ----------
    Wunderlich A., Noo F., Gallas B.D., Heilbrun M.E., "Exact confidence intervals for
    channelized Hotelling observer performance in image quality studies", IEEE Trans. Med.
    Imaging 34(2):453-464 (2015).
    """
    a = _check_alpha(alpha)
    v1 = np.atleast_2d(np.asarray(v_absent, float))
    v2 = np.atleast_2d(np.asarray(v_present, float))
    if v1.ndim != 2 or v2.ndim != 2 or v1.shape[1] != v2.shape[1]:
        raise ValueError(f"v_absent and v_present must be [m, p] and [n, p], got {v1.shape} "
                         f"and {v2.shape}")
    m, p = v1.shape
    n = v2.shape[0]
    nu2 = m + n - p - 1
    if m + n - p - 3 <= 0:
        raise ValueError(f"need m + n > p + 3 images, got m={m}, n={n}, p={p}")
    S = ((m - 1) * np.cov(v1, rowvar=False).reshape(p, p)
         + (n - 1) * np.cov(v2, rowvar=False).reshape(p, p)) / (m + n - 2)
    dv = v2.mean(axis=0) - v1.mean(axis=0)
    maha = float(dv @ np.linalg.solve(S, dv))
    gam = (m + n - p - 3) / (m + n - 2)
    snr2 = gam * maha - p * (m + n) / (m * n)
    snr = float(np.sqrt(max(snr2, 0.0)))
    x = maha * nu2 * m * n / (p * (m + n - 2) * (m + n))

    def root(q):
        f = lambda d: stats.ncf.cdf(x, p, nu2, d) - q  # noqa: E731 - decreasing in d
        if f(1e-12) < 0:
            return 0.0
        hi = max(10.0, 4.0 * x * p)
        while f(hi) > 0:
            hi *= 4.0
        return optimize.brentq(f, 1e-12, hi, xtol=1e-12, rtol=1e-12)

    lam_lo, lam_hi = root(1.0 - a / 2.0), root(a / 2.0)
    scale = (m + n) / (m * n)
    ci = (float(np.sqrt(lam_lo * scale)), float(np.sqrt(lam_hi * scale)))
    return SNRInterval(snr, ci, _phi_auc(snr), (_phi_auc(ci[0]), _phi_auc(ci[1])),
                       1.0 - a, "same-set", m, n)


def exact_ci_hold_out(scores, truth, *, alpha=0.05):
    """Exact CI of the SNR of a fixed (already trained) linear template from test scores.

    For Gaussian decision variables with equal class variances, ``eta * SNR_hat`` with
    ``SNR_hat = c (mean t_1 - mean t_0) / s`` (pooled ``s``, ``c`` the unbiasing factor
    ``sqrt(2 pi / nu) / B((nu - 1) / 2, 1 / 2)``, ``nu = m + n - 2``) and
    ``eta = sqrt(m n / (m + n)) / c`` follows a non-central t(nu) with non-centrality
    ``SNR sqrt(m n / (m + n))``; the CI inverts it. Use it on the test-set scores of an
    observer trained on separate images: it covers the SNR of *that trained* template.

    Parameters
    ----------
    scores : array_like, shape ``[n]``
        Test-set decision variables.
    truth : array_like, shape ``[n]``
        0 (absent) or 1 (present).
    alpha : float
        1 - confidence; equal tails.

    Returns
    -------
    SNRInterval

    References
    ----------
    Wunderlich A., Noo F., "Confidence intervals for performance assessment of linear
    observers", Med. Phys. 38(S1):S57-S68 (2011); used for the hold-out case in Wunderlich
    et al., IEEE Trans. Med. Imaging 34(2):453-464 (2015).
    """
    a = _check_alpha(alpha)
    t0, t1 = _split(scores, truth)
    m, n = t0.size, t1.size
    nu = m + n - 2
    if nu < 2:
        raise ValueError(f"need m + n >= 4 scores, got {m + n}")
    s = np.sqrt(((m - 1) * t0.var(ddof=1) + (n - 1) * t1.var(ddof=1)) / nu)
    c = np.sqrt(2.0 * np.pi / nu) / special.beta((nu - 1) / 2.0, 0.5)
    snr = float(c * (t1.mean() - t0.mean()) / s)
    k = np.sqrt(m * n / (m + n))
    tstat = k * snr / c

    def cdf(d):
        # scipy's nct.cdf returns NaN deep in a tail for some arguments; there the value
        # is 1 (d far below t) or 0 (d far above t)
        v = stats.nct.cdf(tstat, nu, d)
        if not np.isfinite(v):
            v = 1.0 - stats.nct.sf(tstat, nu, d)
        if not np.isfinite(v):
            v = 1.0 if d < tstat else 0.0
        return float(v)

    def root(q):
        f = lambda d: cdf(d) - q  # noqa: E731 - decreasing in d
        lo, hi = tstat - 1.0, tstat + 1.0
        while f(lo) < 0:
            lo -= 1.0
        while f(hi) > 0:
            hi += 1.0
        return optimize.brentq(f, lo, hi, xtol=1e-12, rtol=1e-12)

    d_lo, d_hi = root(1.0 - a / 2.0), root(a / 2.0)
    ci = (float(d_lo / k), float(d_hi / k))
    return SNRInterval(snr, ci, _phi_auc(snr), (_phi_auc(ci[0]), _phi_auc(ci[1])),
                       1.0 - a, "hold-out", m, n)


@dataclass(frozen=True, eq=False)
class Detectability:
    """Result of :func:`assess`: empirical d' and AUC of one observer, with its exact CI.

    ``auc`` is the empirical (Mann-Whitney) AUC of ``scores`` (:func:`victwin.stats.auc`).

    ``evaluation`` is ``"hold-out"`` (trained and scored on disjoint images) or
    ``"resubstitution"`` (scored on its own training images: optimistically biased,
    Wagner et al. 1997). ``interval`` is :func:`exact_ci_hold_out` of the test scores for
    hold-out; for resubstitution it is :func:`exact_ci_same_set` of the channel outputs of a
    CHO (without channel noise) or of the pixels of a Hotelling observer when there are
    more than ``p + 3`` images, else ``None``.
    """

    dprime: float
    auc: float
    evaluation: str
    n_train: tuple
    n_test: tuple
    interval: SNRInterval | None
    scores: np.ndarray
    truth: np.ndarray


def assess(observer, X_train, y_train, X_test=None, y_test=None, *, resubstitution=False,
           alpha=0.05):
    """Train ``observer`` on the training ROIs and measure its detectability.

    Parameters
    ----------
    observer : object with ``fit`` and ``decision_function``
        It is fitted in place on ``(X_train, y_train)``.
    X_train, y_train : arrays ``[n, ...]`` and ``[n]``
        Training ROIs and truth.
    X_test, y_test : arrays, optional
        Test ROIs and truth (hold-out evaluation). Required unless ``resubstitution``.
    resubstitution : bool
        Score the training ROIs themselves; the result is labelled ``"resubstitution"``.
    alpha : float
        1 - confidence of the exact interval.

    Returns
    -------
    Detectability
    """
    if resubstitution and (X_test is not None or y_test is not None):
        raise ValueError("resubstitution=True scores the training set; do not pass X_test/y_test")
    if not resubstitution and (X_test is None or y_test is None):
        raise ValueError("X_test and y_test are required (or ask for resubstitution=True)")
    observer.fit(X_train, y_train)
    ytr = np.asarray(y_train).astype(np.int64)
    if resubstitution:
        X_eval, y_eval, label = X_train, ytr, "resubstitution"
    else:
        X_eval, y_eval, label = X_test, np.asarray(y_test), "hold-out"
    t = np.asarray(observer.decision_function(X_eval), float)
    y_eval = np.asarray(y_eval)
    d = dprime(t, y_eval)
    auc = _empirical_auc(t, y_eval)
    if label == "hold-out":
        interval = exact_ci_hold_out(t, y_eval, alpha=alpha)
    else:
        interval = None
        V = None
        if hasattr(observer, "channel_outputs") and getattr(observer, "channel_noise", 0) == 0:
            V = observer.channel_outputs(X_eval)
        elif type(observer).__name__ == "HotellingObserver":
            V = np.asarray(X_eval, float).reshape(len(y_eval), -1)
        if V is not None and V.shape[0] > V.shape[1] + 3:
            interval = exact_ci_same_set(V[y_eval == 0], V[y_eval == 1], alpha=alpha)
    n_tr = (int(np.sum(ytr == 0)), int(np.sum(ytr == 1)))
    n_te = (int(np.sum(y_eval == 0)), int(np.sum(y_eval == 1)))
    return Detectability(d, auc, label, n_tr, n_te, interval, t, np.asarray(y_eval))
