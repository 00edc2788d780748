"""Analytic phantoms: exact centre voxelisation, exact chords, 3-D Shepp-Logan values."""

import math

import numpy as np
import pytest

from victwin.geometry import Grid
from victwin.phantom import make
from victwin.phantom.analytic import (Box, Ellipsoid, chord_lengths, label_phantom,
                                      line_integrals, shepp_logan, shepp_logan_shapes,
                                      voxelize)


def _numeric_chord(shape_inside, a, b, n=200_001):
    """Length inside by dense sampling of the segment (independent of the closed form)."""
    t = (np.arange(n) + 0.5) / n
    pts = a[None, :] + t[:, None] * (b - a)[None, :]
    return shape_inside(pts).mean() * np.linalg.norm(b - a)


def test_sphere_chords_match_the_circle_formula():
    s = Ellipsoid(center_mm=(1.0, -2.0, 3.0), semi_axes_mm=(5.0, 5.0, 5.0))
    p = np.array([0.0, 1.0, 2.5, 4.0, 4.99, 5.0, 6.0])  # impact parameters, mm
    a = np.stack([np.full_like(p, -20.0) + 1.0, -2.0 + p, np.full_like(p, 3.0)], axis=1)
    b = a + np.array([40.0, 0.0, 0.0])
    expect = 2.0 * np.sqrt(np.clip(25.0 - p ** 2, 0.0, None))
    np.testing.assert_allclose(chord_lengths([s], a, b)[:, 0], expect, atol=1e-9)


def test_rotated_shapes_match_numeric_integration():
    rng = np.random.default_rng(0)
    shapes = [Ellipsoid((2.0, 1.0, -1.0), (6.0, 3.0, 2.0), angles_deg=(30.0, 40.0, -20.0)),
              Box((-1.0, 0.5, 2.0), (4.0, 2.0, 1.0), angles_deg=(-15.0, 60.0, 10.0))]
    for _ in range(6):
        a = rng.uniform(-15, 15, 3)
        b = -a + rng.normal(0, 2, 3)
        got = chord_lengths(shapes, a, b)[0]
        for j, s in enumerate(shapes):
            ref = _numeric_chord(lambda q, s=s: _inside_ref(s, q), a, b)
            assert got[j] == pytest.approx(ref, abs=2e-3 * np.linalg.norm(b - a) / 100 + 1e-3)


def _inside_ref(shape, q):
    # Reference membership written from the definition with scipy's rotation (ZXZ intrinsic
    # = extrinsic zxz reversed), not from the module's rotation helper.
    from scipy.spatial.transform import Rotation

    r = Rotation.from_euler("ZXZ", shape.angles_deg, degrees=True).as_matrix()
    loc = (q - np.asarray(shape.center_mm)) @ r / np.asarray(shape.size)
    if isinstance(shape, Ellipsoid):
        return np.sum(loc ** 2, axis=1) <= 1
    return np.all(np.abs(loc) <= 1, axis=1)


def test_segments_ending_inside_are_clipped():
    s = Box(center_mm=(0, 0, 0), half_size_mm=(2.0, 2.0, 2.0))
    got = chord_lengths([s], np.array([[-10.0, 0, 0], [0.5, 0, 0]]),
                        np.array([[0.0, 0, 0], [1.5, 0, 0]]))[:, 0]
    np.testing.assert_allclose(got, [2.0, 1.0])
    # A ray along a face plane (grazing) and one parallel outside a slab.
    got = chord_lengths([s], np.array([[-5.0, 2.0, 0], [-5.0, 2.5, 0]]),
                        np.array([[5.0, 2.0, 0], [5.0, 2.5, 0]]))[:, 0]
    np.testing.assert_allclose(got, [4.0, 0.0])


def test_voxelisation_uses_voxel_centres_and_converges_to_the_volume():
    g = Grid(shape=(60, 60, 60), spacing=(0.5, 0.5, 0.5), origin=(-14.75, -14.75, -14.75))
    e = Ellipsoid((0.3, -0.2, 0.1), (12.0, 8.0, 5.0), angles_deg=(20.0, 30.0, 0.0), value=2.0)
    b = Box((0.0, 0.0, 0.0), (6.0, 4.0, 3.0), angles_deg=(45.0, 0.0, 0.0), value=1.0)
    ve = voxelize([e], g)
    vb = voxelize([b], g)
    assert ve.sum() / 2.0 * 0.125 == pytest.approx(4 / 3 * math.pi * 12 * 8 * 5, rel=0.01)
    assert vb.sum() * 0.125 == pytest.approx(8 * 6 * 4 * 3, rel=0.02)
    # Membership of every voxel equals the reference membership of its centre.
    z, y, x = np.meshgrid(g.axis_mm("z"), g.axis_mm("y"), g.axis_mm("x"), indexing="ij")
    pts = np.stack([x, y, z], axis=-1).reshape(-1, 3)
    assert np.array_equal(ve.reshape(-1) > 0, _inside_ref(e, pts))
    # A voxel centre exactly on the surface is inside.
    edge = Grid(shape=(1, 1, 3), spacing=(1.0, 1.0, 1.0), origin=(-1.0, 0.0, 0.0))
    assert voxelize([Box((0, 0, 0), (1.0, 1.0, 1.0))], edge).tolist() == [[[1.0, 1.0, 1.0]]]


