"""Heart, great vessels, trachea and main bronchi.

The heart is :class:`.lungs.Cavity`'s tilted ellipsoid (myocardium around blood); the
mediastinal band above it holds the aortic arch (the aortic knob at the left upper border),
the descending aorta beside the spine, the superior vena cava on the right border, and the
pulmonary trunk with the right and left pulmonary arteries running to the hila. The trachea
(coronal diameter from Breatnach et al. 1984, :mod:`.anatomy`) divides at the carina, at the
level of T4/T5 (Gray's Anatomy, 41st ed., ch. 54), into the main bronchi.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .lungs import Cavity
from .raster import Frame, bezier, polyline
from .skeleton import Spine

__all__ = ["Hila", "hila_for", "paint_heart", "paint_great_vessels", "paint_trachea"]

# Myocardial wall 8-11 mm (left ventricle, echocardiographic normal: Lang RM et al. J Am Soc
# Echocardiogr 2015;28:1-39, Table 2: septum 6-10 mm women, 6-11 mm men).
MYOCARDIUM_MM = 9.0
# Aorta, helical CT of 70 adults without cardiovascular disease (Hager A et al. J Thorac
# Cardiovasc Surg 2002;123:1060-1066, abstract, mean +- SD): ascending 3.09 +- 0.41 cm,
# isthmus 2.47 +- 0.40 cm, at the diaphragm 2.43 +- 0.35 cm. Radii: half the ascending mean and
# half the mean of isthmus and diaphragm (was 15 / 12 mm from recalled ranges).
AORTA_ASC_R_MM, AORTA_DESC_R_MM = 15.45, 12.25
# Main pulmonary artery < 29 mm (Truong QA et al. Circ Cardiovasc Imaging 2012;5:147-154,
# Framingham 90th percentile 28.9 mm men); radius 13 mm.
PULMONARY_TRUNK_R_MM = 13.0
# Superior vena cava about 20 mm across; radius 10 mm (model choice).
SVC_R_MM = 10.0


@dataclass(frozen=True)
class Hila:
    """Where each lung's trees start (anatomy mm): main bronchus end, artery and vein roots."""

    carina: tuple
    bronchus: tuple      # ((x, y, zd) right, (x, y, zd) left)
    artery: tuple
    vein: tuple


def hila_for(cav: Cavity, sp: Spine) -> Hila:
    y_carina = sp.tops[sp.level("T5")]
    zc = sp.front_zd - 14.0
    hx = cav.med_half * 1.25 + 6.0
    # the right main bronchus is shorter and steeper, the left longer (Gray's, ch. 54)
    br = ((-hx, y_carina + 22.0, zc + 2.0), (hx, y_carina + 40.0, zc + 4.0))
    # the left hilum is higher than the right in 97 % of normal films (Felson 1973)
    ar = ((-hx + 2.0, y_carina + 30.0, zc - 14.0), (hx - 2.0, y_carina + 18.0, zc - 12.0))
    ve = ((-hx + 6.0, y_carina + 70.0, zc - 6.0), (hx - 6.0, y_carina + 72.0, zc - 4.0))
    return Hila(carina=(0.0, y_carina, zc), bronchus=br, artery=ar, vein=ve)


def paint_heart(labels, f: Frame, cav: Cavity, *, MUSCLE: int, BLOOD: int, only) -> None:
    ra, rb, rc = cav.heart_r
    half = max(ra, rb, rc) + 2.0
    cx, cy, cz = cav.heart_c
    lo, hi = (cx - half, cy - half, cz - half), (cx + half, cy + half, cz + half)
    f.paint_mask(labels, lo, hi, cav.heart, MUSCLE, only=only)
    w = MYOCARDIUM_MM
    inner = Cavity(**{**cav.__dict__, "heart_r": (ra - w, rb - w, rc - w)})
    f.paint_mask(labels, lo, hi, inner.heart, BLOOD, only=(MUSCLE,))


