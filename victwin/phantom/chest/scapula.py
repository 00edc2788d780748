"""Scapulae: thin plates in the scapular plane on the posterior chest wall.

Each scapula is built in its own frame (Wu et al. 2005, the ISB shoulder convention): ``u``
along the spine of the scapula from the trigonum spinae (TS, where the spine meets the medial
border) towards the acromion, ``v`` in the blade's plane pointing down, ``w`` the blade's
normal pointing back. The frame is turned from the body's axes by the scapulothoracic angles
of standing adults (internal rotation about the vertical, upward rotation about the blade's
normal, anterior tilt about the spine axis), so the blade lies ~30 degrees anterior to the
coronal plane and a lateral ray crosses it obliquely instead of along a bar.

Parts (sizes x the body height / 175 cm, see :data:`SCAPULA_SCALE_NOTE`): the blade (a
:data:`BLADE_MM` plate), medial and lateral borders (rods of the published thicknesses), the
glenoid head (an ellipsoid of the glenoid's height and the head's thickness), the spine (a
plate standing off the blade's back, as wide as published at 1 cm, 4 cm and the spinoglenoid
notch) and the acromion (a plate of the published length, width and thickness). Borders,
head and acromion are a cortical shell around cancellous bone; blade and spine are solid
plates, dithered to their thickness when thinner than a voxel.

Positioning (:data:`POSITIONINGS`, the chest recipe's ``scapulae.positioning``): ``"neutral"``
is the standing posture above (arms at the sides). ``"pa"`` (the default since 2026-12-05) is
the PA chest radiograph's: the backs of the hands on the hips and the shoulders rolled forward
against the detector, which turns the scapulae out of the lung fields (the radiographic
positioning textbooks); the image criterion of the film is "medial border of the scapulae to
be outside the lung fields" (CEC EUR 16260, 1996). No study measuring the scapula in that
posture was found (the one cadaver protraction study read, Peeters et al. 2023, moves it
passively, +7 deg of internal rotation), so each neutral blade glides around the cage
(:func:`glide`: a rotation about the thorax's long axis, internal rotation growing by the
glide, upward rotation and tilt kept) by the smallest angle that meets the criterion
(:func:`pa_glide_deg`). In chest/adult seeds 0-3 and the three test bodies that is 38-41 deg
(internal rotation 67.5-70 deg), the trigonum spinae 75-93 mm further out, the acromion's
corner 79-96 mm forward: far more than the cadaver's passive protraction (NOTES,
2026-12-05).

References
----------
von Schroeder HP, Kuiper SD, Botte MJ. Osseous anatomy of the scapula. Clin Orthop Relat Res
2001;(383):131-139 (abstract: 15 pairs; superior-inferior angle 155 +/- 16 mm; spine from the
medial edge to the acromion's lateral edge 134 +/- 12 mm; spine width 7 +/- 1 and 18 +/- 3 mm
at 1 and 4 cm from the medial edge, 46 +/- 6 mm at the spinoglenoid notch; acromion 48 +/- 5
x 22 +/- 4 mm, 9 +/- 1 mm thick; glenoid to acromion 16 +/- 2 mm; glenoid 29 x 36 mm facing
posterior by 8 +/- 4 degrees; head 22 +/- 4 mm thick 1 cm from the glenoid surface).
Yoo JH, Chung ST, Park SJ, Chang JH, Paik DJ. Geometric assessment of scapular thickness by
computed tomography. Clin Shoulder Elbow 2012;15:73-78 (abstract: 102 scapulae; thickness of
the lateral border 13.83 mm, medial border 4.44 mm, middle third of the body 2.06 mm).
Yoshida Y, Matsumura N, Yamada Y, et al. Three-dimensional alignment of the upper extremity in
the standing neutral position in healthy subjects. J Orthop Surg Res 2022;17 (doi
10.1186/s13018-022-03113-5; abstract: upright CT of 158 shoulders; scapulothoracic median
9.2 deg upward rotation (IQR 5.2-12.5), 29.0 deg internal rotation (24.9-33.3), 7.9 deg
anterior tilt (4.3-11.8)).
Sobush DC, Simoneau GG, Dietz KE, et al. The Lennie test for measuring scapular position in
healthy young adult females. J Orthop Sports Phys Ther 1996;23:39-50 (literature review as
quoted on scite.ai: medial borders 5.08 cm from the spinous processes (Hoppenfeld); superior
angle at the 2nd rib, inferior angle at the 7th rib (Gray, Hoppenfeld); the root of the
spine at the level of the T3 spinous process (Hoppenfeld)).
Latif MS, et al. Morphometric study of the length and the breadth of the scapula in a
Bangladeshi population. CBMJ 2025;14(2):141-145 (150 dry scapulae: breadth, medial border at
the spine to the glenoid's lower outer border, 100.1 +/- 8.2 mm; length 136.6 +/- 12.0 mm).
European Commission. European guidelines on quality criteria for diagnostic radiographic
images. EUR 16260 EN, 1996 (chest PA image criteria; the criterion as worded in the Royal
College of Radiologists' AuditLive "Adapted anatomical image criteria for PA chest
radiography", adapted from the ACR and EC guidelines: "Medial borders of scapulae to be
outside the lung fields"; the EUR 16260 text itself was not read, only its cover and contents).
Peeters I, Braeckevelt T, Palmans T, Van Tongel A, De Wilde L. Kinematic analysis of
scapulothoracic movements in the shoulder girdle: a whole cadaver study. JSES Int
2023;7(1):147-152 (abstract: 14 cadaveric shoulders, optical navigation; protraction: the
sternoclavicular joint +10 (SD 2) deg towards protraction, the scapulothoracic protraction
(internal rotation) +7 (SD 2) deg, acromioclavicular relative protraction -3 (SD 2) deg).
Ludewig PM, Reynolds JF. The association of scapular kinematics and glenohumeral joint
pathologies. J Orthop Sports Phys Ther 2009;39(2):90-104 (review; scapular protraction as a
curvilinear translation around the thorax made of sternoclavicular protraction and
acromioclavicular internal rotation; read as the PMC author manuscript's abstract).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .cancellous import dither_key, lattice_counter, uniform_at
from .raster import Frame, polyline
from .skeleton import Spine, fill_cancellous

__all__ = ["Scapula", "scapulae_for", "paint_scapulae", "SCAPULA_HEIGHT_MM",
           "SCAPULA_SPINE_MM", "SCAPULA_BREADTH_MM", "SCAPULA_ANGLES_DEG", "BLADE_MM",
           "ACROMION_MM", "SCAPULA_MEDIAL_MM", "POSITIONINGS", "PA_GLIDE_MAX_DEG",
           "glide", "medial_border_margin_mm", "pa_glide_deg", "Placement", "place_scapulae",
           "cage_back_for", "cage_back_array_for"]

# von Schroeder 2001 (module references): superior to inferior angle; spine from the medial
# edge to the acromion's lateral edge; spine width (dorsal projection from the blade) at 1 cm,
# 4 cm and the spinoglenoid notch; acromion length x width x thickness; glenoid superoinferior
# x anteroposterior, its retroversion; glenoid rim to acromion; head thickness.
SCAPULA_HEIGHT_MM = 155.0
SCAPULA_HEIGHT_SD_MM = 16.0
SCAPULA_SPINE_MM = 134.0
SCAPULA_SPINE_SD_MM = 12.0
SPINE_WIDTH_MM = ((10.0, 7.0), (40.0, 18.0))
SPINOGLENOID_WIDTH_MM = 46.0
ACROMION_MM = (48.0, 22.0, 9.0)
GLENOID_MM = (36.0, 29.0)
GLENOID_RETROVERSION_DEG = 8.0
GLENOID_ACROMION_MM = 16.0
HEAD_MM = 22.0
# Latif 2025: breadth, trigonum spinae to the glenoid's outer border (the only breadth found;
# a South Asian sample whose length, 137 mm, is 12 % below von Schroeder's).
SCAPULA_BREADTH_MM = 100.1
# Yoo 2012: body (middle third), medial border and lateral border thickness.
BLADE_MM = 2.06
MEDIAL_BORDER_MM = 4.44
LATERAL_BORDER_MM = 13.83
# Yoshida 2022, standing upright CT, medians: internal rotation (the blade's angle to the
# coronal plane, lateral end forward), upward rotation, anterior tilt.
SCAPULA_ANGLES_DEG = {"internal": 29.0, "upward": 9.2, "tilt": 7.9}
SCAPULA_INTERNAL_IQR_DEG = (24.9, 33.3)
# Hoppenfeld via Sobush 1996: the medial border 50.8 mm (2 in) from the spinous processes;
# the trigonum spinae at the level of the T3 spinous process.
SCAPULA_MEDIAL_MM = 50.8
#: ASSUMPTIONS (no source found): the sizes scale with body height / 175 cm like the spine
#: (von Schroeder's statures are not given; men's scapulae were larger in 19 of 26 measures);
#: the trigonum spinae lies a quarter of the height below the superior angle; the medial
#: border is perpendicular to the spine axis; the superior border bends at 55 % of the way to
#: the glenoid, 15 % of the height above the trigonum; the breadth is taken to the glenoid's
#: centre (Latif measured to its lowest outer point, ~8 mm further here); the spine plate
#: rises 30 degrees from the blade's normal (its dorsal surface facing up and back, not
#: horizontal) and is as thick as the medial border; the acromion is an ellipsoid of the
#: published length, width and thickness running forward from the spine's lateral end; 10 mm
#: of muscle (subscapularis, serratus anterior) between the blade and the rib cage.
SCAPULA_SCALE_NOTE = "height / 175 cm (assumed)"
_TS_FRACTION = 0.25
_SPINE_UP_DEG = 30.0            # the spine plate's rise from the blade normal (assumed)
_WALL_GAP_MM = 10.0
_INTERIOR = 253                 # transient label of the cancellous interiors
#: The scapulae's positionings (:func:`scapulae_for`): ``"neutral"`` standing with the arms at
#: the sides (Yoshida 2022), ``"pa"`` the PA chest radiograph's (backs of the hands on the
#: hips, shoulders rolled forward: the blades glide around the cage until their medial borders
#: lie outside the lung fields, the European image criterion; :func:`pa_glide_deg`).
POSITIONINGS = ("pa", "neutral")
#: The largest glide (deg about the thorax's long axis) :func:`pa_glide_deg` searches: past it
#: the blade would leave the back of the cage (its internal rotation past ~90 deg, the blade
#: sagittal). A search bound, not an anatomical figure.
PA_GLIDE_MAX_DEG = 60.0


@dataclass(frozen=True)
class Scapula:
    """One scapula in anatomy mm: ``side`` (+1 left, -1 right), ``origin`` the trigonum spinae
    ``(x, y, zd)``, ``axes`` the unit vectors ``u`` (spine axis, lateral), ``v`` (down in the
    blade) and ``w`` (blade normal, back) as rows, ``k`` the size factor."""

    side: float
    origin: tuple
    axes: tuple
    k: float

    def point(self, u, v, w=0.0) -> np.ndarray:
        """Anatomy ``(x, y, zd)`` of the local point ``(u, v, w)`` (mm)."""
        a = np.asarray(self.axes)
        return np.asarray(self.origin) + u * a[0] + v * a[1] + w * a[2]

    def outline_uv(self) -> np.ndarray:
        """Blade outline ``(u, v)`` (mm): superior angle, superior border, glenoid neck top
        and bottom, inferior angle (the medial border closes it)."""
        k = self.k
        h = SCAPULA_HEIGHT_MM * k
        ug, vg = self.glenoid_uv()
        half = 0.5 * GLENOID_MM[0] * k
        return np.array([(0.0, -_TS_FRACTION * h), (0.55 * ug, -0.6 * _TS_FRACTION * h),
                         (ug - 0.5 * HEAD_MM * k, vg - half),
                         (ug - 0.5 * HEAD_MM * k, vg + half),
                         (0.0, (1.0 - _TS_FRACTION) * h)])

    def glenoid_uv(self) -> tuple[float, float]:
        """Glenoid centre ``(u, v)``: below the acromion by half its thickness, the glenoid-
        acromion gap and half the glenoid's height; the breadth from the trigonum spinae."""
        k = self.k
        vg = (0.5 * ACROMION_MM[2] + GLENOID_ACROMION_MM + 0.5 * GLENOID_MM[0]) * k
        ug = float(np.sqrt((SCAPULA_BREADTH_MM * k) ** 2 - vg ** 2))
        return ug, vg

    def landmarks(self) -> dict:
        """Named points (anatomy mm): trigonum spinae, superior and inferior angles, glenoid
        centre, the acromion's posterolateral corner and anterior tip."""
        k = self.k
        o = self.outline_uv()
        ug, vg = self.glenoid_uv()
        aa = self.acromion_corner()
        return {"trigonum_spinae": self.point(0, 0), "superior_angle": self.point(*o[0]),
                "inferior_angle": self.point(*o[-1]), "glenoid": self.point(ug, vg),
                "acromion_corner": aa,
                "acromion_tip": aa + ACROMION_MM[0] * k * self.forward()}

    def acromion_corner(self) -> np.ndarray:
        """The spine's lateral end (angulus acromialis): the spine length along ``u``, half
        the spinoglenoid width behind the blade."""
        return np.asarray(self.point(SCAPULA_SPINE_MM * self.k, 0.0)) \
            + 0.5 * SPINOGLENOID_WIDTH_MM * self.k * self.spine_dir()

    def spine_dir(self) -> np.ndarray:
        """Unit vector from the blade to the spine's crest (back and up)."""
        a = np.asarray(self.axes)
        b = np.radians(_SPINE_UP_DEG)
        return np.cos(b) * a[2] - np.sin(b) * a[1]

    def forward(self) -> np.ndarray:
        """Horizontal unit vector along the acromion (the blade normal turned forward)."""
        w = -np.asarray(self.axes[2], float)
        w[1] = 0.0
        return w / np.linalg.norm(w)

    def head_ellipsoid(self) -> tuple:
        """``(centre, axes, half-axes)`` (anatomy mm) of the glenoid head: an ellipsoid of the
        head's thickness and the glenoid's height behind the glenoid's face (its normal the
        spine axis turned back by the retroversion), as :func:`paint_scapulae` paints it."""
        k, a = self.k, np.asarray(self.axes)
        retro = np.radians(GLENOID_RETROVERSION_DEG)
        g_n = np.cos(retro) * a[0] + np.sin(retro) * a[2]       # glenoid face normal
        g_si = a[1]
        g_ap = np.cross(g_n, g_si)
        ga = (0.5 * HEAD_MM * k, 0.5 * GLENOID_MM[0] * k, 0.5 * HEAD_MM * k)
        return self.point(*self.glenoid_uv()) - ga[0] * g_n, (g_n, g_si, g_ap), ga

    def acromion_ellipsoid(self) -> tuple:
        """``(centre, axes, half-axes)`` (anatomy mm) of the acromion: an ellipsoid of the
        published length, width and thickness running forward from the spine's lateral end
        (:meth:`acromion_corner`, :meth:`forward`), as :func:`paint_scapulae` paints it."""
        fw = self.forward()
        up = np.array([0.0, -1.0, 0.0])
        ln, wd, th = (q * self.k for q in ACROMION_MM)
        return (self.acromion_corner() + 0.5 * ln * fw, (fw, np.cross(up, fw), up),
                (0.5 * ln, 0.5 * wd, 0.5 * th))

    def internal_rotation_deg(self) -> float:
        """The blade's internal rotation (deg): the spine axis ``u`` projected on the
        transverse plane, its angle to the coronal plane, lateral end forward (the first of
        the ISB angles :func:`_axes` turns by; Yoshida's 29.0 deg for the neutral blade)."""
        u = np.asarray(self.axes[0], float)
        return float(np.degrees(np.arctan2(-u[2], abs(u[0]))))

    def to_dict(self) -> dict:
        return {"side": self.side, "origin": list(self.origin),
                "axes": [list(a) for a in self.axes], "k": self.k,
                "landmarks": {n: [float(c) for c in p] for n, p in self.landmarks().items()}}


