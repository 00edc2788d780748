"""``make_chest``: a chest twin in named steps, each a function of the previous ones' records.

Steps (:data:`STEPS`, the names the progress callback receives), each one function here:
body (:func:`resolve_body`) -> thorax (:func:`~.anatomy.thorax_for`) -> cavity
(:func:`_place_torso`: cavity, spine, outline) -> grid (:func:`_chest_grid`) -> trunk
(:func:`_fill_trunk`) -> lungs (:func:`_fill_lungs`: lungs, diaphragm, gastric air) -> heart
(:func:`_paint_heart`: heart, great vessels, hila) -> airways (:func:`_paint_airways`) ->
vessels (:func:`_paint_vessels`) -> skeleton (:func:`_paint_skeleton`: spine, ribs, sternum,
clavicles, scapulae); :func:`.twin_meta.chest_meta` writes the metadata. Volumes are filled in
z-slabs so that a 0.5 mm chest needs only its uint8 labels plus a few slab-sized temporaries.

World frame (:mod:`victwin.geometry._scans`, chest PA): the detector is at ``z = 0`` and the
anterior surface (breasts included) ``detector_gap_mm`` above it; ``x`` from the patient's
right to left, ``y`` from head to feet, ``y = 0`` half-way between the lung apices and the
costophrenic recesses.
"""

from __future__ import annotations

import functools
import math
import sys
from dataclasses import dataclass, replace

import numpy as np

from victwin._checks import check_seed

from ...geometry import Grid
from .._phantom import Phantom
from .abdomen import DIAPHRAGM_MM, paint_gastric_bubble
from .anatomy import CORTEX_MM, LOBAR_ARTERY_MM, RIB_STRUT_RADIUS_MM, VEIN_ROOT_MM, thorax_for
from .lungs import Cavity, solve_cavity
from .erector_spinae import paint_erector_spinae
from .girdle import girdle_half_widths
from .hilum import (hilar_point, middle_lobe_mask, paint_upper_lobe_veins, upper_lobe_mask,
                    upper_vein_root)
from .pulmonary_trunk import paint_pulmonary_arteries
from .mediastinum import (aortic_knob, hila_for, paint_great_vessels, paint_heart,
                          paint_left_atrium, paint_trachea, painted_mediastinum)
from .outline import Outline, outline_for, trunk_cage_half_width
from .twin_meta import chest_meta
from .painted_lung import (LOSS_SEED, LOSS_STEP_MM, painted_lung_loss_estimate_ml,
                           painted_lung_loss_ml)
from .population import check_body, draw_body
from .raster import Frame
from .recipe import load_chest_recipe
from .ribs import paint_ribs, rib_paths
from .scapula import paint_scapulae, place_scapulae
from .scapular_cover import cover_back_zd, paint_scapular_cover
from .skeleton import Spine, paint_clavicles, paint_spine, paint_sternum
from .capsule_cover import clavicle_ends
from .trees import (WEIBEL_DIAMETER_MM, grow_tree, lung_inside, outside_wider_tubes,
                    pulmonary_trees, lung_points as _lung_points)
from . import ribs as _ribs, scapula as _scapula, skeleton as _skeleton, sternum as _sternum

__all__ = ["make_chest", "vessel_trees", "twin_body", "CHEST_LABELS", "CHEST_MATERIALS", "STEPS"]

AIR, ADIPOSE, MUSCLE, SOFT, LUNG, AIRWAY, BLOOD, BONE, GLAND, CART, MYOCARDIUM, CHAMBERS, \
    CLAVICLE, LEFT_ATRIUM, LEFT_APPENDAGE, SCAPULA = range(16)

#: Label -> canonical material.
CHEST_MATERIALS = {AIR: "air", ADIPOSE: "adipose", MUSCLE: "muscle", SOFT: "soft_tissue",
                   LUNG: "lung_parenchyma", AIRWAY: "air", BLOOD: "blood", BONE: "bone",
                   GLAND: "glandular", CART: "soft_tissue", MYOCARDIUM: "muscle",
                   CHAMBERS: "blood", CLAVICLE: "bone", LEFT_ATRIUM: "blood",
                   LEFT_APPENDAGE: "blood", SCAPULA: "bone"}
