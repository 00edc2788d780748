"""Gallas one-shot U-statistic variance of the reader-averaged AUC (readers and cases random).

The reader-averaged AUC of a modality is a weighted sum of Mann-Whitney kernels
psi_r(i, j) over readers r, normals i and abnormals j that reader r read. Its second moment
is a weighted sum of eight product moments E[psi_r(i, j) psi_r'(i', j')], classified by
whether r = r', i = i' and j = j' (Gallas 2006). Each moment is estimated without bias by
the average of the kernel products over the observed index tuples of its class; the mean
squared is estimated by the all-different moment (r != r', i != i', j != j'). Hence

    Var = sum_k c_k M_k - M_8,

with c_k the total design weight of class k. The weights follow the reading design, so the
same estimator covers fully crossed and split-plot (or otherwise not fully crossed) studies
(Gallas & Brown 2008). For a fully crossed study sum_k c_k M_k is the squared reader-averaged
AUC, and the variance equals the squared standard error of the OR analysis with unbiased
covariances when Cov2 >= Cov3 (a derived identity the tests check on Van Dyke).

References
----------
Gallas BD (2006). One-shot estimate of MRMC variance: AUC. Acad Radiol 13:353-362.
Gallas BD, Brown DG (2008). Reader studies for validation of CAD systems. Neural Networks
21:387-397.
Gallas BD, Bandos A, Samuelson FW, Wagner RF (2009). A framework for random-effects ROC
analysis: biases with the bootstrap and other variance estimators. Commun Stat Theory
Methods 38:2586-2603.
"""

from __future__ import annotations

import numpy as np
from scipy import stats as _st

from ._moments import cell_placements, unbiased_pair_sums
from ._table import ScoreTable

__all__ = ["oneshot_variance"]


def _cov_sets(S, cnt, auc, n0, n1, a_cells, b_cells, readers_a, readers_b, n_readers_a, n_readers_b):
    """Unbiased covariance of two reader-averaged AUCs (cell index lists a and b)."""
    a = np.asarray(a_cells)
    b = np.asarray(b_cells)
    same = np.equal.outer(np.asarray(readers_a), np.asarray(readers_b))
    wa = 1.0 / (n_readers_a * n0[a] * n1[a])
    wb = 1.0 / (n_readers_b * n0[b] * n1[b])
    W = np.outer(wa, wb)
    total = 0.0
    m8 = None
    m4_same = None
    for k in range(4):
        Sk = S[k][np.ix_(a, b)]
        Ck = cnt[k][np.ix_(a, b)]
        for mask, tag in ((same, "same"), (~same, "diff")):
            c = Ck[mask].sum()
            if c <= 0:
                continue
            moment = Sk[mask].sum() / c
            total += (Ck[mask] * W[mask]).sum() * moment
            if k == 3 and tag == "diff":
                m8 = moment
            if k == 3 and tag == "same":
                m4_same = moment
    if m8 is None:  # a single reader: no reader variability can be estimated
        m8 = m4_same
    return total - m8


def oneshot_variance(data: ScoreTable, *, alpha=0.05) -> dict:
    """Gallas one-shot (unbiased U-statistic) MRMC variance of reader-averaged AUCs.

    Parameters
    ----------
    data : ScoreTable
        Any design: fully crossed, split-plot, or with missing ratings. Each reader must
        have read both classes in every modality he read.
    alpha : float
        For normal-approximation CIs (iMRMC's BDG degrees of freedom are not computed).

    Returns
    -------
    dict
        ``single_modality``: modality -> ``auc``, ``var``, ``se``, ``ci``;
        ``differences``: "a-b" -> ``estimate``, ``var``, ``se``, ``ci`` for every pair of
        modalities (first minus second), with the readers of both modalities paired by label.

    Notes
    -----
    Unbiased estimates can be negative in small studies; the SE is then reported as NaN.
    """
    if not isinstance(data, ScoreTable):
        raise TypeError(f"data must be a ScoreTable; got {type(data).__name__}")
    M, R, N = data.scores.shape
    read = data.read
    has = read.any(axis=2)  # reader read something in this modality
    # cells that exist; drop empty ones before computing placements
    keep = [(m, r) for m in range(M) for r in range(R) if has[m, r]]
    sub = ScoreTable(data.cases, data.truth, tuple(f"{m}" for m in range(len(keep))), ("x",),
                     np.stack([data.scores[m, r] for m, r in keep])[:, None, :])
    cells = cell_placements(sub)
    S, cnt = unbiased_pair_sums(sub, cells)
    n0 = cells.n0.astype(float)
    n1 = cells.n1.astype(float)
    by_mod = {m: [i for i, (mm, _) in enumerate(keep) if mm == m] for m in range(M)}
    rdr = {m: [keep[i][1] for i in by_mod[m]] for m in range(M)}
    z = _st.norm.ppf(1 - alpha / 2)
    out = {"single_modality": {}, "differences": {}}
    var = {}
    mean = {}
    for m in range(M):
        cs = by_mod[m]
        mean[m] = float(cells.auc[cs].mean())
        var[m] = _cov_sets(S, cnt, cells.auc, n0, n1, cs, cs, rdr[m], rdr[m], len(cs), len(cs))
        se = np.sqrt(var[m]) if var[m] >= 0 else np.nan
        out["single_modality"][data.modalities[m]] = {"auc": mean[m], "var": float(var[m]), "se": float(se),
                                                      "ci": (float(mean[m] - z * se), float(mean[m] + z * se)),
                                                      "n_readers": len(cs)}
    for a in range(M):
        for b in range(a + 1, M):
            ca, cb = by_mod[a], by_mod[b]
            cab = _cov_sets(S, cnt, cells.auc, n0, n1, ca, cb, rdr[a], rdr[b], len(ca), len(cb))
            v = var[a] + var[b] - 2 * cab
            est = mean[a] - mean[b]
            se = np.sqrt(v) if v >= 0 else np.nan
            out["differences"][f"{data.modalities[a]}-{data.modalities[b]}"] = {
                "estimate": float(est), "var": float(v), "se": float(se), "cov": float(cab),
                "ci": (float(est - z * se), float(est + z * se))}
    return out
