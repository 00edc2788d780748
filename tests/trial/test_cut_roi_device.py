"""A VOI cut from a full-field volume that stays on the GPU (backend "cuda" trials keep it
there, ``reconstruct_scan(on_device=True)``) equals the cut from the same volume on the host:
only the VOI is copied back (``.get()``). A minimal stand-in for a CuPy array (slicing keeps it
on the "device"; ``.get()`` returns NumPy) checks the host-side handling without a GPU."""

from types import SimpleNamespace

import numpy as np

from victwin.geometry import Grid
from victwin.trial._sites import cut_roi


class _DeviceArray:
    """Slicing returns another device array; NumPy conversion is refused, as CuPy's is."""

    def __init__(self, a):
        self._a = np.asarray(a)
        self.gets = 0

    def __getitem__(self, key):
        return _DeviceArray(self._a[key])

    def __array__(self, *args, **kwargs):
        raise TypeError("implicit conversion to a NumPy array is not allowed")

    def get(self):
        return self._a.copy()


def test_voi_cut_from_a_device_volume_equals_the_host_cut():
    grid = Grid(shape=(6, 20, 16), spacing=(1.0, 0.5, 0.5), origin=(0.25, -4.75, 20.5))
    volume = np.random.default_rng(0).random(grid.shape).astype(np.float32)
    voi = Grid(shape=(3, 4, 5), spacing=grid.spacing,
               origin=tuple(np.asarray(grid.origin) + np.array([2, 3, 1]) * grid.spacing_xyz))
    plan = SimpleNamespace(grid=voi, size_px=(3, 4, 5), center_index=(2, 5, 4),
                           shift_px=(0, 0, 0))
    want, rec = cut_roi(None, plan, None, volume=volume, grid=grid)
    got, rec2 = cut_roi(None, plan, None, volume=_DeviceArray(volume), grid=grid)
    assert isinstance(got, np.ndarray) and got.dtype == np.float32
    np.testing.assert_array_equal(got, want)
    assert rec == rec2
    # the cut is the volume's box at the VOI's first voxel (x 2, y 3, z 1 in (z, y, x) order)
    np.testing.assert_array_equal(want, volume[1:4, 3:7, 2:7])
