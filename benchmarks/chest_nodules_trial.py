"""Read a chest-nodules trial's size and rib-overlap subgroups against the fixed endpoint.

    python benchmarks/chest_nodules_trial.py RUN_DIR [--outcome RUN.json] [--wall-s S]
        [--load "a-b"]

RUN_DIR is a finished ``victwin run`` of ``examples/chest-nodules.toml`` (or a copy with a
smaller cohort). Nothing here analyses the trial again: the figures are the trial's own
``analysis/results.json`` (subgroups ``nodule_size`` and ``rib_overlap``, headline analysis,
each row's RRRC AUC and 95 % CI per arm), read with the endpoint fixed in NOTES.md before the
run (fifth session, branch issue-19read):

* "rises with size": over the size classes analysed, the PA-full AUCs do not decrease from
  the smallest class to the largest, and the largest class's 95 % CI lies wholly above the
  smallest's ("consistent with a rise, not shown" when monotone with overlapping CIs);
* "falls with rib overlap": D = AUC(between ribs) - AUC(over ribs), 95 % CI
  D +- 1.96 sqrt(se_b^2 + se_o^2) from the two rows' SEs; "falls" when the CI is above 0.

Also listed from the store: every finished case's nodule size and overlap fraction (counts
per class), and the per-class readers (``size_class_readers``). Writes
``benchmarks/results/chest_nodules_trial.json`` and prints the tables.

**A run with several nodules per twin** (``cohort.sites = {nodule = N}``, sixth session,
branch issue-19sites) is read against the endpoint fixed in NOTES.md before that run: the
trial's own analysis (its spec's readers: CHO per size class) and the same stored ROIs
re-analysed here with ``observer = "npwe"`` (``per_size_class`` kept: the class sets the ROI
crop), pure (:func:`victwin.trial.analyse`, nothing written to the run). From each analysis's
test scores (reader-averaged Mann-Whitney AUC, each nodule ROI against the lesion-absent ROIs
of the same cell), per arm:

* size: D = AUC(>= 8 mm: the 8-15 and >= 15 mm classes pooled) - AUC(< 6 mm);
* ribs: D = AUC(between ribs) - AUC(over ribs);

each with a 95 % percentile CI from a cluster bootstrap over test twins (2000 resamples, the
readers fixed: the twins' variance only), "shown" when the CI lies above 0; per-class AUCs,
counts per cell, and the trial's PA-full - PA-half (its headline, twins resampled). The
endpoint is judged on NPWE (the human-like reader), CHO beside it. Writes
``benchmarks/results/chest_nodules_trial_sites.json``.

**Secondary endpoints of the seventh (powered rib) run**, fixed in NOTES.md before it ran,
reported and not judged (:func:`sites_endpoints`): the rib difference stratified by size
class (each Lung-RADS class's D weighted by its number of test nodules, ``ribs_by_size``),
and beside every AUC difference the d' = sqrt(2) Phi^-1(AUC) of each side, their difference
and its CI from the same resamples (``dprime``).

**The rib difference by lung zone** (secondary, planned in NOTES.md in the session of
2026-12-04 (third) after the seventh run's zone shares and before any zone-wise AUC): the
same stratified estimator over zones = the nodules' height in thirds x medial / lateral
(:func:`lung_zones`), a zone kept with >= :data:`ZONE_MIN` test nodules in each rib class
(``ribs_by_zone``; ``ribs_by_zone_all_absent`` against all lesion-absent ROIs, listed only).
"""

from __future__ import annotations

import argparse
import json
import math
import os
from pathlib import Path

from _common import environment, print_table, write_json


def size_verdict(rows, arm):
    done = [r for r in rows if not r.get("too_small") and r["subgroup"] != "n/a"]
    if len(done) < 2:
        return "not readable (fewer than two size classes analysed)"
    aucs = [r["auc"][arm] for r in done]
    monotone = all(b >= a for a, b in zip(aucs, aucs[1:]))
    separate = done[-1]["auc_ci"][arm][0] > done[0]["auc_ci"][arm][1]
    if monotone and separate:
        return "rises"
    if monotone:
        return "consistent with a rise, not shown"
    return "no rise"


