"""Send a study to a PACS: C-ECHO and C-STORE (pynetdicom, optionally over TLS), STOW-RS.

Nothing is reported as stored unless the peer answered the C-STORE (or STOW-RS) with a
success or warning status for that instance.
"""

from __future__ import annotations

import socket
import ssl
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pydicom
from tqdm.auto import tqdm

__all__ = ["TLSOptions", "StoreResult", "StoreReport", "echo", "send_study", "stow_rs",
           "study_files", "check_storable"]


@dataclass(frozen=True)
class TLSOptions:
    """DICOM TLS (PS3.15 B.1) client settings.

    Parameters
    ----------
    cert, key : path, optional
        This application's certificate and private key (PEM), for PACS that require client
        certificates.
    ca : path
        CA certificate(s) (PEM) the peer's certificate must chain to.
    server_hostname : str, optional
        Name checked against the peer certificate; default: the host connected to.
    """

    ca: str
    cert: str | None = None
    key: str | None = None
    server_hostname: str | None = None

    def __post_init__(self):
        for name in ("ca", "cert", "key"):
            value = getattr(self, name)
            if value is not None and not Path(value).is_file():
                raise FileNotFoundError(f"TLS {name} file {str(value)!r} does not exist")
        if (self.cert is None) != (self.key is None):
            raise ValueError("TLS cert and key must be given together, got only one")

    def context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(self.ca))
        if self.cert:
            ctx.load_cert_chain(str(self.cert), str(self.key))
        return ctx


@dataclass
class StoreResult:
    path: str
    sop_class_uid: str
    sop_instance_uid: str
    status: int | None = None  # DIMSE status, None when never answered
    error: str = ""

    @property
    def stored(self) -> bool:
        # 0x0000 success; 0xB000, 0xB006, 0xB007 warnings (stored with coercion)
        return self.status is not None and (self.status == 0 or self.status >> 12 == 0xB)


@dataclass
class StoreReport:
    """What was sent where and what the peer answered."""

    host: str
    port: int
    ae_title: str
    results: list = field(default_factory=list)
    attempts: int = 0

    @property
    def stored(self) -> list:
        return [r for r in self.results if r.stored]

    @property
    def failed(self) -> list:
        return [r for r in self.results if not r.stored]

    @property
    def ok(self) -> bool:
        return bool(self.results) and not self.failed

    def as_dict(self) -> dict:
        return {"host": self.host, "port": self.port, "ae_title": self.ae_title,
                "attempts": self.attempts, "n_stored": len(self.stored),
                "n_failed": len(self.failed),
                "results": [{"path": r.path, "sop_class_uid": r.sop_class_uid,
                             "sop_instance_uid": r.sop_instance_uid, "status": r.status,
                             "stored": r.stored, "error": r.error} for r in self.results]}


def study_files(source) -> list[Path]:
    """The ``.dcm`` files of a directory (sorted), or the given list of files."""
    if isinstance(source, (str, Path)):
        root = Path(source)
        if root.is_dir():
            files = sorted(root.rglob("*.dcm"))
        elif root.is_file():
            files = [root]
        else:
            raise FileNotFoundError(f"{str(root)!r} does not exist")
    else:
        files = [Path(p) for p in source]
    if not files:
        raise FileNotFoundError(f"no .dcm files in {str(source)!r}")
    return files


