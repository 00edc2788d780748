"""The chest-nodules trial's rib endpoints (``benchmarks/chest_nodules_trial.py``,
``sites_endpoints``) against a brute-force computation on small synthetic score tables.

References, sharing no code with the benchmark: each cell's AUC from
``scipy.stats.mannwhitneyu`` (U / (n1 n0) per reader, then the reader mean); the size-class
stratification written out by hand; d' from ``scipy.stats.norm.ppf`` and, for the formula
itself, two simulated normal score sets of known separation; the cluster bootstrap as an
explicit loop that copies each resampled twin's ROIs as many times as it is drawn (the
resample matrix is the documented one: ``default_rng(19).multinomial`` over the twins sorted
by number).
"""

from __future__ import annotations

import importlib
import math
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import mannwhitneyu, norm

from victwin.stats import ScoreTable
from victwin.trial._nodule_classes import NODULE_SIZE_CLASSES, RIB_OVERLAP_CLASSES

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
BETWEEN, OVER = RIB_OVERLAP_CLASSES
N_BOOT = 40                    # a few resamples: the explicit loop is slow
#: Twin ids, not in string order ("10" < "4"), so the twins' order is tested too.
TWINS = ("4", "10", "7", "21", "3", "15", "9", "30", "12", "5", "18", "2")


@pytest.fixture(scope="module")
def bench():
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(BENCHMARKS))
        return importlib.import_module("chest_nodules_trial")


def synthetic(seed, *, perfect_class=None):
    """A two-arm, three-reader table: 12 twins x 5 nodule sites, each with its lesion-absent
    pair in the same cell; scores = a signal that grows with size and falls over ribs, a
    twin effect and noise. ">=15 mm" nodules are all between ribs (the class must be left
    out); ``perfect_class``'s between-rib nodules score far above everything (AUC 1)."""
    rng = np.random.default_rng(seed)
    cases, truth, cells, signal, twin = [], [], {}, [], []
    for t in TWINS:
        for j in range(5):
            s = NODULE_SIZE_CLASSES[rng.choice(4, p=[0.35, 0.3, 0.25, 0.1])]
            r = BETWEEN if s == ">=15 mm" else RIB_OVERLAP_CLASSES[rng.integers(2)]
            for tr, suffix in ((1, f"n{j}"), (0, f"a{j}")):
                cid = f"{t}-{suffix}"
                cases.append(cid)
                truth.append(tr)
                cells[cid] = (s, r)
                signal.append(tr * (0.4 + 0.3 * NODULE_SIZE_CLASSES.index(s)
                                    - 0.3 * RIB_OVERLAP_CLASSES.index(r)))
                twin.append(t)
    effect = {t: rng.normal() for t in TWINS}
    scores = (rng.normal(size=(2, 3, len(cases))) + np.array(signal)
              + 0.7 * np.array([effect[t] for t in twin]))
    if perfect_class is not None:
        hit = [k for k, c in enumerate(cases) if truth[k] == 1
               and cells[c] == (perfect_class, BETWEEN)]
        scores[:, :, hit] += 100.0
    table = ScoreTable(cases=cases, truth=truth, modalities=("PA-full", "PA-half"),
                       readers=("r1", "r2", "r3"), scores=scores)
    return table, cells


# ----------------------------------------------------------------------------- brute force


def mw_auc(scores, truth, keep):
    """Reader-mean of scipy's Mann-Whitney U / (n1 n0); NaN when a truth is missing."""
    x_sel, y_sel = keep & (truth == 1), keep & (truth == 0)
    if not x_sel.any() or not y_sel.any():
        return float("nan")
    return float(np.mean([mannwhitneyu(s[x_sel], s[y_sel]).statistic
                          / (x_sel.sum() * y_sel.sum()) for s in scores]))


