"""Rib overlap and nodule detectability with the chest trial's own reader and ROIs.

    nice -n 5 python benchmarks/chest_rib_overlap_trial.py [--twins 10] [--reps 2]

``benchmarks/chest_rib_overlap.py`` measured the rib effect with 40 mm ROIs at binning 8 and a
CHO whose channel width was ROI/4; the effect appeared only for a non-prewhitening reader on
20 mm ROIs. This script asks the same question with the settings ``examples/chest-nodules.toml``
actually uses, read from that spec (not copied): ``resolution.voxel_mm`` (1 mm twins),
``resolution.detector_binning`` (2: 0.28 mm pixels), ``readers.roi_mm`` (24 mm ROIs, the trial's
odd pixel count from :func:`victwin.readers.roi_shape`), and the trial's observer built by the
trial's own ``make_observer`` (CHO, 5 Laguerre-Gauss channels of width ``channels.width_mm``,
``internal_noise``), reading ``acq.line_integrals()`` as ``victwin.trial`` cuts its ROIs.

Design (stated before the run, 2026-12-02 fourth session; not tuned on the outcome):

* fresh ``chest/adult`` twins (NHANES bodies), seeds ``--seed-base`` (600) + k, ``chest-pa``
  at the spec's binning, full dose; independent noise in each image;
* per repetition, lung sites at least ``radius + 10 mm`` inside the lung whose projections are
  >= 30 mm apart (24 mm ROIs plus a nodule radius: no ROI holds another site's nodule), split
  alternately into sets A and B; image 1 carries nodules at the A sites, image 2 at the B
  sites, so each site gives one lesion-present / lesion-absent ROI pair over the same anatomy
  (as ``chest_rib_overlap.py``);
* solid smooth nodules of three sizes, assigned to the sites in turn (5, 8 and 12 mm by
  default): the screening range where most nodules lie (NLST/ELCAP: most <= 7 mm);
* rib overlap of a site: bone path along the beam averaged over the nodule's projected disc;
  the split is made inside 18 lung zones (side x tertile of |x| x tertile of height, the
  first study's secondary split, which keeps location out of the comparison) and, as a
  secondary view, at the median over all sites;
* reader, as the trial trains it: one observer for all nodule sizes (the trial trains one per
  lesion kind and ``nodule`` is one kind), two-fold cross-validation by twin parity (the trial
  splits by twin too); AUC per size and overlap group from the same test scores;
* primary endpoint: AUC(less overlap) - AUC(more overlap), all sizes pooled, split within
  zones, 95 % cluster-bootstrap CI over twins (2000 resamples); per size: secondary. A
  non-prewhitening matched filter on the same ROIs is reported beside it (the human-like
  reader of the first study).

Writes ``benchmarks/results/chest_rib_overlap_trial.json`` and prints a table.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from _common import environment, print_table, write_json
from chest_rib_overlap import (PLEURA_MM, _auc, bone_overlap_mm, diff_ci, location_strata,
                               lung_candidates, npw_scores, pick_sites, split_within)
from victwin import acquire
from victwin.phantom.chest import make_chest
from victwin.phantom.chest.nodules import lung_nodule
from victwin.phantom.lesions import insert_lesion
from victwin.readers import roi_shape
from victwin.stats import auc_ci
from victwin.trial import load_spec
from victwin.trial._analysis import make_observer   # the trial's own observer factory

ROOT = Path(__file__).resolve().parents[1]
SEPARATION_MM = 30.0


def roi_at(img, rc, n_px):
    """The ``n_px`` x ``n_px`` ROI centred on the pixel nearest ``rc`` (the trial's odd
    size), or None where it would leave the image (the trial shifts such ROIs inside; here the
    site is dropped)."""
    r0, c0 = int(round(rc[0])) - n_px // 2, int(round(rc[1])) - n_px // 2
    if r0 < 0 or c0 < 0 or r0 + n_px > img.shape[0] or c0 + n_px > img.shape[1]:
        return None
    return img[r0:r0 + n_px, c0:c0 + n_px]


def trial_scores(spec, present, absent, twin, pixel_mm):
    """Two-fold (twin parity) test scores of the trial's observer, trained on all sizes."""
    sp, sa = np.empty(len(present)), np.empty(len(absent))
    for fold in (0, 1):
        tr, te = twin % 2 != fold, twin % 2 == fold
        X = np.concatenate([absent[tr], present[tr]])
        y = np.r_[np.zeros(tr.sum()), np.ones(tr.sum())]
        obs = make_observer(spec, X.shape[1:], pixel_mm, seed=fold).fit(X, y)
        sp[te] = obs.decision_function(present[te])
        sa[te] = obs.decision_function(absent[te])
    return sp, sa


