"""The case's patient twins: the lesion-free phantom, lesion models and the one-lesion layout.

Shared by the case runner (:mod:`._runner`) and the lesion sites (:mod:`._sites`).
"""

from __future__ import annotations

import functools
import time

import numpy as np

from ._cohort import case_rng
from ._spec import TrialSpec

__all__ = ["one_lesion_phantoms"]


class _Clock:
    def __init__(self):
        self.t = {}

    def add(self, key, seconds):
        self.t[key] = self.t.get(key, 0.0) + seconds


def _lesion_model(kind: str, rng, voxel_mm: float, preset: str = "victwin"):
    from victwin.phantom import (calcification_cluster, spiculated_mass, victre_cluster,
                                 victre_mass)
    from victwin.phantom.chest.nodules import lung_nodule
    from victwin.systems import get_preset

    p = get_preset(preset)
    if kind == "mass" and p.mass == "victre":
        # breastMass's voxel size (VICTREMass.cfg imgRes 0.05 mm) or the phantom's if finer
        return victre_mass(rng, voxel_mm=min(voxel_mm, 0.05))
    if kind == "calcification" and p.calcification == "victre":
        return victre_cluster(rng, voxel_mm=min(voxel_mm, 0.05))
    if kind == "mass":
        # VICTRE's masses are 5-10 mm across; at coarse voxels keep them resolvable.
        return spiculated_mass(rng, voxel_mm=min(voxel_mm, 0.2))
    if kind == "calcification":
        return calcification_cluster(rng, voxel_mm=min(voxel_mm, 0.05))
    if kind == "nodule":
        return lung_nodule(rng, voxel_mm=min(voxel_mm, 0.5))
    raise ValueError(f"unknown lesion kind {kind!r}")


@functools.lru_cache(maxsize=24)
def _site_model_cached(seed: int, case_id: int, k: int, kind: str, voxel_mm: float,
                       preset: str):
    return _lesion_model(kind, case_rng(seed, case_id, f"lesion-{k}"), voxel_mm, preset)


def site_lesion_model(spec: TrialSpec, case_id: int, k: int, kind: str):
    """The lesion model of site ``k`` of a case with ``cohort.sites`` (its own stream
    ``lesion-k``, the spec's voxels and preset). Memoised: the site placement checks the
    lesion before the case inserts it, and a VICTRE mass takes ~1 CPU-s to draw. The model
    is immutable (its patch is read-only)."""
    return _site_model_cached(int(spec.seed), int(case_id), int(k), str(kind),
                              float(spec.resolution.voxel_mm), str(spec.preset))


def _lesion_box(model, center_mm, voxel_mm: float) -> tuple:
    """A box (mm) holding the lesion's patch resampled anywhere on a grid of ``voxel_mm``."""
    half = np.asarray(model.patch.shape[::-1], float) * model.voxel_mm / 2 + 2 * voxel_mm
    c = np.asarray(center_mm, float)
    return (tuple(c - half), tuple(c + half))


def _fit_center(center, size, shape) -> tuple:
    """Shift an ROI centre the least so that the whole ROI lies inside the image.

    Lesions near the chest wall or the field edge would otherwise fail their case on every
    attempt and be left out of the trial; the shift is recorded with the ROI.
    """
    out = []
    for c, s, n in zip(center, size, shape):
        if s > n:
            raise ValueError(f"ROI of {s} pixels does not fit an image axis of {n} pixels")
        out.append(int(np.clip(c, s // 2, n - 1 - (s - 1) // 2)))
    return tuple(out)


def _make_phantom(spec: TrialSpec, attributes: dict, clock=None, voxel_mm=None):
    """The case's lesion-free twin (without the preset's materials), at the spec's voxel
    size or ``voxel_mm``."""
    from victwin.phantom import make

    clock = clock or _Clock()
    t0 = time.perf_counter()
    recipe = attributes["recipe"]
    if "bmi" in attributes:       # a chest twin whose body the cohort drew
        from victwin.phantom.chest import load_chest_recipe

        recipe = load_chest_recipe(recipe)
        recipe["body"].update({k: attributes[k] for k in ("sex", "age_years", "height_cm",
                                                          "bmi")})
    phantom = make(recipe, seed=attributes["phantom_seed"],
                   voxel_mm=spec.resolution.voxel_mm if voxel_mm is None else voxel_mm,
                   progress=False)
    clock.add("phantom", time.perf_counter() - t0)
    return phantom


def one_lesion_phantoms(spec: TrialSpec, case_id: int, attributes: dict, clock=None):
    """The lesion-free twin, its version with the case's one lesion, and the lesion record
    (the layout without ``cohort.sites``)."""
    from victwin.phantom import insert_lesion

    clock = clock or _Clock()
    phantom = _make_phantom(spec, attributes, clock)
    t0 = time.perf_counter()
    model = _lesion_model(attributes["lesion"], case_rng(spec.seed, case_id, "lesion"),
                          spec.resolution.voxel_mm, spec.preset)
    if attributes["lesion"] == "nodule":      # in lung, away from the pleura
        from victwin.phantom.chest.nodules import place_nodule

        present, lesion = place_nodule(phantom, model, case_rng(spec.seed, case_id, "placement"))
    else:
        present, lesion = insert_lesion(phantom, model,
                                        rng=case_rng(spec.seed, case_id, "placement"))
    from victwin.systems import get_preset

    preset = get_preset(spec.preset)          # the preset's materials (none for "victwin")
    phantom, present = preset.apply(phantom), preset.apply(present)
    clock.add("lesion", time.perf_counter() - t0)
    return phantom, present, lesion
