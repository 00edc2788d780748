"""Recompute the chest twins' population table (victwin/phantom/chest/population.py) from the
NHANES 2015-2018 public-use files, and the adult figures it is checked against.

Input: the 19,225 NHANES 2015-2016 + 2017-2018 participants with sex (RIAGENDR), age
(RIDAGEYR), exam status (RIDSTATR), standing height (BMXHT), BMI (BMXBMI) and the 4-year exam
weights (WTMEC4YR), as packaged in the R package mpower 0.1.0 (``data/nhanes1518.rda``), read
with the ``rdata`` package (``pip install rdata``; not a victwin dependency)::

    python benchmarks/population_table.py path/to/nhanes1518.rda

Prints, per sex and age group of the NCHS report (Fryar et al. 2021, Vital Health Stat
3(46)), the survey-weighted mean and SD of height and BMI, participants and the group's
population share, then the adult (>= 20) mean, median and 85th percentile of height in
inches (the report's figures). Writes benchmarks/results/population_table.json.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path

import numpy as np

GROUPS = [("20-29", 20, 29), ("30-39", 30, 39), ("40-49", 40, 49), ("50-59", 50, 59),
          ("60-69", 60, 69), ("70-79", 70, 79), ("80+", 80, 200)]
SEX_CODES = {"male": 1, "female": 2}        # RIAGENDR


def weighted_quantile(x, w, q):
    """Quantiles of ``x`` under weights ``w`` (mid-point rule of the weighted ECDF)."""
    order = np.argsort(x)
    x, w = x[order], w[order]
    c = (np.cumsum(w) - 0.5 * w) / w.sum()
    return np.interp(q, c, x)


def main(path: str) -> dict:
    import rdata

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = rdata.read_rda(path)["nhanes1518"]
    exam = df[df.RIDSTATR == 2]                 # interviewed and examined
    out = {"source": "NHANES 2015-2018 public-use DEMO_I/J + BMX_I/J via R mpower 0.1.0 "
                     "nhanes1518", "participants": int(len(df)), "examined": int(len(exam)),
           "load": os.getloadavg()[0], "table": {}, "adults": {}}
    print(f"{'sex':7s} {'group':6s} {'height cm':>10s} {'SD cm':>6s} {'n':>4s} "
          f"{'BMI':>5s} {'SD':>5s} {'share':>6s}")
    for sex, code in SEX_CODES.items():
        sx = exam[exam.RIAGENDR == code]
        total = sx[sx.RIDAGEYR >= 20].WTMEC4YR.sum()
        rows = {}
        for name, lo, hi in GROUPS:
            g = sx[(sx.RIDAGEYR >= lo) & (sx.RIDAGEYR <= hi)]
            row = {}
            for col, key in (("BMXHT", "height_cm"), ("BMXBMI", "bmi")):
                s = g[[col, "WTMEC4YR"]].dropna()
                x, w = s[col].to_numpy(float), s.WTMEC4YR.to_numpy(float)
                m = float(np.average(x, weights=w))
                row[key] = {"mean": round(m, 1), "sd": round(float(np.sqrt(np.average(
                    (x - m) ** 2, weights=w))), 2), "n": int(len(x))}
            row["share"] = round(float(g.WTMEC4YR.sum() / total), 4)
            rows[name] = row
            print(f"{sex:7s} {name:6s} {row['height_cm']['mean']:10.1f} "
                  f"{row['height_cm']['sd']:6.2f} {row['height_cm']['n']:4d} "
                  f"{row['bmi']['mean']:5.1f} {row['bmi']['sd']:5.2f} {row['share']:6.4f}")
        out["table"][sex] = rows
        a = sx[sx.RIDAGEYR >= 20][["BMXHT", "WTMEC4YR"]].dropna()
        x, w = a.BMXHT.to_numpy(float) / 2.54, a.WTMEC4YR.to_numpy(float)
        p50, p85 = weighted_quantile(x, w, [0.5, 0.85])
        out["adults"][sex] = {"mean_in": round(float(np.average(x, weights=w)), 2),
                              "median_in": round(float(p50), 2), "p85_in": round(float(p85), 2)}
        print(f"{sex} >= 20 years: height mean {out['adults'][sex]['mean_in']} in, median "
              f"{out['adults'][sex]['median_in']} in, 85th percentile "
              f"{out['adults'][sex]['p85_in']} in")
    dest = Path(__file__).parent / "results" / "population_table.json"
    dest.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {dest}")
    return out


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python benchmarks/population_table.py path/to/nhanes1518.rda")
    main(sys.argv[1])
