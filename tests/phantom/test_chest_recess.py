"""The lateral costophrenic recess as a wedge (:mod:`victwin.phantom.chest.diaphragm`).

The costal part of the diaphragm arises from the inner surfaces of the lower six costal
cartilages and ribs (Gray's Anatomy, 41st ed., ch. 53), so it meets the lateral chest wall along
a line and the lung's recess is the acute wedge between the wall and the costal part ("the
acute angle that the tendinous diaphragmatic origins make with the body wall is termed the
costophrenic angle", GPnotebook). At total lung capacity the zone of apposition is nearly gone
(Mead 1979), so the twins' costal part leaves the wall at its insertion. Until 2026-12-03
(fifth session) a flat ring 0.08 ``a0`` wide lay between the dome's rim and the wall and each
recess read on the PA image was a flat-floored slot 11-13 mm wide (NOTES, 19cp12).

Checks: on the cavity itself (no build: the diaphragm's level against the wall's superellipse
and the base's fall written out here, and a least-squares circle through the lateral profile);
on the shared 2 mm man and woman (``_chest_bodies``): the PA line integral's recess, traced by
:func:`.measure_recess.trace_recess`, narrows to its vertex as a wedge does (a slot keeps its
width). The reader's angle against "approximately 30°" is the strict test in
``test_chest_body_size.py``.
"""

import numpy as np
import pytest

from victwin.phantom.chest.anatomy import thorax_for
from victwin.phantom.chest.lungs import solve_cavity
from victwin.phantom.chest.measure_recess import pa_line_integral, trace_recess
from victwin.phantom.chest.population import check_body

from . import _chest_bodies

P = 2.4                  # the cavity's cross-section exponent (lungs.P_SECTION), typed here
TOP_X = 0.45             # the dome top's distance from the midline over a0 (diaphragm.py)


def _cavity(sex, height_cm, seed):
    th = thorax_for(check_body(sex, 40, height_cm, 22), np.random.default_rng(seed))
    return solve_cavity(th)


CAVITIES = [("female", 158.0, 0), ("male", 177.0, 3), ("female", 170.0, 5)]


def _base(cav, zd):
    # the insertion line: ant_rise above the posterior recess at the front, falling as
    # (1 - u)^1.5 to T12 behind (Gray's ch. 53), u = 0 at the front wall, 1 at the back
    u = np.clip((zd + cav.b0) / (2.0 * cav.b0), 0.0, 1.0)
    return cav.y_low - cav.ant_rise * (1.0 - u) ** 1.5


@pytest.mark.parametrize("sex, height_cm, seed", CAVITIES)
def test_costal_part_meets_the_lateral_wall_at_its_insertion(sex, height_cm, seed):
    cav = _cavity(sex, height_cm, seed)
    zd = np.linspace(-0.6, 0.6, 25) * cav.b0
    x_wall = cav.a0 * (1.0 - np.abs(zd / cav.b0) ** P) ** (1.0 / P)
    for side in (-1.0, 1.0):
        at_wall = cav.diaphragm_y(np.float32(side * x_wall), zd.astype(np.float32))
        assert np.allclose(at_wall, _base(cav, zd), atol=0.05), (side, at_wall - _base(cav, zd))
        # no flat ring: 4 mm (two 2 mm voxels) in from the wall the diaphragm has risen by
        # more than 4 mm x tan(25 deg) (the old ring: 0 mm up to 11-12 mm from the wall)
        inner = cav.diaphragm_y(np.float32(side * (x_wall - 4.0)), zd.astype(np.float32))
        rise = _base(cav, zd) - inner
        assert (rise > 4.0 * np.tan(np.radians(25.0))).all(), (side, rise.min())


