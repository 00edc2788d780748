"""The support of a lesion-local region: the phantom voxels its rays can cross.

A lesion-local run (:func:`victwin.acquisition.acquire` with ``region=``) traces only the
rays of each view's sub-panel (:func:`victwin.acquisition._region.plan_region`: the ROI/VOI's
aperture plus the detector-spread and DBT filter margins). Those rays start at the view's
source -- or, with the system's focal-spot / motion blur, at each of its sub-sources -- and
end anywhere on the sub-panel's area (the ``rays_per_pixel`` sub-rays lie inside their
pixels). So the set of points they cross is, per (sub-)source, the pyramid from that source
to the sub-panel's rectangle; cut by the slab the phantom occupies along the rays' main axis
it is a frustum whose vertices are the 4 corner rays at the slab's two faces. The support is
the bounding box of all those vertices (every view, every sub-source), clipped to the phantom.

:func:`region_support` gives that box in world mm and, for a grid, as a voxel index box (one
voxel of padding each side, so a ray running along a voxel face never reaches past it).
A window phantom that holds the support (``make(..., window_mm=support.lower_mm,
support.upper_mm)``) gives the region's rays the same voxels, hence the same line integrals,
as the full phantom (``tests/acquisition/test_support.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["RegionSupport", "region_support", "supports_of"]

#: Voxels of padding on each side of the ray box (ties on voxel faces, rounding).
PAD_VOXELS = 1


@dataclass(frozen=True)
class RegionSupport:
    """The box of phantom voxels a region's rays can cross.

    Attributes
    ----------
    lower_mm, upper_mm : (x, y, z) mm
        World box: with a grid, the outer faces of the voxel box; without, the rays' box
        (padded by ``pad_mm``).
    index_lower, index_upper : (z, y, x) ints or None
        With a grid: the voxel box ``labels[z0:z1, y0:y1, x0:x1]`` (upper exclusive), clipped
        to the grid.
    """

    lower_mm: tuple
    upper_mm: tuple
    index_lower: tuple | None = None
    index_upper: tuple | None = None

    @property
    def window_mm(self) -> tuple:
        """``((x0, y0, z0), (x1, y1, z1))``: the ``window_mm`` of ``victwin.phantom.make``."""
        return (tuple(self.lower_mm), tuple(self.upper_mm))

    @property
    def slices(self) -> tuple:
        """``(slice_z, slice_y, slice_x)`` of the voxel box (a grid was given)."""
        if self.index_lower is None:
            raise ValueError("this support was computed without a grid: no voxel box")
        return tuple(slice(a, b) for a, b in zip(self.index_lower, self.index_upper))

    def union(self, other: RegionSupport) -> RegionSupport:
        """The smallest box holding both (the voxel box too, when both have one)."""
        lo = tuple(min(a, b) for a, b in zip(self.lower_mm, other.lower_mm))
        hi = tuple(max(a, b) for a, b in zip(self.upper_mm, other.upper_mm))
        if self.index_lower is None or other.index_lower is None:
            return RegionSupport(lo, hi)
        return RegionSupport(lo, hi,
                             tuple(min(a, b) for a, b in zip(self.index_lower,
                                                               other.index_lower)),
                             tuple(max(a, b) for a, b in zip(self.index_upper,
                                                               other.index_upper)))


def _panel_corners(panel) -> np.ndarray:
    """The 4 outer corners of a panel's pixel area, ``(4, 3)`` mm."""
    nv, nu = panel.shape
    pv, pu = panel.pitch
    c, u, v = (np.asarray(a, float) for a in (panel.center, panel.u, panel.v))
    hu, hv = 0.5 * nu * pu * u, 0.5 * nv * pv * v
    return np.array([c - hu - hv, c + hu - hv, c - hu + hv, c + hu + hv])


