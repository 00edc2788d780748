"""The body outline: trunk (muscle wall and subcutaneous fat growing with BMI), neck and
shoulders, and, for women, breasts on the anterior chest wall.

The trunk's cross-section is a superellipse (exponent 2.4, as the cavity) with separate
anterior and posterior half-depths; the shoulders are rounded caps from the neck to the
acromia. Fat thickness: :func:`.anatomy.fat_mm_for`, thicker in front and behind
(:attr:`Outline.fat_ap`, half ANSUR II's slope of chest depth on BMI, the women's less the
breasts' growth) than at the sides
(:attr:`Outline.fat`, half the breadth's slope); between them the layer is the gap between two
superellipses, the muscle surface's of the section's exponent and the skin's squarer with BMI
(:func:`skin_exponent`, ANSUR II's shape factor's rise; :meth:`Outline.section`). Which thickness applies
where: the half-width (the sides, the shoulders over the acromia, the neck, the positioned
shoulder girdle's covers, :mod:`.girdle`) takes ``fat``; the half-depths (the front, the
presternal cover, the breasts' reach into the fat, the back and the scapulae's cover,
:mod:`.scapular_cover`) take ``fat_ap``.

Over the shoulder girdle positioned for the PA film (2026-12-05, second session,
:mod:`.girdle`): the glided glenoid heads and acromia leave Heinz's shoulders (measured with
the arms at the sides), so :func:`.girdle.girdle_half_widths` gives, level by level, the
half-width that holds them under their cover (deltoid and fat over the glenoid head, fat over
the acromion), kept in :attr:`Outline.girdle`; the trunk there is widened by stretching only
its flanks, the wall outside the rib cage, and its fat and muscle layers only (the soft core
keeps the chest's width). The neutral positioning has no ``girdle``.

Bones under the skin (2026-12-05, sixth session, issue-19tall24): the clavicles
(:attr:`Outline.clavicles`, "subcutaneous throughout its whole extent": Gray's / Cunningham's
osteology of the clavicle) and the spinous processes (:attr:`Outline.spinous`; their tips are
subcutaneous, the back's existing rule, up to C7 in the neck) are held under the subcutaneous
layer: the trunk includes every point within the bone's radius plus ``fat`` (the sides', the
neck's and the shoulders' thickness) of their centre lines (:func:`.capsule_cover.capsules_cover`), the
muscle layer reaching the bone's surface. It adds tissue only where the section does not already
cover them that deep: in lean bodies (fat 3-5 mm) the section's front over the upper cage lay
behind the clavicles' medial shafts (the 200 cm BMI 18 man's by 0.5-0.8 mm, more in the PA
twin, whose acromial ends come forward), and the back of the neck in front of the C6-T1
spinous tips in every body up to BMI ~26. ASSUMPTION: the cover is the twin's own subcutaneous
fat (no measured minimum over these bones was found).

Breasts (2026-12-03, tenth session): each sits on the chest wall with its base on the skin of
the trunk, the base spanning the 2nd to the 6th rib and the lateral sternal edge to the
mid-axillary line ("The base lies from the lateral sternal edge to the mid-axillary line, and
extends from the second to the sixth ribs": Garner J, Goodfellow P, Surgical anatomy, in Breast
Surgery (CRC Press), section 5, abstract at taylorfrancis.com, doi 10.1201/b13375-11). Its
thickness in front of the skin is a dome over that base (a half-ellipsoid below the nipple)
whose top (the nipple) lies at the 4th intercostal space (the male nipple's landmark, 4th
intercostal space at the mid-clavicular line; the female nipple varies: model choice), so the
upper pole slopes from the 2nd rib (a straight slope up the nipple's meridian since 2026-12-05,
fifth session: Mallucci and Branford 2012, :func:`breast_profile`) and the lower pole meets the
chest wall at the inframammary fold (6th rib). The rib levels are those of the costal cartilages
at the sternum (the 2nd at the sternal angle, the 7th at the xiphisternal joint:
:func:`.skeleton.sternum_levels`, the 3rd-6th spaced evenly between). Its height follows from
the volume (:func:`.anatomy.breast_ml_for`). Until then each breast was a half-ellipsoid of
radius 59-74 mm whose flat base was a plane 1/4 of its height behind the trunk's most anterior
point: off the midline, where the chest wall curves back, it stood in front of the skin with air
behind it (on a lateral film a lens detached from the chest wall).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .anatomy import LEAN_FAT_MM, Thorax
from .cage_profile import trunk_width_fraction
from .capsule_cover import capsules_cover
from .lungs import P_SECTION, Cavity
from .scapula import ACROMION_MM, GLENOID_ACROMION_MM, GLENOID_MM
from .skeleton import STERNUM_HALF_WIDTH_MM, clavicle_path, sternum_front_zd, sternum_levels

__all__ = ["Outline", "outline_for", "breast_profile", "biacromial_mm", "BIACROMIAL_MM",
           "GROOVE_X_MM", "trunk_cage_half_width"]

# Neck radius: neck circumference 38-40 cm (men) and 32-34 cm (women) in NHANES-type adult
# samples (e.g. Ben-Noun L et al. Obes Res 2001;9:470-477: means 38 and 33 cm); radius =
# circumference / (2 pi).
NECK_CIRCUMFERENCE_MM = {"male": 385.0, "female": 330.0}

# Biacromial diameter (mm; between the acromia's most lateral points, anthropometer) on
# standing height H (cm): least squares per sex on the 507 adults of Heinz G, Peterson LJ,
# Johnson RW, Kerk CJ. Exploring relationships in body dimensions. J Stat Educ 2003;11(2)
# (data file body.dat, column 1 biacromial diameter in cm, 24 height, 25 sex; a copy of the JSE
# archive's file in the public repository RyanZam1030/mcperturb, sha256 f67b1b58...f1d0, kept
# outside the repository; fitted 2026-12-03, 19shoulder11): women 153.7 + 1.282 H (n 260, mean
# 365.0 +/- 17.8 mm, residual SD 15.7), men 166.3 + 1.385 H (n 247, 412.4 +/- 20.9, residual
# SD 18.4). (intercept mm, slope mm/cm, residual SD mm)
BIACROMIAL_MM = {"female": (153.72, 1.282, 15.7), "male": (166.32, 1.385, 18.4)}
# The armless trunk ends over the shoulder at the acromia plus the subcutaneous layer (the
# acromion is subcutaneous; the deltoid belongs to the arm): ASSUMPTION, the twin's fat
# thickness (:func:`.anatomy.fat_mm_for`). Below the acromia its lateral contour reaches the
# chest's at the glenoid's centre, the acromion's thickness, the glenoid-acromion gap and
# half the glenoid's height below the acromion's top (von Schroeder 2001 via :mod:`.scapula`:
# 9 + 16 + 18 mm, x height / 175 cm), linearly (the width, the depth and the section's
# exponent): below it the armless trunk is the chest (Heinz's girth tape runs under the
# arms; the women's level, just above the breasts, lies a few mm below it in the test twins).
# Until 2026-12-03 (eleventh session) the shoulders were the chest's superellipse narrowing to
# the neck, 300 mm wide at the acromia in the 178 cm man: the scapulae lost 14 of 44 mL each
# where they left the skin, and the clavicles' acromial ends lay in air.


def biacromial_mm(sex: str, height_cm: float) -> float:
    """Heinz et al. 2003's biacromial diameter (mm) for ``sex`` and standing height (cm)."""
    c, k, _ = BIACROMIAL_MM[sex]
    return c + k * float(height_cm)


