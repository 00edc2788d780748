"""Fine lesion tiles for a coarser window: :func:`lesion_tiles`, :func:`snap_center`.

VICTRE rasterises its lesions at 50 um (``VICTREMass.cfg`` imgRes 0.05 mm; the calcification
cluster on the same grid). A trial at 0.1 mm keeps the anatomy at 0.1 mm and the lesions at
50 um: each lesion is inserted into a *tile*, a box of the window on the window's voxel
boundaries whose 0.1 mm labels are split into whole fine voxels (the same tissue on the fine
grid), the lesion inserted there as on the whole fine grid. The acquisition traces the window
with the tiles' boxes dropped plus the tiles (``acquire_regions(..., tiles=)``,
:func:`victwin.raytrace.iter_project_labels_tiled`): a line integral is a sum over the voxels a
ray crosses, so this equals a trace of the composite rasterised at the fine voxel size
everywhere.

The lesion centre is snapped on the *whole* fine grid, rounding half up (:func:`snap_center`):
a site drawn at 0.1 mm lies on a 0.1 mm voxel centre, which is a voxel *boundary* of the
0.05 mm grid along every axis, so snapping with ``rint`` on each window's own grid breaks the
tie either way by float rounding (seen: the same cluster 0.05 mm apart in y in a 0.05 mm window
and in a tile; NOTES.md, "50 um lesion tiles").
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ._insert import _lesion_labels, _resample_patch, insert_lesion
from ._model import LesionModel

__all__ = ["lesion_tiles", "snap_center"]

#: Ties (a centre on a voxel boundary, to float rounding) go up: this fraction of a voxel.
_TIE = 1e-6


def snap_center(grid, center_mm) -> tuple:
    """The centre of ``grid``'s voxel nearest ``center_mm``, ties rounded up on every axis.

    Parameters
    ----------
    grid : victwin.geometry.Grid
        Any grid of the lattice (a window or the whole grid: the same point either way).
    center_mm : (x, y, z) floats, mm

    Returns
    -------
    (x, y, z) floats, mm
    """
    at = grid.world_to_index(np.asarray(center_mm, float))
    return tuple(float(v) for v in grid.index_to_world(np.floor(at + 0.5 + _TIE).astype(int)))


def _ratio(window, tile_mm: float) -> np.ndarray:
    """Fine voxels per window voxel along ``(z, y, x)``; ValueError unless whole numbers."""
    tile_mm = float(tile_mm)
    if not np.isfinite(tile_mm) or tile_mm <= 0:
        raise ValueError(f"tile_mm must be > 0, got {tile_mm!r}")
    sp = np.asarray(window.grid.spacing, float)
    r = np.rint(sp / tile_mm).astype(int)
    if np.any(r < 1) or np.any(np.abs(sp / tile_mm - r) > 1e-6 * r):
        raise ValueError(f"tile_mm={tile_mm} must divide the window's voxel size "
                         f"{tuple(sp.tolist())} mm into a whole number of voxels")
    return r


def _whole_fine_grid(window, r):
    """The whole grid of ``window`` (``meta["window"]``, else its own) split ``r`` times."""
    from victwin.geometry import Grid

    g = window.grid
    info = (window.meta or {}).get("window") or {}
    index = np.asarray(info.get("index", (0, 0, 0)), int)
    full = np.asarray(info.get("full_shape", g.shape), int)
    lower = g.lower_mm - index[::-1] * g.spacing_xyz
    fine = np.asarray(g.spacing, float) / r
    return Grid(shape=tuple(int(v) for v in full * r), spacing=tuple(fine.tolist()),
                origin=tuple(lower + fine[::-1] / 2)), index, full


def _merge(boxes):
    """Group index boxes ``(lo, hi)`` whose boxes overlap (transitively): list of
    ``(lo, hi, members)``, each the bounding box of its members."""
    groups = [(lo.copy(), hi.copy(), [k]) for k, (lo, hi) in boxes]
    merged = True
    while merged:
        merged = False
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                a, b = groups[i], groups[j]
                if np.all(np.maximum(a[0], b[0]) < np.minimum(a[1], b[1])):
                    groups[i] = (np.minimum(a[0], b[0]), np.maximum(a[1], b[1]), a[2] + b[2])
                    del groups[j]
                    merged = True
                    break
            if merged:
                break
    return groups


def lesion_tiles(window, lesions, *, tile_mm: float = 0.05) -> list:
    """Fine tiles holding ``lesions`` at ``tile_mm`` voxels inside a coarser ``window``.

    Parameters
    ----------
    window : victwin.phantom.Phantom
        The lesion-free phantom or window (``make(..., window_mm=)``: ``meta["window"]``
        places it in its whole grid) with its material table (victwin's names, before a
        preset) and any lesions inserted before these.
    lesions : sequence of (LesionModel, (x, y, z) mm)
        Every lesion of the twin with its centre, in the order they are inserted into it (a
        lesion's labels reuse those of an earlier lesion of the same material, else the next
        free value, as :func:`insert_lesion` numbers them); those that miss the window get no
        tile but keep the numbering.
    tile_mm : float, mm
        The tiles' voxel size; it must divide the window's voxel size into whole voxels
        (0.05 in a 0.1 mm window: VICTRE's lesion voxels).

    Returns
    -------
    list of Phantom
        Disjoint tiles, each a box of ``window`` on its voxel boundaries and inside it (the box
        of a lesion's mask at ``tile_mm`` voxels, rounded out to whole window voxels and cut to
        the window; overlapping boxes merged into one tile), its labels those of ``window``
        split into ``tile_mm`` voxels with the lesions inserted as on the whole ``tile_mm``
        grid at :func:`snap_center` of their centres (``meta["window"]`` places the tile in the
        whole fine grid, the whole coarse grid split). Every tile carries the material table
        and lesion records of ``window`` with all ``lesions`` inserted.

    Raises
    ------
    ValueError
        One line: ``tile_mm`` does not divide the window's voxels, or a lesion cannot be held
        at ``tile_mm`` voxels where it is (see :func:`insert_lesion`).
    """
    from victwin.geometry import Grid

    from .._phantom import Lesion

    r = _ratio(window, tile_mm)
    fine, w_index, w_full = _whole_fine_grid(window, r)
    shape = np.asarray(window.labels.shape, int)
    boxes, centers = [], []
    for k, (model, center_mm) in enumerate(lesions):
        if not isinstance(model, LesionModel):
            raise TypeError(f"lesions[{k}] must hold a LesionModel, got "
                            f"{type(model).__name__}")
        c = snap_center(fine, center_mm)
        centers.append(c)
        patch = _resample_patch(model, fine.spacing) > 0
        nz = np.argwhere(patch)
        if not len(nz):
            continue
        ci = np.rint(fine.world_to_index(c)).astype(int) - (np.asarray(patch.shape) - 1) // 2
        lo_f, hi_f = ci + nz.min(0), ci + nz.max(0) + 1           # whole fine grid, z y x
        lo = np.maximum(np.floor_divide(lo_f, r) - w_index, 0)     # window voxels
        hi = np.minimum(-np.floor_divide(-hi_f, r) - w_index, shape)
        if np.all(hi > lo):
            boxes.append((k, (lo, hi)))
    groups = _merge(boxes)
    home = {k: g for g, (_, _, members) in enumerate(groups) for k in members}
    tiles = []
    for lo, hi, _ in groups:
        labels = window.labels[tuple(slice(a, b) for a, b in zip(lo, hi))]
        for axis in range(3):
            labels = labels.repeat(r[axis], axis)
        lower = window.grid.lower_mm + lo[::-1] * window.grid.spacing_xyz
        grid = Grid(shape=labels.shape, spacing=fine.spacing,
                    origin=tuple(lower + fine.spacing_xyz / 2))
        meta = dict(window.meta or {})
        meta["window"] = dict(meta.get("window") or {},
                              index=((w_index + lo) * r).tolist(),
                              full_shape=(w_full * r).tolist())
        tiles.append(window.replace(labels=np.ascontiguousarray(labels), grid=grid, meta=meta))
    materials, records = dict(window.materials), tuple(window.lesions)
    for k, (model, _) in enumerate(lesions):
        if k in home:
            g = home[k]
            t = tiles[g].replace(materials=materials, lesions=records)
            tiles[g], _ = insert_lesion(t, model, center_mm=centers[k])
            materials, records = dict(tiles[g].materials), tiles[g].lesions
            continue
        # a lesion the window misses: its labels, numbered as insert_lesion would
        labels = _lesion_labels(SimpleNamespace(materials=materials, lesions=records), model)
        materials.update(zip(labels, model.materials))
        records = (*records, Lesion(kind=model.kind, center_mm=centers[k],
                                    size_mm=float(model.size_mm), label=labels[0],
                                    extra={"labels": labels, "materials": list(model.materials),
                                           "outside_window": True}))
    return [t.replace(materials=materials, lesions=records) for t in tiles]
