"""Nothing is sent that is not a complete DICOM object, and a STOW-RS reply that is not a DICOM
JSON dataset is an error, not a guess: one line each, before anything reaches the peer."""

from __future__ import annotations

import http.server
import shutil
import threading

import pydicom
import pytest

from victwin.dicom import check_storable, send_study, stow_rs

from .conftest import free_port


@pytest.fixture
def copy_of(study_dir, tmp_path):
    def make(*names):
        out = tmp_path / "study"
        out.mkdir(exist_ok=True)
        for n in names:
            shutil.copy(study_dir / n, out / n)
        return out
    return make


def test_truncated_file_is_refused_before_sending(copy_of):
    d = copy_of("DM_PROC.dcm", "SR.dcm")
    data = (d / "DM_PROC.dcm").read_bytes()
    (d / "DM_PROC.dcm").write_bytes(data[:-500])  # the end of the pixel data is lost
    port = free_port()  # nobody listens: the check must come before any connection
    with pytest.raises(ValueError, match=r"DM_PROC.dcm: .*(truncated|not a readable)"):
        send_study(d, "127.0.0.1", port, retries=0)
    with pytest.raises(ValueError, match="DM_PROC.dcm"):
        stow_rs(d, f"http://127.0.0.1:{port}/dicom-web")


def test_image_without_pixel_data_is_refused(copy_of):
    d = copy_of("BTO.dcm")
    ds = pydicom.dcmread(d / "BTO.dcm")
    del ds.PixelData
    ds.save_as(d / "BTO.dcm", enforce_file_format=True)
    with pytest.raises(ValueError, match="BTO.dcm: image .* without PixelData"):
        check_storable(d / "BTO.dcm")


def test_missing_sop_class_is_a_one_line_error(copy_of, capsys):
    d = copy_of("DM_PRES.dcm")
    ds = pydicom.dcmread(d / "DM_PRES.dcm")
    del ds.SOPClassUID
    ds.save_as(d / "DM_PRES.dcm")
    with pytest.raises(ValueError, match="DM_PRES.dcm: not a storable DICOM object: no "
                                         "SOPClassUID"):
        send_study(d, "127.0.0.1", free_port(), retries=0)
    from victwin.cli import main
    assert main(["dicom", "send", str(d), "--host", "127.0.0.1", "--port", str(free_port()),
                 "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no SOPClassUID" in err[0]


class _Reply(http.server.BaseHTTPRequestHandler):
    body = b"[]"

    def do_POST(self):  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Type", "application/dicom+json")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("body, match", [
    (b"[]", "is a JSON list, not a DICOM JSON dataset"),
    (b"<html>ok</html>", "is not JSON"),
    (b'{"00081199": {"Value": [{"00081155": {}}]}}', "malformed Referenced SOP Sequence"),
])
def test_unexpected_stow_reply_is_a_one_line_error(study_dir, body, match, capsys):
    handler = type("Handler", (_Reply,), {"body": body})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/dicom-web"
    try:
        with pytest.raises(ValueError, match=match):
            stow_rs(study_dir / "SR.dcm", url)
        from victwin.cli import main
        assert main(["dicom", "send", str(study_dir / "SR.dcm"), "--stow-url", url,
                     "--quiet"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and match.split()[0] in err[0]
    finally:
        server.shutdown()
        server.server_close()


def test_a_peer_that_never_answers_the_association_is_named_so(study_dir, capsys):
    """A listener that accepts TCP but never sends A-ASSOCIATE-AC/RJ: pynetdicom aborts when its
    ACSE timeout passes; the error says that no answer came in that time, in one line, from the
    API and from ``victwin dicom send --timeout-s``."""
    import socket
    import time

    from victwin.cli import main

    with socket.socket() as srv:
        srv.bind(("127.0.0.1", free_port()))
        srv.listen(8)                      # the kernel completes the handshakes; nobody reads
        port = srv.getsockname()[1]
        t0 = time.monotonic()
        with pytest.raises(ConnectionError, match=r"no answer within 1\.5 s"):
            send_study(study_dir, "127.0.0.1", port, retries=0, timeout_s=1.5)
        assert 1.4 < time.monotonic() - t0 < 15
        assert main(["dicom", "send", str(study_dir), "--host", "127.0.0.1", "--port",
                     str(port), "--quiet", "--timeout-s", "1"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "no answer within 1 s" in err[0], err
        assert main(["dicom", "send", str(study_dir), "--host", "127.0.0.1", "--port",
                     str(port), "--quiet", "--timeout-s", "0"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "--timeout-s must be > 0" in err[0], err