# The presternal groove: pectoralis major arises from the front of the sternum beside the
# midline and the costal cartilages (Gray's Anatomy, 41st ed., ch. 48), so over the midline of
# the sternum (and the linea alba below it) there is only skin and subcutaneous fat. The
# muscle layer is absent for |x| <= 10 mm and full from 30 mm (ASSUMPTION: the width of the
# bare strip). Until 2026-12-03 (eleventh session) 8.5 mm of muscle lay over the sternum.
GROOVE_X_MM = (10.0, 30.0)
# The shoulders' cross-section: a squarer superellipse (exponent 4, the chest's 2.4) from the
# neck to the acromia, so that the skin passes over the scapular spine's crest and the acromion,
# which are subcutaneous (palpable), instead of cutting them at the section's rounded back
# corners (ASSUMPTION: the exponent; chosen for that, the 158 cm BMI 21 woman's scapulae).
P_SHOULDER = 4.0


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
    cage_a: float = 0.0    # the cavity's base half-width the trunk was grown around
    breast_h: float = 0.0  # breast height in front of the skin at the nipple (0: no breasts)
    breast_x: tuple = (0.0, 0.0)   # |x| of the base: lateral sternal edge, mid-axillary line
    breast_y: tuple = (0.0, 0.0)   # y of the base: 2nd rib, 6th rib (inframammary fold)
    breast_peak: float = 0.0       # the nipple's place in the base, -1 (top) .. 1 (fold)
    shoulder_a: float = 0.0        # skin half-width over the acromia (0: no shoulder girdle)
    y_acromion: float = 0.0        # level of the acromia (the clavicles' acromial ends)
    y_arm: float = 0.0             # where the shoulder's lateral contour meets the chest's
    groove: float = 0.0            # depth (mm) of the presternal groove (no muscle over the
    #                                sternum in the midline)
    sternum_zd: float = 0.0        # the sternum's anterior surface (zd, mm)
    sternum_y: tuple = (0.0, 0.0, 0.0)   # jugular notch, sternal angle, xiphisternal joint
    girdle: tuple = ()             # ((y, half-width), ...): the skin over the positioned
    #                                shoulder girdle (:func:`.girdle.girdle_half_widths`; PA)
    front_cut: tuple = ()          # ((y, mm), ...): how far the front (skin and the layers
    #                                under it) lies behind ``b_ant`` over the upper cage
    #                                (PROTOTYPE 2026-12-05, issue-19inlet21; 0 below)
    sternum_front: tuple = ()      # ((y, zd), ...): the sternum's anterior surface by level
    #                                (replaces ``sternum_zd`` where given)
    fat_ap: float = 0.0            # subcutaneous fat in front and behind (mm; 0: ``fat``);
    #                                ``fat`` is the sides'
    skin_dp: float = 0.0           # the skin's superellipse exponent above the muscle
    #                                surface's (:func:`skin_exponent`; 0: the same)
    clavicles: tuple = ()          # ((x0, y0, zd0, x1, y1, zd1, r0, r1), ...): the right
    #                                clavicle's capsules, |x| (:func:`.skeleton.clavicle_segments`),
    #                                held under the subcutaneous layer (:func:`.capsule_cover.capsules_cover`)
    spinous: tuple = ()            # the same for the spinous processes (x = 0,
    #                                :meth:`.skeleton.Spine.spinous_process`)

    @property
    def fat_front_back(self) -> float:
        """The subcutaneous fat's thickness (mm) in front and behind (:attr:`fat_ap`)."""
        return self.fat_ap if self.fat_ap > 0 else self.fat

    def _grow_b(self, grow: float) -> float:
        """The growth (mm) of the half-depths matching the half-width's ``grow``: the layers'
        surfaces are superellipses whose half-axes step in by the sides' thickness across the
        half-width and the front and back's across the half-depths. Inside the fat
        (``-fat <= grow <= 0``) in proportion (``grow * fat_ap / fat``), below it shifted by
        the difference (the muscle and the core keep the lean body's shape), outside unchanged."""
        fa = self.fat_front_back
        if grow >= 0.0 or fa == self.fat:
            return grow
        if grow >= -self.fat:
            return grow * fa / self.fat
        return grow - (fa - self.fat)

    def _cut(self, y):
        """:attr:`front_cut` at levels ``y`` (mm; the first sample's above, 0 below)."""
        if not self.front_cut:
            return 0.0
        ys, cs = np.asarray(self.front_cut, np.float64).T
        return np.interp(np.asarray(y, np.float64), ys, cs, left=cs[0], right=0.0)

    def _sternum_zd(self, y):
        """The sternum's anterior surface (zd) at levels ``y`` (:attr:`sternum_front`, else
        :attr:`sternum_zd`)."""
        if not self.sternum_front:
            return self.sternum_zd
        ys, zs = np.asarray(self.sternum_front, np.float64).T
        return np.interp(np.asarray(y, np.float64), ys, zs)

    @property
    def half_breadth(self) -> float:
        """The trunk's largest half-width (mm): the chest's or the shoulders' (Heinz's, or
        wider over the positioned shoulder girdle, :attr:`girdle`)."""
        return max(self.a, self.shoulder_a, *(w for _, w in self.girdle))

    @property
    def girdle_excess(self) -> float:
        """How far (mm) the skin over the positioned shoulder girdle (:attr:`girdle`) lies
        beyond the chest's and Heinz's shoulders' half-width (0 without it)."""
        return max(self.half_breadth - max(self.a, self.shoulder_a), 0.0)

    def _groove(self, x, grow: float):
        """How far (mm) the anterior surface grown by ``grow`` lies behind the superellipse at
        ``x``: :attr:`groove` over the midline (:data:`GROOVE_X_MM`), fading laterally, and
        only on the surfaces outside the muscle layer (skin and muscle; not the core)."""
        if self.groove <= 0:
            return 0.0
        x0, x1 = GROOVE_X_MM
        g = self.groove * np.clip((x1 - np.abs(x)) / (x1 - x0), 0.0, 1.0)
        return g * min(max((grow + self.fat + self.muscle) / self.muscle, 0.0), 1.0)

    def section(self, x, zd, grow: float = 0.0, p=P_SECTION, cut=0.0):
        """Inside the trunk cross-section grown by ``grow`` mm (negative: shrunk); ``p`` the
        superellipse's exponent (:data:`P_SHOULDER` over the shoulders); ``cut`` (mm) takes
        the front in (:attr:`front_cut`). ``grow`` is the half-width's; the half-depths grow by
        :meth:`_grow_b` (the fat thicker in front and behind)."""
        a = self.a + grow
        gb = self._grow_b(grow)
        if self.skin_dp > 0 and grow > -self.fat:
            # the exponent rises across the fat from the muscle surface's to the skin's
            p = p + self.skin_dp * min((grow + self.fat) / self.fat, 1.0)
        b = np.where(np.asarray(zd) < 0,
                     np.maximum(self.b_ant + gb - self._groove(x, grow) - cut, 1.0),
                     self.b_post + gb)
        return np.abs(x / a) ** p + np.abs(zd / b) ** p <= 1.0

    def half_width(self, y, grow: float = 0.0):
        """Trunk half-width at level ``y`` (the chest narrowing to the neck, the shoulders)."""
        return self._a_y(y, grow, None)

    def _a_y(self, y, grow: float, cage_half_width):
        """The trunk's half-width (mm) at level ``y`` (see :meth:`trunk`), over the
        positioned shoulder girdle too (:attr:`girdle`)."""
        a_y = self._a_depth(y, grow, cage_half_width)[0]
        return self._girdle_a(y, grow, a_y) if self.girdle else a_y

    def _a_depth(self, y, grow: float, cage_half_width):
        """``(half-width, depth factor)`` of the trunk grown by ``grow`` at level ``y``: the
        chest's (narrowing over the shoulders to the neck, its depth with it, down to 0.6),
        widened over the shoulder girdle (:attr:`shoulder_a` at the acromia, an elliptic
        quadrant up to the neck at :attr:`y_shoulder`, linearly down to the chest's contour
        at :attr:`y_arm`), where the depth factor is 1 at the acromia (falling like the width
        above them, linearly to the chest's at :attr:`y_arm` below)."""
        y = np.asarray(y, np.float32)
        u = np.clip((self.y_axilla - y) / (self.y_axilla - self.y_shoulder), 0.0, 1.0)
        if cage_half_width is None:
            chest = self.neck_r + (self.a + grow - self.neck_r) * np.sqrt(1.0 - u ** 2)
        else:
            wall = self.a - self.cage_a
            a_base = cage_half_width(np.maximum(y, self.y_axilla)) + wall + grow
            chest = self.neck_r + (a_base - self.neck_r) * np.sqrt(1.0 - u ** 2)
        chest = np.maximum(chest, 1.0)
        depth = np.maximum(chest / (self.a + grow), 0.6)
        if self.shoulder_a <= 0:
            return chest, depth
        s_a = self.shoulder_a + grow
        up = np.clip((self.y_acromion - y) / (self.y_acromion - self.y_shoulder), 0.0, 1.0)
        down = np.clip((y - self.y_acromion) / (self.y_arm - self.y_acromion), 0.0, 1.0)
        above = y < self.y_acromion
        shoulder = np.where(above, self.neck_r + (s_a - self.neck_r) * np.sqrt(1.0 - up ** 2),
                            chest + (s_a - chest) * (1.0 - down))
        s_depth = np.where(above, np.sqrt(1.0 - up ** 2), 1.0 - (1.0 - depth) * down)
        wide = shoulder > chest
        return (np.where(wide, shoulder, chest),
                np.where(wide, np.maximum(np.maximum(s_depth, depth), 0.6), depth))

    def _girdle_a(self, y, grow: float, a_y):
        """The half-width (mm) at level ``y`` over the positioned shoulder girdle
        (:attr:`girdle`, grown by ``grow``), never less than ``a_y`` (the trunk's without it).
        The soft core (``grow`` inside the muscle layer) is not widened: the tissue over the
        girdle is muscle (deltoid, the rotator cuff, teres) under the fat (model choice)."""
        if grow <= -(self.fat + self.muscle):
            return a_y
        gy, gw = np.array(self.girdle, np.float32).T
        g = np.interp(np.asarray(y, np.float32), gy, gw, left=0.0, right=0.0)
        return np.where(g > 0.0, np.maximum(a_y, g + grow), a_y)

    def _fold_flanks(self, x, y, grow: float, a_y):
        """``x`` (mm) mapped into the section of half-width ``a_y`` (the trunk's without the
        girdle): over the positioned shoulder girdle only the flanks stretch, the wall outside
        the cage (beyond ``a_y`` less the chest's wall, ``a - cage_a``, and ``grow``) spread
        linearly out to :meth:`_girdle_a`; inside it ``x`` is unchanged, so the front and back
        over the cage (the chest wall in front of the lungs, the breasts' base, the sternum)
        are the trunk's without the girdle (model choice)."""
        if not self.girdle:
            return x
        a_g = self._girdle_a(y, grow, a_y)
        x0 = a_y - (self.a - self.cage_a) - grow
        ax = np.abs(x)
        out = x0 + (ax - x0) * (a_y - x0) / np.maximum(a_g - x0, 1e-3)
        return np.where((a_g > a_y) & (ax > x0), np.sign(x) * out, x)

    def _back_depth(self, y, depth):
        """The depth factor of the back (zd > 0): the chest's ``depth`` above the acromia
        (narrowing to the neck), the full depth from the acromia to :attr:`y_arm`, back to
        the chest's over as far again: the upper back carries the scapulae on the cage (until
        2026-12-03 it narrowed like the front, and the skin cut the scapulae's medial
        borders)."""
        if self.shoulder_a <= 0:
            return depth
        y = np.asarray(y)
        band = self.y_arm - self.y_acromion
        w = np.clip((2.0 * band - (y - self.y_acromion)) / band, 0.0, 1.0)
        return np.where(y >= self.y_acromion, depth + (1.0 - depth) * w, depth)

    def _p(self, y):
        """The section's exponent at level ``y``: :data:`P_SHOULDER` from the neck to the
        acromia, back to the chest's ``P_SECTION`` at :attr:`y_arm`."""
        if self.shoulder_a <= 0:
            return P_SECTION
        down = np.clip((np.asarray(y, np.float32) - self.y_acromion)
                       / (self.y_arm - self.y_acromion), 0.0, 1.0)
        return P_SECTION + (P_SHOULDER - P_SECTION) * (1.0 - down)

    def trunk(self, x, y, zd, grow: float = 0.0, cage_half_width=None):
        """Inside the body (grown by ``grow`` mm) at (x, y, zd); ``cage_half_width(y)``, when
        given, narrows the trunk with the rib cage below the axillae."""
        a_y, depth = self._a_depth(y, grow, cage_half_width)
        scale = a_y / (self.a + grow)
        xs = self._fold_flanks(x, y, grow, a_y) / scale
        zs = zd / np.where(np.asarray(zd) > 0, self._back_depth(y, depth), depth)
        inside = self.section(xs, zs, grow, self._p(y), self._cut(y))
        cover = self.fat_front_back + self._grow_b(grow)      # in front of the sternum
        if self.groove > 0 and grow > -(self.fat + self.muscle):
            # over the sternum: at least the subcutaneous layer in front of it (and no muscle),
            # where the trunk's depth narrowing towards the neck would put the skin behind it
            y0, y_angle, y1 = self.sternum_y
            half = np.where(np.asarray(y) < y_angle, *STERNUM_HALF_WIDTH_MM)
            inside = inside | ((np.abs(x) <= half) & (np.asarray(y) >= y0)
                               & (np.asarray(y) <= y1) & (zd >= self._sternum_zd(y) - cover)
                               & (zd <= 0.0))
        neck = (x ** 2 + (zd - 0.1 * self.b_post) ** 2) <= (self.neck_r + grow) ** 2
        if self.clavicles and grow > -(self.fat + self.muscle):
            # the clavicle is subcutaneous throughout: the skin and the subcutaneous layer
            # (the sides' and shoulders', ``fat``) cover it all round, the muscle layer
            # reaches its surface (pectoralis major, deltoid and trapezius arise from it)
            inside = inside | capsules_cover(self.clavicles, x, y, zd, self.fat + grow)
        if self.spinous and grow > -(self.fat + self.muscle):
            # the spinous processes' tips are subcutaneous (the back's rule, ``outline_for``'s
            # ``spine_back_mm``, which holds them under ``fat_ap`` over the chest), up into
            # the neck (C7, the vertebra prominens), whose layer is the sides' (``fat``)
            inside = inside | capsules_cover(self.spinous, x, y, zd, self.fat + grow)
        return inside | neck

    def front_zd(self, x, y, cage_half_width=None):
        """``zd`` (mm) of the trunk's anterior skin at (x, y) (0 beyond its lateral edge), the
        surface :meth:`trunk` draws."""
        a_y, depth = self._a_depth(y, 0.0, cage_half_width)
        xs = self._fold_flanks(x, y, 0.0, a_y) / (a_y / self.a)
        u = np.clip(np.abs(xs) / self.a, 0.0, 1.0)
        b = np.maximum(self.b_ant - self._groove(xs, 0.0) - self._cut(y), 1.0)
        p = self._p(y) + self.skin_dp
        front = -depth * b * (1.0 - u ** p) ** (1.0 / p)
        if self.groove <= 0:
            return front
        y0, y_angle, y1 = self.sternum_y
        y = np.asarray(y)
        over = (np.abs(x) <= np.where(y < y_angle, *STERNUM_HALF_WIDTH_MM)) & (y >= y0) & (y <= y1)
        return np.where(over, np.minimum(front, self._sternum_zd(y) - self.fat_front_back), front)

    def breast_thickness(self, x, y, scale: float = 1.0, height: float | None = None):
        """Thickness (mm) of breast in front of the skin at (x, y), either side (0 outside the
        base); ``scale`` < 1 shrinks the base about the nipple (the glandular core),
        ``height`` replaces :attr:`breast_h`."""
        h = self.breast_h if height is None else height
        shape = np.broadcast_shapes(np.shape(x), np.shape(y))
        if h <= 0:
            return np.zeros(shape, np.float32)
        return (h * breast_profile(x, y, self.breast_x, self.breast_y, self.breast_peak,
                                   scale)).astype(np.float32)

    def breasts(self, x, y, zd, core: bool = False, cage_half_width=None):
        """Inside either breast (``core``: its glandular inner part): from the skin
        (:meth:`front_zd`, the same ``cage_half_width`` as :meth:`trunk`) out to the breast's
        thickness, and in through the subcutaneous fat to the muscle (breast tissue lies in
        the superficial fascia, on the pectoral fascia: Garner and Goodfellow, above)."""
        shape = np.broadcast_shapes(np.shape(x), np.shape(y), np.shape(zd))
        if self.breast_h <= 0:
            return np.zeros(shape, bool)
        t = self.breast_thickness(x, y, 0.55 if core else 1.0)
        if core:
            t = 0.8 * t
        on_trunk = np.abs(x) < self._a_y(y, 0.0, cage_half_width)
        front = self.front_zd(x, y, cage_half_width)
        return (t > 0.0) & on_trunk & (zd >= front - t) & (zd <= front + self.fat_front_back)

    @property
    def breast_front_zd(self) -> float:
        """A bound (mm, anterior, <=) on the breasts' most anterior ``zd``."""
        return -self.b_ant - self.breast_h


