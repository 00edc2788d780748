"""Predicted total lung capacity by sex, age and height: the GLI 2021 static lung volume
equations, the one place a twin's age changes its anatomy.

A chest PA radiograph is taken at full inspiration, so a twin's lungs hold its total lung
capacity (TLC). The GLI 2021 equations (European ancestry, ages 5-80) give the median TLC as

    M = exp(a0 + a_age * ln(age) + a_height * ln(height) + Mspline(age))   (L; years, cm)

whose age terms make TLC rise to the mid-thirties, stay about level to the fifties and fall
after: a woman of 162 cm has 5.19 L at 40 and 4.82 L at 80 (-7 %), a man of 175 cm 6.91 L at
40 and 6.81 L at 80. The older ERS 1993 equations (:func:`.anatomy.tlc_ers1993_l`) have no age
term; at ages 25-70 and the ERS heights the two agree within 0.47 L, inside ERS's residual SD
(0.60-0.70 L; tests/phantom/test_chest_lung_volume.py).

Ages over 80 (the twins accept up to 90) use the 80-year spline value, an extrapolation by
holding the last tabulated age (assumed). Ages below 18 are not accepted bodies.

References
----------
Hall GL, Filipow N, Ruppel G, Okitika T, Thompson B, Kirkby J, Steenbruggen I, Cooper BG,
Stanojevic S; GLI Network members. Official ERS technical standard: Global Lung Function
Initiative reference values for static lung volumes in individuals of European ancestry.
Eur Respir J 2021;57:2000289 (TLC: coefficients and age-indexed M-spline lookup table).
The numbers below are as transcribed in PySpiro (github.com/OnlineArts/PySpiro, commit
98b653e, ``pyspiro/data/gli_2021_coefficients.csv`` TLC_males / TLC_females rows a0, a1, a2
and ``gli_2021_splines.csv`` TLC_*_Mspline at whole years 18-80; the paper's supplement
could not be opened here). There ``a1`` multiplies ln(age) and ``a2`` ln(height): the other
pairing gives a TLC of 0.3 L for a man of 175 cm. The lookup table's 0.25-year steps are kept
at whole years here, linearly interpolated (largest difference 2.4e-4 in ln TLC, 0.02 %).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["tlc_gli2021_l", "GLI2021_AGE_RANGE_YEARS"]

#: Ages the GLI 2021 lookup table is kept for here (years); older twins use 80.
GLI2021_AGE_RANGE_YEARS = (18.0, 80.0)

#: sex -> (a0, coefficient of ln(age in years), coefficient of ln(height in cm)).
_TLC_COEF = {"male": (-10.5861, 0.1433, 2.3155), "female": (-10.1128, 0.1062, 2.2259)}

#: sex -> TLC M-spline at ages 18, 19, ..., 80 years.
_TLC_MSPLINE = {
    "male": (
        0.05135, 0.05940, 0.06564, 0.07020, 0.07325, 0.07500, 0.07564,
        0.07532, 0.07423, 0.07251, 0.07028, 0.06765, 0.06473, 0.06158,
        0.05829, 0.05491, 0.05148, 0.04805, 0.04466, 0.04133, 0.03809,
        0.03494, 0.03189, 0.02893, 0.02607, 0.02331, 0.02064, 0.01804,
        0.01549, 0.01299, 0.01051, 0.00805, 0.00560, 0.00314, 0.00066,
        -0.00185, -0.00440, -0.00699, -0.00963, -0.01233, -0.01510, -0.01791,
        -0.02078, -0.02370, -0.02666, -0.02966, -0.03269, -0.03576, -0.03886,
        -0.04199, -0.04513, -0.04829, -0.05145, -0.05462, -0.05778, -0.06094,
        -0.06408, -0.06721, -0.07031, -0.07340, -0.07646, -0.07950, -0.08251,
    ),
    "female": (
        0.03500, 0.04131, 0.04640, 0.05045, 0.05361, 0.05602, 0.05779,
        0.05900, 0.05975, 0.06009, 0.06008, 0.05976, 0.05916, 0.05832,
        0.05725, 0.05599, 0.05455, 0.05293, 0.05116, 0.04924, 0.04718,
        0.04500, 0.04270, 0.04029, 0.03777, 0.03516, 0.03245, 0.02964,
        0.02673, 0.02372, 0.02061, 0.01741, 0.01410, 0.01070, 0.00721,
        0.00364, -0.00001, -0.00374, -0.00753, -0.01138, -0.01530, -0.01927,
        -0.02329, -0.02735, -0.03143, -0.03554, -0.03966, -0.04379, -0.04792,
        -0.05205, -0.05617, -0.06027, -0.06436, -0.06843, -0.07248, -0.07649,
        -0.08048, -0.08444, -0.08836, -0.09225, -0.09610, -0.09991, -0.10368,
    ),
}
_AGES = np.arange(GLI2021_AGE_RANGE_YEARS[0], GLI2021_AGE_RANGE_YEARS[1] + 1.0)


def tlc_gli2021_l(sex: str, age_years: float, height_cm: float) -> float:
    """Predicted (median) total lung capacity (L), GLI 2021 (Hall et al. 2021).

    Parameters
    ----------
    sex : {"female", "male"}
    age_years : float
        Years; clamped to 18-80 (older: the 80-year value, assumed).
    height_cm : float
        Standing height (cm).
    """
    a0, a_age, a_height = _TLC_COEF[sex]
    age = min(max(float(age_years), GLI2021_AGE_RANGE_YEARS[0]), GLI2021_AGE_RANGE_YEARS[1])
    spline = float(np.interp(age, _AGES, _TLC_MSPLINE[sex]))
    return math.exp(a0 + a_age * math.log(age) + a_height * math.log(float(height_cm)) + spline)
