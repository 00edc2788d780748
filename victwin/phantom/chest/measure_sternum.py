"""Measuring the chest twin's sternum and thoracic column from its voxels.

- :func:`sternum_profile_mm`: per row (``y``) the midline sternum's back and front (world z).
- :func:`manubriosternal_angle_deg`: a hinged line fitted to the back surface with the break
  where it fits best (the sternal angle): 180 minus the angle between them, as the CT series
  measured the angle between the manubrium's and the body's long axes (:mod:`.sternum`).
- :func:`inlet_depth_mm`: the midline thoracic inlet, from T1's anterior surface at its upper
  end plate to the manubrium's back surface at its top.
- :func:`inlet_distance_mm`: the same two points' straight distance (the manubrium's top lies
  below T1's: Baker 2023's thoracic inlet distance, as read);
- :func:`presternal_cover_mm`: skin to the sternum's front in the midline, over the
  manubrium's middle third and over the sternal body between the 4th and 6th costal
  cartilages;
- :func:`thoracic_column_mm`: T1's upper end plate to T12's lower one, from the bone rows of
  the bodies' cores (:func:`.measure_skeleton.vertebral_body_heights_mm`'s rows).
"""

from __future__ import annotations

import numpy as np

__all__ = ["sternum_profile_mm", "manubriosternal_angle_deg", "inlet_depth_mm",
           "inlet_distance_mm", "thoracic_column_mm", "presternal_cover_mm"]


def _bone(phantom) -> list:
    return [int(k) for k, m in phantom.materials.items() if m == "bone"]


def _midline_bone(phantom, half_mm: float = 3.0) -> np.ndarray:
    """Bool ``[z, y]``: bone in any column within ``half_mm`` of the midline."""
    x = phantom.grid.axis_mm("x")
    return np.isin(phantom.labels[:, :, np.abs(x) <= half_mm], _bone(phantom)).any(axis=2)


