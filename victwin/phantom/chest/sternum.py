"""The sternum: manubrium, body and xiphoid along the front of the thoracic cavity.

The sagittal course (:func:`sternum_course`): the xiphisternal joint (mid-T9) lies
``_BEHIND_MM`` in front of the cavity's front wall; the body runs up from it to the sternal
angle (the top of T5, Gray's T4/T5 disc), the manubrium on from there to the jugular notch
(the top of T3, Gray's T2/T3 disc), bent back from the body's line by the published
manubriosternal angle (:data:`MANUBRIOSTERNAL_DEG`); the xiphoid continues the body's line
for :data:`XIPHOID_MM`. The cavity's front bulges forwards between the notch and the angle
(its upper cone), so the angle is brought forwards (the body pivoting about the joint) until
neither piece enters the cavity: the lungs, solved for their volume before the skeleton is
painted, lose no voxel to the sternum. Until 2026-12-03 (twelfth session) the sternum was a
vertical plate of fixed depth at the cavity's deepest front (``-b0``) from the notch to the
xiphisternal joint, a rectangle edge-on on the lateral film, with marrow (no trabecular bone)
inside.

Each part is a plate whose section is a superellipse ``|x / w|^4 + |n / t|^2 <= 1`` (``n``
across the plate): full thickness in the midline, thinning towards the lateral borders where
the costal cartilages articulate (shape an ASSUMPTION; no section profile was read). A cortex
of ``cortex_mm`` around cancellous bone (:func:`.cancellous.fill_cancellous`, the ribs' BV/TV).

References
----------
Evaluation of the morphological characteristic and sex differences of sternum by
multi-detector computed tomography (200 adults, 103 women and 97 men, 18-87 y; PMID 29345718,
abstract read at readbyqxmd.com): manubrium length women 46.7 +- 5.1, men 51.2 +- 6.0 mm;
body 86.6 +- 9.7 / 102.4 +- 13.3 mm; sternal angle 163.75 +- 5.79 / 162.21 +- 6.17 deg.
Cross-check (thin-section CT of 60 adults 20-40 y, bibliomed.org mno=16478, abstract):
manubrium 47.6 / 53.6 mm, body 87.5 / 101.1 mm, sternal angle 160.51 / 161.4 deg (women / men).
Eid EM, Abd-Elsalam GE, Kamal KM, El Bana E, Hamdy H. Int J Anat Res 2019;7(2.2):6541-6549
(CT of 240 subjects, abstract): xiphoid 25 mm in men, 19 mm in women.
StatPearls, "Anatomy, Thorax, Sternum" (NCBI Bookshelf NBK541141, 2023): the xiphoid is
mostly cartilaginous until about 40 years and completely calcified by about 60.
Weaver AA, Schoell SL, Nguyen CM, Lynch SK, Stitzel JD. Morphometric analysis of variation in
the sternum with sex and age. J Morphol 2014 (330 CT scans, abstract): the adult manubrium
1.6-1.8 times as wide as the sternal body; the distal body wider than the proximal.
Gray's Anatomy, 41st ed. (2016), ch. 53 (jugular notch at T2/T3, sternal angle at T4/T5,
xiphisternal joint at T9).
Gray H. Anatomy of the Human Body, 20th ed. 1918, "4a. The Sternum" (bartleby.com/107,
pp. 120-121): the manubrium's lateral borders "are each marked above by a depression for the
first costal cartilage, and below by a small facet, which, with a similar facet on the upper
angle of the body, forms a notch for the reception of the costal cartilage of the second
rib"; on the body's lateral border "below this are four angular depressions which receive the
cartilages of the third, fourth, fifth, and sixth ribs, while the inferior angle has a small
facet, which, with a corresponding one on the xiphoid process, forms a notch for the cartilage
of the seventh rib. These articular depressions are separated by a series of curved
interarticular intervals, which diminish in length from above downward"
(:func:`costal_notch_levels`).
Baker JF, et al. Global Spine J 2023;13:705 (thoracic inlet distance on CT 66.1 +- 6.6 mm;
cited by the issue, not read here: see NOTES for why the twins' inlet stays deeper).
"""

from __future__ import annotations

import math

import numpy as np

