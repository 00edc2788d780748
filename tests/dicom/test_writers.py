"""The IOD writers: the standard's validator (dciodvfy, dicom3tools), cross-file consistency
(dcentvfy), synthetic identity, deterministic output, recorded exposure and dose units."""

from __future__ import annotations

import datetime as dt
import subprocess

import numpy as np
import pydicom
import pytest

from victwin.dicom import (UID_ROOT, Exposure, SyntheticSubject, breast_tomosynthesis_image,
                           digital_mammography_image, export_study, source_angles_deg)
from victwin.geometry import Grid, tomosynthesis_arc

from .conftest import DM_EXPOSURE, SUBJECT, require_binary

# Profile each object is checked with: IHE Mammography for the DM images (and the synthesised
# 2D, a DM For Presentation), IHE DBT for the reconstructed volume. dicom3tools 20220618 has no
# IHEDBT variant of the Breast Projection IOD ("Information Object Not found"), so that one is
# checked against the plain IOD.
PROFILES = {
    "DM_PROC.dcm": ("MammographyImageForProcessingIHEMammo", ["-profile", "IHEMammo"]),
    "DM_PRES.dcm": ("MammographyImageForPresentationIHEMammo", ["-profile", "IHEMammo"]),
    "SYN2D.dcm": ("MammographyImageForPresentationIHEMammo", ["-profile", "IHEMammo"]),
    "BTO.dcm": ("BreastTomosynthesisImageIHEDBT", ["-profile", "IHEDBT"]),
    "BPX.dcm": ("BreastProjectionXRayImage", []),
    "SEG.dcm": ("Segmentation", []),
    "SR.dcm": ("Comprehensive3DSR", []),
    "DX_PROC.dcm": ("DXImageForProcessing", []),
    "DX_PRES.dcm": ("DXImageForPresentation", []),
}

# Warnings that come from dicom3tools 20220618's dictionary, not from victwin's values: the
# current standard defines PositionerMotion STATIC / DYNAMIC and Frame Type value 3
# TOMOSYNTHESIS for the Breast Projection X-Ray Image (PS3.3 C.8.26.2), which that release
# does not list yet.
TOOL_DICTIONARY_GAPS = (
    "</PositionerMotion(0018,1500)[1]> - Unrecognized defined term = <DYNAMIC>",
    "FrameType(0008,9007)[3]> - Unrecognized defined term = <TOMOSYNTHESIS>",
)


@pytest.mark.parametrize("laterality", ["L", "R"])
@pytest.mark.parametrize("name", sorted(PROFILES))
def test_dciodvfy_reports_no_errors_and_no_warnings(study_dirs, name, laterality):
    exe = require_binary("dciodvfy", "dicom3tools")
    iod, profile = PROFILES[name]
    run = subprocess.run([exe, "-new", *profile, str(study_dirs[laterality] / name)],
                         capture_output=True, text=True, timeout=60)
    out = run.stdout + run.stderr
    lines = out.splitlines()
    assert lines and lines[0].strip() == iod, out
    errors = [ln for ln in lines if ln.startswith("Error")]
    assert not errors and run.returncode == 0, out
    warnings = [ln for ln in lines if ln.startswith("Warning")
                and not any(gap in ln for gap in TOOL_DICTIONARY_GAPS)]
    assert not warnings, out


def test_dcentvfy_finds_the_study_consistent(study_dir):
    exe = require_binary("dcentvfy", "dicom3tools")
    files = sorted(str(p) for p in study_dir.glob("*.dcm"))
    run = subprocess.run([exe, *files], capture_output=True, text=True, timeout=60)
    out = run.stdout + run.stderr
    assert run.returncode == 0 and "Error" not in out, out


def test_rerun_writes_identical_files(tmp_path, study_inputs):
    a = export_study(tmp_path / "a", **study_inputs)
    b = export_study(tmp_path / "b", **study_inputs)
    assert [p.name for p in a] == [p.name for p in b]
    for pa, pb in zip(a, b):
        assert pa.read_bytes() == pb.read_bytes(), pa.name


