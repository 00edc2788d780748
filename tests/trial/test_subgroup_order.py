"""Subgroup levels in their natural order, in results.json, the forest plots and the report;
a chest report in chest words.

The orders the tests expect are typed here from their definitions (Lung-RADS v1.1 size bands
smallest first, WHO BMI classes ascending, BI-RADS density a-d, ...), not read from the code.
The synthetic twins' classes cycle in reverse natural order, so the order in which the test
twins first show them (the order the statistics keep) is not the natural one (asserted per
variable); the rows' numbers are checked against ``stats.subgroup_analysis`` run here on
groups classed by hand.
"""

import html
import re
from pathlib import Path

import numpy as np
import pytest

from victwin.trial import (TrialStore, analyse, provenance_record, spec_from_dict,
                           write_analysis)
from victwin.trial._levels import (NOT_APPLICABLE, SEX_LEVELS, age_band, bmi_class,
                                   breast_size_class, ordered_levels, ordered_rows,
                                   subgroup_title)
from victwin.trial._report import render_report

# natural orders, typed from their definitions
NATURAL = {
    "age": ["<50", "50-64", ">=65"],                                # years, ascending
    "sex": ["female", "male"],                                      # fixed, documented
    "bmi": ["<25", "25-30", ">=30"],                                # WHO, kg/m^2 ascending
    "nodule_size": ["<6 mm", "6-8 mm", "8-15 mm", ">=15 mm"],       # Lung-RADS v1.1
    "rib_overlap": ["between ribs (<50 %)", "over ribs (>=50 %)"],
}
N_TWINS = 48
ROI_PX = 15
PIXEL_MM = 0.5
# each twin's attributes cycle through the classes in reverse natural order (periods 3, 2,
# 3, 4 and 2, shifted so that the combinations mix)
AGES = (70.0, 55.0, 45.0)
SEXES = ("male", "female")
BMIS = (33.0, 27.0, 22.0)
SIZES_MM = (20.0, 10.0, 7.0, 5.0)
OVERLAPS = (0.8, 0.2)


