"""Breast Tomosynthesis Image (PS3.3 A.55) and Breast Projection X-Ray Image (A.74).

Both are enhanced multi-frame objects. Positions are written in victwin's breast frame
(mm, detector surface at z = 0, x from the chest wall towards the nipple, y along the chest
wall), which is the object's Frame of Reference: a BTO frame ``k`` lies at
``ImagePositionPatient = grid.index_to_world((k, 0, 0))`` with rows along ``+y`` and columns
along ``+x``, so the read-back recovers the reconstruction :class:`~victwin.geometry.Grid`.
"""

from __future__ import annotations

import datetime as _dt
import math

import numpy as np
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.tag import Tag
from pydicom.uid import (BreastProjectionXRayImageStorageForProcessing,
                         BreastTomosynthesisImageStorage)

from ._check import check_iod
from ._common import (MANUFACTURER, MODEL_NAME, DEVICE_SERIAL, INSTITUTION, STATION_NAME,
                      acquisition_datetime, base_dataset, code_item, real_world_mapping,
                      set_pixel_module,
                      software_version, stored_pixels, window_for)
from ._identity import SyntheticSubject
from ._params import LATERALITIES, VIEW_CODES, Exposure

__all__ = ["breast_tomosynthesis_image", "breast_projection_image", "source_angles_deg"]

_ALGORITHM_TYPES = {"FBP": "FILTER_BACK_PROJ", "SART": "ITERATIVE", "SIRT": "ITERATIVE",
                    "MLEM": "ITERATIVE", "OSEM": "ITERATIVE"}


def _ds(**kw) -> Dataset:
    d = Dataset()
    for k, v in kw.items():
        setattr(d, k, v)
    return d


def _breast_common(ds: Dataset, subject: SyntheticSubject, exposure: Exposure, view: str,
                   laterality: str) -> None:
    if view not in ("CC", "MLO", "ML", "LM"):
        raise ValueError(f"view must be one of 'CC', 'MLO', 'ML', 'LM', got {view!r}")
    if laterality not in LATERALITIES:
        raise ValueError(f"laterality must be 'L' or 'R', got {laterality!r}")
    if not isinstance(exposure, Exposure):
        raise TypeError(f"exposure must be an Exposure, got {type(exposure).__name__}")
    ds.BodyPartExamined = "BREAST"
    ds.FrameOfReferenceUID = subject.uid("frame-of-reference", laterality, view)
    ds.PositionReferenceIndicator = ""
    ds.BreastImplantPresent = "NO"
    ds.PartialView = "NO"
    value, meaning = VIEW_CODES[view]
    item = code_item(value, "SCT", meaning)
    item.ViewModifierCodeSequence = Sequence([])
    ds.ViewCodeSequence = Sequence([item])
    ds.AcquisitionContextSequence = Sequence([])
    ds.ContentQualification = "RESEARCH"
    ds.BurnedInAnnotation = "NO"
    ds.LossyImageCompression = "00"
    ds.PresentationLUTShape = "IDENTITY"


def _acquisition_item(exposure: Exposure, n_projections: int, angles_deg) -> Dataset:
    e = exposure
    item = _ds(FieldOfViewShape="RECTANGLE", FieldOfViewDimensionsInFloat=[1.0, 1.0])
    item.DistanceSourceToDetector = round(e.sid_mm, 3)
    item.DistanceSourceToPatient = round(e.source_to_patient_mm, 3)
    item.EstimatedRadiographicMagnificationFactor = round(e.magnification, 6)
    item.FilterType = "NONE"  # a flat sheet: no shaped (STRIP/WEDGE/BUTTERFLY) filter
    item.FilterMaterial = e.filter_dicom
    item.FilterThicknessMinimum = round(e.filter_thickness_mm, 4)
    item.FilterThicknessMaximum = round(e.filter_thickness_mm, 4)
    item.FocalSpots = round(e.focal_spot_mm, 3)
    item.AnodeTargetMaterial = e.anode_dicom
    item.BodyPartThickness = round(e.compressed_thickness_mm, 2)
    item.CompressionForce = round(e.compression_force_n, 1)
    item.PaddleDescription = "simulated flat compression paddle"
    item.DetectorTemperature = 20.0
    item.ExposureControlMode = "MANUAL"
    item.ExposureControlModeDescription = "simulated fixed technique"
    item.XRayReceptorType = "DIGITAL_DETECTOR"
    item.HalfValueLayer = round(e.hvl_mm_al, 4)
    item.OrganDose = round(e.organ_dose_dgy, 8)  # dGy
    item.EntranceDoseInmGy = round(e.entrance_dose_mgy, 6)
    item.DetectorBinning = [1.0, 1.0]
    item.FieldOfViewOrigin = [0.0, 0.0]
    item.FieldOfViewRotation = 0.0
    item.FieldOfViewHorizontalFlip = "NO"
    item.KVP = round(e.kvp, 3)
    per = []
    mas = e.exposure_mas / max(n_projections, 1)
    for a in angles_deg:
        per.append(_ds(KVP=round(e.kvp, 3), XRayTubeCurrentInmA=1.0,
                       ExposureTimeInms=max(e.exposure_time_ms / max(n_projections, 1), 1e-3),
                       ExposureInmAs=round(mas, 6), FrameAcquisitionDuration=1.0,
                       RelativeXRayExposure=max(int(round(mas * 100)), 1),
                       PositionerPrimaryAngle=round(float(a), 4)))
    item.PerProjectionAcquisitionSequence = Sequence(per)
    return item


