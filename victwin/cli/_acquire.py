"""Placeholder sub-commands, replaced by issue 4 (physics and acquisition)."""

from __future__ import annotations

import argparse


def _not_yet(args: argparse.Namespace) -> int:
    import sys

    print(f"victwin: error: victwin {args.command} is not built yet (issue 4 (physics and acquisition))", file=sys.stderr)
    return 2


def register(sub) -> None:
    p = sub.add_parser("acquire", help="simulate an imaging system's acquisition of a phantom (not built yet)")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=_not_yet)
