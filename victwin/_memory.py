"""How much memory a request may use, and a one-line refusal when it needs more.

The limit is the machine's physical memory (or the cgroup's ``memory.max`` when smaller), or
``VICTWIN_MEMORY_LIMIT_GB`` when set. Requests are refused *before* anything is allocated, so
an absurd voxel size costs a one-line error instead of a swap storm or a traceback.
"""

from __future__ import annotations

import os

__all__ = ["memory_limit_bytes", "check_memory", "fmt_bytes", "LIMIT_ENV",
           "PHANTOM_BYTES_PER_VOXEL", "CHEST_BYTES_PER_VOXEL", "phantom_bytes_per_voxel",
           "phantom_peak_bytes"]

#: Environment variable that overrides the memory limit (GiB, a number > 0).
LIMIT_ENV = "VICTWIN_MEMORY_LIMIT_GB"

#: Peak bytes per voxel while a breast phantom is generated: 14.6 B/voxel measured with
#: tracemalloc for make("breast/dense", voxel_mm=0.5) (2.5 M voxels) on 2026-12-01
#: (fixed overheads make it 69 B/voxel at 1 mm); rounded up to 16.
PHANTOM_BYTES_PER_VOXEL = 16

#: Peak resident memory of a Python process that has built a breast phantom, apart from the
#: phantom: 0.21-0.23 GB measured (``resource.getrusage`` ru_maxrss) for breast/dense seed 1
#: at 1 and 0.5 mm on 2026-12-02 (0.32 M and 2.5 M voxels), rounded up.
PHANTOM_BASE_BYTES = 0.25 * 2**30


#: Peak bytes per voxel while a chest twin is generated (it is filled in slabs of planes, so
#: its working arrays do not grow with the volume as a breast's do): 2.24 B/voxel, the slope of
#: the whole process's peak (ru_maxrss, fresh process each) between chest/adult seed 1 at 1 mm
#: (73.2 M voxels, 0.34 GiB) and 0.5 mm (582.5 M voxels, 1.40 GiB), measured 2026-12-05 (fifth
#: session, the shallow upper cage merged; 2026-12-03: 1.62 B/voxel, 89.9 M and 717.8 M voxels,
#: 0.32 and 1.27 GiB) with ``python benchmarks/phantom_memory.py``
#: (benchmarks/results/phantom_memory.json); rounded up by 25 % as the breast figure. With
#: :data:`PHANTOM_BASE_BYTES` it holds chest/female at 0.5 mm (571.0 M voxels, 1.10 GiB
#: measured) too. Neither figure counts the first run's numba compilation (a cold cache: 0.89
#: GiB peak for a 1 mm chest, measured in the test suite).
CHEST_BYTES_PER_VOXEL = 2.8


def phantom_bytes_per_voxel(voxel_mm: float) -> float:
    """Peak bytes per voxel while a breast phantom is generated, at ``voxel_mm`` (mm).

    Measured: 14.6 B/voxel at 0.5 mm (tracemalloc, :data:`PHANTOM_BYTES_PER_VOXEL`, where
    fixed overheads weigh) and 1.15 B/voxel at 0.1 mm, 1.02 at 0.05 mm (tracemalloc peak over
    the 0.1 mm and 0.05 mm dense phantoms, benchmarks/results/phantom.json); log-linear
    between 0.1 and 0.5 mm, the measured ends outside, each rounded up by 25 %. The whole
    process's peak (ru_maxrss, breast/dense seed 1, 2026-12-02) is 0.28 GB at 0.2 mm (38.6 M
    voxels) and 0.55 GB at 0.1 mm (309 M voxels): :func:`phantom_peak_bytes` with this
    figure holds both.
    """
    import math

    v = float(voxel_mm)
    lo, hi = 1.25 * 1.15, float(PHANTOM_BYTES_PER_VOXEL)
    if v <= 0.1:
        return lo
    if v >= 0.5:
        return hi
    t = math.log(v / 0.1) / math.log(5.0)
    return math.exp((1 - t) * math.log(lo) + t * math.log(hi))


def phantom_peak_bytes(voxels: float, voxel_mm: float, kind: str | None = None) -> float:
    """Peak memory (bytes) of building a phantom of ``voxels`` voxels at ``voxel_mm`` (mm):
    the process's base plus, per voxel, :data:`CHEST_BYTES_PER_VOXEL` for a chest twin
    (``kind == "chest"``, the phantom's ``meta["kind"]``) or :func:`phantom_bytes_per_voxel`
    (measured on breasts) for any other kind."""
    per_voxel = (CHEST_BYTES_PER_VOXEL if kind == "chest"
                 else phantom_bytes_per_voxel(voxel_mm))
    return PHANTOM_BASE_BYTES + float(voxels) * per_voxel


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
