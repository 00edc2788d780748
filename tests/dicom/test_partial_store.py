"""A peer that refuses one SOP class: the rest is stored, the refused one is retried, reported
and never marked sent; the CLI exits 1 and names it. The SCP is pynetdicom's own server."""

from __future__ import annotations

import pydicom
import pytest
from pynetdicom import AE, AllStoragePresentationContexts, evt
from pynetdicom.sop_class import BreastProjectionXRayImageStorageForProcessing

from victwin.dicom import send_study

from .conftest import free_port


@pytest.fixture
def refusing_scp():
    received = []

    def on_store(event):
        ds = event.dataset
        received.append(str(ds.SOPClassUID))
        if ds.SOPClassUID == BreastProjectionXRayImageStorageForProcessing:
            return 0xA700  # Refused: out of resources
        return 0x0000

    ae = AE(ae_title="TESTSCP")
    for cx in AllStoragePresentationContexts:
        ae.add_supported_context(cx.abstract_syntax, [pydicom.uid.ExplicitVRLittleEndian,
                                                      pydicom.uid.ImplicitVRLittleEndian])
    ae.add_supported_context(BreastProjectionXRayImageStorageForProcessing,
                             [pydicom.uid.ExplicitVRLittleEndian])
    port = free_port()
    server = ae.start_server(("127.0.0.1", port), block=False,
                             evt_handlers=[(evt.EVT_C_STORE, on_store)])
    yield port, received
    server.shutdown()


def test_refused_instance_is_retried_and_not_marked_sent(refusing_scp, study_dir, capsys):
    port, received = refusing_scp
    report = send_study(study_dir, "127.0.0.1", port, ae_title="TESTSCP", retries=2,
                        retry_wait_s=0.0)
    bpx = str(BreastProjectionXRayImageStorageForProcessing)
    assert not report.ok
    assert [r.sop_class_uid for r in report.failed] == [bpx]
    assert report.failed[0].status == 0xA700 and "0xA700" in report.failed[0].error
    assert len(report.stored) == len(report.results) - 1
    assert report.attempts == 3 and received.count(bpx) == 3  # first try + 2 retries
    stored_classes = [r.sop_class_uid for r in report.stored]
    assert all(received.count(c) == stored_classes.count(c) for c in stored_classes)

    from victwin.cli import main
    record = study_dir.parent / "send-record.json"
    status = main(["dicom", "send", str(study_dir), "--host", "127.0.0.1", "--port", str(port),
                   "--aet", "TESTSCP", "--retries", "0", "--quiet", "--record", str(record)])
    out = capsys.readouterr().out
    assert status == 1
    assert "NOT stored" in out and "BPX.dcm" in out and "stored 8 of 9" in out
    # Without --json, the send still leaves a record of what the peer confirmed.
    import json
    kept = json.loads(record.read_text())
    assert kept["n_stored"] == 8 and kept["via"] == "C-STORE"
    assert [r["path"].rsplit("/", 1)[-1] for r in kept["results"] if not r["stored"]] \
        == ["BPX.dcm"]
