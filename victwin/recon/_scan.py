"""What reconstruction needs to know about a tomosynthesis scan, and its default grid."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from victwin._checks import check_positive
from victwin.geometry import Grid, View

__all__ = ["ScanInfo", "scan_info", "dbt_grid", "as_views", "support_extent"]


def as_views(views) -> tuple[View, ...]:
    """``views`` as a tuple of :class:`View` (one View is a scan of one)."""
    if isinstance(views, View):
        return (views,)
    try:
        out = tuple(views)
    except TypeError:
        raise TypeError(f"views must be a View or a sequence of View, got "
                        f"{type(views).__name__}") from None
    if not out:
        raise ValueError("views must contain at least one View, got an empty sequence")
    for k, v in enumerate(out):
        if not isinstance(v, View):
            raise TypeError(f"views[{k}] must be a View, got {type(v).__name__}")
    return out


@dataclass(frozen=True)
class ScanInfo:
    """Derived facts of a fixed-detector scan (mm, degrees)."""

    n_views: int
    scan_axis: int          # projection axis along the source motion: -2 (v, rows) or -1 (u)
    pitch_mm: float         # detector pitch along the scan axis
    angular_range_deg: float  # effective 2 alpha: n/(n-1) x the spread of source angles
    source_height_mm: float   # mean perpendicular source-to-detector distance


def scan_info(views, point_mm=None) -> ScanInfo:
    """Check that the views share one detector and describe the source sweep.

    The source angles are measured at ``point_mm`` (x, y, z; default the panel centre) from
    the panel normal, in the plane of the normal and the scan axis (the panel axis along which
    the sources spread most). ``source_height_mm`` is always from the panel.
    """
    views = as_views(views)
    panel = views[0].panel
    for k, v in enumerate(views):
        if v.panel != panel:
            raise ValueError(f"views must share one fixed detector (tomosynthesis); views[{k}] "
                             f"has a different panel from views[0]")
    src = np.array([v.source for v in views]) - np.asarray(panel.center)
    u, vv, n = np.asarray(panel.u), np.asarray(panel.v), panel.normal
    height = src @ n
    if np.any(height <= 0) and np.any(height >= 0):
        raise ValueError("views must all have their source on the same side of the detector")
    height = np.abs(height)
    su, sv = src @ u, src @ vv
    along_u = np.ptp(su) > np.ptp(sv)
    rel = src if point_mm is None else (np.array([v.source for v in views])
                                        - np.asarray(point_mm, float))
    lateral = rel @ (u if along_u else vv)
    angles = np.degrees(np.arctan2(lateral, np.abs(rel @ n)))
    n_views = len(views)
    spread = float(np.ptp(angles))
    span = spread * n_views / (n_views - 1) if n_views > 1 else 0.0
    return ScanInfo(n_views=n_views, scan_axis=-1 if along_u else -2,
                    pitch_mm=float(panel.pitch[1] if along_u else panel.pitch[0]),
                    angular_range_deg=span, source_height_mm=float(height.mean()))


def dbt_grid(views, thickness_mm: float, *, support_mm: float = 20.0,
             voxel_xy_mm: float | None = None, slice_mm: float = 1.0,
             extent_x_mm: tuple[float, float] | None = None,
             extent_y_mm: tuple[float, float] | None = None) -> Grid:
    """The default reconstruction grid of a DBT scan with the detector in the ``z = 0`` plane.

    Parameters
    ----------
    views : sequence of View
        The scan (one fixed detector whose plane is ``z = const``, sources above it).
    thickness_mm : float, mm
        Compressed breast thickness; slices cover ``support_mm`` to ``support_mm +
        thickness_mm`` above the detector.
    support_mm : float, mm
        Height of the breast support's top above the detector (VICTRE: 20 mm).
    voxel_xy_mm : float, mm, optional
        In-plane voxel. Default: the detector pitch demagnified to the breast support,
        ``pitch * (SID - support) / SID`` (0.0824 mm for 85 um at SID 650 mm), the largest ray
        spacing inside the breast, so that every voxel is crossed by rays of every view.
    slice_mm : float, mm
        Slice spacing (VICTRE: 1 mm); ``ceil(thickness / slice_mm)`` slices, the top one may
        reach just above the breast.
    extent_x_mm, extent_y_mm : (lo, hi), mm, optional
        In-plane extent; default the detector's footprint.

    Returns
    -------
    Grid
        ``[z, y, x]`` with z increasing upwards from the support.
    """
    views = as_views(views)
    scan_info(views)  # one fixed detector
    panel = views[0].panel
    thickness_mm = check_positive("thickness_mm", thickness_mm)
    slice_mm = check_positive("slice_mm", slice_mm)
    support_mm = float(support_mm)
    if not math.isfinite(support_mm) or support_mm < 0:
        raise ValueError(f"support_mm must be a finite number >= 0, got {support_mm!r}")
    if abs(panel.normal[2]) < 1 - 1e-9:
        raise ValueError("dbt_grid needs a detector in a z = const plane; got panel normal "
                         f"{tuple(np.round(panel.normal, 6))}")
    det_z = float(panel.center[2])
    heights = np.abs([v.source[2] - det_z for v in views])
    if support_mm + thickness_mm >= heights.min():
        raise ValueError(f"support_mm + thickness_mm ({support_mm + thickness_mm:g} mm) must be "
                         f"below the lowest source ({heights.min():g} mm above the detector)")
    if voxel_xy_mm is None:
        sid = heights.max()  # the widest ray spacing: the highest source, at the support
        voxel_xy_mm = min(panel.pitch) * (sid - support_mm) / sid
    voxel_xy_mm = check_positive("voxel_xy_mm", voxel_xy_mm)
    (x_lo, x_hi), (y_lo, y_hi) = support_extent(views)
    if extent_x_mm is not None:
        x_lo, x_hi = _extent("extent_x_mm", extent_x_mm)
    if extent_y_mm is not None:
        y_lo, y_hi = _extent("extent_y_mm", extent_y_mm)
    nx = max(1, int(math.floor((x_hi - x_lo) / voxel_xy_mm + 1e-9)))
    ny = max(1, int(math.floor((y_hi - y_lo) / voxel_xy_mm + 1e-9)))
    nz = max(1, int(math.ceil(thickness_mm / slice_mm - 1e-9)))
    # Centre the in-plane lattice in the extent, except keep the chest-wall edge (x_lo).
    y0 = 0.5 * (y_lo + y_hi) - 0.5 * (ny - 1) * voxel_xy_mm
    return Grid(shape=(nz, ny, nx), spacing=(slice_mm, voxel_xy_mm, voxel_xy_mm),
                origin=(x_lo + 0.5 * voxel_xy_mm, y0, det_z + support_mm + 0.5 * slice_mm))


def support_extent(views) -> tuple[tuple[float, float], tuple[float, float]]:
    """In-plane extent ``((x_lo, x_hi), (y_lo, y_hi))`` (mm) of the detector's footprint: the
    default grid's extent, the support an iterative reconstruction must cover."""
    panel = as_views(views)[0].panel
    corners = panel.pixel_centers()[[0, 0, -1, -1], [0, -1, 0, -1]]
    half = 0.5 * np.array([panel.pitch[1], panel.pitch[0]])
    return ((float(corners[:, 0].min() - half[0]), float(corners[:, 0].max() + half[0])),
            (float(corners[:, 1].min() - half[1]), float(corners[:, 1].max() + half[1])))


def _extent(name, value) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be (lo, hi) in mm, got {value!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and hi > lo):
        raise ValueError(f"{name} must be finite with hi > lo, got {value!r}")
    return lo, hi
