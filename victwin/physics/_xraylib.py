"""xraylib, or its answers for the shipped systems when xraylib is not installed.

Every xraylib call of victwin goes through this module (``from . import _xraylib as
xraylib``). Where xraylib imports, each attribute is xraylib's own, so results are xraylib's
bit for bit. Where it does not (a GPU node with no package registry), each call is answered
from ``victwin/data/physics/xraylib_cache.json.gz``: the calls, with their exact arguments and
results (or the ValueError they raised), that importing the materials and simulating every
shipped system and technique make, recorded from xraylib by
``python -m victwin.physics._make_cache`` and checked against xraylib by
``tests/physics/test_cached_tables.py``. A call outside it raises
:class:`XraylibMissing` (an ImportError, so no ``except ValueError`` mistakes it for a missing
edge) with a one-line message.

``VICTWIN_XRAYLIB=cache`` uses the recorded table even where xraylib is installed (tests).
"""

from __future__ import annotations

import functools
import gzip
import json
import os
from importlib import resources

import numpy as np

__all__ = ["XraylibMissing", "available", "call_key", "CACHE_RESOURCE"]

#: Package resource of the recorded calls (``victwin`` package data).
CACHE_RESOURCE = ("victwin", "data/physics/xraylib_cache.json.gz")


class XraylibMissing(ImportError):
    """xraylib is not installed and the recorded table lacks the call asked for."""


def _import_real():
    if os.environ.get("VICTWIN_XRAYLIB", "") == "cache":
        return None
    try:
        import xraylib
    except ImportError:
        return None
    return xraylib


_REAL = _import_real()

#: Set by the cache generator: a dict that every call made through this module is added to.
RECORDER: dict | None = None


def available() -> bool:
    """True where the real xraylib is used."""
    return _REAL is not None


def call_key(args) -> str:
    """The table's key of one call's arguments (exact: floats by ``repr``)."""
    parts = []
    for a in args:
        if isinstance(a, (bool, np.bool_)):
            raise TypeError("xraylib takes no booleans")
        if isinstance(a, (int, np.integer)):
            parts.append(f"i{int(a)}")
        elif isinstance(a, (float, np.floating)):
            parts.append(f"f{float(a)!r}")
        elif isinstance(a, str):
            parts.append(f"s{a}")
        else:
            raise TypeError(f"unexpected xraylib argument {a!r}")
    return "|".join(parts)


@functools.lru_cache(maxsize=1)
def _table() -> dict:
    path = resources.files(CACHE_RESOURCE[0]).joinpath(CACHE_RESOURCE[1])
    with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
        return json.load(fh)


def _recorded(name: str):
    def call(*args):
        key = call_key(args)
        entry = _table()["calls"].get(name, {}).get(key, _MISSING)
        if entry is _MISSING:
            raise XraylibMissing(
                f"xraylib is not installed and its recorded table has no {name}"
                f"({', '.join(map(repr, args))}): install xraylib (pip install xraylib)")
        if isinstance(entry, dict) and "__error__" in entry:
            raise ValueError(entry["__error__"])
        return entry
    call.__name__ = name
    return call


_MISSING = object()


def _recording(name: str, fn):
    def call(*args):
        key = call_key(args)
        book = RECORDER["calls"].setdefault(name, {})
        try:
            value = fn(*args)
        except ValueError as exc:
            book[key] = {"__error__": str(exc)}
            raise
        book[key] = value
        return value
    call.__name__ = name
    return call


def __getattr__(name: str):
    if name.startswith("__"):
        raise AttributeError(name)
    if _REAL is not None:
        value = getattr(_REAL, name)
        if RECORDER is not None:
            if callable(value):
                return _recording(name, value)
            RECORDER["constants"][name] = value
        return value
    constants = _table()["constants"]
    if name in constants:
        return constants[name]
    return _recorded(name)