def _frame_anatomy(laterality: str) -> Dataset:
    return _ds(FrameLaterality=laterality,
               AnatomicRegionSequence=Sequence([code_item("76752008", "SCT", "Breast")]))


def _dimensions(ds: Dataset, subject: SyntheticSubject, key: str, pointers) -> None:
    org = subject.uid("series", key, "dimension-organization")
    ds.DimensionOrganizationSequence = Sequence([_ds(DimensionOrganizationUID=org)])
    items = []
    for pointer, group in pointers:
        items.append(_ds(DimensionOrganizationUID=org, DimensionIndexPointer=Tag(pointer),
                         FunctionalGroupPointer=Tag(group)))
    ds.DimensionIndexSequence = Sequence(items)
    ds.DimensionOrganizationType = "3D" if len(pointers) > 1 else "TILED_FULL"


def source_angles_deg(views) -> np.ndarray:
    """Source angle of each view about the sweep's rotation axis, degrees (0 = over the panel).

    The sources of a DBT sweep lie on a circle in a plane perpendicular to the detector; the
    circle's centre height is fitted by least squares (``y^2 + z^2 = 2 h z + c``), so the angle
    does not depend on how the arc was built. A single view gets the angle of its source from
    the panel normal through the panel point below it.
    """
    src = np.array([v.source for v in views], dtype=float)
    if src.ndim != 2 or len(src) == 0:
        raise ValueError("views must be a non-empty sequence of View")
    lateral_axis = 1 if np.ptp(src[:, 1]) >= np.ptp(src[:, 0]) else 0
    lat = src[:, lateral_axis] - (0.0 if lateral_axis == 1 else np.median(src[:, 0]))
    z = src[:, 2]
    if len(src) >= 3 and np.ptp(lat) > 1e-9:
        a = np.column_stack([2 * z, np.ones_like(z)])
        (h, _), *_ = np.linalg.lstsq(a, lat ** 2 + z ** 2, rcond=None)
    else:
        h = 0.0
    return np.degrees(np.arctan2(lat, z - h))


