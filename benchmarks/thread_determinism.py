"""Are acquisition results the same bytes whatever the number of BLAS / OpenMP / numba threads?

Runs small acquisitions in fresh subprocesses, one per thread setting ``n`` in ``--threads``
(``OPENBLAS_NUM_THREADS = OMP_NUM_THREADS = NUMBA_NUM_THREADS = MKL_NUM_THREADS = n``; more
threads than cores is fine: only the partition of the work matters, not the speed), and prints
the SHA-256 (dtype, shape and bytes) of every array per setting. With several ``--tree`` s (a
source tree each, e.g. a ``git archive`` of main beside this checkout) the same runs are done for
each tree, interleaved per setting, so their timings are side by side under the same load; then
the largest difference between the trees' arrays (1-thread runs) is printed too.

Cases (coarse, so that one subprocess takes ~30-60 s on 2 cores):

``dm``        mammomat-dm, a 40 mm heterogeneous half-disc at 1 mm voxels, binning 4, with noise;
              the same noise-free (``dm-nf``); ``dm-170um`` the same at binning 2 (1500 x 750
              pixels: the polyenergetic sums are a larger share than in a finely voxelised twin)
``dbt``       mammomat-dbt, the same phantom, binning 8, with noise; FBP of its line integrals
``chest``     chest-pa, a coarse two-lung block at 10 mm voxels, binning 16
``region``    lesion-local: ``acquire_regions`` of the DM and DBT systems at two sites
``trial``     ``victwin.trial.run_case`` of case 0 of ``tests/trial/tiny.toml`` (twin made from
              the spec, lesion-local DM ROIs and DBT VOIs through FBP)
``signal``    ``victwin.physics.primary_signal`` on a 1500 x 750 pixel view of 10 labels and a
              51-bin spectrum (a 170 um DM view), median of 7; ``signal.matmul``: the same
              sums by ``numpy.matmul`` (main's formula before the fixed-order sums), timed
              interleaved with it in the same process

Usage::

    python benchmarks/thread_determinism.py [--tree PATH ...] [--threads 1 2 4]
        [--cases dm dm-nf dm-170um dbt chest region trial signal] [--json OUT] [--save-arrays DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

HERE = Path(__file__).resolve().parent
ALL_CASES = ("dm", "dm-nf", "dm-170um", "dbt", "chest", "region", "trial", "signal")
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "NUMBA_NUM_THREADS", "MKL_NUM_THREADS")


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def _sha(a) -> str:
    import numpy as np

    a = np.ascontiguousarray(a)
    return hashlib.sha256(f"{a.dtype.str}{a.shape}".encode() + a.tobytes()).hexdigest()


# ----------------------------------------------------------------------------- child side

def _slab():
    """40 mm half-disc (radius 50 mm) on a 20 mm support, 1 mm voxels, ~30 % glandular blobs."""
    import numpy as np
    from scipy import ndimage

    from victwin.geometry import Grid

    nz, nx, ny = 40, 51, 102
    x = np.arange(nx) + 0.5
    y = np.arange(ny) - (ny - 1) / 2
    z = 20.0 + np.arange(nz) + 0.5
    yy, xx = np.meshgrid(y, x, indexing="ij")
    labels = np.zeros((nz, ny, nx), np.uint8)
    labels[:, xx ** 2 + yy ** 2 <= 50.0 ** 2] = 1
    noise = ndimage.gaussian_filter(np.random.default_rng(1).normal(size=labels.shape), 2.0)
    labels[(noise > np.quantile(noise, 0.7)) & (labels == 1)] = 2
    grid = Grid(shape=labels.shape, spacing=(1.0, 1.0, 1.0), origin=(x[0], y[0], z[0]))
    return SimpleNamespace(labels=labels, grid=grid,
                           materials={0: "air", 1: "adipose", 2: "glandular"},
                           meta={"thickness_mm": 40.0, "glandular_fraction_mass": 0.3})


def _chest():
    """A 400 mm block at 10 mm voxels: soft tissue with two lungs (tests/test_acquire.py)."""
    import numpy as np

    from victwin.geometry import Grid

    labels = np.zeros((20, 40, 40), np.uint8)
    labels[:, 5:35, 5:35] = 1
    labels[2:18, 10:30, 8:18] = 2
    labels[2:18, 10:30, 22:32] = 2
    return SimpleNamespace(labels=labels, grid=Grid(shape=labels.shape, spacing=(10.0,) * 3,
                                                    origin=(-195.0, -195.0, 10.0)),
                           materials={0: "air", 1: "soft_tissue", 2: "lung"},
                           meta={"thickness_mm": 200.0})


def _child(cases, tree: str, save: str | None) -> dict:
    import numba
    import numpy as np

    import victwin

    arrays, timings = {}, {}
    slab = _slab() if {"dm", "dm-nf", "dm-170um", "dbt", "region"} & set(cases) else None
    from victwin.acquisition import Region, acquire, acquire_regions

    def timed(name, f):
        t0 = time.perf_counter()
        r = f()
        timings[name] = time.perf_counter() - t0
        return r

    if "dm" in cases:
        a = timed("dm", lambda: acquire(slab, "mammomat-dm", seed=3, binning=4, progress=False))
        arrays.update({"dm/raw": a.raw, "dm/processed": a.processed,
                       "dm/line_integrals": a.line_integrals()})
    if "dm-nf" in cases:
        a = timed("dm-nf", lambda: acquire(slab, "mammomat-dm", seed=3, binning=4, noise=False,
                                           progress=False))
        arrays.update({"dm-nf/raw": a.raw, "dm-nf/line_integrals": a.line_integrals()})
    if "dm-170um" in cases:
        a = timed("dm-170um", lambda: acquire(slab, "mammomat-dm", seed=3, binning=2,
                                              progress=False))
        arrays.update({"dm-170um/raw": a.raw})
        for stage in ("raytrace", "physics", "scatter", "detector"):
            timings[f"dm-170um.{stage}"] = a.timings_s.get(stage, float("nan"))
    if "dbt" in cases:
        from victwin.recon import reconstruct

        def dbt():
            a = acquire(slab, "mammomat-dbt", seed=3, binning=8, progress=False)
            vol = reconstruct(a.line_integrals(), a.views, method="fbp", thickness_mm=40.0,
                              support_mm=20.0, backend="cpu", progress=False)
            return a, vol
        a, vol = timed("dbt", dbt)
        arrays.update({"dbt/raw": a.raw, "dbt/line_integrals": a.line_integrals(),
                       "dbt/fbp": vol})
    if "chest" in cases:
        a = timed("chest", lambda: acquire(_chest(), "chest-pa", seed=3, binning=16,
                                           progress=False))
        arrays.update({"chest/raw": a.raw, "chest/processed": a.processed})
    if "region" in cases:
        regions = [Region.around((25.0, 5.0, 40.0), (8.0, 8.0, 6.0)),
                   Region.around((15.0, -20.0, 35.0), (8.0, 8.0, 6.0))]

        def local():
            out = {}
            for system, b in (("mammomat-dm", 4), ("mammomat-dbt", 8)):
                for k, acq in enumerate(acquire_regions(slab, system, regions, seed=3,
                                                        binning=b, progress=False)):
                    out[f"region/{system}/{k}"] = acq.line_integrals()
            return out
        arrays.update(timed("region", local))
    if "trial" in cases:
        from victwin.trial import load_spec, run_case, sample_cohort

        spec = load_spec(str(Path(tree) / "tests" / "trial" / "tiny.toml"))
        (cid, attrs), = sample_cohort(spec, [0])
        out = timed("trial", lambda: run_case(spec, cid, attrs, backend="cpu"))
        arrays.update({f"trial/{k}": v for k, v in out.arrays.items()})
    if "signal" in cases:
        from victwin.physics import primary_signal

        rng = np.random.default_rng(0)
        path = (rng.random((10, 1500, 750)) * 4.0).astype(np.float32)
        names = ["air", "adipose", "glandular", "skin", "muscle", "blood", "adipose",
                 "glandular", "skin", "muscle"]
        e = np.arange(10.0, 35.5, 0.5)
        w = np.exp(-0.5 * ((e - 19.0) / 4.0) ** 2)
        from victwin.physics._signal import attenuation_matrix

        mu = attenuation_matrix(names, e).astype(np.float32)
        wts = np.stack([w, w * e, w * e ** 2, w]).astype(np.float32) / np.float32(w.sum())
        flat = path.reshape(10, -1)

        def by_matmul():  # main's BLAS formula (before the fixed-order sums), same chunks
            out = np.empty((4, flat.shape[1]), np.float32)
            for a in range(0, flat.shape[1], 1 << 18):
                part = flat[:, a:a + (1 << 18)]
                out[:, a:a + (1 << 18)] = np.matmul(wts, np.exp(-np.matmul(mu, part)))
            return out
        ts, tm = [], []
        for _ in range(7):  # interleaved: both see the same load
            t0 = time.perf_counter()
            s = primary_signal(path, names, (e, w), 1000.0)
            ts.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            by_matmul()
            tm.append(time.perf_counter() - t0)
        timings["signal"] = float(np.median(ts))
        timings["signal.matmul"] = float(np.median(tm))
        arrays["signal/quanta"] = s.quanta
        arrays["signal/energy2_kev2"] = s.energy2_kev2
    if save:
        np.savez(save, **{k: np.asarray(v) for k, v in arrays.items()})
    return {"hashes": {k: _sha(v) for k, v in sorted(arrays.items())}, "timings_s": timings,
            "numba_threads": numba.get_num_threads(), "victwin": victwin.__file__}


# ---------------------------------------------------------------------------- parent side

def _run(tree: Path, n: int, cases, save: str | None) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree))
    env.update({v: str(n) for v in THREAD_VARS})
    env.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")  # idle threads sleep: no effect on results
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    with tempfile.NamedTemporaryFile(suffix=".json") as fh:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", fh.name,
               "--tree", str(tree), "--cases", *cases] + (["--save-arrays", save] if save else [])
        up, t0 = _uptime(), time.perf_counter()
        p = subprocess.run(cmd, env=env, cwd=str(tree), capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(f"child ({tree}, {n} threads) failed:\n{p.stderr[-3000:]}")
        rec = json.loads(Path(fh.name).read_text())
    if not rec["victwin"].startswith(str(tree)):
        sys.exit(f"child imported victwin from {rec['victwin']}, not from {tree}")
    rec.update(threads=n, wall_s=time.perf_counter() - t0, uptime_before=up,
               uptime_after=_uptime())
    return rec


def _git(tree: Path) -> str:
    p = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"],
                       capture_output=True, text=True)
    return p.stdout.strip() or "(no git)"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tree", action="append", default=None,
                    help="source tree to import victwin from (repeat; default: this checkout)")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--cases", nargs="+", default=list(ALL_CASES), choices=ALL_CASES)
    ap.add_argument("--json", default=None)
    ap.add_argument("--save-arrays", default=None, help="directory for the 1-thread arrays (npz)")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child:
        sys.path.insert(0, args.tree[0])
        rec = _child(args.cases, args.tree[0], args.save_arrays)
        Path(args.child).write_text(json.dumps(rec))
        return 0

    sys.path.insert(0, str(HERE))
    from _common import environment, print_table, write_json

    trees = [Path(t).resolve() for t in (args.tree or [str(HERE.parent)])]
    labels = [f"T{i}" for i in range(len(trees))]
    for lab, t in zip(labels, trees):
        print(f"{lab}: {t} ({_git(t)})")
    save = Path(args.save_arrays) if args.save_arrays else None
    if save:
        save.mkdir(parents=True, exist_ok=True)
    print("warm-up (numba caches), not timed ...", flush=True)
    for t in trees:
        _run(t, 1, args.cases, None)
    runs = {}  # (tree label, threads) -> record
    for n in args.threads:  # trees interleaved per setting: timings side by side
        for lab, t in zip(labels, trees):
            out = str(save / f"{lab}_{n}.npz") if save and n == args.threads[0] else None
            runs[lab, n] = _run(t, n, args.cases, out)
            print(f"  {lab} {n} thread(s): {runs[lab, n]['wall_s']:.0f} s  "
                  f"[{runs[lab, n]['uptime_after'].split('load average:')[-1].strip()}]", flush=True)

    names = sorted(set().union(*(r["hashes"] for r in runs.values())))
    rows, differs = [], {lab: [] for lab in labels}
    for name in names:
        row = {"array": name}
        for lab in labels:
            hs = [runs[lab, n]["hashes"].get(name, "-") for n in args.threads]
            for n, h in zip(args.threads, hs):
                row[f"{lab} {n}t"] = h[:10]
            row[f"{lab} same"] = "yes" if len(set(hs)) == 1 else "NO"
            if len(set(hs)) > 1:
                differs[lab].append(name)
        rows.append(row)
    cols = ["array"] + [f"{lab} {n}t" for lab in labels for n in args.threads] + \
        [f"{lab} same" for lab in labels]
    print()
    print_table(rows, cols)
    for lab in labels:
        print(f"{lab}: {len(differs[lab])} of {len(names)} arrays differ between thread settings")

    trows = []
    for case in sorted(set().union(*(r["timings_s"] for r in runs.values()))):
        for n in args.threads:
            row = {"case": case, "threads": n}
            for lab in labels:
                row[f"{lab} s"] = runs[lab, n]["timings_s"].get(case, float("nan"))
            if len(labels) > 1:
                row[f"{labels[-1]}/{labels[0]}"] = row[f"{labels[-1]} s"] / row[f"{labels[0]} s"]
            trows.append(row)
    print()
    print_table(trows, ["case", "threads"] + [f"{lab} s" for lab in labels]
                + ([f"{labels[-1]}/{labels[0]}"] if len(labels) > 1 else []))

    diffs = {}
    if save and len(labels) > 1:
        import numpy as np

        n0 = args.threads[0]
        a = np.load(save / f"{labels[0]}_{n0}.npz")
        b = np.load(save / f"{labels[-1]}_{n0}.npz")
        drows = []
        for k in sorted(set(a.files) & set(b.files)):
            x, y = a[k].astype(np.float64), b[k].astype(np.float64)
            d = np.abs(y - x)
            scale = np.maximum(np.abs(x), np.abs(y))
            rel = np.where(scale > 0, d / np.where(scale > 0, scale, 1.0), 0.0)
            diffs[k] = {"identical": a[k].tobytes() == b[k].tobytes(),
                        "max_abs": float(d.max()), "max_rel": float(rel.max()),
                        "changed_fraction": float(np.mean(d > 0)), "dtype": str(a[k].dtype)}
            drows.append({"array": k, **diffs[k]})
        print(f"\n{labels[-1]} vs {labels[0]} ({n0} thread(s)):")
        print_table(drows, ["array", "dtype", "identical", "max_abs", "max_rel",
                            "changed_fraction"])

    payload = {"environment": environment(), "uptime_end": _uptime(),
               "trees": {lab: {"path": str(t), "commit": _git(t)} for lab, t in zip(labels, trees)},
               "threads": args.threads, "cases": args.cases,
               "runs": {f"{lab}/{n}": r for (lab, n), r in runs.items()},
               "differ_between_thread_settings": differs, "tree_differences": diffs}
    write_json("thread_determinism", payload, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
