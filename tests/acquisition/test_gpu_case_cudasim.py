"""A case on the CUDA path (numba simulator, NumPy standing in for CuPy): noise-free it equals
the CPU path, with noise it is reproducible and has the CPU path's noise level, and the
acquisition says where each stage ran.

Collected only in the simulator process (tests/conftest.py, .ci/run); tiny inputs.
"""

from types import SimpleNamespace

import numpy as np
import pytest

from victwin import systems
from victwin.acquisition import acquire, load
from victwin.geometry import Grid
from victwin.recon import reconstruct

pytestmark = pytest.mark.cudasim


def _small(name):
    import tomllib

    with open(systems.load(name).source, "rb") as fh:
        data = tomllib.load(fh)
    data["geometry"]["detector_shape"] = [12, 6]
    data["geometry"]["pitch_mm"] = 20.0
    data["geometry"]["binning"] = 1
    return systems.from_dict(data, source=f"{name}-tiny")


def _phantom():
    rng = np.random.default_rng(4)
    grid = Grid(shape=(3, 6, 5), spacing=(8.0, 8.0, 8.0), origin=(4.0, -20.0, 24.0))
    labels = rng.integers(1, 3, size=grid.shape).astype(np.uint8)
    labels[:, :, -1] = 0
    return SimpleNamespace(labels=labels, grid=grid, lesions=(),
                           materials={0: "air", 1: "adipose", 2: "glandular"},
                           meta={"thickness_mm": 24.0, "glandular_fraction_mass": 0.4})


# 20 mm pixels collect ~5e4 times the photons of 85 um ones: mAs scaled down to stay unsaturated
CASES = [("mammomat-dm", None, 0.002), ("mammomat-dbt", [0, 12, 24], 0.005)]


@pytest.mark.parametrize("name,views,mas", CASES)
def test_cuda_path_equals_cpu_without_noise(name, views, mas, tmp_path):
    system = _small(name)
    kw = dict(seed=9, case=2, views=views, rays_per_pixel=2, progress=False, mas=mas,
              noise=False)
    cpu = acquire(_phantom(), system, backend="cpu", **kw)
    gpu = acquire(_phantom(), system, backend="cuda", **kw)
    assert cpu.raw.min() < cpu.raw.max()  # the phantom casts a shadow
    # primary, scatter (cuFFT stand-in), detector and readout on the CUDA path: the CPU's
    # values up to the rounding of the 14-bit readout
    assert np.max(np.abs(cpu.raw.astype(int) - gpu.raw.astype(int))) <= 1
    np.testing.assert_allclose(gpu.flat_adu, cpu.flat_adu, rtol=1e-6)
    np.testing.assert_allclose(gpu.line_integrals(), cpu.line_integrals(), atol=2e-4)
    assert set(cpu.devices.values()) == {"cpu"}
    want = "cuda (NumPy stand-in)"
    for stage in ("raytrace", "primary", "scatter", "detector", "readout"):
        assert gpu.devices[stage] == want, stage
    assert gpu.devices["presentation"].startswith(want)  # with its 0.5 mm steps on the cpu
    gpu.save(tmp_path / "a", preview=False)
    assert load(tmp_path / "a").devices == gpu.devices
    if views:
        grid = Grid(shape=(2, 3, 3), spacing=(8.0, 8.0, 8.0), origin=(8.0, -8.0, 28.0))
        a = reconstruct(cpu.line_integrals(), cpu.views, grid, thickness_mm=24.0,
                        backend="cpu", progress=False)
        b = reconstruct(gpu.line_integrals(), gpu.views, grid, thickness_mm=24.0,
                        backend="cuda", progress=False)
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-6 * float(np.abs(a).max()))


@pytest.mark.parametrize("name,views,mas", CASES)
def test_cuda_path_noise_is_seeded_and_has_the_cpu_noise_level(name, views, mas):
    system = _small(name)
    kw = dict(seed=9, case=2, views=views, rays_per_pixel=2, progress=False, mas=mas)
    mean = acquire(_phantom(), system, backend="cuda", noise=False, **kw).raw.astype(float)
    a = acquire(_phantom(), system, backend="cuda", **kw)
    b = acquire(_phantom(), system, backend="cuda", **kw)
    assert np.array_equal(a.raw, b.raw)          # seeded: the same case gives the same bytes
    other = acquire(_phantom(), system, backend="cuda", **dict(kw, seed=10))
    assert not np.array_equal(a.raw, other.raw)  # another seed, other noise
    cpu = acquire(_phantom(), system, backend="cpu", **kw).raw.astype(float)
    d_gpu, d_cpu = a.raw - mean, cpu - mean
    n = d_gpu.size
    # same model, other streams: noise level within the sampling error of n pixels
    # (variance ratio of two samples of n: log-ratio SE ~ 2 / sqrt(n))
    assert abs(np.log(d_gpu.var() / d_cpu.var())) < 4.0 * 2.0 / np.sqrt(n)
    assert abs(d_gpu.mean()) < 4.0 * d_gpu.std() / np.sqrt(n)
