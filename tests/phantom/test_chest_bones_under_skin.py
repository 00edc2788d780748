"""No bone of the chest twin lies outside the skin, over the range of bodies a chest cohort draws
(2026-12-05, sixth session, branch issue-19tall24).

Every bone of the thorax and shoulder girdle lies under soft tissue: even those called
subcutaneous, the clavicle ("subcutaneous throughout its whole extent", Gray's / Cunningham's
osteology of the clavicle), the spinous processes' tips, the acromion and the scapular spine's
crest, have skin and the subcutaneous layer over them. So no voxel of any bone label (spine,
ribs and sternum; costal cartilage; clavicles; scapulae) may lie where the body's soft tissue,
drawn before the skeleton, is air. The scapulae are cut at the skin when painted, so they are
painted a second time whole (as in ``test_chest_shoulders.py``) to see what the cut removes.

Bodies: each sex at the short and tall ends of the heights the cohort draws (NHANES 2015-2018
rows of :mod:`victwin.phantom.chest.population`: the 20-29 year olds' mean -/+ 3.09 SD, one in
a thousand beyond each end, rounded outward to 5 cm: men 153.9 / 197.7 -> 155 and 200 cm,
women 141.9 / 183.3 -> 140 and 185 cm) crossed with a lean and an obese BMI (16 and 45 kg/m^2:
the same rows' mean -1.5 to -1.7 SD and +2.0 to +2.6 SD; the lean end is where the layers are
thinnest, :data:`.anatomy.LEAN_FAT_MM`), plus the 200 cm BMI 18 man in which the clavicles and
scapulae were first seen in the air (helper 19clav24, 2026-12-05 sixth session), each in the
neutral and the PA positioning, at :data:`VOX` mm (a check of where bones lie, not of their
shape). No minimum thickness of the cover is checked: none was found sourced for these sites
(the twin's subcutaneous fat is the cover, :func:`.anatomy.fat_mm_for`).

Before the branch (main 68fc947, ``/work/scratch/19tall24/sweep_main_4mm.log``): the C6-T1
spinous processes stood out of the back of the neck in every body of BMI <= 20 (and in the
2 mm test man and lean woman), the clavicles' medial shafts out of the front in the lean PA
twins (and the 200 cm BMI 18 man's neutral one), the scapular spines' upper lateral ends out of
the shoulders' back corner in the tall lean neutral twins.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

import victwin.phantom.chest.builder as builder
from ._chest_bodies import build_caught

#: Voxel (mm): a twin builds in ~3-5 CPU-s.
VOX = 4.0
BODIES = {
    "man 155 cm BMI 16": ({"sex": "male", "age_years": 25, "height_cm": 155, "bmi": 16}, 3),
    "man 200 cm BMI 16": ({"sex": "male", "age_years": 25, "height_cm": 200, "bmi": 16}, 3),
    "man 155 cm BMI 45": ({"sex": "male", "age_years": 50, "height_cm": 155, "bmi": 45}, 3),
    "man 200 cm BMI 45": ({"sex": "male", "age_years": 50, "height_cm": 200, "bmi": 45}, 3),
    "man 200 cm BMI 18": ({"sex": "male", "age_years": 30, "height_cm": 200, "bmi": 18}, 3),
    "woman 140 cm BMI 16": ({"sex": "female", "age_years": 25, "height_cm": 140, "bmi": 16}, 0),
    "woman 185 cm BMI 16": ({"sex": "female", "age_years": 25, "height_cm": 185, "bmi": 16}, 0),
    "woman 140 cm BMI 45": ({"sex": "female", "age_years": 50, "height_cm": 140, "bmi": 45}, 0),
    "woman 185 cm BMI 45": ({"sex": "female", "age_years": 50, "height_cm": 185, "bmi": 45}, 0),
}
BONES = {"spine, ribs, sternum": builder.BONE, "costal cartilage": builder.CART,
         "clavicles": builder.CLAVICLE, "scapulae": builder.SCAPULA}

# The scapular spine's upper lateral end (16 mm above the acromion's corner, at the back) leaves
# the shoulders' squarer back corner (:data:`.outline.P_SHOULDER`) in the tall lean neutral
# twins: the neutral outline is Heinz's breadth with no cover over the positioned girdle (the PA
# twins' :mod:`.girdle` holds it). Not fixed (branch issue-19tall24).
_SPINE_CORNER = pytest.mark.xfail(strict=True, reason=(
    "the scapular spine's upper lateral end outside the neutral shoulders' back corner in the "
    "tall lean twins (no cover over the neutral girdle; issue-19tall24)"))
_XFAIL = {(name, "neutral", "scapulae"): _SPINE_CORNER
          for name in ("man 200 cm BMI 16", "man 200 cm BMI 18", "woman 185 cm BMI 16")}


@functools.lru_cache(maxsize=None)
def caught(name: str, positioning: str):
    """(twin, soft tissue before the skeleton, the scapulae painted whole)."""
    body, seed = BODIES[name]
    return build_caught(body, seed, VOX, positioning)


def _cases():
    for name in BODIES:
        for positioning in ("neutral", "pa"):
            for bone in BONES:
                mark = _XFAIL.get((name, positioning, bone))
                yield pytest.param(name, positioning, bone, marks=() if mark is None else mark)


@pytest.mark.parametrize("name, positioning, bone", list(_cases()))
def test_bones_lie_under_the_skin(name, positioning, bone):
    """No voxel of ``bone`` lies where the soft tissue drawn before the skeleton is air."""
    ph, trunk, scap = caught(name, positioning)
    mask = scap if bone == "scapulae" else ph.labels == BONES[bone]
    assert mask.any()
    out = mask & (trunk == builder.AIR)
    n = int(np.count_nonzero(out))
    if n:
        k, j, i = np.nonzero(out)
        x, y = ph.grid.axis_mm("x"), ph.grid.axis_mm("y")
        zd = ph.grid.axis_mm("z") - ph.meta["zc_mm"]
        where = (f"|x| {np.abs(x[i]).min():.0f}..{np.abs(x[i]).max():.0f}, y {y[j].min():.0f}.."
                 f"{y[j].max():.0f}, zd {zd[k].min():.0f}..{zd[k].max():.0f} mm")
        pytest.fail(f"{n} {bone} voxels ({n * VOX ** 3 / 1000:.2f} mL) outside the skin at {where}")