def check_storable(path) -> pydicom.Dataset:
    """Read one file and check it is a complete, storable DICOM object; return its dataset.

    Raises a one-line ValueError naming the file when it is not DICOM, lacks SOPClassUID /
    SOPInstanceUID, or is an image whose PixelData is missing or shorter than its Rows x
    Columns x frames x samples x BitsAllocated say (a truncated file).
    """
    path = Path(path)
    try:
        ds = pydicom.dcmread(path)
    except (pydicom.errors.InvalidDicomError, EOFError, OSError, ValueError) as exc:
        raise ValueError(f"{path}: not a readable DICOM file ({type(exc).__name__}: "
                         f"{str(exc).splitlines()[0] if str(exc) else 'no detail'})") from None
    for kw in ("SOPClassUID", "SOPInstanceUID"):
        if not ds.get(kw):
            raise ValueError(f"{path}: not a storable DICOM object: no {kw}")
    if "Rows" in ds and "Columns" in ds and "BitsAllocated" in ds:
        if "PixelData" not in ds:
            raise ValueError(f"{path}: image ({ds.Rows}x{ds.Columns}) without PixelData "
                             f"(truncated file?)")
        ts = ds.file_meta.get("TransferSyntaxUID") if hasattr(ds, "file_meta") else None
        if ts is None or not pydicom.uid.UID(ts).is_compressed:
            frames = int(ds.get("NumberOfFrames", 1) or 1)
            need = (int(ds.Rows) * int(ds.Columns) * frames * int(ds.get("SamplesPerPixel", 1))
                    * int(ds.BitsAllocated) + 7) // 8
            have = len(ds.PixelData)
            if have < need:
                raise ValueError(f"{path}: PixelData holds {have} bytes, the image needs "
                                 f"{need} (truncated file?)")
    return ds


def _check_reachable(host: str, port: int, timeout_s: float) -> None:
    try:
        with socket.create_connection((host, int(port)), timeout=timeout_s):
            pass
    except OSError as exc:
        raise ConnectionError(f"cannot reach {host}:{port}: "
                              f"{exc.strerror or type(exc).__name__}") from None


def _associate(ae, host, port, ae_title, tls: TLSOptions | None):
    kwargs = {"ae_title": ae_title}
    if tls is not None:
        kwargs["tls_args"] = (tls.context(), tls.server_hostname or host)
    start = time.monotonic()
    try:
        assoc = ae.associate(host, int(port), **kwargs)
    except (ssl.SSLError, OSError) as exc:
        raise ConnectionError(f"TLS/association failure with {host}:{port}: {exc}") from None
    if assoc.is_established:
        return assoc
    rejection = (getattr(assoc.acceptor, "primitive", None) if assoc.is_rejected
                 else _unread_rejection(assoc))
    if assoc.is_rejected or rejection is not None:
        reason = getattr(rejection, "reason_str", None)
        raise ConnectionRefusedError(f"association rejected by {ae_title}@{host}:{port}"
                                     + (f" ({reason})" if reason else ""))
    if assoc.is_aborted and time.monotonic() - start >= 0.95 * ae.acse_timeout:
        # pynetdicom aborts when the ACSE timeout passes without an A-ASSOCIATE answer.
        raise ConnectionError(f"association with {ae_title}@{host}:{port}: no answer within "
                              f"{ae.acse_timeout:g} s (peer overloaded, or not a DICOM SCP; "
                              f"a longer timeout_s / --timeout-s may help)")
    if tls is not None:
        raise ConnectionError(f"association with {ae_title}@{host}:{port} failed over TLS "
                              f"(certificate not accepted, or the peer does not speak TLS)")
    raise ConnectionError(f"association with {ae_title}@{host}:{port} aborted or failed "
                          f"(does the peer speak plain DICOM on this port?)")


def _unread_rejection(assoc):
    """The peer's A-ASSOCIATE-RJ left unread by pynetdicom, or None.

    pynetdicom 3.0's requestor sends its request, then checks that the socket is still
    connected before it reads the answer (``ACSE._negotiate_as_requestor``). A peer that
    rejects at once and closes the connection (Orthanc for a wrong called AE title) can win
    that race on a loaded machine: the rejection is decoded and queued, the socket is closed,
    and the association is reported as failed to connect, with the rejection still in the
    DUL's queue. Seen here in 14-18 of 300 wrong-title attempts beside six busy processes, and
    in two CI runs (2026-12-06). Read without taking it off the queue.
    """
    q = getattr(getattr(assoc, "dul", None), "to_user_queue", None)
    for item in list(getattr(q, "queue", ())):
        if type(item).__name__ == "A_ASSOCIATE" and getattr(item, "result", None) in (1, 2):
            return item
    return None


