"""Patient coordinates: the BTO, SEG and SR of each breast point where the DM's
PatientOrientation letters say, and a lesion's SR point falls inside the breast in the DM
(projected with the acquisition geometry) and in the BTO.

The references are independent of victwin's writers: the mammography hanging convention
(IHE Mammography / PS3.3 C.8.11.7: LCC A\\R, RCC P\\L, LMLO A\\FR, RMLO P\\FL), plain
ImagePositionPatient / ImageOrientationPatient arithmetic (PS3.3 C.7.6.2.1.1), and the
phantom's own labels traced through the acquisition views.
"""

from __future__ import annotations

import numpy as np
import pydicom
import pytest

from victwin.dicom import (DicomStudy, Lesion, breast_to_patient, export_study, read_study)
from victwin.geometry import Grid, mammography_view, tomosynthesis_arc
from victwin.raytrace import project_labels

from .conftest import DBT_EXPOSURE, DM_EXPOSURE, SUBJECT

# The hanging convention a mammography workstation expects (PS3.3 C.8.11.7, IHE MAMMO).
CONVENTION = {("L", "CC"): "A\\R", ("R", "CC"): "P\\L", ("L", "MLO"): "A\\FR",
              ("R", "MLO"): "P\\FL", ("L", "ML"): "A\\F", ("R", "ML"): "P\\F"}
# PS3.3 C.7.6.1.1.1: the patient direction each letter names, in LPS.
LETTER = {"L": (1, 0, 0), "R": (-1, 0, 0), "P": (0, 1, 0), "A": (0, -1, 0), "H": (0, 0, 1),
          "F": (0, 0, -1)}


def letter_vector(letters: str) -> np.ndarray:
    v = np.sum([LETTER[c] for c in letters], axis=0).astype(float)
    return v / np.linalg.norm(v)


def dominant_letter(direction) -> str:
    d = np.asarray(direction, float)
    k = int(np.argmax(np.abs(d)))
    return "LPH"[k] if d[k] > 0 else "RAF"[k]


@pytest.mark.parametrize("key", sorted(CONVENTION))
def test_map_is_a_rotation_with_the_hanging_letters(key):
    frame = breast_to_patient(*key)
    r = frame.rotation
    np.testing.assert_allclose(r.T @ r, np.eye(3), atol=1e-12)
    assert np.linalg.det(r) == pytest.approx(1.0)  # no mirroring of the simulated anatomy
    assert dominant_letter(frame.direction((1, 0, 0))) == "A"  # chest wall -> nipple
    assert frame.patient_orientation() == CONVENTION[key]
    np.testing.assert_allclose(frame.to_breast(frame.point([3.0, -2.0, 7.0])), [3, -2, 7])
    if key[1] == "CC":
        assert dominant_letter(frame.direction((0, 0, 1))) == "H"  # detector -> source: up


# -- a phantom-like case: a breast with two lesions, traced through the acquisition ------------

GRID = Grid(shape=(40, 110, 70), spacing=(1.0, 1.0, 1.0), origin=(0.5, -54.5, 20.5))
LESIONS = [Lesion((15.0, 20.0, 40.0), "mass", 8.0, 1),  # near the chest wall, +y side
           Lesion((45.0, -15.0, 32.0), "mass", 8.0, 2)]  # towards the nipple, -y side


def _labels() -> np.ndarray:
    """1 breast (half ellipsoid from the chest wall on the support), 2 / 3 the lesions."""
    z, y, x = (np.moveaxis(GRID.index_to_world(np.indices(GRID.shape).reshape(3, -1).T), -1, 0)
               [[2, 1, 0]].reshape(3, *GRID.shape))
    labels = np.zeros(GRID.shape, np.uint8)
    labels[(x / 60.0) ** 2 + (y / 50.0) ** 2 < 1] = 1
    for les in LESIONS:
        c = les.center_mm
        inside = (x - c[0]) ** 2 + (y - c[1]) ** 2 + (z - c[2]) ** 2 < (les.diameter_mm / 2) ** 2
        labels[inside] = 1 + les.label
    return labels


