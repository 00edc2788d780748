"""SART / OS-SART / SIRT on a small consistent problem (data = A x_true, x_true >= 0)."""

import numpy as np
import pytest

from victwin.geometry import Grid, tomosynthesis_arc
from victwin.raytrace import project_volume
from victwin.recon import reconstruct

VIEWS = tomosynthesis_arc(25, 50.0, 50.0, detector_shape=(48, 32), pitch_mm=0.5)
GRID = Grid(shape=(6, 16, 16), spacing=(1.0, 0.6, 0.6), origin=(3.3, -4.5, 20.5))


@pytest.fixture(autouse=True)
def _one_thread():
    """Hundreds of tiny kernel calls: thread start-up would dominate (and on a loaded shared
    machine, stall); run them on one numba thread and restore the setting afterwards."""
    import numba

    before = numba.get_num_threads()
    numba.set_num_threads(1)
    yield
    numba.set_num_threads(before)


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(1)
    x = np.zeros(GRID.shape, np.float32)
    x[1:5, 4:12, 4:12] = 0.05 + 0.05 * rng.random((4, 8, 8))
    x[3, 7, 9] = 1.0  # a bright bead
    return x, project_volume(x, GRID, VIEWS)


def _relative_residual(volume, p):
    """Independent of the library's own bookkeeping: ||A x - p|| / ||p|| over all rays."""
    r = project_volume(volume, GRID, VIEWS).astype(np.float64) - p
    return float(np.linalg.norm(r) / np.linalg.norm(p.astype(np.float64)))


def test_sart_residual_falls_monotonically_and_converges(problem):
    x, p = problem
    history = []
    vol = reconstruct(p, VIEWS, GRID, "sart", n_iter=250, progress=False,
                      callback=lambda it, v, res: history.append(res))
    assert len(history) == 250
    assert np.all(np.diff(history) <= 0), "residual rose between iterations"
    final = _relative_residual(vol, p)
    print(f"SART residual after 1, 10, 100, 250 iterations: {history[0]:.2e} {history[9]:.2e} "
          f"{history[99]:.2e} {final:.2e}")
    assert final < 1e-3
    assert final == pytest.approx(history[-1], rel=1e-2)
    assert vol.min() >= 0


def test_sirt_residual_falls_monotonically(problem):
    x, p = problem
    history = []
    reconstruct(p, VIEWS, GRID, "sirt", n_iter=40, progress=False,
                callback=lambda it, v, res: history.append(res))
    assert np.all(np.diff(history) <= 0)
    assert history[-1] < 0.5 * history[0]


def test_ordered_subsets_converge_faster_per_pass_than_sirt(problem):
    x, p = problem
    sirt = reconstruct(p, VIEWS, GRID, "sirt", n_iter=10, progress=False)
    os5 = reconstruct(p, VIEWS, GRID, "sart", n_subsets=5, n_iter=10, progress=False)
    assert _relative_residual(os5, p) < _relative_residual(sirt, p)


def test_stopping_rule_stops_when_residual_stalls(problem):
    x, p = problem
    history = []
    reconstruct(p, VIEWS, GRID, "sart", n_iter=500, tol=0.02, progress=False,
                callback=lambda it, v, res: history.append(res))
    assert len(history) < 500
    last, before = history[-1], history[-2]
    assert (before - last) / before < 0.02
    # it did not stop earlier: every earlier step changed the residual by >= tol
    steps = -np.diff(history[:-1]) / np.asarray(history[:-2])
    assert np.all(steps >= 0.02)


def test_nonnegativity_is_optional():
    """Data of a negative object: with nonneg the volume stays >= 0, without it goes below."""
    x = np.zeros(GRID.shape, np.float32)
    x[2:4, 6:10, 6:10] = -0.1
    p = project_volume(x, GRID, VIEWS)
    assert reconstruct(p, VIEWS, GRID, "sart", n_iter=2, progress=False).min() >= 0
    assert reconstruct(p, VIEWS, GRID, "sart", n_iter=2, nonneg=False,
                       progress=False).min() < -0.01


def test_iterations_is_an_alias_of_n_iter(problem):
    x, p = problem
    a = reconstruct(p, VIEWS, GRID, "sirt", n_iter=3, progress=False)
    b = reconstruct(p, VIEWS, GRID, "sirt", iterations=3, progress=False)
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="not both"):
        reconstruct(p, VIEWS, GRID, "sirt", iterations=3, n_iter=3, progress=False)


def test_sart_image_of_a_ball_projected_on_a_finer_grid():
    # No inverse crime: the data come from a 3 mm ball voxelised on a 0.05 mm grid of its own
    # (tests/recon/_phantoms.py), not from the 0.6 x 0.6 x 1 mm reconstruction grid; 0.2 mm
    # pixels put ~3 rays through every voxel. The image is compared with the ball: its centroid
    # is the ball's centre and its integral (mu x volume) is the ball's, 4/3 pi r^3 mu, which
    # limited-angle data still fix.
    from ._phantoms import ball

    views = tomosynthesis_arc(25, 50.0, 50.0, detector_shape=(120, 80), pitch_mm=0.2)
    centre = np.array([3.3 + 0.6 * 7, -4.5 + 0.6 * 8, 20.5 + 1.0 * 2])  # voxel [2, 8, 7]
    mu = 0.05
    fine, fine_grid = ball(tuple(centre), 3.0, mu)
    p = project_volume(fine, fine_grid, views)
    vol = reconstruct(p, views, GRID, "sart", n_iter=40, progress=False).astype(np.float64)
    integral = vol.sum() * float(np.prod(GRID.spacing))
    expected = 4.0 / 3.0 * np.pi * 1.5 ** 3 * mu
    z, y, x = (np.asarray(GRID.origin)[::-1][k] + np.arange(n) * GRID.spacing[k]
               for k, n in enumerate(GRID.shape))
    w = vol / vol.sum()
    got = np.array([(w.sum(axis=(0, 1)) * x).sum(), (w.sum(axis=(0, 2)) * y).sum(),
                    (w.sum(axis=(1, 2)) * z).sum()])
    print(f"SART ball: centroid {got} vs {centre}, integral {integral:.4f} vs {expected:.4f}")
    assert integral == pytest.approx(expected, rel=0.02)
    np.testing.assert_allclose(got[:2], centre[:2], atol=0.1)  # in-plane: a sixth of a voxel
    assert abs(got[2] - centre[2]) < 0.5  # depth: DBT's limited angle, half a slice
