"""Spine, sternum and clavicles (the ribs are in :mod:`.ribs`, the scapulae in :mod:`.scapula`).

Twelve thoracic vertebrae hang from the lung apex (T1 at the apex), their bodies and discs
sized by stature (:func:`thoracic_heights_mm`), so the posterior costophrenic recess falls at
T12 or L1 as the drawn lung volume puts it; two cervical and two lumbar ones continue the
column to the volume's edges. Each vertebra is a waisted body (end plates wider than its
middle; a cortical shell around trabecular bone, painted as a dithered mixture), a disc, two
pedicles, laminae around the spinal canal, two transverse processes and a spinous process
sloping down. The sternum is drawn by :mod:`.sternum` (re-exported here).

References
----------
Ritzel H, et al. J Bone Miner Res 1997;12:89-95 (vertebral body cortical shell, thoracic
mean 244 um).
Panjabi MM, Takata K, Goel V, et al. Thoracic human vertebrae: quantitative three-dimensional
anatomy. Spine 1991;16:888-901 (end-plate width 28 -> 40 mm and body height 15 -> 23 mm from
T1 to T12; pedicle width 5-8 mm; canal width 14-17 mm).
A morphometric study of the vertebral body in dry human typical thoracic vertebrae. Int J
Anat Physiol Biochem 2015;1(1) (abstract: transverse diameter 27.02 +- 2.06 mm, body width
25.49 +- 2.59 mm; the bodies' waist, :data:`VERTEBRAL_WAIST`).
Gray's Anatomy, 20th ed. (1918), "The Vertebral Column" (the body concave from above downward
in front, flat behind, a rim around each end surface).
Gray's Anatomy, 41st ed. (2016), ch. 53 (sternum: jugular notch at T2/T3, sternal angle at
T4/T5, xiphisternal joint at T9; clavicle from the manubrium to the acromion).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .cancellous import TRABECULAR_BV_TV, dither_key, fill_cancellous, lattice_index, uniform_at
from .raster import Frame, bezier, polyline
from .sternum import (STERNUM_HALF_WIDTH_MM, STERNUM_MM, paint_sternum, sternum_front_zd,
                      sternum_levels)

__all__ = ["LEVEL_NAMES", "Spine", "spine_for", "paint_spine", "paint_sternum",
           "paint_clavicles", "clavicle_path", "clavicle_segments", "sternum_front_zd",
           "STERNUM_HALF_WIDTH_MM",
           "fill_cancellous", "TRABECULAR_BV_TV", "thoracic_heights_mm", "thoracic_length_mm",
           "VERTEBRAL_BODY_MM", "DISC_MM", "VERTEBRAL_WAIST", "body_outline",
           "CLAVICLE_MM", "CLAVICLE_SD_MM", "CLAVICLE_DIAMETER_MM", "CLAVICLE_STATURE_FACTOR",
           "clavicle_length_mm"]

_INTERIOR = 254                                # transient label of the clavicles' interior
# Cortical shell of the vertebral bodies: 0.244 mm, the mean thickness of the thoracic
# vertebral bodies' ventral and dorsal shells in 26 skeletally intact autopsy spines (Ritzel H,
# Amling M, Posl M, Hahn M, Delling G. J Bone Miner Res 1997;12:89-95, abstract: cervical
# 285, thoracic 244, lumbar 290 um); Silva MJ et al. (Bone 1994;15:409-414) measured ~0.35 mm
# at L1. Until 2026-12-02 the bodies had the ribs' 1.2 mm shell, 5 times too thick, which
# drew the column's lateral margins (seen tangentially on a PA film) as bright bands. Thinner
# than a voxel, the shell is the outermost voxel layer dithered to the right bone fraction (a
# projected mass is right on average: :func:`paint_spine`).
VERTEBRAL_CORTEX_MM = 0.244

# Waist of the vertebral bodies: the body "in front ... convex from side to side and concave
# from above downward; behind ... flat from above downward", its upper and lower surfaces each
# with "a rim around its circumference" (Gray's Anatomy, 20th ed., 1918, "The Vertebral
# Column", general characteristics of a vertebra, p. 97 of the Bartleby edition; checked by
# the lead 2026-12-03): the anterior and lateral walls concave between the end plates' rims. Mid-height
# width over end-plate width 0.943: in 200 dry typical thoracic vertebrae (T2-T9, Indian) the
# "transverse diameter of the vertebral body" was 27.02 +- 2.06 mm and the "vertebral body
# width" 25.49 +- 2.59 mm ("A morphometric study of the vertebral body in dry human typical
# thoracic vertebrae", Int J Anat Physiol Biochem 2015;1(1), eternalpublication.com/ijapb,
# abstract; authors and methods not read): 25.49 / 27.02 = 0.943, ~0.8 mm of concavity a
# side there, 1.0 mm at a 35 mm T8 here. Only the ratio is used (both are smaller than
# Panjabi's 29-35 mm end plates of T2-T9). ASSUMPTIONS: that the transverse diameter is the
# end-plate (rim) width and the body width the caliper width at mid-height (the paired SD of
# the difference is not reported); the same fraction for the depth, taken from the anterior
# wall only (the posterior wall, the canal's front, kept straight, as Gray's flat back); a
# parabolic profile, widest at the end plates (no source for the wall's curve); the discs keep
# the end plates' width and depth (the annulus runs rim to rim, so it bulges beyond the
# bodies' waist; no bulge beyond the rims is drawn). Until 2026-12-03 (sixth session,
# issue-19vert14) the bodies were straight elliptic cylinders: on the PA film their lateral
# margins ran as two straight, unbroken lines down the column.
VERTEBRAL_WAIST = 1.0 - 25.49 / 27.02

# Clavicles. Length on PA chest radiographs (most medial point of the sternal end to most
# lateral point of the acromial end), 400 adults: men 15.44 / 15.75 cm, women 14.45 /
# 14.79 cm right / left, SD ~1.0-1.1 cm; mid-shaft diameter men 1.17 / 1.19 cm, women
# 0.99 / 1.00 cm (Okoseimiema SC, Morgan AO, David LK. Radiological morphometry of adult
# clavicle in Rivers State, Nigeria, abstract, asn-ng.com/journal/article/1586279490). The
# means of right and left are used on both sides. Cross-check: Ihunwo IW et al. (600 chest
# radiographs, Port Harcourt): men 150.6 / 154.9 mm, women 137.9 / 142.4 mm.
# Those means are the twins' cross-check only (tests/phantom/test_chest_mediastinum.py): the
# length drawn grows with stature (:func:`clavicle_length_mm`).
CLAVICLE_MM = {"male": 156.0, "female": 146.2}
CLAVICLE_SD_MM = {"male": 10.4, "female": 10.7}
# Clavicle length with stature: "From investigations carried out on fifty adult-male bodies
# Singh and Sohal have been able to determine the stature of a resident of East Punjab within an
# error of 1 1/2 in. from the clavicle by multiplying its length by 11.1, its multiplication
# factor" (Singh B, Sohal HS, 50 adult male bodies, East Punjab, India; as quoted in Modi JP,
# Medical Jurisprudence and Toxicology, archive.org text "MedicalJurisprudenceAndToxicology",
# page 84; the original paper was not read). So the length is stature / 11.1 (a multiplication
# factor: length in proportion to stature). ASSUMPTIONS: the men's factor for women too (no
# women's factor was found) and for the PA length (the factor is the dry bone's maximum
# length; the radiographic PA length of Okoseimiema is the drawn one). Cross-check: at the
# NHANES 2015-2018 mean adult heights (:mod:`.population`, ages >= 20 pooled: men 175.3 cm,
# women 161.3 cm) it gives 157.9 and 145.3 mm, Okoseimiema's 156.0 and 146.2 within 2 mm.
# Until 2026-12-05 (second session, issue-19shoulder20) the length was Okoseimiema's mean by
# sex at any height: the acromial ends of a 120 cm lean woman (146 mm clavicles) reached past
# the grid's sides.
CLAVICLE_STATURE_FACTOR = 11.1
CLAVICLE_DIAMETER_MM = {"male": 11.8, "female": 10.0}
# S-curve depths (mm) of the medial and lateral curves in the axial plane, men / women:
# 10.8 / 8.6 medial, 10.5 / 9.1 lateral (Bernat A et al., 3-D CT reconstruction of 68 cadaver
# clavicles; abstract read on scite.ai's author page, journal and year not read).
CLAVICLE_CURVE_MM = {"male": (10.8, 10.5), "female": (8.6, 9.1)}
# Sternoclavicular joint: the clavicle's sternal end begins 22 mm from the midline, at the
# manubrium's clavicular notch (inside its 27 mm half-width drawn by :func:`paint_sternum`;
# model choice).
CLAVICLE_SC_JOINT_X_MM = 22.0
# The acromial end "on a level with or slightly higher than the sternal end" with the arm
# pendant (Gray's Anatomy, 41st ed., ch. 46): 10 mm higher (model choice within that).
CLAVICLE_RISE_MM = 10.0


#: The vertebrae the spine is built of, top to bottom (the order of ``Spine.tops`` and of
#: ``meta["spine"]["tops"]``).
LEVEL_NAMES = ["C6", "C7"] + [f"T{k}" for k in range(1, 13)] + ["L1", "L2"]


# Thoracic vertebral bodies and discs, T1..T12 (mm, at a body height of 175 cm; x height/175).
# Bodies: 15 -> 23 mm, linearly by level (Panjabi et al. 1991, posterior body heights). Discs:
# 4.5 mm (T1-2) -> 7.2 mm (T11-12), linearly by level: the range of the disc thickness in 72
# thoracic segments of 30 donors measured directly (J Anat 2011;219(3):375-387,
# doi:10.1111/j.1469-7580.2011.01397.x, PMID 21615399, Ulm; first author Kunkel ME as
# recalled; abstract read at suppr.wilddata.cn: "the thickness of the discs varied from 4.5 to
# 7.2 mm, with the MDH approximately 22.7 % greater"; radiographic heights 9 % (anterior) to
# 37 % (posterior) shorter than anatomical ones). Rim heights for both bodies and discs: the
# end plates' concavity trades the body's middle height for the disc's, so the pitch is the
# same. ASSUMPTIONS: the range's ends at the column's ends and linear between; T12-L1 as
# T11-12. T1 top to T12 bottom: 228 + 64 = 292 mm at 175 cm. Cross-checks: Gray's Anatomy
# (20th ed., 1918, "The vertebral column as a whole"): the thoracic part "about 28 cm" of a
# man's 71 cm column, stature not given (with one disc more than T1-T12: 292 + 7 = 299 mm at
# 175 cm, +7 %); CT disc heights are smaller (Fletcher et al., Eur Spine J 2015,
# doi:10.1007/s00586-015-3925-y, abstract: anterior T4-5 2.7 +- 0.7, T10-11 5.4 +- 1.2 mm in
# men), which would give ~270 mm. Until 2026-12-03 (twelfth session) the twelve pitches were
# stretched over the lung cavity's apex-to-recess span (x 1.075), so the column followed the
# drawn TLC, not stature: +2 % to +8 % over this sum in four 158-190 cm twins at 2 mm, +12 %
# in a 178 cm man drawn 7.5 L (NOTES).
VERTEBRAL_BODY_MM = (15.0, 23.0)
DISC_MM = (4.5, 7.2)


def thoracic_heights_mm(scale: float) -> tuple[np.ndarray, np.ndarray]:
    """(body, disc) heights (mm) of T1..T12, the disc being the one below each body
    (:data:`VERTEBRAL_BODY_MM`, :data:`DISC_MM`), for a body ``scale`` = height / 175 cm."""
    k = np.arange(12)
    bodies = VERTEBRAL_BODY_MM[0] + (VERTEBRAL_BODY_MM[1] - VERTEBRAL_BODY_MM[0]) * k / 11.0
    discs = DISC_MM[0] + (DISC_MM[1] - DISC_MM[0]) * np.minimum(k, 10) / 10.0
    return bodies * scale, discs * scale


def thoracic_length_mm(height_cm: float) -> float:
    """T1's upper end plate to T12's lower one (mm): the twelve bodies and the eleven discs
    between them (:func:`thoracic_heights_mm`) for a body ``height_cm`` tall."""
    b, d = thoracic_heights_mm(height_cm / 175.0)
    return float(b.sum() + d[:11].sum())


@dataclass(frozen=True)
class Spine:
    """Levels and sizes of the vertebral column (mm, anatomy coordinates)."""

    tops: tuple          # y of each vertebra's upper end plate, C6, C7, T1..T12, L1, L2
    pitches: tuple       # body + disc height of each
    widths: tuple        # body width (x)
    depths: tuple        # body depth (AP)
    front_zd: float      # anterior surface of the bodies
    bodies: tuple = ()   # body height of each (the rest of the pitch is the disc below)

    def level(self, name: str) -> int:
        """Index of the vertebra ``name`` (one of :data:`LEVEL_NAMES`) in ``tops`` etc."""
        return LEVEL_NAMES.index(name)

    def body_h(self, k: int) -> float:
        """Height (mm) of vertebra ``k``'s body (0.8 of its pitch where ``bodies`` is empty)."""
        return self.bodies[k] if self.bodies else 0.8 * self.pitches[k]

    def mid_y(self, k: int) -> float:
        """Level (y) of the middle of vertebra ``k``'s body."""
        return self.tops[k] + 0.5 * self.body_h(k)

    def centre_zd(self, k: int) -> float:
        return self.front_zd + 0.5 * self.depths[k]

    def canal_zd(self, k: int) -> float:
        return self.front_zd + self.depths[k] + 9.0

    @property
    def spinous_tip_zd(self) -> float:
        return max(self.canal_zd(k) for k in range(len(self.tops))) + 44.0

    def spinous_process(self, k: int) -> np.ndarray:
        """Vertebra ``k``'s spinous process as capsule rows (anatomy mm, x = 0), sloping down
        from the laminae's junction (what :func:`paint_spine` paints)."""
        ym, zc, pitch = self.mid_y(k), self.canal_zd(k), self.pitches[k]
        return polyline([(0.0, ym + 0.1 * pitch, zc + 11.0),
                         (0.0, ym + 0.9 * pitch, zc + 42.0)], 4.0, 3.0)


