"""Twelve pairs of curved 3-D ribs with costal cartilage.

Each rib starts at its vertebra (head beside the body, neck to the transverse process) and
follows the outside of the cavity's surface (:class:`.lungs.Cavity`) round the side to its
costochondral junction, descending as it goes: its anterior end lies about 3.5 vertebral
levels below its head for the middle ribs, so that the anterior end of the 6th rib and the
posterior part of the 10th meet the diaphragm dome on a full-inspiration PA film, the
standard criterion of an adequate inspiration (Felson B. Chest Roentgenology, 1973, ch. 1;
Gray's Anatomy, 41st ed., ch. 53 for the rib course). Ribs 1-7 (true ribs) reach the sternum
by their own cartilage, 8-10 join the cartilage above, 11-12 are floating and end in pointed
cartilage tips. Cross-section and cortex vary along each rib, by rib number, sex and age
(:mod:`.rib_section`, sources there): three round struts one above the other, a cortical
shell around cancellous bone.
"""

from __future__ import annotations

import numpy as np

from .anatomy import RIB_STRUT_RADIUS_MM
from .lungs import P_SECTION, Cavity
from .raster import Frame
from .rib_section import (CALCIFIED_BONE_FRACTION, CART_TIP_MM, CORTEX_REF_AGE,
                          cartilage_calcification_probability, cartilage_scale, rib_cortex_mm,
                          rib_section_mm)
from .cancellous import dither_key, lattice_index, uniform_at
from .skeleton import TRABECULAR_BV_TV, Spine, fill_cancellous
from .sternum import costal_notch_levels

__all__ = ["rib_paths", "paint_ribs", "RIB_END_DEG", "RIB_DROP_LEVELS", "cage_surface"]

#: Angle (deg, 0 = posterior midline, 90 = lateral, 180 = anterior midline) of each rib's
#: costochondral junction: the lower ribs end further back (floating ribs 11-12 laterally).
#: The 12th's 60 (was 95 until 2026-12-03, tenth session): its head-to-tip distance was 1.5x
#: the mean in-plane size of 12th ribs on CT (Holcombe et al. 2016, :mod:`.measure_ribs`),
#: now 1.2x.
RIB_END_DEG = (150, 152, 152, 150, 148, 146, 144, 140, 134, 126, 110, 60)
#: Descent from the head to the costochondral junction in vertebral levels (Gray's, ch. 53:
#: the ribs slope down and forward; the anterior end of the 6th rib lies about level with the
#: 10th rib posteriorly). The first rib's 2.0: its cartilage joins the manubrium just below
#: the sternoclavicular joint (Gray's, ch. 53), and the jugular notch is at T2/T3, so its
#: anterior end (head at mid-T1) lies ~2 levels lower, under the clavicle's sternal end; it
#: was 0.9, which put the anterior end above the manubrium and drew the first ribs on a PA
#: film as a flat closed ring above the apices (2026-12-02, sixth session). The second's is
#: None: not a number of levels, its anterior end lies at the level of the sternal angle
#: (T4/T5, :func:`.sternum.sternum_levels`), since its cartilage "is horizontal" (Gray 1918,
#: "4c. The Costal Cartilages") and articulates with the sternum at the angle (Gray 1918,
#: "4a. The Sternum"; :func:`.sternum.costal_notch_levels`): 2.27 mean thoracic pitches below
#: mid-T2 in the man and the woman of the tests. It was 1.7 until 2026-12-04 (issue-19cart16),
#: 14-15 mm higher, with the cartilage's sternal end 10 mm above the angle (NOTES).
RIB_DROP_LEVELS = (2.0, None, 2.4, 2.9, 3.3, 3.6, 3.7, 3.6, 3.4, 3.0, 1.8, 1.0)

#: Where the cartilages of ribs 9 and 10 join the one above: this fraction of its length from
#: its rib (MODEL CHOICE; Gray 1918 says "articulated with the lower border of the cartilage of
#: the preceding rib"). Until 2026-12-03 (tenth session) all three joined near the seventh's
#: end, which made the 8th-10th cartilages grow longer downwards (Gray: they grow shorter).
CART_JOIN_FRACTION = 0.4
#: Gray 1918 on the cartilages' direction: "the first descends a little, the second is
#: horizontal, the third ascends slightly, while the others are angular". The first's sternal
#: end lies at least this much (mm) below its rib's end (MODEL CHOICE for "a little"; before
#: 2026-12-03, tenth session, it rose ~7 mm to the manubrium). The angular ones continue their
#: rib's slope over this fraction of their rise before turning up (MODEL CHOICE).
CART1_DESCENT_MM = 5.0
CART_FOLLOW_FRACTION = 0.6

