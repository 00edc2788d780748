"""EXPLORATORY (written after the pre-registered sites endpoints were read; not an endpoint):
the trial's non-prewhitening readers on plane-detrended ROIs.

    python benchmarks/chest_nodules_explore_detrend.py RUN_DIR [--out JSON]

The trial's NPW / NPWE read each size class's crop of the stored ROI as it is (local mean and
gradient included); the fourth session's rib benchmark (``benchmarks/chest_rib_overlap.py``,
``npw_scores``) subtracted each ROI's least-squares plane first. This re-analyses a run with
nodule sites (same split, readers, calibration and cluster bootstrap as
``benchmarks/chest_nodules_trial.py``) three ways: NPW as the trial reads, and NPW and NPWE on
each class crop minus its plane. Writes
``benchmarks/results/chest_nodules_trial_sites_exploratory.json`` (default). That file was
written while the analysis's readers resampled training ROIs class by class; the analysis
now resamples training twins, so a rerun reads other readers (NOTES.md, sixth session).
"""

from __future__ import annotations

import argparse
import json

import numpy as np

import chest_nodules_trial as bench
from _common import RESULTS, environment


def _detrended(crop):
    def wrapped(X, n, shifts=None):
        C = crop(X, n, shifts)
        yy, xx = np.mgrid[:n, :n]
        A = np.stack([np.ones(n * n), yy.ravel(), xx.ravel()], axis=1)
        coef, *_ = np.linalg.lstsq(A, C.reshape(len(C), -1).T, rcond=None)
        return C - (A @ coef).T.reshape(C.shape)
    return wrapped


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("run_dir")
    ap.add_argument("--out", default=str(RESULTS / "chest_nodules_trial_sites_exploratory.json"))
    args = ap.parse_args(argv)
    import victwin.trial._analysis as an
    from victwin.trial import TrialStore, analyse, spec_from_dict

    out = {"note": "EXPLORATORY, after the pre-registered results were seen; not the endpoint",
           "run_dir": args.run_dir, "environment": environment()}
    with TrialStore(args.run_dir) as store:
        cells = bench._site_cells(store)
        spec = spec_from_dict(store.provenance()["spec_toml"])
        original = an.crop_rois
        for label, observer, detrend in (("npw_raw", "npw", False),
                                         ("npw_detrended", "npw", True),
                                         ("npwe_detrended", "npwe", True)):
            d = spec.to_toml_dict()
            d["readers"] = dict(d["readers"], observer=observer)
            an.crop_rois = _detrended(original) if detrend else original
            try:
                a = analyse(store, spec_from_dict(d))
            finally:
                an.crop_rois = original
            e = bench.sites_endpoints(a.table, cells)
            out[label] = {"mean_auc": a.results["mrmc"]["mean_auc"], "endpoints": e}
            print(f"== {label}: mean AUC {a.results['mrmc']['mean_auc']}")
            for arm, v in e.items():
                print(arm, {k: round(x, 3) for k, x in v["auc"].items()})
                for n in ("size", "ribs"):
                    print(f"   {n} D = {v[n]['difference']:+.3f} (95% CI {v[n]['ci'][0]:+.3f} "
                          f"to {v[n]['ci'][1]:+.3f})")
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1, default=float)
    print("wrote", args.out)


if __name__ == "__main__":
    main()
