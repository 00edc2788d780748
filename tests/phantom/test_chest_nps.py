"""The lung-field NPS exponent estimator against noise of known power-law spectrum."""

import numpy as np
import pytest

from victwin.phantom.chest.measure import beta_bootstrap_ci, fit_beta, roi_periodograms


def _power_law_field(beta, n=1024, pixel_mm=0.5, seed=0):
    """Gaussian field whose power spectrum is exactly ``f^-beta`` (analytic construction:
    white noise filtered by ``f^(-beta/2)``)."""
    rng = np.random.default_rng(seed)
    f = np.fft.fftfreq(n, d=pixel_mm)
    fr = np.hypot(*np.meshgrid(f, f, indexing="ij"))
    fr[0, 0] = np.inf
    return np.real(np.fft.ifft2(np.fft.fft2(rng.standard_normal((n, n))) * fr ** (-beta / 2)))


@pytest.mark.parametrize("beta", [2.0, 3.0])
def test_beta_of_synthetic_power_law_noise(beta):
    img = _power_law_field(beta)
    centres = [(r, c) for r in range(64, 1024 - 64, 128) for c in range(64, 1024 - 64, 128)]
    f, p = roi_periodograms(img, 0.5, centres, roi_px=96)
    assert p.shape == (len(centres), len(f))
    b, (lo, hi) = beta_bootstrap_ci(f, p, (0.1, 0.7), n_boot=300)
    # the Hann window leaks a little low-frequency power into the band: within 0.15
    assert b == pytest.approx(beta, abs=0.15)
    assert lo <= b <= hi and hi - lo < 0.3


def test_fit_beta_needs_bins():
    with pytest.raises(ValueError, match="frequency bins"):
        fit_beta(np.array([0.1, 0.2]), np.array([1.0, 0.5]), (0.1, 0.7))