def _make_ae(calling_ae: str, timeout_s: float):
    from pynetdicom import AE
    ae = AE(ae_title=calling_ae)
    ae.acse_timeout = timeout_s
    ae.dimse_timeout = max(timeout_s, 30.0)
    ae.network_timeout = max(timeout_s, 30.0)
    ae.connection_timeout = timeout_s
    return ae


def echo(host: str, port: int, *, ae_title: str = "ANY-SCP", calling_ae: str = "VICTWIN",
         tls: TLSOptions | None = None, timeout_s: float = 10.0) -> int:
    """C-ECHO the peer; returns the status (0 = success) or raises ConnectionError."""
    from pynetdicom.sop_class import Verification
    _check_reachable(host, port, timeout_s)
    ae = _make_ae(calling_ae, timeout_s)
    ae.add_requested_context(Verification)
    assoc = _associate(ae, host, port, ae_title, tls)
    try:
        status = assoc.send_c_echo()
    finally:
        assoc.release()
    if "Status" not in status:
        raise ConnectionError(f"no C-ECHO answer from {ae_title}@{host}:{port}")
    return int(status.Status)


def send_study(source, host: str, port: int, *, ae_title: str = "ANY-SCP",
               calling_ae: str = "VICTWIN", tls: TLSOptions | None = None,
               retries: int = 2, retry_wait_s: float = 1.0, timeout_s: float = 10.0,
               progress: bool = False) -> StoreReport:
    """C-STORE every file of a study; retry what was not stored.

    Each SOP class in the study gets a presentation context with the file's transfer syntax
    (so Breast Projection X-Ray and any class missing from pynetdicom's default list work).

    Parameters
    ----------
    source : directory or sequence of paths
    host, port : the PACS
    ae_title : called AE title; calling_ae : ours
    tls : TLSOptions, optional
    retries : int
        Extra associations tried for instances not yet stored (network errors or failure
        statuses).
    retry_wait_s : float
        Seconds between attempts.
    timeout_s : float
        Seconds to wait for the TCP connection and for the answer to the association request;
        the waits for C-STORE answers and network reads are ``max(timeout_s, 30)`` s.

    Returns
    -------
    StoreReport
        Raises ConnectionError (one line) when the host is unreachable or the association is
        refused on the first attempt; later failures are in the report.
    """
    files = study_files(source)
    results = []
    contexts = []
    for path in files:  # every file is checked before anything is sent
        ds = check_storable(path)
        ts = str(ds.file_meta.TransferSyntaxUID)
        results.append(StoreResult(str(path), str(ds.SOPClassUID), str(ds.SOPInstanceUID)))
        if (str(ds.SOPClassUID), ts) not in contexts:
            contexts.append((str(ds.SOPClassUID), ts))
    if len(contexts) > 128:
        raise ValueError(f"study needs {len(contexts)} presentation contexts, more than 128")
    report = StoreReport(host=host, port=int(port), ae_title=ae_title, results=results)
    _check_reachable(host, port, timeout_s)
    ae = _make_ae(calling_ae, timeout_s)
    for sop, ts in contexts:
        ae.add_requested_context(sop, ts)
    bar = tqdm(total=len(results), desc="dicom send", unit="file", disable=not progress)
    for attempt in range(int(retries) + 1):
        pending = [r for r in results if not r.stored]
        if not pending:
            break
        report.attempts += 1
        try:
            assoc = _associate(ae, host, port, ae_title, tls)
        except ConnectionError as exc:
            if attempt == 0 and not report.stored:
                bar.close()
                raise
            for r in pending:
                r.error = str(exc)
            time.sleep(retry_wait_s)
            continue
        try:
            for r in pending:
                if not assoc.is_established:
                    r.error = "association lost"
                    continue
                try:
                    status = assoc.send_c_store(pydicom.dcmread(r.path))
                except (ValueError, RuntimeError, OSError) as exc:
                    r.error = f"{type(exc).__name__}: {exc}"
                    continue
                if "Status" in status:
                    r.status = int(status.Status)
                    r.error = "" if r.stored else f"C-STORE status 0x{r.status:04X}"
                    if r.stored:
                        bar.update(1)
                else:
                    r.error = "no C-STORE response (connection lost or timed out)"
        finally:
            if assoc.is_established:
                assoc.release()
        if any(not r.stored for r in results) and attempt < retries:
            time.sleep(retry_wait_s)
    bar.close()
    return report


