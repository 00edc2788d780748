"""The analysis stage on a store with two lesion kinds whose ROIs differ in size.

VICTRE reads masses in 109-pixel ROIs and calcification clusters in 65-pixel ROIs, so one
observer cannot read both; each kind gets its own, trained on that kind's training cases, and
reader r's ratings of both kinds form reader r's MRMC ratings.
"""

import numpy as np
import pytest

from victwin.trial import TrialStore, analyse_run, provenance_record, spec_from_dict

SIZES = {"mass": 15, "calcification": 9}


def _store(tmp_path, spec, density, kind):
    """A store of 40 finished cases with noise ROIs; present ROIs add a blob (B stronger)."""
    store = TrialStore(tmp_path / "run", create=True)
    store.set_provenance(provenance_record(spec, backend="cpu", executor="test"))
    rng = np.random.default_rng(3)
    cases = [(cid, {"density": density(cid), "lesion": kind(cid),
                    "age_years": 50.0, "recipe": "breast/scattered", "phantom_seed": cid,
                    "noise_seed": cid}) for cid in range(40)]
    store.add_cases(cases)
    for cid, attrs in cases:
        n = SIZES[attrs["lesion"]]
        yy, xx = np.mgrid[:n, :n] - n // 2
        blob = np.exp(-(yy ** 2 + xx ** 2) / 8.0)
        arrays, mods = {}, {}
        for m, amp in (("A", 0.5), ("B", 1.5)):
            arrays[f"{m}/absent"] = rng.normal(size=(n, n)).astype(np.float32)
            arrays[f"{m}/present"] = (rng.normal(size=(n, n)) + amp * blob).astype(np.float32)
            mods[m] = {"roi": {"center_index": [50, 50], "size_px": [n, n], "pixel_mm": 0.5},
                       "dose": {"mgd_mgy": 1.0}, "order": 0}
        store.commit_case(cid, arrays, {"modalities": mods, "phantom": {"thickness_mm": 50.0},
                                        "lesion": {"kind": attrs["lesion"]}}, {"roi": 0.0})
    return store


def test_clustered_headline_and_a_row_for_every_subgroup(tmp_path):
    """Twins are the clusters of their ROIs; the answer uses the clustered analysis; a density
    class with too few test twins (fatty: 3 of 40 twins) still gets a row, marked too small,
    and the all row is the answer over every test ROI."""
    from victwin.stats import clustered_mrmc, read_imrmc

    spec = spec_from_dict({
        "trial": {"name": "clustered", "seed": 5},
        "cohort": {"size": 40, "density_mix": {"scattered": 0.5, "fatty": 0.5},
                   "lesions": {"mass": 1.0}},
        "modality": [{"name": "A", "system": "mammomat-dm"},
                     {"name": "B", "system": "mammomat-dm"}],
        "readers": {"n_readers": 3, "channels": {"kind": "laguerre-gauss", "count": 3,
                                                 "width_mm": 1.0}},
        "analysis": {"subgroups": ["density"]},
    })
    store = _store(tmp_path, spec, lambda c: "fatty" if c < 3 else "scattered",
                   lambda c: "mass")
    res = analyse_run(store, spec)
    store.close()
    assert res["headline"]["analysis"] == "mrmc_clustered"
    mc = res["mrmc_clustered"]
    assert mc["clusters"]["n_clusters"] == res["n_test_cases"] == 20
    assert mc["clusters"]["units_per_cluster"] == {"min": 2, "mean": 2.0, "max": 2}
    assert mc["mean_auc"] == res["mrmc"]["mean_auc"]   # same AUCs, other variance
    # independent grouping of the stored ROI ids into twins: "<case>-p", "<case>-a"
    table = read_imrmc(tmp_path / "run" / "analysis" / "scores.imrmc")
    twins = {c: c[:-2] for c in table.cases}
    ref = clustered_mrmc(table, twins).rrrc["differences"]["A-B"]
    assert mc["rrrc"]["differences"]["A-B"]["se"] == pytest.approx(ref["se"], rel=1e-12)
    sub = res["subgroups"]["density"]
    rows = {r["subgroup"]: r for r in sub["subgroups"]}
    n_fatty = sum(1 for c in table.cases if c.endswith("-p") and int(c[:-2]) < 3)
    assert "scattered" in rows and 1 <= n_fatty < 3   # this seed puts 1 fatty twin in the test set
    assert rows["fatty"]["too_small"] and rows["fatty"]["n_abnormal"] == n_fatty
    assert rows["fatty"]["difference"] is None
    assert sub["too_small"] == {"fatty": n_fatty}
    assert sub["overall"]["n_abnormal"] == 20
    assert sub["overall"]["difference"] == pytest.approx(mc["difference"], rel=1e-12)
    assert sub["overall"]["se"] == pytest.approx(mc["rrrc"]["se"], rel=1e-12)


