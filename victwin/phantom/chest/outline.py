"""The body outline: trunk (muscle wall and subcutaneous fat growing with BMI), neck and
shoulders, and, for women, breast tissue over the anterior chest wall.

The trunk's cross-section is a superellipse (exponent 2.4, as the cavity) with separate
anterior and posterior half-depths; the shoulders are rounded caps from the neck to the
acromia. Fat thickness: :func:`.anatomy.lean_to_fat_mm` grows the lean trunk's area by the
twin's BMI ratio (see :mod:`.anatomy`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .anatomy import Thorax, lean_to_fat_mm
from .lungs import P_SECTION, Cavity

__all__ = ["Outline", "outline_for"]

# Neck radius: neck circumference 38-40 cm (men) and 32-34 cm (women) in NHANES-type adult
# samples (e.g. Ben-Noun L et al. Obes Res 2001;9:470-477: means 38 and 33 cm); radius =
# circumference / (2 pi).
NECK_CIRCUMFERENCE_MM = {"male": 385.0, "female": 330.0}


@dataclass(frozen=True)
class Outline:
    """Half-axes (mm) of the trunk at the skin (``a``, ``b_ant``, ``b_post``), the muscle wall
    (the lean trunk less the fat) and the shoulder line."""

    a: float
    b_ant: float
    b_post: float
    fat: float
    muscle: float
    y_shoulder: float      # top of the shoulders
    y_axilla: float        # where the trunk reaches its full width
    neck_r: float
    breast_r: float        # breast half-ellipsoid base radius (0: none)
    breast_h: float        # its height (AP)
    breast_c: tuple        # (x, y) of the right breast centre; left is mirrored
    cage_a: float = 0.0    # the cavity's base half-width the trunk was grown around

    def section(self, x, zd, grow: float = 0.0):
        """Inside the trunk cross-section grown by ``grow`` mm (negative: shrunk)."""
        a = self.a + grow
        b = np.where(np.asarray(zd) < 0, self.b_ant + grow, self.b_post + grow)
        return np.abs(x / a) ** P_SECTION + np.abs(zd / b) ** P_SECTION <= 1.0

    def half_width(self, y, grow: float = 0.0):
        """Trunk half-width at level ``y`` (narrowing over the shoulders to the neck)."""
        y = np.asarray(y, np.float32)
        u = np.clip((self.y_axilla - y) / (self.y_axilla - self.y_shoulder), 0.0, 1.0)
        return self.neck_r + (self.a + grow - self.neck_r) * np.sqrt(1.0 - u ** 2)

    def trunk(self, x, y, zd, grow: float = 0.0, cage_half_width=None):
        """Inside the body (grown by ``grow`` mm) at (x, y, zd); ``cage_half_width(y)``, when
        given, narrows the trunk with the rib cage below the axillae."""
        if cage_half_width is None:
            a_y = np.maximum(self.half_width(y, grow), 1.0)
        else:
            wall = self.a - self.cage_a
            a_base = cage_half_width(np.maximum(np.asarray(y, np.float32), self.y_axilla)) \
                + wall + grow
            u = np.clip((self.y_axilla - np.asarray(y, np.float32))
                        / (self.y_axilla - self.y_shoulder), 0.0, 1.0)
            a_y = np.maximum(self.neck_r + (a_base - self.neck_r) * np.sqrt(1.0 - u ** 2), 1.0)
        scale = a_y / (self.a + grow)
        xs = x / scale
        inside = self.section(xs, zd / np.maximum(scale, 0.6), grow)
        neck = (x ** 2 + (zd - 0.1 * self.b_post) ** 2) <= (self.neck_r + grow) ** 2
        return inside | neck

    def breasts(self, x, y, zd, core: bool = False):
        """Inside either breast (``core``: its glandular inner half)."""
        if self.breast_r <= 0:
            return np.zeros(np.broadcast_shapes(np.shape(x), np.shape(y), np.shape(zd)), bool)
        r = self.breast_r * (0.55 if core else 1.0)
        h = self.breast_h * (0.55 if core else 1.0)
        z0 = -self.b_ant + 0.25 * self.breast_h     # base a little inside the chest wall
        out = None
        for side in (-1.0, 1.0):
            cx, cy = side * self.breast_c[0], self.breast_c[1]
            m = (((x - cx) / r) ** 2 + ((y - cy) / r) ** 2 + ((zd - z0) / h) ** 2 <= 1.0) \
                & (zd <= z0)
            out = m if out is None else (out | m)
        return out


def outline_for(th: Thorax, cav: Cavity, *, rib_depth_mm: float, spine_back_mm: float) -> Outline:
    """The outline around the cavity ``cav``: ribs (``rib_depth_mm`` of wall outside the
    cavity), muscle, lean fat, then the BMI-grown fat; ``spine_back_mm``: the spinous
    processes' tips (zd), which the back must cover."""
    a_lean = cav.a0 + rib_depth_mm + th.muscle_mm + th.fat_mm
    b_ant_lean = cav.b0 + rib_depth_mm + th.muscle_mm + th.fat_mm
    b_post_lean = max(cav.b0 + rib_depth_mm, spine_back_mm + 8.0) + th.muscle_mm + th.fat_mm
    extra = lean_to_fat_mm(a_lean, 0.5 * (b_ant_lean + b_post_lean), th.area_ratio, P_SECTION)
    fat = th.fat_mm + extra
    neck_r = NECK_CIRCUMFERENCE_MM[th.body.sex] / (2.0 * math.pi) + 0.5 * extra
    breast_r = breast_h = 0.0
    if th.breast_ml > 0:
        # half-ellipsoid of volume V = (2/3) pi r^2 h with h = 0.6 r (pressed on the detector)
        breast_r = (th.breast_ml * 1000.0 / (0.4 * math.pi)) ** (1.0 / 3.0)
        breast_h = 0.6 * breast_r
    # nipple line near the 4th-5th anterior rib, mid-clavicular (half the chest half-width)
    breast_c = (0.5 * (cav.a0 + rib_depth_mm), cav.y_apex + 0.52 * cav.height)
    return Outline(a=a_lean + extra, b_ant=b_ant_lean + extra, b_post=b_post_lean + extra,
                   fat=fat, muscle=th.muscle_mm, y_shoulder=cav.y_apex - 45.0,
                   y_axilla=cav.y_apex + 0.12 * cav.height, neck_r=neck_r,
                   breast_r=breast_r, breast_h=breast_h, breast_c=breast_c, cage_a=cav.a0)
