"""Measurements of the ribs and costal cartilages of a chest twin, and the published figures
they are compared with (tests/phantom/test_chest_ribs.py, NOTES):

* :func:`rib_chords_mm`: each rib's head-to-costochondral-junction distance, beside the mean
  in-plane rib size ``S_x`` of the logarithmic-spiral rib model fitted to CT scans of adults
  (Holcombe SA, Wang SC, Grotberg JB, J Biomech 2016; the sex-specific coefficients as the
  authors publish them, github.com/svenholcombe/rib-fitter,
  ``@RibModeler/Coefficients_Holcombe2016_JBiomech.m``): :data:`HOLCOMBE_2016_SX_MM`;
* :func:`cartilage_lengths_mm`: the costal cartilages' lengths (Gray 1918: they "increase in
  length from the first to the seventh, then gradually decrease to the twelfth");
* :func:`projected_rib_bone_mm`: the bone a PA ray crosses through a rib (voxel counts along
  ``z``), against :func:`expected_rib_bone_mm`, the section model's ``2 c + BV/TV (T - 2 c)``;
* :func:`rib_share_of_pa`: the ribs' share of a PA line integral along each rib's posterior
  and anterior parts (the image with the rib voxels minus the image with them soft tissue);
* :func:`sternal_cartilage_ends_mm`: the levels of the costal cartilages' sternal ends read
  from the labels (the second's against the sternal angle, Gray 1918, and the aorta's top).
"""

from __future__ import annotations

import numpy as np

from .rib_section import REGION_U, rib_cortex_mm, rib_section_mm
from .skeleton import TRABECULAR_BV_TV

__all__ = ["HOLCOMBE_2016_SX_MM", "rib_chords_mm", "cartilage_lengths_mm",
           "projected_rib_bone_mm", "expected_rib_bone_mm", "rib_share_of_pa", "arc_fraction",
           "twin_ribs", "rib_voxels", "sternal_cartilage_ends_mm"]

#: Holcombe et al. 2016, rib in-plane size S_x (mm), ribs 1..12, by sex.
HOLCOMBE_2016_SX_MM = {
    "male": (71.89, 113.36, 144.52, 170.61, 190.16, 202.72, 214.46, 215.56, 205.10, 189.71,
             160.00, 97.22),
    "female": (67.12, 106.74, 136.63, 159.31, 175.31, 187.39, 198.86, 199.69, 190.58, 175.14,
               146.61, 87.51),
}


def arc_fraction(points) -> np.ndarray:
    """Fraction of the arc length (0..1) at each point of a polyline (N x 3)."""
    points = np.asarray(points, float)
    s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))])
    return s / max(s[-1], 1e-9)


def rib_chords_mm(paths) -> np.ndarray:
    """Mean over both sides of each rib's straight head-to-junction distance (mm), ribs 1..12."""
    out = np.zeros(12)
    for p in paths:
        b = np.asarray(p["bone"], float)
        out[p["rib"] - 1] += 0.5 * float(np.linalg.norm(b[-1] - b[0]))
    return out


def cartilage_lengths_mm(paths) -> np.ndarray:
    """Mean over both sides of each costal cartilage's length along its course (mm)."""
    out = np.zeros(12)
    for p in paths:
        c = p["cartilage"]
        if c is not None:
            out[p["rib"] - 1] += 0.5 * float(np.linalg.norm(np.diff(c, axis=0), axis=1).sum())
    return out


def expected_rib_bone_mm(rib: int, u, sex: str, age_years: float) -> np.ndarray:
    """Bone (mm) on a ray through a rib's thickness at fraction ``u`` of its bony length: two
    cortical walls and the cancellous bone between (the section model of :mod:`.rib_section`,
    ray normal to the rib's surfaces)."""
    c = rib_cortex_mm(u, sex, age_years)
    _, t = rib_section_mm(rib, u)
    return 2.0 * c + TRABECULAR_BV_TV * (t - 2.0 * c)