def build_case(tmp_path_factory):
    """Export the case as a left and as a right breast: ({lat: dir}, DM view, DM paths)."""
    labels = _labels()
    dm_view = mammography_view(detector_binning=20)
    arc = tomosynthesis_arc(5, 50.0, detector_binning=20)
    dm_paths = project_labels(labels, GRID, [dm_view], 4, backend="cpu")[0]
    proj_paths = project_labels(labels, GRID, arc, 4, backend="cpu")
    dm_tissue = dm_paths[1:].sum(axis=0)  # mm of breast (and lesion) along each ray
    raw = (4000 * np.exp(-0.05 * proj_paths[:, 1:].sum(axis=1))).astype(np.uint16)
    lesion_labels = np.where(labels >= 2, labels - 1, 0).astype(np.uint8)
    out = {}
    for lat in ("L", "R"):
        d = tmp_path_factory.mktemp(f"geom-{lat}") / "case"
        export_study(d, subject=SUBJECT, laterality=lat, view="CC", dm_exposure=DM_EXPOSURE,
                     dm_raw=dm_tissue, dbt_exposure=DBT_EXPOSURE, projections=raw,
                     dbt_views=arc, volume=labels.astype(np.float32), grid=GRID,
                     lesions=LESIONS, lesion_labels=lesion_labels)
        out[lat] = d
    return out, dm_view, dm_paths


@pytest.fixture(scope="module")
def case_dirs(tmp_path_factory):
    return build_case(tmp_path_factory)


def sr_points(sr) -> list[np.ndarray]:
    """Every SCOORD3D point of an SR, in document order."""
    out = []

    def walk(items):
        for item in items:
            if item.get("ValueType") == "SCOORD3D":
                out.append(np.array(item.GraphicData, float))
            walk(item.get("ContentSequence", []))

    walk(sr.ContentSequence)
    return out


def _voxel_of(ds, point_lps):
    """(frame, row, column) of an LPS point in an enhanced image (PS3.3 C.7.6.2.1.1)."""
    shared = ds.SharedFunctionalGroupsSequence[0]
    iop = np.array(shared.PlaneOrientationSequence[0].ImageOrientationPatient, float)
    dr, dc = (float(v) for v in shared.PixelMeasuresSequence[0].PixelSpacing)
    row_dir, col_dir = iop[:3], iop[3:]
    normal = np.cross(row_dir, col_dir)
    ipps = np.array([f.PlanePositionSequence[0].ImagePositionPatient
                     for f in ds.PerFrameFunctionalGroupsSequence], float)
    k = int(np.argmin(np.abs((ipps - point_lps) @ normal)))
    rel = point_lps - ipps[k]
    return k, int(round(rel @ col_dir / dr)), int(round(rel @ row_dir / dc))


@pytest.mark.parametrize("lat", ["L", "R"])
def test_bto_seg_sr_follow_the_dm_letters(case_dirs, lat):
    dirs, _, _ = case_dirs
    d = dirs[lat]
    dm = pydicom.dcmread(d / "DM_PROC.dcm")
    bto = pydicom.dcmread(d / "BTO.dcm")
    seg = pydicom.dcmread(d / "SEG.dcm")
    read_back = [les.center_mm for les in read_study(d).lesions]  # breast frame, via inverse
    row_letters, col_letters = str(dm.PatientOrientation[0]), str(dm.PatientOrientation[1])
    assert f"{row_letters}\\{col_letters}" == CONVENTION[(lat, "CC")]
    iop = np.array(bto.SharedFunctionalGroupsSequence[0].PlaneOrientationSequence[0]
                   .ImageOrientationPatient, float)
    np.testing.assert_allclose(iop[:3], letter_vector(row_letters), atol=1e-9)
    np.testing.assert_allclose(iop[3:], letter_vector(col_letters), atol=1e-9)
    # The SEG frames lie on the BTO's planes, oriented the same way.
    seg_iop = np.array(seg.SharedFunctionalGroupsSequence[0].PlaneOrientationSequence[0]
                       .ImageOrientationPatient, float)
    np.testing.assert_allclose(seg_iop, iop, atol=1e-9)
    bto_pos = {tuple(np.round(np.array(f.PlanePositionSequence[0].ImagePositionPatient,
                                       float), 4)) for f in bto.PerFrameFunctionalGroupsSequence}
    for f in seg.PerFrameFunctionalGroupsSequence:
        pos = tuple(np.round(np.array(f.PlanePositionSequence[0].ImagePositionPatient, float), 4))
        assert pos in bto_pos
    # SR points, as written (LPS): lesion 2 is nearer the nipple than lesion 1 (breast x), so
    # it is further along the DM's row direction for a left breast (A) and against it (P) for
    # a right one; along the column direction it follows the breast's -y / +y side.
    sr = pydicom.dcmread(d / "SR.dcm")
    written = sr_points(sr)
    assert len(written) == 2
    step = written[1] - written[0]
    assert step @ letter_vector("A") > 0  # towards the nipple, whatever the side
    row_sign = 1 if row_letters == "A" else -1
    assert np.sign(step @ letter_vector(row_letters)) == row_sign
    # column letter R (left breast) / L (right breast): medial is down; lesion 2 sits at -y,
    # which is the patient's right for both breasts (y -> patient's left in CC)
    assert step @ letter_vector("R") > 0
    np.testing.assert_allclose(read_back, [les.center_mm for les in LESIONS], atol=1e-4)


