"""The beam of one acquisition, built once: technique choice, spectrum and detector response.

Everything here depends on the system, the phantom's thickness and glandularity and the
requested technique, never on a view or a pixel, so :func:`victwin.acquisition.acquire`
builds it once and hands it to every view (and a lesion-local run shares it with the
full-field run it stands for).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from victwin._checks import check_positive
from victwin.physics import linear_attenuation, quantum_efficiency, spectrum

__all__ = ["Beam", "build_beam", "phantom_thickness_mm", "phantom_glandularity",
           "REF_DISTANCE_MM"]

#: Distance (mm) at which spectra give fluence per mAs; the geometry factor scales from it.
REF_DISTANCE_MM = 1000.0


@dataclass(frozen=True, eq=False)
class Beam:
    """What every view of one acquisition shares.

    Attributes
    ----------
    spectrum : Spectrum
        Incident spectrum on the body (after the paddle where the system has one).
    kvp : float, kV
    anode : str
    filters : tuple of (material, thickness_mm)
    mas_per_view : float, mAs
    mas_total : float, mAs
        ``mas_per_view`` x the number of views in the system's scan.
    exposure_control : str
        "AUTOMATIC" or "MANUAL".
    dose_scale : float
        Factor applied to the mAs the system would choose itself.
    photons_per_mas_mm2_1m : float, 1/(mAs mm^2)
        Incident photons per mAs and mm^2 at :data:`REF_DISTANCE_MM`.
    hvl_mm_al : float, mm Al
    flat_kev_per_photon : float, keV
        Mean energy absorbed in the sensor per incident photon (behind any detector cover).
    grid_primary, grid_scatter : float
        Anti-scatter grid transmissions of primary and scatter (1 without grid).
    efficiency : callable
        ``efficiency(energy_keV) -> absorbed fraction`` (sensor behind its cover).
    """

    spectrum: object
    kvp: float
    anode: str
    filters: tuple
    mas_per_view: float
    mas_total: float
    exposure_control: str
    dose_scale: float
    photons_per_mas_mm2_1m: float
    hvl_mm_al: float
    flat_kev_per_photon: float
    grid_primary: float
    grid_scatter: float
    efficiency: object


def _thaw(value):
    """Plain dicts and lists from the system's read-only AEC table."""
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


def phantom_thickness_mm(phantom) -> float:
    """Body thickness (mm): the phantom's recorded thickness, else the z extent of non-air."""
    meta = getattr(phantom, "meta", {}) or {}
    for key in ("thickness_mm", "compressed_thickness_mm"):
        if key in meta and meta[key] is not None:
            return float(meta[key])
    labels, grid = phantom.labels, phantom.grid
    air = [lab for lab, m in phantom.materials.items() if m == "air"]
    # on the labels' device (CuPy labels: cupy.isin needs an array of values, not a list)
    xp = sys.modules["cupy"] if type(labels).__module__.split(".")[0] == "cupy" else np
    # a label -> "not air" table read in slabs of ~16 MB: np.isin over the whole volume kept
    # ~11 B per voxel alive (an intp index array and bool masks; 0.30 GB of a 38.8 M-voxel
    # chest's acquisition peak, tracemalloc, NOTES.md "the chest plan's memory"), a per-slice
    # np.isin cost 0.3 s for a 1 mm chest
    if labels.dtype.kind in "ui" and labels.dtype.itemsize <= 2:
        lo = int(np.iinfo(labels.dtype).min)
        table = np.ones(int(np.iinfo(labels.dtype).max) - lo + 1, bool)
        table[np.asarray(air, dtype=np.int64) - lo] = False
        table = xp.asarray(table)

        def solid(slab):
            return table[slab.astype(xp.int32) - lo if lo else slab]
    else:
        values = xp.asarray(np.asarray(air, dtype=labels.dtype))

        def solid(slab):
            return xp.isin(slab, values, invert=True)
    nz = labels.shape[0]
    step = max(1, (16 << 20) // max(1, int(np.prod(labels.shape[1:]))))
    hit = xp.concatenate([xp.any(solid(labels[z:z + step]), axis=(1, 2))
                          for z in range(0, nz, step)]) if nz else xp.zeros(0, bool)
    rows = xp.nonzero(hit)[0]
    if rows.size == 0:
        return 0.0
    return float((int(rows[-1]) - int(rows[0]) + 1) * grid.spacing[0])


def phantom_glandularity(phantom) -> float:
    """Glandular fraction by mass (0.5 where the phantom does not record it)."""
    meta = getattr(phantom, "meta", {}) or {}
    g = meta.get("glandular_fraction_mass", 0.5)
    return 0.5 if g is None else float(g)


def build_beam(system, phantom, *, mas: float | None = None, kvp: float | None = None,
               dose_scale: float = 1.0) -> Beam:
    """The beam of ``system`` for ``phantom``.

    The technique is, in order: ``mas``/``kvp`` when given; else the system's AEC table for
    the phantom's thickness and glandularity (mammography); else the system's fixed
    technique. ``dose_scale`` multiplies the mAs of whichever applies.

    Parameters
    ----------
    system : System
    phantom : Phantom-like
    mas : float, mAs, optional
        Total mAs of the scan (split evenly over its views).
    kvp : float, kV, optional
    dose_scale : float
        > 0; 1 keeps the chosen technique's dose.
    """
    dose_scale = check_positive("dose_scale", dose_scale)
    n = system.n_views
    t = system.tube
    aec = _thaw(system.aec)
    if mas is None and aec and system.modality == "MG" and kvp is None:
        from victwin.physics import auto_exposure

        exp = auto_exposure(phantom_thickness_mm(phantom), phantom_glandularity(phantom),
                            table=aec)
        spec, kvp_used, anode, filters = (exp.breast_spectrum(), exp.kvp, exp.anode,
                                          tuple(exp.filters))
        mas_view, control = exp.mas * dose_scale, "AUTOMATIC"
    else:
        kvp_used = t.kvp if kvp is None else check_positive("kvp", kvp)
        total = t.mas if mas is None else check_positive("mas", mas)
        spec = t.make_spectrum(kvp_used)        # spekpy, or VICTRE's files (tube.spectrum)
        if aec.get("paddle_material") is not None:
            spec = spec.filtered(aec["paddle_material"], float(aec.get("paddle_mm", 0.0)))
        anode, filters = t.anode, tuple(t.filters)
        mas_view, control = float(total) * dose_scale / n, "MANUAL"

    cover = system.detector_cover
    detector = system.detector

    def efficiency(energy_kev):
        """Absorbed fraction: sensor absorption behind the detector cover."""
        out = quantum_efficiency(detector, energy_kev)
        if cover is not None:
            out = out * np.exp(-np.asarray(linear_attenuation(cover[0], energy_kev)) * cover[1])
        return out

    energy = spec.energy_kev
    absorbed = spec.weights * efficiency(energy) * energy
    if system.grid is not None:
        tp, ts = system.grid.transmission(energy, absorbed)
    else:
        tp, ts = 1.0, 1.0
    return Beam(spectrum=spec, kvp=float(kvp_used), anode=anode, filters=filters,
                mas_per_view=float(mas_view), mas_total=float(mas_view) * n,
                exposure_control=control, dose_scale=dose_scale,
                photons_per_mas_mm2_1m=float(spec.total_photons_per_mas_mm2(REF_DISTANCE_MM)),
                hvl_mm_al=float(spec.hvl_mm_al()), flat_kev_per_photon=float(np.sum(absorbed)),
                grid_primary=float(tp), grid_scatter=float(ts), efficiency=efficiency)
