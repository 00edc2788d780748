"""Breast Tomosynthesis Image (PS3.3 A.55) and Breast Projection X-Ray Image (A.74).

Both are enhanced multi-frame objects. Every position and direction is written in DICOM
patient coordinates (LPS) through :func:`victwin.dicom.breast_to_patient`: a BTO frame ``k``
is a volume slice (from the top down, so positions advance along the planes' normal), stored
flipped in-plane as mammograms are hung, with ``ImagePositionPatient`` the LPS position of
its first stored voxel and ``ImageOrientationPatient`` the LPS directions of its rows and
columns, so its rows and columns point where the DM's PatientOrientation letters say. The
read-back inverts the map and recovers the reconstruction :class:`~victwin.geometry.Grid`.
"""

from __future__ import annotations

import datetime as _dt

import numpy as np
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.tag import Tag
from pydicom.uid import (BreastProjectionXRayImageStorageForProcessing,
                         BreastTomosynthesisImageStorage)

from ._check import check_iod
from ._common import (DEVICE_SERIAL, MANUFACTURER, MODEL_NAME, STATION_NAME,
                      acquisition_datetime, base_dataset, bits_stored_for, code_item,
                      real_world_mapping, set_pixel_module, software_version, stored_pixels,
                      window_for)
from ._frame import BreastFrame, breast_to_patient
from ._identity import SyntheticSubject
from ._params import LATERALITIES, VIEW_CODES, Exposure, compression
from ._partial import breast_mask_from_image, set_partial_view

__all__ = ["breast_tomosynthesis_image", "breast_projection_image", "source_angles_deg"]

_ALGORITHM_TYPES = {"FBP": "FILTER_BACK_PROJ", "SART": "ITERATIVE", "SIRT": "ITERATIVE",
                    "MLEM": "ITERATIVE", "OSEM": "ITERATIVE"}


def _ds(**kw) -> Dataset:
    d = Dataset()
    for k, v in kw.items():
        setattr(d, k, v)
    return d


def _breast_common(ds: Dataset, subject: SyntheticSubject, exposure: Exposure, view: str,
                   laterality: str) -> BreastFrame:
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
    value, meaning = VIEW_CODES[view]
    item = code_item(value, "SCT", meaning)
    item.ViewModifierCodeSequence = Sequence([])
    ds.ViewCodeSequence = Sequence([item])
    ds.AcquisitionContextSequence = Sequence([])
    ds.ContentQualification = "RESEARCH"
    ds.BurnedInAnnotation = "NO"
    ds.LossyImageCompression = "00"
    ds.PresentationLUTShape = "IDENTITY"
    return breast_to_patient(laterality, view)


def _relative_exposure(images, breast_mask) -> list[int]:
    """RelativeXRayExposure of each projection: the median raw signal (stored units) under the
    breast of the central projection (all pixels where there is no breast); a value derived
    from the simulated image, as the attribute (manufacturer-defined scale) allows."""
    mask = np.asarray(breast_mask, dtype=bool)
    out = []
    for img in np.asarray(images):
        vals = img[mask] if mask.any() else img.ravel()
        out.append(max(int(round(float(np.median(vals)))), 0))
    return out


