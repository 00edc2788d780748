"""Digital Mammography X-Ray Image and Digital X-Ray Image (PS3.3 A.27, A.26).

For Processing holds the detector signal (linear in exposure); For Presentation holds the image
meant for display, with a VOI window and a reference to the For Processing image it came from.
"""

from __future__ import annotations

import numpy as np
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import (DigitalMammographyXRayImageStorageForPresentation,
                         DigitalMammographyXRayImageStorageForProcessing,
                         DigitalXRayImageStorageForPresentation,
                         DigitalXRayImageStorageForProcessing)

from ._check import check_iod
from ._common import (base_dataset, bits_stored_for, code_item, full_range_window,
                      real_world_mapping, set_pixel_module, stored_pixels)
from ._frame import POSITIONER_ANGLE_DEG, breast_to_patient
from ._identity import SyntheticSubject
from ._params import LATERALITIES, VIEW_CODES, Exposure, compression
from ._partial import breast_mask_from_image, set_partial_view

__all__ = ["digital_mammography_image", "digital_xray_image", "synthesized_mammogram"]

def _intent(for_presentation: bool) -> str:
    return "FOR PRESENTATION" if for_presentation else "FOR PROCESSING"


def _dose_and_generation(ds: Dataset, exposure: Exposure, *, breast: bool) -> None:
    e = exposure
    ds.KVP = round(e.kvp, 3)
    ds.ExposureInuAs = int(round(e.exposure_mas * 1000))
    ds.Exposure = max(int(round(e.exposure_mas)), 1) if e.exposure_mas >= 0.5 else 1
    # Type 1 in the IHE Mammography profile: the given time, else mAs / nominal tube current;
    # the current written is then exactly mAs / time.
    ds.ExposureTime = max(int(round(e.exposure_time_used_ms)), 1)
    ds.XRayTubeCurrent = max(int(round(e.tube_current_ma)), 1)
    ds.AnodeTargetMaterial = e.anode_dicom
    ds.FilterMaterial = e.filter_dicom
    ds.FilterThicknessMinimum = round(e.filter_thickness_mm, 4)
    ds.FilterThicknessMaximum = round(e.filter_thickness_mm, 4)
    ds.FocalSpots = round(e.focal_spot_mm, 3)
    ds.BodyPartThickness = round(e.compressed_thickness_mm, 2)
    ds.HalfValueLayer = round(e.hvl_mm_al, 4)
    ds.DistanceSourceToDetector = round(e.sid_mm, 2)
    ds.DistanceSourceToPatient = round(e.source_to_patient_mm, 2)
    ds.EstimatedRadiographicMagnificationFactor = round(e.magnification, 6)  # SID / SOP
    ds.EntranceDoseInmGy = round(e.entrance_dose_mgy, 6)
    if e.organ_dose_dgy is not None:
        ds.OrganDose = round(e.organ_dose_dgy, 8)  # dGy (PS3.3 C.8.7.8)
    ds.Grid = ["RECIPROCATING", "FOCUSED"] if e.grid else "NONE"
    ds.ExposureControlMode = e.exposure_control
    ds.ExposureControlModeDescription = ("automatic exposure control (simulated)"
                                         if e.exposure_control == "AUTOMATIC"
                                         else "fixed technique (simulated)")
    if breast:
        compression(ds, e)


def _detector(ds: Dataset, exposure: Exposure, shape) -> None:
    p = round(exposure.imager_pixel_spacing_mm, 6)
    el = round(exposure.element_spacing_mm, 6)
    ds.ImagerPixelSpacing = [p, p]
    ds.DetectorType = exposure.detector_type
    ds.DetectorConfiguration = "AREA"
    ds.DetectorID = "SIMDET-1"
    ds.DetectorDescription = "simulated flat-panel detector"
    ds.DetectorBinning = [float(exposure.detector_binning)] * 2
    ds.DetectorElementSpacing = [el, el]
    ds.DetectorElementPhysicalSize = [el, el]
    ds.DetectorActiveShape = "RECTANGLE"
    ds.DetectorActiveDimensions = [round(shape[0] * p, 3), round(shape[1] * p, 3)]
    ds.FieldOfViewShape = "RECTANGLE"
    ds.FieldOfViewDimensions = [int(round(shape[0] * p)), int(round(shape[1] * p))]


