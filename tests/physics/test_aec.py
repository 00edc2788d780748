"""Automatic exposure control: table lookup, mAs for the target, clinical dose range."""

import copy
import json
import math
import os

import numpy as np
import pytest
import spekpy
import xraylib

from victwin.physics import auto_exposure, mean_glandular_dose, t_factor

# A Mammomat-Inspiration-like W/Rh table (kVp rising with thickness), detector-kerma AEC.
DM_TABLE = {
    "mode": "detector_kerma",
    "target_detector_kerma_ugy": 100.0,
    "sid_mm": 650.0,
    "support_height_mm": 20.0,
    "paddle_material": "pmma",
    "paddle_mm": 2.0,
    "window": ["Be", 1.0],
    "anode_angle_deg": 16.0,
    "mas_min": 4.0,
    "mas_max": 600.0,
    "mas_step": 0.1,
    "rows": [
        {"max_thickness_mm": 30.0, "anode": "W", "filter": "Rh", "filter_mm": 0.05, "kvp": 26.0},
        {"max_thickness_mm": 50.0, "anode": "W", "filter": "Rh", "filter_mm": 0.05, "kvp": 28.0},
        {"max_thickness_mm": 70.0, "anode": "W", "filter": "Rh", "filter_mm": 0.05, "kvp": 31.0},
        {"anode": "W", "filter": "Rh", "filter_mm": 0.05, "kvp": 34.0},
    ],
}
# DBT: same beams, per-projection detector target for 25 projections (VICTRE's Mammomat DBT).
DBT_TABLE = dict(DM_TABLE, target_detector_kerma_ugy=6.0, mas_min=0.5, mas_step=0.01)
MAMMOMAT_ANGLES_DEG = -25.0 + 2.083 * np.arange(25)


def test_rows_follow_thickness():
    assert auto_exposure(25.0, 0.7, table=DM_TABLE).kvp == 26.0
    assert auto_exposure(45.0, 0.5, table=DM_TABLE).kvp == 28.0
    assert auto_exposure(85.0, 0.1, table=DM_TABLE).kvp == 34.0


# Hammerstein et al. 1979 (Radiology 130:485) table 1: mass fractions and densities (g/cm3) of
# the adipose and glandular tissue of the Dance breast model.
_ADIPOSE = ({"H": 0.112, "C": 0.619, "N": 0.017, "O": 0.251, "P": 0.001}, 0.93)
_GLANDULAR = ({"H": 0.102, "C": 0.184, "N": 0.032, "O": 0.677, "P": 0.005}, 1.04)


def _independent_detector_kerma_ugy(kvp, mas, thickness_mm, glandularity):
    """Primary air kerma (uGy) behind the Dance slab at DM_TABLE's SID, computed without victwin:
    spekpy's spectrum, filters (its own attenuation data) and free-in-air kerma; xraylib's
    CS_Total for the breast (5 mm adipose layers, glandular/adipose core); the transmitted kerma
    weighted by NIST's air mu_en/rho (Hubbell & Seltzer, the table spekpy ships)."""
    spek = spekpy.Spek(kvp=kvp, th=DM_TABLE["anode_angle_deg"], targ="W", dk=0.5,
                       z=DM_TABLE["sid_mm"] / 10.0, mas=mas)
    spek.multi_filter([("Be", 1.0), ("Rh", 0.05),
                       ("Polymethyl Methacrylate (Lucite Perspex or Plexiglas)", DM_TABLE["paddle_mm"])])
    e_kev, phi = spek.get_spectrum()
    with open(os.path.join(os.path.dirname(spekpy.__file__), "data", "tables", "nist_muen_air.dat")) as fh:
        nist = json.load(fh)
    muen_air = np.exp(np.interp(np.log(e_kev), np.log(1000.0 * np.array(nist["photon energy"])),
                                np.log(nist["muen_over_rho_air"])))

    def mu_per_mm(w, e):
        rho = 1.0 / (w / _GLANDULAR[1] + (1.0 - w) / _ADIPOSE[1])
        return rho / 10.0 * sum((w * _GLANDULAR[0][el] + (1.0 - w) * _ADIPOSE[0][el])
                                * xraylib.CS_Total(xraylib.SymbolToAtomicNumber(el), e) for el in _GLANDULAR[0])

    transmitted = np.array([math.exp(-mu_per_mm(0.0, e) * 10.0 - mu_per_mm(glandularity, e) * (thickness_mm - 10.0))
                            for e in e_kev])
    weight = phi * e_kev * muen_air
    return spek.get_kerma() * float(np.sum(weight * transmitted) / np.sum(weight))


@pytest.mark.parametrize("thickness_mm, glandularity", [(30.0, 0.9), (45.0, 0.5), (70.0, 0.1)])
def test_mas_reaches_the_detector_target(thickness_mm, glandularity):
    # The chosen mAs, recomputed with spekpy and xraylib (not victwin's spectra or
    # attenuation), gives the 100 uGy target behind the breast. Measured: +0.7 to +0.9 %.
    # Like the AEC, the reference leaves the breast support and scatter out.
    exp = auto_exposure(thickness_mm, glandularity, table=DM_TABLE)
    got = _independent_detector_kerma_ugy(exp.kvp, exp.mas, thickness_mm, glandularity)
    assert got == pytest.approx(DM_TABLE["target_detector_kerma_ugy"], rel=0.03)


