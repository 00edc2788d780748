"""Clustered ROC analysis (Obuchowski 1997) and clustered OR MRMC, against a published
computation, DeLong (one unit per cluster), a brute-force cluster jackknife and bootstrap, and
the coverage of its confidence interval on simulated clustered data with a known AUC.

Published reference: FDA's mitoticFigureCounts study (Tabata et al. 2019, Diagn Pathol
14:65; CC0): 155 candidate mitotic figures in 4 whole-slide images (the clusters), 5
pathologists, microscope vs four scanners. ``data/mitotic_cluster_expected.json`` holds the
package's stored output (``data/aucMRMCcluster.rda``) of its clustered OR analysis: the cell
AUCs, the 10 x 10 Obuchowski (1997) cell covariance matrix, F, ddf, p and SEs; computed in R
by code that shares nothing with victwin.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from scipy import stats as sst

from victwin.stats import (ScoreTable, auc, clustered_auc_ci, clustered_auc_cov,
                           clustered_cell_covariance, clustered_mrmc, delong_cov, read_imrmc)

DATA = Path(__file__).parent / "data"
MITOTIC = json.loads((DATA / "mitotic_cluster_expected.json").read_text())
OBSERVERS = [f"observer.{k}" for k in range(1, 6)]


def _mitotic_table(scanner: str):
    rows = list(csv.DictReader(open(DATA / "mitotic_classify.csv")))
    mods = ["microscope", f"scanner.{scanner}"]
    recs = [(r["targetID"], int(r["truth"]), r["modalityID"], o, float(r[o]))
            for r in rows if r["modalityID"] in mods for o in OBSERVERS]
    c, t, m, rd, s = (np.array(x) for x in zip(*recs))
    table = ScoreTable.from_arrays(c, t, m, rd, s, modality_order=mods)
    return table, {r["targetID"]: r["wsiName"] for r in rows}


@pytest.mark.parametrize("scanner", ["A", "B", "C", "D"])
def test_clustered_or_matches_the_published_mitotic_figure_analysis(scanner):
    ref = MITOTIC["scanners"][f"Scanner{scanner}"]
    table, wsi = _mitotic_table(scanner)
    theta, cov, summary = clustered_cell_covariance(table, wsi, return_summary=True)
    assert summary.n_clusters == 4 and summary.n_present + summary.n_absent == 155
    np.testing.assert_allclose(theta, ref["theta_hat"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(cov.reshape(10, 10), ref["cov_hat"], rtol=0, atol=1e-15)
    res = clustered_mrmc(table, wsi)
    assert res.rrrc["statistic"] == pytest.approx(ref["F"], rel=1e-10)
    assert res.rrrc["ddf"] == pytest.approx(ref["ddf"], rel=1e-10)
    assert res.rrrc["p"] == pytest.approx(ref["p"], rel=1e-10)
    assert res.rrrc["se"] == pytest.approx(ref["se_diff"], rel=1e-10)
    for k, m in enumerate(ref["modalities"]):
        assert res.rrrc["single_modality"][m]["se"] == pytest.approx(ref["se_single"][k], rel=1e-10)
        assert res.rrrc["single_modality"][m]["df"] == pytest.approx(ref["df_single"][k], rel=1e-10)


# ------------------------------------------------------------------ one unit per cluster


def test_one_unit_per_cluster_is_delong_on_proc_asah_data():
    """Singleton clusters: S11 = 0 and I10 = M, I01 = N, so Obuchowski's estimator is DeLong's.
    victwin's DeLong (``delong_cov``: searchsorted placements, np.cov) is itself tested against
    pROC; the clustered code takes its placements from mid-ranks and sums per cluster."""
    rows = list(csv.DictReader(open(DATA / "asah.csv")))
    y = np.array([r["outcome"] == "Poor" for r in rows], dtype=int)
    x = np.array([[float(r[k]) for r in rows] for k in ("wfns", "ndka", "s100b")])
    a_c, c_c = clustered_auc_cov(x, y, np.arange(y.size))
    a_d, c_d = delong_cov(x, y)
    np.testing.assert_allclose(a_c, a_d, rtol=1e-14)
    np.testing.assert_allclose(c_c, c_d, rtol=1e-12, atol=1e-18)
    # and pROC's published DeLong variance of wfns (test-var.R): 0.00146991470882363
    assert c_c[0, 0] == pytest.approx(0.00146991470882363, abs=1e-15)


def test_one_case_per_cluster_clustered_or_is_or_with_delong_covariances():
    """Van Dyke, each case its own cluster: the clustered OR analysis must give the published
    OR-with-DeLong-covariances result (MRMCaov JSS paper: F = 4.484854, ddf = 15.06611,
    p = 0.05123303; Var 0.0007921325, Cov1 0.0003420090, Cov2 0.0003395265, Cov3 0.0002358497)."""
    t = read_imrmc(DATA / "vandyke.imrmc")
    res = clustered_mrmc(t, {c: c for c in t.cases})
    assert res.rrrc["statistic"] == pytest.approx(4.484854, abs=5e-7)
    assert res.rrrc["ddf"] == pytest.approx(15.06611, abs=5e-6)
    assert res.rrrc["p"] == pytest.approx(0.05123303, abs=5e-9)
    for got, want in ((res.var, 0.0007921325), (res.cov1, 0.0003420090),
                      (res.cov2, 0.0003395265), (res.cov3, 0.0002358497)):
        assert got == pytest.approx(want, abs=5e-11)


# ------------------------------------------------------------------ simulated clustered data


def _twins(rng, n_twins, n_present, n_absent, *, sd_signal=0.0, sd_shared=0.0, d=1.0):
    """Scores of ROIs of simulated twins (higher = lesion more likely).

    Each twin has ``n_present`` lesion-present and ``n_absent`` lesion-absent ROIs. A twin-level
    lesion conspicuity ``d + sd_signal * z1`` is shared by all its lesion-present ROIs (anatomy
    that hides or shows every lesion of that twin); ``sd_shared * z2`` shifts every ROI of the
    twin alike (an additive anatomy term seen by present and absent ROIs). ROI noise N(0, 1).
    """
    per = n_present + n_absent
    cl = np.repeat(np.arange(n_twins), per)
    truth = np.tile(np.r_[np.ones(n_present), np.zeros(n_absent)], n_twins).astype(int)
    signal = (d + sd_signal * rng.standard_normal(n_twins))[cl]
    shared = sd_shared * rng.standard_normal(n_twins)[cl]
    return shared + truth * signal + rng.standard_normal(cl.size), truth, cl


def _cluster_jackknife_var(scores, truth, cl):
    """Leave one twin out, recompute the AUC, (I - 1)/I times the sum of squared deviations."""
    twins = np.unique(cl)
    reps = []
    for k in twins:
        keep = cl != k
        reps.append(auc(scores[keep], truth[keep]))
    reps = np.array(reps)
    return (len(twins) - 1) / len(twins) * ((reps - reps.mean()) ** 2).sum()


def _cluster_bootstrap_var(scores, truth, cl, rng, n_boot):
    """Resample twins with replacement (all ROIs of a drawn twin), variance of the AUCs."""
    twins = np.unique(cl)
    members = [np.flatnonzero(cl == k) for k in twins]
    reps = []
    for _ in range(n_boot):
        drawn = rng.integers(0, len(twins), len(twins))
        sel = np.concatenate([members[k] for k in drawn])
        reps.append(auc(scores[sel], truth[sel]))
    return np.var(reps, ddof=1)


@pytest.mark.parametrize("design", [(40, 4, 12, 1.0, 0.0), (40, 4, 12, 0.0, 1.0), (80, 1, 1, 0.5, 1.0)])
def test_analytic_clustered_variance_agrees_with_brute_force_cluster_resampling(design):
    """Tolerances: the cluster jackknife and Obuchowski's estimator differ by O(1/I) only
    (measured ratio 0.99-1.02 at I = 40-80 over seeds), so 6%; the 2000-draw bootstrap has a
    Monte Carlo relative SD of sqrt(2/2000) = 3% on top of its own O(1/I) bias, so 15%."""
    n_twins, m, n, sd_signal, sd_shared = design
    rng = np.random.default_rng(2026)
    s, t, cl = _twins(rng, n_twins, m, n, sd_signal=sd_signal, sd_shared=sd_shared)
    _, c = clustered_auc_cov(s, t, cl)
    assert _cluster_jackknife_var(s, t, cl) == pytest.approx(c[0, 0], rel=0.06)
    assert _cluster_bootstrap_var(s, t, cl, rng, 2000) == pytest.approx(c[0, 0], rel=0.15)


def test_clustered_covariance_of_two_tests_agrees_with_the_cluster_jackknife():
    rng = np.random.default_rng(7)
    s1, t, cl = _twins(rng, 50, 4, 12, sd_signal=0.8)
    s2 = s1 + rng.standard_normal(s1.size) + 0.3 * t   # a second reading of the same ROIs
    _, c = clustered_auc_cov(np.vstack([s1, s2]), t, cl)
    v_diff = c[0, 0] + c[1, 1] - 2 * c[0, 1]
    twins = np.unique(cl)
    reps = np.array([auc(s1[cl != k], t[cl != k]) - auc(s2[cl != k], t[cl != k]) for k in twins])
    jk = (len(twins) - 1) / len(twins) * ((reps - reps.mean()) ** 2).sum()
    assert jk == pytest.approx(v_diff, rel=0.06)


def test_strong_within_twin_correlation_inflates_the_clustered_se():
    """VICTRE-like twins (4 lesion-present, 12 lesion-absent ROIs) whose anatomy makes all
    their lesions more or less conspicuous: the ROIs of a twin are not independent and the
    clustered SE must exceed the ROI-level (DeLong) SE, by a clear margin."""
    rng = np.random.default_rng(11)
    s, t, cl = _twins(rng, 50, 4, 12, sd_signal=1.0)
    _, c = clustered_auc_cov(s, t, cl)
    _, d = delong_cov(s, t)
    assert np.sqrt(c[0, 0]) > 1.3 * np.sqrt(d[0, 0])


def _expected_auc(n_twins, m, n, sd_signal, sd_shared, d):
    """Expectation of the empirical AUC of :func:`_twins` data, pair by pair: a present and an
    absent ROI of different twins differ by N(d, 1 + 1 + sd_signal^2 + 2 sd_shared^2); of the
    same twin by N(d, 2 + sd_signal^2) (the shared term cancels)."""
    within = 1.0 / n_twins   # fraction of (present, absent) pairs from the same twin
    a_between = sst.norm.cdf(d / np.sqrt(2 + sd_signal ** 2 + 2 * sd_shared ** 2))
    a_within = sst.norm.cdf(d / np.sqrt(2 + sd_signal ** 2))
    return within * a_within + (1 - within) * a_between


@pytest.mark.parametrize("design, naive_covers", [
    # several ROIs per twin sharing lesion conspicuity: the ROI-level CI is too narrow
    ((40, 4, 12, 1.0, 0.0), "under"),
    # today's design, one present and one absent ROI per twin sharing anatomy additively:
    # the pair is like a paired comparison and the ROI-level CI is too wide
    ((60, 1, 1, 0.0, 1.5), "over"),
])
def test_clustered_ci_covers_the_true_auc_95_percent(design, naive_covers):
    n_twins, m, n, sd_signal, sd_shared = design
    truth_auc = _expected_auc(n_twins, m, n, sd_signal, sd_shared, 1.0)
    rng = np.random.default_rng(314)
    n_rep = 400
    z = sst.norm.ppf(0.975)
    hit_c = hit_n = 0
    for _ in range(n_rep):
        s, t, cl = _twins(rng, n_twins, m, n, sd_signal=sd_signal, sd_shared=sd_shared)
        a, se, ci = clustered_auc_ci(s, t, cl)
        hit_c += ci[0] <= truth_auc <= ci[1]
        _, dv = delong_cov(s, t)
        hit_n += abs(a - truth_auc) <= z * np.sqrt(dv[0, 0])
    cov_c, cov_n = hit_c / n_rep, hit_n / n_rep
    # binomial SD of a 95% coverage over 400 replicates is 1.1%; allow about 3 SD
    assert 0.91 <= cov_c <= 0.985, cov_c
    if naive_covers == "under":
        assert cov_n < 0.88, cov_n
    else:
        assert cov_n > 0.985, cov_n


def test_bad_input_gives_one_line_errors():
    s = np.arange(8.0)
    t = np.array([0, 1] * 4)
    with pytest.raises(ValueError, match="at least 2 clusters"):
        clustered_auc_cov(s, t, [0] * 8)
    with pytest.raises(ValueError, match="one label per unit"):
        clustered_auc_cov(s, t, [0, 1])
    with pytest.raises(ValueError, match="truth must be 0 or 1"):
        clustered_auc_cov(s, t * 2, np.arange(8))
    tab = ScoreTable(tuple("abcdefgh"), t, ("A", "B"), ("r1", "r2"),
                     np.where(np.arange(8) == 0, np.nan, np.ones((2, 2, 8)) * s))
    with pytest.raises(ValueError, match="fully crossed"):
        clustered_mrmc(tab, {c: c for c in "abcdefgh"})
    with pytest.raises(ValueError, match="no cluster for unit 'h'"):
        clustered_mrmc(tab, {c: c for c in "abcdefg"})


def test_partial_covariance_equals_the_complete_one_on_a_fully_crossed_table():
    from victwin.stats._cluster import clustered_covariance_partial

    table, wsi = _mitotic_table("C")
    theta, cov = clustered_cell_covariance(table, wsi)
    a, c = clustered_covariance_partial(table, wsi)
    np.testing.assert_allclose(a, theta.reshape(-1), rtol=1e-14)
    np.testing.assert_allclose(c, cov.reshape(10, 10), rtol=1e-12, atol=1e-18)


def test_mrmc_variance_of_the_reader_averaged_difference_agrees_with_the_cluster_jackknife():
    """2 modalities x 3 readers on VICTRE-like twins: the variance of the reader-averaged AUC
    difference from the clustered cell covariance matrix (readers fixed) against leaving one
    twin out, written out plainly."""
    rng = np.random.default_rng(99)
    base, truth, cl = _twins(rng, 40, 4, 12, sd_signal=0.8)
    amp = {"A": 0.0, "B": 0.4}
    scores = np.array([[base + amp[m] * truth + 0.7 * rng.standard_normal(base.size)
                        for _ in range(3)] for m in ("A", "B")])           # (2, 3, n)
    cases = [f"roi{k}" for k in range(base.size)]
    table = ScoreTable(tuple(cases), truth, ("A", "B"), ("r1", "r2", "r3"), scores)
    _, cov = clustered_cell_covariance(table, {c: int(k) for c, k in zip(cases, cl)})
    w = np.array([[1, 1, 1], [-1, -1, -1]]) / 3.0                        # mean A - mean B
    v = np.einsum("ij,ijkl,kl->", w, cov, w)

    def diff(keep):
        return np.mean([auc(scores[0, r, keep], truth[keep]) - auc(scores[1, r, keep], truth[keep])
                        for r in range(3)])

    twins = np.unique(cl)
    reps = np.array([diff(cl != k) for k in twins])
    jk = (len(twins) - 1) / len(twins) * ((reps - reps.mean()) ** 2).sum()
    assert jk == pytest.approx(v, rel=0.06)
