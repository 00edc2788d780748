"""Two 2 mm chest twins (a man and a woman) shared by the mediastinum and gastric-bubble tests:
built once per test session (``functools.lru_cache``) instead of once per module."""

from __future__ import annotations

import functools

from victwin.phantom.chest import make_chest

VOX = 2.0
BODIES = {"man": ({"sex": "male", "age_years": 55, "height_cm": 178, "bmi": 26}, 3),
          "woman": ({"sex": "female", "age_years": 45, "height_cm": 160, "bmi": 31}, 4)}


@functools.lru_cache(maxsize=None)
def twin(name: str):
    """The 2 mm twin of :data:`BODIES` ``name`` (do not modify it: it is shared)."""
    body, seed = BODIES[name]
    return make_chest({"body": body}, seed=seed, voxel_mm=VOX)
