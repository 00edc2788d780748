"""Subgroup analysis: the between-subgroup test against MRMCaov's nested-design output, the
multiplicity corrections against their definitions, the table and the forest plot."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import stats as sst
from scipy.special import expit, logit

from victwin.stats import ScoreTable, adjust_pvalues, mrmc, read_imrmc, subgroup_analysis

DATA = Path(__file__).parent / "data"
Q = json.loads((DATA / "vandyke_expected.json").read_text())["quantities"]


def _nested_in_subgroup():
    """Van Dyke re-coded so that subgroup g holds modality g's ratings on its own copy of the
    cases ('<g>.<case>'), compared with a constant rating (AUC 1/2, zero variance). The
    between-subgroup test is then the OR test of MRMCaov's cases-within-modality design."""
    t = read_imrmc(DATA / "vandyke.imrmc")
    c, tr, m, rd, s = t.to_records()
    ids = np.char.add(np.char.add(m.astype(str), "."), c.astype(str))
    tab = ScoreTable.from_arrays(np.r_[ids, ids], np.r_[tr, tr], np.r_[np.full(ids.size, "x"),
                                 np.full(ids.size, "const")], np.r_[rd, rd], np.r_[s, np.zeros(s.size)])
    return tab, {k: k.split(".")[0] for k in tab.cases}


def test_between_subgroup_test_matches_mrmcaov_cases_nested_design():
    tab, groups = _nested_in_subgroup()
    res = subgroup_analysis(tab, groups)
    ref = Q["or_jackknife_cases_within_modality"]["rrrc"]   # MRMCaov docs/jss/MRMCaov.tex
    for key, val in (("F", res.interaction["statistic"]), ("ddf", res.interaction["ddf"]),
                     ("p", res.interaction["p"])):
        for r in ref[key]:
            assert abs(val - r["value"]) <= r["tol"], key
    assert res.interaction["cov"]["cov1"] == pytest.approx(0.0, abs=1e-20)  # disjoint cases
    assert res.interaction["cov"]["cov3"] == pytest.approx(0.0, abs=1e-20)


def test_per_subgroup_rows_equal_separate_analyses():
    t = read_imrmc(DATA / "vandyke.imrmc")
    groups = {c: ("odd" if int(c) % 2 else "even") for c in t.cases}
    res = subgroup_analysis(t, groups, cov="delong", correction="bonferroni")
    for row in res.rows:
        sub = t.subset(cases=[c for c in t.cases if groups[c] == row["subgroup"]])
        d = mrmc(sub, "delong").rrrc["differences"]["1-2"]
        assert row["difference"] == pytest.approx(d["estimate"], rel=1e-14)
        assert row["ci"] == pytest.approx(d["ci"], rel=1e-14)
        assert row["p_adjusted"] == pytest.approx(min(1.0, 2 * d["p"]), rel=1e-14)
        lo, hi = row["ci_simultaneous"]
        assert lo < row["ci"][0] and hi > row["ci"][1]   # alpha/2 intervals are wider
    assert res.overall["difference"] == pytest.approx(mrmc(t, "delong").difference, rel=1e-14)


def test_adjust_pvalues_definitions():
    p = np.array([0.01, 0.04, 0.03, 0.2])
    np.testing.assert_allclose(adjust_pvalues(p, "bonferroni"), [0.04, 0.16, 0.12, 0.8])
    # Holm (1979): sorted p * (n - i + 1), running maximum
    np.testing.assert_allclose(adjust_pvalues(p, "holm"), [0.04, 0.09, 0.09, 0.2])
    np.testing.assert_allclose(adjust_pvalues(p, "none"), p)
    with pytest.raises(ValueError, match="correction must be"):
        adjust_pvalues(p, "sidak")


def test_table_and_forest_plot(tmp_path):
    import matplotlib.image as mpimg

    t = read_imrmc(DATA / "vandyke.imrmc")
    groups = [("odd" if int(c) % 2 else "even") for c in t.cases]
    res = subgroup_analysis(t, groups)
    text = res.table()
    assert "odd" in text and "even" in text and "between subgroups" in text
    # the columns say what they count; the odd row's counts are the truth counts of odd cases
    header = text.splitlines()[1].split()
    assert header[1:3] == ["normal", "abnormal"]
    odd = next(line.split() for line in text.splitlines() if line.startswith("odd"))
    is_odd = np.array([int(c) % 2 == 1 for c in t.cases])
    assert [int(odd[1]), int(odd[2])] == [int(np.sum(is_odd & (t.truth == 0))),
                                          int(np.sum(is_odd & (t.truth == 1)))]
    out = tmp_path / "forest.png"
    res.forest_plot(out)
    img = mpimg.imread(out)
    assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 300
    assert img[..., :3].std() > 0.05   # something was drawn
    d = res.to_dict()
    json.dumps(d, allow_nan=False)
    assert [r["subgroup"] for r in d["subgroups"]] == ["odd", "even"]


