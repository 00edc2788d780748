"""The HTML report of a synthetic analysed run: content, self-containment, headless Chromium.

The run (``synthetic_run`` in conftest.py) has noise-plus-blob ROIs whose blob is stronger in
the second modality (DBT), so the report must say DBT is ahead; the numbers it prints are
checked against ``analysis/results.json`` and the store rows, and the ROC curve it draws
against the Mann-Whitney AUC of ``victwin.stats``.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats as sst
from scipy.special import expit, logit

from victwin.trial import RoiRecord, write_report
from victwin.validation import CheckResult
from victwin.trial._report import _answer, empirical_roc, render_report
from victwin.trial._report_cases import _lesion_mark

SECTIONS = ("answer", "roc", "subgroups", "examples", "dose", "timing", "failed", "provenance",
            "credibility")
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def report(synthetic_run, credibility_results):
    store, spec, results = synthetic_run
    path = write_report(store, spec, checks=credibility_results)
    return path, path.read_text(encoding="utf-8"), results


def _section(text: str, sid: str) -> str:
    m = re.search(rf'<section id="{sid}"[^>]*>(.*?)</section>', text, re.S)
    assert m, f"section {sid!r} missing"
    return m.group(1)


def _plain(fragment: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)))


def test_answer_states_the_numbers_of_results_json(report):
    path, text, res = report
    answer = _plain(_section(text, "answer"))
    # the answer is the clustered analysis (twins resampled), the ROI-level one is beside it
    assert res["headline"]["analysis"] == "mrmc_clustered"
    mr = res["mrmc_clustered"]
    d = mr["rrrc"]["differences"]["DM-DBT"]
    # the synthetic blob is stronger in DBT: DBT ahead, and significantly (known design)
    assert d["estimate"] < 0 and d["p"] < 0.05
    assert f"DBT is ahead of DM by {abs(d['estimate']):.3f} in AUC" in answer
    assert "statistically significant at alpha = 0.05" in answer
    assert "not statistically significant" not in answer
    assert f"DM - DBT = {d['estimate']:+.3f}" in answer
    assert f"95% CI {d['ci'][0]:.3f} to {d['ci'][1]:.3f}" in answer
    assert f"p = {d['p']:.3f}" in answer
    for m in ("DM", "DBT"):
        # each AUC's CI: the logit interval of the RRRC SE, t at its df (Pepe 2003 sec. 5.2),
        # written out here
        s = mr["rrrc"]["single_modality"][m]
        h = sst.t.ppf(0.975, s["df"]) * s["se"] / (s["auc"] * (1 - s["auc"]))
        ci = expit(logit(s["auc"]) - h), expit(logit(s["auc"]) + h)
        assert f"{m} {mr['mean_auc'][m]:.3f} {ci[0]:.3f} to {ci[1]:.3f}" in answer
    # the answer comes first: before every other section
    assert text.index('id="answer"') < min(text.index(f'id="{s}"') for s in SECTIONS[1:])


def test_answer_shows_both_analyses_and_names_the_resampling_unit(report):
    _, text, res = report
    answer = _plain(_section(text, "answer"))
    roi = res["mrmc"]["rrrc"]["differences"]["DM-DBT"]
    clu = res["mrmc_clustered"]["rrrc"]["differences"]["DM-DBT"]
    assert "resamples twins, not ROIs" in answer
    assert f"twins (clustered, Obuchowski 1997) - answer {clu['estimate']:.3f}" in answer
    assert f"ROIs as independent cases (jackknife) {roi['estimate']:.3f}" in answer
    assert f"{roi['se']:.4f}" in answer and f"{clu['se']:.4f}" in answer


def test_subgroup_table_lists_every_class_and_its_all_row_is_the_answer(report, synthetic_run):
    _, text, res = report
    store, _, _ = synthetic_run
    sub = res["subgroups"]["density"]
    # every density class of the test twins has a row, analysed or marked too small
    test_ids = {c.rsplit("-", 1)[0] for c in _scored_ids(store)}
    classes = {r["attributes"]["density"] for r in store.done_cases() if str(r["case_id"]) in test_ids}
    assert {r["subgroup"] for r in sub["subgroups"]} == classes
    small = [r for r in sub["subgroups"] if r.get("too_small")]
    assert small and all(r["n_abnormal"] < 3 and r["difference"] is None for r in small)
    section = _plain(_section(text, "subgroups"))
    for r in small:
        assert (f"{r['subgroup']} {r['n_clusters']} {r['n_abnormal']} {r['n_normal']} "
                f"too few cases") in section
    head = res["mrmc_clustered"]["rrrc"]["differences"]["DM-DBT"]
    assert sub["overall"]["difference"] == pytest.approx(head["estimate"], rel=1e-12)
    assert sub["overall"]["ci"] == pytest.approx(head["ci"], rel=1e-12)
    assert sub["cov_method"] == "clustered"


def _scored_ids(store):
    from victwin.stats import read_imrmc

    return read_imrmc(Path(store.dir) / "analysis" / "scores.imrmc").cases


def test_an_auc_near_one_with_no_reader_variance_gets_a_normal_logit_ci(synthetic_run):
    """results.json writes an infinite df (no reader variance) as null: the AUC's CI is then
    the logit interval with the normal quantile (Pepe 2003 p. 107, written out here), inside
    (0, 1) where the Wald one (0.98 +- 1.96 x 0.02) is not."""
    _, spec, res = synthetic_run
    mod = json.loads(json.dumps(res))
    s = mod[res["headline"]["analysis"]]["rrrc"]["single_modality"]["DM"]
    s.update(auc=0.98, se=0.02, df=None)
    mod[res["headline"]["analysis"]]["mean_auc"]["DM"] = 0.98
    h = sst.norm.ppf(0.975) * 0.02 / (0.98 * 0.02)
    lo, hi = expit(logit(0.98) - h), expit(logit(0.98) + h)
    assert hi < 1.0 < 0.98 + 1.96 * 0.02
    assert f"DM 0.980 {lo:.3f} to {hi:.3f} 0.0200" in _plain(_answer(mod, spec))


def test_answer_wording_for_the_other_outcomes(synthetic_run):
    _, spec, res = synthetic_run
    flipped = json.loads(json.dumps(res))
    d = flipped[res["headline"]["analysis"]]["rrrc"]["differences"]["DM-DBT"]
    d.update(estimate=0.042, p=0.31, ci=[-0.04, 0.124])
    text = _plain(_answer(flipped, spec))
    assert "DM is ahead of DBT by 0.042 in AUC" in text
    assert "not statistically significant at alpha = 0.05 (p = 0.310" in text
    assert "CI includes 0" in text


def test_every_section_is_present_and_filled(report):
    _, text, _ = report
    for sid in SECTIONS:
        assert len(_plain(_section(text, sid))) > 40, sid
    assert "By density" in text and "By lesion" in text
    # the lesion subgroup has one group only: its error is shown, not hidden
    assert "fewer than two subgroups" in _section(text, "subgroups")


def test_images_are_embedded_png_data_uris(report):
    _, text, _ = report
    srcs = re.findall(r'<img[^>]*\ssrc="([^"]*)"', text)
    # ROC, forest (density), examples, dose, time per stage
    assert len(srcs) >= 5
    for src in srcs:
        assert src.startswith("data:image/png;base64,")
        png = base64.b64decode(src.split(",", 1)[1], validate=True)
        assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_self_contained_no_urls_scripts_or_links(report):
    _, text, _ = report
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "data:", text)
    assert not re.search(r"https?:|ftp:|//[a-z]", text, re.I)
    assert "<script" not in text.lower() and "<link" not in text.lower()
    assert "@import" not in text and "url(" not in text
    hrefs = re.findall(r'href="([^"]*)"', text)
    assert hrefs and all(h.startswith("#") for h in hrefs)


def test_failed_cases_dose_timing_and_provenance(report, synthetic_run):
    _, text, _ = report
    store, spec, _ = synthetic_run
    failed = _plain(_section(text, "failed"))
    for f in store.failed_cases():
        assert f"{f['case_id']} {f['attempts']} {f['error']}" in failed
    rows = store.done_cases()
    dose = _plain(_section(text, "dose"))
    for m in ("DM", "DBT"):
        mgd = np.array([r["result"]["modalities"][m]["dose"]["mgd_mgy"] for r in rows])
        assert f"{m} {len(rows)} {mgd.mean():.3f} {np.median(mgd):.3f}" in dose
    timing = _plain(_section(text, "timing"))
    ph = np.array([r["timings"]["phantom"] for r in rows])
    assert f"phantom {len(rows)} {ph.mean():.3f}" in timing
    prov = _plain(_section(text, "provenance"))
    assert spec.hash in prov and "local x1" in prov and str(spec.seed) in prov
    assert f"numpy {np.__version__}" in prov
    first = rows[0]["attributes"]
    assert f"{first['phantom_seed']} {first['noise_seed']}" in prov


def _breast(results):
    """The results of the checks a breast trial shows (``checks_for("breast")``)."""
    from victwin.validation import checks_for

    names = {c[1] for c in checks_for("breast")}
    return [c for c in results if c.name in names]


def test_credibility_section_lists_every_check_of_a_breast_trial(report, credibility_results):
    """Given every check (breast and chest), a breast trial's report lists the breast ones
    and those of every trial (MGD of a standard breast, VICTRE's pipeline, ...), no chest one
    (lung volume, nodule draws, the chest PA beam)."""
    _, text, _ = report
    cred = _plain(_section(text, "credibility"))
    for word in ("Question of interest", "Context of use", "Model risk", "ASME V&V 40"):
        assert word in cred
    for model in ("ray tracer", "X-ray physics", "phantoms", "statistics"):
        assert model in cred
    mine = _breast(credibility_results)
    assert 0 < len(mine) < len(credibility_results)
    for c in mine:
        assert c.name in cred
    for name in ("mean glandular dose, standard breast", "VICTRE calcification cluster"):
        assert name in cred
    for c in credibility_results:
        if c not in mine:
            assert c.name not in cred
    assert "lung volume" not in cred and "nodule" not in cred and "compressed-breast" in cred
    n = sum(c.passed for c in mine)
    assert f"{n} of {len(mine)} checks passed" in cred


def test_a_failing_check_is_shown_failed(synthetic_run):
    store, spec, _ = synthetic_run
    checks = [CheckResult("ray tracer", "good", "verification", "ref A", "1.0", "tol", True, 0.1),
              CheckResult("statistics", "broken one", "validation", "ref B",
                          "error: ValueError: boom", "tol", False, 0.2)]
    cred = _section(render_report(store, spec, checks=checks), "credibility")
    assert "1 of 2 checks passed" in _plain(cred)
    assert re.search(r"broken one.*error: ValueError: boom.*class='fail'>FAIL", cred, re.S)


def test_roc_curve_area_is_the_mann_whitney_auc():
    from victwin.stats import auc

    rng = np.random.default_rng(5)
    truth = np.repeat([0, 1], [23, 17])
    scores = np.round(rng.normal(truth * 0.8, 1.0), 1)  # rounding makes ties
    fpf, tpf = empirical_roc(scores, truth)
    assert fpf[0] == tpf[0] == 0 and fpf[-1] == tpf[-1] == 1
    assert np.all(np.diff(fpf) >= 0) and np.all(np.diff(tpf) >= 0)
    area = float(np.sum(np.diff(fpf) * (tpf[1:] + tpf[:-1]) / 2))
    assert area == pytest.approx(auc(scores, truth), abs=1e-12)
    with pytest.raises(ValueError, match="both classes"):
        empirical_roc([1.0, 2.0], [1, 1])


def test_lesion_mark_rescales_roi_centre_to_the_preview():
    roi = RoiRecord(center_index=(4, 80, 120), size_px=(9, 16, 16), image_shape=(160, 200))
    r, c, rad = _lesion_mark(roi, (40, 50))
    assert (r, c, rad) == pytest.approx((20.0, 30.0, 2.0))
    assert _lesion_mark(RoiRecord(center_index=(80, 120), size_px=(16, 16)), (40, 50)) is None
    assert _lesion_mark(None, (40, 50)) is None


def test_written_atomically_and_pyplot_untouched(report, synthetic_run, credibility_results):
    path, _, _ = report
    store, spec, _ = synthetic_run
    again = write_report(store, spec, checks=credibility_results)
    assert again == path == Path(store.dir) / "report.html"
    assert not list(Path(store.dir).glob(".report.*"))
    if "matplotlib.pyplot" in sys.modules:
        assert sys.modules["matplotlib.pyplot"].get_fignums() == []


def test_missing_analysis_is_a_clear_error(tmp_path):
    from victwin.trial import TrialStore, spec_from_dict

    from .conftest import SPEC

    with TrialStore(tmp_path / "run", create=True) as store:
        with pytest.raises(FileNotFoundError, match="results.json.*analyse_run"):
            write_report(store, spec_from_dict(SPEC))
    assert not (tmp_path / "run" / "report.html").exists()


# --- headless Chromium ------------------------------------------------------------------------

def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI"):
        pytest.fail("headless Chromium is required in CI to test the report but no chromium "
                    "binary is on PATH (install the Debian package 'chromium')")
    pytest.skip("chromium not installed (apt-get install chromium); required when CI is set")


def _run_chromium(exe, tmp_path, *args):
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'profile'}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180)


def test_opens_in_headless_chromium(report, tmp_path):
    from PIL import Image

    exe = _chromium()
    path, _, res = report
    dom = _run_chromium(exe, tmp_path, "--dump-dom", path.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    d = res[res["headline"]["analysis"]]["rrrc"]["differences"]["DM-DBT"]
    text = _plain(dom.stdout)
    assert f"DBT is ahead of DM by {abs(d['estimate']):.3f} in AUC" in text
    assert "Credibility" in text and "Provenance" in text
    assert len(re.findall(r'<img[^>]*src="data:image/png;base64,', dom.stdout)) >= 5
    shot = tmp_path / "report.png"
    out = _run_chromium(exe, tmp_path, f"--screenshot={shot}", "--window-size=1200,3000",
                        "--hide-scrollbars", path.as_uri())
    assert out.returncode == 0 and shot.is_file(), out.stderr[-2000:]
    img = np.asarray(Image.open(shot).convert("L"), float)
    assert img.shape == (3000, 1200)
    assert img.std() > 20  # a rendered page with text and plots, not a blank one
    if os.environ.get("VICTWIN_UPDATE_DOCS"):  # refresh the screenshot in docs/report/
        (REPO / "docs" / "report").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, REPO / "docs" / "report" / "report.png")


def test_missing_chromium_fails_in_ci_and_skips_outside(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="install the Debian package 'chromium'"):
        _chromium()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        _chromium()


def test_non_inferiority_is_stated_when_the_spec_asks(synthetic_run):
    from victwin.stats import ScoreTable, mrmc, non_inferiority, read_imrmc

    store, spec, res = synthetic_run
    table = read_imrmc(Path(store.dir) / "analysis" / "scores.imrmc")
    assert isinstance(table, ScoreTable)
    ni = non_inferiority(mrmc(table, "jackknife"), 0.05, new="DBT", reference="DM")
    with_ni = dict(res, non_inferiority=ni)
    text = _plain(_answer(with_ni, spec))
    assert f"Non-inferiority of DBT to DM with margin 0.050" in text
    assert f"lower bound of the difference {ni['lower_bound']:.3f}" in text
    assert ("non-inferior" if ni["non_inferior"] else "non-inferiority not shown") in text


def test_answer_block_summarises_the_credibility_checks(report, credibility_results):
    _, text, _ = report
    answer = _plain(_section(text, "answer"))
    mine = _breast(credibility_results)
    n = sum(c.passed for c in mine)
    assert f"{n} of {len(mine)} live verification and validation checks passed" in answer


def test_a_run_without_forest_pngs_gets_the_analysis_forest_plots(synthetic_run, monkeypatch):
    """The report draws a subgroup's forest plot from ``results.json`` when the analysis PNG
    is missing: with the analysis's one drawer (``stats.forest_figure``), so at the PNG's
    120 dpi it is the written ``analysis/forest-<name>.png`` pixel for pixel; and its rows
    are ``results.json``'s, in natural order, their intervals the rows' ``ci`` (read off the
    drawn lines)."""
    import io

    import matplotlib.image as mpimg

    from victwin.trial import _report
    from victwin.trial._levels import ordered_rows

    store, _, res = synthetic_run
    seen = []
    monkeypatch.setattr(_report, "_png", lambda fig: seen.append(fig) or "")
    names = [n for n, s in res["subgroups"].items() if "subgroups" in s]
    assert names == ["density", "lesion"]
    for name in names:
        sub = res["subgroups"][name]
        _report._forest(sub, name)
        fig = seen[-1]
        buf = io.BytesIO()
        fig.savefig(buf, dpi=120, format="png")
        buf.seek(0)
        written = mpimg.imread(Path(store.dir) / "analysis" / f"forest-{name}.png")
        assert np.array_equal(mpimg.imread(buf), written), name
        rows = ordered_rows(name, sub["subgroups"]) + [sub["overall"]]
        drawn = [r for r in rows if not r.get("too_small")]
        ax = fig.axes[0]
        spans = [tuple(line.get_xdata()) for line in ax.lines if len(line.get_xdata()) == 2
                 and line.get_xdata()[0] != line.get_xdata()[1]]
        assert spans == [tuple(r["ci"]) for r in drawn], name
        labels = [t.get_text().split("\n")[0] for t in ax.get_yticklabels()]
        assert labels == [r["subgroup"] for r in rows[:-1]] + ["all cases"]