def _axes(side: float) -> np.ndarray:
    """Rows u, v, w: R = Ry(internal) Rz(upward) Rx(tilt) applied to the body axes (left
    scapula: lateral +x, down +y, back +zd), mirrored in x for the right one."""
    a = {n: np.radians(d) for n, d in SCAPULA_ANGLES_DEG.items()}
    ci, si = np.cos(a["internal"]), np.sin(a["internal"])
    cu, su = np.cos(a["upward"]), np.sin(a["upward"])
    ct, st = np.cos(a["tilt"]), np.sin(a["tilt"])
    ry = np.array([[ci, 0, si], [0, 1, 0], [-si, 0, ci]])
    rz = np.array([[cu, su, 0], [-su, cu, 0], [0, 0, 1]])
    rx = np.array([[1, 0, 0], [0, ct, -st], [0, st, ct]])
    r = ry @ rz @ rx
    axes = r.T.copy()                                   # rows: images of the unit vectors
    axes[:, 0] *= side
    return axes


def cage_back_for(cav, rib_depth: float):
    """``cage_back(side, y, x) -> zd`` (mm) of the back of the rib cage (the cavity's section
    grown by ``rib_depth``), as :func:`scapulae_for` places the blades on it (until 2026-12-05 in
    :mod:`.scapular_cover`, which re-exports it)."""

    surface = cage_back_array_for(cav, rib_depth)

    def cage_back(side, y, x):
        return float(surface(x, y))

    return cage_back


