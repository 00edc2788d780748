"""The CUDA kernels compile to PTX for a real GPU target (sm_90, the H100), without a GPU.

The simulator runs kernels as Python, so it cannot catch code that numba's CUDA compiler
rejects; compiling to PTX through NVVM does. (It caught builtin ``min``/``max`` on floats in
device functions.) Needs NVVM, from the ``nvidia-cuda-nvcc-cu12`` wheel in the test extra.
"""

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


# CI installs the test extra, so there a missing NVVM is a failure, not a skip.
pytestmark = pytest.mark.skipif(not _nvvm_available() and not os.environ.get("CI"),
                                reason="NVVM not installed (pip install nvidia-cuda-nvcc-cu12)")

F2 = nt.float64[:, ::1]
F1 = nt.float64[::1]
I = nt.int64
SIGNATURES = {
    "labels_kernel": (nt.uint8[::1], I, I, I, F2, F2, F2, F2, F1, F1, I, nt.float32[:, :, :, ::1]),
    "forward_kernel": (nt.float32[::1], I, I, I, F2, F2, F2, F2, F1, F1, nt.float32[:, :, ::1]),
    "backproject_kernel": (nt.float32[:, :, ::1], I, I, I, F2, F2, F2, F2, F1, F1,
                           nt.float32[:, ::1]),
    "interpolate_kernel": (nt.float32[:, :, ::1], nt.float64[:, :, ::1], I, I, I,
                           nt.float64, nt.float64, nt.float64, nt.float64, nt.float64,
                           nt.float64, nt.boolean, nt.float32[::1]),
}


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_kernel_compiles_to_ptx(name, monkeypatch):
    import numba.cuda.dispatcher as dispatcher
    from numba import cuda

    from victwin.raytrace import _cuda

    # Device functions ask the current device for its compute capability; there is none here.
    monkeypatch.setattr(dispatcher, "get_current_device",
                        lambda: types.SimpleNamespace(compute_capability=(9, 0)))
    kernel = getattr(_cuda, name)
    ptx, _ = cuda.compile_ptx(kernel.py_func, SIGNATURES[name], device=False, cc=(9, 0))
    assert ".visible .entry" in ptx and "sm_90" in ptx
    if name == "backproject_kernel":
        assert "atom.global.add.f32" in ptx or "red.global.add.f32" in ptx
