"""The mediastinum between the lungs by compartment: the shape the thoracic cavity's TLC is
solved on (:meth:`.lungs.Cavity.mediastinum` delegates here; 2026-12-03, issue 19, branch
issue-19slab12).

Until 2026-12-03 the mediastinum was one midline band at every level, from the sternum to the
vertebral bodies (less the anterior junction's and the azygo-oesophageal recess's lung), so
every PA ray within ~17 mm of the midline crossed soft tissue from front to back at the
heart's levels, in front of, between and behind the heart's parts and under them: a straight
soft-tissue column on the PA film. Now, from the ventricles' top down, the lungs wrap the
heart: in front of it they reach the median plane (right) and the cardiac notch (left),
behind it the lower lobes reach the oesophagus and the descending aorta (the retrocardiac
lung), and the pericardial sac (:func:`pericardium`) holds the heart's parts together down
to the diaphragm. Above the ventricles' top (the superior mediastinum, the hila, the left
atrium) the band stays as it was.

This module imports nothing from :mod:`.lungs` (which imports it): the lengths it shares
with :mod:`.lungs` (the anterior junction's line, the oesophagus's course, the recess's
depth) come in as arguments.
"""

from __future__ import annotations

import functools

import numpy as np

from .skeleton import STERNUM_HALF_WIDTH_MM, sternum_levels

__all__ = ["cavity_mediastinum", "pericardium", "CARDIAC_NOTCH_MM", "ANTERIOR_LUNG_SLOPE",
           "AZYGOS_R_MM"]

# The lungs' anterior borders below the anterior junction (surface anatomy: BD Chaurasia's
# Human Anatomy, vol. 1, ch. 21 "Surface marking"): the right lung's runs in the median plane
# from the sternal angle to just above the xiphisternal joint; the left lung's follows it to
# the 4th costal cartilage, then the cardiac notch takes it laterally 3.5 cm from the sternal
# margin and back to the 6th costal cartilage 4 cm from the median plane; in the notch the
# pericardium lies against the chest wall under two pleural layers (the area of superficial
# cardiac dullness; gpnotebook, "cardiac notch"). (mm from the sternal margin at the 4th
# cartilage, mm from the median plane at the 6th.) Drawn from the heart's top (where the
# anterior junction ends: Ryan, "at the right ventricular outflow tract"), out over one
# vertebral pitch, back to the second value at the xiphisternal joint (the 6th cartilage
# meets the sternum there; :func:`.skeleton.sternum_levels`): model choices for the levels.
CARDIAC_NOTCH_MM = (35.0, 40.0)
# In front of the heart the lungs' anterior borders are thin wedges (the costomediastinal
# recesses) whose mediastinal surface runs back along the pericardium: the tissue between
# the two lungs widens by this many mm each side per mm of depth behind the cavity's front
# wall (45 deg; model choice, no measured angle found), so that on the PA film the lung in
# front of the heart thins out towards the midline instead of ending at a straight edge.
ANTERIOR_LUNG_SLOPE = 1.0
# Azygos vein: ascending on the right anterolateral surface of the vertebral bodies, the
# medial wall of the azygo-oesophageal recess with the oesophagus (Radiopaedia,
# "Azygo-esophageal recess"); transverse diameter not over 7 mm on upright films (University
# of Virginia, Cardiac radiography, "Azygous vein"; Shrader DL, Miller WT, Chest
# 1977;72:647; Keats: 3-7 mm). Radius 3.5 mm, centred 3.5 mm in front of the bodies at
# 0.35 of their width right of the midline (model choice), from the arch (T5's top) down.
AZYGOS_R_MM = 3.5