from .cancellous import fill_cancellous
from .raster import Frame
from .rib_section import cartilage_scale, rib_section_mm

__all__ = ["MANUBRIOSTERNAL_DEG", "XIPHOID_MM", "STERNUM_MM", "STERNUM_HALF_WIDTH_MM",
           "FIRST_NOTCH_BELOW_MM", "sternum_levels", "costal_notch_levels",
           "sternocostal_upper_border_y", "sternum_front_zd", "sternum_front_line",
           "sternum_back_zd",
           "sternum_course",
           "clavicular_notch_zd", "paint_sternum"]

#: Manubriosternal angle (deg; between the manubrium's and the body's long axes, 180 =
#: straight, the angle projecting forwards): the MDCT series' means (PMID 29345718).
MANUBRIOSTERNAL_DEG = {"male": 162.21, "female": 163.75}
#: Xiphoid length (mm): Eid et al. 2019's means.
XIPHOID_MM = {"male": 25.0, "female": 19.0}
#: Age (years) at which the xiphoid begins to ossify and by which it is bone (StatPearls);
#: ASSUMPTION: the ossified part grows linearly from its top between the two.
XIPHOID_OSSIFY_YEARS = (40.0, 60.0)
STERNUM_MM = 11.0               # manubrium and body thickness drawn (front to back)
XIPHOID_THICK_MM = 6.0          # ASSUMPTION (no figure read): a thin plate
#: Drawn half-widths (mm): the manubrium's widest (over its upper 40 %, the clavicular and
#: first costal notches) and the body's at the sternal angle (27 / 15: ratio 1.8, Weaver's
#: adult 1.6-1.8); the body widens to ``_BODY_WIDEST_MM`` at 3/4 of its length (Weaver: the
#: distal body wider) and narrows to ``_XIPHI_JOINT_MM`` at the joint; the xiphoid tapers to
#: 2 mm. The figures other than 27 and 15 are ASSUMPTIONS.
STERNUM_HALF_WIDTH_MM = (27.0, 15.0)
_BODY_WIDEST_MM = 18.0
_XIPHI_JOINT_MM = 11.0
_BEHIND_MM = 1.5                # the back surface in front of the cavity's front wall
#: Jugular notch: the manubrium's upper border rises from the notch (at ``y`` of T3's top, in
#: the midline) by this much (mm) to the clavicular notches at its widest half-width, a
#: parabola (ASSUMPTION: no depth was read; a flat top drew a bright bar on the lateral).
NOTCH_MM = 6.0
_INTERIOR = 253                 # transient label of the cancellous interior
#: The first costal cartilage's depression on the manubrium: this far (mm) below the jugular
#: notch (MODEL CHOICE, unchanged from ribs.py before 2026-12-04: Gray 1918 puts it "above"
#: on the lateral border, below the clavicular facet; no distance was read).
FIRST_NOTCH_BELOW_MM = 10.0


def sternum_levels(sp) -> tuple[float, float, float]:
    """(jugular notch, sternal angle, xiphisternal joint) levels: T2/T3, T4/T5, T9 (Gray's)."""
    t = lambda n: sp.level(f"T{n}")                               # noqa: E731
    return (sp.tops[t(3)], sp.tops[t(5)], sp.mid_y(t(9)))


def costal_notch_levels(sp) -> tuple[float, ...]:
    """Levels (``y``, mm) of the centres of the seven costal notches on each lateral border
    of the sternum, where the true ribs' cartilages articulate (Gray 1918, "The Sternum"):
    the 1st on the manubrium :data:`FIRST_NOTCH_BELOW_MM` below the jugular notch; the 2nd
    at the sternal angle (the notch formed by the manubrium's and the body's facets); the 7th
    at the xiphisternal joint (the body's and the xiphoid's facets); the 3rd-6th on the body
    between them, the five intervals from the 2nd to the 7th equal (ASSUMPTION: Gray's
    intervals "diminish in length from above downward", by how much was not read; equal
    intervals put the 3rd-5th a little higher than that). Levels of :func:`sternum_levels`.
    Until 2026-12-04 (issue-19cart16) ribs.py spaced all seven evenly from the notch + 10 mm
    to the xiphisternal joint: the 2nd's centre ~10 mm above the angle (NOTES)."""
    y_notch, y_angle, y_xiph = sternum_levels(sp)
    body = [y_angle + (y_xiph - y_angle) * j / 5.0 for j in range(6)]
    return (y_notch + FIRST_NOTCH_BELOW_MM, *body)