def test_denser_breast_needs_more_mas():
    exp = auto_exposure(45.0, 0.5, table=DM_TABLE)
    assert auto_exposure(45.0, 0.9, table=DM_TABLE).mas > exp.mas > auto_exposure(45.0, 0.1, table=DM_TABLE).mas


def test_dm_dose_below_the_euref_acceptable_level():
    # European guidelines (2006) table 2a.2: acceptable MGD 2.5 mGy (achievable 2.0) for the
    # 5.3 cm, 29% glandular breast that 4.5 cm PMMA simulates.
    exp = auto_exposure(53.0, 0.29, table=DM_TABLE)
    assert 0.5 < exp.mean_glandular_dose_mgy < 2.5


def test_dbt_scan_dose_in_clinical_range():
    # Clinical DBT scans of an average breast give about 1-3 mGy (Dance et al. 2011; issue 4).
    exp = auto_exposure(45.0, 0.5, table=DBT_TABLE)
    k = np.full(25, exp.incident_air_kerma_mgy)
    flat = mean_glandular_dose(k, 45.0, 0.5, exp.breast_spectrum()).sum()
    t = t_factor(exp.breast_spectrum(), 45.0, 0.5, MAMMOMAT_ANGLES_DEG)
    oblique = mean_glandular_dose(k, 45.0, 0.5, exp.breast_spectrum(), t_factor=t).sum()
    assert 1.0 < oblique < flat < 3.0


def _thaw(value):
    if hasattr(value, "items"):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_thaw(v) for v in value]
    return value


@pytest.mark.parametrize("name, thickness_mm, fat_volume_fraction, victre_dm_mgy, victre_dbt_mgy", [
    # VICTRE's phantoms (DIDSR/VICTRE, "VICTRE Configuration Files and Parameters":
    # breastCompress -t 45 / 55, targetFatFrac 0.66 / 0.85 by volume) and the mean glandular
    # doses MC-GPU reported for them in VICTRE's DM and DBT runs (its .out files).
    ("hetero", 45.0, 0.66, 0.872, 1.284),
    ("scattered", 55.0, 0.85, 0.904, 1.324),
])
def test_shipped_aec_tables_give_victres_doses(name, thickness_mm, fat_volume_fraction,
                                               victre_dm_mgy, victre_dbt_mgy):
    # The systems' own AEC tables (package data), not a table written for the test. Measured:
    # DM -6 % (hetero) and +17 % (scattered), DBT -8 % and +14 %: within 20 %.
    from victwin.systems import load

    g = 1.0 - fat_volume_fraction
    glandular_mass = g * 1.04 / (g * 1.04 + fat_volume_fraction * 0.93)  # Hammerstein densities
    dm = auto_exposure(thickness_mm, glandular_mass, table=_thaw(load("mammomat-dm").aec))
    assert dm.mean_glandular_dose_mgy == pytest.approx(victre_dm_mgy, rel=0.20)
    dbt = auto_exposure(thickness_mm, glandular_mass, table=_thaw(load("mammomat-dbt").aec))
    t = t_factor(dbt.breast_spectrum(), thickness_mm, glandular_mass, MAMMOMAT_ANGLES_DEG)
    k = np.full(25, dbt.incident_air_kerma_mgy)
    scan = mean_glandular_dose(k, thickness_mm, glandular_mass, dbt.breast_spectrum(),
                               t_factor=t).sum()
    assert scan == pytest.approx(victre_dbt_mgy, rel=0.20)


def test_mas_clamped_to_the_tube_range():
    table = dict(DM_TABLE, mas_max=20.0)
    assert auto_exposure(80.0, 0.5, table=table).mas == 20.0


@pytest.mark.parametrize("change, match", [
    ({"mode": "manual"}, "AEC table: mode must be one of 'detector_kerma', 'mgd', 'mcgpu_histories', got 'manual'"),
    ({"colour": 1}, "AEC table: unknown key colour; valid keys here: "),
    ({"mas_stpe": 1}, "AEC table: unknown key mas_stpe; did you mean mas_step[?]"),
    ({"sid_mm": -1}, "AEC table: sid_mm must be > 0, got -1"),
    ({"rows": []}, "AEC table: rows must be a non-empty list of row tables, got \\[\\]"),
    ({"mode": "mgd"}, "AEC table: missing key target_mgd_mgy"),
    ({"rows": [{"max_thickness_mm": 10.0, "anode": "W", "filter": "Rh", "filter_mm": 0.05, "kvp": 26}]},
     "no AEC table row covers thickness_mm=45"),
    ({"rows": [{"anode": "Zz", "filter": "Rh", "filter_mm": 0.05, "kvp": 26}]},
     "AEC table: rows\\[0\\].anode must be one of .*got 'Zz'"),
])
def test_bad_tables_raise(change, match):
    table = copy.deepcopy(DM_TABLE)
    table.update(change)
    with pytest.raises(ValueError, match=match):
        auto_exposure(45.0, 0.5, table=table)