_OFFSET = RIB_STRUT_RADIUS_MM + 1.0            # rib centre outside the cavity surface (mm)
_INTERIOR = 255                                # transient label of the ribs' interior
_SHELL = 253                                   # transient label of the ribs' cortical shell
_CORE = 252                                    # transient label of the cartilages' core
_CALC_CORE = 0.6                               # core / cartilage size (MODEL CHOICE)


def cage_surface(cav: Cavity, y, theta, offset: float = _OFFSET):
    """(|x|, zd) of the cavity surface grown by ``offset`` at level ``y`` and angle ``theta``
    (radians from the posterior midline)."""
    # the first rib rings the apex: never follow the cavity above 8 % of the lung height
    y = np.maximum(np.asarray(y, float), cav.y_apex + 0.08 * cav.height)
    a = cav.half_width(y) + offset
    s, c = np.sin(theta), np.cos(theta)
    x = a * np.abs(s) ** (2.0 / P_SECTION)
    cc = np.sign(c) * np.abs(c) ** (2.0 / P_SECTION)
    # the cavity is inside two sections (:meth:`.lungs.Cavity.inside`): the one with its front
    # held and the one with it not held (the back); the surface is the inner of the two: the
    # back section's point where it lies inside the held one, else the held one's
    b = cav.half_depth(y) + offset
    zc = cav.centre_zd(y)
    bb = cav.back_half_depth(y) + offset
    z_back = cav.back_centre_zd(y) + bb * cc
    inner = ((x / a) ** P_SECTION + np.abs((z_back - zc) / b) ** P_SECTION) <= 1.0
    z = np.where(inner, z_back, zc + b * cc)
    return x, z


def rib_paths(cav: Cavity, sp: Spine) -> list[dict]:
    """For each rib (1..12) and side (-1 right, +1 left): ``bone`` and ``cartilage`` polylines
    (N x 3 anatomy points) and the levels used in the measurements."""
    out = []
    y_notches = costal_notch_levels(sp)
    cart7_end = None
    prev_cart = {}
    for k in range(12):
        lev = sp.level(f"T{k + 1}")
        y_head = sp.mid_y(lev)
        pitch = float(np.mean(sp.pitches[2:14]))
        w = sp.widths[lev]
        th_end = np.radians(RIB_END_DEG[k])
        # the head at the disc above its own vertebra (Gray 1918, "The Ribs": its two facets
        # articulate with "the depression formed on the bodies of two adjacent thoracic
        # vertebrae"), beside the body's back part (Gray's, "Thoracic vertebrae": the
        # superior costal facets lie "on the upper border near the root of the pedicle"), a
        # quarter of the body's depth in front of its back (ASSUMPTION: on the body, in front
        # of the pedicle; the back edge itself moved the 2 mm woman's PA left-border reading,
        # NOTES). The 1st, 11th and 12th heads meet their own vertebra only: a few mm high
        # here (approximation). Until 2026-12-03 (fifth session) the head lay at the body's
        # mid-height and mid-depth: with the cavity depth ratio 1.60 the neck from there back
        # to the cage filled the body's back half beside T4, where the lung's paravertebral
        # edge lies (25 mm from the midline, drawn 21: NOTES)
        head_zd = sp.front_zd + 0.75 * sp.depths[lev]
        # angle where the rib reaches the cage, beside the transverse process tip
        th0 = np.radians(25.0)
        th = np.linspace(th0, th_end, 40)
        frac = (th - th0) / (th_end - th0)
        # the 2nd: its end at its notch's level, the sternal angle (RIB_DROP_LEVELS)
        drop = y_notches[1] - y_head if k == 1 else RIB_DROP_LEVELS[k] * pitch
        y = y_head + drop * frac ** 1.4
        for side in (-1.0, 1.0):
            x, z = cage_surface(cav, y, th)
            head = np.array([[side * (0.5 * w + 2.0), sp.tops[lev], head_zd]])
            bone = np.vstack([head, np.column_stack([side * x, y, z])])
            cart = None
            if k < 10:
                th_c = np.linspace(th_end, np.radians(178.0), 12)
                xs, zs = cage_surface(cav, y[-1], th_c)
                if k < 7:
                    # the sternal end at its costal notch (Gray 1918, "The Sternum"; until
                    # 2026-12-04 the seven spaced evenly from the jugular notch + 10 mm to
                    # the xiphisternal joint, the 2nd 10 mm above the sternal angle)
                    y_st = y_notches[k]
                    if k == 0:       # Gray 1918: "the first descends a little" to the sternum
                        y_st = max(y_st, y[-1] + CART1_DESCENT_MM)
                    x_st = 26.0 if k == 0 else 16.0
                    z_st = None
                elif k == 7:
                    y_st, x_st, z_st = cart7_end[1] + 8.0, cart7_end[0] + 18.0, None
                else:
                    # 9 and 10 join the lower border of the cartilage above (Gray 1918), here
                    # at :data:`CART_JOIN_FRACTION` of its length from its rib
                    x_st, y_st, z_st = _point_at_fraction(prev_cart[side], CART_JOIN_FRACTION)
                    x_st = abs(x_st)
                keep = xs >= x_st
                xs, zs = xs[keep], zs[keep]
                ys = _cartilage_levels(bone, y_st, len(xs), angular=k >= 3)
                z_end = z_st if z_st is not None else (zs[-1] if len(zs) else bone[-1, 2])
                cart = np.vstack([bone[-1:], np.column_stack([side * xs, ys, zs]),
                                  [[side * x_st, y_st, z_end]]])
                prev_cart[side] = cart
                if k == 6 and side > 0:
                    cart7_end = (x_st + 14.0, y_st)
            else:
                cart = _cartilage_tip(cav, y[-1], th_end, side, bone[-1], CART_TIP_MM[k - 10])
            out.append({"rib": k + 1, "side": int(side), "bone": bone, "cartilage": cart,
                        "head_y": float(y_head), "end_y": float(y[-1])})
    return out


