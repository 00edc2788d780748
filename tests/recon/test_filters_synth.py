"""The FBP filter's pieces against their definitions, and the synthesised 2D image."""

import math

import numpy as np
import pytest

from victwin.geometry import tomosynthesis_arc
from victwin.recon import dbt_grid, fbp_response, synthesize_2d
from victwin.recon._filters import discrete_ramp, fbp_filter, padded_length


def test_discrete_ramp_is_abs_frequency_away_from_dc():
    """Kak & Slaney eq. 3.61: the sampled band-limited ramp has response ~|nu| (with a small
    positive DC term instead of 0)."""
    n_pad, pitch = 512, 0.1
    nu = np.fft.rfftfreq(n_pad, d=pitch)
    r = discrete_ramp(n_pad, pitch)
    band = (nu > 0.05 / pitch) & (nu < 0.45 / pitch)
    np.testing.assert_allclose(r[band], nu[band], rtol=0.02)
    assert 0 < r[0] < nu[1]


def test_filter_floor_window_and_slice_thickness():
    kw = dict(angular_range_deg=52.08, thickness_mm=40.0, magnification=1.07)
    n, pitch = 300, 0.1
    nu = np.fft.rfftfreq(padded_length(n), d=pitch)
    plain = fbp_filter(n, pitch, window="none", slice_thickness_mm=None, **kw)
    nu_c = 1.0 / (math.radians(52.08) * 40.0)
    # the floor: gain 1 at DC (plus the discrete ramp's small DC term), ramp/nu_c far above
    assert plain[0] == pytest.approx(1.0, abs=1e-2)
    hi = (nu * 1.07 > 50 * nu_c) & (nu < 4.0)
    np.testing.assert_allclose(plain[hi], nu[hi] * 1.07 / nu_c, rtol=0.03)
    # Hann: zero from the cut-off on, half gain at half the cut-off
    hann = fbp_filter(n, pitch, window="hann", cutoff=0.8, slice_thickness_mm=None, **kw)
    nyq = 0.5 / pitch
    assert np.all(hann[nu >= 0.8 * nyq] == 0)
    k = np.argmin(np.abs(nu - 0.4 * nyq))
    assert hann[k] / plain[k] == pytest.approx(0.5 * (1 + math.cos(math.pi * nu[k] / (0.8 * nyq))))
    # Butterworth: 1/2 at the cut-off frequency
    bw = fbp_filter(n, pitch, window="butterworth", cutoff=0.5, order=4, slice_thickness_mm=None,
                    **kw)
    k = np.argmin(np.abs(nu - 0.5 * nyq))
    assert bw[k] / plain[k] == pytest.approx(1.0 / (1.0 + (nu[k] / (0.5 * nyq)) ** 8))
    # slice thickness: zero beyond 1 / (dz tan(alpha)) in object frequency
    st = fbp_filter(n, pitch, window="none", slice_thickness_mm=1.0, **kw)
    nu_st = 1.0 / math.tan(math.radians(52.08 / 2))
    assert np.all(st[nu * 1.07 >= nu_st] == 0)
    assert np.all(st[nu * 1.07 < 0.99 * nu_st] > 0)


def test_fbp_response_reads_the_scan():
    """The filter runs along the source motion (y for VICTRE's arc about x), with the
    effective range n/(n-1) x 50 degrees seen from the rotation axis (the grid's centre
    here: 20 + 60 / 2 = 50 mm)."""
    views = tomosynthesis_arc(25, 50.0, 50.0, detector_shape=(100, 60), pitch_mm=0.2)
    grid = dbt_grid(views, 60.0)
    _, axis, info = fbp_response(views, grid)
    assert axis == -2
    assert info.angular_range_deg == pytest.approx(50.0 * 25 / 24, rel=1e-3)
    views_y = tomosynthesis_arc(9, 30.0, 50.0, detector_shape=(100, 60), pitch_mm=0.2,
                                rotation_axis="y")
    assert fbp_response(views_y, dbt_grid(views_y, 40.0))[1] == -1


def test_dbt_grid_defaults():
    """In-plane voxel = pitch demagnified to the support; 1 mm slices over the thickness;
    chest wall at x = 0."""
    views = tomosynthesis_arc(25, 50.0, 50.0, detector_shape=(3000, 1500), pitch_mm=0.085)
    g = dbt_grid(views, 45.0)
    assert g.spacing[1] == pytest.approx(0.085 * 630.0 / 650.0)
    assert g.shape[0] == 45 and g.spacing[0] == 1.0
    assert g.lower_mm[0] == pytest.approx(0.0)
    assert g.lower_mm[2] == pytest.approx(20.0) and g.upper_mm[2] == pytest.approx(65.0)
    assert g.shape[2] == int(1500 * 0.085 / g.spacing[2])


def test_synthesized_2d():
    rng = np.random.default_rng(3)
    v = rng.normal(0.05, 0.01, (8, 5, 6)).astype(np.float32)
    v[3, 2, 2] = 0.8  # a calcification
    np.testing.assert_array_equal(synthesize_2d(v, "mip"), v.max(axis=0))
    np.testing.assert_allclose(synthesize_2d(v, "average"), v.mean(axis=0), rtol=1e-6)
    w = synthesize_2d(v, "weighted")
    assert np.all(w <= v.max(axis=0) + 1e-6) and np.all(w >= v.mean(axis=0) - 1e-6)
    # the calcification keeps most of its contrast; the limits are MIP and average
    assert w[2, 2] > 0.5 * 0.8
    np.testing.assert_allclose(synthesize_2d(v, "weighted", temperature=1e-4), v.max(axis=0),
                               atol=1e-3)
    np.testing.assert_allclose(synthesize_2d(v, "weighted", temperature=1e4), v.mean(axis=0),
                               atol=1e-5)
    with pytest.raises(ValueError, match="method must be one of"):
        synthesize_2d(v, "sum")
    with pytest.raises(ValueError, match="3-D"):
        synthesize_2d(v[0], "mip")
