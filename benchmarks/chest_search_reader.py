"""The rib endpoint of a reader that searches the whole PA film (pre-registered; not yet run).

The plan is docs/phantoms/chest.md, "Pre-registered plan (not yet run): a reader that
searches the film" (NOTES.md, session of 2026-12-05 (third)). This file holds its
**analysis**, written and tested before any data exist, so that nothing in it can be chosen
after a result is seen. The stage that rebuilds the 180 test twins of the stored run,
images them full field and reads them (``victwin.readers.scan_template``, ``search_marks``,
``localise``) is **not written yet**; ``main`` says so and exits.

What a later stage hands to :func:`search_rib_endpoint`, per size class ``k`` (one reader
per class, its template applied at every pixel of the lung field):

* ``ll[k]``: each test nodule of class ``k``: its LL rating on its twin's lesion-present
  film (``-inf`` unmarked), its rib class and its twin;
* ``max_nl[k]``: each test twin's lesion-absent film read with class ``k``'s reader: the
  highest NL rating (``-inf`` without marks).

Endpoint: theta_k,c = AFROC figure of merit of class ``k``'s nodules of rib class ``c``
against all lesion-absent films (Chakraborty & Berbaum, Med Phys 2004;31:2313), and
D_search = sum_k w_k (theta_k,between - theta_k,over) / sum_k w_k, w_k the class's test
nodules: the estimator of ``ribs_by_size`` (:func:`chest_nodules_trial._ribs_stratified`)
with nodules and films as its units, both clustered by twin; 95 % percentile CI from 2000
cluster-bootstrap resamples of the test twins (seed 19, as ``sites_endpoints``); "falls with
overlapping ribs" shown when the CI lies above 0.
"""

from __future__ import annotations

import sys

#: Cluster-bootstrap resamples and seed (as benchmarks/chest_nodules_trial.py).
N_BOOT = 2000
SEED = 19


def afroc_table(ll: dict, max_nl: dict, n_twins: int):
    """Lay per-class LL and highest-NL ratings out as the units of the stratified estimator.

    Parameters
    ----------
    ll : dict
        size class -> ``(ratings [n], rib classes [n], twin index [n])`` of its test nodules
        (ratings ``-inf`` when unmarked; twin index in ``0 .. n_twins - 1``).
    max_nl : dict
        size class -> ratings ``[n_twins]``: twin ``t``'s lesion-absent film's highest NL
        rating with that class's reader (``-inf`` without marks).
    n_twins : int

    Returns
    -------
    scores : ndarray ``[1, n_units]`` (one reader), finite; unmarked below every mark
    truth : ndarray ``[n_units]``, 1 nodule, 0 film
    twin_of : ndarray ``[n_units]``
    strata : dict
        ``(size class, rib class)`` -> boolean mask: that cell's nodules and the class's
        films (every film enters both rib cells of its class).
    """
    import numpy as np

    from victwin.readers import afroc_units
    from victwin.trial._nodule_classes import NODULE_SIZE_CLASSES, RIB_OVERLAP_CLASSES

    unknown = set(ll) - set(NODULE_SIZE_CLASSES) | set(max_nl) - set(NODULE_SIZE_CLASSES)
    if unknown:
        raise ValueError(f"unknown size classes {sorted(unknown)} (valid: "
                         f"{', '.join(NODULE_SIZE_CLASSES)})")
    scores, truth, twin_of, size, rib = [], [], [], [], []
    for k in NODULE_SIZE_CLASSES:
        if k not in ll:
            continue
        r, c, t = (np.asarray(v) for v in ll[k])
        films = np.asarray(max_nl[k], dtype=float)
        if films.shape != (n_twins,):
            raise ValueError(f"max_nl[{k!r}] must hold one rating per test twin "
                             f"({n_twins}), got shape {films.shape}")
        bad = set(c.tolist()) - set(RIB_OVERLAP_CLASSES)
        if bad:
            raise ValueError(f"unknown rib classes {sorted(bad)} in ll[{k!r}]")
        s, y = afroc_units(r, films)
        scores.append(s)
        truth.append(y)
        twin_of.append(np.r_[t.astype(int), np.arange(n_twins)])
        size.append(np.full(len(s), k, dtype=object))
        rib.append(np.r_[c.astype(object), np.full(n_twins, None, dtype=object)])
    scores, truth, twin_of = (np.concatenate(v) for v in (scores, truth, twin_of))
    size, rib = np.concatenate(size), np.concatenate(rib)
    # each class's unmarked units sit below that class's marks (afroc_units); strata never
    # mix classes, so no unit meets another class's
    strata = {(k, c): (size == k) & ((rib == c) | (truth == 0))
              for k in NODULE_SIZE_CLASSES for c in RIB_OVERLAP_CLASSES}
    return scores[None, :], truth, twin_of, strata


def search_rib_endpoint(ll: dict, max_nl: dict, n_twins: int, *, seed: int = SEED,
                        n_boot: int = N_BOOT) -> dict:
    """D_search with its cluster-bootstrap CI and verdict (module docstring).

    Returns the ``_ribs_stratified`` dictionary (``difference``, ``ci``, per-class
    ``classes``, ``left_out``, ``dprime``) plus ``verdict`` and ``n_twins``.
    """
    import numpy as np

    from victwin.trial._nodule_classes import NODULE_SIZE_CLASSES

    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent))
    from chest_nodules_trial import _ribs_stratified

    scores, truth, twin_of, strata = afroc_table(ll, max_nl, n_twins)
    rng = np.random.default_rng(seed)
    boots = rng.multinomial(n_twins, np.full(n_twins, 1.0 / n_twins), size=n_boot)
    res = _ribs_stratified(scores, truth, twin_of, n_twins, NODULE_SIZE_CLASSES, strata, boots,
                           weights="the class's number of test nodules")
    lo = res["ci"][0] if res.get("ci") else None
    hi = res["ci"][1] if res.get("ci") else None
    res["verdict"] = ("not readable" if lo is None else
                      "shown (CI above 0)" if lo > 0 else
                      "reversed (CI below 0)" if hi < 0 else "not shown")
    res["n_twins"] = int(n_twins)
    res["figure_of_merit"] = ("AFROC: P(LL rating of a nodule > highest NL rating of a "
                              "lesion-absent film), ties 1/2, per size class")
    return res


def main(argv=None) -> int:
    raise SystemExit("benchmarks/chest_search_reader.py: the stage that rebuilds and reads the "
                     "test twins is not written yet (docs/phantoms/chest.md, 'Pre-registered "
                     "plan (not yet run)'); only search_rib_endpoint is fixed")


if __name__ == "__main__":
    sys.exit(main())
