"""Measuring the chest twin's skeleton from its voxels, as the sources measured the bones.

- :func:`bone_path_max_mm`: the most bone (mm) any ray along one grid axis crosses in a mask
  (``axis=2``: lateral rays along ``x``; ``axis=0``: PA rays along ``z``).
- :func:`scapula_mask`: the twin's scapulae (their own label, "scapulae (bone)").
- :func:`scapula_sides`: a scapula mask split into the right (``x < 0``) and left halves.
- :func:`blade_angle_deg`: the blade's angle to the coronal plane (the scapular plane's
  internal rotation, Yoshida 2022), from a plane fitted to the lower blade's voxels.
- :func:`scapula_height_mm`: superior to inferior angle (von Schroeder 2001's length).
- :func:`spine_extent_mm`: the upper scapula's span along the blade (the spine's length).
- :func:`blade_pa_path_mm`: the median bone path of PA rays through the lower blade.
- :func:`vertebral_body_heights_mm`, :func:`disc_heights_mm`: each vertebral body's and
  disc's height on the column's axis (Egwu 2019, Fletcher 2015).
- :func:`vertebral_body_widths_mm`: each body's width at its end plates and at mid-height
  (the waist, :data:`.skeleton.VERTEBRAL_WAIST`).
- :func:`pa_disc_contrast`: the PA line integral at each disc space against the bodies'
  middles above and below it, in strips beside the spinous process.

Sources are cited in :mod:`.scapula` and :mod:`.skeleton`.
"""

from __future__ import annotations

import numpy as np

from ...geometry import Grid

__all__ = ["bone_path_max_mm", "scapula_mask", "scapula_sides", "blade_angle_deg",
           "scapula_height_mm", "spine_extent_mm", "blade_pa_path_mm",
           "vertebral_body_heights_mm", "disc_heights_mm", "vertebral_body_widths_mm",
           "pa_disc_contrast"]


def bone_path_max_mm(mask: np.ndarray, voxel_mm: float, axis: int) -> float:
    """Largest path (mm) through ``mask`` (bool ``[z, y, x]``) of a ray along ``axis``."""
    return float(np.asarray(mask).sum(axis=axis).max() * voxel_mm)


def scapula_mask(phantom) -> np.ndarray:
    """Bool ``[z, y, x]``: the voxels of the twin's label named "scapulae (bone)"."""
    lab = [int(k) for k, v in phantom.meta["label_names"].items() if v.startswith("scapulae")]
    return np.isin(phantom.labels, lab)


def scapula_sides(mask: np.ndarray, grid: Grid) -> dict:
    """``{"right": m, "left": m}``: ``mask`` with the other side (world ``x`` sign) cleared."""
    x = grid.axis_mm("x")
    return {"right": mask & (x < 0)[None, None, :], "left": mask & (x > 0)[None, None, :]}


def _points(mask: np.ndarray, grid: Grid) -> np.ndarray:
    """World ``(x, y, z)`` (mm) of the voxels of ``mask``, shape (n, 3)."""
    k, j, i = np.nonzero(mask)
    return np.column_stack([grid.axis_mm("x")[i], grid.axis_mm("y")[j], grid.axis_mm("z")[k]])


def _lower_blade(p: np.ndarray) -> np.ndarray:
    """Voxels between 55 % and 90 % of the way from the top to the bottom of one scapula:
    blade and borders only (spine, acromion and glenoid lie in the top half)."""
    y0, y1 = p[:, 1].min(), p[:, 1].max()
    keep = (p[:, 1] >= y0 + 0.55 * (y1 - y0)) & (p[:, 1] <= y0 + 0.90 * (y1 - y0))
    return p[keep]


def _blade_normal(p: np.ndarray) -> np.ndarray:
    """Unit normal of the plane fitted to the lower blade of the points ``p`` (n, 3)."""
    q = _lower_blade(p)
    return np.linalg.svd(q - q.mean(axis=0), full_matrices=False)[2][-1]


def spine_extent_mm(side_mask: np.ndarray, grid: Grid) -> float:
    """Span (mm) of one scapula's upper 40 % (spine, acromion, glenoid, superior border)
    along the blade's horizontal line: the spine's length from the medial edge of the
    scapula to the acromion's lateral edge, as von Schroeder 2001 measured it."""
    p = _points(side_mask, grid)
    d = np.cross(_blade_normal(p), [0.0, 1.0, 0.0])
    d /= np.linalg.norm(d)
    y0, y1 = p[:, 1].min(), p[:, 1].max()
    t = p[p[:, 1] <= y0 + 0.4 * (y1 - y0)] @ d
    return float(t.max() - t.min())


