"""Synthetic finished chest trials for the analysis tests: a store whose cases carry the
chest attributes the cohort stage writes (``test_nodule_classes``, ``test_chest_sites``)."""

from __future__ import annotations

from victwin.trial import TrialStore, provenance_record


def chest_store(path, spec, n_cases: int):
    """A new store for ``spec`` with ``n_cases`` chest cases (ids 0..n-1, men of 60 years,
    175 cm, BMI 26) registered and none finished; returns ``(store, cases)``."""
    store = TrialStore(path, create=True)
    store.set_provenance(provenance_record(spec, backend="cpu", executor="test"))
    cases = [(cid, {"density": "n/a", "lesion": "nodule", "age_years": 60.0,
                    "recipe": "chest/adult", "phantom_seed": cid, "noise_seed": cid,
                    "sex": "male", "height_cm": 175.0, "bmi": 26.0})
             for cid in range(n_cases)]
    store.add_cases(cases)
    return store, cases
