"""The thoracic cavity and the lungs: rib-cage inner surface, apices, diaphragm domes with
costophrenic recesses, mediastinum and heart carved out, sized to the twin's TLC.

:class:`Cavity` holds every length of the cavity (mm, anatomy coordinates, see
:mod:`.raster`). All of them but the vertebral bodies' (sized by the body height) scale
together, so the lung volume is nearly a homogeneous function of degree 3 of the scale:
:func:`solve_cavity` measures the lung volume of a nominal cavity on a coarse grid and scales
it, repeating the cube-root step, to the target: the TLC plus the lung that the builder's
later painting takes (its estimate, :func:`.painted_lung.painted_lung_loss_estimate_ml`, since
2026-12-06; before, the TLC alone, and the painted lung read 0.4-3.2 % under it). Tests
measure the painted lung and compare it with the drawn TLC and the ERS 1993 equation.

Shape (each a model choice unless cited):

* cross-section at each level: a superellipse (exponent 2.4) of half-width ``a(y)`` and
  half-depth ``b(y)``: a cone from the thoracic inlet (Gray 1918's "about 10 cm") widening
  to the base, under a rounded apex that sits a little posterior (:mod:`.cage_profile`, since
  2026-12-03; before, a blunt dome over a near cylinder);
* diaphragm: two domes (the right higher, :mod:`.anatomy`) whose height falls steeply to the
  lateral and posterior walls so that the costophrenic recesses are acute; the diaphragm is
  higher in front than behind (anterior attachment at the xiphoid ~T9, posterior recess at
  T12: Gray's Anatomy, 41st ed., ch. 53);
* mediastinum: a midline band (superior mediastinal width < 80 mm on PA films: Felson,
  Chest Roentgenology 1973) from the sternum to the spine above the ventricles' top, by
  compartment below it (:mod:`.compartments`, 2026-12-03), and the heart
  (:meth:`Cavity.cardiac`; sizes, placement and sources in :mod:`.cardiac`): the left atrium
  below the carina in front of the oesophagus (2026-12-03, eighth session), the ventricles an
  ellipsoid from inside the left atrium to the apex against the anterior chest wall on the
  diaphragm (ninth session, :meth:`Cavity.with_ventricles`; before, an ellipsoid tilted in
  the frontal plane whose centre lay 0.55 of its vertical half-extent above the left dome's
  top, a ball on the dome with its top at T7), their leftmost point 2/3 of the transverse
  diameter left of the midline, and the right atrium making the right third; the band stops
  at the vertebral bodies' front;
* paravertebral edge (:meth:`Cavity.paravertebral`): beside and in front of the vertebral
  bodies the lung reaches to :data:`PARASPINAL_STRIPE_MM` from the body's surface (the body of
  the level, the painted spine's: Panjabi 1991 end-plate widths 28 -> 40 mm from T1 to T12
  times height / 175 cm, :func:`.skeleton.spine_for`), so that behind the heart the lungs'
  medial edges overlap the spine on a PA film and widen with the bodies down the column.
  Until 2026-12-02 (sixth) this was a box 0.17 x the cavity's base width each side, from 4 mm
  in front of the bodies back, and the band ran back to the cavity's wall: behind the bodies
  the lung stopped 21-28 mm (below the hila) to ~30 mm (above) from the midline;
* junctions (:meth:`Cavity.anterior_junction`, :meth:`Cavity.azygo_oesophageal`, 2026-12-02
  sixth session): behind the sternum, from the manubriosternal joint to the heart's top and
  within the retrosternal clear space's depth, the lungs meet :data:`ANTERIOR_JUNCTION_MM`
  apart (the anterior junction line); below the azygos arch the right lung reaches in front
  of the vertebral bodies to the oesophagus's right wall (the azygo-oesophageal recess).
  Before, the band was 30-45 mm wide at every depth from the sternum to the spine. The
  posterior junction line (lungs meeting behind the oesophagus above the arch) and the lung
  against the trachea's right wall are drawn in the painted silhouette only
  (:func:`.mediastinum.mediastinum_for`, 2026-12-02 seventh session), not solved on here.

The TLC is solved on this band, edge and junctions and the whole heart (the atria included
since 2026-12-03; before, the right atrium was painted over solved lung); the painted lungs
reach in further, to the mediastinal silhouette of :func:`.mediastinum.mediastinum_for` (its
aortopulmonary window, the lung right of the superior vena cava and, above the aortic arch,
beside the trachea and behind the oesophagus).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from .anatomy import (AORTA_DESC_R_MM, GUTTER_OVER_MIN_DEPTH, HALLER_INDEX, HEIGHT_OVER_WIDTH,
                      Thorax)
from .cardiac import (APEX_WALL_MM, ATRIAL_WALL_MM, HEART_AXIS_FRONTAL_DEG,
                      HEART_AXIS_TRANSVERSE_DEG, HEART_PROPORTIONS, LA_AP_MM, LA_BELOW_CARINA_MM,
                      LA_ML_PER_M2, LA_ML_PER_M2_SD, LAA_LENGTH_MM, LAA_ML, RA_ML_PER_M,
                      RETROSTERNAL_DEPTH_MM, VENTRICLE_BASE_IN_LA, body_surface_area_m2,
                      VENTRICLES_MAX_ML_PER_M2, place_ventricles)
from .appendage import left_appendage as _left_appendage, trial_cavities
from .cage_profile import (back_section, front_ap_mm, inside_section, walls,
                           width_fraction)
from .compartments import cavity_mediastinum
from .diaphragm import diaphragm_y
from .skeleton import Spine, spine_for

__all__ = ["Cavity", "solve_cavity", "P_SECTION", "PARASPINAL_STRIPE_MM", "ANTERIOR_JUNCTION_MM",
           "RETROSTERNAL_DEPTH_MM", "AZYGO_OESOPHAGEAL_DEPTH_MM", "OESOPHAGUS_HALF_WIDTH_MM",
           "OESOPHAGUS_LEFT_T10_MM", "OESOPHAGUS_WALL_MM", "RA_ML_PER_M", "LA_ML_PER_M2",
           "LA_ML_PER_M2_SD", "LA_AP_MM", "LA_BELOW_CARINA_MM", "ATRIAL_WALL_MM", "LAA_ML",
           "LAA_LENGTH_MM",
           "VENTRICLE_BASE_IN_LA", "APEX_WALL_MM", "HEART_PROPORTIONS",
           "HEART_AXIS_FRONTAL_DEG", "HEART_AXIS_TRANSVERSE_DEG",
           "body_surface_area_m2"]

#: Superellipse exponent of the cavity cross-section.
P_SECTION = 2.4

#: Paravertebral soft tissue between the vertebral body's surface and the lung (mm): the right
#: paraspinal line lies ~5 mm lateral to the spine on frontal films (Radiopaedia, "Right
#: paraspinal line", C. Hacking, rev. 18 Mar 2020, citing Gupta & Mohan 1979 and Lien &
#: Kolbenstvedt 1982); the left paraspinal line, seen on ~35 % of frontal films, lies from
#: the arch to the diaphragm usually medial to the descending aorta's lateral wall
#: (Radiopaedia, "Left paraspinal line"): the aorta is painted over the lung separately
#: (:func:`.mediastinum.paint_great_vessels`), so one stripe width serves both sides.
PARASPINAL_STRIPE_MM = 5.0

#: Width (mm) of the tissue between the lungs at the anterior junction: four pleural layers
#: and "a small amount of fat" (Radiopaedia, "Anterior junction line", H. Knipe, rev. 31 Mar
#: 2022: a thin line, seen on ~40 % of frontal films; Gibbs JM et al., Radiographics
#: 2007;27:33-48): 2 mm is a model choice for that thin line (two voxels at 1 mm).
ANTERIOR_JUNCTION_MM = 2.0
#: The junction's oblique course crosses the upper two-thirds of the sternum from upper right
#: to lower left and does not extend above the manubriosternal joint (Radiopaedia, same page);
#: it ends where the lungs diverge around the heart (Ryan, Anatomy for Diagnostic Imaging:
#: "always ends at the right ventricular outflow tract"). Drawn from this far right of the
#: midline at the joint to as far left at the heart's top (model choice, inside the sternal
#: body's 30 mm width, :func:`.skeleton.paint_sternum`).
ANTERIOR_JUNCTION_X_MM = 5.0
#: :data:`RETROSTERNAL_DEPTH_MM` (the lungs' junction's depth): in :mod:`.cardiac` since
#: 2026-12-03 (issue-19root13), imported from there.
#: The azygo-oesophageal recess: the right lower lobe's posteromedial part in front of the
#: spine, from the azygos arch to the aortic hiatus, bounded medially by the oesophagus
#: (Radiopaedia, "Azygo-esophageal recess", J. Yap, rev. 27 Apr 2023; Gibbs 2007). Its depth in
#: front of the vertebral bodies (mm; model choice: the oesophagus's depth and the azygos
#: vein's, the heart's ellipsoid bounds it in front anyway):
AZYGO_OESOPHAGEAL_DEPTH_MM = 25.0
#: The collapsed oesophagus about 2 cm across; its centre line at the midline at T5, inclining
#: to the left below to pass the diaphragm left of the midline at T10 (textbook anatomy, from
#: memory of Gray's Anatomy, not checked against the text: model choices); 10 mm left at T10
#: is a model choice (the AER line projects over the spine on PA films).
OESOPHAGUS_HALF_WIDTH_MM = 10.0
OESOPHAGUS_LEFT_T10_MM = 10.0
# Oesophageal wall on CT: thicker than 3 mm counts as thickened (Reinig JW, Stanley JH, Schabel
# SI. AJR 1983;140:931-934, 200 chest CTs, abstract); the collapsed oesophagus is drawn as two
# such walls (:mod:`.mediastinum` above the arch; here behind the left atrium).
OESOPHAGUS_WALL_MM = 3.0

@dataclass(frozen=True)
class Cavity:
    """Lengths of the thoracic cavity (mm); ``y_apex`` is the lung apex level. With ``ctr``
    set, :meth:`scaled` places the ventricles afresh (:meth:`with_ventricles`), as they hang
    between the left atrium (sized by the body, not scaled) and the apex."""

    a0: float            # half inner width at the base
    b0: float            # half depth (posterior gutters to anterior wall)
    height: float        # apex to lateral costophrenic recess
    y_apex: float
    dome_right: float    # dome tops above the costophrenic level
    dome_left: float
    ant_rise: float      # anterior diaphragm above the posterior recess
    med_half: float      # mediastinal half-width (superior)
    spine_front: float   # zd of the vertebral bodies' anterior surface
    heart_c: tuple       # (x, y, zd) centre of the ventricles' ellipsoid
    heart_r: tuple       # its semi-axes (long, breadth, thickness)
    heart_axis: tuple    # unit (x, y, zd) of its long axis, base to apex (not scaled)
    spine_scale: float   # height / 175 cm: sizes the vertebral bodies (not the solved scale)
    la_ml: float = 0.0   # left atrial (blood-pool) volume, mL (not scaled)
    la_ap_mm: float = 0.0  # its AP diameter, mm (not scaled)
    ra_ml: float = 0.0   # right atrial volume, mL (not scaled)
    ctr: float = 0.0     # cardiothoracic ratio; > 0: :meth:`scaled` places the ventricles
    bsa_m2: float = 0.0  # the body's surface area, m^2 (not scaled; 0: not given): sizes the
    #                      pulmonary trunk (:func:`.pulmonary_trunk.trunk_axis`, since 2026-12-05)
    vent_max_ml: float = 0.0  # the ventricles' largest volume, mL (not scaled; 0: no cap)

    @property
    def y_low(self) -> float:
        return self.y_apex + self.height

    def scaled(self, s: float) -> "Cavity":
        """Every length times ``s`` about (0, y_apex + height/2, 0), but the domes' heights
        (drawn in mm from PA films: :func:`.anatomy.thorax_for`)."""
        ym = self.y_apex + 0.5 * self.height
        kw = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if f.name in ("heart_axis", "spine_scale", "la_ml", "la_ap_mm", "ra_ml", "ctr",
                          "bsa_m2", "vent_max_ml", "dome_right", "dome_left"):
                kw[f.name] = v
            elif f.name == "y_apex":
                kw[f.name] = ym + (v - ym) * s
            elif f.name == "heart_c":
                kw[f.name] = (v[0] * s, ym + (v[1] - ym) * s, v[2] * s)
            elif f.name == "heart_r":
                kw[f.name] = tuple(r * s for r in v)
            else:
                kw[f.name] = v * s
        cav = Cavity(**kw)
        return cav.with_ventricles() if cav.ctr > 0.0 else cav

    # -- shape functions (numpy broadcasting over x [..,..,nx], y [..,ny,..], zd [nz,..,..]) --
    def _t(self, y):
        return (np.asarray(y, np.float32) - self.y_apex) / self.height

    def half_width(self, y):     # conical upper cage (:mod:`.cage_profile`)
        return self.a0 * width_fraction(self._t(y))

    def _walls(self, y):
        """(front, back) midline ``zd`` of the walls at ``y`` (:func:`.cage_profile.walls`)."""
        return walls(self, y)

    def front_ap_mm(self, y):
        """Largest distance (mm) of the front wall in front of the vertebral bodies at ``y``
        (:func:`.cage_profile.front_ap_mm`: the sternum's back)."""
        return front_ap_mm(self, y)

    def half_depth(self, y):
        f, b = self._walls(y)
        return 0.5 * (b - f)

    def centre_zd(self, y):
        f, b = self._walls(y)
        return 0.5 * (b + f)

    def back_half_depth(self, y):
        """Half-depth (mm) of the section with its front not held (the cage's back half)."""
        return back_section(self, y)[1]

    def back_centre_zd(self, y):
        """Centre ``zd`` (mm) of that section (:func:`.cage_profile.back_section`)."""
        return back_section(self, y)[0]

    def inside(self, x, y, zd):
        """Inside the rib cage's inner surface (apex included, no floor): inside the section
        with its front held and the one without (:func:`.cage_profile.inside_section`)."""
        return inside_section(self, x, y, zd, P_SECTION)

    def diaphragm_y(self, x, zd):
        """Level (y) of the diaphragm's upper surface over each (x, zd)
        (:func:`.diaphragm.diaphragm_y`)."""
        return diaphragm_y(self, x, zd, p_section=P_SECTION)

    def heart_frame(self) -> np.ndarray:
        """Rows: unit vectors (x, y, zd) of the ventricles' long axis (base to apex), breadth
        and thickness axes; the thickness axis is the vertical's part across the long axis
        (:data:`HEART_PROPORTIONS`)."""
        d = np.asarray(self.heart_axis, np.float64)
        d = d / np.linalg.norm(d)
        f = np.array([0.0, 1.0, 0.0]) - d[1] * d
        f = f / np.linalg.norm(f)
        return np.stack([d, np.cross(d, f), f])

    def _heart_m(self) -> np.ndarray:
        r = np.asarray(self.heart_r, np.float64)
        R = self.heart_frame()
        return R.T @ np.diag(r * r) @ R

    def heart(self, x, y, zd):
        """The ventricles' ellipsoid (long axis :attr:`heart_axis`, :meth:`heart_frame`)."""
        cx, cy, cz = self.heart_c
        ra, rb, rc = self.heart_r
        (d, e, f) = self.heart_frame().astype(np.float32)
        dx = np.asarray(x, np.float32) - cx
        dy = np.asarray(y, np.float32) - cy
        dz = np.asarray(zd, np.float32) - cz
        u = d[0] * dx + d[1] * dy + d[2] * dz
        v = e[0] * dx + e[1] * dy + e[2] * dz
        w = f[0] * dx + f[1] * dy + f[2] * dz
        return (u / ra) ** 2 + (v / rb) ** 2 + (w / rc) ** 2 <= 1.0

    def heart_half_width(self) -> float:
        """Half of the ventricles' transverse (x) extent (mm)."""
        return float(math.sqrt(self._heart_m()[0, 0]))

    def heart_extreme(self, direction) -> np.ndarray:
        """The ventricles' surface point (x, y, zd) farthest along ``direction``."""
        n = np.asarray(direction, np.float64)
        m = self._heart_m()
        return np.asarray(self.heart_c, np.float64) + m @ n / math.sqrt(n @ m @ n)

    def heart_apex(self) -> np.ndarray:
        """The ventricles' apex: the long axis's end (x, y, zd)."""
        return np.asarray(self.heart_c, np.float64) + self.heart_r[0] * self.heart_frame()[0]

    def heart_axis_angles_deg(self) -> tuple:
        """(frontal, transverse) angles (deg) of the long axis as cardiac imaging gives them
        (:data:`HEART_AXIS_FRONTAL_DEG`): the frontal projection below the horizontal to the
        patient's left, the transverse projection in front of the left-right axis."""
        d = self.heart_frame()[0]
        return (math.degrees(math.atan2(d[1], d[0])), math.degrees(math.atan2(-d[2], d[0])))

    def front_zd(self, x: float, y: float) -> float:
        """zd of the cavity's anterior wall at (x, y)."""
        a = max(float(self.half_width(y)), 1e-3)
        b = float(self.half_depth(y))
        u = min(abs(x) / a, 1.0)
        return float(self.centre_zd(y)) - b * (1.0 - u ** P_SECTION) ** (1.0 / P_SECTION)

    def with_ventricles(self) -> "Cavity":
        """This cavity with the ventricles placed (2026-12-03, ninth session): base end in the
        left atrium (:data:`VENTRICLE_BASE_IN_LA`), apex against the anterior wall and on the
        diaphragm (:data:`APEX_WALL_MM`), semi-axes in :data:`HEART_PROPORTIONS` half the
        base-apex distance long (the transverse two shrunk to hold ``vent_max_ml``, 2026-12-05),
        the apex's x found (bisection) so that their leftmost point lies 2/3 of the transverse
        diameter (``ctr`` x ``2 a0``) left of the midline; the right atrium the right third."""
        return place_ventricles(self)

    def right_atrium(self) -> tuple:
        """``(x, y, zd, (rx, ry, rz))`` (mm) of the right atrium, an ellipsoid of ``ra_ml``: its
        lateral edge the heart's right border, 1/3 of the transverse diameter right of the
        midline (the right border of the heart on a PA film is the right atrium's: Gray's
        Anatomy, 41st ed., ch. 57), level with and in the depth of the ventricles' rightmost
        point; a sphere where that point lies within 1.6 radii of the border, else stretched
        medially (same volume) to reach 0.4 radii into the ventricles (model choice: one
        heart). Before 2026-12-03 (ninth) a sphere on the ventricles' right extent, one radius
        below it. Without ``ctr`` the border is the ventricles' right extent."""
        p = self.heart_extreme((-1.0, 0.0, 0.0))
        r = (3.0 * self.ra_ml * 1000.0 / (4.0 * math.pi)) ** (1.0 / 3.0)
        x_edge = -self.ctr * 2.0 * self.a0 / 3.0 if self.ctr > 0.0 else float(p[0])
        gap = float(p[0]) - x_edge + 0.4 * r
        rx = max(r, 0.5 * gap)
        ryz = math.sqrt(r ** 3 / rx)
        return (x_edge + rx, float(p[1]), float(p[2]), (rx, ryz, ryz))

    def right_atrium_mask(self, x, y, zd, shrink: float = 0.0, clip: bool = True):
        """Inside the right atrium's ellipsoid (less ``shrink`` mm) and, with ``clip``, inside
        the cavity and above the diaphragm (as painted); empty when ``ra_ml`` is 0."""
        if self.ra_ml <= 0.0:
            return np.zeros(np.broadcast_shapes(np.shape(x), np.shape(y), np.shape(zd)), bool)
        x0, y0, z0, (rx, ry, rz) = self.right_atrium()
        x, y, zd = (np.asarray(v, np.float32) for v in (x, y, zd))
        ball = (((x - x0) / (rx - shrink)) ** 2 + ((y - y0) / (ry - shrink)) ** 2
                + ((zd - z0) / (rz - shrink)) ** 2 <= 1.0)
        if not clip:
            return ball
        return ball & self.inside(x, y, zd) & (y < self.diaphragm_y(x, zd))

    def left_atrium(self) -> tuple:
        """``(x, y, zd, (rx, ry, rz))`` (mm) of the left atrium's outer ellipsoid (blood pool of
        ``la_ml`` plus :data:`ATRIAL_WALL_MM`): AP inner diameter ``la_ap_mm``, transverse and
        supero-inferior inner diameters equal (assumption) so that the interior holds
        ``la_ml``; its roof :data:`LA_BELOW_CARINA_MM` below the carina (the top of T5, as
        :func:`.mediastinum.hila_for`), its back wall directly in front of the collapsed
        oesophagus (two :data:`OESOPHAGUS_WALL_MM`), which lies on the paravertebral stripe
        (:data:`PARASPINAL_STRIPE_MM`) in front of the vertebral bodies; centred on the
        oesophagus's centre line (:meth:`azygo_oesophageal`) at its level."""
        sp = self.spine()
        rz_in = 0.5 * self.la_ap_mm
        r_in = math.sqrt(3.0 * self.la_ml * 1000.0 / (4.0 * math.pi * rz_in))
        w = ATRIAL_WALL_MM
        rx = ry = r_in + w
        rz = rz_in + w
        y0 = sp.tops[sp.level("T5")]
        cy = y0 + LA_BELOW_CARINA_MM + ry
        back = self.spine_front - PARASPINAL_STRIPE_MM - 2.0 * OESOPHAGUS_WALL_MM
        y10 = sp.mid_y(sp.level("T10"))
        cx = OESOPHAGUS_LEFT_T10_MM * min(max((cy - y0) / (y10 - y0), 0.0), 1.0)
        return (cx, cy, back - rz, (rx, ry, rz))

    def left_atrium_mask(self, x, y, zd, shrink: float = 0.0):
        """Inside the left atrium's outer ellipsoid less ``shrink`` mm on every semi-axis (its
        interior with ``shrink`` = :data:`ATRIAL_WALL_MM`); empty when ``la_ml`` is 0."""
        if self.la_ml <= 0.0:
            return np.zeros(np.broadcast_shapes(np.shape(x), np.shape(y), np.shape(zd)), bool)
        x0, y0, z0, (rx, ry, rz) = self.left_atrium()
        x, y, zd = (np.asarray(v, np.float32) for v in (x, y, zd))
        return (((x - x0) / (rx - shrink)) ** 2 + ((y - y0) / (ry - shrink)) ** 2
                + ((zd - z0) / (rz - shrink)) ** 2 <= 1.0)

    def left_appendage(self) -> tuple:
        """``(centre, axis, a, b)`` (mm) of the left atrial appendage's outer prolate ellipsoid:
        :func:`.appendage.left_appendage` (horizontal, forward-left beside the pulmonary trunk's
        left side since 2026-12-03, issue-19base14; on issue-19root13 tilted down at 45 deg)."""
        return _left_appendage(self)

    def left_appendage_mask(self, x, y, zd, shrink: float = 0.0):
        """Inside the appendage's outer ellipsoid less ``shrink`` mm on both semi-axes; empty
        when ``la_ml`` is 0."""
        if self.la_ml <= 0.0:
            return np.zeros(np.broadcast_shapes(np.shape(x), np.shape(y), np.shape(zd)), bool)
        (cx, cy, cz), (ux, uy, uz), a, b = self.left_appendage()
        dx = np.asarray(x, np.float32) - cx
        dy = np.asarray(y, np.float32) - cy
        dz = np.asarray(zd, np.float32) - cz
        t = ux * dx + uy * dy + uz * dz
        r2 = dx * dx + dy * dy + dz * dz - t * t
        return (t / (a - shrink)) ** 2 + r2 / (b - shrink) ** 2 <= 1.0

    def cardiac(self, x, y, zd):
        """The whole heart as the lungs see it: the ventricles' ellipsoid (:meth:`heart`) and
        the atria (:meth:`left_atrium_mask` with :meth:`left_appendage_mask`,
        :meth:`right_atrium_mask`), and the tissue under the ventricles and the right atrium
        down to the diaphragm (:meth:`under_heart`). The TLC is solved
        with it carved out (since 2026-12-03; before, only the ellipsoid)."""
        # the lung is inside the cavity and above the diaphragm anyway: no clipping needed
        return (self.heart(x, y, zd) | self.left_atrium_mask(x, y, zd)
                | self.left_appendage_mask(x, y, zd)
                | self.right_atrium_mask(x, y, zd, clip=False) | self.under_heart(x, y, zd))

    def under_heart(self, x, y, zd):
        """Between the ventricles or the right atrium and the diaphragm: no lung (2026-12-03,
        ninth session). The heart's inferior (diaphragmatic) surface lies on the central
        tendon, the pericardium fused to it ("Human Body Construction", chestofbooks.com, "The
        Heart": "below it rests on the central tendon of the diaphragm"), and the inferior vena
        cava enters the right atrium through it. The ventricles here hang from the left atrium,
        their lowest point 10-20 mm above the left dome's top; so each ellipsoid's lower half
        is stretched down (``y`` only) until it reaches 5 mm into the diaphragm under its centre:
        tissue (pericardial fat, cardiophrenic fat pads, the vena cava; soft tissue where
        painted; model choice), so that on the PA film the heart's borders curve down to the
        domes."""
        x, y, zd = (np.asarray(v, np.float32) for v in (x, y, zd))
        r = np.asarray(self.heart_r, np.float64)
        R = self.heart_frame()
        out = self._skirt(x, y, zd, self.heart_c, R.T @ np.diag(1.0 / (r * r)) @ R,
                          math.sqrt(self._heart_m()[1, 1]))
        if self.ra_ml > 0.0:
            x0, y0, z0, (rx, ry, rz) = self.right_atrium()
            out = out | self._skirt(x, y, zd, (x0, y0, z0),
                                    np.diag([1.0 / rx ** 2, 1.0 / ry ** 2, 1.0 / rz ** 2]), ry)
        return out

    def _skirt(self, x, y, zd, c, A, ext_y):
        """The lower half of the ellipsoid ``(p - c)^T A (p - c) <= 1`` (vertical half-extent
        ``ext_y``) stretched along ``y`` to 5 mm below the diaphragm under ``c``."""
        depth = float(self.diaphragm_y(np.float32(c[0]), np.float32(c[2]))) + 5.0 - c[1]
        s = np.float32(ext_y / max(depth, ext_y))
        A = np.asarray(A, np.float32)
        d = (x - np.float32(c[0]), (y - np.float32(c[1])) * s, zd - np.float32(c[2]))
        q = sum(A[i, j] * d[i] * d[j] for i in range(3) for j in range(3))
        return (q <= 1.0) & (d[1] > 0.0)

    def spine(self) -> Spine:
        """The vertebral column of this cavity (:func:`.skeleton.spine_for`, as painted)."""
        return spine_for(self.y_apex, self.y_low, self.spine_front, self.spine_scale)

    def paravertebral(self, x, y, zd):
        """Vertebral bodies plus :data:`PARASPINAL_STRIPE_MM` around them, no lung there.

        At each ``y`` the body of that level (width ``w`` and depth ``d`` interpolated between
        the levels' mid-heights, as :func:`.skeleton.paint_spine` draws it: an ellipse) grown
        by the stripe: in front of the body's centre the lung follows the grown ellipse; from
        the centre back it stays at ``w / 2 + stripe`` from the midline (the paraspinal line,
        the posterior gutter beside the spine down to the cavity's back wall)."""
        sp = self.spine()
        ym = np.array([sp.mid_y(k) for k in range(len(sp.tops))], np.float32)
        y = np.asarray(y, np.float32)
        s = PARASPINAL_STRIPE_MM
        hw = 0.5 * np.interp(y, ym, np.array(sp.widths, np.float32)).astype(np.float32) + s
        hd = 0.5 * np.interp(y, ym, np.array(sp.depths, np.float32)).astype(np.float32)
        cz = self.spine_front + hd
        u = (np.asarray(zd, np.float32) - cz) / (hd + s)
        half = hw * np.sqrt(np.clip(1.0 - np.minimum(u, 0.0) ** 2, 0.0, 1.0))
        return (np.abs(np.asarray(x, np.float32)) <= half) & (u >= -1.0)

    def mediastinum(self, x, y, zd, junction_mm: float = ANTERIOR_JUNCTION_MM):
        """The mediastinum between the lungs, by compartment
        (:func:`.compartments.cavity_mediastinum`); ``junction_mm`` the anterior junction's
        tissue width (mm)."""
        return cavity_mediastinum(
            self, x, y, zd, junction_mm=junction_mm, junction_x_mm=ANTERIOR_JUNCTION_X_MM,
            oesophagus_half_mm=OESOPHAGUS_HALF_WIDTH_MM,
            oesophagus_left_t10_mm=OESOPHAGUS_LEFT_T10_MM,
            recess_depth_mm=AZYGO_OESOPHAGEAL_DEPTH_MM)

    def heart_top_y(self) -> float:
        """Level (y) of the top of the ventricles' ellipsoid."""
        return float(self.heart_extreme((0.0, -1.0, 0.0))[1])

    def anterior_junction(self, x, y, zd, junction_mm: float = ANTERIOR_JUNCTION_MM):
        """Lung in the band behind the sternum: the anterior junction.

        From the manubriosternal joint (the sternal angle, :func:`.skeleton.sternum_levels`)
        down to the heart's top the band keeps only ``junction_mm``
        (:data:`ANTERIOR_JUNCTION_MM`) around a line running from
        :data:`ANTERIOR_JUNCTION_X_MM` right to left of the midline; above the joint the lungs
        diverge (the band's full width one vertebral pitch higher). In depth the lung reaches
        back from the cavity's front wall over half an ellipse in the sagittal plane, from one
        pitch above the joint to the heart's top, :data:`RETROSTERNAL_DEPTH_MM` deep half-way.
        Returns the part of the band that is lung here."""
        sp = self.spine()
        y_angle = sp.tops[sp.level("T5")]
        y_top = y_angle - sp.pitches[sp.level("T4")]
        y_bot = self.heart_top_y()
        y = np.asarray(y, np.float32)
        front = self.centre_zd(y) - self.half_depth(y)
        # sagittal section: half an ellipse behind the sternum, RETROSTERNAL_DEPTH_MM deep
        # half-way down, shallowing to nothing at y_top and y_bot (the ascending aorta's and
        # the right ventricular outflow's convex fronts bound the clear space; shape a model
        # choice; a constant depth drew a rectangle on the lateral)
        w = (y - 0.5 * (y_top + y_bot)) / max(0.5 * (y_bot - y_top), 1.0)
        depth = RETROSTERNAL_DEPTH_MM * np.sqrt(np.clip(1.0 - w * w, 0.0, 1.0))
        slab = (zd < front + depth) & (y >= y_top) & (y <= y_bot)
        s = np.clip((y - y_angle) / max(y_bot - y_angle, 1.0), 0.0, 1.0)
        xc = ANTERIOR_JUNCTION_X_MM * (2.0 * s - 1.0)
        # half-gap: the junction's half-width below the joint, growing to the band's
        # half-width (here taken as the cavity's med_half) at y_top
        v = np.clip((y_angle - y) / max(y_angle - y_top, 1.0), 0.0, 1.0)
        gap = 0.5 * junction_mm + v * max(self.med_half - 0.5 * junction_mm, 0.0)
        return slab & (np.abs(x - xc) > gap)

    def azygo_oesophageal(self, x, y, zd):
        """Right lung in the band in front of the spine below the azygos arch: the
        azygo-oesophageal recess.

        From the carina's level (the top of T5; the azygos arch crosses above the right main
        bronchus) down, its top an arc over one vertebral pitch, within
        :data:`AZYGO_OESOPHAGEAL_DEPTH_MM` in front of the vertebral bodies, the band's right
        part up to the oesophagus's right wall: the oesophagus
        :data:`OESOPHAGUS_HALF_WIDTH_MM` about a centre line at the midline at T5 that
        moves :data:`OESOPHAGUS_LEFT_T10_MM` to the left by T10 and stays there. Returns the
        part of the band that is lung here (the heart's ellipsoid is carved out separately)."""
        sp = self.spine()
        y0 = sp.tops[sp.level("T5")]
        y10 = sp.mid_y(sp.level("T10"))
        y = np.asarray(y, np.float32)
        xo = OESOPHAGUS_LEFT_T10_MM * np.clip((y - y0) / (y10 - y0), 0.0, 1.0)
        edge = xo - OESOPHAGUS_HALF_WIDTH_MM
        # under the arch the recess's top is an arc convex to the left (Radiopaedia): over one
        # vertebral pitch the edge comes in from beyond the band (1.2 med_half) as a quarter
        # ellipse
        u = np.clip((y - y0) / sp.pitches[sp.level("T5")], 0.0, 1.0)
        edge = edge - (edge + 1.2 * self.med_half) * (1.0 - np.sqrt(1.0 - (1.0 - u) ** 2))
        return ((y >= y0) & (zd >= self.spine_front - AZYGO_OESOPHAGEAL_DEPTH_MM)
                & (x < edge))

    def descending_aorta(self, x, y, zd):
        """The descending aorta left of the spine, from T5 down (the course
        :func:`.mediastinum.paint_great_vessels` paints over the lung; here so that the TLC is
        solved without the lung it displaces)."""
        r = AORTA_DESC_R_MM
        sp = self.spine()
        k6 = sp.level("T6")
        xd = 0.5 * sp.widths[k6] + r - 4.0
        y0, y1 = sp.tops[sp.level("T5")], self.y_low + 20.0
        y = np.asarray(y, np.float32)
        zc = sp.centre_zd(k6) - 4.0 - 6.0 * np.clip((y - y0) / (y1 - y0), 0.0, 1.0)
        dx = np.asarray(x, np.float32) - xd
        dz = np.asarray(zd, np.float32) - zc
        return (dx * dx + dz * dz <= r * r) & (y >= y0)

    def lung(self, x, y, zd):
        """Lung (pleural space) mask."""
        m = self.inside(x, y, zd)
        m = m & (np.asarray(y) < self.diaphragm_y(x, zd))
        m = m & ~self.mediastinum(x, y, zd)
        m = m & ~self.cardiac(x, y, zd)
        return m

    def bounds(self):
        """(lo, hi) anatomy box of the cavity."""
        return ((-self.a0 - 1, self.y_apex - 1, -self.b0 * 1.2 - 1),
                (self.a0 + 1, self.y_low + 1, self.b0 * 1.2 + 1))

    def lung_volume_ml(self, step_mm: float, slab: int = 16) -> float:
        """Lung volume on a grid of ``step_mm`` (mL), counted ``slab`` depth planes at a time.

        The masks are element-wise, so a slab of planes counts the same points as one plane at
        a time did until 2026-12-06 (fewer Python calls; the twins' bytes are unchanged:
        ``benchmarks/chest_build_time.py``)."""
        lo, hi = self.bounds()
        xs = np.arange(lo[0], hi[0], step_mm, dtype=np.float32)[None, None, :]
        ys = np.arange(lo[1], hi[1], step_mm, dtype=np.float32)[None, :, None]
        zs = np.arange(lo[2], hi[2], step_mm, dtype=np.float32)[:, None, None]
        n = 0
        for k in range(0, len(zs), slab):
            n += int(np.count_nonzero(self.lung(xs, ys, zs[k:k + slab])))
        return n * step_mm ** 3 / 1000.0


def nominal_cavity(th: Thorax, a0: float = 140.0) -> Cavity:
    """The cavity's shape at half-width ``a0`` (the scale is solved afterwards)."""
    height = HEIGHT_OVER_WIDTH * 2.0 * a0
    d_min = 2.0 * a0 / HALLER_INDEX                   # sternum to vertebral body, midline
    b0 = 0.5 * GUTTER_OVER_MIN_DEPTH * d_min
    y_apex = -0.5 * height
    spine_front = -b0 + d_min
    # dome heights above the lateral costophrenic recess: drawn in mm from PA films
    # (:func:`.anatomy.thorax_for`, Alghamdi 2021 and Felson 1973), not scaled with the cavity
    dome_left = th.dome_height_mm
    dome_right = dome_left + th.right_dome_raise_mm
    ant_rise = 0.25 * a0
    med_half = 0.20 * a0
    # the atria (2026-12-03): the left atrium by body surface area, the right by height; the
    # ventricles (ninth session) between the left atrium and the apex, their transverse
    # extent with the right atrium's the CTR x the inner thoracic width (2 a0)
    body = th.body
    bsa = body_surface_area_m2(body.height_cm, body.weight_kg)
    cav = Cavity(a0=a0, b0=b0, height=height, y_apex=y_apex, dome_right=dome_right,
                 dome_left=dome_left, ant_rise=ant_rise, med_half=med_half,
                 spine_front=spine_front, heart_c=(0.0, 0.0, 0.0), heart_r=(1.0, 1.0, 1.0),
                 heart_axis=(1.0, 1.0, -1.0), spine_scale=body.height_cm / 175.0,
                 la_ml=LA_ML_PER_M2[body.sex] * bsa, la_ap_mm=LA_AP_MM[body.sex],
                 ra_ml=RA_ML_PER_M[body.sex] * body.height_cm / 100.0, ctr=th.ctr,
                 bsa_m2=bsa, vent_max_ml=VENTRICLES_MAX_ML_PER_M2[body.sex] * bsa)
    return cav.with_ventricles()


def solve_cavity(th: Thorax, step_mm: float = 4.0, rtol: float = 0.003,
                 extra_ml: float = 0.0) -> Cavity:
    """The cavity whose lung volume equals ``th.tlc_ml`` plus ``extra_ml`` (mL; the volume the
    builder's painting takes from this lung: the builder passes
    :func:`.painted_lung.painted_lung_loss_estimate_ml`) on a
    ``step_mm`` grid, within ``rtol`` (scaled nominal shape).

    The vertebral bodies keep their size (height / 175 cm) while the rest scales, so the volume
    is not exactly cubic in the scale: the cube-root step is repeated until the coarse count is
    within ``rtol`` of the target (2-3 counts, in :func:`.appendage.trial_cavities`)."""
    target = th.tlc_ml + extra_ml
    cav = nominal_cavity(th)
    with trial_cavities():
        for _ in range(4):
            if abs((v := cav.lung_volume_ml(step_mm)) / target - 1.0) <= rtol:
                break
            cav = cav.scaled((target / v) ** (1.0 / 3.0))
    return cav
