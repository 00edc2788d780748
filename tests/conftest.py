"""Shared pytest set-up.

Tests of the CUDA kernels run under numba's CUDA simulator, which must be switched on before
numba is imported, so they live in ``*_cudasim.py`` files collected only in a process started
with ``NUMBA_ENABLE_CUDASIM=1`` (``.ci/run`` runs that process after the main suite).
"""

import os

import matplotlib
import pytest

matplotlib.use("Agg")

_SIM = os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"

collect_ignore_glob = [] if _SIM else ["*_cudasim.py", "*/*_cudasim.py"]


@pytest.fixture(scope="session")
def credibility_results():
    """The live credibility checks, run once per test session (~15 s)."""
    from victwin.validation import run_checks

    return run_checks()
