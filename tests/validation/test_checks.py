"""Every live credibility check passes on the installed code; broken checks are reported failed.

The checks themselves compare against independent references (NIST XCOM, SpekPy, Boone 2000,
Dance 2000, the ideal-aperture MTF, analytic chords, the Iowa/RJafroc Van Dyke output and
pROC's test values; for chest trials IEC 62220-1-1's RQA5, the ERS 1993 TLC equations,
Danzer's CTR, vertebral morphometry, NLST and ELCAP); see ``victwin/validation/_checks.py``
and ``_chest_checks.py`` for the citations. Each trial's report shows the checks of its body
part (``checks_for``).
"""

from __future__ import annotations

import pytest

from victwin.validation import CHECKS, FAMILIES, CheckResult, checks_for, run_checks
from victwin.validation import _checks


@pytest.mark.parametrize("index", range(len(CHECKS)), ids=[c[1] for c in CHECKS])
def test_check_passes(credibility_results, index):
    res = credibility_results[index]
    assert isinstance(res, CheckResult) and res.name == CHECKS[index][1]
    assert res.passed, f"{res.model}: {res.name}: measured {res.measured}; reference " \
                       f"{res.reference}; tolerance {res.tolerance}"


def test_every_model_is_covered(credibility_results):
    models = {r.model for r in credibility_results}
    assert models == {"ray tracer", "X-ray physics", "phantoms", "statistics"}
    assert {r.kind for r in credibility_results} == {"verification", "validation",
                                                     "calibration"}
    # Their time (the report runs them at write time) is measured by
    # benchmarks/credibility_checks.py, not asserted here: wall time depends on the load.
    assert all(r.seconds >= 0 for r in credibility_results)


def test_a_raising_or_failing_check_is_recorded_failed():
    def boom():
        raise RuntimeError("model broken")

    out = run_checks((
        ("statistics", "raises", "verification", "ref", "tol", boom),
        ("statistics", "misses", "validation", "ref", "tol", lambda: ("0.5 (ref 0.7)", False)),
        ("statistics", "agrees", "validation", "ref", "tol", lambda: ("0.7", True)),
    ))
    assert [r.passed for r in out] == [False, False, True]
    assert out[0].measured.startswith("error: RuntimeError: model broken")
    assert out[1].measured == "0.5 (ref 0.7)"
    assert all(r.seconds >= 0 for r in out)


# typed here: the checks whose reference is a breast, a mammography beam or detector, or
# VICTRE's breast pipeline; the chest trial's own checks; the ones of every trial
BREAST_ONLY = {"water attenuation at 20 keV", "HVL of W/Rh 28 kVp (1 mm Be, 50 um Rh)",
               "scatter-to-primary ratio, 4.5 cm x 15 cm breast",
               "a-Se detector presampled MTF (slanted edge)",
               "mean glandular dose, standard breast",
               "glandular fraction of fatty and dense breasts",
               "VICTRE spectrum as loaded (W/Rh 28 kVp .spc)",
               "VICTRE tissue attenuation at MC-GPU's densities",
               "MC-GPU detector charge model, flat field",
               "MC-GPU focal spot (300 um FWHM, cut at 2 sigma)",
               "VICTRE exposure: detected energy, open DM pixel, 45 mm breast",
               "VICTRE calcification cluster (3 seeds)", "texture power-law exponent"}
CHEST_ONLY = {"water attenuation at 60 keV",
              "chest PA beam (W 120 kV, 2.5 mm Al + 0.1 mm Cu): HVL and air kerma",
              "RQA5 photon fluence per air kerma", "lung volume of a man and a woman",
              "cardiothoracic ratio", "twelve posterior rib pairs a thoracic level apart",
              "diaphragm level", "nodule sizes (2000 draws)", "nodule types (2000 draws)",
              "nodule margins (2000 draws)"}
EVERY = {"path lengths per label vs exact slab chords",
         "backprojector is the exact adjoint of the projector",
         "Van Dyke OR-jackknife RRRC test", "empirical AUC and DeLong variance (aSAH, WFNS)"}


def test_each_body_part_gets_its_own_checks():
    """A chest trial's checks are the chest ones and those of every trial, no breast one; a
    breast trial's are the breast ones and those of every trial; every check is in one."""
    assert {c[1] for c in CHECKS} == BREAST_ONLY | CHEST_ONLY | EVERY
    assert {c[1] for c in checks_for("chest")} == CHEST_ONLY | EVERY
    assert {c[1] for c in checks_for("breast")} == BREAST_ONLY | EVERY
    assert set(FAMILIES) == {c[1] for c in CHECKS}
    for fam in ("breast", "chest"):   # report order: grouped by model
        models = [c[0] for c in checks_for(fam)]
        assert models == sorted(models, key=["ray tracer", "X-ray physics", "phantoms",
                                             "statistics"].index)
    with pytest.raises(ValueError, match=r"family must be one of \['breast', 'chest'\]; got 'knee'"):
        checks_for("knee")


def test_run_checks_of_a_family_runs_only_those(monkeypatch):
    ran = []

    def check(name):
        return lambda: ran.append(name) or ("ok", True)

    fake = tuple((m, n, "verification", "ref", "tol", check(n))
                 for m, n in (("phantoms", "b"), ("phantoms", "c"), ("statistics", "both")))
    monkeypatch.setattr(_checks, "CHECKS", fake)
    monkeypatch.setattr(_checks, "FAMILIES", {"b": ("breast",), "c": ("chest",),
                                              "both": ("breast", "chest")})
    assert [r.name for r in run_checks(family="chest")] == ["c", "both"] and ran == ["c", "both"]
    assert [r.name for r in run_checks()] == ["b", "c", "both"]
    res = run_checks(family="breast")
    custom = CheckResult("statistics", "custom", "verification", "r", "m", "t", True, 0.0)
    assert [r.name for r in _checks.for_family(res + [custom], "chest")] == ["both", "custom"]
