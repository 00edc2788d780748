"""``victwin plan | run | status | report``: the trial engine's commands."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def _write_json(path, payload) -> None:
    if path:
        from victwin.trial import atomic_write

        atomic_write(Path(path), json.dumps(payload, indent=2, default=str) + "\n")


def _plan(args: argparse.Namespace) -> int:
    from victwin.trial import calibrate_case, check_site_layout, load_spec, plan_trial

    spec = load_spec(args.spec)
    check_site_layout(spec)      # counts no twin can hold: one line, exit 2
    measured = calibrate_case(spec, backend=args.backend) if args.calibrate else None
    plan = plan_trial(spec, calibrate=measured)
    for line in plan.get("lines", []):
        print(line)
    _write_json(args.json, plan)
    return 0


def _run(args: argparse.Namespace) -> int:
    from victwin.trial import load_spec, run_trial

    spec = load_spec(args.spec)  # validate before anything touches the output directory
    out = run_trial(spec, args.out, workers=args.workers, scheduler=args.scheduler,
                    backend=args.backend, progress=not args.quiet,
                    retry_failed=not args.no_retry_failed, report=not args.no_report)
    _print_outcome(out)
    _write_json(args.json, out)
    return 0 if out["counts"]["failed"] == 0 else 1


def _print_outcome(out: dict) -> None:
    for d in out.get("recomputed", []):
        print(f"recomputed damaged case {d['case_id']} ({d['reason']})")
    if out.get("retried"):
        print(f"retried {len(out['retried'])} case(s) that had failed before: "
              f"{', '.join(map(str, out['retried']))}")
    c = out["counts"]
    print(f"cases: {c['done']} done, {c['failed']} failed, {c['pending']} pending "
          f"({out['run_dir']})")
    analysis = out.get("analysis")
    if analysis:
        head = (analysis.get("headline") or {}).get("analysis", "mrmc")
        mrmc = analysis.get(head) if "rrrc" in (analysis.get(head) or {}) else analysis["mrmc"]
        aucs = ", ".join(f"{m} {v:.3f}" for m, v in mrmc["mean_auc"].items())
        first, second = analysis["modalities"][:2]
        diff = mrmc["rrrc"]
        unit = "twins" if mrmc is analysis.get("mrmc_clustered") else "cases"
        # no variance between readers or twins (a tiny run): no test, p is None
        p = "n/a" if diff["p"] is None else f"{diff['p']:.3g}"
        print(f"mean AUC: {aucs}; {first} - {second} = {mrmc['difference']:+.3f} "
              f"(95% CI {diff['ci'][0]:+.3f} to {diff['ci'][1]:+.3f}, p = {p}, "
              f"random readers and {unit})")
    if out.get("analysis_skipped"):
        print(f"analysis skipped: {out['analysis_skipped']}")
    if out.get("report"):
        print(f"report: {out['report']}")


def _status(args: argparse.Namespace) -> int:
    from victwin.trial import trial_status

    st = trial_status(args.dir, verify=not args.no_verify)
    c = st["counts"]
    print(f"trial {st['trial']} (spec {st['spec_hash']}): {c['done']} done, {c['failed']} "
          f"failed, {c['pending']} pending")
    if st["mean_case_s"] is not None:
        print(f"mean time per case: {st['mean_case_s']:.1f} s")
    for f in st["failed"]:
        print(f"  case {f['case_id']} failed after {f['attempts']} attempt(s): {f['error']}")
    for d in st["damaged"]:
        print(f"  case {d['case_id']} is damaged: {d['reason']}")
    if st["missing"]:
        more = " ..." if len(st["missing"]) > 20 else ""
        print(f"  {len(st['missing'])} case(s) have no row: "
              f"{', '.join(map(str, st['missing'][:20]))}{more}")
    if st["unverifiable"]:
        print(f"  {st['unverifiable']} case(s) were stored without checksums (a run made "
              f"before they were recorded) and cannot be verified")
    if st["damaged"] or st["missing"]:
        print(f"damaged or missing cases: {len(st['damaged']) + len(st['missing'])}; "
              f"`victwin run SPEC --out {args.dir}` recomputes them")
    print("analysis: " + ("done" if st["analysed"] else "not run yet"))
    if st["report"]:
        print(f"report: {st['report']}")
    _write_json(args.json, st)
    return 1 if st["damaged"] or st["missing"] else 0


def _report(args: argparse.Namespace) -> int:
    from victwin.trial import TrialStore, analyse_run, lock_run, spec_from_dict, write_report

    if not (Path(args.dir) / "trial.sqlite").is_file():
        TrialStore(args.dir)  # raises the one-line "not a run directory"
    lock = lock_run(args.dir, "report")
    with lock, TrialStore(args.dir) as store:
        counts = store.counts()
        if counts["pending"]:
            raise ValueError(f"{args.dir}: {counts['pending']} case(s) still pending; run the "
                             f"trial to completion first (victwin run SPEC --out {args.dir})")
        spec = spec_from_dict(store.provenance()["spec_toml"])
        results = analyse_run(store, spec)
        path = write_report(store, spec)
    print(f"report: {path}")
    _write_json(args.json, {"report": str(path), "analysis": results})
    return 0


def register(sub) -> None:
    p = sub.add_parser("plan", help="print the cases, voxels, storage and estimated time of a "
                                    "trial spec")
    p.add_argument("spec", help="trial spec (TOML)")
    p.add_argument("--json", help="also write the plan as JSON")
    p.add_argument("--calibrate", action="store_true",
                   help="run case 0 here (not stored) and estimate from its measured time")
    p.add_argument("--backend", default="auto", choices=["auto", "cpu", "cuda"],
                   help="backend of the --calibrate run (default auto)")
    p.set_defaults(func=_plan)

    p = sub.add_parser("run", help="run (or resume) a trial spec into an output directory")
    p.add_argument("spec", help="trial spec (TOML)")
    p.add_argument("--out", required=True, help="run directory (resumes if it holds this spec)")
    p.add_argument("--workers", type=int, default=1, help="local worker processes (default 1)")
    p.add_argument("--scheduler", help="tcp://HOST:PORT of an existing Dask scheduler")
    p.add_argument("--backend", choices=["cpu", "cuda", "auto"], default=None,
                   help="ray-tracing backend (default: the spec's, else auto)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--no-report", action="store_true",
                   help="analyse but do not write report.html (it runs the live V&V checks)")
    p.add_argument("--no-retry-failed", action="store_true",
                   help="leave cases that failed in an earlier invocation failed (default: "
                        "give them a fresh retry budget)")
    p.add_argument("--json", help="also write the outcome as JSON")
    p.set_defaults(func=_run)

    p = sub.add_parser("status", help="show the state of a trial run directory (exit 1 when "
                                      "cases are damaged or missing)")
    p.add_argument("dir")
    p.add_argument("--no-verify", action="store_true",
                   help="do not read every case's arrays to check their checksums")
    p.add_argument("--json")
    p.set_defaults(func=_status)

    p = sub.add_parser("report", help="(re)analyse a finished run and write its HTML report")
    p.add_argument("dir")
    p.add_argument("--json")
    p.set_defaults(func=_report)
