"""Breast dose: incident air kerma and mean glandular dose (Dance's K g c s method).

``MGD = K g c s t`` (Dance 1990; Dance et al. 2000; Dance, Young & van Engen 2009, 2011):

- ``K``: incident air kerma (mGy) at the upper breast surface, free in air (no backscatter),
  from the spectrum's air kerma per mAs, the mAs and the focus-to-surface distance;
- ``g``: the conversion factor for a 50%-glandular breast, from Dance et al. 2000 table 1
  (rows 2-11 cm of breast, columns HVL 0.30-0.60 mm Al), interpolated;
- ``c``: glandularity correction (c = 1 at 50% by definition). Computed here from a
  depth-dose model of the Dance breast (5 mm adipose surface layers around a homogeneous
  glandular/adipose core, the spectrum's own photons, derived mu_en of glandular tissue): the
  ratio of the glandular dose at the requested glandularity to that at 50%. It reproduces the
  c-factors Dance et al. 2000 tabulate (for the typical glandularities of women aged 50-64) to
  within 5% from 2 to 11 cm (see tests/physics/test_dose.py);
- ``s``: spectrum correction by anode/filter, Dance et al. 2000 table 6 (Mo/Mo, Mo/Rh, Rh/Rh,
  Rh/Al, W/Rh) and Dance et al. 2009 (W/Ag);
- ``t``: for a tomosynthesis projection at angle theta (Dance et al. 2011 define t(theta),
  t(0) = 1). :func:`t_factor` gives a primary slab depth-dose estimate of it; callers may pass
  Dance's tabulated values instead.

References
----------
.. [1] Dance DR. Monte Carlo calculation of conversion factors for the estimation of mean
   glandular breast dose. Phys Med Biol 35:1211-1219 (1990).
.. [2] Dance DR, Skinner CL, Young KC, Beckett JR, Kotre CJ. Additional factors for the
   estimation of mean glandular breast dose using the UK mammography dosimetry protocol.
   Phys Med Biol 45:3225-3240 (2000), table 1 (g), table 6 (s); its c-factors for typical
   glandularities check the c model in the tests.
.. [3] Dance DR, Young KC, van Engen RE. Further factors for the estimation of mean glandular
   dose using the United Kingdom, European and IAEA breast dosimetry protocols.
   Phys Med Biol 54:4361-4372 (2009) (s for W/Ag).
.. [4] Dance DR, Young KC, van Engen RE. Estimation of mean glandular dose for breast
   tomosynthesis: factors for use with the UK, European and IAEA breast dosimetry protocols.
   Phys Med Biol 56:453-471 (2011) (t and T factors).
.. [5] European guidelines for quality assurance in breast cancer screening and diagnosis,
   4th ed. (2006), supplement (EUREF 2013), tables A5.1 and A5.5: the same g values for the
   breasts simulated by PMMA, used to cross-check the transcription of [2].
"""

from __future__ import annotations

import numpy as np

from ._attenuation import linear_attenuation, mass_energy_absorption
from ._materials import breast_tissue
from ._spectra import Spectrum

__all__ = [
    "G_FACTOR_HVL_MM_AL",
    "G_FACTOR_THICKNESS_MM",
    "G_FACTOR_TABLE",
    "S_FACTORS",
    "g_factor",
    "c_factor",
    "s_factor",
    "t_factor",
    "entrance_air_kerma_mgy",
    "mean_glandular_dose",
    "glandular_dose_per_kerma_primary",
]

