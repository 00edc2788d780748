"""The cancellous dither keyed by position (victwin/phantom/chest/cancellous.py).

The dither's numbers are SplitMix64 outputs indexed by the voxel's place on the anatomy's voxel
lattice (Steele, Lea, Flood 2014; Vigna's splitmix64.c). Checked against independent
expectations:

* a plain sequential SplitMix64 in Python integers (a stateful generator stepped one output at
  a time, no NumPy) and splitmix64.c's published first outputs for seed 0;
* the bone fraction of a large interior within binomial limits; no correlation between
  neighbouring voxels beyond sampling error (independent Bernoulli draws: 0);
* same key and positions give the same labels, through a view as through the whole array;
* a voxel's counter is its centre's anatomy coordinates in voxels, packed by hand; a grid
  padded by whole voxels (another shape and origin) gives the same labels at the same place;
* a change of the labels elsewhere (another bone's shape) leaves a voxel's draw and the
  generator's later draws unchanged: the property the keyed dither exists for. The old
  dither (``rng.random(n)`` per slab) fails it; so does a key drawn after a count-dependent
  draw, which is why the ribs' shell dither is checked through :func:`paint_ribs` too.
"""

from __future__ import annotations

import numpy as np
import pytest

from victwin.geometry import Grid
from victwin.phantom.chest.cancellous import (TRABECULAR_BV_TV, fill_cancellous, lattice_index,
                                             uniform_at)
from victwin.phantom.chest.raster import Frame

_M64 = (1 << 64) - 1


class _SplitMix64:
    """Sequential SplitMix64 in Python integers (Vigna, splitmix64.c): the reference."""

    def __init__(self, seed: int):
        self.x = seed & _M64

    def next(self) -> int:
        self.x = (self.x + 0x9E3779B97F4A7C15) & _M64
        z = self.x
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
        return z ^ (z >> 31)


def test_uniform_at_is_splitmix64_by_index():
    # splitmix64.c seeded with 0: its first three outputs, as published and reproduced widely
    published = [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F]
    got = uniform_at(np.uint64(0), np.arange(3))
    assert np.array_equal(got, [(v >> 11) * 2.0 ** -53 for v in published])
    key = 0xD1B54A32D192ED03
    ref = _SplitMix64(key)
    want = np.array([(ref.next() >> 11) * 2.0 ** -53 for _ in range(2000)])
    assert np.array_equal(uniform_at(np.uint64(key), np.arange(2000)), want)
    # out of order and repeated indices: a function of the index alone
    idx = np.array([1999, 3, 3, 0, 1024])
    assert np.array_equal(uniform_at(np.uint64(key), idx), want[idx])


def test_uniform_at_is_uniform_on_0_1():
    u = uniform_at(np.uint64(12345), np.arange(200_000) * 7919 + 11)
    assert u.min() >= 0.0 and u.max() < 1.0
    # Kolmogorov-Smirnov against U(0, 1): D < 1.95 / sqrt(n) (alpha = 0.001)
    s = np.sort(u)
    n = len(s)
    d = max(np.max(np.arange(1, n + 1) / n - s), np.max(s - np.arange(n) / n))
    assert d < 1.95 / np.sqrt(n), d


def _frame(labels, origin=(0.0, 0.0, 0.0), voxel_mm=1.0, zc_mm=0.0):
    """The frame of ``labels``: a grid of its shape, ``origin`` (x, y, z; mm), ``zc_mm``."""
    return Frame(Grid(shape=labels.shape, spacing=(voxel_mm,) * 3, origin=origin), zc_mm)


def _cube(shape=(72, 70, 68), lo=4, size=60, interior=7):
    labels = np.zeros(shape, np.uint8)
    labels[lo:lo + size, lo:lo + size, lo:lo + size] = interior
    return labels


@pytest.mark.parametrize("fraction", [TRABECULAR_BV_TV, 0.4])
@pytest.mark.parametrize("seed", [0, 1])
def test_bone_fraction_within_binomial_limits(fraction, seed):
    labels = _cube()
    n = int((labels == 7).sum())
    fill_cancellous(labels, 7, np.random.default_rng(seed), frame=_frame(labels), bone=9,
                    soft=5, fraction=fraction)
    k = int((labels == 9).sum())
    assert k + int((labels == 5).sum()) == n and not (labels == 7).any()
    sd = np.sqrt(n * fraction * (1 - fraction))
    assert abs(k - n * fraction) < 4.0 * sd, (k, n * fraction, sd)


