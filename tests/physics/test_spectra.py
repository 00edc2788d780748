"""Spectra: HVL, air kerma and fluence against spekpy's own figures and published values."""

import numpy as np
import pytest

from victwin.physics import linear_attenuation, spectrum

MO_MO = ("Mo", 28, [("Be", 0.5), ("Mo", 0.030)])
W_RH = ("W", 28, [("Be", 1.0), ("Rh", 0.050)])


@pytest.fixture(scope="module")
def mo_mo():
    return spectrum(*MO_MO, anode_angle_deg=16)


@pytest.fixture(scope="module")
def w_rh():
    return spectrum(*W_RH, anode_angle_deg=16)


@pytest.fixture(scope="module")
def spekpy_mo_mo():
    import spekpy

    s = spekpy.Spek(kvp=28, th=16, targ="Mo", dk=0.5, z=100)
    s.filter("Be", 0.5)
    s.filter("Mo", 0.030)
    return s


def test_hvl_mo_mo_28kvp(mo_mo, spekpy_mo_mo):
    # victwin's HVL (its own search with xraylib's aluminium) against spekpy's own HVL (its own
    # attenuation tables) for the same beam, both computed here.
    assert mo_mo.hvl_mm_al() == pytest.approx(spekpy_mo_mo.get_hvl1(), abs=0.005)


def test_hvl_w_rh_28kvp(w_rh):
    # As above for W/Rh 28 kVp, 50 um Rh, then behind a 3 mm PMMA paddle (spekpy's "Perspex").
    import spekpy

    ref = spekpy.Spek(kvp=28, th=16, targ="W", dk=0.5, z=100)
    ref.filter("Be", 1.0)
    ref.filter("Rh", 0.05)
    assert w_rh.hvl_mm_al() == pytest.approx(ref.get_hvl1(), abs=0.01)
    ref.filter("Perspex", 3.0)
    assert w_rh.filtered("pmma", 3.0).hvl_mm_al() == pytest.approx(ref.get_hvl1(), abs=0.01)
    # The paddle hardens the beam.
    assert w_rh.filtered("pmma", 3.0).hvl_mm_al() > w_rh.hvl_mm_al() + 0.02


def test_air_kerma_per_mas_matches_spekpy(mo_mo, spekpy_mo_mo):
    # spekpy's kerma at 100 cm uses its own mu_en tables: agree within 2%.
    assert mo_mo.air_kerma_per_mas_ugy(1000.0) == pytest.approx(spekpy_mo_mo.get_kerma(), rel=0.02)
    # Inverse square law.
    assert mo_mo.air_kerma_per_mas_ugy(500.0) == pytest.approx(4 * mo_mo.air_kerma_per_mas_ugy(), rel=1e-12)


def test_fluence_units_match_spekpy():
    # Unfiltered, the photons per mm2 per mAs at 1000 mm are spekpy's per cm2 at 100 cm / 100.
    import spekpy

    ref = spekpy.Spek(kvp=30, th=16, targ="Mo", dk=0.5, z=100)
    ours = spectrum("Mo", 30, [], anode_angle_deg=16)
    assert ours.total_photons_per_mas_mm2() * 100 == pytest.approx(ref.get_flu(), rel=1e-6)
    assert ours.total_photons_per_mas_mm2(2000.0) == pytest.approx(ours.total_photons_per_mas_mm2() / 4)


def test_mean_energy_and_characteristic_peak(mo_mo):
    # spekpy: mean energy 16.37 keV; Mo K-alpha 17.48 keV and K-beta 19.61 keV (xraylib lines).
    assert mo_mo.mean_energy_kev == pytest.approx(16.37, abs=0.1)
    peak = mo_mo.energy_kev[np.argmax(mo_mo.photons_per_mas_mm2)]
    assert abs(peak - 17.48) <= 0.25 + 1e-9


def test_rqa5_fluence_per_air_kerma():
    # IEC 62220-1-1 (2015) table: RQA5 photon fluence per air kerma 29 653 / (mm2 uGy).
    # W 70 kV with 21 mm Al added gives HVL close to 7.1 mm Al nominal (spekpy: 6.71).
    s = spectrum("W", 70, [("Al", 2.8), ("Al", 21.0)])
    assert s.photons_per_mm2_per_ugy() == pytest.approx(29653, rel=0.01)


def test_filtered_is_beer_lambert(w_rh):
    f = w_rh.filtered("pmma", 2.0)
    expected = w_rh.photons_per_mas_mm2 * np.exp(-linear_attenuation("pmma", w_rh.energy_kev) * 2.0)
    np.testing.assert_allclose(f.photons_per_mas_mm2, expected)
    assert f.filters[-1] == ("pmma", 2.0)
    assert f.hvl_mm_al() > w_rh.hvl_mm_al()


def test_bins_and_cache(w_rh):
    assert np.allclose(np.diff(w_rh.energy_kev), 0.5)
    assert w_rh.energy_kev.max() < 28.0
    assert spectrum(*W_RH, anode_angle_deg=16) is w_rh
    assert w_rh.filter_material == "Rh"


@pytest.mark.parametrize("args, kwargs, match", [
    (("Xx", 28), {}, "anode"),
    (("Mo", 80), {}, "kvp"),
    (("W", 5), {}, "kvp"),
    (("W", 28, [("unobtainium", 1.0)]), {}, "unknown material"),
    (("W", 28, [("Rh", -1.0)]), {}, "thickness_mm"),
    (("W", 28), {"anode_angle_deg": 90}, "anode_angle_deg"),
    (("W", 28), {"bin_width_kev": 5}, "bin_width_kev"),
])
def test_bad_arguments_raise(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        spectrum(*args, **kwargs)
