"""The one config schema: each rule's message names the key, the rule and the value; unknown
keys get a suggestion; defaults are filled in; every config file kind uses the one format."""

import copy
import re
import tomllib
from pathlib import Path

import pytest

from victwin import schema as S

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("field, value, message", [
    (S.Number(2, 10, integer=True), 1, "x must be >= 2, got 1"),
    (S.Number(2, 10, integer=True), 11, "x must be <= 10, got 11"),
    (S.Number(2, 10, integer=True), 2.5, "x must be an integer, got 2.5"),
    (S.Number(2, 10, integer=True), "3", "x must be an integer, got '3'"),
    (S.Number(0, lo_open=True), 0, "x must be > 0, got 0"),
    (S.Number(0, 1, hi_open=True), 1.0, "x must be < 1, got 1.0"),
    (S.Number(), float("nan"), "x must be finite, got nan"),
    (S.Number(), True, "x must be a number, got True"),
    (S.Choice(("a", "b")), "c", "x must be one of 'a', 'b', got 'c'"),
    (S.Boolean(), "yes", "x must be true or false, got 'yes'"),
    (S.Pair(0, 5), [4, 1], "x must be [min, max] with 0 <= min <= max <= 5, got [4, 1]"),
    (S.List(S.Number(0), length=2), [1, -1], "x[1] must be >= 0, got -1"),
    (S.Tuple(S.String(), S.Number(0), rule_text="[material, mm]"), ["Al"],
     "x must be [material, mm], got ['Al']"),
    (S.Range(S.Number(0)), {"min": 3, "max": 1}, "x must be {min, max} with min <= max, got"),
    (S.Range(S.Number(0)), {"min": -3, "max": 1}, "x.min must be >= 0, got -3"),
])
def test_each_rule_names_key_rule_and_value(field, value, message):
    with pytest.raises(ValueError) as info:
        S.check(field, value, "thing", "x")
    assert str(info.value).startswith("thing: " + message)


def test_unknown_key_suggests_the_closest_and_lists_otherwise():
    table = S.Table({"size": S.Number(), "seed": S.Number()})
    cohort = S.Table({"cohort": table})
    with pytest.raises(ValueError) as info:
        S.check(cohort, {"cohort": {"szie": 3, "seed": 1}}, "trial spec")
    assert str(info.value) == "trial spec: unknown key cohort.szie; did you mean size?"
    with pytest.raises(ValueError) as info:
        S.check(cohort, {"cohort": {"colour": 3}}, "trial spec")
    assert str(info.value) == ("trial spec: unknown key cohort.colour; valid keys here: seed, "
                               "size")


def test_missing_key_says_what_it_needs():
    with pytest.raises(ValueError) as info:
        S.check(S.Table({"seed": S.Number(0, integer=True)}), {}, "trial spec", "trial")
    assert str(info.value) == "trial spec: missing key trial.seed (an integer >= 0)"


def test_defaults_are_filled_and_checked_like_given_values():
    table = S.Table({"r": S.Range(S.Number(0), default=2), "n": S.Number(default=None),
                     "sub": S.Table({"k": S.Choice(("a", "b"), default="b")}, default={})})
    assert S.check(table, {}, "t") == {"r": {"min": 2.0, "max": 2.0}, "n": None,
                                       "sub": {"k": "b"}}


def test_either_reports_the_option_of_the_values_type():
    f = S.Either(S.Choice(("population",)), S.Number(12, 70))
    assert S.check(f, "population", "t", "bmi") == "population"
    assert S.check(f, 30, "t", "bmi") == 30.0
    with pytest.raises(ValueError, match=r"^t: bmi must be >= 12, got -3$"):
        S.check(f, -3, "t", "bmi")
    with pytest.raises(ValueError, match=r"^t: bmi must be one of 'population', got 'tall'$"):
        S.check(f, "tall", "t", "bmi")
    with pytest.raises(ValueError, match=r"^t: bmi must be one of 'population' or a number "
                                         r">= 12 and <= 70, got \[1\]$"):
        S.check(f, [1], "t", "bmi")


def _dense():
    return tomllib.loads((REPO / "phantoms" / "breast" / "dense.toml").read_text())


def _system():
    return tomllib.loads((REPO / "victwin" / "systems" / "mammomat-dm.toml").read_text())


def _spec():
    return tomllib.loads((REPO / "examples" / "demo.toml").read_text())


def _bad_recipe():
    from victwin.phantom import load_recipe

    raw = _dense()
    raw["shape"]["depth_mm"] = -5.0
    load_recipe(raw)


def _bad_chest():
    from victwin.phantom import load_recipe

    load_recipe({"kind": "chest", "margins": {"top_mm": 900.0}})


def _bad_system():
    from victwin import systems

    data = _system()
    data["tube"]["kvp"] = -28.0
    systems.from_dict(data)


def _bad_aec():
    from victwin import systems

    data = _system()
    data["aec"]["mas_max"] = 0.0
    systems.from_dict(data)


def _bad_spec():
    from victwin.trial import spec_from_dict

    data = copy.deepcopy(_spec())
    data["cohort"]["size"] = 1
    spec_from_dict(data)


@pytest.mark.parametrize("make_error, line", [
    (_bad_recipe, "recipe: shape.depth_mm must be > 0, got -5.0"),
    (_bad_chest, "chest recipe: margins.top_mm must be <= 300, got 900.0"),
    (_bad_system, "system: tube.kvp must be > 0, got -28.0"),
    (_bad_aec, "system: aec.mas_max must be > 0, got 0.0"),
    (_bad_spec, "trial spec: cohort.size must be >= 2, got 1"),
])
def test_every_config_kind_uses_the_one_format(make_error, line):
    with pytest.raises(ValueError) as info:
        make_error()
    assert str(info.value) == line
    assert re.fullmatch(r"[a-zA-Z ]+: \S+ must be .+, got .+", line)
