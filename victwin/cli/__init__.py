"""The ``victwin`` command line.

The CLI is thin: each sub-command module parses its arguments, calls the library and prints.
Every module in :data:`_COMMAND_MODULES` exposes ``register(subparsers)``, which adds its
sub-commands, each with ``set_defaults(func=...)``; ``func(args)`` returns an exit status.

Errors the user can fix (bad spec, bad geometry, unknown material, corrupt file, a backend or
cluster that is not there) are raised by the library as ``ValueError``, ``TypeError``,
``KeyError``, ``FileNotFoundError``, ``OSError`` or ``RuntimeError``; :func:`main` prints them as one line, ``victwin: error: ...``, and exits with 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

__all__ = ["main", "build_parser"]

# One module per command family; each owns its own file so that work on one family never
# touches another's.
_COMMAND_MODULES = (
    "victwin.cli._demo",
    "victwin.cli._trial",
    "victwin.cli._phantom",
    "victwin.cli._acquire",
    "victwin.cli._recon",
    "victwin.cli._stats",
    "victwin.cli._dicom",
)

#: Exceptions that mean "the input is wrong", printed as one line rather than a traceback.
USER_ERRORS = (ValueError, TypeError, KeyError, FileNotFoundError, NotADirectoryError,
               IsADirectoryError, PermissionError, OSError, RuntimeError)


def build_parser() -> argparse.ArgumentParser:
    """Build the ``victwin`` argument parser with every registered sub-command."""
    from victwin import __version__

    parser = argparse.ArgumentParser(
        prog="victwin",
        description="In-silico imaging trials: phantoms, X-ray acquisition, reconstruction, "
                    "model observers and MRMC statistics.",
    )
    parser.add_argument("--version", action="version", version=f"victwin {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, KeyError) and exc.args:
        text = str(exc.args[0])
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.split())


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 success, 2 user error, 130 Ctrl-C)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        status = args.func(args)
    except KeyboardInterrupt:
        print("victwin: interrupted", file=sys.stderr)
        return 130
    except USER_ERRORS as exc:
        print(f"victwin: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    return int(status or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