def test_label_phantom_paints_in_order_and_projects_to_chords():
    g = Grid(shape=(40, 40, 40), spacing=(1.0, 1.0, 1.0), origin=(-19.5, -19.5, -19.5))
    shapes = [Box((0, 0, 0), (15.0, 15.0, 15.0), material="pmma"),
              Ellipsoid((0, 0, 0), (6.0, 6.0, 6.0), material="glandular")]
    p = label_phantom(shapes, g)
    assert p.materials == {0: "air", 1: "pmma", 2: "glandular"}
    assert p.labels[20, 20, 20] == 2 and p.labels[20, 20, 5] == 1 and p.labels[20, 20, 4] == 0 and p.labels[0, 0, 0] == 0
    # Sum of label path lengths through voxel centres along x equals the analytic chords.
    row = p.labels[20, 20, :]
    a, b = np.array([-19.5 - 0.5, 0.5, 0.5]), np.array([19.5 + 0.5, 0.5, 0.5])
    ch = chord_lengths(shapes, a, b)[0]
    assert np.sum(row == 2) == pytest.approx(ch[1], abs=1.0)
    assert np.sum(row >= 1) == pytest.approx(ch[0], abs=1.0)


def test_shepp_logan_values_follow_the_table():
    # Modified (Toft) intensities: brain 1 - 0.8 = 0.2, ventricle 0.2 - 0.2 = 0, skull 1.0.
    g = Grid(shape=(101, 101, 101), spacing=(2.0, 2.0, 2.0), origin=(-100.0, -100.0, -100.0))
    v = shepp_logan(g, fov_mm=200.0)
    def at(x, y, z):
        i = np.round(g.world_to_index((x, y, z))).astype(int)
        return v[tuple(i)]
    assert at(0, 0, 0) == pytest.approx(0.2)
    assert at(22.0, 0, 0) == pytest.approx(0.0, abs=1e-6)
    assert at(0, 90.0, 0) == pytest.approx(1.0)
    assert at(0, 0, 95.0) == 0.0
    orig = shepp_logan(g, fov_mm=200.0, modified=False)
    assert orig[tuple(np.round(g.world_to_index((0, 0, 0))).astype(int))] == pytest.approx(0.02)
    # Line integral through the centre along z: skull + brain - inner + features (analytic).
    shapes = shepp_logan_shapes(200.0)
    li = line_integrals(shapes, (0.0, 0.0, -150.0), (0.0, 0.0, 150.0))[0]
    ch = chord_lengths(shapes, (0.0, 0.0, -150.0), (0.0, 0.0, 150.0))[0]
    # Ellipsoid 2 is centred at y = -0.0184 * 100 mm with b = 0.874 * 100 mm.
    assert ch[0] == pytest.approx(2 * 81.0)
    assert ch[1] == pytest.approx(2 * 78.0 * math.sqrt(1 - (1.84 / 87.4) ** 2))
    assert li == pytest.approx(sum(s.value * c for s, c in zip(shapes, ch)))


def test_analytic_recipes_build_phantoms():
    p = make("analytic/shepp_logan", voxel_mm=8.0)
    assert p.shape == (25, 25, 25) and set(np.unique(p.labels)) <= set(p.materials)
    q = make("analytic/slab_inserts", voxel_mm=2.0)
    assert q.materials[1] == "pmma" and q.grid.lower_mm[2] == pytest.approx(20.0)
    assert len(q.meta["shapes"]) == 6


def test_raytraced_voxel_phantom_agrees_with_analytic_chords():
    # Cross-check with an independent implementation: victwin.raytrace's exact voxel traversal
    # of the voxelised shapes approaches the analytic chords up to the voxelisation error.
    from victwin import raytrace
    from victwin.geometry import FlatPanel, View

    g = Grid(shape=(40, 40, 40), spacing=(0.5, 0.5, 0.5), origin=(-9.75, -9.75, -9.75))
    shapes = [Ellipsoid((1, -2, 0), (6, 4, 3), angles_deg=(30, 20, 0), material="glandular"),
              Box((-3, 5.5, 4.5), (4, 3, 1.5), angles_deg=(10, 0, 0), material="aluminum")]
    p = label_phantom(shapes, g)
    panel = FlatPanel(shape=(24, 24), pitch=(1.0, 1.0), center=(0, 0, -30), u=(1, 0, 0),
                      v=(0, 1, 0))
    paths = raytrace.project_labels(p.labels, g, [View(source=(0, 0, 200), panel=panel)], 3,
                                    backend="cpu")[0]
    j, i = np.mgrid[0:24, 0:24]
    pix = np.stack([(i - 11.5) * 1.0, (j - 11.5) * 1.0, np.full(i.shape, -30.0)], -1)
    ch = chord_lengths(shapes, np.array([0.0, 0.0, 200.0]), pix.reshape(-1, 3))
    for k in range(2):
        traced = paths[k + 1].reshape(-1)
        # Projected volume (sum over rays) within 5 %; rays away from the edges (where a
        # half-voxel shift of the voxelised surface can change the chord a lot) within 0.5 mm.
        assert traced.sum() == pytest.approx(ch[:, k].sum(), rel=0.05)
        hit = ch[:, k] > 0
        assert np.median(np.abs(traced - ch[:, k])[hit]) <= 0.5
