"""``acquire_regions(..., tiles=)`` on the CUDA path (numba simulator, NumPy standing in for
CuPy) equals the CPU path, which tests/acquisition/test_tiles.py checks against the composite
rasterised finely everywhere.

Collected only in the simulator process (tests/conftest.py, .ci/run); a 9 mm DM region at
0.34 mm pixels (~1000 rays), ~15 s.
"""

import numpy as np
import pytest

from victwin.acquisition import acquire_regions

from ._phantom import coarsened
from .test_tiles import _composites

pytestmark = pytest.mark.cudasim


def test_tiled_region_on_cuda_equals_cpu():
    phantom, region, win, tile, fine = _composites("mammomat-dm")
    kw = dict(seed=4, noise=False, progress=False, coarse_phantom=coarsened(phantom, 2),
              binning=4)
    cpu, = acquire_regions(win, "mammomat-dm", [region], windows=[win], tiles=[[tile]],
                           backend="cpu", **kw)
    gpu, = acquire_regions(win, "mammomat-dm", [region], windows=[win], tiles=[[tile]],
                           backend="cuda", **kw)
    assert gpu.devices["raytrace"].startswith("cuda")
    a, b = cpu.line_integrals(), gpu.line_integrals()
    plain, = acquire_regions(win, "mammomat-dm", [region], windows=[win], backend="cpu", **kw)
    assert np.abs(a - plain.line_integrals()).max() > 0.1      # the tile's bead is seen
    assert np.abs(b - a).max() <= 1e-5 * np.abs(a).max()
