"""Heart, great vessels, trachea and main bronchi.

The heart is :class:`.lungs.Cavity`'s ventricles (an ellipsoid from the left atrium to the apex,
myocardium around blood; :mod:`.cardiac`), the right atrium making its right border and the
left atrium below the carina in front of the oesophagus
(:func:`paint_left_atrium`, 2026-12-03; before, the pulmonary veins ran into the ellipsoid); the
mediastinal band above it holds the aortic arch (the aortic knob at the left upper border),
the descending aorta beside the spine, the superior vena cava on the right border, and the
pulmonary trunk with the right and left pulmonary arteries running to the hila. The trachea
(coronal diameter from Breatnach et al. 1984, :mod:`.anatomy`) divides at the carina, at the
level of T4/T5 (Gray's Anatomy, 41st ed., ch. 54), into the main bronchi.

The PA silhouette (:func:`mediastinum_for`): the right border is the superior vena cava's
(the band's straight right edge) down to the right atrium; the left border is the band above
the arch, the aortic knob at T4 bulging out of it (its lateral edge the published aortic-knob
diameter from the tracheal wall, by sex), the aortopulmonary window below it (lung reaching
in towards the trachea in front of the descending aorta), then the pulmonary trunk and the
heart. The band in front of the spine is narrowed by the anterior junction (lungs a thin line
apart behind the sternum) and, on the right, the azygo-oesophageal recess
(:meth:`.lungs.Cavity.anterior_junction`, :meth:`.lungs.Cavity.azygo_oesophageal`); from the
ventricles' top down there is no band: the lungs wrap the heart, its pericardial sac, the
oesophagus and the azygos vein (:mod:`.compartments`, 2026-12-03, issue-19slab12). Above the
aortic arch the trachea lies in front of the collapsed oesophagus, and the upper lobes meet
behind the oesophagus (the posterior junction) and reach the trachea's right wall (the right
paratracheal stripe) (:func:`trachea_zd`, :func:`mediastinum_for`; 2026-12-02, seventh
session). The cavity's volume is solved on its band, junctions, paravertebral edge and
descending aorta (:meth:`.lungs.Cavity.mediastinum`); the painted lungs differ from it only by
this silhouette (its aortopulmonary window, the lung right of the SVC, and the posterior
junction and paratracheal lung above the arch: measured in NOTES, 2026-12-02 sixth and seventh
sessions).

References
----------
Magera S, et al. Aortic knob diameter in chest radiographs of healthy adults in Uganda
(Research Square rs-944105, 2021), Table 4 and text: aortic knob diameter (from the left
lateral wall of the trachea to the knob's lateral edge) men 3.14 +- 0.34 cm, women
2.77 +- 0.37 cm; Felson 1973 3.0 cm; Lee et al. 2018 (Korea) men 3.42, women 3.00 cm.
Gleeson CE, Spedding RL, Harding LA, Caplan M. The mediastinum - is it wide? Emerg Med J
2001;18:183-185 (abstract: mediastinal width at the aortic arch on CT, mean 6.31 cm; the
upper limit of normal on PA films, 8 cm, set in the 1970s).
Tracheal bifurcation angle (Radiopaedia, "Tracheal bifurcation angle", after Haskin PH,
Goodman LR. AJR 1982;139:879-882): mean 60 +- 10 deg on PA radiographs, 95 % within 40-80 deg.
Gray's Anatomy, 41st ed. (2016), ch. 54: right main bronchus ~2.5 cm long, about 25 deg from
the vertical; left ~5 cm, about 45 deg; the aortic arch behind the manubrium, beginning and
ending at the level of the sternal angle (T4/T5).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .anatomy import AORTA_DESC_R_MM
from .aortic_root import ascending_aorta
from .lungs import (ANTERIOR_JUNCTION_MM, ATRIAL_WALL_MM, OESOPHAGUS_HALF_WIDTH_MM,
                    OESOPHAGUS_WALL_MM, PARASPINAL_STRIPE_MM, RA_ML_PER_M, Cavity)
from .raster import Frame, bezier, polyline
from .skeleton import Spine

__all__ = ["Hila", "hila_for", "paint_heart", "paint_left_atrium", "paint_great_vessels",
           "paint_trachea", "mediastinum_for", "painted_mediastinum", "AORTIC_KNOB_MM",
           "MAIN_BRONCHUS", "aortic_knob", "trachea_zd", "PARATRACHEAL_STRIPE_MM",
           "OESOPHAGUS_WALL_MM", "POSTERIOR_JUNCTION_DEPTH_MM", "RA_ML_PER_M"]

# Myocardial wall 8-11 mm (left ventricle, echocardiographic normal: Lang RM et al. J Am Soc
# Echocardiogr 2015;28:1-39, Table 2: septum 6-10 mm women, 6-11 mm men).
MYOCARDIUM_MM = 9.0
# Superior vena cava about 20 mm across; radius 10 mm (model choice).
SVC_R_MM = 10.0
# Aortic knob diameter on PA films (tracheal left wall to the knob's lateral edge), mean by
# sex, Magera et al. 2021 (Uganda; healthy adults): men 31.4 +- 3.4 mm, women 27.7 +- 3.7 mm
# (Felson 1973: 30 mm; Lee et al. 2018, Korea: 34.2 / 30.0 mm).
AORTIC_KNOB_MM = {"male": 31.4, "female": 27.7}
AORTIC_KNOB_SD_MM = {"male": 3.4, "female": 3.7}
# Main bronchi (Gray's Anatomy, 41st ed., ch. 54): (length mm, angle from the vertical deg);
# right 2.5 cm at 25 deg, left 5 cm at 45 deg: interbronchial angle 70 deg, inside the 40-80
# deg normal range of the tracheal bifurcation angle (Haskin & Goodman 1982).
MAIN_BRONCHUS = {-1: (25.0, 25.0), 1: (50.0, 45.0)}
# Left mediastinal border: the left lung reaches in,
# in front of the spine, to this distance (mm) left of the trachea's left wall; the arch
# (knob), the left subclavian artery and the pulmonary trunk bulge out of that line. Model
# choice (a typical film's aortopulmonary window and left paratracheal soft tissue; no
# measured width was found).
AP_WINDOW_FROM_TRACHEA_MM = 8.0
# Superior mediastinal width at the aortic arch, mean on CT of adults (Gleeson et al. 2001):
# 63.1 mm. The right border (the superior vena cava's lateral edge) is placed this far right
# of the knob's lateral edge, so that the twin's width is the published mean.
MEDIASTINAL_WIDTH_MM = 63.1
# Left subclavian artery, from the arch up past the apex: radius 5 mm (model choice, a 1 cm
# artery; not from a table).
LEFT_SUBCLAVIAN_R_MM = 5.0
# Right paratracheal stripe (the right tracheal wall, pleura and any fat between the tracheal
# air and the right lung, from the clavicles to the right tracheobronchial angle at the azygos
# arch): 1-4 mm in 1,259 normal subjects, >= 5 mm reliable evidence of disease (Savoca CJ,
# Austin JHM, Goldberg HI. The right paratracheal stripe. Radiology 1977;122:295-301,
# abstract); < 4 mm (Radiopaedia, "Right paratracheal stripe"). Drawn 3 mm from the tracheal
# air (the 2 mm wall of :func:`paint_trachea` plus 1 mm): inside that range.
PARATRACHEAL_STRIPE_MM = 3.0
# The trachea's wall as :func:`paint_trachea` draws it (mm).
TRACHEAL_WALL_MM = 2.0
# Oesophageal wall (:data:`.lungs.OESOPHAGUS_WALL_MM`, 3 mm): thicker than 3 mm counts as
# thickened (Reinig JW, Stanley JH, Schabel SI. AJR 1983;140:931-934, 200 chest CTs,
# abstract). The collapsed oesophagus is drawn as two such walls (6 mm deep) directly behind
# the trachea (the upper oesophagus has no fat plane to
# the trachea: Samuelsson L, Tylen U, Acta Radiol Diagn 1985;26:665-669, abstract, 100 normal
# CTs); with the trachea's 2 mm wall that is a 5 mm tracheo-oesophageal stripe, inside the
# published normal (up to 5.5 mm: Radiopaedia, "Posterior tracheal stripe").
# Posterior junction: above the aortic arch the upper lobes' posteromedial surfaces meet behind
# the oesophagus, in front of the 3rd-5th thoracic vertebrae, four pleural layers apart; on PA
# films a thin vertical line through the tracheal air from the apices (above the clavicles) to
# the top of the arch, seen on ~30 % of films (Radiopaedia, "Posterior junction line", D. J.
# Bell, H. Knipe; IMAIOS e-Anatomy, "Posterior junction line"; Gibbs JM et al. Radiographics
# 2007;27:33-48; Ryan S et al., Anatomy for Diagnostic Imaging: "it disappears where the lungs
# envelop the aortic arch"). The lungs' tissue there is the anterior junction's
# (:data:`.lungs.ANTERIOR_JUNCTION_MM`, the same four pleural layers); the depth over which
# they meet, between the oesophagus and the paravertebral stripe, is a model choice:
POSTERIOR_JUNCTION_DEPTH_MM = 5.0
# Depth (mm in front of the vertebral bodies) of the hilar roots' reference point (the trees'
# roots and their initial direction from it; unchanged since 2026-12-01). Until 2026-12-02
# (seventh session) the trachea's carina was drawn there too.
HILUM_FRONT_MM = 14.0


@dataclass(frozen=True)
class Hila:
    """Where each lung's trees start (anatomy mm): main bronchus end, artery and vein roots."""

    carina: tuple
    bronchus: tuple      # ((x, y, zd) right, (x, y, zd) left)
    artery: tuple
    vein: tuple


