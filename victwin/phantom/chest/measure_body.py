"""Measurements of a chest twin's body from its labels: chest breadth and depth, chest-wall
thickness, breast volume, costophrenic angles.

Each function reads the phantom's voxels (and the vertebral levels recorded in its ``meta``,
to find landmarks), never the outline it was built from, so that tests compare what was drawn
with published measurements (``tests/phantom/test_chest_body_size.py``):

* :func:`chest_caliper_depth_mm`: the body's full depth at a level (a beam caliper's reading)
* :func:`chest_breadth_depth_mm`: chest diameter (breadth) and depth between sternum and spine
  at nipple level, the anthropometric measurements of Heinz et al. (J Stat Educ 2003;11(2));
* :func:`chest_wall_thickness_mm`: skin to lung along the beam (AP) at the second intercostal
  space, mid-clavicular line, the needle-decompression site measured on CT (Schroeder E et al.
  Injury 2013;44:1183-1185; Givens ML et al. Acad Emerg Med 2004;11:211-213; a military
  virtual-autopsy series, "Chest wall thickness in military personnel", gives the horizontal
  (AP) thickness 1.1x the perpendicular one: this function measures along the beam);
* :func:`costophrenic_angles_deg`: the angle between the lateral chest wall and the diaphragm
  at each lateral costophrenic recess of the PA projection of the lungs.

Landmarks: the sternal angle (2nd costal cartilage) at the T4/T5 disc and the xiphisternal
joint at mid-T9 (Gray's Anatomy, as :func:`.skeleton.sternum_levels`), the costal cartilages
2..7 spaced evenly between them (model choice), read from ``meta["spine"]``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["sternal_levels_mm", "rib_space_y_mm", "chest_breadth_depth_mm",
           "chest_caliper_depth_mm", "chest_wall_thickness_mm", "costophrenic_angles_deg", "field_recess", "lung_labels"]

_LEVELS = ["C6", "C7"] + [f"T{k}" for k in range(1, 13)] + ["L1", "L2"]


def sternal_levels_mm(phantom) -> tuple[float, float]:
    """World ``y`` (mm) of the sternal angle (top of T5) and the xiphisternal joint (mid-T9)
    from the twin's recorded vertebral levels."""
    sp = phantom.meta["spine"]
    t5, t9 = _LEVELS.index("T5"), _LEVELS.index("T9")
    return float(sp["tops"][t5]), float(sp["tops"][t9] + 0.5 * sp["pitches"][t9])


def rib_space_y_mm(phantom, k: float) -> float:
    """World ``y`` (mm) of costal cartilage ``k`` (2..7) at the sternum; ``k + 0.5`` is the
    ``k``-th intercostal space (e.g. 2.5: the second, 4.5: the fourth, the nipple line)."""
    y_angle, y_xiph = sternal_levels_mm(phantom)
    return y_angle + (k - 2.0) / 5.0 * (y_xiph - y_angle)


def _row(phantom, y_mm: float) -> int:
    return int(np.argmin(np.abs(phantom.grid.axis_mm("y") - y_mm)))


def chest_breadth_depth_mm(phantom, y_mm: float | None = None) -> tuple[float, float]:
    """(breadth, depth) of the body (mm) at level ``y_mm`` (default: the fourth intercostal
    space, the nipple line): breadth the body's full x extent in that transverse slice, depth
    the extent along z of the midline column (sternum to spine)."""
    if y_mm is None:
        y_mm = rib_space_y_mm(phantom, 4.5)
    g = phantom.grid
    sl = phantom.labels[:, _row(phantom, y_mm), :] != 0         # [z, x]
    cols = np.flatnonzero(sl.any(axis=0))
    breadth = (cols[-1] - cols[0] + 1) * g.spacing[2]
    ix = int(np.argmin(np.abs(g.axis_mm("x"))))
    zs = np.flatnonzero(sl[:, ix])
    depth = (zs[-1] - zs[0] + 1) * g.spacing[0]
    return float(breadth), float(depth)


def chest_caliper_depth_mm(phantom, y_mm: float | None = None) -> float:
    """Depth of the body (mm) at level ``y_mm`` (default: the fourth intercostal space, the
    nipple line) as a beam caliper reads it: the body's full z extent in that transverse slice
    (in women the breasts included, at the nipple's level: the survey's chest depth at the
    bustpoint)."""
    if y_mm is None:
        y_mm = rib_space_y_mm(phantom, 4.5)
    sl = phantom.labels[:, _row(phantom, y_mm), :] != 0         # [z, x]
    zs = np.flatnonzero(sl.any(axis=1))
    return float((zs[-1] - zs[0] + 1) * phantom.grid.spacing[0])