def breast_profile(x, y, base_x, base_y, peak: float, scale: float = 1.0):
    """The breast's thickness over its base, 0..1 (1 at the nipple), either side.

    The base is an ellipse spanning ``base_x`` (|x|, mm) and ``base_y`` (y, mm), shrunk by
    ``scale`` about the nipple, which lies at ``peak`` (-1 top .. 1 fold) of its height; with
    ``r`` the elliptic radius (stretched in y separately above and below the nipple), the
    thickness below the nipple's level is ``(1 - r^2)^(1/2)`` (a half-ellipsoid, meeting the
    chest wall steeply at the inframammary fold: model choice); above it (the upper pole) it is
    ``(1 - r)^(1/2 + w/2) (1 + r)^(1/2 - w/2)`` with ``w = v^2 / r^2``: up the nipple's meridian
    (``u`` = 0) the upper pole is a straight slope, ``1 - |v|``, from the base's top to the
    nipple (Mallucci P, Branford OA. Concepts in aesthetic breast dimensions: analysis of the
    ideal breast. J Plast Reconstr Aesthet Surg 2012;65:8-16, abstract: among 4 features
    "consistently found" in 100 natural breasts, "the upper pole slope is linear or slightly
    concave"; upright, three-quarter profile; a sample of models chosen for their breasts, not
    a population; linear taken, the fuller of the two), and across the nipple's level it is
    the half-ellipsoid's ``sqrt(1 - u^2)`` (continuous with the lower pole). Until 2026-12-05
    (fifth session, 19breast23) the upper pole was ``(1 - r^2)^p`` with ``p`` rising from 1/2 at
    the nipple to 1.2 at the top (a model choice): convex, 1.6x the straight slope's thickness
    half a rib space below the top, where the 2nd intercostal space's chest wall is read
    (:func:`.measure_body.chest_wall_thickness_mm`).
    """
    (x0, x1), (y0, y1) = base_x, base_y
    u = (np.abs(x) - 0.5 * (x0 + x1)) / (0.5 * (x1 - x0))
    v = (np.asarray(y, np.float32) - 0.5 * (y0 + y1)) / (0.5 * (y1 - y0)) - peak
    v = np.where(v < 0.0, v / (1.0 + peak), v / (1.0 - peak))
    r2 = (u * u + v * v) / (scale * scale)
    lower = np.sqrt(np.clip(1.0 - r2, 0.0, None))
    # upper pole: (1 - r)^(1/2 + w/2) (1 + r)^(1/2 - w/2), w = v^2 / r^2 the share of the
    # vertical in the direction from the nipple: linear (1 - |v|) up the nipple's meridian,
    # the half-ellipsoid's sqrt(1 - u^2) across the nipple's level (continuous with the lower)
    r = np.sqrt(r2)
    w = np.where(r2 > 0.0, v * v / (u * u + v * v + 1e-12), 0.0)
    upper = (np.clip(1.0 - r, 0.0, None) ** (0.5 + 0.5 * w)) * (1.0 + r) ** (0.5 - 0.5 * w)
    return np.where(v < 0.0, upper, lower)


