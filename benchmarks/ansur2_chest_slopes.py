"""ANSUR II's chest circumference, chest depth and chest breadth on BMI and stature, per sex:
ordinary least squares on the survey's public data files.

    python benchmarks/ansur2_chest_slopes.py FEMALE_CSV MALE_CSV [--out JSON]

Data: Gordon CC, Blackwell CL, Bradtmiller B et al. 2012 Anthropometric Survey of U.S. Army
Personnel: Methods and Summary Statistics. Natick/TR-15/007, U.S. Army Natick Soldier RD&E
Center, December 2014; the public data files (one per sex, one row per soldier, lengths in mm,
``weightkg`` in tenths of a kg, ``stature`` in mm). They are NOT kept in this repository: pass
the paths of public copies; the script checks their sha256 against :data:`SHA256` (the copies
read on 2026-12-05: github KhadijehValipour/ANSUR ``ANSUR_II_MALE_Public.csv`` and
Aflorez721/Adidas-Data-Challenge ``ANSUR II FEMALE Public.csv``, NOTES 19src22).

Columns used: ``stature``, ``weightkg``, ``chestcircumference``, ``chestdepth``,
``chestbreadth`` (the header of both files; the survey's own definitions of the three chest
measures, their level and breathing phase, were not read here: NOTES 19fat23). Per sex and
measure: ``v = c0 + c_bmi BMI + c_h H_cm``, the BMI coefficient's standard error (OLS, residual
variance with 3 parameters), the residual SD; then the shape factor ``C / (B + D)``
(circumference over breadth plus depth: near ``pi / 2`` for an ellipse of axes B and D that is
not too flat, 2 for a B x D rectangle) on BMI, and means by BMI bins. The
victwin chest twin's subcutaneous fat (:data:`victwin.phantom.chest.anatomy.FAT_AP_MM_PER_BMI`,
``FAT_SIDE_MM_PER_BMI``) takes half the depth and breadth slopes per side (the women's depth
slope less the breasts' growth), and the skin's section the shape factor's rise
(:data:`victwin.phantom.chest.outline.SHAPE_FACTOR_PER_BMI`). Writes JSON
(default ``benchmarks/results/ansur2_chest_slopes.json``).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

SHA256 = {"female": "ed7e800aa97a4d42f8286b988be2fe1883a2e789588169db959864b707d1757a",
          "male": "177a9ee248a4d938190c83e18cbf04937de9f864d8ac4be07e757d3f018a35ab"}
MEASURES = ("chestcircumference", "chestdepth", "chestbreadth")
BINS = ((16, 20), (20, 22.5), (22.5, 25), (25, 27.5), (27.5, 30), (30, 32.5), (32.5, 35), (35, 45))


def _ols(X: np.ndarray, v: np.ndarray) -> dict:
    """Coefficients, their standard errors and the residual SD of ``v`` on the columns of X."""
    b, *_ = np.linalg.lstsq(X, v, rcond=None)
    res = v - X @ b
    rsd = float(np.sqrt(res @ res / (len(v) - X.shape[1])))
    se = np.sqrt(np.diag(np.linalg.inv(X.T @ X))) * rsd
    return {"coef": [float(c) for c in b], "se": [float(s) for s in se], "rsd": rsd}


def fit(path: str, sex: str) -> dict:
    data = Path(path).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != SHA256[sex]:
        raise SystemExit(f"{path}: sha256 {digest} is not the {sex} file's {SHA256[sex]}")
    rows = list(csv.DictReader(data.decode("latin-1").splitlines()))
    col = {k: np.array([float(r[k]) for r in rows]) for k in ("stature", "weightkg") + MEASURES}
    h_cm = col["stature"] / 10.0
    bmi = (col["weightkg"] / 10.0) / (h_cm / 100.0) ** 2
    X = np.c_[np.ones_like(bmi), bmi, h_cm]
    out = {"n": len(rows), "bmi_mean": float(bmi.mean()), "bmi_sd": float(bmi.std(ddof=1)),
           "bmi_range": [float(bmi.min()), float(bmi.max())],
           "stature_cm_mean": float(h_cm.mean()), "stature_cm_sd": float(h_cm.std(ddof=1))}
    for m in MEASURES:
        f = _ols(X, col[m])
        f["mean_mm"] = float(col[m].mean())
        out[m] = f
    shape = col["chestcircumference"] / (col["chestbreadth"] + col["chestdepth"])
    out["shape_factor"] = {**_ols(X, shape), "mean": float(shape.mean())}
    out["bins"] = []
    for lo, hi in BINS:
        k = (bmi >= lo) & (bmi < hi)
        if k.any():
            out["bins"].append({"bmi": [lo, hi], "n": int(k.sum()),
                                **{m: float(col[m][k].mean()) for m in MEASURES},
                                "shape_factor": float(shape[k].mean()),
                                "stature_cm": float(h_cm[k].mean())})
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("female_csv")
    ap.add_argument("male_csv")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results"
                                         / "ansur2_chest_slopes.json"))
    a = ap.parse_args(argv)
    res = {"source": "ANSUR II public data (Gordon et al. 2014, NATICK/TR-15/007)",
           "model": "v = c0 + c_bmi BMI + c_h H_cm, OLS; coef = [c0, c_bmi, c_h] (mm, mm per "
                    "kg/m^2, mm per cm)", "sha256": SHA256,
           "female": fit(a.female_csv, "female"), "male": fit(a.male_csv, "male")}
    print(f"{'sex':6s} {'measure':20s} {'BMI coef (SE)':>16s} {'H coef':>7s} {'c0':>7s} "
          f"{'RSD':>5s} {'mean':>6s}")
    for sex in ("female", "male"):
        r = res[sex]
        for m in MEASURES + ("shape_factor",):
            f = r[m]
            c, s = f["coef"], f["se"]
            mean = f.get("mean_mm", f.get("mean"))
            d = 5 if m == "shape_factor" else 3
            print(f"{sex:6s} {m:20s} {c[1]:9.{d}f} ({s[1]:.{d}f}) {c[2]:7.{d}f} {c[0]:7.{d - 2}f} "
                  f"{f['rsd']:5.{d - 2}f} {mean:6.4g}")
        print(f"  n {r['n']}, BMI {r['bmi_mean']:.1f} +- {r['bmi_sd']:.1f} "
              f"({r['bmi_range'][0]:.1f}-{r['bmi_range'][1]:.1f}), stature "
              f"{r['stature_cm_mean']:.1f} +- {r['stature_cm_sd']:.1f} cm")
        for b in r["bins"]:
            print(f"  BMI {b['bmi'][0]:>4}-{b['bmi'][1]:<4} n {b['n']:4d}: circumference "
                  f"{b['chestcircumference']:5.0f}, depth {b['chestdepth']:4.0f}, breadth "
                  f"{b['chestbreadth']:4.0f}, C/(B+D) {b['shape_factor']:.3f}, "
                  f"H {b['stature_cm']:.1f}")
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(res, indent=1) + "\n")
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