def _dx_image(ds: Dataset, pixels, *, for_presentation: bool, name: str,
              source_image: Dataset | None) -> np.ndarray:
    stored, slope, intercept = stored_pixels(pixels, name, ndim=2)
    bits = bits_stored_for(stored, minimum=12)
    set_pixel_module(ds, stored, bits_stored=bits)
    ds.ImageType = ["ORIGINAL", "PRIMARY", ""] if ds.Modality == "MG" else ["ORIGINAL", "PRIMARY"]
    ds.PresentationIntentType = _intent(for_presentation)
    ds.PixelIntensityRelationship = "LOG" if for_presentation else "LIN"
    # +1: lower stored value = less X-ray intensity (raw signal); -1 for the displayed image,
    # where attenuating tissue is bright.
    ds.PixelIntensityRelationshipSign = -1 if for_presentation else 1
    # The DX Image module fixes RescaleSlope 1 / Intercept 0 (PS3.3 C.8.11.3); the linear map
    # from stored values back to the simulated values goes in a Real World Value Mapping.
    ds.RescaleIntercept = 0
    ds.RescaleSlope = 1
    ds.RescaleType = "US"
    if slope != 1.0 or intercept != 0.0:
        ds.RealWorldValueMappingSequence = Sequence([real_world_mapping(stored, slope, intercept)])
    ds.PresentationLUTShape = "IDENTITY"
    ds.LossyImageCompression = "00"
    ds.QualityControlImage = "NO"
    if for_presentation:
        # The presentation processing is done: show every stored value, clip nothing.
        c, w = full_range_window(bits)
        ds.WindowCenter = f"{c:.6g}"
        ds.WindowWidth = f"{w:.6g}"
        ds.WindowCenterWidthExplanation = "full stored range"
        ds.VOILUTFunction = "LINEAR"
        ref = Dataset()
        if source_image is not None:
            ref.ReferencedSOPClassUID = source_image.SOPClassUID
            ref.ReferencedSOPInstanceUID = source_image.SOPInstanceUID
            ref.SpatialLocationsPreserved = "YES"
            ref.PurposeOfReferenceCodeSequence = Sequence([
                code_item("113130", "DCM", "Predecessor containing group of imaging subjects")])
            ds.SourceImageSequence = Sequence([ref])
            ds.ImageType = ["DERIVED", "PRIMARY", ""] if ds.Modality == "MG" \
                else ["DERIVED", "PRIMARY"]
            ds.DerivationDescription = "victwin presentation processing of the raw image"
        # Without the For Processing image there is nothing to reference; the IOD is still
        # valid, but the IHE Mammography profile wants the reference (pass source_image).
    return stored


def _unused_value(stored: np.ndarray) -> int:
    """PixelPaddingValue (IHE Mammo Type 1) for an image without padding: the smallest value
    no pixel has, so no pixel is taken for padding."""
    present = np.zeros(65536, bool)
    present[np.unique(stored)] = True
    return int(np.argmin(present)) if not present.all() else 0


