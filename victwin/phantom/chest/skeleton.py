"""Spine, sternum and clavicles (the ribs are in :mod:`.ribs`, the scapulae in :mod:`.scapula`).

Twelve thoracic vertebrae span the lung fields (T1 at the apex, T12 at the posterior
costophrenic recess: :mod:`.anatomy`); two cervical and two lumbar ones continue the column to
the volume's edges. Each vertebra is a body (cortical shell around trabecular bone, painted as
a dithered mixture), a disc, two pedicles, laminae around the spinal canal, two transverse
processes and a spinous process sloping down.

References
----------
Ritzel H, et al. J Bone Miner Res 1997;12:89-95 (vertebral body cortical shell, thoracic
mean 244 um).
Panjabi MM, Takata K, Goel V, et al. Thoracic human vertebrae: quantitative three-dimensional
anatomy. Spine 1991;16:888-901 (end-plate width 28 -> 40 mm and body height 15 -> 23 mm from
T1 to T12; pedicle width 5-8 mm; canal width 14-17 mm).
Gray's Anatomy, 41st ed. (2016), ch. 53 (sternum: jugular notch at T2/T3, sternal angle at
T4/T5, xiphisternal joint at T9; clavicle from the manubrium to the acromion).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .raster import Frame, bezier, polyline

__all__ = ["LEVEL_NAMES", "Spine", "spine_for", "paint_spine", "paint_sternum",
           "paint_clavicles", "clavicle_path", "sternum_front_zd", "STERNUM_HALF_WIDTH_MM",
           "fill_cancellous", "TRABECULAR_BV_TV",
           "CLAVICLE_MM", "CLAVICLE_SD_MM", "CLAVICLE_DIAMETER_MM"]

# Trabecular bone volume fraction of vertebral bodies and of the ribs' cancellous interior:
# ASSUMPTION 0.15. Adult thoracic/lumbar vertebrae are recalled as 0.10-0.20 by micro-CT
# (Hildebrand T et al. J Bone Miner Res 1999;14:1167-1174; the paper was not re-read and its
# table is not at hand, and no rib value was found with the search tool). Interiors are painted
# with this fraction of (cortical) bone voxels, the rest marrow (soft tissue).
TRABECULAR_BV_TV = 0.15
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

# Clavicles. Length on PA chest radiographs (most medial point of the sternal end to most
# lateral point of the acromial end), 400 adults: men 15.44 / 15.75 cm, women 14.45 /
# 14.79 cm right / left, SD ~1.0-1.1 cm; mid-shaft diameter men 1.17 / 1.19 cm, women
# 0.99 / 1.00 cm (Okoseimiema SC, Morgan AO, David LK. Radiological morphometry of adult
# clavicle in Rivers State, Nigeria, abstract, asn-ng.com/journal/article/1586279490). The
# means of right and left are used on both sides. Cross-check: Ihunwo IW et al. (600 chest
# radiographs, Port Harcourt): men 150.6 / 154.9 mm, women 137.9 / 142.4 mm.
CLAVICLE_MM = {"male": 156.0, "female": 146.2}
CLAVICLE_SD_MM = {"male": 10.4, "female": 10.7}
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


@dataclass(frozen=True)
class Spine:
    """Levels and sizes of the vertebral column (mm, anatomy coordinates)."""

    tops: tuple          # y of each vertebra's upper end plate, C6, C7, T1..T12, L1, L2
    pitches: tuple       # body + disc height of each
    widths: tuple        # body width (x)
    depths: tuple        # body depth (AP)
    front_zd: float      # anterior surface of the bodies

    def level(self, name: str) -> int:
        """Index of the vertebra ``name`` (one of :data:`LEVEL_NAMES`) in ``tops`` etc."""
        return LEVEL_NAMES.index(name)

    def mid_y(self, k: int) -> float:
        return self.tops[k] + 0.4 * self.pitches[k]

    def centre_zd(self, k: int) -> float:
        return self.front_zd + 0.5 * self.depths[k]

    def canal_zd(self, k: int) -> float:
        return self.front_zd + self.depths[k] + 9.0

    @property
    def spinous_tip_zd(self) -> float:
        return max(self.canal_zd(k) for k in range(len(self.tops))) + 44.0


def spine_for(y_apex: float, y_low: float, front_zd: float, scale: float) -> Spine:
    """Thoracic levels between the apex and the posterior recess; ``scale`` sizes the bodies
    (1 = Panjabi 1991's means)."""
    # relative pitches T1..T12 follow Panjabi's body heights 15 -> 23 mm
    rel = 15.0 + 8.0 * np.arange(12) / 11.0
    # T1 top 0.6 pitch above the apex, T12 bottom 0.3 pitch below the recess
    span = (y_low - y_apex)
    p = rel * span / (rel.sum() - 0.6 * rel[0] - 0.3 * rel[-1])
    t1_top = y_apex - 0.6 * p[0]
    pitches = [p[0], p[0]] + list(p) + [p[-1] * 1.1, p[-1] * 1.15]
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
                 front_zd=float(front_zd))


