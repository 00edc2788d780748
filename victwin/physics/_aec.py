"""Automatic exposure control: beam quality and mAs from breast thickness and glandularity.

Mammography units pick the anode/filter and kVp from the compressed thickness (and, on some,
the density seen in a pre-exposure) from a fixed table, then set the mAs so that the detector
receives a target exposure. :func:`auto_exposure` does the same from a plain table that a
system's TOML file can hold::

    [aec]
    mode = "detector_kerma"            # or "mgd": set the mAs for a target mean glandular dose
    target_detector_kerma_ugy = 100.0  # air kerma at the detector surface per exposure (uGy)
    # target_mgd_mgy = 1.2             # (mode "mgd") MGD per exposure (mGy)
    sid_mm = 650.0                     # focus to detector surface (mm)
    support_height_mm = 20.0           # breast support top above the detector surface (mm)
    paddle_material = "pmma"           # optional compression paddle (victwin material name)
    paddle_mm = 2.0
    window = ["Be", 1.0]               # tube window (material, mm), optional
    spectrum = "spekpy"                # or "victre": VICTRE's MC-GPU .spc files (W/Rh 28, 30 kV)
    anode_angle_deg = 16.0             # optional, default 12
    # mode = "mcgpu_histories": VICTRE's exposure, MC-GPU histories per view (see
    # :func:`mcgpu_photons_per_mm2`); needs histories_per_view = [[thickness_mm, histories],
    # ...] (linear in thickness between the knots, constant beyond) and, per row,
    # beam_aperture_deg = [azimuthal, polar] (MC-GPU's half-cone mammography beam)
    mas_min = 4.0                      # optional clamps of the tube (mAs per exposure)
    mas_max = 600.0
    mas_step = 0.1                     # optional rounding of the mAs (mAs)

    [[aec.rows]]                       # first row that matches wins, in order
    max_thickness_mm = 30.0            # row applies when thickness <= this (omit: no limit)
    max_glandularity = 1.0             # optional; row applies when glandularity <= this
    anode = "W"
    filter = "Rh"
    filter_mm = 0.05
    kvp = 26.0

As a Python value the table is the dict under ``aec`` (``rows`` a list of dicts).

The breast the AEC "sees" is the Dance model (5 mm adipose surface layers, homogeneous core
of the given glandularity); the detector air kerma is its primary transmission (the scatter
that a real AEC cell also sees is left out, so the chosen mAs errs slightly high).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..schema import Anything, Choice, List, Number, String, Table, Tuple, check
from ._attenuation import linear_attenuation, mass_energy_absorption
from ._dose import _SURFACE_LAYER_MM, entrance_air_kerma_mgy, mean_glandular_dose
from ._materials import breast_tissue
from ._spectra import ANODES, Spectrum, spectrum  # noqa: F401
from ._victre_spectra import SPECTRUM_MODELS, tube_spectrum

__all__ = ["AecChoice", "auto_exposure", "detector_air_kerma_per_mas_ugy", "AEC_SCHEMA",
           "check_aec_table", "mcgpu_beam_solid_angle_sr", "mcgpu_photons_per_mm2"]

_MODES = ("detector_kerma", "mgd", "mcgpu_histories")
_POS = {"lo": 0, "lo_open": True}

#: One row of an AEC table (``[[aec.rows]]``); the first row that covers the breast wins.
AEC_ROW_SCHEMA = Table({
    "max_thickness_mm": Number(**_POS, default=None),    # absent: no limit
    "max_glandularity": Number(0, 1, default=1.0),
    "anode": Choice(ANODES),
    "filter": String(),
    "filter_mm": Number(0),
    "kvp": Number(**_POS),
    # mode "mcgpu_histories": MC-GPU's beam aperture [azimuthal, polar] in degrees
    "beam_aperture_deg": Tuple(Number(**_POS), Number(**_POS), default=None,
                               rule_text="[azimuthal_deg > 0, polar_deg > 0]"),
})

#: Every key of an AEC table with its rule and its default (format in the module docstring).
AEC_SCHEMA = Table({
    "spectrum": Choice(SPECTRUM_MODELS, default="spekpy"),
    "mode": Choice(_MODES, default="detector_kerma"),
    "target_detector_kerma_ugy": Number(**_POS, default=None),   # mode "detector_kerma"
    "target_mgd_mgy": Number(**_POS, default=None),              # mode "mgd"
    "sid_mm": Number(**_POS),
    "support_height_mm": Number(0, default=20.0),
    "paddle_material": String(default=None),
    "paddle_mm": Number(0, default=0.0),
    "window": Tuple(String(), Number(0), default=None, rule_text="[material, thickness_mm >= 0]"),
    "anode_angle_deg": Number(**_POS, default=12.0),
    "mas_min": Number(0, default=0.0),
    "mas_max": Number(**_POS, default=1e4),
    "mas_step": Number(0, default=0.0),
    # mode "mcgpu_histories": [[thickness_mm, histories], ...] (checked by _histories)
    "histories_per_view": Anything(default=None),
    "rows": List(AEC_ROW_SCHEMA, min_len=1, rule_text="a non-empty list of row tables"),
})
_TARGET = {"detector_kerma": "target_detector_kerma_ugy", "mgd": "target_mgd_mgy",
           "mcgpu_histories": "histories_per_view"}


def check_aec_table(table, what: str = "AEC table", path: str = "") -> dict:
    """Check an AEC table (:data:`AEC_SCHEMA` and the target its mode needs); returns it with
    defaults filled in.

    Raises
    ------
    ValueError
        One line naming the key, the rule and the value.
    """
    t = check(AEC_SCHEMA, table, what, path)
    target = _TARGET[t["mode"]]
    if t[target] is None:
        key = f"{path}.{target}" if path else target
        raise ValueError(f"{what}: missing key {key} (needed in mode "
                         f"{t['mode']!r})")
    return t


def mcgpu_beam_solid_angle_sr(azimuthal_deg: float, polar_deg: float) -> float:
    """Solid angle (sr) of MC-GPU's half-cone mammography beam.

    MC-GPU v1.5b with "COLLIMATE BEAM TOWARDS POSITIVE AZIMUTHAL ANGLES ONLY = YES" doubles
    the polar aperture and samples only its positive half (MC-GPU_v1.5b.cu lines 1721-1753),
    then keeps directions inside the rectangle ``|w/v| <= tan(azimuthal/2)``,
    ``0 <= h/v <= tan(polar)`` (kernel ``source``, lines 494-507), uniform in solid angle. The
    solid angle of that rectangle seen from the source, ``[0, a] x [-b, b]`` at unit distance,
    is ``2 atan(a b / sqrt(1 + a^2 + b^2))``.
    """
    a = math.tan(math.radians(float(polar_deg)))
    b = math.tan(math.radians(0.5 * float(azimuthal_deg)))
    if not (a > 0 and b > 0):
        raise ValueError(f"beam_aperture_deg must be two angles in (0, 180) deg, got "
                         f"[{azimuthal_deg!r}, {polar_deg!r}]")
    return 2.0 * math.atan(a * b / math.sqrt(1.0 + a * a + b * b))


def mcgpu_photons_per_mm2(histories: float, azimuthal_deg: float, polar_deg: float,
                          sid_mm: float) -> float:
    """Photons per mm^2 (normal incidence, below the source) that ``histories`` MC-GPU x rays
    spread over its half-cone beam give at ``sid_mm`` from the source:
    ``N / (Omega sid^2)``. Checked against MC-GPU's own logs in
    ``tests/physics/test_aec.py``."""
    return float(histories) / (mcgpu_beam_solid_angle_sr(azimuthal_deg, polar_deg)
                               * float(sid_mm) ** 2)


def _histories(table: dict, thickness_mm: float) -> float:
    knots = table.get("histories_per_view")
    try:
        t, n = (np.asarray(v, dtype=float) for v in zip(*knots))
    except (TypeError, ValueError):
        raise ValueError("AEC table 'histories_per_view' must be a list of [thickness_mm, "
                         f"histories] pairs, got {knots!r}") from None
    if t.size == 0 or np.any(np.diff(t) <= 0) or np.any(~np.isfinite(n)) or np.any(n <= 0):
        raise ValueError("AEC table 'histories_per_view' needs increasing thicknesses and "
                         f"histories > 0, got {knots!r}")
    return float(np.interp(thickness_mm, t, n))


@dataclass(frozen=True)
class AecChoice:
    """What the AEC chose, and what it implies for the breast.

    Attributes
    ----------
    anode, filter_material : str
        Anode and added filter element symbols.
    filter_mm : float
        Added filter thickness (mm).
    kvp : float
        Tube voltage (kV).
    mas : float
        Tube current-time product per exposure (mAs).
    filters : tuple of (str, float)
        Tube window and added filter, as passed to :func:`victwin.physics.spectrum`.
    anode_angle_deg : float
        Anode angle (degrees).
    paddle : tuple of (str, float) or None
        Compression paddle (material, mm).
    incident_air_kerma_mgy : float
        Incident air kerma at the upper breast surface per exposure (mGy).
    detector_air_kerma_ugy : float
        Primary air kerma at the detector surface behind the breast per exposure (uGy).
    mean_glandular_dose_mgy : float
        Dance MGD per exposure (mGy), t = 1.
    hvl_mm_al : float
        HVL of the beam incident on the breast (after the paddle), mm Al.
    """

    anode: str
    filter_material: str
    filter_mm: float
    kvp: float
    mas: float
    filters: tuple
    anode_angle_deg: float
    paddle: tuple | None
    incident_air_kerma_mgy: float
    detector_air_kerma_ugy: float
    mean_glandular_dose_mgy: float
    hvl_mm_al: float
    spectrum_model: str = "spekpy"

    def tube_spectrum(self) -> Spectrum:
        """The tube's spectrum (window and filter, no paddle)."""
        return tube_spectrum(self.anode, self.kvp, self.filters,
                             anode_angle_deg=self.anode_angle_deg, model=self.spectrum_model)

    def breast_spectrum(self) -> Spectrum:
        """The spectrum incident on the breast (after the paddle)."""
        s = self.tube_spectrum()
        return s.filtered(*self.paddle) if self.paddle else s


