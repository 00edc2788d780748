"""Relative RMS difference of every ROI / VOI between two ``trial_lesion_local.py
--save-arrays`` runs (before / after a change that is exact up to float rounding).

    python benchmarks/compare_arrays.py OLD.npz NEW.npz [--json F]

Per array: ``rms(new - old) / rms(old)``, the max |new - old| over max |old|, whether the
bytes are identical; then the worst relative RMS.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    a, b = np.load(args.old), np.load(args.new)
    if sorted(a.files) != sorted(b.files):
        sys.exit(f"different arrays: {sorted(a.files)} vs {sorted(b.files)}")
    rows = {}
    for k in sorted(a.files):
        x, y = a[k].astype(np.float64), b[k].astype(np.float64)
        d = y - x
        rows[k] = {"shape": list(x.shape), "identical": a[k].tobytes() == b[k].tobytes(),
                   "rel_rms": float(np.sqrt((d ** 2).mean() / max((x ** 2).mean(), 1e-300))),
                   "max_abs_over_max": float(np.abs(d).max() / max(np.abs(x).max(), 1e-300))}
        print(f"{k:24s} {str(x.shape):18s} identical={rows[k]['identical']!s:5s} "
              f"rel RMS {rows[k]['rel_rms']:.2e}  max|d|/max {rows[k]['max_abs_over_max']:.2e}")
    worst = max(r["rel_rms"] for r in rows.values())
    print(f"worst relative RMS difference: {worst:.2e}")
    if args.json:
        Path(args.json).write_text(json.dumps({"old": args.old, "new": args.new,
                                               "arrays": rows, "worst_rel_rms": worst},
                                              indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
