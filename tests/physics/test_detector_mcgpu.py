"""MC-GPU's detector charge model (VICTRE): flat-field mean and variance against its formula."""

import dataclasses
import math

import numpy as np
import pytest

from victwin.physics import A_SE_VICTRE, detect, digitize, mcgpu_charge_std_e

MCGPU = dataclasses.replace(A_SE_VICTRE, noise_model="mcgpu")


def _flat(n_photons, e_kev=19.0, shape=(400, 400)):
    e1 = np.full(shape, n_photons * e_kev)
    return e1, e1 * e_kev          # mono-energetic: E2 = N E^2


def test_flat_field_mean_and_variance_follow_mcgpu_formula():
    # MC-GPU_v1.5b.cu lines 3357-3360: mean = E/W + en, std = sqrt(mean_E * r) + sqrt(en),
    # r = sqrt(1/Swank - 1) (line 1676); the photon counting noise of the deposit comes on top
    # (Poisson N photons of E keV: variance N (E/W)^2 in charges).
    n, e = 40.0, 19.0
    e1, e2 = _flat(n, e)
    q = detect(e1, e2, MCGPU, np.random.default_rng(1))
    w = 1000.0 / 50.0                       # charges per keV (W = 50 eV)
    m = n * e * w
    r = math.sqrt(1 / 0.99 - 1)
    assert r == pytest.approx(0.100504, abs=1e-6)   # MC-GPU's log: "0.100504 relative std_dev"
    var_expected = n * (e * w) ** 2 + (math.sqrt(m * r) + math.sqrt(5200.0)) ** 2
    se_mean = math.sqrt(var_expected / q.size)
    assert q.mean() == pytest.approx(m + 5200.0, abs=4 * se_mean)
    assert q.var() == pytest.approx(var_expected, rel=4 * math.sqrt(2 / q.size) + 1e-3)
    assert np.all(q == np.rint(q))          # whole charges


def test_dark_field_is_the_additive_noise_only():
    z = np.zeros((300, 300))
    q = detect(z, z, MCGPU, np.random.default_rng(2))
    # mean 5200, std sqrt(5200) = 72.1 e: not 5200 e rms as victwin's own model uses
    assert q.mean() == pytest.approx(5200.0, abs=4 * 72.1 / 300)
    assert q.std() == pytest.approx(math.sqrt(5200.0), rel=0.02)
    raw = digitize(q, MCGPU)
    # VICTRE's conversion subtracts the 5200 offset (DICOM_DM.m line 64)
    assert abs(raw.astype(float).mean() - MCGPU.offset_adu) < 0.5


def test_scatter_gets_no_electronic_noise_and_binning_sums_native_pixels():
    n, e = 40.0, 19.0
    e1, e2 = _flat(n, e)
    m = n * e * 20.0
    r = math.sqrt(1 / 0.99 - 1)
    q = detect(e1, e2, MCGPU, np.random.default_rng(3), primary_kev=0.5 * e1)
    var = n * (e * 20) ** 2 + (math.sqrt(0.5 * m * r) + math.sqrt(5200)) ** 2 + 0.5 * m * r
    assert q.var() == pytest.approx(var, rel=0.03)
    qb = detect(e1, e2, MCGPU, np.random.default_rng(4), binning=2)
    var_b = n * (e * 20) ** 2 + 4 * (math.sqrt(m / 4 * r) + math.sqrt(5200)) ** 2
    assert qb.mean() == pytest.approx(m + 4 * 5200, rel=1e-3)
    assert qb.var() == pytest.approx(var_b, rel=0.03)
    assert mcgpu_charge_std_e(0.0, MCGPU) == pytest.approx(math.sqrt(5200))
    assert mcgpu_charge_std_e(100.0, MCGPU, electronic=False) == pytest.approx(
        math.sqrt(100 * r))


def test_noise_free_and_bad_model():
    e1, e2 = _flat(10.0)
    assert np.allclose(detect(e1, e2, MCGPU, None), 10 * 19 * 20 + 5200)
    with pytest.raises(ValueError, match="noise_model"):
        dataclasses.replace(A_SE_VICTRE, noise_model="geant4")
    with pytest.raises(ValueError, match="primary_kev"):
        detect(e1, e2, MCGPU, np.random.default_rng(0), primary_kev=2 * e1)
