"""Voxel-driven backprojection against an independent reference: SciPy's bilinear
``map_coordinates`` at the pixel coordinates ``View.project`` gives for each voxel centre."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import map_coordinates

from victwin.geometry import Grid, tomosynthesis_arc
from victwin.raytrace import backproject_interpolated


def _reference(q, grid, views, average):
    nz, ny, nx = grid.shape
    iz, iy, ix = np.meshgrid(np.arange(nz), np.arange(ny), np.arange(nx), indexing="ij")
    pts = grid.index_to_world(np.stack([iz, iy, ix], axis=-1).reshape(-1, 3))
    total = np.zeros(len(pts))
    count = np.zeros(len(pts))
    nv, nu = views[0].panel.shape
    for k, view in enumerate(views):
        ji = view.project(pts)
        inside = (ji[:, 0] >= 0) & (ji[:, 0] <= nv - 1) & (ji[:, 1] >= 0) & (ji[:, 1] <= nu - 1)
        vals = map_coordinates(q[k].astype(np.float64), ji.T, order=1, mode="nearest")
        total += np.where(inside, vals, 0.0)
        count += inside
    if average:
        total = np.divide(total, count, out=np.zeros_like(total), where=count > 0)
    return total.reshape(grid.shape)


@pytest.mark.parametrize("average", [True, False])
def test_equals_scipy_bilinear_sampling(average):
    rng = np.random.default_rng(11)
    views = tomosynthesis_arc(7, 40.0, 40.0, detector_shape=(30, 20), pitch_mm=0.5)
    q = rng.normal(size=(7, 30, 20)).astype(np.float32)
    # a grid reaching beyond the detector's footprint, so some voxels are seen by few views
    grid = Grid(shape=(4, 33, 25), spacing=(2.0, 0.45, 0.45), origin=(-0.5, -7.5, 22.0))
    got = backproject_interpolated(q, grid, views, average=average, backend="cpu")
    ref = _reference(q, grid, views, average)
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5)
    assert np.count_nonzero(ref == 0) > 0 and np.count_nonzero(ref) > 0.5 * ref.size


def test_sub_grid_is_the_crop():
    rng = np.random.default_rng(12)
    views = tomosynthesis_arc(5, 30.0, 40.0, detector_shape=(24, 16), pitch_mm=0.5)
    q = rng.normal(size=(5, 24, 16)).astype(np.float32)
    grid = Grid(shape=(5, 20, 14), spacing=(1.5, 0.4, 0.4), origin=(0.5, -4.0, 21.0))
    full = backproject_interpolated(q, grid, views, backend="cpu")
    sub = Grid(shape=(2, 6, 5), spacing=grid.spacing,
               origin=tuple(grid.index_to_world((2, 7, 3))))
    np.testing.assert_array_equal(backproject_interpolated(q, sub, views, backend="cpu"),
                                  full[2:4, 7:13, 3:8])


def test_bad_shapes_are_refused():
    views = tomosynthesis_arc(3, 30.0, 40.0, detector_shape=(4, 4), pitch_mm=0.5)
    grid = Grid(shape=(1, 2, 2), spacing=(1.0, 1.0, 1.0), origin=(0.0, 0.0, 20.0))
    with pytest.raises(ValueError, match="does not match the views"):
        backproject_interpolated(np.zeros((2, 4, 4), np.float32), grid, views)
    with pytest.raises(TypeError, match="grid must be"):
        backproject_interpolated(np.zeros((3, 4, 4), np.float32), "grid", views)
