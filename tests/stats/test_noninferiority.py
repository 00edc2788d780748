"""Non-inferiority test (Chen, Petrick & Sahiner 2012) against the published RRRC results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scipy import stats as sst

from victwin.stats import mrmc, non_inferiority, read_imrmc

DATA = Path(__file__).parent / "data"
Q = json.loads((DATA / "vandyke_expected.json").read_text())["quantities"]


@pytest.fixture(scope="module")
def res():
    return mrmc(read_imrmc(DATA / "vandyke.imrmc"))


def test_zero_margin_is_the_one_sided_half_of_the_published_two_sided_p(res):
    """Modality 2 vs 1 with margin 0: the one-sided p of a symmetric t test is half the
    two-sided RRRC p (RJafroc dataset02-OR-Wilcoxon.rds, full precision)."""
    ni = non_inferiority(res, 0.0, new="2", reference="1")
    ref = Q["or_jackknife"]["rrrc"]["diff"]["1-2"]
    assert ni["difference"] == pytest.approx(-ref["estimate"][1]["value"], rel=1e-10)
    assert ni["p"] == pytest.approx(ref["p"][1]["value"] / 2, rel=1e-9)


def test_margin_shifts_the_statistic_and_matches_the_confidence_bound(res):
    ref = Q["or_jackknife"]["rrrc"]["diff"]["1-2"]
    se, df = ref["se"][1]["value"], ref["df"][1]["value"]
    for margin in (0.01, 0.05, 0.1):
        ni = non_inferiority(res, margin, new="1", reference="2")
        t = (ref["estimate"][1]["value"] + margin) / se
        assert ni["statistic"] == pytest.approx(t, rel=1e-9)
        assert ni["p"] == pytest.approx(sst.t.sf(t, df), rel=1e-8)
        # p < alpha exactly when the one-sided lower bound lies above -margin
        assert ni["non_inferior"] == (ni["lower_bound"] > -margin)


def test_fixed_reader_version_uses_normal_quantiles(res):
    ni = non_inferiority(res, 0.05, new="1", reference="2", analysis="frrc")
    d = res.frrc["differences"]["1-2"]
    assert ni["p"] == pytest.approx(sst.norm.sf((d["estimate"] + 0.05) / d["se"]), rel=1e-12)


def test_bad_margin_and_labels(res):
    with pytest.raises(ValueError, match="margin must be"):
        non_inferiority(res, -0.1)
    with pytest.raises(ValueError, match="new must be one of"):
        non_inferiority(res, 0.05, new="9")
