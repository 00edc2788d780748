"""The erector spinae: the paraspinal back muscles beside the thoracic spine.

Until 2026-12-03 (sixth session, 19erector14) the chest twins had none: behind the lungs'
paravertebral gutters the back was the rib zone (soft tissue), the chest wall's one muscle layer
(:data:`.anatomy.MUSCLE_MM`, 12 mm) and the subcutaneous fat, while within ~20 mm of the midline
the soft tissue behind the vertebrae (the cavity's mediastinal band) ran 26-40 mm deeper; on a
PA film the spine's soft-tissue column stood out with straight vertical edges from the apex to
the diaphragm. The erector spinae (iliocostalis, longissimus, spinalis) fill the groove from the
spinous processes out to the rib angles, behind the transverse processes and posterior ribs and
under the superficial back muscles (trapezius, rhomboids, serratus posterior, latissimus: the
twin's chest-wall layer), thickest beside the spine, thinning laterally, and larger at lower
thoracic levels (NYSORA's compendium, below; Gray's Anatomy).

The section, per side and level ``y`` (anatomy coordinates, mm):

- from the spinous process (``|x| = SPINOUS_HALF_MM``) out to ``SPINOUS_HALF_MM + W``, a
  quarter ellipse in thickness: ``t(x) = T(y) sqrt(1 - u^2)``, ``u`` from 0 at the spinous
  process to 1 at the lateral edge; its area is ``pi T W / 4``;
- at T12, ``T`` and the area are Shimoda et al.'s medians (:data:`T12_THICKNESS_MM`,
  :data:`T12_AREA_MM2`); the width ``W`` follows from them (:data:`WIDTH_MM`, 61 mm, the
  spinous process to about the rib angle); both lengths x height / 175 cm, as the spine;
- up the thorax ``T`` falls linearly by level to :data:`T1_FRACTION` of T12's at T1
  (ASSUMPTION: no per-level table was read; the muscles are "larger at lower levels"), it is
  held at T12's below T12 and tapers to 0 from T1's middle to C7's top (the neck's muscles are
  the neck's outline);
- its deep surface is the back of the cavity's section (the lung's posterior surface, where
  the posterior ribs are drawn later), so it takes the place of the rib zone's soft tissue
  (never the cavity: lung, mediastinum and the soft tissue behind the vertebrae inside the
  cavity's band stay as they are; bone is painted after it);
- behind it the twin's chest-wall muscle layer and its fat stay whole: where the section, the
  layer and the fat do not fit under the skin, the back's skin moves out by the shortfall
  (smoothed with a Gaussian of :data:`SMOOTH_MM`, never below the shortfall), as
  :func:`.scapular_cover.paint_scapular_cover` does over the blades. It is painted in the trunk
  step after the trunk's layers and before the scapular cover, which then measures the skin
  with the erector spinae in it.

References
----------
Shimoda M, Takao S, Sugajima Y, Tanaka Y, Morimoto K, Yoshida N, Yoshimori K, Ohta K, Senjyu H.
The thickness of erector spinae muscles can be easily measured by computed tomography for the
assessment of physical activity: an observational study. Medicine (Baltimore)
2022;101(38):e30704 (abstract: 61 adults before lobectomy for nontuberculous mycobacterial
infection, chest CT at T12: erector spinae thickness median 28.5 mm, IQR 25.4-31.7; its
cross-sectional area median 1371 mm^2, IQR 1178-1784; the abstract's sentence swaps the two
labels, the units tell them apart). Whether the area is one side's or both sides' was not read:
ASSUMPTION one side (the thickness is one side's, and 28.5 mm over ~60 mm from the spinous
process to the rib angle holds ~1400 mm^2). The cohort's sex mix, height and BMI were not
read; no sex difference is drawn (ASSUMPTION).
Tanimura K, Sato S, Fuseya Y, et al. Quantitative assessment of erector spinae muscles in
patients with chronic obstructive pulmonary disease. Ann Am Thorac Soc 2016;13(3):334-341 (the
method: erector spinae area on a single axial chest CT slice at T12; 130 men with COPD, 20
smoking controls; its values were not read).
Hung D, Yang CS-H, Liang C-C, et al. Sonographic measurements of the thickness of the soft
tissues of the interscapular region in a population of normal young adults. J Clin Ultrasound
2011;39:78-82 (abstract: near the scapula's medial border trapezius 4.9, rhomboid 6.3, serratus
posterior 3.5 mm in 21 men; 3.4, 3.8, 2.2 mm in 34 women): the superficial layer over the
erector spinae, 9-15 mm, is the twin's 12 mm chest-wall muscle layer, kept over it.
NYSORA, Compendium of Regional Anesthesia, erector spinae plane block, anatomy (nysora.com):
the erector spinae run "from the spinous to the transverse processes, extending to the ribs"
and "change their size and profile during their craniocaudal course"; above T5 trapezius,
rhomboid major and erector spinae lie in three layers over the transverse processes.
"""