def trunk_cage_half_width(cav: Cavity):
    """``cage_w(y)``: the half-width (mm) at level ``y`` of the cage the skin is grown around
    (the ``cage_half_width`` of :meth:`Outline.trunk`, which the builder draws): ``a0`` times
    :func:`.cage_profile.trunk_width_fraction`, the base width from 0.65 of the cavity's height
    down. Not the inner cone (:meth:`.lungs.Cavity.half_width`)."""
    def cage_w(y):
        u = np.clip((np.asarray(y, np.float32) - cav.y_apex) / cav.height, 0.0, 0.65)
        return cav.a0 * trunk_width_fraction(u)
    return cage_w


def _profile_area_mm2(base_x, base_y, peak: float, step_mm: float = 0.5) -> float:
    """Integral (mm^2) of :func:`breast_profile` over one breast's base (midpoint rule):
    the breast's volume per mm of height."""
    xs = np.arange(base_x[0] + 0.5 * step_mm, base_x[1], step_mm)[None, :]
    ys = np.arange(base_y[0] + 0.5 * step_mm, base_y[1], step_mm)[:, None]
    return float(breast_profile(xs, ys, base_x, base_y, peak).sum()) * step_mm ** 2


def _front_cut(cav: Cavity, step_mm: float = 2.0) -> tuple:
    """((y, mm), ...): how far the cavity's midline front lies behind ``-b0`` where the upper
    cage's shallow front holds it (:meth:`.lungs.Cavity.front_ap_mm`), from 60 mm above the
    apex to the costophrenic level (PROTOTYPE 2026-12-05, issue-19inlet21: the skin, fat and
    muscle over the upper cage follow the cage's front in; the sternum in the midline is
    subcutaneous, the pectoral wall keeps its thickness)."""
    ys = np.arange(cav.y_apex - 60.0, cav.y_low + step_mm, step_mm, dtype=np.float32)
    cut = np.maximum(cav.spine_front - cav.front_ap_mm(ys) + cav.b0, 0.0)
    return tuple((float(y), float(c)) for y, c in zip(ys, cut))


