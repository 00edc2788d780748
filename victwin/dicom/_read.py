"""Read a victwin DICOM study back into arrays, geometry and lesion truth."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pydicom
from pydicom.uid import (BreastProjectionXRayImageStorageForProcessing,
                         BreastTomosynthesisImageStorage,
                         DigitalMammographyXRayImageStorageForPresentation,
                         DigitalMammographyXRayImageStorageForProcessing,
                         DigitalXRayImageStorageForPresentation,
                         DigitalXRayImageStorageForProcessing, SegmentationStorage,
                         Comprehensive3DSRStorage)

from ._frame import frame_of_dataset
from ._truth import Lesion, read_lesion_report

__all__ = ["DicomStudy", "read_study"]

_ROLES = {
    str(DigitalMammographyXRayImageStorageForProcessing): "dm_raw",
    str(DigitalMammographyXRayImageStorageForPresentation): "dm_processed",
    str(BreastProjectionXRayImageStorageForProcessing): "projections",
    str(BreastTomosynthesisImageStorage): "volume",
    str(DigitalXRayImageStorageForProcessing): "chest_raw",
    str(DigitalXRayImageStorageForPresentation): "chest_processed",
}


def _multiframe_values(ds) -> np.ndarray:
    """``[frame, rows, columns]`` real values of an enhanced multi-frame object."""
    rw = _shared(ds, "RealWorldValueMappingSequence")
    arr = ds.pixel_array.reshape(int(ds.NumberOfFrames), ds.Rows, ds.Columns)
    return _real_values(_shared(ds, "PixelValueTransformationSequence"), arr,
                        [rw] if rw else None)


def _derived_from_volume(ds) -> bool:
    """A For Presentation MG image computed from a BTO: the synthesised 2D image."""
    return any(str(getattr(ref, "ReferencedSOPClassUID", "")) ==
               str(BreastTomosynthesisImageStorage) for ref in ds.get("SourceImageSequence", []))


@dataclass
class DicomStudy:
    """A victwin study read back from DICOM.

    Attributes
    ----------
    images : dict
        Role (``dm_raw``, ``dm_processed``, ``synthesized_2d``, ``projections``, ``volume``,
        ``chest_raw``, ``chest_processed``) -> float64 array with the rescale / real-world
        mapping applied (2-D ``[rows, columns]`` or 3-D ``[frame, rows, columns]``), in
        victwin's orientation (breast images un-flipped from the hanging orientation they are
        stored in).
    pixel_spacing_mm : dict
        Role -> (row spacing, column spacing) in mm (ImagerPixelSpacing for projection images,
        PixelSpacing for the BTO).
    grid : victwin.geometry.Grid or None
        The BTO volume's grid in victwin's breast frame (plane positions and orientation
        mapped back from patient coordinates with the inverse of
        :func:`victwin.dicom.breast_to_patient`).
    projection_angles_deg : numpy.ndarray or None
        Source angle of each DBT projection (degrees).
    lesions : list of Lesion
        From the SR (centres mapped back to the breast frame, mm).
    lesion_labels : numpy.ndarray or None
        Label mask from the SEG on the grid of its source image (segment ``k`` -> label ``k``).
    datasets : dict
        Role -> the pydicom Dataset (``seg``, ``sr`` included).
    """

    images: dict = field(default_factory=dict)
    pixel_spacing_mm: dict = field(default_factory=dict)
    grid: object = None
    projection_angles_deg: np.ndarray | None = None
    lesions: list = field(default_factory=list)
    lesion_labels: np.ndarray | None = None
    datasets: dict = field(default_factory=dict)


def _real_values(ds, stored: np.ndarray, rwvm_seq) -> np.ndarray:
    out = stored.astype(np.float64)
    slope = float(getattr(ds, "RescaleSlope", 1) or 1)
    intercept = float(getattr(ds, "RescaleIntercept", 0) or 0)
    out = out * slope + intercept
    if rwvm_seq:
        item = rwvm_seq[0]
        out = out * float(item.RealWorldValueSlope) + float(item.RealWorldValueIntercept)
    return out


def _shared(ds, name):
    try:
        return getattr(ds.SharedFunctionalGroupsSequence[0], name)[0]
    except (AttributeError, IndexError):
        return None


def read_study(directory) -> DicomStudy:
    """Load every ``*.dcm`` in ``directory`` written by :func:`victwin.dicom.export_study`.

    Raises
    ------
    FileNotFoundError
        If the directory holds no DICOM file.
    ValueError
        If two files claim the same role or a file is not DICOM.
    """
    from victwin.geometry import Grid

    root = Path(directory)
    if not root.is_dir():
        raise FileNotFoundError(f"study directory {str(root)!r} does not exist")
    files = sorted(root.glob("*.dcm"))
    if not files:
        raise FileNotFoundError(f"no .dcm files in {str(root)!r}")
    study = DicomStudy()
    for path in files:
        try:
            ds = pydicom.dcmread(path)
        except pydicom.errors.InvalidDicomError as exc:
            raise ValueError(f"{path.name} is not a DICOM file: {exc}") from None
        sop = str(ds.SOPClassUID)
        role = _ROLES.get(sop) or {str(SegmentationStorage): "seg",
                                   str(Comprehensive3DSRStorage): "sr"}.get(sop)
        if role == "dm_processed" and _derived_from_volume(ds):
            role = "synthesized_2d"
        if role is None:
            continue
        if role in study.datasets:
            raise ValueError(f"two files hold the {role} object ({path.name})")
        study.datasets[role] = ds
        if role in ("chest_raw", "chest_processed"):
            study.images[role] = _real_values(ds, ds.pixel_array,
                                              ds.get("RealWorldValueMappingSequence"))
            study.pixel_spacing_mm[role] = tuple(float(v) for v in ds.ImagerPixelSpacing)
        elif role in ("dm_raw", "dm_processed", "synthesized_2d"):
            values = _real_values(ds, ds.pixel_array, ds.get("RealWorldValueMappingSequence"))
            study.images[role] = np.ascontiguousarray(frame_of_dataset(ds).from_stored(values))
            study.pixel_spacing_mm[role] = tuple(float(v) for v in ds.ImagerPixelSpacing)
        elif role == "projections":
            values = _multiframe_values(ds)
            study.images[role] = np.ascontiguousarray(frame_of_dataset(ds).from_stored(values))
            props = _shared(ds, "FramePixelDataPropertiesSequence")
            study.pixel_spacing_mm[role] = tuple(float(v) for v in props.ImagerPixelSpacing)
            study.projection_angles_deg = np.array([
                float(f.IsocenterReferenceSystemSequence[0].XRaySourceIsocenterPrimaryAngle)
                for f in ds.PerFrameFunctionalGroupsSequence])
        elif role == "volume":
            study.images[role], study.grid = _volume_in_breast_frame(ds, Grid)
            study.pixel_spacing_mm[role] = study.grid.spacing[1:]
    if "sr" in study.datasets:
        study.lesions = read_lesion_report(study.datasets["sr"],
                                           frame=_frame_for(study, study.datasets["sr"]))
    if "seg" in study.datasets:
        labels = _seg_labels(study.datasets["seg"])
        frame = _frame_for(study, study.datasets["seg"])
        if frame is not None:
            labels = frame.from_stored_volume(labels) if labels.ndim == 3 \
                else frame.from_stored(labels)
        study.lesion_labels = np.ascontiguousarray(labels)
    return study


def _frame_for(study: DicomStudy, ds):
    """BreastFrame of the breast image sharing ``ds``'s Frame of Reference (None if none)."""
    uid = ds.get("FrameOfReferenceUID")
    if uid is None and "ReferencedFrameOfReferenceSequence" in ds:  # pragma: no cover
        uid = ds.ReferencedFrameOfReferenceSequence[0].FrameOfReferenceUID
    for role in ("volume", "dm_raw", "dm_processed", "projections"):
        img = study.datasets.get(role)
        if img is not None and (uid is None or img.get("FrameOfReferenceUID") == uid):
            return frame_of_dataset(img)
    return None


