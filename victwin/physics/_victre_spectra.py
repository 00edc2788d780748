"""VICTRE's x-ray spectra, loaded from the MC-GPU ``.spc`` files shipped as package data.

VICTRE simulated its Siemens Mammomat with two tabulated W/Rh spectra (MC-GPU v1.5b inputs,
DIDSR/VICTRE_MCGPU ``example_simulations/spectrum/``): 28 kVp for dense and heterogeneously
dense breasts, 30 kVp for scattered and fatty ones (``MC-GPU_v1.5b_hetero_phantom_mammo+DBT.in``
line 28, ``..._scattered_phantom_mammo+DBT.in`` line 28). The files are public-domain data; the
copies and their provenance are in ``victwin/data/spectra/victre/`` (``SOURCE.md``).

File format (MC-GPU_v1.5b.cu ``init_energy_spectrum``, lines 3955-4038): one row per bin, the
bin's lower energy in eV and its relative photon number; a negative number ends the table and
its energy is the last bin's upper edge. MC-GPU samples energies uniformly inside a bin (kernel
``source``) and computes the mean energy with bin midpoints (line 4035), so victwin's
:class:`~victwin.physics.Spectrum` holds the bin midpoints.

Absolute scale: the files give relative photon numbers (MC-GPU fixes the exposure by the number
of histories). victwin sets exposures in mAs, so :func:`victre_spectrum` scales the shape to the
air kerma per mAs of spekpy's model of the same beam (W anode, same kVp, 1 mm Be + 0.05 mm Rh,
16 degree anode). Only the shape comes from VICTRE; AEC (target detector kerma) sets the dose.
"""

from __future__ import annotations

import functools
from importlib import resources

import numpy as np

from ._spectra import Spectrum, spectrum

__all__ = ["VICTRE_SPECTRA", "victre_spectrum", "read_spc", "tube_spectrum", "SPECTRUM_MODELS"]

#: Spectrum sources a system may name (``tube.spectrum``, AEC ``spectrum``).
SPECTRUM_MODELS = ("spekpy", "victre")

#: kVp -> (file name, VICTRE's header mean energy keV, VICTRE's header 1st HVL mm Al).
#: Header values: W28kVp_Rh50um_Be1mm.spc lines 4-5; W30kVp_Rh50um_Be1mm.spc lines 4-5.
VICTRE_SPECTRA = {
    28.0: ("W28kVp_Rh50um_Be1mm.spc", 19.0, 0.486),
    30.0: ("W30kVp_Rh50um_Be1mm.spc", 19.3, 0.503),
}
#: Filtration the files already include (file header line 2): Be window 1 mm, Rh 0.05 mm.
_FILTERS = (("Be", 1.0), ("Rh", 0.05))
#: Anode angle used only for the absolute (kerma per mAs) scale from spekpy (Mammomat W anode).
_SCALE_ANODE_ANGLE_DEG = 16.0


def read_spc(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Parse an MC-GPU ``.spc`` table.

    Parameters
    ----------
    text : str
        File contents: ``#`` comments, then rows ``energy_eV  photons``; a negative photon
        value closes the table.

    Returns
    -------
    (edges_kev, photons)
        Bin edges (keV, ``n + 1`` values) and relative photons per bin (``n`` values).
    """
    energies, values = [], []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        e_ev, v = (float(x) for x in line.split()[:2])
        energies.append(e_ev / 1000.0)
        if v < 0:
            break
        values.append(v)
    else:
        raise ValueError("spc table has no closing row with a negative value")
    edges = np.asarray(energies)
    if len(values) < 2 or np.any(np.diff(edges) <= 0):
        raise ValueError("spc table must have >= 2 bins with increasing energies")
    return edges, np.asarray(values)


_BINS = ("mcgpu", "points")


@functools.lru_cache(maxsize=8)
def victre_spectrum(kvp: float, bins: str = "mcgpu") -> Spectrum:
    """VICTRE's W/Rh spectrum at ``kvp`` (28 or 30), as a victwin :class:`Spectrum`.

    Parameters
    ----------
    kvp : float
        28 or 30 (kV).
    bins : {"mcgpu", "points"}
        ``"mcgpu"`` (default): each tabulated energy is a bin's lower edge, as MC-GPU reads the
        file (so the beam VICTRE simulated; its mean energy is MC-GPU's reported 19.247 keV at
        28 kVp, ``results/MC-GPU_v1.5b_hetero_phantom_mammo+DBT.out`` line 79).
        ``"points"``: each energy is the bin's centre, as the spectrum tool that wrote the
        header (its mean energy 19.0 keV and HVL 0.486 mm Al describe this reading).

    Returns
    -------
    Spectrum
        0.5 keV bins at the file's bin midpoints; filters recorded as ``(("Be", 1.0),
        ("Rh", 0.05))`` (already in the file, not applied again); photons per mAs per mm2 at
        1000 mm scaled to spekpy's air kerma per mAs for the same beam (see module notes).
    """
    key = float(kvp)
    if key not in VICTRE_SPECTRA:
        raise ValueError(f"spectrum kvp for the victre spectra must be one of "
                         f"{sorted(VICTRE_SPECTRA)}, got {kvp!r}")
    name = VICTRE_SPECTRA[key][0]
    text = resources.files("victwin").joinpath("data", "spectra", "victre", name).read_text()
    edges, rel = read_spc(text)
    width = np.diff(edges)
    if not np.allclose(width, width[0]):
        raise ValueError(f"{name}: bins must have one width")
    if bins not in _BINS:
        raise ValueError(f"spectrum bins must be one of {_BINS}, got {bins!r}")
    centres = 0.5 * (edges[:-1] + edges[1:])
    if bins == "points":
        centres = edges[:-1]
    shape = Spectrum("W", key, _FILTERS, _SCALE_ANODE_ANGLE_DEG, centres, float(width[0]),
                     rel * width, 1000.0)
    ref = spectrum("W", key, _FILTERS, anode_angle_deg=_SCALE_ANODE_ANGLE_DEG)
    scale = ref.air_kerma_per_mas_ugy() / shape.air_kerma_per_mas_ugy()
    return Spectrum("W", key, _FILTERS, _SCALE_ANODE_ANGLE_DEG, centres, float(width[0]),
                    rel * width * scale, 1000.0)


def tube_spectrum(anode: str, kvp: float, filters=(), *, anode_angle_deg: float = 12.0,
                  model: str = "spekpy") -> Spectrum:
    """A tube spectrum from spekpy (``model="spekpy"``) or VICTRE's files (``"victre"``).

    ``"victre"`` accepts only the beams VICTRE's files hold: anode W, 28 or 30 kV, filters
    ``[("Be", 1.0), ("Rh", 0.05)]``; anything else is a one-line error naming the key.
    """
    if model == "spekpy":
        return spectrum(anode, kvp, filters, anode_angle_deg=anode_angle_deg)
    if model != "victre":
        raise ValueError(f"spectrum model must be one of {SPECTRUM_MODELS}, got {model!r}")
    if anode != "W":
        raise ValueError(f"spectrum model 'victre' needs anode 'W', got {anode!r}")
    f = tuple((str(m), float(t)) for m, t in filters)
    if f != _FILTERS:
        raise ValueError(f"spectrum model 'victre' needs filters {list(_FILTERS)} (already in "
                         f"VICTRE's files), got {list(f)!r}")
    return victre_spectrum(float(kvp))
