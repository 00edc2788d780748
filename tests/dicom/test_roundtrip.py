"""Export -> read back gives the same arrays, geometry and lesion truth; the CLI does the same."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest

from victwin.dicom import read_study, source_angles_deg


def _max_step(ds_values):
    lo, hi = float(np.min(ds_values)), float(np.max(ds_values))
    return (hi - lo) / 65535.0


def test_roundtrip_arrays_geometry_truth(study_dir, study_inputs):
    st = read_study(study_dir)
    for role in ("dm_raw", "dm_processed", "chest_raw"):
        np.testing.assert_array_equal(st.images[role], study_inputs[role])  # integers: exact
    for role in ("projections", "volume", "chest_processed"):
        ref = np.asarray(study_inputs[role], dtype=float)
        # 16-bit quantisation over the data range: at most half a step off.
        np.testing.assert_allclose(st.images[role], ref, rtol=0,
                                   atol=0.5 * _max_step(ref) * (1 + 1e-6))
    assert st.grid == study_inputs["grid"]
    np.testing.assert_allclose(st.projection_angles_deg,
                               source_angles_deg(study_inputs["dbt_views"]), atol=1e-4)
    assert st.pixel_spacing_mm["dm_raw"] == (0.085, 0.085)
    assert st.pixel_spacing_mm["volume"] == (0.5, 0.5)
    assert len(st.lesions) == len(study_inputs["lesions"])
    for got, want in zip(st.lesions, study_inputs["lesions"]):
        assert got.kind == want.kind
        np.testing.assert_allclose(got.center_mm, want.center_mm, atol=1e-4)  # FL precision
        assert got.diameter_mm == pytest.approx(want.diameter_mm, rel=1e-6)
    np.testing.assert_array_equal(st.lesion_labels, study_inputs["lesion_labels"])


def test_bto_geometry_as_highdicom_reads_it(study_dir, study_inputs):
    """highdicom's own reader (independent of ours) puts each voxel at the grid's position,
    mapped to patient coordinates."""
    import highdicom as hd

    from victwin.dicom import breast_to_patient
    grid = study_inputs["grid"]
    frame = breast_to_patient(study_inputs["laterality"], "CC")
    vol = hd.imread(str(study_dir / "BTO.dcm")).get_volume()
    assert sorted(vol.spatial_shape) == sorted(grid.shape)
    inverse = np.linalg.inv(vol.affine)
    ours = read_study(study_dir).images["volume"]
    rng = np.random.default_rng(0)
    for index in [(0, 0, 0), tuple(s - 1 for s in grid.shape)] + \
            [tuple(rng.integers(0, s) for s in grid.shape) for _ in range(20)]:
        world = frame.point(grid.index_to_world(index))
        theirs = inverse @ np.append(world, 1.0)
        np.testing.assert_allclose(theirs[:3], np.rint(theirs[:3]), atol=1e-6)
        k = tuple(int(v) for v in np.rint(theirs[:3]))
        assert vol.array[k] == pytest.approx(ours[index], rel=1e-6, abs=1e-6)


def test_seg_references_the_bto(study_dir):
    seg = pydicom.dcmread(study_dir / "SEG.dcm")
    bto = pydicom.dcmread(study_dir / "BTO.dcm")
    refs = {r.ReferencedSOPInstanceUID for s in seg.ReferencedSeriesSequence
            for r in s.ReferencedInstanceSequence}
    assert refs == {bto.SOPInstanceUID}
    assert seg.FrameOfReferenceUID == bto.FrameOfReferenceUID
    assert [s.SegmentedPropertyTypeCodeSequence[0].CodeValue for s in seg.SegmentSequence] == \
        ["4147007", "129769006"]  # SCT Mass, Calcification Cluster


def test_cli_export_and_send_errors(tmp_path, study_inputs, capsys):
    from victwin.cli import main
    from victwin.dicom import save_run

    from .conftest import free_port
    run = save_run(tmp_path / "run", **study_inputs)
    out = tmp_path / "dcm"
    assert main(["dicom", "export", str(run), "--out", str(out), "--quiet"]) == 0
    st = read_study(out)
    np.testing.assert_array_equal(st.images["dm_raw"], study_inputs["dm_raw"])
    assert st.grid == study_inputs["grid"]
    # A second export into the non-empty directory is refused rather than mixed.
    assert main(["dicom", "export", str(run), "--out", str(out), "--quiet"]) == 2
    port = free_port()
    assert main(["dicom", "send", str(out), "--host", "127.0.0.1", "--port", str(port),
                 "--aet", "PACS", "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == f"victwin: error: cannot reach 127.0.0.1:{port}: Connection refused"


def test_single_lesion_dm_segmentation_roundtrip(tmp_path, study_inputs):
    """One lesion on a DM (highdicom then puts the segment macro in the shared groups)."""
    from victwin.dicom import Lesion, export_study
    labels = np.zeros(study_inputs["dm_raw"].shape, np.uint8)
    labels[10:14, 5:9] = 1
    lesion = Lesion((3.0, -1.0, 0.0), "mass", 2.0, 1)
    export_study(tmp_path / "dm", subject=study_inputs["subject"],
                 dm_exposure=study_inputs["dm_exposure"], dm_raw=study_inputs["dm_raw"],
                 lesions=[lesion], lesion_labels=labels)
    st = read_study(tmp_path / "dm")
    np.testing.assert_array_equal(st.lesion_labels, labels)
    assert st.lesions[0].kind == "mass"
    np.testing.assert_allclose(st.lesions[0].center_mm, lesion.center_mm, atol=1e-5)


def test_export_failure_leaves_no_partial_study(tmp_path, study_inputs):
    from victwin.dicom import export_study
    bad = dict(study_inputs, volume=np.zeros((2, 2, 2)))  # wrong shape for the grid
    with pytest.raises(ValueError, match="volume shape"):
        export_study(tmp_path / "out", **bad)
    assert not (tmp_path / "out").exists()
    assert list(tmp_path.iterdir()) == []
