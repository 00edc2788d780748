"""Analytic DBT reconstruction: normalised simple backprojection (SBP) and filtered (FBP).

Both work in three steps that depend on the scan and the object, never on the grid asked for:

1. each ray's line integral is divided by the ray's length through the *object slab* (the
   compressed breast: heights ``support_mm`` to ``support_mm + thickness_mm`` above the
   detector), ``L = T |d| / |d . n|``, giving the mean attenuation along the ray;
2. FBP filters these along the scan direction (``_filters``: ramp with a low-frequency floor,
   apodisation, slice-thickness filter; the floor and the ramp's scale use the slab thickness
   ``T`` and the magnification at the slab's mid-height);
3. every voxel takes the mean, over the views that see it, of the filtered value at its
   centre's projection (bilinear interpolation; the voxel-driven FDK-type backprojector
   :func:`victwin.raytrace.backproject_interpolated`).

A voxel's value is thus a function of its position alone: any sub-grid (a VOI, a slab, one
slice) gives the crop of the full-grid result, to float rounding. What is preserved: a
uniform slab that fills the object slab reconstructs to its attenuation coefficient (1/mm)
for SBP and, with the default floor ``dc = 1``, FBP; more generally the mean over the slab's
depth of each column follows the mean attenuation along the rays for structures wide compared
with ``T tan(alpha)``. Limited angle loses the depth distribution of those wide structures,
not their mean.
"""

from __future__ import annotations

import math

import numpy as np

from victwin.raytrace import backproject_interpolated

from ._filters import WINDOWS, apply_filter, fbp_filter
from ._progress import progress_bar
from ._scan import scan_info

__all__ = ["sbp", "fbp", "fbp_response", "object_slab", "slab_lengths"]


def object_slab(views, grid, *, thickness_mm: float | None = None,
                support_mm: float = 20.0) -> tuple[float, float]:
    """Heights (mm above the detector plane) of the object slab: ``(low, high)``.

    With ``thickness_mm`` the slab is ``support_mm`` to ``support_mm + thickness_mm``; without
    it, the grid's own extent along the panel normal (the grid is then taken to hold the
    whole object).
    """
    panel = views[0].panel
    n = panel.normal
    src_side = float(np.dot(np.subtract(views[0].source, panel.center), n))
    if src_side < 0:
        n = -n
    if thickness_mm is not None:
        thickness_mm = float(thickness_mm)
        support_mm = float(support_mm)
        if not (math.isfinite(thickness_mm) and thickness_mm > 0):
            raise ValueError(f"thickness_mm must be a finite number > 0, got {thickness_mm!r}")
        if not (math.isfinite(support_mm) and support_mm >= 0):
            raise ValueError(f"support_mm must be a finite number >= 0, got {support_mm!r}")
        return support_mm, support_mm + thickness_mm
    lo, hi = grid.lower_mm, grid.upper_mm
    corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1])
                        for z in (lo[2], hi[2])])
    h = (corners - np.asarray(panel.center)) @ n
    return float(max(h.min(), 0.0)), float(h.max())


def slab_lengths(views, slab: tuple[float, float], xp=np) -> np.ndarray:
    """Length (mm) of every ray (source to pixel centre) through the object slab,
    float32 ``[n_views, nv, nu]``: ``T |d| / |d . n|`` with ``d`` the ray direction."""
    thickness = slab[1] - slab[0]
    out = []
    for view in views:
        d = view.panel.pixel_centers() - np.asarray(view.source)[None, None, :]
        cos = np.abs(d @ view.panel.normal) / np.linalg.norm(d, axis=-1)
        out.append(thickness / cos)
    return xp.asarray(np.asarray(out, dtype=np.float32))


def _reference_point(views, slab):
    """The panel centre raised to the slab's mid-height: where FBP measures angles and
    magnification (a property of the scan and the object, not of the grid)."""
    panel = views[0].panel
    n = panel.normal
    if float(np.dot(np.subtract(views[0].source, panel.center), n)) < 0:
        n = -n
    return np.asarray(panel.center) + n * 0.5 * (slab[0] + slab[1])


def _backproject(q, views, grid, xp, progress: bool, label: str, backend):
    with progress_bar(1, label, progress) as bar:
        out = backproject_interpolated(q, grid, views, average=True, backend=backend)
        bar.update(1)
    return xp.asarray(out)


def sbp(p, views, grid, xp, *, slab, backend="auto", progress: bool = True):
    """Normalised simple backprojection of line integrals ``p`` (see the module docstring)."""
    q = p / slab_lengths(views, slab, xp)
    return _backproject(q, views, grid, xp, progress, "sbp", backend)


def fbp_response(views, grid=None, *, slab=None, window="hann", cutoff=1.0, order=4, dc=1.0,
                 slice_thickness_mm="auto"):
    """The FBP filter for ``views``: ``(gain, scan_axis, info)``.

    See :func:`victwin.recon._filters.fbp_filter`. ``slab`` is the object slab (heights above
    the detector, :func:`object_slab`; default the grid's extent);
    ``slice_thickness_mm="auto"`` uses the grid's slice spacing.
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
    if slab is None:
        if grid is None:
            raise ValueError("give the grid or the object slab")
        slab = object_slab(views, grid)
    if slice_thickness_mm == "auto":
        if grid is None:
            raise ValueError("slice_thickness_mm='auto' needs the grid")
        slice_thickness_mm = grid.spacing[0]
    elif slice_thickness_mm is not None:
        slice_thickness_mm = float(slice_thickness_mm)
        if not np.isfinite(slice_thickness_mm) or slice_thickness_mm <= 0:
            raise ValueError(f"slice_thickness_mm must be > 0, 'auto' or None, got "
                             f"{slice_thickness_mm!r}")
    info = scan_info(views, _reference_point(views, slab))
    if info.n_views < 2 or info.angular_range_deg <= 0:
        raise ValueError(f"fbp needs at least 2 views with distinct source angles, got "
                         f"{info.n_views} view(s) spanning {info.angular_range_deg:g} degrees")
    panel = views[0].panel
    n = panel.shape[0] if info.scan_axis == -2 else panel.shape[1]
    h_mid = 0.5 * (slab[0] + slab[1])
    magnification = info.source_height_mm / max(info.source_height_mm - h_mid, 1e-9)
    gain = fbp_filter(n, info.pitch_mm, angular_range_deg=info.angular_range_deg,
                      thickness_mm=slab[1] - slab[0], magnification=magnification,
                      window=window, cutoff=cutoff, order=int(order), dc=dc,
                      slice_thickness_mm=slice_thickness_mm)
    return gain, info.scan_axis, info


def fbp(p, views, grid, xp, *, slab, window="hann", cutoff=1.0, order=4, dc=1.0,
        slice_thickness_mm="auto", backend="auto", progress: bool = True):
    """Filtered backprojection of line integrals ``p`` (see the module docstring)."""
    gain, axis, _ = fbp_response(views, grid, slab=slab, window=window, cutoff=cutoff,
                                 order=order, dc=dc, slice_thickness_mm=slice_thickness_mm)
    q = p / slab_lengths(views, slab, xp)
    # One view at a time keeps the padded complex spectrum small.
    for b in range(q.shape[0]):
        q[b] = apply_filter(q[b], gain, axis, xp)
    return _backproject(q, views, grid, xp, progress, "fbp", backend)
