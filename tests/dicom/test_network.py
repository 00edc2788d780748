"""C-ECHO / C-STORE / TLS / STOW-RS against a real Orthanc started on 127.0.0.1.

Orthanc decodes the pixel data itself (``/frames/k/image-uint16`` PNGs), so the comparison with
the arrays victwin wrote checks both the encoding and the transfer.
"""

from __future__ import annotations

import io

import numpy as np
import pydicom
import pytest
from PIL import Image

from victwin.dicom import TLSOptions, echo, send_study, stow_rs


def _orthanc_instances(server):
    out = {}
    for iid in server.get("/instances"):
        tags = server.get(f"/instances/{iid}/simplified-tags")
        out[tags["SOPInstanceUID"]] = (iid, tags)
    return out


def _check_study_arrived(server, study_dir):
    arrived = _orthanc_instances(server)
    files = sorted(study_dir.glob("*.dcm"))
    assert len(arrived) == len(files)
    for path in files:
        ds = pydicom.dcmread(path)
        iid, tags = arrived[ds.SOPInstanceUID]
        assert tags["SOPClassUID"] == ds.SOPClassUID
        n_frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
        assert len(server.get(f"/instances/{iid}/frames")) == n_frames
        if ds.SOPClassUID.name.startswith(("Comprehensive", "Segmentation")):
            continue
        written = ds.pixel_array.reshape(n_frames, ds.Rows, ds.Columns)
        for k in sorted({0, n_frames - 1}):
            png = server.get(f"/instances/{iid}/frames/{k}/image-uint16", raw=True)
            decoded = np.asarray(Image.open(io.BytesIO(png)))
            np.testing.assert_array_equal(decoded.astype(np.uint16), written[k])


def test_echo_and_store_full_study(orthanc, study_dir):
    assert echo("127.0.0.1", orthanc.dicom_port, ae_title=orthanc.aet) == 0
    report = send_study(study_dir, "127.0.0.1", orthanc.dicom_port, ae_title=orthanc.aet)
    assert report.ok, report.as_dict()
    assert len(report.stored) == len(list(study_dir.glob("*.dcm"))) == 9
    _check_study_arrived(orthanc, study_dir)


def test_render_for_presentation_mammogram(orthanc, study_dir, tmp_path):
    """Render the For Presentation DM through Orthanc's /rendered (applies the stored window)."""
    report = send_study([study_dir / "DM_PRES.dcm"], "127.0.0.1", orthanc.dicom_port,
                        ae_title=orthanc.aet)
    assert report.ok
    (iid, _), = _orthanc_instances(orthanc).values()
    png = orthanc.get(f"/instances/{iid}/rendered", raw=True)
    img = np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float)
    ds = pydicom.dcmread(study_dir / "DM_PRES.dcm")
    assert img.shape == (ds.Rows, ds.Columns)
    # The breast (left, at the chest wall) is brighter than the background beyond the nipple.
    assert img[:, :4].mean() > img[:, -4:].mean() + 50
    (tmp_path / "rendered-mg.png").write_bytes(png)


def test_unreachable_host_is_one_line_error(tmp_path, study_dir):
    from tests.dicom.conftest import free_port
    port = free_port()
    with pytest.raises(ConnectionError, match=f"cannot reach 127.0.0.1:{port}"):
        send_study(study_dir, "127.0.0.1", port, ae_title="NOBODY", retries=0)


def test_wrong_called_aet_is_refused_and_nothing_marked_sent(orthanc, study_dir):
    with pytest.raises(ConnectionRefusedError, match="association rejected"):
        send_study(study_dir, "127.0.0.1", orthanc.dicom_port, ae_title="WRONGAET", retries=0)
    assert orthanc.get("/instances") == []


def test_store_over_tls(orthanc_tls, study_dir, tls_material):
    tls = TLSOptions(ca=tls_material["ca"], cert=tls_material["client_cert"],
                     key=tls_material["client_key"])
    assert echo("127.0.0.1", orthanc_tls.dicom_port, ae_title=orthanc_tls.aet, tls=tls) == 0
    report = send_study(study_dir, "127.0.0.1", orthanc_tls.dicom_port,
                        ae_title=orthanc_tls.aet, tls=tls)
    assert report.ok, report.as_dict()
    _check_study_arrived(orthanc_tls, study_dir)


def test_tls_refuses_plain_and_wrong_certificate(orthanc_tls, study_dir, tls_material):
    with pytest.raises(ConnectionError):
        send_study(study_dir, "127.0.0.1", orthanc_tls.dicom_port, ae_title=orthanc_tls.aet,
                   retries=0, timeout_s=5)
    rogue = TLSOptions(ca=tls_material["ca"], cert=tls_material["rogue_cert"],
                       key=tls_material["rogue_key"])
    with pytest.raises(ConnectionError):
        send_study(study_dir, "127.0.0.1", orthanc_tls.dicom_port, ae_title=orthanc_tls.aet,
                   tls=rogue, retries=0, timeout_s=5)
    assert orthanc_tls.get("/instances") == []


def test_stow_rs(orthanc_dicomweb, study_dir):
    report = stow_rs(study_dir, orthanc_dicomweb.url + "/dicom-web")
    assert report.ok, report.as_dict()
    _check_study_arrived(orthanc_dicomweb, study_dir)


def test_stow_rs_unreachable_is_one_line_error(study_dir):
    from tests.dicom.conftest import free_port
    with pytest.raises(ConnectionError, match="cannot reach"):
        stow_rs(study_dir, f"http://127.0.0.1:{free_port()}/dicom-web")


def test_a_rejection_that_beats_pynetdicoms_socket_check_is_still_a_rejection(
        orthanc, study_dir, monkeypatch):
    """pynetdicom 3.0 checks that the socket is still connected after sending its request and
    before reading the answer; Orthanc rejects a wrong called AE title and closes at once, so a
    requestor delayed between the two (a loaded machine) reported "aborted or failed" with the
    rejection unread (the CI of 2026-12-06; 14-18 of 300 attempts beside six busy processes).
    The delay is forced here: the answer must still be the peer's rejection, with its reason."""
    import time

    from pynetdicom.acse import ACSE

    send = ACSE.send_request

    def send_then_stall(self):
        send(self)
        time.sleep(0.5)               # Orthanc answers and closes in ~10 ms

    monkeypatch.setattr(ACSE, "send_request", send_then_stall)
    with pytest.raises(ConnectionRefusedError, match=r"association rejected .*\(Called AE "
                                                     r"title not recognised\)"):
        send_study(study_dir, "127.0.0.1", orthanc.dicom_port, ae_title="WRONGAET", retries=0,
                   timeout_s=30)
    assert orthanc.get("/instances") == []