def brute(table, cells, m, rows=None):
    """Every quantity of one arm from the ROIs ``rows`` (an index array, repeats allowed;
    default all): pooled AUCs, and per size class the two rib cells' AUCs and nodule count."""
    rows = np.arange(len(table.cases)) if rows is None else rows
    truth = np.asarray(table.truth)[rows]
    scores = table.scores[m][:, rows]
    size = np.array([cells[table.cases[k]][0] for k in rows])
    rib = np.array([cells[table.cases[k]][1] for k in rows])
    pooled = {"<6 mm": mw_auc(scores, truth, size == "<6 mm"),
              ">=8 mm": mw_auc(scores, truth, (size == "8-15 mm") | (size == ">=15 mm")),
              BETWEEN: mw_auc(scores, truth, rib == BETWEEN),
              OVER: mw_auc(scores, truth, rib == OVER)}
    per_class = {}
    for s in NODULE_SIZE_CLASSES:
        per_class[s] = (mw_auc(scores, truth, (size == s) & (rib == BETWEEN)),
                        mw_auc(scores, truth, (size == s) & (rib == OVER)),
                        int(np.sum((size == s) & (truth == 1))))
    return pooled, per_class


def dp(auc):
    return math.sqrt(2.0) * norm.ppf(auc)


def weighted(per_class, classes, f):
    """sum_s n_s f(s) / sum_s n_s over the classes of ``classes`` where f(s) is finite."""
    num = den = 0.0
    for s in classes:
        v = f(*per_class[s][:2])
        if math.isfinite(v):
            num += per_class[s][2] * v
            den += per_class[s][2]
    return num / den if den > 0 else float("nan")


def resampled_rows(table):
    """The ROI index arrays of the documented resamples: twin k copied boots[r, k] times."""
    twins = sorted(TWINS, key=int)
    of = [c.rsplit("-", 1)[0] for c in table.cases]
    boots = np.random.default_rng(19).multinomial(len(twins), np.full(len(twins),
                                                  1 / len(twins)), size=N_BOOT)
    for counts in boots:
        yield np.concatenate([np.repeat([k for k, t in enumerate(of) if t == tw], n)
                              for tw, n in zip(twins, counts)])


def ci(values):
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:                      # no resample with a finite value: no interval
        return [None, None], 0
    return list(np.percentile(v, [2.5, 97.5])), int(v.size)


# ----------------------------------------------------------------------------- tests


def test_dprime_recovers_a_known_separation(bench):
    """Normal scores 1.3 sigma apart have AUC Phi(1.3 / sqrt 2): d' of their empirical AUC
    is 1.3 within its sampling error (n = 20000 each: SE of d' ~ 0.011)."""
    rng = np.random.default_rng(5)
    y, x = rng.normal(size=20000), rng.normal(1.3, 1.0, size=20000)
    auc = mannwhitneyu(x, y).statistic / x.size / y.size
    assert float(bench.dprime(auc)) == pytest.approx(1.3, abs=0.05)
    assert float(bench.dprime(0.5)) == 0.0
    assert np.isposinf(bench.dprime(1.0))


@pytest.mark.parametrize("seed", [3, 8])
def test_pooled_endpoints_and_dprime_against_brute_force(bench, seed):
    table, cells = synthetic(seed)
    out = bench.sites_endpoints(table, cells, n_boot=N_BOOT)
    for m, arm in enumerate(table.modalities):
        pooled, _ = brute(table, cells, m)
        boot = [brute(table, cells, m, rows)[0] for rows in resampled_rows(table)]
        for g, v in pooled.items():
            assert out[arm]["auc"][g] == pytest.approx(v, rel=1e-12)
        for name, a, b in (("size", ">=8 mm", "<6 mm"), ("ribs", BETWEEN, OVER)):
            e = out[arm][name]
            assert e["difference"] == pytest.approx(pooled[a] - pooled[b], rel=1e-12)
            want, n = ci([p[a] - p[b] for p in boot])
            assert e["ci"] == pytest.approx(want, abs=1e-12) and e["n_boot"] == n
            d = e["dprime"]
            assert d["a"] == pytest.approx(dp(pooled[a]), rel=1e-12)
            assert d["b"] == pytest.approx(dp(pooled[b]), rel=1e-12)
            assert d["difference"] == pytest.approx(dp(pooled[a]) - dp(pooled[b]), rel=1e-12)
            want, n = ci([dp(p[a]) - dp(p[b]) for p in boot])
            assert d["ci"] == pytest.approx(want, abs=1e-12) and d["n_boot"] == n