from __future__ import annotations

import math

import numpy as np

from .lungs import P_SECTION
from .raster import Frame

__all__ = ["T12_AREA_MM2", "T12_AREA_IQR_MM2", "T12_THICKNESS_MM", "T12_THICKNESS_IQR_MM",
           "WIDTH_MM", "T1_FRACTION", "SPINOUS_HALF_MM", "SMOOTH_MM", "erector_thickness_mm",
           "erector_section", "erector_back_zd", "paint_erector_spinae"]

# Shimoda et al. 2022 (module references): T12, chest CT, medians and interquartile ranges
T12_AREA_MM2 = 1371.0
T12_AREA_IQR_MM2 = (1178.0, 1784.0)
T12_THICKNESS_MM = 28.5
T12_THICKNESS_IQR_MM = (25.4, 31.7)
# the quarter ellipse's width that holds Shimoda's area at Shimoda's thickness (mm)
WIDTH_MM = 4.0 * T12_AREA_MM2 / (math.pi * T12_THICKNESS_MM)
# T at T1 over T at T12 (ASSUMPTION, module docstring)
T1_FRACTION = 0.5
# the muscle's medial edge: the spinous process's radius at its root
# (:func:`.skeleton.paint_spine` draws it 4 mm, tapering to 3 mm)
SPINOUS_HALF_MM = 4.0
# the skin's bump over the muscle is smoothed by a Gaussian of this SD (mm) (ASSUMPTION: the
# midline furrow over the spinous processes is shallower than the muscles beside it)
SMOOTH_MM = 4.0


def erector_thickness_mm(sp, y, scale: float):
    """``T(y)`` (mm): the erector spinae's thickness beside the spinous process at level ``y``
    (mm, anatomy coordinates) of the spine ``sp`` for a body ``scale`` = height / 175 cm
    (module docstring: T12's from Shimoda 2022, falling to :data:`T1_FRACTION` of it at T1,
    0 at C7's top)."""
    k = np.arange(2, 14)                        # T1..T12 in :data:`.skeleton.LEVEL_NAMES`
    ym = [sp.tops[1]] + [sp.mid_y(int(i)) for i in k] + [sp.mid_y(len(sp.tops) - 1)]
    frac = np.concatenate([[0.0], T1_FRACTION + (1.0 - T1_FRACTION) * (k - 2) / 11.0, [1.0]])
    return T12_THICKNESS_MM * scale * np.interp(np.asarray(y, np.float64), ym, frac, left=0.0,
                                                right=1.0)


def erector_section(cav, sp, x, y, scale: float, midline: bool = False):
    """``(d0, t)``: the erector spinae's deep surface ``d0`` (zd, mm: the back of the cavity's
    section) and thickness ``t`` (mm, 0 outside it) at ``(x, y)`` (mm, broadcast), for the
    cavity ``cav``, the spine ``sp`` and a body ``scale`` = height / 175 cm; ``midline``: over
    the spinous processes (``|x| < SPINOUS_HALF_MM``) the thickness beside them (the skin
    bridges the midline: the median furrow is not drawn, ASSUMPTION)."""
    x = np.abs(np.asarray(x, np.float64))
    y = np.asarray(y, np.float64)
    yc = np.maximum(y, cav.y_apex)
    a = np.maximum(np.asarray(cav.half_width(yc), np.float64), 1e-3)
    b = np.asarray(cav.half_depth(yc), np.float64)
    s = np.clip(x / a, 0.0, 1.0)
    d0 = np.asarray(cav.centre_zd(yc), np.float64) + b * (1.0 - s ** P_SECTION) ** (1.0 / P_SECTION)
    u = (x - SPINOUS_HALF_MM * scale) / (WIDTH_MM * scale)
    if midline:
        u = np.maximum(u, 0.0)
    prof = np.where((u >= 0.0) & (u <= 1.0), np.sqrt(np.clip(1.0 - u * u, 0.0, 1.0)), 0.0)
    return d0, erector_thickness_mm(sp, y, scale) * prof


