"""Focal-spot and motion blur wired into acquire(): shadows widen as the sub-sources predict."""

import math
import tomllib

import numpy as np
import pytest

from victwin import systems
from victwin.acquisition import acquire
from victwin.geometry import Grid
from victwin.phantom import Phantom


def _system(name, **blur):
    with open(systems.load(name).source, "rb") as fh:
        data = tomllib.load(fh)
    data["geometry"]["detector_shape"] = [600, 60]      # 6 x 0.6 mm of 10 um pixels
    data["geometry"]["pitch_mm"] = 0.01
    data["blur"].update(blur)
    data.pop("aec")
    data["scatter"] = {"enabled": False}
    return systems.from_dict(data, source=name)


def _wire(h_mm=40.0):
    """A 0.15 mm calcium-oxalate wire along x at y = 0, h mm above the detector."""
    vox = 0.05
    grid = Grid(shape=(3, 3, 200), spacing=(vox, vox, vox), origin=(0.0, -vox, h_mm - vox))
    labels = np.ones((3, 3, 200), np.uint8)
    return Phantom(labels=labels, grid=grid, materials={0: "air", 1: "calcium_oxalate_victre"},
                   meta={"thickness_mm": 40.0})


def _profile_variance(acq):
    """Variance (mm^2) of the wire's attenuation profile across y (central columns)."""
    raw = acq.raw[0].astype(float) - acq.detector["offset_adu"]
    flat = acq.flat_adu[0]
    deficit = (1.0 - raw / flat).mean(axis=1)
    y = (np.arange(raw.shape[0]) - (raw.shape[0] - 1) / 2) * 0.01
    deficit = deficit - np.median(deficit)          # flat-field rounding offset (~1e-4)
    deficit[np.abs(y) > 0.5] = 0.0                   # the wire's shadow only
    m = np.sum(deficit * y) / deficit.sum()
    return np.sum(deficit * (y - m) ** 2) / deficit.sum()


@pytest.mark.parametrize("h_mm", [20.0, 45.0])
def test_dbt_motion_widens_the_shadow_by_the_arc_travel(h_mm):
    sharp = _system("victre-dbt", enabled=False)
    blurred = _system("victre-dbt", n_motion=3, n_focal=1)
    kw = dict(seed=1, noise=False, scatter=False, views=[12], rays_per_pixel=8, mas=5000.0,
              backend="cpu", progress=False)
    v0 = _profile_variance(acquire(_wire(h_mm), sharp, **kw))
    v1 = _profile_variance(acquire(_wire(h_mm), blurred, **kw))
    # tube travel 600 mm x 0.18 deg about the axis 50 mm above the detector; the shadow of a
    # point h mm up moves by travel * h / (SID - h) (SID 650): uniform, variance L^2 / 12
    travel = 600.0 * math.radians(0.18) * h_mm / (650.0 - h_mm)
    assert v1 - v0 == pytest.approx(travel ** 2 / 12.0, rel=0.15)


def test_disabled_blur_is_the_point_source_bytes_and_dm_has_no_motion():
    kw = dict(seed=2, noise=True, scatter=False, mas=20.0, backend="cpu", progress=False)
    a = acquire(_wire(), _system("victre-dm", enabled=False), **kw)
    b = acquire(_wire(), _system("victre-dm", n_focal=1), **kw)
    assert np.array_equal(a.raw, b.raw)
    assert _system("victre-dm").blur.for_scan("dm").motion_arc_deg == 0.0
