"""Many windows of one prepared breast, each voxel labelled once.

A lesion-local trial case asks for one fine window per site and modality (the box every ray
of the site's region can cross); the DM box of a site lies inside its DBT box, and the DBT
boxes of neighbouring sites overlap. :class:`WindowSet` is told every box up front, splits
the union of the boxes into disjoint pieces (axis-aligned boxes of whole-grid voxels), labels
each piece once, when a window first needs it, and copies each window out of the pieces.
Every voxel's label is a pure function of its whole-grid index and of the draws
(:mod:`._prepared`), so each window equals ``prepared.make(voxel_mm, window_mm=box)`` byte
for byte -- labels, grid, materials and meta -- while the voxels labelled are those of the
union, not the sum of the windows. A piece is dropped once every window that reads it has been
handed out, so memory stays near the union of the windows still to come.

With ``reach`` (per box, the sub-boxes its rays can touch: a lesion-local region's support
per slab of z, ``victwin.trial._local.window_reach``) only the union of the reaches is
labelled; a window's voxels outside every labelled piece hold :data:`UNREACHED_LABEL`. Such a
window equals ``make(...)`` wherever a ray of its region can go, and a ray trace through it
gives the same bytes (checked: ROI sha256 of ``benchmarks/trial_lesion_local.py``, NOTES.md
"crop margins and lesion-local cost").
"""

from __future__ import annotations

import numpy as np

from ._window import window_index

__all__ = ["WindowSet", "union_pieces", "UNREACHED_LABEL"]

#: Label of the voxels of a window that no ray of its region touches when the set is given
#: ``reach`` (air: any label would do, since no traversal reads them).
UNREACHED_LABEL = 0


def _contains(a, b) -> bool:
    """Box ``a`` (``(lo, hi)`` index arrays) holds box ``b``."""
    return bool(np.all(a[0] <= b[0]) and np.all(b[1] <= a[1]))


def _runs(intervals):
    """Union of half-open integer intervals as sorted disjoint runs."""
    runs = []
    for lo, hi in sorted(intervals):
        if runs and lo <= runs[-1][1]:
            runs[-1][1] = max(runs[-1][1], hi)
        else:
            runs.append([lo, hi])
    return [tuple(r) for r in runs]


def union_pieces(boxes) -> list[tuple[tuple, tuple]]:
    """Disjoint boxes whose union is the union of ``boxes``.

    Parameters
    ----------
    boxes : sequence of (lo_zyx, hi_zyx)
        Half-open integer index boxes.

    Returns
    -------
    list of ((z0, y0, x0), (z1, y1, x1))
        Pairwise disjoint, covering exactly the voxels of the boxes: the boxes are cut at
        every z bound, then at every y bound of the boxes meeting that z band; a band's x
        extent is the union of its boxes' x intervals (merged runs), and neighbouring y bands
        with the same runs are joined.
    """
    bs = [(np.asarray(lo, np.int64), np.asarray(hi, np.int64)) for lo, hi in boxes]
    bs = [b for b in bs if np.all(b[1] > b[0])]
    # a box inside another adds no voxel (a site's DM box inside its DBT box)
    keep = [b for i, b in enumerate(bs)
            if not any(_contains(o, b) and (not _contains(b, o) or j < i)
                       for j, o in enumerate(bs) if j != i)]
    pieces = []
    zs = sorted({int(v) for b in keep for v in (b[0][0], b[1][0])})
    for z0, z1 in zip(zs[:-1], zs[1:]):
        act = [b for b in keep if b[0][0] <= z0 and b[1][0] >= z1]
        ys = sorted({int(v) for b in act for v in (b[0][1], b[1][1])})
        band = None                       # [y0, y1, runs] being extended
        for y0, y1 in zip(ys[:-1], ys[1:]):
            runs = _runs((int(b[0][2]), int(b[1][2])) for b in act
                         if b[0][1] <= y0 and b[1][1] >= y1)
            if band is not None and band[1] == y0 and band[2] == runs:
                band[1] = y1
                continue
            if band is not None:
                pieces += [((z0, band[0], x0), (z1, band[1], x1)) for x0, x1 in band[2]]
            band = [y0, y1, runs] if runs else None
        if band is not None:
            pieces += [((z0, band[0], x0), (z1, band[1], x1)) for x0, x1 in band[2]]
    return pieces


def _overlap(a_lo, a_hi, b_lo, b_hi):
    lo = np.maximum(a_lo, b_lo)
    hi = np.minimum(a_hi, b_hi)
    return None if np.any(hi <= lo) else (lo, hi)


