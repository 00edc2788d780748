"""Every on-disk format's reader names what is wrong in one line: a foreign format, a missing,
malformed or too-new version, a missing key (issue 17 item 4).

The formats: the phantom ``.npz`` (``victwin.phantom``), the acquisition folder
(``acquisition.json``), the scan folder ``victwin recon`` reads (``views.json``), the volume
file ``victwin recon`` writes (``FILE.npy`` + ``FILE.npy.json``, or ``.zarr``), the DICOM
export's study folder (``study.json``) and the trial run folder (tested in
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
    # a named format: only a file with neither the name nor the version is a legacy file
    # (the two were always written together); one naming the format without a version is not
    assert check_format("f", {}, name="victwin-x", version=2, legacy=1, key="version") == 1
    with pytest.raises(FormatError) as err:
        check_format("f", {"format": "victwin-x"}, name="victwin-x", version=2, legacy=1,
                     key="version")
    assert _one_line(err) == "f: missing key version (an integer from 1 to 2)"


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


_SUBJECT = {"trial_id": "T", "case_id": "1"}


@pytest.mark.parametrize("record, tail", [
    # the form written before the version key: the version after the slash
    ({"format": "victwin-dicom-run/2"},
     "version 2 is newer than this victwin reads (1); update victwin to read it"),
    ({"format": "victwin-dicom-run"}, "missing key version (an integer from 1 to 1)"),
    ({"format": "something-else/1"},
     "not a victwin-dicom-run file (format 'something-else', expected 'victwin-dicom-run')"),
    ({"format": "victwin-dicom-run/1"}, "missing key subject"),
    # the form written now: format and version keys, as the other folders
    ({"format": "victwin-dicom-run", "version": 2, "subject": _SUBJECT},
     "version 2 is newer than this victwin reads (1); update victwin to read it"),
    ({"format": "victwin-dicom-run", "version": "1"},
     "version must be an integer from 1 to 1, got '1'"),
    ({"format": "victwin-dicom-run", "version": 1}, "missing key subject"),
    ({"format": "victwin-dicom-run", "version": 1, "subject": _SUBJECT, "lesion": []},
     "unknown key lesion; did you mean lesions?"),
    ({"format": "victwin-dicom-run", "version": 1, "subject": dict(_SUBJECT, agee=50)},
     "subject: got an unexpected keyword argument 'agee'"),
    ({"format": "victwin-dicom-run", "version": 1, "subject": dict(_SUBJECT, sex="X")},
     "subject: sex must be 'F', 'M' or 'O', got 'X'"),
    ({"format": "victwin-dicom-run", "version": 1, "subject": _SUBJECT, "lesions": {}},
     "lesions must be a JSON list, got dict"),
    ({"format": "victwin-dicom-run", "version": 1, "subject": _SUBJECT, "lesions": [3]},
     "lesions[0] must be a JSON object (mapping), got int"),
])
def test_dicom_study_folder(tmp_path, record, tail):
    from victwin.dicom import load_run

    d, where = _json_folder(tmp_path, "study.json", record)
    with pytest.raises(ValueError) as err:
        load_run(d)
    assert _one_line(err) == f"{where}: {tail}"


def test_dicom_study_folder_written_with_version(tmp_path):
    """``save_run`` writes the format and version keys; both forms read back."""
    from victwin.dicom import Lesion, SyntheticSubject, load_run, save_run

    subject = SyntheticSubject(trial_id="T", case_id="7", age_years=61)
    lesion = Lesion((1.0, 2.0, 3.0), "mass", 4.0, 1)
    d = save_run(tmp_path / "s", subject=subject, lesions=[lesion], view="CC")
    record = json.loads((d / "study.json").read_text())
    assert (record["format"], record["version"]) == ("victwin-dicom-run", 1)
    assert load_run(d) == {"subject": subject, "lesions": [lesion], "view": "CC"}
    # a folder written before the version key (format "victwin-dicom-run/1") reads the same
    del record["version"]
    record["format"] = "victwin-dicom-run/1"
    (d / "study.json").write_text(json.dumps(record))
    assert load_run(d) == {"subject": subject, "lesions": [lesion], "view": "CC"}


def _volume_file(tmp_path, record):
    p = tmp_path / "vol.npy"
    np.save(p, np.zeros((2, 3, 4), np.float32))
    (tmp_path / "vol.npy.json").write_text(json.dumps(record))
    return p


_GRID = {"shape": [2, 3, 4], "spacing_mm": [1.0, 0.5, 0.5], "origin_mm": [0.0, 0.0, 0.0]}


@pytest.mark.parametrize("record, tail", [
    ({"format": "victwin-volume", "version": 2, "grid": _GRID},
     "version 2 is newer than this victwin reads (1); update victwin to read it"),
    ({"format": "victwin-scan", "version": 1, "grid": _GRID},
     "not a victwin-volume file (format 'victwin-scan', expected 'victwin-volume')"),
    ({"format": "victwin-volume", "version": 0, "grid": _GRID},
     "version must be an integer from 1 to 1, got 0"),
    ({"format": "victwin-volume", "version": 1}, "grid record lacks shape/spacing_mm/origin_mm "
                                                 "('grid')"),
    # the format and version keys were written together since they exist: one without the
    # other is not a file written before them, and is refused
    ({"format": "victwin-volume", "grid": _GRID}, "missing key version (an integer from 1 to 1)"),
    ({"version": 1, "grid": _GRID}, "not a victwin-volume file (no format field: written by an "
                                    "older victwin or another program)"),
])
def test_recon_volume_file(tmp_path, record, tail):
    from victwin.dicom import load_volume_file

    p = _volume_file(tmp_path, record)
    with pytest.raises(ValueError) as err:
        load_volume_file(p)
    assert _one_line(err) == f"{str(p)!r}: {tail}"


def test_recon_volume_file_versions_read(tmp_path):
    """Written by ``victwin recon`` now (format and version) or before (neither): both read."""
    from victwin.dicom import load_volume_file

    for record in ({"format": "victwin-volume", "version": 1, "grid": _GRID}, {"grid": _GRID}):
        volume, grid = load_volume_file(_volume_file(tmp_path, record))
        assert volume.shape == grid.shape == (2, 3, 4)
        assert grid.spacing == (1.0, 0.5, 0.5)


def test_recon_volume_file_that_is_not_json_or_npy_is_named(tmp_path):
    from victwin.dicom import load_volume_file

    p = _volume_file(tmp_path, {})
    (tmp_path / "vol.npy.json").write_text('{"grid": [1, 2')
    with pytest.raises(ValueError) as err:
        load_volume_file(p)
    assert _one_line(err).startswith(f"{str(tmp_path / 'vol.npy.json')!r} is not valid JSON (")
    p.write_bytes(b"not an npy file")
    with pytest.raises(ValueError) as err:
        load_volume_file(p)
    assert _one_line(err).startswith(f"{str(p)!r} is not a readable .npy array (")