#: Label -> what it holds.
CHEST_LABELS = {AIR: "outside air", ADIPOSE: "subcutaneous fat, breast fat",
                MUSCLE: "chest-wall muscle, diaphragm, myocardium",
                SOFT: "mediastinum, abdomen, neck, bone marrow, discs",
                LUNG: "lung parenchyma", AIRWAY: "trachea, bronchi, gastric air",
                BLOOD: "heart chambers, great vessels, pulmonary arteries and veins",
                BONE: "bone: spine, ribs, sternum",
                GLAND: "breast glandular tissue", CART: "costal cartilage",
                MYOCARDIUM: "myocardium", CHAMBERS: "heart chambers",
                CLAVICLE: "clavicles (bone)", LEFT_ATRIUM: "left atrium (blood pool)",
                LEFT_APPENDAGE: "left atrial appendage (blood)", SCAPULA: "scapulae (bone)"}

#: The steps of a chest phantom, in order (the module docstring names each one's function);
#: ``"done"`` is reported when the labels are complete.
STEPS = ("body", "thorax", "cavity", "grid", "trunk", "lungs", "heart", "airways", "vessels",
         "skeleton", "done")
_SLAB = 8
#: A label no chest phantom holds and no painter uses for its transient interiors (ribs,
#: cartilages, clavicles, sternum, scapulae): the airway walls while their lumens are painted,
#: the largest free value (until 2026-12-03, sixth session, 255, also the ribs' interior).
_AIRWAY_WALL = max(set(range(256)) - set(CHEST_LABELS) - {
    _ribs._INTERIOR, _ribs._SHELL, _ribs._CORE, _scapula._INTERIOR, _skeleton._INTERIOR,
    _sternum._INTERIOR})


def resolve_body(rec: dict, rng):
    """Step ``body``: the recipe's body, fixed values as given, ``"population"`` ones drawn.

    Parameters
    ----------
    rec : dict
        The checked recipe; its ``body`` table (sex, age in years, height in cm, BMI in
        kg/m^2, each a value or ``"population"``; ``female_fraction``, ``age_range_years``).
    rng : numpy.random.Generator
        The body's generator (NHANES 2015-2018 draw, :func:`~.population.draw_body`).

    Returns
    -------
    Body
        The checked body (:func:`~.population.check_body`): sex, age (years), height (cm), BMI.
    """
    b = rec["body"]
    sex = None if b["sex"] == "population" else b["sex"]
    age = None if b["age_years"] == "population" else b["age_years"]
    drawn = draw_body(rng, sex=sex, age_years=age, female_fraction=b["female_fraction"],
                      age_range_years=b["age_range_years"])
    return check_body(drawn.sex, drawn.age_years,
                      drawn.height_cm if b["height_cm"] == "population" else b["height_cm"],
                      drawn.bmi if b["bmi"] == "population" else b["bmi"])


def _progress(progress):
    """``(step, bar)``: ``step(name)`` reports a step of :data:`STEPS` to the callable, the
    tqdm bar (``bar``, closed by the caller) or nowhere (``progress`` False, or None off a
    terminal)."""
    if callable(progress):
        return progress, None
    if progress is None:
        progress = sys.stderr.isatty()
    if not progress:
        return (lambda name: None), None
    from tqdm import tqdm

    bar = tqdm(total=len(STEPS) - 1, desc="chest phantom", unit="step", leave=False)
    seen = []

    def step(name):
        if seen:
            bar.update(1)
        seen.append(name)
        bar.set_postfix_str(name)

    return step, bar


@dataclass(frozen=True)
class _Torso:
    """The cavity step's record: everything placed in anatomy coordinates (mm), before voxels.

    ``cav`` the thoracic cavity, ``sp`` the spine, ``ol`` the body outline (skin, fat, muscle,
    breasts), ``scale`` the body height over 175 cm (sizes the spine and vessels),
    ``rib_depth`` (mm) the rib cage's thickness outside the cavity and ``positioning`` the
    scapulae's (:data:`.scapula.POSITIONINGS`; the recipe's ``scapulae.positioning``).
    """

    cav: Cavity
    sp: Spine
    ol: Outline
    scale: float
    rib_depth: float
    positioning: str = "neutral"

    @functools.cached_property
    def placement(self):
        """The scapulae (:func:`.scapula.place_scapulae`), placed once for the grid, the cover
        and the bones."""
        return place_scapulae(self.sp, self.cav, self.rib_depth, scale=self.scale,
                              positioning=self.positioning)

    scapulae = property(lambda self: self.placement.scapulae)
    acromion_forward_mm = property(lambda self: self.placement.acromion_forward_mm)