def cage_back_array_for(cav, rib_depth: float):
    """``cage_back(x, y) -> zd`` (mm): the surface of :func:`cage_back_for` on numpy arrays
    (``x`` the distance from the midline), for :func:`glide`'s re-seating;
    :func:`cage_back_for` is this surface one point at a time."""

    def cage_back(x, y):
        y = np.asarray(y, float)
        a = np.asarray(cav.half_width(y), float) + rib_depth
        b = np.asarray(cav.half_depth(y), float) + rib_depth
        u = np.minimum(np.abs(np.asarray(x, float)) / a, 1.0)
        return np.asarray(cav.centre_zd(y), float) + b * (1.0 - u ** 2.4) ** (1.0 / 2.4)

    return cage_back


def scapulae_for(sp: Spine, cage_point, *, scale: float, positioning: str = "neutral",
                 cavity=None, cage_back=None) -> list[Scapula]:
    """Both scapulae: the trigonum spinae :data:`SCAPULA_MEDIAL_MM` from the midline at the
    level of the T3 spinous process's tip, the blade moved back until every point of its
    outline and borders clears the rib cage (``cage_point(side, y, x) -> zd`` of the back of
    the cage) by the assumed 10 mm: the ``"neutral"`` posture (standing, arms at the sides).

    ``positioning="pa"``: each blade then glides around the cage (:func:`glide`) by the
    smallest angle that puts its medial border outside the lung field on the PA projection
    (:func:`pa_glide_deg`); ``cavity`` (the :class:`~.lungs.Cavity`, the lung fields' lateral
    edges) and ``cage_back`` (``cage_back(x, y) -> zd``, numpy arrays, the surface
    ``cage_point`` gives) are needed for it. A positioning not in :data:`POSITIONINGS` is a
    one-line ValueError."""
    if positioning not in POSITIONINGS:
        raise ValueError(f"scapula positioning must be one of {', '.join(map(repr, POSITIONINGS))}"
                         f", got {positioning!r}")
    if positioning == "pa" and (cavity is None or cage_back is None):
        raise ValueError("scapula positioning 'pa' needs the cavity and the cage's back surface "
                         f"(cavity={cavity!r}, cage_back={cage_back!r})")
    k = float(scale)
    t3 = sp.level("T3")
    # the spinous process runs from 0.5 to 1.3 pitches below the body's top (paint_spine)
    y_ts = sp.tops[t3] + 1.3 * sp.pitches[t3]
    out = []
    for side in (1.0, -1.0):
        axes = _axes(side)
        origin = np.array([side * SCAPULA_MEDIAL_MM * k, y_ts, 0.0])
        probe = Scapula(side, tuple(origin), tuple(map(tuple, axes)), k)
        o = probe.outline_uv()
        # blade points: outline, borders and the inside on a 10 mm lattice
        uu, vv = np.meshgrid(np.arange(0.0, o[:, 0].max(), 10.0),
                             np.arange(o[:, 1].min(), o[:, 1].max(), 10.0))
        pts = [probe.point(u, v) for u, v in zip(uu.ravel(), vv.ravel())
               if _inside_convex(o, np.array([[u, v]]))[0]]
        pts += [probe.point(u, v) for u, v in o]
        need = max(cage_point(side, float(p[1]), abs(float(p[0]))) + _WALL_GAP_MM - p[2]
                   for p in pts)
        origin[2] += need
        s = Scapula(side, tuple(float(c) for c in origin),
                    tuple(tuple(float(c) for c in a) for a in axes), k)
        if positioning == "pa":
            s = glide(s, cavity, cage_back, pa_glide_deg(s, cavity, cage_back))
        out.append(s)
    return out


