"""Photon attenuation and energy absorption coefficients of victwin's materials.

Attenuation comes from xraylib (``CS_Total``: photoelectric + coherent + incoherent, per
element, mixed by mass fraction). Energy absorption does **not** use xraylib's ``CS_Energy``,
which disagrees with NIST for light elements (water 0.382 instead of 0.550 cm2/g at 20 keV;
tschoonj/xraylib issues 176 and 255). It is derived here from its definition
(Attix, *Introduction to Radiological Physics and Radiation Dosimetry*, ch. 7; Hubbell 1982,
Int J Appl Radiat Isot 33:1269)::

    mu_en/rho = sum_Z w_Z [ tau_Z(E) (1 - P_K omega_K <E_K> / E) + sigma_incoh,Z(E) f_KN(E) ]

with ``tau`` the photoelectric cross section, ``P_K`` the fraction of photoabsorptions in the K
shell, ``omega_K`` the K fluorescence yield and ``<E_K>`` the mean K x-ray energy (the energy
carried off by fluorescence), ``sigma_incoh`` the incoherent cross section and ``f_KN`` the
Klein-Nishina mean fraction of the photon energy given to the recoil electron. Bremsstrahlung
losses of the secondary electrons (g < 0.1% below 150 keV in tissue) and L-shell fluorescence
are neglected. For water this reproduces NIST's table (0.5503 cm2/g at 20 keV) within 0.3%.

Values are cached per (material, energy grid).
"""

from __future__ import annotations

import functools

import numpy as np
from . import _xraylib as xraylib

from ._materials import Material, get_material

__all__ = [
    "mass_attenuation",
    "linear_attenuation",
    "mass_energy_absorption",
    "linear_energy_absorption",
    "absorption_efficiency",
    "klein_nishina_energy_transfer_fraction",
]

#: Electron rest energy (keV), CODATA 2018.
_ME_C2_KEV = 510.99895


def _energies(energy_kev) -> np.ndarray:
    e = np.asarray(energy_kev, dtype=np.float64)
    if e.size and not (np.all(np.isfinite(e)) and e.min() >= 1.0 and e.max() <= 1000.0):
        bad = e[~(np.isfinite(e) & (e >= 1.0) & (e <= 1000.0))].ravel()[0]
        raise ValueError(f"energy_kev must be finite and within [1, 1000] keV, got {bad!r}")
    return e


def klein_nishina_energy_transfer_fraction(energy_kev) -> np.ndarray:
    """Mean fraction of the photon energy given to the Compton electron (free electron).

    ``f = sigma_tr / sigma`` for the Klein-Nishina cross section, integrated numerically over
    the scattering angle (Gauss-Legendre, 96 nodes in cos(theta); exact to ~1e-12 here).

    Parameters
    ----------
    energy_kev : array_like
        Photon energy (keV).

    Returns
    -------
    numpy.ndarray
        Dimensionless fraction, same shape as ``energy_kev`` (~0.036 at 20 keV, ~0.14 at 100 keV).
    """
    e = np.asarray(energy_kev, dtype=np.float64)
    x, w = np.polynomial.legendre.leggauss(96)  # cos(theta) nodes on [-1, 1]
    alpha = (e / _ME_C2_KEV)[..., None]
    ratio = 1.0 / (1.0 + alpha * (1.0 - x))  # E'/E
    dsigma = ratio**2 * (ratio + 1.0 / ratio - (1.0 - x**2))  # dsigma/dOmega up to constants
    # NumPy's own sums over the nodes (one thread, a fixed order), not a BLAS gemv: for more
    # than 96 energies OpenBLAS splits that over threads (m * n >= 9216), so its last bits
    # could follow the thread count.
    return np.sum(dsigma * (1.0 - ratio) * w, axis=-1) / np.sum(dsigma * w, axis=-1)


def _element_attenuation(z: int, e: np.ndarray) -> np.ndarray:
    return np.array([xraylib.CS_Total(z, float(v)) for v in e])


