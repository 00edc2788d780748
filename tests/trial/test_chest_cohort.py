"""Chest cohorts: bodies drawn per case from NHANES 2015-2018 or fixed / restricted by the
spec (``[cohort.body]``), subgroups by age, sex and BMI."""

import re
import tomllib
from pathlib import Path

import pytest

from victwin.trial import CaseRecord, CaseResult, sample_cohort
from victwin.trial._analysis import _subgroup_value
from victwin.trial._spec import spec_from_dict

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "chest-nodules.toml"


def test_chest_cases_carry_a_body_and_breast_cases_do_not():
    spec = spec_from_dict(tomllib.loads(EXAMPLE.read_text()))
    cases = sample_cohort(spec)
    sexes = [a["sex"] for _, a in cases]
    assert set(sexes) == {"female", "male"}
    assert 0.35 < sexes.count("female") / len(sexes) < 0.65
    for _, a in cases:
        assert 120 <= a["height_cm"] <= 220 and 12 <= a["bmi"] <= 70
        assert a["age_years"] >= 40
    # the same spec gives the same bodies (their own stream per case)
    assert sample_cohort(spec) == cases
    assert spec.analysis.subgroups[:3] == ("age", "sex", "bmi")


def _row(**attributes):
    return CaseRecord(case_id=0, attributes=attributes,
                      result=CaseResult(modalities={}))


def test_subgroup_values():
    row = _row(sex="male", bmi=31.2, age_years=52.0)
    assert _subgroup_value("sex", row) == "male"
    assert _subgroup_value("bmi", row) == ">=30"
    assert _subgroup_value("bmi", _row(bmi=24.9)) == "<25"
    assert _subgroup_value("bmi", _row(bmi=27.0)) == "25-30"
    assert _subgroup_value("sex", _row(density="dense")) == "female"


def _chest_spec(cohort_extra: dict, *, subgroups=("age", "sex", "bmi"), size=6):
    return spec_from_dict({
        "trial": {"name": "bodies", "seed": 3},
        "cohort": {"size": size, "lesions": {"nodule": 1.0}, **cohort_extra},
        "modality": [{"name": "A", "system": "chest-pa"},
                     {"name": "B", "system": "chest-pa", "dose_scale": 0.5}],
        "readers": {"n_readers": 2, "channels": {"kind": "laguerre-gauss", "count": 3,
                                                 "width_mm": 2.0}},
        "analysis": {"subgroups": list(subgroups)},
    })


def test_a_spec_fixes_or_restricts_the_bodies():
    spec = _chest_spec({"age_years": 55, "body": {"sex": "female", "height_cm": 158.5,
                                                  "bmi": [30, 40]}}, size=40)
    cases = sample_cohort(spec)
    assert {a["sex"] for _, a in cases} == {"female"}
    assert {a["age_years"] for _, a in cases} == {55.0}
    assert {a["height_cm"] for _, a in cases} == {158.5}
    bmi = [a["bmi"] for _, a in cases]
    assert min(bmi) >= 30 and max(bmi) <= 40 and len(set(bmi)) > 20
    # a height range and the sex drawn with the fraction given
    # the body survives the stored spec's TOML layout (a run's provenance) unchanged
    assert spec_from_dict(spec.to_toml_dict()) == spec
    spec = _chest_spec({"body": {"female_fraction": 0.0, "height_cm": [180, 190]}}, size=30)
    cases = sample_cohort(spec)
    assert {a["sex"] for _, a in cases} == {"male"}
    assert all(180 <= a["height_cm"] <= 190 for _, a in cases)


def test_specs_without_a_body_keep_their_hash_and_draws():
    # the example's hash before [cohort.body] existed (parent commit 9760a23)
    spec = spec_from_dict(tomllib.loads(EXAMPLE.read_text()))
    assert spec.hash == "6f8fd42ca86899d3" and spec.cohort.body is None
    explicit = _chest_spec({"body": {"sex": "population", "height_cm": "population",
                                     "bmi": "population"}}, size=20)
    implicit = _chest_spec({}, size=20)
    assert sample_cohort(explicit) == sample_cohort(implicit)


