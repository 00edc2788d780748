"""Cohort sampling and the per-case random streams.

Every random draw of a case comes from its own ``numpy.random.Generator`` seeded with
``SeedSequence([trial seed, case id, step])``, where ``step`` is a stable integer derived from
the step's name. A case can therefore be re-run alone, on any worker, and give the same bytes;
adding cases to a trial never changes the earlier ones.
"""

from __future__ import annotations

import hashlib

import numpy as np

from ._bodies import draw_case_body
from ._spec import DENSITY_CLASSES, TrialSpec

__all__ = ["case_rng", "step_key", "sample_cohort"]


def step_key(name: str) -> int:
    """A stable 32-bit integer for a step name (``hash()`` is salted per process)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "little")


def case_rng(seed: int, case_id: int, step: str) -> np.random.Generator:
    """The generator of one step of one case."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), int(case_id),
                                                         step_key(step)]))


def case_seed(seed: int, case_id: int, step: str) -> int:
    """A 31-bit integer seed for APIs that take an ``int`` (phantom recipes, noise)."""
    return int(case_rng(seed, case_id, step).integers(0, 2**31 - 1))


def sample_cohort(spec: TrialSpec, case_ids=None) -> list[tuple[int, dict]]:
    """Draw each case's attributes: density class, age, lesion kind and the seeds it uses.

    Parameters
    ----------
    spec : TrialSpec
    case_ids : iterable of int, optional
        Only these cases (default: all ``cohort.size``); a case's draw does not depend on
        which others are drawn.

    Returns
    -------
    list of (case_id, attributes)
        ``attributes`` is JSON-ready: ``density``, ``age_years``, ``lesion``, ``recipe``,
        ``phantom_seed``, ``noise_seed``; breast cohorts add ``laterality`` ("L" / "R", from
        the case's own "laterality" stream so the other draws do not change); chest cohorts add
        ``sex``, ``height_cm``, ``bmi`` (``cohort.body``: :func:`._bodies.draw_case_body`).
    """
    cohort = spec.cohort
    densities = [d for d in DENSITY_CLASSES if cohort.density_mix.get(d, 0) > 0]
    p_density = np.array([cohort.density_mix[d] for d in densities])
    kinds = sorted(k for k, f in cohort.lesions.items() if f > 0)
    p_kind = np.array([cohort.lesions[k] for k in kinds])
    out = []
    for case_id in (range(cohort.size) if case_ids is None else case_ids):
        rng = case_rng(spec.seed, case_id, "cohort")
        density = densities[int(rng.choice(len(densities), p=p_density / p_density.sum()))]
        kind = kinds[int(rng.choice(len(kinds), p=p_kind / p_kind.sum()))]
        age = float(np.round(rng.uniform(*cohort.age_years), 1))
        recipe = f"breast/{density}" if cohort.family == "breast" else "chest/adult"
        attrs = {
            "density": density if cohort.family == "breast" else "n/a",
            # with cohort.sites every twin carries every kind listed (the draw above is kept so
            # that the other streams do not depend on the layout)
            "lesion": kind if cohort.sites is None else "+".join(kinds),
            "age_years": age,
            "recipe": recipe,
            "phantom_seed": case_seed(spec.seed, case_id, "phantom"),
            "noise_seed": case_seed(spec.seed, case_id, "noise"),
        }
        if cohort.family == "breast":
            attrs["laterality"] = cohort.laterality if cohort.laterality in ("L", "R") else \
                ("L", "R")[int(case_rng(spec.seed, case_id, "laterality").integers(0, 2))]
        if cohort.family == "chest":
            # sex, height and BMI from the NHANES 2015-2018 table for the drawn age, or as
            # cohort.body fixes or restricts them, from their own stream (the draws above stay
            # as they were)
            body = draw_case_body(cohort.body, case_rng(spec.seed, case_id, "body"), age)
            attrs.update(sex=body.sex, height_cm=body.height_cm, bmi=body.bmi)
        out.append((case_id, attrs))
    return out