def _check_voxel(voxel_mm) -> float:
    """The voxel size (mm) as a float in [0.25, 10]; a one-line ValueError otherwise."""
    if isinstance(voxel_mm, bool) or not isinstance(voxel_mm, (int, float, np.floating)) \
            or not 0.25 <= float(voxel_mm) <= 10.0:
        raise ValueError(f"voxel_mm must be a number in [0.25, 10] mm for a chest phantom, "
                         f"got {voxel_mm!r}")
    return float(voxel_mm)


def _place_torso(th, height_cm: float, positioning: str = "neutral") -> _Torso:
    """Step ``cavity``: the cavity solved on the drawn TLC plus the lung that the later
    painting takes (:func:`~.painted_lung.painted_lung_loss_estimate_ml`, a regression on the
    thorax record; since 2026-12-06: before, the painted lungs read 0.4-3.2 % under the TLC
    at 2-6 mm), then the spine and the body outline (:func:`_torso_for`; arguments and return
    as there)."""
    cav = solve_cavity(th, extra_ml=painted_lung_loss_estimate_ml(th))
    return _torso_for(cav, th, height_cm, positioning)


def painted_lung_loss_reference_ml(th) -> float:
    """The lung (mL) that the builder's painting takes from the cavity solved on ``th``'s
    drawn TLC, measured by painting (the reference that
    :func:`~.painted_lung.painted_lung_loss_estimate_ml` is fitted to and tested against;
    2-7 s): the cavity's contents painted by :func:`_paint_inside` on a
    :data:`~.painted_lung.LOSS_STEP_MM` grid (the default recipe's trees from
    :data:`~.painted_lung.LOSS_SEED`'s draws, neutral scapulae) and counted by
    :func:`~.painted_lung.painted_lung_loss_ml`. Not called by a build."""
    cav = solve_cavity(th)
    height_cm = th.body.height_cm
    t = _torso_for(cav, th, height_cm, "neutral")
    rec = load_chest_recipe("chest/adult")
    f = _chest_grid(rec, t, LOSS_STEP_MM)
    _, _, r_trees, r_bone = _streams(LOSS_SEED)
    return painted_lung_loss_ml(cav, f, lambda labels: _paint_inside(
        labels, f, rec, t, th, r_trees, r_bone, LOSS_STEP_MM), LUNG)


def _torso_for(cav: Cavity, th, height_cm: float, positioning: str = "neutral") -> _Torso:
    """The spine and the body outline around the solved cavity ``cav``.

    Parameters
    ----------
    cav : Cavity
        The solved cavity (mm).
    th : Thorax
        The body's thorax record (:func:`~.anatomy.thorax_for`), sizes in mm.
    height_cm : float, cm
        Body height; ``height_cm / 175`` scales the spine and vessels.
    positioning : str
        The scapulae's (:data:`.scapula.POSITIONINGS`; the recipe's ``scapulae.positioning``).

    Returns
    -------
    _Torso
        Cavity, spine, outline, scale, rib depth (mm), positioning; anatomy coordinates.
    """
    scale = height_cm / 175.0
    sp = cav.spine()       # skeleton.spine_for(y_apex, y_low, spine_front, height / 175 cm)
    rib_depth = 2.0 * RIB_STRUT_RADIUS_MM + 2.0
    ol = outline_for(th, cav, rib_depth_mm=rib_depth, spine_back_mm=sp.spinous_tip_zd)
    t = _Torso(cav, sp, ol, scale, rib_depth, positioning)
    # the clavicles under the skin and the subcutaneous layer (:meth:`.outline.Outline.trunk`),
    clav = _skeleton.clavicle_segments(t.sp, th.body.sex, height_cm=height_cm, **clavicle_ends(
        t.cav, t.sp, th.body.sex, t.acromion_forward_mm))
    # and the spinous processes under the back's (the back of the neck too)
    spinous = np.vstack([sp.spinous_process(k) for k in range(len(sp.tops))])
    ol = replace(ol, clavicles=tuple(tuple(float(v) for v in row) for row in
                                     clav * np.array([-1, 1, 1, -1, 1, 1, 1, 1])),
                 spinous=tuple(tuple(float(v) for v in row) for row in spinous))
    if positioning != "neutral":
        # the skin over the positioned shoulder girdle (the glided glenoid heads and acromia
        # leave Heinz's shoulders, measured with the arms at the sides): :mod:`.girdle`
        ol = replace(ol, girdle=girdle_half_widths(ol, t.scapulae, sex=th.body.sex,
                                                   cage_half_width=trunk_cage_half_width(cav)))
    placed = _Torso(cav, sp, ol, scale, rib_depth, positioning)
    placed.__dict__["placement"] = t.placement      # the cached placement, not solved again
    return placed


