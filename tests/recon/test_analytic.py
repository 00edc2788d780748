"""FBP and normalised SBP on known objects: peak position, artifact spread, uniform slab.

Projections are made with ``project_volume`` of objects voxelised on their own fine grids
(never the reconstruction grid), noiseless or with Poisson noise from ``exp(-p)``.
"""

import math

import numpy as np
import pytest

from victwin.geometry import Grid, tomosynthesis_arc
from victwin.raytrace import project_volume
from victwin.recon import dbt_grid, reconstruct

from ._phantoms import ball, poisson_counts, sbp_asf_ball

HALF_ARC_DEG = 25.0  # VICTRE's Mammomat: 25 views over 50 degrees
SLICE_MM = 1.0

# A 2 mm ball (a small high-contrast sphere) and a 0.3 mm bead (calcification-sized).
BALL = dict(center=(12.13, 0.27, 30.5), diameter=2.0, mu=0.5)
BEAD = dict(center=(3.04, 0.13, 27.3), diameter=0.3, mu=2.0)


@pytest.fixture(scope="module")
def ball_scan():
    views = tomosynthesis_arc(25, 50.0, 50.0, detector_shape=(240, 120), pitch_mm=0.2)
    vol, g = ball(BALL["center"], BALL["diameter"], BALL["mu"])
    p = project_volume(vol, g, views)
    grid = dbt_grid(views, 20.0, extent_x_mm=(6, 18), extent_y_mm=(-6, 6))
    return views, p, grid


@pytest.fixture(scope="module")
def bead_scan():
    views = tomosynthesis_arc(25, 50.0, 50.0, detector_shape=(400, 60), pitch_mm=0.1)
    vol, g = ball(BEAD["center"], BEAD["diameter"], BEAD["mu"], voxel_mm=0.025)
    p = project_volume(vol, g, views)
    grid = dbt_grid(views, 15.0, extent_x_mm=(1, 5), extent_y_mm=(-2, 2))
    return views, p, grid


def _peak_error(volume, grid, center_xyz):
    """Distance (x, y, z) mm from the truth to the peak: the slice with the largest value,
    and in it the centroid of the voxels above half that value (the top of an extended
    object is a plateau, so its arg-max alone is ill-defined)."""
    iz = int(np.argmax(volume.max(axis=(1, 2))))
    sl = volume[iz]
    w = np.where(sl >= 0.5 * sl.max(), sl, 0.0)
    jy, jx = np.indices(sl.shape)
    cy, cx = (w * jy).sum() / w.sum(), (w * jx).sum() / w.sum()
    found = grid.index_to_world((iz, cy, cx))
    return np.abs(found - np.asarray(center_xyz))


def _check_peak(volume, grid, center):
    dx, dy, dz = np.abs(_peak_error(volume, grid, center))
    vz, vy, vx = grid.spacing
    assert dz <= vz, f"peak {dz:.3g} mm from the true depth (slice {vz} mm)"
    assert dx <= vx and dy <= vy, f"peak off by ({dx:.3g}, {dy:.3g}) mm, voxel {vx:.3g} mm"


@pytest.mark.parametrize("method", ["fbp", "sbp"])
def test_ball_peak_in_right_slice_and_pixel(ball_scan, method):
    views, p, grid = ball_scan
    vol = reconstruct(p, views, grid, method, progress=False)
    _check_peak(vol, grid, BALL["center"])


@pytest.mark.parametrize("photons", [None, 2000.0])
def test_bead_peak_in_right_slice_and_pixel(bead_scan, photons):
    views, p, grid = bead_scan
    if photons is None:
        vol = reconstruct(p, views, grid, "fbp", progress=False)
    else:
        counts, flat = poisson_counts(p, photons, seed=7)
        vol = reconstruct(counts, views, grid, "fbp", flat=flat, progress=False)
    _check_peak(vol, grid, BEAD["center"])


def _asf(volume, grid, center, n):
    """ASF(k) for slice offsets k = -n..n at the object's column (Zhang et al. 2006,
    Med Phys 33:3781: the signal in an off-focus slice over the in-focus signal; the object
    is in air, so the background term is zero)."""
    iz, iy, ix = np.round(grid.world_to_index(center)).astype(int)
    col = volume[:, iy - 1:iy + 2, ix - 1:ix + 2].mean(axis=(1, 2))
    return {k: col[iz + k] / col[iz] for k in range(-n, n + 1) if 0 <= iz + k < len(col)}


def expected_half_width_slices(diameter_mm, half_arc_deg=HALF_ARC_DEG, slice_mm=SLICE_MM):
    """Slices within which the ASF must fall under half its peak.

    At a slice offset ``dz`` the views spread an object's shadows over ``dz tan(theta)``,
    ``|theta| <= alpha``; they stop covering the object's own column once ``dz tan(alpha)``
    exceeds its size ``d``. So the ASF half-width is at most ``d / tan(alpha)`` (for a ball,
    the chord-weighted average of ``sbp_asf_ball`` gives ``~pi d / (4 alpha)``, 0.84x that).
    A slice integrates ``+-slice/2`` about its centre, and the object need not sit at a slice
    centre, so half a slice is added: ``ceil(d / (tan(alpha) slice) + 1/2)``. For a 50-degree
    arc and 1 mm slices: 5 slices for the 2 mm ball, 2 for the 0.3 mm bead.
    """
    return math.ceil(diameter_mm / math.tan(math.radians(half_arc_deg)) / slice_mm + 0.5)


