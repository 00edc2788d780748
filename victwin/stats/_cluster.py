"""Clustered ROC analysis: AUC variance with clusters of correlated units (Obuchowski 1997),
and its use in the Obuchowski-Rockette MRMC analysis.

In an in-silico trial the *units* rated are ROIs (or VOIs) and the *clusters* are the twins
they come from: the lesion-present and lesion-absent ROIs of one twin share its anatomy, and
with several lesion sites per twin (VICTRE: 4 masses, 4 calcification clusters and 12
lesion-absent sites per phantom) one twin gives many ROIs. Treating the ROIs as independent
(the ROI-level DeLong or jackknife analysis) mis-states the variance; Obuchowski's estimator
resamples clusters instead.

For a test with placement values V10(x_kj) of the lesion-present units and V01(y_kl) of the
lesion-absent units (DeLong's structural components, ties 1/2), cluster k contributes
X_k = sum_j V10(x_kj) over its m_k present units and Y_k = sum_l V01(y_kl) over its n_k
absent units. With M = sum m_k, N = sum n_k, I clusters, I10 of them holding present units
and I01 absent units (Obuchowski 1997, Biometrics 53:567-578, section 2):

    S10 = I10 / ((I10 - 1) M) * sum_k (X_k - m_k A)^2
    S01 = I01 / ((I01 - 1) N) * sum_k (Y_k - n_k A)^2
    S11 = I / (I - 1)         * sum_k (X_k - m_k A)(Y_k - n_k A)
    var(A) = S10 / M + S01 / N + 2 S11 / (M N)

and for two tests a, b read on the same units the same sums with the cross products
(cov = S10_ab / M + S01_ab / N + (S11_ab + S11_ba) / (M N)). With one unit per cluster
S11 = 0 and the estimator is DeLong's. The MRMC analysis feeds the (modality, reader) cell
covariance matrix so estimated to the OR model (Obuchowski & Rockette 1995, Hillis 2007 df),
as FDA's ``mitoticFigureCounts`` package does (Tabata et al. 2019, Diagn Pathol 14:65;
its ``doAUCcluster`` and ``05_doMRMCaucORcluster.R``; iMRMC issue 147 points users there).

The placement values here come from mid-ranks (``scipy.stats.rankdata``), not from the
``searchsorted`` code of :mod:`victwin.stats._auc` that the DeLong functions use, so a test of
the one-unit-per-cluster case compares two independent computations.

References
----------
Obuchowski NA (1997). Nonparametric analysis of clustered ROC curve data. Biometrics
53:567-578.
Obuchowski NA, Rockette HE (1995). Hypothesis testing of diagnostic accuracy for multiple
readers and multiple tests: an ANOVA approach with dependent observations. Commun Stat Simul
Comput 24:285-308.
Hillis SL (2007). Stat Med 26:596-619 (denominator degrees of freedom).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as _st

from ._mrmc import MRMCResult, or_analysis
from ._table import ScoreTable

__all__ = ["clustered_auc_cov", "clustered_auc_ci", "clustered_cell_covariance", "clustered_mrmc",
           "clustered_covariance_partial", "cluster_codes", "ClusterSummary"]


@dataclass(frozen=True)
class ClusterSummary:
    """Counts of a clustered design: clusters I (with present units I10, absent units I01),
    units M present and N absent, and units per cluster (min, mean, max)."""

    n_clusters: int
    n_clusters_present: int
    n_clusters_absent: int
    n_present: int
    n_absent: int
    units_min: int
    units_mean: float
    units_max: int

    def to_dict(self) -> dict:
        return {"n_clusters": self.n_clusters, "n_clusters_present": self.n_clusters_present,
                "n_clusters_absent": self.n_clusters_absent, "n_present": self.n_present,
                "n_absent": self.n_absent, "units_per_cluster": {
                    "min": self.units_min, "mean": self.units_mean, "max": self.units_max}}


def cluster_codes(clusters, cases=None):
    """Integer cluster index per unit.

    Parameters
    ----------
    clusters : mapping unit id -> cluster label, or array-like of labels, shape (n,)
        A mapping needs ``cases`` (the unit ids in order).
    cases : sequence of str, optional

    Returns
    -------
    codes : int array, shape (n,)
        0 .. I - 1, in order of first appearance.
    labels : list of str
        Cluster label of each code.
    """
    if isinstance(clusters, dict):
        if cases is None:
            raise ValueError("clusters given as a mapping need the unit ids (cases)")
        missing = [c for c in cases if c not in clusters]
        if missing:
            raise ValueError(f"clusters has no cluster for unit {missing[0]!r} "
                             f"({len(missing)} units missing)")
        lab = np.array([str(clusters[c]) for c in cases])
    else:
        lab = np.asarray(clusters).astype(str)
        if lab.ndim != 1 or (cases is not None and lab.shape != (len(cases),)):
            want = "(n,)" if cases is None else f"({len(cases)},)"
            raise ValueError(f"clusters must have one label per unit, shape {want}; got {lab.shape}")
    uniq, first, codes = np.unique(lab, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    remap = np.empty_like(order)
    remap[order] = np.arange(order.size)
    return remap[codes.reshape(-1)], [str(u) for u in uniq[order]]


def _rank_placements(x0: np.ndarray, x1: np.ndarray):
    """Placement values of rows of scores from mid-ranks.

    ``x0`` (C, N) lesion-absent and ``x1`` (C, M) lesion-present scores. The pooled mid-rank of
    a present unit minus its mid-rank among the present units counts the absent units below
    it (ties 1/2); divided by N that is V10. Likewise for the absent units.
    """
    n0, n1 = x0.shape[1], x1.shape[1]
    pooled = _st.rankdata(np.concatenate([x0, x1], axis=1), axis=1)
    v10 = (pooled[:, n0:] - _st.rankdata(x1, axis=1)) / n0
    v01 = 1.0 - (pooled[:, :n0] - _st.rankdata(x0, axis=1)) / n1
    return v10, v01


def _components(scores: np.ndarray, truth: np.ndarray, codes: np.ndarray, n_clusters: int):
    """AUC per row and the centred cluster sums X_k - m_k A, Y_k - n_k A (rows x clusters)."""
    if not np.isfinite(scores).all():
        raise ValueError("the clustered analysis needs every unit rated by every reader in every "
                         "modality (a fully crossed design); got missing or non-finite scores")
    ab = truth == 1
    x1 = scores[:, ab]
    x0 = scores[:, ~ab]
    if x0.shape[1] == 0 or x1.shape[1] == 0:
        raise ValueError(f"the AUC needs both classes; got {x0.shape[1]} lesion-absent and "
                         f"{x1.shape[1]} lesion-present units")
    v10, v01 = _rank_placements(x0, x1)
    auc = v10.mean(axis=1)
    C = scores.shape[0]
    X = np.zeros((C, n_clusters))
    Y = np.zeros((C, n_clusters))
    for c in range(C):
        X[c] = np.bincount(codes[ab], weights=v10[c], minlength=n_clusters)
        Y[c] = np.bincount(codes[~ab], weights=v01[c], minlength=n_clusters)
    m = np.bincount(codes[ab], minlength=n_clusters).astype(float)
    n = np.bincount(codes[~ab], minlength=n_clusters).astype(float)
    return auc, X - m[None, :] * auc[:, None], Y - n[None, :] * auc[:, None], m, n


def _summary(m: np.ndarray, n: np.ndarray) -> ClusterSummary:
    s = m + n
    return ClusterSummary(int(s.size), int((m > 0).sum()), int((n > 0).sum()), int(m.sum()),
                          int(n.sum()), int(s.min()), float(s.mean()), int(s.max()))


def _covariance(dX, dY, m, n) -> np.ndarray:
    """Obuchowski (1997) covariance matrix of the rows' AUCs from centred cluster sums."""
    I = m.size
    I10 = int((m > 0).sum())
    I01 = int((n > 0).sum())
    if I10 < 2 or I01 < 2:
        raise ValueError(f"the clustered variance needs lesion-present units in at least 2 clusters "
                         f"and lesion-absent units in at least 2; got {I10} and {I01}")
    M, N = m.sum(), n.sum()
    s10 = I10 / (I10 - 1) * (dX @ dX.T) / M
    s01 = I01 / (I01 - 1) * (dY @ dY.T) / N
    s11 = I / (I - 1) * (dX @ dY.T)
    return s10 / M + s01 / N + (s11 + s11.T) / (M * N)


