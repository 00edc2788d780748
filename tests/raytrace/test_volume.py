"""project_volume against analytic chords, and the dot-product test for backproject."""

import numpy as np
import pytest

from victwin.geometry import Grid, tomosynthesis_arc
from victwin.raytrace import RayTransform, backproject, project_volume

from .reference import box_chord, random_rays, ray_views


def test_constant_box_matches_analytic_chord():
    grid = Grid(shape=(9, 10, 12), spacing=(0.5, 0.8, 0.6), origin=(-3.0, 1.0, 12.0))
    mu = 0.0731  # 1/mm
    vol = np.zeros(grid.shape, np.float32)
    vol[2:7, 3:8, 1:10] = mu
    lo = grid.lower_mm + np.array([1, 3, 2]) * grid.spacing_xyz
    hi = grid.lower_mm + np.array([10, 8, 7]) * grid.spacing_xyz
    rng = np.random.default_rng(2)
    src, end = random_rays(rng, grid, 30)
    got = project_volume(vol, grid, ray_views(src, end), backend="cpu")[:, 0, 0]
    np.testing.assert_allclose(got, mu * box_chord(src, end, lo, hi), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("seed", [0, 1])
def test_dot_product_adjoint(seed):
    rng = np.random.default_rng(seed)
    grid = Grid(shape=(6, 11, 9), spacing=(1.0, 0.5, 0.7), origin=(0.3, -2.5, 3.5))
    views = tomosynthesis_arc(5, 50.0, 4.0, source_to_rotation_center_mm=40.0,
                              detector_shape=(13, 10), pitch_mm=0.8)
    x = rng.random(grid.shape).astype(np.float32)
    y = rng.random((5, 13, 10)).astype(np.float32)
    A = RayTransform(grid, views, backend="cpu")
    lhs = float(np.dot(A(x).ravel().astype(np.float64), y.ravel()))
    rhs = float(np.dot(x.ravel().astype(np.float64), A.T(y).ravel()))
    assert abs(lhs - rhs) <= 1e-5 * abs(lhs)
    assert A.T.T is A


def test_dot_product_random_rays_every_kind():
    rng = np.random.default_rng(4)
    grid = Grid(shape=(5, 6, 7), spacing=(1.1, 0.9, 0.6), origin=(0.0, 0.0, 0.0))
    src, end = random_rays(rng, grid, 15)
    views = ray_views(src, end)
    x = rng.random(grid.shape).astype(np.float32)
    y = rng.random((len(views), 1, 1)).astype(np.float32)
    lhs = np.vdot(project_volume(x, grid, views, backend="cpu").astype(np.float64), y)
    rhs = np.vdot(x.astype(np.float64), backproject(y, grid, views, backend="cpu"))
    assert abs(lhs - rhs) <= 1e-5 * abs(lhs)


def test_backproject_reproducible():
    rng = np.random.default_rng(9)
    grid = Grid(shape=(4, 8, 8), spacing=(1.0, 1.0, 1.0), origin=(0.5, -3.5, 2.5))
    views = tomosynthesis_arc(3, 30.0, 3.0, source_to_rotation_center_mm=50.0,
                              detector_shape=(10, 10), pitch_mm=1.0)
    y = rng.random((3, 10, 10)).astype(np.float32)
    np.testing.assert_array_equal(backproject(y, grid, views, backend="cpu"),
                                  backproject(y, grid, views, backend="cpu"))
