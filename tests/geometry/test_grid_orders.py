"""Grid keeps two orders: spacing (z, y, x) like arrays, origin (x, y, z) like points."""

import doctest

import numpy as np

import victwin.geometry._core as core
from victwin.geometry import Grid


def test_the_documented_example_runs():
    assert doctest.testmod(core).failed == 0


def test_spacing_is_array_order_and_origin_is_point_order():
    g = Grid(shape=(4, 5, 6), spacing=(3.0, 2.0, 1.0), origin=(10.0, 20.0, 30.0))
    # The centre of voxel [iz, iy, ix] = [1, 2, 3], worked by hand: x = 10 + 3*1,
    # y = 20 + 2*2, z = 30 + 1*3.
    centre = np.asarray(g.origin) + np.array([3, 2, 1]) * g.spacing_xyz
    assert centre.tolist() == [13.0, 24.0, 33.0]
    assert g.shape_xyz.tolist() == [6, 5, 4]
