"""The HTML report of a trial run: one self-contained file a reviewer opens in any browser.

Everything is inline: CSS in a ``<style>`` element, plots as base64 PNG data URIs drawn with
matplotlib's object API (``matplotlib.figure.Figure``; pyplot's global state is never
touched), no scripts and no external URLs. The order is the reviewer's: the answer first (AUC
per modality with CIs, the difference with its CI and p-value, in words), then the evidence
(ROC curves, subgroups, example images, dose, time), the provenance needed to reproduce it,
and a credibility section structured after the FDA guidance on the credibility of
computational modeling (2023) / ASME V&V 40-2018, with live verification and validation
checks (:func:`victwin.validation.run_checks`).

It reads only the run directory: ``analysis/results.json``, ``analysis/scores.imrmc``,
``analysis/forest-*.png``, the case rows and previews of the store. The sections about the
cases (example images, dose, time, failures) are in :mod:`._report_cases`; subgroup levels are
listed in their natural order (:mod:`._levels`).
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections import Counter
from pathlib import Path

import numpy as np

from ._html import (_COLORS, _CSS, _ci, _e, _f, _figure, _p, _png, _png_file, _Raw, _Span,
                    _table, empirical_roc)
from ._levels import COUNT_WORDS, forest_title, ordered_rows, subgroup_title
from ._records import CaseRecord
from ._report_cases import (_dose_section, _example_classes, _examples_section,
                            _failed_section, _timing_section)

__all__ = ["write_report", "render_report", "empirical_roc"]

# --------------------------------------------------------------------------------- sections

def headline_mrmc(res: dict) -> tuple[str, dict]:
    """The key and the MRMC dict of the analysis the answer uses (``results["headline"]``).

    Runs analysed before the clustered analysis existed have no ``headline``: their answer is
    the ROI-level ``mrmc``.
    """
    key = (res.get("headline") or {}).get("analysis", "mrmc")
    mr = res.get(key)
    if not isinstance(mr, dict) or "rrrc" not in mr:
        return "mrmc", res["mrmc"]
    return key, mr


def _first_difference(mr: dict, pair: str) -> dict:
    rr = mr["rrrc"]
    return rr["differences"].get(pair) or next(iter(rr["differences"].values()))


def _analyses_table(res: dict, level: int, pair: str, head_key: str) -> str:
    """The difference under each analysis: twins as the resampling unit and ROIs."""
    rows = []
    for key, name in (("mrmc_clustered", "twins (clustered, Obuchowski 1997)"),
                      ("mrmc", f"ROIs as independent cases ({res['mrmc'].get('cov_method')})")):
        mr = res.get(key)
        if not isinstance(mr, dict) or "rrrc" not in mr:
            continue
        d = _first_difference(mr, pair)
        rows.append([name + (" - answer" if key == head_key else ""), _f(d["estimate"]),
                     _ci(d["ci"]), _f(d["se"], 4), _f(d.get("df"), 1), _p(d["p"])])
    if len(rows) < 2:
        return ""
    return _table(["resampling unit", "difference", f"{level}% CI", "SE", "df", "p"], rows,
                  num_cols=(1, 2, 3, 4, 5))


def _clustering_note(res: dict, head_key: str) -> str:
    head = res.get("headline") or {}
    mc = res.get("mrmc_clustered") or {}
    if head_key == "mrmc_clustered":
        cl = mc.get("clusters", {})
        per = cl.get("units_per_cluster", {})
        de = mc.get("design_effect") or {}
        ratio = (f" Treating the ROIs as independent (DeLong covariances) would give an SE "
                 f"{_f(de.get('se_roi_delong'), 4)}: the clustered SE is "
                 f"{_f(de.get('se_ratio'), 2)} times it." if de.get("se_ratio") else "")
        each = (f"{per.get('min')}" if per.get("min") == per.get("max")
                else f"{per.get('min')}-{per.get('max')}")
        return (f"<p class='note'>The answer resamples twins, not ROIs "
                f"({cl.get('n_clusters')} test twins, {each} ROIs each; Obuchowski-Rockette with "
                f"the clustered covariances of Obuchowski 1997): {_e(head.get('why', ''))}."
                f"{ratio}</p>")
    why = head.get("why") or "this run was analysed before the clustered analysis existed"
    return f"<p class='note'>The answer treats ROIs as independent cases: {_e(why)}.</p>"


def _answer(res: dict, spec, checks=None) -> str:
    from victwin.stats import logit_auc_ci

    head_key, mr = headline_mrmc(res)
    a, b = res["modalities"][:2]
    alpha = float(mr.get("alpha", spec.analysis.alpha))
    level = int(round(100 * (1 - alpha)))
    rr = mr["rrrc"]
    pair = f"{a}-{b}"
    d = _first_difference(mr, pair)
    est, ci, p = d["estimate"], d["ci"], d["p"]
    ahead, behind = (a, b) if est > 0 else (b, a)
    significant = p is not None and p < alpha
    if est == 0:
        verdict = f"{a} and {b} have the same mean AUC."
    else:
        verdict = f"{ahead} is ahead of {behind} by {abs(est):.3f} in AUC"
        verdict += (f"; the difference is statistically significant at alpha = {alpha:g} "
                    f"(p = {_p(p)})." if significant else
                    f", but the difference is not statistically significant at alpha = "
                    f"{alpha:g} (p = {_p(p)}; the {level}% CI includes 0).")
    rows = []
    for m in res["modalities"]:
        s = rr["single_modality"][m]
        # logit interval of the RRRC SE (t at the same df): inside (0, 1) near AUC 1, where
        # the Wald interval in results.json (the OR software's) can pass 1
        # results.json writes an infinite df (no reader variance) as null
        ci_m = (None if s.get("se") is None or s.get("auc") is None else
                logit_auc_ci(s["auc"], s["se"], alpha=alpha,
                             df=np.inf if s.get("df") is None else s["df"]))
        rows.append([m, _f(mr["mean_auc"][m]), _ci(ci_m), _f(s["se"], 4)])
    auc_table = _table(["modality", "mean AUC", f"{level}% CI (logit)", "SE"], rows,
                       num_cols=(1, 2, 3))
    diff_table = _table(
        ["difference", "estimate", f"{level}% CI", "SE", "df", "p (two-sided)"],
        [[f"{a} - {b}", _f(est), _ci(ci), _f(d["se"], 4), _f(d.get("df"), 2), _p(p)]],
        num_cols=(1, 2, 3, 4, 5))
    ni = ""
    if res.get("non_inferiority"):
        n = res["non_inferiority"]
        ni = (f"<p>Non-inferiority of {_e(n['new'])} to {_e(n['reference'])} with margin "
              f"{_f(n['margin'])}: one-sided lower bound of the difference "
              f"{_f(n['lower_bound'])}, p = {_p(n['p'])}: <b>"
              f"{'non-inferior' if n['non_inferior'] else 'non-inferiority not shown'}</b>.</p>")
    cls = "sig" if significant else "nosig"
    unit = "twins" if head_key == "mrmc_clustered" else "cases"
    return (f'<section id="answer" class="answer"><h2 style="margin-top:0.2em">Answer</h2>'
            f'<p class="verdict {cls}" id="verdict">{_e(verdict)}</p>'
            f"<p>Mean AUC difference <b>{_e(a)} - {_e(b)} = {est:+.3f}</b> "
            f"({level}% CI {_e(_ci(ci))}, p = {_e(_p(p))}).</p>"
            f"{auc_table}{diff_table}{ni}"
            f'<p class="note">Obuchowski-Rockette analysis, random readers and random {unit} '
            f"(Hillis 2007 df), {_e(mr.get('cov_method'))} covariances; "
            f"{res['n_test_cases']} test twins ({res.get('n_test_rois', 2 * res['n_test_cases'])}"
            f" ROIs: lesion sites read in the lesion-present twin, lesion-absent sites in the "
            f"twin without lesions) of "
            f"{res['n_cases']} finished, {res['n_train_cases']} used to train the readers; "
            f"{res['n_readers']} {_e(res['observer'])} model observers per modality.</p>"
            f"{_clustering_note(res, head_key)}{_analyses_table(res, level, pair, head_key)}"
            f"{_checks_line(checks)}</section>")


def _checks_line(checks) -> str:
    if not checks:
        return ""
    n = sum(c.passed for c in checks)
    cls = "pass" if n == len(checks) else "fail"
    return (f"<p>Model credibility: <span class='{cls}'>&nbsp;{n} of {len(checks)} live "
            f"verification and validation checks passed&nbsp;</span> "
            f"(<a href=\"#credibility\">details</a>).</p>")


def _roc_section(run_dir: Path, res: dict) -> str:
    from victwin.stats import read_imrmc

    path = run_dir / "analysis" / "scores.imrmc"
    if not path.is_file():
        return "<p>No scores file (analysis/scores.imrmc).</p>"
    table = read_imrmc(path)
    fig = _figure(6.4, 5.6)
    ax = fig.add_subplot(1, 1, 1)
    for k, m in enumerate(table.modalities):
        color = _COLORS[k % len(_COLORS)]
        allx, ally = [], []
        for r in range(len(table.readers)):
            x, y = empirical_roc(table.scores[k, r], table.truth)
            ax.plot(x, y, color=color, lw=0.8, alpha=0.45)
            allx.append(table.scores[k, r])
            ally.append(table.truth)
        x, y = empirical_roc(np.concatenate(allx), np.concatenate(ally))
        auc = res["mrmc"]["mean_auc"].get(m)
        ax.plot(x, y, color=color, lw=2.6, label=f"{m} pooled (mean AUC {_f(auc)})")
    ax.plot([0, 1], [0, 1], color="0.6", ls=":", lw=1)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.set_aspect("equal")
    ax.set_xlabel("false-positive fraction")
    ax.set_ylabel("true-positive fraction")
    ax.set_title("Empirical ROC: readers (thin) and pooled ratings (thick)", fontsize=10)
    ax.legend(loc="lower right", fontsize=9)
    fig.tight_layout()
    rows = []
    for m, per in res["mrmc"]["reader_auc"].items():
        rows.append([m] + [_f(v) for v in per.values()])
    readers = list(next(iter(res["mrmc"]["reader_auc"].values())).keys())
    heads = [r if r.lower().startswith("reader") else f"reader {r}" for r in readers]
    return _png(fig) + _table(["modality"] + heads, rows,
                              num_cols=tuple(range(1, len(readers) + 1)))


def _forest(sub: dict, name: str):
    """The forest plot of a ``results.json`` subgroup entry, for runs analysed without the
    PNG: the analysis's drawer (``stats.forest_figure``), title and words."""
    from victwin.stats import forest_figure

    fig = forest_figure(ordered_rows(name, sub["subgroups"]), sub["overall"],
                        sub["modalities"], alpha=sub.get("alpha", 0.05),
                        title=forest_title(name, sub["modalities"]), **COUNT_WORDS)
    return _png(fig)