def projected_rib_bone_mm(labels, f, paths, bone_label: int, rib: int, u_range) -> float:
    """Mean bone (mm) along ``z``-columns through the centre line of rib ``rib`` (both sides)
    between the fractions ``u_range`` of its bony length, times the cosine of the angle
    between ``z`` and the cage's normal there (so that an oblique crossing counts as the
    normal one): ``labels`` holds the ribs alone (the rest 0), painted on the frame ``f``.

    The centre line is sampled every voxel (the grid's smallest spacing) along its length,
    each sample with its own segment's direction. Until 2026-12-04 only the polyline's
    vertices were read, with the central difference of their neighbours as the direction:
    where the straight neck (head to the cage, :func:`.ribs.rib_paths`) fills much of the
    posterior range there are few vertices there, and the first one after the neck took the
    mean of the neck's and the shaft's directions (a wrong normal): the test man's ribs 2-10
    (painted at 1 mm) read 0.84 of the section model with the paravertebral gutter's deeper
    cage (branch issue-19gutter16) and 0.97 without it, where dense samples read 0.92 and
    0.97."""
    vals = []
    g = f.grid
    step = float(min(g.spacing))
    for p in paths:
        if p["rib"] != rib:
            continue
        b = np.asarray(p["bone"], float)
        seg = np.diff(b, axis=0)
        seg_len = np.linalg.norm(seg, axis=1)
        s = np.concatenate([[0.0], np.cumsum(seg_len)])
        for si in np.arange(u_range[0] * s[-1], u_range[1] * s[-1], step):
            j = min(int(np.searchsorted(s, si, side="right")) - 1, len(seg) - 1)
            if seg_len[j] <= 0.0:
                continue
            x, y, zd = b[j] + (si - s[j]) / seg_len[j] * seg[j]
            ix = int(np.argmin(np.abs(f.x - x)))
            iy = int(np.argmin(np.abs(f.y - y)))
            # this rib only: the column within 15 mm of its centre (others cross it in front)
            near = np.abs(f.zd - zd) <= 15.0
            col = labels[near, iy, ix] == bone_label
            # the rib's surface normal: across its tangent and its height (the vertical's
            # part across the tangent); a z-ray crosses the thickness T over T / |n_z|
            tau = seg[j] / seg_len[j]
            h = np.array([0.0, 1.0, 0.0]) - tau[1] * tau
            n = np.cross(tau, h / np.linalg.norm(h))
            vals.append(col.sum() * g.spacing[0] * abs(n[2]))
    return float(np.mean(vals))


def rib_share_of_pa(li_with, li_without, acq, paths, zc_mm: float, rib: int,
                    u_range) -> float:
    """Median over the centre line of rib ``rib`` (both sides, fractions ``u_range`` of its
    bony length) of ``li_with - li_without`` (PA line integrals, [nv, nu]) at the detector
    pixel each centre point projects to (the view of ``acq``)."""
    v = acq.views[0]
    src = np.asarray(v.source, float)
    c = np.asarray(v.panel.center, float)
    pix = float(v.panel.pitch[0])
    nv, nu = li_with.shape
    d = li_with - li_without
    vals = []
    for p in paths:
        if p["rib"] != rib:
            continue
        b = np.asarray(p["bone"], float)
        u = arc_fraction(b)
        pts = b[(u >= u_range[0]) & (u <= u_range[1])].copy()
        pts[:, 2] += zc_mm
        t = (src[2] - c[2]) / (src[2] - pts[:, 2])
        col = np.round((src[0] + t * (pts[:, 0] - src[0]) - c[0]) / pix + (nu - 1) / 2)
        row = np.round((src[1] + t * (pts[:, 1] - src[1]) - c[1]) / pix + (nv - 1) / 2)
        ok = (row >= 0) & (row < nv) & (col >= 0) & (col < nu)
        vals.extend(d[row[ok].astype(int), col[ok].astype(int)])
    return float(np.median(vals))


#: Region centres (fractions of the bony rib's length) used by the tests and NOTES.
POSTERIOR_U = (REGION_U["posterior"] - 0.1, REGION_U["posterior"] + 0.1)
ANTERIOR_U = (REGION_U["anterior"] - 0.05, REGION_U["anterior"] + 0.1)


def twin_ribs(recipe="chest/adult", *, seed: int = 0, voxel_mm: float = 1.0):
    """``(body, frame, paths)``: the body, the grid frame and the rib paths :func:`make_chest`
    draws for this recipe, seed and voxel size (the same draws; no voxels are built)."""
    from . import builder as B
    from .anatomy import thorax_for
    from .ribs import rib_paths

    rec = B.load_chest_recipe(recipe)
    r_body, r_thorax, _, _ = B._streams(seed)
    body = B.resolve_body(rec, r_body)
    t = B._place_torso(thorax_for(body, r_thorax), body.height_cm)
    return body, B._chest_grid(rec, t, voxel_mm), rib_paths(t.cav, t.sp)


