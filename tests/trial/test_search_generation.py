"""The search reader's generation stage (``benchmarks/chest_search_reader.py``) on a tiny
chest trial run here: 4 twins of ``examples/chest-ribs.toml`` at 4 mm voxels and 2.24 mm
pixels, 2 nodules each.

References, sharing no code with the stage: each nodule's projected centre from the view
(``view.project`` of the stored centre, rounded); the stored ROIs against the same pixels
sliced out of the regenerated film (same anatomy, other noise); the response map as a
sliding-window dot product at every pixel; the marks from ``scipy.ndimage.maximum_filter``
with a disc footprint; LL = the best such mark within the acceptance radius, the film's
highest NL = the region's largest response (always a mark).
"""

from __future__ import annotations

import importlib
import json
import tomllib
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = ROOT / "benchmarks"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bench():
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(BENCHMARKS))
        return importlib.import_module("chest_search_reader")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    from victwin.trial import run_trial, spec_from_dict

    d = tomllib.loads((ROOT / "examples" / "chest-ribs.toml").read_text())
    d["cohort"].update(size=4, sites={"nodule": 2})
    d["resolution"] = {"voxel_mm": 4.0, "detector_binning": 16}
    d["readers"]["n_readers"] = 2
    out = tmp_path_factory.mktemp("search") / "run"
    run_trial(spec_from_dict(d), out, workers=1, backend="cpu", progress=False, report=False)
    return out


def _responses(image, tpl):
    """``r[j, i] = sum(tpl * image[j-h:j+h+1, i-h:i+h+1])``, NaN where the ROI leaves."""
    h = tpl.shape[0] // 2
    win = np.lib.stride_tricks.sliding_window_view(image, tpl.shape)
    out = np.full(image.shape, np.nan)
    out[h:image.shape[0] - h, h:image.shape[1] - h] = np.einsum("abij,ij->ab", win, tpl)
    return out


def _marks(resp, region, radius):
    """Pixels of ``region`` that no region pixel within ``radius`` out-responds."""
    from scipy.ndimage import maximum_filter

    r = int(np.floor(radius))
    yy, xx = np.mgrid[-r:r + 1, -r:r + 1]
    disc = yy ** 2 + xx ** 2 <= radius ** 2
    ok = region & np.isfinite(resp)
    field = np.where(ok, resp, -np.inf)
    peak = maximum_filter(field, footprint=disc, mode="constant", cval=-np.inf)
    return ok & (field >= peak)


def test_generation_reads_the_stored_run_and_scores_marks_as_brute_force(bench, run_dir,
                                                                         tmp_path, capsys):
    stored = bench.read_stored_run(run_dir)
    assert len(stored["twins"]) == 2                    # the trial's split of 4 twins
    templates, info = bench.fit_readers(run_dir, stored["spec"], stored["records"],
                                        stored["train"], stored["pixel_mm"],
                                        progress=lambda m: None)
    fitted = [k for k, v in info.items() if v["fitted"]]
    assert fitted and set(templates["CHO"]) == set(fitted) == set(templates["NPWE-25deg"])
    twin = next(t for t in stored["twins"]
                if any(n["size_class"] in fitted for n in t["nodules"]))
    films = bench.regenerate_twin(stored["spec"], twin, progress=False)
    assert all(row["equal"] for row in films["check"]) and len(films["check"]) == 2
    from victwin.trial._nodule_classes import first_view

    v = first_view(stored["spec"])
    from victwin.trial import TrialStore

    with TrialStore(run_dir) as store:
        arrays = store.read_arrays(twin["case_id"])
    for n in twin["nodules"]:
        # the nodule's projected centre: the view's projection of the stored centre
        assert n["center_px"] == [int(x) for x in np.rint(v.project(n["center_mm"]))]
        assert films["lung"][tuple(n["center_px"])]         # nodules lie in the lung field
        for name, c in ((n["site"], n["center_index"]), (n["pair"], n["pair_center_index"])):
            version = "present" if name == n["site"] else "absent"
            roi = arrays[f"PA-full/{name}"].astype(float)
            h = roi.shape[0] // 2
            new = films[version][c[0] - h:c[0] + h + 1, c[1] - h:c[1] + h + 1]
            # the same anatomy, other quantum noise: pixel for pixel alike, no offset
            assert np.corrcoef(new.ravel(), roi.ravel())[0, 1] > 0.99
            assert abs((new - roi).mean()) < 3 * (new - roi).std() / np.sqrt(roi.size) + 1e-3
    read = bench.read_twin(films, twin, templates, stored["pixel_mm"], progress=False)
    for reader in bench.READERS:
        for label in fitted:
            tpl = templates[reader][label]
            radius = bench.acceptance_px(label, stored["pixel_mm"])
            assert radius == pytest.approx(
                {"<6 mm": 3.0, "6-8 mm": 4.0, "8-15 mm": 7.5, ">=15 mm": 15.0}[label]
                / stored["pixel_mm"])
            e = read["readers"][reader][label]
            resp = _responses(films["absent"], tpl)
            region = films["lung"] & np.isfinite(resp)
            assert e["max_nl"] == pytest.approx(resp[region].max(), rel=1e-9, abs=1e-9)
            assert e["n_marks_absent"] == int(_marks(resp, films["lung"], radius).sum())
            mine = [n for n in twin["nodules"] if n["size_class"] == label]
            if not mine:
                continue
            resp = _responses(films["present"], tpl)
            marks = _marks(resp, films["lung"], radius)
            jj, ii = np.nonzero(marks)
            for n in mine:
                near = np.hypot(jj - n["center_px"][0], ii - n["center_px"][1]) <= radius
                want = resp[jj[near], ii[near]].max() if near.any() else None
                got = e["ll"][n["site"]]
                if want is None:
                    assert got is None
                else:
                    assert got == pytest.approx(want, rel=1e-9, abs=1e-9)