def rib_difference(rows, arm):
    by = {r["subgroup"]: r for r in rows}
    b, o = by.get("between ribs (<50 %)"), by.get("over ribs (>=50 %)")
    if b is None or o is None or b.get("too_small") or o.get("too_small"):
        return None, "not readable (a rib-overlap class too small)"
    d = b["auc"][arm] - o["auc"][arm]
    se = math.sqrt(b["auc_se"][arm] ** 2 + o["auc_se"][arm] ** 2)
    ci = (d - 1.959964 * se, d + 1.959964 * se)
    verdict = ("falls" if ci[0] > 0 else "in the expected direction, not shown" if d > 0
               else "no fall")
    return {"difference": d, "se": se, "ci": ci}, verdict


#: Cluster-bootstrap resamples of the sites endpoints (fixed before the run).
N_BOOT = 2000
#: Nodules a lung zone needs in each rib class to enter the zone-matched rib difference
#: (planned in NOTES.md before it was computed).
ZONE_MIN = 20
#: The pooled large class of the size endpoint.
LARGE = ("8-15 mm", ">=15 mm")


def _cluster_sums(scores, truth, twin_of, n_twins, keep):
    """Per reader, the twin-by-twin sums of the Mann-Whitney kernel between kept abnormal
    ROIs (rows: their twins) and kept normal ROIs (columns), and the kept counts per twin."""
    import numpy as np

    ab = np.flatnonzero(keep & (truth == 1))
    no = np.flatnonzero(keep & (truth == 0))
    n1 = np.bincount(twin_of[ab], minlength=n_twins).astype(float)
    n0 = np.bincount(twin_of[no], minlength=n_twins).astype(float)
    sums = []
    for r in range(scores.shape[0]):
        x, y = scores[r, ab], scores[r, no]
        psi = (x[:, None] > y[None, :]) + 0.5 * (x[:, None] == y[None, :])
        rows = np.zeros((n_twins, len(no)))
        np.add.at(rows, twin_of[ab], psi)
        cols = np.zeros((n_twins, n_twins))
        np.add.at(cols.T, twin_of[no], rows.T)
        sums.append(cols)
    return np.array(sums), n1, n0


def _auc(sums, n1, n0, c):
    """Reader-averaged AUC with twin ``k`` counted ``c[k]`` times."""
    import numpy as np

    den = float(c @ n1) * float(c @ n0)
    if den == 0:
        return float("nan")
    return float(np.mean([c @ s @ c for s in sums]) / den)


def dprime(auc):
    """The detectability index of an AUC, ``d' = sqrt(2) Phi^-1(AUC)`` (elementwise).

    The equal-variance binormal model's relation AUC = Phi(d' / sqrt(2)) inverted (Green &
    Swets 1966, Signal Detection Theory and Psychophysics; ICRU Report 54, 1996, Medical
    Imaging - the Assessment of Image Quality). Applied to an empirical (Mann-Whitney) AUC it
    is a summary on the d' scale, not a fitted binormal d'.
    An AUC of 1 gives ``inf``, of 0 ``-inf``, NaN gives NaN. Returns a float array.
    """
    import numpy as np
    from scipy.stats import norm

    return np.sqrt(2.0) * norm.ppf(np.asarray(auc, dtype=float))


def _percentile_ci(values):
    """The 95 % percentile interval of the finite ``values`` and their number (``[None,
    None]`` when none is finite)."""
    import numpy as np

    v = values[np.isfinite(values)]
    if v.size == 0:
        return [None, None], 0
    lo, hi = (float(x) for x in np.percentile(v, [2.5, 97.5]))
    return [lo, hi], int(v.size)


def _finite(x):
    """``x`` as a float, or None when it is not finite (JSON has no inf)."""
    return float(x) if math.isfinite(x) else None


def _dprime_difference(auc_a, auc_b, boot_a, boot_b) -> dict:
    """d' of each side, their difference and its percentile CI over the resamples (those
    with a finite d' difference; ``n_boot`` counts them)."""
    import numpy as np

    da, db = float(dprime(auc_a)), float(dprime(auc_b))
    ci, n = _percentile_ci(dprime(boot_a) - dprime(boot_b))
    return {"a": _finite(da), "b": _finite(db), "difference": _finite(da - db), "ci": ci,
            "n_boot": n, "finite": bool(np.isfinite(da - db))}