def test_neighbouring_voxels_uncorrelated():
    labels = _cube()
    fill_cancellous(labels, 7, np.random.default_rng(3), frame=_frame(labels), bone=9, soft=5)
    b = (labels[4:64, 4:64, 4:64] == 9).astype(float)
    for axis in range(3):
        a0 = np.take(b, np.arange(59), axis=axis).ravel()
        a1 = np.take(b, np.arange(1, 60), axis=axis).ravel()
        r = np.corrcoef(a0, a1)[0, 1]
        # independent draws: r ~ N(0, 1/n); 4 standard errors
        assert abs(r) < 4.0 / np.sqrt(a0.size), (axis, r)


def test_same_key_same_positions_same_labels_through_a_view():
    full = _cube()
    boxed = _cube()
    fill_cancellous(full, 7, np.random.default_rng(5), frame=_frame(full), bone=9, soft=5)
    fill_cancellous(boxed[2:66, 3:67, 1:65], 7, np.random.default_rng(5), frame=_frame(boxed),
                    bone=9, soft=5)
    assert np.array_equal(full, boxed)
    again = _cube()
    fill_cancellous(again, 7, np.random.default_rng(5), frame=_frame(again), bone=9, soft=5)
    assert np.array_equal(full, again)
    other = _cube()
    fill_cancellous(other, 7, np.random.default_rng(6), frame=_frame(other), bone=9, soft=5)
    assert not np.array_equal(full, other)


def _packed(kz, ky, kx):
    """The counter of lattice point (kz, ky, kx) by hand: each + 2**20, 21 bits, kz highest."""
    return ((kz + 2 ** 20) << 42) | ((ky + 2 ** 20) << 21) | (kx + 2 ** 20)


