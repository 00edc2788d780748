"""The hilar points: the upper-lobe veins crossing the lower-lobe (interlobar) pulmonary
arteries on a PA film.

On a frontal radiograph the hilar shadows are mainly the hilar pulmonary arteries (Webb 2011).
The lower part of the right hilum is the interlobar (descending) pulmonary artery, lateral to
the bronchus intermedius; it tapers downwards as it branches, its lateral border straight or
slightly convex, and it measures <= 16 mm across (men) and <= 15 mm (women) lateral to the
bronchus. The upper part is the truncus anterior and, lateral to it, the superior pulmonary vein.
The hilar point is where the upper-lobe vein crosses the lower-lobe artery; the angle the two
vessels make there (the hilar angle, open laterally) is about 120 deg (Radiopaedia). The
veins lie in front of (and below) the arteries (Radiopaedia). The left pulmonary artery runs
higher than the right: the left hilum is higher than the right on 97 % of films, at the same
level on the rest (Webb 2011): :func:`.mediastinum.hila_for` puts the left artery root 12 mm
higher.

The lower-lobe artery is the arterial tree's root branch (:func:`.trees.pulmonary_trees`: from
the hilar root towards the centroid of the lung's points below it, Chang's 14 mm width,
``anatomy.LOBAR_ARTERY_MM``, times height / 175 cm); it is not drawn here. Until 2026-12-03
(branch issue-19mediast11) both venous trees of a lung (superior and inferior) started at a low
hilar point (:attr:`.mediastinum.Hila.vein`, 70 mm below the carina): the superior tree's
trunk rose from there through the hilum 8 mm behind the artery, and on a PA the two made one
shadow 19.3 mm across in the 178 cm man and 17.8 mm in the 160 cm woman of the 2 mm tests
(:func:`.measure_hila.interlobar_width_mm`), wider than Webb's normal limits, with no
vein coming down across the artery: no hilar point. Now the superior venous tree grows from
:func:`upper_vein_root`, :data:`UPPER_VEIN_IN_FRONT_MM` in front of the hilar point
(:func:`hilar_point`) on the artery, towards the upper lung's points, and
:func:`paint_upper_lobe_veins` draws the superior pulmonary vein from there into the left
atrium. The hilar angle this makes is not drawn but measured (with the superior vein draining the
lung in front of the oblique fissure, :func:`upper_lobe_mask`: 110 / 117 deg right, 98 / 103
deg left in the 2 mm test man / woman; NOTES, 2026-12-03, 19blade13). The inferior venous
trees are unchanged.

References
----------
Webb WR. The pulmonary hila. In: Webb WR, Higgins CB, Thoracic Imaging, 2nd ed., Lippincott
Williams & Wilkins 2011, ch. 6 (read at radiologykey.com, "The Pulmonary Hila"): hilar
shadows are the arteries; the left hilum higher in 97 %; the interlobar artery <= 16 mm (men),
<= 15 mm (women) lateral to the bronchus intermedius, tapering, lateral border straight or
slightly convex. The same limits: UCSF "Measurement of pulmonary arteries in pulmonary
hypertension" (pathhsw5m54.ucsf.edu/cts/unknown22/diameter.html); after Chang CH, AJR
1962;87:929-935 (1,085 normal films; recalled, not read).
Teichmann V, Jezek V, Herles F. Thorax 1970;25:91-96 (abstract; 112 healthy subjects: the
right descending branch's diameter depends on sex and age; >= 18 mm pathological in men over
40).
Yoo MH et al. J Korean Radiol Soc 1980;16:426-432 (abstract; 370 normal PA films of older
Koreans): right descending pulmonary artery 14.9 mm (men), 14.5 mm (women).
Radiopaedia, "Lung hilum" (C. Hacking, rev. 27 Feb 2024): the hilar point, where the upper
lobe vein crosses the pulmonary artery; hilar angle about 120 deg; roots at T5-T7; pulmonary
veins anteroinferior to the arteries.
Don C, Hammond DI. Radiology 1985;155:295-298 (abstract): on 100 films the right descending
artery, the superior pulmonary vein crossing it and the middle- and lower-lobe branches
converge at the right hilum.
"""

from __future__ import annotations

import numpy as np

from .anatomy import VEIN_OSTIUM_MM
from .lungs import Cavity
from .raster import Frame, polyline
from .ribs import rib_paths

__all__ = ["HILAR_ANGLE_DEG", "HILAR_POINT_FROM_ROOT_MM", "UPPER_VEIN_IN_FRONT_MM",
           "lower_lobe_direction", "hilar_point", "upper_vein_root", "upper_lobe_vein",
           "paint_upper_lobe_veins", "upper_lobe_mask", "middle_lobe_mask"]

