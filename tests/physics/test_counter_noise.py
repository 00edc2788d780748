"""The counter-based noise of the GPU path (CPU build of the same kernels): Philox4x32-10
against its published known-answer vectors, Poisson and Gaussian draws against their
analytic moments, and the device detector, scatter and readout against the CPU functions."""

import math

import numpy as np
import pytest

from victwin.physics import A_SE_VICTRE, Detector, detect, digitize, noise_generator
from victwin.physics import scatter_image
from victwin.physics._device_stages import detect_xp, digitize_xp, scatter_image_xp
from victwin.physics._noise_kernels import noise_key, normal, poisson
from victwin.physics._philox import philox4x32

U = np.uint64


# Random123 1.09, examples/kat_vectors (Salmon et al. 2011): philox4x32 with 10 rounds,
# counter (4 words), key (2 words) -> output (4 words).
@pytest.mark.parametrize("ctr,key,want", [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
])
def test_philox4x32_10_known_answers(ctr, key, want):
    got = philox4x32(*(U(c) for c in ctr), *(U(k) for k in key))
    assert tuple(int(g) for g in got) == want


N = 200_000


@pytest.mark.parametrize("q", [0.3, 4.0, 9.99, 10.0, 37.0, 1.0e4])
def test_poisson_draws_have_poisson_moments(q):
    # both samplers (inversion below 10, PTRS from 10) against the Poisson moments:
    # mean q, variance q; SE of the sample variance sqrt((q + 2 q^2) / n) (Poisson mu4)
    c = poisson(np.full(N, q), (12345, 678), xp=np)
    assert np.all(c == np.round(c)) and c.min() >= 0
    assert abs(c.mean() - q) < 4.0 * math.sqrt(q / N)
    assert abs(c.var() - q) < 4.0 * math.sqrt((q + 2 * q * q) / N)
    # the shape, not only two moments: P(X = mode) against the pmf
    k = math.floor(q)
    pmf = math.exp(-q + k * math.log(q) - math.lgamma(k + 1))
    assert abs(np.mean(c == k) - pmf) < 4.0 * math.sqrt(pmf * (1 - pmf) / N)


def test_poisson_of_zero_and_nonfinite_is_zero():
    c = poisson(np.array([0.0, -1.0, np.nan, np.inf]), (1, 2), xp=np)
    assert np.all(c == 0.0)


def test_normal_draws_have_gaussian_moments():
    z = normal(np.zeros(N), 1.0, (99, 7), xp=np)
    assert abs(z.mean()) < 4.0 / math.sqrt(N)
    assert abs(z.var() - 1.0) < 4.0 * math.sqrt(2.0 / N)
    inside = np.mean(np.abs(z) < 1.0)  # 0.682689 for a standard normal
    assert abs(inside - 0.6826894921) < 4.0 * math.sqrt(0.2173 / N)
    # neighbouring pixels (consecutive counters) uncorrelated
    r = np.corrcoef(z[:-1], z[1:])[0, 1]
    assert abs(r) < 4.0 / math.sqrt(N)


def test_draws_are_a_function_of_key_and_pixel_only():
    q = np.linspace(0.0, 50.0, 5000)
    a = poisson(q, (5, 6), xp=np)
    assert np.array_equal(a, poisson(q, (5, 6), xp=np))
    assert not np.array_equal(a, poisson(q, (5, 7), xp=np))
    # pixel i's draw does not depend on the array around it
    assert np.array_equal(poisson(q[:1000], (5, 6), xp=np), a[:1000])
    assert np.array_equal(noise_key(noise_generator(3, case=1, modality="x", view=2)),
                          noise_key(noise_generator(3, case=1, modality="x", view=2)))


CSI = Detector(kind="indirect", material="csi", thickness_mm=0.6, pitch_mm=0.148,
               energy_per_electron_ev=20.0, swank=0.8, electronic_noise_e=1500.0,
               gain_adu_per_e=0.01, offset_adu=50.0, light_spread_mm=0.1)