def _acquisition_item(exposure: Exposure, n_projections: int, angles_deg,
                      field_of_view_mm, relative_exposures=None) -> Dataset:
    e = exposure
    item = _ds(FieldOfViewShape="RECTANGLE",
               FieldOfViewDimensionsInFloat=[round(float(v), 3) for v in field_of_view_mm])
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
    compression(item, e)
    # Type 1; victwin does not model the detector's temperature (room temperature recorded).
    item.DetectorTemperature = 20.0
    item.ExposureControlMode = e.exposure_control
    item.ExposureControlModeDescription = f"simulated, {e.exposure_control.lower()} technique"
    item.XRayReceptorType = "DIGITAL_DETECTOR"
    item.HalfValueLayer = round(e.hvl_mm_al, 4)
    if e.organ_dose_dgy is not None:
        item.OrganDose = round(e.organ_dose_dgy, 8)  # dGy
    item.EntranceDoseInmGy = round(e.entrance_dose_mgy, 6)
    item.DetectorBinning = [float(e.detector_binning)] * 2
    item.FieldOfViewOrigin = [0.0, 0.0]
    item.FieldOfViewRotation = 0.0
    item.FieldOfViewHorizontalFlip = "NO"
    item.KVP = round(e.kvp, 3)
    item.ExposureInmAs = round(e.exposure_mas, 6)
    per = []
    mas = e.exposure_mas / max(n_projections, 1)
    t_ms = e.exposure_time_used_ms / max(n_projections, 1)
    for k, a in enumerate(angles_deg):
        p = _ds(KVP=round(e.kvp, 3), ExposureInmAs=round(mas, 6), ExposureTimeInms=round(t_ms, 6),
                XRayTubeCurrentInmA=round(e.tube_current_ma, 6),
                PositionerPrimaryAngle=round(float(a), 4))
        if relative_exposures is not None:
            p.RelativeXRayExposure = int(relative_exposures[k])
        per.append(p)
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


def _copy_partial_view(ds: Dataset, sources) -> None:
    for src in sources:
        if "PartialView" in src:
            for kw in ("PartialView", "PartialViewCodeSequence"):
                if kw in src:
                    setattr(ds, kw, src[kw].value)
            return
    ds.PartialView = "NO"


def _relative_exposures_of(sources, n: int):
    """Per-projection RelativeXRayExposure of the Breast Projection source (None if absent)."""
    for src in sources:
        per = src.get("PerFrameFunctionalGroupsSequence")
        if per is not None and len(per) == n:
            try:
                return [int(f.XRayAcquisitionDoseSequence[0].RelativeXRayExposure) for f in per]
            except (AttributeError, IndexError):
                continue
    return None


