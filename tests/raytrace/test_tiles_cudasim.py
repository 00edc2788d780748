"""Tiled label traces on the CUDA path (numba simulator) equal the CPU path and the fine
composite traced plainly.

Collected only in the simulator process (tests/conftest.py, .ci/run); tiny inputs: the
simulator runs every GPU thread as a Python thread.
"""

import numpy as np
import pytest

from victwin.geometry import Grid
from victwin.raytrace import iter_project_labels_tiled, project_labels

from .reference import random_rays, ray_views

pytestmark = pytest.mark.cudasim

D = 0.5
SHAPE = (4, 6, 6)
LOWER = np.array([1.0, -1.5, 10.0])
BOX = (slice(1, 3), slice(2, 4), slice(2, 5))     # the tile's coarse index box (z, y, x)


def _grid(d, shape, lower):
    return Grid(shape=shape, spacing=(d, d, d), origin=tuple(lower + d / 2))


def _phantom():
    rng = np.random.default_rng(3)
    coarse = rng.integers(1, 3, size=SHAPE).astype(np.uint8)
    fine = coarse.repeat(2, 0).repeat(2, 1).repeat(2, 2)
    fbox = tuple(slice(2 * s.start, 2 * s.stop) for s in BOX)
    tile = fine[fbox].copy()
    tile[1:3, 1:3, 2:5] = 3                      # a bead of fine voxels off the coarse ones
    fine[fbox] = tile
    tlower = LOWER + np.array([BOX[2].start, BOX[1].start, BOX[0].start]) * D
    return (coarse, _grid(D, SHAPE, LOWER), tile, _grid(D / 2, tile.shape, tlower), fine,
            _grid(D / 2, fine.shape, LOWER))


def test_tiled_cuda_equals_cpu_and_the_fine_composite():
    coarse, grid, tile, tgrid, fine, fgrid = _phantom()
    # rays through the bead in random directions, and rays of every kind (random_rays)
    rng = np.random.default_rng(8)
    p = tgrid.lower_mm + rng.uniform([0.5, 0.25, 0.25], [1.25, 0.75, 0.75], size=(6, 3))
    d = rng.normal(size=(6, 3))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    src, end = random_rays(rng, grid, 1)
    views = ray_views(np.concatenate([p + 20 * d, src]), np.concatenate([p - 20 * d, end]))
    cpu = np.concatenate([p for _, p in iter_project_labels_tiled(
        coarse, grid, [(tile, tgrid)], views, 4, backend="cpu")])
    gpu = np.concatenate([p for _, p in iter_project_labels_tiled(
        coarse, grid, [(tile, tgrid)], views, 4, backend="cuda", view_batch=1)])
    ref = project_labels(fine, fgrid, views, 4, backend="cpu")
    assert (ref[:, 3] > 0).sum() >= 4            # rays cross the bead
    scale = ref.sum(axis=1).max()
    np.testing.assert_allclose(gpu, cpu, rtol=2e-7, atol=1e-6 * scale)
    assert np.abs(gpu - ref).max() <= 2e-6 * scale