def spine_for(y_apex: float, y_low: float, front_zd: float, scale: float) -> Spine:
    """The column of a body ``scale`` = height / 175 cm tall, hung from the lung apex.

    Bodies and discs by level from :func:`thoracic_heights_mm` (Panjabi's bodies, Kunkel's
    discs, x ``scale``); T1's upper end plate 0.6 of its pitch above the apex ``y_apex`` (the
    apex at the neck of the first rib, Gray's Anatomy). The column no longer stretches to the
    posterior costophrenic recess ``y_low`` (accepted for the callers, unused): that lies where
    the drawn lung volume puts it, at T12 or L1 (Gray's: the pleura's lowest reflection at T12
    posteriorly; at full inspiration the recess goes lower)."""
    del y_low
    b, d = thoracic_heights_mm(scale)
    p = b + d
    t1_top = y_apex - 0.6 * p[0]
    # C6, C7 as T1; L1, L2 1.1 and 1.15 times T12 (assumption, as before)
    pitches = [p[0], p[0]] + list(p) + [p[-1] * 1.1, p[-1] * 1.15]
    bodies = [b[0], b[0]] + list(b) + [b[-1] * 1.1, b[-1] * 1.15]
    tops = [t1_top - 2 * p[0], t1_top - p[0]]
    y = t1_top
    for q in pitches[2:]:
        tops.append(y)
        y += q
    widths = [26.0 * scale, 27.0 * scale] + list((28.0 + 12.0 * np.arange(12) / 11.0) * scale) \
        + [42.0 * scale, 44.0 * scale]
    depths = [0.65 * w for w in widths[:2]] + [w * (0.6 + 0.2 * k / 11.0)
                                               for k, w in enumerate(widths[2:14])] \
        + [0.75 * w for w in widths[14:]]
    return Spine(tops=tuple(float(v) for v in tops), pitches=tuple(float(v) for v in pitches),
                 widths=tuple(float(v) for v in widths), depths=tuple(float(v) for v in depths),
                 front_zd=float(front_zd), bodies=tuple(float(v) for v in bodies))


