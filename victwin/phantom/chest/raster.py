"""Rasterising shapes into a label volume: capsule chains (numba) and boxed masks.

The chest builder works in *anatomy coordinates* ``(x, y, zd)`` (mm): ``x`` from the patient's
right to left, ``y`` from head to feet, ``zd`` from the body's antero-posterior centre towards
the back. :class:`Frame` maps them to the world (``z = zd + zc``) and to the grid.
"""

from __future__ import annotations

import numpy as np

from ...geometry import Grid
from ..lesions import paint_capsules as _paint_lesion_capsules

__all__ = ["Frame", "paint_capsules", "polyline", "bezier"]


def paint_capsules(labels, grid: Grid, segs_world, value: int, only: int = -1) -> None:
    """Paint capsule rows (world mm) into ``labels`` (the lesions' rasteriser,
    :func:`victwin.phantom.lesions.paint_capsules`)."""
    segs = np.asarray(segs_world, np.float64).reshape(-1, 8)
    segs = _split_long(segs[segs[:, 6:].max(axis=1) > 0], float(min(grid.spacing)))
    if len(segs):
        _paint_lesion_capsules(labels, segs, np.uint8(value), origin_mm=grid.origin,
                               spacing_mm=grid.spacing_xyz, only=only)


def _split_long(segs, voxel):
    """Cut segments much longer than they are thick into pieces, so that each piece's
    bounding box stays close to the capsule (thin diagonal vessels otherwise scan a cube)."""
    length = np.linalg.norm(segs[:, 3:6] - segs[:, 0:3], axis=1)
    piece = 4.0 * np.maximum(segs[:, 6:].max(axis=1), voxel)
    n = np.maximum(1, np.ceil(length / piece)).astype(np.int64)
    if (n == 1).all():
        return np.ascontiguousarray(segs)
    rep = np.repeat(np.arange(len(segs)), n)
    k = np.arange(rep.size) - np.repeat(np.cumsum(n) - n, n)
    t0 = (k / n[rep])[:, None]
    t1 = ((k + 1) / n[rep])[:, None]
    s = segs[rep]
    a, b = s[:, 0:3], s[:, 3:6]
    r0, r1 = s[:, 6:7], s[:, 7:8]
    return np.ascontiguousarray(np.hstack([a + t0 * (b - a), a + t1 * (b - a),
                                           r0 + t0 * (r1 - r0), r0 + t1 * (r1 - r0)]))


def bezier(p0, p1, p2, n: int) -> np.ndarray:
    """``n`` points on the quadratic Bezier curve p0 -> p2 pulled towards p1."""
    t = np.linspace(0.0, 1.0, n)[:, None]
    return ((1 - t) ** 2 * np.asarray(p0, float) + 2 * (1 - t) * t * np.asarray(p1, float)
            + t ** 2 * np.asarray(p2, float))


def polyline(points, r0: float, r1: float | None = None) -> np.ndarray:
    """Capsule rows along a polyline with radius going linearly from ``r0`` to ``r1``."""
    points = np.asarray(points, float)
    r1 = r0 if r1 is None else r1
    radii = np.linspace(r0, r1, len(points))
    return np.column_stack([points[:-1], points[1:], radii[:-1], radii[1:]])


class Frame:
    """Anatomy coordinates <-> world and grid, and boxed mask painting."""

    def __init__(self, grid: Grid, zc_mm: float):
        self.grid = grid
        self.zc = float(zc_mm)
        self.x = grid.axis_mm("x").astype(np.float32)
        self.y = grid.axis_mm("y").astype(np.float32)
        self.zd = (grid.axis_mm("z") - zc_mm).astype(np.float32)

    def world(self, x, y, zd) -> np.ndarray:
        return np.array([x, y, zd + self.zc], float)

    def paint(self, labels, segs, value: int, only: int = -1) -> None:
        """Paint capsule rows given in anatomy coordinates."""
        segs = np.asarray(segs, float).reshape(-1, 8).copy()
        segs[:, 2] += self.zc
        segs[:, 5] += self.zc
        paint_capsules(labels, self.grid, segs, value, only)

    def box(self, lo, hi):
        """Index slices ``[z, y, x]`` of the anatomy box ``lo..hi`` (``(x, y, zd)``) and the
        coordinate arrays broadcast over it."""
        sl = []
        for axis, a, b in ((self.zd, lo[2], hi[2]), (self.y, lo[1], hi[1]),
                           (self.x, lo[0], hi[0])):
            i0 = int(np.searchsorted(axis, min(a, b), side="left"))
            i1 = int(np.searchsorted(axis, max(a, b), side="right"))
            sl.append(slice(i0, max(i0, i1)))
        sl = tuple(sl)
        return sl, (self.x[sl[2]][None, None, :], self.y[sl[1]][None, :, None],
                    self.zd[sl[0]][:, None, None])

    def paint_mask(self, labels, lo, hi, fn, value: int, only=None) -> None:
        """``labels[box][fn(x, y, zd)] = value`` over the box ``lo..hi``; ``only``: a label or
        a tuple of labels that may be overwritten."""
        sl, (x, y, z) = self.box(lo, hi)
        sub = labels[sl]
        if sub.size == 0:
            return
        m = np.broadcast_to(fn(x, y, z), sub.shape)
        if only is not None:
            m = m & np.isin(sub, np.atleast_1d(only))
        sub[m] = value