def test_sbp_asf_matches_the_analytic_spread(ball_scan):
    views, p, grid = ball_scan
    vol = reconstruct(p, views, grid, "sbp", progress=False)
    measured = _asf(vol, grid, BALL["center"], 8)
    sources = [v.source for v in views]

    def analytic(k):  # averaged over the 1 mm slice the voxel integrates
        dzs = k * SLICE_MM + np.linspace(-0.5, 0.5, 21) * SLICE_MM
        num = np.mean([sbp_asf_ball(dz, BALL["diameter"], BALL["center"], sources)
                       for dz in dzs])
        den = np.mean([sbp_asf_ball(dz, BALL["diameter"], BALL["center"], sources)
                       for dz in np.linspace(-0.5, 0.5, 21) * SLICE_MM])
        return num / den

    for k, value in measured.items():
        assert value == pytest.approx(analytic(k), abs=0.06), f"slice offset {k}"


@pytest.mark.parametrize("obj", ["ball", "bead"])
def test_asf_falls_under_half_within_expected_slices(ball_scan, bead_scan, obj):
    spec, (views, p, grid) = (BALL, ball_scan) if obj == "ball" else (BEAD, bead_scan)
    n_half = expected_half_width_slices(spec["diameter"])
    fbp = _asf(reconstruct(p, views, grid, "fbp", progress=False), grid, spec["center"], 6)
    ramp = _asf(reconstruct(p, views, grid, "fbp", slice_thickness_mm=None, progress=False),
                grid, spec["center"], 6)
    sbp = _asf(reconstruct(p, views, grid, "sbp", progress=False), grid, spec["center"], 6)
    print(f"{obj}: expected half-width <= {n_half} slices; ASF fbp "
          + " ".join(f"{k:+d}:{v:.2f}" for k, v in fbp.items()))
    for k, value in fbp.items():
        if abs(k) >= n_half:
            assert value < 0.5, f"FBP ASF({k:+d}) = {value:.3f}"
            assert sbp[k] < 0.5, f"SBP ASF({k:+d}) = {sbp[k]:.3f}"
        if abs(k) >= 1:
            # The ramp removes the low-frequency blur: without the slice-thickness filter FBP's
            # spread is no wider than SBP's. The voxel-driven backprojector samples each slice's
            # mid-plane, so with the filter (which sets the depth resolution to the slice
            # spacing on purpose) FBP may spread more than SBP within one slice.
            assert ramp[k] <= sbp[k] + 0.05, f"offset {k:+d}: FBP {ramp[k]:.3f} > SBP {sbp[k]:.3f}"
        if abs(k) >= 2:
            assert value <= sbp[k] + 0.05, f"offset {k:+d}: FBP {value:.3f} > SBP {sbp[k]:.3f}"


@pytest.fixture(scope="module")
def slab_scan():
    views = tomosynthesis_arc(25, 50.0, 50.0, detector_shape=(200, 80), pitch_mm=0.3)
    mu = 0.05
    grid = dbt_grid(views, 20.0, voxel_xy_mm=0.5, extent_x_mm=(0, 20), extent_y_mm=(-15, 15))
    # The slab fills the grid's thickness; it is sampled on its own finer grid.
    fine = Grid(shape=(40, 120, 80), spacing=(0.5, 0.25, 0.25),
                origin=(0.125, -14.875, grid.lower_mm[2] + 0.25))
    p = project_volume(np.full(fine.shape, mu, np.float32), fine, views)
    return views, p, grid, mu


@pytest.mark.parametrize("method, tol", [("sbp", 0.005), ("fbp", 0.02)])
def test_uniform_slab_reconstructs_flat(slab_scan, method, tol):
    """Inside the field every view sees (at least T tan(alpha) = 9.3 mm from the slab's
    sides along the scan direction), the slab reconstructs to mu within ``tol`` (relative)
    in every voxel: no cupping."""
    views, p, grid, mu = slab_scan
    vol = reconstruct(p, views, grid, method, progress=False)
    y, x = grid.axis_mm("y"), grid.axis_mm("x")
    inner = vol[:, np.abs(y) <= 5.0][:, :, (x >= 2.0) & (x <= 18.0)]
    rel = np.abs(inner / mu - 1.0)
    print(f"{method}: max |rel. error| {rel.max():.4f}, centre {vol[10, len(y) // 2, 20]:.5f}")
    assert rel.max() < tol


def test_pure_ramp_loses_the_slab_mean_but_floor_keeps_it(slab_scan):
    """With ``dc=0`` (a pure ramp) the limited angle removes most of the slab's value."""
    views, p, grid, mu = slab_scan
    ramp = reconstruct(p, views, grid, "fbp", dc=0.0, progress=False)
    assert abs(ramp[10, grid.shape[1] // 2, 20]) < 0.5 * mu


def test_transmission_and_intensity_inputs_equal_line_integrals(bead_scan):
    views, p, grid = bead_scan
    ref = reconstruct(p, views, grid, "sbp", progress=False)
    t = np.exp(-p.astype(np.float64)).astype(np.float32)
    a = reconstruct(t, views, grid, "sbp", input="transmission", progress=False)
    b = reconstruct(1000.0 * t, views, grid, "sbp", flat=np.full(p.shape[1:], 1000.0),
                    progress=False)
    np.testing.assert_allclose(a, ref, atol=1e-5 * float(ref.max()))
    np.testing.assert_allclose(b, ref, atol=1e-5 * float(ref.max()))
