"""The erector spinae: the paraspinal back muscles beside the thoracic spine.

Until 2026-12-03 (sixth session, 19erector14) the chest twins had none: behind the vertebrae
there was soft tissue (the cavity's mediastinal band), behind the lungs' paravertebral gutters
the rib zone (soft tissue), the chest wall's one muscle layer (:data:`.anatomy.MUSCLE_MM`,
12 mm) and the subcutaneous fat. The erector spinae (iliocostalis, longissimus, spinalis)
fill the groove from the spinous processes out to the rib angles, behind the transverse
processes and posterior ribs and under the superficial back muscles (trapezius, rhomboids,
serratus posterior, latissimus: the twin's chest-wall layer), thickest beside the spine,
thinning laterally, and larger at lower thoracic levels (NYSORA's compendium, below; Gray's
Anatomy).

The section, per side and level ``y`` (anatomy coordinates, mm; :func:`erector_section`):

- its bed (:func:`_bed_zd`) is the back of the laminae beside the spinous process, the groove
  at the transverse process's root, the transverse process out to its tip, then the posterior
  ribs out to their angles, :data:`RIB_ANGLE_BACK_MM` behind the tips (ASSUMPTION), all from
  the spine as :func:`.skeleton.paint_spine` draws it;
- its back surface is a quarter ellipse over the bed's deepest point: ``canal + 4.5 + T(y)
  sqrt(1 - u^2)``, ``u`` from 0 at the spinous process (``|x| = SPINOUS_HALF_MM``) to 1 at
  the lateral edge, so ``T`` is the largest thickness (over the groove);
- at T12, ``T`` is Shimoda et al.'s median thickness (:data:`T12_THICKNESS_MM`) and the width
  (:func:`erector_width_mm`) is the one whose section holds their median area
  (:data:`T12_AREA_MM2`) on the twin's own bed: 100 mm from the spinous process in the 178 cm
  man, the lower ribs' angles ~5 cm lateral to their tubercles (Gray's Anatomy); both lengths
  x height / 175 cm, as the spine;
- up the thorax ``T`` falls linearly by level to :data:`T1_FRACTION` of T12's at T1
  (ASSUMPTION: no per-level table was read; the muscles are "larger at lower levels"), it is
  held at T12's below T12 and tapers to 0 from T1's middle to its top (the neck's muscles are
  the neck's outline); the width is held (ASSUMPTION);
- it is painted in the trunk step, after the trunk's layers and before the scapular cover
  (which moves the skin over the blades: muscle, this one included, stays muscle under it),
  over soft tissue and muscle only; the lungs (step
  ``lungs``) and the bones (step ``skeleton``) are painted over it afterwards, so it never
  holds lung or bone: where the twin's lung reaches behind the transverse processes (it does
  from T3 to T11, by 10-22 mm: NOTES, 19erector14) the lung keeps that part;
- it replaces soft tissue (and the chest wall's muscle layer, muscle already), never the
  subcutaneous fat, and the skin stays where the outline put it: in the test twins the
  section's back lies 3 mm (T12) to 28 mm (T2) in front of the muscle layer, the rib zone's
  soft tissue staying between; the trunk's depth, fitted to Heinz 2003's girths, already
  holds the muscle. (A first version put the whole section behind the cavity and moved the
  skin out by up to ~20 mm: NOTES, 19erector14.)

References
----------
Shimoda M, Takao S, Sugajima Y, Tanaka Y, Morimoto K, Yoshida N, Yoshimori K, Ohta K, Senjyu H.
The thickness of erector spinae muscles can be easily measured by computed tomography for the
assessment of physical activity: an observational study. Medicine (Baltimore)
2022;101(38):e30704 (abstract: 61 adults before lobectomy for nontuberculous mycobacterial
infection, chest CT at T12: erector spinae thickness median 28.5 mm, IQR 25.4-31.7; its
cross-sectional area median 1371 mm^2, IQR 1178-1784; the abstract's sentence swaps the two
labels, the units tell them apart). Whether the area is one side's or both sides' was not read:
ASSUMPTION one side (at 28.5 mm the twin's bed needs ~100 mm from the spinous process, about
the lower ribs' angles, to hold 1371 mm^2; half of it would end ~45 mm out, at the transverse
processes' tips). The cohort's sex mix, height and BMI were not read; no sex difference is
drawn (ASSUMPTION).
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

import numpy as np

from .raster import Frame

__all__ = ["T12_AREA_MM2", "T12_AREA_IQR_MM2", "T12_THICKNESS_MM", "T12_THICKNESS_IQR_MM",
           "RIB_ANGLE_BACK_MM", "T1_FRACTION", "SPINOUS_HALF_MM", "erector_thickness_mm",
           "erector_width_mm", "erector_section", "paint_erector_spinae"]

# Shimoda et al. 2022 (module references): T12, chest CT, medians and interquartile ranges
T12_AREA_MM2 = 1371.0
T12_AREA_IQR_MM2 = (1178.0, 1784.0)
T12_THICKNESS_MM = 28.5
T12_THICKNESS_IQR_MM = (25.4, 31.7)
# the posterior ribs' angles lie this far (mm) behind the transverse processes' tips
# (ASSUMPTION: the ribs run back from the costotransverse joints to their angles, the most
# posterior point of each rib, Gray's Anatomy; no depth was read)
RIB_ANGLE_BACK_MM = 10.0
# T at T1 over T at T12 (ASSUMPTION, module docstring)
T1_FRACTION = 0.5
# the muscle's medial edge: the spinous process's radius at its root
# (:func:`.skeleton.paint_spine` draws it 4 mm, tapering to 3 mm)
SPINOUS_HALF_MM = 4.0


def erector_thickness_mm(sp, y, scale: float):
    """``T(y)`` (mm): the erector spinae's largest thickness at level ``y``
    (mm, anatomy coordinates) of the spine ``sp`` for a body ``scale`` = height / 175 cm
    (module docstring: T12's from Shimoda 2022, falling to :data:`T1_FRACTION` of it at T1,
    0 at T1's top)."""
    k = np.arange(2, 14)                        # T1..T12 in :data:`.skeleton.LEVEL_NAMES`
    ym = [sp.tops[2]] + [sp.mid_y(int(i)) for i in k] + [sp.mid_y(len(sp.tops) - 1)]
    frac = np.concatenate([[0.0], T1_FRACTION + (1.0 - T1_FRACTION) * (k - 2) / 11.0, [1.0]])
    return T12_THICKNESS_MM * scale * np.interp(np.asarray(y, np.float64), ym, frac, left=0.0,
                                                right=1.0)


def _levels(sp, y):
    """The canal's level (zd, mm) and the transverse processes' tips' ``|x|`` (mm) at ``y``,
    interpolated between the vertebrae's mid-heights (:func:`.skeleton.paint_spine`: the tip
    ``w / 2 + 24`` mm out, ``w`` the body's width)."""
    ym = [sp.mid_y(k) for k in range(len(sp.tops))]
    canal = np.interp(y, ym, [sp.canal_zd(k) for k in range(len(sp.tops))])
    return canal, 0.5 * np.interp(y, ym, sp.widths) + 24.0


def _bed_zd(x, canal, x_tp, x_lat):
    """The erector spinae's bed (zd, mm) at ``|x|`` (broadcast): the back of the laminae
    (:func:`.skeleton.paint_spine`'s arc of radius 11 mm about the canal, 3 mm thick: 14 mm
    behind the canal's axis in the midline), down into the groove at the transverse process's
    root (10 mm out, its 4.5 mm radius behind the canal's level), out along the transverse
    process to its tip (``x_tp``, 10 mm behind, radius 3.5), then along the posterior ribs to
    their angles at the muscle's lateral edge ``x_lat``, :data:`RIB_ANGLE_BACK_MM` further
    back (ASSUMPTION)."""
    d = np.where(x <= 10.0, canal + 14.0 - 9.5 * x / 10.0,
                 canal + 4.5 + 9.0 * np.clip((x - 10.0) / (x_tp - 10.0), 0.0, 1.0))
    lat = canal + 13.5 + RIB_ANGLE_BACK_MM * np.clip((x - x_tp) / np.maximum(x_lat - x_tp, 1.0),
                                                     0.0, 1.0)
    return np.where(x > x_tp, lat, d)


def _section(x, canal, x_tp, thick, x_med, width):
    """``(bed, back)`` (zd, mm): the bed and the back surface, ``canal + 4.5 + thick *
    sqrt(1 - u^2)`` with ``u = (|x| - x_med) / width`` (the back surface's deepest point lies
    over the groove at the bed's deepest point, so ``thick`` is the largest thickness)."""
    u = (x - x_med) / width
    back = np.where((u >= 0.0) & (u <= 1.0),
                    canal + 4.5 + thick * np.sqrt(np.clip(1.0 - u * u, 0.0, 1.0)), -np.inf)
    return _bed_zd(x, canal, x_tp, x_med + width), back


def erector_width_mm(sp, scale: float) -> float:
    """The section's width (mm, from the spinous process out) whose area at T12 is
    :data:`T12_AREA_MM2` x ``scale^2`` at the thickness :data:`T12_THICKNESS_MM` x ``scale``
    on this spine's bed (bisection, to 0.1 mm)."""
    y = sp.mid_y(sp.level("T12"))                                         # T12
    canal, x_tp = _levels(sp, y)
    thick, x_med = T12_THICKNESS_MM * scale, SPINOUS_HALF_MM * scale
    want = T12_AREA_MM2 * scale * scale
    lo, hi = 10.0, 300.0
    while hi - lo > 0.1:
        w = 0.5 * (lo + hi)
        x = np.arange(x_med, x_med + w, 0.05)
        bed, back = _section(x, canal, x_tp, thick, x_med, w)
        area = np.clip(back - bed, 0.0, None).sum() * 0.05
        lo, hi = (w, hi) if area < want else (lo, w)
    return 0.5 * (lo + hi)


def erector_section(sp, x, y, scale: float, width: float):
    """``(d0, t)``: the erector spinae's deep surface ``d0`` (zd, mm: its bed on the laminae,
    transverse processes and posterior ribs, :func:`_bed_zd`) and thickness ``t`` (mm, 0
    outside it) at ``(x, y)`` (mm, broadcast), for the spine ``sp``, a body ``scale`` =
    height / 175 cm and the section's ``width`` (mm, :func:`erector_width_mm`)."""
    x = np.abs(np.asarray(x, np.float64))
    y = np.asarray(y, np.float64)
    x_med = SPINOUS_HALF_MM * scale
    canal, x_tp = _levels(sp, y)
    bed, back = _section(x, canal, x_tp, erector_thickness_mm(sp, y, scale), x_med, width)
    return bed, np.clip(back - bed, 0.0, None)


def paint_erector_spinae(labels, f: Frame, sp, scale: float, *, MUSCLE: int, SOFT: int) -> None:
    """The erector spinae (module docstring) into the trunk's ``labels`` (modified in place)
    of the spine ``sp`` and a body ``scale`` = height / 175 cm: the section
    (:func:`erector_section`) becomes ``MUSCLE`` over ``SOFT`` and ``MUSCLE`` (the lungs and
    bones are painted over it later; the subcutaneous fat and the skin stay)."""
    X, Y = np.meshgrid(f.x, f.y)                                   # [y, x]
    d0, t = erector_section(sp, X, Y, scale, erector_width_mm(sp, scale))
    if not (t > 0).any():
        return
    rows = np.nonzero((t > 0).any(axis=1))[0]
    cols = np.nonzero((t > 0).any(axis=0))[0]
    ys, xs = slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)
    lo, hi = d0[ys, xs][None], (d0 + t)[ys, xs][None]
    on = (t[ys, xs] > 0)[None]
    for z0 in range(0, labels.shape[0], 8):
        sl = slice(z0, min(labels.shape[0], z0 + 8))
        Z = f.zd[sl][:, None, None]
        if Z.max() < lo.min():
            continue
        sub = labels[sl, ys, xs]
        m = on & (Z >= lo) & (Z <= hi) & ((sub == SOFT) | (sub == MUSCLE))
        sub[m] = MUSCLE
