"""Fixtures for the DICOM tests: a small synthetic study and a real Orthanc on loopback.

Tools from Debian (dicom3tools for dciodvfy/dcentvfy, orthanc, orthanc-dicomweb) are required
in CI: when ``CI`` is set and a binary is missing the test FAILS; locally it is skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from tests._ports import free_port  # noqa: F401  (re-exported for the dicom tests)

from victwin.dicom import Exposure, Lesion, SyntheticSubject
from victwin.geometry import Grid, tomosynthesis_arc


def require_binary(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        message = (f"{name} not found: install the Debian package {package} "
                   f"(apt-get install {package})")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


SUBJECT = SyntheticSubject("TRIAL01", "CASE0007", age_years=57, reader_id="R3")
DM_EXPOSURE = Exposure(kvp=28, exposure_mas=58.6, anode="W", filter_material="Rh",
                       filter_thickness_mm=0.05, hvl_mm_al=0.463, compressed_thickness_mm=45,
                       sid_mm=650, source_to_patient_mm=585, imager_pixel_spacing_mm=0.085,
                       entrance_dose_mgy=6.1, organ_dose_mgy=1.23)
DBT_EXPOSURE = Exposure(kvp=28, exposure_mas=87.5, anode="W", filter_material="Rh",
                        filter_thickness_mm=0.05, hvl_mm_al=0.463, compressed_thickness_mm=45,
                        sid_mm=650, source_to_patient_mm=585, imager_pixel_spacing_mm=0.085,
                        entrance_dose_mgy=8.0, organ_dose_mgy=1.9)
CHEST_EXPOSURE = Exposure(kvp=120, exposure_mas=2.0, anode="W", filter_material="Al",
                          filter_thickness_mm=1.0, hvl_mm_al=5.2, compressed_thickness_mm=220,
                          sid_mm=1800, source_to_patient_mm=1560,
                          imager_pixel_spacing_mm=0.14, entrance_dose_mgy=0.1,
                          organ_dose_mgy=0.05, detector_type="SCINTILLATOR")


def mammogram_like(rows: int, cols: int) -> np.ndarray:
    """A breast-shaped attenuation map: half-ellipse from the chest wall (column 0)."""
    y, x = np.mgrid[0:rows, 0:cols]
    r = np.hypot((y - rows / 2) / (rows / 2), x / (0.9 * cols))
    tissue = np.clip(1 - r, 0, None) ** 0.5
    texture = 0.15 * np.sin(x / 3.0) * np.cos(y / 5.0) * (r < 1)
    return (tissue + texture).clip(0, None)


def make_study_inputs(laterality: str = "L") -> dict:
    """The keyword arguments of ``export_study`` for a small synthetic case."""
    rng = np.random.default_rng(7)
    rows, cols = 48, 32
    grid = Grid(shape=(6, rows, cols), spacing=(1.0, 0.5, 0.5),
                origin=(0.25, -(rows - 1) * 0.25, 20.5))
    views = tomosynthesis_arc(7, 30.0, detector_shape=(rows, cols), pitch_mm=0.5)
    labels = np.zeros(grid.shape, np.uint8)
    labels[2:4, 20:26, 10:15] = 1
    labels[4, 30:32, 20:22] = 2
    lesions = [Lesion(grid.index_to_world((2.5, 22.5, 12.0)), "mass", 3.0, 1),
               Lesion(grid.index_to_world((4.0, 30.5, 20.5)), "calcification", 0.8, 2)]
    atten = mammogram_like(rows, cols)
    dm_raw = (4000 * np.exp(-2.0 * atten) + rng.normal(0, 20, (rows, cols))).clip(0, 16383)
    return dict(
        subject=SUBJECT, dm_exposure=DM_EXPOSURE, dbt_exposure=DBT_EXPOSURE,
        dm_raw=dm_raw.astype(np.uint16),
        dm_processed=(atten * 3000).astype(np.uint16),
        projections=(4000 * np.exp(-2.0 * atten) + rng.normal(0, 20, (7, rows, cols)))
        .clip(0, 16383).astype(np.uint16),  # raw detector signal, 14 bits
        dbt_views=views, volume=rng.random(grid.shape).astype(np.float32) * 0.1, grid=grid,
        lesions=lesions, lesion_labels=labels,
        chest_exposure=CHEST_EXPOSURE, chest_raw=rng.integers(0, 4096, (40, 36)).astype(np.uint16),
        chest_processed=rng.random((40, 36)), laterality=laterality,
        synthesized_2d=rng.random((rows, cols)).astype(np.float32))


@pytest.fixture(scope="session")
def study_inputs():
    return make_study_inputs()


@pytest.fixture(scope="session")
def study_dir(tmp_path_factory, study_inputs):
    from victwin.dicom import export_study
    out = tmp_path_factory.mktemp("study") / "case"
    export_study(out, **study_inputs)
    return out


@pytest.fixture(scope="session")
def study_dirs(tmp_path_factory, study_dir):
    """The same case exported as a left (the ``study_dir``) and as a right breast."""
    from victwin.dicom import export_study
    right = tmp_path_factory.mktemp("study-r") / "case"
    export_study(right, **make_study_inputs("R"))
    return {"L": study_dir, "R": right}


def _make_tls_material(root: Path):
    """A throwaway CA, a server and a client certificate signed by it, and a rogue CA pair."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)

    def key():
        return ec.generate_private_key(ec.SECP256R1())

    def name(cn):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    def write(path, obj):
        if hasattr(obj, "private_bytes"):
            data = obj.private_bytes(serialization.Encoding.PEM,
                                     serialization.PrivateFormat.TraditionalOpenSSL,
                                     serialization.NoEncryption())
        else:
            data = obj.public_bytes(serialization.Encoding.PEM)
        path.write_bytes(data)
        return str(path)

    def ca(cn):
        k = key()
        c = (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(name(cn))
             .public_key(k.public_key()).serial_number(x509.random_serial_number())
             .not_valid_before(now - dt.timedelta(days=1))
             .not_valid_after(now + dt.timedelta(days=3650))
             .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
             .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True,
                                          crl_sign=True, content_commitment=False,
                                          key_encipherment=False, data_encipherment=False,
                                          key_agreement=False, encipher_only=False,
                                          decipher_only=False), critical=True)
             .add_extension(x509.SubjectKeyIdentifier.from_public_key(k.public_key()),
                            critical=False)
             .sign(k, hashes.SHA256()))
        return k, c

    def leaf(cn, ca_key, ca_cert, server):
        import ipaddress
        k = key()
        b = (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(ca_cert.subject)
             .public_key(k.public_key()).serial_number(x509.random_serial_number())
             .not_valid_before(now - dt.timedelta(days=1))
             .not_valid_after(now + dt.timedelta(days=3650))
             .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
             .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                 ca_key.public_key()), critical=False))
        if server:
            b = b.add_extension(x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            b = b.add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                                critical=False)
        else:
            b = b.add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]),
                                critical=False)
        return k, b.sign(ca_key, hashes.SHA256())

    ca_key, ca_cert = ca("victwin test CA")
    srv_key, srv_cert = leaf("127.0.0.1", ca_key, ca_cert, True)
    cli_key, cli_cert = leaf("victwin client", ca_key, ca_cert, False)
    rogue_key, rogue_cert = ca("rogue CA")
    bad_key, bad_cert = leaf("rogue client", rogue_key, rogue_cert, False)
    return {
        "ca": write(root / "ca.pem", ca_cert),
        "server_cert": write(root / "server.pem", srv_cert),
        "server_key": write(root / "server.key", srv_key),
        "client_cert": write(root / "client.pem", cli_cert),
        "client_key": write(root / "client.key", cli_key),
        "rogue_cert": write(root / "rogue-client.pem", bad_cert),
        "rogue_key": write(root / "rogue-client.key", bad_key),
    }