def sternocostal_upper_border_y(sp, rib: int) -> float:
    """Level (``y``, mm) of the upper border of costal cartilage ``rib`` (1..7) where it
    articulates with the sternum: its notch's level (:func:`costal_notch_levels`) less half
    the cartilage's drawn section height at its sternal end (:func:`.rib_section.rib_section_mm`
    at the rib's end times :func:`.rib_section.cartilage_scale` at the sternum, as
    :func:`.ribs.paint_ribs` draws it; cartilages 2-7 end at their notch's level; the 1st
    ends lower where its rib's end lies low, "descending a little", and this level is then
    not its drawn one: :func:`.ribs.rib_paths`). Gray 1918: the arch of the aorta "begins
    at the level of the upper border of the second sternocostal articulation"
    (:mod:`.aortic_root`)."""
    if not 1 <= rib <= 7:
        raise ValueError(f"rib must be a true rib (1..7) to articulate with the sternum, "
                         f"got {rib!r}")
    h, _ = rib_section_mm(rib, 1.0)
    return float(costal_notch_levels(sp)[rib - 1] - 0.5 * float(h)
                 * float(cartilage_scale(rib, 1.0)))


def _cavity_front(cav, y):
    return cav.centre_zd(y) - cav.half_depth(y)


def _rotate_back(up: np.ndarray, deg: float) -> np.ndarray:
    """``up`` (a unit (y, zd) direction pointing up, -y) turned by ``deg`` towards +zd."""
    r = math.radians(deg)
    c, s = math.cos(r), math.sin(r)
    a = np.array([c * up[0] + s * up[1], -s * up[0] + c * up[1]])
    b = np.array([c * up[0] - s * up[1], s * up[0] + c * up[1]])
    return a if a[1] > b[1] else b


def angle_kink_z(y_top: float, z_top: float, y_k: float, y_bottom: float, z_bottom: float,
                 angle_deg: float, steps: int = 60) -> float:
    """The depth ``z`` (mm, the zd axis) at level ``y_k`` where two straight pieces, one up to
    ``(y_top, z_top)`` and one down to ``(y_bottom, z_bottom)``, meet at ``angle_deg``: found
    by bisection (``steps`` halvings) over the 150 mm in front of (zd below) the chord between
    the ends. For the sternum's manubriosternal bend (:func:`sternum_course`) and the cavity's
    front at the angle (:func:`.cage_profile.angle_ap_mm`)."""
    z_chord = z_top + (z_bottom - z_top) * (y_k - y_top) / (y_bottom - y_top)

    def bend(z):
        ub = np.array([y_bottom - y_k, z_bottom - z])
        um = np.array([y_top - y_k, z_top - z])
        c = float(ub @ um / (np.linalg.norm(ub) * np.linalg.norm(um)))
        return math.degrees(math.acos(min(max(c, -1.0), 1.0)))

    lo, hi = z_chord - 150.0, z_chord
    for _ in range(steps):
        mid = 0.5 * (lo + hi)
        if bend(mid) > angle_deg:
            hi = mid
        else:
            lo = mid
    return 0.5 * (lo + hi)