@functools.lru_cache(maxsize=16)
def pericardium(cav, step_mm: float = 2.0) -> tuple:
    """The pericardial sac as drawn: in each axial plane, every ``step_mm`` (mm), the convex
    hull of the whole heart's section (:meth:`.lungs.Cavity.cardiac`: ventricles, atria, the
    tissue under them down to the diaphragm). The fibrous pericardium encloses the heart and
    the roots of the great vessels, its base fused to the diaphragm's central tendon (Gray's
    Anatomy, 41st ed., ch. 57; recalled); a convex section is a model choice (the drawn
    chambers are separate ellipsoids, and between them lay lung). Returns ``(y, x, zd, sac,
    zd_front, zd_back, y_low)``: the sample axes (float32), ``sac`` (bool, ``(y, zd, x)``),
    per column of each plane its front and back (``(y, x)``, NaN where the column holds
    none) and per vertical column its base (``(zd, x)``: the lowest level, where that lies
    within T10's pitch of the diaphragm; NaN elsewhere). Cached per cavity."""
    from skimage.morphology import convex_hull_image

    ys = np.arange(cav.y_apex, cav.y_low + step_mm, step_mm, dtype=np.float32)
    xs = np.arange(-cav.a0, cav.a0 + step_mm, step_mm, dtype=np.float32)
    zs = np.arange(-1.2 * cav.b0, cav.spine_front + step_mm, step_mm, dtype=np.float32)
    sac = np.zeros((ys.size, zs.size, xs.size), bool)
    cols = np.full((2, ys.size, xs.size), np.nan, np.float32)
    for i, y in enumerate(ys):
        if i % 16 == 0:    # the heart's sections 16 planes at a time (element-wise: the same)
            block = cav.cardiac(xs[None, None, :], ys[i:i + 16, None, None],
                                zs[None, :, None])                # (y, zd, x)
        m = block[i % 16]                                         # (zd, x)
        if np.count_nonzero(m) < 3:
            continue
        m = convex_hull_image(m) | m
        sac[i] = m
        c = m.any(axis=0)
        cols[0, i, c] = zs[np.argmax(m[:, c], axis=0)]
        cols[1, i, c] = zs[zs.size - 1 - np.argmax(m[::-1, c], axis=0)]
    # the sac's base: its lowest sampled plane in each (zd, x) column where that lies within
    # a vertebral pitch (T10's) of the diaphragm (NaN elsewhere: above the retrocardiac lung)
    low = np.where(sac.any(axis=0), ys[ys.size - 1 - np.argmax(sac[::-1], axis=0)], np.nan)
    sp = cav.spine()
    dia = cav.diaphragm_y(xs[None, :], zs[:, None])
    low = np.where(dia - low <= 2.0 * sp.pitches[sp.level("T10")], low, np.nan)
    return (ys, xs, zs, sac, cols[0], cols[1], low.astype(np.float32))


def _nearest(axis: np.ndarray, v) -> np.ndarray:
    """Index of the sample of the uniform ``axis`` nearest to each ``v``."""
    i = np.rint((np.asarray(v, np.float32) - axis[0]) / (axis[1] - axis[0]))
    return np.clip(i, 0, axis.size - 1).astype(np.intp)


def _azygos(cav, sp, x, y, zd):
    """The azygos vein (:data:`AZYGOS_R_MM`) on the right front of the vertebral bodies."""
    ym = np.array([sp.mid_y(k) for k in range(len(sp.tops))], np.float32)
    w = np.interp(y, ym, np.array(sp.widths, np.float32)).astype(np.float32)
    dx = x + 0.35 * w
    dz = zd - (cav.spine_front - AZYGOS_R_MM)
    return (dx * dx + dz * dz <= AZYGOS_R_MM ** 2) & (y >= sp.tops[sp.level("T5")])