def body_outline(sp: Spine, k: int, y):
    """The waisted body of vertebra ``k`` at levels ``y`` (mm, any shape): its axial section's
    half-width (mm), centre (``zd``, mm) and half-depth (mm), an ellipse.

    At the end plates (``y`` = the body's top and bottom) the section is the end plate
    (``sp.widths[k]`` x ``sp.depths[k]``); towards mid-height both shrink parabolically to
    ``1 - VERTEBRAL_WAIST`` of that, the depth from the front (the back stays at
    ``front_zd + depth``). Levels outside the body get the end plates' section."""
    t = np.clip((np.asarray(y, np.float32) - np.float32(sp.tops[k]))
                / np.float32(sp.body_h(k)), 0.0, 1.0)
    s = np.float32(1.0) - np.float32(4.0 * VERTEBRAL_WAIST) * t * (np.float32(1.0) - t)
    hd = np.float32(0.5 * sp.depths[k]) * s
    return np.float32(0.5 * sp.widths[k]) * s, np.float32(sp.front_zd + sp.depths[k]) - hd, hd


def paint_spine(labels, f: Frame, sp: Spine, rng, *, BONE: int, SOFT: int,
                cortex_mm: float, shell_rng=None) -> None:
    """Vertebral bodies (a :data:`VERTEBRAL_CORTEX_MM` shell around trabecular bone), discs
    and posterior elements (``cortex_mm`` shells) into ``labels``.

    Each body is waisted (:func:`body_outline`: end plates of the level's width and depth,
    :data:`VERTEBRAL_WAIST` narrower at mid-height); the disc below it is an elliptic cylinder
    of the end plates' section (soft tissue).

    The bodies' shell is thinner than a voxel: the outermost voxel layer is drawn as bone with
    the probability that holds the shell's volume plus trabecular bone in the rest of the
    voxel (``shell_rng`` draws it; a generator of its own, so that ``rng``'s trabecular draws,
    and every draw after them, are those of a full-voxel shell). Both dithers are keyed by
    position on the anatomy's voxel lattice (:func:`.cancellous.uniform_at` of
    :func:`.cancellous.lattice_index`, whatever the grid's extent): one key from each
    generator per call."""
    vox = float(min(f.grid.spacing))
    c_vox = max(VERTEBRAL_CORTEX_MM, vox)
    p_shell = min(1.0, VERTEBRAL_CORTEX_MM / c_vox
                  + (1.0 - VERTEBRAL_CORTEX_MM / c_vox) * TRABECULAR_BV_TV)
    key = dither_key(rng)
    shell_key = dither_key(shell_rng) if shell_rng is not None else None
    for k in range(len(sp.tops)):
        top, pitch, w, d = sp.tops[k], sp.pitches[k], sp.widths[k], sp.depths[k]
        body_h = sp.body_h(k)
        cz = sp.centre_zd(k)
        lo, hi = (-w, top - 1, sp.front_zd - 1), (w, top + pitch + 1, sp.front_zd + d + 1)

        def disc(x, y, z):
            return ((x / (0.5 * w)) ** 2 + ((z - cz) / (0.5 * d)) ** 2 <= 1.0) \
                & (y >= top + body_h) & (y < top + pitch)

        def body(x, y, z, k=k):
            hw, czy, hd = body_outline(sp, k, y)
            return ((x / hw) ** 2 + ((z - czy) / hd) ** 2 <= 1.0) \
                & (y >= top) & (y < top + body_h)

        def core(x, y, z, c=c_vox, k=k):
            hw, czy, hd = body_outline(sp, k, y)
            inside = ((x / (hw - c)) ** 2 + ((z - czy) / (hd - c)) ** 2 <= 1.0) \
                & (y >= top + c) & (y < top + body_h - c)
            return inside

        f.paint_mask(labels, lo, hi, disc, SOFT)
        f.paint_mask(labels, lo, hi, body, BONE)
        sl, (x, y, z) = f.box(lo, hi)
        sub = labels[sl]
        if sub.size:
            m = np.broadcast_to(core(x, y, z), sub.shape)
            # trabecular bone: a dithered mixture of bone and marrow voxels
            at = np.nonzero(m)
            marrow = uniform_at(key, lattice_index(sub, at, f)) >= TRABECULAR_BV_TV
            sub[tuple(c[marrow] for c in at)] = SOFT
            if shell_key is not None and p_shell < 1.0:
                at = np.nonzero(np.broadcast_to(body(x, y, z), sub.shape) & ~m)
                sub[at] = np.where(uniform_at(shell_key, lattice_index(sub, at, f)) < p_shell,
                                   np.uint8(BONE), np.uint8(SOFT))
        # posterior elements
        ym = sp.mid_y(k)
        zc = sp.canal_zd(k)
        segs = []
        for s in (-1.0, 1.0):
            xp = s * 0.33 * w
            segs.append(polyline([(xp, ym - 0.1 * pitch, sp.front_zd + d - 3.0),
                                  (s * 9.0, ym, zc)], 3.5))                      # pedicle
            arc = [(s * 11.0 * np.sin(t), ym + 0.1 * pitch * (1 - np.cos(t)),
                    zc + 11.0 * np.cos(t)) for t in np.linspace(np.pi / 2, 0.0, 5)]
            segs.append(polyline(arc, 3.0))                                      # lamina
            segs.append(polyline([(s * 10.0, ym, zc), (s * (0.5 * w + 24.0), ym + 0.1 * pitch,
                                                       zc + 10.0)], 4.5, 3.5))   # transverse
        segs.append(sp.spinous_process(k))                                      # spinous
        segs = np.vstack(segs)
        f.paint(labels, segs, BONE)
        inner = segs.copy()
        inner[:, 6:] -= cortex_mm
        f.paint(labels, inner[inner[:, 6] > 0.5], SOFT, only=BONE)
        # spinal canal
        f.paint(labels, polyline([(0.0, top, zc), (0.0, top + pitch, zc)], 7.5), SOFT)


