"""EXPLORATORY diagnosis (after the pre-registered chest sites endpoints were read; not an
endpoint): why the trial's NPWE scores near chance on the stored chest ROIs.

    python benchmarks/chest_npwe_diagnosis.py RUN_DIR [--out JSON] [--load "x-y"]

Re-runs the trial's analysis in-process (writes nothing into RUN_DIR) once with
``observer = "npwe"`` and once as specified (CHO), catching every (arm, size class) reader
call (``victwin.readers.resampled_readers``) with its cropped training and test ROIs. For each:

- AUC of the size class's test nodules against their matched lesion-absent ROIs (all of the
  class's absent test ROIs, Mann-Whitney), four ways: (a) the trial's readers (training ROIs
  bootstrapped class by class, 5 readers, the trial's reader seed: reproduces the trial's
  per-class figures), (b) one observer fitted on the whole training set, (c) 5 readers
  bootstrapped by matched pair (``resampled_readers(groups=...)``), (d) 5 readers
  bootstrapped by twin (the training ids replicated from the analysis's split and gather
  order, checked against the ROI counts and the recovered pairs: every pair must lie in one
  twin). The training pairs are not recorded by the analysis; they are recovered as each
  lesion ROI's nearest lesion-absent ROI (L2; the pair shares its anatomy), checked on the
  test ROIs whose pairs are known from their ids (``s<k>`` <-> ``s<k+4>``) and reported with
  the worst nearest/second-nearest ratio.
- For NPWE, the first trial reader's mean difference filtered three ways (cyclic as the
  observer does, linear with zero padding, cyclic after a Hann window): AUC of each.
- NPW (no eye filter) the same way, and where the full fit's mean signal sits in the crop.
- For the first trial reader and the full fit: the signal term (mean test score, nodules
  minus absent), the SD of the score over the absent test ROIs, and that variance split into
  the ROI's least-squares plane (mean + ramps) and the plane-removed rest by radial
  spatial-frequency band (DFT of the crop; cross terms between parts are not shown, so the
  fractions need not add to 1); the template's distance from the full fit's template, and
  the share of its energy below 0.1 cyc/mm.

Then the sites endpoints (``benchmarks/chest_nodules_trial.py::sites_endpoints``: per-class
AUCs, size and rib differences with their twin-bootstrap CIs) of the whole analysis re-run
with every reader bootstrapped by matched pair (the recovered pairs passed as ``groups``),
and again by twin, for NPWE and the CHO: what the trial's tables would read with that one change.

Writes ``benchmarks/results/chest_npwe_diagnosis.json`` (default) and prints a table.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from _common import RESULTS, environment

BANDS_CYC_MM = ((0.0, 0.1), (0.1, 0.3), (0.3, 1.0), (1.0, np.inf))
N_READERS = 5


def _auc(t1, t0):
    t1, t0 = np.asarray(t1), np.asarray(t0)
    return float(np.mean((t1[:, None] > t0[None, :]) + 0.5 * (t1[:, None] == t0[None, :])))


def _analyse_with(store, spec, observer, groups_of):
    """The trial's analysis with ``observer``, every ``resampled_readers`` call given the
    groups ``groups_of(obs, X_train, y_train, X_test, y_test, kw)`` returns (``None``: ROIs
    class by class, as the analysis resampled until 2026-12-02; it now passes twins)."""
    import victwin.readers as R
    from victwin.trial import analyse, spec_from_dict

    orig = R.resampled_readers

    def wrap(obs, X_train, y_train, X_test, y_test, **kw):
        kw["groups"] = groups_of(obs, X_train, y_train, X_test, y_test, kw)
        if kw["groups"] is None:    # ROIs class by class: the draws of before n_features
            kw.pop("n_features", None)
        return orig(obs, X_train, y_train, X_test, y_test, **kw)

    d = spec.to_toml_dict()
    d["readers"] = dict(d["readers"], observer=observer)
    R.resampled_readers = wrap
    try:
        return analyse(store, spec_from_dict(d))
    finally:
        R.resampled_readers = orig


def _capture(store, spec, observer):
    """Every resampled_readers call of the trial's analysis with ``observer``, its readers
    resampling ROIs class by class (as the stored run was analysed)."""
    calls = []

    def record(obs, X_train, y_train, X_test, y_test, kw):
        calls.append({"observer": obs, "Xtr": X_train, "ytr": np.asarray(y_train),
                      "Xte": X_test, "yte": np.asarray(y_test), "ids": list(kw["case_ids"])})
        return None

    return _analyse_with(store, spec, observer, record), calls


def _train_ids(store, spec, cells):
    """Each size class's training ROI ids in the order the analysis gathers them (its split,
    twins sorted, each twin's ROIs in record order, the class's only; every class trained on
    its own twins). Checked in ``main`` against the ROI counts and the recovered pairs."""
    from victwin.trial._analysis import _case_rois
    from victwin.trial._cohort import step_key

    records = store.case_records()
    rng = np.random.default_rng(np.random.SeedSequence([spec.seed, step_key("split")]))
    perm = rng.permutation(len(records))
    n_train = int(round(spec.readers.training_fraction * len(records)))
    n_train = min(max(n_train, 2), len(records) - 2)
    out = {}
    for k in np.sort(perm[:n_train]):
        rec = records[k]
        for suffix, _, kind, _ in _case_rois(rec):
            rid = f"{rec.case_id}-{suffix}"
            if kind == "nodule":
                out.setdefault(cells[rid][0], []).append(rid)
    return out


def _pair_readers(store, spec, observer, cells, by="pair", train_ids=None, pixel_mm=None):
    """The sites endpoints with every reader bootstrapped by matched pair (``by="pair"``) or
    by twin (``by="twin"``: ``train_ids`` per class, the crop side tells the class)."""
    from victwin.trial._nodule_classes import NODULE_SIZE_CLASSES, class_roi_px
    import chest_nodules_trial as bench

    def groups_of(obs, X_train, y_train, X_test, y_test, kw):
        if by == "pair":
            return _pairs(np.asarray(X_train), np.asarray(y_train))[0]
        n = np.shape(X_train)[1]
        label = next(c for c in NODULE_SIZE_CLASSES if class_roi_px(c, pixel_mm) == n)
        return [i.rsplit("-", 1)[0] for i in train_ids[label]]

    a = _analyse_with(store, spec, observer, groups_of)
    return {"mean_auc": a.results["mrmc"]["mean_auc"],
            "endpoints": bench.sites_endpoints(a.table, cells)}


def _pairs(X, y):
    """Each lesion ROI's nearest lesion-absent ROI: (group label per ROI, worst ratio of the
    nearest to the second-nearest distance, whether the matching is one-to-one)."""
    P = X[y == 1].reshape(np.sum(y == 1), -1)
    A = X[y == 0].reshape(np.sum(y == 0), -1)
    d2 = (P ** 2).sum(1)[:, None] + (A ** 2).sum(1)[None, :] - 2 * P @ A.T
    order = np.argsort(d2, axis=1)
    near = order[:, 0]
    ratio = float(np.max(np.sqrt(np.maximum(d2[np.arange(len(P)), near], 0)
                                 / d2[np.arange(len(P)), order[:, 1]])))
    groups = np.empty(len(y), dtype=int)
    groups[np.flatnonzero(y == 1)] = np.arange(len(P))
    groups[np.flatnonzero(y == 0)[near]] = np.arange(len(P))
    one_to_one = len(set(near.tolist())) == len(P) == len(A)
    return groups, ratio, one_to_one, near


def _decompose(w, X0, pixel_mm):
    """Variance over ROIs ``X0`` of ``t = w . g`` split into plane and bands."""
    n = w.shape[0]
    yy, xx = np.mgrid[:n, :n]
    A = np.stack([np.ones(n * n), yy.ravel(), xx.ravel()], axis=1)
    G = X0.reshape(len(X0), -1)
    coef, *_ = np.linalg.lstsq(A, G.T, rcond=None)
    plane = (A @ coef).T
    rest = (G - plane).reshape(X0.shape)
    t = G @ w.ravel()
    out = {"var_total": float(t.var()), "var_plane": float((plane @ w.ravel()).var())}
    f = np.hypot(*np.meshgrid(np.fft.fftfreq(n), np.fft.fftfreq(n), indexing="ij")) / pixel_mm
    W = np.fft.fft2(w)
    R = np.fft.fft2(rest)
    for lo, hi in BANDS_CYC_MM:
        band = (f >= lo) & (f < hi)
        tb = np.real((np.conj(W) * R * band).sum(axis=(1, 2))) / n ** 2
        out[f"var_rest_{lo}-{hi}_cyc_mm"] = float(tb.var())
    E = np.abs(W) ** 2
    out["template_energy_below_0.1_cyc_mm"] = float(E[f < 0.1].sum() / E.sum())
    return out


def _one(call, label, pixel_mm, reader_seed, obs_name, train_ids):
    from victwin.readers import resampled_readers

    obs = call["observer"]
    Xtr, ytr = call["Xtr"], call["ytr"]
    Xte, yte = call["Xte"], call["yte"]
    ids = call["ids"]
    make = lambda: type(obs)(**obs.get_params())   # noqa: E731
    res = {"class": label, "observer": obs_name, "roi_px": int(Xtr.shape[1]),
           "n_train": [int(np.sum(ytr == 0)), int(np.sum(ytr == 1))],
           "n_test": [int(np.sum(yte == 0)), int(np.sum(yte == 1))]}
    # (a) the trial's readers (same seed and order as the analysis's read())
    trial = resampled_readers(make(), Xtr, ytr, Xte, yte, n_readers=N_READERS,
                              rng=np.random.default_rng(reader_seed))
    res["auc_trial_readers"] = [_auc(s[yte == 1], s[yte == 0]) for s in trial.scores]
    # (b) one observer on the whole training set
    full = make().fit(Xtr, ytr)
    tf = full.decision_function(Xte)
    res["auc_full_fit"] = _auc(tf[yte == 1], tf[yte == 0])
    # (c) readers bootstrapped by matched pair
    groups, ratio, one_to_one, _ = _pairs(Xtr, ytr)
    # check the nearest-neighbour pairing on the test ROIs, whose pairs are known by id
    _, ratio_te, _, near_te = _pairs(Xte, yte)
    site = {c: c.rsplit("-s", 1) for c in ids}
    pres = [c for c, t in zip(ids, yte) if t == 1]
    absn = [c for c, t in zip(ids, yte) if t == 0]
    truth_pair = [f"{site[c][0]}-s{int(site[c][1]) + 4}" for c in pres]
    res["pairing"] = {"train_worst_nearest_over_second": ratio, "train_one_to_one": one_to_one,
                      "test_worst_nearest_over_second": ratio_te,
                      "test_pairs_recovered": float(np.mean([absn[j] == tp for j, tp in
                                                             zip(near_te, truth_pair)]))}
    grouped = resampled_readers(make(), Xtr, ytr, Xte, yte, n_readers=N_READERS,
                                rng=np.random.default_rng(reader_seed), groups=groups)
    res["auc_pair_bootstrap_readers"] = [_auc(s[yte == 1], s[yte == 0]) for s in grouped.scores]
    # readers resampling whole twins (ids replicated from the analysis's split and order)
    twin = np.array([i.rsplit("-", 1)[0] for i in train_ids])
    if len(twin) != len(ytr):
        raise SystemExit(f"{label}: {len(twin)} replicated training ids, {len(ytr)} ROIs")
    res["pairs_within_one_twin"] = bool(all(len(set(twin[groups == g])) == 1
                                            for g in np.unique(groups)))
    res["n_train_twins"] = int(len(set(twin.tolist())))
    by_twin = resampled_readers(make(), Xtr, ytr, Xte, yte, n_readers=N_READERS,
                                rng=np.random.default_rng(reader_seed), groups=twin)
    res["auc_twin_bootstrap_readers"] = [_auc(s[yte == 1], s[yte == 0]) for s in by_twin.scores]
    # decomposition: the first trial reader (the same first draw as resampled_readers) and
    # the full fit
    rng = np.random.default_rng(reader_seed)
    sel = np.concatenate([rng.choice(np.flatnonzero(ytr == c), size=np.sum(ytr == c))
                          for c in (0, 1)])
    reader1 = make().fit(Xtr[sel], ytr[sel])
    # where the full fit's mean difference sits in the crop (crop_rois centring)
    delta = Xtr[ytr == 1].mean(axis=0) - Xtr[ytr == 0].mean(axis=0)
    pos = np.clip(delta, 0, None)
    yy, xx = np.mgrid[:delta.shape[0], :delta.shape[1]] - delta.shape[0] // 2
    res["signal_centroid_px_from_crop_centre"] = [float((pos * yy).sum() / pos.sum()),
                                                  float((pos * xx).sum() / pos.sum())]
    for name, o in (("full_fit", full), ("trial_reader_1", reader1)):
        w = o.template_
        t = Xte.reshape(len(Xte), -1) @ w.ravel()
        dec = _decompose(w, Xte[yte == 0], pixel_mm)
        dec["signal_term"] = float(t[yte == 1].mean() - t[yte == 0].mean())
        dec["sd_absent"] = float(t[yte == 0].std())
        dec["auc"] = _auc(t[yte == 1], t[yte == 0])
        dec["template_distance_from_full_fit"] = float(np.linalg.norm(w - full.template_)
                                                       / np.linalg.norm(full.template_))
        res[name] = dec
    if obs_name == "npwe":      # the first trial reader's mean difference, filtered 3 ways
        from victwin.readers import eye_filter

        Xs, ys = Xtr[sel], ytr[sel]
        d = Xs[ys == 1].mean(axis=0) - Xs[ys == 0].mean(axis=0)
        n = d.shape[0]
        kw = {k: obs.get_params()[k] for k in ("pixel_mm", "viewing_distance_mm", "exponent",
                                                "peak_cyc_per_deg")}
        E = eye_filter((n, n), **kw)
        E2n = eye_filter((2 * n, 2 * n), **kw)
        pad = np.zeros((2 * n, 2 * n))
        pad[:n, :n] = d
        hann = np.outer(np.hanning(n), np.hanning(n))
        variants = {
            "cyclic (as implemented)": np.real(np.fft.ifft2(E ** 2 * np.fft.fft2(d))),
            "linear (zero-padded to 2n)":
                np.real(np.fft.ifft2(E2n ** 2 * np.fft.fft2(pad)))[:n, :n],
            "cyclic, Hann-windowed mean difference":
                np.real(np.fft.ifft2(E ** 2 * np.fft.fft2(d * hann))),
        }
        res["trial_reader_1_filtering_auc"] = {}
        for k, w in variants.items():
            t = Xte.reshape(len(Xte), -1) @ w.ravel()
            res["trial_reader_1_filtering_auc"][k] = _auc(t[yte == 1], t[yte == 0])
    return res


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("run_dir")
    ap.add_argument("--out", default=str(RESULTS / "chest_npwe_diagnosis.json"))
    ap.add_argument("--load", default=None, help="machine load during the run (uptime)")
    args = ap.parse_args(argv)
    from victwin.trial import TrialStore, spec_from_dict
    from victwin.trial._cohort import step_key
    from victwin.trial._nodule_classes import NODULE_SIZE_CLASSES, class_roi_px

    t0 = time.time()
    out = {"note": "EXPLORATORY diagnosis after the pre-registered results were seen; "
                   "not an endpoint", "run_dir": args.run_dir, "environment": environment(),
           "load": args.load, "bands_cyc_mm": [list(b) for b in BANDS_CYC_MM], "rows": []}
    with TrialStore(args.run_dir) as store:
        spec = spec_from_dict(store.provenance()["spec_toml"])
        rec = next(iter(store.case_records()))
        import chest_nodules_trial as bench
        cells = bench._site_cells(store)
        train_ids = _train_ids(store, spec, cells)
        for obs_name in ("npwe", "npw", spec.readers.observer):
            a, calls = _capture(store, spec, obs_name)
            arms = a.results["modalities"]
            per_arm = len(calls) // len(arms)
            for i, call in enumerate(calls):
                m = arms[i // per_arm]
                pixel_mm = rec.result.modalities[m].roi.pitch_mm
                n = call["Xtr"].shape[1]
                label = next(c for c in NODULE_SIZE_CLASSES if class_roi_px(c, pixel_mm) == n)
                seed = np.random.SeedSequence([spec.seed, step_key(f"readers-{m}-nodule")])
                row = _one(call, label, pixel_mm, seed, obs_name, train_ids[label])
                row["arm"] = m
                out["rows"].append(row)
        out["pair_bootstrap_endpoints"] = {
            o: _pair_readers(store, spec, o, cells) for o in ("npwe", spec.readers.observer)}
        out["twin_bootstrap_endpoints"] = {
            o: _pair_readers(store, spec, o, cells, by="twin", train_ids=train_ids,
                             pixel_mm=rec.result.modalities[arms[0]].roi.pitch_mm)
            for o in ("npwe", spec.readers.observer)}
    out["wall_s"] = round(time.time() - t0, 1)
    hdr = ("arm", "reader", "class", "px", "AUC trial rdrs", "AUC full fit", "AUC pair-boot",
           "signal/sd (rdr1)", "signal/sd (full)", "var plane (rdr1)", "var <0.1 (rdr1)",
           "var <0.1 (full)", "|w1-wf|/|wf|", "pairs ok (test)")
    print("EXPLORATORY; AUC = class's test nodules vs their matched absent ROIs; var = share "
          "of the score's variance over absent test ROIs")
    print(" | ".join(hdr))
    for r in out["rows"]:
        r1, rf = r["trial_reader_1"], r["full_fit"]
        print(" | ".join(str(x) for x in (
            r["arm"], r["observer"], r["class"], r["roi_px"],
            f"{np.mean(r['auc_trial_readers']):.3f}", f"{r['auc_full_fit']:.3f}",
            f"{np.mean(r['auc_pair_bootstrap_readers']):.3f}",
            f"{r1['signal_term'] / r1['sd_absent']:.2f}",
            f"{rf['signal_term'] / rf['sd_absent']:.2f}",
            f"{r1['var_plane'] / r1['var_total']:.3f}",
            f"{r1['var_rest_0.0-0.1_cyc_mm'] / r1['var_total']:.3f}",
            f"{rf['var_rest_0.0-0.1_cyc_mm'] / rf['var_total']:.3f}",
            f"{r1['template_distance_from_full_fit']:.2f}",
            f"{r['pairing']['test_pairs_recovered']:.3f}")))
    print("\nNPWE first trial reader, its mean difference filtered 3 ways (AUC):")
    for r in out["rows"]:
        if "trial_reader_1_filtering_auc" in r:
            print(r["arm"], r["class"], {k: round(v, 3) for k, v in
                                         r["trial_reader_1_filtering_auc"].items()})
    print("\nAUC with readers resampling whole twins (mean of 5):")
    for r in out["rows"]:
        print(r["arm"], r["observer"], r["class"],
              f"{np.mean(r['auc_twin_bootstrap_readers']):.3f}", "training twins",
              r["n_train_twins"], "pairs within one twin", r["pairs_within_one_twin"])
    for by in ("pair", "twin"):
        print(f"\nEXPLORATORY: sites endpoints with readers bootstrapped by {by}")
        for o, v in out[f"{by}_bootstrap_endpoints"].items():
            print(f"== {o}: mean AUC {v['mean_auc']}")
            for arm, e in v["endpoints"].items():
                print(arm, {k: round(x, 3) for k, x in e["auc"].items()})
                for n in ("size", "ribs"):
                    print(f"   {n} D = {e[n]['difference']:+.3f} (95% CI {e[n]['ci'][0]:+.3f} "
                          f"to {e[n]['ci'][1]:+.3f}) {e[n]['verdict']}")
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1, default=float)
    print(f"wrote {args.out} ({out['wall_s']} s)")


if __name__ == "__main__":
    main()
