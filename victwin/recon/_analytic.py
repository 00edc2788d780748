"""Analytic DBT reconstruction: normalised simple backprojection (SBP) and filtered (FBP).

Both backproject ``q = p / (A 1)``, each ray's line integral divided by its length through
the grid (its mean attenuation over the grid), and normalise each voxel by ``A.T m``, the
summed path lengths of the valid rays ``m`` crossing it:

    x = A.T(m * H q) / A.T(m)

with ``H`` the identity (SBP; shift-and-add generalised to any geometry) or the FBP filter of
``_filters`` along the scan direction. Every voxel is thus a weighted average over the views
that see it, so the voxel-to-ray footprints of the exact (Siddon) backprojector cancel and
voxels near the edge of the field of view, seen by fewer views, keep their scale.

What is preserved: a uniform slab that fills the grid's thickness reconstructs to its
attenuation coefficient (1/mm) for SBP and, with the default floor ``dc = 1``, FBP; more
generally the mean over the grid's depth of each column follows the mean attenuation along the
rays for structures wide compared with ``T tan(alpha)``. Limited angle loses the depth
distribution of those wide structures, not their mean.
"""

from __future__ import annotations

import numpy as np

from ._filters import WINDOWS, apply_filter, fbp_filter
from ._ops import SlabOperator, ray_weights, safe_divide
from ._progress import progress_bar
from ._scan import scan_info

__all__ = ["sbp", "fbp", "fbp_response"]


def _normalised_backprojection(q, valid, op: SlabOperator, xp, progress: bool, label: str):
    out = xp.empty(op.grid.shape, np.float32)
    with progress_bar(len(op.slabs), label, progress) as bar:
        for k, (z0, z1) in enumerate(op.slabs):
            num = op.backward_slab(k, q)
            den = op.backward_slab(k, valid)
            out[z0:z1] = safe_divide(num, den, xp)
            bar.update(1)
    return out


def sbp(p, op: SlabOperator, xp, *, progress: bool = True):
    """Normalised simple backprojection of line integrals ``p``."""
    weights, valid = ray_weights(op.forward_ones(xp), op.grid, xp)
    return _normalised_backprojection(p * weights, valid, op, xp, progress, "sbp")


def fbp_response(views, grid, *, window="hann", cutoff=1.0, order=4, dc=1.0,
                 slice_thickness_mm="auto"):
    """The FBP filter for ``views`` and ``grid``: ``(gain, scan_axis, info)``.

    See :func:`victwin.recon._filters.fbp_filter`; ``slice_thickness_mm="auto"`` uses the
    grid's slice spacing.
    """
    window = str(window).lower()
    if window not in WINDOWS:
        raise ValueError(f"window must be one of {', '.join(map(repr, WINDOWS))}, got {window!r}")
    cutoff = float(cutoff)
    if not np.isfinite(cutoff) or cutoff <= 0:
        raise ValueError(f"cutoff must be a fraction of Nyquist > 0, got {cutoff!r}")
    if isinstance(order, bool) or int(order) != order or order < 1:
        raise ValueError(f"order must be an integer >= 1, got {order!r}")
    dc = float(dc)
    if not np.isfinite(dc) or dc < 0:
        raise ValueError(f"dc must be a finite number >= 0, got {dc!r}")
    if slice_thickness_mm == "auto":
        slice_thickness_mm = grid.spacing[0]
    elif slice_thickness_mm is not None:
        slice_thickness_mm = float(slice_thickness_mm)
        if not np.isfinite(slice_thickness_mm) or slice_thickness_mm <= 0:
            raise ValueError(f"slice_thickness_mm must be > 0, 'auto' or None, got "
                             f"{slice_thickness_mm!r}")
    info = scan_info(views, grid.center_mm)
    if info.n_views < 2 or info.angular_range_deg <= 0:
        raise ValueError(f"fbp needs at least 2 views with distinct source angles, got "
                         f"{info.n_views} view(s) spanning {info.angular_range_deg:g} degrees")
    panel = views[0].panel
    n = panel.shape[0] if info.scan_axis == -2 else panel.shape[1]
    # Magnification at the grid's mid-height (distance along the panel normal).
    centre = np.asarray(grid.center_mm) - np.asarray(panel.center)
    h = abs(float(centre @ panel.normal))
    magnification = info.source_height_mm / max(info.source_height_mm - h, 1e-9)
    thickness = grid.shape[0] * grid.spacing[0]
    gain = fbp_filter(n, info.pitch_mm, angular_range_deg=info.angular_range_deg,
                      thickness_mm=thickness, magnification=magnification, window=window,
                      cutoff=cutoff, order=int(order), dc=dc,
                      slice_thickness_mm=slice_thickness_mm)
    return gain, info.scan_axis, info


def fbp(p, op: SlabOperator, xp, *, window="hann", cutoff=1.0, order=4, dc=1.0,
        slice_thickness_mm="auto", progress: bool = True):
    """Filtered backprojection of line integrals ``p`` (see the module docstring)."""
    gain, axis, _ = fbp_response(op.views, op.grid, window=window, cutoff=cutoff, order=order,
                                 dc=dc, slice_thickness_mm=slice_thickness_mm)
    weights, valid = ray_weights(op.forward_ones(xp), op.grid, xp)
    q = p * weights
    # One view at a time keeps the padded complex spectrum small.
    for b in range(q.shape[0]):
        q[b] = apply_filter(q[b], gain, axis, xp) * valid[b]
    return _normalised_backprojection(q, valid, op, xp, progress, "fbp")
