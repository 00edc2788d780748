"""Independent references for the ray tracer: analytic chords and random ray sets.

Nothing here shares code with ``victwin.raytrace``: chords through axis-aligned boxes use the
slab method in plain NumPy (:func:`victwin.validation.slab_chord`, which the report's live
check uses too), and ray sets are built as one 1 x 1-pixel view per ray so that any
source and end point can be tested.
"""

from __future__ import annotations

import numpy as np

from victwin.geometry import FlatPanel, Grid, View
from victwin.validation import slab_chord as box_chord


def random_boxes_phantom(rng, grid: Grid, n_boxes: int, n_labels: int):
    """Non-overlapping voxel-aligned boxes with labels 1..n_labels-1 in a label-0 grid.

    Returns ``labels`` and a list of ``(label, lo_xyz, hi_xyz)`` world boxes.
    """
    nz, ny, nx = grid.shape
    labels = np.zeros(grid.shape, np.uint8)
    boxes = []
    tries = 0
    while len(boxes) < n_boxes and tries < 50 * n_boxes:
        tries += 1
        size = [rng.integers(1, max(2, n // 2) + 1) for n in (nz, ny, nx)]
        start = [rng.integers(0, n - s + 1) for n, s in zip((nz, ny, nx), size)]
        sl = tuple(slice(a, a + s) for a, s in zip(start, size))
        if labels[sl].any():
            continue
        lab = int(rng.integers(1, n_labels))
        labels[sl] = lab
        lo_zyx = np.array(start, float)
        hi_zyx = lo_zyx + np.array(size, float)
        lo = grid.lower_mm + lo_zyx[::-1] * grid.spacing_xyz
        hi = grid.lower_mm + hi_zyx[::-1] * grid.spacing_xyz
        boxes.append((lab, lo, hi))
    return labels, boxes


def reference_label_paths(src, end, grid: Grid, boxes, n_labels: int):
    """Exact per-label path lengths ``(n_rays, n_labels)`` for a random-boxes phantom."""
    out = np.zeros((len(src), n_labels))
    total = box_chord(src, end, grid.lower_mm, grid.upper_mm)
    for lab, lo, hi in boxes:
        out[:, lab] += box_chord(src, end, lo, hi)
    out[:, 0] = total - out[:, 1:].sum(axis=1)
    return out


def ray_views(src, end):
    """One view per ray: a 1 x 1 panel centred on ``end``, facing the source."""
    views = []
    for s, e in zip(np.asarray(src, float), np.asarray(end, float)):
        n = e - s
        n /= np.linalg.norm(n)
        helper = np.array([1.0, 0.0, 0.0]) if abs(n[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
        u = np.cross(n, helper)
        u /= np.linalg.norm(u)
        v = np.cross(n, u)
        views.append(View(source=tuple(s), panel=FlatPanel(shape=(1, 1), pitch=(0.1, 0.1),
                                                            center=tuple(e), u=tuple(u),
                                                            v=tuple(v))))
    return views


def random_rays(rng, grid: Grid, n: int):
    """Rays of every kind for a grid: generic, axis-parallel, starting/ending inside, missing."""
    lo, hi = grid.lower_mm, grid.upper_mm
    size = hi - lo
    center = 0.5 * (lo + hi)
    far = 2.0 * np.linalg.norm(size)

    def outside_points(m):
        d = rng.normal(size=(m, 3))
        d /= np.linalg.norm(d, axis=1, keepdims=True)
        return center + far * d

    def inside_points(m):
        return lo + rng.uniform(0.02, 0.98, size=(m, 3)) * size

    groups = []
    # generic: outside -> opposite outside, through the box
    a = outside_points(n)
    b = 2 * center - a + rng.normal(scale=0.3, size=(n, 3)) * size
    groups.append((a, b))
    # start inside, end outside; start outside, end inside; both inside
    groups.append((inside_points(n), outside_points(n)))
    groups.append((outside_points(n), inside_points(n)))
    groups.append((inside_points(n), inside_points(n)))
    # parallel to one or two grid planes (generic offsets, not on a plane)
    for axes in ([0], [1], [2], [0, 1], [1, 2], [0, 2]):
        s = inside_points(n)
        e = inside_points(n)
        s[:, axes] = rng.uniform(lo[axes], hi[axes], size=(n, len(axes)))
        e[:, axes] = s[:, axes]
        dirn = e - s
        s = s - 2 * dirn
        e = e + 2 * dirn
        groups.append((s, e))
    # start and end exactly on the bounding box faces (and through its edges)
    s = inside_points(n)
    e = inside_points(n)
    s[:, 0] = lo[0]
    e[:, 0] = hi[0]
    groups.append((s, e))
    s = np.array([lo[0], lo[1], lo[2]]) + np.zeros((n, 3))
    e = inside_points(n)
    e[:, 2] = hi[2]
    groups.append((s, e))
    # misses: rays passing beside the box
    s = outside_points(n)
    off = np.sign(rng.normal(size=(n, 3))) * (0.5 * size + 1.0)
    e = 2 * center - s
    e[:, 0] = center[0] + off[:, 0]
    s[:, 0] = e[:, 0]
    groups.append((s, e))
    src = np.concatenate([g[0] for g in groups])
    end = np.concatenate([g[1] for g in groups])
    keep = np.linalg.norm(end - src, axis=1) > 1e-6
    return src[keep], end[keep]
