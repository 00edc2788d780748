"""CUDA kernels of the counter-based noise: the samplers of ``_philox`` compiled with
``numba.cuda.jit(device=True)``, one thread per pixel.

Imported only when the CUDA backend is used (:mod:`._noise_kernels`); under
``NUMBA_ENABLE_CUDASIM=1`` numba's simulator runs these kernels on NumPy arrays.
"""

from __future__ import annotations

from numba import cuda

from . import _philox

THREADS_PER_BLOCK = 256

_poisson, _normal = _philox.build(cuda.jit(device=True))


@cuda.jit
def poisson_kernel(q, k0, k1, stream, out):
    i = cuda.grid(1)
    if i < q.size:
        out[i] = _poisson(q[i], k0, k1, i, stream)


@cuda.jit
def normal_kernel(mean, std, k0, k1, stream, out):
    i = cuda.grid(1)
    if i < mean.size:
        out[i] = mean[i] + std[i] * _normal(k0, k1, i, stream)


def blocks_for(n: int) -> int:
    return max(1, (n + THREADS_PER_BLOCK - 1) // THREADS_PER_BLOCK)
