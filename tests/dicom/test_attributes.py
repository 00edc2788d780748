"""Acquisition attributes that describe the simulated geometry: PartialView from the image,
per-projection distances, magnification as DICOM defines it, field of view and binning,
consistent time / current / mAs, truthful BitsStored and windows."""

from __future__ import annotations

import dataclasses

import numpy as np
import pydicom
import pytest

from victwin.dicom import (Exposure, breast_projection_image, digital_mammography_image,
                           digital_xray_image)
from victwin.geometry import tomosynthesis_arc

from .conftest import CHEST_EXPOSURE, DBT_EXPOSURE, DM_EXPOSURE, SUBJECT


def _breast(rows, cols, reach):
    """Raw-like DM: a half ellipse from the chest wall (column 0) reaching ``reach`` x the
    image width towards the nipple, on an open field of 4000 ADU."""
    y, x = np.mgrid[0:rows, 0:cols]
    r = np.hypot((y - rows / 2) / (0.4 * rows), x / (reach * cols))
    thickness = 40.0 * np.sqrt(np.clip(1 - r ** 2, 0, None))
    return (4000 * np.exp(-0.05 * thickness)).astype(np.uint16)


@pytest.mark.parametrize("laterality", ["L", "R"])
def test_partial_view_from_the_image(laterality):
    whole = digital_mammography_image(_breast(60, 40, 0.8), subject=SUBJECT,
                                      exposure=DM_EXPOSURE, view="CC", laterality=laterality,
                                      for_presentation=False)
    assert whole.PartialView == "NO" and "PartialViewCodeSequence" not in whole
    cut = digital_mammography_image(_breast(60, 40, 1.3), subject=SUBJECT,
                                    exposure=DM_EXPOSURE, view="CC", laterality=laterality,
                                    for_presentation=False)
    assert cut.PartialView == "YES"
    # Runs off the nipple side only: anterior (SCT 255549009, CID 4005).
    assert [c.CodeValue for c in cut.PartialViewCodeSequence] == ["255549009"]
    assert "anterior" in cut.PartialViewDescription
    # The For Presentation image made from it says the same.
    pres = digital_mammography_image(_breast(60, 40, 1.3), subject=SUBJECT,
                                     exposure=DM_EXPOSURE, view="CC", laterality=laterality,
                                     for_presentation=True, source_image=cut)
    assert pres.PartialView == "YES"


def test_partial_view_sides_along_the_chest_wall():
    """A breast wider than the detector runs off both chest-wall-parallel edges: for a left
    CC those are lateral (+y, patient's left) and medial."""
    img = _breast(60, 40, 0.8)
    wide = np.vstack([img[20:40]] * 3)  # tissue reaches rows 0 and -1
    ds = digital_mammography_image(wide, subject=SUBJECT, exposure=DM_EXPOSURE, view="CC",
                                   laterality="L", for_presentation=False)
    assert ds.PartialView == "YES"
    assert {c.CodeMeaning for c in ds.PartialViewCodeSequence} == {"Lateral", "Medial"}