def _field_of_view_mm(sources, grid, exposure: Exposure):
    for src in sources:
        spacing = src.get("ImagerPixelSpacing")
        if spacing is None and "SharedFunctionalGroupsSequence" in src:
            props = src.SharedFunctionalGroupsSequence[0].get("FramePixelDataPropertiesSequence")
            spacing = props[0].get("ImagerPixelSpacing") if props else None
        if spacing is not None:
            return (src.Rows * float(spacing[0]), src.Columns * float(spacing[1]))
    _, ny, nx = grid.shape
    _, dy, dx = grid.spacing
    return (ny * dy * exposure.magnification, nx * dx * exposure.magnification)


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
                               reconstruction_algorithm: str = "FBP",
                               field_of_view_mm=None) -> Dataset:
    """Build a Breast Tomosynthesis Image (the reconstructed DBT volume).

    Parameters
    ----------
    volume : 3-D array ``[z, y, x]``
        Reconstructed slices in victwin's breast frame; frame ``k`` is slice ``volume[k]``,
        stored flipped in-plane as mammograms are hung. Stored as 16 bits with a Real World
        Value Mapping giving the values back.
    grid : victwin.geometry.Grid
        Where the voxels are (mm, breast frame): spacing, plane positions and orientation are
        written from it in patient coordinates (:func:`victwin.dicom.breast_to_patient`).
    subject, exposure, view, laterality
        As :func:`~victwin.dicom.digital_mammography_image`; exposure is the whole sweep.
    projection_angles_deg : sequence of float, degrees
        Source angle of each projection (Per Projection Acquisition Sequence).
    source_images : sequence of Dataset
        The projection objects the volume was reconstructed from (Contributing Sources and
        Source Image Sequence); PartialView is copied from the first that has it.
    series_number, instance_number, series_key, reconstruction_algorithm
    field_of_view_mm : (rows_mm, columns_mm), optional
        The acquisition's field of view at the detector (FieldOfViewDimensionsInFloat);
        default: from the first source image's rows, columns and ImagerPixelSpacing, else the
        volume's in-plane extent times the magnification.
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
    frame = _breast_common(ds, subject, exposure, view, laterality)
    source_images = list(source_images)
    _copy_partial_view(ds, source_images)
    stored, slope, intercept = stored_pixels(frame.to_stored_volume(vol), "volume", ndim=3)
    set_pixel_module(ds, stored, bits_stored=bits_stored_for(stored, minimum=12))
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
    if field_of_view_mm is None:
        field_of_view_mm = _field_of_view_mm(source_images, grid, exposure)
    relative = _relative_exposures_of(source_images, len(angles))
    ds.XRay3DAcquisitionSequence = Sequence([_acquisition_item(exposure, len(angles), angles,
                                                               field_of_view_mm, relative)])
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
    if source_images:  # PS3.3 C.8.21.3.3: the contributing instances, by study and series
        series = {}
        for src in source_images:
            series.setdefault(str(src.SeriesInstanceUID), (src, []))[1].append(_ds(
                ReferencedSOPClassUID=src.SOPClassUID,
                ReferencedSOPInstanceUID=src.SOPInstanceUID,
                InstanceNumber=src.get("InstanceNumber", 1)))
        contrib.ContributingSOPInstancesReferenceSequence = Sequence([_ds(
            StudyInstanceUID=source_images[0].StudyInstanceUID,
            ReferencedSeriesSequence=Sequence([_ds(
                SeriesInstanceUID=uid, SeriesNumber=src.get("SeriesNumber", 1),
                ReferencedInstanceSequence=Sequence(items))
                for uid, (src, items) in series.items()]))])
    ds.ContributingSourcesSequence = Sequence([contrib])

    dz, dy, dx = grid.spacing
    shared = Dataset()
    shared.PixelMeasuresSequence = Sequence([_ds(PixelSpacing=[round(dy, 8), round(dx, 8)],
                                                 SliceThickness=round(dz, 8))])
    shared.PlaneOrientationSequence = Sequence([_ds(
        ImageOrientationPatient=frame.image_orientation())])
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
    flip_rows, flip_cols = frame.flips
    first = (grid.shape[1] - 1 if flip_rows else 0, grid.shape[2] - 1 if flip_cols else 0)
    for k in range(nz):
        z_index = nz - 1 - k if frame.slices_reversed else k
        pos = frame.point(grid.index_to_world((z_index, *first)))  # first stored voxel, LPS
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


def _rotation_center_height_mm(views) -> float:
    """Height above the detector of the centre of the sources' arc (least squares)."""
    src = np.array([v.source for v in views], dtype=float)
    lateral_axis = 1 if np.ptp(src[:, 1]) >= np.ptp(src[:, 0]) else 0
    lat, z = src[:, lateral_axis], src[:, 2]
    if len(src) >= 3 and np.ptp(lat) > 1e-9:
        a = np.column_stack([2 * z, np.ones_like(z)])
        (h, _), *_ = np.linalg.lstsq(a, lat ** 2 + z ** 2, rcond=None)
        return float(h)
    return 0.0


