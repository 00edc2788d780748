"""Finer tiles set into a coarse grid trace as the composite rasterised finely everywhere.

A ray's path length in each label is a sum over the voxels it crosses, so a coarse grid with
a finer tile in a box on its voxel boundaries has the same per-label path lengths as the
same composite on the fine grid everywhere (each coarse voxel split into 2x2x2 fine ones):
an independent trace, by the plain tracer, of a different grid.
"""

import numpy as np
import pytest

from victwin.geometry import Grid, mammography_view, tomosynthesis_arc
from victwin.raytrace import project_labels
from victwin.raytrace._tiles import iter_project_labels_tiled, tile_index_box

D = 0.1                                   # coarse voxel, mm
SHAPE = (30, 48, 48)                      # z, y, x coarse voxels
LOWER = np.array([2.0, -2.4, 8.0])        # x, y, z of the coarse grid's outer corner, mm
BOX = (slice(8, 20), slice(18, 30), slice(20, 34))   # the tile's coarse index box (z, y, x)


def _grid(d, shape, lower):
    return Grid(shape=shape, spacing=(d, d, d), origin=tuple(lower + d / 2))


def _phantom():
    """Coarse slab (fat 1 / gland 2 at random) in air, and a 0.05 mm tile holding a bead (3,
    radius 0.23 mm, off the voxel centres) in the tile's upsampled background."""
    rng = np.random.default_rng(7)
    coarse = np.zeros(SHAPE, np.uint8)
    coarse[3:27] = rng.choice(np.array([1, 2], np.uint8), size=(24,) + SHAPE[1:])
    fine_all = coarse.repeat(2, 0).repeat(2, 1).repeat(2, 2)
    lo = [s.start for s in BOX]
    tshape = tuple(2 * (s.stop - s.start) for s in BOX)
    tlower = LOWER + np.array([BOX[2].start, BOX[1].start, BOX[0].start]) * D
    tgrid = _grid(D / 2, tshape, tlower)
    tile = fine_all[2 * lo[0]:2 * BOX[0].stop, 2 * lo[1]:2 * BOX[1].stop,
                    2 * lo[2]:2 * BOX[2].stop].copy()
    z, y, x = np.meshgrid(*[np.arange(n) for n in tshape], indexing="ij")
    pts = np.stack([x, y, z], -1) * (D / 2) + tgrid.origin
    centre = tlower + np.array([0.61, 0.57, 0.63])
    tile[np.sum((pts - centre) ** 2, -1) < 0.23 ** 2] = 3
    composite = fine_all.copy()
    composite[2 * lo[0]:2 * BOX[0].stop, 2 * lo[1]:2 * BOX[1].stop,
              2 * lo[2]:2 * BOX[2].stop] = tile
    return coarse, _grid(D, SHAPE, LOWER), tile, tgrid, composite, \
        _grid(D / 2, tuple(2 * n for n in SHAPE), LOWER)


def _views():
    dm = mammography_view(detector_shape=(64, 64), pitch_mm=0.12, sid_mm=120.0)
    dbt = tomosynthesis_arc(3, 40.0, 20.0, source_to_rotation_center_mm=100.0,
                            detector_shape=(64, 64), pitch_mm=0.12)
    return (dm,) + tuple(dbt)


@pytest.mark.parametrize("rpp", [1, 2])
def test_tiled_trace_equals_the_fine_composite(rpp):
    coarse, grid, tile, tgrid, composite, fgrid = _phantom()
    views = _views()
    ref = project_labels(composite, fgrid, views, 4, backend="cpu", rays_per_pixel=rpp)
    got = np.concatenate([p for _, p in iter_project_labels_tiled(
        coarse, grid, [(tile, tgrid)], views, 4, backend="cpu", rays_per_pixel=rpp,
        view_batch=2)])
    assert got.shape == ref.shape
    # the bead is seen (else the test says nothing): many rays cross it, in every view
    assert np.all((ref[:, 3] > 0.05).sum(axis=(1, 2)) >= 8)
    scale = ref.sum(axis=1).max()               # the longest ray, mm
    assert np.abs(got - ref).max() <= 2e-6 * scale
    # the coarse grid alone (no tile) is not the composite: the bead is missing
    plain = project_labels(coarse, grid, views, 4, backend="cpu", rays_per_pixel=rpp)
    assert np.abs(plain - ref).max() > 0.1


def test_tile_off_the_coarse_boundaries_is_refused():
    coarse, grid, tile, tgrid, *_ = _phantom()
    shifted = Grid(shape=tgrid.shape, spacing=tgrid.spacing,
                   origin=tuple(np.asarray(tgrid.origin) + [0.05, 0, 0]))
    with pytest.raises(ValueError, match="not on the coarse grid's voxel boundaries"):
        tile_index_box(grid, shifted)
    assert tile_index_box(grid, tgrid) == BOX


def test_overlapping_tiles_are_refused():
    coarse, grid, tile, tgrid, *_ = _phantom()
    with pytest.raises(ValueError, match="overlaps"):
        next(iter_project_labels_tiled(coarse, grid, [(tile, tgrid), (tile, tgrid)],
                                       _views(), 4, backend="cpu"))
