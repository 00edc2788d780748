"""Source blur on the CUDA ray tracer (numba simulator): same images as the CPU path.

Collected only in the simulator process (tests/conftest.py, .ci/run); tiny inputs.
"""

import tomllib

import numpy as np
import pytest

from victwin import systems
from victwin.acquisition import acquire
from victwin.geometry import Grid
from types import SimpleNamespace

pytestmark = pytest.mark.cudasim


def test_blurred_dbt_views_equal_cpu():
    with open(systems.load("victre-dbt").source, "rb") as fh:
        data = tomllib.load(fh)
    data["geometry"]["detector_shape"] = [6, 5]
    data["geometry"]["pitch_mm"] = 0.5
    data["scatter"] = {"enabled": False}
    data["blur"].update({"n_focal": 2, "n_motion": 2})
    system = systems.from_dict(data, source="victre-dbt-tiny")
    grid = Grid(shape=(2, 3, 4), spacing=(0.5, 0.5, 0.5), origin=(0.5, -0.5, 40.0))
    labels = np.ones((2, 3, 4), np.uint8)
    # a phantom-like value with writable labels: without CuPy the simulator (like numba on a
    # GPU) copies kernel arguments back to the host, which a frozen Phantom's labels refuse
    ph = SimpleNamespace(labels=labels, grid=grid, lesions=(), meta={"thickness_mm": 40.0},
                         materials={0: "air", 1: "calcium_oxalate_victre"})
    kw = dict(seed=3, noise=False, views=[0, 12], mas=2.0, rays_per_pixel=1, progress=False)
    cpu = acquire(ph, system, backend="cpu", **kw)
    gpu = acquire(ph, system, backend="cuda", **kw)
    assert cpu.raw.min() < cpu.raw.max()            # the object casts a shadow
    assert np.max(np.abs(cpu.raw.astype(int) - gpu.raw.astype(int))) <= 1