def trachea_zd(sp: Spine, trachea_mm: float) -> float:
    """``zd`` (mm) of the trachea's centre line: in front of the vertebral bodies by the
    paravertebral stripe (:data:`.lungs.PARASPINAL_STRIPE_MM`), the posterior junction's lung
    (:data:`POSTERIOR_JUNCTION_DEPTH_MM`), the collapsed oesophagus (two
    :data:`OESOPHAGUS_WALL_MM`), the tracheal wall and the tracheal radius (the oesophagus
    between trachea and spine and the lungs meeting behind it: Gray's Anatomy, 41st ed.,
    ch. 54; Radiopaedia "Posterior junction line"). Until 2026-12-02 (seventh session) the
    trachea ran 14-18 mm in front of the bodies, against their paravertebral stripe."""
    return sp.front_zd - (PARASPINAL_STRIPE_MM + POSTERIOR_JUNCTION_DEPTH_MM
                          + 2.0 * OESOPHAGUS_WALL_MM + TRACHEAL_WALL_MM + 0.5 * trachea_mm)


def hila_for(cav: Cavity, sp: Spine, trachea_mm: float | None = None) -> Hila:
    """The carina (at the trachea's depth, :func:`trachea_zd`, given ``trachea_mm``; else at
    the hilar reference depth, :data:`HILUM_FRONT_MM`) and the trees' roots."""
    y_carina = sp.tops[sp.level("T5")]
    zc = sp.front_zd - HILUM_FRONT_MM
    hx = cav.med_half * 1.25 + 6.0
    # roots of the lobar airway trees (the lobar stems' ends, reached from the main bronchi
    # of :func:`paint_trachea`); unchanged since the trees were grown from them
    br = ((-hx, y_carina + 22.0, zc + 2.0), (hx, y_carina + 40.0, zc + 4.0))
    # the left hilum is higher than the right in 97 % of normal films (Felson 1973)
    ar = ((-hx + 2.0, y_carina + 30.0, zc - 14.0), (hx - 2.0, y_carina + 18.0, zc - 12.0))
    ve = ((-hx + 6.0, y_carina + 70.0, zc - 6.0), (hx - 6.0, y_carina + 72.0, zc - 4.0))
    zt = zc if trachea_mm is None else trachea_zd(sp, trachea_mm)
    return Hila(carina=(0.0, y_carina, zt), bronchus=br, artery=ar, vein=ve)