def test_bad_groups():
    t = read_imrmc(DATA / "vandyke.imrmc")
    with pytest.raises(ValueError, match="no label for case"):
        subgroup_analysis(t, {"1": "a"})
    with pytest.raises(ValueError, match="at least 2 subgroups"):
        subgroup_analysis(t, ["a"] * t.n_cases)
    with pytest.raises(ValueError, match="needs at least 2 of each"):
        subgroup_analysis(t, ["a"] * (t.n_cases - 1) + ["b"])


# ------------------------------------------------------------------ clusters and small subgroups


def _clustered_vandyke():
    """Van Dyke with pairs of consecutive cases as clusters (a stand-in for the ROIs of one
    twin) and subgroups defined per cluster (like breast density, a twin attribute)."""
    t = read_imrmc(DATA / "vandyke.imrmc")
    clusters = {c: f"k{k // 2}" for k, c in enumerate(t.cases)}
    groups = {c: ("a" if int(clusters[c][1:]) % 3 else "b") for c in t.cases}
    return t, clusters, groups


def test_clustered_rows_and_all_row_equal_separate_clustered_analyses():
    from victwin.stats import clustered_mrmc

    t, clusters, groups = _clustered_vandyke()
    res = subgroup_analysis(t, groups, clusters=clusters, min_cases=3)
    assert res.cov_method == "clustered"
    for row in res.rows:
        sub = t.subset(cases=[c for c in t.cases if groups[c] == row["subgroup"]])
        d = clustered_mrmc(sub, clusters).rrrc["differences"]["1-2"]
        assert row["difference"] == pytest.approx(d["estimate"], rel=1e-14)
        assert row["se"] == pytest.approx(d["se"], rel=1e-12)
        assert row["n_clusters"] == len({clusters[c] for c in sub.cases})
    head = clustered_mrmc(t, clusters).rrrc["differences"]["1-2"]   # the headline
    assert res.overall["difference"] == pytest.approx(head["estimate"], rel=1e-14)
    assert res.overall["se"] == pytest.approx(head["se"], rel=1e-12)
    assert res.overall["ci"] == pytest.approx(head["ci"], rel=1e-12)
    assert res.interaction is not None and 0 <= res.interaction["p"] <= 1
    # clusters are nested in subgroups: no covariance between subgroups' differences
    assert res.interaction["cov"]["cov1"] == 0.0 and res.interaction["cov"]["cov3"] == 0.0


def test_clustered_between_subgroup_test_with_singleton_clusters_is_the_delong_one():
    """One case per cluster: the clustered covariances (complete and partial) are DeLong's,
    so the clustered between-subgroup test must equal the ROI-level DeLong test."""
    t = read_imrmc(DATA / "vandyke.imrmc")
    groups = {c: ("odd" if int(c) % 2 else "even") for c in t.cases}
    a = subgroup_analysis(t, groups, clusters={c: c for c in t.cases})
    b = subgroup_analysis(t, groups, cov="delong")
    for key in ("statistic", "ddf", "p"):
        assert a.interaction[key] == pytest.approx(b.interaction[key], rel=1e-10)
    for ra, rb in zip(a.rows, b.rows):
        assert ra["se"] == pytest.approx(rb["se"], rel=1e-10)


