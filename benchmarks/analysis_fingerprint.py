"""Fingerprints of a run's analysis, to show a change to its presentation changed no number.

Re-analyses a copy of each run directory given (``analyse_run``; the run itself is not
touched) with the victwin on ``PYTHONPATH`` and prints the SHA-256 (first 16 hex digits) of:

* ``numbers``: ``results.json`` with each subgroup's rows keyed by their label (and an error's
  ``groups`` sorted), dumped with sorted keys: every AUC, CI, p-value, count and too-small
  mark, whatever order the rows are listed in;
* ``results.json`` as written (changes when only the row order changes);
* ``scores.imrmc``: every reader's score of every test ROI.

Run it at two commits and compare: equal ``numbers`` and ``scores`` mean the statistics are
byte-identical. With ``--report`` it also writes each copy's ``report.html`` (live V&V checks,
~15 s), to look at.

Usage: PYTHONPATH=TREE python benchmarks/analysis_fingerprint.py RUN [RUN ...] --out DIR
       [--report] [--json OUT.json]

(Issue 19 report cosmetics: subgroup levels put in natural order left ``numbers`` and
``scores`` equal on five runs, NOTES.md, sixth session of 2026-12-02.)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import time
from pathlib import Path


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def numbers(results: dict) -> bytes:
    """``results`` with subgroup rows keyed by label: the order of the rows drops out."""
    res = json.loads(json.dumps(results))
    for entry in res.get("subgroups", {}).values():
        if "subgroups" in entry:
            entry["subgroups"] = {r["subgroup"]: r for r in entry["subgroups"]}
        if "groups" in entry:
            entry["groups"] = sorted(entry["groups"])
    return json.dumps(res, sort_keys=True).encode()


def fingerprint(run: Path, copy: Path, *, report: bool) -> dict:
    from victwin.trial import TrialStore, analyse_run, spec_from_dict, write_report

    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(run, copy, ignore=shutil.ignore_patterns("analysis", "report.html",
                                                             ".lock"))
    t0 = time.perf_counter()
    with TrialStore(copy) as store:
        spec = spec_from_dict(store.provenance()["spec_toml"])
        res = analyse_run(store, spec)
        if report:
            write_report(store, spec)
    analysis = copy / "analysis"
    return {"run": str(run), "copy": str(copy), "seconds": round(time.perf_counter() - t0, 1),
            "numbers": _sha(numbers(res)),
            "results_json": _sha((analysis / "results.json").read_bytes()),
            "scores_imrmc": _sha((analysis / "scores.imrmc").read_bytes()),
            "levels": {name: [r["subgroup"] for r in e.get("subgroups", [])]
                       for name, e in res["subgroups"].items()}}


def main(argv=None) -> int:
    import victwin

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("runs", nargs="+", type=Path, help="run directories (read only)")
    p.add_argument("--out", type=Path, required=True, help="where the copies go")
    p.add_argument("--report", action="store_true", help="also write report.html")
    p.add_argument("--json", type=Path, help="write the fingerprints as JSON")
    args = p.parse_args(argv)
    rows = [fingerprint(r, args.out / r.name, report=args.report) for r in args.runs]
    print(f"victwin from {Path(victwin.__file__).parent}")
    print(f"{'run':<28}{'numbers':>18}{'results.json':>18}{'scores.imrmc':>18}{'s':>7}")
    for r in rows:
        print(f"{Path(r['run']).name:<28}{r['numbers']:>18}{r['results_json']:>18}"
              f"{r['scores_imrmc']:>18}{r['seconds']:>7}")
        for name, levels in r["levels"].items():
            print(f"    {name}: {', '.join(levels)}")
    if args.json:
        args.json.write_text(json.dumps({"command": " ".join(sys.argv),
                                         "victwin": str(Path(victwin.__file__).parent),
                                         "runs": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