@pytest.mark.parametrize("seed, perfect", [(3, None), (8, None), (3, "6-8 mm")])
def test_rib_difference_by_size_class_against_brute_force(bench, seed, perfect):
    table, cells = synthetic(seed, perfect_class=perfect)
    out = bench.sites_endpoints(table, cells, n_boot=N_BOOT)
    for m, arm in enumerate(table.modalities):
        e = out[arm]["ribs_by_size"]
        _, per_class = brute(table, cells, m)
        kept = [s for s, (a, b, _) in per_class.items() if math.isfinite(a - b)]
        assert list(e["classes"]) == kept
        assert ">=15 mm" not in kept and set(e["left_out"]) == set(NODULE_SIZE_CLASSES) - set(kept)
        assert "over ribs (>=50 %): 0 nodules, 0 lesion-absent ROIs" in e["left_out"][">=15 mm"]
        for s in kept:
            a, b, n = per_class[s]
            c = e["classes"][s]
            assert c["auc"] == pytest.approx([a, b], rel=1e-12) and c["weight"] == n
            assert c["difference"] == pytest.approx(a - b, rel=1e-12)
        # the weighted means, by hand
        assert e["difference"] == pytest.approx(
            sum(per_class[s][2] * (per_class[s][0] - per_class[s][1]) for s in kept)
            / sum(per_class[s][2] for s in kept), rel=1e-12)
        boot = [brute(table, cells, m, rows)[1] for rows in resampled_rows(table)]
        want, n = ci([weighted(p, kept, lambda a, b: a - b) for p in boot])
        assert e["ci"] == pytest.approx(want, abs=1e-12) and e["n_boot"] == n
        dropped = sum(any(not math.isfinite(p[s][0] - p[s][1]) for s in kept) for p in boot)
        assert e["n_boot_classes_dropped"] == dropped
        # d': each class's, and the weighted d' difference over the classes with finite d'
        for s in kept:
            d = e["classes"][s]["dprime"]
            a, b, _ = per_class[s]
            if perfect == s:
                assert d["a"] is None and d["difference"] is None and not d["finite"]
            else:
                assert d["a"] == pytest.approx(dp(a), rel=1e-12)
                assert d["difference"] == pytest.approx(dp(a) - dp(b), rel=1e-12)
            want, n = ci([dp(p[s][0]) - dp(p[s][1]) for p in boot])
            assert (d["ci"] == want if n == 0 else d["ci"] == pytest.approx(want, abs=1e-12))
            assert d["n_boot"] == n and (n == 0) == (perfect == s)
        assert e["dprime"]["left_out"] == ([perfect] if perfect else [])
        assert e["dprime"]["difference"] == pytest.approx(
            weighted(per_class, kept, lambda a, b: dp(a) - dp(b)), rel=1e-12)
        assert e["dprime"]["a"] == pytest.approx(
            weighted(per_class, [s for s in kept if s != perfect], lambda a, b: dp(a)),
            rel=1e-12)
        want, n = ci([weighted(p, kept, lambda a, b: dp(a) - dp(b)) for p in boot])
        assert e["dprime"]["ci"] == pytest.approx(want, abs=1e-12)
        assert e["dprime"]["n_boot"] == n



ZONES = ("low", "middle", "upper")


def zoned(seed):
    """The synthetic table with every nodule in a zone (its lesion-absent pair in the same):
    "upper" is rare, so with a minimum of 4 nodules per rib class it is left out."""
    table, cells = synthetic(seed)
    rng = np.random.default_rng(seed + 100)
    zone = {}
    for c in table.cases:
        if c in zone:
            continue
        z = ZONES[rng.choice(3, p=[0.5, 0.45, 0.05])]
        twin, suffix = c.rsplit("-", 1)
        zone[f"{twin}-n{suffix[1:]}"] = zone[f"{twin}-a{suffix[1:]}"] = z
    return table, cells, zone


