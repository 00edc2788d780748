"""The body thickness an acquisition reads from a phantom without a recorded thickness (the
chest twins): the z extent of its non-air voxels, found without a per-voxel copy."""

from __future__ import annotations

import tracemalloc
from types import SimpleNamespace

import numpy as np
import pytest

from victwin.acquisition._beam import phantom_thickness_mm
from victwin.geometry import Grid


def _phantom(labels, spacing=(0.5, 1.0, 1.0), materials=None):
    grid = Grid(shape=labels.shape, spacing=spacing, origin=(0.0, 0.0, 0.0))
    return SimpleNamespace(labels=labels, grid=grid, meta={},
                           materials=materials or {0: "air", 1: "water", 2: "air", 7: "bone"})


def test_thickness_is_the_z_extent_of_non_air_voxels():
    lab = np.zeros((40, 5, 6), np.uint8)
    lab[3, 2, 2] = 1            # first body plane: 3
    lab[20:30] = 2              # a second air label counts as air
    lab[27, 0, 5] = 7           # last body plane: 27
    assert phantom_thickness_mm(_phantom(lab)) == pytest.approx((27 - 3 + 1) * 0.5)
    assert phantom_thickness_mm(_phantom(np.where(lab == 7, 0, lab).astype(np.uint8))) \
        == pytest.approx(0.5)
    assert phantom_thickness_mm(_phantom(np.zeros((4, 3, 3), np.uint8))) == 0.0
    # labels of another integer type give the same extent
    assert phantom_thickness_mm(_phantom(lab.astype(np.int16))) == pytest.approx(12.5)


def test_a_recorded_thickness_wins():
    ph = _phantom(np.ones((4, 2, 2), np.uint8))
    ph.meta = {"thickness_mm": 42.0}
    assert phantom_thickness_mm(ph) == 42.0


def test_thickness_of_a_large_volume_needs_no_per_voxel_copy():
    # 32 M voxels: np.isin over the whole volume held ~11 B per voxel (~350 MB) at once
    lab = np.zeros((200, 400, 400), np.uint8)
    lab[50:150, 100:300, 100:300] = 1
    tracemalloc.start()
    try:
        got = phantom_thickness_mm(_phantom(lab))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert got == pytest.approx(100 * 0.5)
    assert peak < 0.1 * lab.nbytes + (40 << 20), peak   # one ~16 MB slab and its mask