def right_atrium(cav: Cavity, ra_ml: float) -> tuple:
    """``(x, y, zd, (rx, ry, rz))`` (mm) of a right atrium of ``ra_ml`` on ``cav``'s heart
    (:meth:`.lungs.Cavity.right_atrium`)."""
    return Cavity(**{**cav.__dict__, "ra_ml": float(ra_ml)}).right_atrium()


def paint_heart(labels, f: Frame, cav: Cavity, *, MUSCLE: int, BLOOD: int, only,
                ra_ml: float | None = None) -> None:
    """Myocardium and chambers of the heart's ellipsoid and the right atrium
    (:meth:`.lungs.Cavity.right_atrium`, of ``ra_ml`` if given, else the cavity's ``ra_ml``)
    inside a :data:`.lungs.ATRIAL_WALL_MM` wall (model choice), over ``only``; the left
    atrium is :func:`paint_left_atrium`'s."""
    ra, rb, rc = cav.heart_r
    half = max(ra, rb, rc) + 2.0
    cx, cy, cz = cav.heart_c
    lo, hi = (cx - half, cy - half, cz - half), (cx + half, cy + half, cz + half)
    f.paint_mask(labels, lo, hi, cav.heart, MUSCLE, only=only)
    w = MYOCARDIUM_MM
    inner = Cavity(**{**cav.__dict__, "heart_r": (ra - w, rb - w, rc - w)})
    f.paint_mask(labels, lo, hi, inner.heart, BLOOD, only=(MUSCLE,))
    if ra_ml:
        cav = Cavity(**{**cav.__dict__, "ra_ml": float(ra_ml)})
    if cav.ra_ml > 0.0:
        x, y, z, (rx, ry, rz) = cav.right_atrium()
        lo, hi = (x - rx - 1, y - ry - 1, z - rz - 1), (x + rx + 1, y + ry + 1, z + rz + 1)
        f.paint_mask(labels, lo, hi, cav.right_atrium_mask, MUSCLE, only=only)
        f.paint_mask(labels, lo, hi,
                     lambda a, b, c: cav.right_atrium_mask(a, b, c, ATRIAL_WALL_MM), BLOOD,
                     only=(MUSCLE,))


