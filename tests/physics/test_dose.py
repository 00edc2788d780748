"""Mean glandular dose (Dance K g c s t) against Dance's published tables."""

import math

import numpy as np
import pytest
import xraylib

from victwin.physics import (
    Spectrum,
    c_factor,
    entrance_air_kerma_mgy,
    g_factor,
    glandular_dose_per_kerma_primary,
    linear_attenuation,
    breast_tissue,
    mean_glandular_dose,
    s_factor,
    spectrum,
    t_factor,
)

HVLS = [0.30, 0.35, 0.40, 0.45, 0.50, 0.55, 0.60]

# European guidelines for quality assurance in breast cancer screening and diagnosis, 4th ed.
# (2006), dosimetry section: g and c factors for the typical breasts (women aged 50-64) that
# 20-80 mm of PMMA simulate, from Dance et al. 2000. Columns: HVL 0.30 ... 0.60 mm Al.
# (equivalent breast thickness mm, glandularity, g row, c row)
EUREF_PMMA = [
    (21, 0.97, [0.378, 0.421, 0.460, 0.496, 0.529, 0.559, 0.585], [0.889, 0.895, 0.903, 0.908, 0.912, 0.917, 0.921]),
    (32, 0.67, [0.261, 0.294, 0.326, 0.357, 0.388, 0.419, 0.448], [0.940, 0.943, 0.945, 0.946, 0.949, 0.952, 0.953]),
    (45, 0.40, [0.183, 0.208, 0.232, 0.258, 0.285, 0.311, 0.339], [1.043, 1.041, 1.040, 1.039, 1.037, 1.035, 1.034]),
    (53, 0.29, [0.155, 0.177, 0.198, 0.220, 0.245, 0.272, 0.295], [1.109, 1.105, 1.102, 1.099, 1.096, 1.091, 1.088]),
    (60, 0.20, [0.135, 0.154, 0.172, 0.192, 0.214, 0.236, 0.261], [1.164, 1.160, 1.151, 1.150, 1.144, 1.139, 1.134]),
    (75, 0.09, [0.106, 0.121, 0.136, 0.152, 0.166, 0.189, 0.210], [1.254, 1.245, 1.235, 1.231, 1.225, 1.217, 1.207]),
    (90, 0.04, [0.086, 0.098, 0.111, 0.123, 0.136, 0.154, 0.172], [1.299, 1.292, 1.282, 1.275, 1.270, 1.260, 1.249]),
    (103, 0.03, [0.074, 0.085, 0.096, 0.106, 0.117, 0.133, 0.149], [1.307, 1.299, 1.292, 1.287, 1.283, 1.273, 1.265]),
]


@pytest.fixture(scope="module")
def beams():
    return {
        "Mo/Mo 30": spectrum("Mo", 30, [("Be", 0.5), ("Mo", 0.03)], anode_angle_deg=16),
        "Mo/Rh 32": spectrum("Mo", 32, [("Be", 0.5), ("Rh", 0.025)], anode_angle_deg=16),
        "W/Rh 28": spectrum("W", 28, [("Be", 1.0), ("Rh", 0.05)], anode_angle_deg=16),
        "W/Ag 34": spectrum("W", 34, [("Be", 1.0), ("Ag", 0.05)], anode_angle_deg=16),
    }


@pytest.mark.parametrize("thickness, _g, g_row, _c", EUREF_PMMA)
def test_g_interpolation_reproduces_the_euref_pmma_table(thickness, _g, g_row, _c):
    got = [g_factor(thickness, h) for h in HVLS]
    np.testing.assert_allclose(got, g_row, rtol=0.01)


# Hammerstein et al. 1979 (Radiology 130:485) table 1: mass fractions of adipose and glandular
# tissue (ash as P) and their densities (g/cm3), the tissues of the Dance breast model.
_ADIPOSE = ({"H": 0.112, "C": 0.619, "N": 0.017, "O": 0.251, "P": 0.001}, 0.93)
_GLANDULAR = ({"H": 0.102, "C": 0.184, "N": 0.032, "O": 0.677, "P": 0.005}, 1.04)


def _xraylib_mu_per_mm(glandularity, energy_kev):
    """Linear attenuation (1/mm) of a glandular/adipose mixture from xraylib's CS_Total."""
    w = glandularity
    rho = 1.0 / (w / _GLANDULAR[1] + (1.0 - w) / _ADIPOSE[1])
    mass = sum((w * _GLANDULAR[0].get(el, 0.0) + (1.0 - w) * _ADIPOSE[0].get(el, 0.0))
               * xraylib.CS_Total(xraylib.SymbolToAtomicNumber(el), energy_kev)
               for el in _GLANDULAR[0])
    return mass * rho / 10.0


def _beer_lambert_glandular_depth_dose(thickness_mm, glandularity, energy_kev):
    """Primary glandular dose of a monoenergetic beam in the Dance slab, up to mu_en/rho:
    5 mm adipose layer, then the mean of exp(-mu x) over the core (analytic)."""
    x = _xraylib_mu_per_mm(glandularity, energy_kev) * (thickness_mm - 10.0)
    return math.exp(-_xraylib_mu_per_mm(0.0, energy_kev) * 5.0) * -math.expm1(-x) / x