def simulate_twin(tw, args, spec, n_px, sizes):
    """ROI pairs of one twin: list of dicts (twin, size_mm, overlap_mm, centre_mm, present,
    absent)."""
    voxel = spec.resolution.voxel_mm
    binning = spec.resolution.detector_binning
    ph = make_chest("chest/adult", seed=args.seed_base + tw, voxel_mm=voxel, progress=False)
    rng = np.random.default_rng(args.seed_base + 800 + tw)
    cand = lung_candidates(ph, 0.5 * max(sizes) + PLEURA_MM)
    out = []
    for rep in range(args.reps):
        sites = pick_sites(cand, rng, SEPARATION_MM)
        size_of = {i: sizes[i % len(sizes)] for i in range(len(sites))}
        sets = ([i for i in range(len(sites)) if i % 2 == 0],
                [i for i in range(len(sites)) if i % 2 == 1])
        imgs, placed = [], []
        for k, S in enumerate(sets):
            cur, cs = ph, []
            for i in S:
                model = lung_nodule(rng, diameter_mm=size_of[i], nodule_type="solid",
                                    margin="smooth", voxel_mm=min(voxel, 0.5))
                try:
                    cur, les = insert_lesion(cur, model, center_mm=tuple(map(float, sites[i])))
                except ValueError:            # overlaps an airway or bone: site dropped
                    continue
                cs.append((size_of[i], np.asarray(les.center_mm, float)))
            case = (tw * args.reps + rep) * 2 + k
            acq = acquire(cur, "chest-pa", seed=args.noise_seed, case=case, binning=binning,
                          progress=False)
            imgs.append((acq.line_integrals()[0].astype(np.float64), acq.views[0]))
            placed.append(cs)
        for k in (0, 1):
            img_p, view = imgs[k]
            img_a = imgs[1 - k][0]
            for size, c in placed[k]:
                rc = view.project(c)
                p, a = roi_at(img_p, rc, n_px), roi_at(img_a, rc, n_px)
                if p is None or a is None:
                    continue
                out.append({"twin": tw, "size_mm": size, "centre_mm": c.tolist(),
                            "overlap_mm": bone_overlap_mm(ph, c, 0.5 * size),
                            "present": p, "absent": a})
    return out


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--spec", default=str(ROOT / "examples" / "chest-nodules.toml"))
    ap.add_argument("--twins", type=int, default=10)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--sizes-mm", type=float, nargs="+", default=[5.0, 8.0, 12.0])
    ap.add_argument("--seed-base", type=int, default=600)
    ap.add_argument("--noise-seed", type=int, default=23)
    ap.add_argument("--cache", default="/tmp/victwin_chest_rib_overlap_trial")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    spec = load_spec(args.spec)
    t0, load0 = time.perf_counter(), os.getloadavg()[0]
    from victwin.systems import load as load_system

    pixel_mm = float(load_system("chest-pa").views(spec.resolution.detector_binning)[0]
                     .panel.pitch[0])
    n_px = int(roi_shape("mass", modality="dm", pixel_mm=pixel_mm,
                         size_mm=spec.readers.roi_mm)[0])
    sizes = [float(s) for s in args.sizes_mm]
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    rows = []
    for tw in range(args.twins):
        f = cache / f"twin{args.seed_base + tw}_{'-'.join(f'{s:g}' for s in sizes)}_{args.reps}.npz"
        if f.exists():
            z = np.load(f)
            rows += [{"twin": tw, "size_mm": float(s), "overlap_mm": float(o), "centre_mm": c,
                      "present": p, "absent": a}
                     for s, o, c, p, a in zip(z["size_mm"], z["overlap_mm"], z["centre_mm"],
                                              z["present"], z["absent"])]
            continue
        new = simulate_twin(tw, args, spec, n_px, sizes)
        np.savez_compressed(f, size_mm=[r["size_mm"] for r in new],
                            overlap_mm=[r["overlap_mm"] for r in new],
                            centre_mm=[r["centre_mm"] for r in new],
                            present=np.stack([r["present"] for r in new]),
                            absent=np.stack([r["absent"] for r in new]))
        rows += new
        print(f"twin {tw} done: {len(rows)} pairs, {time.perf_counter() - t0:.0f} s, "
              f"load {os.getloadavg()[0]:.1f}", flush=True)
    P = np.stack([r["present"] for r in rows])
    A = np.stack([r["absent"] for r in rows])
    tw = np.array([r["twin"] for r in rows])
    size = np.array([r["size_mm"] for r in rows])
    ov = np.array([r["overlap_mm"] for r in rows])
    strata = location_strata([r["centre_mm"] for r in rows])
    less_z = split_within(ov, strata)
    less_m = ov <= np.median(ov)
    sp, sa = trial_scores(spec, P, A, tw, pixel_mm)
    npw_p, npw_a = npw_scores(P, A, tw)
    out = {"design": {"spec": os.path.relpath(args.spec, ROOT), "twins": args.twins,
                      "reps": args.reps, "seed_base": args.seed_base, "sizes_mm": sizes,
                      "voxel_mm": spec.resolution.voxel_mm,
                      "binning": spec.resolution.detector_binning, "pixel_mm": pixel_mm,
                      "roi_mm": spec.readers.roi_mm, "roi_px": int(P.shape[-1]),
                      "observer": spec.readers.observer, "channels": spec.readers.channels,
                      "internal_noise": spec.readers.internal_noise,
                      "separation_mm": SEPARATION_MM,
                      "primary": "trial CHO, all sizes, AUC(less) - AUC(more), split within "
                                 "lung zones, cluster bootstrap over twins"},
           "n_pairs": int(len(rows)), "load_1min_at_start": round(load0, 1),
           "mean_bone_mm_less_more_within_zones": [round(float(ov[less_z].mean()), 2),
                                                   round(float(ov[~less_z].mean()), 2)],
           "environment": environment()}
    table = []
    for name, m in [("all", np.ones(len(rows), bool))] + [(f"{s:g} mm", size == s)
                                                           for s in sizes]:
        a, _, ci = auc_ci(np.r_[sp[m], sa[m]], np.r_[np.ones(m.sum()), np.zeros(m.sum())])
        cho = diff_ci(sp[m], sa[m], less_z[m], tw[m])
        cho_med = diff_ci(sp[m], sa[m], less_m[m], tw[m])
        npw = diff_ci(npw_p[m], npw_a[m], less_z[m], tw[m])
        out[name] = {"pairs": int(m.sum()), "auc_cho": round(a, 3),
                     "auc_cho_ci": [round(float(v), 3) for v in ci],
                     "cho_within_zones": cho, "cho_median_split": cho_med,
                     "npw_within_zones": npw, "auc_npw": round(_auc(npw_p[m], npw_a[m]), 3)}
        table.append({"nodules": name, "pairs": int(m.sum()), "AUC CHO": a,
                      "CHO less": cho["auc_less"], "CHO more": cho["auc_more"],
                      "CHO less-more (95% CI)": f"{cho['estimate']:+.3f} "
                      f"({cho['ci_cluster_bootstrap'][0]:+.3f}..{cho['ci_cluster_bootstrap'][1]:+.3f})",
                      "CHO median split": f"{cho_med['estimate']:+.3f} "
                      f"({cho_med['ci_cluster_bootstrap'][0]:+.3f}..{cho_med['ci_cluster_bootstrap'][1]:+.3f})",
                      "NPW less-more": f"{npw['estimate']:+.3f} "
                      f"({npw['ci_cluster_bootstrap'][0]:+.3f}..{npw['ci_cluster_bootstrap'][1]:+.3f})"})
    # exploratory, added after the first result (not pre-specified): one observer per size,
    # to see whether the mixed-size training of the trial is what flattens the size effect
    out["exploratory_per_size_observer"] = {}
    for s in sizes:
        m = size == s
        ps, pa = trial_scores(spec, P[m], A[m], tw[m], pixel_mm)
        a, _, ci = auc_ci(np.r_[ps, pa], np.r_[np.ones(m.sum()), np.zeros(m.sum())])
        out["exploratory_per_size_observer"][f"{s:g} mm"] = {
            "auc_cho": round(a, 3), "auc_cho_ci": [round(float(v), 3) for v in ci],
            "cho_within_zones": diff_ci(ps, pa, less_z[m], tw[m])}
    out["elapsed_s"] = round(time.perf_counter() - t0, 1)
    out["load_1min_at_end"] = round(os.getloadavg()[0], 1)
    print_table(table, list(table[0]))
    write_json("chest_rib_overlap_trial", out, args.out)


if __name__ == "__main__":
    main()
