"""The cohort draws each case's breast (left / right) without changing any other draw."""

import copy
import tomllib
from pathlib import Path

import pytest

from victwin.trial import spec_from_dict
from victwin.trial._cohort import sample_cohort

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DEMO = tomllib.loads((EXAMPLES / "demo.toml").read_text())


def _spec(laterality=None, size=40):
    d = copy.deepcopy(DEMO)
    d["cohort"]["size"] = size
    if laterality is not None:
        d["cohort"]["laterality"] = laterality
    return spec_from_dict(d)


def test_fixed_and_random_laterality():
    assert {a["laterality"] for _, a in sample_cohort(_spec("R"))} == {"R"}
    assert {a["laterality"] for _, a in sample_cohort(_spec("L"))} == {"L"}
    drawn = [a["laterality"] for _, a in sample_cohort(_spec())]  # default: random
    # 40 fair draws: both sides appear (all one side has probability 2 * 0.5**40).
    assert set(drawn) == {"L", "R"}
    assert drawn == [a["laterality"] for _, a in sample_cohort(_spec("random"))]


def test_laterality_changes_no_other_draw():
    fixed = sample_cohort(_spec("L"))
    random = sample_cohort(_spec("random"))
    for (i, a), (j, b) in zip(fixed, random):
        assert i == j
        assert {k: v for k, v in a.items() if k != "laterality"} == \
            {k: v for k, v in b.items() if k != "laterality"}


def test_bad_laterality_is_one_line():
    with pytest.raises(ValueError, match=r"cohort.laterality must be one of 'L', 'R', "
                                         r"'random', got 'left'"):
        _spec("left")