def paint_spine(labels, f: Frame, sp: Spine, rng, *, BONE: int, SOFT: int,
                cortex_mm: float, shell_rng=None) -> None:
    """Vertebral bodies (a :data:`VERTEBRAL_CORTEX_MM` shell around trabecular bone), discs
    and posterior elements (``cortex_mm`` shells) into ``labels``.

    The bodies' shell is thinner than a voxel: the outermost voxel layer is drawn as bone with
    the probability that holds the shell's volume plus trabecular bone in the rest of the
    voxel (``shell_rng`` draws it; a generator of its own, so that ``rng``'s trabecular draws,
    and every draw after them, are those of a full-voxel shell)."""
    vox = float(min(f.grid.spacing))
    c_vox = max(VERTEBRAL_CORTEX_MM, vox)
    p_shell = min(1.0, VERTEBRAL_CORTEX_MM / c_vox
                  + (1.0 - VERTEBRAL_CORTEX_MM / c_vox) * TRABECULAR_BV_TV)
    for k in range(len(sp.tops)):
        top, pitch, w, d = sp.tops[k], sp.pitches[k], sp.widths[k], sp.depths[k]
        body_h = 0.8 * pitch
        cz = sp.centre_zd(k)
        lo, hi = (-w, top - 1, sp.front_zd - 1), (w, top + pitch + 1, sp.front_zd + d + 1)

        def disc(x, y, z):
            return ((x / (0.5 * w)) ** 2 + ((z - cz) / (0.5 * d)) ** 2 <= 1.0) \
                & (y >= top + body_h) & (y < top + pitch)

        def body(x, y, z):
            return ((x / (0.5 * w)) ** 2 + ((z - cz) / (0.5 * d)) ** 2 <= 1.0) \
                & (y >= top) & (y < top + body_h)

        def core(x, y, z, c=c_vox):
            inside = ((x / (0.5 * w - c)) ** 2 + ((z - cz) / (0.5 * d - c)) ** 2 <= 1.0) \
                & (y >= top + c) & (y < top + body_h - c)
            return inside

        f.paint_mask(labels, lo, hi, disc, SOFT)
        f.paint_mask(labels, lo, hi, body, BONE)
        sl, (x, y, z) = f.box(lo, hi)
        sub = labels[sl]
        if sub.size:
            m = np.broadcast_to(core(x, y, z), sub.shape)
            # trabecular bone: a dithered mixture of bone and marrow voxels
            marrow = m & (rng.random(sub.shape, dtype=np.float32) >= TRABECULAR_BV_TV)
            sub[marrow] = SOFT
            if shell_rng is not None and p_shell < 1.0:
                shell = np.broadcast_to(body(x, y, z), sub.shape) & ~m
                n = int(shell.sum())
                sub[shell] = np.where(shell_rng.random(n, dtype=np.float32) < p_shell,
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
        segs.append(polyline([(0.0, ym + 0.1 * pitch, zc + 11.0),
                              (0.0, ym + 0.9 * pitch, zc + 42.0)], 4.0, 3.0))    # spinous
        segs = np.vstack(segs)
        f.paint(labels, segs, BONE)
        inner = segs.copy()
        inner[:, 6:] -= cortex_mm
        f.paint(labels, inner[inner[:, 6] > 0.5], SOFT, only=BONE)
        # spinal canal
        f.paint(labels, polyline([(0.0, top, zc), (0.0, top + pitch, zc)], 7.5), SOFT)


def sternum_levels(sp: Spine) -> tuple[float, float, float]:
    """(jugular notch, sternal angle, xiphisternal joint) levels: T2/T3, T4/T5, T9 (Gray's)."""
    t = lambda n: sp.level(f"T{n}")                               # noqa: E731
    return (sp.tops[t(3)], sp.tops[t(5)], sp.mid_y(t(9)))


STERNUM_MM = 11.0               # the plate's thickness drawn (front to back)
STERNUM_HALF_WIDTH_MM = (27.0, 15.0)   # manubrium, body (drawn half-widths, mm)
_STERNUM_BEHIND_MM = 1.5        # its back surface in front of the cavity's front (front_zd)


def sternum_front_zd(front_zd: float) -> float:
    """``zd`` (mm) of the sternum's anterior surface as :func:`paint_sternum` draws it in
    front of the cavity's front ``front_zd``."""
    return front_zd - _STERNUM_BEHIND_MM - STERNUM_MM


def paint_sternum(labels, f: Frame, sp: Spine, front_zd: float, *, BONE: int, SOFT: int,
                  cortex_mm: float) -> None:
    """Manubrium and body of the sternum, a cortical plate around marrow, 11 mm thick."""
    y0, y_angle, y1 = sternum_levels(sp)
    zc = front_zd - (_STERNUM_BEHIND_MM + 0.5 * STERNUM_MM)
    # at least a voxel of cortex: a thinner shell held no voxel centre at some grid phases and
    # a 2 mm sternum came out all marrow (2026-12-03, 19cone12)
    cortex_mm = max(cortex_mm, float(max(f.grid.spacing)))

    def outer(x, y, z):
        half = np.where(y < y_angle, *STERNUM_HALF_WIDTH_MM)
        return (np.abs(x) <= half) & (np.abs(z - zc) <= 0.5 * STERNUM_MM) & (y >= y0) & (y <= y1)

    def inner(x, y, z):
        half = np.where(y < y_angle, *STERNUM_HALF_WIDTH_MM) - cortex_mm
        return (np.abs(x) <= half) & (np.abs(z - zc) <= 0.5 * STERNUM_MM - cortex_mm) \
            & (y >= y0 + cortex_mm) & (y <= y1 - cortex_mm)

    lo, hi = (-30.0, y0 - 1, zc - 8), (30.0, y1 + 1, zc + 8)
    f.paint_mask(labels, lo, hi, outer, BONE)
    f.paint_mask(labels, lo, hi, inner, SOFT)


def clavicle_path(sp: Spine, sex: str, *, front_zd: float, back_zd: float) -> np.ndarray:
    """Centre line (n, 3) of the right clavicle (anatomy mm; mirror ``x`` for the left): from
    the sternoclavicular joint at the jugular notch, :data:`CLAVICLE_MM` laterally (the PA
    length, medial to lateral end), the acromial end :data:`CLAVICLE_RISE_MM` higher; in the
    axial plane an S: the medial two thirds convex forward, the lateral third concave forward,
    by Bernat's curvature depths (:data:`CLAVICLE_CURVE_MM`), the acromial end at the back of
    the shoulder (``back_zd``)."""
    y_med = sternum_levels(sp)[0] + 4.0
    # the published length runs from the sternal end's most medial point to the acromial
    # end's most lateral point: the centre line stops a radius short of both (the sternal end
    # is 1.4 times as thick as the shaft, :func:`paint_clavicles`)
    r = 0.5 * CLAVICLE_DIAMETER_MM[sex]
    x_med = CLAVICLE_SC_JOINT_X_MM + 1.4 * r
    length = CLAVICLE_MM[sex] - 2.4 * r
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


def paint_clavicles(labels, f: Frame, sp: Spine, sex: str, rng, *, front_zd: float,
                    back_zd: float, BONE: int, SOFT: int, cortex_mm: float) -> float:
    """S-shaped clavicles (:func:`clavicle_path`) from the sternoclavicular joints to the
    acromia: a rod of the published mid-shaft diameter (:data:`CLAVICLE_DIAMETER_MM`), a
    cortical shell around cancellous bone (``TRABECULAR_BV_TV`` of bone voxels dithered with
    ``rng``, like the ribs and vertebrae). Returns the acromial end's ``|x|`` (mm)."""
    c = clavicle_path(sp, sex, front_zd=front_zd, back_zd=back_zd)
    r = 0.5 * CLAVICLE_DIAMETER_MM[sex]
    segs = []
    for s in (1.0, -1.0):
        # the medial end is wider than the shaft (sternal end), the lateral end flatter
        p = c * np.array([s, 1.0, 1.0])
        rr = r * (1.0 + 0.4 * np.exp(-np.linspace(0, 1, len(p)) / 0.08))
        segs.append(np.column_stack([p[:-1], p[1:], rr[:-1], rr[1:]]))
    segs = np.vstack(segs)
    f.paint(labels, segs, BONE)
    inner = segs.copy()
    inner[:, 6:] -= cortex_mm
    f.paint(labels, inner, _INTERIOR, only=BONE)
    fill_cancellous(labels, _INTERIOR, rng, bone=BONE, soft=SOFT)
    return float(-c[-1, 0])


def fill_cancellous(labels, interior: int, rng, *, bone: int, soft: int,
                    fraction: float = TRABECULAR_BV_TV) -> None:
    """Turn every voxel labelled ``interior`` into ``bone`` with probability ``fraction``
    (default :data:`TRABECULAR_BV_TV`: cancellous bone as a BV/TV mixture), else ``soft``,
    slab by slab of 16 z-slices so temporaries stay small; draws ``rng`` in z-slab order."""
    for z0 in range(0, labels.shape[0], 16):
        slab = labels[z0:z0 + 16]
        inside = slab == interior
        n = int(inside.sum())
        if n:
            slab[inside] = np.where(rng.random(n, dtype=np.float32) < fraction,
                                    np.uint8(bone), np.uint8(soft))


