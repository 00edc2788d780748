"""Gallas one-shot U-statistic variance: Van Dyke identity and unbiasedness in split-plot designs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from victwin.stats import ScoreTable, mrmc, oneshot_variance, read_imrmc

DATA = Path(__file__).parent / "data"
Q = json.loads((DATA / "vandyke_expected.json").read_text())["quantities"]


def test_fully_crossed_equals_or_with_unbiased_covariances_published_by_mrmcaov():
    """For fully crossed data with Cov2 >= Cov3 the one-shot variance equals the squared OR SE
    with unbiased covariances (reference README, derived identity); the SEs are MRMCaov's
    (docs/jss/MRMCaov.tex) to their printed precision."""
    t = read_imrmc(DATA / "vandyke.imrmc")
    o = oneshot_variance(t)
    for ref in Q["or_unbiased"]["rrrc"]["diff"]["1-2"]["se"]:
        assert abs(o["differences"]["1-2"]["se"] - ref["value"]) <= ref["tol"]
    for m in ("1", "2"):
        for ref in Q["or_unbiased"]["rrrc"]["single_modality"][m]["se"]:
            assert abs(o["single_modality"][m]["se"] - ref["value"]) <= ref["tol"]
    # and to machine precision against our own OR path (a different code route: cell covariances)
    r = mrmc(t, "unbiased")
    assert o["differences"]["1-2"]["var"] == pytest.approx(r.rrrc["differences"]["1-2"]["se"] ** 2, rel=1e-12)


def _split_plot(rng, n_per=10, groups=2, readers_per_group=3):
    """Two reader groups, each reading its own cases in both modalities (split-plot)."""
    K = groups * 2 * n_per
    truth = np.tile(np.r_[np.zeros(n_per), np.ones(n_per)], groups).astype(int)
    case_group = np.repeat(np.arange(groups), 2 * n_per)
    J = groups * readers_per_group
    reader_group = np.repeat(np.arange(groups), readers_per_group)
    case = rng.normal(size=K)
    case_mod = rng.normal(scale=0.5, size=(2, K))
    rho = rng.normal(scale=0.4, size=(1, J)) + rng.normal(scale=0.3, size=(2, J))   # reader skill
    mu = np.array([1.2, 1.6])
    s = (mu[:, None, None] + rho[:, :, None]) * truth + case + case_mod[:, None, :] + rng.normal(size=(2, J, K))
    s[:, reader_group[:, None] != case_group[None, :]] = np.nan
    return ScoreTable(tuple(map(str, range(K))), truth, ("a", "b"), tuple(map(str, range(J))), s)


def test_split_plot_variance_is_unbiased_over_repeated_studies():
    """Monte Carlo: readers and cases redrawn each time; the mean of the one-shot estimates must
    match the observed variance of the reader-averaged AUC (difference and single modality)
    within Monte Carlo error (|z| < 4; seeded)."""
    rng = np.random.default_rng(0)
    S = 1500
    est = {"d": [], "a": []}
    var = {"d": [], "a": []}
    for _ in range(S):
        t = _split_plot(rng)
        assert not t.fully_crossed
        o = oneshot_variance(t)
        est["d"].append(o["differences"]["a-b"]["estimate"])
        var["d"].append(o["differences"]["a-b"]["var"])
        est["a"].append(o["single_modality"]["a"]["auc"])
        var["a"].append(o["single_modality"]["a"]["var"])
    for k in ("d", "a"):
        x = np.array(est[k])
        v = np.array(var[k])
        emp = x.var(ddof=1)
        z = (v.mean() - emp) / np.hypot(emp * np.sqrt(2 / (S - 1)), v.std(ddof=1) / np.sqrt(S))
        assert abs(z) < 4, (k, emp, v.mean(), z)

