"""Trial throughput: cases per hour, time per stage, and scaling from 1 to 2 workers.

Settings
--------
``demo``    ``examples/demo.toml`` (0.5 mm voxels, 0.68 mm pixels, DM + 25-view DBT with FBP),
            ``--cases`` cases with 1 worker and with 2 workers (separate run directories).
``victre``  VICTRE-like: 0.1 mm voxels, the full 85 um detector, DM + 25-view DBT; ``--victre-cases``
            cases with 1 worker (each case takes many minutes on a CPU).

Time per stage is the mean over cases of the runner's own timings (phantom, lesion,
acquisition and its ray tracing / physics / scatter / detector parts, reconstruction + ROI).

Usage::

    python benchmarks/trial.py --cases 8 [--victre] [--backend cuda]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import environment, print_table, write_json  # noqa: E402

from victwin.trial import TrialStore, load_spec, run_trial, spec_from_dict  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _spec(kind: str, cases: int):
    base = load_spec(ROOT / "examples" / "demo.toml").to_toml_dict()
    base["cohort"]["size"] = max(cases, 4)
    if kind == "victre":
        base["trial"]["name"] = "bench-victre"
        base["resolution"] = {"voxel_mm": 0.1, "detector_binning": 1}
    else:
        base["trial"]["name"] = "bench-demo"
    return spec_from_dict(base)


def _measure(kind, cases, workers, backend, root: Path) -> dict:
    spec = _spec(kind, cases)
    out = root / f"{kind}-w{workers}"
    t0 = time.perf_counter()
    run_trial(spec, out, workers=workers, backend=backend, analyse=False, progress=True,
              max_cases=cases)
    wall = time.perf_counter() - t0
    with TrialStore(out) as store:
        rows = store.done_cases()
    stages = {}
    for r in rows:
        for k, v in r["timings"].items():
            stages.setdefault(k, []).append(v)
    return {"setting": kind, "workers": workers, "backend": backend, "cases": len(rows),
            "wall_s": wall, "cases_per_hour": 3600.0 * len(rows) / wall,
            "stages_mean_s": {k: statistics.mean(v) for k, v in sorted(stages.items())}}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=8, help="demo-setting cases per run")
    parser.add_argument("--victre", action="store_true", help="also run VICTRE-like cases")
    parser.add_argument("--victre-cases", type=int, default=1)
    parser.add_argument("--backend", default="cpu", choices=["cpu", "cuda", "auto"])
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="victwin-bench-") as tmp:
        root = Path(tmp)
        for workers in (1, 2):
            rows.append(_measure("demo", args.cases, workers, args.backend, root))
        if args.victre:
            rows.append(_measure("victre", args.victre_cases, 1, args.backend, root))
    table = [{k: v for k, v in r.items() if k != "stages_mean_s"} for r in rows]
    print()
    print_table(table, ["setting", "workers", "backend", "cases", "wall_s", "cases_per_hour"])
    print()
    stage_names = sorted({k for r in rows for k in r["stages_mean_s"]})
    stage_rows = [{"stage": s, **{f"{r['setting']} w{r['workers']} (s)":
                                  r["stages_mean_s"].get(s, float("nan")) for r in rows}}
                  for s in stage_names]
    print_table(stage_rows, ["stage"] + [f"{r['setting']} w{r['workers']} (s)" for r in rows])
    demo = {r["workers"]: r for r in rows if r["setting"] == "demo"}
    scaling = demo[2]["cases_per_hour"] / demo[1]["cases_per_hour"]
    print(f"\nscaling 1 -> 2 workers (demo): {scaling:.2f}x")
    write_json("trial" if args.backend == "cpu" else f"trial-{args.backend}",
               {"environment": environment(), "rows": rows, "scaling_1_to_2_workers": scaling},
               args.json)


if __name__ == "__main__":
    main()
