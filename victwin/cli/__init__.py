"""The ``victwin`` command line.

The CLI is thin: each sub-command module parses its arguments, calls the library and prints.
Every module in :data:`_COMMAND_MODULES` exposes ``register(subparsers)``, which adds its
sub-commands, each with ``set_defaults(func=...)``; ``func(args)`` returns an exit status.

Errors the user can fix (bad spec, bad geometry, unknown material, corrupt file, a backend or
cluster that is not there) are raised by the library as ``ValueError``, ``TypeError``,
``KeyError``, ``FileNotFoundError``, ``OSError`` or ``RuntimeError``; :func:`main` prints them
as one line, ``victwin: error: ...``, and exits with 2. Out of memory, a damaged SQLite
database are printed the same way; anything else (a bug) gives one ``internal error`` line
and exit status 3 (``VICTWIN_DEBUG=1`` re-raises it); SIGTERM stops like Ctrl-C (143).
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sqlite3
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
               IsADirectoryError, PermissionError, OSError, RuntimeError, MemoryError,
               sqlite3.Error)


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


class Terminated(BaseException):
    """Raised in the main thread when the process receives SIGTERM (like KeyboardInterrupt)."""


def _on_sigterm(signum, frame):
    raise Terminated()


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, KeyError) and exc.args:
        text = str(exc.args[0])
    elif isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        # "[Errno 2] No such file or directory: 'x'" -> "x: No such file or directory"
        text = f"{exc.filename}: {exc.strerror}"
        if exc.filename2 is not None:
            text += f" (and {exc.filename2})"
    elif isinstance(exc, MemoryError):
        text = str(exc) or "out of memory"
        if not str(exc):
            text += ("; use a smaller request (coarser voxels, fewer cases or workers) or a "
                     "larger machine")
    elif isinstance(exc, sqlite3.Error):
        text = f"database error: {exc} (the run's trial.sqlite is damaged, read-only, or its " \
               f"disk is full)"
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.split())


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status.

    0 success, 1 some cases failed (or ``status`` found damage), 2 user error, 3 internal
    error (one line; ``VICTWIN_DEBUG=1`` shows the traceback), 130 Ctrl-C
    (SIGINT), 143 SIGTERM. Both signals stop between steps: nothing committed is lost, worker
    processes are stopped, and one line says so.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    from victwin._firstrun import announce_compiles

    announce_compiles()  # one line when the first run compiles the kernels
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread: leave SIGTERM alone
        previous = None
    try:
        status = args.func(args)
    except KeyboardInterrupt:
        print("victwin: interrupted (nothing committed is lost; run the same command to "
              "resume)", file=sys.stderr)
        return 130
    except Terminated:
        print("victwin: terminated by SIGTERM (nothing committed is lost; run the same "
              "command to resume)", file=sys.stderr)
        return 143
    except USER_ERRORS as exc:
        print(f"victwin: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug: still one line, the traceback on request
        if os.environ.get("VICTWIN_DEBUG"):
            raise
        print(f"victwin: internal error: {type(exc).__name__}: {_one_line(exc)} (set "
              f"VICTWIN_DEBUG=1 for the traceback)", file=sys.stderr)
        return 3
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return int(status or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
