"""Every live credibility check passes on the installed code; broken checks are reported failed.

The checks themselves compare against independent references (NIST XCOM, SpekPy, Boone 2000,
Dance 2000, the ideal-aperture MTF, analytic chords, the Iowa/RJafroc Van Dyke output and
pROC's test values); see ``victwin/validation/_checks.py`` for the citations.
"""

from __future__ import annotations

import pytest

from victwin.validation import CHECKS, CheckResult, run_checks


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
