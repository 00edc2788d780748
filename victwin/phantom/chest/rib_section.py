"""Rib and costal-cartilage cross-sections along each rib, from published measurements.

A rib's section is drawn as three overlapping round struts one above the other (capsule
chains, :mod:`.raster`): thickness ``T`` (pleural to cutaneous surface, the struts' diameter)
and height ``H`` (superior to inferior border, the struts' span). It holds a cortical shell of
thickness ``c`` around cancellous bone (:data:`.skeleton.TRABECULAR_BV_TV`). On a PA film
the posterior and anterior parts of a rib are crossed by the beam through their thickness, so
the bone on a ray there is about ``2 c + BV/TV (T - 2 c)``: where the cortex is thin and the
section flat (the anterior third) the rib is fainter. Nothing is scaled to make it so; the
numbers below are the sources' (or marked as model choices):

* cortex at mid-rib (lateral): :data:`.anatomy.CORTEX_MM` (1.2 mm, inside the mid-rib
  pleural maxima of 0.9-2.6 mm, mean 1.4 mm, mapped on sixth ribs of 33 adults: Holcombe SA
  et al. J Anat 2019;235:883-891, abstract);
* cortex along the rib: proportional to the regional bending strength of 52 rib specimens of
  four cadavers ("Regional variation in the structural response and geometrical properties of
  human ribs", Virginia Tech - Wake Forest, 2005, PMID 16179146, PMC3217457, abstract: peak
  moment 2.0, 2.9 and 3.9 N m in the anterior, lateral and posterior regions). For a
  thin-walled section of fixed outer size the section modulus, hence the peak moment at one
  material strength, grows in proportion to the wall: ASSUMPTION that the regional strength
  differences are all wall thickness (not outer size, not material), which gives 1.61, 1.2 and
  0.83 mm;
* cortex with age: whole-rib thinning of 0.011-0.032 mm per decade in men and 0.035-0.043 in
  women (4014 ribs 2-11 of 240 adults aged 20-90, Holcombe SA & Derstine BA, J Anat
  2022;241:1344-1356, abstract); the midpoints (0.0215, 0.039) about a reference age of 50 y
  for the 1.2 mm (ASSUMPTION: the 2019 sample spanned 24-99 y);
* outer section: 10 mm high and 7 mm thick at mid-rib (the previous drawing, ASSUMPTION,
  :data:`.anatomy.RIB_STRUT_RADIUS_MM`); towards the anterior end the rib is flattened and
  broadest (Gray H. Anatomy of the Human Body, 1918, "4b. The Ribs": "the anterior or sternal
  extremity is flattened"; Quain's Anatomy via imedecin.com "Anatomy of the ribs and their
  cartilages": breadth "greatest towards its sternal extremity", and diminishing "gradually
  from the first to the twelfth"): 12 x 5 mm at the costochondral junction and +-10 % in
  height from rib 1 to rib 12 are MODEL CHOICES (directions from the texts, sizes not);
* costal cartilages (Gray 1918, "4c. The Costal Cartilages"): "broad at their attachments to
  the ribs, and taper toward their sternal extremities, excepting the first two, which are of
  the same breadth throughout"; the 11th and 12th "have pointed extremities"; tapering to 60 %
  and the 20 and 15 mm tips are MODEL CHOICES. Unless calcified, hyaline cartilage is drawn as soft
  tissue: on radiographs "the costal cartilages are invisible ... unless they are calcified"
  ("Costal cartilages - a clue for determination of sex", 1044 Czech chest and abdominal
  films, abstract highlights at discovery.researcher.life);
* calcified costal cartilage, an age effect: seen on 6 % of chest films in the third decade
  of life and 45 % in the ninth, "commoner in men" (700 films, 100 per decade:
  "Calcification on chest radiographs: the association with age", Age Ageing
  1989;18(5):333-336, abstract); a twin's cartilages are calcified with that probability for
  its age (linear between the two decades' midpoints, held beyond: ASSUMPTION, the abstract
  gives no other decade; the sex difference is not quantified there and not drawn). The
  pattern differs by sex (the Czech study above: "statistically significant"); drawn as
  marginal deposits in men and a central core in women (as described in secondary summaries,
  e.g. wis.it.com "At what age does costal cartilage calcification occur?"), a fraction
  :data:`CALCIFIED_BONE_FRACTION` of those voxels being bone (MODEL CHOICE).
"""

from __future__ import annotations

import numpy as np

from .anatomy import CORTEX_MM, RIB_STRUT_OFFSET_MM, RIB_STRUT_RADIUS_MM

__all__ = ["PEAK_MOMENT_NM", "REGION_U", "CORTEX_THINNING_MM_PER_DECADE", "CORTEX_REF_AGE",
           "rib_cortex_mm", "rib_section_mm", "cartilage_scale", "CART_TIP_MM",
           "MIN_CORTEX_MM", "CART_CALCIFICATION_PREVALENCE", "CALCIFIED_BONE_FRACTION",
           "cartilage_calcification_probability"]

