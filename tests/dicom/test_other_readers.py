"""Every exported object is read by independent DICOM toolkits: dcmtk (dcmdump, storescu -R
to a real Orthanc), GDCM (gdcminfo) and highdicom; Orthanc's /rendered shows the BPX and BTO
frames (not black) in the hanging orientation the DM's PatientOrientation gives."""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image

from .conftest import require_binary


def dcmtk_binary(name: str) -> str:
    """The dcmtk program ``name``; pynetdicom installs Python apps of the same names, so each
    PATH entry is checked for the one that says it is dcmtk."""
    for folder in os.environ.get("PATH", "").split(os.pathsep) + ["/usr/bin"]:
        path = Path(folder) / name
        if path.is_file() and os.access(path, os.X_OK):
            run = subprocess.run([str(path), "--version"], capture_output=True, text=True,
                                 timeout=30)
            if "dcmtk" in (run.stdout + run.stderr):
                return str(path)
    message = f"dcmtk {name} not found: install the Debian package dcmtk (apt-get install dcmtk)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _files(study_dirs):
    return [p for d in study_dirs.values() for p in sorted(d.glob("*.dcm"))]


def test_dcmdump_reads_every_object(study_dirs):
    exe = dcmtk_binary("dcmdump")
    for path in _files(study_dirs):
        run = subprocess.run([exe, "-q", "+L", str(path)], capture_output=True, text=True,
                             timeout=60)
        assert run.returncode == 0 and "E:" not in run.stderr, (path, run.stderr)


def test_gdcm_reads_every_object(study_dirs):
    exe = require_binary("gdcminfo", "libgdcm-tools")
    dump = require_binary("gdcmdump", "libgdcm-tools")
    for path in _files(study_dirs):
        run = subprocess.run([dump, str(path)], capture_output=True, text=True, timeout=60)
        assert run.returncode == 0 and "(0008,0016)" in run.stdout, (path, run.stderr)
        if path.name == "SR.dcm":  # gdcminfo describes images only ("Unknown MediaStorage")
            continue
        run = subprocess.run([exe, str(path)], capture_output=True, text=True, timeout=60)
        assert run.returncode == 0 and "MediaStorage is" in run.stdout, (path, run.stderr)
    # GDCM's volume reading of the BTO: positive slice spacing (frames advance along the
    # planes' normal) and the pixel spacing written.
    run = subprocess.run([exe, str(study_dirs["L"] / "BTO.dcm")], capture_output=True,
                         text=True, timeout=60)
    spacing = next(ln for ln in run.stdout.splitlines() if ln.startswith("Spacing:"))
    assert spacing.replace(" ", "") == "Spacing:(0.5,0.5,1)", run.stdout


def test_highdicom_reads_every_object(study_dirs):
    import highdicom as hd
    for path in _files(study_dirs):
        ds = pydicom.dcmread(path)
        name = ds.SOPClassUID.name
        if "Segmentation" in name:
            seg = hd.seg.segread(str(path))
            assert seg.number_of_segments == 2
        elif "SR" in name:
            sr = hd.sr.srread(str(path))
            groups = sr.content.get_planar_roi_measurement_groups()
            assert len(groups) == 2
        else:
            img = hd.imread(str(path))
            frame = img.get_frame(1)
            assert frame.shape == (ds.Rows, ds.Columns)
    vol = hd.imread(str(study_dirs["R"] / "BTO.dcm")).get_volume()
    assert vol.spatial_shape[0] == 6


def test_dcmtk_storescu_required_contexts_to_orthanc(orthanc, study_dirs):
    exe = dcmtk_binary("storescu")
    files = [str(p) for p in sorted(study_dirs["L"].glob("*.dcm"))]
    run = subprocess.run([exe, "-R", "-aec", orthanc.aet, "127.0.0.1", str(orthanc.dicom_port),
                          *files], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and "E:" not in run.stderr, run.stderr
    assert len(orthanc.get("/instances")) == len(files)


def _render(server, iid, frame):
    png = server.get(f"/instances/{iid}/frames/{frame}/rendered", raw=True)
    return png, np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float)


@pytest.mark.parametrize("lat", ["L", "R"])
def test_orthanc_renders_bpx_and_bto_frames(orthanc, case_geometry_dirs, lat, tmp_path):
    """The geometry case (a breast on the chest wall with two lesions): Orthanc's renderer
    shows the projections and the slices with the breast against a contrasting background,
    the chest wall on the side the row letter says (A: left edge; P: right edge)."""
    from victwin.dicom import send_study
    d = case_geometry_dirs[lat]
    report = send_study([d / "BPX.dcm", d / "BTO.dcm", d / "DM_PROC.dcm"], "127.0.0.1",
                        orthanc.dicom_port, ae_title=orthanc.aet)
    assert report.ok, report.as_dict()
    by_series = {}
    for iid in orthanc.get("/instances"):
        tags = orthanc.get(f"/instances/{iid}/simplified-tags")
        by_series[tags["SeriesDescription"].split()[1]] = (iid, tags)
    out = Path(os.environ.get("VICTWIN_RENDER_DIR", tmp_path))
    for kind in ("projections", "volume"):
        iid, tags = by_series[kind]
        n = int(tags["NumberOfFrames"])
        png, img = _render(orthanc, iid, n // 2)
        (out / f"rendered-{lat}-{kind}.png").write_bytes(png)
        assert img.std() > 30, (kind, img.std())  # not a black (or flat) frame
        rows, cols = img.shape
        chest_edge = img[rows // 3: 2 * rows // 3, :3] if lat == "L" else \
            img[rows // 3: 2 * rows // 3, -3:]
        far_edge = img[rows // 3: 2 * rows // 3, -3:] if lat == "L" else \
            img[rows // 3: 2 * rows // 3, :3]
        # Breast at the chest-wall edge, air at the far edge: they differ markedly
        # (projections: tissue darker than the open field; slices: tissue brighter than air).
        assert abs(chest_edge.mean() - far_edge.mean()) > 60, (kind, chest_edge.mean(),
                                                               far_edge.mean())
    dm = pydicom.dcmread(d / "DM_PROC.dcm")
    assert dm.PatientOrientation[0] == ("A" if lat == "L" else "P")


@pytest.fixture(scope="module")
def case_geometry_dirs(tmp_path_factory):
    from .test_geometry import build_case
    return build_case(tmp_path_factory)[0]

