"""Cold ``victwin demo`` of two checkouts, one after the other: time and results compared.

Each checkout runs ``python -m victwin.cli demo`` (the spec the checkout itself ships,
``examples/demo.toml``) in a fresh temporary folder, with a fresh, empty ``NUMBA_CACHE_DIR``
(cold: every kernel compiles, as on a fresh clone) and ``PYTHONPATH`` pointing at the checkout.
The run folder is passed with ``--out`` inside that temporary folder, so neither checkout's tree
gets a ``victwin-demo/`` folder. Recorded per run: wall seconds, CPU seconds of the demo and its
worker processes (user + system, ``getrusage(RUSAGE_CHILDREN)``; steadier than wall time on a
shared machine) and the load averages before and after.

Compared (read with zarr and the standard library only, not with either checkout's code): every
array of every case store (``cases/case-*.zarr``), as SHA-256 of its dtype, shape and C-order
bytes; and ``analysis/results.json`` key by key (the spec hash differs when the spec file
differs). The analysis answer (each modality's AUC, the difference, its CI and p) is printed.

    python benchmarks/demo_before_after.py OLD_TREE NEW_TREE \
        [--json benchmarks/results/demo_before_after.json] [--keep DIR] [--workers 2]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _git(tree: str, *args: str) -> str:
    p = subprocess.run(["git", "-C", tree, *args], capture_output=True, text=True)
    return p.stdout.strip()


def run_demo(tree: str, folder: Path, workers: int) -> dict:
    """One cold demo of ``tree`` inside ``folder``; returns times, load and the run folder."""
    cache = folder / "numba-cache"
    cache.mkdir(parents=True)
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), PYTHONPATH=str(Path(tree).resolve()))
    run_dir = folder / "demo-run"
    cmd = [sys.executable, "-m", "victwin.cli", "demo", "--out", str(run_dir), "--quiet",
           "--workers", str(workers), "--json", str(folder / "outcome.json")]
    load0 = os.getloadavg()
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, env=env, cwd=folder, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    load1 = os.getloadavg()
    (folder / "demo.log").write_text(p.stdout + p.stderr)
    if p.returncode != 0:
        sys.exit(f"demo of {tree} failed (exit {p.returncode}):\n{(p.stdout + p.stderr)[-3000:]}")
    return {
        "tree": str(tree), "commit": _git(tree, "rev-parse", "HEAD"),
        "command": " ".join(cmd[1:]), "wall_s": round(wall, 1),
        "cpu_s": round((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime), 1),
        "load_before": [round(x, 2) for x in load0], "load_after": [round(x, 2) for x in load1],
        "printed": [ln for ln in p.stdout.splitlines() if ln.strip()][-12:],
        "run_dir": str(run_dir),
    }


def array_fingerprints(run_dir: Path) -> dict[str, str]:
    """SHA-256 of dtype | shape | C-order bytes of every array of every case store."""
    import numpy as np
    import zarr

    out = {}
    for case in sorted((run_dir / "cases").glob("case-*.zarr")):
        def walk(group, prefix):
            for key, member in group.members():
                if isinstance(member, zarr.Group):
                    walk(member, f"{prefix}{key}/")
                else:
                    arr = np.ascontiguousarray(member[...])
                    h = hashlib.sha256(f"{arr.dtype.str}|{arr.shape}|".encode())
                    h.update(arr.tobytes())
                    out[f"{case.stem}/{prefix}{key}"] = h.hexdigest()
        walk(zarr.open_group(str(case), mode="r"), "")
    return out


def _flatten(obj, prefix="") -> dict:
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            out.update(_flatten(v, f"{prefix}{k}."))
        return out
    if isinstance(obj, list):
        out = {}
        for i, v in enumerate(obj):
            out.update(_flatten(v, f"{prefix}{i}."))
        return out
    return {prefix[:-1]: obj}


def answer(results: dict) -> dict:
    """The analysis' answer as the demo prints it: the headline MRMC analysis (clustered by
    twin when the results have one), each modality's mean AUC, the difference, its 95 % CI
    and p (random readers and cases)."""
    head = (results.get("headline") or {}).get("analysis", "mrmc")
    m = results.get(head) or results["mrmc"]
    r = m["rrrc"]
    return {"analysis": head if head in results else "mrmc", "mean_auc": m["mean_auc"],
            "difference": m["difference"], "ci": r["ci"], "p": r["p"]}


def compare(before: Path, after: Path) -> dict:
    fa, fb = array_fingerprints(before), array_fingerprints(after)
    same = sorted(k for k in fa if fb.get(k) == fa[k])
    differ = sorted(k for k in fa if k in fb and fb[k] != fa[k])
    ra = json.loads((before / "analysis" / "results.json").read_text())
    rb = json.loads((after / "analysis" / "results.json").read_text())
    la, lb = _flatten(ra), _flatten(rb)
    keys = sorted(set(la) | set(lb))
    return {
        "arrays": {"before": len(fa), "after": len(fb), "identical": len(same),
                   "different": differ, "only_before": sorted(set(fa) - set(fb)),
                   "only_after": sorted(set(fb) - set(fa))},
        "results_json": {"keys": len(keys),
                         "different": {k: [la.get(k), lb.get(k)] for k in keys
                                       if la.get(k) != lb.get(k)}},
        "answer_before": answer(ra), "answer_after": answer(rb),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old_tree")
    ap.add_argument("new_tree")
    ap.add_argument("--json", default=None, help="write the record here")
    ap.add_argument("--keep", default=None, help="keep both run folders under this folder")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    top = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="victwin-demo-ab-"))
    top.mkdir(parents=True, exist_ok=True)
    runs = {}
    try:
        for label, tree in (("before", args.old_tree), ("after", args.new_tree)):
            print(f"{label}: cold victwin demo of {tree} ...", flush=True)
            runs[label] = run_demo(tree, top / label, args.workers)
            r = runs[label]
            print(f"  {r['wall_s']} s wall, {r['cpu_s']} CPU-s, load {r['load_before'][0]} -> "
                  f"{r['load_after'][0]}", flush=True)
        cmp = compare(Path(runs["before"]["run_dir"]), Path(runs["after"]["run_dir"]))
    finally:
        if not args.keep:
            shutil.rmtree(top, ignore_errors=True)
    a = cmp["arrays"]
    print(f"arrays: {a['identical']} of {a['before']} identical (after: {a['after']}); "
          f"different {len(a['different'])}, only before {len(a['only_before'])}, only after "
          f"{len(a['only_after'])}")
    print(f"results.json: {len(cmp['results_json']['different'])} of "
          f"{cmp['results_json']['keys']} values differ")
    for k, (x, y) in list(cmp["results_json"]["different"].items())[:20]:
        print(f"  {k}: {x!r} -> {y!r}")
    if args.json:
        import platform

        record = {"runs": runs, "comparison": cmp, "cpus": os.cpu_count(),
                  "machine": platform.machine(), "python": sys.version.split()[0],
                  "command": "python benchmarks/demo_before_after.py "
                             + " ".join(sys.argv[1:])}
        Path(args.json).write_text(json.dumps(record, indent=1) + "\n")


if __name__ == "__main__":
    main()
