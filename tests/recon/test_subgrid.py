"""Reconstruction on sub-grids: FBP and SBP give the crop of the full-grid result, iterative
methods refuse a sub-region of the object with one line.

The scan holds structure outside every sub-grid (balls spread over the breast slab), so a
method that normalised by the sub-grid or let outside structure leak would differ from the
crop. The reference is the same method on the full grid (the whole object slab over the
detector footprint).
"""

from __future__ import annotations

import numpy as np
import pytest

from victwin.geometry import Grid, tomosynthesis_arc
from victwin.raytrace import project_volume
from victwin.recon import dbt_grid, reconstruct

from ._phantoms import ball

THICKNESS_MM = 12.0
BALLS = [((3.0, -4.0, 24.0), 1.5, 0.4), ((8.0, 3.0, 27.5), 2.0, 0.3),
         ((5.5, 0.5, 30.0), 1.0, 0.6), ((10.0, -6.0, 22.5), 1.2, 0.5)]


@pytest.fixture(scope="module")
def scan():
    views = tomosynthesis_arc(25, 50.0, 50.0, detector_shape=(160, 64), pitch_mm=0.2)
    p = None
    for center, diameter, mu in BALLS:
        vol, g = ball(center, diameter, mu, voxel_mm=0.1)
        part = project_volume(vol, g, views)
        p = part if p is None else p + part
    grid = dbt_grid(views, THICKNESS_MM, voxel_xy_mm=0.4)
    return views, p, grid


def _sub(grid: Grid, z, y, x) -> tuple[Grid, tuple]:
    """The sub-grid of ``grid`` over index ranges ``z, y, x`` (slices) and its crop index."""
    start = (z.start, y.start, x.start)
    shape = (z.stop - z.start, y.stop - y.start, x.stop - x.start)
    sub = Grid(shape=shape, spacing=grid.spacing, origin=tuple(grid.index_to_world(start)))
    return sub, (z, y, x)


def _rel_rms(a, b):
    return float(np.sqrt(np.mean((a - b) ** 2)) / np.sqrt(np.mean(b ** 2)))


@pytest.mark.parametrize("method", ["fbp", "sbp"])
def test_sub_grids_give_the_crop(scan, method):
    views, p, grid = scan
    full = reconstruct(p, views, grid, method, thickness_mm=THICKNESS_MM, progress=False)
    nz, ny, nx = grid.shape
    cases = {
        "slab": (slice(3, 7), slice(0, ny), slice(0, nx)),
        "one slice": (slice(7, 8), slice(0, ny), slice(0, nx)),
        "in-plane ROI": (slice(0, nz), slice(20, 45), slice(10, 30)),
        "VOI": (slice(2, 6), slice(30, 41), slice(12, 23)),
    }
    for name, index in cases.items():
        sub, crop = _sub(grid, *index)
        got = reconstruct(p, views, sub, method, thickness_mm=THICKNESS_MM, progress=False)
        ref = full[crop]
        assert np.abs(ref).max() > 0, name
        assert _rel_rms(got, ref) < 1e-3, f"{name}: relative RMS {_rel_rms(got, ref):.2e}"


def test_one_slice_keeps_the_attenuation_scale(scan):
    # the failure this fixes: a 1-slice grid used to normalise by its own 1 mm, giving a mean
    # of 1.93/mm where the full grid had 0.029/mm
    views, p, grid = scan
    full = reconstruct(p, views, grid, "fbp", thickness_mm=THICKNESS_MM, progress=False)
    sub, crop = _sub(grid, slice(5, 6), slice(0, grid.shape[1]), slice(0, grid.shape[2]))
    one = reconstruct(p, views, sub, "fbp", thickness_mm=THICKNESS_MM, progress=False)
    assert float(one.mean()) == pytest.approx(float(full[crop].mean()), rel=1e-4)


@pytest.mark.parametrize("method", ["sart", "sirt"])
def test_iterative_methods_refuse_a_sub_region(scan, method):
    views, p, grid = scan
    roi, _ = _sub(grid, slice(0, grid.shape[0]), slice(20, 45), slice(10, 30))
    with pytest.raises(ValueError, match=f"{method} needs a grid over the whole object.*"
                                         f"fbp or sbp for a sub-region"):
        reconstruct(p, views, roi, method, n_iter=1, thickness_mm=THICKNESS_MM,
                    progress=False)
    slab, _ = _sub(grid, slice(3, 7), slice(0, grid.shape[1]), slice(0, grid.shape[2]))
    with pytest.raises(ValueError, match="object slab spans"):
        reconstruct(p, views, slab, method, n_iter=1, thickness_mm=THICKNESS_MM,
                    progress=False)
    # the whole grid is accepted
    vol = reconstruct(p, views, grid, method, n_iter=1, thickness_mm=THICKNESS_MM,
                      progress=False)
    assert vol.shape == grid.shape and float(vol.max()) > 0
