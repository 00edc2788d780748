"""Geometry values: validation, tolerance equality, repr round trip, scan builders."""

import math

import numpy as np
import pytest

from victwin.geometry import (FlatPanel, Grid, View, mammography_view, radiography_view,
                              tomosynthesis_arc, views_to_arrays)


@pytest.mark.parametrize("kwargs, message", [
    (dict(shape=(0, 2, 2), spacing=(1, 1, 1)), "Grid.shape must be positive"),
    (dict(shape=(2, 2), spacing=(1, 1, 1)), "Grid.shape must be 3 positive integers"),
    (dict(shape=(2, 2, 2.5), spacing=(1, 1, 1)), "Grid.shape must be 3 positive integers"),
    (dict(shape=(2, 2, 2), spacing=(1, 0, 1)), r"Grid.spacing must be > 0"),
    (dict(shape=(2, 2, 2), spacing=(1, 1, 1), origin=(0, np.nan, 0)), "Grid.origin must be finite"),
])
def test_grid_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Grid(**kwargs)


@pytest.mark.parametrize("kwargs, message", [
    (dict(u=(1, 1, 0)), "FlatPanel.u must be a unit vector"),
    (dict(v=(1, 0, 0)), "must be orthogonal"),
    (dict(pitch=(0.1, -0.1)), r"FlatPanel.pitch must be > 0"),
    (dict(shape=(3, 0)), "FlatPanel.shape must be positive"),
])
def test_panel_validation(kwargs, message):
    base = dict(shape=(3, 4), pitch=(0.1, 0.1), center=(0, 0, 0))
    with pytest.raises(ValueError, match=message):
        FlatPanel(**{**base, **kwargs})


def test_source_on_panel_plane_rejected():
    panel = FlatPanel(shape=(3, 4), pitch=(0.1, 0.1), center=(0, 0, 5.0))
    with pytest.raises(ValueError, match="lies on the panel plane"):
        View(source=(12.0, -3.0, 5.0), panel=panel)
    with pytest.raises(TypeError, match="View.panel must be a FlatPanel"):
        View(source=(0, 0, 1), panel="panel")


def test_repr_round_trip_and_tolerant_equality():
    g = Grid(shape=(3, 4, 5), spacing=(0.1, 0.2, 0.3), origin=(1.0, 2.0, 3.0))
    assert eval(repr(g)) == g
    assert Grid(shape=(3, 4, 5), spacing=(0.1 + 1e-13, 0.2, 0.3), origin=(1, 2, 3)) == g
    assert Grid(shape=(3, 4, 5), spacing=(0.1, 0.2, 0.31), origin=(1, 2, 3)) != g
    for view in (mammography_view(), radiography_view(), tomosynthesis_arc()[3]):
        assert eval(repr(view)) == view


def test_grid_world_index_mapping():
    g = Grid(shape=(3, 4, 5), spacing=(0.5, 0.25, 2.0), origin=(10.0, 20.0, 30.0))
    assert np.allclose(g.index_to_world((2, 3, 4)), (18.0, 20.75, 31.0))
    assert np.allclose(g.world_to_index((18.0, 20.75, 31.0)), (2, 3, 4))
    assert np.allclose(g.lower_mm, (9.0, 19.875, 29.75))
    assert np.allclose(g.upper_mm - g.lower_mm, (10.0, 1.0, 1.5))


def test_panel_pixel_centres_follow_contract():
    p = FlatPanel(shape=(3, 5), pitch=(0.2, 0.1), center=(1.0, 2.0, 3.0),
                  u=(0, 1, 0), v=(0, 0, -1))
    c = p.pixel_centers()
    # pixel [j, i] = center + (i - (nu-1)/2) pu u + (j - (nv-1)/2) pv v
    assert np.allclose(c[0, 0], (1.0, 2.0 - 0.2, 3.0 + 0.2))
    assert np.allclose(c[2, 4], (1.0, 2.0 + 0.2, 3.0 - 0.2))
    geo = views_to_arrays([View(source=(10.0, 0, 0), panel=p)])
    assert np.allclose(geo["corner"][0], c[0, 0])
    assert np.allclose(geo["du"][0] * 4 + geo["dv"][0] * 2 + geo["corner"][0], c[2, 4])


def test_mammography_view_is_victre_mammomat():
    v = mammography_view()
    assert v.sid_mm == pytest.approx(650.0)
    assert v.panel.shape == (3000, 1500) and v.panel.pitch == (0.085, 0.085)
    corner = v.panel.pixel_centers()[0, 0]
    assert corner[0] == pytest.approx(0.0425)  # chest-wall edge at x = 0
    b = mammography_view(detector_binning=2)
    assert b.panel.shape == (1500, 750) and b.panel.pitch == (0.17, 0.17)
    assert b.panel.pixel_centers()[0, 0][0] == pytest.approx(0.085)


def test_tomosynthesis_arc_geometry():
    views = tomosynthesis_arc(25, 50.0, 50.0)
    assert len(views) == 25
    src = np.array([v.source for v in views])
    pivot = np.array([0.0, 0.0, 50.0])
    # all sources 600 mm from the rotation axis (along x), detector fixed
    assert np.allclose(np.linalg.norm(src - pivot, axis=1), 600.0)
    assert np.allclose(src[:, 0], 0.0)
    angles = np.degrees(np.arctan2(src[:, 1], src[:, 2] - 50.0))
    assert angles[0] == pytest.approx(-25.0) and angles[-1] == pytest.approx(25.0)
    assert np.allclose(np.diff(angles), 50.0 / 24)  # 2.0833 degree steps (VICTRE)
    assert all(v.panel == views[0].panel for v in views)
    assert views[12].sid_mm == pytest.approx(650.0)
    other = tomosynthesis_arc(3, 20.0, 50.0, rotation_axis="y")
    assert np.allclose([v.source[1] for v in other], 0.0)


def test_tomosynthesis_arc_rejects_impossible_geometry():
    with pytest.raises(ValueError, match="n_views must be >= 1"):
        tomosynthesis_arc(0)
    with pytest.raises(ValueError, match="arc_deg must be in"):
        tomosynthesis_arc(5, 200.0)
    with pytest.raises(ValueError, match="at or below the detector"):
        tomosynthesis_arc(5, 170.0, -500.0)


def test_radiography_view():
    v = radiography_view()
    assert v.sid_mm == pytest.approx(1800.0)
    assert v.panel.size_mm == pytest.approx((3072 * 0.14, 3072 * 0.14))
    with pytest.raises(ValueError, match="sid_mm must be a finite number > 0"):
        radiography_view(sid_mm=-1)
    assert math.isclose(np.linalg.norm(v.panel.normal), 1.0)


def test_view_project_inverts_pixel_centres():
    view = tomosynthesis_arc(5, 40.0, 50.0, detector_shape=(30, 20), pitch_mm=0.5)[1]
    centres = view.panel.pixel_centers()
    s = np.array(view.source)
    # any point on the ray from the source to pixel [j, i] projects back to (j, i)
    points = s + 0.37 * (centres - s)
    ji = view.project(points)
    jj, ii = np.meshgrid(np.arange(30), np.arange(20), indexing="ij")
    assert np.allclose(ji[..., 0], jj) and np.allclose(ji[..., 1], ii)
