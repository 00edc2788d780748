"""Does rib overlap lower nodule detectability on chest twins?  (measured, powered)

    python benchmarks/chest_rib_overlap.py [--twins 9] [--reps 3] [--size-mm 10]

Design (pre-specified, not tuned on the outcome):

* twins ``chest/adult`` (body drawn from NHANES), seeds 200.., 1 mm voxels, ``chest-pa`` at
  binning 8 (1.12 mm pixels), noisy raw -> line integrals ``-log((raw - offset) / flat)``;
* per repetition, lung sites at least ``radius + 10 mm`` inside the lung whose projections are
  >= 45 mm apart (40 mm ROIs do not overlap) are split alternately into sets A and B; image 1
  holds solid smooth nodules at the A sites, image 2 at the B sites (independent noise). The
  A ROIs of image 1 and the B ROIs of image 2 are lesion-present, the same sites in the other
  image lesion-absent: each image serves both classes, each site gives one present/absent
  pair over the same anatomy;
* rib overlap of a site: bone path length along the beam averaged over the nodule's projected
  disc (label columns through the phantom); groups "less" / "more" split at the median;
* reader: channelized Hotelling observer (5 Laguerre-Gauss channels, width ROI/4), two-fold
  cross-validation by twin parity, trained on all sites of the other fold; AUC per overlap
  group from the same test scores (DeLong CI), the difference with a cluster bootstrap over
  twins (2000 resamples).

Power (stated before the run): Hanley & McNeil (Radiology 1982;143:29-36) give var(AUC)
~ [(Q1 - A^2) + (Q2 - A^2)] / n for n present / n absent ROIs, Q1 = A/(2-A),
Q2 = 2A^2/(1+A); at A = 0.75 that is 0.118 / n. With ``n`` pairs per group the SE of the
difference of two independent groups is sqrt(2 * 0.118 / n); the script prints the power to
detect a difference of 0.08 (the point estimate at 10 mm of the earlier 36-pair study) at
two-sided alpha 0.05. About 300 pairs per group give 80 % at A = 0.75; the script also reports
the power at the AUC it observes (a higher AUC has a smaller variance).

Secondary analyses (added 2026-12-02 before the rerun): a non-prewhitening matched filter on
plane-detrended ROIs (a human-like reader), and the overlap split done inside 18 lung zones
(side x tertile of |x| x tertile of height) so that both groups hold sites of the same
regions; the cache stores each site's centre for it.

Writes ``benchmarks/results/chest_rib_overlap.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from pathlib import Path

import numpy as np
from scipy import ndimage

from victwin import acquire
from victwin.phantom import LUNG_MATERIALS
from victwin.phantom.chest import make_chest
from victwin.phantom.chest.nodules import lung_nodule
from victwin.phantom.lesions import insert_lesion
from victwin.readers import ChannelizedHotelling, laguerre_gauss
from victwin.stats import auc_ci

ROI_MM = 40.0
SEPARATION_MM = 45.0
PLEURA_MM = 10.0


def line_integrals(acq) -> np.ndarray:
    raw = acq.raw[0].astype(np.float64) - acq.detector["offset_adu"]
    return -np.log(np.clip(raw, 1.0, None) / np.asarray(acq.flat_adu)[0])


def lung_candidates(ph, need_mm):
    """World (x, y, z) of lung points at least ``need_mm`` from non-lung tissue (as
    :func:`victwin.phantom.chest.nodules.place_nodule`, on a ~2 mm grid)."""
    g = ph.grid
    step = max(1, int(round(2.0 / g.spacing[0])))
    lab = ph.labels[::step, ::step, ::step]
    lung = np.isin(lab, [k for k, m in ph.materials.items() if m in (*LUNG_MATERIALS, "blood")])
    lung &= ndimage.binary_dilation(np.isin(lab, [k for k, m in ph.materials.items()
                                                  if m in LUNG_MATERIALS]), iterations=2)
    dist = ndimage.distance_transform_edt(lung, sampling=[s * step for s in g.spacing])
    idx = np.argwhere(dist >= need_mm) * step
    return g.index_to_world(idx.astype(float))


def pick_sites(cand, rng, sep_mm):
    """Greedy random sites whose (x, y) are >= ``sep_mm`` apart."""
    out = []
    for k in rng.permutation(len(cand))[:20000]:
        p = cand[k]
        if all(math.hypot(p[0] - q[0], p[1] - q[1]) >= sep_mm for q in out):
            out.append(p)
    return out


def bone_overlap_mm(ph, centre, radius):
    g = ph.grid
    bone = [k for k, m in ph.materials.items() if m == "bone"]
    iz, iy, ix = np.rint(g.world_to_index(np.asarray(centre)[None, :])[0]).astype(int)
    r = max(1, int(round(radius / g.spacing[1])))
    sub = np.isin(ph.labels[:, iy - r:iy + r + 1, ix - r:ix + r + 1], bone)
    yy, xx = np.mgrid[-r:r + 1, -r:r + 1]
    disc = (yy ** 2 + xx ** 2 <= r * r)[:sub.shape[1], :sub.shape[2]]
    return float((sub.sum(axis=0) * g.spacing[0])[disc].mean())


def roi_at(img, rc, half):
    r, c = int(round(rc[0])), int(round(rc[1]))
    if r < half or c < half or r + half > img.shape[0] or c + half > img.shape[1]:
        return None
    return img[r - half:r + half, c - half:c + half].astype(np.float64)


def power_two_groups(n_per_group, delta=0.08, auc=0.75, z_alpha=1.959964):
    """Normal-approximation power of a two-sided test of AUC difference ``delta``."""
    q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
    var1 = ((q1 - auc * auc) + (q2 - auc * auc)) / max(n_per_group, 1)
    se = math.sqrt(2 * var1)
    z = delta / se
    phi = lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2)))   # noqa: E731
    return phi(z - z_alpha) + phi(-z - z_alpha)


def cv_scores(present, absent, twin):
    """Two-fold (twin parity) CHO test scores for every pair: (s_present, s_absent)."""
    shape = present.shape[1:]
    ch = laguerre_gauss(shape, n_channels=5, width_px=shape[0] / 4)
    sp, sa = np.empty(len(present)), np.empty(len(absent))
    for fold in (0, 1):
        tr, te = twin % 2 != fold, twin % 2 == fold
        X = np.concatenate([absent[tr], present[tr]])
        y = np.r_[np.zeros(tr.sum()), np.ones(tr.sum())]
        obs = ChannelizedHotelling(ch).fit(X, y)
        sp[te] = obs.decision_function(present[te])
        sa[te] = obs.decision_function(absent[te])
    return sp, sa


def _auc(sp, sa):
    return float((np.mean(sp[:, None] > sa[None, :]) + 0.5 * np.mean(sp[:, None] == sa[None, :])))


def detrend(rois):
    """ROIs minus their least-squares plane (what a reader ignores: the slow lung-field
    gradient)."""
    n = rois.shape[-1]
    yy, xx = np.mgrid[:n, :n].astype(float)
    G = np.column_stack([np.ones(n * n), yy.ravel(), xx.ravel()])
    flat = rois.reshape(len(rois), -1).T
    coef, *_ = np.linalg.lstsq(G, flat, rcond=None)
    return (flat - G @ coef).T.reshape(rois.shape)


def npw_scores(present, absent, twin):
    """Non-prewhitening matched filter on plane-detrended ROIs (template: the mean
    present - absent difference of the other fold). Human readers in power-law backgrounds
    perform like a non-prewhitening observer (Burgess AE et al. J Opt Soc Am A
    2001;18:1451-1463; Burgess & Judy 2007), unlike the CHO, which learns the background's
    covariance."""
    P, A = detrend(present), detrend(absent)
    sp, sa = np.empty(len(P)), np.empty(len(A))
    for fold in (0, 1):
        tr, te = twin % 2 != fold, twin % 2 == fold
        t = (P[tr] - A[tr]).mean(axis=0)
        sp[te] = (P[te] * t).sum(axis=(1, 2))
        sa[te] = (A[te] * t).sum(axis=(1, 2))
    return sp, sa


def location_strata(centres, n_bins=3):
    """Zone of each site: side x tertile of |x| x tertile of y (projected position in the
    lung field), so that an overlap split inside each zone compares sites of the same
    region (the literature compares on-rib with between-rib positions in the same region;
    a split over the whole lung mixes regions of different vessel density)."""
    c = np.asarray(centres, float)
    ax = np.abs(c[:, 0])
    qx = np.quantile(ax, np.linspace(0, 1, n_bins + 1)[1:-1])
    qy = np.quantile(c[:, 1], np.linspace(0, 1, n_bins + 1)[1:-1])
    return (np.sign(c[:, 0]) > 0).astype(int) * 100 + np.searchsorted(qx, ax) * 10 \
        + np.searchsorted(qy, c[:, 1])


def split_within(ov, strata):
    """``less`` mask: overlap at or below its zone's median."""
    less = np.zeros(len(ov), bool)
    for z in np.unique(strata):
        m = strata == z
        less[m] = ov[m] <= np.median(ov[m])
    return less