def test_synthetic_identity(study_dir):
    datasets = [pydicom.dcmread(p) for p in sorted(study_dir.glob("*.dcm"))]
    ds = datasets[0]
    study = dt.datetime.strptime(ds.StudyDate, "%Y%m%d").date()
    birth = dt.datetime.strptime(ds.PatientBirthDate, "%Y%m%d").date()
    age = study.year - birth.year - ((study.month, study.day) < (birth.month, birth.day))
    assert age == SUBJECT.age_years and ds.PatientAge == f"{SUBJECT.age_years:03d}Y"
    for d in datasets:
        assert d.PatientIdentityRemoved == "YES"
        assert "synthetic" in d.DeidentificationMethod
        assert str(d.PatientName).startswith("SYNTH^")
        assert d.ClinicalTrialProtocolID == SUBJECT.trial_id
        assert d.ClinicalTrialSubjectID == SUBJECT.case_id
        for uid in (d.SOPInstanceUID, d.SeriesInstanceUID, d.StudyInstanceUID):
            assert uid.startswith(UID_ROOT) and uid.is_valid
    assert len({d.StudyInstanceUID for d in datasets}) == 1
    assert len({d.SOPInstanceUID for d in datasets}) == len(datasets)
    # Another case of the same trial: other UIDs and identity, same derivation rules.
    other = SyntheticSubject(SUBJECT.trial_id, "CASE0008", age_years=SUBJECT.age_years)
    assert other.study_uid != SUBJECT.study_uid and other.patient_id != SUBJECT.patient_id


def test_exposure_and_dose_recorded_in_dicom_units(study_dir):
    dm = pydicom.dcmread(study_dir / "DM_PROC.dcm")
    e = DM_EXPOSURE
    assert float(dm.KVP) == e.kvp
    assert dm.ExposureInuAs == round(e.exposure_mas * 1000)
    assert dm.AnodeTargetMaterial == "TUNGSTEN" and dm.FilterMaterial == "RHODIUM"
    assert float(dm.HalfValueLayer) == pytest.approx(0.463)
    # OrganDose (0040,0316) is in dGy (PS3.3 C.8.7.8): 1.23 mGy -> 0.0123 dGy.
    assert float(dm.OrganDose) == pytest.approx(0.0123)
    assert float(dm.EntranceDoseInmGy) == pytest.approx(6.1)
    assert float(dm.EstimatedRadiographicMagnificationFactor) == pytest.approx(650 / 585)
    assert [float(v) for v in dm.ImagerPixelSpacing] == [0.085, 0.085]
    assert float(dm.BodyPartThickness) == 45 and float(dm.DistanceSourceToDetector) == 650
    assert dm.ViewCodeSequence[0].CodeValue == "399162004"  # SCT cranio-caudal
    assert dm.ImageLaterality == "L"
    bto = pydicom.dcmread(study_dir / "BTO.dcm")
    acq = bto.XRay3DAcquisitionSequence[0]
    assert float(acq.OrganDose) == pytest.approx(0.019)
    assert len(acq.PerProjectionAcquisitionSequence) == 7


def test_source_angles_match_the_arc_builder():
    views = tomosynthesis_arc(25, 50.0, rotation_center_height_mm=50.0, detector_shape=(4, 4))
    expected = -25.0 + 50.0 / 24 * np.arange(25)
    np.testing.assert_allclose(source_angles_deg(views), expected, atol=1e-9)


def test_bad_inputs_give_one_line_errors():
    with pytest.raises(ValueError, match="view must be one of"):
        digital_mammography_image(np.zeros((4, 4), np.uint16), subject=SUBJECT,
                                  exposure=DM_EXPOSURE, view="XX", laterality="L",
                                  for_presentation=False)
    with pytest.raises(ValueError, match="laterality"):
        digital_mammography_image(np.zeros((4, 4), np.uint16), subject=SUBJECT,
                                  exposure=DM_EXPOSURE, view="CC", laterality="U",
                                  for_presentation=False)
    with pytest.raises(ValueError, match="volume shape must equal grid.shape"):
        breast_tomosynthesis_image(np.zeros((2, 3, 4)), Grid((2, 3, 5), (1, 1, 1)),
                                   subject=SUBJECT, exposure=DM_EXPOSURE, view="CC",
                                   laterality="L")
    with pytest.raises(ValueError, match="source_to_patient_mm must be <= sid_mm"):
        Exposure(kvp=28, exposure_mas=1, anode="W", filter_material="Rh",
                 filter_thickness_mm=0.05, hvl_mm_al=0.4, compressed_thickness_mm=40,
                 sid_mm=650, source_to_patient_mm=700, imager_pixel_spacing_mm=0.085,
                 entrance_dose_mgy=1, organ_dose_mgy=1)
    with pytest.raises(ValueError, match="anode must be one of"):
        Exposure(kvp=28, exposure_mas=1, anode="Pb", filter_material="Rh",
                 filter_thickness_mm=0.05, hvl_mm_al=0.4, compressed_thickness_mm=40,
                 sid_mm=650, source_to_patient_mm=600, imager_pixel_spacing_mm=0.085,
                 entrance_dose_mgy=1, organ_dose_mgy=1)
    with pytest.raises(ValueError, match="age_years"):
        SyntheticSubject("T", "C", age_years=200)
    with pytest.raises(ValueError, match="case_id"):
        SyntheticSubject("T", "bad id with spaces")