def _chest_grid(rec: dict, t: _Torso, voxel_mm: float) -> Frame:
    """Step ``grid``: the voxel grid around the torso and its anatomy-to-world frame.

    Parameters
    ----------
    rec : dict
        The checked recipe (``detector_gap_mm`` and ``margins.top_mm``/``bottom_mm``, mm).
    t : _Torso
        The torso (:func:`_place_torso`).
    voxel_mm : float, mm
        Isotropic voxel size.

    Returns
    -------
    Frame
        The grid (x across the body plus 10 mm each side, y from above the apices to below the
        costophrenic recesses by the margins, z from ``min(5, gap)`` mm below the anterior
        surface to 5 mm behind the back or the cover over the scapulae) and ``zc`` (mm), the
        world ``z`` of the anatomy origin.
    """
    cav, sp, ol = t.cav, t.sp, t.ol
    gap = rec["detector_gap_mm"]
    front = -ol.b_ant
    if ol.breast_h > 0:
        front = min(front, ol.breast_front_zd)
    back = max(ol.b_post, cover_back_zd(t.scapulae, ol.fat_front_back))   # cover over the blades
    half_x = max(ol.a, ol.shoulder_a) + 10.0
    y_top = sp.tops[0] - rec["margins"]["top_mm"] + 40.0
    y_top = min(y_top, cav.y_apex - rec["margins"]["top_mm"])
    y_bot = cav.y_low + rec["margins"]["bottom_mm"]
    # wider over a positioned shoulder girdle by whole voxels each side: the voxel centres of
    # the cavity stay where they are without it (the lungs are painted the same)
    nx = int(math.ceil(2 * half_x / voxel_mm)) + 2 * int(math.ceil(ol.girdle_excess / voxel_mm))
    ny = int(math.ceil((y_bot - y_top) / voxel_mm))
    below = min(5.0, gap)
    nz = int(math.ceil((back - front + 5.0 + below) / voxel_mm))
    zc = gap - front                                   # world z of the anatomy origin
    origin = (-0.5 * (nx - 1) * voxel_mm, y_top + 0.5 * voxel_mm,
              gap - below + 0.5 * voxel_mm)
    grid = Grid(shape=(nz, ny, nx), spacing=(voxel_mm,) * 3, origin=origin)
    return Frame(grid, zc)


def _slabs(f: Frame, labels: np.ndarray):
    """``(Z, sub)`` per slab of :data:`_SLAB` z-planes: ``Z`` the planes' ``zd`` (mm) shaped
    ``(n, 1, 1)``, ``sub`` the view of ``labels`` to paint."""
    nz = labels.shape[0]
    for z0 in range(0, nz, _SLAB):
        sl = slice(z0, min(nz, z0 + _SLAB))
        yield f.zd[sl][:, None, None], labels[sl]


