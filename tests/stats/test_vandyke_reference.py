"""Every Van Dyke reference number (Iowa OR-DBM MRMC 2.51, RJafroc, MRMCaov) against victwin.stats.

The expected values and their sources are in ``data/vandyke_expected.json`` (see
``data/README.md``): each leaf is a list of references ``{value, printed, tol, source}`` taken
from an upstream output file (e.g. ``dpc10ster/RJafroc/inst/Iowa/VanDyke.txt``, RJafroc's
saved ``.rds`` test objects at full double precision, MRMCaov's JSS paper output). A number
passes when ``abs(ours - value) <= tol``; the full-precision references have tol
1e-10 * max(1, |v|), far below the required 1e-6 relative.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import stats as sst

from victwin.stats import ScoreTable, dbm, mrmc, read_imrmc

DATA = Path(__file__).parent / "data"
EXPECTED = json.loads((DATA / "vandyke_expected.json").read_text())
OPTIONAL = ("optional_other_metrics",)  # binary sensitivity and binormal AUC: not implemented


def _leaves(tree, prefix=()):
    if isinstance(tree, list):
        yield "/".join(prefix), tree
        return
    for k, v in tree.items():
        yield from _leaves(v, prefix + (k,))


LEAVES = [(p, refs) for p, refs in _leaves(EXPECTED["quantities"]) if not p.startswith(OPTIONAL)]


def _or_values(res, key, out):
    """Flatten an MRMCResult into the fixture's key paths under ``key``."""
    T, J = res.reader_auc.shape
    mods, rdrs = res.modalities, res.readers
    S = res.covariance
    th = res.reader_auc
    an = {"ms_t": res.ms_t, "ms_r": res.ms_r, "ms_tr": res.ms_tr, "ss_t": res.ms_t * (T - 1),
          "ss_r": res.ms_r * (J - 1), "ss_tr": res.ms_tr * (T - 1) * (J - 1)}
    for k, v in an.items():
        out[f"{key}/anova/{k}"] = v
    for k in ("var", "cov1", "cov2", "cov3"):
        out[f"{key}/covariances/{k}"] = getattr(res, k)
    for i in (1, 2, 3):
        out[f"{key}/covariances/corr{i}"] = getattr(res, f"cov{i}") / res.var
    out[f"{key}/variance_components/var_r"] = res.var_r
    out[f"{key}/variance_components/var_tr"] = res.var_tr
    for m in mods:
        s = res.rrrc["single_modality"][m]
        for k in ("ms_r", "var", "cov2"):
            out[f"{key}/by_modality/{m}/{k}"] = s[k]
    for j, r in enumerate(rdrs):
        d = res.frrc["by_reader"][r]["1-2"]
        out[f"{key}/by_reader/{r}/var"] = d["var"]
        out[f"{key}/by_reader/{r}/cov1"] = d["cov1"]
        out[f"{key}/by_reader/{r}/ms_t"] = ((th[:, j] - th[:, j].mean()) ** 2).sum() / (T - 1)

    def diff(prefix, d, stat):
        out[f"{prefix}/diff/1-2/estimate"] = d["estimate"]
        out[f"{prefix}/diff/1-2/se"] = d["se"]
        out[f"{prefix}/diff/1-2/{stat}"] = d[stat]
        out[f"{prefix}/diff/1-2/p"] = d["p"]
        out[f"{prefix}/diff/1-2/ci_lower"], out[f"{prefix}/diff/1-2/ci_upper"] = d["ci"]
        if stat == "t":
            out[f"{prefix}/diff/1-2/df"] = d["df"]

    def single(prefix, res_part):
        for m, s in res_part["single_modality"].items():
            for k in ("auc", "se", "df", "cov2", "ms_r", "var"):
                if k in s:
                    out[f"{prefix}/single_modality/{m}/{k}"] = s[k]
            out[f"{prefix}/single_modality/{m}/ci_lower"], out[f"{prefix}/single_modality/{m}/ci_upper"] = s["ci"]

    r = res.rrrc
    out.update({f"{key}/rrrc/F": r["statistic"], f"{key}/rrrc/ddf": r["ddf"], f"{key}/rrrc/p": r["p"],
                f"{key}/rrrc/den": r["den"], f"{key}/rrrc/df1": r["df1"], f"{key}/rrrc/ms_t": res.ms_t})
    diff(f"{key}/rrrc", r["differences"]["1-2"], "t")
    single(f"{key}/rrrc", r)
    f = res.frrc
    out.update({f"{key}/frrc/chi2": f["statistic"], f"{key}/frrc/df": f["df"], f"{key}/frrc/p": f["p"],
                f"{key}/frrc/den": f["den"]})
    diff(f"{key}/frrc", f["differences"]["1-2"], "z")
    single(f"{key}/frrc", f)
    z = sst.norm.ppf(0.975)
    for j, rd in enumerate(rdrs):
        d = f["by_reader"][rd]["1-2"]
        for k in ("estimate", "se", "z", "p"):
            out[f"{key}/frrc/by_reader/{rd}/{k}"] = d[k]
        out[f"{key}/frrc/by_reader/{rd}/ci_lower"], out[f"{key}/frrc/by_reader/{rd}/ci_upper"] = d["ci"]
        out[f"{key}/frrc/by_reader/{rd}/var"] = d["var"]
        out[f"{key}/frrc/by_reader/{rd}/cov1"] = d["cov1"]
        for i, m in enumerate(mods):
            se = np.sqrt(S[i, j, i, j])
            out[f"{key}/jackknife_se_single_auc/{m}/{rd}"] = se
            # MRMCaov prints these intervals clipped to [0, 1] (noted in the fixture)
            out[f"{key}/frrc/single_reader_auc_ci/{m}/{rd}/ci_lower"] = max(th[i, j] - z * se, 0.0)
            out[f"{key}/frrc/single_reader_auc_ci/{m}/{rd}/ci_upper"] = min(th[i, j] + z * se, 1.0)
    q = res.rrfc
    out.update({f"{key}/rrfc/F": q["statistic"], f"{key}/rrfc/p": q["p"], f"{key}/rrfc/df1": q["df1"],
                f"{key}/rrfc/df2": q["df"]})
    diff(f"{key}/rrfc", q["differences"]["1-2"], "t")
    single(f"{key}/rrfc", q)


