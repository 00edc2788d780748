"""``make_chest``: a chest twin in named steps, each a function of the previous ones' records.

Steps: body -> thorax -> cavity -> grid -> trunk -> cavity contents (lungs, diaphragm,
mediastinum, abdomen) -> heart and great vessels -> airways -> vessel trees -> skeleton
(spine, ribs, sternum, clavicles, scapulae). Volumes are filled in z-slabs so that a 0.5 mm
chest needs only its uint8 labels plus a few slab-sized temporaries.

World frame (:mod:`victwin.geometry._scans`, chest PA): the detector is at ``z = 0`` and the
anterior surface (breasts included) ``detector_gap_mm`` above it; ``x`` from the patient's
right to left, ``y`` from head to feet, ``y = 0`` half-way between the lung apices and the
costophrenic recesses.
"""

from __future__ import annotations

import math
import sys

import numpy as np

from victwin._checks import check_seed

from ...geometry import Grid
from .._phantom import Phantom
from .anatomy import (CORTEX_MM, LOBAR_ARTERY_MM, RIB_STRUT_RADIUS_MM, VEIN_ROOT_MM,
                      thorax_for)
from .lungs import solve_cavity
from .mediastinum import hila_for, paint_great_vessels, paint_heart, paint_trachea
from .outline import outline_for
from .population import check_body, draw_body
from .raster import Frame
from .recipe import load_chest_recipe
from .ribs import paint_ribs, rib_paths
from .skeleton import (paint_clavicles, paint_scapulae, paint_spine, paint_sternum,
                       spine_for)
from .trees import WEIBEL_DIAMETER_MM, grow_tree

__all__ = ["make_chest", "CHEST_LABELS", "CHEST_MATERIALS", "STEPS"]

AIR, ADIPOSE, MUSCLE, SOFT, LUNG, AIRWAY, BLOOD, BONE, GLAND, CART, MYOCARDIUM, CHAMBERS = \
    range(12)

#: Label -> canonical material.
CHEST_MATERIALS = {AIR: "air", ADIPOSE: "adipose", MUSCLE: "muscle", SOFT: "soft_tissue",
                   LUNG: "lung", AIRWAY: "air", BLOOD: "blood", BONE: "bone",
                   GLAND: "glandular", CART: "soft_tissue", MYOCARDIUM: "muscle",
                   CHAMBERS: "blood"}
#: Label -> what it holds.
CHEST_LABELS = {AIR: "outside air", ADIPOSE: "subcutaneous fat, breast fat",
                MUSCLE: "chest-wall muscle, diaphragm, myocardium",
                SOFT: "mediastinum, abdomen, neck, bone marrow, discs",
                LUNG: "lung parenchyma", AIRWAY: "trachea, bronchi, gastric air",
                BLOOD: "heart chambers, great vessels, pulmonary arteries and veins",
                BONE: "bone: spine, ribs, sternum, clavicles, scapulae",
                GLAND: "breast glandular tissue", CART: "costal cartilage",
                MYOCARDIUM: "myocardium", CHAMBERS: "heart chambers"}

STEPS = ("body", "thorax", "cavity", "grid", "trunk", "lungs", "heart", "airways", "vessels",
         "skeleton", "done")
_SLAB = 8


def resolve_body(rec: dict, rng):
    """The recipe's body: fixed values as given, ``"population"`` ones drawn."""
    b = rec["body"]
    sex = None if b["sex"] == "population" else b["sex"]
    age = None if b["age_years"] == "population" else b["age_years"]
    drawn = draw_body(rng, sex=sex, age_years=age, female_fraction=b["female_fraction"],
                      age_range_years=b["age_range_years"])
    return check_body(drawn.sex, drawn.age_years,
                      drawn.height_cm if b["height_cm"] == "population" else b["height_cm"],
                      drawn.bmi if b["bmi"] == "population" else b["bmi"])


def _progress(progress):
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


