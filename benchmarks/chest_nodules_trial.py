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


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("run_dir")
    ap.add_argument("--outcome", default=None, help="the run's --json outcome")
    ap.add_argument("--wall-s", type=float, default=None)
    ap.add_argument("--load", default=None, help="load average range during the run")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    run = Path(args.run_dir)
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
