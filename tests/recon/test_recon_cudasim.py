"""Reconstruction through the CUDA ray tracer (numba simulator) equals the CPU result.

Collected only in the simulator process (``NUMBA_ENABLE_CUDASIM=1``, see tests/conftest.py
and .ci/run); sizes are tiny because the simulator runs every GPU thread in Python.
"""

import os

import numpy as np
import pytest

from victwin.geometry import Grid, tomosynthesis_arc
from victwin.raytrace import project_volume
from victwin.recon import reconstruct

pytestmark = pytest.mark.cudasim

VIEWS = tomosynthesis_arc(3, 40.0, 50.0, detector_shape=(6, 4), pitch_mm=2.0)
GRID = Grid(shape=(3, 4, 3), spacing=(1.0, 1.5, 1.5), origin=(1.5, -2.25, 20.5))


@pytest.fixture(scope="module")
def p():
    rng = np.random.default_rng(5)
    x = rng.uniform(0.0, 0.1, GRID.shape).astype(np.float32)
    return project_volume(x, GRID, VIEWS, backend="cpu")


def test_simulator_is_on():
    assert os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"


@pytest.mark.parametrize("method, options", [
    ("sbp", {}),
    ("fbp", {}),
    ("sart", {"n_iter": 1}),
])
def test_cuda_equals_cpu(p, method, options):
    cpu = reconstruct(p, VIEWS, GRID, method, backend="cpu", progress=False, **options)
    cuda = reconstruct(p, VIEWS, GRID, method, backend="cuda", progress=False, **options)
    assert isinstance(cuda, np.ndarray) and cuda.dtype == np.float32
    # Atomic float32 additions in a different order: agreement to float32 rounding.
    scale = float(np.abs(cpu).max())
    assert scale > 0
    np.testing.assert_allclose(cuda, cpu, rtol=0, atol=1e-5 * scale)