@dataclass(frozen=True)
class Placement:
    """The scapulae of a twin (:func:`place_scapulae`): ``scapulae`` (left, right),
    ``positioning`` (:data:`POSITIONINGS`) and ``acromion_forward_mm``, how far (mm, mean of
    the sides) the positioning moved the acromion's tip forward from the neutral posture's (0
    when neutral): the clavicles' acromial ends follow it (the acromioclavicular joint; the
    shoulder's protraction is the sternoclavicular joint's, Ludewig and Reynolds 2009)."""

    scapulae: list
    positioning: str
    acromion_forward_mm: float

    def meta(self, world) -> dict:
        """The phantom's ``meta["scapulae"]``: positioning, internal rotation (deg) per side,
        landmarks in world mm (``world(x, y, zd) -> ndarray``)."""
        return {"positioning": self.positioning,
                "internal_rotation_deg": [s.internal_rotation_deg() for s in self.scapulae],
                "landmarks": [{n: world(*p).tolist() for n, p in s.landmarks().items()}
                              for s in self.scapulae]}


def place_scapulae(sp: Spine, cavity, rib_depth: float, *, scale: float,
                   positioning: str = "neutral") -> Placement:
    """Both scapulae on the cage of ``cavity`` grown by ``rib_depth`` (mm), as
    :func:`scapulae_for` places them for ``positioning``, and the acromia's forward move."""
    cage, cage_a = cage_back_for(cavity, rib_depth), cage_back_array_for(cavity, rib_depth)
    placed = scapulae_for(sp, cage, scale=scale, positioning=positioning, cavity=cavity,
                          cage_back=cage_a)
    fwd = 0.0
    if positioning != "neutral":
        neutral = scapulae_for(sp, cage, scale=scale)
        fwd = float(np.mean([n.landmarks()["acromion_tip"][2] - s.landmarks()["acromion_tip"][2]
                             for n, s in zip(neutral, placed)]))
    return Placement(placed, positioning, fwd)