def test_a_changed_stored_nodule_stops_the_run_in_one_line(bench, run_dir):
    stored = bench.read_stored_run(run_dir)
    twin = json.loads(json.dumps(stored["twins"][0]))
    twin["nodules"][0]["rib_overlap_fraction"] += 1e-6
    with pytest.raises(bench.NoduleMismatch, match=r"twin \d+: regenerated nodules differ "
                                                   r"from the stored rows \(1\)") as err:
        bench.regenerate_twin(stored["spec"], twin, progress=False)
    assert "\n" not in str(err.value)


def test_main_partial_run_resumes_from_its_cache_and_computes_no_endpoint(bench, run_dir,
                                                                          tmp_path, capsys):
    out = tmp_path / "search.json"
    args = [str(run_dir), "--twins", "1", "--cache", str(tmp_path / "cache"), "--out", str(out)]
    assert bench.main(args) == 0
    first = capsys.readouterr().out
    assert "start" in first and "written as search_partial.json" in first
    assert not out.exists()
    res = json.loads((tmp_path / "search_partial.json").read_text())
    assert not res["complete"] and not res["endpoint_computed"] and "readers" not in res
    assert res["status"].startswith("partial: 1 of 2 test twins")
    assert res["checks"]["nodule_check"] == {"n_nodules": 2, "all_equal": True}
    assert len(list((tmp_path / "cache").glob("twin-*.json"))) == 1
    assert bench.main(args) == 0                         # again: the twin comes from the cache
    again = capsys.readouterr().out
    assert "start" not in again and "1 of 1 test twins cached" in again
    res2 = json.loads((tmp_path / "search_partial.json").read_text())
    assert res2["checks"]["auc_consistency"] == res["checks"]["auc_consistency"]
    # both test twins; this tiny run's training twins hold no 6-8 mm ROI, so its test
    # nodules of that class have no reader: still partial, and said so
    rest = [a for a in args if a not in ("--twins", "1")]
    assert bench.main(rest) == 0
    assert "no reader for ['6-8 mm']" in capsys.readouterr().out
    full = json.loads((tmp_path / "search_partial.json").read_text())
    assert not full["complete"] and not full["endpoint_computed"] and not out.exists()
    assert full["status"] == "partial: no reader for ['6-8 mm']; not the plan's result"
    assert full["n_twins_read"] == 2
    # the endpoint's plumbing, asked for on a run that is not the plan's
    assert bench.main(rest + ["--partial-endpoint"]) == 0
    full = json.loads((tmp_path / "search_partial.json").read_text())
    assert full["endpoint_computed"] and set(full["readers"]) == set(bench.READERS)
    assert full["primary"]["verdict"] in ("shown (CI above 0)", "reversed (CI below 0)",
                                          "not shown", "not readable")
    for row in res["checks"]["auc_consistency"].values():
        # the trial's own readers, made again, score its stored ROIs as scores.imrmc says
        # (this 4-twin run pooled its classes: those are said to be left unchecked)
        assert "not_checked" in row or row["max_abs_diff_vs_imrmc"] == 0.0


def test_bad_run_dir_is_a_one_line_error(bench, tmp_path):
    with pytest.raises(SystemExit, match=r"is not a victwin run directory") as err:
        bench.main([str(tmp_path / "nowhere")])
    assert "\n" not in str(err.value)
