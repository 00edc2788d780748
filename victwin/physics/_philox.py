"""Counter-based random numbers for detector noise, written once and compiled for CPU and CUDA.

A GPU cannot share NumPy's sequential streams: each thread (pixel) must draw its own numbers
without waiting for the others. A counter-based generator gives every draw as a pure function
of ``(counter, key)``: Philox4x32-10 (Salmon, Moraes, Dror & Shaw, "Parallel random numbers:
as easy as 1, 2, 3", SC'11, 2011; the generator of cuRAND's default and of Random123). Here the
counter is ``(pixel index mod 2**32, round, stream, pixel index // 2**32)`` and the key two
32-bit words drawn from the view's own seeded stream, so a view's noise is a function of
(seed, case, system, view[, region], pixel) alone: reproducible, independent of launch order and of which other views run, and the
same on the CPU build as on the CUDA build (up to the last bits of ``exp``/``log``).

Draws:

* Poisson(q): inversion by sequential search for ``q < 10`` (one uniform), and for ``q >= 10``
  the transformed rejection PTRS of Hoermann (1993), "The transformed rejection method for
  generating Poisson random variables", Insurance: Mathematics and Economics 12:39-45 (the
  method NumPy uses for ``lam >= 10``); both are exact samplers, not approximations.
* Normal(0, 1): Box-Muller from two uniforms.

Only 32-bit products are formed in 64-bit integers, so nothing overflows and the same Python
runs unchanged under numba's CUDA simulator. :func:`build` compiles the per-element functions
with a given ``jit`` (``numba.njit`` or ``numba.cuda.jit(device=True)``), as
``victwin.raytrace._traverse`` does for the ray tracer.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["philox4x32", "build", "POISSON_STREAM", "NORMAL_STREAM"]

_MASK = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)
# Philox4x32 multipliers and Weyl key increments (Salmon et al. 2011, Table 2 / Random123
# philox.h: PHILOX_M4x32_0/1, PHILOX_W32_0/1)
_M0 = np.uint64(0xD2511F53)
_M1 = np.uint64(0xCD9E8D57)
_W0 = np.uint64(0x9E3779B9)
_W1 = np.uint64(0xBB67AE85)
_TO_UNIT = 2.0 ** -32

#: Third counter word of the two streams a pixel draws from.
POISSON_STREAM = 0
NORMAL_STREAM = 1


def philox4x32(c0, c1, c2, c3, k0, k1):
    """Philox4x32-10 of the counter ``(c0, c1, c2, c3)`` under the key ``(k0, k1)``.

    Every argument and result is a ``numpy.uint64`` holding a 32-bit word.
    """
    for _ in range(10):
        p0 = _M0 * c0
        p1 = _M1 * c2
        hi0 = p0 >> _S32
        lo0 = p0 & _MASK
        hi1 = p1 >> _S32
        lo1 = p1 & _MASK
        c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
        k0 = (k0 + _W0) & _MASK
        k1 = (k1 + _W1) & _MASK
    return c0, c1, c2, c3


def _unit_py(x):
    """A 32-bit word to a uniform in (0, 1) (never 0 or 1)."""
    return (x + 0.5) * _TO_UNIT


def build(jit):
    """Compile the per-element samplers with ``jit``.

    Returns
    -------
    (poisson, normal)
        ``poisson(q, k0, k1, index, stream) -> float`` and ``normal(k0, k1, index, stream)
        -> float``: draw number ``index`` (a pixel) of ``stream`` under key ``(k0, k1)``
        (uint64 words). ``poisson`` returns 0 for ``q <= 0`` or non-finite ``q``.
    """
    philox = jit(philox4x32)
    unit = jit(_unit_py)

    def poisson(q, k0, k1, index, stream):
        if not (q > 0.0 and q < 1e300):
            return 0.0
        c0 = np.uint64(index) & _MASK
        c2 = np.uint64(stream)
        c3 = np.uint64(index) >> _S32
        if q < 10.0:
            w0, w1, w2, w3 = philox(c0, np.uint64(0), c2, c3, k0, k1)
            u = unit(w0)
            k = 0
            p = math.exp(-q)
            cdf = p
            while u > cdf and k < 1000:
                k += 1
                p = p * q / k
                cdf += p
            return float(k)
        # PTRS (Hoermann 1993), as numpy's random_poisson_ptrs
        slam = math.sqrt(q)
        loglam = math.log(q)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        invalpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2.0)
        result = -1.0
        rnd = 0
        while result < 0.0 and rnd < 10000:
            w0, w1, w2, w3 = philox(c0, np.uint64(rnd), c2, c3, k0, k1)
            rnd += 1
            for half in range(2):
                if half == 0:
                    U = unit(w0) - 0.5
                    V = unit(w1)
                else:
                    U = unit(w2) - 0.5
                    V = unit(w3)
                us = 0.5 - abs(U)
                k = math.floor((2.0 * a / us + b) * U + q + 0.43)
                if us >= 0.07 and V <= vr:
                    result = k
                    break
                if k < 0.0 or (us < 0.013 and V > us):
                    continue
                if (math.log(V) + math.log(invalpha) - math.log(a / (us * us) + b)
                        <= -q + k * loglam - math.lgamma(k + 1.0)):
                    result = k
                    break
        return result if result >= 0.0 else q

    def normal(k0, k1, index, stream):
        w0, w1, w2, w3 = philox(np.uint64(index) & _MASK, np.uint64(0), np.uint64(stream),
                                np.uint64(index) >> _S32, k0, k1)
        u1 = unit(w0)
        u2 = unit(w1)
        return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)

    return jit(poisson), jit(normal)