def digital_mammography_image(pixels, *, subject: SyntheticSubject, exposure: Exposure,
                              view: str, laterality: str, for_presentation: bool,
                              series_number: int = 1, instance_number: int = 1,
                              source_image: Dataset | None = None,
                              series_key: str | None = None, breast_mask=None) -> Dataset:
    """Build a Digital Mammography X-Ray Image (For Processing or For Presentation).

    Parameters
    ----------
    pixels : 2-D array ``[rows, columns]``
        Detector image in victwin's detector orientation: rows along the chest wall (``+y``),
        columns from the chest wall (column 0) to the nipple (``+x``). It is stored flipped
        into the orientation mammograms are hung in (:func:`victwin.dicom.breast_to_patient`;
        PatientOrientation LCC ``A\\R``, RCC ``P\\L``). Unsigned integers up to 65535 are
        stored exactly; other arrays are scaled linearly to 16 bits, with a Real World Value
        Mapping giving the values back. BitsStored is the bits the largest value needs.
    subject : SyntheticSubject
    exposure : Exposure
    view : {"CC", "MLO", "ML", "LM"}
    laterality : {"L", "R"}
    for_presentation : bool
        False: the raw detector signal (For Processing); True: the processed image for display.
    series_number, instance_number : int
    source_image : Dataset, optional
        The For Processing image a For Presentation image was made from (Source Image
        Sequence); its PartialView is copied.
    series_key : str, optional
        Key of the series in the case from which the UIDs derive; default from view/laterality.
    breast_mask : bool array like ``pixels``, optional
        Where the breast is (victwin orientation); decides PartialView. Default: estimated
        from the image (:func:`victwin.dicom._partial.breast_mask_from_image`).

    Returns
    -------
    pydicom.dataset.Dataset
        Checked against the IOD's mandatory modules (raises ValueError if incomplete).
    """
    if view not in ("CC", "MLO", "ML", "LM"):
        raise ValueError(f"view must be one of 'CC', 'MLO', 'ML', 'LM', got {view!r}")
    if laterality not in LATERALITIES:
        raise ValueError(f"laterality must be 'L' or 'R', got {laterality!r}")
    if not isinstance(exposure, Exposure):
        raise TypeError(f"exposure must be an Exposure, got {type(exposure).__name__}")
    frame = breast_to_patient(laterality, view)
    sop = (DigitalMammographyXRayImageStorageForPresentation if for_presentation
           else DigitalMammographyXRayImageStorageForProcessing)
    key = series_key or f"DM-{laterality}-{view}-{'pres' if for_presentation else 'proc'}"
    ds = base_dataset(subject, sop_class_uid=sop, series_key=key, series_number=series_number,
                      instance_number=instance_number, modality="MG",
                      series_description=f"DM {laterality} {view} {_intent(for_presentation)}")
    ds.BodyPartExamined = "BREAST"
    ds.ImageLaterality = laterality
    ds.PatientOrientation = frame.patient_orientation()
    ds.AnatomicRegionSequence = Sequence([code_item("76752008", "SCT", "Breast")])
    ds.PositionerType = "MAMMOGRAPHIC"
    ds.PositionerPrimaryAngle = POSITIONER_ANGLE_DEG[view] * (1 if laterality == "R" else -1)
    ds.PositionerSecondaryAngle = 0
    ds.OrganExposed = "BREAST"
    ds.BreastImplantPresent = "NO"
    value, meaning = VIEW_CODES[view]
    item = code_item(value, "SCT", meaning)
    item.ViewModifierCodeSequence = Sequence([])
    ds.ViewCodeSequence = Sequence([item])
    ds.AcquisitionContextSequence = Sequence([])
    ds.FrameOfReferenceUID = subject.uid("frame-of-reference", laterality, view)
    ds.PositionReferenceIndicator = ""
    _dose_and_generation(ds, exposure, breast=True)
    _detector(ds, exposure, np.shape(pixels))
    image = np.asarray(pixels)
    if breast_mask is None and for_presentation and source_image is not None \
            and "PartialView" in source_image:
        for kw in ("PartialView", "PartialViewDescription", "PartialViewCodeSequence"):
            if kw in source_image:
                setattr(ds, kw, source_image[kw].value)
    else:
        if breast_mask is None:
            breast_mask = breast_mask_from_image(image, for_presentation=for_presentation)
        elif np.shape(breast_mask) != image.shape:
            raise ValueError(f"breast_mask shape must equal the image shape {image.shape}, "
                             f"got {np.shape(breast_mask)}")
        set_partial_view(ds, breast_mask, frame)
    stored = _dx_image(ds, frame.to_stored(image), for_presentation=for_presentation,
                       name="pixels", source_image=source_image)
    if for_presentation and source_image is not None and "RelativeXRayExposure" in source_image:
        ds.RelativeXRayExposure = source_image.RelativeXRayExposure
    else:
        # Manufacturer-scaled exposure on the plate (IHE Mammo Type 1): the median stored
        # value under the breast (the whole image where none is found).
        mask = frame.to_stored(np.asarray(breast_mask, dtype=bool)) if breast_mask is not None \
            else np.zeros(stored.shape, bool)
        vals = stored[mask] if mask.any() else stored.ravel()
        ds.RelativeXRayExposure = int(round(float(np.median(vals))))
    ds.PixelPaddingValue = _unused_value(stored)
    check_iod(ds)
    return ds


def digital_xray_image(pixels, *, subject: SyntheticSubject, exposure: Exposure,
                       view: str = "PA", for_presentation: bool, series_number: int = 1,
                       instance_number: int = 1, source_image: Dataset | None = None,
                       series_key: str | None = None) -> Dataset:
    """Build a Digital X-Ray Image (chest PA or AP), For Processing or For Presentation.

    Parameters are as :func:`digital_mammography_image`; ``pixels`` rows run head to feet and
    columns from the patient's right to left (PA as radiographs are read); ``view`` is "PA" or
    "AP"; ``exposure.compressed_thickness_mm`` is the body thickness.
    """
    if view not in ("PA", "AP"):
        raise ValueError(f"view must be 'PA' or 'AP', got {view!r}")
    if not isinstance(exposure, Exposure):
        raise TypeError(f"exposure must be an Exposure, got {type(exposure).__name__}")
    sop = (DigitalXRayImageStorageForPresentation if for_presentation
           else DigitalXRayImageStorageForProcessing)
    key = series_key or f"DX-{view}-{'pres' if for_presentation else 'proc'}"
    ds = base_dataset(subject, sop_class_uid=sop, series_key=key, series_number=series_number,
                      instance_number=instance_number, modality="DX",
                      series_description=f"DX chest {view} {_intent(for_presentation)}")
    ds.BodyPartExamined = "CHEST"
    ds.ImageLaterality = "U"
    ds.PatientOrientation = "L\\F" if view == "PA" else "R\\F"
    ds.AnatomicRegionSequence = Sequence([code_item("816094009", "SCT", "Chest")])
    ds.PositionerType = "NONE"
    ds.PatientPosition = ""
    ds.ViewPosition = view
    value, meaning = VIEW_CODES[view]
    item = code_item(value, "SCT", meaning)
    item.ViewModifierCodeSequence = Sequence([])
    ds.ViewCodeSequence = Sequence([item])
    ds.AcquisitionContextSequence = Sequence([])
    _dose_and_generation(ds, exposure, breast=False)
    ds.OrganExposed = None
    del ds.OrganExposed
    _detector(ds, exposure, np.shape(pixels))
    _dx_image(ds, pixels, for_presentation=for_presentation, name="pixels",
              source_image=source_image)
    check_iod(ds)
    return ds


