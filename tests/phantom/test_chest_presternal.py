"""The presternal cover, skin to the sternum's front in the midline, of 3 mm chest twins of
normal BMI against CT series (2026-12-05, fifth session, 19fat23; NOTES, 19src22 part 2, for
these sources' caveats and the others read):

* Gappy R et al. (mentor Paxton J), Wayne State University School of Medicine student research
  abstract (digitalcommons.wayne.edu/som_srs/70; not peer-reviewed): CT 2009-2018 of 32 men and
  21 women of BMI 18.5-25, skin to bone at the sternal intraosseous site on the manubrium: men
  17.9 +- 8.9 mm, women 13.0 +- 6.0 mm.
* Ma D-T, Wang J-X, Wang Z-H, Cui X. Sternal foramina: an imaging study. Clin Anat 2023, doi
  10.1002/ca.24105 (abstract): 111 chest MSCT with sternal foramina (83 men, 28 women) at the
  4th-6th costal cartilages: subcutaneous fat 11.3 +- 5.1 mm (BMI not given in the abstract).
  The twin draws no skin: its cover holds the skin too, on the thorax 1.48 mm on average
  (Krackowizer P, Brenner E. Phlebologie 2008;37(2):83-92, abstract: 12 MHz ultrasound of 112
  young adults at 24 sites, thickest on the thorax, mean 1.476 mm).

Both within mean +- 2 SD plus a voxel (the reader takes voxel centres: the skin's and the
bone's fronts each to half a voxel).
"""

from __future__ import annotations

import functools

import pytest

from victwin.phantom.chest import make_chest
from victwin.phantom.chest.measure_sternum import presternal_cover_mm

VOX = 3.0
# BMI 18.5-25 (Gappy's cohort): the lean woman of benchmarks/chest_twins.py, a woman and a man
# of the test heights of test_chest_body_size.py
BODIES = {"lean woman": ({"sex": "female", "age_years": 35, "height_cm": 158, "bmi": 21}, 0),
          "woman": ({"sex": "female", "age_years": 40, "height_cm": 163, "bmi": 24}, 3),
          "man": ({"sex": "male", "age_years": 40, "height_cm": 177, "bmi": 23}, 3)}
GAPPY_MANUBRIUM_MM = {"male": (17.9, 8.9), "female": (13.0, 6.0)}
MA_SUBCUTANEOUS_MM = (11.3, 5.1)
SKIN_MM = 1.476


@functools.lru_cache(maxsize=None)
def _cover(name: str) -> dict:
    body, seed = BODIES[name]
    return presternal_cover_mm(make_chest({"body": body}, seed=seed, voxel_mm=VOX,
                                          progress=False))


@pytest.mark.parametrize("name", sorted(BODIES))
def test_presternal_cover_at_the_manubrium_as_gappy(name):
    m, sd = GAPPY_MANUBRIUM_MM[BODIES[name][0]["sex"]]
    c = _cover(name)["manubrium"]
    assert m - 2.0 * sd - VOX <= c <= m + 2.0 * sd + VOX, c


@pytest.mark.parametrize("name", sorted(BODIES))
def test_presternal_cover_at_the_lower_sternal_body_as_ma_2023(name):
    m, sd = MA_SUBCUTANEOUS_MM
    c = _cover(name)["lower_body"]
    assert m + SKIN_MM - 2.0 * sd - VOX <= c <= m + SKIN_MM + 2.0 * sd + VOX, c