@pytest.mark.parametrize("sex, height_cm, seed", CAVITIES)
def test_frontal_profile_is_a_circular_arc_from_the_top_to_the_wall(sex, height_cm, seed):
    # Laplace: a membrane of uniform tension under a uniform pressure difference has one
    # curvature; in the frontal plane through the dome tops (zd = -0.05 b0) the lateral fall
    # lies on one circle whose centre is on the top's vertical (horizontal tangent at the top)
    cav = _cavity(sex, height_cm, seed)
    zd = np.float32(-0.05 * cav.b0)
    x_wall = cav.a0 * (1.0 - abs(zd / cav.b0) ** P) ** (1.0 / P)
    for side, h in ((-1.0, cav.dome_right), (1.0, cav.dome_left)):
        s = np.linspace(0.02, 0.98, 40) * (x_wall - TOP_X * cav.a0)
        x = side * (TOP_X * cav.a0 + s)
        y = cav.diaphragm_y(x.astype(np.float32), zd).astype(np.float64)
        # Kasa fit: x^2 + y^2 + D x + E y + F = 0
        A = np.column_stack([x, y, np.ones_like(x)])
        D, E, F = np.linalg.lstsq(A, -(x * x + y * y), rcond=None)[0]
        cx, cy = -D / 2.0, -E / 2.0
        r = np.sqrt(cx * cx + cy * cy - F)
        assert np.abs(np.hypot(x - cx, y - cy) - r).max() < 0.05
        assert cx == pytest.approx(side * TOP_X * cav.a0, abs=0.5)
        # the top: the drawn dome height above the base at the top's column
        assert _base(cav, zd) - (cy - r) == pytest.approx(h, abs=0.05)


@pytest.mark.parametrize("sex, height_cm, seed", CAVITIES)
def test_medial_half_keeps_the_old_cap(sex, height_cm, seed):
    # medial of the tops (central tendon, heart's bed) each dome is the cap of 423db5c:
    # sqrt(1 - dx^2 - dz^2) over an ellipse 0.47 a0 across, 1.15 b0 deep about -0.05 b0, the
    # two caps combined by the higher (not their sum: 19ridge15); compared away from each
    # cap's rim, where since 19ridge15 a tangent line replaces the vertical wall (0.95 to
    # 1 / 0.95 of the radius at each depth)
    cav = _cavity(sex, height_cm, seed)
    x = np.linspace(-TOP_X, TOP_X, 61)[None, :].astype(np.float32) * cav.a0
    zd = np.linspace(-1.0, 1.0, 41)[:, None].astype(np.float32) * cav.b0
    rise = np.zeros(np.broadcast_shapes(x.shape, zd.shape))
    away = np.ones(rise.shape, bool)
    for side, h in ((-1.0, cav.dome_right), (1.0, cav.dome_left)):
        dx = (x - side * TOP_X * cav.a0) / (0.47 * cav.a0)
        dz = (zd + 0.05 * cav.b0) / (1.15 * cav.b0)
        cap = np.sqrt(np.clip(1.0 - dx * dx - dz * dz, 0.0, 1.0))
        rise = np.maximum(rise, h * cap)
        xi = np.abs(dx) / np.sqrt(np.maximum(1.0 - dz * dz, 1e-12))
        away &= (xi <= 0.95) | (xi >= 1.0 / 0.95)
    old = _base(cav, zd) - rise
    assert away.mean() > 0.8
    assert np.allclose(cav.diaphragm_y(x, zd)[away], old[away], atol=1e-3)


ZD_MIDLINE = np.linspace(-0.95, 0.95, 77)     # over b0: the cavity's depth, 2.5 % steps


