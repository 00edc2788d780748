"""VICTRE's exposure as MC-GPU histories per view (``mode = "mcgpu_histories"``).

Reference numbers are MC-GPU v1.5b's own logs of VICTRE's example runs (DIDSR/VICTRE_MCGPU,
``example_simulations/results/MC-GPU_v1.5b_{hetero,scattered}_phantom_mammo+DBT.out``: "Maximum
energy fluence detected in pixel ... = 88.411251 / 59.551134 eV/cm^2 per hist", line 282, for
1.7000256e11 / 3.4000512e11 histories) and its input files (apertures, cover, grid, detector).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, special

from victwin import systems
from victwin.physics import auto_exposure
from victwin.physics._aec import mcgpu_beam_solid_angle_sr, mcgpu_photons_per_mm2


def _mcgpu_ev_per_photon(mean_kev):
    """Mean energy (eV) MC-GPU v1.5b tallies per primary photon reaching an open-field pixel,
    from its input file (..._mammo+DBT.in lines 42-51) and kernel (lines 1463-1553): 1 mm
    polystyrene cover (MFP 1.9616 cm), a 5:1 31 line/cm grid with 65 um strips (open fraction
    times interspace transmission, Day & Dance at normal incidence), 0.2 mm Se at MFP 0.004027
    cm, K fluorescence (yield 0.596, 11.223 keV, MFP 0.00593 cm) escaping through either face."""
    cover = math.exp(-0.10 / 1.9616)
    c = 1 / 31.0
    d2 = c - 0.0065
    grid = d2 / c * math.exp(-5.0 * d2 / 1.9616)
    absorbed = 1 - math.exp(-0.02 / 0.004027)
    z = np.linspace(0.0, 0.02, 4001)
    pz = np.exp(-z / 0.004027)
    pz /= np.trapezoid(pz, z)
    escape = np.trapezoid(pz * 0.5 * (special.expn(2, z / 0.00593)
                                      + special.expn(2, (0.02 - z) / 0.00593)), z)
    return cover * grid * absorbed * (1000 * mean_kev - 0.596 * escape * 11223.0)


def test_solid_angle_matches_numerical_integral():
    for az, pol in ((15.0, 7.4686667), (15.0, 11.203), (30.0, 20.0)):
        a, b = math.tan(math.radians(pol)), math.tan(math.radians(az / 2))
        num = integrate.dblquad(lambda v, u: (1 + u * u + v * v) ** -1.5, 0, a, -b, b)[0]
        assert mcgpu_beam_solid_angle_sr(az, pol) == pytest.approx(num, rel=1e-7)


@pytest.mark.parametrize("histories, polar, mean_kev, logged_ev_cm2", [
    (1.7000256e11, 7.468666, 19.247, 88.411251),    # hetero, 28 kVp (log l. 79: mean energy)
    (3.4000512e11, 11.203, 19.550, 59.551134),      # scattered, 30 kVp
])
def test_histories_give_mcgpu_brightest_pixel(histories, polar, mean_kev, logged_ev_cm2):
    # MC-GPU's brightest pixel is an open-field pixel: N / (Omega SID^2) photons per area at
    # the detector with MC-GPU's detector model reproduces it (scatter and the off-centre
    # position, 6 cm from the central ray, change it by about 1 %).
    per_cm2 = mcgpu_photons_per_mm2(histories, 15.0, polar, 650.0) * 100.0
    ev_cm2_per_hist = per_cm2 * _mcgpu_ev_per_photon(mean_kev) / histories
    assert ev_cm2_per_hist == pytest.approx(logged_ev_cm2, rel=0.015)


@pytest.mark.parametrize("thickness_mm, dbt_histories", [(35.0, 7.8e9), (45.0, 1.02e10),
                                                         (55.0, 2.04e10), (60.0, 2.22e10)])
def test_victre_systems_deliver_victre_histories(thickness_mm, dbt_histories):
    # VICTRE_PIPELINE Victre/Constants.py lines 1944-1945; the DM gets 25 x 2/3 of a DBT view
    for name, n in (("victre-dbt", dbt_histories), ("victre-dm", dbt_histories * 25 * 2 / 3)):
        table = systems.load(name).aec
        table = {k: (list(v) if isinstance(v, tuple) else v) for k, v in table.items()}
        exp = auto_exposure(thickness_mm, 0.3, table=table)
        polar = 7.4686667 if thickness_mm <= 50 else 11.2
        photons = exp.mas * exp.breast_spectrum().total_photons_per_mas_mm2(650.0)
        assert photons == pytest.approx(mcgpu_photons_per_mm2(n, 15.0, polar, 650.0),
                                        rel=0.01)  # the AEC rounds to 0.1 mAs


def test_histories_mode_needs_its_keys():
    table = {"mode": "mcgpu_histories", "sid_mm": 650.0, "spectrum": "victre",
             "window": ["Be", 1.0],
             "histories_per_view": [[35.0, 1e10]],
             "rows": [{"anode": "W", "filter": "Rh", "filter_mm": 0.05, "kvp": 28.0}]}
    with pytest.raises(ValueError, match="beam_aperture_deg"):
        auto_exposure(40.0, 0.3, table=table)
    table["rows"][0]["beam_aperture_deg"] = [15.0, 7.5]
    table["histories_per_view"] = [[45.0, 1e10], [35.0, 2e10]]
    with pytest.raises(ValueError, match="histories_per_view"):
        auto_exposure(40.0, 0.3, table=table)