def _attributes(cid):
    return {"density": "n/a", "lesion": "nodule", "age_years": AGES[cid % 3],
            "recipe": "chest/adult", "phantom_seed": cid, "noise_seed": cid,
            "sex": SEXES[(cid // 3) % 2], "height_cm": 170.0, "bmi": BMIS[(cid // 2) % 3]}


def _by_hand(name, cid):
    """The class of twin ``cid`` for subgroup ``name``, from the definitions typed here."""
    a = _attributes(cid)
    if name == "age":
        return "<50" if a["age_years"] < 50 else "50-64" if a["age_years"] < 65 else ">=65"
    if name == "sex":
        return a["sex"]
    if name == "bmi":
        return "<25" if a["bmi"] < 25 else "25-30" if a["bmi"] < 30 else ">=30"
    if name == "nodule_size":
        d = SIZES_MM[cid % 4]
        return "<6 mm" if d < 6 else "6-8 mm" if d < 8 else "8-15 mm" if d < 15 else ">=15 mm"
    return NATURAL["rib_overlap"][int(OVERLAPS[(cid // 4) % 2] >= 0.5)]


@pytest.fixture(scope="module")
def chest_run(tmp_path_factory):
    """An analysed synthetic chest run with the five chest subgroups: ``(store, spec,
    analysis, report text)``."""
    spec = spec_from_dict({
        "trial": {"name": "order", "seed": 17},
        "cohort": {"size": N_TWINS, "lesions": {"nodule": 1.0}},
        "modality": [{"name": "A", "system": "chest-pa"},
                     {"name": "B", "system": "chest-pa", "dose_scale": 0.5}],
        "readers": {"n_readers": 3, "channels": {"kind": "laguerre-gauss", "count": 3,
                                                 "width_mm": 2.0}},
        "analysis": {"subgroups": list(NATURAL)},
    })
    store = TrialStore(tmp_path_factory.mktemp("order") / "run", create=True)
    store.set_provenance(provenance_record(spec, backend="cpu", executor="test"))
    cases = [(cid, _attributes(cid)) for cid in range(N_TWINS)]
    store.add_cases(cases)
    rng = np.random.default_rng(8)
    yy, xx = (np.mgrid[:ROI_PX, :ROI_PX] - ROI_PX // 2) * PIXEL_MM
    for cid, _ in cases:
        disc = (yy ** 2 + xx ** 2 <= 4.0).astype(float)
        arrays, mods = {}, {}
        for m, amp in (("A", 0.25), ("B", 0.15)):
            arrays[f"{m}/absent"] = rng.normal(size=(ROI_PX, ROI_PX)).astype(np.float32)
            arrays[f"{m}/present"] = (rng.normal(size=(ROI_PX, ROI_PX)) + amp * disc
                                      ).astype(np.float32)
            roi = {"center_index": [500, 500], "size_px": [ROI_PX, ROI_PX],
                   "pixel_mm": PIXEL_MM, "shift_px": [0, 0]}
            mods[m] = {"roi": roi, "dose": {"entrance_air_kerma_mgy": 0.1 + 0.01 * cid},
                       "order": 0}
        store.commit_case(cid, arrays, {
            "modalities": mods, "phantom": {},
            "lesion": {"kind": "nodule", "size_mm": SIZES_MM[cid % 4],
                       "center_mm": [0.0, 0.0, 150.0],
                       "rib_overlap_fraction": OVERLAPS[(cid // 4) % 2]}}, {"roi": 0.0})
    result = analyse(store, spec)
    write_analysis(store.dir, result)
    text = render_report(store, spec, checks=[])
    yield store, spec, result, text
    store.close()


def _table_levels(text, name):
    """The first-column labels of the report's table "By <name>", without the all row."""
    title = re.escape(html.escape(subgroup_title(name)))
    m = re.search(rf"<h3>By {title}</h3>.*?<table>(.*?)</table>", text, re.S)
    assert m, name
    cells = re.findall(r"<tr><td>(.*?)</td>", m.group(1))
    return [html.unescape(c) for c in cells if c != "all"]


@pytest.mark.parametrize("name", list(NATURAL))
def test_levels_are_in_natural_order_everywhere(chest_run, name):
    """results.json rows and too-small counts, the forest plot's rows and the report's table
    list the classes in natural order; first appearance in the test twins is not it."""
    store, spec, result, text = chest_run
    from victwin.stats import read_imrmc

    entry = result.results["subgroups"][name]
    rows = [r["subgroup"] for r in entry["subgroups"]]
    expected = [v for v in NATURAL[name] if v in rows]
    assert rows == expected and len(rows) >= 2
    assert list(entry["too_small"]) == [v for v in NATURAL[name] if v in entry["too_small"]]
    assert [r["subgroup"] for r in result.subgroups[name].rows] == expected   # forest plot
    assert _table_levels(text, name) == expected                             # report
    table = read_imrmc(Path(store.dir) / "analysis" / "scores.imrmc")
    first_seen = list(dict.fromkeys(_by_hand(name, int(c[:-2])) for c in table.cases))
    assert first_seen != [v for v in expected if v in first_seen]   # the test can fail


def test_ordering_leaves_every_number_as_the_statistics_give_it(chest_run):
    """Each row equals the row ``stats.subgroup_analysis`` gives for that class, the groups
    classed by hand and the twins as clusters (the analysis's headline)."""
    store, spec, result, _ = chest_run
    from victwin.stats import read_imrmc, subgroup_analysis

    table = read_imrmc(Path(store.dir) / "analysis" / "scores.imrmc")
    assert result.results["headline"]["analysis"] == "mrmc_clustered"
    clusters = {c: c[:-2] for c in table.cases}
    for name in NATURAL:
        groups = {c: _by_hand(name, int(c[:-2])) for c in table.cases}
        ref = subgroup_analysis(table, groups, cov=spec.analysis.covariance,
                                alpha=spec.analysis.alpha, clusters=clusters, min_cases=3,
                                auc_cis=name in ("nodule_size", "rib_overlap")).to_dict()
        mine = {r["subgroup"]: r for r in result.results["subgroups"][name]["subgroups"]}
        for row in ref["subgroups"]:
            assert mine[row["subgroup"]] == row, (name, row["subgroup"])
        assert result.results["subgroups"][name]["interaction"] == ref["interaction"]


def test_a_chest_report_speaks_of_chests(chest_run):
    """No breast words outside the canonical spec: the navigation and the example images go
    by sex and BMI class, the dose is air kerma (no MGD for a radiograph), the cohort and
    the per-case table name sex, height and BMI."""
    _, _, _, text = chest_run
    nav = re.search(r"<nav>(.*?)</nav>", text, re.S).group(1)
    assert "density" not in nav.lower()
    assert ">Example images by sex and BMI class<" in nav
    outside_spec = re.sub(r"<pre>.*?</pre>", "", text, flags=re.S)   # the spec as written
    plain = html.unescape(re.sub(r"<[^>]+>", " ", outside_spec)).lower()
    for word in ("density", "glandular", "mgd", "mammo", "compressed", "breast"):
        assert word not in plain, word
    assert "air kerma" in plain and "nhanes" in plain
    assert "<th>sex</th><th>height (cm)</th><th>BMI (kg/m^2)</th>" in text


def test_declared_orders_and_unknown_levels_last():
    """Every declared order, typed from its definition; a level no list declares follows
    them, "n/a" comes last; the class edges are the definitions' (lower edges inclusive)."""
    from victwin.phantom.chest.population import SEXES

    shuffled = {
        "density": (["dense", "fatty", "heterogeneous", "scattered"],
                    ["fatty", "scattered", "heterogeneous", "dense"]),        # BI-RADS a-d
        "breast_size": ([breast_size_class(t) for t in (70.0, 30.0, 50.0)],
                        ["small (<45 mm)", "medium (45-60 mm)", "large (>=60 mm)"]),
        "lesion": (["nodule", "calcification", "mass"], ["mass", "calcification", "nodule"]),
    }
    for name, levels in NATURAL.items():
        shuffled[name] = (list(reversed(levels)), levels)
    for name, (given, expected) in shuffled.items():
        assert ordered_levels(name, given + [NOT_APPLICABLE, "zzz", "aaa"]) == \
            expected + ["aaa", "zzz", NOT_APPLICABLE], name
        rows = [{"subgroup": v, "k": i} for i, v in enumerate(given)]
        assert [r["subgroup"] for r in ordered_rows(name, rows)] == expected
    assert ordered_levels("not-a-subgroup", ["b", NOT_APPLICABLE, "a"]) == ["a", "b", "n/a"]
    assert SEX_LEVELS == tuple(SEXES)
    assert [age_band(a) for a in (49.99, 50.0, 64.99, 65.0)] == ["<50", "50-64", "50-64", ">=65"]
    assert [bmi_class(b) for b in (24.99, 25.0, 29.99, 30.0)] == ["<25", "25-30", "25-30", ">=30"]
    assert [breast_size_class(t) for t in (44.9, 45.0, 59.9, 60.0)] == \
        ["small (<45 mm)", "medium (45-60 mm)", "medium (45-60 mm)", "large (>=60 mm)"]


def _forest_labels(sub, monkeypatch, tmp_path, **words):
    """The y tick labels of ``sub.forest_plot`` (the figure caught as it is saved)."""
    from matplotlib.figure import Figure

    seen = []
    monkeypatch.setattr(Figure, "savefig", lambda fig, *a, **k: seen.append(fig))
    sub.forest_plot(tmp_path / "f.png", **words)
    return [t.get_text() for t in seen[0].axes[0].get_yticklabels()]


def test_forest_and_table_say_what_they_count(chest_run, monkeypatch, tmp_path):
    """Each forest row reads "n = L lesion / A lesion-absent ROIs, T twins" and the report's
    table has twins, lesion ROIs and lesion-absent ROIs columns: counted here from the scored
    ROIs (``<twin>-p`` / ``<twin>-a``) and the classes typed above, not read from the rows."""
    from victwin.stats import read_imrmc
    from victwin.trial._levels import COUNT_WORDS

    store, _, result, text = chest_run
    table = read_imrmc(Path(store.dir) / "analysis" / "scores.imrmc")
    for name in ("nodule_size", "sex"):
        labels = _forest_labels(result.subgroups[name], monkeypatch, tmp_path, **COUNT_WORDS)
        counts = {}
        for c, t in zip(table.cases, table.truth):
            level = _by_hand(name, int(c[:-2]))
            n = counts.setdefault(level, [0, 0, set()])
            n[int(t == 0)] += 1
            n[2].add(c[:-2])
        expected = [f"{v}\nn = {counts[v][0]} lesion / {counts[v][1]} lesion-absent ROIs, "
                    f"{len(counts[v][2])} twins" for v in NATURAL[name] if v in counts]
        n_twins = len({c[:-2] for c in table.cases})
        expected.append(f"all cases\nn = {int(table.truth.sum())} lesion / "
                        f"{int((table.truth == 0).sum())} lesion-absent ROIs, {n_twins} twins")
        assert labels == expected, name
        title = re.escape(html.escape(subgroup_title(name)))
        block = re.search(rf"<h3>By {title}</h3>.*?<table>(.*?)</table>", text, re.S).group(1)
        assert "<th>twins</th><th>lesion ROIs</th><th>lesion-absent ROIs</th>" in block
        for v in NATURAL[name]:
            if v in counts:
                assert (f"<tr><td>{html.escape(v)}</td><td class=\"num\">{len(counts[v][2])}"
                        f"</td><td class=\"num\">{counts[v][0]}</td><td class=\"num\">"
                        f"{counts[v][1]}</td>") in block, (name, v)


def test_a_chest_report_lists_the_chest_checks_not_the_breast_ones(chest_run):
    """Given every check's result, a chest trial's credibility section lists the chest beam,
    anatomy and nodule checks and those of every trial, and none whose reference is a breast
    (MGD of a standard breast, a-Se MTF, VICTRE's spectrum and tissues, ...); the answer
    counts the same checks. Names typed here."""
    from victwin.validation import CHECKS, CheckResult

    store, spec, _, _ = chest_run
    every = [CheckResult(m, n, k, r, "measured", t, True, 0.0) for m, n, k, r, t, _ in CHECKS]
    text = render_report(store, spec, checks=every)
    cred = html.unescape(re.search(r'<section id="credibility">(.*?)</section>', text,
                                   re.S).group(1))
    for name in ("lung volume of a man and a woman", "cardiothoracic ratio",
                 "twelve posterior rib pairs a thoracic level apart", "diaphragm level",
                 "nodule sizes (2000 draws)", "nodule types (2000 draws)",
                 "nodule margins (2000 draws)", "RQA5 photon fluence per air kerma",
                 "water attenuation at 60 keV", "path lengths per label vs exact slab chords",
                 "Van Dyke OR-jackknife RRRC test"):
        assert name in cred, name
    for name in ("mean glandular dose, standard breast", "a-Se detector presampled MTF",
                 "VICTRE spectrum as loaded", "VICTRE tissue attenuation",
                 "glandular fraction of fatty and dense breasts", "texture power-law exponent",
                 "scatter-to-primary ratio, 4.5 cm x 15 cm breast",
                 "water attenuation at 20 keV", "MC-GPU"):
        assert name not in cred, name
    outside_spec = re.sub(r"<pre>.*?</pre>", "", text, flags=re.S)
    plain = html.unescape(re.sub(r"<[^>]+>", " ", outside_spec)).lower()
    for word in ("glandular", "mgd", "mammo", "compressed", "breast"):
        assert word not in plain, word
    shown = [c for c in every if c.name in cred]
    assert f"{len(shown)} of {len(shown)} live verification and validation checks passed" in \
        html.unescape(re.sub(r"<[^>]+>", "", text))
    assert "chest twins" in cred