@pytest.mark.parametrize("cohort, key", [
    ({"body": {"height_cm": 300}}, "cohort.body.height_cm"),
    ({"body": {"height_cm": 90.0}}, "cohort.body.height_cm"),
    ({"body": {"bmi": -5}}, "cohort.body.bmi"),
    ({"body": {"bmi": [40, 30]}}, "cohort.body.bmi"),
    ({"body": {"sex": "other"}}, "cohort.body.sex"),
    ({"body": {"sex": "male", "female_fraction": 0.2}}, "cohort.body.female_fraction"),
    ({"body": {"weight_kg": 80}}, "cohort.body.weight_kg"),
    ({"age_years": [60, 95]}, "cohort.age_years"),
    ({"age_years": 12}, "cohort.age_years"),
])
def test_impossible_cohort_bodies_are_refused_in_one_line(cohort, key):
    with pytest.raises(ValueError, match=re.escape(key)) as exc:
        _chest_spec(cohort)
    assert "\n" not in str(exc.value)


def test_a_breast_cohort_takes_no_body():
    with pytest.raises(ValueError, match="cohort.body must be used only with chest") as exc:
        spec_from_dict({"trial": {"name": "b", "seed": 1},
                        "cohort": {"size": 4, "body": {"sex": "female"}},
                        "modality": [{"name": "DM", "system": "mammomat-dm"},
                                     {"name": "DM2", "system": "mammomat-dm"}]})
    assert "\n" not in str(exc.value)


def test_subgroups_of_a_restricted_cohort_in_the_analysis(tmp_path):
    """A cohort of obese twins of 70 (``[cohort.body] bmi = [30, 45]``), through the cohort
    draw and a synthetic analysed run: the age and BMI tables hold the one class the spec
    allows (WHO >= 30; >= 65 years), the sex table both sexes, each row counting its twins."""
    import numpy as np

    from victwin.trial import TrialStore, analyse, provenance_record

    n = 24
    spec = _chest_spec({"age_years": 70, "body": {"bmi": [30, 45]}}, size=n)
    cases = sample_cohort(spec)
    store = TrialStore(tmp_path / "run", create=True)
    store.set_provenance(provenance_record(spec, backend="cpu", executor="test"))
    store.add_cases(cases)
    rng = np.random.default_rng(5)
    px = 15
    yy, xx = (np.mgrid[:px, :px] - px // 2) * 0.5
    disc = (yy ** 2 + xx ** 2 <= 4.0).astype(float)
    for cid, _ in cases:
        arrays, mods = {}, {}
        for m, amp in (("A", 0.8), ("B", 0.5)):
            arrays[f"{m}/absent"] = rng.normal(size=(px, px)).astype(np.float32)
            arrays[f"{m}/present"] = (rng.normal(size=(px, px)) + amp * disc).astype(np.float32)
            mods[m] = {"roi": {"center_index": [500, 500], "size_px": [px, px],
                               "pixel_mm": 0.5, "shift_px": [0, 0]},
                       "dose": {"entrance_air_kerma_mgy": 0.1}, "order": 0}
        store.commit_case(cid, arrays, {"modalities": mods, "phantom": {},
                                        "lesion": {"kind": "nodule", "size_mm": 8.0,
                                                   "center_mm": [0.0, 0.0, 150.0]}},
                          {"roi": 0.0})
    result = analyse(store, spec).results["subgroups"]
    store.close()
    sexes = {a["sex"] for _, a in cases}
    assert sexes == {"female", "male"}
    levels = {name: [r["subgroup"] for r in result[name]["subgroups"]]
              for name in ("age", "sex", "bmi")}
    assert levels == {"age": [">=65"], "sex": ["female", "male"], "bmi": [">=30"]}
    # every test twin falls in exactly one class: the one age and BMI row count all of them,
    # the two sex rows split them
    (age,), (bmi,) = result["age"]["subgroups"], result["bmi"]["subgroups"]
    assert age["n_abnormal"] == bmi["n_abnormal"] == sum(
        r["n_abnormal"] for r in result["sex"]["subgroups"]) > 0
