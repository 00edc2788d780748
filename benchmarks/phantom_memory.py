"""Peak memory of building phantoms, each in a fresh process, for the CLI's pre-build check.

Every (recipe, voxel) pair is built by ``victwin.phantom.make`` in its own Python process;
the table gives the voxel count, the process's peak resident memory (``resource.getrusage``
``ru_maxrss`` of the child, which includes the interpreter, NumPy and the numba kernels) and
its CPU seconds, beside what ``victwin._memory.phantom_peak_bytes`` predicts for it. The
prediction must hold every measured peak (it refuses builds that would not fit) without being
far above it (it would refuse builds that fit).

Usage: python benchmarks/phantom_memory.py [--json benchmarks/results/phantom_memory.json]
       [--case RECIPE VOXEL_MM ...]

Measured on 2026-12-03 (2-core AMD EPYC, load in the JSON): see NOTES.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

CASES = [("chest/adult", 1.0), ("chest/adult", 0.5), ("chest/female", 0.5),
         ("breast/dense", 0.2)]

_CHILD = r"""
import json, resource, sys, time
import victwin.phantom as vp
recipe, vox = sys.argv[1], float(sys.argv[2])
t = time.process_time()
p = vp.make(recipe, seed=1, voxel_mm=vox, progress=False)
cpu = time.process_time() - t
ru = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"voxels": int(p.labels.size), "kind": p.meta.get("kind"),
                  "peak_rss_bytes": ru.ru_maxrss * 1024, "cpu_s": cpu}))
"""


def measure(recipe: str, voxel_mm: float) -> dict:
    out = subprocess.run([sys.executable, "-c", _CHILD, recipe, str(voxel_mm)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path,
                    default=Path(__file__).parent / "results" / "phantom_memory.json")
    ap.add_argument("--case", nargs=2, action="append", metavar=("RECIPE", "VOXEL_MM"))
    args = ap.parse_args(argv)
    from victwin._memory import phantom_peak_bytes

    cases = [(r, float(v)) for r, v in args.case] if args.case else CASES
    rows, load0 = [], os.getloadavg()
    print(f"{'recipe':<14} {'voxel mm':>8} {'M voxels':>9} {'peak GB':>8} "
          f"{'predicted GB':>12} {'ratio':>6} {'CPU s':>6}")
    for recipe, vox in cases:
        m = measure(recipe, vox)
        pred = phantom_peak_bytes(m["voxels"], vox, kind=m["kind"])
        row = {"recipe": recipe, "voxel_mm": vox, **m, "predicted_bytes": pred,
               "predicted_over_measured": pred / m["peak_rss_bytes"]}
        rows.append(row)
        print(f"{recipe:<14} {vox:>8g} {m['voxels'] / 1e6:>9.1f} "
              f"{m['peak_rss_bytes'] / 2**30:>8.2f} {pred / 2**30:>12.2f} "
              f"{row['predicted_over_measured']:>6.2f} {m['cpu_s']:>6.1f}", flush=True)
    res = {"rows": rows, "loadavg_before": load0, "loadavg_after": os.getloadavg(),
           "cpu_count": os.cpu_count()}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(res, indent=2) + "\n")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