def _subgroups_section(run_dir: Path, res: dict) -> str:
    subs = res.get("subgroups") or {}
    if not subs:
        return "<p>The spec asks for no subgroup analysis.</p>"
    out = []
    a, b = res["modalities"][:2]
    for name, sub in subs.items():
        out.append(f"<h3>By {_e(subgroup_title(name))}</h3>")
        if "subgroups" not in sub:
            out.append(f"<p>No analysis for this subgroup: {_e(sub.get('error', '?'))} (groups: "
                       f"{_e(', '.join(map(str, sub.get('groups', []))))}).</p>")
            continue
        png = run_dir / "analysis" / f"forest-{name}.png"
        out.append(_png_file(png, f"forest plot by {subgroup_title(name)}") if png.is_file()
                   else _forest(sub, name))
        rows = []
        # natural order (trial/_levels.py); the analysis writes them so, this orders the
        # results.json of runs analysed before it did
        for r in ordered_rows(name, sub["subgroups"]) + [dict(sub["overall"], subgroup="all",
                                                              p_adjusted=None)]:
            counts = [r["subgroup"], r.get("n_clusters", "-"), r["n_abnormal"], r["n_normal"]]
            if r.get("too_small"):
                rows.append([*counts, _Span(r.get("note", "too few cases to analyse"), 6)])
                continue
            aucs = [_f(r["auc"][m]) if "auc_ci" not in r        # nodule subgroups: with CI
                    else f"{_f(r['auc'][m])} ({_ci(r['auc_ci'][m])})" for m in (a, b)]
            rows.append([*counts, *aucs, _f(r["difference"]), _ci(r["ci"]), _p(r["p"]),
                         _p(r.get("p_adjusted"))])
        out.append(_table(["subgroup", "twins", "lesion ROIs", "lesion-absent ROIs", f"AUC {a}",
                           f"AUC {b}", f"{a} - {b}", "CI", "p", f"p ({sub.get('correction')})"],
                          rows, num_cols=(1, 2, 3, 4, 5, 6, 7, 8, 9)))
        unit = ("twins resampled (clustered covariances)" if sub.get("cov_method") == "clustered"
                else f"ROIs as independent cases ({sub.get('cov_method')} covariances)")
        logit = (" AUC CIs are logit intervals of the RRRC SE (Pepe 2003), inside (0, 1);"
                 " difference CIs are Wald." if any("auc_ci" in r for r in sub["subgroups"])
                 else "")
        out.append(f"<p class='note'>RRRC analysis, {_e(unit)}; the all row is the answer's "
                   f"analysis of every test ROI; twins: test twins holding an ROI of the row (a twin "
                   f"has several ROIs, so ROIs are not patients).{logit}</p>")
        it = sub.get("interaction") or {}
        if it:
            out.append(f"<p class='note'>Equal differences across subgroups: F = "
                       f"{_f(it.get('statistic'))} on ({it.get('df1')}, "
                       f"{_f(it.get('ddf'), 1)}) df, p = {_p(it.get('p'))}.</p>")
        elif sub.get("note"):
            out.append(f"<p class='note'>{_e(sub['note'])}.</p>")
    return "".join(out)