# Where the upper-lobe vein crosses the lower-lobe artery: this far (mm) along the artery's
# root branch from the hilar root (model choice: below the root, above the branch's end,
# which lies 31-43 mm down in the 2 mm test twins).
HILAR_POINT_FROM_ROOT_MM = 15.0
# Hilar angle (Radiopaedia, "Lung hilum"): about 120 deg between the upper-lobe vein (above the
# hilar point) and the lower-lobe artery (below it) in the frontal plane, open laterally. Not
# drawn: the vein's tree grows from the crossing towards the upper lung's points (as the
# arterial tree towards the lower lung's), and the angle that makes is measured against this
# (tests/phantom/test_chest_hila.py).
HILAR_ANGLE_DEG = 120.0
# How far in front of the artery's axis the upper-lobe vein crosses (mm): the veins lie
# anterior to the arteries (Radiopaedia, "Lung hilum"); the artery's radius (7 mm for 14 mm)
# plus the vein's (6.6 mm) plus 1.4 mm, so that the two do not touch (model choice).
UPPER_VEIN_IN_FRONT_MM = 15.0
# The superior pulmonary vein from the crossing into the left atrium: radius half a pulmonary
# vein ostium (``anatomy.VEIN_OSTIUM_MM``, 13.2 mm: the superior veins' tree roots are
# 13.2 mm x height / 175 cm by Murray's split of ``anatomy.VEIN_ROOT_MM``).
UPPER_VEIN_R_MM = 0.5 * VEIN_OSTIUM_MM


def lower_lobe_direction(hila, pts: dict, k: int) -> np.ndarray:
    """Unit vector (anatomy ``x, y, zd``) of lung ``k``'s (0 right, 1 left) lower-lobe artery
    at its root: as :func:`.trees.pulmonary_trees` starts the arterial tree, towards the
    centroid of the lung's points (``pts[-1]``, ``pts[1]``, mm) below the root."""
    root = np.asarray(hila.artery[k], float)
    p = np.asarray(pts[-1 if k == 0 else 1], float)
    d = p[p[:, 1] >= root[1]].mean(axis=0) - root
    return d / np.linalg.norm(d)


def hilar_point(hila, pts: dict, k: int) -> np.ndarray:
    """The hilar point of lung ``k`` (mm): on the lower-lobe artery's axis
    :data:`HILAR_POINT_FROM_ROOT_MM` below its root."""
    return np.asarray(hila.artery[k], float) + HILAR_POINT_FROM_ROOT_MM * \
        lower_lobe_direction(hila, pts, k)


def upper_vein_root(hila, pts: dict, k: int) -> np.ndarray:
    """Root (mm) of lung ``k``'s superior venous tree: :data:`UPPER_VEIN_IN_FRONT_MM` in front
    of the hilar point (:func:`hilar_point`), where the upper-lobe vein crosses the artery."""
    return hilar_point(hila, pts, k) - np.array([0.0, 0.0, UPPER_VEIN_IN_FRONT_MM])


def upper_lobe_vein(hila, pts: dict, k: int, cav: Cavity) -> np.ndarray:
    """Points ``(2, 3)`` (mm) of lung ``k``'s superior pulmonary vein: from the superior venous
    tree's root (:func:`upper_vein_root`) down and medially into the left atrium's upper
    lateral part (:meth:`.lungs.Cavity.left_atrium`; without one, the lung's low vein root)."""
    side = -1.0 if k == 0 else 1.0
    if cav.la_ml > 0.0:
        x, y, z, (rx, ry, _) = cav.left_atrium()
        end = np.array([x + side * 0.5 * rx, y - 0.5 * ry, z])
    else:
        end = np.asarray(hila.vein[k], float)
    return np.array([upper_vein_root(hila, pts, k), end])


def paint_upper_lobe_veins(labels, f: Frame, cav: Cavity, hila, pts: dict, *, BLOOD: int,
                           only: int) -> None:
    """Paint both lungs' superior pulmonary veins (:func:`upper_lobe_vein`, radius
    :data:`UPPER_VEIN_R_MM`) as ``BLOOD`` over the label ``only`` (the lung: inside the
    mediastinum and the heart they are soft tissue or blood already)."""
    for k in (0, 1):
        f.paint(labels, polyline(upper_lobe_vein(hila, pts, k, cav), UPPER_VEIN_R_MM), BLOOD,
                only=only)


