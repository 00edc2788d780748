"""Cancellous bone as a dithered mixture of bone and marrow voxels (vertebrae, ribs, clavicles,
sternum, calcified cartilage, scapulae), and its bone volume fraction.

The dither is a function of position: a fill draws one 64-bit key from its generator, and each
voxel's uniform number is a counter-based hash (SplitMix64) of the key and the voxel's linear
index in the label array. The generator's consumption therefore does not depend on how many
voxels a bone has, so a change in one bone's shape leaves every other bone's dither (and every
later draw of the stream) as it was.

References
----------
.. [1] Steele GL, Lea D, Flood CH. Fast splittable pseudorandom number generators. OOPSLA 2014,
   ACM SIGPLAN Notices 49(10):453-472 (SplitMix: the state advances by the odd constant
   ``GOLDEN_GAMMA`` and each output is the state through a 64-bit finaliser).
.. [2] Vigna S. splitmix64.c, https://prng.di.unimi.it/splitmix64.c (public domain): the
   finaliser's shifts 30, 27, 31 and multipliers ``0xbf58476d1ce4e5b9``,
   ``0x94d049bb133111eb`` used here, and the 53-bit conversion to [0, 1) (``x >> 11`` times
   2**-53) of the same site's xoshiro page.
"""

from __future__ import annotations

import numpy as np

__all__ = ["TRABECULAR_BV_TV", "fill_cancellous", "dither_key", "uniform_at",
           "linear_index"]

# Trabecular bone volume fraction of vertebral bodies and of the ribs' cancellous interior:
# ASSUMPTION 0.15. Adult thoracic/lumbar vertebrae are recalled as 0.10-0.20 by micro-CT
# (Hildebrand T et al. J Bone Miner Res 1999;14:1167-1174; the paper was not re-read and its
# table is not at hand, and no rib value was found with the search tool). Interiors are painted
# with this fraction of (cortical) bone voxels, the rest marrow (soft tissue).
TRABECULAR_BV_TV = 0.15

# SplitMix64's constants (Steele et al. 2014 [1]; Vigna's splitmix64.c [2]).
_GOLDEN_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def dither_key(rng) -> np.uint64:
    """One 64-bit key drawn from ``rng`` (a ``numpy.random.Generator``): the only draw a
    position-keyed dither makes, whatever the number of voxels."""
    return np.uint64(rng.integers(0, np.iinfo(np.uint64).max, dtype=np.uint64, endpoint=True))


def uniform_at(key, index) -> np.ndarray:
    """Uniform numbers in [0, 1) (float64, 53 bits) as a function of ``key`` (uint64) and
    ``index`` (integer array, >= 0): the ``index``-th output (from 0) of a SplitMix64 stream
    seeded with ``key`` [1]_ [2]_, computed for all indices at once (counter-based, no state).

    The same key and index always give the same number; distinct indices under one key are
    distinct outputs of one SplitMix64 stream."""
    idx = np.asarray(index).astype(np.uint64, copy=False)
    with np.errstate(over="ignore"):           # uint64 arithmetic wraps mod 2**64 by design
        z = np.uint64(key) + (idx + np.uint64(1)) * _GOLDEN_GAMMA
        z = (z ^ (z >> np.uint64(30))) * _MIX1
        z = (z ^ (z >> np.uint64(27))) * _MIX2
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)   # 2**-53


def linear_index(a: np.ndarray, where) -> np.ndarray:
    """Linear index (int64) of the elements ``a[where]`` in the array that owns ``a``'s memory:
    for ``a = labels[sl]`` (a basic-slicing view) the C-order index in ``labels``, so a voxel
    has one index however the array was sliced. ``where``: a tuple of index arrays into ``a``
    (as ``np.nonzero`` returns)."""
    owner = a
    while isinstance(owner.base, np.ndarray):
        owner = owner.base
    item = a.itemsize
    out = np.full(np.shape(where[0]), (a.ctypes.data - owner.ctypes.data) // item, np.int64)
    for ix, stride in zip(where, a.strides):
        out += np.asarray(ix, np.int64) * (stride // item)
    return out


def fill_cancellous(labels, interior: int, rng, *, bone: int, soft: int,
                    fraction: float = TRABECULAR_BV_TV) -> None:
    """Turn every voxel labelled ``interior`` into ``bone`` with probability ``fraction``
    (default :data:`TRABECULAR_BV_TV`: cancellous bone as a BV/TV mixture), else ``soft``,
    slab by slab of 16 z-slices so temporaries stay small.

    Draws one key from ``rng`` (:func:`dither_key`); a voxel's number is :func:`uniform_at` of
    that key and its :func:`linear_index`, so the dither is a function of position and the
    generator's state after the call does not depend on the number of interior voxels."""
    key = dither_key(rng)
    for z0 in range(0, labels.shape[0], 16):
        slab = labels[z0:z0 + 16]
        where = np.nonzero(slab == interior)
        if len(where[0]):
            u = uniform_at(key, linear_index(slab, where))
            slab[where] = np.where(u < fraction, np.uint8(bone), np.uint8(soft))