def _recode(table, how):
    c, tr, m, rd, s = table.to_records()
    prefix = rd if how == "reader" else m
    return ScoreTable.from_arrays(np.char.add(np.char.add(prefix.astype(str), "."), c.astype(str)), tr, m, rd, s)


@pytest.fixture(scope="module")
def ours():
    t = read_imrmc(DATA / "vandyke.imrmc")
    out = {}
    res = mrmc(t, "jackknife")
    for i, m in enumerate(t.modalities):
        out[f"auc/modality_mean/{m}"] = res.mean_auc[i]
        for j, r in enumerate(t.readers):
            out[f"auc/by_modality_reader/{m}/{r}"] = res.reader_auc[i, j]
    out["auc/mean_difference/1-2"] = res.difference
    _or_values(res, "or_jackknife", out)
    _or_values(mrmc(t, "delong"), "or_delong", out)
    _or_values(mrmc(t, "unbiased"), "or_unbiased", out)
    _or_values(mrmc(_recode(t, "reader")), "or_jackknife_cases_within_reader", out)
    _or_values(mrmc(_recode(t, "modality")), "or_jackknife_cases_within_modality", out)

    d = dbm(t)
    for k, v in d.variance_components.items():
        out[f"dbm_jackknife/variance_components/{k}"] = v
    for k, v in d.mean_squares.items():
        out[f"dbm_jackknife/mean_squares/{k}"] = v
        out[f"dbm_jackknife/degrees_of_freedom/{k}"] = d.df[k]
    out.update({"dbm_jackknife/rrrc/F": d.statistic, "dbm_jackknife/rrrc/ddf": d.ddf,
                "dbm_jackknife/rrrc/p": d.p, "dbm_jackknife/rrrc/den": d.den})

    # reader 1 alone, fixed readers (Iowa VanDyke1R.txt): the FRRC test of one reader
    d1 = res.frrc["by_reader"]["1"]["1-2"]
    p = "subset_reader1/frrc"
    out.update({f"{p}/chi2": d1["z"] ** 2, f"{p}/p": d1["p"], f"{p}/diff/1-2/estimate": d1["estimate"],
                f"{p}/diff/1-2/se": d1["se"], f"{p}/diff/1-2/z": d1["z"], f"{p}/diff/1-2/p": d1["p"],
                f"{p}/diff/1-2/ci_lower": d1["ci"][0], f"{p}/diff/1-2/ci_upper": d1["ci"][1]})
    z = sst.norm.ppf(0.975)
    for i, m in enumerate(t.modalities):
        v = res.covariance[i, 0, i, 0]
        a = res.reader_auc[i, 0]
        out.update({f"{p}/single_modality/{m}/auc": a, f"{p}/single_modality/{m}/se": np.sqrt(v),
                    f"{p}/single_modality/{m}/var": v,
                    f"{p}/single_modality/{m}/ci_lower": a - z * np.sqrt(v),
                    f"{p}/single_modality/{m}/ci_upper": a + z * np.sqrt(v)})
    return out


def test_every_reference_is_mapped(ours):
    """No fixture number (outside the optional metrics) goes unchecked."""
    missing = [p for p, _ in LEAVES if p not in ours]
    assert missing == []


@pytest.mark.parametrize("path,refs", LEAVES, ids=[p for p, _ in LEAVES])
def test_reference_value(ours, path, refs):
    val = ours[path]
    for ref in refs:
        assert abs(val - ref["value"]) <= ref["tol"], (path, val, ref["value"], ref["tol"], ref["source"])


def test_full_precision_references_agree_to_1e6_relative(ours):
    """The issue's bar: every reference printed to 1e-6 relative or better agrees to <= 1e-6 relative.

    (Iowa values printed to 8 decimals, e.g. SS(T*R) = 0.00220412, carry less than 6
    significant digits; they are checked to their own tol in ``test_reference_value``.)
    """
    n = 0
    for path, refs in LEAVES:
        for ref in refs:
            if ref["value"] != 0 and ref["tol"] <= 1e-6 * abs(ref["value"]):
                n += 1
                assert abs(ours[path] - ref["value"]) <= 1e-6 * abs(ref["value"]), path
    assert n > 200


@pytest.mark.parametrize("T", [2, 3])
def test_dbm_and_or_jackknife_give_the_same_test(T):
    """Hillis et al. (2005): DBM and OR with jackknife covariances give identical F, ddf, p."""
    rng = np.random.default_rng(3)
    K, J = 40, 4
    truth = np.r_[np.zeros(K // 2), np.ones(K // 2)].astype(int)
    scores = rng.normal(size=(T, J, K)) + np.array([1.0, 1.4, 0.7])[:T, None, None] * truth
    t = ScoreTable(tuple(map(str, range(K))), truth, tuple("abc"[:T]), tuple("wxyz"), scores)
    o = mrmc(t, "jackknife")
    d = dbm(t)
    assert d.statistic == pytest.approx(o.rrrc["statistic"], rel=1e-10)
    assert d.ddf == pytest.approx(o.rrrc["ddf"], rel=1e-10)
    assert d.p == pytest.approx(o.rrrc["p"], rel=1e-9)