def synthesized_mammogram(pixels, *, subject: SyntheticSubject, exposure: Exposure,
                          view: str, laterality: str, source_volume: Dataset,
                          pixel_spacing_mm, method: str = "weighted", series_number: int = 11,
                          instance_number: int = 1) -> Dataset:
    """The synthesised 2D image of a DBT study, as a Digital Mammography X-Ray Image For
    Presentation derived from the Breast Tomosynthesis Image it was computed from.

    It is marked as generated, so hanging protocols tell it from an acquired DM: ImageType
    ``DERIVED\\PRIMARY\\\\GENERATED_2D`` (Value 4 GENERATED_2D, PS3.3 C.8.11.7.1.4, as
    dciodvfy checks it), a Source Image Sequence to the BTO, and its own series (default 11;
    the BTO is 10, its projections 20).

    Parameters
    ----------
    pixels : 2-D array ``[rows, columns]``
        The synthesised image (e.g. :func:`victwin.recon.synthesize_2d` of the volume), in the
        volume's in-plane orientation (rows along ``+y``, columns towards the nipple, ``+x``).
    subject, exposure, view, laterality
        As :func:`digital_mammography_image` (the DBT acquisition's exposure).
    source_volume : Dataset
        The Breast Tomosynthesis Image the pixels were computed from (Source Image Sequence).
    pixel_spacing_mm : (dy, dx) mm
        The volume's in-plane voxel size, i.e. the image's pixel size in the breast.
        ImagerPixelSpacing is that size at the detector, ``pixel_spacing_mm *
        EstimatedRadiographicMagnificationFactor``, so a viewer dividing by the magnification
        measures the breast in voxels (PixelSpacing is not used by the IHE Mammo profile).
    method : str
        How the volume was collapsed (recorded in the Derivation Description).

    Returns
    -------
    pydicom.dataset.Dataset
    """
    spacing = np.asarray(pixel_spacing_mm, dtype=float).ravel()
    if spacing.shape != (2,) or not np.all(np.isfinite(spacing)) or np.any(spacing <= 0):
        raise ValueError(f"pixel_spacing_mm must be two numbers > 0, got {pixel_spacing_mm!r}")
    ds = digital_mammography_image(pixels, subject=subject, exposure=exposure, view=view,
                                   laterality=laterality, for_presentation=True,
                                   series_number=series_number,
                                   instance_number=instance_number,
                                   series_key=f"SYN2D-{laterality}-{view}")
    ds.ImageType = ["DERIVED", "PRIMARY", "", "GENERATED_2D"]
    ds.SeriesDescription = f"Synthesized 2D {laterality} {view} from DBT"
    ds.DerivationDescription = (f"victwin synthesized 2D mammogram: {method} projection of "
                                f"the reconstructed breast tomosynthesis volume")
    m = exposure.magnification
    ds.ImagerPixelSpacing = [round(float(spacing[0]) * m, 6), round(float(spacing[1]) * m, 6)]
    rows, cols = int(ds.Rows), int(ds.Columns)
    ds.DetectorActiveDimensions = [round(rows * float(ds.ImagerPixelSpacing[0]), 3),
                                   round(cols * float(ds.ImagerPixelSpacing[1]), 3)]
    ds.FieldOfViewDimensions = [int(round(rows * float(ds.ImagerPixelSpacing[0]))),
                                int(round(cols * float(ds.ImagerPixelSpacing[1])))]
    ref = Dataset()
    ref.ReferencedSOPClassUID = source_volume.SOPClassUID
    ref.ReferencedSOPInstanceUID = source_volume.SOPInstanceUID
    ref.SpatialLocationsPreserved = "NO"
    ref.PurposeOfReferenceCodeSequence = Sequence([
        code_item("121322", "DCM", "Source image for image processing operation")])
    ds.SourceImageSequence = Sequence([ref])
    return ds
