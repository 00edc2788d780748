"""CUDA kernels under numba's simulator (NUMBA_ENABLE_CUDASIM=1) equal the CPU kernels.

Collected only in the simulator process (see tests/conftest.py and .ci/run). Inputs are tiny:
the simulator runs every GPU thread as a Python thread.
"""

import os

import numpy as np
import pytest

from victwin.geometry import Grid, tomosynthesis_arc
from victwin.raytrace import (backproject, backproject_interpolated, project_labels,
                              project_volume)

from .reference import random_boxes_phantom, random_rays, ray_views

pytestmark = pytest.mark.cudasim

GRID = Grid(shape=(4, 5, 6), spacing=(1.0, 0.8, 0.6), origin=(0.3, -1.6, 2.5))
VIEWS = tomosynthesis_arc(3, 40.0, 1.0, source_to_rotation_center_mm=30.0,
                          detector_shape=(3, 4), pitch_mm=1.2)


def test_simulator_is_on():
    assert os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"
    import numba

    assert numba.config.ENABLE_CUDASIM


@pytest.fixture(autouse=True)
def _cuda_module_used(request):
    import sys

    yield
    if request.node.name != "test_simulator_is_on":
        assert "victwin.raytrace._cuda" in sys.modules


def test_labels_equal_cpu():
    rng = np.random.default_rng(1)
    labels, _ = random_boxes_phantom(rng, GRID, n_boxes=4, n_labels=4)
    src, end = random_rays(rng, GRID, 2)
    views = ray_views(src, end)
    cpu = project_labels(labels, GRID, views, 4, backend="cpu")
    gpu = project_labels(labels, GRID, views, 4, backend="cuda")
    np.testing.assert_array_equal(gpu, cpu)


def test_labels_subrays_equal_cpu():
    rng = np.random.default_rng(2)
    labels, _ = random_boxes_phantom(rng, GRID, n_boxes=4, n_labels=3)
    cpu = project_labels(labels, GRID, VIEWS[:2], 3, backend="cpu", rays_per_pixel=2)
    gpu = project_labels(labels, GRID, VIEWS[:2], 3, backend="cuda", rays_per_pixel=2)
    np.testing.assert_allclose(gpu, cpu, rtol=2e-7, atol=1e-6)


def test_forward_and_backproject_equal_cpu():
    rng = np.random.default_rng(3)
    x = rng.random(GRID.shape).astype(np.float32)
    y = rng.random((3, 3, 4)).astype(np.float32)
    np.testing.assert_array_equal(project_volume(x, GRID, VIEWS, backend="cuda"),
                                  project_volume(x, GRID, VIEWS, backend="cpu"))
    # atomic adds on the GPU and chunked sums on the CPU add in different orders
    np.testing.assert_allclose(backproject(y, GRID, VIEWS, backend="cuda"),
                               backproject(y, GRID, VIEWS, backend="cpu"), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("average", [True, False])
def test_interpolated_backprojection_equals_cpu(average):
    rng = np.random.default_rng(4)
    q = rng.normal(size=(len(VIEWS), 3, 4)).astype(np.float32)
    grid = Grid(shape=(2, 3, 4), spacing=(1.0, 0.8, 0.6), origin=(-1.0, -0.8, 5.0))
    cpu = backproject_interpolated(q, grid, VIEWS, average=average, backend="cpu")
    gpu = backproject_interpolated(q, grid, VIEWS, average=average, backend="cuda")
    assert np.count_nonzero(cpu) > 0
    np.testing.assert_allclose(gpu, cpu, rtol=1e-5, atol=1e-6)