def test_iod_check_catches_a_missing_mandatory_attribute():
    from victwin.dicom._check import check_iod
    ds = digital_mammography_image(np.ones((4, 4), np.uint16), subject=SUBJECT,
                                   exposure=DM_EXPOSURE, view="CC", laterality="R",
                                   for_presentation=False)
    del ds.ImagerPixelSpacing
    with pytest.raises(ValueError, match="ImagerPixelSpacing"):
        check_iod(ds)


def test_dciodvfy_dm_only_study_with_seg_on_the_mammogram(tmp_path, study_inputs):
    """SEG drawn on a single-frame DM and a For Presentation image without its raw source."""
    from victwin.dicom import Lesion
    exe = require_binary("dciodvfy", "dicom3tools")
    labels = np.zeros(study_inputs["dm_raw"].shape, np.uint8)
    labels[10:14, 5:9] = 1
    export_study(tmp_path / "a", subject=SUBJECT, dm_exposure=DM_EXPOSURE,
                 dm_raw=study_inputs["dm_raw"], lesions=[Lesion((2.0, 1.0, 0.0))],
                 lesion_labels=labels)
    export_study(tmp_path / "b", subject=SUBJECT, dm_exposure=DM_EXPOSURE,
                 dm_processed=study_inputs["dm_processed"])
    for path in [tmp_path / "a" / n for n in ("DM_PROC.dcm", "SEG.dcm", "SR.dcm")] + \
            [tmp_path / "b" / "DM_PRES.dcm"]:
        run = subprocess.run([exe, "-new", str(path)], capture_output=True, text=True,
                             timeout=60)
        out = run.stdout + run.stderr
        assert run.returncode == 0 and "\nError" not in "\n" + out, (path.name, out)


@pytest.mark.parametrize("view", ["CC", "MLO", "ML", "LM"])
@pytest.mark.parametrize("laterality", ["L", "R"])
def test_dciodvfy_ihe_mammo_every_view_and_side(tmp_path, view, laterality):
    """Float input (stored through a Real World Value Mapping), both intents, IHE Mammo."""
    exe = require_binary("dciodvfy", "dicom3tools")
    rng = np.random.default_rng(1)
    raw = digital_mammography_image(rng.random((20, 10)), subject=SUBJECT, exposure=DM_EXPOSURE,
                                    view=view, laterality=laterality, for_presentation=False)
    pres = digital_mammography_image(rng.random((20, 10)), subject=SUBJECT,
                                     exposure=DM_EXPOSURE, view=view, laterality=laterality,
                                     for_presentation=True, source_image=raw)
    for k, ds in enumerate((raw, pres)):
        path = tmp_path / f"{k}.dcm"
        ds.save_as(path, enforce_file_format=True)
        run = subprocess.run([exe, "-new", "-profile", "IHEMammo", str(path)],
                             capture_output=True, text=True, timeout=60)
        out = run.stdout + run.stderr
        assert run.returncode == 0 and "\nError" not in "\n" + out, out


def test_synthesized_mammogram_references_its_volume():
    """The synthesised 2D image is an MG For Presentation image derived from the BTO."""
    from pydicom.dataset import Dataset
    from pydicom.uid import BreastTomosynthesisImageStorage

    from victwin.dicom import synthesized_mammogram

    bto = Dataset()
    bto.SOPClassUID = BreastTomosynthesisImageStorage
    bto.SOPInstanceUID = "1.2.826.0.1.3680043.8.498.1"
    pixels = np.random.default_rng(0).random((40, 20)).astype(np.float32)
    ds = synthesized_mammogram(pixels, subject=SUBJECT, exposure=DM_EXPOSURE, view="CC",
                               laterality="L", source_volume=bto, pixel_spacing_mm=(0.1, 0.1))
    assert ds.PresentationIntentType == "FOR PRESENTATION"
    # Marked as generated (PS3.3 C.8.11.7.1.4) and in its own series, not the BPX's (20).
    assert list(ds.ImageType) == ["DERIVED", "PRIMARY", "", "GENERATED_2D"]
    assert ds.SeriesNumber == 11
    # Pixel size in the breast is the volume's voxel; at the detector it is magnified by
    # SID / SOD = 650 / 585 (the exposure's distances).
    np.testing.assert_allclose([float(v) for v in ds.ImagerPixelSpacing], 0.1 * 650 / 585,
                               rtol=1e-5)
    ref = ds.SourceImageSequence[0]
    assert ref.ReferencedSOPInstanceUID == bto.SOPInstanceUID
    assert ref.PurposeOfReferenceCodeSequence[0].CodeValue == "121322"
    assert "synthesized 2D" in ds.DerivationDescription
