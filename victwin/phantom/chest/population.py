"""Who a chest twin is: sex, age, height and BMI, checked, or drawn from a population table.

The table is the US adult population measured in NHANES 2015-2018: the survey-weighted mean
and standard deviation of standing height and of BMI by sex and by the age groups of the
NCHS anthropometric report (20-29, 30-39, ..., 70-79, 80 and over). A body outside the ranges
below is refused with a one-line ``ValueError`` naming the key, the rule and the value.

References
----------
Fryar CD, Carroll MD, Gu Q, Afful J, Ogden CL. Anthropometric reference data for children and
adults: United States, 2015-2018. National Center for Health Statistics. Vital Health Stat
3(46), 2021: the report whose data and age groups the table follows.
National Center for Health Statistics, NHANES 2015-2016 and 2017-2018 public-use files
DEMO_I/J (sex RIAGENDR, age RIDAGEYR, exam status RIDSTATR) and BMX_I/J (standing height
BMXHT, BMI BMXBMI), with the 4-year exam weights WTMEC4YR (NHANES tutorial, module 3): all
19,225 participants as packaged in the R package mpower 0.1.0 (data ``nhanes1518``). The table
below is computed from them (``python benchmarks/population_table.py``; examined participants
aged >= 20, weighted mean and weighted SD, no design-based variance needed for the means).

How it was verified (2026-12-03; tests/phantom/test_chest_body.py): the report itself could
not be opened, but its adult (20 and over) height figures as transcribed from it (J Nuzzo,
"Body height of men and women", 2025-08-18, citing Fryar et al. 2021) are reproduced by these
data: men mean 69.0 in, median 69.1 in, 85th percentile 72.0 in (here 69.00, 69.09, 72.05 in);
women mean and median 63.5 in = 161.3 cm, 85th percentile 66.3 in (here 63.49, 63.50, 66.34).
The bands' weighted shares (:data:`NHANES_2015_2018_SHARE`) pool the table back to those
20-and-over figures. Known difference from the report: pregnant women are included (the
packaged file has no pregnancy status; the NCHS reports leave them out of the weight tables),
so women's BMI at 20-39 may be a little high. The table of the 2026-12-02 sessions (bands 20-39
.. 80+, recalled, not verified), set beside the same data pooled over its own bands, was off by
up to 0.4 cm in mean height and 0.7 kg/m^2 in mean BMI (women 80+), its BMI SDs up to 0.4 low.
As an independent check, the height SDs (men 6.9-7.7 cm, women 6.4-7.0 cm) agree within
0.6 cm with the estimated SDs of the NCHS 1960-62 adult survey (Vital Health Stat 11(8), 1965,
18-79 years: men 2.85 in = 7.2 cm, women 2.58 in = 6.6 cm).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["Body", "check_body", "draw_body", "NHANES_2015_2018", "NHANES_2015_2018_SHARE",
           "SEXES", "age_group"]

SEXES = ("female", "male")

# Accepted ranges. Adults only: the reference equations for lung volume used by the anatomy
# (GLI 2021, lung_volume.py: ages 5-80; ERS 1993, Quanjer et al.: ages 18-70, heights
# 1.55-1.95 m men / 1.45-1.80 m women) end there; beyond them the twin is an extrapolation, so
# the limits here are a little wider than the equations' but exclude bodies no adult has (WHO: BMI < 12 is incompatible with life for
# long; heights outside 120-220 cm are below/above the 0.001th percentile of NHANES adults).
AGE_RANGE_YEARS = (18.0, 90.0)
HEIGHT_RANGE_CM = (120.0, 220.0)
BMI_RANGE = (12.0, 70.0)

#: NHANES 2015-2018, examined adults (module docstring): sex -> age group -> (height mean cm,
#: height SD cm, BMI mean kg/m^2, BMI SD kg/m^2); survey-weighted (WTMEC4YR). Participants per
#: row: men 802, 805, 767, 840, 967, 573, 338 and women 892, 922, 909, 915, 980, 532, 360
#: (heights; BMI up to 7 fewer). The age groups are the report's; 18-19 year olds use 20-29.
NHANES_2015_2018 = {
    "male": {
        "20-29": (175.8, 7.10, 27.6, 6.80),
        "30-39": (176.3, 7.67, 30.3, 6.93),
        "40-49": (176.3, 7.54, 30.1, 6.01),
        "50-59": (175.4, 7.66, 29.8, 5.98),
        "60-69": (174.4, 7.20, 29.9, 5.89),
        "70-79": (173.0, 6.88, 29.2, 5.45),
        "80+": (170.4, 7.08, 27.6, 4.49),
    },
    "female": {
        "20-29": (162.6, 6.70, 28.4, 8.14),
        "30-39": (162.7, 6.83, 30.0, 8.22),
        "40-49": (162.3, 7.01, 30.7, 8.25),
        "50-59": (161.3, 6.74, 30.3, 7.82),
        "60-69": (160.7, 6.61, 30.3, 7.43),
        "70-79": (158.2, 6.38, 29.8, 6.76),
        "80+": (155.6, 6.46, 28.0, 5.71),
    },
}

#: Each age group's share of the sex's population aged >= 20 (sum of WTMEC4YR over the row
#: over the sum for ages >= 20, same data): what pools the rows back to the report's
#: 20-and-over figures (tests/phantom/test_chest_body.py).
NHANES_2015_2018_SHARE = {
    "male": {"20-29": 0.1926, "30-39": 0.1805, "40-49": 0.1708, "50-59": 0.1866,
             "60-69": 0.1498, "70-79": 0.0814, "80+": 0.0382},
    "female": {"20-29": 0.1782, "30-39": 0.1728, "40-49": 0.1656, "50-59": 0.1829,
               "60-69": 0.1541, "70-79": 0.0926, "80+": 0.0538},
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
    """The NHANES age group (row of :data:`NHANES_2015_2018`) of an age in years; 18-19 year
    olds use the 20-29 row."""
    a = float(age_years)
    if a >= 80:
        return "80+"
    decade = max(2, int(a // 10))
    return f"{10 * decade}-{10 * decade + 9}"


def _truncated_normal(rng: np.random.Generator, mean: float, sd: float, lo: float,
                      hi: float) -> float:
    """One draw of N(mean, sd) restricted to [lo, hi], by the inverse CDF (one uniform per
    draw, exact for any interval; a point interval gives that point)."""
    from scipy.special import ndtr, ndtri

    a, b = (lo - mean) / sd, (hi - mean) / sd
    u = float(rng.uniform())
    if a > 0:       # the upper tail: through the survival function, for precision
        sa, sb = ndtr(-a), ndtr(-b)
        z = -ndtri(sa - u * (sa - sb))
    else:
        pa, pb = ndtr(a), ndtr(b)
        z = ndtri(pa + u * (pb - pa))
    return float(min(max(mean + sd * z, lo), hi))


def _range(key: str, given, limits: tuple[float, float]) -> tuple[float, float]:
    """``given`` (None: the accepted range; a number; a (lo, hi) pair) as a checked pair."""
    if given is None:
        return limits
    if isinstance(given, (int, float, np.integer, np.floating)) and not isinstance(given, bool):
        v = _number(key, given, *limits)
        return v, v
    lo, hi = (_number(key, g, *limits) for g in given)
    if lo > hi:
        raise ValueError(f"chest body key '{key}' must be a range [low, high] with low <= high, "
                         f"got {list(given)!r}")
    return lo, hi


def draw_body(rng: np.random.Generator, *, sex: str | None = None,
              age_years: float | None = None, female_fraction: float = 0.5,
              age_range_years=(40.0, 80.0), height_cm=None, bmi=None) -> Body:
    """Draw a body from the NHANES 2015-2018 table.

    Height is normal and BMI lognormal with the table's mean and SD for the sex and age
    group, each restricted to its range: the accepted range (:data:`HEIGHT_RANGE_CM`,
    :data:`BMI_RANGE`) or the one given, so that a cohort of, say, BMI 30-40 has the
    population's distribution within it. One uniform number per draw (inverse CDF), so a
    fixed value (a number, or a point range) leaves the other draws as they were.

    Parameters
    ----------
    rng : numpy.random.Generator
    sex : {"female", "male"}, optional
        Drawn (``female_fraction``) when not given.
    age_years : float, optional
        Years; drawn uniformly in ``age_range_years`` when not given.
    height_cm, bmi : float or (float, float), optional
        A fixed value (cm, kg/m^2) or a (low, high) range to draw within.

    Raises
    ------
    ValueError
        One line naming the key, for values outside the accepted ranges.
    """
    if sex is None:
        sex = "female" if rng.random() < female_fraction else "male"
    if age_years is None:
        age_years = float(np.round(rng.uniform(*age_range_years), 1))
    if sex not in SEXES:
        raise ValueError(f"chest body key 'sex' must be one of {SEXES}, got {sex!r}")
    h_lo, h_hi = _range("height_cm", height_cm, HEIGHT_RANGE_CM)
    b_lo, b_hi = _range("bmi", bmi, BMI_RANGE)
    h_mean, h_sd, b_mean, b_sd = NHANES_2015_2018[sex][age_group(float(age_years))]
    h = _truncated_normal(rng, h_mean, h_sd, h_lo, h_hi)
    # BMI is right-skewed: lognormal with the row's mean and SD (normal in log BMI)
    s2 = math.log(1.0 + (b_sd / b_mean) ** 2)
    log_b = _truncated_normal(rng, math.log(b_mean) - 0.5 * s2, math.sqrt(s2),
                              math.log(b_lo), math.log(b_hi))
    h = h if h_lo == h_hi else round(h, 1)
    b = math.exp(log_b) if b_lo == b_hi else round(math.exp(log_b), 1)
    return check_body(sex, age_years, min(max(h, h_lo), h_hi), min(max(b, b_lo), b_hi))
