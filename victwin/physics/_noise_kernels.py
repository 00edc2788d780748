"""Per-pixel noise kernels on the counter-based generator (:mod:`._philox`), for CPU and CUDA.

The samplers of ``_philox.build`` are compiled twice from the same Python: with ``numba.njit``
into a ``prange`` loop (CPU) and with ``numba.cuda.jit(device=True)`` into
one-thread-per-pixel kernels (GPU, :mod:`._noise_cuda`; under ``NUMBA_ENABLE_CUDASIM=1``
numba's simulator runs them on NumPy arrays).
Both give the same draws for the same key: the CPU build is the reference the CUDA build is
tested against.

:func:`poisson` and :func:`normal` take arrays on the device of the backend (CuPy for
``"cuda"``, or NumPy under the simulator; NumPy for ``"cpu"``) and return arrays there.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from . import _philox

__all__ = ["poisson", "normal", "noise_key"]

_poisson_cpu, _normal_cpu = _philox.build(njit(cache=True))


@njit(parallel=True, cache=True)
def _poisson_kernel_cpu(q, k0, k1, stream, out):
    for i in prange(q.size):
        out[i] = _poisson_cpu(q[i], k0, k1, i, stream)


@njit(parallel=True, cache=True)
def _normal_kernel_cpu(mean, std, k0, k1, stream, out):
    for i in prange(mean.size):
        out[i] = mean[i] + std[i] * _normal_cpu(k0, k1, i, stream)


def noise_key(rng) -> tuple[int, int]:
    """Two 32-bit key words drawn from a view's seeded NumPy stream (``view_noise`` /
    ``region_noise``): the counter-based draws of that view are then a function of the same
    (seed, case, system, view[, region]) as its CPU stream."""
    words = rng.integers(0, 2 ** 32, size=2, dtype=np.uint64)
    return int(words[0]), int(words[1])


def _flat(a, xp):
    return xp.ascontiguousarray(a, dtype=xp.float64).ravel()


def poisson(q, key, *, stream: int = _philox.POISSON_STREAM, backend: str = "cpu", xp=np):
    """Poisson(``q``) counts per element (float64, shape of ``q``) under ``key``.

    Parameters
    ----------
    q : float array (NumPy, or CuPy for ``backend="cuda"`` with CuPy)
        Expected counts, >= 0 (0 or non-finite gives 0).
    key : (int, int)
        32-bit key words (:func:`noise_key`).
    stream : int
        Counter word separating independent draws of one key.
    backend : {"cpu", "cuda"}
        Which build runs (a resolved backend; "cuda" under the simulator runs its kernels on
        NumPy arrays).
    xp : module
        Array module of ``q``.
    """
    flat = _flat(q, xp)
    out = xp.empty_like(flat)
    k0, k1, st = np.uint64(key[0]), np.uint64(key[1]), np.uint64(stream)
    if backend == "cuda":
        from . import _noise_cuda as cu

        cu.poisson_kernel[cu.blocks_for(flat.size), cu.THREADS_PER_BLOCK](flat, k0, k1, st, out)
    else:
        _poisson_kernel_cpu(flat, k0, k1, st, out)
    return out.reshape(q.shape)


def normal(mean, std, key, *, stream: int = _philox.NORMAL_STREAM, backend: str = "cpu",
           xp=np):
    """``mean + std * N(0, 1)`` per element (float64, shape of ``mean``) under ``key``.

    ``std`` is an array of ``mean``'s shape or a scalar. See :func:`poisson` for the rest.
    """
    m = _flat(mean, xp)
    s = xp.empty(mean.shape, dtype=xp.float64)  # writable (the simulator copies args back)
    s[...] = std
    s = s.ravel()
    out = xp.empty_like(m)
    k0, k1, st = np.uint64(key[0]), np.uint64(key[1]), np.uint64(stream)
    if backend == "cuda":
        from . import _noise_cuda as cu

        cu.normal_kernel[cu.blocks_for(m.size), cu.THREADS_PER_BLOCK](m, s, k0, k1, st, out)
    else:
        _normal_kernel_cpu(m, s, k0, k1, st, out)
    return out.reshape(mean.shape)