def _spec_summary(spec) -> str:
    c, r, a = spec.cohort, spec.readers, spec.analysis
    mods = "; ".join(f"{m.name}: {m.system}" + (f" ({m.reconstruction.get('method')})"
                                                  if m.reconstruction else "")
                     for m in spec.modalities)
    who = ("density mix " + ", ".join(f"{k} {v:.2f}" for k, v in c.density_mix.items())
           if c.family == "breast" else
           "sex, height and BMI drawn from NHANES 2015-2018 for each twin's age")
    rows = [("cohort", f"{c.size} patient twins ({c.family}); {who}"
                       + "; lesions " + ", ".join(f"{k} {v:.2f}" for k, v in c.lesions.items())
                       + f"; age {c.age_years[0]:g}-{c.age_years[1]:g} y"),
            ("modalities", mods),
            ("resolution", f"voxel {spec.resolution.voxel_mm} mm, detector binning "
                           f"{spec.resolution.detector_binning}"),
            ("readers", f"{r.n_readers} x {r.observer}, channels {r.channels.get('kind')} "
                        f"({r.channels.get('count')}), training fraction {r.training_fraction}"),
            ("analysis", f"{a.covariance} covariances, alpha {a.alpha}, subgroups "
                         f"{', '.join(a.subgroups) or 'none'}"
                         + (f", non-inferiority margin {a.non_inferiority_margin}"
                            if a.non_inferiority_margin is not None else ""))]
    return _table(["key", "value"], rows)


