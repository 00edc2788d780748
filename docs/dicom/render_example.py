"""Render a simulated For Presentation mammogram through Orthanc's ``/rendered`` route.

    python docs/dicom/render_example.py [OUT.png]

Builds a breast phantom (``victwin.phantom.make("breast/scattered")`` at 1 mm voxels), acquires
a DM view with the ``mammomat-dm`` system binned 4x4 (340 um pixels), writes the DICOM study
with :func:`victwin.dicom.from_acquisition`, starts Orthanc on 127.0.0.1 (its own config and
storage in a temporary directory), C-STOREs the study and saves what Orthanc renders for the
For Presentation image (stored VOI window applied) to ``docs/dicom/rendered-mg.png``.
Needs the Debian package ``orthanc``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))


def main(out: Path) -> None:
    import pydicom

    from tests.dicom.conftest import OrthancServer
    from victwin import phantom
    from victwin.acquisition import acquire
    from victwin.dicom import SyntheticSubject, from_acquisition, send_study

    ph = phantom.make("breast/scattered", seed=3, voxel_mm=1.0)
    dm = acquire(ph, "mammomat-dm", seed=3, binning=4, progress=False)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        files = from_acquisition(dm, tmp / "study", subject=SyntheticSubject("DOCS", "RENDER1"))
        server = OrthancServer(tmp / "orthanc")
        try:
            report = send_study(files, "127.0.0.1", server.dicom_port, ae_title=server.aet)
            assert report.ok, report.as_dict()
            uid = pydicom.dcmread(tmp / "study" / "DM_PRES.dcm").SOPInstanceUID
            for iid in server.get("/instances"):
                if server.get(f"/instances/{iid}/simplified-tags")["SOPInstanceUID"] == uid:
                    out.write_bytes(server.get(f"/instances/{iid}/rendered", raw=True))
        finally:
            server.stop()
    print(f"wrote {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "rendered-mg.png")