def _cartilage_levels(bone, y_st: float, n: int, *, angular: bool) -> np.ndarray:
    """Levels (y, mm) of ``n`` points of a costal cartilage from its rib's end to ``y_st``:
    straight for the first three, "angular" for the others (Gray 1918: "following the course
    of the ribs for a short distance, and then ascending to the sternum or preceding
    cartilage"): a quadratic Bezier whose control level continues the rib's end slope over a
    third of the way (:data:`CART_FOLLOW_FRACTION`, model choice)."""
    v = np.linspace(0.0, 1.0, n + 1)[:n]
    y0 = float(bone[-1, 1])
    if not angular:
        return y0 + (y_st - y0) * v
    d = bone[-1] - bone[-2]
    slope = d[1] / max(float(np.linalg.norm(d)), 1e-9)     # dy per mm along the rib's end
    y1 = y0 + slope * CART_FOLLOW_FRACTION * abs(y_st - y0) / max(abs(slope), 0.2)
    return (1 - v) ** 2 * y0 + 2 * v * (1 - v) * y1 + v ** 2 * y_st


def _point_at_fraction(points, frac: float) -> np.ndarray:
    """The point at fraction ``frac`` of a polyline's length (N x 3)."""
    s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))])
    return np.array([np.interp(frac * s[-1], s, points[:, i]) for i in range(3)])


def _cartilage_tip(cav: Cavity, y: float, th_end: float, side: float, start,
                   length_mm: float) -> np.ndarray:
    """The pointed cartilage of a floating rib: ``length_mm`` on along the cage from the bony
    end (Gray 1918: "the last two have pointed extremities, which end in the wall of the
    abdomen")."""
    th = np.linspace(th_end, th_end + 0.5, 26)
    xs, zs = cage_surface(cav, y, th)
    pts = np.column_stack([side * xs, np.full(len(th), y), zs])
    pts[0] = start
    s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))])
    n = max(2, int(np.searchsorted(s, length_mm)) + 1)
    return pts[:n]


def _section_rows(points, h, t, scale=1.0):
    """Capsule rows of the three struts (on, above and below the centre line) of a section of
    height ``h`` and thickness ``t`` (mm, per point), both times ``scale``: round struts of
    diameter ``t`` whose outer ones span ``h`` (the middle one closes the waist of flat
    sections)."""
    r = 0.5 * t * scale
    d = 0.5 * (h - t) * scale
    rows = []
    for sgn in (-1.0, 0.0, 1.0):
        q = points + np.column_stack([np.zeros(len(points)), sgn * d, np.zeros(len(points))])
        rows.append(np.column_stack([q[:-1], q[1:], r[:-1], r[1:]]))
    return np.vstack(rows)


def _arc_fraction(points) -> np.ndarray:
    s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))])
    return s / max(s[-1], 1e-9)


