"""The water-equivalent scatter path on the CUDA view step (numba simulator, NumPy standing in
for CuPy): a tiny chest-pa case over lung, soft tissue and bone equals the CPU path, and the
path changes the image (the weights reach the device step).

Collected only in the simulator process (tests/conftest.py, .ci/run); tiny inputs.
"""

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest

from victwin import systems
from victwin.acquisition import acquire
from victwin.geometry import Grid

pytestmark = pytest.mark.cudasim


def _small_chest():
    import tomllib

    with open(systems.load("chest-pa").source, "rb") as fh:
        data = tomllib.load(fh)
    data["geometry"]["detector_shape"] = [12, 8]
    data["geometry"]["pitch_mm"] = 20.0
    data["geometry"]["binning"] = 1
    return systems.from_dict(data, source="chest-pa-tiny")


def _phantom():
    rng = np.random.default_rng(5)
    grid = Grid(shape=(4, 6, 5), spacing=(30.0, 20.0, 20.0), origin=(-40.0, -50.0, 20.0))
    labels = rng.integers(1, 4, size=grid.shape).astype(np.uint8)
    labels[:, :, 0] = 0
    return SimpleNamespace(labels=labels, grid=grid, lesions=(),
                           materials={0: "air", 1: "lung_parenchyma", 2: "soft_tissue",
                                      3: "bone"}, meta={})


def test_water_equivalent_path_on_the_cuda_step_equals_cpu():
    system = _small_chest()
    assert system.scatter.path == "water_equivalent"
    kw = dict(seed=3, progress=False, mas=1.5e-5, noise=False)   # open field ~7400 ADU
    cpu = acquire(_phantom(), system, backend="cpu", **kw)
    gpu = acquire(_phantom(), system, backend="cuda", **kw)
    assert cpu.raw.min() < cpu.raw.max() < 2 ** 14 - 1
    assert np.max(np.abs(cpu.raw.astype(int) - gpu.raw.astype(int))) <= 1
    geo = dataclasses.replace(system, scatter=dataclasses.replace(system.scatter,
                                                                  path="geometric"))
    other = acquire(_phantom(), geo, backend="cuda", **kw)
    assert np.max(np.abs(other.raw.astype(int) - gpu.raw.astype(int))) > 5