#: PMID 16179146 (2005): mean peak bending moment (N m) of rib specimens by region.
PEAK_MOMENT_NM = {"posterior": 3.9, "lateral": 2.9, "anterior": 2.0}
#: Centres of its three regions as fractions of the bony rib's arc length from the head
#: (MODEL CHOICE: posterior at the angle, lateral mid-shaft, anterior near the junction);
#: the cortex is interpolated linearly between them and held beyond.
REGION_U = {"posterior": 0.2, "lateral": 0.5, "anterior": 0.85}
#: Holcombe & Derstine 2022: midpoints of the whole-rib cortical thinning rates (mm/decade).
CORTEX_THINNING_MM_PER_DECADE = {"male": 0.0215, "female": 0.039}
CORTEX_REF_AGE = 50.0
#: Floor of the drawn cortex (mm): the thinnest local values mapped are of this order
#: (Holcombe 2019's maps; MODEL CHOICE, reached only far beyond the studied ages).
MIN_CORTEX_MM = 0.3
#: Mid-rib outer section (mm) = the previous drawing's: height and thickness.
_MID_H = 2.0 * RIB_STRUT_RADIUS_MM + RIB_STRUT_OFFSET_MM
_MID_T = 2.0 * RIB_STRUT_RADIUS_MM
#: At the costochondral junction (MODEL CHOICE, see the module docstring).
_END_H, _END_T = 12.0, 5.0
#: Length (mm) of the pointed cartilage tips of ribs 11 and 12 (MODEL CHOICE; shorter for 12,
#: as Gray's cartilages "gradually decrease to the twelfth").
CART_TIP_MM = (20.0, 15.0)


#: Age Ageing 1989: prevalence of costal cartilage calcification, (age midpoint, fraction).
CART_CALCIFICATION_PREVALENCE = ((25.0, 0.06), (85.0, 0.45))
#: Bone fraction of the calcified layer (MODEL CHOICE: flecks, not a solid shell).
CALCIFIED_BONE_FRACTION = 0.5


def cartilage_calcification_probability(age_years: float) -> float:
    """Probability that a twin of ``age_years`` has calcified costal cartilages (Age Ageing
    1989, linear between the 3rd and 9th decades' midpoints, held beyond)."""
    (a0, p0), (a1, p1) = CART_CALCIFICATION_PREVALENCE
    return float(np.interp(float(age_years), [a0, a1], [p0, p1]))


def rib_cortex_mm(u, sex: str = "male", age_years: float = CORTEX_REF_AGE) -> np.ndarray:
    """Cortical thickness (mm) at fraction ``u`` (0 head .. 1 costochondral junction) of the
    bony rib, for a body of ``sex`` and ``age_years`` (sources in the module docstring)."""
    u = np.asarray(u, float)
    m = np.interp(u, [REGION_U["posterior"], REGION_U["lateral"], REGION_U["anterior"]],
                  [PEAK_MOMENT_NM["posterior"], PEAK_MOMENT_NM["lateral"],
                   PEAK_MOMENT_NM["anterior"]])
    c = CORTEX_MM * m / PEAK_MOMENT_NM["lateral"]
    c = c - CORTEX_THINNING_MM_PER_DECADE[sex] * (float(age_years) - CORTEX_REF_AGE) / 10.0
    return np.maximum(c, MIN_CORTEX_MM)


def rib_section_mm(rib: int, u) -> tuple[np.ndarray, np.ndarray]:
    """(height, thickness) in mm of rib ``rib`` (1..12) at fraction ``u`` of its bony length:
    the mid-rib section up to the angle and mid-shaft, flattening and broadening linearly from
    mid-shaft to the junction; heights scaled 1.1 (rib 1) .. 0.9 (rib 12)."""
    u = np.asarray(u, float)
    w = np.clip((u - REGION_U["lateral"]) / (1.0 - REGION_U["lateral"]), 0.0, 1.0)
    k = 1.1 - 0.2 * (rib - 1) / 11.0
    h = k * (_MID_H + (_END_H - _MID_H) * w)
    t = _MID_T + (_END_T - _MID_T) * w
    return h, t


def cartilage_scale(rib: int, v) -> np.ndarray:
    """Size of a costal cartilage's section relative to its rib's end at fraction ``v`` (0 at
    the rib, 1 at the sternum or the cartilage above): constant for ribs 1-2, tapering to 0.6
    for 3-10 and to a point (0.15) for the tips of 11-12 (Gray 1918; sizes MODEL CHOICES)."""
    v = np.asarray(v, float)
    if rib <= 2:
        return np.ones_like(v)
    end = 0.15 if rib >= 11 else 0.6
    return 1.0 + (end - 1.0) * v
