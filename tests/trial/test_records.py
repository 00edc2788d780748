"""Typed trial records: the JSON form, runs written before format versions, one-line errors.

``LEGACY_RESULT`` is a case row's ``result`` column as the code before typed records wrote it
(case 0 of ``tests/trial/tiny.toml``, run at eed14ec): it must read, and write back the same
JSON plus ``format_version``.
"""

from __future__ import annotations

import copy
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from victwin.trial import CaseResult, RoiRecord, TrialStore, analyse, write_analysis
from victwin.trial._records import RESULT_FORMAT

REPO = Path(__file__).resolve().parents[2]

_ROI_DM = {"center_index": [83, 83], "pixel_mm": 1.36, "shift_px": [0, 0], "size_px": [7, 7]}
_ROI_DBT = {"center_index": [26, 86, 80], "shift_px": [0, 0, 0], "size_px": [9, 7, 7],
            "voxel_mm": [1.0, 1.3181538461538462, 1.3181538461538462]}
LEGACY_RESULT = {
    "lesion": {"center_mm": [106.5, -12.5, 46.5], "kind": "mass", "size_mm": 5.820058553952979},
    "modalities": {
        "DBT": {"dose": {"entrance_air_kerma_mgy": 1.1254178287092413,
                         "mgd_mgy": 0.2952724930395514},
                "exposure": {"anode": "W", "hvl_mm_al": 0.4805672832678034, "kvp": 30.0,
                             "mas_total": 16.5, "n_views": 5},
                "order": 1, "roi": dict(_ROI_DBT),
                "rois": {"absent": dict(_ROI_DBT), "present": dict(_ROI_DBT)}},
        "DM": {"dose": {"entrance_air_kerma_mgy": 3.733478679098911,
                        "mgd_mgy": 1.0137611945943072},
               "exposure": {"anode": "W", "hvl_mm_al": 0.4805672832678034, "kvp": 30.0,
                            "mas_total": 54.6, "n_views": 1},
               "order": 0, "roi": dict(_ROI_DM),
               "rois": {"absent": dict(_ROI_DM), "present": dict(_ROI_DM)}}},
    "mode": "lesion-local",
    "phantom": {"glandular_fraction_mass": 0.217682, "glandular_fraction_volume": 0.199245,
                "thickness_mm": 53.1406, "voxels": [54, 146, 136]},
    "sites": [{"center_mm": [106.5, -12.5, 46.5], "kind": "mass", "name": "present",
               "roi_kind": "mass", "size_mm": [9.265, 9.265, 9.0], "truth": 1},
              {"center_mm": [106.5, -12.5, 46.5], "kind": "absent", "name": "absent",
               "roi_kind": "mass", "size_mm": [9.265, 9.265, 9.0], "truth": 0}]}


def _sorted(d):
    return json.loads(json.dumps(d, sort_keys=True))


def test_a_result_written_before_versions_reads_and_writes_back_the_same_json():
    res = CaseResult.from_dict(copy.deepcopy(LEGACY_RESULT))
    assert res.modalities["DBT"].roi.pitch_mm == pytest.approx(1.3181538461538462)
    assert res.modalities["DM"].roi.pitch_mm == 1.36
    assert res.modalities["DM"].dose.mgd_mgy == pytest.approx(1.0137611945943072)
    assert [s.truth for s in res.sites] == [1, 0]
    assert res.phantom.voxels == (54, 146, 136)
    assert _sorted(res.to_dict()) == _sorted(dict(LEGACY_RESULT, format_version=RESULT_FORMAT))
    assert CaseResult.from_dict(res.to_dict()) == res


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["modalities"]["DM"]["roi"].update(size_px="x"),
     "case 3 result: modalities.DM.roi.size_px must be a list of at least 2, each an integer "
     ">= 1, got 'x'"),
    (lambda d: d["modalities"]["DBT"]["roi"].pop("center_index"),
     "case 3 result: missing key modalities.DBT.roi.center_index"),
    (lambda d: d["sites"][1].update(truth=2),
     "case 3 result: sites[1].truth must be <= 1, got 2"),
    (lambda d: d["modalities"]["DM"].update(dosee={}),
     "case 3 result: unknown key modalities.DM.dosee; did you mean dose?"),
    (lambda d: d.update(format_version=RESULT_FORMAT + 1),
     f"case 3 result: format_version {RESULT_FORMAT + 1} is newer than this victwin reads "
     f"({RESULT_FORMAT})"),
    (lambda d: d.update(format_version="1"),
     "case 3 result: format_version must be an integer from 1 to"),
])
def test_a_wrong_result_fails_in_one_line_naming_the_key(edit, message):
    d = copy.deepcopy(LEGACY_RESULT)
    edit(d)
    with pytest.raises(ValueError) as err:
        CaseResult.from_dict(d, "case 3 result")
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_roi_record_pitch_and_json():
    voi = RoiRecord.from_dict(_ROI_DBT)
    assert voi.voxel_mm == (1.0, 1.3181538461538462, 1.3181538461538462)
    assert voi.pixel_mm is None and voi.to_dict() == _ROI_DBT
    with pytest.raises(ValueError, match="neither pixel_mm nor voxel_mm"):
        RoiRecord(center_index=(1, 2), size_px=(3, 3)).pitch_mm