def sternum_profile_mm(phantom) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(y, back_z, front_z)`` (world mm) of the rows where the midline holds bone more than
    20 mm in front of the vertebral bodies (``meta["spine"]["front_zd"]``): the sternum."""
    g = phantom.grid
    y, z = g.axis_mm("y"), g.axis_mm("z")
    front = phantom.meta["spine"]["front_zd"] + phantom.meta["zc_mm"]
    st = _midline_bone(phantom, 8.0) & (z[:, None] < front - 20.0)
    rows = np.flatnonzero(st.any(axis=0))
    if rows.size == 0:
        raise ValueError("no sternum: no midline bone more than 20 mm in front of the "
                         "vertebral bodies")
    back = np.array([z[np.flatnonzero(st[:, j]).max()] for j in rows])
    fr = np.array([z[np.flatnonzero(st[:, j]).min()] for j in rows])
    return y[rows], back, fr


def manubriosternal_angle_deg(phantom, body_mm: float = 60.0) -> tuple[float, float]:
    """(angle in degrees, ``y`` of the break in world mm): a hinged line (two straight pieces
    meeting at the break) fitted by least squares to the mid-plane of the sternum's upper part
    (halfway between its back and front surfaces: the long axes the angle is defined between),
    from its top to ``body_mm`` below the break; the break is searched every quarter voxel, at
    least 4 voxels from the top, for the least residual. 180 = a straight sternum. Until
    2026-12-03 (fourth session) the fit used the back surface alone, whose one-voxel staircase
    moved the break by up to 4 mm with the grid's phase (2 mm voxels, the 158 cm woman of
    tests/phantom/test_chest_sternum.py: manubrium 36.1 or 32.1 mm on two grids; mid-plane
    38.2 or 39.1 mm)."""
    y, back, front = sternum_profile_mm(phantom)
    back = 0.5 * (back + front)
    dy = float(phantom.grid.spacing[1])
    best = None
    for yb in np.arange(y[0] + 4 * dy, y[-1] - 4 * dy, 0.25 * dy):
        keep = y <= yb + body_mm
        if y[keep][-1] - yb < 4 * dy:
            break
        t = y[keep] - yb
        A = np.column_stack([np.ones_like(t), t, np.maximum(t, 0.0)])
        coef, *_ = np.linalg.lstsq(A, back[keep], rcond=None)
        res = float(np.sum((A @ coef - back[keep]) ** 2))
        if best is None or res < best[0]:
            best = (res, coef, yb)
    if best is None:
        raise ValueError(f"sternum too short to measure an angle: {len(y)} rows of {dy} mm")
    _, (_, b_man, c), yb = best
    d1 = np.array([1.0, b_man]) / np.hypot(1.0, b_man)
    d2 = np.array([1.0, b_man + c]) / np.hypot(1.0, b_man + c)
    return float(180.0 - np.degrees(np.arccos(np.clip(d1 @ d2, -1.0, 1.0)))), float(yb)


def _core_rows(phantom, level: str) -> tuple[np.ndarray, np.ndarray]:
    from .measure_skeleton import _body_rows

    return _body_rows(phantom)[level]


def thoracic_column_mm(phantom) -> float:
    """T1's upper end plate to T12's lower one (mm): from T1's first bone row to T12's last
    bone row in the bodies' cores, plus a voxel (the rows' centres are a voxel apart)."""
    r1, y1 = _core_rows(phantom, "T1")
    r12, y12 = _core_rows(phantom, "T12")
    return float(y12[np.flatnonzero(r12)[-1]] - y1[np.flatnonzero(r1)[0]]
                 + phantom.grid.spacing[1])


def inlet_depth_mm(phantom) -> float:
    """Midline thoracic inlet (mm): from T1's anterior surface, at its first bone row in the
    body's core, to the sternum's back surface at the sternum's top row (the ``z`` difference:
    horizontal; :func:`inlet_distance_mm` is the straight distance)."""
    return _inlet_points(phantom)[0]


def inlet_distance_mm(phantom) -> float:
    """Midline thoracic inlet distance (mm): the straight distance from T1's anterosuperior
    corner (its anterior surface at its first bone row in the body's core) to the manubrium's
    posterosuperior corner (the sternum's back at its top row): the landmarks of Baker 2023's
    projection angle, T1's anterosuperior corner and the manubrium (ASSUMPTION: the thoracic
    inlet distance's own landmarks were not read)."""
    dz, dy = _inlet_points(phantom)
    return float(np.hypot(dz, dy))


def _inlet_points(phantom) -> tuple[float, float]:
    """(horizontal, vertical) mm from T1's anterosuperior corner to the sternum's top back."""
    g = phantom.grid
    y, z = g.axis_mm("y"), g.axis_mm("z")
    ys, back, _ = sternum_profile_mm(phantom)
    r1, y1 = _core_rows(phantom, "T1")
    j = int(np.argmin(np.abs(y - y1[np.flatnonzero(r1)[0]])))
    # at least the columns within half a voxel of the midline (on even grids no voxel centre
    # lies within 1 mm of x = 0 at 3-4 mm voxels)
    # T1's body only (bone within the body's depth behind the column's front, not the arch
    # behind it), its front the most anterior such bone over the body's first three core rows
    # at the first of them that holds any (the end plate's dithered cancellous bone leaves
    # single 2 mm rows without the front cortex, or empty: the 190 cm man's first row held
    # only the arch, 112 mm behind the sternum, NOTES 2026-12-05 issue-19inlet21)
    mid = _midline_bone(phantom, max(1.0, 0.5 * float(g.spacing[2])))
    sp = phantom.meta["spine"]
    fz = sp["front_zd"] + phantom.meta["zc_mm"]
    near = (z > back[0] + 10.0) & (z <= fz + sp["depths"][2])
    rows = [jj for jj in range(j, min(j + 3, len(y))) if (mid[:, jj] & near).any()]
    if not rows:
        raise ValueError("no vertebral body bone behind the sternum's top row in the midline")
    z1 = min(float(z[np.flatnonzero(mid[:, jj] & near)[0]]) for jj in rows)
    return z1 - float(back[0]), float(ys[0] - y[rows[0]])


def presternal_cover_mm(phantom) -> dict:
    """Skin to the sternum's anterior surface in the midline (mm): per row of the sternum
    (:func:`sternum_profile_mm`), in the columns within half a voxel of ``x = 0`` (at least
    1 mm), the ``z`` distance from the first body voxel to the first bone voxel in front of
    the vertebral bodies (voxel centres), averaged over those columns; then the median over
    the rows of ``"manubrium"``, the middle third from the sternum's top to the sternal angle
    (:func:`manubriosternal_angle_deg`'s break), and of ``"lower_body"``, from the 4th to the
    7th costal cartilage's (the middle of the 3rd run of
    :func:`.measure_ribs.sternal_cartilage_ends_mm`, both sides averaged, down to the
    xiphisternal joint at mid-T9, Gray's: the 7th cartilage meets the sternum there), the
    level of Ma et al. 2023's CT readings (4th to 6th costal cartilage)."""
    from .measure_ribs import sternal_cartilage_ends_mm

    g = phantom.grid
    x, y, z = g.axis_mm("x"), g.axis_mm("y"), g.axis_mm("z")
    cols = np.flatnonzero(np.abs(x) <= max(1.0, 0.5 * float(g.spacing[2])))
    fz = phantom.meta["spine"]["front_zd"] + phantom.meta["zc_mm"]
    bone = np.isin(phantom.labels[:, :, cols], _bone(phantom)) & (z < fz - 20.0)[:, None, None]
    body = phantom.labels[:, :, cols] != 0
    ys, _, _ = sternum_profile_mm(phantom)
    _, y_angle = manubriosternal_angle_deg(phantom)

    def cover(rows_y) -> float:
        vals = []
        for yy in rows_y:
            j = int(np.argmin(np.abs(y - yy)))
            per = [z[np.flatnonzero(bone[:, j, c])[0]] - z[np.flatnonzero(body[:, j, c])[0]]
                   for c in range(len(cols)) if bone[:, j, c].any()]
            if per:
                vals.append(float(np.mean(per)))
        if not vals:
            raise ValueError("no midline sternum in the rows asked")
        return float(np.median(vals))

    top = float(ys[0])
    third = (y_angle - top) / 3.0
    man = ys[(ys >= top + third) & (ys <= top + 2.0 * third)]
    ends = [sternal_cartilage_ends_mm(phantom, side) for side in (-1, 1)]
    y4 = 0.5 * sum(0.5 * (e[2][0] + e[2][1]) for e in ends)
    low = ys[(ys >= y4) & (ys <= _xiphisternal_y(phantom))]
    return {"manubrium": cover(man), "lower_body": cover(low)}


def _xiphisternal_y(phantom) -> float:
    """The xiphisternal joint's level (world ``y``, mm): mid-T9 (Gray's), from the spine's
    record (as tests/phantom/test_chest_sternum.py)."""
    from .skeleton import LEVEL_NAMES

    sp = phantom.meta["spine"]
    k9 = LEVEL_NAMES.index("T9")
    body = sp["bodies"][k9] if sp.get("bodies") else 0.8 * sp["pitches"][k9]
    return float(sp["tops"][k9] + 0.5 * body)