def paint_left_atrium(labels, f: Frame, cav: Cavity, *, MUSCLE: int, LA: int, only,
                      APPENDAGE: int | None = None, appendage_over: tuple = ()) -> None:
    """The left atrium (:meth:`.lungs.Cavity.left_atrium`): a :data:`.lungs.ATRIAL_WALL_MM`
    wall (``MUSCLE``, model choice) over ``only``, its blood pool labelled ``LA`` inside; the
    appendage (:meth:`.lungs.Cavity.left_appendage`) the same, its blood ``APPENDAGE`` (else
    ``LA``), painted after the atrium so its own wall closes it, its blood also over
    ``appendage_over`` (the ventricles' chambers, where it lies on them: :mod:`.appendage`).
    Painted after the great vessels (:func:`paint_great_vessels`) with "blood" in ``only``:
    the pulmonary veins end in it, and where the right pulmonary artery's straight course
    crosses its roof the atrium keeps its label (both are blood, so the image is the same)."""
    if cav.la_ml <= 0.0:
        return
    x, y, z, (rx, ry, rz) = cav.left_atrium()
    lo, hi = (x - rx - 1, y - ry - 1, z - rz - 1), (x + rx + 1, y + ry + 1, z + rz + 1)
    f.paint_mask(labels, lo, hi, cav.left_atrium_mask, MUSCLE, only=only)
    f.paint_mask(labels, lo, hi, lambda a, b, c: cav.left_atrium_mask(a, b, c, ATRIAL_WALL_MM),
                 LA, only=(MUSCLE,))
    c, _, a, _ = cav.left_appendage()
    lo, hi = tuple(v - a - 1 for v in c), tuple(v + a + 1 for v in c)
    f.paint_mask(labels, lo, hi, cav.left_appendage_mask, MUSCLE, only=only)
    f.paint_mask(labels, lo, hi,
                 lambda x, y, z: cav.left_appendage_mask(x, y, z, ATRIAL_WALL_MM)
                 & ~cav.left_atrium_mask(x, y, z, ATRIAL_WALL_MM),
                 LA if APPENDAGE is None else APPENDAGE, only=(MUSCLE, *appendage_over))


def aortic_knob(cav: Cavity, sp: Spine, sex: str, trachea_mm: float) -> tuple:
    """``(x, y, zd, r)`` (mm) of the aortic knob: the distal arch seen end-on, centred at the
    T4 level (the arch lies at T4, between the sternal angle's T4/T5 and the manubrium: Gray's
    ch. 54), radius the isthmus's (Hager 2002, :data:`AORTA_DESC_R_MM`), its lateral edge the
    published aortic-knob diameter (:data:`AORTIC_KNOB_MM`) left of the trachea's left wall."""
    r = AORTA_DESC_R_MM
    x = 0.5 * trachea_mm + AORTIC_KNOB_MM[sex] - r
    return (x, sp.mid_y(sp.level("T4")), sp.front_zd - 8.0, r)