def sternum_course(cav, sp, sex: str) -> dict:
    """The sternum's sagittal course (anatomy mm): ``notch``, ``angle``, ``joint`` (the
    xiphisternal joint) and ``tip`` (the xiphoid's) as ``(y, zd)`` points of the plate's back
    surface, the unit directions ``u_body`` (down the body) and ``u_man`` (up the
    manubrium) in the (y, zd) plane, and ``front_zd``, the most anterior point of its front.

    The joint and (PROTOTYPE, 2026-12-05, issue-19inlet21) the notch lie ``_BEHIND_MM`` in
    front of the cavity's front wall (whose upper part is held shallow,
    :meth:`.lungs.Cavity.front_ap_mm`); the angle, at its level, is moved forwards off the
    chord between them until the body and the manubrium meet at
    :data:`MANUBRIOSTERNAL_DEG`: the sternal angle stands proud of the chest wall. Should
    either piece still enter the cavity, the angle moves further forwards, the manubrium
    keeping its bend (the rule before 2026-12-05, when only the joint was pinned and the
    angle started on the cavity's front). ``angle`` is the back surface's bend: a little below
    the angle's level (:func:`sternum_levels`), so that the pieces' long axes meet at that
    level (since 2026-12-05, issue-19inlet22; see the comment in the body)."""
    y0, ya, yx = sternum_levels(sp)
    zx = float(_cavity_front(cav, yx)) - _BEHIND_MM
    # PROTOTYPE (2026-12-05, issue-19inlet21): the notch, too, on the cavity's front (the
    # upper cage's shallow front, :meth:`.lungs.Cavity.front_ap_mm`), the angle moved forwards
    # off the chord between them until the two pieces meet at the MDCT angle
    zn = float(_cavity_front(cav, y0)) - _BEHIND_MM

    def _solve(yk):
        """(za, u_body, u_man) with the back surface's kink at level ``yk``."""
        ys_m = np.linspace(y0, yk, 24)
        ys_b = np.linspace(yk, yx, 24)
        za = angle_kink_z(y0, zn, yk, yx, zx, MANUBRIOSTERNAL_DEG[sex], steps=60)
        for _ in range(8):
            u_body = np.array([yx - yk, zx - za])
            u_body /= np.linalg.norm(u_body)
            u_man = _rotate_back(-u_body, 180.0 - MANUBRIOSTERNAL_DEG[sex])
            line_m = za + (ys_m - yk) * u_man[1] / u_man[0]
            line_b = za + (ys_b - yk) * u_body[1] / u_body[0]
            over = max(float(np.max(line_m - (_cavity_front(cav, ys_m) - _BEHIND_MM))),
                       float(np.max(line_b - (_cavity_front(cav, ys_b) - _BEHIND_MM))))
            if over <= 0.05:
                break
            za -= over
        return za, u_body, u_man

    # The angle's level (the top of T5) is where the two pieces' long axes (mid-planes) meet:
    # the joint's centre. With the pieces leaning back by different amounts the plate's back
    # surface bends lower than its mid-plane (a bent slab's surfaces bend on the bisector), by
    # half the thickness times the difference of the pieces' 1/cos over the difference of
    # their slopes (2.5 mm in the 178 cm man); the back surface's kink is put there, so that
    # the long axes meet at the angle's level, where the second costal cartilage is received
    # (:func:`costal_notch_levels`; since 2026-12-05, issue-19inlet22: until then the back
    # surface bent at the angle's level, right while the sternum stood nearly upright)
    yk = ya
    for _ in range(4):
        za, u_body, u_man = _solve(yk)
        s_m, s_b = u_man[1] / u_man[0], u_body[1] / u_body[0]
        if abs(s_m - s_b) < 1e-6:
            break
        step = 0.5 * STERNUM_MM * (1.0 / abs(u_man[0]) - 1.0 / abs(u_body[0])) / (s_m - s_b)
        y_new = ya - step
        if abs(y_new - yk) < 0.01:
            break
        yk = y_new
    za, u_body, u_man = _solve(yk)
    ya = yk
    notch = (y0, za + (y0 - ya) * u_man[1] / u_man[0])
    tip = (yx + XIPHOID_MM[sex] * u_body[0], zx + XIPHOID_MM[sex] * u_body[1])
    # the most anterior point: at the angle, or (PROTOTYPE: the body leaning back from the
    # joint since the notch lies on the upper cage's shallow front) at the joint or the
    # xiphoid's tip
    front = min(za - STERNUM_MM / min(abs(u_body[0]), abs(u_man[0])),
                zx - STERNUM_MM / abs(u_body[0]), tip[1] - XIPHOID_THICK_MM / abs(u_body[0]))
    return {"notch": notch, "angle": (ya, za), "joint": (yx, zx), "tip": tip,
            "u_body": u_body, "u_man": u_man, "front_zd": float(front)}