def _fill_trunk(labels: np.ndarray, f: Frame, t: _Torso) -> None:
    """Step ``trunk``: subcutaneous fat, chest-wall muscle, soft-tissue core and the breasts (fat
    with a glandular core), slab by slab, then the erector spinae and the scapulae's covers.

    Parameters
    ----------
    labels : ndarray of uint8, shape (nz, ny, nx)
        All :data:`AIR` on entry; modified in place.
    f : Frame
        The grid and anatomy frame (:func:`_chest_grid`).
    t : _Torso
        Outline (fat and muscle thicknesses, mm) and cavity (the cage's width, mm).
    """
    cav, ol = t.cav, t.ol
    X = f.x[None, None, :]
    Y = f.y[None, :, None]
    grow_fat = -ol.fat
    cage_w = trunk_cage_half_width(cav)      # not the inner cone (cage_profile)
    grow_mus = -(ol.fat + ol.muscle)
    for Z, sub in _slabs(f, labels):
        sub[ol.trunk(X, Y, Z, 0.0, cage_w)] = ADIPOSE
        sub[ol.trunk(X, Y, Z, grow_fat, cage_w)] = MUSCLE
        sub[ol.trunk(X, Y, Z, grow_mus, cage_w)] = SOFT
        if ol.breast_h > 0:
            sub[ol.breasts(X, Y, Z, cage_half_width=cage_w) & (sub == AIR)] = ADIPOSE
            sub[ol.breasts(X, Y, Z, core=True, cage_half_width=cage_w) & (sub == ADIPOSE)] = GLAND
    # the paraspinal muscles under the back's muscle layer, then the scapulae's own cover
    paint_erector_spinae(labels, f, t.sp, t.scale, MUSCLE=MUSCLE, SOFT=SOFT)
    # the back's subcutaneous layer over the blades: the front and back's thickness (fat_ap)
    paint_scapular_cover(labels, f, t.scapulae, ol.fat_front_back, AIR=AIR, ADIPOSE=ADIPOSE,
                         MUSCLE=MUSCLE, glided=t.positioning == "pa")


def _fill_lungs(labels: np.ndarray, f: Frame, t: _Torso, th) -> None:
    """Step ``lungs`` (cavity contents): lung parenchyma where the cavity is neither
    mediastinum (:func:`~.mediastinum.mediastinum_for`: the cavity's band less the
    aortopulmonary window) nor heart, a 5 mm diaphragm under it, and the gastric air bubble.

    ``labels`` (the trunk's, :func:`_fill_trunk`) is modified in place; ``f`` the grid and
    anatomy frame, ``t`` the cavity and spine (mm), ``th`` the sex and tracheal diameter
    (they place the aortic knob).
    """
    cav = t.cav
    med = painted_mediastinum(cav, th.body.sex, th.trachea_mm, float(max(f.grid.spacing)))
    X = f.x[None, None, :]
    Y = f.y[None, :, None]
    for Z, sub in _slabs(f, labels):
        inside = cav.inside(X, Y, Z)
        ydia = cav.diaphragm_y(X, Z)
        lung = inside & (Y < ydia) & ~med(X, Y, Z) & ~cav.cardiac(X, Y, Z)
        sub[inside & (Y >= ydia) & (Y < ydia + DIAPHRAGM_MM)] = MUSCLE   # diaphragm
        sub[lung] = LUNG
    paint_gastric_bubble(labels, f, cav, AIRWAY=AIRWAY, only=(SOFT, MUSCLE))


def _paint_heart(labels: np.ndarray, f: Frame, t: _Torso, th):
    """Step ``heart``: myocardium, chambers, great vessels, then the left atrium over them.

    Parameters
    ----------
    labels : ndarray of uint8
        Modified in place.
    f : Frame
        The grid and anatomy frame.
    t, th : _Torso, Thorax
        Cavity (heart centre and size, mm) and spine (mm); sex and tracheal diameter.

    Returns
    -------
    Hila
        The carina and the hilar roots of the pulmonary arteries and veins (mm, anatomy
        coordinates), for the airway and vessel steps.
    """
    paint_heart(labels, f, t.cav, MUSCLE=MYOCARDIUM, BLOOD=CHAMBERS, only=(SOFT, LUNG, MUSCLE))
    hila = hila_for(t.cav, t.sp, th.trachea_mm)
    paint_great_vessels(labels, f, t.cav, t.sp, hila,
                        aortic_knob(t.cav, t.sp, th.body.sex, th.trachea_mm), BLOOD=BLOOD,
                        sex=th.body.sex, age_years=th.body.age_years, trachea_mm=th.trachea_mm,
                        bsa_m2=t.cav.bsa_m2, height_cm=th.body.height_cm)
    paint_left_atrium(labels, f, t.cav, MUSCLE=MYOCARDIUM, LA=LEFT_ATRIUM, APPENDAGE=LEFT_APPENDAGE,
                      only=(SOFT, LUNG, MUSCLE, BLOOD), appendage_over=(CHAMBERS,))
    paint_pulmonary_arteries(labels, f, t.cav, t.sp, hila, th.body.sex, BLOOD=BLOOD, only=(
        SOFT, LUNG, MUSCLE, BLOOD, MYOCARDIUM, CHAMBERS, LEFT_APPENDAGE))
    return hila


