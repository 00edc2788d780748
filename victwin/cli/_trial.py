"""Placeholder sub-commands, replaced by issue 8 (trial engine)."""

from __future__ import annotations

import argparse


def _not_yet(args: argparse.Namespace) -> int:
    import sys

    print(f"victwin: error: victwin {args.command} is not built yet (issue 8 (trial engine))", file=sys.stderr)
    return 2


def register(sub) -> None:
    p = sub.add_parser("plan", help="print the cases, voxels, storage and estimated time of a trial spec (not built yet)")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=_not_yet)
    p = sub.add_parser("run", help="run a trial spec into an output directory (not built yet)")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=_not_yet)
    p = sub.add_parser("status", help="show the state of a trial run directory (not built yet)")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=_not_yet)
    p = sub.add_parser("report", help="write the HTML report of a trial run directory (not built yet)")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=_not_yet)
