"""Re-analyse stored trial runs with two revisions of victwin and compare their scores.

Each run directory is copied (its ``analysis/`` and ``report.html`` dropped) once per
revision, and analysed there (``victwin.trial.analyse_run``, no report) by a fresh Python
process whose ``PYTHONPATH`` is that revision's tree (``git archive REV``, or ``.`` for the
working tree). The table gives, per run and revision, the sha256 of ``analysis/scores.imrmc``,
the mean AUCs of ``results.json``'s ``mrmc``, and the draws of twins refused for rank
(``rejected_draws``, absent before 2026-12-03); the stored runs are never written.

    python benchmarks/reanalyse_before_after.py BEFORE_REV AFTER_REV RUN [RUN ...] \
        [--json benchmarks/results/reanalyse_before_after.json]

AFTER_REV ``.`` is the working tree. Machine load (``os.getloadavg``) is recorded.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

_ANALYSE = r"""
import hashlib, json, sys
from pathlib import Path
import victwin
from victwin.trial import TrialStore, analyse_run, spec_from_dict
d = Path(sys.argv[1])
with TrialStore(d) as store:
    spec = spec_from_dict(store.provenance()["spec_toml"])
    r = analyse_run(store, spec)
print(json.dumps({"victwin": victwin.__file__,
                  "sha256": hashlib.sha256((d / "analysis/scores.imrmc").read_bytes()).hexdigest(),
                  "mean_auc": r["mrmc"]["mean_auc"], "reader_auc": r["mrmc"]["reader_auc"],
                  "rejected_draws": r.get("rejected_draws"),
                  "size_class_rejected_draws": {k: v.get("rejected_draws") for k, v in
                                                r.get("size_class_readers", {}).items()}}))
"""


def _tree(rev: str, into: Path) -> Path:
    if rev == ".":
        return REPO
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def _analyse(tree: Path, run: Path, work: Path) -> dict:
    copy = work / "run"
    shutil.copytree(run, copy, ignore=shutil.ignore_patterns("analysis", "report.html"))
    env = dict(os.environ, PYTHONPATH=str(tree))
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _ANALYSE, str(copy)], env=env, cwd=work,
                         capture_output=True, text=True)
    if out.returncode:
        return {"error": out.stderr.strip().splitlines()[-1]}
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["seconds"] = round(time.perf_counter() - t0, 1)
    shutil.rmtree(copy)
    return res


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    load0 = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory(prefix="reanalyse-") as tmp:
        tmp = Path(tmp)
        trees = {rev: _tree(rev, tmp / f"tree-{i}") for i, rev in
                 enumerate((args.before, args.after))}
        for k, run in enumerate(args.runs):
            row = {"run": run}
            for tag, rev in (("before", args.before), ("after", args.after)):
                work = tmp / f"work-{k}-{tag}"
                work.mkdir()
                row[tag] = _analyse(trees[rev], Path(run), work)
            b, a = row["before"], row["after"]
            row["identical"] = "sha256" in b and b.get("sha256") == a.get("sha256")
            rows.append(row)
            aucs = lambda r: ", ".join(f"{m} {v:.4f}" for m, v in r.get("mean_auc", {}).items())
            print(f"{Path(run).name:<12} {b.get('sha256', b.get('error'))[:16]} "
                  f"{a.get('sha256', a.get('error'))[:16]} "
                  f"{'same' if row['identical'] else 'CHANGED':<8} "
                  f"before [{aucs(b)}] after [{aucs(a)}] refused {a.get('rejected_draws')}",
                  flush=True)
    out = {"before": args.before, "after": args.after, "rows": rows,
           "loadavg_start": load0, "loadavg_end": os.getloadavg(), "cpus": os.cpu_count()}
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