def _provenance_section(store, spec, res: dict, rows: list[CaseRecord]) -> str:
    prov = store.provenance()
    from victwin.systems import get_preset

    preset = get_preset(getattr(spec, "preset", "victwin"))
    items = [("trial", spec.name), ("spec hash", res.get("spec_hash", spec.hash)),
             ("preset", f"{preset.name}: {preset.description}"),
             ("systems", ", ".join(f"{m.name}: {m.system}" for m in spec.modalities)),
             ("trial seed", spec.seed), ("created (UTC)", prov.get("created_utc", "?")),
             ("executor", prov.get("executor", "?")),
             ("backend requested", prov.get("backend_requested", "?")),
             ("backends used", ", ".join(f"{k} ({v} cases)" for k, v in
                                         Counter(r.backend or "?" for r in rows).items())),
             ("python", prov.get("python", "?")), ("platform", prov.get("platform", "?")),
             ("report written (UTC)", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))]
    if prov.get("spec_hash") and prov.get("spec_hash") != spec.hash:
        items.append(("WARNING", f"the run was made with spec {prov.get('spec_hash')}"))
    versions = prov.get("versions") or {}
    # the attributes that say who the twin is: a breast's density class; a chest twin's
    # sex, height and BMI
    who = (("density",) if spec.cohort.family == "breast" else
           ("sex", "height_cm", "bmi"))
    heads = {"density": "density", "sex": "sex", "height_cm": "height (cm)",
             "bmi": "BMI (kg/m^2)"}
    seeds = _table(["case", *(heads[k] for k in who), "lesion", "age (y)", "phantom seed",
                    "noise seed"],
                   [[r.case_id, *(r.attributes.get(k) for k in who), r.attributes.get("lesion"),
                     r.attributes.get("age_years"), r.attributes.get("phantom_seed"),
                     r.attributes.get("noise_seed")] for r in rows],
                   num_cols=(0, *(1 + i for i, k in enumerate(who) if k != "sex"
                                  and k != "density"), *range(len(who) + 2, len(who) + 5)))
    return (_table(["item", "value"], [[k, v] for k, v in items])
            + "<h3>Package versions</h3>"
            + _table(["package", "version"], sorted(versions.items()))
            + "<h3>Trial specification</h3>" + _spec_summary(spec)
            + f"<details><summary>Full specification (canonical JSON, hash "
              f"{_e(spec.hash)})</summary>"
              f"<pre>{_e(json.dumps(spec.to_dict(), indent=2, sort_keys=True))}</pre></details>"
            + f"<details><summary>Per-case seeds ({len(rows)} cases)</summary>{seeds}</details>"
            + "<p class='note'>Re-running the same spec (same hash) gives the same bytes for "
              "every ROI and the same statistics on any executor.</p>")


