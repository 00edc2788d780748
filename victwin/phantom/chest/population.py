"""Who a chest twin is: sex, age, height and BMI, checked, or drawn from a population table.

The table is the US adult population measured in NHANES 2015-2018 (mean and standard
deviation of standing height and BMI by sex and age group). A body outside the ranges below is
refused with a one-line ``ValueError`` naming the key, the rule and the value.

References
----------
Fryar CD, Carroll MD, Gu Q, Afful J, Ogden CL. Anthropometric reference data for children and
adults: United States, 2015-2018. National Center for Health Statistics. Vital Health Stat
3(46), 2021 (tables of height and BMI of adults by sex and age group; the means below are
meant as the report's weighted means, the SDs as derived from its 5th-95th percentile spread as
(P95 - P5) / 3.29, which is exact for a normal distribution). The table below was not re-read
against the report in the 2026-12-02 sessions (the report could not be opened with the search
tool) and its age bands are not the report's (see :data:`NHANES_2015_2018`); as an
independent check, its height SDs (men 7.1-7.6 cm, women 6.6-7.0 cm) agree within
0.4 cm with the estimated SDs of the NCHS 1960-62 adult survey (Vital Health Stat 11(8), 1965,
18-79 years: men 2.85 in = 7.2 cm, women 2.58 in = 6.6 cm; tests/phantom/test_chest_body.py).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["Body", "check_body", "draw_body", "NHANES_2015_2018", "SEXES", "age_group"]

SEXES = ("female", "male")

# Accepted ranges. Adults only: the reference equations for lung volume used by the anatomy
# (ERS 1993, Quanjer et al.) hold for ages 18-70 and heights 1.55-1.95 m (men) / 1.45-1.80 m
# (women); beyond them the twin is an extrapolation, so the limits here are a little wider than
# the equations' but exclude bodies no adult has (WHO: BMI < 12 is incompatible with life for
# long; heights outside 120-220 cm are below/above the 0.001th percentile of NHANES adults).
AGE_RANGE_YEARS = (18.0, 90.0)
HEIGHT_RANGE_CM = (120.0, 220.0)
BMI_RANGE = (12.0, 70.0)

#: NHANES 2015-2018 (Fryar et al. 2021, Vital Health Stat 3(46)): sex -> age group ->
#: (height mean cm, height SD cm, BMI mean kg/m^2, BMI SD kg/m^2). UNVERIFIED (2026-12-02):
#: the report could not be read; transcriptions of it show its all-groups adult tables by
#: decade (20-29 ... 80 and over) and only its race tables by 20-39/40-59/60+, so these bands
#: (20-39, 40-59, 60-79, 80+) are not the report's and the numbers were probably recalled.
#: Its 20-and-over means (men 175.3 cm, women 161.3 cm, as transcribed) lie inside the bands'
#: range. docs/phantoms/chest.md, "Population table: what could be verified".
NHANES_2015_2018 = {
    "male": {
        "20-39": (176.4, 7.6, 28.6, 6.6),
        "40-59": (175.8, 7.4, 29.9, 6.3),
        "60-79": (173.6, 7.3, 29.6, 5.9),
        "80+": (170.6, 7.1, 27.6, 4.5),
    },
    "female": {
        "20-39": (162.8, 7.0, 29.0, 7.9),
        "40-59": (161.9, 6.8, 30.3, 7.7),
        "60-79": (159.6, 6.8, 30.0, 7.1),
        "80+": (156.0, 6.6, 27.3, 5.5),
    },
}


@dataclass(frozen=True)
class Body:
    """A patient's sex, age (years), standing height (cm) and BMI (kg/m^2)."""

    sex: str
    age_years: float
    height_cm: float
    bmi: float

    @property
    def weight_kg(self) -> float:
        """Body mass (kg) from BMI and height."""
        return self.bmi * (self.height_cm / 100.0) ** 2

    def to_dict(self) -> dict:
        return asdict(self)


def _number(key: str, value, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"chest body key '{key}' must be a number in [{lo:g}, {hi:g}], "
                         f"got {value!r}")
    v = float(value)
    if not math.isfinite(v) or not lo <= v <= hi:
        raise ValueError(f"chest body key '{key}' must be in [{lo:g}, {hi:g}], got {value!r}")
    return v


def check_body(sex, age_years, height_cm, bmi) -> Body:
    """A validated :class:`Body`; one-line ``ValueError`` naming the key for impossible ones."""
    if sex not in SEXES:
        raise ValueError(f"chest body key 'sex' must be one of {SEXES}, got {sex!r}")
    return Body(sex=str(sex), age_years=_number("age_years", age_years, *AGE_RANGE_YEARS),
                height_cm=_number("height_cm", height_cm, *HEIGHT_RANGE_CM),
                bmi=_number("bmi", bmi, *BMI_RANGE))


def age_group(age_years: float) -> str:
    """The NHANES age group of an age (18-19 year olds use the 20-39 row)."""
    if age_years < 40:
        return "20-39"
    if age_years < 60:
        return "40-59"
    if age_years < 80:
        return "60-79"
    return "80+"


def _lognormal(rng, mean: float, sd: float) -> float:
    """A lognormal draw with the given mean and SD (BMI is right-skewed)."""
    s2 = math.log(1.0 + (sd / mean) ** 2)
    return float(rng.lognormal(math.log(mean) - 0.5 * s2, math.sqrt(s2)))


def draw_body(rng: np.random.Generator, *, sex: str | None = None,
              age_years: float | None = None, female_fraction: float = 0.5,
              age_range_years=(40.0, 80.0)) -> Body:
    """Draw a body from the NHANES 2015-2018 table.

    Height is normal and BMI lognormal with the table's mean and SD for the sex and age group,
    both redrawn until inside the accepted ranges. ``sex`` and ``age_years`` are drawn
    (``female_fraction``; uniform age) only when not given.
    """
    if sex is None:
        sex = "female" if rng.random() < female_fraction else "male"
    if age_years is None:
        age_years = float(np.round(rng.uniform(*age_range_years), 1))
    if sex not in SEXES:
        raise ValueError(f"chest body key 'sex' must be one of {SEXES}, got {sex!r}")
    h_mean, h_sd, b_mean, b_sd = NHANES_2015_2018[sex][age_group(float(age_years))]
    for _ in range(1000):
        h = float(rng.normal(h_mean, h_sd))
        if HEIGHT_RANGE_CM[0] <= h <= HEIGHT_RANGE_CM[1]:
            break
    for _ in range(1000):
        b = _lognormal(rng, b_mean, b_sd)
        if BMI_RANGE[0] <= b <= BMI_RANGE[1]:
            break
    return check_body(sex, age_years, round(h, 1), round(b, 1))