def cavity_mediastinum(cav, x, y, zd, *, junction_mm: float, junction_x_mm: float,
                       oesophagus_half_mm: float, oesophagus_left_t10_mm: float,
                       recess_depth_mm: float):
    """Mask (bool, broadcast shape of ``x``, ``y``, ``zd``; anatomy mm) of the mediastinum of
    the cavity ``cav`` (:class:`.lungs.Cavity`), by compartment.

    * Above the ventricles' top (:meth:`.lungs.Cavity.heart_top_y`; the superior mediastinum,
      the hila, the left atrium): the midline band as before 2026-12-03 (superior mediastinal
      width < 80 mm on PA films: Felson 1973), widening to the hila, in front of the vertebral
      bodies, less the anterior junction's and the azygo-oesophageal recess's lung
      (:meth:`.lungs.Cavity.anterior_junction`, :meth:`.lungs.Cavity.azygo_oesophageal`).
    * From the ventricles' top down: the pericardial sac (:func:`pericardium`; the chambers
      themselves are carved out by :meth:`.lungs.Cavity.cardiac`) and, under its base, the
      band's width down to the diaphragm; in front of the heart the tissue between the lungs'
      anterior borders (:data:`CARDIAC_NOTCH_MM`: the right lung's in the median plane at
      ``junction_x_mm``, the left's out through the cardiac notch), widening backwards
      (:data:`ANTERIOR_LUNG_SLOPE`); behind it the oesophagus (``oesophagus_half_mm`` each
      side of a centre line on the midline at T5's top moving ``oesophagus_left_t10_mm`` left
      by T10's middle, as the recess's edge) from the vertebral bodies forward to the heart
      (at least ``recess_depth_mm``); a ``junction_mm`` septum on the junction's line in front
      of the bodies (the two pleural sacs never meet); elsewhere behind the heart the lower
      lobes (the retrocardiac lung, to the oesophagus and the descending aorta).
    * At every level: the paravertebral tissue (:meth:`.lungs.Cavity.paravertebral`), the
      descending aorta (:meth:`.lungs.Cavity.descending_aorta`) and, from T5's top, the azygos
      vein (:data:`AZYGOS_R_MM`).

    ``junction_mm``: the tissue's width at the anterior junction (mm; the builder widens it to
    one voxel so that the two lungs stay apart on coarse grids).

    References
    ----------
    BD Chaurasia's Human Anatomy, vol. 1, ch. 21 (surface marking of the lungs and pleura).
    Radiopaedia, "Azygo-esophageal recess"; Gibbs JM et al. The many faces of the mediastinal
    lines. Radiographics 2007;27:33-48 (abstract). Felson B, Chest Roentgenology, 1973.
    """
    x = np.asarray(x, np.float32)
    y = np.asarray(y, np.float32)
    zd = np.asarray(zd, np.float32)
    t = np.clip(cav._t(y), 0.0, 1.0)
    # superior mediastinum widening to the hila; below them the heart forms the borders
    # and only the oesophagus, descending aorta and spine stay between the lungs
    u = np.clip((t - 0.30) / 0.35, 0.0, 1.0)
    half = cav.med_half * (1.0 + 0.10 * np.minimum(t / 0.4, 1.0)) \
        * (1.0 - 0.45 * u * u * (3.0 - 2.0 * u))          # smooth step to 55 %
    xm = 0.08 * cav.med_half                        # aortic side slightly left
    # the band lies in front of the vertebral bodies; beside and behind them the
    # paravertebral edge bounds the lung
    band = (np.abs(x - xm) <= half) & (zd < cav.spine_front)
    band = band & ~cav.anterior_junction(x, y, zd, junction_mm) & ~cav.azygo_oesophageal(x, y, zd)
    ys, xs, zs, sac, col_f, col_b, sac_low = pericardium(cav)
    top = np.flatnonzero(np.isfinite(col_f).any(axis=1))
    if top.size == 0:
        return band | cav.paravertebral(x, y, zd) | cav.descending_aorta(x, y, zd)
    below = y >= ys[top[0]]
    iy, ix, iz = _nearest(ys, y), _nearest(xs, x), _nearest(zs, zd)
    # the pericardial sac (tissue between the chambers; the chambers are carved out by
    # :meth:`.lungs.Cavity.cardiac`)
    hull = sac[iy, iz, ix]
    # in front of the heart in each column: below the ventricles' top, between the lungs'
    # anterior borders (the right lung's in the median plane, the left's cardiac notch)
    zf, zb = col_f[iy, ix], col_b[iy, ix]
    sp = cav.spine()
    y_v = cav.heart_top_y()
    y_x = sternum_levels(sp)[2]
    pitch = sp.pitches[sp.level("T5")]
    x_r = junction_x_mm - 0.5 * junction_mm
    x_j = junction_x_mm + 0.5 * junction_mm
    notch_4, notch_6 = STERNUM_HALF_WIDTH_MM[1] + CARDIAC_NOTCH_MM[0], CARDIAC_NOTCH_MM[1]
    a = np.clip((y - y_v) / pitch, 0.0, 1.0)
    b = np.clip((y - y_v - pitch) / max(y_x - y_v - pitch, 1.0), 0.0, 1.0)
    x_n = np.where(a < 1.0, x_j + a * (notch_4 - x_j), notch_4 + b * (notch_6 - notch_4))
    d = np.maximum(zd - cav.centre_zd(y) + cav.half_depth(y), 0.0) * ANTERIOR_LUNG_SLOPE
    front = (x >= x_r - d) & (x <= x_n + d) & (zd < zf)
    # behind the heart: the oesophagus from the bodies forward to the heart (or the recess's
    # depth where no heart lies in front of it), the azygos vein
    y5 = sp.tops[sp.level("T5")]
    xo = oesophagus_left_t10_mm * np.clip((y - y5) / (sp.mid_y(sp.level("T10")) - y5), 0.0, 1.0)
    z_o = cav.spine_front - recess_depth_mm
    z_o = np.where(np.isfinite(zb), np.minimum(zb, z_o), z_o)
    oes = (np.abs(x - xo) <= oesophagus_half_mm) & (zd >= z_o) & (zd < cav.spine_front)
    # under the sac, within the band's width, down to the diaphragm: the sac's base lies on
    # the central tendon (pericardial fat, the inferior vena cava; the lung does not pass
    # under the heart in the midline)
    under = (np.abs(x - xm) <= half) & (y >= sac_low[iz, ix])
    # above the ventricles' top (the left atrium, the hila, the great vessels' roots) the band
    # the septum: the two pleural sacs stay apart in front of the bodies
    septum = (x >= x_r) & (x <= x_j) & (zd < cav.spine_front)
    heart_levels = (np.where(y < y_v, band, front | under | oes | septum) | hull
                    | _azygos(cav, sp, x, y, zd))
    return (np.where(below, heart_levels, band) | cav.paravertebral(x, y, zd)
            | cav.descending_aorta(x, y, zd))