class OrthancServer:
    """Orthanc started from its own config and storage directory on 127.0.0.1."""

    def __init__(self, root: Path, *, tls: dict | None = None, dicomweb: bool = False):
        self.root = root
        self.tls = tls
        storage = root / "storage"
        storage.mkdir(parents=True)
        # Up to three starts: a port taken between free_port() and Orthanc's bind is caught by
        # the C-ECHO below and the server restarted on fresh ports.
        for attempt in range(3):
            self.http_port = free_port()
            self.dicom_port = free_port()
            # A title of its own (<= 16 characters), so that a C-ECHO answered with it proves
            # this Orthanc, not another test's server, owns the DICOM port.
            self.aet = f"VT{self.dicom_port}"
            try:
                self._start(root, storage, attempt, tls=tls, dicomweb=dicomweb)
            except RuntimeError:
                if attempt == 2 or "already in use" not in self.log_path.read_text():
                    raise
                continue          # a port taken before Orthanc's bind: Orthanc exits at once
            if self._owns_dicom_port():
                return
            self.stop()
        raise RuntimeError("Orthanc did not take its DICOM port in 3 starts: "
                           + self.log_path.read_text()[-2000:])

    def _start(self, root: Path, storage: Path, attempt: int, *, tls, dicomweb) -> None:
        config = {
            "Name": "victwin-test", "StorageDirectory": str(storage),
            "IndexDirectory": str(storage), "HttpPort": self.http_port,
            "DicomPort": self.dicom_port, "DicomAet": self.aet, "RemoteAccessAllowed": False,
            "AuthenticationEnabled": False, "DicomCheckCalledAet": True,
            "Plugins": [],
            "StorageCompression": False, "OverwriteInstances": True,
        }
        if dicomweb:
            plugin = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so"
            config["Plugins"] = [plugin]
            config["DicomWeb"] = {"Enable": True, "Root": "/dicom-web/"}
        if tls:
            config.update({"DicomTlsEnabled": True,
                           "DicomTlsCertificate": tls["server_cert"],
                           "DicomTlsPrivateKey": tls["server_key"],
                           "DicomTlsTrustedCertificates": tls["ca"],
                           "DicomTlsRemoteCertificateRequired": True})
        self.config_path = root / "orthanc.json"
        self.config_path.write_text(json.dumps(config, indent=1))
        self.log_path = root / f"orthanc-{attempt}.log"
        self.log = open(self.log_path, "wb")
        binary = require_binary("Orthanc", "orthanc")
        self.proc = subprocess.Popen([binary, str(self.config_path)], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("Orthanc exited early: " + self.log_path.read_text()[-2000:])
            try:
                self.get("/system")
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("Orthanc did not answer on /system within 30 s")

    def _owns_dicom_port(self) -> bool:
        """True when a C-ECHO to our title on our DICOM port succeeds and Orthanc still runs."""
        from victwin.dicom._net import TLSOptions, echo
        tls = None
        if self.tls:
            tls = TLSOptions(ca=self.tls["ca"], cert=self.tls["client_cert"],
                             key=self.tls["client_key"])
        try:
            ok = echo("127.0.0.1", self.dicom_port, ae_title=self.aet, tls=tls) == 0
        except (ConnectionError, OSError):
            ok = False
        return ok and self.proc.poll() is None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def get(self, route: str, raw: bool = False):
        with urllib.request.urlopen(self.url + route, timeout=10) as resp:
            data = resp.read()
        return data if raw else json.loads(data)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


@pytest.fixture
def orthanc(tmp_path):
    server = OrthancServer(tmp_path / "orthanc")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def tls_material(tmp_path_factory):
    pytest.importorskip("cryptography")
    return _make_tls_material(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def orthanc_tls(tmp_path, tls_material):
    server = OrthancServer(tmp_path / "orthanc-tls", tls=tls_material)
    yield server
    server.stop()


@pytest.fixture
def orthanc_dicomweb(tmp_path):
    plugin = Path("/usr/share/orthanc/plugins/libOrthancDicomWeb.so")
    if not plugin.is_file():
        message = "Orthanc DICOMweb plugin missing: apt-get install orthanc-dicomweb"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    server = OrthancServer(tmp_path / "orthanc-web", dicomweb=True)
    yield server
    server.stop()
