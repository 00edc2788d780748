"""First-run cost: numba compile time of the phantom, ray-tracing and reconstruction kernels.

Runs the same small pipeline twice, each in a fresh Python process sharing one fresh
``NUMBA_CACHE_DIR``: the first run compiles every kernel (cold cache, what a fresh clone or a
fresh install pays once), the second loads them from the cache. The difference per stage is
the compile time. Wall and CPU seconds (all threads of the process) are both recorded: on a
shared machine the CPU time is the steadier figure. Stages: ``import victwin``;
``phantom.make("breast/dense", voxel_mm=2)``; a noise-free DM ``acquire`` (ray tracer, physics); a DBT ``acquire`` at 8x8 binning and its
FBP (the first reconstruction).

    python benchmarks/first_run.py [--tree CHECKOUT] [--json benchmarks/results/first_run.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

STAGES = r"""
import json, sys, time
out = {}
def stage(name, t, c):
    out[name] = [time.perf_counter() - t, time.process_time() - c]
    return time.perf_counter(), time.process_time()
t, c = time.perf_counter(), time.process_time()
import victwin
t, c = stage("import", t, c)
from victwin.phantom import make
ph = make("breast/dense", seed=1, voxel_mm=2.0, progress=False)
t, c = stage("phantom 2 mm", t, c)
from victwin import acquire
acquire(ph, "mammomat-dm", seed=1, noise=False, binning=8, progress=False)
t, c = stage("acquire DM", t, c)
from victwin.recon import reconstruct, dbt_grid
acq = acquire(ph, "mammomat-dbt", seed=1, noise=False, binning=8, progress=False)
t, c = stage("acquire DBT", t, c)
thick = acq.technique.compressed_thickness_mm
grid = dbt_grid(acq.views, thick, voxel_xy_mm=1.0, slice_mm=2.0)
reconstruct(acq.line_integrals(), acq.views, grid, "fbp", thickness_mm=thick, progress=False)
t, c = stage("recon FBP", t, c)
print("JSON" + json.dumps(out))
"""


def _run(cache: str, tree: str | None = None) -> dict:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache)
    if tree:
        env["PYTHONPATH"] = tree
    t = time.perf_counter()
    # from the cache folder: "python -c" puts the working directory first on sys.path
    p = subprocess.run([sys.executable, "-c", STAGES], env=env, capture_output=True, text=True,
                       cwd=cache)
    if p.returncode != 0:
        sys.exit(p.stderr[-3000:])
    line = [x for x in p.stdout.splitlines() if x.startswith("JSON")][-1]
    res = json.loads(line[4:])
    res["total"] = [time.perf_counter() - t, sum(v[1] for v in res.values())]
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", default=None)
    ap.add_argument("--tree", default=None, help="run this checkout of victwin (PYTHONPATH)")
    args = ap.parse_args()
    load0 = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="victwin-numba-") as cache:
        cold = _run(cache, args.tree)
        warm = _run(cache, args.tree)
    load1 = os.getloadavg()
    print(f"{'stage':<14}{'cold wall s':>12}{'warm wall s':>12}{'cold CPU s':>11}"
          f"{'warm CPU s':>11}{'compile CPU s':>14}")
    for k in cold:
        (cw, cc), (ww, wc) = cold[k], warm[k]
        print(f"{k:<14}{cw:12.1f}{ww:12.1f}{cc:11.1f}{wc:11.1f}{cc - wc:14.1f}")
    print(f"load average before {load0[0]:.1f}, after {load1[0]:.1f}; {os.cpu_count()} CPUs")
    if args.json:
        import platform

        import numba
        import numpy

        with open(args.json, "w") as f:
            json.dump({"cold_s": cold, "warm_s": warm, "load_before": load0, "load_after": load1,
                       "cpus": os.cpu_count(), "machine": platform.processor() or platform.machine(),
                       "numba": numba.__version__, "numpy": numpy.__version__,
                       "command": "python benchmarks/first_run.py"}, f, indent=1)


if __name__ == "__main__":
    main()
