"""Peak resident memory of one trial case, stage by stage, beside what `victwin plan` says.

    python benchmarks/case_memory.py SPEC [--tree PATH ...] [--case 0] [--warm-voxel-mm 5]
        [--out FILE]

e.g. ``python benchmarks/case_memory.py benchmarks/specs/chest-pa-1mm.toml --tree WT_OLD
--tree . --out benchmarks/results/case_memory_chest_1mm.json`` (stages: ``+`` the
lesion-present twin, ``-`` the lesion-absent).

Each tree (default: this checkout; e.g. a ``git worktree`` of an older commit beside it) runs,
in its own fresh process, the spec's case at a coarse voxel first (``--warm-voxel-mm``: the
numba kernels compile there, whose LLVM peak is not a case's), then resets the peak resident
set (Linux: ``5 > /proc/self/clear_refs`` resets ``VmHWM``) and runs the case with
:func:`victwin.trial.run_case`, reading ``VmHWM`` at every stage the case announces (phantom,
each acquisition, ROIs) and resetting it after. The table gives each stage's peak, the case's
peak, the tree's ``victwin plan`` per-case memory (``case_memory_bytes``, its own code) and
their ratio, and whether the case's ROI bytes are equal across the trees. Writes
``benchmarks/results/case_memory.json`` (load averages included). Linux only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from _common import environment, print_table, write_json

HERE = Path(__file__).resolve().parent


def _status() -> dict:
    out = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(("VmHWM", "VmRSS")):
                out[line.split()[0][:-1]] = int(line.split()[1]) * 1024
    return out


def _reset() -> None:
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")


def _child(spec_path: str, case: int, warm_voxel_mm: float) -> dict:
    """Run in the subprocess, with the tree's victwin."""
    import dataclasses

    import victwin
    import victwin.trial._runner as runner
    from victwin.trial import load_spec, sample_cohort
    from victwin.trial._plan import plan_trial

    spec = load_spec(spec_path)
    warm = dataclasses.replace(spec, resolution=dataclasses.replace(
        spec.resolution, voxel_mm=max(warm_voxel_mm, spec.resolution.voxel_mm)))
    attrs = dict(sample_cohort(spec, [case]))[case]
    runner.run_case(warm, case, attrs, backend="cpu")
    stages, current = [], ["start"]

    def enter(name):
        st = _status()
        stages.append({"stage": current[0], "peak_bytes": st["VmHWM"]})
        _reset()
        current[0] = name

    runner.enter_stage = enter
    _reset()
    out = runner.run_case(spec, case, attrs, backend="cpu")
    enter("end")
    peak = max(s["peak_bytes"] for s in stages)
    plan = plan_trial(spec)
    rois = hashlib.sha256()
    for k in sorted(out.arrays):
        rois.update(k.encode())
        rois.update(out.arrays[k].tobytes())
    return {"victwin": str(Path(victwin.__file__).parent), "stages": stages[1:],
            "peak_bytes": peak, "plan_bytes": plan["case_memory_bytes"],
            "voxels": list(out.result.phantom.voxels), "roi_sha256": rois.hexdigest()}


def _git(tree: Path) -> str:
    p = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"],
                       capture_output=True, text=True)
    return p.stdout.strip() or "?"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("spec", type=Path)
    ap.add_argument("--tree", action="append", default=None,
                    help="source tree to import victwin from (repeat; default: this checkout)")
    ap.add_argument("--case", type=int, default=0)
    ap.add_argument("--warm-voxel-mm", type=float, default=5.0,
                    help="voxel (mm) of the compiling run before the measured one")
    ap.add_argument("--out", default=None, help="JSON path (default results/case_memory.json)")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(_child(str(args.spec), args.case, args.warm_voxel_mm)))
        return
    if not Path("/proc/self/clear_refs").exists():
        sys.exit("case_memory.py: needs Linux (/proc/self/clear_refs)")
    trees = [Path(t).resolve() for t in (args.tree or [HERE.parent])]
    load_before = os.getloadavg()
    runs = {}
    for t in trees:
        env = dict(os.environ, PYTHONPATH=str(t))
        p = subprocess.run([sys.executable, str(HERE / "case_memory.py"), str(args.spec.resolve()),
                            "--child", "--case", str(args.case),
                            "--warm-voxel-mm", str(args.warm_voxel_mm)],
                           capture_output=True, text=True, env=env)
        if p.returncode:
            sys.exit(f"child ({t}) failed:\n{p.stderr[-3000:]}")
        rec = json.loads(p.stdout.strip().splitlines()[-1])
        if not rec["victwin"].startswith(str(t)):
            sys.exit(f"child imported victwin from {rec['victwin']}, not from {t}")
        runs[str(t)] = dict(rec, commit=_git(t))
    rows = []
    for t in trees:
        r = runs[str(t)]
        row = {"tree": f"{t.name} ({r['commit']})"}
        for s in r["stages"]:
            name = (s["stage"].replace("acquisition", "acq").replace(", lesion-present twin", " +")
                    .replace(", lesion-absent twin", " -"))
            row[name] = f"{s['peak_bytes'] / 1e6:.0f}"
        row.update({"case peak MB": f"{r['peak_bytes'] / 1e6:.0f}",
                    "plan MB": f"{r['plan_bytes'] / 1e6:.0f}",
                    "plan / peak": f"{r['plan_bytes'] / r['peak_bytes']:.2f}"})
        rows.append(row)
    cols = list(dict.fromkeys(k for r in rows for k in r))
    print(f"case {args.case} of {args.spec} (stage peaks in MB, VmHWM reset at each stage)")
    print_table(rows, cols)
    equal = len({runs[str(t)]["roi_sha256"] for t in trees}) == 1
    load_after = os.getloadavg()
    print(f"ROI bytes equal across trees: {equal}; load {load_before[0]:.1f} -> "
          f"{load_after[0]:.1f}")
    write_json("case_memory", {"environment": environment(), "spec": str(args.spec),
                               "spec_toml": args.spec.read_text(),
                               "case": args.case, "load_before": load_before,
                               "load_after": load_after, "roi_bytes_equal": equal,
                               "trees": runs}, args.out)


if __name__ == "__main__":
    main()