def _stratified(weights, d, d_a, d_b):
    """Weighted means over the classes (columns) where ``d`` is finite, per row (resample):
    ``(mean d, mean d_a, mean d_b, classes used)``; NaN where no class is."""
    import numpy as np

    ok = np.isfinite(d)
    w = np.where(ok, weights, 0.0)
    tot = w.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = [np.where(tot > 0, (w * np.where(ok, x, 0.0)).sum(axis=-1) / tot, np.nan)
                 for x in (d, d_a, d_b)]
    return means[0], means[1], means[2], ok.sum(axis=-1)


def sites_endpoints(table, cells, seed: int = 19, n_boot: int = N_BOOT, zones=None):
    """The sites endpoints of one analysis's test scores (module docstring).

    ``cells[roi id] = (size class, rib class)`` for every test ROI (a lesion-absent ROI its
    pair's). Returns per arm: per-class / per-rib-class AUCs and counts, the size and rib
    differences with their cluster-bootstrap CIs and verdicts, each with its d' difference
    (``dprime``), and the rib difference stratified by size class (``ribs_by_size``).

    **Stratified rib difference** (secondary, fixed in NOTES.md before the seventh run):
    within each size class, D_s = AUC(between ribs) - AUC(over ribs), each AUC the matched
    reader-averaged Mann-Whitney AUC of the class's cell; D = sum_s w_s D_s / sum_s w_s with
    w_s the class's number of test nodules (both rib cells). A class where either cell has no
    nodule or no lesion-absent ROI is left out (``left_out`` says which and why). The CI
    uses the primary's resamples; in each, the estimator is applied again: its weights are
    the resample's nodule counts, and a class whose cell is empty in that resample is left
    out of that resample's mean (``n_boot_classes_dropped`` counts such resamples).

    **d'** = sqrt(2) Phi^-1(AUC) (:func:`dprime`) of each side of every difference, the d'
    difference and its percentile CI over the same resamples (those where it is finite).
    The stratified d' difference is the weighted mean of the classes' d' differences over
    the classes kept whose d' is finite (an AUC of 0 or 1 gives an infinite d'; such classes
    are listed in ``dprime.left_out``), in each resample likewise. In every ``dprime``
    entry ``a`` and ``b`` are the d' of the first and second of ``of``; in ``ribs_by_size``
    every pair (``auc``, ``n_nodules``, ``n_normal``) is (between ribs, over ribs), the
    weighted entry's AUCs and d's the weighted means of the classes'.

    **Rib difference by lung zone** (secondary, planned in NOTES.md, session of 2026-12-04
    third, before any zone-wise AUC was computed), when ``zones`` = (``zone`` of every test
    ROI id, a lesion-absent ROI its pair's; the zone labels in order) is given: the same
    stratified estimator with the zones as strata, a zone kept only with >= :data:`ZONE_MIN`
    nodules in both rib classes (``ribs_by_zone``: each nodule against the lesion-absent ROIs
    of its own zone and rib class, as every subgroup here; ``ribs_by_zone_all_absent``: each
    zone's nodules against all lesion-absent ROIs of the test twins).
    """
    import numpy as np

    from victwin.trial._analysis import twin_clusters
    from victwin.trial._nodule_classes import NODULE_SIZE_CLASSES, RIB_OVERLAP_CLASSES

    ids = list(table.cases)
    truth = np.asarray(table.truth)
    clusters = twin_clusters(ids)
    twins = sorted(set(clusters.values()), key=int)
    index = {t: k for k, t in enumerate(twins)}
    twin_of = np.array([index[clusters[c]] for c in ids])
    size = np.array([cells[c][0] for c in ids])
    rib = np.array([cells[c][1] for c in ids])
    groups = {label: size == label for label in NODULE_SIZE_CLASSES}
    groups[">=8 mm"] = np.isin(size, LARGE)
    groups.update({label: rib == label for label in RIB_OVERLAP_CLASSES})
    strata = {(s_label, r_label): (size == s_label) & (rib == r_label)
              for s_label in NODULE_SIZE_CLASSES for r_label in RIB_OVERLAP_CLASSES}
    rng = np.random.default_rng(seed)
    boots = rng.multinomial(len(twins), np.full(len(twins), 1.0 / len(twins)), size=n_boot)
    ones = np.ones(len(twins))
    between, over = RIB_OVERLAP_CLASSES
    out = {}
    for m, arm in enumerate(table.modalities):
        sums = {g: _cluster_sums(table.scores[m], truth, twin_of, len(twins), keep)
                for g, keep in groups.items()}
        boot_auc = {g: np.array([_auc(*sums[g], c) for c in boots]) for g in groups}
        arm_out = {"auc": {g: _auc(*sums[g], ones) for g in groups},
                   "n_nodules": {g: int(np.sum(keep & (truth == 1))) for g, keep in groups.items()},
                   "n_twins": {g: int(len(set(twin_of[keep]))) for g, keep in groups.items()}}
        for name, a, b in (("size", ">=8 mm", "<6 mm"), ("ribs", between, over)):
            d = arm_out["auc"][a] - arm_out["auc"][b]
            bd = boot_auc[a] - boot_auc[b]
            bd = bd[np.isfinite(bd)]
            lo, hi = (float(v) for v in np.percentile(bd, [2.5, 97.5]))
            arm_out[name] = {"difference": d, "ci": [lo, hi], "n_boot": int(len(bd)),
                             "of": [a, b],
                             "verdict": "shown (CI above 0)" if lo > 0 else
                             ("in the expected direction, not shown" if d > 0 else
                              "not in the expected direction"),
                             "dprime": _dprime_difference(arm_out["auc"][a], arm_out["auc"][b],
                                                          boot_auc[a], boot_auc[b])}
        aucs = [arm_out["auc"][g] for g in ("<6 mm", "6-8 mm", ">=8 mm")]
        arm_out["size"]["ordered <6 <= 6-8 <= >=8"] = bool(aucs[0] <= aucs[1] <= aucs[2])
        cell = {}
        for s_label in NODULE_SIZE_CLASSES:
            for r_label in RIB_OVERLAP_CLASSES:
                cell[f"{s_label} / {r_label}"] = int(np.sum((size == s_label) & (rib == r_label)
                                                            & (truth == 1)))
        arm_out["nodules_per_cell"] = cell
        arm_out["ribs_by_size"] = _ribs_by_size(table.scores[m], truth, twin_of, len(twins),
                                                strata, boots)
        if zones is not None:
            zone_of, zone_labels = zones
            zone = np.array([zone_of[c] for c in ids])
            matched = {(z, r): (zone == z) & (rib == r)
                       for z in zone_labels for r in RIB_OVERLAP_CLASSES}
            pooled = {(z, r): (matched[(z, r)] & (truth == 1)) | (truth == 0)
                      for z in zone_labels for r in RIB_OVERLAP_CLASSES}
            for key, st in (("ribs_by_zone", matched), ("ribs_by_zone_all_absent", pooled)):
                arm_out[key] = _ribs_stratified(
                    table.scores[m], truth, twin_of, len(twins), zone_labels, st, boots,
                    weights="the zone's number of test nodules", min_nodules=ZONE_MIN)
        out[arm] = arm_out
    return out