def _paint_airways(labels: np.ndarray, f: Frame, rec: dict, th, sp: Spine, hila, pts: dict,
                   voxel_mm: float, vessels: np.ndarray) -> np.ndarray:
    """Step ``airways``: the trachea and main bronchi, then a bronchial tree per lung grown
    from generation 2 towards the lung's points ``pts`` (mm), with soft-tissue walls.

    ``labels`` is modified in place (walls over lung; lumens inside the walls, the lobar ones
    also through the hilum's soft tissue); ``rec["lungs"]["airway_min_diameter_mm"]`` and
    ``voxel_mm`` (mm) stop the trees; ``th.trachea_mm`` is the tracheal diameter (mm); ``sp``
    places the trachea; ``hila`` from :func:`_paint_heart`; ``vessels``: :func:`_vessel_trees`'
    rows: an airway's pieces inside a wider vessel are not painted, the vessel is drawn whole
    (:func:`~.trees.outside_wider_tubes`; until 2026-12-04 gas was left inside the blood).
    Returns the lobar and smaller airways' whole capsule rows, ndarray (n, >= 8): ends and
    radii (mm, anatomy coordinates).
    """
    mains = paint_trachea(labels, f, sp, hila, th.trachea_mm, AIRWAY=AIRWAY, SOFT=SOFT)
    airway_rows = []
    for k, side in enumerate((-1, 1)):
        p0, p1, rb = mains[k]
        # lobar airways start at generation 2 (Weibel: 8.3 mm for an 18 mm trachea)
        d2 = WEIBEL_DIAMETER_MM[2] * th.trachea_mm / WEIBEL_DIAMETER_MM[0]
        rows = grow_tree(pts[side], p1, p1 - p0, d2, exponent=2.8, first_generation=2,
                         min_diameter_mm=max(rec["lungs"]["airway_min_diameter_mm"],
                                             voxel_mm),
                         min_points=4)
        airway_rows.append(rows)
    airways = np.vstack(airway_rows)
    drawn = outside_wider_tubes(airways, vessels, piece_mm=0.5 * voxel_mm)
    wall = drawn[:, :8].copy()
    wall[:, 6:] *= 1.3                                  # wall ~15 % of the diameter each side
    # lumens where their walls went (over lung), the lobar ones (generation 2) also through the
    # hilum's soft tissue; until 2026-12-03 a lumen crossing a dome drew gas in the liver
    f.paint(labels, wall, _AIRWAY_WALL, only=LUNG)
    f.paint(labels, drawn[drawn[:, 8] == 2, :8], AIRWAY, only=SOFT)
    f.paint(labels, drawn[:, :8], AIRWAY, only=_AIRWAY_WALL)
    for i in range(0, labels.shape[0], _SLAB):         # slab-wise: no whole-volume mask
        sub = labels[i:i + _SLAB]
        sub[sub == _AIRWAY_WALL] = SOFT
    return airways


def _vessel_trees(rec: dict, t: _Torso, hila, pts: dict, voxel_mm: float) -> list:
    """The pulmonary artery and vein trees of each lung, grown from the hila (not painted):
    :func:`~.trees.pulmonary_trees` with roots :data:`LOBAR_ARTERY_MM` and
    :data:`VEIN_ROOT_MM` x ``t.scale`` (mm), down to ``lungs.vessel_min_diameter_mm`` of the
    recipe or half a voxel (``voxel_mm``), whichever is larger (coarse phantoms stop their
    trees earlier; the terminal branch of each region still reaches it). Returns
    ``(kind, side, rows)`` per tree, right lung first; per lung the artery, then the superior
    (from the hilar point's crossing, :func:`~.hilum.upper_vein_root`) and the inferior vein
    (until 2026-12-03 one vein per lung)."""
    v_min = max(rec["lungs"]["vessel_min_diameter_mm"], 0.5 * voxel_mm)
    return pulmonary_trees(pts, hila.artery, hila.vein, LOBAR_ARTERY_MM * t.scale,
                           VEIN_ROOT_MM * t.scale, v_min,
                           upper_vein_roots=[upper_vein_root(hila, pts, k) for k in (0, 1)],
                           upper_lobes=[upper_lobe_mask(t.cav, t.sp, pts, k) for k in (0, 1)],
                           middle_lobes=[middle_lobe_mask(t.cav, t.sp, pts, k) for k in (0, 1)],
                           inside=lung_inside(t.cav))