#: HVL columns (mm Al) of Dance et al. 2000 table 1.
G_FACTOR_HVL_MM_AL = np.array([0.30, 0.35, 0.40, 0.45, 0.50, 0.55, 0.60])
#: Compressed breast thickness rows (mm) of Dance et al. 2000 table 1.
G_FACTOR_THICKNESS_MM = np.array([20.0, 30.0, 40.0, 45.0, 50.0, 60.0, 70.0, 80.0, 90.0, 100.0, 110.0])
#: g (mGy/mGy) for a 50%-glandular breast, Dance et al. 2000 PMB 45:3225 table 1
#: [thickness row, HVL column].
G_FACTOR_TABLE = np.array([
    [0.390, 0.433, 0.473, 0.509, 0.543, 0.573, 0.598],  # 2 cm
    [0.274, 0.309, 0.342, 0.374, 0.406, 0.437, 0.466],  # 3 cm
    [0.207, 0.235, 0.261, 0.289, 0.318, 0.346, 0.374],  # 4 cm
    [0.183, 0.208, 0.232, 0.258, 0.285, 0.311, 0.339],  # 4.5 cm
    [0.164, 0.187, 0.209, 0.232, 0.258, 0.287, 0.310],  # 5 cm
    [0.135, 0.154, 0.172, 0.192, 0.214, 0.236, 0.261],  # 6 cm
    [0.114, 0.130, 0.145, 0.163, 0.177, 0.202, 0.224],  # 7 cm
    [0.098, 0.112, 0.126, 0.140, 0.154, 0.175, 0.195],  # 8 cm
    [0.086, 0.098, 0.111, 0.123, 0.136, 0.154, 0.172],  # 9 cm
    [0.076, 0.087, 0.099, 0.110, 0.121, 0.138, 0.154],  # 10 cm
    [0.069, 0.079, 0.089, 0.099, 0.109, 0.124, 0.139],  # 11 cm
])

#: s-factors by (anode, filter): Dance et al. 2000 table 6; W/Ag from Dance et al. 2009.
S_FACTORS = {
    ("Mo", "Mo"): 1.000,
    ("Mo", "Rh"): 1.017,
    ("Rh", "Rh"): 1.061,
    ("Rh", "Al"): 1.044,
    ("W", "Rh"): 1.042,
    ("W", "Ag"): 1.042,
}

#: Thickness of the adipose surface layers of the Dance breast model (mm), Dance 1990.
_SURFACE_LAYER_MM = 5.0
#: Ranges where the g table is interpolated (inside the table) or extrapolated (outside it,
#: linearly in log g vs log thickness and linearly in HVL from the end intervals).
_THICKNESS_RANGE_MM = (10.0, 150.0)
_HVL_RANGE_MM_AL = (0.20, 0.90)


def _check_thickness(thickness_mm) -> float:
    t = float(thickness_mm)
    lo, hi = _THICKNESS_RANGE_MM
    if not (np.isfinite(t) and lo <= t <= hi):
        raise ValueError(f"thickness_mm must be within [{lo:g}, {hi:g}] mm for the Dance factors, got {thickness_mm!r}")
    return t


def _check_glandularity(glandularity) -> float:
    w = float(glandularity)
    if not 0.0 <= w <= 1.0:
        raise ValueError(f"glandularity must be a weight fraction in [0, 1], got {glandularity!r}")
    return w


def _interp_extrap(x, xp, fp):
    """Linear interpolation with linear extrapolation from the end intervals."""
    if x < xp[0]:
        return fp[0] + (x - xp[0]) * (fp[1] - fp[0]) / (xp[1] - xp[0])
    if x > xp[-1]:
        return fp[-1] + (x - xp[-1]) * (fp[-1] - fp[-2]) / (xp[-1] - xp[-2])
    return float(np.interp(x, xp, fp))


def g_factor(thickness_mm: float, hvl_mm_al: float) -> float:
    """Dance's g-factor (mGy/mGy) for a 50%-glandular breast.

    Bilinear inside Dance et al. 2000 table 1 (20-110 mm, 0.30-0.60 mm Al); this reproduces the
    g values the European guidelines list for their PMMA-equivalent breasts to 1%. Outside it, extrapolation from
    the end intervals, linear in HVL (within 0.20-0.90 mm Al) and log-log in thickness (within
    10-150 mm).

    Parameters
    ----------
    thickness_mm : float
        Compressed breast thickness (mm).
    hvl_mm_al : float
        First half-value layer of the incident beam (mm Al).
    """
    t = _check_thickness(thickness_mm)
    h = float(hvl_mm_al)
    lo, hi = _HVL_RANGE_MM_AL
    if not (np.isfinite(h) and lo <= h <= hi):
        raise ValueError(f"hvl_mm_al must be within [{lo:g}, {hi:g}] mm Al for the Dance g table, got {hvl_mm_al!r}")
    per_row = np.array([_interp_extrap(h, G_FACTOR_HVL_MM_AL, row) for row in G_FACTOR_TABLE])
    thick = G_FACTOR_THICKNESS_MM
    if thick[0] <= t <= thick[-1]:
        return float(np.interp(t, thick, per_row))
    # Outside the table g falls roughly as a power of the thickness: extrapolate log-log.
    return float(np.exp(_interp_extrap(np.log(t), np.log(thick), np.log(per_row))))


