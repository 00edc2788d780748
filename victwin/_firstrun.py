"""Say so when numba compiles victwin's kernels (the first run after an install or an edit).

numba compiles each ``@njit(cache=True)`` kernel the first time it is called with new argument
types and caches the machine code on disk; later runs load it in milliseconds. The first run
of a fresh install therefore spends one to three minutes compiling before any progress bar
moves. :func:`announce_compiles` installs a numba event listener that prints one line to
stderr when the first of victwin's kernels starts compiling in this process, so a user sees
why the first run is slow. :func:`kernels_cached` says whether a dispatcher's cache exists.
"""

from __future__ import annotations

import os
import sys
import threading

__all__ = ["announce_compiles", "kernels_cached", "MESSAGE"]

MESSAGE = ("victwin: compiling kernels (first run only; about 1-3 min on 2 cores, cached for "
           "later runs)")

_lock = threading.Lock()
#: ``stream``: where the line goes; None means stderr, and then only when it is a terminal
#: (a person is waiting; logs and captured output of scripts and tests stay as they were).
_state = {"installed": False, "said": False, "stream": None}


def announce_compiles(stream=None) -> None:
    """Print :data:`MESSAGE` once, when numba first compiles a victwin function here.

    Idempotent; nothing is printed when every kernel loads from numba's cache. Without
    ``stream`` the line goes to stderr, and only when stderr is a terminal.
    """
    if stream is not None:
        _state["stream"] = stream
    from numba.core import event

    with _lock:
        if _state["installed"]:
            return
        _state["installed"] = True

    class _Notice(event.Listener):
        def on_start(self, ev):
            disp = (ev.data or {}).get("dispatcher")
            module = getattr(getattr(disp, "py_func", None), "__module__", "") or ""
            if not module.startswith("victwin"):
                return
            out = _state["stream"]
            if out is None:
                out = sys.stderr
                if not (hasattr(out, "isatty") and out.isatty()):
                    return
            with _lock:
                if _state["said"]:
                    return
                _state["said"] = True
            print(MESSAGE, file=out, flush=True)

        def on_end(self, ev):
            pass

    event.register("numba:compile", _Notice())


def kernels_cached(*dispatchers) -> bool:
    """True when numba's on-disk cache index of every dispatcher exists (False if unknown)."""
    try:
        return all(os.path.exists(d._cache._cache_file._index_path) for d in dispatchers)
    except AttributeError:  # a numba without this layout: assume a compile is coming
        return False