def test_a_small_subgroup_gets_a_row_that_says_so_and_all_uses_every_case():
    t = read_imrmc(DATA / "vandyke.imrmc")
    normals = [c for c, y in zip(t.cases, t.truth) if y == 0]
    abnormals = [c for c, y in zip(t.cases, t.truth) if y == 1]
    small = set(normals[:4]) | set(abnormals[:2])
    groups = {c: ("rare" if c in small else ("odd" if int(c) % 2 else "even")) for c in t.cases}
    res = subgroup_analysis(t, groups, cov="delong", min_cases=3)
    by = {r["subgroup"]: r for r in res.rows}
    assert set(by) == {"rare", "odd", "even"}          # no subgroup is dropped
    rare = by["rare"]
    assert rare["too_small"] and rare["n_normal"] == 4 and rare["n_abnormal"] == 2
    assert rare["difference"] is None and "fewer than 3 cases" in rare["note"]
    # the all row is the analysis of every case, the small subgroup included
    assert res.overall["n_normal"] + res.overall["n_abnormal"] == t.n_cases
    assert res.overall["difference"] == pytest.approx(mrmc(t, "delong").difference, rel=1e-14)
    # Holm over the two analysed subgroups only
    p = [by["odd"]["p"], by["even"]["p"]]
    np.testing.assert_allclose([by["odd"]["p_adjusted"], by["even"]["p_adjusted"]],
                               adjust_pvalues(p, "holm"))
    text = res.table()
    assert "rare" in text and "too few cases" in text
    json.dumps(res.to_dict(), allow_nan=False)


def test_one_analysable_subgroup_has_no_between_subgroup_test(tmp_path):
    t = read_imrmc(DATA / "vandyke.imrmc")
    few = [c for c, y in zip(t.cases, t.truth) if y == 1][:1]
    groups = {c: ("tiny" if c in few else "rest") for c in t.cases}
    res = subgroup_analysis(t, groups, min_cases=3)
    assert res.interaction is None
    assert [r["subgroup"] for r in res.rows] == ["rest", "tiny"] or \
        [r["subgroup"] for r in res.rows] == ["tiny", "rest"]
    assert "not tested" in res.table()
    res.forest_plot(tmp_path / "f.png")
    assert (tmp_path / "f.png").stat().st_size > 1000


def _logit_interval(a, se, q):
    """Pepe (2003) sec. 5.2: the Wald interval of logit(AUC), SE by the delta method
    (SE / (A (1 - A))), transformed back; written out here with scipy's logit/expit."""
    h = q * se / (a * (1 - a))
    return expit(logit(a) - h), expit(logit(a) + h)


def test_auc_cis_of_a_row_are_the_logit_intervals_of_the_published_single_treatment_se():
    """``auc_cis``: a row holding every Van Dyke case gives each modality's RRRC AUC with the
    single-treatment SE of the Iowa OR-DBM output (jackknife; observers.md §3.2: T1 SE
    0.03317360, Wald CI (0.8252236, 0.9688505); T2 0.02156637, (0.8941378, 0.9875369)) and
    the logit interval of that SE with the same t quantile: the published Wald CI's midpoint
    is the AUC, its half-width / SE the quantile. Without it the rows carry no such keys."""
    t = read_imrmc(DATA / "vandyke.imrmc")
    groups = {c: "all cases" for c in t.cases}
    res = subgroup_analysis(t, groups, cov="jackknife", min_cases=2, auc_cis=True)
    row = res.rows[0]
    for m, se, wald in (("1", 0.03317360, (0.8252236, 0.9688505)),
                        ("2", 0.02156637, (0.8941378, 0.9875369))):
        assert row["auc_se"][m] == pytest.approx(se, abs=1e-8)
        a, q = (wald[0] + wald[1]) / 2, (wald[1] - wald[0]) / (2 * se)
        assert row["auc"][m] == pytest.approx(a, abs=1e-7)
        assert sst.t.ppf(0.975, row["auc_df"][m]) == pytest.approx(q, rel=1e-6)
        assert row["auc_ci"][m] == pytest.approx(_logit_interval(a, se, q), abs=2e-7)
        # near 0.9 the logit interval is shifted down from the Wald one, not wider than 1
        assert row["auc_ci"][m][1] < wald[1] and row["auc_ci"][m][0] < wald[0]
    assert res.overall["auc_ci"] == row["auc_ci"]
    plain = subgroup_analysis(t, groups, cov="jackknife", min_cases=2)
    assert "auc_ci" not in plain.rows[0] and "auc_se" not in plain.overall


