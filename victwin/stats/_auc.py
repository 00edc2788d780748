"""Single-reader ROC statistics: empirical AUC, DeLong variance and tests, CIs, bootstrap.

The empirical AUC is the Mann-Whitney statistic, a tie counting 1/2; it equals the area
under the trapezoidal empirical ROC curve. All of it is O(n log n) through placement values
(midranks), the fast form of DeLong's method (Sun & Xu 2014).

References
----------
DeLong ER, DeLong DM, Clarke-Pearson DL (1988). Comparing the areas under two or more
correlated receiver operating characteristic curves. Biometrics 44:837-845.
Sun X, Xu W (2014). Fast implementation of DeLong's algorithm for comparing the areas under
correlated receiver operating characteristic curves. IEEE Signal Process Lett 21:1389-1393.
Pepe MS (2003). The Statistical Evaluation of Medical Tests, p. 107 (logit CI).
Qin G, Hotilovac L (2008). Comparison of non-parametric confidence intervals for the area
under the ROC curve of a continuous-scale diagnostic test. Stat Methods Med Res 17:207-221
(the logit-transformed interval among those compared).
Robin X et al. (2011). pROC. BMC Bioinformatics 12:77 (unpaired test, stratified bootstrap).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as _st

__all__ = ["auc", "placements", "delong_cov", "delong_test", "auc_ci", "logit_auc_ci",
           "bootstrap_auc_ci", "DeLongTest"]


def _split(scores, truth):
    scores = np.asarray(scores, dtype=float)
    truth = np.asarray(truth)
    if scores.ndim != 1 or truth.shape != scores.shape:
        raise ValueError(f"scores and truth must be 1-D of the same length; got {scores.shape} and {truth.shape}")
    if not np.isin(truth, (0, 1)).all():
        raise ValueError(f"truth must be 0 or 1; got values {np.unique(truth)[:5].tolist()}")
    if not np.isfinite(scores).all():
        raise ValueError("scores must be finite; got NaN or inf")
    x0 = scores[truth == 0]
    x1 = scores[truth == 1]
    if x0.size == 0 or x1.size == 0:
        raise ValueError(f"AUC needs both classes; got {x0.size} normal and {x1.size} abnormal cases")
    return x0, x1


def _placements(x0: np.ndarray, x1: np.ndarray):
    """Placement values: v10[j] = P(x0 < x1[j]) + P(=)/2 and v01[i] = P(x1 > x0[i]) + P(=)/2."""
    s0 = np.sort(x0)
    s1 = np.sort(x1)
    v10 = (np.searchsorted(s0, x1, "left") + np.searchsorted(s0, x1, "right")) / (2.0 * x0.size)
    v01 = 1.0 - (np.searchsorted(s1, x0, "left") + np.searchsorted(s1, x0, "right")) / (2.0 * x1.size)
    return v10, v01


def placements(scores, truth):
    """DeLong structural components (placement values).

    Parameters
    ----------
    scores : float array, shape (n,)
        Ratings, higher = more suspicious.
    truth : int array, shape (n,)
        0 normal, 1 abnormal.

    Returns
    -------
    v10 : float array, shape (n_abnormal,)
        For each abnormal case (data order), the fraction of normals rated lower (ties 1/2).
    v01 : float array, shape (n_normal,)
        For each normal case (data order), the fraction of abnormals rated higher (ties 1/2).
    """
    return _placements(*_split(scores, truth))


def auc(scores, truth) -> float:
    """Empirical (Mann-Whitney) AUC, ties counting 1/2, in O(n log n).

    Parameters
    ----------
    scores : float array, shape (n,)
    truth : int array, shape (n,), 0/1

    Returns
    -------
    float
    """
    v10, _ = placements(scores, truth)
    return float(v10.mean())


def _as_matrix(scores):
    s = np.asarray(scores, dtype=float)
    if s.ndim == 1:
        s = s[None, :]
    if s.ndim != 2:
        raise ValueError(f"scores must have shape (n,) or (n_tests, n); got {s.shape}")
    return s


def delong_cov(scores, truth):
    """AUCs and their DeLong covariance matrix for tests read on the same cases.

    Parameters
    ----------
    scores : float array, shape (n_tests, n) or (n,)
        One row per test (marker, reader, modality) on the same n cases.
    truth : int array, shape (n,)

    Returns
    -------
    aucs : float array, shape (n_tests,)
    cov : float array, shape (n_tests, n_tests)
        S10 / n1 + S01 / n0 with sample (n - 1) covariances of the placement values.
    """
    s = _as_matrix(scores)
    truth = np.asarray(truth)
    v10, v01 = zip(*(_placements(*_split(row, truth)) for row in s))
    v10 = np.array(v10)
    v01 = np.array(v01)
    aucs = v10.mean(axis=1)
    n1 = v10.shape[1]
    n0 = v01.shape[1]
    s10 = np.atleast_2d(np.cov(v10)) if n1 > 1 else np.zeros((s.shape[0],) * 2)
    s01 = np.atleast_2d(np.cov(v01)) if n0 > 1 else np.zeros((s.shape[0],) * 2)
    return aucs, s10 / n1 + s01 / n0


@dataclass(frozen=True)
class DeLongTest:
    """Result of a DeLong comparison of two AUCs (difference = first minus second).

    ``statistic`` is Z (paired) or D (unpaired); ``df`` is ``inf`` for the paired Z test
    and the Welch-type df for the unpaired test; ``p`` is two-sided; ``ci`` is the
    confidence interval of the difference, ``difference +- z * se`` (normal quantile, as pROC).
    """

    auc1: float
    auc2: float
    difference: float
    se: float
    statistic: float
    df: float
    p: float
    p_greater: float
    p_less: float
    ci: tuple[float, float]
    paired: bool


def delong_test(scores1, scores2, truth, truth2=None, *, paired=None, alpha=0.05) -> DeLongTest:
    """DeLong test of two AUCs.

    Parameters
    ----------
    scores1, scores2 : float array, shape (n,) and (n,) or (n2,)
        Ratings of the two tests.
    truth : int array, shape (n,)
        Truth for ``scores1`` (and ``scores2`` when paired).
    truth2 : int array, shape (n2,), optional
        Truth for ``scores2`` when the tests were read on different cases (unpaired).
    paired : bool, optional
        Default: paired when ``truth2`` is None. Paired: Z = diff / sqrt(v1 + v2 - 2 c12),
        normal p. Unpaired: D = diff / sqrt(v1 + v2), t p-value with
        df = (v1 + v2)^2 / (v1^2 / (N1 - 1) + v2^2 / (N2 - 1)) (pROC's unpaired test).
    alpha : float
        For the (1 - alpha) CI of the difference.

    Returns
    -------
    DeLongTest
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1); got {alpha}")
    if paired is None:
        paired = truth2 is None
    if paired:
        if truth2 is not None and not np.array_equal(np.asarray(truth2), np.asarray(truth)):
            raise ValueError("paired=True needs both tests on the same cases; truth2 differs from truth")
        s1 = np.asarray(scores1, dtype=float)
        s2 = np.asarray(scores2, dtype=float)
        if s1.shape != s2.shape:
            raise ValueError(f"paired tests need scores of the same shape; got {s1.shape} and {s2.shape}")
        a, c = delong_cov(np.vstack([s1, s2]), truth)
        var = c[0, 0] + c[1, 1] - 2 * c[0, 1]
        df = np.inf
    else:
        t2 = truth if truth2 is None else truth2
        a1, c1 = delong_cov(scores1, truth)
        a2, c2 = delong_cov(scores2, t2)
        a = np.array([a1[0], a2[0]])
        v1, v2 = c1[0, 0], c2[0, 0]
        var = v1 + v2
        n1 = np.asarray(truth).size
        n2 = np.asarray(t2).size
        df = var ** 2 / (v1 ** 2 / (n1 - 1) + v2 ** 2 / (n2 - 1)) if var > 0 else np.inf
    diff = float(a[0] - a[1])
    se = float(np.sqrt(max(var, 0.0)))
    stat = diff / se if se > 0 else (0.0 if diff == 0 else np.copysign(np.inf, diff))
    dist = _st.norm if not np.isfinite(df) else _st.t(df)
    p_greater = float(dist.sf(stat))
    p_less = float(dist.cdf(stat))
    p = float(2 * min(p_greater, p_less))
    z = _st.norm.ppf(1 - alpha / 2)
    return DeLongTest(float(a[0]), float(a[1]), diff, se, float(stat), float(df), min(p, 1.0),
                      p_greater, p_less, (diff - z * se, diff + z * se), bool(paired))


