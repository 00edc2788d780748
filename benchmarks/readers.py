"""Model-observer throughput on VICTRE-sized ROIs: training and scoring time.

Synthetic correlated-noise ROIs with a Gaussian blob (sizes as VICTRE: DM 65 x 65 and
109 x 109 px; DBT VOIs 5 x 65 x 65 and 9 x 109 x 109), LG channels (5, a = 30 px DM and 25 px
DBT), 100 training ROIs per class for DM and 40 for DBT (VICTRE_MO examples), 1,000 scored
ROIs. Prints a table and writes ``benchmarks/results/readers.json``.

Run: ``python benchmarks/readers.py [--json PATH]``
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

import victwin
import victwin.readers as R


def _rois(rng, n, shape):
    X = rng.normal(size=(2 * n,) + tuple(shape)).astype(np.float32)
    X += 0.5 * np.roll(X, 1, axis=-1)
    grids = np.meshgrid(*[np.arange(s) - s // 2 for s in shape], indexing="ij")
    blob = 0.3 * np.exp(-sum(g.astype(float) ** 2 for g in grids[-2:]) / (2 * 5.0 ** 2))
    y = np.repeat([0, 1], n)
    X[y == 1] += blob.astype(np.float32)
    return X, y


def _time(fn, repeat=3):
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", default=str(Path(__file__).parent / "results" / "readers.json"))
    args = ap.parse_args(argv)
    rng = np.random.default_rng(0)
    n_score = 1000
    cases = []
    for label, shape, n_train, width in [("DM calc", (65, 65), 100, 30.0),
                                         ("DM mass", (109, 109), 100, 30.0),
                                         ("DBT calc", (5, 65, 65), 40, 25.0),
                                         ("DBT mass", (9, 109, 109), 40, 25.0)]:
        U2 = R.laguerre_gauss(shape[-2:], n_channels=5, width_px=width)
        if len(shape) == 2:
            observers = {"CHO-LG5": R.ChannelizedHotelling(U2),
                         "conv CHO-LG5": R.ChannelizedHotelling(U2, convolutional=True),
                         "NPWE": R.NPWEObserver(),
                         "Hotelling (pinv)": R.HotellingObserver()}
        else:
            U3 = R.laguerre_gauss(shape, n_channels=5, width_px=(2.0, width, width))
            observers = {"msCHOc-LG5": R.MultiSliceCHO(U2, variant="c"),
                         "msCHOa-LG5": R.MultiSliceCHO(U2, variant="a"),
                         "vCHO-LG5 (3D)": R.VolumetricCHO(U3)}
        Xtr, ytr = _rois(rng, n_train, shape)
        Xte, _ = _rois(rng, n_score // 2, shape)
        for name, obs in observers.items():
            t_fit = _time(lambda: obs.fit(Xtr, ytr))
            t_score = _time(lambda: obs.decision_function(Xte))
            cases.append({"roi": label, "shape_px": "x".join(map(str, shape)),
                          "observer": name, "n_train": 2 * n_train,
                          "fit_ms": 1e3 * t_fit, "score_ms_per_1000": 1e3 * t_score,
                          "rois_per_s": n_score / t_score})
    cols = ["roi", "shape_px", "observer", "n_train", "fit_ms", "score_ms_per_1000",
            "rois_per_s"]
    widths = [max(len(c), *(len(f"{r[c]:.4g}" if isinstance(r[c], float) else str(r[c]))
                            for r in cases)) for c in cols]
    print("  ".join(c.ljust(w) for c, w in zip(cols, widths)))
    for r in cases:
        print("  ".join((f"{r[c]:.4g}" if isinstance(r[c], float) else str(r[c])).ljust(w)
                        for c, w in zip(cols, widths)))
    env = {"command": " ".join([Path(sys.executable).name] + sys.argv),
           "python": platform.python_version(), "platform": platform.platform(),
           "cpu_count": os.cpu_count(), "numpy": np.__version__, "scipy": scipy.__version__,
           "victwin": getattr(victwin, "__version__", "unknown"),
           "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    try:
        with open("/proc/cpuinfo") as fh:
            env["cpu"] = next(l.split(":", 1)[1].strip() for l in fh if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"benchmark": "readers", "environment": env, "results": cases},
                              indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