def _ribs_by_size(scores, truth, twin_of, n_twins, strata, boots) -> dict:
    """The rib difference stratified by size class (:func:`sites_endpoints`)."""
    from victwin.trial._nodule_classes import NODULE_SIZE_CLASSES

    return _ribs_stratified(scores, truth, twin_of, n_twins, NODULE_SIZE_CLASSES, strata,
                            boots, weights="the class's number of test nodules")


def _ribs_stratified(scores, truth, twin_of, n_twins, labels, strata, boots, *,
                     weights: str, min_nodules: int = 1) -> dict:
    """AUC(between ribs) - AUC(over ribs) within each stratum of ``labels`` (``strata[(label,
    rib class)]``: the ROIs of that cell), weighted by the stratum's number of test nodules.

    A stratum is left out when either rib cell has fewer than ``min_nodules`` nodules or no
    lesion-absent ROI; in each resample a stratum with an empty cell is left out of that
    resample's mean (:func:`sites_endpoints`, ``ribs_by_size``)."""
    import numpy as np

    from victwin.trial._nodule_classes import RIB_OVERLAP_CLASSES

    ones = np.ones(n_twins)
    classes, left_out = {}, {}
    w_boot, d_boot, a_boot, b_boot, dp_boot, dpa_boot, dpb_boot = ([] for _ in range(7))
    for s_label in labels:
        cs = [_cluster_sums(scores, truth, twin_of, n_twins, strata[(s_label, r)])
              for r in RIB_OVERLAP_CLASSES]
        n1 = [int(c[1].sum()) for c in cs]
        n0 = [int(c[2].sum()) for c in cs]
        empty = [f"{r}: {a} nodules, {b} lesion-absent ROIs"
                 for r, a, b in zip(RIB_OVERLAP_CLASSES, n1, n0)
                 if a < min_nodules or b == 0]
        if empty:
            left_out[s_label] = "; ".join(empty)
            continue
        auc = [_auc(*c, ones) for c in cs]
        boot = [np.array([_auc(*c, b) for b in boots]) for c in cs]
        nb = boots @ (cs[0][1] + cs[1][1])                  # the class's nodules per resample
        ci, n_ok = _percentile_ci(boot[0] - boot[1])
        classes[s_label] = {"n_nodules": n1, "n_normal": n0, "weight": n1[0] + n1[1],
                            "auc": auc, "difference": auc[0] - auc[1], "ci": ci,
                            "n_boot": n_ok,
                            "dprime": _dprime_difference(auc[0], auc[1], boot[0], boot[1])}
        w_boot.append(nb)
        a_boot.append(boot[0])
        b_boot.append(boot[1])
        d_boot.append(boot[0] - boot[1])
        dpa_boot.append(dprime(boot[0]))
        dpb_boot.append(dprime(boot[1]))
        dp_boot.append(dpa_boot[-1] - dpb_boot[-1])
    res = {"of": list(RIB_OVERLAP_CLASSES), "classes": classes, "left_out": left_out,
           "weights": weights, "min_nodules": min_nodules}
    if not classes:
        res.update(difference=None, ci=None, n_boot=0, dprime=None)
        return res
    w = np.array([c["weight"] for c in classes.values()], dtype=float)

    def col(xs):                                        # resamples x classes
        return np.stack(xs, axis=-1)

    d, a, b, _ = _stratified(w, np.array([c["difference"] for c in classes.values()]),
                             np.array([c["auc"][0] for c in classes.values()]),
                             np.array([c["auc"][1] for c in classes.values()]))
    bd, _, _, used = _stratified(col(w_boot), col(d_boot), col(a_boot), col(b_boot))
    ci, n_ok = _percentile_ci(bd)
    res.update(auc=[float(a), float(b)], difference=float(d), ci=ci, n_boot=n_ok,
               n_boot_classes_dropped=int(np.sum(used < len(classes))))
    dp = np.array([c["dprime"]["difference"] if c["dprime"]["finite"] else np.nan
                   for c in classes.values()], dtype=float)
    dpa = np.array([dprime(c["auc"][0]) for c in classes.values()], dtype=float)
    dpb = np.array([dprime(c["auc"][1]) for c in classes.values()], dtype=float)
    d, a, b, used_dp = _stratified(w, dp, dpa, dpb)
    bd, _, _, used = _stratified(col(w_boot), col(dp_boot), col(dpa_boot), col(dpb_boot))
    ci, n_ok = _percentile_ci(bd)
    res["dprime"] = {"a": _finite(a), "b": _finite(b), "difference": _finite(d), "ci": ci,
                     "n_boot": n_ok, "n_boot_classes_dropped": int(np.sum(used < used_dp)),
                     "left_out": [s for s, ok in zip(classes, np.isfinite(dp)) if not ok]}
    return res


