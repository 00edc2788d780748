"""Shared pytest set-up.

Tests of the CUDA kernels run under numba's CUDA simulator, which must be switched on before
numba is imported, so they live in ``*_cudasim.py`` files collected only in a process started
with ``NUMBA_ENABLE_CUDASIM=1`` (``.ci/run`` runs that process after the main suite).
"""

import os

# Idle threads on a 2-core machine shared with other work (fifth session, CI time; NOTES "CI
# wall time: idle threads"): OpenBLAS's and libgomp's worker threads spin while they wait, and
# under pytest-xdist (two workers) or any other load the spinning takes the cores the work
# needs: 20 draws of tests/readers/test_known_answer.py took 0.43 CPU-s per draw with
# OpenBLAS's default spin and 0.026 with OPENBLAS_THREAD_TIMEOUT=4 (its shortest; load ~4);
# 3000 small numba prange calls 5.9 CPU-s spinning, 0.6 with OMP_WAIT_POLICY=PASSIVE (load
# ~10). Both keep the thread counts and the work's partition, so no result changes (ROIs of
# tests/acquisition/test_region_noise.py byte-identical). The thread *count* is left alone on
# purpose: one OpenBLAS thread changes the rounding of some reductions, and that test's
# seed-fixed noisy ROIs with it (its CHO check then fails). libgomp reads its variable when
# numba starts its threads (after this file); OpenBLAS reads its own when it is loaded, which
# for numpy's copy was before this file (pytest's plugins import numpy): .ci/run exports both
# before pytest starts; here they reach scipy's copy and the subprocesses that tests start.
# A value set by the user wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

import matplotlib  # noqa: E402
import pytest  # noqa: E402

matplotlib.use("Agg")

_SIM = os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"

collect_ignore_glob = [] if _SIM else ["*_cudasim.py", "*/*_cudasim.py"]


def pytest_configure(config):
    """The run's shared cache of chest twins (tests/phantom/_chest_bodies.py, ``make``): one
    directory per run, made by the main process (an xdist controller, or a plain run) before
    any worker starts, so every worker inherits its name; removed at the run's end."""
    import tempfile

    if hasattr(config, "workerinput") or os.environ.get("VICTWIN_TEST_TWIN_CACHE"):
        return
    config._victwin_twin_cache = tempfile.mkdtemp(prefix="victwin-test-twins-")
    os.environ["VICTWIN_TEST_TWIN_CACHE"] = config._victwin_twin_cache


def pytest_unconfigure(config):
    import shutil

    path = getattr(config, "_victwin_twin_cache", None)
    if path:
        shutil.rmtree(path, ignore_errors=True)
        os.environ.pop("VICTWIN_TEST_TWIN_CACHE", None)


@pytest.fixture(scope="session")
def credibility_results():
    """The live credibility checks, run once per test session (~15 s)."""
    from victwin.validation import run_checks

    return run_checks()