@pytest.mark.parametrize("det,binning", [(A_SE_VICTRE, 1), (A_SE_VICTRE, 2), (CSI, 1)])
def test_device_detector_matches_cpu_statistics(det, binning):
    # a flat field of 20 keV quanta: the CPU detector (NumPy stream) and the device one
    # (counter-based) must agree in mean and variance per pixel within standard errors
    n = 384
    e1 = np.full((n, n), 3.0e4)
    e2 = e1 * 21.0
    cpu = detect(e1, e2, det, noise_generator(1, view=0), binning=binning)
    dev = detect_xp(e1, e2, det, (77, 88), xp=np, backend="cpu", binning=binning)
    # the light spread (exponential, 0.68 px long here) correlates neighbours: compare the
    # centre, and count the correlated pixels as a quarter as many independent ones
    spread = det.kind == "indirect"
    if spread:
        cpu, dev = cpu[32:-32, 32:-32], dev[32:-32, 32:-32]
    m = cpu.size / (4.0 if spread else 1.0)
    se_mean = math.sqrt(cpu.var() / m)
    assert abs(dev.mean() - cpu.mean()) < 5.0 * math.sqrt(2) * se_mean
    # variance of the sample variance ~ 2 var^2 / m for near-Gaussian values
    se_var = math.sqrt(2.0 / m) * cpu.var()
    assert abs(dev.var() - cpu.var()) < 5.0 * math.sqrt(2) * se_var
    # noise free: the expected values are the CPU's
    np.testing.assert_allclose(detect_xp(e1, e2, det, None, xp=np, backend="cpu",
                                         binning=binning),
                               detect(e1, e2, det, None, binning=binning), rtol=1e-12)


def test_device_mcgpu_detector_matches_cpu_statistics():
    from dataclasses import replace

    det = replace(A_SE_VICTRE, noise_model="mcgpu")
    n = 256
    e1 = np.full((n, n), 3.0e4)
    e2 = e1 * 21.0
    prim = 0.7 * e1
    cpu = detect(e1, e2, det, noise_generator(2, view=0), primary_kev=prim)
    dev = detect_xp(e1, e2, det, (5, 9), xp=np, backend="cpu", primary_kev=prim)
    m = cpu.size
    assert abs(dev.mean() - cpu.mean()) < 5.0 * math.sqrt(2.0 * cpu.var() / m)
    assert abs(dev.var() - cpu.var()) < 5.0 * math.sqrt(2) * math.sqrt(2.0 / m) * cpu.var()
    assert np.array_equal(digitize_xp(dev, det, xp=np), digitize(dev, det))


def test_device_scatter_equals_cpu_scatter():
    rng = np.random.default_rng(3)
    nv, nu = 90, 70
    yy, xx = np.mgrid[:nv, :nu]
    tissue = np.clip(45.0 - 0.02 * ((yy - 45) ** 2 + xx ** 2), 0, None) \
        + rng.random((nv, nu))
    tissue[:, -5:] = 0.0
    primary = 1e4 * np.exp(-0.05 * tissue) * (1 + 0.1 * rng.random((nv, nu)))
    for pitch in (0.34, 0.68, 2.0):
        want = scatter_image(primary, tissue, pitch)
        got = scatter_image_xp(primary, tissue, pitch, xp=np)
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12 * want.max())
    assert not scatter_image_xp(primary, np.zeros_like(tissue), 0.5, xp=np).any()


def _numpy_as_other_module():
    """NumPy under another module object: the device branch of a function that keeps NumPy's
    own path for ``xp is np`` (as CuPy's arrays would take it)."""
    import types

    xp = types.ModuleType("numpy_stand_in")
    for name in dir(np):
        setattr(xp, name, getattr(np, name))
    return xp


def test_device_scatter_kernel_equals_cpu_kernel():
    from victwin.physics._device_stages import _scatter_kernel_xp
    from victwin.physics._scatter import scatter_kernel

    xp = _numpy_as_other_module()
    for lam, pitch, half in [(10.0, 2.04, 40), (3.3, 0.5, 7), (25.0, 2.0, 0)]:
        want = scatter_kernel(lam, pitch, half)
        got = _scatter_kernel_xp(lam, pitch, half, xp)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)


def test_padded_fft_convolution_equals_scipy():
    from scipy.signal import fftconvolve

    from victwin.physics._device_stages import _fftconvolve_same

    rng = np.random.default_rng(4)
    image, kernel = rng.random((23, 17)), rng.random((9, 9))
    want = fftconvolve(image, kernel, mode="same")
    for shape in (None, (31, 25), (64, 60)):
        np.testing.assert_allclose(_fftconvolve_same(image, kernel, np, shape), want,
                                   rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="smaller than the linear convolution"):
        _fftconvolve_same(image, kernel, np, (30, 25))