def auc_ci(scores, truth, *, alpha=0.05, method="delong"):
    """Confidence interval of one AUC.

    Parameters
    ----------
    scores, truth : arrays, shape (n,)
    alpha : float
        1 - confidence level.
    method : {"delong", "logit"}
        ``"delong"``: AUC +- z SE (pROC ``ci.auc``). ``"logit"``: the interval of
        logit(AUC) +- z SE / (AUC (1 - AUC)) transformed back, which stays inside (0, 1)
        near AUC = 1 (Pepe 2003, p. 107). An AUC of exactly 0 or 1 gives a degenerate
        logit interval at that value.

    Returns
    -------
    auc : float
    se : float
        DeLong standard error.
    ci : tuple of float
    """
    a, c = delong_cov(scores, truth)
    a = float(a[0])
    se = float(np.sqrt(max(c[0, 0], 0.0)))
    return a, se, _ci_from(a, se, alpha, method)


def _ci_from(a, se, alpha, method):
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1); got {alpha}")
    z = _st.norm.ppf(1 - alpha / 2)
    if method == "delong":
        return (a - z * se, a + z * se)
    if method == "logit":
        return logit_auc_ci(a, se, alpha=alpha)
    raise ValueError(f"method must be 'delong' or 'logit'; got {method!r}")