class WindowSet:
    """The windows ``boxes`` of a :class:`~victwin.phantom.PreparedBreast` at ``voxel_mm``,
    each voxel of their union labelled once (see the module docstring).

    Made by :meth:`PreparedBreast.window_set`. ``window(box)`` returns what
    ``prepared.make(voxel_mm, window_mm=box)`` returns, byte for byte; a box that was not
    announced is made directly.

    Attributes
    ----------
    labelled_voxels : int
        Voxels labelled so far (pieces, and windows made directly).
    handed_voxels : int
        Voxels of the windows handed out so far.
    """

    def __init__(self, prepared, boxes, voxel_mm=None, reach=None):
        self.prepared = prepared
        self.voxel_mm = prepared.voxel_mm(voxel_mm)
        self._grid = prepared.grid(self.voxel_mm)
        boxes = list(boxes)
        if reach is not None and len(reach) != len(boxes):
            raise ValueError(f"reach must give one list of boxes per window box: {len(reach)} "
                             f"for {len(boxes)} boxes")
        self._todo = {}                   # (lo, hi) -> windows of that box still to hand out
        self._reach = {}                  # (lo, hi) -> its reach's index boxes (None: all)
        for k, box in enumerate(boxes):
            key = self._key(box)
            self._todo[key] = self._todo.get(key, 0) + 1
            if reach is None or reach[k] is None:
                self._reach[key] = None
            elif self._reach.get(key, ()) is not None:
                lo, hi = np.array(key[0]), np.array(key[1])
                mine = [_overlap(lo, hi, *self._index(b)) for b in reach[k]]
                self._reach[key] = list(self._reach.get(key, [])) + [b for b in mine if b]
        wanted = [b for key, r in self._reach.items()
                  for b in ([(np.array(key[0]), np.array(key[1]))] if r is None else r)]
        pieces = union_pieces(wanted)
        self._pieces = [(np.array(lo, np.int64), np.array(hi, np.int64)) for lo, hi in pieces]
        self._labels = {}                 # piece -> its labels, once made
        # the announced boxes each piece serves, to drop it after the last one
        self._readers = [{k for k in self._todo
                          if _overlap(np.array(k[0]), np.array(k[1]), lo, hi) is not None}
                         for lo, hi in self._pieces]
        self.labelled_voxels = 0
        self.handed_voxels = 0

    def _key(self, window_mm) -> tuple:
        lo, hi = window_index(self._grid, window_mm)
        return tuple(int(v) for v in lo), tuple(int(v) for v in hi)

    def _index(self, window_mm) -> tuple:
        return window_index(self._grid, window_mm)

    @property
    def pieces(self) -> list:
        """The disjoint index boxes ``(lo_zyx, hi_zyx)`` the union is labelled in."""
        return [(tuple(int(v) for v in lo), tuple(int(v) for v in hi))
                for lo, hi in self._pieces]

    def _piece(self, i: int) -> np.ndarray:
        if i not in self._labels:
            lo, hi = self._pieces[i]
            self._labels[i] = self.prepared.lattice(lo, hi, voxel_mm=self.voxel_mm)
            self.labelled_voxels += int(np.prod(hi - lo))
        return self._labels[i]

    def window(self, window_mm):
        """The window ``window_mm`` (world mm): equal to ``prepared.make(voxel_mm,
        window_mm=window_mm)``."""
        key = self._key(window_mm)
        if not self._todo.get(key):
            w = self.prepared.make(self.voxel_mm, window_mm=window_mm, progress=False)
            self.labelled_voxels += w.labels.size
            self.handed_voxels += w.labels.size
            return w
        lo, hi = np.array(key[0], np.int64), np.array(key[1], np.int64)
        reach = self._reach.get(key)
        shape = tuple(hi - lo)
        labels = np.empty(shape, np.uint8) if reach is None else \
            np.full(shape, UNREACHED_LABEL, np.uint8)
        filled = 0
        for i, (p_lo, p_hi) in enumerate(self._pieces):
            ov = _overlap(lo, hi, p_lo, p_hi)
            if ov is None:
                continue
            o_lo, o_hi = ov
            src = self._piece(i)
            labels[tuple(slice(a, b) for a, b in zip(o_lo - lo, o_hi - lo))] = \
                src[tuple(slice(a, b) for a, b in zip(o_lo - p_lo, o_hi - p_lo))]
            filled += int(np.prod(o_hi - o_lo))
        if reach is None and filled != labels.size:  # disjoint pieces: a bug, not bad input
            raise RuntimeError(f"window {key} is not covered by the pieces "
                               f"({filled} of {labels.size} voxels)")
        self._todo[key] -= 1
        if not self._todo[key]:
            for i, readers in enumerate(self._readers):
                readers.discard(key)
                if not readers:
                    self._labels.pop(i, None)
        self.handed_voxels += labels.size
        return self.prepared._window_phantom(self.voxel_mm, lo, hi, labels)
