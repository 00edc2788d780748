"""Chest cohorts: bodies drawn per case from NHANES 2015-2018, subgroups by sex and BMI."""

import tomllib
from pathlib import Path

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