def _ray_box(traced_views, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounding box of the rays from each view's source to its panel's area, inside the box
    ``lo..hi`` (mm, (x, y, z)): cut along each view's main ray axis, as a frustum."""
    box_lo, box_hi = np.full(3, np.inf), np.full(3, -np.inf)
    for view in traced_views:
        s = np.asarray(view.source, float)
        corners = _panel_corners(view.panel)
        a = int(np.argmax(np.abs(np.asarray(view.panel.center, float) - s)))
        d = corners - s                                   # (4, 3)
        pts = []
        for plane in (lo[a], hi[a]):
            with np.errstate(divide="ignore", invalid="ignore"):
                t = (plane - s[a]) / d[:, a]
            t = np.clip(np.nan_to_num(t, nan=0.0), 0.0, 1.0)  # on the segment
            pts.append(s + t[:, None] * d)
        pts = np.concatenate(pts)
        box_lo = np.minimum(box_lo, pts.min(axis=0))
        box_hi = np.maximum(box_hi, pts.max(axis=0))
        box_lo[a] = min(box_lo[a], lo[a])
        box_hi[a] = max(box_hi[a], hi[a])
    return np.maximum(box_lo, lo), np.minimum(box_hi, hi)


def region_support(region, system, *, thickness_mm: float | None = None, grid=None,
                   binning: int | None = None, rays_per_pixel: int | None = None,
                   views=None, pad_mm: float = 0.0) -> RegionSupport:
    """The box of phantom voxels (and world mm) every ray of ``region``'s lesion-local run
    can cross, as :func:`victwin.acquisition.acquire` traces them.

    Parameters
    ----------
    region : Region
        The box (mm) a reader needs.
    system : str, path or System
    thickness_mm : float, mm, optional
        Compressed breast thickness (breast imaging); the rays are cut by the slab from the
        breast support to ``support + thickness`` (grown by ``pad_mm``) when no ``grid`` is
        given. Required for breast imaging (the region is checked against the slab).
    grid : Grid, optional
        The full phantom's grid: the rays are cut by its box and the result carries the
        voxel box (padded by one voxel, clipped to the grid).
    binning, rays_per_pixel, views
        As :func:`victwin.acquisition.acquire` (``rays_per_pixel`` does not change the box:
        every sub-ray lies inside its pixel).
    pad_mm : float, mm
        Without a grid: grow the world box by this much on each side (e.g. one voxel of the
        phantom to be made, so the window holds every voxel a face-running ray touches).

    Returns
    -------
    RegionSupport
    """
    from victwin.systems import load

    from ._view import _blur_sub_views, _check_views
    from ._region import plan_region

    system = load(system)
    k_bin = system.geometry.binning if binning is None else int(binning)
    all_views = tuple(system.views(k_bin))
    indices = _check_views(len(all_views), views)
    breast = system.scan != "radiography"
    if breast and thickness_mm is None:
        raise ValueError("thickness_mm is required for a breast system's region support")
    support = float(system.geometry.breast_support_mm) if breast else None
    sub_views, _ = plan_region(region, all_views, system,
                               thickness_mm=float(thickness_mm or 0.0), support_mm=support)
    sel = [sub_views[i] for i in indices]
    subs = _blur_sub_views(system, sel)
    traced = sel if subs is None else [v for s in subs for v, _ in s]
    pad = float(pad_mm)
    if not (math.isfinite(pad) and pad >= 0):
        raise ValueError(f"pad_mm must be a number >= 0, got {pad_mm!r}")
    if grid is not None:
        lo, hi = np.asarray(grid.lower_mm, float), np.asarray(grid.upper_mm, float)
    elif breast:
        z0 = float(all_views[0].panel.center[2]) + support
        lo = np.array([-np.inf, -np.inf, z0 - pad])
        hi = np.array([np.inf, np.inf, z0 + float(thickness_mm) + pad])
    else:
        raise ValueError("grid is required for a radiography system's region support")
    box_lo, box_hi = _ray_box(traced, lo, hi)
    if grid is None:
        box_lo, box_hi = box_lo - pad, box_hi + pad
        box_lo[2], box_hi[2] = max(box_lo[2], lo[2]), min(box_hi[2], hi[2])
        return RegionSupport(tuple(float(v) for v in box_lo), tuple(float(v) for v in box_hi))
    d = np.asarray(grid.spacing_xyz, float)
    n = np.asarray(grid.shape_xyz, int)
    i0 = np.floor((box_lo - lo) / d).astype(int) - PAD_VOXELS
    i1 = np.ceil((box_hi - lo) / d).astype(int) + PAD_VOXELS
    i0, i1 = np.clip(i0, 0, n), np.clip(i1, 0, n)
    if np.any(i1 <= i0):
        raise ValueError(f"region's rays miss the phantom's grid (x, y, z {lo.tolist()}.."
                         f"{hi.tolist()} mm)")
    return RegionSupport(tuple(float(v) for v in lo + i0 * d), tuple(float(v) for v in lo + i1 * d),
                         tuple(int(v) for v in i0[::-1]), tuple(int(v) for v in i1[::-1]))


def supports_of(regions, system, **kw) -> list[RegionSupport]:
    """:func:`region_support` of each region (same keywords)."""
    return [region_support(r, system, **kw) for r in regions]