def _two_groups(n_small, n_big, shift_small, shift_big, seed):
    """Two modalities x 4 readers; subgroup 'small' (n_small of each truth) and 'big'
    (n_big of each), binormal ratings with the given separations."""
    rng = np.random.default_rng(seed)
    ids, truth, group = [], [], []
    for g, n in (("small", n_small), ("big", n_big)):
        for k in range(2 * n):
            ids.append(f"{g}{k}")
            truth.append(int(k >= n))
            group.append(g)
    truth = np.array(truth)
    shift = np.where(np.array(group) == "small", shift_small, shift_big)
    scores = rng.normal(size=(2, 4, truth.size)) + truth * shift
    scores[1] += 0.3 * truth * rng.normal(size=(4, truth.size))
    tab = ScoreTable(tuple(ids), truth, ("A", "B"), ("r1", "r2", "r3", "r4"), scores)
    return tab, dict(zip(ids, group))


def test_auc_near_one_in_a_small_subgroup_stays_inside_the_unit_interval():
    """An AUC near 1 from 10 + 10 cases: the Wald interval of the same SE passes 1, the row's
    interval lies inside (0, 1), and on the logit scale its width is 2 t SE / (A (1 - A))
    (the delta method, computed here); the SE is the one of the Wald interval of mrmc()."""
    tab, groups = _two_groups(10, 60, 3.0, 1.0, seed=4)
    res = subgroup_analysis(tab, groups, cov="jackknife", auc_cis=True)
    row = next(r for r in res.rows if r["subgroup"] == "small")
    small = tab.subset(cases=[c for c in tab.cases if groups[c] == "small"])
    single = mrmc(small, "jackknife").rrrc["single_modality"]
    passed = False
    for m in ("A", "B"):
        a, se, df = row["auc"][m], row["auc_se"][m], row["auc_df"][m]
        lo, hi = row["auc_ci"][m]
        wald = single[m]["ci"]
        q = sst.t.ppf(0.975, df)
        assert se == pytest.approx((wald[1] - wald[0]) / (2 * q), rel=1e-10)
        assert a > 0.95 and 0.0 < lo < a < hi < 1.0
        assert logit(hi) - logit(lo) == pytest.approx(2 * q * se / (a * (1 - a)), rel=1e-10)
        assert (lo, hi) == pytest.approx(_logit_interval(a, se, q), abs=1e-12)
        passed = passed or wald[1] > 1.0
    assert passed      # the case this is for: a Wald interval above 1


def test_mid_range_auc_with_many_cases_gives_nearly_the_wald_interval():
    """AUC ~0.75 from 800 + 800 cases: the SE is small against A (1 - A), the logit interval
    is within 3 % of the Wald half-width of it at each end."""
    tab, groups = _two_groups(20, 800, 1.0, 0.95, seed=5)
    res = subgroup_analysis(tab, groups, cov="jackknife", auc_cis=True)
    row = next(r for r in res.rows if r["subgroup"] == "big")
    for m in ("A", "B"):
        a, se, df = row["auc"][m], row["auc_se"][m], row["auc_df"][m]
        half = sst.t.ppf(0.975, df) * se
        assert 0.65 < a < 0.85 and half < 0.05
        lo, hi = row["auc_ci"][m]
        assert abs(lo - (a - half)) < 0.03 * half and abs(hi - (a + half)) < 0.03 * half


def test_forest_rows_say_what_they_count(monkeypatch, tmp_path):
    """Forest labels give abnormal / normal counts and, with clusters, the clusters: three
    cases per cluster here, so cases (ROIs) and clusters (twins) differ. Counted from the
    table built here."""
    from matplotlib.figure import Figure

    from victwin.stats import count_label

    tab, groups = _two_groups(9, 12, 1.0, 1.0, seed=6)
    clusters = {c: f"{groups[c]}-{int(c[len(groups[c]):]) // 3}" for c in tab.cases}
    res = subgroup_analysis(tab, groups, clusters=clusters, auc_cis=True)
    seen = []
    monkeypatch.setattr(Figure, "savefig", lambda fig, *a, **k: seen.append(fig))
    res.forest_plot(tmp_path / "f.png", abnormal="lesion", normal="lesion-absent", unit="ROIs",
                    cluster_unit="twins")
    labels = [t.get_text() for t in seen[0].axes[0].get_yticklabels()]
    assert labels == ["small\nn = 9 lesion / 9 lesion-absent ROIs, 6 twins",
                      "big\nn = 12 lesion / 12 lesion-absent ROIs, 8 twins",
                      "all cases\nn = 21 lesion / 21 lesion-absent ROIs, 14 twins"]
    plain = subgroup_analysis(tab, groups)
    assert count_label(plain.rows[0]) == "n = 9 abnormal / 9 normal cases"