def svc_edge_x(knob: tuple) -> float:
    """``x`` (mm) of the right mediastinal border above the heart (the superior vena cava's
    lateral edge): :data:`MEDIASTINAL_WIDTH_MM` right of the aortic knob's lateral edge."""
    return knob[0] + knob[3] - MEDIASTINAL_WIDTH_MM


def mediastinum_for(cav: Cavity, sp: Spine, knob: tuple, trachea_mm: float, hila: Hila,
                    voxel_mm: float = 0.0):
    """The painted mediastinum's mask ``fn(x, y, zd)``: the cavity's mediastinum
    (:meth:`.lungs.Cavity.mediastinum`) less, above the ventricles' top, its left part
    (lateral to :data:`AP_WINDOW_FROM_TRACHEA_MM` from the trachea's left wall, in front of
    the spine; until 2026-12-03 at every level: below the heart's top that was the
    retrocardiac lung, now shaped by :mod:`.compartments`); the knob, the left subclavian
    artery, the other vessels and the heart are painted over the lung afterwards and make the
    bulges of the border. On the right, above the heart, the lung reaches in to the superior
    vena cava's edge (:func:`svc_edge_x`). Above the aortic arch's top (the knob's; the lungs
    diverge over the half pitch below it) the lungs reach, behind the trachea
    (:func:`trachea_zd`), the oesophagus's side walls (:data:`.lungs.OESOPHAGUS_HALF_WIDTH_MM`)
    and, behind the oesophagus (two :data:`OESOPHAGUS_WALL_MM`), the posterior junction (the
    anterior junction's tissue width apart, in front of the paravertebral stripe); down to the
    middle of T4 (the azygos arch) the right lung lies :data:`PARATRACHEAL_STRIPE_MM` from the
    tracheal air over the trachea's depth. The anterior junction's tissue
    (:data:`.lungs.ANTERIOR_JUNCTION_MM`) is kept at least ``voxel_mm`` wide, so that on a grid
    of that spacing the lungs do not touch."""
    x_win = 0.5 * trachea_mm + AP_WINDOW_FROM_TRACHEA_MM
    x_svc = svc_edge_x(knob)
    y_heart = cav.heart_top_y()
    z1 = sp.front_zd - 4.0
    junction = max(ANTERIOR_JUNCTION_MM, float(voxel_mm))
    # posterior mediastinum above the aortic arch (2026-12-02, seventh): the trachea's wall,
    # the oesophagus behind it, the lungs meeting behind that (:func:`trachea_zd`)
    r = 0.5 * trachea_mm
    tz = trachea_zd(sp, trachea_mm)
    t_front, t_back = tz - r - TRACHEAL_WALL_MM, tz + r + TRACHEAL_WALL_MM
    o_back = t_back + 2.0 * OESOPHAGUS_WALL_MM
    # the posterior junction runs down to the top of the arch (the knob's top), where the lungs
    # diverge around the arch: over the half pitch below it (a V, model choice, as the
    # anterior junction's top) the gap opens to the band's width
    y_arch = knob[1] - knob[3]
    y_end = y_arch + 0.5 * sp.pitches[sp.level("T4")]
    # the right paratracheal stripe runs down to the right tracheobronchial angle, where the
    # azygos arch crosses (Radiopaedia, "Right paratracheal stripe"); the azygos arches over
    # the right lung's root at T4 (Gray's Anatomy, 41st ed., ch. 56; recalled, not checked):
    # the stripe is drawn down to the middle of T4
    y_azygos = sp.mid_y(sp.level("T4"))
    x_para = -(r + PARATRACHEAL_STRIPE_MM)

    def fn(x, y, zd):
        m = cav.mediastinum(x, y, zd, junction)
        x = np.asarray(x, np.float32)
        y = np.asarray(y, np.float32)
        zd = np.asarray(zd, np.float32)
        front = zd < z1
        # the aortopulmonary window and the left lung beside the hila, above the ventricles'
        # top (below it, until 2026-12-03, this was the retrocardiac lung; now the cavity's
        # compartments, :mod:`.compartments`, shape the lungs around the heart)
        win = (x > x_win) & front & (y < y_heart)
        right = (x < x_svc) & front & (y < y_heart)
        # right lung against the trachea's right wall
        para = (x < x_para) & (zd >= t_front) & (zd < t_back) & (y < y_azygos)
        # behind the trachea: lung beside the oesophagus, and behind it to the junction
        v = np.clip((y - y_arch) / max(y_end - y_arch, 1.0), 0.0, 1.0)
        half_gap = 0.5 * junction + v * max(1.1 * cav.med_half - 0.5 * junction, 0.0)
        half = np.where(zd >= o_back, half_gap, OESOPHAGUS_HALF_WIDTH_MM)
        post = ((np.abs(x) > half) & (zd >= t_back) & (zd < sp.front_zd) & (y < y_end)
                & ~cav.paravertebral(x, y, zd))
        return m & ~win & ~right & ~para & ~post

    return fn


