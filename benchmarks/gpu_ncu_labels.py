"""One DBT label projection launch of the 0.05 mm VICTRE-size phantom, for Nsight Compute.

Run on the GPU node under ``ncu`` to read the label kernel's occupancy and warp stall reasons
(what limits its ray-voxel steps per second)::

    ncu --clock-control none --kernel-name regex:labels --launch-skip 1 --launch-count 1 \
        --section LaunchStats --section Occupancy --section SchedulerStats \
        --section WarpStateStats python3 benchmarks/gpu_ncu_labels.py

The first launch (skipped) compiles the kernel on a 2 x 2 x 2 piece; the second traces the
central view of the 25-view arc (3000 x 1500 rays) through the whole phantom, with the launch
of ``victwin.raytrace._cuda.LABELS_LAUNCH`` (or ``--launch THREADS REGISTERS FORM``, FORM 0 plain,
1 prefetching or zrun).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _gpu_common import slab_phantom, synchronize  # noqa: E402
from gpu_check import victre_grid  # noqa: E402

from victwin._backend import get_cupy  # noqa: E402
from victwin.geometry import Grid, tomosynthesis_arc  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--launch", nargs=3, default=None, metavar=("THREADS", "REGISTERS", "FORM"),
                    help="threads per block, register cap (0: none), traversal form "
                         "(0 plain, 1 prefetching, zrun)")
    args = ap.parse_args(argv)
    from victwin.raytrace import _cuda, project_labels

    if args.launch:
        t, r = int(args.launch[0]), int(args.launch[1])
        p = args.launch[2]
        _cuda.LABELS_LAUNCH = (t, r or None, p if p == "zrun" else bool(int(p)))
    cp = get_cupy()
    grid = victre_grid(False)
    phantom = slab_phantom(grid, cp, grid.shape[0] * grid.spacing[0])
    views = tomosynthesis_arc(25, 50.0, 50.0)
    centre = views[len(views) // 2]
    warm = phantom.labels[:2, :2, :2].copy()
    project_labels(warm, Grid(shape=warm.shape, spacing=grid.spacing, origin=grid.origin),
                   [centre], 4, backend="cuda", check_labels=False)
    project_labels(phantom.labels, grid, [centre], 4, backend="cuda", check_labels=False)
    synchronize()
    print("launch", _cuda.LABELS_LAUNCH)
    return 0


if __name__ == "__main__":
    sys.exit(main())