def diff_ci(sp, sa, less, tw, n_boot=2000):
    """AUC(less) - AUC(more) and its 95 % cluster-bootstrap CI over twins."""
    d0 = _auc(sp[less], sa[less]) - _auc(sp[~less], sa[~less])
    brng = np.random.default_rng(0)
    ids = np.unique(tw)
    d = []
    for _ in range(n_boot):
        idx = np.concatenate([np.flatnonzero(tw == i)
                              for i in brng.choice(ids, size=len(ids), replace=True)])
        m = less[idx]
        if m.sum() < 2 or (~m).sum() < 2:
            continue
        d.append(_auc(sp[idx][m], sa[idx][m]) - _auc(sp[idx][~m], sa[idx][~m]))
    lo, hi = np.percentile(d, [2.5, 97.5])
    return {"auc_less": round(_auc(sp[less], sa[less]), 3),
            "auc_more": round(_auc(sp[~less], sa[~less]), 3),
            "n_less": int(less.sum()), "n_more": int((~less).sum()),
            "estimate": round(d0, 3), "ci_cluster_bootstrap": [round(float(lo), 3),
                                                               round(float(hi), 3)]}


def signal_and_background(present, absent, less, pixel_mm, signal_r_mm=3.0):
    """Why a linear reader does or does not lose the nodule over ribs: per overlap group, the
    nodule's signal (present - absent, mean over a disc of ``signal_r_mm``), the ROI's
    background SD (plane-detrended absent ROI) and the background's fluctuation at the
    nodule's scale (disc mean minus the mean of a 6-10 mm annulus, SD over sites)."""
    n = present.shape[-1]
    yy, xx = np.mgrid[:n, :n]
    r = np.hypot(yy - (n - 1) / 2, xx - (n - 1) / 2) * pixel_mm
    disc, ann = r <= signal_r_mm, (r > 6.0) & (r < 10.0)
    sig = (present - absent)[:, disc].mean(axis=1)
    a = detrend(absent)
    loc = a[:, disc].mean(axis=1) - a[:, ann].mean(axis=1)
    out = {}
    for name, m in (("less", less), ("more", ~less)):
        out[name] = {"signal_p": round(float(sig[m].mean()), 4),
                     "roi_background_sd_p": round(float(a[m].std(axis=(1, 2)).mean()), 4),
                     "nodule_scale_background_sd_p": round(float(loc[m].std()), 4)}
    return out


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--twins", type=int, default=9)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--size-mm", type=float, default=10.0)
    ap.add_argument("--voxel-mm", type=float, default=1.0)
    ap.add_argument("--binning", type=int, default=8)
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "results"
                                          / "chest_rib_overlap.json"))
    ap.add_argument("--cache", default="/tmp/victwin_chest_rib_overlap_v2",
                    help="per-twin ROI files; a rerun reuses them (resume after a stop)")
    ap.add_argument("--seed-base", type=int, default=200,
                    help="twin k is chest/adult seed seed_base + k (200: the first study; "
                         "a confirmatory run uses fresh twins, e.g. 400)")
    ap.add_argument("--analyse-only", action="store_true",
                    help="analyse the twins already in --cache, compute no new ones")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    load0 = os.getloadavg()[0]
    rows = []
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    for tw in range(args.twins):
        f_tw = cache / f"twin{tw:03d}_{args.size_mm:g}mm_{args.voxel_mm:g}_{args.binning}.npz"
        if f_tw.exists():                      # computed by an earlier (interrupted) run
            z = np.load(f_tw)
            cen = z["centre_mm"] if "centre_mm" in z.files else [None] * len(z["overlap_mm"])
            rows += [{"twin": tw, "overlap_mm": float(o), "present": p, "absent": a,
                      "centre_mm": c}
                     for o, p, a, c in zip(z["overlap_mm"], z["present"], z["absent"], cen)]
            continue
        if args.analyse_only:
            continue
        n0 = len(rows)
        ph = make_chest("chest/adult", seed=args.seed_base + tw, voxel_mm=args.voxel_mm,
                        progress=False)
        rng = np.random.default_rng(args.seed_base + 800 + tw)
        cand = lung_candidates(ph, 0.5 * args.size_mm + PLEURA_MM)
        for rep in range(args.reps):
            sites = pick_sites(cand, rng, SEPARATION_MM)
            sets = (sites[0::2], sites[1::2])
            imgs, centres = [], []
            for k, S in enumerate(sets):
                cur, cs = ph, []
                for p in S:
                    model = lung_nodule(rng, diameter_mm=args.size_mm, nodule_type="solid",
                                        margin="smooth", voxel_mm=min(args.voxel_mm, 0.5))
                    try:
                        cur, les = insert_lesion(cur, model, center_mm=tuple(map(float, p)))
                    except ValueError:           # overlaps an airway or bone: site dropped
                        continue
                    cs.append(np.asarray(les.center_mm, float))
                case = (tw * args.reps + rep) * 2 + k
                acq = acquire(cur, "chest-pa", seed=11, case=case, binning=args.binning,
                              progress=False)
                imgs.append((line_integrals(acq), acq.views[0]))
                centres.append(cs)
            half = int(round(0.5 * ROI_MM / imgs[0][1].panel.pitch[0]))
            for k in (0, 1):
                img_p, view = imgs[k]
                img_a = imgs[1 - k][0]
                for c in centres[k]:
                    rc = view.project(c)
                    p, a = roi_at(img_p, rc, half), roi_at(img_a, rc, half)
                    if p is None or a is None:
                        continue
                    rows.append({"twin": tw, "rep": rep, "centre_mm": c.tolist(),
                                 "overlap_mm": bone_overlap_mm(ph, c, 0.5 * args.size_mm),
                                 "present": p, "absent": a})
        new = rows[n0:]
        np.savez_compressed(f_tw, overlap_mm=np.array([r["overlap_mm"] for r in new]),
                            centre_mm=np.array([r["centre_mm"] for r in new]),
                            present=np.stack([r["present"] for r in new]),
                            absent=np.stack([r["absent"] for r in new]))
        print(f"twin {tw} done: {len(rows)} pairs, {time.perf_counter() - t0:.0f} s, "
              f"load {os.getloadavg()[0]:.1f}", flush=True)
    P = np.stack([r["present"] for r in rows])
    A = np.stack([r["absent"] for r in rows])
    if len({r["twin"] for r in rows}) < 2:
        raise SystemExit("fewer than 2 twins computed: nothing to analyse")
    tw = np.array([r["twin"] for r in rows])
    ov = np.array([r["overlap_mm"] for r in rows])
    sp, sa = cv_scores(P, A, tw)
    med = float(np.median(ov))
    groups = {"less rib overlap": ov <= med, "more rib overlap": ov > med}
    out = {"design": {"twins": int(len(set(tw.tolist()))), "reps": args.reps, "size_mm": args.size_mm,
                      "voxel_mm": args.voxel_mm, "binning": args.binning, "roi_mm": ROI_MM,
                      "reader": "CHO, 5 LG channels, 2-fold CV by twin"},
           "n_pairs": int(len(rows)), "median_bone_mm": round(med, 2),
           "load_1min_at_start": round(load0, 1)}
    s_all = np.r_[sp, sa]
    t_all = np.r_[np.ones(len(sp)), np.zeros(len(sa))]
    a, se, ci = auc_ci(s_all, t_all)
    out["all"] = {"auc": round(a, 3), "ci": [round(float(v), 3) for v in ci]}
    for name, m in groups.items():
        a, se, ci = auc_ci(np.r_[sp[m], sa[m]], np.r_[np.ones(m.sum()), np.zeros(m.sum())])
        out[name] = {"auc": round(a, 3), "ci": [round(float(v), 3) for v in ci],
                     "se": round(se, 4), "n_pairs": int(m.sum()),
                     "mean_bone_mm": round(float(ov[m].mean()), 2)}
    n_min = min(int(m.sum()) for m in groups.values())
    out["power_for_delta_0.08"] = {
        "at_prespecified_auc_0.75": round(power_two_groups(n_min), 3),
        "at_observed_auc": round(power_two_groups(n_min, auc=out["all"]["auc"]), 3),
        "n_pairs_smaller_group": n_min}
    # cluster bootstrap over twins of AUC(less) - AUC(more)
    brng = np.random.default_rng(0)
    ids = np.unique(tw)
    diffs = []
    for _ in range(2000):
        pick = brng.choice(ids, size=len(ids), replace=True)
        idx = np.concatenate([np.flatnonzero(tw == i) for i in pick])
        o, m_less = ov[idx], ov[idx] <= med
        if m_less.all() or not m_less.any():
            continue
        d = (_auc(sp[idx][m_less], sa[idx][m_less])
             - _auc(sp[idx][~m_less], sa[idx][~m_less]))
        diffs.append(d)
    d0 = out["less rib overlap"]["auc"] - out["more rib overlap"]["auc"]
    lo, hi = np.percentile(diffs, [2.5, 97.5])
    out["auc_less_minus_more"] = {"estimate": round(d0, 3),
                                  "ci_cluster_bootstrap": [round(float(lo), 3),
                                                           round(float(hi), 3)],
                                  "p_bootstrap_le_0": round(float(np.mean(np.asarray(diffs)
                                                                          <= 0)), 4)}
    # per-pair score difference against overlap (Spearman), a continuous view of the effect
    from scipy.stats import spearmanr
    rho, pval = spearmanr(ov, sp - sa)
    out["spearman_overlap_vs_score_gap"] = {"rho": round(float(rho), 3),
                                            "p": float(f"{pval:.3g}")}
    # secondary analyses (added 2026-12-02, after the first run; stated before the rerun):
    # a human-like non-prewhitening reader, and overlap split inside lung zones
    n_p, n_a = npw_scores(P, A, tw)
    out["npw_reader"] = {"auc_all": round(_auc(n_p, n_a), 3),
                         "median_split": diff_ci(n_p, n_a, ov <= med, tw)}
    if all(r.get("centre_mm") is not None for r in rows):
        strata = location_strata([r["centre_mm"] for r in rows])
        less_z = split_within(ov, strata)
        out["within_zone_split"] = {
            "zones": int(len(np.unique(strata))),
            "mean_bone_mm_less_more": [round(float(ov[less_z].mean()), 2),
                                       round(float(ov[~less_z].mean()), 2)],
            "cho": diff_ci(sp, sa, less_z, tw), "npw": diff_ci(n_p, n_a, less_z, tw)}
        # does the overlap split carry location? mean |x| and y of the two median groups
        c = np.asarray([r["centre_mm"] for r in rows], float)
        out["site_position_by_group_mm"] = {
            name: {"abs_x": round(float(np.abs(c[m, 0]).mean()), 1),
                   "y": round(float(c[m, 1].mean()), 1)} for name, m in groups.items()}
    # exploratory (chosen after the 40 mm result, not pre-specified): smaller ROIs cut from
    # the centre of the same ROIs, so that an ROI between ribs need not hold a rib
    if "within_zone_split" in out:
        out["exploratory_roi_sizes"] = {}
        for n_px in (24, 18):
            k = (P.shape[-1] - n_px) // 2
            p_c, a_c = P[:, k:k + n_px, k:k + n_px], A[:, k:k + n_px, k:k + n_px]
            c_p, c_a = cv_scores(p_c, a_c, tw)
            w_p, w_a = npw_scores(p_c, a_c, tw)
            out["exploratory_roi_sizes"][f"{n_px * ROI_MM / P.shape[-1]:.0f} mm"] = {
                "cho_within_zones": diff_ci(c_p, c_a, less_z, tw),
                "npw_within_zones": diff_ci(w_p, w_a, less_z, tw)}
    out["signal_and_background"] = signal_and_background(P, A, ov <= med, pixel_mm=ROI_MM / P.shape[-1])
    out["elapsed_s"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(out, indent=1))
    Path(args.out).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
