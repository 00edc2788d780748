"""Per-label path lengths through a coarse grid with finer tiles set into it (CPU).

A line integral through a label volume is a sum over the voxels a ray crosses, so the path
length of a ray in each label splits exactly over disjoint boxes. A composite phantom -- a
coarse grid (e.g. a 0.1 mm window) in which some boxes are replaced by finer label tiles
(e.g. a 0.05 mm lesion box, as VICTRE rasterises its lesions) -- is traced as

* the coarse grid with each tile's box set to an extra "hole" bin whose path length is
  dropped, plus
* each tile traced on its own grid,

summed per label before any physics. With each tile's box on the coarse grid's voxel
boundaries the result equals a trace of the composite rasterised on the fine grid everywhere
(same voxel boundaries inside the tile, coarse voxels split into whole fine ones outside),
up to float32 rounding. On CUDA the same traces run with the CUDA label kernel and the sum is
made on the device when ``labels`` are there (CuPy in, CuPy out).
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from victwin._backend import resolve_backend
from victwin.geometry import Grid, View

from ._api import _check_grid, _check_labels, _device_put, _is_cupy, _to_host, iter_project_labels

#: Tile bounds must lie on the coarse grid's voxel boundaries to this fraction of a voxel.
_ALIGN_TOL = 1e-6


def tile_index_box(grid: Grid, tile_grid: Grid, name: str = "tile") -> tuple[slice, ...]:
    """The ``[z, y, x]`` index slices of ``grid`` that ``tile_grid``'s box covers exactly.

    Raises ValueError (one line) when the tile's box is not on ``grid``'s voxel boundaries or
    not inside ``grid``.
    """
    if not isinstance(tile_grid, Grid):
        raise TypeError(f"{name} grid must be a victwin.geometry.Grid, got "
                        f"{type(tile_grid).__name__}")
    d = grid.spacing_xyz
    lo = (tile_grid.lower_mm - grid.lower_mm) / d
    hi = (tile_grid.upper_mm - grid.lower_mm) / d
    ilo, ihi = np.rint(lo).astype(int), np.rint(hi).astype(int)
    if np.any(np.abs(lo - ilo) > _ALIGN_TOL) or np.any(np.abs(hi - ihi) > _ALIGN_TOL):
        raise ValueError(f"{name} box {tile_grid.lower_mm.tolist()}..{tile_grid.upper_mm.tolist()}"
                         f" mm is not on the coarse grid's voxel boundaries (spacing "
                         f"{d.tolist()} mm)")
    if np.any(ilo < 0) or np.any(ihi > grid.shape_xyz) or np.any(ihi <= ilo):
        raise ValueError(f"{name} box (voxels {ilo.tolist()}..{ihi.tolist()}, x y z) is not "
                         f"inside the coarse grid {grid.shape_xyz.tolist()}")
    return tuple(slice(int(a), int(b)) for a, b in zip(ilo[::-1], ihi[::-1]))


def iter_project_labels_tiled(labels, grid: Grid, tiles, views, n_labels: int, *,
                              backend="auto", rays_per_pixel: int = 1,
                              view_batch: int | None = None,
                              check_labels: bool = True) -> Iterator[tuple[slice, np.ndarray]]:
    """:func:`~victwin.raytrace.iter_project_labels` of ``labels`` with finer tiles set in.

    Parameters
    ----------
    labels : uint8 array ``[z, y, x]`` on ``grid``
        The coarse labels; inside each tile's box they are not read.
    grid : Grid
    tiles : sequence of (uint8 array, Grid)
        Finer label volumes; each box must lie on ``grid``'s voxel boundaries, inside it,
        the boxes must not overlap, and every tile must number its labels with the same
        material table as ``labels`` (labels ``< n_labels``).
    views, n_labels, rays_per_pixel, view_batch, check_labels
        As :func:`~victwin.raytrace.iter_project_labels`; ``n_labels`` must be < 256 (one
        more bin holds the tiles' boxes in the coarse trace).
    backend : {"auto", "cpu", "cuda"}
        Both traces run there (:func:`~victwin.raytrace.iter_project_labels`).

    Yields
    ------
    (views_slice, path_mm)
        float32 ``[len(batch), n_labels, nv, nu]``: the coarse grid's path lengths outside
        the tiles plus each tile's; on the same device as ``labels``.
    """
    target = resolve_backend(backend)
    n_labels = _check_labels(labels, grid, n_labels, check_labels)
    if n_labels >= 256:
        raise ValueError(f"n_labels must be < 256 with tiles (one bin holds their boxes), "
                         f"got {n_labels}")
    views = (views,) if isinstance(views, View) else tuple(views)
    tiles = list(tiles)
    boxes = []
    for t, (tl, tg) in enumerate(tiles):
        _check_grid(tg, getattr(tl, "shape", ()), f"tiles[{t}] labels")
        _check_labels(tl, tg, n_labels, check_labels)
        boxes.append(tile_index_box(grid, tg, f"tiles[{t}]"))
    mask = np.zeros(grid.shape, bool)
    for t, box in enumerate(boxes):
        if mask[box].any():
            raise ValueError(f"tiles[{t}] overlaps an earlier tile's box")
        mask[box] = True
    # the hole volume and the tiles live where the labels do, so the sum is made there
    if _is_cupy(labels):
        hole = labels.astype(labels.dtype, copy=True)
        tiles = [(tl if _is_cupy(tl) else _device_put(tl, np.uint8), tg) for tl, tg in tiles]
    else:
        hole = np.array(labels, dtype=np.uint8, copy=True)
        tiles = [(np.asarray(_to_host(tl), np.uint8), tg) for tl, tg in tiles]
    for box in boxes:
        hole[box] = n_labels
    coarse = iter_project_labels(hole, grid, views, n_labels + 1, backend=target,
                                 rays_per_pixel=rays_per_pixel, view_batch=view_batch,
                                 check_labels=False)
    for sl, paths in coarse:
        out = paths[:, :n_labels].copy()          # contiguous, NumPy or CuPy as the paths
        for tl, tg in tiles:
            for _, p in iter_project_labels(tl, tg, views[sl], n_labels, backend=target,
                                            rays_per_pixel=rays_per_pixel,
                                            view_batch=sl.stop - sl.start, check_labels=False):
                out += p
        yield sl, out
