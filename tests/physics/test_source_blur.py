"""Focal-spot and motion blur by source sub-positions: slanted-edge MTF through the ray tracer
against the analytic MTF of MC-GPU's source distributions at the edge's magnification."""

import math

import numpy as np
import pytest

from victwin.geometry import FlatPanel, Grid, View
from victwin.physics import SourceBlur, focal_spot_mtf, focal_spot_rule, motion_mtf, motion_rule
from victwin.raytrace import project_volume


def _edge_mtf(blur, *, h_mm, edge_axis, rot_center=None, sid_mm=650.0, pitch=0.01, n=160,
              angle_deg=4.0):
    """MTF of a 1 mm slab (mu t = 0.7) filling the half-space x < 0 (or y < 0) at height h,
    imaged on a fine panel turned by ``angle_deg`` (slanted edge), intensities averaged over
    the blur's sub-sources; oversampled ESF (1/8 pixel bins), no window (noise-free)."""
    if edge_axis == "x":
        grid = Grid(shape=(1, 1, 1), spacing=(1.0, 20.0, 10.0), origin=(-5.0, 0.0, h_mm))
    else:
        grid = Grid(shape=(1, 1, 1), spacing=(1.0, 10.0, 20.0), origin=(0.0, -5.0, h_mm))
    vol = np.full((1, 1, 1), 0.7, np.float32)
    a = math.radians(angle_deg)
    panel = FlatPanel(shape=(n, n), pitch=(pitch, pitch), center=(0.0, 0.0, 0.0),
                      u=(math.cos(a), math.sin(a), 0.0), v=(-math.sin(a), math.cos(a), 0.0))
    subs = blur.sub_views(View(source=(0.0, 0.0, sid_mm), panel=panel),
                          rotation_center_mm=rot_center, rotation_axis=(1.0, 0.0, 0.0))
    views = [v for v, _ in subs]
    w = np.array([w for _, w in subs])
    proj = project_volume(vol, grid, views, backend="cpu").astype(float)
    img = np.tensordot(w, np.exp(-proj), axes=1)
    j, i = np.mgrid[0:n, 0:n]
    x = (i - (n - 1) / 2) * pitch * math.cos(a) - (j - (n - 1) / 2) * pitch * math.sin(a)
    y = (i - (n - 1) / 2) * pitch * math.sin(a) + (j - (n - 1) / 2) * pitch * math.cos(a)
    d = (x if edge_axis == "x" else y).ravel()
    b = pitch / 8
    bins = np.arange(-0.6, 0.6 + b / 2, b)
    k = np.digitize(d, bins) - 1
    ok = (k >= 0) & (k < len(bins) - 1)
    esf = np.bincount(k[ok], img.ravel()[ok], len(bins) - 1) / \
        np.maximum(np.bincount(k[ok], minlength=len(bins) - 1), 1)
    lsf = np.diff(esf)
    mtf = np.abs(np.fft.rfft(lsf))
    f = np.fft.rfftfreq(len(lsf), d=b)
    return f, mtf / mtf[0] / np.abs(np.sinc(f * b))     # undo the finite difference's sinc


@pytest.mark.parametrize("model,h_mm", [("mcgpu", 325.0), ("gaussian", 650.0 * 0.4 / 1.4)])
def test_focal_spot_edge_mtf_matches_analytic(model, h_mm):
    # magnification M = SID / (SID - h): 2 for the MC-GPU spot, 1.4 for the wider Gaussian
    f, m = _edge_mtf(SourceBlur(0.3, model, 0.0, n_focal=8, n_motion=1), h_mm=h_mm,
                     edge_axis="x")
    ref = focal_spot_mtf(f, 0.3, 650.0 / (650.0 - h_mm), model)
    sel = (f > 0) & (ref >= 0.25)
    assert sel.sum() >= 5
    assert np.max(np.abs(m[sel] - ref[sel])) < 0.01
    # MC-GPU's spot (uniform direction, Gaussian radius) is much sharper across the beam than
    # a 2-D Gaussian of the same nominal FWHM: at 4 cycles/mm (M = 2) 0.39 vs 0.06
    if model == "mcgpu":
        q = np.argmin(np.abs(f - 4.0))
        assert ref[q] > 0.35 and focal_spot_mtf(f[q], 0.3, 2.0, "gaussian")[0] < 0.1


def test_motion_edge_mtf_is_sinc_at_the_objects_magnification():
    # DBT: the tube turns 0.18 deg about the axis (1, 0, 0) 600 mm from the source; an edge
    # 50 mm above the detector (SID 650) sees a travel of 600 * 0.18 deg * 50 / 600 mm.
    f, m = _edge_mtf(SourceBlur(0.0, "mcgpu", 0.18, n_focal=1, n_motion=8), h_mm=50.0,
                     edge_axis="y", rot_center=(0.0, 0.0, 50.0))
    travel = 600.0 * math.radians(0.18) * 50.0 / 600.0
    ref = motion_mtf(f, travel)
    sel = (f > 0) & (f <= 0.9 / travel)
    assert np.max(np.abs(m[sel] - ref[sel])) < 0.005


def test_rules_match_the_distributions_moments():
    # MC-GPU spot: per-axis rms = sigma sqrt(E[g^2 | |g| < 2] / 3); E[g^2 | |g|<2] from the
    # normal distribution: 1 - 2 * 2 phi(2) / (2 Phi(2) - 1)
    from scipy.stats import norm

    sigma = 0.3 / (2 * math.sqrt(2 * math.log(2)))
    eg2 = 1 - 4 * norm.pdf(2) / (2 * norm.cdf(2) - 1)
    for n in (2, 3, 5):
        x, w = focal_spot_rule(0.3, n, "mcgpu")
        assert w.sum() == pytest.approx(1.0)
        assert np.dot(w, x * x) == pytest.approx(sigma ** 2 * eg2 / 3, rel=2e-3)
        xg, wg = focal_spot_rule(0.3, n, "gaussian")
        assert np.dot(wg, xg * xg) == pytest.approx(sigma ** 2 * eg2, rel=2e-3)
    a, w = motion_rule(0.18, 4)
    assert np.dot(w, a * a) == pytest.approx(0.18 ** 2 / 12)       # uniform variance


def test_sub_sources_and_bad_values():
    b = SourceBlur(0.3, "mcgpu", 0.18, n_focal=2, n_motion=3)
    pos, w = b.sub_sources((0.0, 100.0, 640.0), towards_mm=(0.0, 0.0, 0.0),
                           rotation_center_mm=(0.0, 0.0, 50.0))
    assert pos.shape == (12, 3) and w.sum() == pytest.approx(1.0)
    # motion keeps the distance to the rotation axis
    r = np.hypot(pos[:, 1], pos[:, 2] - 50.0)
    assert np.allclose(np.sort(r)[[0, -1]], np.hypot(100.0 + np.array([-1, 1]) * 0.0,
                                                     590.0).mean(), atol=0.1)
    assert b.for_scan("dm").motion_arc_deg == 0.0 and b.for_scan("dbt") is b
    assert not SourceBlur().enabled and b.enabled
    for kwargs, key in (({"focal_spot_fwhm_mm": -0.1}, "focal_spot_fwhm_mm"),
                        ({"motion_arc_deg": -1.0}, "motion_arc_deg"),
                        ({"focal_spot_model": "lorentz"}, "focal_spot_model"),
                        ({"n_focal": 0}, "n_focal")):
        with pytest.raises(ValueError, match=key):
            SourceBlur(**kwargs)