def _blade_points(s: Scapula) -> np.ndarray:
    """``(n, 3)`` anatomy points of the blade: its inside on a 10 mm lattice and its outline
    (the points :func:`scapulae_for` holds off the cage)."""
    o = s.outline_uv()
    uu, vv = np.meshgrid(np.arange(0.0, o[:, 0].max(), 10.0),
                         np.arange(o[:, 1].min(), o[:, 1].max(), 10.0))
    uv = np.column_stack([uu.ravel(), vv.ravel()])
    uv = np.vstack([uv[_inside_convex(o, uv)], o])
    a = np.asarray(s.axes)
    return np.asarray(s.origin) + uv[:, :1] * a[0] + uv[:, 1:] * a[1]


def glide(s: Scapula, cavity, cage_back, glide_deg: float) -> Scapula:
    """The scapula ``s`` glided around the rib cage by ``glide_deg`` (protraction).

    The blade turns rigidly about the thorax's long (vertical) axis, the cavity's centre line
    at the trigonum spinae's level, lateral end forward: its internal rotation grows by
    ``glide_deg``, upward rotation and tilt stay (no figure was found for their change; the
    cadaver protraction of Peeters et al. 2023 reports the change of internal rotation only).
    Then it is re-seated along the turned back direction so that its points clear the cage's
    back (``cage_back(x, y) -> zd``, arrays) by the same assumed 10 mm as the neutral blade:
    the blade glides on the cage, it neither enters nor leaves it. ASSUMPTION (no source
    found): the glide is a rotation about the thorax's axis (the scapula keeps its attitude to
    the chest wall under it; protraction as a curvilinear translation around the thorax,
    Ludewig and Reynolds 2009)."""
    side = s.side
    ph = np.radians(float(glide_deg)) * side
    c, sn = np.cos(ph), np.sin(ph)
    rot = np.array([[c, 0.0, sn], [0.0, 1.0, 0.0], [-sn, 0.0, c]])   # back (+zd) -> lateral
    o = np.asarray(s.origin, float)
    centre = np.array([0.0, o[1], float(cavity.centre_zd(o[1]))])
    o2 = rot @ (o - centre) + centre
    axes = (rot @ np.asarray(s.axes, float).T).T
    turned = Scapula(side, tuple(o2), tuple(map(tuple, axes)), s.k)
    pts = _blade_points(turned)
    back = rot @ np.array([0.0, 0.0, 1.0])

    def clearance(t):
        q = pts + t * back
        return float(np.min(q[:, 2] - cage_back(np.abs(q[:, 0]), q[:, 1])))

    lo, hi = -300.0, 300.0                 # clearance grows with t (the cage is convex)
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if clearance(mid) < _WALL_GAP_MM else (lo, mid)
    o3 = o2 + hi * back
    return Scapula(side, tuple(float(v) for v in o3),
                   tuple(tuple(float(v) for v in a) for a in axes), s.k)