def test_lattice_index_is_the_voxel_centres_place_in_voxels():
    # anatomy coordinates of voxel [iz, iy, ix]'s centre, by hand: x0 + ix v, y0 + iy v,
    # z0 + iz v - zc; on this lattice (whole voxels) each divided by v is the integer k
    v, origin, zc = 2.0, (-6.0, 10.0, 4.0), 10.0
    a = np.zeros((5, 6, 7), np.uint8)
    f = _frame(a, origin=origin, voxel_mm=v, zc_mm=zc)
    view = a[1:4, 2:6:2, 3:]
    w = np.nonzero(np.ones(view.shape, bool))
    iz, iy, ix = 1 + w[0], 2 + 2 * w[1], 3 + w[2]          # the whole array's indices
    want = [_packed(int((origin[2] + z * v - zc) // v), int((origin[1] + y * v) // v),
                    int((origin[0] + x * v) // v)) for z, y, x in zip(iz, iy, ix)]
    assert lattice_index(view, w, f).tolist() == want
    # half-voxel centres (an even number of voxels centred on the midline, as chest grids
    # put x): one integer per centre, the same in a grid one voxel wider on each side
    b = np.zeros((2, 2, 8), np.uint8)
    wide = np.zeros((2, 2, 10), np.uint8)
    kb = lattice_index(b, np.nonzero(b == 0), _frame(b, origin=(-3.5 * v, 0.0, 0.0),
                                                    voxel_mm=v))
    wb = np.nonzero(wide[:, :, 1:9] == 0)
    kw = lattice_index(wide[:, :, 1:9], wb, _frame(wide, origin=(-4.5 * v, 0.0, 0.0),
                                                   voxel_mm=v))
    assert kb.tolist() == kw.tolist() and len(set(kb.tolist())) == kb.size


def test_lattice_index_refuses_an_array_that_is_not_the_grids():
    a = np.zeros((4, 5, 6), np.uint8)
    w = np.nonzero(a == 0)
    with pytest.raises(ValueError, match="labels must be the grid's whole C-ordered"):
        lattice_index(a, w, _frame(np.zeros((4, 5, 7), np.uint8)))
    with pytest.raises(ValueError, match="positive steps"):
        lattice_index(a[::-1], w, _frame(a))
    with pytest.raises(ValueError, match="within 2\\*\\*20 voxels"):
        lattice_index(a, w, _frame(a, origin=(0.0, 0.0, 2.0 ** 21)))


def test_the_dither_at_a_place_does_not_depend_on_the_grids_extent():
    """The same bone in a grid padded by whole voxels (another shape, another origin): the
    same labels at every voxel centre both grids hold, for any key."""
    small = _cube()
    big = np.zeros((80, 75, 71), np.uint8)
    big[3:75, 5:75, 2:70] = small                           # small's voxel [i] is big's [i + o]
    fill_cancellous(small, 7, np.random.default_rng(9), frame=_frame(small), bone=9, soft=5)
    fill_cancellous(big, 7, np.random.default_rng(9),
                    frame=_frame(big, origin=(-2.0, -5.0, -3.0)), bone=9, soft=5)
    assert np.array_equal(big[3:75, 5:75, 2:70], small)


def test_a_change_elsewhere_leaves_a_voxels_draw_unchanged():
    shape = (40, 30, 50)
    a = np.zeros(shape, np.uint8)
    b = np.zeros(shape, np.uint8)
    a[5:35, 5:25, 30:45] = 7                 # the bone that stays
    b[5:35, 5:25, 30:45] = 7
    a[5:35, 5:25, 2:20] = 7                  # the bone that changes shape: painted first in
    b[8:30, 7:20, 4:16] = 7                  # z-slab order, with a different voxel count
    ra, rb = np.random.default_rng(11), np.random.default_rng(11)
    fill_cancellous(a, 7, ra, frame=_frame(a), bone=9, soft=5)
    fill_cancellous(b, 7, rb, frame=_frame(b), bone=9, soft=5)
    assert np.array_equal(a[:, :, 25:], b[:, :, 25:])
    assert not np.array_equal(a[:, :, :25], b[:, :, :25])
    # the generator's later draws do not depend on the voxel counts either
    assert ra.random() == rb.random()


def test_paint_ribs_another_ribs_shape_leaves_the_rest_unchanged():
    """Through ``paint_ribs`` (shell dither, cancellous fill, calcification): shorten one rib;
    every voxel away from it keeps its label and the generator ends in the same state.

    "Away from it" excludes, besides the rib's own voxels and two voxels around them, the
    shell voxels whose nearest centre-line point (over all ribs) is on that rib: the shell
    dither takes its bone probability from that point's cortex (``ribs._dither_shell``),
    which depends on the point's arc fraction along its rib, so shortening the rib changes it
    even for a voxel of another rib (found 2026-12-06: one voxel of the left third rib's
    shell, 30 mm from its own bone path and 20 mm from the second rib's, moved from p 0.458 to
    0.449; the array-index keys of main drew a number outside that window by chance)."""
    from scipy.ndimage import binary_dilation
    from scipy.spatial import cKDTree

    from victwin.phantom.chest import builder as B
    from victwin.phantom.chest.measure_ribs import twin_ribs
    from victwin.phantom.chest.ribs import paint_ribs

    body, f, paths = twin_ribs("chest/adult", seed=4, voxel_mm=4.0)
    changed = [dict(p) for p in paths]
    k = next(i for i, p in enumerate(changed) if p["rib"] == 2 and p["side"] > 0)
    changed[k]["bone"] = np.asarray(changed[k]["bone"])[:-4]
    out = []
    for ps in (paths, changed):
        labels = np.zeros(f.grid.shape, np.uint8)
        rng = np.random.default_rng(7)
        paint_ribs(labels, f, ps, rng, BONE=B.BONE, SOFT=B.SOFT, CART=B.CART, sex=body.sex,
                   age_years=body.age_years)
        # the second rib (left) alone, to mask it out
        alone = np.zeros(f.grid.shape, np.uint8)
        paint_ribs(alone, f, [p for p in ps if p["rib"] == 2 and p["side"] > 0],
                   np.random.default_rng(0), BONE=B.BONE, SOFT=B.SOFT, CART=B.CART,
                   sex=body.sex, age_years=body.age_years)
        out.append((labels, alone != 0, rng.random()))
    (la, ma, na), (lb, mb, nb) = out
    near = binary_dilation(ma | mb, iterations=2)
    # the voxels whose nearest bone-path point is on the changed rib, in either set of paths
    painted = np.nonzero((la != 0) | (lb != 0))
    pts = np.column_stack([f.x[painted[2]], f.y[painted[1]], f.zd[painted[0]]])
    for ps in (paths, changed):
        owner = np.concatenate([np.full(len(p["bone"]), i) for i, p in enumerate(ps)])
        _, nearest = cKDTree(np.vstack([np.asarray(p["bone"], float) for p in ps])).query(pts)
        on_k = owner[nearest] == k
        near[tuple(c[on_k] for c in painted)] = True
    assert not np.array_equal(ma, mb)                   # the rib did change
    assert (la != 0).sum() > 20 * near.sum() // 10      # most of the cage lies away from it
    assert np.array_equal(la[~near], lb[~near])
    assert na == nb
