"""Matrix products over a short axis summed in a fixed order (no BLAS), for the CPU.

``mix(c, x, out)`` is ``out[b, k, p] = sum_j c[k, j] * x[b, j, p]`` in float32, the sum over
``j`` taken in ascending order for each element on its own (one multiply, then one add per
term; no fused multiply-add, no reassociation: numba's default ``fastmath=False``). Blocks
of pixels are spread over numba's threads, but every element is computed by one thread in
the same order, so the bytes do not depend on the number of threads. A multi-threaded BLAS
GEMM (OpenBLAS) partitions the product by the thread count, and its kernels' edge cases round
differently: the last bits of ``numpy.matmul`` then follow ``OPENBLAS_NUM_THREADS`` (measured:
``benchmarks/thread_determinism.py``, NOTES.md "thread-count determinism").

Private: reached through :func:`victwin.physics.primary_signal`.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

#: Pixels per block handed to one thread (4 KiB of float32 accumulator; a fixed size, so the
#: partition is the same on every machine - the result does not depend on it either).
_BLOCK = 1024


@njit(parallel=True, cache=True, boundscheck=False)
def _mix_kernel(c, x, x_start, out, out_start, n):
    n_lead, n_j, _ = x.shape
    n_k = c.shape[0]
    n_blocks = (n + _BLOCK - 1) // _BLOCK
    for t in prange(n_lead * n_blocks):
        b = t // n_blocks
        p0 = (t % n_blocks) * _BLOCK
        m = min(p0 + _BLOCK, n) - p0
        acc = np.empty(_BLOCK, np.float32)
        for k in range(n_k):
            xs = x[b, 0, x_start + p0:x_start + p0 + m]
            c0 = c[k, 0]
            for p in range(m):
                acc[p] = c0 * xs[p]
            for j in range(1, n_j):
                cj = c[k, j]
                xs = x[b, j, x_start + p0:x_start + p0 + m]
                for p in range(m):
                    acc[p] += cj * xs[p]
            o = out[b, k, out_start + p0:out_start + p0 + m]
            for p in range(m):
                o[p] = acc[p]


def mix(c: np.ndarray, x: np.ndarray, out: np.ndarray, *, x_start: int = 0,
        out_start: int = 0, count: int | None = None) -> np.ndarray:
    """``out[b, k, out_start + p] = sum_j c[k, j] x[b, j, x_start + p]`` for ``p < count``.

    Parameters
    ----------
    c : float32 array ``[n_k, n_j]``
        Coefficients (e.g. attenuation ``mu[E, label]`` in 1/mm, or spectral weights).
    x : float32 C-contiguous array ``[n_lead, n_j, n_x]``
        Values per pixel (e.g. path lengths in mm).
    out : float32 C-contiguous array ``[n_lead, n_k, n_out]``
        Written in place over ``[out_start, out_start + count)`` and returned.
    x_start, out_start, count : int
        Pixel offsets into ``x`` and ``out`` and the number of pixels (default: all of ``x``
        from ``x_start``).

    Returns
    -------
    out
        The same array. The sum over ``j`` runs in ascending order per element, in float32:
        the bytes do not depend on the number of threads (see the module docstring).
    """
    for name, a in (("c", c), ("x", x), ("out", out)):
        if a.dtype != np.float32:
            raise TypeError(f"mix: {name} must be float32, got {a.dtype}")
    if x.ndim != 3 or out.ndim != 3 or c.ndim != 2 or not (x.flags.c_contiguous
                                                              and out.flags.c_contiguous):
        raise ValueError(f"mix: need c [k, j], C-contiguous x [b, j, p] and out [b, k, p], got "
                         f"{c.shape}, {x.shape}, {out.shape}")
    n = x.shape[2] - x_start if count is None else int(count)
    if (x_start < 0 or out_start < 0 or c.shape[1] != x.shape[1] or out.shape[:2] != (x.shape[0], c.shape[0]) or n < 0
            or x_start + n > x.shape[2] or out_start + n > out.shape[2]):
        raise ValueError(f"mix: shapes c {c.shape}, x {x.shape}, out {out.shape} do not fit "
                         f"x_start={x_start}, out_start={out_start}, count={n}")
    if n > 0 and c.shape[1] > 0:
        _mix_kernel(np.ascontiguousarray(c), x, int(x_start), out, int(out_start), n)
    elif n > 0:
        out[:, :, out_start:out_start + n] = 0.0
    return out