def brute_zones(table, cells, zone, m, rows, all_absent):
    """Per zone, the two rib cells' AUCs (against the zone's matched lesion-absent ROIs, or
    against all of them) and the zone's nodule counts per rib class."""
    truth = np.asarray(table.truth)[rows]
    scores = table.scores[m][:, rows]
    rib = np.array([cells[table.cases[k]][1] for k in rows])
    zn = np.array([zone[table.cases[k]] for k in rows])
    out = {}
    for z in ZONES:
        aucs, counts = [], []
        for r in (BETWEEN, OVER):
            cell = (zn == z) & (rib == r)
            keep = (cell & (truth == 1)) | (truth == 0) if all_absent else cell
            aucs.append(mw_auc(scores, truth, keep))
            counts.append(int(np.sum(cell & (truth == 1))))
        out[z] = (aucs[0], aucs[1], sum(counts), counts)
    return out


@pytest.mark.parametrize("all_absent", [False, True])
def test_rib_difference_by_lung_zone_against_brute_force(bench, monkeypatch, all_absent):
    """The zone-stratified rib difference: zones with fewer than ZONE_MIN nodules in a rib
    class left out, the rest weighted by their nodule counts, the CI from the same resamples
    with each resample's counts as weights (a zone with an empty cell dropped there)."""
    monkeypatch.setattr(bench, "ZONE_MIN", 4)
    table, cells, zone = zoned(3)
    key = "ribs_by_zone_all_absent" if all_absent else "ribs_by_zone"
    out = bench.sites_endpoints(table, cells, n_boot=N_BOOT, zones=(zone, list(ZONES)))
    everything = np.arange(len(table.cases))
    for m, arm in enumerate(table.modalities):
        e = out[arm][key]
        per_zone = brute_zones(table, cells, zone, m, everything, all_absent)
        kept = [z for z in ZONES if min(per_zone[z][3]) >= 4]
        assert kept == ["low", "middle"] and list(e["classes"]) == kept
        assert set(e["left_out"]) == {"upper"} and e["min_nodules"] == 4
        for z in kept:
            assert e["classes"][z]["auc"] == pytest.approx(per_zone[z][:2], rel=1e-12)
            assert e["classes"][z]["weight"] == per_zone[z][2]
        assert e["difference"] == pytest.approx(weighted(per_zone, kept, lambda a, b: a - b),
                                                rel=1e-12)
        boot = [brute_zones(table, cells, zone, m, rows, all_absent)
                for rows in resampled_rows(table)]
        want, n = ci([weighted(p, kept, lambda a, b: a - b) for p in boot])
        assert e["ci"] == pytest.approx(want, abs=1e-12) and e["n_boot"] == n


def test_lung_zones_split_heights_in_thirds_and_sides_at_the_median(bench):
    """Nine nodules at y = 1..9 mm (y grows towards the feet): upper third {1-3}, middle
    {4-6}, lower {7-9}; |x| 10..90 mm, median 50:
    medial below it. A lesion-absent ROI takes its pair's zone (its centre is its pair's).
    The cut points come from the nodules given, not from the table's ROIs."""
    ids, truth, centers = [], [], {}
    for k in range(9):
        for suffix, t in ((f"n{k}", 1), (f"a{k}", 0)):
            ids.append(f"1-{suffix}")
            truth.append(t)
            centers[f"1-{suffix}"] = ((-1) ** k * 10.0 * (k + 1), float(k + 1), 0.0)
    table = ScoreTable(cases=ids, truth=truth, modalities=("a",), readers=("r",),
                       scores=np.zeros((1, 1, len(ids))))
    nodules = [centers[c] for c in ids if c.split("-")[1][0] == "n"]
    zone, labels, cuts = bench.lung_zones(table, centers, nodules)
    assert labels[0] == "upper third, medial" and labels[-1] == "lower third, lateral"
    assert cuts["median_abs_x_mm"] == 50.0
    for k in range(9):
        third = ("upper", "middle", "lower")[k // 3]
        side = "lateral" if 10 * (k + 1) >= 50 else "medial"
        assert zone[f"1-n{k}"] == zone[f"1-a{k}"] == f"{third} third, {side}"
    # more nodules, all low (y = 100 mm), from the training twins: every test nodule is upper
    zone, _, cuts = bench.lung_zones(table, centers, nodules + [(0.0, 100.0, 0.0)] * 18)
    assert cuts["y_tertiles_mm"][0] > 9 and all(z.startswith("upper third") for z in zone.values())