def _paint_vessels(labels: np.ndarray, f: Frame, vessels: np.ndarray) -> None:
    """Step ``vessels``: the capsule rows ``vessels`` of :func:`_vessel_trees` (mm, anatomy
    coordinates) painted as :data:`BLOOD` over lung (``labels`` modified in place)."""
    f.paint(labels, vessels[:, :8], BLOOD, only=LUNG)


def _streams(seed) -> tuple:
    """The twin's generators: body, thorax, trees, bone (one SeedSequence, spawned 4 ways)."""
    return tuple(np.random.default_rng(s)
                 for s in np.random.SeedSequence(int(check_seed(seed))).spawn(4))


def twin_body(recipe="chest/adult", *, seed: int = 0):
    """The body (sex, age, height, BMI) :func:`make_chest` gives this recipe and seed."""
    return resolve_body(load_chest_recipe(recipe), _streams(seed)[0])


def vessel_trees(recipe="chest/adult", *, seed: int = 0, voxel_mm: float | None = None) -> list:
    """The pulmonary vessel trees :func:`make_chest` grows for this recipe, seed and voxel
    size (the same draws; no voxels are built), for measuring them.

    Returns
    -------
    list of (str, int, ndarray)
        As :func:`_vessel_trees`: ``(kind, side, rows)`` with rows of start (3), end (3),
        radius at start and end (mm), generation and parent row.
    """
    rec = load_chest_recipe(recipe)
    voxel_mm = _check_voxel(rec["voxel_mm"] if voxel_mm is None else voxel_mm)
    r_body, r_thorax, r_trees, _ = _streams(seed)
    body = resolve_body(rec, r_body)
    t = _place_torso(thorax_for(body, r_thorax), body.height_cm)
    pts = _lung_points(t.cav, r_trees, rec["lungs"]["vessel_points"])
    return _vessel_trees(rec, t, hila_for(t.cav, t.sp), pts, voxel_mm)


def _paint_skeleton(labels: np.ndarray, f: Frame, t: _Torso, rng, sex: str,
                    age_years: float = 50.0, height_cm: float = 175.0) -> list:
    """Step ``skeleton``: spine, ribs with costal cartilage, sternum, clavicles and scapulae
    (cortical shells of :data:`CORTEX_MM` around trabecular bone dithered with ``rng``).

    Parameters
    ----------
    labels : ndarray of uint8
        Modified in place.
    f : Frame
        The grid and anatomy frame.
    t : _Torso
        Cavity, spine, scale and rib depth (mm).
    rng, sex, age_years, height_cm : numpy.random.Generator, str, float, float
        The bones' generator (spine, ribs, clavicles, scapulae); the sex sizes the clavicles'
        shafts and the height (cm) their length (:func:`.skeleton.clavicle_length_mm`), sex
        and age the ribs' cortex and the cartilages' calcification (:mod:`.rib_section`).

    Returns
    -------
    list of dict
        The rib paths (:func:`~.ribs.rib_paths`), for the metadata.
    """
    cav, sp = t.cav, t.sp
    paint_spine(labels, f, sp, rng, BONE=BONE, SOFT=SOFT, cortex_mm=CORTEX_MM,
                shell_rng=rng.spawn(1)[0])
    paths = rib_paths(cav, sp)
    calcified = paint_ribs(labels, f, paths, rng, BONE=BONE, SOFT=SOFT, CART=CART, sex=sex,
                           age_years=age_years)
    for p in paths:
        p["cartilage_calcified"] = calcified
    paint_sternum(labels, f, cav, sp, rng, sex=sex, age_years=age_years, BONE=BONE, SOFT=SOFT,
                  CART=CART, cortex_mm=CORTEX_MM, presternal=(MUSCLE, ADIPOSE))
    paint_clavicles(labels, f, sp, sex, rng, height_cm=height_cm,
                    **clavicle_ends(cav, sp, sex, t.acromion_forward_mm),
                    BONE=CLAVICLE, SOFT=SOFT, cortex_mm=CORTEX_MM)

    paint_scapulae(labels, f, t.scapulae, rng, BONE=SCAPULA,
                   SOFT=SOFT, cortex_mm=CORTEX_MM, body=(ADIPOSE, MUSCLE, SOFT, BONE))
    return paths