def _prepare(scores, truth, clusters):
    s = np.asarray(scores, dtype=float)
    if s.ndim == 1:
        s = s[None, :]
    if s.ndim != 2:
        raise ValueError(f"scores must have shape (n,) or (n_tests, n); got {s.shape}")
    truth = np.asarray(truth)
    if truth.shape != (s.shape[1],):
        raise ValueError(f"truth must have shape ({s.shape[1]},) like the scores; got {truth.shape}")
    if not np.isin(truth, (0, 1)).all():
        raise ValueError(f"truth must be 0 or 1; got values {np.unique(truth)[:5].tolist()}")
    codes, labels = cluster_codes(clusters)
    if codes.shape != (s.shape[1],):
        raise ValueError(f"clusters must have one label per unit, shape ({s.shape[1]},); "
                         f"got {codes.shape}")
    return s, truth.astype(int), codes, len(labels)


def clustered_auc_cov(scores, truth, clusters, *, return_summary=False):
    """AUCs and their clustered covariance matrix (Obuchowski 1997) for tests on the same units.

    Parameters
    ----------
    scores : float array, shape (n_tests, n) or (n,)
        One row per test (reader, modality) on the same n units (ROIs).
    truth : int array, shape (n,)
        1 lesion-present unit, 0 lesion-absent unit.
    clusters : array-like, shape (n,)
        Cluster label (the twin) of each unit.
    return_summary : bool
        Also return the :class:`ClusterSummary` of the design.

    Returns
    -------
    aucs : float array, shape (n_tests,)
        Empirical (Mann-Whitney) AUCs over all units.
    cov : float array, shape (n_tests, n_tests)
    summary : ClusterSummary, only with ``return_summary``
    """
    s, truth, codes, I = _prepare(scores, truth, clusters)
    auc, dX, dY, m, n = _components(s, truth, codes, I)
    cov = _covariance(dX, dY, m, n)
    return (auc, cov, _summary(m, n)) if return_summary else (auc, cov)