def test_mixed_lesion_kinds_are_read_by_their_own_observers(tmp_path):
    spec = spec_from_dict({
        "trial": {"name": "mixed", "seed": 11},
        "cohort": {"size": 40, "density_mix": {"scattered": 1.0},
                   "lesions": {"mass": 0.5, "calcification": 0.5}},
        "modality": [{"name": "A", "system": "mammomat-dm"},
                     {"name": "B", "system": "mammomat-dm"}],
        "readers": {"n_readers": 3, "channels": {"kind": "laguerre-gauss", "count": 3,
                                                 "width_mm": 1.0}},
        "analysis": {"subgroups": ["lesion"]},
    })
    store = _store(tmp_path, spec, lambda cid: "scattered",
                   lambda cid: "mass" if cid % 2 else "calcification")
    results = analyse_run(store, spec)
    store.close()
    auc = results["mrmc"]["mean_auc"]
    assert auc["B"] > auc["A"]  # the stronger signal is read better
    assert results["n_test_cases"] == 20
    groups = {g["subgroup"] for g in results["subgroups"]["lesion"]["subgroups"]}
    assert groups == {"mass", "calcification"}


def test_several_sites_per_twin_are_rois_of_one_cluster(tmp_path):
    """VICTRE's layout: each twin has lesion sites of two kinds and lesion-absent sites of both
    ROI sizes; every site is an ROI, each kind is read by its own observer, and the twin is
    the cluster of all its ROIs (checked against an independent grouping of the stored ids)."""
    from victwin.stats import clustered_mrmc, read_imrmc

    spec = spec_from_dict({
        "trial": {"name": "sites", "seed": 5},
        "cohort": {"size": 30, "density_mix": {"scattered": 1.0},
                   "sites": {"mass": 2, "calcification": 1, "absent": 3}},
        "modality": [{"name": "A", "system": "mammomat-dm"},
                     {"name": "B", "system": "mammomat-dm"}],
        "readers": {"n_readers": 3, "channels": {"kind": "laguerre-gauss", "count": 3,
                                                 "width_mm": 1.0}},
        "analysis": {"subgroups": ["lesion"]},
    })
    layout = [("mass", "mass", 1), ("mass", "mass", 1), ("calcification", "calcification", 1),
              ("absent", "calcification", 0), ("absent", "calcification", 0),
              ("absent", "mass", 0)]
    store = TrialStore(tmp_path / "run", create=True)
    store.set_provenance(provenance_record(spec, backend="cpu", executor="test"))
    rng = np.random.default_rng(4)
    cases = [(cid, {"density": "scattered", "lesion": "calcification+mass", "age_years": 50.0,
                    "recipe": "breast/scattered", "phantom_seed": cid, "noise_seed": cid})
             for cid in range(30)]
    store.add_cases(cases)
    for cid, _ in cases:
        arrays, mods, sites = {}, {}, []
        anatomy = rng.normal()          # shared by the twin's ROIs: the reason for clustering
        for k, (kind, roi_kind, truth) in enumerate(layout):
            n = SIZES[roi_kind]
            yy, xx = np.mgrid[:n, :n] - n // 2
            blob = np.exp(-(yy ** 2 + xx ** 2) / 8.0)
            sites.append({"name": f"s{k}", "kind": kind, "roi_kind": roi_kind, "truth": truth,
                          "center_mm": [10.0 * k, 0.0, 20.0], "size_mm": [9.0, 9.0, 9.0]})
            for m, amp in (("A", 0.5), ("B", 1.5)):
                arrays[f"{m}/s{k}"] = (rng.normal(size=(n, n)) + anatomy * blob
                                       + truth * amp * blob).astype(np.float32)
        for m in ("A", "B"):
            mods[m] = {"roi": {"center_index": [50, 50], "size_px": [15, 15], "pixel_mm": 0.5},
                       "dose": {"mgd_mgy": 1.0}, "order": 0}
        store.commit_case(cid, arrays, {"modalities": mods, "phantom": {"thickness_mm": 50.0},
                                        "lesion": {"kind": "mass"}, "sites": sites},
                          {"roi": 0.0})
    res = analyse_run(store, spec)
    store.close()
    table = read_imrmc(tmp_path / "run" / "analysis" / "scores.imrmc")
    n_test = res["n_test_cases"]
    assert len(table.cases) == res["n_test_rois"] == 6 * n_test
    twins = {c: c.split("-")[0] for c in table.cases}
    assert set(table.cases) == {f"{t}-s{k}" for t in set(twins.values()) for k in range(6)}
    mc = res["mrmc_clustered"]
    assert mc["clusters"]["n_clusters"] == n_test
    assert mc["clusters"]["units_per_cluster"] == {"min": 6, "mean": 6.0, "max": 6}
    ref = clustered_mrmc(table, twins).rrrc["differences"]["A-B"]
    assert mc["rrrc"]["differences"]["A-B"]["se"] == pytest.approx(ref["se"], rel=1e-12)
    rows = {r["subgroup"]: r for r in res["subgroups"]["lesion"]["subgroups"]}
    # the lesion subgroup is the ROI's kind: 2 mass + 1 absent mass-sized ROI per twin
    assert rows["mass"]["n_abnormal"] == 2 * n_test and rows["mass"]["n_normal"] == n_test
    assert rows["calcification"]["n_abnormal"] == n_test