def _site_cells(store):
    """Every ROI id's (size class, rib class) from the store's site records (None: a run
    without nodule sites)."""
    from victwin.trial._nodule_classes import nodule_size_class, rib_overlap_class

    cells = {}
    for rec in store.case_records():
        for s in rec.result.sites:
            if s.lesion_size_mm is None:
                return None
            cells[f"{rec.case_id}-{s.name}"] = (nodule_size_class(s.lesion_size_mm),
                                                rib_overlap_class(s.rib_overlap_fraction))
    return cells or None


def lung_zones(table, centers, nodules_xyz) -> tuple[dict, list, dict]:
    """Every test ROI's lung zone: the height ``y`` of its nodule (a lesion-absent ROI: its
    pair's, ``centers[roi id]`` = the nodule's ``(x, y, z)`` mm) in thirds by the tertiles of
    the heights of the run's nodules ``nodules_xyz`` (all twins', training ones too, as
    planned), crossed with medial / lateral (``|x|`` below / at or above their median
    ``|x|``). A chest twin's ``y`` grows towards the feet (the lung apex at negative ``y``:
    ``y_apex = -height / 2`` in ``victwin.phantom.chest.lungs``), so the smallest ``y`` is
    the upper third. Returns (zone of every ROI id, labels from the apex down, the cut
    points in mm)."""
    import numpy as np

    nod = np.asarray(nodules_xyz, dtype=float)
    y_cut = [float(v) for v in np.percentile(nod[:, 1], [100 / 3, 200 / 3])]
    x_med = float(np.median(np.abs(nod[:, 0])))
    thirds = ("upper", "middle", "lower")                 # y ascending: apex to base
    labels = [f"{t} third, {side}" for t in thirds for side in ("medial", "lateral")]
    zone = {}
    for c in table.cases:
        x, y, _ = centers[c]
        t = thirds[int(np.searchsorted(y_cut, y, side="right"))]
        zone[c] = f"{t} third, {'lateral' if abs(x) >= x_med else 'medial'}"
    return zone, labels, {"y_tertiles_mm": y_cut, "median_abs_x_mm": x_med,
                          "of": f"all {len(nod)} nodules of the run"}