def breast_tomosynthesis_image(volume, grid, *, subject: SyntheticSubject, exposure: Exposure,
                               view: str, laterality: str, projection_angles_deg=(),
                               source_images=(), series_number: int = 10,
                               instance_number: int = 1, series_key: str | None = None,
                               reconstruction_algorithm: str = "FBP") -> Dataset:
    """Build a Breast Tomosynthesis Image (the reconstructed DBT volume).

    Parameters
    ----------
    volume : 3-D array ``[z, y, x]``
        Reconstructed slices; frame ``k`` is slice ``volume[k]``. Stored as 16 bits with the
        Pixel Value Transformation giving the values back.
    grid : victwin.geometry.Grid
        Where the voxels are (mm): spacing and plane positions are written from it.
    subject, exposure, view, laterality
        As :func:`~victwin.dicom.digital_mammography_image`; exposure is the whole sweep.
    projection_angles_deg : sequence of float, degrees
        Source angle of each projection (Per Projection Acquisition Sequence).
    source_images : sequence of Dataset
        The projection objects the volume was reconstructed from (Contributing Sources and
        Source Image Sequence).
    series_number, instance_number, series_key, reconstruction_algorithm
    """
    from victwin.geometry import Grid
    if not isinstance(grid, Grid):
        raise TypeError(f"grid must be a victwin.geometry.Grid, got {type(grid).__name__}")
    vol = np.asarray(volume)
    if vol.ndim != 3 or tuple(vol.shape) != tuple(grid.shape):
        raise ValueError(f"volume shape must equal grid.shape {grid.shape}, got {vol.shape}")
    key = series_key or f"BTO-{laterality}-{view}"
    ds = base_dataset(subject, sop_class_uid=BreastTomosynthesisImageStorage, series_key=key,
                      series_number=series_number, instance_number=instance_number,
                      modality="MG", series_description=f"DBT volume {laterality} {view}")
    _breast_common(ds, subject, exposure, view, laterality)
    stored, slope, intercept = stored_pixels(vol, "volume", ndim=3)
    set_pixel_module(ds, stored)
    nz = vol.shape[0]
    ds.NumberOfFrames = nz
    ds.ImageType = ["ORIGINAL", "PRIMARY", "TOMOSYNTHESIS", "NONE"]
    ds.PixelPresentation = "MONOCHROME"
    ds.VolumetricProperties = "VOLUME"
    ds.VolumeBasedCalculationTechnique = "NONE"
    calibration_date = ds.DateOfLastDetectorCalibration
    for kw in ("AcquisitionDate", "AcquisitionTime", "DateOfLastDetectorCalibration",
               "TimeOfLastDetectorCalibration"):
        delattr(ds, kw)
    angles = [float(a) for a in projection_angles_deg]
    ds.XRay3DAcquisitionSequence = Sequence([_acquisition_item(exposure, len(angles), angles)])
    ds.XRay3DReconstructionSequence = Sequence([_ds(
        ReconstructionDescription=f"victwin {reconstruction_algorithm}",
        ApplicationName="victwin", ApplicationVersion=software_version(),
        ApplicationManufacturer=MANUFACTURER,
        AlgorithmType=_ALGORITHM_TYPES.get(reconstruction_algorithm.upper(), "ITERATIVE"),
        AlgorithmDescription=f"simulated {reconstruction_algorithm} reconstruction",
        AcquisitionIndex=[1])])
    contrib = _ds(Manufacturer=MANUFACTURER, ManufacturerModelName=MODEL_NAME,
                  DeviceSerialNumber=DEVICE_SERIAL, SoftwareVersions=software_version(),
                  StationName=STATION_NAME, AcquisitionDateTime=acquisition_datetime(subject),
                  DetectorID="SIMDET-1", DetectorType=exposure.detector_type,
                  DetectorElementSpacing=[round(exposure.imager_pixel_spacing_mm, 6)] * 2,
                  DateOfLastDetectorCalibration=calibration_date,
                  TimeOfLastDetectorCalibration="070000",
                  Rows=ds.Rows, Columns=ds.Columns, BitsStored=16, LossyImageCompression="00")
    refs = [_ds(ReferencedSOPClassUID=s.SOPClassUID, ReferencedSOPInstanceUID=s.SOPInstanceUID)
            for s in source_images]
    if refs:
        contrib.SourceImageSequence = Sequence(refs)
    ds.ContributingSourcesSequence = Sequence([contrib])

    dz, dy, dx = grid.spacing
    shared = Dataset()
    shared.PixelMeasuresSequence = Sequence([_ds(PixelSpacing=[round(dy, 8), round(dx, 8)],
                                                 SliceThickness=round(dz, 8))])
    shared.PlaneOrientationSequence = Sequence([_ds(ImageOrientationPatient=[1, 0, 0, 0, 1, 0])])
    shared.FrameAnatomySequence = Sequence([_frame_anatomy(laterality)])
    c, w = window_for(stored)
    shared.FrameVOILUTSequence = Sequence([_ds(WindowCenter=f"{c:.6g}", WindowWidth=f"{w:.6g}",
                                               WindowCenterWidthExplanation="victwin window",
                                               VOILUTFunction="LINEAR")])
    # The X-Ray 3D Image IODs fix RescaleSlope 1 / Intercept 0; the map back to the
    # reconstructed values goes in a Real World Value Mapping.
    shared.PixelValueTransformationSequence = Sequence([_ds(
        RescaleIntercept=0, RescaleSlope=1, RescaleType="US")])
    if slope != 1.0 or intercept != 0.0:
        shared.RealWorldValueMappingSequence = Sequence([
            real_world_mapping(stored, slope, intercept)])
    ds.SharedFunctionalGroupsSequence = Sequence([shared])

    when = subject.study_datetime
    frame_dt = when.strftime("%Y%m%d%H%M%S")
    stack = "1"
    per = []
    for k in range(nz):
        pos = grid.index_to_world((k, 0, 0))
        f = Dataset()
        f.FrameContentSequence = Sequence([_ds(
            FrameAcquisitionDateTime=frame_dt, FrameReferenceDateTime=frame_dt,
            FrameAcquisitionDuration=1.0, StackID=stack, InStackPositionNumber=k + 1,
            DimensionIndexValues=[1, k + 1])])
        f.PlanePositionSequence = Sequence([_ds(
            ImagePositionPatient=[round(float(p), 6) for p in pos])])
        f.XRay3DFrameTypeSequence = Sequence([_ds(
            FrameType=["ORIGINAL", "PRIMARY", "TOMOSYNTHESIS", "NONE"],
            PixelPresentation="MONOCHROME", VolumetricProperties="VOLUME",
            VolumeBasedCalculationTechnique="NONE", ReconstructionIndex=1)])
        per.append(f)
    ds.PerFrameFunctionalGroupsSequence = Sequence(per)
    _dimensions(ds, subject, key, [(0x00209056, 0x00209111), (0x00209057, 0x00209111)])
    check_iod(ds)
    return ds