def blade_angle_deg(side_mask: np.ndarray, grid: Grid) -> float:
    """Angle (degrees) between one scapula's lower blade and the coronal plane: the plane
    fitted (least squares, smallest principal axis as its normal) to the lower blade's voxels,
    measured along its horizontal line, as the transverse-plane angle of a scapular plane."""
    d = np.cross(_blade_normal(_points(side_mask, grid)), [0.0, 1.0, 0.0])  # horizontal line
    return float(np.degrees(np.arctan2(abs(d[2]), abs(d[0]))))


def scapula_height_mm(side_mask: np.ndarray, grid: Grid) -> float:
    """Superior angle to inferior angle (mm): the lowest voxel and the highest voxel within
    30 mm (``|x|``) of the scapula's most medial voxel (the acromion, lateral, is left out)."""
    p = _points(side_mask, grid)
    ia = p[p[:, 1] == p[:, 1].max()].mean(axis=0)
    ax = np.abs(p[:, 0])
    med = p[ax <= ax.min() + 30.0]
    sa = med[med[:, 1] == med[:, 1].min()].mean(axis=0)
    return float(np.linalg.norm(sa - ia))


def blade_pa_path_mm(side_mask: np.ndarray, grid: Grid) -> float:
    """Median bone path (mm) of the PA rays (along ``z``) that cross one scapula's lower
    blade (:func:`blade_angle_deg`'s band): the plate's thickness over the cosine of its
    angle to the coronal plane."""
    y = grid.axis_mm("y")
    rows = np.nonzero(side_mask.any(axis=(0, 2)))[0]
    y0, y1 = y[rows[0]], y[rows[-1]]
    band = (y >= y0 + 0.55 * (y1 - y0)) & (y <= y0 + 0.90 * (y1 - y0))
    path = side_mask[:, band, :].sum(axis=0) * float(grid.spacing[0])
    return float(np.median(path[path > 0]))


def _body_rows(phantom) -> dict:
    """Per level name: (bool rows with any bone voxel in the body's central core, the rows'
    ``y`` in mm) from the level's top to the next level's top (its body and the disc below)."""
    from .skeleton import LEVEL_NAMES

    sp, g = phantom.meta["spine"], phantom.grid
    bone = [int(k) for k, m in phantom.materials.items() if m == "bone"]
    x, y, z = g.axis_mm("x"), g.axis_mm("y"), g.axis_mm("z")
    zc = phantom.meta["zc_mm"]
    out = {}
    for name, top, pitch, w, d in zip(LEVEL_NAMES, sp["tops"], sp["pitches"], sp["widths"],
                                      sp["depths"]):
        cz = sp["front_zd"] + 0.5 * d + zc
        ix = np.abs(x) <= 0.3 * w
        iz = np.abs(z - cz) <= 0.3 * d
        iy = (y >= top) & (y < top + pitch)
        if not (ix.any() and iz.any() and iy.any()):
            continue
        sub = phantom.labels[np.ix_(iz, iy, ix)]
        out[name] = (np.isin(sub, bone).any(axis=(0, 2)), y[iy])
    return out


def vertebral_body_heights_mm(phantom) -> dict:
    """Height (mm) of each vertebral body on its axis, from the labels: the number of rows
    (``y``) with any bone voxel in the body's central core (the middle 60 % of its width and
    depth, where trabecular bone is dithered at 15 % of the voxels) from its upper end plate
    to the next level's, times the voxel. Keys are the level names (``meta["spine"]``)."""
    dy = float(phantom.grid.spacing[1])
    return {n: float(rows.sum() * dy) for n, (rows, _) in _body_rows(phantom).items()}


def disc_heights_mm(phantom) -> dict:
    """Height (mm) of the disc below each vertebra on the column's axis: the rows without
    bone in the body's central core (:func:`vertebral_body_heights_mm`) below its body, up to
    the next level's top; keyed by the upper level's name ("T4" is the T4-5 disc)."""
    dy = float(phantom.grid.spacing[1])
    out = {}
    for n, (rows, _) in _body_rows(phantom).items():
        last = np.nonzero(rows)[0]
        out[n] = float((len(rows) - 1 - last[-1]) * dy) if len(last) else float("nan")
    return out