def _sternum_front(cav: Cavity, sp, sex: str, step_mm: float = 2.0) -> tuple:
    """((y, zd), ...) of the sternum's anterior surface (:func:`.sternum.sternum_front_line`)
    from the jugular notch to the xiphoid's tip."""
    from .sternum import sternum_course, sternum_front_line
    c = sternum_course(cav, sp, sex)
    ys = np.arange(c["notch"][0], c["tip"][0] + step_mm, step_mm)
    zs = sternum_front_line(cav, sp, sex, np.clip(ys, c["notch"][0], c["tip"][0]))
    return tuple((float(y), float(z)) for y, z in zip(ys, zs))


# The skin's section gets squarer with BMI (2026-12-05, fifth session, 19fat23b): ANSUR II's
# shape factor C/(B+D) (tape circumference over anthropometer breadth plus depth at the chest)
# rises 0.00351 +- 0.00028 (women) and 0.00567 +- 0.00017 (men) per kg/m^2 at a fixed stature
# (benchmarks/ansur2_chest_slopes.py; bins BMI 16-20 -> 35-45: women 1.816 -> 1.870, men 1.894
# -> 1.999). The skin's exponent is the one whose superellipse, of the twin's own half-depth
# over half-width, has the muscle surface's shape factor (:data:`P_SECTION`) plus that rise
# over the BMI above LEAN_BMI; across the fat the exponent goes linearly from the muscle
# surface's to the skin's (:meth:`Outline.section`). ASSUMPTIONS: only the rise is taken (the
# survey's level, 1.82 / 1.89 at BMI 16-20, is above any rounded section's: the men's 2.00 at
# BMI 35-45 is the bounding rectangle's, so its breadth and depth are not the taped section's
# extents: caliper pressure on the soft tissue, or other levels; part of the rise may be that,
# not shape); the twin's section is a superellipse. Result (the test twins at the nipple line,
# BMI 20 -> 35): women 1.691 -> 1.665 before, 1.688 -> 1.689 after; men 1.666 -> 1.644 before,
# 1.665 -> 1.702 after (less than the superellipse's rise: the trunk's narrowing, the breasts).
SHAPE_FACTOR_PER_BMI = {"female": 0.00351, "male": 0.00567}


