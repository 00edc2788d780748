"""The references of victwin.validation against hand-worked geometry and published values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from victwin.validation import (BOONE_SPR_FIT, boone_spr_fit, ideal_aperture_mtf,
                                semicircle_phantom, slab_chord)


def test_slab_chord_of_hand_worked_segments():
    lo, hi = (0.0, 0.0, 0.0), (2.0, 1.0, 1.0)
    src = np.array([[-1.0, 0.5, 0.5],     # along x through the whole box: 2
                    [-1.0, -1.0, -1.0],   # the main diagonal of a unit cube inside: sqrt(3)
                    [1.0, 0.5, -3.0],     # along z, stopping half way: 0.5
                    [0.5, 2.0, 0.5],      # parallel to y, outside in y: 0
                    [3.0, 0.5, 0.5]])     # parallel to x, starting beyond the box: 0
    end = np.array([[5.0, 0.5, 0.5], [2.0, 2.0, 2.0], [1.0, 0.5, 0.5], [0.5, 3.0, 0.5],
                    [4.0, 0.5, 0.5]])
    np.testing.assert_allclose(slab_chord(src, end, lo, hi), [2.0, math.sqrt(3), 0.5, 0, 0],
                               atol=1e-12)


def test_boone_fit_as_published():
    # Boone et al., Med Phys 27:2408 (2000): SPR 0.454 at T = 4.5 cm, D = 15 cm
    assert BOONE_SPR_FIT == (-2.35452817439093, 22.3960980055927, 8.85064260299289)
    assert boone_spr_fit(4.5, 15.0) == pytest.approx(0.454, abs=5e-4)


def test_ideal_aperture_mtf_and_semicircle():
    assert ideal_aperture_mtf(1 / (2 * 0.085), 0.085) == pytest.approx(2 / math.pi)
    labels, grid = semicircle_phantom(45.0, 150.0)
    # the slab holds a half disc of radius 75 mm, 45 mm thick: (pi r^2 / 2) t
    assert labels.sum() * 1.0 == pytest.approx(math.pi * 75 ** 2 / 2 * 45, rel=0.01)
    assert grid.shape[0] == 45 and grid.origin[2] == pytest.approx(20.5)
