"""The argument checks every package shares: positive numbers and seeds.

Each raises ``ValueError`` with one line naming the argument, the rule and the value received
(STYLE.md, "Validation at construction, one-line errors").
"""

from __future__ import annotations

import math
import numbers

__all__ = ["check_positive", "check_seed"]


def check_positive(name: str, value, *, allow_zero: bool = False) -> float:
    """``value`` as a float, checked finite and ``> 0`` (``>= 0`` with ``allow_zero``)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if isinstance(value, bool) or not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise ValueError(f"{name} must be a finite number {'>=' if allow_zero else '>'} 0, "
                         f"got {value!r}")
    return v


def check_seed(seed, name: str = "seed") -> int:
    """``seed`` as an ``int``, checked a non-negative integer (not a bool, not a float)."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {seed!r}")
    return int(seed)