def upper_lobe_mask(cav: Cavity, sp, pts: dict, k: int) -> np.ndarray:
    """Which of lung ``k``'s (0 right, 1 left) points ``pts[-1]`` / ``pts[1]`` (mm) lie in
    front of and above its oblique fissure: the upper lobe, with the middle lobe on the right,
    the region the superior pulmonary vein drains (the inferior vein drains the lower lobe;
    Gray's Anatomy, 20th ed. 1918, "The Pulmonary Veins").

    The fissure is a plane across the lung (the same at every ``x``) through its back at the
    spinous process of T4 on the right and between those of T3 and T4 on the left, and its
    front at the 6th rib's costochondral junction (Radiopaedia, "Oblique fissure", J. Ren et
    al.: the surface marking "begins roughly at the spinous process of T4" (right), "between
    the spinous processes of T3 and T4" (left), "crosses the fifth intercostal space laterally,
    and follows the contour of the 6th rib anteriorly"; GPnotebook: from T3's spinous process
    (left) "to the level of sixth costochondral junction anteriorly", the right "slightly
    inferior"). The tip of each thoracic spinous process lies level with the transverse
    processes of the vertebra below (Geelhoed MA, McGaugh J, Brewer PA, Murphy D, "A new model
    to facilitate palpation of the level of the transverse processes of the thoracic spine",
    J Orthop Sports Phys Ther 2006;36(11):876-881; pins in 15 cadavers, as summarised by
    physiospot.com, 2006-11-10; the paper itself not read), and :func:`.skeleton.paint_spine`
    draws the transverse processes at their body's mid-height: the back end is half-way
    between T4's and T5's mid-heights on the left (between the tips of T3 and T4) and T5's
    mid-height on the right (T4's tip; ASSUMPTION: Radiopaedia's "roughly" at T4 taken as at
    its tip). Until 2026-12-03 (sixth session) the top of T5 and half a pitch above it, from an
    unmeasured "one level below its body": half a body height high (review13). Until
    2026-12-03 (fifth session) the superior vein
    drained the points above the inferior vein's root, 70 mm below the carina: the cone's
    narrow apices put that region's centroid low and far back, and the upper-lobe vein's first
    branch rose 29 deg instead of 37 deg (hilar angle 87-90 deg, NOTES).
    """
    side = -1 if k == 0 else 1
    p = np.asarray(pts[side], float)
    t5 = sp.level("T5")
    y_back = sp.mid_y(t5) if k == 0 else 0.5 * (sp.mid_y(t5 - 1) + sp.mid_y(t5))
    y_front = next(r["end_y"] for r in rib_paths(cav, sp) if r["rib"] == 6 and r["side"] == side)
    z_back, z_front = p[:, 2].max(), p[:, 2].min()
    y_fissure = y_back + (p[:, 2] - z_back) * (y_front - y_back) / (z_front - z_back)
    return p[:, 1] < y_fissure


def middle_lobe_mask(cav: Cavity, sp, pts: dict, k: int) -> np.ndarray:
    """Which of lung ``k``'s points (``pts[-1]`` / ``pts[1]``, mm) are the middle lobe (right)
    or the lingula (left): the points of :func:`upper_lobe_mask` below the horizontal fissure.

    The horizontal fissure runs "horizontally forward" from the oblique fissure and "cuts the
    anterior border on a level with the sternal end of the fourth costal cartilage" (Gray's
    Anatomy, 20th ed. 1918, "The Lungs", as quoted by IMAIOS e-Anatomy, "Horizontal fissure of
    right lung"): here a level plane at the height of the 4th costal cartilage's sternal end
    (:func:`.ribs.rib_paths`). The left lung has no horizontal fissure; the lingula, the lower
    part of the left upper lobe, corresponds to the right middle lobe (radiologyweb.org,
    "Anatomy - Thorax": "the lower, medial part of the left upper lobe, corresponding to the
    middle lobe on the right"): ASSUMPTION, the same plane at the left 4th cartilage's sternal
    end (the left lung's anterior border leaves the midline for the cardiac notch at the 4th
    costal cartilage, oganatomy.org, "Structural details of the lungs"). The superior
    pulmonary vein is the union of the middle lobe's (lingula's) vein and the upper lobe's
    veins (Elsevier Complete Anatomy, "Pulmonary veins of right lung", "... of left lung"):
    :func:`.trees.pulmonary_trees` divides the superior venous tree's root branch between them.
    """
    side = -1 if k == 0 else 1
    p = np.asarray(pts[side], float)
    r4 = next(r for r in rib_paths(cav, sp) if r["rib"] == 4 and r["side"] == side)
    y_fissure = float(r4["cartilage"][-1][1])
    return upper_lobe_mask(cav, sp, pts, k) & (p[:, 1] > y_fissure)
