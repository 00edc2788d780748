"""Who a chest cohort is: ``[cohort.body]`` of a trial spec, checked, and each case's body drawn.

A chest trial draws each twin's sex, height and BMI from the NHANES 2015-2018 table
(:mod:`victwin.phantom.chest.population`) for the twin's age (``cohort.age_years``), or takes
them from the spec::

    [cohort]
    age_years = [40, 75]        # uniform range, or one age for every twin (e.g. 55)

    [cohort.body]               # chest cohorts only; every key optional
    sex = "female"              # "female", "male" or "population" (drawn, female_fraction)
    female_fraction = 0.5       # with sex = "population" only
    height_cm = [150, 170]      # a value, [low, high] (the table's distribution within the
                                # range), or "population"
    bmi = 30.0                  # kg/m^2: likewise

A range keeps the population's distribution inside it (a BMI 30-40 cohort has as many
twins near 30 as the table says, not a uniform spread): :func:`~victwin.phantom.chest.
population.draw_body`. Values outside the accepted bodies (height 120-220 cm, BMI 12-70
kg/m^2, age 18-90 years) are refused with one line naming the key.
"""

from __future__ import annotations

from collections.abc import Mapping

from victwin.schema import Choice, Either, Field, Number, Pair, Table, invalid

__all__ = ["BODY_FIELD", "check_cohort_body", "draw_case_body"]


def _population():
    # imported when used: victwin.phantom takes ~2 s to import, a spec check should not
    from victwin.phantom.chest import population

    return population


def body_schema() -> Table:
    """``cohort.body``: each key a value, a [low, high] range, or "population" (drawn)."""
    p = _population()
    drawn = Choice(("population",))
    return Table({
        "sex": Choice(p.SEXES + ("population",), default="population"),
        "female_fraction": Number(0, 1, default=None),
        "height_cm": Either(drawn, Number(*p.HEIGHT_RANGE_CM), Pair(*p.HEIGHT_RANGE_CM),
                            default="population"),
        "bmi": Either(drawn, Number(*p.BMI_RANGE), Pair(*p.BMI_RANGE), default="population"),
    })


class _Body(Field):
    """The ``cohort.body`` table, its schema built when a spec has one."""

    kinds = (Mapping,)
    default = None

    def describe(self) -> str:
        return "a table"

    def check(self, value, what, path):
        return body_schema().check(value, what, path)


#: The field of ``cohort.body`` in the trial schema (absent: ``None``).
BODY_FIELD = _Body()


def check_cohort_body(body: dict | None, age_years, family: str, what: str) -> dict | None:
    """The rules that tie ``cohort.body`` to the rest of the cohort; the body as stored
    (``None`` when absent, so that older specs keep their hash).

    Raises
    ------
    ValueError
        One line naming the key: a body for a breast cohort, ``female_fraction`` with a
        fixed sex, a chest cohort's ages outside 18-90 years.
    """
    if family == "chest":
        lo, hi = _population().AGE_RANGE_YEARS
        if not lo <= min(age_years) <= max(age_years) <= hi:
            raise invalid(what, "cohort.age_years", f"within [{lo:g}, {hi:g}] years for chest "
                          f"twins (the accepted adult bodies)", list(age_years))
    if body is None:
        return None
    if family != "chest":
        raise invalid(what, "cohort.body", "used only with chest cohorts (cohort.lesions = "
                      "{nodule = 1.0}; breast twins are women with no height or BMI)", body)
    if body["female_fraction"] is not None and body["sex"] != "population":
        raise invalid(what, "cohort.body.female_fraction", f'used only with sex = "population" '
                      f'(sex is {body["sex"]!r})', body["female_fraction"])
    return {k: v for k, v in body.items() if v is not None}


def draw_case_body(body: dict | None, rng, age_years: float):
    """One case's :class:`~victwin.phantom.chest.population.Body` for ``cohort.body`` (``None``:
    everything from the population) at the case's age (years), drawn with ``rng`` (the
    case's "body" stream)."""
    b = body or {}

    def given(key):
        v = b.get(key, "population")
        return None if v == "population" else v

    return _population().draw_body(rng, sex=given("sex"), age_years=age_years,
                                   female_fraction=b.get("female_fraction", 0.5),
                                   height_cm=given("height_cm"), bmi=given("bmi"))