def clustered_auc_ci(scores, truth, clusters, *, alpha=0.05):
    """One AUC, its clustered standard error and normal-approximation (1 - alpha) CI.

    Parameters
    ----------
    scores, truth, clusters : arrays, shape (n,)
    alpha : float

    Returns
    -------
    auc : float
    se : float
    ci : tuple of float
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1); got {alpha}")
    a, c = clustered_auc_cov(scores, truth, clusters)
    se = float(np.sqrt(max(c[0, 0], 0.0)))
    z = _st.norm.ppf(1 - alpha / 2)
    return float(a[0]), se, (float(a[0] - z * se), float(a[0] + z * se))


def _table_clusters(data: ScoreTable, clusters):
    if not isinstance(data, ScoreTable):
        raise TypeError(f"data must be a ScoreTable; got {type(data).__name__}")
    codes, labels = cluster_codes(clusters, data.cases)
    return codes, len(labels)


def clustered_cell_covariance(data: ScoreTable, clusters, *, return_summary=False):
    """Cell AUCs and their clustered covariance matrix (cases random in clusters, readers fixed).

    Parameters
    ----------
    data : ScoreTable
        Fully crossed ratings; the table's cases are the units (ROIs).
    clusters : mapping case id -> cluster label, or labels aligned with ``data.cases``
    return_summary : bool

    Returns
    -------
    auc : float array, shape (M, R)
    covariance : float array, shape (M, R, M, R)
    summary : ClusterSummary, only with ``return_summary``
    """
    codes, I = _table_clusters(data, clusters)
    M, R, N = data.scores.shape
    auc, dX, dY, m, n = _components(data.scores.reshape(M * R, N), data.truth.astype(int), codes, I)
    cov = _covariance(dX, dY, m, n).reshape(M, R, M, R)
    out = (auc.reshape(M, R), cov)
    return out + (_summary(m, n),) if return_summary else out


def clustered_mrmc(data: ScoreTable, clusters, *, alpha=0.05) -> MRMCResult:
    """Obuchowski-Rockette MRMC analysis with clusters (twins) as the resampling unit.

    The OR error covariances (Var, Cov1, Cov2, Cov3) are averages of the clustered cell
    covariance matrix (:func:`clustered_cell_covariance`); the rest is the OR analysis of
    :func:`victwin.stats.or_analysis` (RRRC with Hillis df, FRRC, RRFC).

    Parameters
    ----------
    data : ScoreTable
        Fully crossed ratings, at least 2 readers.
    clusters : mapping case id -> cluster label, or labels aligned with ``data.cases``
    alpha : float

    Returns
    -------
    MRMCResult
        ``cov_method`` is ``"clustered"``; ``extra["clusters"]`` holds the design counts and
        ``n_cases`` the number of clusters.
    """
    auc, cov, summary = clustered_cell_covariance(data, clusters, return_summary=True)
    res = or_analysis(auc, cov, modalities=data.modalities, readers=data.readers,
                      n_cases=summary.n_clusters, alpha=alpha, cov_method="clustered")
    res.extra["clusters"] = summary.to_dict()
    res.extra["n_units"] = data.n_cases
    return res


def clustered_covariance_partial(data: ScoreTable, clusters):
    """Cell AUCs and clustered covariance for a table with missing ratings (NaN).

    Each cell uses the units its reader read. For cells a and b the Obuchowski sums run over
    the clusters, each term the product of a's and b's centred cluster sums, scaled by 1/M_a
    M_b (present), 1/N_a N_b (absent) or 1/M_a N_b (cross); the small-sample factors are
    I'/(I' - 1) with I' the clusters holding such units for both cells (1 when I' < 2). On a
    fully crossed table this is :func:`clustered_cell_covariance`; cells with no cluster in
    common (cases nested in subgroup) get covariance 0.

    Returns
    -------
    auc : float array, shape (M * R,)
    covariance : float array, shape (M * R, M * R)
    """
    codes, I = _table_clusters(data, clusters)
    M, R, N = data.scores.shape
    s = data.scores.reshape(M * R, N)
    truth = data.truth.astype(int)
    C = M * R
    auc = np.empty(C)
    uX = np.zeros((C, I))   # (X_k - m_k A) / M per cell
    uY = np.zeros((C, I))
    hasX = np.zeros((C, I), dtype=bool)
    hasY = np.zeros((C, I), dtype=bool)
    for c in range(C):
        read = ~np.isnan(s[c])
        a, dX, dY, m, n = _components(s[c, read][None, :], truth[read], codes[read], I)
        auc[c] = a[0]
        uX[c] = dX[0] / m.sum()
        uY[c] = dY[0] / n.sum()
        hasX[c] = m > 0
        hasY[c] = n > 0

    def factor(h1, h2):
        cnt = h1.astype(float) @ h2.T.astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(cnt > 1, cnt / (cnt - 1), 1.0)

    any_ = hasX | hasY
    cov = (factor(hasX, hasX) * (uX @ uX.T) + factor(hasY, hasY) * (uY @ uY.T)
           + factor(any_, any_) * (uX @ uY.T + uY @ uX.T))
    return auc, cov