def _lung_points(cav, rng, n_per_lung: int):
    """Uniform random points inside each lung (analytic mask; independent of the voxels)."""
    lo, hi = cav.bounds()
    out = {-1: [], 1: []}
    need = {-1: n_per_lung, 1: n_per_lung}
    for _ in range(200):
        p = rng.uniform(lo, hi, size=(20000, 3)).astype(np.float32)
        m = cav.lung(p[:, 0], p[:, 1], p[:, 2])
        for s in (-1, 1):
            q = p[m & (np.sign(p[:, 0]) == s)]
            out[s].append(q[:need[s]])
            need[s] -= len(out[s][-1])
        if need[-1] <= 0 and need[1] <= 0:
            break
    return {s: np.vstack(v).astype(float) for s, v in out.items()}


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
    voxel_mm = rec["voxel_mm"] if voxel_mm is None else voxel_mm
    if isinstance(voxel_mm, bool) or not isinstance(voxel_mm, (int, float, np.floating)) \
            or not 0.25 <= float(voxel_mm) <= 10.0:
        raise ValueError(f"voxel_mm must be a number in [0.25, 10] mm for a chest phantom, "
                         f"got {voxel_mm!r}")
    voxel_mm = float(voxel_mm)
    step, bar = _progress(progress)
    ss = np.random.SeedSequence(int(seed))
    r_body, r_thorax, r_trees, r_bone = (np.random.default_rng(s) for s in ss.spawn(4))

    step("body")
    body = resolve_body(rec, r_body)
    step("thorax")
    th = thorax_for(body, r_thorax)
    step("cavity")
    cav = solve_cavity(th)
    scale = body.height_cm / 175.0
    sp = spine_for(cav.y_apex, cav.y_low, cav.spine_front, scale)
    rib_depth = 2.0 * RIB_STRUT_RADIUS_MM + 2.0
    ol = outline_for(th, cav, rib_depth_mm=rib_depth, spine_back_mm=sp.spinous_tip_zd)

    step("grid")
    gap = rec["detector_gap_mm"]
    front = -ol.b_ant
    if ol.breast_r > 0:
        front = min(front, -ol.b_ant + 0.25 * ol.breast_h - ol.breast_h)
    back = ol.b_post
    half_x = ol.a + 10.0
    y_top = sp.tops[0] - rec["margins"]["top_mm"] + 40.0
    y_top = min(y_top, cav.y_apex - rec["margins"]["top_mm"])
    y_bot = cav.y_low + rec["margins"]["bottom_mm"]
    nx = int(math.ceil(2 * half_x / voxel_mm))
    ny = int(math.ceil((y_bot - y_top) / voxel_mm))
    below = min(5.0, gap)
    nz = int(math.ceil((back - front + 5.0 + below) / voxel_mm))
    zc = gap - front                                   # world z of the anatomy origin
    origin = (-0.5 * (nx - 1) * voxel_mm, y_top + 0.5 * voxel_mm,
              gap - below + 0.5 * voxel_mm)
    grid = Grid(shape=(nz, ny, nx), spacing=(voxel_mm,) * 3, origin=origin)
    f = Frame(grid, zc)
    labels = np.zeros(grid.shape, np.uint8)
    X = f.x[None, None, :]
    Y = f.y[None, :, None]

    step("trunk")
    grow_fat = -ol.fat

    def cage_w(y):            # the cage below its widest level keeps the base width
        t = np.clip((np.asarray(y, np.float32) - cav.y_apex) / cav.height, 0.0, 0.65)
        return cav.half_width(cav.y_apex + t * cav.height)
    grow_mus = -(ol.fat + ol.muscle)
    for z0 in range(0, nz, _SLAB):
        sl = slice(z0, min(nz, z0 + _SLAB))
        Z = f.zd[sl][:, None, None]
        sub = labels[sl]
        sub[ol.trunk(X, Y, Z, 0.0, cage_w)] = ADIPOSE
        sub[ol.trunk(X, Y, Z, grow_fat, cage_w)] = MUSCLE
        sub[ol.trunk(X, Y, Z, grow_mus, cage_w)] = SOFT
        if ol.breast_r > 0:
            br = ol.breasts(X, Y, Z)
            sub[br & (sub == AIR)] = ADIPOSE
            sub[ol.breasts(X, Y, Z, core=True) & (sub == ADIPOSE)] = GLAND

    step("lungs")
    for z0 in range(0, nz, _SLAB):
        sl = slice(z0, min(nz, z0 + _SLAB))
        Z = f.zd[sl][:, None, None]
        sub = labels[sl]
        inside = cav.inside(X, Y, Z)
        ydia = cav.diaphragm_y(X, Z)
        lung = inside & (Y < ydia) & ~cav.mediastinum(X, Y, Z) & ~cav.heart(X, Y, Z)
        sub[inside & (Y >= ydia) & (Y < ydia + 5.0)] = MUSCLE          # diaphragm, 5 mm
        sub[lung] = LUNG
    # gastric air bubble under the left dome (fundus): a flattened ellipsoid
    gy = cav.y_low - cav.dome_left + 22.0
    gx = 0.45 * cav.a0

    def bubble(x, y, z):
        return (((x - gx) / 35.0) ** 2 + ((y - gy) / 16.0) ** 2 + ((z + 0.1 * cav.b0) / 30.0) ** 2
                <= 1.0) & (y >= gy - 16.0 * 0.2)
    f.paint_mask(labels, (gx - 36, gy - 17, -0.1 * cav.b0 - 31),
                 (gx + 36, gy + 17, -0.1 * cav.b0 + 31), bubble, AIRWAY, only=(SOFT, MUSCLE))

    step("heart")
    paint_heart(labels, f, cav, MUSCLE=MYOCARDIUM, BLOOD=CHAMBERS, only=(SOFT, LUNG, MUSCLE))
    hila = hila_for(cav, sp)
    paint_great_vessels(labels, f, cav, sp, hila, BLOOD=BLOOD)

    step("airways")
    mains = paint_trachea(labels, f, sp, hila, th.trachea_mm, AIRWAY=AIRWAY, SOFT=SOFT)
    n_pts = rec["lungs"]["vessel_points"]
    pts = _lung_points(cav, r_trees, n_pts)
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
    wall = airways[:, :8].copy()
    wall[:, 6:] *= 1.3                                  # wall ~15 % of the diameter each side
    f.paint(labels, wall, SOFT, only=LUNG)
    f.paint(labels, airways[:, :8], AIRWAY, only=SOFT)

    step("vessels")
    vessel_rows = []
    # vessels thinner than half a voxel cannot be drawn: coarse phantoms stop their trees
    # earlier (the terminal branch of each region still reaches it)
    v_min = max(rec["lungs"]["vessel_min_diameter_mm"], 0.5 * voxel_mm)
    for k, side in enumerate((-1, 1)):
        for root, d0 in ((hila.artery[k], LOBAR_ARTERY_MM), (hila.vein[k], VEIN_ROOT_MM)):
            direction = np.array([side * 1.0, 0.3, 0.0])
            rows = grow_tree(pts[side], root, direction, d0 * scale, exponent=3.0,
                             min_diameter_mm=v_min)
            vessel_rows.append(rows)
    vessels = np.vstack(vessel_rows)
    f.paint(labels, vessels[:, :8], BLOOD, only=LUNG)

    step("skeleton")
    paint_spine(labels, f, sp, r_bone, BONE=BONE, SOFT=SOFT, cortex_mm=CORTEX_MM)
    paths = rib_paths(cav, sp)
    paint_ribs(labels, f, paths, r_bone, BONE=BONE, SOFT=SOFT, CART=CART)
    paint_sternum(labels, f, sp, -cav.b0, BONE=BONE, SOFT=SOFT, cortex_mm=CORTEX_MM)
    x_acr = cav.a0 + rib_depth + 12.0
    paint_clavicles(labels, f, sp, x_acromion=x_acr, front_zd=-cav.b0 - 4.0,
                    back_zd=cav.b0, radius=6.0 * scale, BONE=BONE, SOFT=SOFT,
                    cortex_mm=CORTEX_MM)

    def cage_back(side, y, x):
        a = float(cav.half_width(y)) + rib_depth
        b = float(cav.half_depth(y)) + rib_depth
        u = min(abs(x) / a, 1.0)
        return float(cav.centre_zd(y)) + b * (1.0 - u ** 2.4) ** (1.0 / 2.4)

    paint_scapulae(labels, f, sp, cage_back, x_glenoid=x_acr - 5.0, BONE=BONE)

    step("done")
    if bar is not None:
        bar.close()
    meta = {
        "recipe": rec["name"], "kind": "chest", "seed": int(seed), "voxel_mm": voxel_mm,
        "view": "chest PA", "label_names": {str(k): v for k, v in CHEST_LABELS.items()},
        "body": body.to_dict(), "thorax": th.to_dict(),
        "detector_gap_mm": gap,
        "cavity": {k: (list(v) if isinstance(v, tuple) else v)
                   for k, v in cav.__dict__.items()},
        "spine": {"tops": list(sp.tops), "pitches": list(sp.pitches), "widths": list(sp.widths),
                  "depths": list(sp.depths), "front_zd": sp.front_zd},
        "ribs": [{"rib": p["rib"], "side": p["side"], "head_y": p["head_y"],
                  "end_y": p["end_y"]} for p in paths],
        "outline": {k: (list(v) if isinstance(v, tuple) else v) for k, v in ol.__dict__.items()},
        "zc_mm": zc,
        "n_branches": {"airways": int(len(airways)), "vessels": int(len(vessels))},
        "anatomy_mm": {
            "lung_apex_y": cav.y_apex, "costophrenic_y": cav.y_low,
            "heart_center": f.world(*cav.heart_c).tolist(),
            "spine_center_x": 0.0,
            "vertebral_body_center_z": sp.centre_zd(sp.level("T6")) + zc,
            "carina": f.world(*hila.carina).tolist(),
            "hila": [f.world(*hila.artery[0]).tolist(), f.world(*hila.artery[1]).tolist()],
        },
    }
    return Phantom(labels=labels, grid=grid, materials=dict(CHEST_MATERIALS), meta=meta)
