"""Acquisition values the DICOM writers record, with units in every name.

The writers take plain values rather than the acquisition engine's objects, so that anything
(simulated, measured, typed in) can be exported; :func:`victwin.dicom.from_acquisition` maps
the engine's acquisition onto these.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Exposure", "VIEW_CODES", "LATERALITIES"]

#: SNOMED CT codes (code value, meaning as in DICOM CID 4014 / pydicom ``codes``) of the
#: mammography views and the chest projections.
VIEW_CODES = {
    "CC": ("399162004", "cranio-caudal"),
    "MLO": ("399368009", "medio-lateral oblique"),
    "ML": ("399260004", "medial-lateral"),
    "LM": ("399352003", "latero-medial"),
    "PA": ("272479007", "postero-anterior"),
    "AP": ("399348003", "antero-posterior"),
}

LATERALITIES = ("L", "R")

_ANODES = ("Mo", "Rh", "W", "Ag", "Cu")
_DICOM_METAL = {"Mo": "MOLYBDENUM", "Rh": "RHODIUM", "W": "TUNGSTEN", "Ag": "SILVER",
                "Cu": "COPPER", "Al": "ALUMINUM", "Be": "BERYLLIUM"}
_DETECTORS = ("DIRECT", "SCINTILLATOR", "STORAGE", "FILM")


def _positive(name, value, *, allow_zero=False):
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise ValueError(f"{name} must be a finite number {'>=' if allow_zero else '>'} 0, "
                         f"got {value!r}")
    return v


@dataclass(frozen=True)
class Exposure:
    """One exposure (or one DBT sweep) as DICOM records it.

    Parameters
    ----------
    kvp : float, kV
        Peak tube voltage.
    exposure_mas : float, mAs
        Tube current-time product of the exposure (for DBT: of the whole sweep).
    anode : str
        Anode (target) element symbol: Mo, Rh, W, Ag, Cu.
    filter_material : str
        Added filter element symbol (Mo, Rh, W, Ag, Cu, Al, Be).
    filter_thickness_mm : float, mm
    hvl_mm_al : float, mm Al
        First half-value layer of the beam.
    compressed_thickness_mm : float, mm
        Compressed breast (or body part) thickness.
    sid_mm : float, mm
        Source-to-image (detector) distance.
    source_to_patient_mm : float, mm
        DICOM DistanceSourceToPatient: source to the support (breast support, table or
        detector) surface nearest the patient; <= ``sid_mm``.
    imager_pixel_spacing_mm : float, mm
        Detector pixel pitch at the detector front plane.
    entrance_dose_mgy : float, mGy
        Incident air kerma at the entrance surface (no backscatter).
    organ_dose_mgy : float, mGy
        Mean glandular dose (breast) or organ dose; written as OrganDose in dGy.
    detector_type : {"DIRECT", "SCINTILLATOR", "STORAGE", "FILM"}
    exposure_time_ms : float, ms
    compression_force_n : float, N
    focal_spot_mm : float, mm
    magnification : float, optional
        Estimated radiographic magnification; default ``sid_mm / source_to_patient_mm``.
    exposure_control : {"MANUAL", "AUTOMATIC"}
        Whether the technique was set by hand or by automatic exposure control.
    grid : bool
        Whether an anti-scatter grid was in the beam.
    """

    kvp: float
    exposure_mas: float
    anode: str
    filter_material: str
    filter_thickness_mm: float
    hvl_mm_al: float
    compressed_thickness_mm: float
    sid_mm: float
    source_to_patient_mm: float
    imager_pixel_spacing_mm: float
    entrance_dose_mgy: float
    organ_dose_mgy: float
    detector_type: str = "DIRECT"
    exposure_time_ms: float = 1000.0
    compression_force_n: float = 100.0
    focal_spot_mm: float = 0.3
    magnification: float | None = None
    exposure_control: str = "MANUAL"
    grid: bool = False

    def __post_init__(self):
        for name in ("kvp", "exposure_mas", "hvl_mm_al", "compressed_thickness_mm", "sid_mm",
                     "source_to_patient_mm", "imager_pixel_spacing_mm", "exposure_time_ms",
                     "focal_spot_mm"):
            object.__setattr__(self, name, _positive(name, getattr(self, name)))
        for name in ("filter_thickness_mm", "entrance_dose_mgy", "organ_dose_mgy",
                     "compression_force_n"):
            object.__setattr__(self, name, _positive(name, getattr(self, name), allow_zero=True))
        if self.anode not in _ANODES:
            raise ValueError(f"anode must be one of {_ANODES}, got {self.anode!r}")
        if self.filter_material not in _DICOM_METAL:
            raise ValueError(f"filter_material must be one of {sorted(_DICOM_METAL)}, "
                             f"got {self.filter_material!r}")
        if self.detector_type not in _DETECTORS:
            raise ValueError(f"detector_type must be one of {_DETECTORS}, "
                             f"got {self.detector_type!r}")
        if self.exposure_control not in ("MANUAL", "AUTOMATIC"):
            raise ValueError(f"exposure_control must be 'MANUAL' or 'AUTOMATIC', "
                             f"got {self.exposure_control!r}")
        if not isinstance(self.grid, bool):
            raise ValueError(f"grid must be True or False, got {self.grid!r}")
        if self.source_to_patient_mm > self.sid_mm:
            raise ValueError(f"source_to_patient_mm must be <= sid_mm ({self.sid_mm}), "
                             f"got {self.source_to_patient_mm}")
        if self.magnification is None:
            object.__setattr__(self, "magnification", self.sid_mm / self.source_to_patient_mm)
        else:
            m = _positive("magnification", self.magnification)
            if m < 1.0:
                raise ValueError(f"magnification must be >= 1, got {self.magnification!r}")
            object.__setattr__(self, "magnification", m)

    @property
    def anode_dicom(self) -> str:
        """AnodeTargetMaterial defined term (e.g. ``MOLYBDENUM``)."""
        return _DICOM_METAL[self.anode]

    @property
    def filter_dicom(self) -> str:
        """FilterMaterial defined term."""
        return _DICOM_METAL[self.filter_material]

    @property
    def organ_dose_dgy(self) -> float:
        """OrganDose (0040,0316) is in dGy (PS3.3 C.8.7.8): 1 mGy = 0.01 dGy."""
        return self.organ_dose_mgy / 100.0
