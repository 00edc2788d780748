"""The CUDA build of the counter-based noise (run by numba's simulator) gives the draws of
the CPU build, and the device detector and scatter on the CUDA path equal the CPU ones.

Collected only in the simulator process (tests/conftest.py, .ci/run); tiny inputs.
"""

import numpy as np
import pytest

from victwin.physics import A_SE_VICTRE
from victwin.physics._device_stages import detect_xp
from victwin.physics._noise_kernels import normal, poisson

pytestmark = pytest.mark.cudasim


def test_cuda_poisson_and_normal_equal_the_cpu_build():
    # both samplers (inversion below 10, rejection from 10), and q = 0
    q = np.array([0.0, 0.2, 3.0, 9.5, 10.0, 15.0, 120.0, 4.0e3, 2.5e5] * 12)
    key = (2024, 12)
    cpu = poisson(q, key, backend="cpu", xp=np)
    gpu = poisson(q, key, backend="cuda", xp=np)
    assert np.array_equal(gpu, cpu)
    m = np.linspace(-3.0, 3.0, q.size)
    np.testing.assert_allclose(normal(m, 2.0, key, backend="cuda", xp=np),
                               normal(m, 2.0, key, backend="cpu", xp=np), rtol=1e-12,
                               atol=1e-12)


def test_cuda_detector_equals_the_cpu_build():
    e1 = np.linspace(0.0, 4.0e4, 60).reshape(6, 10)
    e2 = e1 * 20.0
    a = detect_xp(e1, e2, A_SE_VICTRE, (3, 4), xp=np, backend="cuda", binning=2)
    b = detect_xp(e1, e2, A_SE_VICTRE, (3, 4), xp=np, backend="cpu", binning=2)
    np.testing.assert_allclose(a, b, rtol=1e-12)