def painted_mediastinum(cav: Cavity, sex: str, trachea_mm: float, voxel_mm: float = 0.0):
    """:func:`mediastinum_for` of ``cav`` with its own spine (:meth:`.lungs.Cavity.spine`),
    aortic knob (:func:`aortic_knob`) and hila (:func:`hila_for`): the mediastinum the builder
    paints. The TLC is solved on the cavity's band (:meth:`.lungs.Cavity.mediastinum`), which
    has 0.22-0.35 L less lung (the four twins of benchmarks/chest_twins.py, 2 mm count): solved
    on this silhouette instead, the measured lung volumes fell 0.21-0.23 L under the drawn TLC,
    because the great vessels and main bronchi painted over the lung at the hila are not
    counted (NOTES, 2026-12-03); on the band they lie 0.02-0.10 L over it."""
    sp = cav.spine()
    return mediastinum_for(cav, sp, aortic_knob(cav, sp, sex, trachea_mm), trachea_mm,
                           hila_for(cav, sp), voxel_mm=voxel_mm)


def paint_great_vessels(labels, f: Frame, cav: Cavity, sp: Spine, hila: Hila, knob: tuple, *,
                        BLOOD: int, sex: str = "male", age_years: float | None = None,
                        trachea_mm: float | None = None, bsa_m2: float | None = None,
                        height_cm: float | None = None) -> None:
    """Aortic root and ascending aorta (:func:`.aortic_root.ascending_aorta`, of ``sex``,
    ``age_years``, body surface area ``bsa_m2`` and height ``height_cm``; ``trachea_mm``
    places the arch's summit in front of the trachea), arch
    (through the knob, :func:`aortic_knob`), descending aorta, SVC, pulmonary veins into the
    left atrium (the pulmonary trunk and arteries:
    :func:`.pulmonary_trunk.paint_pulmonary_arteries`)."""
    cx, _, cz = cav.heart_c
    ra, rb, _ = cav.heart_r
    y_top_heart = cav.heart_top_y()
    xk, yk, zk, rk = knob
    z_desc = sp.centre_zd(sp.level("T6")) - 4.0
    x_desc = sp.widths[sp.level("T6")] * 0.5 + AORTA_DESC_R_MM - 4.0
    # the aortic root right of, below and behind the pulmonary valve, the ascending aorta up,
    # forward and to the right behind the sternum, the arch over the summit to the knob
    # (2026-12-03, issue-19root13; until then from (cx - 0.25 ra, heart top + 25, cz - 5),
    # left of the pulmonary valve, 30.9 mm wide, to a top at -0.15 med_half)
    aa = ascending_aorta(cav, sp, hila, knob, sex, age_years, trachea_mm, bsa_m2=bsa_m2,
                         height_cm=height_cm)
    asc, arch = aa.course(10), aa.arch(knob, 8)
    bend = bezier((xk, yk, zk), (xk, yk + 1.5 * rk, z_desc), (x_desc, yk + 3.0 * rk, z_desc), 6)
    desc = np.array([bend[-1], (x_desc, cav.y_low + 20.0, z_desc - 6.0)])
    segs = [polyline(asc, aa.r), polyline(arch, aa.r, rk),
            polyline(bend, rk, AORTA_DESC_R_MM), polyline(desc, AORTA_DESC_R_MM)]
    # left subclavian artery from the top of the arch up beside the trachea, past the apex
    segs.append(polyline([(xk - 0.3 * rk, yk - 0.8 * rk, zk),
                          (xk - 0.5 * rk, sp.tops[0], zk + 4.0)], LEFT_SUBCLAVIAN_R_MM))
    # superior vena cava on the right mediastinal border, into the right atrium
    x_svc = svc_edge_x(knob) + SVC_R_MM
    segs.append(polyline([(x_svc, sp.tops[0], cz + 10.0),
                          (x_svc - 2.0, y_top_heart + 35.0, cz + 5.0)], SVC_R_MM))
    # the pulmonary trunk and arteries: :func:`.pulmonary_trunk.paint_pulmonary_arteries`
    # (2026-12-03, issue-19trunk12; until then a 26 mm trunk from the ventricles up and to the
    # right, to 0.55 med_half left of the midline, 20 mm below the carina)
    # pulmonary veins into the left atrium (posterior, below the hila; before 2026-12-03,
    # when the heart had no left atrium, to a point inside the ventricles' ellipsoid)
    la = cav.left_atrium()[:3] if cav.la_ml > 0.0 else \
        (cx - 0.2 * ra, y_top_heart + 45.0, cz + 0.6 * cav.heart_r[2])
    for k in (0, 1):
        segs.append(polyline([hila.vein[k], la], 6.0))
    for s in segs:
        f.paint(labels, s, BLOOD)


