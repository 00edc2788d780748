"""``victwin demo``: a small but real trial (``examples/demo.toml``), with its report."""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path


def demo_spec_path() -> Path:
    """``examples/demo.toml``, shipped as package data (``victwin/data/examples/demo.toml``)."""
    from victwin._data import data_path

    path = data_path("examples", "demo.toml")
    if not path.is_file():
        raise FileNotFoundError(f"the demo spec {str(path)!r} is missing from this "
                                f"installation of victwin; reinstall it or pass --spec")
    return path


def _run(args: argparse.Namespace) -> int:
    from victwin.cli._trial import _print_outcome, _write_json
    from victwin.trial import load_spec, run_trial

    if args.workers is not None and args.workers < 1:
        raise ValueError(f"--workers must be an integer >= 1, got {args.workers}")
    spec_path = Path(args.spec) if args.spec else demo_spec_path()
    spec = load_spec(spec_path)
    workers = args.workers or max(1, min(2, os.cpu_count() or 1))
    print(f"victwin demo: trial {spec.name!r} ({spec.cohort.size} patient twins, "
          f"{' vs '.join(spec.modality_names)}) from {spec_path}, {workers} worker(s)")
    if args.backend != "cuda":
        from victwin.raytrace import cpu_kernels_cached

        if not cpu_kernels_cached():
            print("victwin demo: first run: the workers compile the kernels (about 1-3 min, "
                  "once; later runs load them from numba's cache), so the first cases take "
                  "longer")
    t0 = time.perf_counter()
    out = run_trial(spec, args.out, workers=workers, backend=args.backend,
                    progress=not args.quiet)
    _print_outcome(out)
    print(f"finished in {time.perf_counter() - t0:.0f} s")
    _write_json(args.json, out)
    return 0 if out["counts"]["failed"] == 0 else 1


def register(sub) -> None:
    p = sub.add_parser("demo", help="run the demo trial (DM vs DBT, masses, 0.5 mm voxels) and "
                                    "write its report; --spec examples/demo-victre.toml for "
                                    "VICTRE fidelity")
    p.add_argument("--out", default="victwin-demo", help="run directory (default: %(default)s)")
    p.add_argument("--workers", type=int, default=None,
                   help="local worker processes (default: 2, or 1 on a single core)")
    p.add_argument("--backend", default=None, choices=["auto", "cpu", "cuda"])
    p.add_argument("--spec", default=None,
                   help="a trial spec to run instead of the demo's (e.g. examples/demo-victre.toml)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--json", help="also write the outcome (counts, analysis, report path) as JSON")
    p.set_defaults(func=_run)