def _strip_versions(run_dir: Path) -> None:
    """Make a run look written before format versions: no ``format_version`` anywhere."""
    db = sqlite3.connect(run_dir / "trial.sqlite")
    with db:
        db.execute("DELETE FROM provenance WHERE key = 'format_version'")
        for cid, text in db.execute("SELECT case_id, result FROM cases WHERE result IS NOT NULL"
                                    ).fetchall():
            d = json.loads(text)
            d.pop("format_version")
            db.execute("UPDATE cases SET result = ? WHERE case_id = ?", (json.dumps(d), cid))
    db.close()


@pytest.fixture
def run_copy(synthetic_run, tmp_path):
    """A copy of the session's synthetic run directory: ``(path, spec, results)``."""
    store, spec, results = synthetic_run
    shutil.copytree(store.dir, tmp_path / "run", ignore=shutil.ignore_patterns(".lock"))
    return tmp_path / "run", spec, results


def test_analyse_writes_nothing_and_a_run_without_versions_gives_the_same_answer(run_copy,
                                                                                tmp_path):
    """A run written before versions (the same layout without the fields) is read as version
    1 and gives the same results; ``analyse`` leaves the analysis folder untouched."""
    run, spec, results = run_copy
    _strip_versions(run)
    before = {p.name: p.stat().st_mtime_ns for p in (run / "analysis").iterdir()}
    with TrialStore(run) as old:
        assert "format_version" not in old.provenance()
        assert "format_version" not in old.done_cases()[0]["result"]
        legacy = analyse(old, spec)
    assert {p.name: p.stat().st_mtime_ns for p in (run / "analysis").iterdir()} == before
    assert _sorted(legacy.results) == _sorted(results)
    write_analysis(tmp_path / "copy", legacy)
    assert json.loads((tmp_path / "copy" / "analysis" / "results.json").read_text()) == \
        _sorted(results)


def test_a_run_of_a_newer_format_is_refused_in_one_line(run_copy):
    run = run_copy[0]
    with TrialStore(run) as store:
        store.set_provenance({"format_version": 99})
    with pytest.raises(ValueError) as err:
        TrialStore(run)
    assert str(err.value) == (f"run {str(run)!r}: format_version 99 is newer than "
                              f"this victwin reads (1); update victwin to read it")
    proc = subprocess.run([sys.executable, "-m", "victwin.cli", "report", str(run)],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode != 0
    assert proc.stderr.strip().count("\n") == 0 and "format_version 99" in proc.stderr


def test_a_damaged_case_row_names_the_run_the_case_and_the_key(run_copy):
    run, spec, _ = run_copy
    with TrialStore(run) as store:
        row = store.done_cases()[3]
        bad = dict(row["result"])
        bad["modalities"]["DM"]["roi"]["pixel_mm"] = -1.0
        store.db.execute("UPDATE cases SET result = ? WHERE case_id = ?",
                         (json.dumps(bad), row["case_id"]))
        with pytest.raises(ValueError) as err:
            analyse(store, spec)
    assert str(err.value) == (f"run {str(run)!r}: case {row['case_id']} result: "
                              f"modalities.DM.roi.pixel_mm must be > 0, got -1.0")


def test_a_chest_dose_has_no_mgd():
    """A radiograph has no mean glandular dose (``acq.dose.mgd_mgy`` is None): its record
    keeps the entrance air kerma and says nothing of MGD; a negative MGD is still refused."""
    from victwin.trial._records import Dose

    d = Dose.from_dict({"mgd_mgy": None, "entrance_air_kerma_mgy": 0.14})
    assert d.mgd_mgy is None and d.entrance_air_kerma_mgy == 0.14
    assert d.to_dict() == {"entrance_air_kerma_mgy": 0.14}
    assert Dose.from_dict(d.to_dict()) == d
    with pytest.raises(ValueError, match="mgd_mgy"):
        Dose.from_dict({"mgd_mgy": -1.0})