@pytest.mark.parametrize("sex, height_cm, seed", CAVITIES)
def test_no_ridge_at_the_midline(sex, height_cm, seed):
    # the central tendon between the domes lies lower than either (the heart rests on it;
    # Gray's Anatomy, 41st ed., ch. 53): at x = 0 the surface is not above the lower of the
    # two domes' levels 0.05 a0 either side (y grows downwards: y(0) >= the larger y). Until
    # 19ridge15 the two medial caps were added where they overlap: the 2 mm man's midline
    # stood 6.6 mm above the left dome's level at +0.05 a0 (28.7 mm above the base at
    # zd = -0.05 b0), these three cavities' 5.8-6.1 mm above it
    cav = _cavity(sex, height_cm, seed)
    zd = (ZD_MIDLINE * cav.b0).astype(np.float32)
    y0 = cav.diaphragm_y(np.float32(0.0), zd)
    yr = cav.diaphragm_y(np.float32(-0.05 * cav.a0), zd)
    yl = cav.diaphragm_y(np.float32(0.05 * cav.a0), zd)
    assert (y0 >= np.maximum(yr, yl) - 1e-3).all(), (y0 - np.maximum(yr, yl)).min()
    # and the domes do stand there (the test is not passed by a flat floor): over the
    # tops' depths the lower dome's flank at 0.05 a0 is > 5 mm above the base
    mid = np.abs(ZD_MIDLINE + 0.05) < 0.25
    assert (_base(cav, zd)[mid] - np.maximum(yr, yl)[mid] > 5.0).all()


@pytest.mark.parametrize("sex, height_cm, seed", CAVITIES)
def test_surface_is_continuous_across_the_midline(sex, height_cm, seed):
    # samples 0.1 mm apart over |x| <= 0.1 a0: no step above 0.6 mm (a slope of 6, 80 deg).
    # The caps' old vertical rims (sqrt(1 - r^2)) stepped 2.3-2.6 mm in 0.1 mm there (these
    # cavities; NOTES 2026-12-04, 19ridge15); a dome of height h over the cap's radius 0.47 a0
    # meeting the tendon at its rim's tangent (0.95) is steep as h / (0.47 a0) x 3.04 (2.5 for
    # the man's right dome)
    cav = _cavity(sex, height_cm, seed)
    x = np.arange(-0.1 * cav.a0, 0.1 * cav.a0, 0.1)[None, :].astype(np.float32)
    zd = (ZD_MIDLINE * cav.b0)[:, None].astype(np.float32)
    y = cav.diaphragm_y(x, zd).astype(np.float64)
    assert np.abs(np.diff(y, axis=1)).max() < 0.6, np.abs(np.diff(y, axis=1)).max()


def _widths(rec, heights_mm):
    """Width (mm) of the traced lung field at ``heights_mm`` above the recess's vertex: the
    two crossings of the contour nearest the vertex (within 40 mm across)."""
    c, v = rec.contour, rec.vertex
    out = []
    for h in heights_mm:
        y = v[1] - h
        # half-open in y, so a contour vertex that lies on the level (the vertex on a pixel
        # row) is one crossing, not two: counted twice it read as a width of 0
        xs = [a[0] + (y - a[1]) * (b[0] - a[0]) / (b[1] - a[1])
              for a, b in zip(c[:-1], c[1:])
              if min(a[1], b[1]) <= y < max(a[1], b[1]) and abs(a[0] - v[0]) < 40]
        xs = sorted(xs, key=lambda t: abs(t - v[0]))[:2]
        out.append(abs(xs[1] - xs[0]) if len(xs) == 2 else np.nan)
    return out


@pytest.mark.parametrize("name", sorted(_chest_bodies.BODIES))
def test_recess_on_the_pa_image_narrows_to_its_vertex(name):
    # a wedge's width grows in proportion to the height above its vertex: 5 mm up, a quarter
    # of its width 20 mm up; the blur rounds the tip (a drawn 30 deg wedge traced by the same
    # reader: 4 mm wide 5 mm up, 13.5 mm 20 mm up, 0.30, NOTES 19cp12). A slot keeps its
    # floor's width: the old recesses were 11.5-13.4 mm wide 5 mm up, 16-21 mm 20 mm up
    # (ratio 0.58-0.73, six 2 mm twins at 423db5c, NOTES 2026-12-03 fifth session)
    img = pa_line_integral(_chest_bodies.twin(name))
    for side in (-1, 1):
        w5, w20 = _widths(trace_recess(img, _chest_bodies.VOX, side), (5.0, 20.0))
        assert w5 / w20 < 0.5, (side, w5, w20)