def _isocenter_item(view, angle_deg: float, height_mm: float, frame: BreastFrame) -> Dataset:
    """Breast X-Ray Isocenter Reference System: positions relative to the arc's centre (mm).

    The isocenter is the point ``(0, 0, height_mm)`` of victwin's breast frame, whose axes the
    equipment-fixed isocenter system shares; the detector and the breast support do not
    rotate (their angles are 0) and lie below it. The detector's active-area corner and
    orientation are those of the *stored* image (flipped as it is hung).
    """
    iso = np.array([0.0, 0.0, height_mm])
    p = view.panel
    nv, nu = p.shape
    row_dir, col_dir = frame.stored_axes()  # breast-frame directions, +-x and +-y
    u, v = np.asarray(p.u), np.asarray(p.v)
    # stored row direction along +-u, column direction along +-v
    su = 1.0 if float(row_dir @ u) > 0 else -1.0
    sv = 1.0 if float(col_dir @ v) > 0 else -1.0
    corner = (np.asarray(p.center) - su * (nu / 2.0) * p.pitch[1] * u
              - sv * (nv / 2.0) * p.pitch[0] * v)
    det = np.asarray(p.center) - iso
    r = lambda x: [round(float(c), 4) + 0.0 for c in x]  # noqa: E731
    return _ds(XRaySourceIsocenterPrimaryAngle=round(angle_deg, 4),
               XRaySourceIsocenterSecondaryAngle=0.0,
               BreastSupportIsocenterPrimaryAngle=0.0, BreastSupportIsocenterSecondaryAngle=0.0,
               BreastSupportXPositionToIsocenter=round(float(det[0]), 4),
               BreastSupportYPositionToIsocenter=round(float(det[1]), 4),
               BreastSupportZPositionToIsocenter=round(float(det[2]), 4),
               DetectorIsocenterPrimaryAngle=0.0, DetectorIsocenterSecondaryAngle=0.0,
               DetectorXPositionToIsocenter=round(float(det[0]), 4),
               DetectorYPositionToIsocenter=round(float(det[1]), 4),
               DetectorZPositionToIsocenter=round(float(det[2]), 4),
               DetectorActiveAreaTLHCPosition=r(corner - iso),
               DetectorActiveAreaOrientation=r(list(su * u) + list(sv * v)))


def _source_to_detector_mm(view) -> float:
    """Distance from the source to the detector plane along the panel normal, mm."""
    p = view.panel
    return abs(float(np.dot(np.asarray(view.source) - np.asarray(p.center), p.normal)))


