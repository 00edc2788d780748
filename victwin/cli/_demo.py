"""``victwin demo``: for now, one projection of an analytic phantom (the trial engine makes
this a real trial)."""

from __future__ import annotations

import argparse


def _run(args: argparse.Namespace) -> int:
    from victwin._demo import demo_projection

    print("victwin demo: rendering one DM projection of an analytic breast-like phantom "
          "(the full demo trial arrives with the trial engine)")
    result = demo_projection(args.out, backend=args.backend)
    print(f"phantom {result['phantom_voxels']} voxels in {result['phantom_s']:.2f} s; "
          f"ray tracing {result['detector']} pixels in {result['raytrace_s']:.2f} s")
    print(f"wrote {result['png']}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("demo", help="run the demo (currently: one projection of an analytic "
                                    "phantom)")
    p.add_argument("--out", default="victwin-demo", help="output directory (default: %(default)s)")
    p.add_argument("--backend", default="auto", choices=["auto", "cpu", "cuda"])
    p.set_defaults(func=_run)
