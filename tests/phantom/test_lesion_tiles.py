"""Fine lesion tiles in a coarser window (:func:`lesion_tiles`) and the whole-grid snap.

Reference: the whole coarse phantom split into fine voxels everywhere (each 0.1 mm voxel into
2x2x2 of 0.05 mm, computed here with ``repeat``) with the same lesions inserted in order by
plain :func:`insert_lesion` at the fine voxel nearest each centre, a tie rounded up (computed
here from the grid's corner). Every tile must be that reference's crop at the tile's place,
number its materials as the reference, lie on the window's voxel boundaries inside it, and the
window split with the tiles pasted in must be the reference's crop over the window (no lesion
voxel the window holds is left outside a tile).
"""

import numpy as np
import pytest

from victwin.geometry import Grid
from victwin.phantom import (Phantom, calcification_cluster, insert_lesion, lesion_tiles,
                             snap_center, spiculated_mass)
from victwin.phantom.lesions import LesionModel
from victwin.raytrace._tiles import tile_index_box

MATERIALS = {0: "air", 1: "adipose", 2: "skin", 3: "glandular"}


def _whole(voxel_mm=0.1, shape=(60, 80, 160)):
    """A random fat/gland slab, skin at the top; its y axis centred (the corner at a half
    voxel of the fine grid, as the breast grids' y axes)."""
    rng = np.random.default_rng(5)
    labels = np.where(rng.random(shape) < 0.4, 3, 1).astype(np.uint8)
    labels[-2:] = 2
    ny = shape[1]
    grid = Grid(shape=shape, spacing=(voxel_mm,) * 3,
                origin=(voxel_mm / 2, -(ny - 1) / 2 * voxel_mm, 20.0 + voxel_mm / 2))
    return Phantom(labels=labels, grid=grid, materials=dict(MATERIALS), meta={"recipe": "toy"})


def _window(whole, lo, hi):
    labels = whole.labels[tuple(slice(a, b) for a, b in zip(lo, hi))]
    g = whole.grid
    origin = np.asarray(g.origin) + np.asarray(lo[::-1]) * g.spacing_xyz
    return whole.replace(labels=np.ascontiguousarray(labels),
                         grid=Grid(shape=labels.shape, spacing=g.spacing, origin=tuple(origin)),
                         meta=dict(whole.meta, window={"index": list(lo),
                                                       "full_shape": list(whole.labels.shape)}))


def _split(phantom, r):
    labels = phantom.labels
    for axis in range(3):
        labels = labels.repeat(r, axis)
    d = np.asarray(phantom.grid.spacing) / r
    return phantom.replace(labels=np.ascontiguousarray(labels),
                           grid=Grid(shape=labels.shape, spacing=tuple(d),
                                     origin=tuple(phantom.grid.lower_mm + d[::-1] / 2)))


def _nearest(grid, center_mm):
    at = (np.asarray(center_mm, float) - grid.lower_mm) / grid.spacing_xyz
    return tuple(grid.lower_mm + (np.floor(at + 1e-6) + 0.5) * grid.spacing_xyz)


def _check(whole, window, lesions, tiles, r=2):
    ref = _split(whole, r)
    for model, center in lesions:
        ref, _ = insert_lesion(ref, model, center_mm=_nearest(ref.grid, center))
    lo = np.asarray(window.meta["window"]["index"]) * r
    composite = _split(window, r).labels.copy()
    for t in tiles:
        box = tile_index_box(window.grid, t.grid)      # on the window's voxel boundaries
        i = np.asarray(t.meta["window"]["index"])
        crop = ref.labels[tuple(slice(a, a + n) for a, n in zip(i, t.labels.shape))]
        assert t.labels.tobytes() == crop.tobytes()
        assert t.materials == ref.materials
        assert [les.extra["labels"] for les in t.lesions] == \
            [les.extra["labels"] for les in ref.lesions]
        composite[tuple(slice(r * s.start, r * s.stop) for s in box)] = t.labels
    want = ref.labels[tuple(slice(a, a + n) for a, n in zip(lo, composite.shape))]
    assert composite.tobytes() == want.tobytes()
    return ref


