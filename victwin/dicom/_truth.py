"""Ground truth as standard objects: lesion masks (Segmentation) and lesion centres (SR).

VICTRE kept lesion positions in a private tag block; here a viewer or AI pipeline finds them in
a DICOM Segmentation (one binary segment per lesion, on the frames of the BTO or DM image) and
in a Comprehensive 3D SR measurement report (TID 1500) with one point per lesion, its type and
diameter, in the image's Frame of Reference. Both are in DICOM patient coordinates (LPS): the
masks are flipped as their source image is stored, the points mapped with
:func:`victwin.dicom.breast_to_patient`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import highdicom as hd
import numpy as np
from pydicom.dataset import Dataset
from pydicom.sr.codedict import codes

from ._common import DEVICE_SERIAL, MANUFACTURER, MODEL_NAME, software_version
from ._frame import frame_of_dataset
from ._identity import SyntheticSubject

__all__ = ["Lesion", "lesion_segmentation", "lesion_report", "LESION_TYPES"]

#: Lesion kind -> SNOMED CT finding code.
LESION_TYPES = {
    "mass": codes.SCT.Mass,
    "calcification": codes.SCT.CalcificationCluster,
}

_COPIED = ("PatientIdentityRemoved", "DeidentificationMethod",
           "DeidentificationMethodCodeSequence", "ClinicalTrialSponsorName",
           "ClinicalTrialProtocolID", "ClinicalTrialProtocolName", "ClinicalTrialSiteID",
           "ClinicalTrialSiteName", "ClinicalTrialSubjectID", "ClinicalTrialTimePointID",
           "ClinicalTrialCoordinatingCenterName", "PatientAge", "IssuerOfPatientID",
           "StudyDescription")


_HIGHDICOM_ROOT = "1.2.826.0.1.3680043.10.511."


@dataclass(frozen=True)
class Lesion:
    """One inserted lesion.

    Parameters
    ----------
    center_mm : (x, y, z) mm
        Centre in victwin's breast frame (written to DICOM in patient coordinates).
    kind : {"mass", "calcification"}
    diameter_mm : float, mm
    label : int
        Value of the lesion's voxels in the label mask (>= 1).
    """

    center_mm: tuple[float, float, float]
    kind: str = "mass"
    diameter_mm: float = 5.0
    label: int = 1

    def __post_init__(self):
        c = tuple(float(v) for v in np.asarray(self.center_mm, dtype=float).ravel())
        if len(c) != 3 or not all(math.isfinite(v) for v in c):
            raise ValueError(f"Lesion.center_mm must be 3 finite numbers, got {self.center_mm!r}")
        object.__setattr__(self, "center_mm", c)
        if self.kind not in LESION_TYPES:
            raise ValueError(f"Lesion.kind must be one of {sorted(LESION_TYPES)}, "
                             f"got {self.kind!r}")
        d = float(self.diameter_mm)
        if not math.isfinite(d) or d <= 0:
            raise ValueError(f"Lesion.diameter_mm must be > 0, got {self.diameter_mm!r}")
        object.__setattr__(self, "diameter_mm", d)
        if int(self.label) != self.label or self.label < 1:
            raise ValueError(f"Lesion.label must be an integer >= 1, got {self.label!r}")
        object.__setattr__(self, "label", int(self.label))


def _fix_identity(ds: Dataset, source: Dataset, subject: SyntheticSubject, key: str) -> None:
    """Same synthetic identity as the images, and fixed dates so re-runs are identical."""
    for kw in _COPIED:
        if kw in source:
            setattr(ds, kw, source[kw].value)
    when = subject.study_datetime
    for date_kw, time_kw in (("ContentDate", "ContentTime"), ("SeriesDate", "SeriesTime"),
                             ("InstanceCreationDate", "InstanceCreationTime")):
        if date_kw in ds or time_kw in ds:
            setattr(ds, date_kw, when.strftime("%Y%m%d"))
            setattr(ds, time_kw, when.strftime("%H%M%S"))
    ds.ClinicalTrialSeriesID = key
    ds.file_meta.ImplementationVersionName = "VICTWIN_01"
    # highdicom stamps the time of the call and makes random UIDs (dimension organisation,
    # ...); replace them so a re-run writes identical bytes. Equal UIDs stay equal.
    fixed_dt = when.strftime("%Y%m%d%H%M%S")
    mapping = {}

    def visit(dataset):
        for elem in dataset:
            if elem.VR == "SQ":
                for item in elem.value:
                    visit(item)
            elif elem.keyword == "ContributionDateTime":
                elem.value = fixed_dt
            elif elem.VR == "UI" and isinstance(elem.value, str) \
                    and elem.value.startswith(_HIGHDICOM_ROOT):
                if elem.value not in mapping:
                    mapping[elem.value] = subject.uid("series", key, "uid", len(mapping))
                elem.value = mapping[elem.value]

    visit(ds)


def lesion_segmentation(labels, source: Dataset, lesions, *, subject: SyntheticSubject,
                        series_number: int = 40, series_key: str | None = None) -> Dataset:
    """DICOM Segmentation of the lesions on ``source`` (a BTO volume or a DM image).

    Parameters
    ----------
    labels : int array, ``[z, y, x]`` for a BTO source or ``[rows, columns]`` for a DM
        Lesion label mask on the source's grid in victwin's orientation (as the volume or
        image given to the source's writer); voxel value ``lesion.label`` marks it. It is
        flipped as the source is stored.
    source : Dataset
        The image the mask is drawn on (spacing, plane positions and UIDs are taken from it).
    lesions : sequence of Lesion
        One binary segment per lesion, numbered in order.
    subject : SyntheticSubject
    """
    lesions = list(lesions)
    if not lesions:
        raise ValueError("lesions must hold at least one Lesion, got none")
    lab = np.asarray(labels)
    frames = int(getattr(source, "NumberOfFrames", 1) or 1)
    expected = (frames, source.Rows, source.Columns) if frames > 1 or lab.ndim == 3 \
        else (source.Rows, source.Columns)
    if tuple(lab.shape) != tuple(expected):
        raise ValueError(f"labels shape must match the source image {expected}, got {lab.shape}")
    frame = frame_of_dataset(source)
    lab = frame.to_stored_volume(lab) if lab.ndim == 3 else frame.to_stored(lab)
    masks = np.stack([(lab == les.label) for les in lesions], axis=-1).astype(np.uint8)
    if lab.ndim == 2:
        masks = masks[None]
    descriptions = [hd.seg.SegmentDescription(
        segment_number=i + 1, segment_label=f"lesion {i + 1} ({les.kind})",
        segmented_property_category=codes.SCT.MorphologicallyAbnormalStructure,
        segmented_property_type=LESION_TYPES[les.kind],
        algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL,
        tracking_uid=subject.uid("lesion", i + 1), tracking_id=f"lesion {i + 1}")
        for i, les in enumerate(lesions)]
    key = series_key or f"SEG-{source.SeriesInstanceUID}"[-60:]
    seg = hd.seg.Segmentation(
        source_images=[source], pixel_array=masks, segmentation_type="BINARY",
        segment_descriptions=descriptions, series_instance_uid=subject.uid("series", key),
        series_number=series_number, sop_instance_uid=subject.uid("series", key, "instance", 1),
        instance_number=1, manufacturer=MANUFACTURER, manufacturer_model_name=MODEL_NAME,
        software_versions=software_version(), device_serial_number=DEVICE_SERIAL,
        omit_empty_frames=False, content_label="LESIONS",
        content_description="victwin lesion ground truth", content_creator_name="SIMULATOR^VICTWIN")
    _fix_identity(seg, source, subject, key)
    if "PatientOrientation" in source and int(getattr(source, "NumberOfFrames", 1) or 1) == 1:
        seg.PatientOrientation = source.PatientOrientation  # General Image 2C, single frame
    return seg


def lesion_report(lesions, sources, *, subject: SyntheticSubject, series_number: int = 50,
                  series_key: str = "SR-truth") -> Dataset:
    """Comprehensive 3D SR measurement report with one point per lesion.

    Each lesion is a Planar ROI group (TID 1410) whose region is a 3-D POINT at the lesion
    centre in the sources' Frame of Reference (patient coordinates, LPS: the breast-frame
    centre mapped by :func:`victwin.dicom.breast_to_patient` for the first source's
    laterality and view), with finding type (mass / calcification cluster) and a Diameter
    measurement in mm.

    Parameters
    ----------
    lesions : sequence of Lesion
    sources : sequence of Dataset
        The images the report refers to (evidence); the first fixes the Frame of Reference.
    subject : SyntheticSubject
    """
    lesions = list(lesions)
    sources = list(sources)
    if not sources:
        raise ValueError("sources must hold at least one image Dataset, got none")
    if not lesions:
        raise ValueError("lesions must hold at least one Lesion, got none")
    frame_uid = sources[0].FrameOfReferenceUID
    frame = frame_of_dataset(sources[0])
    groups = []
    for i, les in enumerate(lesions):
        region = hd.sr.ImageRegion3D(graphic_type=hd.sr.GraphicTypeValues3D.POINT,
                                     graphic_data=frame.point([les.center_mm]),
                                     frame_of_reference_uid=frame_uid)
        tracking = hd.sr.TrackingIdentifier(uid=subject.uid("lesion", i + 1),
                                            identifier=f"lesion {i + 1}")
        groups.append(hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
            tracking_identifier=tracking, referenced_region=region,
            finding_type=LESION_TYPES[les.kind],
            measurements=[hd.sr.Measurement(name=codes.SCT.Diameter, value=les.diameter_mm,
                                            unit=codes.UCUM.Millimeter)]))
    report = hd.sr.MeasurementReport(
        observation_context=hd.sr.ObservationContext(),
        procedure_reported=codes.SCT.Mammography, imaging_measurements=groups,
        title=codes.DCM.ImagingMeasurementReport)
    sr = hd.sr.Comprehensive3DSR(
        evidence=sources, content=report, series_instance_uid=subject.uid("series", series_key),
        series_number=series_number,
        sop_instance_uid=subject.uid("series", series_key, "instance", 1), instance_number=1,
        manufacturer=MANUFACTURER, is_complete=True, is_final=False, is_verified=False,
        series_description="victwin lesion ground truth")
    _fix_identity(sr, sources[0], subject, series_key)
    return sr


def read_lesion_report(sr: Dataset, frame=None) -> list[Lesion]:
    """Lesions (centre, kind, diameter) from a report written by :func:`lesion_report`.

    Centres are the SR's patient coordinates, or breast-frame coordinates when ``frame`` (the
    :class:`~victwin.dicom.BreastFrame` of the referenced images) is given.
    """
    kinds = {(c.value, c.scheme_designator): k for k, c in LESION_TYPES.items()}
    out = []
    for group in _find(sr.ContentSequence, "126010"):  # Imaging Measurements container
        for item in group.ContentSequence:
            if item.ConceptNameCodeSequence[0].CodeValue != "125007":  # Measurement Group
                continue
            center = kind = diam = None
            for sub in item.ContentSequence:
                name = sub.ConceptNameCodeSequence[0].CodeValue
                if sub.ValueType == "SCOORD3D":
                    center = np.array([float(v) for v in sub.GraphicData[:3]])
                    if frame is not None:
                        center = frame.to_breast(center)
                    center = tuple(float(v) for v in center)
                elif name == "121071":  # Finding
                    c = sub.ConceptCodeSequence[0]
                    kind = kinds.get((c.CodeValue, c.CodingSchemeDesignator))
                elif sub.ValueType == "NUM" and name == codes.SCT.Diameter.value:
                    diam = float(sub.MeasuredValueSequence[0].NumericValue)
            if center is not None and kind is not None:
                out.append(Lesion(center_mm=center, kind=kind, diameter_mm=diam or 1.0,
                                  label=len(out) + 1))
    return out


def _find(seq, code_value):
    for item in seq:
        if item.ConceptNameCodeSequence[0].CodeValue == code_value:
            yield item
