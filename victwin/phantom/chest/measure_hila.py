"""Hilar measurements of a chest twin, read on its labels as on a PA film.

:func:`interlobar_width_mm` is the width of the right (or left) lower-lobe pulmonary artery's
shadow just below the hilum, where radiologists measure the right descending pulmonary artery
lateral to the bronchus intermedius (Webb WR, "The pulmonary hila", in Webb & Higgins,
Thoracic Imaging, 2nd ed. 2011, ch. 6: <= 16 mm in men, <= 15 mm in women; see
:mod:`.hilum`).
"""

from __future__ import annotations

import numpy as np

from .measure import labels_of

__all__ = ["interlobar_width_mm"]


def interlobar_width_mm(phantom, side: int = -1, *, below_mm=(14.0, 24.0),
                        slab_mm: float = 8.0) -> float:
    """Width (mm) of the lower-lobe artery's shadow of lung ``side`` (-1 right, 1 left),
    across the vessel.

    Over the image rows ``below_mm`` (mm) below the hilar artery root
    (``meta["anatomy_mm"]["hila"]``; the default starts below the right and left pulmonary
    arteries that run in to the root, radius 10.4 mm), in the coronal slab of the root's depth
    +- ``slab_mm`` (so that the veins in front of and behind the artery do not add to it), the
    path through blood (material ``"blood"``) along the beam per column; around the column
    with the longest path within 40 mm lateral or 5 mm medial of the root, the run of columns
    with blood in the slab. A round vessel of diameter ``d`` crossing a row at an angle ``a``
    from the vertical has a section of area ``pi d^2 / (4 cos a)`` and a longest path ``d``,
    so ``d = 4 / pi x area / path x cos a`` (independent of where the voxel grid cuts the
    edges); ``a`` is the tilt of the straight line fitted through the rows' longest-path
    columns. Returns the median over the rows.
    """
    if side not in (-1, 1):
        raise ValueError(f"side must be -1 (right) or 1 (left), got {side!r}")
    g = phantom.grid
    x, y, z = g.axis_mm("x"), g.axis_mm("y"), g.axis_mm("z")
    root = phantom.meta["anatomy_mm"]["hila"][0 if side == -1 else 1]
    dx = float(x[1] - x[0])
    kz = np.flatnonzero(np.abs(z - root[2]) <= slab_mm)
    rows = np.flatnonzero((y >= root[1] + below_mm[0]) & (y <= root[1] + below_mm[1]))
    lateral = side * (x - root[0])
    window = np.flatnonzero((lateral >= -5.0) & (lateral <= 40.0))
    blood = np.isin(phantom.labels[kz][:, rows], labels_of(phantom, "blood")).sum(axis=0)
    widths, centres, ys = [], [], []
    for j, path in zip(rows, blood):
        i = int(window[np.argmax(path[window])])
        if path[i] == 0:
            continue
        lo = i
        while lo > 0 and path[lo - 1] > 0:
            lo -= 1
        hi = i
        while hi < len(path) - 1 and path[hi + 1] > 0:
            hi += 1
        widths.append(4.0 / np.pi * path[lo:hi + 1].sum() * dx / path[i])
        centres.append(x[i])
        ys.append(y[j])
    if len(widths) < 2:
        raise ValueError(f"no blood in the hilar slab below the {'right' if side < 0 else 'left'}"
                         f" hilar root at y = {root[1]:.1f} mm: no lower-lobe artery to measure")
    slope = np.polyfit(ys, centres, 1)[0]
    return float(np.median(widths) * np.cos(np.arctan(slope)))