def logit_auc_ci(auc_value, se, *, df=np.inf, alpha=0.05):
    """Logit-transformed Wald interval of an AUC: inside (0, 1) whatever the SE.

    ``expit(logit(A) -+ q SE / (A (1 - A)))``: the Wald interval of logit(A), whose SE is
    the AUC's SE by the delta method (d logit(A) / dA = 1 / (A (1 - A))), transformed back
    (Pepe 2003, sec. 5.2, p. 107; Qin & Hotilovac 2008). For an AUC near 1/2 or a small SE
    it is close to ``A -+ q SE``; near 1 it is asymmetric and stays below 1 where the Wald
    interval passes it.

    Parameters
    ----------
    auc_value : float
        The AUC, in [0, 1].
    se : float
        Its standard error (any estimate: DeLong, jackknife, the RRRC single-modality SE).
    df : float
        Degrees of freedom of the quantile ``q``: ``np.inf`` gives the normal quantile (as
        Pepe's interval); a finite value the Student t quantile of the Wald interval it
        replaces (e.g. Hillis's single-modality df of an OR analysis).
    alpha : float
        1 - confidence level.

    Returns
    -------
    tuple of float
        ``(lower, upper)``. An AUC of exactly 0 or 1 (logit infinite) gives the degenerate
        interval ``(A, A)``.
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1); got {alpha}")
    a, se, df = float(auc_value), float(se), float(df)
    if not 0 <= a <= 1:
        raise ValueError(f"auc_value must be in [0, 1]; got {a}")
    q = _st.t.ppf(1 - alpha / 2, df) if np.isfinite(df) else _st.norm.ppf(1 - alpha / 2)
    if a <= 0 or a >= 1:
        return (a, a)
    lg = np.log(a / (1 - a))
    h = q * se / (a * (1 - a))
    return (float(1 / (1 + np.exp(-(lg - h)))), float(1 / (1 + np.exp(-(lg + h)))))


def bootstrap_auc_ci(scores, truth, *, n_boot=2000, alpha=0.05, seed=None, scores2=None):
    """Stratified bootstrap percentile CI of an AUC or of a paired AUC difference.

    Normals and abnormals are resampled separately (their counts stay fixed), as pROC's
    ``ci.auc(method="bootstrap")`` does by default.

    Parameters
    ----------
    scores, truth : arrays, shape (n,)
    n_boot : int
        Number of bootstrap samples.
    alpha : float
        1 - confidence level (percentile interval).
    seed : int or numpy.random.Generator, optional
    scores2 : array, shape (n,), optional
        A second test on the same cases; the statistic is then AUC(scores) - AUC(scores2)
        with the cases resampled jointly.

    Returns
    -------
    estimate : float
    se : float
        Standard deviation of the bootstrap replicates.
    ci : tuple of float
    replicates : float array, shape (n_boot,)
    """
    if int(n_boot) < 2:
        raise ValueError(f"n_boot must be >= 2; got {n_boot}")
    rng = np.random.default_rng(seed)
    rows = [np.asarray(scores, dtype=float)]
    if scores2 is not None:
        rows.append(np.asarray(scores2, dtype=float))
    truth = np.asarray(truth)
    parts = [_split(r, truth) for r in rows]
    n0, n1 = parts[0][0].size, parts[0][1].size
    i0 = rng.integers(0, n0, size=(int(n_boot), n0))
    i1 = rng.integers(0, n1, size=(int(n_boot), n1))

    def boot_auc(x0, x1):
        b = np.concatenate([x0[i0], x1[i1]], axis=1)
        ranks = _st.rankdata(b, axis=1)
        r1 = ranks[:, n0:].sum(axis=1)
        return (r1 - n1 * (n1 + 1) / 2) / (n0 * n1)

    est = auc(rows[0], truth)
    reps = boot_auc(*parts[0])
    if scores2 is not None:
        est -= auc(rows[1], truth)
        reps = reps - boot_auc(*parts[1])
    lo, hi = np.quantile(reps, [alpha / 2, 1 - alpha / 2])
    return est, float(reps.std(ddof=1)), (float(lo), float(hi)), reps
