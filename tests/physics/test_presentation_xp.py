"""The device version of the "for presentation" processing (full-resolution steps on the
array's device, 0.5 mm steps on the CPU) gives the CPU function's image and window."""

import numpy as np
import pytest

from victwin.physics._presentation import present
from victwin.physics._presentation_xp import present_xp


def _mammogram(pixel_mm, seed=0):
    # a semicircular compressed breast against the left edge, thinning towards its skin line
    rng = np.random.default_rng(seed)
    nv, nu = int(120 / pixel_mm), int(70 / pixel_mm)
    y = (np.arange(nv) - nv / 2) * pixel_mm
    x = np.arange(nu) * pixel_mm
    r = np.hypot(y[:, None] / 55.0, x[None, :] / 60.0)
    thick = 50.0 * np.sqrt(np.clip(1.0 - r ** 2, 0.0, None))
    p = 0.08 * thick + 0.02 * rng.standard_normal((nv, nu)) * (thick > 0)
    flat = 2000.0 * (1.0 - 0.1 * (x[None, :] / x.max()) ** 2) * np.ones((nv, 1))
    raw = np.clip(np.rint(100.0 + flat * np.exp(-p) + rng.normal(0, 3, (nv, nu))), 0, 16383)
    return raw.astype(np.uint16), flat


@pytest.mark.parametrize("pixel_mm", [0.5, 0.17])
def test_device_presentation_equals_cpu(pixel_mm):
    raw, flat = _mammogram(pixel_mm)
    want, wwin = present(raw, 100.0, flat, pixel_mm)
    got, gwin = present_xp(raw, 100.0, flat, pixel_mm, xp=np)
    assert want.max() > 1000 and (want == 0).mean() > 0.1   # a breast on black air
    np.testing.assert_allclose(gwin, wwin, rtol=1e-12)
    assert np.max(np.abs(got.astype(int) - want.astype(int))) <= 1
    assert np.mean(got != want) < 1e-3


def test_device_presentation_of_a_flat_field():
    raw = np.full((40, 30), 2100, np.uint16)
    raw[::2] += 3
    want, wwin = present(raw, 100.0, np.full(raw.shape, 2000.0), 0.5)
    got, gwin = present_xp(raw, 100.0, np.full(raw.shape, 2000.0), 0.5, xp=np)
    assert np.array_equal(got, want) and np.allclose(gwin, wwin)