def breast_projection_image(projections, views, *, subject: SyntheticSubject,
                            exposure: Exposure, view: str, laterality: str,
                            series_number: int = 20, instance_number: int = 1,
                            series_key: str | None = None, breast_mask=None) -> Dataset:
    """Build a Breast Projection X-Ray Image, For Processing (the DBT projections).

    Parameters
    ----------
    projections : 3-D array ``[n_views, rows, columns]``
        Raw detector signal of each projection, in acquisition order, in victwin's detector
        orientation (rows ``+y``, columns chest wall -> nipple); stored flipped as
        mammograms are hung (:func:`victwin.dicom.breast_to_patient`).
    views : sequence of victwin.geometry.View
        The sweep's views (one per projection); the source angle of each frame is derived from
        the source positions (:func:`source_angles_deg`); each frame's X-Ray Geometry holds
        that view's source-detector and source-support distances.
    subject, exposure, view, laterality, series_number, instance_number, series_key
        As :func:`breast_tomosynthesis_image`; ``exposure`` describes the whole sweep, its
        ``sid_mm - source_to_patient_mm`` is the support height above the detector.
    breast_mask : bool array ``[rows, columns]``, optional
        Breast in the central projection (victwin orientation), for PartialView; default:
        estimated from the central projection.
    """
    views = list(views)
    proj = np.asarray(projections)
    if proj.ndim != 3:
        raise ValueError(f"projections must be a 3-D array [view, row, column], "
                         f"got shape {proj.shape}")
    if len(views) != proj.shape[0]:
        raise ValueError(f"views must hold one View per projection ({proj.shape[0]}), "
                         f"got {len(views)}")
    for k, v in enumerate(views):
        if tuple(v.panel.shape) != tuple(proj.shape[1:]):
            raise ValueError(f"views[{k}].panel.shape must equal the projection shape "
                             f"{proj.shape[1:]}, got {v.panel.shape}")
    key = series_key or f"BPX-{laterality}-{view}"
    ds = base_dataset(subject, sop_class_uid=BreastProjectionXRayImageStorageForProcessing,
                      series_key=key, series_number=series_number,
                      instance_number=instance_number, modality="MG",
                      series_description=f"DBT projections {laterality} {view}")
    frame = _breast_common(ds, subject, exposure, view, laterality)
    n = proj.shape[0]
    central = proj[n // 2]
    if breast_mask is None:
        breast_mask = breast_mask_from_image(central, for_presentation=False)
    elif np.shape(breast_mask) != central.shape:
        raise ValueError(f"breast_mask shape must equal the projection shape {central.shape}, "
                         f"got {np.shape(breast_mask)}")
    set_partial_view(ds, breast_mask, frame, description=False)
    stored, slope, intercept = stored_pixels(frame.to_stored(proj), "projections", ndim=3)
    bits = bits_stored_for(stored, minimum=12)
    set_pixel_module(ds, stored, bits_stored=bits)
    angles = source_angles_deg(views)
    height = _rotation_center_height_mm(views)
    e = exposure
    ds.NumberOfFrames = n
    ds.ImageType = ["ORIGINAL", "PRIMARY", "TOMOSYNTHESIS", "NONE"]
    ds.PresentationIntentType = "FOR PROCESSING"
    ds.PatientOrientation = frame.patient_orientation()
    # Mammography is done standing (SCT 10904000 Erect, CID 19).
    ds.PatientOrientationCodeSequence = Sequence([code_item("10904000", "SCT", "erect")])
    ds.AcquisitionDateTime = acquisition_datetime(subject)
    for kw in ("AcquisitionDate", "AcquisitionTime"):
        delattr(ds, kw)
    ds.ExposureInmAs = round(e.exposure_mas, 6)
    # Exposure time: given, or mAs / nominal tube current (Exposure.exposure_time_used_ms);
    # the projections are taken back to back, so the acquisition lasts the summed time.
    ds.AcquisitionDuration = round(e.exposure_time_used_ms / 1000.0, 6)
    ds.ExposureTimeInms = round(e.exposure_time_used_ms, 6)
    ds.XRayTubeCurrentInmA = round(e.tube_current_ma, 6)
    ds.KVP = round(e.kvp, 3)
    ds.FocalSpots = round(e.focal_spot_mm, 3)
    ds.AnodeTargetMaterial = e.anode_dicom
    ds.BodyPartThickness = round(e.compressed_thickness_mm, 2)
    compression(ds, e)
    # The tube moves between the projections of a sweep (PS3.3 C.8.26.? defined terms
    # STATIC / DYNAMIC; dicom3tools 2022 does not list them and warns).
    ds.PositionerMotion = "DYNAMIC" if n > 1 else "STATIC"
    ds.PositionerType = "MAMMOGRAPHIC"
    ds.ExposureControlMode = e.exposure_control
    ds.ExposureControlModeDescription = f"simulated, {e.exposure_control.lower()} technique"
    if e.organ_dose_dgy is not None:
        ds.OrganDose = round(e.organ_dose_dgy, 8)  # dGy
    ds.EntranceDoseInmGy = round(e.entrance_dose_mgy, 6)
    ds.TypeOfDetectorMotion = "STATIONARY"
    ds.DetectorType = e.detector_type
    ds.DetectorID = "SIMDET-1"
    ds.DetectorConfiguration = "AREA"
    ds.DetectorDescription = "simulated flat-panel detector"
    ds.DetectorBinning = [float(e.detector_binning)] * 2
    el = round(e.element_spacing_mm, 6)
    ds.DetectorElementSpacing = [el, el]
    ds.DetectorElementPhysicalSize = [el, el]

    pitch = views[0].panel.pitch
    shared = Dataset()
    shared.FrameAnatomySequence = Sequence([_frame_anatomy(laterality)])
    # Raw detector signal (unsigned integers) is stored as is. The IOD fixes the rescale to
    # 1 / 0 and its functional groups have no Real World Value Mapping, so the map back to
    # non-integer input is written there anyway (dciodvfy then warns: it is not in the IOD).
    shared.PixelValueTransformationSequence = Sequence([_ds(
        RescaleIntercept=0, RescaleSlope=1, RescaleType="US")])
    if slope != 1.0 or intercept != 0.0:
        shared.RealWorldValueMappingSequence = Sequence([
            real_world_mapping(stored, slope, intercept)])
    # For Processing: no display processing, so the window spans the stored values.
    lo, hi = float(stored.min()), float(stored.max())
    shared.FrameVOILUTSequence = Sequence([_ds(
        WindowCenter=f"{(lo + hi) / 2:.6g}", WindowWidth=f"{max(hi - lo, 1.0):.6g}",
        WindowCenterWidthExplanation="stored range", VOILUTFunction="LINEAR")])
    shared.FramePixelDataPropertiesSequence = Sequence([_ds(
        FrameType=["ORIGINAL", "PRIMARY", "TOMOSYNTHESIS", "NONE"],
        ImagerPixelSpacing=[round(pitch[0], 6), round(pitch[1], 6)],
        GeometricalProperties="UNIFORM", ImageProcessingApplied="NONE",
        PixelIntensityRelationship="LIN", PixelIntensityRelationshipSign=1)])
    shared.FieldOfViewSequence = Sequence([_ds(
        FieldOfViewShape="RECTANGLE",
        FieldOfViewDimensionsInFloat=[round(proj.shape[1] * pitch[0], 3),
                                      round(proj.shape[2] * pitch[1], 3)],
        FieldOfViewOrigin=[0.0, 0.0], FieldOfViewRotation="0",
        FieldOfViewHorizontalFlip="NO")])
    shared.CollimatorShapeSequence = Sequence([_ds(
        CollimatorShape="RECTANGULAR", CollimatorLeftVerticalEdge=0,
        CollimatorRightVerticalEdge=int(proj.shape[2]), CollimatorUpperHorizontalEdge=0,
        CollimatorLowerHorizontalEdge=int(proj.shape[1]))])
    ds.SharedFunctionalGroupsSequence = Sequence([shared])

    support_height = e.sid_mm - e.source_to_patient_mm  # support above the detector, mm
    mas = e.exposure_mas / n
    t_ms = e.exposure_time_used_ms / n
    relative = _relative_exposure(proj, breast_mask)
    t0 = subject.study_datetime
    per = []
    for k in range(n):
        t = (t0 + _dt.timedelta(milliseconds=t_ms * k)).strftime("%Y%m%d%H%M%S.%f")
        d_det = _source_to_detector_mm(views[k])
        d_pat = d_det - support_height
        f = Dataset()
        content = _ds(FrameAcquisitionDateTime=t, FrameReferenceDateTime=t, StackID="1",
                      InStackPositionNumber=k + 1, DimensionIndexValues=[1, k + 1],
                      FrameAcquisitionDuration=round(t_ms, 6))
        f.FrameContentSequence = Sequence([content])
        f.PositionerPositionSequence = Sequence([_ds(
            PositionerPrimaryAngle=round(float(angles[k]), 4), PositionerSecondaryAngle=0.0)])
        f.IsocenterReferenceSystemSequence = Sequence([_isocenter_item(
            views[k], float(angles[k]), height, frame)])
        # Each projection's own distances (the source moves on an arc above a fixed panel),
        # and SID / SOD as DICOM defines the magnification.
        f.XRayGeometrySequence = Sequence([_ds(
            DistanceSourceToIsocenter=round(float(np.linalg.norm(
                np.asarray(views[k].source) - np.array([0.0, 0.0, height]))), 3),
            DistanceSourceToDetector=round(d_det, 3), DistanceSourceToPatient=round(d_pat, 3),
            EstimatedRadiographicMagnificationFactor=round(d_det / d_pat, 6))])
        dose = _ds(ExposureInmAs=round(mas, 6), ExposureTimeInms=round(t_ms, 6),
                   EntranceDoseInmGy=round(e.entrance_dose_mgy / n, 8),
                   RelativeXRayExposure=relative[k])
        if e.organ_dose_dgy is not None:
            dose.OrganDose = round(e.organ_dose_dgy / n, 10)
        f.XRayAcquisitionDoseSequence = Sequence([dose])
        f.IrradiationEventIdentificationSequence = Sequence([_ds(
            IrradiationEventUID=subject.uid("series", key, "irradiation", k))])
        per.append(f)
    ds.PerFrameFunctionalGroupsSequence = Sequence(per)
    _dimensions(ds, subject, key, [(0x00209056, 0x00209111), (0x00209057, 0x00209111)])
    check_iod(ds)
    return ds