def medial_border_margin_mm(s: Scapula, cavity) -> float:
    """How far (mm) the medial border lies outside the lung field on a PA projection, at its
    worst point: the least ``|x| - r - a(y)`` along the border (superior to inferior angle,
    41 points within the lung's height), ``r`` the border's radius (:data:`MEDIAL_BORDER_MM`
    / 2 x size) and ``a(y)`` the cavity's half-width (the lung's lateral edge). Negative: the
    border overlies the lung. Parallel projection along ``zd``; the PA beam's divergence
    projects the scapulae, further from the detector than the lung's edge, a few per cent
    further out, so the margin is a lower bound."""
    o = s.outline_uv()
    f = np.linspace(0.0, 1.0, 41)[:, None]
    uv = o[0] + f * (o[-1] - o[0])
    a = np.asarray(s.axes)
    p = np.asarray(s.origin) + uv[:, :1] * a[0] + uv[:, 1:] * a[1]
    inside = (p[:, 1] > cavity.y_apex) & (p[:, 1] < cavity.y_low)
    if not inside.any():
        return float("inf")
    p = p[inside]
    edge = np.asarray(cavity.half_width(p[:, 1]), float)
    return float(np.min(np.abs(p[:, 0]) - 0.5 * MEDIAL_BORDER_MM * s.k - edge))


