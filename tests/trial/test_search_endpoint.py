"""The search reader's pre-registered rib endpoint (``benchmarks/chest_search_reader.py``)
against a brute-force computation on synthetic LL / highest-NL ratings.

References, sharing no code with the benchmark: each class's AFROC figure of merit from
``scipy.stats.mannwhitneyu`` (U / (n1 n0)) of the nodules' LL ratings against the films'
highest NL ratings (unmarked as a very low number); the weighted sum over size classes written
out; the cluster bootstrap as an explicit loop that copies each resampled twin's nodules and
film as many times as it is drawn (resamples from ``default_rng(19).multinomial``, the
documented matrix).
"""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import mannwhitneyu

from victwin.trial._nodule_classes import NODULE_SIZE_CLASSES, RIB_OVERLAP_CLASSES

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
BETWEEN, OVER = RIB_OVERLAP_CLASSES
N_TWINS = 14
N_BOOT = 25
FLOOR = -1e9                      # "unmarked" in the reference: below every rating here


@pytest.fixture(scope="module")
def bench():
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(BENCHMARKS))
        return importlib.import_module("chest_search_reader")


def synthetic(seed):
    """Four size classes; each twin holds 0-3 nodules of each of the first three classes and
    0-1 of the largest; LL ratings grow with size and fall over ribs; some unmarked; each
    film's highest NL per class reader is the max of a few normal draws (some films
    unmarked)."""
    rng = np.random.default_rng(seed)
    ll, max_nl = {}, {}
    for k, label in enumerate(NODULE_SIZE_CLASSES):
        ratings, ribs, twins = [], [], []
        for t in range(N_TWINS):
            for _ in range(rng.integers(0, 2 if k == 3 else 4)):
                rib = RIB_OVERLAP_CLASSES[rng.integers(2)]
                r = 1.0 + 0.4 * k - 0.5 * (rib == OVER) + rng.normal()
                ratings.append(-np.inf if rng.random() < 0.1 else r)
                ribs.append(rib)
                twins.append(t)
        ll[label] = (np.array(ratings), np.array(ribs), np.array(twins))
        films = rng.normal(size=(N_TWINS, 5)).max(axis=1)
        films[rng.random(N_TWINS) < 0.1] = -np.inf
        max_nl[label] = films
    return ll, max_nl


def reference(ll, max_nl, counts):
    """D with twin t counted counts[t] times, written out (None classes dropped)."""
    num = den = 0.0
    thetas = {}
    for label in NODULE_SIZE_CLASSES:
        r, c, t = ll[label]
        films = np.repeat(np.where(np.isfinite(max_nl[label]), max_nl[label], FLOOR), counts)
        if films.size == 0:
            continue
        th, n = [], []
        for rib in RIB_OVERLAP_CLASSES:
            sel = c == rib
            x = np.repeat(np.where(np.isfinite(r[sel]), r[sel], FLOOR), counts[t[sel]])
            n.append(x.size)
            th.append(mannwhitneyu(x, films).statistic / (x.size * films.size)
                      if x.size else np.nan)
        if min(n) == 0:
            continue
        thetas[label] = th
        num += (n[0] + n[1]) * (th[0] - th[1])
        den += n[0] + n[1]
    return (num / den if den else np.nan), thetas


@pytest.mark.parametrize("seed", [1, 2])
def test_search_rib_endpoint_against_brute_force(bench, seed):
    ll, max_nl = synthetic(seed)
    res = bench.search_rib_endpoint(ll, max_nl, N_TWINS, n_boot=N_BOOT)
    d, thetas = reference(ll, max_nl, np.ones(N_TWINS, dtype=int))
    assert res["difference"] == pytest.approx(d, abs=1e-12)
    for label, th in thetas.items():
        assert res["classes"][label]["auc"] == pytest.approx(th, abs=1e-12)
    boots = np.random.default_rng(19).multinomial(N_TWINS, np.full(N_TWINS, 1 / N_TWINS),
                                                  size=N_BOOT)
    ds = np.array([reference(ll, max_nl, b)[0] for b in boots])
    ds = ds[np.isfinite(ds)]
    np.testing.assert_allclose(res["ci"], np.percentile(ds, [2.5, 97.5]), atol=1e-12)
    assert res["verdict"] == ("shown (CI above 0)" if res["ci"][0] > 0 else
                              "reversed (CI below 0)" if res["ci"][1] < 0 else "not shown")


def test_every_film_enters_both_rib_cells_of_its_class(bench):
    ll, max_nl = synthetic(3)
    scores, truth, twin_of, strata = bench.afroc_table(ll, max_nl, N_TWINS)
    assert scores.shape == (1, truth.size) and np.isfinite(scores).all()
    for label in NODULE_SIZE_CLASSES:
        films = [np.flatnonzero(strata[(label, rib)] & (truth == 0)) for rib in
                 RIB_OVERLAP_CLASSES]
        np.testing.assert_array_equal(films[0], films[1])
        np.testing.assert_array_equal(np.sort(twin_of[films[0]]), np.arange(N_TWINS))
        n = [int(np.sum(strata[(label, rib)] & (truth == 1))) for rib in RIB_OVERLAP_CLASSES]
        assert n == [int(np.sum(ll[label][1] == rib)) for rib in RIB_OVERLAP_CLASSES]


def test_afroc_table_refuses_bad_inputs(bench):
    ll, max_nl = synthetic(4)
    with pytest.raises(ValueError, match="one rating per test twin"):
        bench.afroc_table(ll, {k: v[:-1] for k, v in max_nl.items()}, N_TWINS)
    with pytest.raises(ValueError, match="unknown size classes"):
        bench.afroc_table({"9 mm": ll["<6 mm"]}, max_nl, N_TWINS)
    bad = dict(ll)
    r, c, t = ll["<6 mm"]
    bad["<6 mm"] = (r, np.array(["near"] * len(c)), t)
    with pytest.raises(ValueError, match="unknown rib classes"):
        bench.afroc_table(bad, max_nl, N_TWINS)