def paint_great_vessels(labels, f: Frame, cav: Cavity, sp: Spine, hila: Hila, *,
                        BLOOD: int) -> None:
    cx, cy, cz = cav.heart_c
    ra, rb, _ = cav.heart_r
    y_top_heart = cy - math.hypot(ra * math.cos(math.radians(cav.heart_tilt_deg)),
                                  rb * math.sin(math.radians(cav.heart_tilt_deg)))
    y_knob = sp.mid_y(sp.level("T4")) - 5.0
    x_knob = cav.med_half * 1.05
    z_desc = sp.centre_zd(sp.level("T6")) - 4.0
    x_desc = sp.widths[sp.level("T6")] * 0.5 + AORTA_DESC_R_MM - 4.0
    asc = bezier((cx - 0.25 * ra, y_top_heart + 25.0, cz - 5.0),
                 (-0.6 * cav.med_half, y_knob + 30.0, cz - 10.0),
                 (-0.2 * cav.med_half, y_knob - 5.0, cz + 5.0), 10)
    arch = bezier(asc[-1], (x_knob, y_knob - 18.0, 0.5 * (cz + z_desc)),
                  (x_desc, y_knob + 15.0, z_desc), 10)
    desc = np.array([arch[-1], (x_desc, cav.y_low + 20.0, z_desc - 6.0)])
    segs = [polyline(asc, AORTA_ASC_R_MM), polyline(arch, AORTA_ASC_R_MM, AORTA_DESC_R_MM),
            polyline(desc, AORTA_DESC_R_MM)]
    # superior vena cava on the right mediastinal border, into the right atrium
    segs.append(polyline([(-cav.med_half + 4.0, sp.tops[0], cz + 10.0),
                          (-cav.med_half + 2.0, y_top_heart + 35.0, cz + 5.0)], SVC_R_MM))
    # pulmonary trunk from the right ventricle up and left, then to each hilum
    trunk_top = (0.55 * cav.med_half, hila.carina[1] + 20.0, cz - 0.2 * rb)
    segs.append(polyline([(cx - 0.1 * ra, y_top_heart + 30.0, cz - 15.0), trunk_top],
                         PULMONARY_TRUNK_R_MM))
    for k in (0, 1):
        segs.append(polyline([trunk_top, hila.artery[k]], 0.8 * PULMONARY_TRUNK_R_MM))
    # pulmonary veins into the left atrium (posterior, below the hila)
    la = (cx - 0.2 * ra, y_top_heart + 45.0, cz + 0.6 * cav.heart_r[2])
    for k in (0, 1):
        segs.append(polyline([hila.vein[k], la], 6.0))
    for s in segs:
        f.paint(labels, s, BLOOD)


def paint_trachea(labels, f: Frame, sp: Spine, hila: Hila, diameter_mm: float, *,
                  AIRWAY: int, SOFT: int) -> list:
    """Trachea and main bronchi (a 2 mm wall, air lumen); returns the main bronchi's
    (start, end, radius) for the airway trees."""
    r = 0.5 * diameter_mm
    top = (0.0, sp.tops[0] - 30.0, hila.carina[2] - 4.0)
    segs = [polyline([top, hila.carina], r)]
    mains = []
    for k in (0, 1):
        # main bronchi: right 0.78 and left 0.66 of the trachea (Weibel 1963 generation 1 =
        # 12.2 mm for an 18 mm trachea: 0.68; right wider, Gray's ch. 54)
        rb = r * (0.74 if k == 0 else 0.64)
        segs.append(polyline([hila.carina, hila.bronchus[k]], 0.9 * r, rb))
        mains.append((np.array(hila.carina), np.array(hila.bronchus[k]), rb))
    for s in segs:
        wall = s.copy()
        wall[:, 6:] += 2.0
        f.paint(labels, wall, SOFT)
    for s in segs:
        f.paint(labels, s, AIRWAY)
    return mains