def pa_glide_deg(s: Scapula, cavity, cage_back) -> float:
    """The smallest glide (deg, :func:`glide`) that puts the medial border of the neutral
    scapula ``s`` outside the lung field on the PA projection (:func:`medial_border_margin_mm`
    >= 0), found by bisection to 0.01 deg within [0, :data:`PA_GLIDE_MAX_DEG`] (the bound
    itself when even it leaves the border over the lung; no twin built so far needs more than
    41 deg).

    The target is the image criterion of a PA chest radiograph: "medial border of the
    scapulae to be outside the lung fields" (CEC, European guidelines on quality criteria for
    diagnostic radiographic images, EUR 16260, 1996; as adopted in the Royal College of
    Radiologists' AuditLive "Adapted anatomical image criteria for PA chest radiography"),
    reached by the standard positioning (backs of the hands on the hips, shoulders rolled
    forward against the detector: the radiographic positioning textbooks, e.g. Bontrager's).
    No study measuring the scapula's position in that posture was found, so the glide is
    solved from the criterion, not taken from a kinematic figure (NOTES, 2026-12-05)."""
    if medial_border_margin_mm(s, cavity) >= 0.0:
        return 0.0
    lo, hi = 0.0, PA_GLIDE_MAX_DEG
    if medial_border_margin_mm(glide(s, cavity, cage_back, hi), cavity) < 0.0:
        return hi
    while hi - lo > 0.01:
        mid = 0.5 * (lo + hi)
        if medial_border_margin_mm(glide(s, cavity, cage_back, mid), cavity) < 0.0:
            lo = mid
        else:
            hi = mid
    return hi