def _credibility_section(spec, res: dict, checks) -> str:
    from victwin.validation import models_for

    models = models_for(spec.cohort.family)

    a, b = res["modalities"][:2]
    n_pass = sum(c.passed for c in checks)
    risk = (
        "<p><b>Model risk</b> (V&amp;V 40: model influence x decision consequence). "
        "Influence is <b>high</b>: the in-silico trial is the only evidence for the "
        "comparison; no patient images enter the answer. Consequence is <b>medium</b>: "
        "the answer ranks imaging modalities for a detection task in a simulated "
        "population and is meant to inform, not replace, a clinical study. Risk: "
        "<b>medium-high</b>, so each model below needs verification and validation against "
        "independent references, rerun with the installed code.</p>")
    rows_by_model: dict[str, list] = {}
    for c in checks:
        rows_by_model.setdefault(c.model, []).append(c)
    parts = []
    for model, checks_m in rows_by_model.items():
        parts.append(f"<h3>{_e(model)}</h3><p class='note'>{_e(models.get(model, ''))}</p>")
        parts.append(_table(
            ["check", "kind", "independent reference", "measured", "tolerance", "result", "s"],
            [[c.name, c.kind, c.reference, c.measured, c.tolerance,
              _Raw(f"<span class='{'pass' if c.passed else 'fail'}'>"
                   f"{'PASS' if c.passed else 'FAIL'}</span>"), f"{c.seconds:.2f}"]
             for c in checks_m], num_cols=(6,)))
    summary_cls = "pass" if n_pass == len(checks) else "fail"
    return (
        f"<p><b>Question of interest.</b> For the detection task of this trial "
        f"({_e(', '.join(sorted(spec.cohort.lesions)))}), does {_e(b)} find lesions better "
        f"than {_e(a)}, measured by the reader-averaged area under the ROC curve?</p>"
        f"<p><b>Context of use.</b> Virtual patients (procedural {_e(spec.cohort.family)} "
        f"phantoms, {spec.cohort.size} twins, voxel {spec.resolution.voxel_mm} mm, detector "
        f"binning {spec.resolution.detector_binning}) imaged by simulated "
        f"{_e(', '.join(f'{m.name} ({m.system})' for m in spec.modalities))} systems with "
        f"ray-traced primary, convolution scatter and a detector noise model; "
        f"{_e(spec.readers.observer)} model observers read ROIs; Obuchowski-Rockette MRMC "
        f"statistics give the answer. The result applies to this simulated population and "
        f"these systems, not to human readers.</p>"
        + risk
        + f"<p><b>Verification and validation evidence</b>, run live when this report was "
          f"written: <span class='{summary_cls}'>&nbsp;{n_pass} of {len(checks)} checks "
          f"passed&nbsp;</span> ({sum(c.seconds for c in checks):.1f} s). A failed check is "
          f"shown as failed, not hidden. The full test suite (tests/raytrace, tests/physics, "
          f"tests/phantom, tests/stats) checks more of the same references.</p>"
        + "".join(parts)
        + "<p class='note'>Structure: U.S. FDA, <i>Assessing the Credibility of "
          "Computational Modeling and Simulation in Medical Device Submissions</i>, final "
          "guidance (November 2023); ASME V&amp;V 40-2018, <i>Assessing Credibility of "
          "Computational Modeling through Verification and Validation: Application to "
          "Medical Devices</i>.</p>")


