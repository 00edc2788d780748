"""Acquisition values the DICOM writers record, with units in every name.

The writers take plain values rather than the acquisition engine's objects, so that anything
(simulated, measured, typed in) can be exported; :func:`victwin.dicom.from_acquisition` maps
the engine's acquisition onto these.
"""

from __future__ import annotations

from dataclasses import dataclass

from victwin._checks import check_positive

__all__ = ["Exposure", "VIEW_CODES", "LATERALITIES", "CITED_COMPRESSION_FORCE_N",
           "NOMINAL_TUBE_CURRENT_MA"]

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
        Pixel pitch of the image at the detector front plane (after binning).
    entrance_dose_mgy : float, mGy
        Incident air kerma at the entrance surface (no backscatter).
    organ_dose_mgy : float or None, mGy
        Mean glandular dose (breast) or organ dose; written as OrganDose in dGy. None where no
        dose model gives it (chest radiography): OrganDose is then left out.
    detector_type : {"DIRECT", "SCINTILLATOR", "STORAGE", "FILM"}
    exposure_time_ms : float or None, ms
        Exposure time (whole acquisition), when known. victwin's acquisition has no time
        model; when None, :attr:`exposure_time_used_ms` derives it from the mAs and the
        nominal tube current :data:`NOMINAL_TUBE_CURRENT_MA` (the IHE Mammography profile and
        the Breast Tomosynthesis Acquisition module require a time, Type 1).
    compression_force_n : float or None, N
        Compression force, when known (victwin's compression model sets a thickness, not a
        force). When None the cited mean :data:`CITED_COMPRESSION_FORCE_N` is written where
        the IOD or IHE profile requires a force (Type 1), and PaddleDescription says so.
    focal_spot_mm : float, mm
    exposure_control : {"MANUAL", "AUTOMATIC"}
        Whether the technique was set by hand or by automatic exposure control.
    grid : bool
        Whether an anti-scatter grid was in the beam.
    detector_binning : int
        Detector elements binned per image pixel along each axis (``imager_pixel_spacing_mm``
        is the binned pitch, so the element spacing is ``imager_pixel_spacing_mm /
        detector_binning``).

    Notes
    -----
    EstimatedRadiographicMagnificationFactor is ``sid_mm / source_to_patient_mm``
    (:attr:`magnification`): PS3.3 C.8.11.7 defines it as SID over the source-to-object
    distance, and the object distance DICOM records is DistanceSourceToPatient (the support
    surface), which is how dciodvfy checks it.
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
    exposure_time_ms: float | None = None
    compression_force_n: float | None = None
    focal_spot_mm: float = 0.3
    exposure_control: str = "MANUAL"
    grid: bool = False
    detector_binning: int = 1

    def __post_init__(self):
        for name in ("kvp", "exposure_mas", "hvl_mm_al", "compressed_thickness_mm", "sid_mm",
                     "source_to_patient_mm", "imager_pixel_spacing_mm", "focal_spot_mm"):
            object.__setattr__(self, name, check_positive(name, getattr(self, name)))
        for name in ("filter_thickness_mm", "entrance_dose_mgy"):
            object.__setattr__(self, name, check_positive(name, getattr(self, name), allow_zero=True))
        for name in ("organ_dose_mgy", "compression_force_n"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, check_positive(name, getattr(self, name),
                                                         allow_zero=True))
        if self.exposure_time_ms is not None:
            object.__setattr__(self, "exposure_time_ms",
                               check_positive("exposure_time_ms", self.exposure_time_ms))
        if isinstance(self.detector_binning, bool) or int(self.detector_binning) \
                != self.detector_binning or self.detector_binning < 1:
            raise ValueError(f"detector_binning must be an integer >= 1, "
                             f"got {self.detector_binning!r}")
        object.__setattr__(self, "detector_binning", int(self.detector_binning))
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

    @property
    def magnification(self) -> float:
        """EstimatedRadiographicMagnificationFactor: SID / DistanceSourceToPatient."""
        return self.sid_mm / self.source_to_patient_mm

    @property
    def exposure_time_used_ms(self) -> float:
        """Exposure time written: the given one, else mAs / :data:`NOMINAL_TUBE_CURRENT_MA`."""
        if self.exposure_time_ms is not None:
            return self.exposure_time_ms
        return self.exposure_mas / NOMINAL_TUBE_CURRENT_MA * 1000.0

    @property
    def tube_current_ma(self) -> float:
        """Tube current consistent with the mAs and the exposure time written, mA."""
        return self.exposure_mas / (self.exposure_time_used_ms / 1000.0)

    @property
    def element_spacing_mm(self) -> float:
        """Detector element pitch (before binning), mm."""
        return self.imager_pixel_spacing_mm / self.detector_binning

    @property
    def anode_dicom(self) -> str:
        """AnodeTargetMaterial defined term (e.g. ``MOLYBDENUM``)."""
        return _DICOM_METAL[self.anode]

    @property
    def filter_dicom(self) -> str:
        """FilterMaterial defined term."""
        return _DICOM_METAL[self.filter_material]

    @property
    def organ_dose_dgy(self) -> float | None:
        """OrganDose (0040,0316) is in dGy (PS3.3 C.8.7.8): 1 mGy = 0.01 dGy."""
        return None if self.organ_dose_mgy is None else self.organ_dose_mgy / 100.0


#: CompressionForce written in the enhanced breast objects (Type 1 there) when the force is not
#: known: victwin's compression model sets the thickness, not a force. 116 N is the mean force
#: of 17,951 screening mammograms (CC and MLO) in the Norwegian Breast Cancer Screening Program
#: (Waade et al., Br J Radiol 90(1071), 2017). The PaddleDescription says so.
CITED_COMPRESSION_FORCE_N = 116.0

#: Nominal tube current of a mammography tube on its 0.3 mm focal spot, mA: "about 100 mA"
#: (Bushberg et al., The Essential Physics of Medical Imaging, 3rd ed., 2012, ch. 8,
#: mammography X-ray tube). Used only to turn a simulated mAs into the exposure time DICOM
#: requires when the acquisition gives none (victwin has no time model).
NOMINAL_TUBE_CURRENT_MA = 100.0


def compression(item, exposure: Exposure) -> None:
    """Write CompressionForce and PaddleDescription (the force cited when not simulated)."""
    if exposure.compression_force_n is not None:
        item.CompressionForce = round(exposure.compression_force_n, 1)
        item.PaddleDescription = "simulated flat compression paddle"
    else:
        item.CompressionForce = CITED_COMPRESSION_FORCE_N
        item.PaddleDescription = "simulated flat paddle; force not simulated: cited mean"