def sternum_back_zd(cav, sp, sex: str, y) -> np.ndarray:
    """``zd`` (mm) of the sternum's posterior surface in the midline at levels ``y`` (float64,
    ``y``'s shape; NaN above the jugular notch and below the xiphoid's tip): the line of
    :func:`sternum_course`, never in the cavity, as :func:`paint_sternum` draws it (since
    2026-12-05, issue-19inlet22: what the great vessels' depths behind the sternum are
    measured from, :mod:`.aortic_root`, :mod:`.pulmonary_trunk`; with the upper cage's
    shallow front the cavity's front wall no longer stands for it)."""
    c = sternum_course(cav, sp, sex)
    y = np.asarray(y, np.float64)
    ya, yt = c["angle"][0], c["tip"][0]
    za = c["angle"][1]
    line = np.where(y < ya, za + (y - ya) * c["u_man"][1] / c["u_man"][0],
                    za + (y - ya) * c["u_body"][1] / c["u_body"][0])
    back = np.minimum(line, np.asarray(_cavity_front(cav, y), np.float64) - _BEHIND_MM)
    return np.where((y >= c["notch"][0]) & (y <= yt), back, np.nan)


def sternum_front_line(cav, sp, sex: str, y) -> np.ndarray:
    """``zd`` (mm) of the sternum's anterior surface in the midline at levels ``y`` (float64,
    ``y``'s shape; NaN above the jugular notch and below the xiphoid's tip): the back surface
    (:func:`sternum_back_zd`) less the plate's thickness along ``zd`` (PROTOTYPE,
    2026-12-05, issue-19inlet21: the skin over the sternum follows it, :mod:`.outline`)."""
    c = sternum_course(cav, sp, sex)
    y = np.asarray(y, np.float64)
    ya, yx = c["angle"][0], c["joint"][0]
    back = sternum_back_zd(cav, sp, sex, y)
    cos = np.abs(np.where(y < ya, c["u_man"][0], c["u_body"][0]))
    thick = np.where(y <= yx, STERNUM_MM, XIPHOID_THICK_MM)
    return back - thick / cos


def sternum_front_zd(cav, sp, sex: str) -> float:
    """``zd`` (mm) of the sternum's most anterior point (at the sternal angle,
    :func:`sternum_course`)."""
    return sternum_course(cav, sp, sex)["front_zd"]


def clavicular_notch_zd(cav, sp, sex: str) -> float:
    """``zd`` (mm) of the manubrium's mid-plane at the jugular notch (:func:`sternum_course`),
    where the clavicles' sternal ends articulate."""
    c = sternum_course(cav, sp, sex)
    return float(c["notch"][1] - 0.5 * STERNUM_MM / abs(c["u_man"][0]))


def _xiphoid_bone_mm(sex: str, age_years: float) -> float:
    a0, a1 = XIPHOID_OSSIFY_YEARS
    return XIPHOID_MM[sex] * min(max((age_years - a0) / (a1 - a0), 0.0), 1.0)


