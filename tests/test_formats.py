"""Every on-disk format's reader names what is wrong in one line: a foreign format, a missing,
malformed or too-new version, a missing key (issue 17 item 4).

The formats: the phantom ``.npz`` (``victwin.phantom``), the acquisition folder
(``acquisition.json``), the scan folder ``victwin recon`` reads (``views.json``), the DICOM
export's run folder (``study.json``) and the trial run folder (tested in
``tests/trial/test_records.py``).
"""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest

from victwin._formats import FormatError, check_format


def _one_line(exc) -> str:
    text = str(exc.value)
    assert "\n" not in text
    return text


@pytest.mark.parametrize("data, message", [
    ({"format": "x", "version": 1}, "f: not a victwin-x file (format 'x', expected 'victwin-x')"),
    ({"version": 1}, "f: not a victwin-x file (no format field: written by an older victwin "
                     "or another program)"),
    ({"format": "victwin-x"}, "f: missing key version (an integer from 1 to 2)"),
    ({"format": "victwin-x", "version": "2"},
     "f: version must be an integer from 1 to 2, got '2'"),
    ({"format": "victwin-x", "version": 0}, "f: version must be an integer from 1 to 2, got 0"),
    ({"format": "victwin-x", "version": 3},
     "f: version 3 is newer than this victwin reads (2); update victwin to read it"),
])
def test_check_format_messages(data, message):
    with pytest.raises(FormatError) as err:
        check_format("f", data, name="victwin-x", version=2, key="version")
    assert _one_line(err) == message


def test_check_format_versions_read():
    assert check_format("f", {"format": "victwin-x", "version": 2}, name="victwin-x",
                        version=2, key="version") == 2
    # files written before the field existed are read as the legacy version when allowed
    assert check_format("f", {}, name=None, version=3, legacy=1) == 1
    assert check_format("f", {"format_version": 2}, name=None, version=3) == 2


def _phantom_file(tmp_path, edit):
    from victwin.geometry import Grid
    from victwin.phantom import Phantom, load

    path = tmp_path / "p.npz"
    Phantom(labels=np.zeros((2, 3, 4), np.uint8), grid=Grid((2, 3, 4), (1.0, 1.0, 1.0),
                                                            (0.0, 0.0, 0.0)),
            materials={0: "air"}).save(path)
    with zipfile.ZipFile(path) as zf:
        header = json.loads(np.lib.format.read_array(io.BytesIO(zf.read("header.npy")))
                            .tobytes().decode())
        labels = zf.read("labels.npy")
    assert load(path).labels.shape == (2, 3, 4)
    edit(header)
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.frombuffer(json.dumps(header).encode(), np.uint8))
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("header.npy", buf.getvalue())
        zf.writestr("labels.npy", labels)
    return path, load


@pytest.mark.parametrize("edit, tail", [
    (lambda h: h.update(version=2),
     "header: version 2 is newer than this victwin reads (1); update victwin to read it"),
    (lambda h: h.pop("version"), "header: missing key version (an integer from 1 to 1)"),
    (lambda h: h.update(format="other"),
     "header: not a victwin.phantom file (format 'other', expected 'victwin.phantom')"),
    (lambda h: h.pop("materials"), "header: missing key materials"),
])
def test_phantom_file(tmp_path, edit, tail):
    path, load = _phantom_file(tmp_path, edit)
    with pytest.raises(ValueError) as err:
        load(path)
    assert _one_line(err) == f"{str(path)!r} is not a readable victwin phantom file: {tail}"


def _json_folder(tmp_path, name, record):
    d = tmp_path / "folder"
    d.mkdir()
    (d / name).write_text(json.dumps(record))
    return d, repr(str(d / name))


@pytest.mark.parametrize("record, tail", [
    ({"format": "victwin-acquisition", "version": 2},
     "version 2 is newer than this victwin reads (1); update victwin to read it"),
    ({"format": "victwin-acquisition"}, "missing key version (an integer from 1 to 1)"),
    ({"format": "victwin-scan", "version": 1},
     "not a victwin-acquisition file (format 'victwin-scan', expected 'victwin-acquisition')"),
    ({"format": "victwin-acquisition", "version": 1}, "missing key views"),
])
def test_acquisition_folder(tmp_path, record, tail):
    from victwin.acquisition import load

    d, where = _json_folder(tmp_path, "acquisition.json", record)
    with pytest.raises(ValueError) as err:
        load(d)
    assert _one_line(err) == f"{where}: {tail}"


@pytest.mark.parametrize("record, tail", [
    ({"format": "victwin-scan", "version": 2, "views": []},
     "version 2 is newer than this victwin reads (1); update victwin to read it"),
    ({"format": "victwin-scan", "views": []}, "missing key version (an integer from 1 to 1)"),
    ({"format": "victwin-acquisition", "version": 1},
     "not a victwin-scan file (format 'victwin-acquisition', expected 'victwin-scan')"),
])
def test_recon_scan_folder(tmp_path, record, tail):
    from victwin.recon import load_scan

    d, where = _json_folder(tmp_path, "views.json", record)
    with pytest.raises(ValueError) as err:
        load_scan(d)
    assert _one_line(err) == f"{where}: {tail}"


@pytest.mark.parametrize("record, tail", [
    ({"format": "victwin-dicom-run/2"},
     "version 2 is newer than this victwin reads (1); update victwin to read it"),
    ({"format": "victwin-dicom-run"}, "missing key version (an integer from 1 to 1)"),
    ({"format": "something-else/1"},
     "not a victwin-dicom-run file (format 'something-else', expected 'victwin-dicom-run')"),
    ({"format": "victwin-dicom-run/1"}, "missing key subject"),
])
def test_dicom_run_folder(tmp_path, record, tail):
    from victwin.dicom import load_run

    d, where = _json_folder(tmp_path, "study.json", record)
    with pytest.raises(ValueError) as err:
        load_run(d)
    assert _one_line(err) == f"{where}: {tail}"