def test_projection_distances_follow_each_source_position():
    views = tomosynthesis_arc(7, 50.0, detector_shape=(40, 20), pitch_mm=0.5)
    proj = np.stack([_breast(40, 20, 0.8)] * 7)
    e = dataclasses.replace(DBT_EXPOSURE, source_to_patient_mm=630.0, detector_binning=8)
    ds = breast_projection_image(proj, views, subject=SUBJECT, exposure=e, view="CC",
                                 laterality="L")
    support = 650.0 - 630.0
    for f, v in zip(ds.PerFrameFunctionalGroupsSequence, views):
        g = f.XRayGeometrySequence[0]
        sid, sop = float(g.DistanceSourceToDetector), float(g.DistanceSourceToPatient)
        assert sid == pytest.approx(v.source[2], abs=1e-3)  # source height over the panel
        assert sop == pytest.approx(v.source[2] - support, abs=1e-3)
        assert sop < sid
        assert float(g.EstimatedRadiographicMagnificationFactor) == pytest.approx(sid / sop,
                                                                                 rel=1e-5)
        dose = f.XRayAcquisitionDoseSequence[0]
        current = float(ds.XRayTubeCurrentInmA)
        assert float(dose.ExposureInmAs) == pytest.approx(
            current * float(dose.ExposureTimeInms) / 1000.0, rel=1e-5)
    central = ds.PerFrameFunctionalGroupsSequence[3].XRayGeometrySequence[0]
    assert float(central.DistanceSourceToDetector) == pytest.approx(650.0)
    assert [float(b) for b in ds.DetectorBinning] == [8.0, 8.0]
    assert [float(s) for s in ds.DetectorElementSpacing] == pytest.approx([0.085 / 8] * 2)
    fov = ds.SharedFunctionalGroupsSequence[0].FieldOfViewSequence[0]
    assert [float(v) for v in fov.FieldOfViewDimensionsInFloat] == [20.0, 10.0]
    assert ds.BitsStored == 12 and ds.HighBit == 11  # 4000 ADU needs 12 bits


def test_bto_field_of_view_and_binning(study_dir):
    bto = pydicom.dcmread(study_dir / "BTO.dcm")
    bpx = pydicom.dcmread(study_dir / "BPX.dcm")
    acq = bto.XRay3DAcquisitionSequence[0]
    pitch = bpx.SharedFunctionalGroupsSequence[0].FramePixelDataPropertiesSequence[0] \
        .ImagerPixelSpacing
    # The acquisition's field of view is the detector area of the projections (not 1 x 1 mm).
    np.testing.assert_allclose([float(v) for v in acq.FieldOfViewDimensionsInFloat],
                               [bpx.Rows * float(pitch[0]), bpx.Columns * float(pitch[1])])
    assert [float(v) for v in acq.DetectorBinning] == [1.0, 1.0]
    for p in acq.PerProjectionAcquisitionSequence:
        assert float(p.ExposureInmAs) == pytest.approx(
            float(p.XRayTubeCurrentInmA) * float(p.ExposureTimeInms) / 1000.0, rel=1e-5)
    assert float(acq.EstimatedRadiographicMagnificationFactor) == pytest.approx(650 / 585)


def test_dm_values_are_consistent_and_truthful(study_dir):
    dm = pydicom.dcmread(study_dir / "DM_PROC.dcm")
    sid, sop = float(dm.DistanceSourceToDetector), float(dm.DistanceSourceToPatient)
    assert float(dm.EstimatedRadiographicMagnificationFactor) == pytest.approx(sid / sop,
                                                                              rel=1e-5)
    assert dm.XRayTubeCurrent * dm.ExposureTime / 1000.0 == pytest.approx(
        dm.ExposureInuAs / 1000.0, rel=0.02)  # integer mA and ms
    assert float(dm.CompressionForce) > 0 and "not simulated" in dm.PaddleDescription
    # The raw image is 14-bit (max 16383): BitsStored says so, not 16.
    assert dm.BitsStored == max(12, int(dm.pixel_array.max()).bit_length())
    pres = pydicom.dcmread(study_dir / "DM_PRES.dcm")
    c, w = float(pres.WindowCenter), float(pres.WindowWidth)
    top = int(pres.pixel_array.max())
    # The window shows every stored value unclipped (nothing saturates white).
    assert c - w / 2 <= 0 and c + w / 2 >= top
    assert w == 2 ** pres.BitsStored


def test_chest_without_organ_dose_leaves_it_out():
    e = dataclasses.replace(CHEST_EXPOSURE, organ_dose_mgy=None)
    ds = digital_xray_image(np.ones((8, 8), np.uint16), subject=SUBJECT, exposure=e,
                            for_presentation=False)
    assert "OrganDose" not in ds


def test_magnification_is_sid_over_sop():
    assert DM_EXPOSURE.magnification == pytest.approx(650 / 585)
    with pytest.raises(TypeError):
        Exposure(**{**dataclasses.asdict(DM_EXPOSURE), "magnification": 1.07})