def erector_back_zd(cav, sp, ol, scale: float, step_mm: float = 1.0) -> float:
    """The deepest ``zd`` (mm) the back's skin reaches over the erector spinae (the section's
    back, the outline's muscle layer and fat; sampled every ``step_mm``, plus a step): the
    grid must reach it (:func:`.builder._chest_grid`)."""
    x = np.arange(0.0, (SPINOUS_HALF_MM + WIDTH_MM) * scale + step_mm, step_mm)[None, :]
    y = np.arange(sp.tops[1], sp.tops[-1] + sp.pitches[-1], step_mm)[:, None]
    d0, t = erector_section(cav, sp, x, y, scale, midline=True)
    return float(np.max(np.where(t > 0, d0 + t, -np.inf))) + ol.muscle + ol.fat + step_mm


def _shift_back(labels, h, dz: float, back, *, AIR: int, ADIPOSE: int, MUSCLE: int) -> None:
    """Push each column's air and fat behind the cavity's centre (``back``, bool per plane) out
    by ``h`` (mm, [y, x]), muscle filling in under them (as the scapular cover does)."""
    for j, i in zip(*np.nonzero(h >= 0.5 * dz)):
        col = labels[:, j, i]
        k = int(round(h[j, i] / dz))
        shifted = np.full_like(col, AIR)
        shifted[k:] = col[:col.size - k]
        new = np.where((shifted == AIR) | (shifted == ADIPOSE), shifted, MUSCLE)
        change = back & ((col == AIR) | (col == ADIPOSE) | (col == MUSCLE))
        col[change] = new[change]


def paint_erector_spinae(labels, f: Frame, cav, sp, ol, scale: float, *, AIR: int,
                         ADIPOSE: int, MUSCLE: int, SOFT: int) -> None:
    """The erector spinae (module docstring) into the trunk's ``labels`` (modified in place):
    the back's skin moves out where the muscle, the outline's muscle layer (``ol.muscle``) and
    its fat (``ol.fat``, mm) do not fit under it, then the section (:func:`erector_section`)
    becomes :data:`MUSCLE` over soft tissue, fat and muscle outside the cavity ``cav``."""
    from scipy import ndimage

    dz, dy, dx = (float(c) for c in f.grid.spacing)
    X, Y = np.meshgrid(f.x, f.y)                                   # [y, x]
    d0, t = erector_section(cav, sp, X, Y, scale)
    if not (t > 0).any():
        return
    last = np.full(labels.shape[1:], -1, np.intp)
    for k in range(labels.shape[0]):
        last[labels[k] != AIR] = k
    skin = np.where(last >= 0, f.zd[np.maximum(last, 0)], np.inf)
    d1, t1 = erector_section(cav, sp, X, Y, scale, midline=True)
    need = np.where(t1 > 0, np.clip(d1 + t1 + ol.muscle + ol.fat - skin, 0.0, None), 0.0)
    if need.any():
        h = ndimage.gaussian_filter(need, (SMOOTH_MM / dy, SMOOTH_MM / dx))
        h = np.maximum(h, need)
        _shift_back(labels, h, dz, f.zd > 0.0, AIR=AIR, ADIPOSE=ADIPOSE, MUSCLE=MUSCLE)
    rows = np.nonzero((t > 0).any(axis=1))[0]
    cols = np.nonzero((t > 0).any(axis=0))[0]
    ys, xs = slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)
    lo, hi = d0[ys, xs][None], (d0 + t)[ys, xs][None]
    Xs, Ys = f.x[None, None, xs], f.y[None, ys, None]
    on = (t[ys, xs] > 0)[None]
    for z0 in range(0, labels.shape[0], 8):
        sl = slice(z0, min(labels.shape[0], z0 + 8))
        Z = f.zd[sl][:, None, None]
        if Z.max() < lo.min():
            continue
        sub = labels[sl, ys, xs]
        m = on & (Z >= lo) & (Z <= hi) & ~cav.inside(Xs, Ys, Z) \
            & ((sub == SOFT) | (sub == ADIPOSE) | (sub == MUSCLE))
        sub[m] = MUSCLE