def test_snap_center_rounds_a_tie_up_on_any_grid_of_the_lattice():
    # a 0.1 mm voxel centre is a 0.05 mm voxel boundary; two grids of the same 0.05 mm lattice
    # with corners a voxel apart (-65.5 vs -65.45 mm in y: the breast grids) and the point a
    # hair either side of the tie all give the upper voxel
    a = Grid(shape=(10, 2620, 10), spacing=(0.05,) * 3, origin=(0.025, -65.475, 0.025))
    b = Grid(shape=(10, 2618, 10), spacing=(0.05,) * 3, origin=(0.025, -65.425, 0.025))
    tie = (0.1, -28.1, 0.25)            # every axis on a 0.05 mm voxel boundary
    want = (0.125, -28.075, 0.275)
    for grid in (a, b):
        for eps in (0.0, 1e-12, -1e-12):
            got = snap_center(grid, np.add(tie, eps))
            assert np.allclose(got, want, atol=1e-9), (grid, eps, got)
    # off a tie: the nearest voxel centre
    assert np.allclose(snap_center(a, (0.118, -28.09, 0.26)), (0.125, -28.075, 0.275))
    assert np.allclose(snap_center(a, (0.09, -28.11, 0.24)), (0.075, -28.125, 0.225))


def test_tiles_equal_the_split_phantom_with_the_lesions():
    whole = _whole()
    window = _window(whole, (5, 10, 20), (55, 70, 80))       # x 2.0..8.0 mm
    rng = np.random.default_rng(1)
    calc = calcification_cluster(rng, extent_mm=2.0, n_calcifications=4,
                                 min_separation_mm=0.4, voxel_mm=0.05)
    mass = spiculated_mass(rng, diameter_mm=2.0, voxel_mm=0.05)
    calc2 = calcification_cluster(rng, extent_mm=1.5, n_calcifications=3,
                                  min_separation_mm=0.4, voxel_mm=0.05)
    y0 = whole.grid.origin[1]
    lesions = [(mass, (12.05, y0 + 4.0, 23.05)),        # outside the window: numbered only
               (calc, (4.05, y0 + 4.0, 23.05)),         # inside, on a 0.1 mm voxel centre
               (calc2, (7.85, y0 + 3.0, 23.35))]        # across the window's x edge
    tiles = lesion_tiles(window, lesions, tile_mm=0.05)
    assert len(tiles) == 2
    ref = _check(whole, window, lesions, tiles)
    # the tiles hold every lesion voxel the window holds, and are smaller than the window
    assert sum(t.labels.size for t in tiles) < 0.1 * window.labels.size * 8
    assert len(ref.lesions) == 3


def test_overlapping_lesion_boxes_share_one_tile():
    whole = _whole()
    window = _window(whole, (5, 10, 20), (55, 70, 80))
    patch = np.zeros((1, 1, 7), np.uint8)
    patch[0, 0, [0, 6]] = 1             # two specks 0.3 mm apart in x
    pair = LesionModel("calcification", patch, ("hydroxyapatite",), 0.05, 0.35)
    y0 = whole.grid.origin[1]
    # the second pair 0.1 mm further in x: the boxes interleave, the specks do not meet
    lesions = [(pair, (4.05, y0 + 4.0, 23.05)), (pair, (4.15, y0 + 4.0, 23.05))]
    tiles = lesion_tiles(window, lesions, tile_mm=0.05)
    assert len(tiles) == 1
    _check(whole, window, lesions, tiles)


def test_bad_tile_voxel_is_one_line():
    whole = _whole()
    rng = np.random.default_rng(1)
    calc = calcification_cluster(rng, extent_mm=2.0, n_calcifications=2, voxel_mm=0.05)
    for bad in (0.03, 0.2, 0.0):
        with pytest.raises(ValueError, match="tile_mm") as err:
            lesion_tiles(whole, [(calc, (4.05, 0.05, 23.05))], tile_mm=bad)
        assert "\n" not in str(err.value)