def stow_rs(source, url: str, *, timeout_s: float = 30.0, headers: dict | None = None,
            ssl_context: ssl.SSLContext | None = None) -> StoreReport:
    """DICOMweb STOW-RS: POST the study's files as multipart/related to ``url/studies``.

    Parameters
    ----------
    source : directory or sequence of paths
    url : str
        Base DICOMweb URL, e.g. ``http://127.0.0.1:8042/dicom-web``.
    headers : dict, optional
        Extra HTTP headers (e.g. Authorization).
    Returns
    -------
    StoreReport
        An instance counts as stored only if it is listed in the response's Referenced SOP
        Sequence (00081199). Every file is checked first (:func:`check_storable`); a reply
        that is not a DICOM JSON dataset is a one-line ValueError.
    """
    files = study_files(source)
    results = []
    boundary = f"victwin-{uuid.uuid4().hex}"
    body = bytearray()
    for path in files:  # every file is checked before anything is sent
        ds = check_storable(path)
        results.append(StoreResult(str(path), str(ds.SOPClassUID), str(ds.SOPInstanceUID)))
        body += (f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n").encode()
        body += Path(path).read_bytes() + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    target = url.rstrip("/") + "/studies"
    req = urllib.request.Request(target, data=bytes(body), method="POST", headers={
        "Content-Type": f'multipart/related; type="application/dicom"; boundary={boundary}',
        "Accept": "application/dicom+json", **(headers or {})})
    report = StoreReport(host=target, port=0, ae_title="", results=results, attempts=1)
    try:
        with urllib.request.urlopen(req, timeout=timeout_s, context=ssl_context) as resp:
            body_bytes = resp.read()
    except urllib.error.HTTPError as exc:
        raise ConnectionError(f"STOW-RS to {target} failed: HTTP {exc.code} {exc.reason}") \
            from None
    except urllib.error.URLError as exc:
        raise ConnectionError(f"cannot reach {target}: {exc.reason}") from None
    stored = _stow_confirmed(body_bytes, target)
    for r in results:
        r.status = 0 if r.sop_instance_uid in stored else None
        r.error = "" if r.stored else "not in STOW-RS response"
    return report


def _stow_confirmed(body: bytes, target: str) -> set:
    """SOP Instance UIDs a STOW-RS reply lists in its Referenced SOP Sequence (00081199).

    The reply must be one DICOM JSON dataset (PS3.18 F.2; a JSON object); anything else (a
    JSON list, HTML, a malformed item) is a one-line ValueError rather than a guess.
    """
    import json
    try:
        answer = json.loads(body or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ValueError(f"STOW-RS reply from {target} is not JSON "
                         f"({body[:40]!r}...)") from None
    if not isinstance(answer, dict):
        raise ValueError(f"STOW-RS reply from {target} is a JSON {type(answer).__name__}, "
                         f"not a DICOM JSON dataset (object)")
    stored = set()
    try:
        for item in answer.get("00081199", {}).get("Value", []):
            stored.add(str(item["00081155"]["Value"][0]))
    except (AttributeError, KeyError, IndexError, TypeError):
        raise ValueError(f"STOW-RS reply from {target} has a malformed Referenced SOP "
                         f"Sequence (00081199)") from None
    return stored