def rib_voxels(phantom, recipe="chest/adult") -> np.ndarray:
    """Boolean mask of the voxels of ``phantom`` that its ribs and costal cartilages cover (the
    ribs painted alone on its grid, where the phantom holds bone, cartilage or soft tissue)."""
    from . import builder as B
    from .ribs import paint_ribs

    m = phantom.meta
    body, f, paths = twin_ribs(recipe, seed=m["seed"], voxel_mm=m["voxel_mm"])
    alone = np.zeros(phantom.labels.shape, np.uint8)
    paint_ribs(alone, f, paths, np.random.default_rng(0), BONE=B.BONE, SOFT=B.SOFT,
               CART=B.CART, sex=body.sex, age_years=body.age_years)
    return (alone != 0) & np.isin(phantom.labels, [B.BONE, B.CART, B.SOFT])


def sternal_cartilage_ends_mm(phantom, side: int = -1,
                              reach_mm: float | None = None) -> list[tuple[float, float]]:
    """(upper border, lower border) levels (world ``y``, mm, from the top) of the costal
    cartilages' ends at the sternum on ``side`` (-1 the patient's right, x < 0; +1 left), read
    from the labels: per row, the column of the most medial costal-cartilage voxel; the rows
    where it lies within 1.5 voxels of the column most often so (the cartilages' sternal ends
    at the sternum's edge); each run of such rows (at most one row missing) one cartilage
    (the first cartilage joins the manubrium further out, so the first run is the second's).
    (The reader of tests/phantom/test_chest_aortic_root.py, 2026-12-04, issue-19review15,
    moved here 2026-12-04, issue-19cart16.)

    With ``reach_mm`` (mm) each run is extended up and down over the adjacent rows that hold
    cartilage within ``reach_mm`` of that column: the end's sloping upper and lower rows stop
    short of the column, so without it the borders lie inside the drawn ones (the woman of
    test_chest_aortic_root at 2 mm: 2nd cartilage read at -73.79 mm, its top voxel row's upper
    edge -75.79, the drawn border :func:`.sternum.sternocostal_upper_border_y` -75.84;
    2026-12-06)."""
    if side not in (-1, 1):
        raise ValueError(f"side must be -1 (right) or +1 (left), got {side!r}")
    g = phantom.grid
    x, y = g.axis_mm("x"), g.axis_mm("y")
    dy = float(g.spacing[1])
    names = [int(k) for k, v in phantom.meta["label_names"].items() if v == "costal cartilage"]
    half = (x < 0) if side < 0 else (x > 0)
    cols = np.flatnonzero(half)
    mask = np.isin(phantom.labels[:, :, half], names).any(axis=0)          # [y, x on side]
    rows = np.flatnonzero(mask.any(axis=1))
    if not len(rows):
        raise ValueError("no costal cartilage on that side")
    # the most medial column, as a distance (in columns) from the midline
    medial = np.array([(len(cols) - 1 - np.flatnonzero(mask[j]).max()) if side < 0
                       else np.flatnonzero(mask[j]).min() for j in rows])
    ends = rows[np.abs(medial - np.bincount(medial).argmax()) <= 1.5]
    # a run: rows at most one apart (a ragged edge at 2 mm may drop a row from a cartilage's
    # end; the intercostal spaces between two ends are several rows)
    runs = np.split(ends, np.flatnonzero(np.diff(ends) > 2) + 1)
    if reach_mm is None:
        return [(float(y[r[0]] - 0.5 * dy), float(y[r[-1]] + 0.5 * dy)) for r in runs]
    near = dict(zip(rows.tolist(),
                    (medial - np.bincount(medial).argmax()) * float(g.spacing[2]) <= reach_mm))
    out = []
    for r in runs:
        lo, hi = int(r[0]), int(r[-1])
        while near.get(lo - 1, False):
            lo -= 1
        while near.get(hi + 1, False):
            hi += 1
        out.append((float(y[lo] - 0.5 * dy), float(y[hi] + 0.5 * dy)))
    return out
