"""Windows of a phantom grid: the sub-grid of the voxels that meet a world box.

A window is ``window_mm = ((x0, y0, z0), (x1, y1, z1))`` in world mm. Its phantom holds every
voxel of the full grid whose cell meets the box, clipped to the full grid: same spacing, origin
on the same lattice, labels equal to the crop of the full phantom's. ``meta["window"]`` records
``index`` (the full-grid index ``[z, y, x]`` of its voxel ``[0, 0, 0]``) and ``full_shape``.
"""

from __future__ import annotations

import numpy as np

from ..geometry import Grid

__all__ = ["check_window", "window_index", "window_grid", "window_meta", "crop_to_window"]


def check_window(window_mm) -> tuple[np.ndarray, np.ndarray]:
    try:
        lo, hi = (np.asarray(c, dtype=float) for c in window_mm)
        ok = lo.shape == (3,) and hi.shape == (3,)
    except (TypeError, ValueError):
        ok = False
    if not ok or not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))) \
            or np.any(hi <= lo):
        raise ValueError(f"window_mm must be ((x0, y0, z0), (x1, y1, z1)) in mm, finite, with "
                         f"x0 < x1, y0 < y1, z0 < z1; got {window_mm!r}")
    return lo, hi


def window_index(grid: Grid, window_mm) -> tuple[np.ndarray, np.ndarray]:
    """Full-grid index bounds ``(lo_zyx, hi_zyx)`` (half-open) of the voxels meeting a box.

    A voxel is in the window when its cell overlaps the box by more than a rounding error;
    the bounds are clipped to the grid.

    Raises
    ------
    ValueError
        One line: a malformed box, or a box that misses the grid.
    """
    lo, hi = check_window(window_mm)
    lower, sp = grid.lower_mm, grid.spacing_xyz
    n = grid.shape_xyz
    i0 = np.floor((lo - lower) / sp + 1e-9).astype(np.int64)
    i1 = np.ceil((hi - lower) / sp - 1e-9).astype(np.int64)
    i0 = np.clip(i0, 0, n)
    i1 = np.clip(i1, 0, n)
    if np.any(i1 <= i0):
        up = grid.upper_mm
        ext = ", ".join(f"{a} {lower[k]:.2f}..{up[k]:.2f}" for k, a in enumerate("xyz"))
        box = tuple(tuple(round(float(v), 3) for v in c) for c in (lo, hi))
        raise ValueError(f"window_mm {box} does not meet the phantom grid ({ext} mm)")
    return i0[::-1].copy(), i1[::-1].copy()


def window_grid(grid: Grid, lo_zyx, hi_zyx) -> Grid:
    """The sub-grid of voxels ``lo_zyx:hi_zyx`` of ``grid``."""
    lo = np.asarray(lo_zyx, np.int64)
    hi = np.asarray(hi_zyx, np.int64)
    origin = np.asarray(grid.origin) + lo[::-1] * grid.spacing_xyz
    return Grid(shape=tuple(int(v) for v in hi - lo), spacing=grid.spacing,
                origin=tuple(float(v) for v in origin))


def window_meta(meta: dict, lo_zyx, full_shape) -> dict:
    """``meta`` with ``meta["window"] = {"index": [z, y, x], "full_shape": [nz, ny, nx]}``."""
    out = dict(meta)
    out["window"] = {"index": [int(v) for v in lo_zyx],
                     "full_shape": [int(v) for v in full_shape]}
    return out


def crop_to_window(phantom, window_mm):
    """The window of an already built phantom: the voxels meeting ``window_mm``.

    Parameters
    ----------
    phantom : Phantom
        A whole phantom (not itself a window).
    window_mm : ((x0, y0, z0), (x1, y1, z1)), mm
        World box; every voxel whose cell meets it is kept, clipped to the grid.

    Returns
    -------
    Phantom
        Labels cropped (a copy), grid on the same lattice, lesions and materials kept,
        ``meta["window"]`` placing it in the whole grid (as ``make(..., window_mm=)``), so
        ``insert_lesion`` checks a lesion against the whole grid's edges there.

    Raises
    ------
    ValueError
        One line: a malformed box, or a box that misses the grid.
    """
    lo, hi = window_index(phantom.grid, window_mm)
    labels = np.ascontiguousarray(phantom.labels[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]])
    grid = window_grid(phantom.grid, lo, hi)
    return phantom.replace(labels=labels, grid=grid,
                           meta=window_meta(phantom.meta, lo, phantom.grid.shape))
