"""Shared pytest set-up.

Tests of the CUDA kernels run under numba's CUDA simulator, which must be switched on before
numba is imported, so they live in ``*_cudasim.py`` files collected only in a process started
with ``NUMBA_ENABLE_CUDASIM=1`` (``.ci/run`` runs that process after the main suite).
"""

import os

# Threads on a 2-core machine shared with other work (fifth session, CI time; NOTES "CI wall
# time: threads"): OpenBLAS's and libgomp's worker threads spin while they wait, and under
# pytest-xdist (two workers) or any other load the spinning takes the cores the work needs:
# 20 draws of tests/readers/test_known_answer.py took 0.53 CPU-s per draw with OpenBLAS's
# default threads and 0.014 with one (load ~9); 3000 small numba prange calls 5.9 CPU-s
# spinning and 0.6 passive. Neither changes a result: one BLAS thread is the serial kernel;
# a passive wait keeps numba's thread count and its static schedule. A value set by the user
# wins. Set here, before numba starts its threads (the first parallel kernel) and before the
# subprocesses that tests start (CLI, Dask workers) read the environment.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
if "OPENBLAS_NUM_THREADS" not in os.environ:
    os.environ["OPENBLAS_NUM_THREADS"] = "1"

    def _one_blas_thread():
        """numpy (and perhaps scipy) loaded OpenBLAS before this file: set it at run time."""
        import ctypes

        try:
            with open("/proc/self/maps") as maps:
                libs = {ln.split()[-1] for ln in maps if "openblas" in ln.lower()}
        except OSError:        # not Linux: the environment still reaches subprocesses
            return
        for lib in libs:
            handle = ctypes.CDLL(lib)
            for name in ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
                         "openblas_set_num_threads64_", "openblas_set_num_threads"):
                if hasattr(handle, name):
                    getattr(handle, name)(1)
                    break

    _one_blas_thread()

import matplotlib  # noqa: E402
import pytest  # noqa: E402

matplotlib.use("Agg")

_SIM = os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"

collect_ignore_glob = [] if _SIM else ["*_cudasim.py", "*/*_cudasim.py"]


@pytest.fixture(scope="session")
def credibility_results():
    """The live credibility checks, run once per test session (~15 s)."""
    from victwin.validation import run_checks

    return run_checks()
