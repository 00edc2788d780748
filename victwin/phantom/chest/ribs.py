"""Twelve pairs of curved 3-D ribs with costal cartilage.

Each rib starts at its vertebra (head beside the body, neck to the transverse process) and
follows the outside of the cavity's surface (:class:`.lungs.Cavity`) round the side to its
costochondral junction, descending as it goes: its anterior end lies about 3.5 vertebral
levels below its head for the middle ribs, so that the anterior end of the 6th rib and the
posterior part of the 10th meet the diaphragm dome on a full-inspiration PA film, the
standard criterion of an adequate inspiration (Felson B. Chest Roentgenology, 1973, ch. 1;
Gray's Anatomy, 41st ed., ch. 53 for the rib course). Ribs 1-7 (true ribs) reach the sternum
by their own cartilage, 8-10 join the cartilage above, 11-12 are floating. Cross-section: two
overlapping round struts (:mod:`.anatomy`), a cortical shell around marrow.
"""

from __future__ import annotations

import numpy as np

from .anatomy import CORTEX_MM, RIB_STRUT_OFFSET_MM, RIB_STRUT_RADIUS_MM
from .lungs import P_SECTION, Cavity
from .raster import Frame, polyline
from .skeleton import Spine, fill_cancellous, sternum_levels

__all__ = ["rib_paths", "paint_ribs", "RIB_END_DEG", "RIB_DROP_LEVELS", "cage_surface"]

#: Angle (deg, 0 = posterior midline, 90 = lateral, 180 = anterior midline) of each rib's
#: costochondral junction: the lower ribs end further back (floating ribs 11-12 laterally).
RIB_END_DEG = (150, 152, 152, 150, 148, 146, 144, 140, 134, 126, 110, 95)
#: Descent from the head to the costochondral junction in vertebral levels (Gray's, ch. 53:
#: the ribs slope down and forward; the anterior end of the 6th rib lies about level with the
#: 10th rib posteriorly). The first rib's 2.0: its cartilage joins the manubrium just below
#: the sternoclavicular joint (Gray's, ch. 53), and the jugular notch is at T2/T3, so its
#: anterior end (head at mid-T1) lies ~2 levels lower, under the clavicle's sternal end; it
#: was 0.9, which put the anterior end above the manubrium and drew the first ribs on a PA
#: film as a flat closed ring above the apices (2026-12-02, sixth session).
RIB_DROP_LEVELS = (2.0, 1.7, 2.4, 2.9, 3.3, 3.6, 3.7, 3.6, 3.4, 3.0, 1.8, 1.0)

_OFFSET = RIB_STRUT_RADIUS_MM + 1.0            # rib centre outside the cavity surface (mm)
_INTERIOR = 255                                # transient label of the ribs' interior


def cage_surface(cav: Cavity, y, theta, offset: float = _OFFSET):
    """(|x|, zd) of the cavity surface grown by ``offset`` at level ``y`` and angle ``theta``
    (radians from the posterior midline)."""
    # the first rib rings the apex: never follow the cavity above 8 % of the lung height
    y = np.maximum(np.asarray(y, float), cav.y_apex + 0.08 * cav.height)
    a = cav.half_width(y) + offset
    b = cav.half_depth(y) + offset
    s, c = np.sin(theta), np.cos(theta)
    x = a * np.abs(s) ** (2.0 / P_SECTION)
    z = cav.centre_zd(y) + b * np.sign(c) * np.abs(c) ** (2.0 / P_SECTION)
    return x, z


def rib_paths(cav: Cavity, sp: Spine) -> list[dict]:
    """For each rib (1..12) and side (-1 right, +1 left): ``bone`` and ``cartilage`` polylines
    (N x 3 anatomy points) and the levels used in the measurements."""
    out = []
    y_notch, y_angle, y_xiph = sternum_levels(sp)
    cart7_end = None
    for k in range(12):
        lev = sp.level(f"T{k + 1}")
        y_head = sp.mid_y(lev)
        pitch = float(np.mean(sp.pitches[2:14]))
        w = sp.widths[lev]
        cz = sp.centre_zd(lev)
        th_end = np.radians(RIB_END_DEG[k])
        # angle where the rib reaches the cage, beside the transverse process tip
        th0 = np.radians(25.0)
        th = np.linspace(th0, th_end, 40)
        frac = (th - th0) / (th_end - th0)
        y = y_head + RIB_DROP_LEVELS[k] * pitch * frac ** 1.4
        for side in (-1.0, 1.0):
            x, z = cage_surface(cav, y, th)
            head = np.array([[side * (0.5 * w + 2.0), y_head - 2.0, cz]])
            bone = np.vstack([head, np.column_stack([side * x, y, z])])
            cart = None
            if k < 10:
                th_c = np.linspace(th_end, np.radians(178.0), 12)
                xs, zs = cage_surface(cav, y[-1], th_c)
                if k < 7:
                    y_st = y_notch + 10.0 + (y_xiph - y_notch - 10.0) * k / 6.0
                    x_st = 26.0 if k == 0 else 16.0
                else:
                    y_st = cart7_end[1] + 8.0 * (k - 6)
                    x_st = cart7_end[0] + 18.0 * (k - 6)
                keep = xs >= x_st
                xs, zs = xs[keep], zs[keep]
                ys = np.linspace(y[-1], y_st, len(xs) + 1)[:len(xs)]
                cart = np.vstack([bone[-1:], np.column_stack([side * xs, ys, zs]),
                                  [[side * x_st, y_st, zs[-1] if len(zs) else bone[-1, 2]]]])
                if k == 6 and side > 0:
                    cart7_end = (x_st + 14.0, y_st)
            out.append({"rib": k + 1, "side": int(side), "bone": bone, "cartilage": cart,
                        "head_y": float(y_head), "end_y": float(y[-1])})
    return out


def paint_ribs(labels, f: Frame, paths, rng, *, BONE: int, SOFT: int, CART: int) -> None:
    """Ribs (cortical shell around cancellous bone) and costal cartilage.

    The interior of a rib is cancellous bone, not soft tissue: it is painted, like the
    vertebral bodies (:mod:`.skeleton`), as a dithered mixture holding a fraction
    ``TRABECULAR_BV_TV`` of bone voxels and marrow (soft tissue) in the rest.
    """
    r, off = RIB_STRUT_RADIUS_MM, 0.5 * RIB_STRUT_OFFSET_MM
    bone, cart = [], []
    for p in paths:
        for dy in (-off, off):
            b = p["bone"] + np.array([0.0, dy, 0.0])
            bone.append(polyline(b, r, 0.9 * r))
            if p["cartilage"] is not None:
                cart.append(polyline(p["cartilage"] + np.array([0.0, dy, 0.0]), 0.9 * r))
    bone = np.vstack(bone)
    if cart:
        f.paint(labels, np.vstack(cart), CART)
    f.paint(labels, bone, BONE)
    marrow = bone.copy()
    marrow[:, 6:] -= CORTEX_MM
    f.paint(labels, marrow, _INTERIOR, only=BONE)
    fill_cancellous(labels, _INTERIOR, rng, bone=BONE, soft=SOFT)