def paint_sternum(labels, f: Frame, cav, sp, rng, *, sex: str, age_years: float, BONE: int,
                  SOFT: int, CART: int, cortex_mm: float, presternal: tuple = ()) -> None:
    """Manubrium, body and xiphoid (:func:`sternum_course`) into ``labels``: a cortex of
    ``cortex_mm`` around cancellous bone dithered with ``rng``
    (:func:`.cancellous.fill_cancellous`); the xiphoid's unossified part (by ``age_years``,
    :data:`XIPHOID_OSSIFY_YEARS`) as cartilage ``CART``. ``presternal`` = (muscle, fat)
    labels: in front of the manubrium and body, within their half-width, muscle becomes fat
    (the pectoralis major arises beside the sternum, over it lie skin and fat only; the
    chest wall's muscle layer follows the body's outline, not the sternum's course)."""
    c = sternum_course(cav, sp, sex)
    # at least a voxel of cortex: a thinner shell held no voxel centre at some grid phases and
    # the lean woman's 2 mm sternum showed marrow under her fat (19cone12's fix to
    # skeleton.paint_sternum, re-applied here; NOTES 2026-12-03, 19blade12)
    cortex_mm = max(cortex_mm, float(max(f.grid.spacing)))
    y0, ya, yx, yt = c["notch"][0], c["angle"][0], c["joint"][0], c["tip"][0]
    y_oss = yx + _xiphoid_bone_mm(sex, age_years) * c["u_body"][0]
    hw0, hw1 = STERNUM_HALF_WIDTH_MM

    def back_zd(y):
        """The plate's back surface: the manubrium's or the body's line, never in the
        cavity."""
        line = np.where(y < ya, c["angle"][1] + (y - ya) * c["u_man"][1] / c["u_man"][0],
                        c["angle"][1] + (y - ya) * c["u_body"][1] / c["u_body"][0])
        return np.minimum(line, _cavity_front(cav, y) - _BEHIND_MM)

    # the pieces' widths change at the joint's centre, the angle's level (the top of T5), where
    # the second cartilage's notch lies; the back surface bends a little lower (sternum_course)
    yw = sternum_levels(sp)[1]

    def half_width(y):
        ya = yw
        um = np.clip((y - y0) / (ya - y0), 0.0, 1.0)
        man = np.where(um < 0.4, hw0, hw0 + (hw1 - hw0) * (um - 0.4) / 0.6)
        ub = np.clip((y - ya) / (yx - ya), 0.0, 1.0)
        body = np.where(ub < 0.75, hw1 + (_BODY_WIDEST_MM - hw1) * ub / 0.75,
                        _BODY_WIDEST_MM + (_XIPHI_JOINT_MM - _BODY_WIDEST_MM)
                        * (ub - 0.75) / 0.25)
        ux = np.clip((y - yx) / max(yt - yx, 1e-3), 0.0, 1.0)
        xiph = _XIPHI_JOINT_MM - 1.0 + (2.0 - (_XIPHI_JOINT_MM - 1.0)) * ux
        return np.where(y < ya, man, np.where(y <= yx, body, xiph))

    def half_thick(y):
        return np.where(y <= yx, 0.5 * STERNUM_MM, 0.5 * XIPHOID_THICK_MM)

    def cos_tilt(y):
        u = np.where(y < ya, c["u_man"][0], c["u_body"][0])
        return np.abs(u)

    def top(x):
        return y0 - NOTCH_MM * np.minimum((x / hw0) ** 2, 1.0)

    def section(x, y, z, shrink, y_lo, y_hi):
        if y_lo <= y0 + shrink:                    # the manubrium's upper border
            y_lo = top(x) + shrink
        hw = half_width(y) - shrink
        ht = half_thick(y) - shrink
        n = (z - (back_zd(y) - half_thick(y) / cos_tilt(y))) * cos_tilt(y)
        q = np.abs(x / np.maximum(hw, 1e-3)) ** 4 + (n / np.maximum(ht, 1e-3)) ** 2
        return (q <= 1.0) & (hw > 0) & (ht > 0) & (y >= y_lo) & (y <= y_hi)

    zs = [c["notch"][1], c["angle"][1], c["joint"][1], c["tip"][1]]
    lo = (-hw0 - 2.0, y0 - NOTCH_MM - 2.0, min(zs) - STERNUM_MM - 10.0)
    hi = (hw0 + 2.0, yt + 2.0, max(zs) + 2.0)
    f.paint_mask(labels, lo, hi, lambda x, y, z: section(x, y, z, 0.0, yx, yt), CART)
    f.paint_mask(labels, lo, hi, lambda x, y, z: section(x, y, z, 0.0, y0, y_oss), BONE)
    f.paint_mask(labels, lo, hi,
                 lambda x, y, z: section(x, y, z, cortex_mm, y0 + cortex_mm, y_oss - cortex_mm),
                 _INTERIOR, only=BONE)
    sl, _ = f.box(lo, hi)
    fill_cancellous(labels[sl], _INTERIOR, rng, frame=f, bone=BONE, soft=SOFT)
    if presternal:
        muscle, fat = presternal

        def in_front(x, y, z):
            return (np.abs(x) <= half_width(y)) & (y >= top(x)) & (y <= yx) \
                & (z < back_zd(y) - 2.0 * half_thick(y) / cos_tilt(y) + 1.0)

        f.paint_mask(labels, (lo[0], lo[1], lo[2] - 40.0), hi, in_front, fat, only=muscle)