def paint_ribs(labels, f: Frame, paths, rng, *, BONE: int, SOFT: int, CART: int,
               sex: str = "male", age_years: float = CORTEX_REF_AGE) -> bool:
    """Ribs (cortical shell around cancellous bone) and costal cartilage, with the sections
    and cortex of :mod:`.rib_section` (varying along each rib, by rib number, sex and age).

    The interior of a rib is cancellous bone, not soft tissue: it is painted, like the
    vertebral bodies (:mod:`.skeleton`), as a dithered mixture holding a fraction
    ``TRABECULAR_BV_TV`` of bone voxels and marrow (soft tissue) in the rest. The cortex is
    drawn as a shell at least one voxel thick (``w = max(c, voxel)``) whose voxels are bone
    with probability ``c / w + (1 - c / w) BV/TV``: the bone a ray crosses is right on average
    where the cortex is thinner than a voxel (as the vertebral shell, :func:`.paint_spine`).
    Returns whether the twin's costal cartilages were drawn calcified (one draw of a child of
    ``rng`` with :func:`.rib_section.cartilage_calcification_probability` of ``age_years``).
    """
    vox = float(min(f.grid.spacing))
    outer, inner, cart, cart_inner, centres, cortex = [], [], [], [], [], []
    for p in paths:
        b = np.asarray(p["bone"], float)
        u = _arc_fraction(b)
        h, t = rib_section_mm(p["rib"], u)
        c = rib_cortex_mm(u, sex, age_years)
        w = np.maximum(c, vox)
        outer.append(_section_rows(b, h, t))
        rows = _section_rows(b, h, t)
        rows[:, 6:] = np.maximum(rows[:, 6:] - np.tile(np.column_stack([w[:-1], w[1:]]), (3, 1)),
                                 0.0)
        inner.append(rows)
        centres.append(b)
        cortex.append(c)
        if p["cartilage"] is not None:
            cp = np.asarray(p["cartilage"], float)
            he, te = rib_section_mm(p["rib"], np.ones(len(cp)))
            sc = cartilage_scale(p["rib"], _arc_fraction(cp))
            cart.append(_section_rows(cp, he, te, sc))
            cart_inner.append(_section_rows(cp, he, te, sc * _CALC_CORE))
    # one draw of a child generator: the same for every voxel size (written when ``rng``'s
    # own state depended on how many voxels the spine dithered before; the dithers are now
    # keyed by position, but the child is kept so the calcification draw stays as it was)
    calcified = bool(rng.spawn(1)[0].random() < cartilage_calcification_probability(age_years))
    if cart:
        f.paint(labels, np.vstack(cart), CART)
        if calcified:
            _calcify(labels, f, cart_inner, sex, rng, BONE=BONE, CART=CART)
    f.paint(labels, np.vstack(outer), _SHELL)
    f.paint(labels, np.vstack(inner), _INTERIOR, only=_SHELL)
    _dither_shell(labels, f, np.vstack(centres), np.concatenate(cortex), vox, rng,
                  BONE=BONE, SOFT=SOFT)
    fill_cancellous(labels, _INTERIOR, rng, frame=f, bone=BONE, soft=SOFT)
    return calcified


def _calcify(labels, f: Frame, cart_inner, sex: str, rng, *, BONE: int, CART: int) -> None:
    """Calcified costal cartilage (:mod:`.rib_section`): in men the marginal layer (outside
    the cartilage's section shrunk to :data:`_CALC_CORE` of its size), in women the core
    (inside it); :data:`CALCIFIED_BONE_FRACTION` of those voxels become bone."""
    core = np.vstack(cart_inner)
    f.paint(labels, core, _CORE, only=CART)
    fill_cancellous(labels, CART if sex == "male" else _CORE, rng, frame=f, bone=BONE,
                    soft=CART, fraction=CALCIFIED_BONE_FRACTION)
    for z0 in range(0, labels.shape[0], 16):      # the men's uncalcified core back to cartilage
        slab = labels[z0:z0 + 16]
        slab[slab == _CORE] = CART


def _dither_shell(labels, f: Frame, centres, cortex, vox, rng, *, BONE: int, SOFT: int):
    """Turn the shell's voxels (:data:`_SHELL`) into bone with the probability that holds the
    cortex of the nearest centre-line point (and cancellous bone in the rest of the layer),
    else marrow (soft tissue); slab by slab of 16 z-slices. Keyed by position on
    the anatomy's voxel lattice (:func:`.cancellous.uniform_at` of
    :func:`.cancellous.lattice_index`, whatever the grid's extent): one key from ``rng``,
    whatever the shell's size."""
    from scipy.spatial import cKDTree

    tree = cKDTree(centres)
    w = np.maximum(cortex, vox)
    p_bone = np.minimum(1.0, cortex / w + (1.0 - cortex / w) * TRABECULAR_BV_TV)
    key = dither_key(rng)
    for z0 in range(0, labels.shape[0], 16):
        slab = labels[z0:z0 + 16]
        iz, iy, ix = np.nonzero(slab == _SHELL)
        if not len(iz):
            continue
        pts = np.column_stack([f.x[ix], f.y[iy], f.zd[iz + z0]])
        _, nearest = tree.query(pts)
        bone = uniform_at(key, lattice_index(slab, (iz, iy, ix), f)) < p_bone[nearest]
        slab[iz, iy, ix] = np.where(bone, np.uint8(BONE), np.uint8(SOFT))