def _paint_inside(labels, f: Frame, rec: dict, t: _Torso, th, r_trees, r_bone,
                  voxel_mm: float, step=lambda name: None) -> tuple:
    """Steps ``lungs`` to ``skeleton`` into ``labels`` (in place; :func:`make_chest`, and
    :func:`painted_lung_loss_reference_ml` on a coarse grid); ``r_trees``, ``r_bone`` the twin's
    generators. Returns ``(hila, pts, airways, vessels, paths)``."""
    step("lungs")
    _fill_lungs(labels, f, t, th)
    step("heart")
    hila = _paint_heart(labels, f, t, th)
    step("airways")
    pts = _lung_points(t.cav, r_trees, rec["lungs"]["vessel_points"])
    vessels = np.vstack([rows for _, _, rows in _vessel_trees(rec, t, hila, pts, voxel_mm)])
    airways = _paint_airways(labels, f, rec, th, t.sp, hila, pts, voxel_mm, vessels)
    step("vessels")
    _paint_vessels(labels, f, vessels)
    paint_upper_lobe_veins(labels, f, t.cav, hila, pts, BLOOD=BLOOD, only=LUNG)
    step("skeleton")
    b = th.body
    paths = _paint_skeleton(labels, f, t, r_bone, b.sex, b.age_years, b.height_cm)
    return hila, pts, airways, vessels, paths


def make_chest(recipe="chest/adult", *, seed: int = 0, voxel_mm: float | None = None,
               progress=None) -> Phantom:
    """Build a chest twin for PA (and lateral) radiography.

    Parameters
    ----------
    recipe : str, path or dict
        Chest recipe (:func:`~victwin.phantom.chest.load_chest_recipe`).
    seed : int
        Seed of every draw (body when drawn from the population, per-twin sizes, trees,
        trabecular dithering); the same seed gives identical bytes.
    voxel_mm : float, mm, optional
        Isotropic voxel size in [0.25, 10]; the recipe's (default 1 mm) when omitted.
    progress : bool or callable, optional
        True: a tqdm bar over :data:`STEPS`; a callable is called with each step's name.

    Returns
    -------
    Phantom
        uint8 labels (:data:`CHEST_LABELS`), canonical materials, and ``meta`` with the body
        (sex, age, height, BMI), the thorax record, the cavity, spine and rib geometry used by
        :mod:`~victwin.phantom.chest.measure`.
    """
    rec = load_chest_recipe(recipe)
    seed = check_seed(seed)
    voxel_mm = _check_voxel(rec["voxel_mm"] if voxel_mm is None else voxel_mm)
    step, bar = _progress(progress)
    r_body, r_thorax, r_trees, r_bone = _streams(seed)

    step("body")
    body = resolve_body(rec, r_body)
    step("thorax")
    th = thorax_for(body, r_thorax)
    step("cavity")
    t = _place_torso(th, body.height_cm, rec["scapulae"]["positioning"])
    step("grid")
    f = _chest_grid(rec, t, voxel_mm)
    labels = np.zeros(f.grid.shape, np.uint8)
    step("trunk")
    _fill_trunk(labels, f, t)
    hila, pts, airways, vessels, paths = _paint_inside(labels, f, rec, t, th, r_trees, r_bone,
                                                       voxel_mm, step)
    step("done")
    if bar is not None:
        bar.close()
    meta = chest_meta(rec, seed, voxel_mm, body, th, t, f, hila, paths, len(airways),
                      len(vessels), CHEST_LABELS)
    # the lower-lobe arteries' axes (root -> hilar point), for measure_hila's slab
    meta["anatomy_mm"]["hilar_points"] = [f.world(*hilar_point(hila, pts, k)).tolist()
                                          for k in (0, 1)]
    return Phantom(labels=labels, grid=f.grid, materials=dict(CHEST_MATERIALS), meta=meta)