def clavicle_length_mm(height_cm: float) -> float:
    """The clavicle's PA length (mm, most medial to most lateral point) for a body of
    ``height_cm`` (cm): stature / :data:`CLAVICLE_STATURE_FACTOR` (Singh and Sohal)."""
    return 10.0 * float(height_cm) / CLAVICLE_STATURE_FACTOR


def clavicle_path(sp: Spine, sex: str, *, height_cm: float, front_zd: float,
                  back_zd: float) -> np.ndarray:
    """Centre line (n, 3) of the right clavicle (anatomy mm; mirror ``x`` for the left): from
    the sternoclavicular joint at the jugular notch, :func:`clavicle_length_mm` of the body's
    ``height_cm`` laterally (the PA length, medial to lateral end; the shaft's diameter and
    curves by ``sex``), the acromial end :data:`CLAVICLE_RISE_MM` higher; in the
    axial plane an S: the medial two thirds convex forward, the lateral third concave forward,
    by Bernat's curvature depths (:data:`CLAVICLE_CURVE_MM`), the acromial end at the back of
    the shoulder (``back_zd``)."""
    y_med = sternum_levels(sp)[0] + 4.0
    # the published length runs from the sternal end's most medial point to the acromial
    # end's most lateral point: the centre line stops a radius short of both (the sternal end
    # is 1.4 times as thick as the shaft, :func:`paint_clavicles`)
    r = 0.5 * CLAVICLE_DIAMETER_MM[sex]
    x_med = CLAVICLE_SC_JOINT_X_MM + 1.4 * r
    length = clavicle_length_mm(height_cm) - 2.4 * r
    d_med, d_lat = CLAVICLE_CURVE_MM[sex]
    t = np.linspace(0.0, 1.0, 24)
    x = -(x_med + length * t)
    y = y_med - CLAVICLE_RISE_MM * t
    # chord from the medial end (front) to the acromial end (back), plus the two curves:
    # forward (-zd) bulge over the medial part, backward bulge over the lateral part
    z = front_zd + (back_zd - front_zd) * t ** 2 \
        - d_med * np.sin(np.pi * np.clip(t / 0.66, 0, 1)) \
        + d_lat * np.sin(np.pi * np.clip((t - 0.66) / 0.34, 0, 1))
    return np.column_stack([x, y, z])


