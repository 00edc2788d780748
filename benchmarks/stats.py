"""Trial-statistics speed: OR MRMC analysis at VICTRE size, and DeLong on 100,000 cases.

Cases
-----
``or``      3,000 cases (1,500 normal, 1,500 abnormal) x 2 modalities x 10 readers, fully
            crossed, built from plain arrays (``ScoreTable.from_arrays``, what the trial engine
            does) and analysed by ``mrmc`` with jackknife covariances (goal: < 2 s on 2 cores);
            also DeLong and unbiased covariances, DBM, and the Gallas one-shot variance.
``delong``  100,000 cases (50 % abnormal), two tests: ``delong_test`` (paired, both AUCs, their
            DeLong covariance, Z, p, CI) and ``auc_ci`` (goal: < 1 s).

Ratings are synthetic (seeded): a binormal model with case, reader and reader-by-case effects.
Each timing is the best of ``--repeat`` runs (wall clock). Writes
``benchmarks/results/stats.json``.

Usage::

    python benchmarks/stats.py
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import scipy

from victwin.stats import (ScoreTable, auc_ci, dbm, delong_test, mrmc, oneshot_variance)

RESULTS = Path(__file__).resolve().parent / "results"


def environment() -> dict:
    import victwin

    env = {"command": " ".join([Path(sys.executable).name] + sys.argv), "python": platform.python_version(),
           "platform": platform.platform(), "machine": platform.machine(), "cpu_count": os.cpu_count(),
           "numpy": np.__version__, "scipy": scipy.__version__, "victwin": victwin.__version__,
           "device": "cpu", "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    try:
        env["load_avg_1min_at_start"] = os.getloadavg()[0]   # the machine is shared; timings vary with load
        env["cpu_affinity"] = len(os.sched_getaffinity(0))
        with open("/proc/cpuinfo") as fh:
            env["cpu"] = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration, AttributeError):
        pass
    return env


def study(n_cases=3000, n_modalities=2, n_readers=10, seed=0):
    """Long-format synthetic ratings of a fully crossed study."""
    rng = np.random.default_rng(seed)
    truth = (np.arange(n_cases) >= n_cases // 2).astype(int)
    case = rng.normal(size=n_cases)
    reader = rng.normal(scale=0.3, size=n_readers)
    shift = np.array([1.6, 1.8, 2.0, 2.2][:n_modalities])
    m, r, k = np.meshgrid(np.arange(n_modalities), np.arange(n_readers), np.arange(n_cases), indexing="ij")
    score = (shift[m] * truth[k] + case[k] + reader[r] + 0.5 * rng.normal(size=m.shape)).ravel()
    return (np.char.add("c", k.ravel().astype(str)), truth[k].ravel(), np.char.add("m", m.ravel().astype(str)),
            np.char.add("r", r.ravel().astype(str)), score)


def best_of(fn, repeat):
    times = []
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", default=str(RESULTS / "stats.json"))
    args = ap.parse_args(argv)

    rows = []
    K, T, J = 3000, 2, 10
    rec = study(K, T, J)
    t_build, table = best_of(lambda: ScoreTable.from_arrays(*rec), args.repeat)
    t_jk, res = best_of(lambda: mrmc(table, "jackknife"), args.repeat)
    rows.append({"case": "or", "what": "from_arrays (60,000 ratings)", "cases": K, "modalities": T,
                 "readers": J, "time_s": t_build, "goal_s": None})
    rows.append({"case": "or", "what": "mrmc jackknife", "cases": K, "modalities": T, "readers": J,
                 "time_s": t_jk, "goal_s": 2.0})
    rows.append({"case": "or", "what": "from_arrays + mrmc jackknife", "cases": K, "modalities": T, "readers": J,
                 "time_s": t_build + t_jk, "goal_s": 2.0})
    for what, fn in (("mrmc delong", lambda: mrmc(table, "delong")),
                     ("mrmc unbiased", lambda: mrmc(table, "unbiased")),
                     ("dbm", lambda: dbm(table)),
                     ("oneshot_variance", lambda: oneshot_variance(table))):
        t, _ = best_of(fn, max(1, args.repeat - 2))
        rows.append({"case": "or", "what": what, "cases": K, "modalities": T, "readers": J, "time_s": t,
                     "goal_s": None})

    N = 100_000
    rng = np.random.default_rng(1)
    truth = (rng.random(N) < 0.5).astype(int)
    s1 = 1.5 * truth + rng.normal(size=N)
    s2 = 0.8 * s1 + 0.6 * rng.normal(size=N) + 0.2 * truth
    t_dl, dl = best_of(lambda: delong_test(s1, s2, truth), args.repeat)
    t_ci, _ = best_of(lambda: auc_ci(s1, truth), args.repeat)
    rows.append({"case": "delong", "what": "delong_test paired (2 tests)", "cases": N, "modalities": 2,
                 "readers": 1, "time_s": t_dl, "goal_s": 1.0})
    rows.append({"case": "delong", "what": "auc_ci (1 test)", "cases": N, "modalities": 1, "readers": 1,
                 "time_s": t_ci, "goal_s": 1.0})

    for r in rows:
        r["pass"] = None if r["goal_s"] is None else bool(r["time_s"] < r["goal_s"])
    cols = ["case", "what", "cases", "modalities", "readers", "time_s", "goal_s", "pass"]
    widths = [max(len(c), *(len(_fmt(r[c])) for r in rows)) for c in cols]
    print("  ".join(c.ljust(w) for c, w in zip(cols, widths)))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(_fmt(r[c]).ljust(w) for c, w in zip(cols, widths)))
    print(f"\nOR jackknife check: F = {res.rrrc['statistic']:.4f}, ddf = {res.rrrc['ddf']:.2f}; "
          f"DeLong: Z = {dl.statistic:.3f}")
    payload = {"benchmark": "stats", "environment": environment(), "repeat": args.repeat, "rows": rows}
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


def _fmt(v):
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.4f}"
    return str(v)


if __name__ == "__main__":
    sys.exit(main())
