"""Many windows of one prepared breast (``PreparedBreast.window_set``), each voxel labelled
once, against the crops of the whole phantom and against ``make(..., window_mm=)``.

The union's decomposition (``union_pieces``) is checked against a brute-force mask of the
boxes; the windows (overlapping, one inside another, repeated, one not announced) against
crops of the whole phantom built independently (``make``), byte for byte.
"""

import numpy as np
import pytest

from victwin.phantom import make, prepare
from victwin.phantom._window_set import union_pieces


def _mask(boxes, shape):
    m = np.zeros(shape, bool)
    for lo, hi in boxes:
        m[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]] = True
    return m


@pytest.mark.parametrize("seed", range(6))
def test_union_pieces_are_disjoint_and_cover_the_union(seed):
    rng = np.random.default_rng(seed)
    shape = (12, 30, 30)
    boxes = []
    for _ in range(int(rng.integers(1, 9))):
        lo = rng.integers(0, np.asarray(shape) - 1)
        hi = lo + rng.integers(1, np.asarray(shape) - lo + 1)
        boxes.append((lo, hi))
    if seed % 2:                              # a box inside another, and a repeated box
        lo, hi = boxes[0]
        boxes += [(lo, hi), (lo, np.maximum(lo + 1, hi - 1))]
    pieces = union_pieces(boxes)
    count = np.zeros(shape, int)
    for lo, hi in pieces:
        assert all(a < b for a, b in zip(lo, hi))
        count[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]] += 1
    assert count.max() == 1                   # disjoint
    assert np.array_equal(count == 1, _mask(boxes, shape))   # exactly the union


@pytest.fixture(scope="module")
def dense():
    return prepare("breast/dense", seed=2), make("breast/dense", seed=2, voxel_mm=0.5)


def test_windows_equal_crops_and_the_union_is_labelled_once(dense):
    prep, full = dense
    g = full.grid
    c = np.asarray(g.index_to_world(np.asarray(g.shape) // 2))   # (x, y, z) mid-grid
    t = g.shape[0] * 0.5
    lo_z, hi_z = g.lower_mm[2], g.upper_mm[2]

    def box(dx, dy, wx, wy):
        return ((c[0] + dx - wx, c[1] + dy - wy, lo_z), (c[0] + dx + wx, c[1] + dy + wy, hi_z))

    a = box(0.0, 0.0, 6.3, 9.7)        # a DBT-like box
    inner = box(0.4, -0.2, 3.1, 3.3)   # a DM-like box inside it
    b = box(4.1, 5.2, 6.3, 9.7)        # overlapping a
    far = box(-30.0, 0.0, 2.0, 2.0)    # alone
    clipped = ((-5.0, c[1] - 3, lo_z - 2), (4.0, c[1] + 3, lo_z + t))   # over the grid's corner
    boxes = [a, inner, b, far, clipped, inner]
    ws = prep.window_set(boxes, voxel_mm=0.5)
    idx = [prep.window_index(bx, 0.5) for bx in boxes]
    union = int(_mask(idx, g.shape).sum())
    separate = sum(int(np.prod(hi - lo)) for lo, hi in idx)
    for bx in [inner, a, far, b, clipped, inner, (far[0], (far[1][0] + 1, *far[1][1:]))]:
        w = ws.window(bx)
        ref = make("breast/dense", seed=2, voxel_mm=0.5, window_mm=bx)
        z, y, x = w.meta["window"]["index"]
        nz, ny, nx = w.labels.shape
        assert w.labels.tobytes() == full.labels[z:z + nz, y:y + ny, x:x + nx].tobytes()
        assert w.labels.tobytes() == ref.labels.tobytes()
        assert w.grid == ref.grid and w.materials == ref.materials and w.meta == ref.meta
    # the last box was not announced: made directly, on top of the union
    extra = int(np.prod(np.subtract(*prep.window_index(
        (far[0], (far[1][0] + 1, *far[1][1:])), 0.5)[::-1])))
    assert ws.labelled_voxels == union + extra
    assert union < separate
    assert ws._labels == {}              # every piece dropped after its last window


def test_reach_labels_only_its_boxes(dense):
    """``window_set(reach=)``: inside each window's reach the labels are the whole phantom's,
    outside it (and outside every other labelled piece) ``UNREACHED_LABEL``; the voxels
    labelled are the union of the reaches, counted on a mask."""
    from victwin.phantom._window_set import UNREACHED_LABEL

    prep, full = dense
    g = full.grid
    c = np.asarray(g.index_to_world(np.asarray(g.shape) // 2))
    lo_z, hi_z = g.lower_mm[2], g.upper_mm[2]
    mid = (lo_z + hi_z) / 2
    a = ((c[0] - 6, c[1] - 8, lo_z), (c[0] + 6, c[1] + 8, hi_z))
    b = ((c[0] - 2, c[1] - 3, lo_z), (c[0] + 9, c[1] + 3, hi_z))
    # a wedge: wide at the bottom slab, narrow above
    reach_a = [((c[0] - 6, c[1] - 8, lo_z), (c[0] + 6, c[1] + 8, mid)),
               ((c[0] - 2, c[1] - 2, mid - 1), (c[0] + 2, c[1] + 2, hi_z))]
    reach_b = [((c[0] + 3, c[1] - 3, lo_z), (c[0] + 9, c[1] + 3, hi_z))]
    ws = prep.window_set([a, b], voxel_mm=0.5, reach=[reach_a, reach_b])
    idx = [prep.window_index(bx, 0.5) for bx in reach_a + reach_b]
    mask = _mask(idx, g.shape)
    assert ws.labelled_voxels == 0
    for bx in (a, b):
        w = ws.window(bx)
        z, y, x = w.meta["window"]["index"]
        nz, ny, nx = w.labels.shape
        crop = full.labels[z:z + nz, y:y + ny, x:x + nx]
        inside = mask[z:z + nz, y:y + ny, x:x + nx]
        assert np.array_equal(w.labels[inside], crop[inside])
        assert np.all(w.labels[~inside] == UNREACHED_LABEL)
        assert (~inside).any() and np.any(crop[~inside] != UNREACHED_LABEL)
    assert ws.labelled_voxels == int(mask.sum())
    with pytest.raises(ValueError, match="one list of boxes per window box"):
        prep.window_set([a, b], voxel_mm=0.5, reach=[reach_a])