# --------------------------------------------------------------------------------- assembly

def render_report(store, spec, *, checks=None) -> str:
    """The report's HTML text (see :func:`write_report`)."""
    run_dir = Path(store.dir)
    results_path = run_dir / "analysis" / "results.json"
    if not results_path.is_file():
        raise FileNotFoundError(f"{str(results_path)!r} is missing: run the analysis "
                                f"(victwin.trial.analyse_run) before the report")
    try:
        res = json.loads(results_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{str(results_path)!r} is not readable JSON ({exc}); re-run the "
                         f"analysis (victwin report RUN)") from None
    from victwin.validation import for_family, run_checks

    # the checks of this trial's body part (a chest trial shows no breast checks)
    family = spec.cohort.family
    checks = run_checks(family=family) if checks is None else for_family(checks, family)
    rows = store.case_records()
    failed = store.failed_cases()
    names = list(res["modalities"])
    what, classes = _example_classes(rows, spec.cohort.family)
    sections = [
        ("roc", "ROC curves", _roc_section(run_dir, res)),
        ("subgroups", "Subgroups", _subgroups_section(run_dir, res)),
        ("examples", f"Example images by {what}",
         _examples_section(store, rows, spec, names, what, classes)),
        ("dose", "Dose", _dose_section(rows, names)),
        ("timing", "Time per stage", _timing_section(rows)),
        ("failed", "Failed cases", _failed_section(res, failed)),
        ("provenance", "Provenance", _provenance_section(store, spec, res, rows)),
        ("credibility", "Credibility (FDA 2023 / ASME V&V 40)",
         _credibility_section(spec, res, checks)),
    ]
    nav = "".join(f'<a href="#{sid}">{_e(title)}</a>' for sid, title, _ in sections)
    body = "".join(f'<section id="{sid}"><h2>{_e(title)}</h2>{content}</section>'
                   for sid, title, content in sections)
    counts = store.counts()
    sub = (f"In-silico imaging trial, {_e(' vs '.join(names))}; {counts['done']} cases done, "
           f"{counts['failed']} failed; spec {_e(res.get('spec_hash', spec.hash))}")
    desc = f"<p>{_e(spec.description)}</p>" if spec.description else ""
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>victwin trial report: {_e(spec.name)}</title><style>{_CSS}</style>"
            f"</head><body><main><h1>Trial report: {_e(spec.name)}</h1>"
            f"<p class=\"sub\">{sub}</p>{desc}{_answer(res, spec, checks)}<nav>{nav}</nav>{body}"
            f"<p class='note'>Written by victwin; self-contained (no external resources).</p>"
            f"</main></body></html>\n")


def write_report(store, spec, *, checks=None) -> Path:
    """Write ``report.html`` into the run directory (atomically) and return its path.

    Parameters
    ----------
    store : TrialStore
        An analysed run (``analysis/results.json`` present).
    spec : TrialSpec
    checks : list of CheckResult, optional
        Credibility checks already run (default: run those of the trial's phantom family
        now, :func:`victwin.validation.run_checks`, ~15 s breast, ~30-50 s chest). The report
        shows those that apply to the trial's family (``validation.for_family``).

    Returns
    -------
    pathlib.Path
        ``RUN/report.html``.
    """
    text = render_report(store, spec, checks=checks)
    path = Path(store.dir) / "report.html"
    tmp = path.with_name(f".report.{uuid.uuid4().hex[:8]}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
