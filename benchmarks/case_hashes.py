"""SHA-256 of every array of one trial case, to show a speed-up changed no byte.

Runs ``victwin.trial.run_case`` on one case of a spec (nothing stored) and writes, per array
(each ROI / VOI "<modality>/<site>", previews, images), the SHA-256 of its dtype, shape and
bytes, beside the case's stage timings, the process's CPU seconds and the load (``uptime``)
before and after. Run it at two commits and compare the ``hashes`` of the two JSON files.

Usage: python benchmarks/case_hashes.py [--spec examples/demo-victre.toml] [--case 0]
       [--backend cpu] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spec", default=str(Path(__file__).resolve().parents[1] / "examples"
                                          / "demo-victre.toml"))
    ap.add_argument("--case", type=int, default=0)
    ap.add_argument("--backend", default="cpu")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)

    import numpy as np

    from victwin.trial import load_spec, run_case, sample_cohort

    spec = load_spec(args.spec)
    (cid, attrs), = sample_cohort(spec, [args.case])
    up0, cpu0, t0 = _uptime(), _cpu_s(), time.perf_counter()
    out = run_case(spec, cid, attrs, backend=args.backend)
    wall, cpu = time.perf_counter() - t0, _cpu_s() - cpu0
    hashes = {}
    for name in sorted(out.arrays):
        a = np.ascontiguousarray(out.arrays[name])
        h = hashlib.sha256(f"{a.dtype.str}{a.shape}".encode() + a.tobytes()).hexdigest()
        hashes[name] = h
        print(f"{h[:16]}  {name} {a.shape} {a.dtype}")
    rec = {"spec": str(args.spec), "case": cid, "wall_s": wall, "cpu_s": cpu,
           "uptime_before": up0, "uptime_after": _uptime(), "timings_s": out.timings,
           "hashes": hashes, "victwin": os.path.dirname(__import__("victwin").__file__)}
    print(f"case {cid}: {wall:.0f} s wall, {cpu:.0f} CPU-s; phantom.windows "
          f"{out.timings.get('phantom.windows', 0.0):.1f} s wall")
    if args.json:
        Path(args.json).write_text(json.dumps(rec, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
