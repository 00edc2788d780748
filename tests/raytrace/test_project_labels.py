"""project_labels against exact slab-intersection chords of random voxel-aligned boxes."""

import numpy as np
import pytest

from victwin.geometry import Grid, mammography_view, tomosynthesis_arc
from victwin.raytrace import iter_project_labels, project_labels

from .reference import (box_chord, random_boxes_phantom, random_rays, ray_views,
                        reference_label_paths)

GRIDS = [
    Grid(shape=(7, 9, 11), spacing=(1.0, 1.0, 1.0), origin=(0.5, -4.0, 20.5)),
    Grid(shape=(5, 12, 8), spacing=(0.7, 0.25, 1.3), origin=(-3.1, 2.2, 0.35)),
]


@pytest.mark.parametrize("grid", GRIDS)
def test_random_boxes_match_slab_chords(grid):
    rng = np.random.default_rng(3)
    n_labels = 6
    labels, boxes = random_boxes_phantom(rng, grid, n_boxes=8, n_labels=n_labels)
    assert len(boxes) >= 4
    src, end = random_rays(rng, grid, 40)
    ref = reference_label_paths(src, end, grid, boxes, n_labels)
    got = project_labels(labels, grid, ray_views(src, end), n_labels, backend="cpu")
    assert got.dtype == np.float32 and got.shape == (len(src), n_labels, 1, 1)
    got = got[:, :, 0, 0]
    chord = box_chord(src, end, grid.lower_mm, grid.upper_mm)
    # 1e-4 relative to the ray's chord through the grid (exact up to float32 output rounding)
    tol = 1e-4 * chord[:, None] + 1e-6
    assert np.all(np.abs(got - ref) <= tol), np.abs(got - ref).max()
    # every kind of ray was exercised: misses give exact zeros, hits are positive
    assert (chord == 0).sum() > 10 and np.all(got[chord == 0] == 0)
    assert (chord > 0).sum() > 300


def test_rays_parallel_to_planes_on_axis_columns():
    """Rays along -z through pixel-aligned columns give the column sums (catches x/y flips)."""
    grid = Grid(shape=(6, 4, 5), spacing=(0.5, 1.0, 2.0), origin=(1.0, -1.5, 30.25))
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, size=grid.shape).astype(np.uint8)
    xs, ys = grid.axis_mm("x"), grid.axis_mm("y")
    X, Y = np.meshgrid(xs + 0.3, ys - 0.2)  # off-centre but inside each column
    src = np.stack([X.ravel(), Y.ravel(), np.full(X.size, 100.0)], axis=1)
    end = src.copy()
    end[:, 2] = 0.0
    got = project_labels(labels, grid, ray_views(src, end), 4, backend="cpu")[:, :, 0, 0]
    for lab in range(4):
        expect = (labels == lab).sum(axis=0).ravel() * grid.spacing[0]
        np.testing.assert_allclose(got[:, lab], expect, rtol=1e-6, atol=1e-6)


def test_rays_per_pixel_averages_subrays():
    grid = GRIDS[0]
    rng = np.random.default_rng(11)
    labels, boxes = random_boxes_phantom(rng, grid, n_boxes=6, n_labels=4)
    view = mammography_view(sid_mm=80.0, detector_shape=(4, 5), pitch_mm=1.7)
    k = 3
    got = project_labels(labels, grid, view, 4, backend="cpu", rays_per_pixel=k)[0]
    panel = view.panel
    centres = panel.pixel_centers()
    offs = ((np.arange(k) + 0.5) / k - 0.5)
    ref = np.zeros_like(got, dtype=float)
    for fa in offs:
        for fb in offs:
            e = centres + fa * panel.pitch[1] * np.array(panel.u) + fb * panel.pitch[0] * np.array(panel.v)
            e = e.reshape(-1, 3)
            s = np.repeat(np.array(view.source)[None], len(e), axis=0)
            ref += reference_label_paths(s, e, grid, boxes, 4).T.reshape(got.shape) / k**2
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-5)


def test_batches_equal_one_call_and_views_are_independent():
    grid = GRIDS[1]
    rng = np.random.default_rng(5)
    labels, _ = random_boxes_phantom(rng, grid, n_boxes=6, n_labels=5)
    views = tomosynthesis_arc(7, 40.0, 2.0, source_to_rotation_center_mm=60.0,
                              detector_shape=(6, 8), pitch_mm=0.9)
    whole = project_labels(labels, grid, views, 5, backend="cpu")
    parts = np.concatenate([p for _, p in iter_project_labels(labels, grid, views, 5,
                                                              backend="cpu", view_batch=3)])
    np.testing.assert_array_equal(whole, parts)
    alone = project_labels(labels, grid, views[4], 5, backend="cpu")
    np.testing.assert_array_equal(alone[0], whole[4])


def test_translation_invariance():
    """Moving the grid by T equals moving the views by -T (tomosipo's invariance check)."""
    grid = GRIDS[0]
    rng = np.random.default_rng(8)
    labels, _ = random_boxes_phantom(rng, grid, n_boxes=6, n_labels=4)
    src, end = random_rays(rng, grid, 10)
    T = np.array([3.25, -1.5, 7.0])
    moved = Grid(shape=grid.shape, spacing=grid.spacing, origin=tuple(np.add(grid.origin, T)))
    a = project_labels(labels, moved, ray_views(src, end), 4, backend="cpu")
    b = project_labels(labels, grid, ray_views(src - T, end - T), 4, backend="cpu")
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_label_totals_equal_chord_through_grid():
    grid = GRIDS[1]
    rng = np.random.default_rng(21)
    labels = rng.integers(0, 7, size=grid.shape).astype(np.uint8)
    src, end = random_rays(rng, grid, 30)
    got = project_labels(labels, grid, ray_views(src, end), 7, backend="cpu")[:, :, 0, 0]
    np.testing.assert_allclose(got.sum(axis=1), box_chord(src, end, grid.lower_mm, grid.upper_mm),
                               rtol=1e-5, atol=1e-5)