def _row_width_mm(row: np.ndarray, x: np.ndarray, half: float, dx: float) -> float:
    """x span (mm, outer voxel edges) of the True voxels of ``row`` (bool ``[z, x]``) within
    ``|x| <= half``; nan where there are none."""
    cols = np.nonzero(row.any(axis=0) & (np.abs(x) <= half))[0]
    return float(x[cols[-1]] - x[cols[0]] + dx) if len(cols) else float("nan")


def vertebral_body_widths_mm(body: np.ndarray, grid: Grid, spine: dict, zc_mm: float) -> dict:
    """Per level name: ``(end-plate width, mid-height width)`` (mm) of each vertebral body.

    ``body`` (bool ``[z, y, x]``) holds the bodies' voxels (bone, or bone and marrow); ``spine``
    is ``meta["spine"]``. A row's width is the ``x`` span of ``body`` in the body's anterior
    half (``zd`` from ``front + 0.2 d`` to ``front + 0.5 d``, in front of the rib heads and
    pedicles, which lie behind) within half the level's width plus a voxel of the midline, to
    the voxels' outer edges. The end-plate width is the mean of the body's first and last rows
    (the rows whose centres lie in ``[top, top + body height)``); the mid-height width that of
    the row nearest its middle. Levels whose body the grid does not hold are left out."""
    from .skeleton import LEVEL_NAMES

    x, y = grid.axis_mm("x"), grid.axis_mm("y")
    zd = grid.axis_mm("z") - zc_mm
    dx = float(grid.spacing[2])
    out = {}
    for name, top, h, w, d in zip(LEVEL_NAMES, spine["tops"], spine["bodies"], spine["widths"],
                                  spine["depths"]):
        rows = np.nonzero((y >= top) & (y < top + h))[0]
        iz = (zd >= spine["front_zd"] + 0.2 * d) & (zd <= spine["front_zd"] + 0.5 * d)
        if len(rows) < 3 or not iz.any():
            continue
        band = body[iz]
        half = 0.5 * w + dx
        ends = [_row_width_mm(band[:, j, :], x, half, dx) for j in (rows[0], rows[-1])]
        mid = rows[int(np.argmin(np.abs(y[rows] - (top + 0.5 * h))))]
        out[name] = (float(np.mean(ends)), _row_width_mm(band[:, mid, :], x, half, dx))
    return out


def pa_disc_contrast(phantom, *, energy_kev: float = 60.0) -> dict:
    """Per disc (keyed by the upper level's name: "T4" is the T4-5 disc): ``(bodies, disc)``,
    the PA line integral (sum of mu x path along ``z``, xraylib attenuation at ``energy_kev``,
    no scatter) averaged over two strips beside the spinous process (``0.1 w <= |x| <=
    0.35 w`` of the upper level's width ``w``), at the disc space (the lowest value over the
    rows between the upper body's bottom and the lower one's top) and at the two bodies'
    middle thirds (the mean over their rows). A disc space is seen where ``disc < bodies``."""
    from ...physics import linear_attenuation
    from .skeleton import LEVEL_NAMES

    lut = np.zeros(256, np.float32)
    for k, m in phantom.materials.items():
        lut[int(k)] = float(linear_attenuation(m, energy_kev))
    g, sp = phantom.grid, phantom.meta["spine"]
    x, y = g.axis_mm("x"), g.axis_mm("y")
    out = {}
    for k in range(len(LEVEL_NAMES) - 1):
        w = sp["widths"][k]
        ix = (np.abs(x) >= 0.1 * w) & (np.abs(x) <= 0.35 * w)
        top, h, pitch = sp["tops"][k], sp["bodies"][k], sp["pitches"][k]
        top2, h2 = sp["tops"][k + 1], sp["bodies"][k + 1]
        disc = (y >= top + h) & (y < top + pitch)
        mids = ((y >= top + h / 3) & (y < top + 2 * h / 3)) \
            | ((y >= top2 + h2 / 3) & (y < top2 + 2 * h2 / 3))
        if not (ix.any() and disc.any() and mids.any()) or top2 + h2 > y[-1]:
            continue
        rows = np.nonzero(disc | mids)[0]
        li = (lut[phantom.labels[:, rows[0]:rows[-1] + 1][:, :, ix]].sum(axis=0)
              * float(g.spacing[0])).mean(axis=1)
        sub = rows[0] + np.arange(len(li))
        out[LEVEL_NAMES[k]] = (float(li[mids[sub]].mean()), float(li[disc[sub]].min()))
    return out