def s_factor(anode: str, filter_material: str) -> float:
    """Dance's spectrum correction s for an anode/filter pair (e.g. ``("W", "Rh")`` -> 1.042)."""
    key = (str(anode), str(filter_material))
    if key not in S_FACTORS:
        valid = ", ".join(f"{a}/{f}" for a, f in S_FACTORS)
        raise ValueError(f"no Dance s-factor for anode/filter {key[0]}/{key[1]}; valid: {valid}")
    return S_FACTORS[key]


def _slab_glandular_dose(spectrum: Spectrum, thickness_mm: float, glandularity: float,
                         angle_deg: float = 0.0) -> float:
    """Primary glandular dose per photon fluence, arbitrary units (Dance slab, oblique beam)."""
    e = spectrum.energy_kev
    phi = spectrum.photons_per_mas_mm2
    stretch = 1.0 / np.cos(np.radians(angle_deg))
    layer = min(_SURFACE_LAYER_MM, thickness_mm / 2.0)
    core = thickness_mm - 2.0 * layer
    mu_surface = linear_attenuation("adipose", e) * stretch
    x = linear_attenuation(breast_tissue(glandularity), e) * core * stretch
    depth_mean = np.where(x > 1e-12, -np.expm1(-x) / np.where(x > 1e-12, x, 1.0), 1.0)
    per_e = e * mass_energy_absorption("glandular", e) * np.exp(-mu_surface * layer) * depth_mean
    return float(np.dot(phi, per_e))


def glandular_dose_per_kerma_primary(spectrum: Spectrum, thickness_mm: float, glandularity: float) -> float:
    """Primary-only mean glandular dose per incident air kerma (mGy/mGy) of the Dance slab.

    No scattered photons: a lower bound of Dance's ``g c`` (the scatter adds about a quarter).
    """
    t = _check_thickness(thickness_mm)
    w = _check_glandularity(glandularity)
    e = spectrum.energy_kev
    kerma = float(np.dot(spectrum.photons_per_mas_mm2, e * mass_energy_absorption("air", e)))
    return _slab_glandular_dose(spectrum, t, w) / kerma


def c_factor(spectrum: Spectrum, thickness_mm: float, glandularity: float) -> float:
    """Glandularity correction c (dimensionless, 1 at 50% glandular), from the depth-dose model.

    Parameters
    ----------
    spectrum : Spectrum
        Beam incident on the breast (after the paddle).
    thickness_mm : float
        Compressed breast thickness (mm).
    glandularity : float
        Glandular weight fraction of the breast core, in [0, 1].
    """
    t = _check_thickness(thickness_mm)
    w = _check_glandularity(glandularity)
    return _slab_glandular_dose(spectrum, t, w) / _slab_glandular_dose(spectrum, t, 0.5)


