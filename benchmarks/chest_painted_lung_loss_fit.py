"""Fit of the chest builder's painted-lung loss estimate to its painted reference.

    python benchmarks/chest_painted_lung_loss_fit.py [--n-draws 32] [--json OUT]

The builder solves the cavity on the drawn TLC plus the lung its later painting takes
(:func:`victwin.phantom.chest.painted_lung.painted_lung_loss_estimate_ml`). That loss is a
property of our own painter, so its estimate is a measurement: this script paints the reference
(:func:`victwin.phantom.chest.builder.painted_lung_loss_reference_ml`: the cavity's contents
painted by the builder's own steps on a 3 mm grid, the lung counted as
:func:`~victwin.phantom.chest.measure.lung_volume_ml` counts it) for bodies over the
population's range:

* the corners of the accepted body range at the common ages (both sexes, NHANES 2015-2018
  heights and BMIs at the 1st and 99th percentile of each sex's 50-59 row, ages 25 and 75),
  each with its own seed's thorax draws (TLC, CTR, domes);
* seeded draws of the population sampler (:func:`~.population.draw_body`, both sexes, the whole
  accepted age range), as a trial draws its twins;

and fits low-order least-squares models of the loss on the thorax record (drawn TLC, height,
sex, age, CTR, BMI). It prints each model's coefficients, residual SD and leave-one-out
residual SD and writes JSON (default benchmarks/results/chest_painted_lung_loss_fit.json). The
model in the code
(:data:`~victwin.phantom.chest.painted_lung.LOSS_FIT`) is the one chosen there (lowest
leave-one-out SD, fewest terms within 1 mL of it). Bodies refused by the builder's analytic
checks are skipped and listed.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
from scipy.special import ndtri

from victwin.phantom.chest import builder as B
from victwin.phantom.chest.anatomy import thorax_for
from victwin.phantom.chest.painted_lung import loss_features
from victwin.phantom.chest.population import (AGE_RANGE_YEARS, NHANES_2015_2018, age_group,
                                              check_body, draw_body)

ROOT = Path(__file__).resolve().parents[1]
Z99 = float(ndtri(0.99))            # the standard normal's 99th percentile
_DRAW_SEED0 = 731_000
_CORNER_SEED0 = 40

#: Candidate models: name -> feature names (each a column; an intercept is always fitted).
MODELS = {
    "const": [],
    "tlc": ["tlc_l"],
    "tlc+sex": ["tlc_l", "female"],
    "tlc+height": ["tlc_l", "height_m"],
    "tlc+height+sex": ["tlc_l", "height_m", "female"],
    "tlc+height+sex+ctr": ["tlc_l", "height_m", "female", "ctr"],
    "tlc+height+sex+age": ["tlc_l", "height_m", "female", "age_100y"],
    "tlc+height+sex+age+ctr": ["tlc_l", "height_m", "female", "age_100y", "ctr"],
    "tlc+height+sex+age+ctr+bmi": ["tlc_l", "height_m", "female", "age_100y", "ctr",
                                   "bmi_100"],
}


def corner_bodies() -> list:
    """Both sexes x NHANES 1st/99th percentile height and BMI (50-59 row; BMI lognormal with the
    row's mean and SD, as :func:`~.population.draw_body` draws it) x ages 25 and 75."""
    out = []
    for sex in ("female", "male"):
        h_mean, h_sd, b_mean, b_sd = NHANES_2015_2018[sex][age_group(55.0)]
        s2 = math.log(1.0 + (b_sd / b_mean) ** 2)
        for hz in (-Z99, Z99):
            for bz in (-Z99, Z99):
                for age in (25.0, 75.0):
                    bmi = math.exp(math.log(b_mean) - 0.5 * s2 + bz * math.sqrt(s2))
                    out.append(check_body(sex, age, round(h_mean + hz * h_sd, 1),
                                          round(bmi, 1)))
    return out


def fit(rows: list, names: list) -> dict:
    y = np.array([r["loss_ml"] for r in rows])
    feats = [loss_features(r["tlc_ml"], r["ctr"], r["body"]) for r in rows]
    X = np.column_stack([np.ones(len(rows))] + [[f[n] for f in feats] for n in names])
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    res = y - X @ coef
    loo = []
    for i in range(len(rows)):
        keep = np.arange(len(rows)) != i
        c, *_ = np.linalg.lstsq(X[keep], y[keep], rcond=None)
        loo.append(float(y[i] - X[i] @ c))
    dof = max(len(rows) - X.shape[1], 1)
    return {"terms": ["intercept"] + names, "coef": [float(c) for c in coef],
            "residual_sd_ml": float(np.sqrt(np.sum(res ** 2) / dof)),
            "residual_max_abs_ml": float(np.max(np.abs(res))),
            "loo_sd_ml": float(np.sqrt(np.mean(np.square(loo)))),
            "loo_max_abs_ml": float(np.max(np.abs(loo))),
            "residuals_ml": [float(v) for v in res]}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--n-draws", type=int, default=32)
    ap.add_argument("--refit", help="fit the rows of this JSON again (no painting)")
    ap.add_argument("--json", default=str(ROOT / "benchmarks/results/"
                                              "chest_painted_lung_loss_fit.json"))
    args = ap.parse_args(argv)
    if args.refit:
        old = json.loads(Path(args.refit).read_text())
        report(old["rows"], old["skipped"], args.json)
        return
    todo = [(b, _CORNER_SEED0 + i, "corner") for i, b in enumerate(corner_bodies())]
    for k in range(args.n_draws):
        rng = np.random.default_rng(_DRAW_SEED0 + k)
        b = draw_body(rng, female_fraction=0.5, age_range_years=AGE_RANGE_YEARS)
        todo.append((b, _DRAW_SEED0 + k, "draw"))
    rows, skipped = [], []
    for b, seed, kind in todo:
        th = thorax_for(b, B._streams(seed)[1])
        t0 = time.time()
        try:
            loss = B.painted_lung_loss_reference_ml(th)
        except ValueError as exc:
            skipped.append({"body": b.to_dict(), "seed": seed, "error": str(exc)[:200]})
            print(f"skipped {b} seed {seed}: {str(exc)[:100]}", flush=True)
            continue
        dt = time.time() - t0
        rows.append({"kind": kind, "seed": seed, "body": b.to_dict(), "tlc_ml": th.tlc_ml,
                     "ctr": th.ctr, "loss_ml": loss, "paint_s": dt})
        print(f"{kind:6s} {b.sex:6s} {b.age_years:5.1f} y {b.height_cm:6.1f} cm BMI "
              f"{b.bmi:5.1f} TLC {th.tlc_ml:6.0f} mL: loss {loss:6.1f} mL "
              f"({100 * loss / th.tlc_ml:.2f} %), {dt:.1f} s", flush=True)
    report(rows, skipped, args.json)


def report(rows: list, skipped: list, path: str) -> None:
    """Fit :data:`MODELS`, print them and write the JSON to ``path``."""
    fits = {name: fit(rows, names) for name, names in MODELS.items()}
    best = min(f["loo_sd_ml"] for f in fits.values())
    chosen = next(name for name, f in fits.items() if f["loo_sd_ml"] <= best + 1.0)
    losses = [r["loss_ml"] for r in rows]
    print(f"\n{len(rows)} bodies ({len(skipped)} skipped); loss {min(losses):.0f} to "
          f"{max(losses):.0f} mL")
    for name, f in fits.items():
        print(f"  {name:22s} resid SD {f['residual_sd_ml']:5.1f} "
              f"(max {f['residual_max_abs_ml']:5.1f}) LOO SD {f['loo_sd_ml']:5.1f} "
              f"(max {f['loo_max_abs_ml']:5.1f}) mL: "
              + ", ".join(f"{t} {c:+.2f}" for t, c in zip(f["terms"], f["coef"])))
    pct = [100.0 * r / row["tlc_ml"] for r, row in zip(fits[chosen]["residuals_ml"], rows)]
    fits[chosen]["residual_max_abs_pct_of_tlc"] = float(np.max(np.abs(pct)))
    print(f"chosen: {chosen} (residuals {min(pct):+.2f} to {max(pct):+.2f} % of the TLC)")
    Path(path).write_text(json.dumps({
        "script": "benchmarks/chest_painted_lung_loss_fit.py", "step_mm": 3.0,
        "rows": rows, "skipped": skipped, "fits": fits, "chosen": chosen}, indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
