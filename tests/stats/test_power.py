"""Power and sample size (Hillis, Obuchowski & Berbaum 2011) against RJafroc's published values.

Scenarios and expected outputs: ``data/vandyke_expected.json`` ``power`` (RJafroc
``tests/testthat/test-SsSampleSizeRoc.R`` and ``goodValues361/SsPower/dataset02-*.rds``), with
the pilot components taken from the Van Dyke OR jackknife analysis.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from victwin.stats import mrmc, power, read_imrmc, sample_size

DATA = Path(__file__).parent / "data"
SCENARIOS = json.loads((DATA / "vandyke_expected.json").read_text())["power"]


@pytest.fixture(scope="module")
def pilot():
    return mrmc(read_imrmc(DATA / "vandyke.imrmc"), "jackknife")


@pytest.mark.parametrize("s", SCENARIOS, ids=[f"{s['analysis']}-J{s['J']}-K{s.get('K', 'search')}"
                                              for s in SCENARIOS])
def test_power_scenarios_match_rjafroc(pilot, s):
    effect = s["effect_size"] if isinstance(s["effect_size"], float) else None   # None: observed
    assert s["K_pilot"] == pilot.n_cases
    if "desired_power" in s:
        out = sample_size(pilot=pilot, n_readers=s["J"], effect=effect, target_power=s["desired_power"],
                          analysis=s["analysis"], alpha=s["alpha"])
        got = {"K": out["n_cases"], "power_at_K": out["power"]}
    else:
        out = power(s["J"], s["K"], pilot=pilot, effect=effect, analysis=s["analysis"], alpha=s["alpha"])
        got = out
    for key, refs in s["outputs"].items():
        for ref in refs:
            assert abs(got[key] - ref["value"]) <= ref["tol"], (key, got[key], ref)


def test_components_dict_gives_the_same_power(pilot):
    comp = {"var_tr": pilot.var_tr, "var": pilot.var, "cov1": pilot.cov1, "cov2": pilot.cov2,
            "cov3": pilot.cov3, "n_cases": pilot.n_cases}
    a = power(10, 165, pilot=pilot, effect=0.05)
    b = power(10, 165, pilot=comp, effect=0.05)
    assert a["power"] == b["power"]


def test_power_grows_with_cases_and_readers(pilot):
    p = [power(6, k, pilot=pilot)["power"] for k in (50, 100, 200, 400)]
    assert p == sorted(p)
    q = [power(j, 100, pilot=pilot)["power"] for j in (3, 5, 10, 20)]
    assert q == sorted(q)


def test_size_readers_given_cases(pilot):
    out = sample_size(pilot=pilot, n_cases=200)
    assert out["power"] > 0.8
    assert power(out["n_readers"] - 1, 200, pilot=pilot)["power"] <= 0.8


@pytest.mark.parametrize("kwargs,match", [
    (dict(n_readers=1, n_cases=10), "n_readers must be an integer >= 2"),
    (dict(n_readers=5, n_cases=10, analysis="xyz"), "analysis must be"),
    (dict(n_readers=5, n_cases=10, effect=0.0), "effect must be"),
])
def test_bad_arguments(pilot, kwargs, match):
    with pytest.raises(ValueError, match=match):
        power(pilot=pilot, **kwargs)


def test_unreachable_power_is_reported(pilot):
    with pytest.raises(ValueError, match="no number of cases up to max_n"):
        sample_size(pilot=pilot, n_readers=2, effect=0.001, max_n=500)