def t_factor(spectrum: Spectrum, thickness_mm: float, glandularity: float, angle_deg) -> np.ndarray:
    """Tomosynthesis t(theta) from the primary slab model (t(0) = 1).

    Ratio of the glandular dose of a projection at ``angle_deg`` to that at 0 degrees for the
    same incident air kerma on the central ray: oblique paths are longer by ``1/cos(theta)``.
    It ignores the breast outline and scatter that Dance et al. 2011 model, so it is an
    estimate; their tabulated t(theta) may be passed to :func:`mean_glandular_dose` instead.

    Parameters
    ----------
    angle_deg : float or array_like
        Projection angle(s) from the breast normal (degrees), |angle| < 60.
    """
    t = _check_thickness(thickness_mm)
    w = _check_glandularity(glandularity)
    angles = np.asarray(angle_deg, dtype=np.float64)
    if np.any(~np.isfinite(angles) | (np.abs(angles) >= 60.0)):
        raise ValueError(f"angle_deg must be finite with |angle| < 60 degrees, got {angle_deg!r}")
    ref = _slab_glandular_dose(spectrum, t, w, 0.0)
    out = np.array([_slab_glandular_dose(spectrum, t, w, a) / ref for a in angles.ravel()])
    return out.reshape(angles.shape)


def entrance_air_kerma_mgy(spectrum: Spectrum, mas, distance_mm: float):
    """Incident air kerma (mGy), free in air, at ``distance_mm`` from the focus.

    Parameters
    ----------
    spectrum : Spectrum
        The beam at the point of interest's filtration (include the paddle for the breast
        surface).
    mas : float or array_like
        Tube current-time product (mAs) per exposure, >= 0.
    distance_mm : float
        Focus to the upper breast surface (mm).

    Returns
    -------
    float or numpy.ndarray
        Air kerma (mGy), shaped like ``mas``.
    """
    m = np.asarray(mas, dtype=np.float64)
    if np.any(~np.isfinite(m) | (m < 0)):
        raise ValueError(f"mas must be finite and >= 0, got {mas!r}")
    k = spectrum.air_kerma_per_mas_ugy(distance_mm) * m / 1000.0
    return float(k) if k.ndim == 0 else k


def mean_glandular_dose(incident_air_kerma_mgy, thickness_mm: float, glandularity: float,
                        spectrum: Spectrum, *, hvl_mm_al: float | None = None,
                        anode_filter: tuple | None = None, t_factor=1.0):
    """Mean glandular dose (mGy) by Dance's ``K g c s t`` method.

    Parameters
    ----------
    incident_air_kerma_mgy : float or array_like
        K, incident air kerma at the upper breast surface without backscatter (mGy), one per
        exposure (e.g. per tomosynthesis projection).
    thickness_mm : float
        Compressed breast thickness (mm), 10-150 (g is extrapolated outside 20-110).
    glandularity : float
        Glandular weight fraction of the breast, in [0, 1].
    spectrum : Spectrum
        The beam incident on the breast (after the paddle); gives the HVL, the c-factor and
        the anode/filter for s.
    hvl_mm_al : float, optional
        Measured HVL (mm Al) to use instead of ``spectrum.hvl_mm_al()``.
    anode_filter : (str, str), optional
        Anode/filter for s, default ``(spectrum.anode, spectrum.filter_material)``.
    t_factor : float or array_like, optional
        Dance's tomosynthesis t(theta) per exposure (1 for a 2D view); see :func:`t_factor`.

    Returns
    -------
    float or numpy.ndarray
        MGD (mGy) per exposure, shaped like ``incident_air_kerma_mgy`` (broadcast with
        ``t_factor``). Sum it over a scan for the scan dose.
    """
    k = np.asarray(incident_air_kerma_mgy, dtype=np.float64)
    if np.any(~np.isfinite(k) | (k < 0)):
        raise ValueError(f"incident_air_kerma_mgy must be finite and >= 0, got {incident_air_kerma_mgy!r}")
    tf = np.asarray(t_factor, dtype=np.float64)
    if np.any(~np.isfinite(tf) | (tf <= 0) | (tf > 1.5)):
        raise ValueError(f"t_factor must be in (0, 1.5], got {t_factor!r}")
    hvl = spectrum.hvl_mm_al() if hvl_mm_al is None else float(hvl_mm_al)
    anode, filt = anode_filter if anode_filter is not None else (spectrum.anode, spectrum.filter_material)
    factor = (g_factor(thickness_mm, hvl) * c_factor(spectrum, thickness_mm, glandularity)
              * s_factor(anode, filt))
    dose = k * factor * tf
    return float(dose) if dose.ndim == 0 else dose
