"""Placeholder sub-commands, replaced by issue 3 (foundation)."""

from __future__ import annotations

import argparse


def _not_yet(args: argparse.Namespace) -> int:
    import sys

    print(f"victwin: error: victwin {args.command} is not built yet (issue 3 (foundation))", file=sys.stderr)
    return 2


def register(sub) -> None:
    p = sub.add_parser("demo", help="run the demo (not built yet)")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=_not_yet)
