"""``victwin dicom export`` of ``victwin acquire`` (+ ``victwin recon``) outputs: the command-line
path any simulation takes, with folders a PACS import service (another user) can read."""

from __future__ import annotations

import stat
import subprocess

import numpy as np
import pydicom
import pytest

from victwin.cli import main
from victwin.dicom import read_study
from victwin.geometry import Grid

from .conftest import require_binary
from .test_writers import TOOL_DICTIONARY_GAPS


@pytest.fixture(scope="module")
def acquired(tmp_path_factory):
    from victwin.phantom import Phantom
    root = tmp_path_factory.mktemp("acq")
    grid = Grid((10, 40, 20), (4.5, 2.0, 2.0), (1.0, -39.0, 22.25))
    labels = np.ones(grid.shape, np.uint8)
    labels[:, :, 15:] = 0
    labels[3:6, 15:25, 3:8] = 2
    Phantom(labels=labels, grid=grid, materials={0: "air", 1: "adipose", 2: "glandular"},
            meta={"thickness_mm": 45.0, "glandular_fraction_mass": 0.2}).save(root / "p.npz")
    for system in ("mammomat-dm", "mammomat-dbt"):
        assert main(["acquire", str(root / "p.npz"), "--system", system, "--binning", "30",
                     "--out", str(root / system)]) == 0
    assert main(["recon", str(root / "mammomat-dbt"), "--out", str(root / "vol.npy"),
                 "--quiet"]) == 0
    return root


def test_export_acquire_and_recon_directories(acquired, tmp_path, capsys):
    out = tmp_path / "dicom"
    assert main(["dicom", "export", str(acquired / "mammomat-dm"), str(acquired / "mammomat-dbt"),
                 "--volume", str(acquired / "vol.npy"), "--laterality", "R", "--case-id", "A1",
                 "--out", str(out), "--quiet"]) == 0
    names = sorted(p.name for p in out.glob("*.dcm"))
    assert names == ["BPX.dcm", "BTO.dcm", "DM_PRES.dcm", "DM_PROC.dcm", "SYN2D.dcm"]
    # Readable by a PACS import service running as another user.
    assert stat.S_IMODE(out.stat().st_mode) == 0o755
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o644 for p in out.iterdir())
    st = read_study(out)
    raw = np.load(acquired / "mammomat-dm" / "raw.npy")
    np.testing.assert_array_equal(st.images["dm_raw"], raw[0])
    np.testing.assert_array_equal(st.images["projections"],
                                  np.load(acquired / "mammomat-dbt" / "raw.npy"))
    vol = np.load(acquired / "vol.npy")
    step = float(vol.max() - vol.min()) / 65535
    np.testing.assert_allclose(st.images["volume"], vol, atol=0.51 * step + 1e-12)
    dm = pydicom.dcmread(out / "DM_PROC.dcm")
    assert dm.ImageLaterality == "R" and dm.PatientOrientation == ["P", "L"]
    assert dm.ClinicalTrialSubjectID == "A1"
    exe = require_binary("dciodvfy", "dicom3tools")
    profile = {"DM_PROC.dcm": "IHEMammo", "DM_PRES.dcm": "IHEMammo", "SYN2D.dcm": "IHEMammo",
               "BTO.dcm": "IHEDBT"}
    for name in names:
        extra = ["-profile", profile[name]] if name in profile else []
        run = subprocess.run([exe, "-new", *extra, str(out / name)], capture_output=True,
                             text=True, timeout=60)
        lines = (run.stdout + run.stderr).splitlines()
        errors = [ln for ln in lines if ln.startswith("Error")]
        assert not errors, (name, errors[:3])
        # No warnings from victwin's values either (e.g. the magnification dciodvfy checks).
        warnings = [ln for ln in lines if ln.startswith("Warning")
                    and not any(gap in ln for gap in TOOL_DICTIONARY_GAPS)]
        assert not warnings, (name, warnings[:3])


def test_export_of_a_directory_that_is_not_an_acquisition(acquired, tmp_path, capsys):
    assert main(["dicom", "export", str(acquired / "mammomat-dm"), str(tmp_path),
                 "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no acquisition.json" in err[0]
