"""The one conversion of victwin values to plain JSON types (shared by every package)."""

from __future__ import annotations

import math
from pathlib import PurePath

import numpy as np

__all__ = ["jsonable", "json_default"]


def jsonable(x, *, nonfinite_as_none: bool = False):
    """``x`` with dicts, tuples, NumPy arrays and scalars and paths turned into JSON types.

    Dict keys become ``str``; tuples and arrays become lists; NumPy scalars become Python
    scalars; paths become strings; anything else is returned unchanged (``json.dumps`` then
    names it). With ``nonfinite_as_none`` NaN and infinities become ``None`` (JSON's ``null``),
    as the statistics' records write them; otherwise they are kept (``json`` writes ``NaN``).
    """
    if isinstance(x, dict):
        return {str(k): jsonable(v, nonfinite_as_none=nonfinite_as_none) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v, nonfinite_as_none=nonfinite_as_none) for v in x]
    if isinstance(x, np.ndarray):
        return jsonable(x.tolist(), nonfinite_as_none=nonfinite_as_none)
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, PurePath):
        return str(x)
    if nonfinite_as_none and isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def json_default(obj):
    """``default=`` hook for :func:`json.dump`: NumPy arrays and scalars and paths."""
    if isinstance(obj, (np.generic, np.ndarray, PurePath)):
        return jsonable(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