def _volume_in_breast_frame(ds, grid_class):
    """BTO values ``[z, y, x]`` and Grid in victwin's breast frame, from patient coordinates."""
    frame = frame_of_dataset(ds)
    values = _multiframe_values(ds)
    nz, ny, nx = values.shape
    measures = _shared(ds, "PixelMeasuresSequence")
    dy, dx = (float(v) for v in measures.PixelSpacing)
    iop = np.array([float(v) for v in _shared(ds, "PlaneOrientationSequence")
                    .ImageOrientationPatient])
    row_b, col_b = frame.to_breast(iop[:3]), frame.to_breast(iop[3:])
    if not (abs(abs(row_b[0]) - 1) < 1e-6 and abs(abs(col_b[1]) - 1) < 1e-6):
        raise ValueError(f"BTO rows/columns {iop.tolist()} are not along the breast frame's "
                         f"x / y axes for {frame.laterality} {frame.view}")
    positions = frame.to_breast(np.array([[float(v) for v in
                                           f.PlanePositionSequence[0].ImagePositionPatient]
                                          for f in ds.PerFrameFunctionalGroupsSequence]))
    if row_b[0] < 0:
        values = values[:, :, ::-1]
        positions[:, 0] -= (nx - 1) * dx
    if col_b[1] < 0:
        values = values[:, ::-1, :]
        positions[:, 1] -= (ny - 1) * dy
    if len(positions) > 1 and positions[-1, 2] < positions[0, 2]:  # stored top-down
        values, positions = values[::-1], positions[::-1]
    dz = (float(np.median(np.diff(positions[:, 2]))) if len(positions) > 1
          else float(measures.SliceThickness))
    grid = grid_class(shape=values.shape, spacing=(dz, dy, dx), origin=tuple(positions[0]))
    return np.ascontiguousarray(values), grid


def _seg_labels(seg) -> np.ndarray:
    """Label mask of a victwin SEG: frames ordered by (segment, source frame)."""
    n = int(seg.NumberOfFrames)
    frames = seg.pixel_array.reshape(n, seg.Rows, seg.Columns)
    # Which source frame and which segment each SEG frame belongs to.
    seg_numbers, src_frames = [], []
    shared = seg.SharedFunctionalGroupsSequence[0]
    for f in seg.PerFrameFunctionalGroupsSequence:
        # highdicom moves a macro that is equal for every frame (one segment) to the shared
        # functional groups.
        ident = f.get("SegmentIdentificationSequence") or shared.SegmentIdentificationSequence
        seg_numbers.append(int(ident[0].ReferencedSegmentNumber))
        deriv = f.get("DerivationImageSequence") or shared.get("DerivationImageSequence")
        k = 1
        if deriv:
            src = deriv[0].SourceImageSequence[0]
            k = int(src.get("ReferencedFrameNumber", 1) or 1)
        src_frames.append(k)
    depth = max(src_frames)
    labels = np.zeros((depth, seg.Rows, seg.Columns), np.int32)
    for frame, s, k in zip(frames, seg_numbers, src_frames):
        labels[k - 1][frame > 0] = s
    return labels if depth > 1 else labels[0]