def _element_energy_absorption(z: int, e: np.ndarray) -> np.ndarray:
    """Mass energy-absorption coefficient (cm2/g) of element ``z`` at energies ``e`` (keV)."""
    out = np.empty_like(e)
    f_kn = klein_nishina_energy_transfer_fraction(e)
    try:
        edge_k = xraylib.EdgeEnergy(z, xraylib.K_SHELL)
        omega_k = xraylib.FluorYield(z, xraylib.K_SHELL)
    except ValueError:  # no K-shell data (H, He): nothing fluoresces
        edge_k, omega_k = np.inf, 0.0
    mean_k_kev = 0.0
    if omega_k > 0:
        rates, energies = [], []
        for line in (xraylib.KA_LINE, xraylib.KB_LINE):
            try:
                rates.append(xraylib.RadRate(z, line))
                energies.append(xraylib.LineEnergy(z, line))
            except ValueError:
                pass
        if rates and sum(rates) > 0:
            mean_k_kev = float(np.dot(rates, energies) / sum(rates))
    for i, v in enumerate(e):
        v = float(v)
        tau = xraylib.CS_Photo(z, v)
        photo_kept = 1.0
        if v > edge_k and omega_k > 0 and tau > 0:
            try:
                p_k = xraylib.CS_Photo_Partial(z, xraylib.K_SHELL, v) / tau
            except ValueError:
                # xraylib's partial cross sections stop near 100 keV ("spline extrapolation
                # is not allowed"); above the edge the K-shell share of photoabsorption is
                # nearly constant and equals 1 - 1/J, J the K-edge jump ratio.
                p_k = 1.0 - 1.0 / xraylib.JumpFactor(z, xraylib.K_SHELL)
            photo_kept = 1.0 - p_k * omega_k * mean_k_kev / v
        out[i] = tau * photo_kept + xraylib.CS_Compt(z, v) * f_kn[i]
    return out


@functools.lru_cache(maxsize=512)
def _cached(kind: str, material: Material, key: bytes) -> np.ndarray:
    e = np.frombuffer(key, dtype=np.float64)
    per_element = _element_attenuation if kind == "mu" else _element_energy_absorption
    total = np.zeros_like(e)
    for z, (_, w) in zip(material.atomic_numbers, material.composition):
        total += w * per_element(z, e)
    total.setflags(write=False)
    return total


def _lookup(kind: str, material, energy_kev) -> np.ndarray:
    mat = get_material(material)
    e = _energies(energy_kev)
    flat = np.ascontiguousarray(e.ravel())
    values = _cached(kind, mat, flat.tobytes())
    return values.reshape(e.shape).copy()


def mass_attenuation(material, energy_kev) -> np.ndarray:
    """Mass attenuation coefficient mu/rho (cm2/g), coherent scattering included.

    Parameters
    ----------
    material : str or Material
        Material name (see ``victwin.physics.MATERIALS``) or record.
    energy_kev : array_like
        Photon energies (keV), in [1, 1000].

    Returns
    -------
    numpy.ndarray
        float64, same shape as ``energy_kev``.

    References
    ----------
    xraylib 4 (Schoonjans et al. 2011, Spectrochim Acta B 66:776), ``CS_Total``.
    """
    return _lookup("mu", material, energy_kev)


def linear_attenuation(material, energy_kev) -> np.ndarray:
    """Linear attenuation coefficient mu (1/mm) = mu/rho * rho / 10.

    Parameters
    ----------
    material : str or Material
    energy_kev : array_like
        Photon energies (keV).

    Returns
    -------
    numpy.ndarray
        mu in 1/mm, float64, same shape as ``energy_kev``.
    """
    mat = get_material(material)
    return mass_attenuation(mat, energy_kev) * (mat.density_g_cm3 / 10.0)


def mass_energy_absorption(material, energy_kev) -> np.ndarray:
    """Mass energy-absorption coefficient mu_en/rho (cm2/g), derived (not xraylib ``CS_Energy``).

    See the module docstring for the formula; checked against NIST's tables (water, air).

    Parameters
    ----------
    material : str or Material
    energy_kev : array_like
        Photon energies (keV).

    Returns
    -------
    numpy.ndarray
        float64, same shape as ``energy_kev``.
    """
    return _lookup("muen", material, energy_kev)


def linear_energy_absorption(material, energy_kev) -> np.ndarray:
    """Linear energy-absorption coefficient mu_en (1/mm)."""
    mat = get_material(material)
    return mass_energy_absorption(mat, energy_kev) * (mat.density_g_cm3 / 10.0)


def absorption_efficiency(material, thickness_mm, energy_kev) -> np.ndarray:
    """Fraction of normally incident photons that interact in a slab: ``1 - exp(-mu t)``.

    This is the quantum (interaction) efficiency of a detector layer, e.g. 200 um a-Se gives
    0.984 at 20 keV.

    Parameters
    ----------
    material : str or Material
    thickness_mm : float
        Slab thickness (mm), >= 0.
    energy_kev : array_like
        Photon energies (keV).

    Returns
    -------
    numpy.ndarray
        Dimensionless, in [0, 1], same shape as ``energy_kev``.
    """
    t = float(thickness_mm)
    if not (np.isfinite(t) and t >= 0):
        raise ValueError(f"thickness_mm must be finite and >= 0, got {thickness_mm!r}")
    return -np.expm1(-linear_attenuation(material, energy_kev) * t)
