"""Memory-bounded forward and back projection over z-slabs, and the input conversion."""

from __future__ import annotations

import math

import numpy as np

from victwin._backend import get_cupy
from victwin.geometry import Grid
from victwin.raytrace import backproject, project_volume

__all__ = ["array_module", "SlabOperator", "to_line_integrals", "INPUTS"]

#: Kinds of projection data :func:`to_line_integrals` accepts.
INPUTS = ("line_integrals", "transmission", "intensity")

#: Default bound on the voxels of one z-slab (the CPU backprojection holds 5 float32 copies).
SLAB_VOXELS = 2**24


def is_cupy(a) -> bool:
    return type(a).__module__.split(".")[0] == "cupy"


def array_module(a):
    """CuPy for CuPy arrays, NumPy otherwise."""
    if is_cupy(a):
        cp = get_cupy()
        if cp is not None:
            return cp
    return np


class SlabOperator:
    """``A`` and ``A.T`` of a grid and views, applied one z-slab at a time.

    Each call of the ray-tracing core sees only a slab of at most ``slab_voxels`` voxels, so
    the CPU backprojection's private accumulators stay bounded for a full-field breast.
    """

    def __init__(self, grid: Grid, views, *, backend="auto", slab_voxels: int | None = None):
        self.grid = grid
        self.views = tuple(views)
        self.backend = backend
        per_slice = grid.shape[1] * grid.shape[2]
        slab_voxels = SLAB_VOXELS if slab_voxels is None else int(slab_voxels)
        if slab_voxels < 1:
            raise ValueError(f"slab_voxels must be >= 1, got {slab_voxels}")
        step = max(1, slab_voxels // per_slice)
        nz = grid.shape[0]
        self.slabs = [(z0, min(z0 + step, nz)) for z0 in range(0, nz, step)]
        self._grids = [grid.slab(z0, z1) for z0, z1 in self.slabs]

    def forward(self, x, views=None):
        """Line integrals ``A x`` (float32 ``[n_views, nv, nu]``) for ``views`` (default all)."""
        views = self.views if views is None else views
        total = None
        for (z0, z1), g in zip(self.slabs, self._grids):
            part = project_volume(x[z0:z1], g, views, backend=self.backend)
            total = part if total is None else total + part
        return total

    def forward_ones(self, xp, views=None):
        """Ray lengths through the grid, ``A 1`` (mm)."""
        views = self.views if views is None else views
        total = None
        for (z0, z1), g in zip(self.slabs, self._grids):
            ones = xp.ones(g.shape, np.float32)
            part = project_volume(ones, g, views, backend=self.backend)
            total = part if total is None else total + part
        return total

    def backward_slab(self, k: int, y, views=None):
        """``A.T y`` on slab ``k`` only (float32 ``[z1 - z0, ny, nx]``)."""
        views = self.views if views is None else views
        return backproject(y, self._grids[k], views, backend=self.backend)


def _as_float(a, name, xp):
    if not hasattr(a, "dtype") or not hasattr(a, "shape"):
        raise TypeError(f"{name} must be a NumPy or CuPy array, got {type(a).__name__}")
    if a.dtype.kind not in "fiu" or a.dtype == np.bool_:
        raise TypeError(f"{name} must have a real numeric dtype, got {a.dtype}")
    return xp.asarray(a, dtype=np.float32)


def to_line_integrals(projections, *, input: str, flat=None, xp=np):
    """Convert projection data to line integrals ``-ln(I / I0)`` (float32).

    ``input="line_integrals"``: used as given. ``"transmission"``: ``I / I0`` already divided
    by the flat field. ``"intensity"``: raw signal divided by ``flat`` (scalar, ``[nv, nu]`` or
    ``[n_views, nv, nu]``; the unattenuated signal in the same units). Transmissions are
    clipped to ``[1e-6, inf)`` before the logarithm (at most 13.8 per ray), so dead or fully
    absorbing pixels stay finite.
    """
    p = _as_float(projections, "projections", xp)
    if not bool(xp.all(xp.isfinite(p))):
        raise ValueError("projections contain non-finite values (NaN or inf)")
    if input == "line_integrals":
        if flat is not None:
            raise ValueError("flat is only used with input='intensity'; line integrals need none")
        return p
    if input == "intensity":
        if flat is None:
            raise ValueError("input='intensity' needs flat (the unattenuated signal per pixel)")
        if isinstance(flat, (int, float)) and not isinstance(flat, bool):
            flat = np.float32(flat)
        f = _as_float(flat, "flat", xp)
        if f.ndim not in (0, 2, 3) or (f.ndim and f.shape != p.shape[-f.ndim:]):
            raise ValueError(f"flat must be a scalar, [nv, nu] or [n_views, nv, nu] matching the "
                             f"projections {tuple(p.shape)}, got shape {tuple(f.shape)}")
        if not bool(xp.all(f > 0)) or not bool(xp.all(xp.isfinite(f))):
            raise ValueError("flat must be finite and > 0 everywhere")
        t = p / f
    elif input == "transmission":
        if flat is not None:
            raise ValueError("flat is only used with input='intensity'; transmissions need none")
        t = p
    else:
        raise ValueError(f"input must be one of {', '.join(map(repr, INPUTS))}, got {input!r}")
    if bool(xp.any(t < 0)):
        raise ValueError(f"input={input!r} projections must be >= 0 (signals), got a minimum of "
                         f"{float(t.min()):.4g}")
    return (-xp.log(xp.maximum(t, np.float32(1e-6)))).astype(np.float32)


def ray_weights(lengths, grid: Grid, xp):
    """``1 / (A 1)`` for rays that cross at least a tenth of the grid's thickness, else 0."""
    min_len = 0.1 * grid.shape[0] * grid.spacing[0]
    valid = lengths > min_len
    return xp.where(valid, 1.0 / xp.where(valid, lengths, 1.0), 0.0).astype(np.float32), \
        valid.astype(np.float32)


def safe_divide(num, den, xp):
    """``num / den`` where ``den > 0``, 0 elsewhere (voxels no valid ray crosses)."""
    ok = den > 0
    return xp.where(ok, num / xp.where(ok, den, 1.0), 0.0).astype(np.float32)


def n_batches(total: int, per: int) -> int:
    return int(math.ceil(total / max(per, 1)))