def _shape_factor(p: float, r: float, n: int = 4001) -> float:
    """Perimeter over twice the breadth plus depth of the superellipse ``|x|^p + |z/r|^p <= 1``."""
    t = np.linspace(0.0, 0.5 * math.pi, n)
    x = np.cos(t) ** (2.0 / p)
    z = r * np.sin(t) ** (2.0 / p)
    return float(4.0 * np.hypot(np.diff(x), np.diff(z)).sum() / (2.0 * (1.0 + r)))


def skin_exponent(sex: str, bmi: float, r: float, p0: float = P_SECTION) -> float:
    """The skin's superellipse exponent (>= ``p0``) for a body of ``sex`` and ``bmi`` whose
    section has half-depth over half-width ``r`` (:data:`SHAPE_FACTOR_PER_BMI`)."""
    from .anatomy import LEAN_BMI
    target = _shape_factor(p0, r) + SHAPE_FACTOR_PER_BMI[sex] * max(bmi - LEAN_BMI, 0.0)
    lo, hi = p0, 12.0
    if target >= _shape_factor(hi, r):
        return hi
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if _shape_factor(mid, r) < target else (lo, mid)
    return 0.5 * (lo + hi)


def outline_for(th: Thorax, cav: Cavity, *, rib_depth_mm: float, spine_back_mm: float) -> Outline:
    """The outline around the cavity ``cav``: ribs (``rib_depth_mm`` of wall outside the
    cavity), muscle, then the fat of the twin's BMI (:func:`.anatomy.fat_mm_for`: the sides'
    ``th.fat_mm`` across the half-width and the shoulders, the front and back's
    ``th.fat_ap_mm`` across the half-depths and over the sternum);
    ``spine_back_mm``: the spinous processes' tips (zd), which the back must cover."""
    fat_ap = th.fat_ap_mm if th.fat_ap_mm > 0 else th.fat_mm
    wall = rib_depth_mm + th.muscle_mm
    a = cav.a0 + wall + th.fat_mm
    b_ant = cav.b0 + wall + fat_ap
    # the back: the cage's wall or, further back, the spinous processes' tips under only the
    # subcutaneous layer (the thoracic spinous tips are subcutaneous and palpable in the
    # midline, the back muscles lie beside them; skin to L1's spinous process 22.8 mm on MRI
    # of 105 back-pain patients, Kawchuk GN et al., Manual Therapy, as reported by MedWire
    # News "Spinal landmark depth increases with BMI" (year and cohort BMI not read); our fat
    # at BMI 27 is 18-24 mm). Until 2026-12-03 (tenth session, 19cage10) the tips had 8 mm plus the
    # muscle layer (12 mm) behind them too: the chest 20 mm deeper.
    b_post = max(cav.b0 + rib_depth_mm + th.muscle_mm, spine_back_mm) + fat_ap
    extra = th.fat_mm - LEAN_FAT_MM
    neck_r = NECK_CIRCUMFERENCE_MM[th.body.sex] / (2.0 * math.pi) + 0.5 * extra
    sp = cav.spine()
    # the front: over the sternum's midline only the subcutaneous layer (:data:`GROOVE_X_MM`)
    groove = max(b_ant - (fat_ap - sternum_front_zd(cav, sp, th.body.sex)), 0.0)
    # the shoulders: Heinz's biacromial breadth plus the subcutaneous layer at the level of the
    # clavicles' acromial ends, down to the glenoid's centre (:data:`BIACROMIAL_MM`)
    k = th.body.height_cm / 175.0
    y_acr = float(clavicle_path(sp, th.body.sex, height_cm=th.body.height_cm, front_zd=-cav.b0,
                                back_zd=0.0)[-1, 1])
    y_arm = y_acr + (ACROMION_MM[2] + GLENOID_ACROMION_MM + 0.5 * GLENOID_MM[0]) * k
    ol = Outline(a=a, b_ant=b_ant, b_post=b_post, fat=th.fat_mm, muscle=th.muscle_mm,
                 y_shoulder=cav.y_apex - 45.0, y_axilla=cav.y_apex + 0.12 * cav.height,
                 neck_r=neck_r, cage_a=cav.a0,
                 shoulder_a=0.5 * biacromial_mm(th.body.sex, th.body.height_cm) + th.fat_mm,
                 y_acromion=y_acr, y_arm=y_arm, groove=groove,
                 sternum_zd=sternum_front_zd(cav, sp, th.body.sex),
                 sternum_y=tuple(sternum_levels(sp)),
                 front_cut=_front_cut(cav), sternum_front=_sternum_front(cav, sp, th.body.sex),
                 fat_ap=fat_ap,
                 skin_dp=skin_exponent(th.body.sex, th.body.bmi,
                                       0.5 * (b_ant + b_post) / a) - P_SECTION)
    if th.breast_ml <= 0:
        return ol
    # the base: its top at the 2nd costal cartilage, at the sternal angle; its bottom, the
    # inframammary fold, at the 6th rib, which at the mid-clavicular line (its cartilage
    # descending laterally from the sternum) lies about level with the xiphisternal joint
    # (model choice; :func:`.skeleton.sternum_levels`)
    _, y_angle, y_xiph = sternum_levels(sp)
    y_top, y_fold = y_angle, y_xiph
    # lateral sternal edge: the sternal body's half-width drawn, 15 mm (skeleton.paint_sternum);
    # mid-axillary line: the trunk's half-width at the base's middle level, the skin the builder
    # draws (:func:`trunk_cage_half_width`). Until 2026-12-03 (sixth session) it was the inner
    # cone's half-width plus the wall, 3.8-3.9 mm past the trunk's side in the two 2 mm women of
    # benchmarks/chest_twins.py: the breast, cut at the side, ended there 10-12 mm thick.
    y_mid = 0.5 * (y_top + y_fold)
    x_lat = float(ol._a_y(y_mid, 0.0, trunk_cage_half_width(cav)))
    x_med = 15.0
    # nipple at the 4th intercostal space, 2.5 of the 4 rib spaces (2nd-6th) down the base
    peak = 2.0 * (4.5 - 2.0) / 4.0 - 1.0
    h = th.breast_ml * 1000.0 / _profile_area_mm2((x_med, x_lat), (y_top, y_fold), peak)
    return Outline(**{**ol.__dict__, "breast_h": h, "breast_x": (x_med, x_lat),
                      "breast_y": (y_top, y_fold), "breast_peak": peak})