def clavicle_segments(sp: Spine, sex: str, *, height_cm: float, front_zd: float,
                      back_zd: float) -> np.ndarray:
    """The right clavicle as capsule rows ``(n, 8)``: ``x0, y0, zd0, x1, y1, zd1, r0, r1``
    (anatomy mm; mirror ``x`` for the left) along :func:`clavicle_path`, the shaft's radius
    (:data:`CLAVICLE_DIAMETER_MM`) widening to 1.4 times at the sternal end. What
    :func:`paint_clavicles` paints, and what the outline covers
    (:attr:`.outline.Outline.clavicles`)."""
    c = clavicle_path(sp, sex, height_cm=height_cm, front_zd=front_zd, back_zd=back_zd)
    r = 0.5 * CLAVICLE_DIAMETER_MM[sex]
    # the medial end is wider than the shaft (sternal end), the lateral end flatter
    rr = r * (1.0 + 0.4 * np.exp(-np.linspace(0, 1, len(c)) / 0.08))
    return np.column_stack([c[:-1], c[1:], rr[:-1], rr[1:]])


def paint_clavicles(labels, f: Frame, sp: Spine, sex: str, rng, *, height_cm: float,
                    front_zd: float, back_zd: float, BONE: int, SOFT: int,
                    cortex_mm: float) -> float:
    """S-shaped clavicles (:func:`clavicle_path`, their length by ``height_cm``, cm) from the
    sternoclavicular joints to the
    acromia: a rod of the published mid-shaft diameter (:data:`CLAVICLE_DIAMETER_MM`), a
    cortical shell around cancellous bone (``TRABECULAR_BV_TV`` of bone voxels dithered with
    ``rng``, like the ribs and vertebrae). Returns the acromial end's ``|x|`` (mm)."""
    right = clavicle_segments(sp, sex, height_cm=height_cm, front_zd=front_zd,
                              back_zd=back_zd)
    segs = np.vstack([right * np.array([s, 1, 1, s, 1, 1, 1, 1]) for s in (1.0, -1.0)])
    f.paint(labels, segs, BONE)
    inner = segs.copy()
    inner[:, 6:] -= cortex_mm
    f.paint(labels, inner, _INTERIOR, only=BONE)
    fill_cancellous(labels, _INTERIOR, rng, frame=f, bone=BONE, soft=SOFT)
    return float(-right[-1, 3])