def _pick_row(rows, thickness_mm: float, glandularity: float) -> dict:
    for row in rows:
        limit = math.inf if row["max_thickness_mm"] is None else row["max_thickness_mm"]
        if thickness_mm <= limit and glandularity <= row["max_glandularity"]:
            return row
    raise ValueError(f"no AEC table row covers thickness_mm={thickness_mm:g} and "
                     f"glandularity={glandularity:g}")


def detector_air_kerma_per_mas_ugy(breast_spectrum: Spectrum, thickness_mm: float, glandularity: float,
                                   distance_mm: float) -> float:
    """Primary air kerma (uGy per mAs) behind the Dance slab breast at ``distance_mm`` from the focus."""
    e = breast_spectrum.energy_kev
    layer = min(_SURFACE_LAYER_MM, thickness_mm / 2.0)
    path = (linear_attenuation("adipose", e) * 2.0 * layer
            + linear_attenuation(breast_tissue(glandularity), e) * (thickness_mm - 2.0 * layer))
    transmitted = breast_spectrum.fluence_per_mas_mm2(distance_mm) * np.exp(-path)
    return float(np.sum(transmitted * e * mass_energy_absorption("air", e)) * 1.602176634e-5)


def auto_exposure(thickness_mm: float, glandularity: float, *, table: dict) -> AecChoice:
    """Choose anode/filter, kVp and mAs as a mammography AEC does.

    Parameters
    ----------
    thickness_mm : float
        Compressed breast thickness (mm), > 0.
    glandularity : float
        Glandular weight fraction, in [0, 1].
    table : dict
        The system's AEC table (format in the module docstring).

    Returns
    -------
    AecChoice
        Beam, mAs per exposure, and the incident air kerma, detector air kerma and MGD it gives.

    Raises
    ------
    ValueError
        Bad table entries (naming the key), or no row for this breast.
    """
    if not isinstance(table, dict):
        raise TypeError(f"AEC table must be a dict, got {type(table).__name__}")
    table = check_aec_table(table)
    t = float(thickness_mm)
    if not (np.isfinite(t) and t > 0):
        raise ValueError(f"thickness_mm must be > 0, got {thickness_mm!r}")
    w = float(glandularity)
    if not 0.0 <= w <= 1.0:
        raise ValueError(f"glandularity must be in [0, 1], got {glandularity!r}")
    mode = table["mode"]
    sid = table["sid_mm"]
    support = table["support_height_mm"]
    if support + t >= sid:
        raise ValueError(f"breast top (support_height_mm + thickness_mm = {support + t:g}) must be below sid_mm={sid:g}")
    angle = table["anode_angle_deg"]
    mas_min, mas_max, step = table["mas_min"], table["mas_max"], table["mas_step"]

    row = _pick_row(table["rows"], t, w)
    window = table["window"]
    filters = []
    if window is not None:
        filters.append((window[0], window[1]))
    filters.append((row["filter"], row["filter_mm"]))
    model = table["spectrum"]
    tube = tube_spectrum(row["anode"], row["kvp"], filters, anode_angle_deg=angle,
                         model=model)
    paddle = None
    if table["paddle_material"] is not None:
        paddle = (table["paddle_material"], table["paddle_mm"])
    breast_beam = tube.filtered(*paddle) if paddle else tube

    surface_mm = sid - support - t
    kerma_per_mas_mgy = entrance_air_kerma_mgy(breast_beam, 1.0, surface_mm)
    detector_per_mas = detector_air_kerma_per_mas_ugy(breast_beam, t, w, sid)
    if mode == "detector_kerma":
        mas = table["target_detector_kerma_ugy"] / detector_per_mas
    elif mode == "mcgpu_histories":
        ap = row.get("beam_aperture_deg")
        if ap is None:
            raise ValueError("AEC table rows need 'beam_aperture_deg' = [azimuthal, polar] in "
                             "mode 'mcgpu_histories'")
        photons = mcgpu_photons_per_mm2(_histories(table, t), float(ap[0]), float(ap[1]), sid)
        mas = photons / breast_beam.total_photons_per_mas_mm2(sid)
    else:
        mgd_per_mas = mean_glandular_dose(kerma_per_mas_mgy, t, w, breast_beam)
        mas = table["target_mgd_mgy"] / mgd_per_mas
    if step > 0:
        mas = max(step, round(round(mas / step) * step, 9))
    mas = float(min(max(mas, mas_min), mas_max))
    k = kerma_per_mas_mgy * mas
    return AecChoice(
        anode=row["anode"], filter_material=str(row["filter"]), filter_mm=float(row["filter_mm"]),
        kvp=float(row["kvp"]), mas=mas, filters=tuple(filters), anode_angle_deg=angle, paddle=paddle,
        incident_air_kerma_mgy=k, detector_air_kerma_ugy=detector_per_mas * mas,
        mean_glandular_dose_mgy=mean_glandular_dose(k, t, w, breast_beam),
        hvl_mm_al=breast_beam.hvl_mm_al(), spectrum_model=model,
    )
