"""How much memory a request may use, and a one-line refusal when it needs more.

The limit is the machine's physical memory (or the cgroup's ``memory.max`` when smaller), or
``VICTWIN_MEMORY_LIMIT_GB`` when set. Requests are refused *before* anything is allocated, so
an absurd voxel size costs a one-line error instead of a swap storm or a traceback.
"""

from __future__ import annotations

import os

__all__ = ["memory_limit_bytes", "check_memory", "fmt_bytes", "LIMIT_ENV",
           "PHANTOM_BYTES_PER_VOXEL"]

#: Environment variable that overrides the memory limit (GiB, a number > 0).
LIMIT_ENV = "VICTWIN_MEMORY_LIMIT_GB"

#: Peak bytes per voxel while a breast phantom is generated: 14.6 B/voxel measured with
#: tracemalloc for make("breast/dense", voxel_mm=0.5) (2.5 M voxels) on 2026-12-01
#: (fixed overheads make it 69 B/voxel at 1 mm); rounded up to 16.
PHANTOM_BYTES_PER_VOXEL = 16


def fmt_bytes(n: float) -> str:
    """Bytes as a short human-readable string (binary units)."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} PiB"  # pragma: no cover


def memory_limit_bytes() -> tuple[float, str]:
    """The memory a request may use, in bytes, and where that number comes from."""
    value = os.environ.get(LIMIT_ENV)
    if value:
        try:
            gb = float(value)
        except ValueError:
            gb = float("nan")
        if not gb > 0 or gb == float("inf"):
            raise ValueError(f"{LIMIT_ENV} must be a number of GiB > 0, got {value!r}")
        return gb * 2**30, f"{LIMIT_ENV}={value}"
    try:
        total = float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        total = float("inf")
    source = "this machine's memory"
    try:
        with open("/sys/fs/cgroup/memory.max") as fh:
            text = fh.read().strip()
        if text.isdigit() and float(text) < total:
            total, source = float(text), "this container's memory limit"
    except OSError:
        pass
    return total, source


def check_memory(need_bytes: float, what: str, hint: str) -> None:
    """Refuse (``MemoryError`` with one line) a request that needs more than the limit.

    Parameters
    ----------
    need_bytes : float, bytes
        The estimate of the request's peak memory.
    what : str
        What needs it, e.g. ``"a phantom of 1.2e12 voxels"``.
    hint : str
        How to ask for less, e.g. ``"use a coarser --voxel-mm"``.
    """
    limit, source = memory_limit_bytes()
    if need_bytes > limit:
        raise MemoryError(f"{what} needs about {fmt_bytes(need_bytes)} of memory, more than "
                          f"the limit of {fmt_bytes(limit)} ({source}); {hint}, or set "
                          f"{LIMIT_ENV} to change the limit")