def _site_centers(store):
    """Every ROI id's nodule centre ``(x, y, z)`` mm (a lesion-absent site: its pair's)."""
    centers = {}
    for rec in store.case_records():
        by_name = {s.name: s for s in rec.result.sites}
        for s in rec.result.sites:
            src = by_name.get(s.pair, s) if s.truth == 0 else s
            centers[f"{rec.case_id}-{s.name}"] = tuple(src.center_mm)
    return centers


def _fmt(x, spec="+.3f"):
    return "n/a" if x is None or not math.isfinite(x) else format(x, spec)


def _dprime_text(e) -> str:
    """One line of a d' difference (:func:`_dprime_difference`)."""
    return (f"d' {_fmt(e['a'], '.3f')} - {_fmt(e['b'], '.3f')} = {_fmt(e['difference'])} "
            f"(95% CI {_fmt(e['ci'][0])} to {_fmt(e['ci'][1])}, {e['n_boot']} resamples)")


def print_ribs_by_size(title: str, e: dict, stratum: str = "size class") -> None:
    """The rib difference stratified by size class (or ``stratum``): one row per stratum
    kept, the weighted mean, and the strata left out."""
    print(f"\n{title}: D_rib by {stratum} (AUC(between ribs) - AUC(over ribs) within each "
          f"{stratum}; weights {e['weights']}; secondary, reported, not judged)")
    rows = []
    for label, c in e["classes"].items():
        rows.append({stratum: label, "nodules btw/over": f"{c['n_nodules'][0]}/"
                     f"{c['n_nodules'][1]}", "weight": c["weight"],
                     "AUC btw": f"{c['auc'][0]:.3f}", "AUC over": f"{c['auc'][1]:.3f}",
                     "D_AUC (95% CI)": f"{c['difference']:+.3f} ({_fmt(c['ci'][0])} to "
                     f"{_fmt(c['ci'][1])})",
                     "d' btw": _fmt(c["dprime"]["a"], ".3f"),
                     "d' over": _fmt(c["dprime"]["b"], ".3f"),
                     "D_d' (95% CI)": f"{_fmt(c['dprime']['difference'])} "
                     f"({_fmt(c['dprime']['ci'][0])} to {_fmt(c['dprime']['ci'][1])})"})
    if e["difference"] is not None:
        dp = e["dprime"]
        rows.append({stratum: "weighted", "weight": sum(c["weight"] for c in
                                                            e["classes"].values()),
                     "AUC btw": f"{e['auc'][0]:.3f}", "AUC over": f"{e['auc'][1]:.3f}",
                     "D_AUC (95% CI)": f"{e['difference']:+.3f} ({_fmt(e['ci'][0])} to "
                     f"{_fmt(e['ci'][1])})",
                     "d' btw": _fmt(dp["a"], ".3f"), "d' over": _fmt(dp["b"], ".3f"),
                     "D_d' (95% CI)": f"{_fmt(dp['difference'])} ({_fmt(dp['ci'][0])} to "
                     f"{_fmt(dp['ci'][1])})"})
    if rows:
        print_table(rows, [stratum, "nodules btw/over", "weight", "AUC btw", "AUC over",
                           "D_AUC (95% CI)", "d' btw", "d' over", "D_d' (95% CI)"])
    if e["difference"] is not None:
        print(f"  {e['n_boot']} resamples; {e['n_boot_classes_dropped']} left a stratum out "
              f"(a cell empty in the resample); d': {e['dprime']['n_boot']} resamples, "
              f"{e['dprime']['n_boot_classes_dropped']} left a stratum out")
        if e["dprime"]["left_out"]:
            print("  left out of the weighted d' (AUC 0 or 1, d' infinite): "
                  + ", ".join(e["dprime"]["left_out"]))
    for label, why in e["left_out"].items():
        print(f"  left out: {label} ({why})")


