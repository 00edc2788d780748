"""Channel sets against their defining formulas and properties."""

import math

import numpy as np
import pytest
from scipy import ndimage

import victwin.readers as R


def _laguerre_explicit(n, x):
    """L_n(x) = sum_k C(n, k) (-1)^k x^k / k! (Abramowitz & Stegun 22.3.9)."""
    return sum(math.comb(n, k) * (-1) ** k * x ** k / math.factorial(k) for k in range(n + 1))


@pytest.mark.parametrize("width_px", [30.0, 25.0])
def test_lg_2d_orthonormal(width_px):
    """VICTRE widths (30 px DM, 25 px DBT), 5 channels: U^T U = I to 1e-6 on 256 x 256."""
    U = R.laguerre_gauss((256, 256), n_channels=5, width_px=width_px).reshape(5, -1)
    assert np.abs(U @ U.T - np.eye(5)).max() < 1e-6


def test_lg_3d_orthonormal_anisotropic():
    U = R.laguerre_gauss((41, 61, 61), n_channels=4, width_px=(6.0, 9.0, 9.0)).reshape(4, -1)
    assert np.abs(U @ U.T - np.eye(4)).max() < 1e-6


def test_lg_2d_shape_matches_gallas_barrett_formula():
    """u_j(r) = sqrt(2)/a exp(-pi r^2/a^2) L_j(2 pi r^2/a^2), with L_j from the explicit sum."""
    a = 7.0
    U = R.laguerre_gauss((31, 31), n_channels=4, width_px=a)
    yy, xx = np.mgrid[0:31, 0:31] - 15
    r2 = (xx ** 2 + yy ** 2) / a ** 2
    for j in range(4):
        ref = np.sqrt(2) / a * np.exp(-np.pi * r2) * _laguerre_explicit(j, 2 * np.pi * r2)
        np.testing.assert_allclose(U[j], ref, rtol=1e-12, atol=1e-15)


def test_lg_width_mm_equals_width_px():
    a = R.laguerre_gauss((65, 65), n_channels=5, width_mm=2.55, spacing_mm=0.085)
    b = R.laguerre_gauss((65, 65), n_channels=5, width_px=30.0)
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-15)


def test_lg_errors():
    with pytest.raises(ValueError, match="exactly one of width_px and width_mm"):
        R.laguerre_gauss((9, 9), n_channels=3)
    with pytest.raises(ValueError, match="spacing_mm"):
        R.laguerre_gauss((9, 9), n_channels=3, width_mm=1.0)
    with pytest.raises(ValueError, match="n_channels"):
        R.laguerre_gauss((9, 9), n_channels=0, width_px=3)


@pytest.mark.parametrize("kind,n,s0,alpha,q", [("dense", 10, 0.005, 1.4, 1.67),
                                              ("sparse", 3, 0.015, 2.0, 2.0)])
def test_dog_spectrum_and_one_based_index(kind, n, s0, alpha, q):
    """The DFT of channel i is proportional to C_j(rho) with j = i + 1 (Abbey & Barrett
    2001 parameters), i.e. the pinned one-based index."""
    shape = (64, 64)
    U = R.difference_of_gaussians(shape, kind=kind)
    assert U.shape == (n,) + shape
    fy, fx = np.meshgrid(np.fft.fftfreq(64), np.fft.fftfreq(64), indexing="ij")
    rho = np.hypot(fx, fy)
    for i in range(n):
        sj = s0 * alpha ** (i + 1)
        prof = np.exp(-0.5 * (rho / (q * sj)) ** 2) - np.exp(-0.5 * (rho / sj) ** 2)
        spec = np.real(np.fft.fft2(np.fft.ifftshift(U[i])))
        k = np.sum(spec * prof) / np.sum(prof * prof)
        np.testing.assert_allclose(spec, k * prof, atol=1e-10 * np.abs(spec).max())
        assert np.sum(U[i] ** 2) == pytest.approx(1.0)


def test_dog_zero_based_reproduced_by_sigma0_over_alpha():
    """LCD_CT's zero-based sigma_j = 0.015 * 2^j, j = 0..2, via sigma0 = 0.015 / 2."""
    U = R.difference_of_gaussians((32, 32), kind="sparse", sigma0_cyc_per_px=0.015 / 2.0)
    fy, fx = np.meshgrid(np.fft.fftfreq(32), np.fft.fftfreq(32), indexing="ij")
    rho = np.hypot(fx, fy)
    for j in range(3):
        sj = 0.015 * 2.0 ** j
        prof = np.exp(-0.5 * (rho / (2 * sj)) ** 2) - np.exp(-0.5 * (rho / sj) ** 2)
        spec = np.real(np.fft.fft2(np.fft.ifftshift(U[j])))
        np.testing.assert_allclose(spec / np.linalg.norm(spec), prof / np.linalg.norm(prof),
                                   atol=1e-10)


def test_gabor_formula_and_spectral_peak():
    """Direct evaluation of one channel, unit norm, and the DFT magnitude peaking at the
    band centre frequency along the channel orientation."""
    U = R.gabor((128, 128))
    assert U.shape == (40, 128, 128)
    np.testing.assert_allclose(np.sum(U.reshape(40, -1) ** 2, axis=1), 1.0)
    # band 3 (1/16..1/8), orientation 36 deg, phase 90 deg -> index 2*10 + 1*2 + 1 = 23
    lo, hi = 1 / 16, 1 / 8
    fc, ws = (lo + hi) / 2, 4 * np.log(2) / (np.pi * (hi - lo))
    yy, xx = np.mgrid[0:128, 0:128] - 64.0
    t = np.deg2rad(36.0)
    ref = np.exp(-4 * np.log(2) * (xx ** 2 + yy ** 2) / ws ** 2) * np.cos(
        2 * np.pi * fc * (xx * np.cos(t) + yy * np.sin(t)) + np.pi / 2)
    ref /= np.linalg.norm(ref)
    np.testing.assert_allclose(U[23], ref, atol=1e-12)
    spec = np.abs(np.fft.fftshift(np.fft.fft2(U[23])))
    ky, kx = np.unravel_index(np.argmax(spec), spec.shape)
    f = np.array([kx - 64, ky - 64]) / 128.0
    if f[0] < 0:
        f = -f
    assert np.hypot(*f) == pytest.approx(fc, abs=1 / 128)
    assert np.rad2deg(np.arctan2(f[1], f[0])) == pytest.approx(36.0, abs=5.0)


def test_convolutional_channels_match_scipy_wrap_convolution():
    """u_conv = IDFT(|DFT u|^2 DFT s) equals the circular convolution of s with the
    autocorrelation of u, computed with scipy.ndimage (odd grid, centred kernels)."""
    rng = np.random.default_rng(3)
    U = R.laguerre_gauss((15, 15), n_channels=3, width_px=4.0)
    s = rng.normal(size=(15, 15))
    out = R.convolutional_channels(U, s)
    for j in range(3):
        ac = ndimage.correlate(U[j], U[j], mode="wrap")
        ref = ndimage.convolve(s, ac, mode="wrap")
        np.testing.assert_allclose(out[j], ref / np.linalg.norm(ref), atol=1e-10)
    s3 = rng.normal(size=(3, 15, 15))
    out3 = R.convolutional_channels(U, s3)
    assert out3.shape == (3, 3, 15, 15)
    ac = ndimage.correlate(U[1], U[1], mode="wrap")
    ref = np.stack([ndimage.convolve(s3[k], ac, mode="wrap") for k in range(3)])
    np.testing.assert_allclose(out3[1], ref / np.linalg.norm(ref), atol=1e-10)
