"""The CUDA noise kernels compile to PTX for a real GPU target (sm_90), without a GPU: the
simulator runs them as Python and cannot catch what numba's CUDA compiler rejects (as
tests/raytrace/test_cuda_ptx.py for the ray tracer). Needs NVVM (the test extra's
nvidia-cuda-nvcc-cu12)."""

import os
import types

import pytest
from numba import types as nt


def _nvvm_available() -> bool:
    try:
        from numba.cuda.cudadrv import nvvm

        return bool(nvvm.is_available())
    except Exception:
        return False


pytestmark = pytest.mark.skipif(not _nvvm_available() and not os.environ.get("CI"),
                                reason="NVVM not installed (pip install nvidia-cuda-nvcc-cu12)")

F = nt.float64[::1]
U = nt.uint64
SIGNATURES = {"poisson_kernel": (F, U, U, U, F), "normal_kernel": (F, F, U, U, U, F)}


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_noise_kernel_compiles_to_ptx(name, monkeypatch):
    import numba.cuda.dispatcher as dispatcher
    from numba import cuda

    from victwin.physics import _noise_cuda

    monkeypatch.setattr(dispatcher, "get_current_device",
                        lambda: types.SimpleNamespace(compute_capability=(9, 0)))
    kernel = getattr(_noise_cuda, name)
    ptx, _ = cuda.compile_ptx(kernel.py_func, SIGNATURES[name], device=False, cc=(9, 0))
    assert ".visible .entry" in ptx and "sm_90" in ptx