@pytest.mark.parametrize("energy_kev", [15.0, 20.0, 25.0, 30.0])
def test_primary_depth_dose_of_a_monoenergetic_beam_is_beer_lambert(energy_kev):
    # Replaces a check of MGD at 4.5 cm, 50 %, HVL 0.30 against Dance's 0.183, which only read
    # the g table back. For one energy the primary glandular dose per unit kerma is
    # (mu_en/rho)_g / (mu_en/rho)_air x exp(-mu_a 5 mm) x (1 - exp(-mu_c T)) / (mu_c T): the
    # mu_en ratio cancels between two thicknesses, and c(w) is the ratio of two glandularities,
    # so both follow from Beer-Lambert with attenuation computed here from xraylib.
    beam = Spectrum("W", 28.0, (), 16.0, np.array([energy_kev]), 0.5, np.array([1.0]))
    got = glandular_dose_per_kerma_primary(beam, 60.0, 0.5) / glandular_dose_per_kerma_primary(beam, 30.0, 0.5)
    want = (_beer_lambert_glandular_depth_dose(60.0, 0.5, energy_kev)
            / _beer_lambert_glandular_depth_dose(30.0, 0.5, energy_kev))
    assert got == pytest.approx(want, rel=1e-6)
    for w in (0.0, 0.2, 1.0):
        want_c = (_beer_lambert_glandular_depth_dose(45.0, w, energy_kev)
                  / _beer_lambert_glandular_depth_dose(45.0, 0.5, energy_kev))
        assert c_factor(beam, 45.0, w) == pytest.approx(want_c, rel=1e-6)


@pytest.mark.parametrize("name", ["Mo/Mo 30", "W/Rh 28", "W/Ag 34"])
def test_primary_depth_dose_is_a_consistent_lower_bound_of_g(beams, name):
    # Our mu_en and the Dance slab without scatter must fall below Dance's g (which includes
    # scatter) by roughly the scattered share of the dose (15-35%).
    beam = beams[name]
    ratio = glandular_dose_per_kerma_primary(beam, 45.0, 0.5) / g_factor(45.0, beam.hvl_mm_al())
    assert 0.65 < ratio < 0.88


@pytest.mark.parametrize("thickness, glandularity, _g, c_row", EUREF_PMMA)
def test_c_factor_reproduces_dance_within_5_percent(beams, thickness, glandularity, _g, c_row):
    for beam in beams.values():
        expected = np.interp(beam.hvl_mm_al(), HVLS, c_row)
        assert c_factor(beam, thickness, glandularity) == pytest.approx(expected, rel=0.05)


def test_c_is_one_at_50_percent(beams):
    assert c_factor(beams["W/Rh 28"], 60.0, 0.5) == pytest.approx(1.0, abs=1e-12)


def test_s_factors_and_unknown_pair():
    # Dance 2000 table 6 and Dance 2009.
    assert s_factor("Mo", "Rh") == 1.017 and s_factor("W", "Rh") == 1.042 and s_factor("Rh", "Rh") == 1.061
    with pytest.raises(ValueError, match="no Dance s-factor for anode/filter W/Cu; valid: Mo/Mo"):
        s_factor("W", "Cu")


def test_t_factor_monoenergetic_slab_is_analytic():
    beam = Spectrum("W", 28.0, (), 16.0, np.array([20.0]), 0.5, np.array([1.0]))
    theta = np.array([0.0, 15.0, 25.0])
    got = t_factor(beam, 50.0, 0.5, theta)
    mu_s = float(linear_attenuation("adipose", 20.0))
    mu_c = float(linear_attenuation(breast_tissue(0.5), 20.0))
    k = 1.0 / np.cos(np.radians(theta))
    dose = np.exp(-mu_s * 5.0 * k) * (1 - np.exp(-mu_c * 40.0 * k)) / (mu_c * 40.0 * k)
    np.testing.assert_allclose(got, dose / dose[0], rtol=1e-10)
    assert got[0] == 1.0 and np.all(np.diff(got) < 0)


def test_entrance_air_kerma_scales_with_mas_and_distance(beams):
    beam = beams["W/Rh 28"]
    k = entrance_air_kerma_mgy(beam, [10.0, 20.0], 500.0)
    assert k[1] == pytest.approx(2 * k[0])
    assert k[0] == pytest.approx(10 * beam.air_kerma_per_mas_ugy(1000.0) * 4 / 1000)


def test_scan_dose_is_the_sum_of_per_view_doses(beams):
    beam = beams["W/Rh 28"]
    per_view = mean_glandular_dose(np.full(25, 0.1), 45.0, 0.5, beam, t_factor=np.linspace(0.9, 1.0, 25))
    assert per_view.shape == (25,)
    assert per_view.sum() == pytest.approx(0.1 * g_factor(45, beam.hvl_mm_al()) * 1.042 * np.linspace(0.9, 1.0, 25).sum())


@pytest.mark.parametrize("kwargs, match", [
    (dict(thickness_mm=5.0), "thickness_mm"),
    (dict(glandularity=1.5), "glandularity"),
    (dict(hvl_mm_al=2.0), "hvl_mm_al"),
    (dict(incident_air_kerma_mgy=-1.0), "incident_air_kerma_mgy"),
])
def test_bad_inputs_raise(beams, kwargs, match):
    args = dict(incident_air_kerma_mgy=1.0, thickness_mm=45.0, glandularity=0.5, spectrum=beams["W/Rh 28"])
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        mean_glandular_dose(**args)