@pytest.mark.parametrize("lat", ["L", "R"])
def test_sr_point_lies_in_the_breast_of_the_dm_and_the_bto(case_dirs, lat):
    dirs, dm_view, dm_paths = case_dirs
    d = dirs[lat]
    dm = pydicom.dcmread(d / "DM_PROC.dcm")
    bto = pydicom.dcmread(d / "BTO.dcm")
    seg = pydicom.dcmread(d / "SEG.dcm")
    sr = pydicom.dcmread(d / "SR.dcm")
    frame = breast_to_patient(lat, "CC")
    points = sr_points(sr)
    bto_values = bto.pixel_array
    seg_frames = seg.pixel_array
    dm_stored = dm.pixel_array
    for n, lps in enumerate(points, start=1):
        # BTO: the voxel at the SR point holds this lesion's label (1 + n), from IOP/IPP alone.
        k, r, c = _voxel_of(bto, lps)
        rw = bto.SharedFunctionalGroupsSequence[0].RealWorldValueMappingSequence[0]
        value = bto_values[k, r, c] * float(rw.RealWorldValueSlope) \
            + float(rw.RealWorldValueIntercept)
        assert value == pytest.approx(1 + n, abs=1e-3)
        # SEG: the frame of segment n on that plane (found by its position) is set there.
        ipp = np.array(bto.PerFrameFunctionalGroupsSequence[k].PlanePositionSequence[0]
                       .ImagePositionPatient, float)
        shared_seg = seg.SharedFunctionalGroupsSequence[0]
        hits = [m for m, f in enumerate(seg.PerFrameFunctionalGroupsSequence)
                if np.allclose(np.array(f.PlanePositionSequence[0].ImagePositionPatient,
                                        float), ipp, atol=1e-4)
                and int((f.get("SegmentIdentificationSequence")
                         or shared_seg.SegmentIdentificationSequence)[0]
                        .ReferencedSegmentNumber) == n]
        assert len(hits) == 1 and seg_frames[hits[0], r, c] == 1
        # DM: project the point from the source onto the detector (the acquisition's
        # geometry), then find the stored pixel by the DM's PatientOrientation letters.
        p = frame.to_breast(lps)
        s = np.asarray(dm_view.source)
        panel = dm_view.panel
        hit = s + s[2] / (s[2] - p[2]) * (p - s)  # the detector surface is z = 0
        i = int(round((hit[0] - panel.center[0]) / panel.pitch[1] + (panel.shape[1] - 1) / 2))
        j = int(round((hit[1] - panel.center[1]) / panel.pitch[0] + (panel.shape[0] - 1) / 2))
        assert dm_paths[1 + n, j, i] > 0  # the ray through that pixel crosses the lesion
        row_letters, col_letters = dm.PatientOrientation
        ci = i if row_letters == "A" else panel.shape[1] - 1 - i  # +x is anterior
        # +y points to the patient's left in CC: stored rows run along col_letters
        rj = j if col_letters == "L" else panel.shape[0] - 1 - j
        rwm = dm.RealWorldValueMappingSequence[0]
        tissue = dm_stored[rj, ci] * float(rwm.RealWorldValueSlope) \
            + float(rwm.RealWorldValueIntercept)
        assert tissue > 30.0  # mm of breast along the ray: inside the breast, not air


def test_read_back_returns_victwin_orientation(case_dirs):
    dirs, _, dm_paths = case_dirs
    for lat, d in dirs.items():
        st: DicomStudy = read_study(d)
        np.testing.assert_allclose(st.images["dm_raw"], dm_paths[1:].sum(axis=0),
                                   atol=0.01 * float(dm_paths.max()))
        assert st.grid == GRID
        np.testing.assert_array_equal(st.images["volume"].round().astype(int), _labels())