def _inside_convex(poly: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Points ``(n, 2)`` inside the convex polygon ``poly`` (either winding)."""
    nxt = np.roll(poly, -1, axis=0)
    area2 = np.sum(poly[:, 0] * nxt[:, 1] - nxt[:, 0] * poly[:, 1])
    inside = np.ones(len(pts), bool)
    for a, b in zip(poly, nxt):
        c = (b[0] - a[0]) * (pts[:, 1] - a[1]) - (b[1] - a[1]) * (pts[:, 0] - a[0])
        inside &= c * np.sign(area2) >= 0
    return inside


def _spine_width(u: np.ndarray, k: float, u_notch: float) -> np.ndarray:
    """Dorsal width (mm) of the spine at ``u``: von Schroeder's 7, 18 and 46 mm at 1 cm, 4 cm
    and the spinoglenoid notch, linear between, 0 at the trigonum spinae."""
    (u1, w1), (u2, w2) = SPINE_WIDTH_MM
    return np.interp(u, [0.0, u1 * k, u2 * k, u_notch], [0.0, w1 * k, w2 * k,
                                                          SPINOGLENOID_WIDTH_MM * k])


def paint_scapulae(labels, f: Frame, scapulae, rng, *, BONE: int, SOFT: int,
                   cortex_mm: float, body=None) -> None:
    """Paint the scapulae (:func:`scapulae_for`) into ``labels``: blade and spine plates
    (solid bone; thinner than a voxel they are a voxel thick and dithered with ``rng`` to the
    published thickness), borders, glenoid head and acromion (``cortex_mm`` shells around
    cancellous bone, :func:`~.skeleton.fill_cancellous` with ``rng``). ``body``: the labels
    the plates, head and acromion may replace (the trunk's; the twin has no arms, so the
    shoulder's skin can cut the acromion), None for any.

    Every dither is keyed by position (:func:`.cancellous.uniform_at` of the voxel's place on
    the anatomy's voxel lattice, :func:`.cancellous.lattice_counter`, whatever the grid's
    extent): ``rng`` gives a fixed number of keys, whatever the bones' sizes."""
    vox = float(min(f.grid.spacing))
    # one key for the blade's, one for the spine's plate dither (independent where they meet)
    plate_keys = (dither_key(rng), dither_key(rng))
    for s in scapulae:
        k = s.k
        a = np.asarray(s.axes)
        o = np.asarray(s.origin)
        poly = s.outline_uv()
        ug, vg = s.glenoid_uv()
        u_notch = ug - 0.5 * HEAD_MM * k
        h = SCAPULA_HEIGHT_MM * k
        corners = [s.point(u, v, w) for u in (-5.0, SCAPULA_SPINE_MM * k + 5.0)
                   for v in (-0.3 * h - 10.0, h) for w in (-30.0, SPINOGLENOID_WIDTH_MM * k + 5)]
        corners = np.array(corners)
        lo, hi = corners.min(axis=0), corners.max(axis=0)

        e_s = s.spine_dir()
        e_m = np.cross(a[0], e_s)
        rows = np.vstack([a, e_s, e_m]).tolist()          # Python floats keep float32 math
        oo = o.tolist()

        def local(x, y, z):
            d = (x - oo[0], y - oo[1], z - oo[2])
            return [d[0] * r[0] + d[1] * r[1] + d[2] * r[2] for r in rows]

        def plates(x, y, z):
            q = local(x, y, z)
            shape = np.broadcast_shapes(*(np.shape(c) for c in q))
            u, v, w, sd, sm = (np.broadcast_to(c, shape) for c in q)
            blade = np.abs(w) <= 0.5 * max(BLADE_MM, vox)
            if blade.any():
                blade[blade] = _inside_convex(poly, np.column_stack([u[blade], v[blade]]))
            spine = (np.abs(sm) <= 0.5 * max(MEDIAL_BORDER_MM, vox)) & (u >= 0) \
                & (u <= SCAPULA_SPINE_MM * k) & (sd <= SPINOGLENOID_WIDTH_MM * k) \
                & (sd >= np.where(u <= u_notch, 0.0, 0.25 * SPINOGLENOID_WIDTH_MM * k))
            spine &= sd <= _spine_width(u, k, u_notch)
            # plates thinner than a voxel: one voxel thick, kept with the thickness ratio
            for m, t, key in ((blade, BLADE_MM, plate_keys[0]),
                              (spine, MEDIAL_BORDER_MM, plate_keys[1])):
                if t < vox and m.any():
                    wz, wy, wx = np.nonzero(m)
                    # the box's first voxel: x, y, z are Frame.box's slices of f.x, f.y, f.zd
                    iz0 = int(np.searchsorted(f.zd, np.ravel(z)[0]))
                    iy0 = int(np.searchsorted(f.y, np.ravel(y)[0]))
                    ix0 = int(np.searchsorted(f.x, np.ravel(x)[0]))
                    index = lattice_counter(f, wz + iz0, wy + iy0, wx + ix0)
                    m[wz, wy, wx] = uniform_at(key, index) < t / vox
            return blade | spine

        # the box in slabs of 16 z-planes (temporaries stay small at 0.5 mm)
        step = 16 * float(f.grid.spacing[0])
        for z0 in np.arange(lo[2], hi[2], step):
            f.paint_mask(labels, (lo[0], lo[1], z0), (hi[0], hi[1], min(z0 + step, hi[2])
                                                     - 1e-3), plates, BONE, only=body)
        # borders (rods), glenoid head (ellipsoid) and acromion (box): shells + cancellous
        segs = np.vstack([
            polyline([s.point(*poly[0]), s.point(*poly[-1])], 0.5 * MEDIAL_BORDER_MM * k),
            polyline([s.point(*poly[3]), s.point(*poly[-1])], 0.5 * LATERAL_BORDER_MM * k,
                     0.5 * MEDIAL_BORDER_MM * k)])
        f.paint(labels, segs, BONE)
        inner = segs.copy()
        inner[:, 6:] -= cortex_mm
        f.paint(labels, inner[inner[:, 6] > 0.5 * vox], _INTERIOR, only=BONE)
        _paint_box_or_ellipsoid(labels, f, *s.head_ellipsoid(), BONE, cortex_mm, body)
        _paint_box_or_ellipsoid(labels, f, *s.acromion_ellipsoid(), BONE, cortex_mm, body)
    fill_cancellous(labels, _INTERIOR, rng, frame=f, bone=BONE, soft=SOFT)


def _paint_box_or_ellipsoid(labels, f: Frame, c, axes, half, BONE: int, cortex_mm: float,
                            body) -> None:
    """An ellipsoid of half-axes ``half`` (mm) along the unit ``axes`` around ``c``, painted
    BONE over the ``body`` labels, its inside (``cortex_mm`` in) the transient interior."""
    c = np.asarray(c, float)
    r = float(max(half))
    lo, hi = c - r - 1.0, c + r + 1.0

    def inside(x, y, z, shrink):
        q = [((x - c[0]) * e[0] + (y - c[1]) * e[1] + (z - c[2]) * e[2]) / max(hh - shrink, 1e-3)
             for e, hh in zip(axes, half)]
        return q[0] ** 2 + q[1] ** 2 + q[2] ** 2 <= 1.0

    only = None if body is None else tuple(body) + (BONE,)
    f.paint_mask(labels, lo, hi, lambda x, y, z: inside(x, y, z, 0.0), BONE, only=only)
    if min(half) > cortex_mm:
        f.paint_mask(labels, lo, hi, lambda x, y, z: inside(x, y, z, cortex_mm), _INTERIOR,
                     only=BONE)
