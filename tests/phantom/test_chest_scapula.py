"""The chest twin's scapulae (and vertebral bodies) measured from voxels against published
anatomy: Yoshida 2022 (scapular plane), von Schroeder 2001 (height, acromion), Yoo 2012
(blade thickness), Egwu 2019 (thoracic vertebral body heights, a second source beside
Panjabi 1991). The scapulae are caught as they are painted (the builder's ``paint_scapulae``
wrapped to paint them, alone, in a copy of the labels), so the test measures what the twin
holds and runs on any version of the builder.

These tests measure the neutral posture (standing, arms at the sides: Yoshida's angles, recipe
``scapulae.positioning = "neutral"``); the PA positioning (the recipes' default since
2026-12-05) is tested in test_chest_scapula_pa.py."""

from __future__ import annotations

import functools
from copy import deepcopy

import numpy as np
import pytest

import victwin.phantom.chest.builder as builder
from victwin.phantom.chest import make_chest
from victwin.phantom.chest.measure_skeleton import (blade_angle_deg, blade_pa_path_mm,
                                                    bone_path_max_mm, scapula_height_mm,
                                                    scapula_sides, spine_extent_mm,
                                                    vertebral_body_heights_mm)

BODIES = {"man": ({"sex": "male", "age_years": 55, "height_cm": 178, "bmi": 26}, 3),
          "woman": ({"sex": "female", "age_years": 45, "height_cm": 160, "bmi": 31}, 4)}
_MARK = 250                                   # a label no chest twin uses


@functools.lru_cache(maxsize=None)
def twin_and_scapulae(name: str, voxel_mm: float):
    """The twin and a bool mask of its scapulae's bone voxels."""
    caught = {}
    real = builder.paint_scapulae

    def catch(labels, *args, **kw):
        copy = labels.copy()
        # the same random draws as the twin's own painting (a generator is copied, not used)
        same = [deepcopy(a) if isinstance(a, np.random.Generator) else a for a in args]
        real(copy, *same, **{**kw, "BONE": _MARK})
        caught["mask"] = copy == _MARK
        # and the whole scapula, not cut where the armless trunk's skin is narrower
        full = labels.copy()
        real(full, *[deepcopy(a) if isinstance(a, np.random.Generator) else a for a in args],
             **{**kw, "BONE": _MARK, **({"body": None} if "body" in kw else {})})
        caught["full"] = full == _MARK
        real(labels, *args, **kw)

    builder.paint_scapulae = catch
    try:
        body, seed = BODIES[name]
        ph = make_chest({"body": body, "scapulae": {"positioning": "neutral"}}, seed=seed,
                        voxel_mm=voxel_mm)
    finally:
        builder.paint_scapulae = real
    twin_and_scapulae.full[(name, voxel_mm)] = caught["full"]
    return ph, caught["mask"]


twin_and_scapulae.full = {}


@pytest.mark.parametrize("name", sorted(BODIES))
def test_no_long_bone_path_along_the_lateral_beam(name):
    """No lateral ray crosses more of one scapula than the acromion is long (48 mm, von
    Schroeder 2001: the longest compact part; the blade and spine are plates crossed
    obliquely). Until 2026-12-03 the scapular spine was a bar along x: 116 mm on one ray."""
    ph, m = twin_and_scapulae(name, 2.0)
    for side, sm in scapula_sides(m, ph.grid).items():
        assert sm.sum() > 0, side
        assert bone_path_max_mm(sm, 2.0, axis=2) < 48.0, side
        assert bone_path_max_mm(sm, 2.0, axis=0) < 48.0, side


@pytest.mark.parametrize("name", sorted(BODIES))
def test_blade_lies_in_the_scapular_plane(name):
    """The lower blade's fitted plane is 24.9-33.3 degrees anterior to the coronal plane: the
    interquartile range of scapular internal rotation standing (Yoshida 2022, upright CT of
    158 shoulders, median 29.0)."""
    ph, m = twin_and_scapulae(name, 2.0)
    for side, sm in scapula_sides(m, ph.grid).items():
        assert 24.9 <= blade_angle_deg(sm, ph.grid) <= 33.3, side


@pytest.mark.parametrize("name", sorted(BODIES))
def test_spine_of_the_scapula_length(name):
    """The upper 40 % of the whole scapula (spine, acromion, glenoid, superior border) spans
    134 +/- 2 x 12 mm along the blade's horizontal line: von Schroeder 2001's spine length,
    medial edge of the scapula to the lateral edge of the acromion. Measured on the scapula
    painted without the cut at the skin (the twins have no arms; their shoulders are narrower
    than the acromia of thin bodies: the 158 cm, BMI 21 woman of chest_twins keeps 95 mm)."""
    ph, _ = twin_and_scapulae(name, 2.0)
    full = twin_and_scapulae.full[(name, 2.0)]
    for side, sm in scapula_sides(full, ph.grid).items():
        assert 134.0 - 24.0 <= spine_extent_mm(sm, ph.grid) <= 134.0 + 24.0, side


@pytest.mark.parametrize("name", sorted(BODIES))
def test_scapular_height(name):
    """Superior to inferior angle within two SD of von Schroeder 2001 (155 +/- 16 mm, 15
    pairs) and of the Siriraj series (139.3 +/- 11.1 mm, 97 Thai scapulae)."""
    ph, m = twin_and_scapulae(name, 2.0)
    for side, sm in scapula_sides(m, ph.grid).items():
        h = scapula_height_mm(sm, ph.grid)
        assert 155.0 - 32.0 <= h <= 155.0 + 32.0, (side, h)
        assert 139.3 - 22.2 <= h <= 139.3 + 22.2, (side, h)


def test_blade_is_a_thin_plate():
    """PA rays through the lower blade cross at most the blade's 2.06 mm (Yoo 2012, CT of
    102 scapulae, middle third of the body) over the cosine of the plane's 33.3 degrees
    (Yoshida's upper quartile), plus one 1 mm voxel of rasterisation."""
    ph, m = twin_and_scapulae("man", 1.0)
    for side, sm in scapula_sides(m, ph.grid).items():
        assert blade_pa_path_mm(sm, ph.grid) <= 2.06 / np.cos(np.radians(33.3)) + 1.0, side


def test_thoracic_vertebral_body_heights_vs_egwu():
    """T2 and T9 body heights of the man within two SD of Egwu 2019 (26 adult male thoracic
    columns: anterior height T2 16.93 +/- 1.57 mm, T9 18.83 +/- 1.54 mm; posterior T2
    17.59 +/- 1.43, T9 20.46 +/- 3.08), a second source beside Panjabi 1991."""
    ph, _ = twin_and_scapulae("man", 1.0)
    h = vertebral_body_heights_mm(ph)
    for level, mean_a, sd_a, mean_p, sd_p in (("T2", 16.93, 1.57, 17.59, 1.43),
                                              ("T9", 18.83, 1.54, 20.46, 3.08)):
        lo = min(mean_a - 2 * sd_a, mean_p - 2 * sd_p)
        hi = max(mean_a + 2 * sd_a, mean_p + 2 * sd_p)
        assert lo <= h[level] <= hi, (level, h[level])
    # and they grow down the column, as in both sources
    assert h["T9"] > h["T2"]


def test_scapula_label_holds_the_painted_scapulae():
    """The twin's "scapulae (bone)" label is exactly what the scapula painter drew there (so
    :func:`scapula_mask` measures the same bone as the tests above)."""
    from victwin.phantom.chest.measure_skeleton import scapula_mask

    ph, m = twin_and_scapulae("woman", 2.0)
    assert np.array_equal(scapula_mask(ph), m)