def main_sites(run: Path, store, cells, args) -> None:
    """The sites endpoints of the trial's own analysis and of NPWE on the same ROIs."""
    import dataclasses

    from victwin.stats import read_imrmc
    from victwin.trial import analyse, spec_from_dict

    spec = spec_from_dict(store.provenance()["spec_toml"])
    own = json.loads((run / "analysis" / "results.json").read_text())
    tables = {spec.readers.observer: (own, read_imrmc(run / "analysis" / "scores.imrmc"))}
    npwe = spec_from_dict(dict(spec.to_toml_dict(), readers=dict(
        spec.to_toml_dict()["readers"], observer="npwe")))
    assert dataclasses.replace(npwe, readers=spec.readers) == spec
    if spec.readers.observer != "npwe":
        a = analyse(store, npwe)
        tables["npwe"] = (json.loads(json.dumps(a.results, default=float)), a.table)
    out = {"run_dir": str(run), "spec_hash": own["spec_hash"], "n_cases": own["n_cases"],
           "n_test_cases": own["n_test_cases"], "failed_cases": own["failed_cases"],
           "n_boot": N_BOOT, "wall_s": args.wall_s, "load_during_run": args.load,
           "load_1min_now": round(os.getloadavg()[0], 1), "environment": environment(),
           "endpoint_reader": "npwe",
           "dprime_definition": "sqrt(2) * scipy.stats.norm.ppf(AUC) (equal-variance binormal)",
           "readers": {}}
    if args.outcome:
        out["outcome"] = json.loads(Path(args.outcome).read_text())
    centers = _site_centers(store)
    nodules_xyz = [s.center_mm for rec in store.case_records() for s in rec.result.sites
                   if s.truth == 1]
    for observer, (res, table) in tables.items():
        zone_of, zone_labels, cuts = lung_zones(table, centers, nodules_xyz)
        out["lung_zones"] = dict(cuts, labels=zone_labels, min_nodules_per_rib_class=ZONE_MIN)
        ends = sites_endpoints(table, cells, zones=(zone_of, zone_labels))
        head = res[res["headline"]["analysis"]]
        a, b = res["modalities"][:2]
        out["readers"][observer] = {
            "mean_auc": res["mrmc"]["mean_auc"], "headline": res["headline"]["analysis"],
            "difference": {"between": f"{a} - {b}", **head["rrrc"]},
            "size_class_readers": res.get("size_class_readers"), "endpoints": ends,
            "subgroups": {k: res["subgroups"][k]["subgroups"] for k in
                          ("nodule_size", "rib_overlap") if k in res["subgroups"]}}
        print(f"\n=== {observer} ({res['headline']['analysis']}): mean AUC "
              + ", ".join(f"{m} {v:.3f}" for m, v in res["mrmc"]["mean_auc"].items())
              + f"; {a} - {b} {head['rrrc']['estimate']:+.3f} (95% CI "
              f"{head['rrrc']['ci'][0]:+.3f} to {head['rrrc']['ci'][1]:+.3f}, p = "
              f"{head['rrrc']['p']:.3g})")
        rows = []
        for g in ("<6 mm", "6-8 mm", "8-15 mm", ">=15 mm", ">=8 mm", "between ribs (<50 %)",
                  "over ribs (>=50 %)"):
            row = {"cell": g, "nodules": ends[a]["n_nodules"][g], "twins": ends[a]["n_twins"][g]}
            for arm in res["modalities"]:
                row[f"AUC {arm}"] = f"{ends[arm]['auc'][g]:.3f}"
            rows.append(row)
        print_table(rows, list(rows[0]))
        for arm in res["modalities"]:
            for name in ("size", "ribs"):
                e = ends[arm][name]
                print(f"{observer} {arm} {name}: D = AUC({e['of'][0]}) - AUC({e['of'][1]}) = "
                      f"{e['difference']:+.3f} (95% CI {e['ci'][0]:+.3f} to {e['ci'][1]:+.3f}, "
                      f"twins resampled): {e['verdict']}; {_dprime_text(e['dprime'])}")
        for arm in res["modalities"]:
            print_ribs_by_size(f"{observer} {arm}", ends[arm]["ribs_by_size"])
        print(f"\nlung zones: heights in thirds at y = {cuts['y_tertiles_mm'][0]:.1f} and "
              f"{cuts['y_tertiles_mm'][1]:.1f} mm, medial below |x| = "
              f"{cuts['median_abs_x_mm']:.1f} mm (tertiles and median of {cuts['of']})")
        for arm in res["modalities"]:
            print_ribs_by_size(f"{observer} {arm}", ends[arm]["ribs_by_zone"],
                               "lung zone (matched lesion-absent ROIs)")
            print_ribs_by_size(f"{observer} {arm}", ends[arm]["ribs_by_zone_all_absent"],
                               "lung zone (all lesion-absent ROIs)")
    write_json("chest_nodules_trial_sites", out, args.out)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("run_dir")
    ap.add_argument("--outcome", default=None, help="the run's --json outcome")
    ap.add_argument("--wall-s", type=float, default=None)
    ap.add_argument("--load", default=None, help="load average range during the run")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    run = Path(args.run_dir)
    from victwin.trial import TrialStore

    with TrialStore(run) as store:
        cells = _site_cells(store)
        if cells is not None:
            return main_sites(run, store, cells, args)
    res = json.loads((run / "analysis" / "results.json").read_text())
    arms = res["modalities"]
    out = {"run_dir": str(run), "spec_hash": res["spec_hash"], "n_cases": res["n_cases"],
           "n_test_cases": res["n_test_cases"], "failed_cases": res["failed_cases"],
           "headline": res["headline"]["analysis"], "mean_auc": res["mrmc"]["mean_auc"],
           "size_class_readers": res.get("size_class_readers"),
           "wall_s": args.wall_s, "load_during_run": args.load,
           "load_1min_now": round(os.getloadavg()[0], 1), "environment": environment()}
    from victwin.trial import TrialStore
    from victwin.trial._nodule_classes import nodule_size_class, rib_overlap_class

    store = TrialStore(run)
    lesions = [r.result.lesion for r in store.case_records()]
    store.close()
    out["cases"] = {"size_mm": [round(l.size_mm, 2) for l in lesions],
                    "rib_overlap_fraction": [l.rib_overlap_fraction for l in lesions]}
    for name, f in (("by_size_class", lambda l: nodule_size_class(l.size_mm)),
                    ("by_rib_class", lambda l: rib_overlap_class(l.rib_overlap_fraction))):
        counts: dict = {}
        for l in lesions:
            counts[f(l)] = counts.get(f(l), 0) + 1
        out["cases"][name] = dict(sorted(counts.items()))
    print("all finished cases:", out["cases"]["by_size_class"], out["cases"]["by_rib_class"])
    if args.outcome:
        out["outcome"] = json.loads(Path(args.outcome).read_text())
    for name in ("nodule_size", "rib_overlap"):
        sub = res["subgroups"][name]
        rows = sub["subgroups"] + [dict(sub["overall"], subgroup="all")]
        table = []
        for r in rows:
            row = {"subgroup": r["subgroup"], "twins": r["n_abnormal"]}
            for arm in arms:
                if r.get("too_small"):
                    row[f"AUC {arm} (95% CI)"] = r.get("note", "too small")
                else:
                    lo, hi = r["auc_ci"][arm]
                    row[f"AUC {arm} (95% CI)"] = f"{r['auc'][arm]:.3f} ({lo:.3f}-{hi:.3f})"
            table.append(row)
        print(f"\nby {name} ({res['headline']['analysis']})")
        print_table(table, list(table[0]))
        out[name] = {"rows": sub["subgroups"], "overall": sub["overall"]}
        for arm in arms:
            if name == "nodule_size":
                out[name][f"verdict {arm}"] = size_verdict(sub["subgroups"], arm)
            else:
                d, verdict = rib_difference(sub["subgroups"], arm)
                out[name][f"difference {arm}"] = d
                out[name][f"verdict {arm}"] = verdict
            print(f"{name}, {arm}: {out[name][f'verdict {arm}']}"
                  + (f" (D = {d['difference']:+.3f}, 95% CI {d['ci'][0]:+.3f} to "
                     f"{d['ci'][1]:+.3f})" if name == "rib_overlap" and d else ""))
    write_json("chest_nodules_trial", out, args.out)


if __name__ == "__main__":
    main()
