"""Cancellous bone as a dithered mixture of bone and marrow voxels (vertebrae, ribs, clavicles,
sternum, calcified cartilage, scapulae), and its bone volume fraction.

The dither is a function of position: a fill draws one 64-bit key from its generator, and each
voxel's uniform number is a counter-based hash (SplitMix64) of the key and the voxel's place on
the twin's voxel lattice (:func:`lattice_index`). The generator's consumption therefore does not
depend on how many voxels a bone has, so a change in one bone's shape leaves every other bone's
dither (and every later draw of the stream) as it was.

The place is the voxel centre's integer coordinates in the ANATOMY frame (:class:`.raster.Frame`:
``x``, ``y`` and ``zd = z - zc``, each in voxels), not its index in the label array: the same
body built in two postures (neutral and PA scapulae) has grids of different extents (wider over
the glided girdle, shallower behind the blades) that share the anatomy's voxel lattice, and a
grid padded by whole voxels (the recipe's margins) is the same lattice again. Keyed by the
array's index (before 2026-12-06), a voxel's bone/marrow choice changed with the grid's shape
(NOTES, "keyed to the voxel's index"); keyed by the lattice, a twin's bone texture does not
depend on how far its grid extends, nor on the detector gap (from 5 mm up it moves the world
frame, not the anatomy's lattice). Each coordinate is ``k = round(c / voxel + 1/4)``, ``c``
the centre's anatomy coordinate (mm): chest grids put their x centres on whole or half voxels
from the midline, and the quarter keeps every such centre a quarter voxel from a rounding tie,
so float error in ``c`` cannot flip ``k``; the three ``k`` (offset by 2**20, 21 bits each) pack
injectively into SplitMix64's 64-bit counter.

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
           "lattice_origin", "lattice_counter", "lattice_index"]

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


# The lattice counter: three coordinates of 21 bits each (|k| < 2**20 voxels: 262 m at
# 0.25 mm), offset to be >= 0, packed into the 64-bit counter of :func:`uniform_at`.
_LATTICE_BITS = 21
_LATTICE_BIAS = 1 << (_LATTICE_BITS - 1)


def lattice_origin(frame) -> np.ndarray:
    """Integer lattice coordinates ``(kz, ky, kx)`` (int64) of voxel ``[0, 0, 0]`` of
    ``frame.grid`` in the anatomy frame: ``round(c / voxel + 1/4)`` of its centre's anatomy
    coordinates ``c = (zd, y, x)`` (mm; ``zd = z - frame.zc``), per axis. Voxel ``[iz, iy, ix]``
    is at ``lattice_origin + (iz, iy, ix)``, the same integers in every grid of the body and
    voxel size whose centres lie on the same lattice (see the module's docstring)."""
    g = frame.grid
    dx, dy, dz = g.spacing_xyz
    x0, y0, z0 = g.origin
    c = np.array([(z0 - frame.zc) / dz, y0 / dy, x0 / dx])
    return np.floor(c + 0.75).astype(np.int64)              # round(c + 1/4), no ties


def lattice_counter(frame, iz, iy, ix) -> np.ndarray:
    """SplitMix64 counters (uint64) of the voxels ``[iz, iy, ix]`` (integer arrays, indices
    into ``frame.grid``'s whole array): their lattice coordinates (:func:`lattice_origin` plus
    the index) offset by 2**20 and packed in 21 bits each, ``kz`` highest. Injective over every
    lattice within 2**20 voxels of the anatomy origin.

    Raises
    ------
    ValueError
        If a coordinate falls outside that range."""
    kz0, ky0, kx0 = (int(v) + _LATTICE_BIAS for v in lattice_origin(frame))
    ks = [np.asarray(i, np.int64) + k0 for i, k0 in ((iz, kz0), (iy, ky0), (ix, kx0))]
    for k, name in zip(ks, "zyx"):
        if k.size and (k.min() < 0 or k.max() >= 2 * _LATTICE_BIAS):
            raise ValueError(f"lattice coordinate {name} must be within 2**20 voxels of the "
                             f"anatomy origin, got {int(k.min()) - _LATTICE_BIAS}.."
                             f"{int(k.max()) - _LATTICE_BIAS}")
    kz, ky, kx = (k.astype(np.uint64) for k in ks)
    b = np.uint64(_LATTICE_BITS)
    return (kz << (b + b)) | (ky << b) | kx


def lattice_index(a: np.ndarray, where, frame) -> np.ndarray:
    """:func:`lattice_counter` of the elements ``a[where]``, where ``a`` is ``frame``'s label
    array or a basic-slicing view of it (``labels[sl]``): the voxel's index in the whole array
    is found from the view's offset and strides, so a voxel has one counter however the array
    was sliced. ``where``: a tuple of three index arrays into ``a`` (as ``np.nonzero`` returns).

    Raises
    ------
    ValueError
        If the array owning ``a``'s memory is not a C-ordered array of ``frame.grid.shape``,
        or ``a`` is not a 3-d view of it with positive steps."""
    owner = a
    while isinstance(owner.base, np.ndarray):
        owner = owner.base
    shape = tuple(frame.grid.shape)
    if owner.shape != shape or not owner.flags.c_contiguous or a.ndim != 3:
        raise ValueError(f"labels must be the grid's whole C-ordered {shape} array or a 3-d "
                         f"view of it, got a {a.shape} view of a {owner.shape} array")
    if not np.size(where[0]):
        return np.empty(0, np.uint64)
    item = a.itemsize
    first = np.unravel_index((a.ctypes.data - owner.ctypes.data) // item, shape)
    idx = []
    for d in range(3):
        step, rem = divmod(a.strides[d], owner.strides[d]) if a.shape[d] > 1 else (0, 0)
        if rem or step < 0 or (step == 0 and a.shape[d] > 1):
            raise ValueError(f"labels must be a view with positive steps, got strides "
                             f"{a.strides} of an array with strides {owner.strides}")
        idx.append(int(first[d]) + np.asarray(where[d], np.int64) * step)
    return lattice_counter(frame, *idx)


def fill_cancellous(labels, interior: int, rng, *, frame, bone: int, soft: int,
                    fraction: float = TRABECULAR_BV_TV) -> None:
    """Turn every voxel labelled ``interior`` into ``bone`` with probability ``fraction``
    (default :data:`TRABECULAR_BV_TV`: cancellous bone as a BV/TV mixture), else ``soft``,
    slab by slab of 16 z-slices so temporaries stay small.

    Draws one key from ``rng`` (:func:`dither_key`); a voxel's number is :func:`uniform_at` of
    that key and its :func:`lattice_index` in ``frame`` (the :class:`.raster.Frame` whose grid
    ``labels`` is, or a view of), so the dither is a function of the voxel's place in the
    anatomy, whatever the grid's extent, and the generator's state after the call does not
    depend on the number of interior voxels."""
    key = dither_key(rng)
    for z0 in range(0, labels.shape[0], 16):
        slab = labels[z0:z0 + 16]
        where = np.nonzero(slab == interior)
        if len(where[0]):
            u = uniform_at(key, lattice_index(slab, where, frame))
            slab[where] = np.where(u < fraction, np.uint8(bone), np.uint8(soft))