def paint_trachea(labels, f: Frame, sp: Spine, hila: Hila, diameter_mm: float, *,
                  AIRWAY: int, SOFT: int) -> list:
    """Trachea, main bronchi (:data:`MAIN_BRONCHUS`) and the stems to the lobar trees' roots
    (:func:`hila_for`), a 2 mm wall around an air lumen; returns each tree's (origin, root,
    radius): its root and initial direction (root - origin, the origin on the hilar
    reference depth :data:`HILUM_FRONT_MM`) for the airway trees. The trachea runs at the
    carina's depth (:func:`trachea_zd` when ``hila`` was given the tracheal diameter), its top
    4 mm further forward."""
    r = 0.5 * diameter_mm
    top = (0.0, sp.tops[0] - 30.0, hila.carina[2] - 4.0)
    # the carina (the ridge between the bronchi) is at the T4/T5 level (Gray's, ch. 54): the
    # centre lines branch above it, where the two lumens of radius ~0.9 r, diverging at the
    # bronchial angles, are still one (their axes 1.8 r apart at the ridge)
    tan_sum = sum(math.tan(math.radians(MAIN_BRONCHUS[k][1])) for k in (-1, 1))
    drop = 1.8 * r / tan_sum
    branch = np.array(hila.carina) - np.array([0.0, drop, 0.0])
    segs = [polyline([top, branch], r)]
    mains = []
    for k in (0, 1):
        # main bronchi: right 0.78 and left 0.66 of the trachea (Weibel 1963 generation 1 =
        # 12.2 mm for an 18 mm trachea: 0.68; right wider, Gray's ch. 54)
        rb = r * (0.74 if k == 0 else 0.64)
        # Gray's length (measured from the carina) and angle (:data:`MAIN_BRONCHUS`): the
        # centre line starts at the branch point, ``drop`` above the carina
        side = -1 if k == 0 else 1
        length, ang = MAIN_BRONCHUS[side]
        length += drop / math.cos(math.radians(ang))
        end = branch + np.array([side * length * math.sin(math.radians(ang)),
                                 length * math.cos(math.radians(ang)),
                                 hila.bronchus[k][2] - branch[2]])
        segs.append(polyline([branch, end], 0.9 * r, rb))
        # the lobar stem on to the tree's root (right: towards the upper-lobe bronchus,
        # lateral; left: on along the main bronchus); the trees grow from that root in the
        # direction they had before the main bronchi were given Gray's angles (2026-12-02),
        # so that they, and the lung around them, are unchanged
        segs.append(polyline([end, hila.bronchus[k]], rb))
        # the trees' initial direction from the hilar reference point (:data:`HILUM_FRONT_MM`)
        # as before the trachea was moved forward (2026-12-02, seventh), so that they and the
        # lung around them are unchanged
        mains.append((np.array([0.0, hila.carina[1], sp.front_zd - HILUM_FRONT_MM]),
                      np.array(hila.bronchus[k]), rb))
    for s in segs:
        wall = s.copy()
        wall[:, 6:] += 2.0
        f.paint(labels, wall, SOFT)
    for s in segs:
        f.paint(labels, s, AIRWAY)
    return mains