def lung_labels(phantom) -> list[int]:
    """Labels whose name says lung (parenchyma)."""
    return [int(k) for k, v in phantom.meta["label_names"].items() if v.startswith("lung")]


def chest_wall_thickness_mm(phantom, side: int = -1) -> float:
    """Skin to lung (mm) along z at the second intercostal space and the mid-clavicular line
    (``side`` -1 right, +1 left; x half-way from the midline to the body's lateral edge at that
    level)."""
    g = phantom.grid
    j = _row(phantom, rib_space_y_mm(phantom, 2.5))
    sl = phantom.labels[:, j, :]
    x = g.axis_mm("x")
    body_x = x[np.flatnonzero((sl != 0).any(axis=0))]
    edge = body_x[0] if side < 0 else body_x[-1]
    ix = int(np.argmin(np.abs(x - 0.5 * edge)))
    col = sl[:, ix]
    skin = np.flatnonzero(col != 0)[0]
    lung = np.flatnonzero(np.isin(col, lung_labels(phantom)))
    lung = lung[lung > skin]
    return float((lung[0] - skin) * g.spacing[0])


def _fit_line(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Unit direction of the total-least-squares line through points (x, y)."""
    p = np.column_stack([x, y]) - [x.mean(), y.mean()]
    return np.linalg.svd(p, full_matrices=False)[2][0]


def field_recess(field: np.ndarray, x: np.ndarray, side: int):
    """One side's half of a PA lung field ``[y, x]`` (``side`` -1 right, +1 left), its rows,
    each row's lateral edge (x, mm, of the outermost field pixel) and the lateral
    costophrenic recess: the lowest row whose lateral edge is within 10 mm of the widest."""
    half = field & ((x < 0) if side < 0 else (x > 0))[None, :]
    rows = np.flatnonzero(half.any(axis=1))
    lat = np.array([x[np.flatnonzero(half[r])[0 if side < 0 else -1]] for r in rows])
    widest = lat.min() if side < 0 else lat.max()
    return half, rows, lat, rows[np.abs(lat - widest) <= 10.0].max()


def costophrenic_angles_deg(phantom, *, min_lung_mm: float = 20.0,
                            arm_mm: float = 25.0) -> tuple[float, float]:
    """(right, left) lateral costophrenic angles (degrees) of the PA projection of the lungs.

    The lung field is where the projected lung path exceeds ``min_lung_mm`` (so the thin
    posterior recess behind the dome does not count, as on a film it is seen through the
    abdomen). In each half, its lowest lateral point is the recess; the angle is the one between
    two lines fitted over ``arm_mm`` from the recess: the field's lateral edge going up, and its
    lower edge (the diaphragm) going medially.
    """
    g = phantom.grid
    path = np.isin(phantom.labels, lung_labels(phantom)).sum(axis=0) * g.spacing[0]  # [y, x]
    field = path >= min_lung_mm
    x, y = g.axis_mm("x"), g.axis_mm("y")
    out = []
    for side in (-1, 1):
        half, rows, lat, r0 = field_recess(field, x, side)
        x0, y0 = (lat[rows == r0][0]), y[r0]
        # wall arm: lateral edges of rows from the recess up arm_mm
        up = (y[rows] <= y0) & (y[rows] >= y0 - arm_mm)
        wall = _fit_line(lat[up], y[rows][up])
        # diaphragm arm: the lowest field pixel of each column from the recess medially
        cols = np.flatnonzero(half.any(axis=0))
        cx = x[cols]
        low = np.array([y[np.flatnonzero(half[:, c])[-1]] for c in cols])
        med = (np.abs(cx - x0) <= arm_mm) & (np.sign(x0 - cx) == side)
        dia = _fit_line(cx[med], low[med])
        # orient both arms away from the recess: wall upwards (-y), diaphragm medially
        wall = wall if wall[1] < 0 else -wall
        dia = dia if dia[0] * side < 0 else -dia
        out.append(float(np.degrees(np.arccos(np.clip(wall @ dia, -1.0, 1.0)))))
    return out[0], out[1]
