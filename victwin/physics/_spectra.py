"""X-ray tube spectra from spekpy, filtered with victwin's attenuation data.

:func:`spectrum` asks spekpy (Poludniowski et al.) for the unfiltered spectrum of an anode at
a tube voltage and anode angle, then applies every filter (tube window, added filter, paddle)
with :func:`victwin.physics.linear_attenuation`, so that filtering, half-value layer and air
kerma all use the same cross sections as the rest of the simulator. Results are cached per
(anode, kVp, filters, anode angle, bin width).

Energy bins are 0.5 keV wide by default (``bin_width_kev``); ``energy_kev`` holds their
centres. Fluence is given per mAs per mm2 at ``reference_distance_mm`` (1000 mm, spekpy's
default focus distance of 100 cm) and scales with the inverse square of the distance.

References
----------
.. [1] Poludniowski G, Omar A, Bujila R, Andreo P. SpekPy v2.0 - a software toolkit for modeling
   x-ray tube spectra. Med Phys 48:3630-3637 (2021).
.. [2] Air kerma from fluence: K = sum_E Phi(E) E (mu_en/rho)_air(E) (Attix ch. 2), with the
   derived mu_en/rho of :mod:`victwin.physics._attenuation`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import brentq

from ._attenuation import linear_attenuation, mass_energy_absorption
from ._materials import get_material

__all__ = ["Spectrum", "spectrum", "ANODES"]

#: Anodes spekpy models (element symbols).
ANODES = ("Cr", "Cu", "Mo", "Rh", "Ag", "W", "Au")
#: keV * cm2/g * (1/mm2) -> uGy: 1.602176634e-16 J/keV * 1e6 mm2/m2 * 0.1 (m2/kg per cm2/g) * 1e6 uGy/Gy
_KERMA_UGY = 1.602176634e-16 * 1e6 * 0.1 * 1e6


@dataclass(frozen=True, eq=False)
class Spectrum:
    """A filtered x-ray spectrum.

    Attributes
    ----------
    anode : str
        Anode (target) element symbol.
    kvp : float
        Tube voltage (kV).
    filters : tuple of (str, float)
        Filters applied, in order, as (material, thickness in mm); the tube window comes first.
    anode_angle_deg : float
        Anode (target) angle (degrees).
    energy_kev : numpy.ndarray
        Bin centres (keV), shape ``[n_bins]``.
    bin_width_kev : float
        Width of every bin (keV).
    photons_per_mas_mm2 : numpy.ndarray
        Photons per bin per mAs per mm2 at ``reference_distance_mm``, shape ``[n_bins]``.
    reference_distance_mm : float
        Focus distance at which ``photons_per_mas_mm2`` is given (mm).
    """

    anode: str
    kvp: float
    filters: tuple
    anode_angle_deg: float
    energy_kev: np.ndarray = field(repr=False)
    bin_width_kev: float
    photons_per_mas_mm2: np.ndarray = field(repr=False)
    reference_distance_mm: float = 1000.0
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self):
        for name in ("energy_kev", "photons_per_mas_mm2"):
            arr = np.array(getattr(self, name), dtype=np.float64)
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)
        if self.energy_kev.shape != self.photons_per_mas_mm2.shape or self.energy_kev.ndim != 1:
            raise ValueError("Spectrum energy_kev and photons_per_mas_mm2 must be 1-D of equal length, got "
                             f"{self.energy_kev.shape} and {self.photons_per_mas_mm2.shape}")

    # -- fluence ------------------------------------------------------------------------------
    def fluence_per_mas_mm2(self, distance_mm: float | None = None) -> np.ndarray:
        """Photons per bin per mAs per mm2 at ``distance_mm`` from the focus (inverse square)."""
        d = self.reference_distance_mm if distance_mm is None else float(distance_mm)
        if not d > 0:
            raise ValueError(f"distance_mm must be > 0, got {distance_mm!r}")
        return self.photons_per_mas_mm2 * (self.reference_distance_mm / d) ** 2

    def total_photons_per_mas_mm2(self, distance_mm: float | None = None) -> float:
        """Photons (all bins) per mAs per mm2 at ``distance_mm``."""
        return float(self.fluence_per_mas_mm2(distance_mm).sum())

    @property
    def weights(self) -> np.ndarray:
        """Photon fraction per bin (sums to 1)."""
        return self.photons_per_mas_mm2 / self.photons_per_mas_mm2.sum()

    @property
    def mean_energy_kev(self) -> float:
        """Fluence-weighted mean photon energy (keV)."""
        return float(np.dot(self.weights, self.energy_kev))

    # -- kerma and HVL ------------------------------------------------------------------------
    def air_kerma_per_mas_ugy(self, distance_mm: float | None = None) -> float:
        """Air kerma (uGy) per mAs, free in air, at ``distance_mm`` (default the reference)."""
        muen = mass_energy_absorption("air", self.energy_kev)
        return float(np.sum(self.fluence_per_mas_mm2(distance_mm) * self.energy_kev * muen) * _KERMA_UGY)

    def photons_per_mm2_per_ugy(self) -> float:
        """Photon fluence per unit air kerma (1/(mm2 uGy)), independent of distance."""
        return self.total_photons_per_mas_mm2() / self.air_kerma_per_mas_ugy()

    def hvl_mm_al(self) -> float:
        """First half-value layer (mm Al) in air kerma, narrow beam."""
        if "hvl" not in self._cache:
            self._cache["hvl"] = self._hvl()
        return self._cache["hvl"]

    def _hvl(self) -> float:
        e = self.energy_kev
        w = self.photons_per_mas_mm2 * e * mass_energy_absorption("air", e)
        mu = linear_attenuation("aluminum", e)
        half = 0.5 * w.sum()

        def f(t):
            return float(np.dot(w, np.exp(-mu * t)) - half)

        hi = 1.0
        while f(hi) > 0:
            hi *= 2.0
        return float(brentq(f, 0.0, hi, xtol=1e-7))

    # -- filtering ----------------------------------------------------------------------------
    def filtered(self, material, thickness_mm: float) -> "Spectrum":
        """This spectrum after ``thickness_mm`` of ``material`` (e.g. a compression paddle)."""
        t = float(thickness_mm)
        if not (np.isfinite(t) and t >= 0):
            raise ValueError(f"thickness_mm must be finite and >= 0, got {thickness_mm!r}")
        name = material if isinstance(material, str) else get_material(material).name
        trans = np.exp(-linear_attenuation(material, self.energy_kev) * t)
        return Spectrum(self.anode, self.kvp, self.filters + ((name, t),), self.anode_angle_deg,
                        self.energy_kev, self.bin_width_kev, self.photons_per_mas_mm2 * trans,
                        self.reference_distance_mm)

    @property
    def filter_material(self) -> str | None:
        """The added beam filter (first filter that is not the Be window), e.g. ``"Rh"``."""
        for name, _ in self.filters:
            if name != "Be":
                return name
        return None

    def __repr__(self):
        f = ", ".join(f"({m!r}, {t:g})" for m, t in self.filters)
        return (f"spectrum({self.anode!r}, {self.kvp:g}, filters=[{f}], anode_angle_deg={self.anode_angle_deg:g}, "
                f"bin_width_kev={self.bin_width_kev:g})")


def _normalise_filters(filters) -> tuple:
    out = []
    for item in filters or ():
        try:
            material, thickness = item
        except (TypeError, ValueError):
            raise ValueError(f"filters must be (material, thickness_mm) pairs, got {item!r}") from None
        get_material(material)  # raises on unknown names
        t = float(thickness)
        if not (np.isfinite(t) and t >= 0):
            raise ValueError(f"filter {material!r} thickness_mm must be finite and >= 0, got {thickness!r}")
        out.append((str(material), t))
    return tuple(out)


#: Package resource of the spekpy spectra the shipped systems use (``_make_cache``).
SPECTRA_RESOURCE = ("victwin", "data/spectra/spekpy/unfiltered.npz")


def spectrum_key(anode: str, kvp: float, angle: float, dk: float) -> str:
    """Name of one unfiltered spectrum in the cached table (exact: floats by ``repr``)."""
    return f"{anode}|{float(kvp)!r}|{float(angle)!r}|{float(dk)!r}"


@functools.lru_cache(maxsize=1)
def cached_spectra() -> dict:
    """The cached unfiltered spekpy spectra: key -> (energy_kev, photons per mAs per mm2 at
    1000 mm per bin), both float64 (generated by ``python -m victwin.physics._make_cache``)."""
    from importlib import resources

    path = resources.files(SPECTRA_RESOURCE[0]).joinpath(SPECTRA_RESOURCE[1])
    if not path.is_file():
        return {}
    with path.open("rb") as fh, np.load(fh) as data:
        keys = [str(k) for k in data["keys"]]
        return {k: (data[f"energy_{i}"], data[f"photons_{i}"]) for i, k in enumerate(keys)}


def spekpy_unfiltered(anode: str, kvp: float, angle: float, dk: float):
    """spekpy's unfiltered spectrum: bin centres (keV) and photons per mAs per mm2 at 1000 mm
    in each bin."""
    try:
        import spekpy
    except ImportError:
        raise ImportError(f"spectrum {anode} {kvp:g} kV (anode angle {angle:g} deg, bins "
                          f"{dk:g} keV) is not among the cached spectra and spekpy is not "
                          "installed (pip install spekpy)") from None
    s = spekpy.Spek(kvp=kvp, th=angle, targ=anode, dk=dk, z=100.0, mas=1.0)
    k, phi = s.get_spectrum(flu=True, diff=True)  # photons / (cm2 keV mAs) at 100 cm
    return np.asarray(k, dtype=np.float64), np.asarray(phi, dtype=np.float64) * dk / 100.0


@functools.lru_cache(maxsize=64)
def _unfiltered(anode: str, kvp: float, angle: float, dk: float):
    # the shipped systems' spectra are package data (equal to spekpy's, tested), so a node
    # without spekpy (a 164 MB wheel) simulates them; any other spectrum asks spekpy
    hit = cached_spectra().get(spectrum_key(anode, kvp, angle, dk))
    if hit is not None:
        return hit[0].copy(), hit[1].copy()
    return spekpy_unfiltered(anode, kvp, angle, dk)


@functools.lru_cache(maxsize=128)
def _spectrum(anode, kvp, filters, angle, dk) -> Spectrum:
    energy, photons = _unfiltered(anode, kvp, angle, dk)
    for material, t in filters:
        photons = photons * np.exp(-linear_attenuation(material, energy) * t)
    return Spectrum(anode, kvp, filters, angle, energy, dk, photons, 1000.0)


def spectrum(anode: str, kvp: float, filters=(), *, anode_angle_deg: float = 12.0,
             bin_width_kev: float = 0.5) -> Spectrum:
    """X-ray spectrum of a tube (spekpy), filtered.

    Parameters
    ----------
    anode : str
        Anode element symbol: one of ``ANODES`` (``"Mo"``, ``"Rh"``, ``"W"``, ...).
    kvp : float
        Tube voltage (kV): 10-150 for W, 10-50 for the other anodes.
    filters : sequence of (str, float)
        (material, thickness_mm) applied in order. Include the tube window explicitly, e.g.
        ``[("Be", 1.0), ("Rh", 0.05)]``. Materials are element symbols or victwin names.
    anode_angle_deg : float, optional
        Anode angle (degrees), default 12 (spekpy's default).
    bin_width_kev : float, optional
        Energy bin width (keV), default 0.5 (0.1-2).

    Returns
    -------
    Spectrum
        Photons per mAs per mm2 at 1000 mm, bin centres in keV.

    Examples
    --------
    >>> s = spectrum("W", 28, [("Be", 1.0), ("Rh", 0.05)], anode_angle_deg=16)  # doctest: +SKIP
    >>> round(s.hvl_mm_al(), 2)  # doctest: +SKIP
    0.46
    """
    if anode not in ANODES:
        raise ValueError(f"anode must be one of {', '.join(ANODES)}, got {anode!r}")
    kv = float(kvp)
    top = 150.0 if anode == "W" else 50.0
    if not (np.isfinite(kv) and 10.0 <= kv <= top):
        raise ValueError(f"kvp for anode {anode} must be within [10, {top:g}] kV, got {kvp!r}")
    angle = float(anode_angle_deg)
    if not (np.isfinite(angle) and 0.0 < angle < 45.0):
        raise ValueError(f"anode_angle_deg must be within (0, 45) degrees, got {anode_angle_deg!r}")
    dk = float(bin_width_kev)
    if not 0.1 <= dk <= 2.0:
        raise ValueError(f"bin_width_kev must be within [0.1, 2] keV, got {bin_width_kev!r}")
    return _spectrum(anode, kv, _normalise_filters(filters), angle, dk)
