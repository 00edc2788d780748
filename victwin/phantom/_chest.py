"""Procedural adult chest phantom for PA radiography.

The anatomy is built from simple shapes whose sizes are drawn from the recipe
(``phantoms/chest/*.toml``): a superelliptic body outline with a subcutaneous fat layer and a
chest-wall muscle layer, a thoracic cavity that narrows to a dome at the lung apices, two
hemidiaphragm domes (the right one higher), the mediastinum, a tilted ellipsoidal heart
(myocardium around blood), the aorta, superior vena cava and pulmonary arteries, the trachea and
main bronchi, a gastric air bubble, a vertebral column (cortical shells around marrow, discs,
posterior arches and spinous processes), twelve pairs of ribs that slope down from the spine
towards the front, the sternum, the clavicles and the scapulae. Each lung holds an arterial and a venous tree
grown by recursive territory splitting: a branch heads for the centroid of the lung points it
supplies, then splits them in two across their longest axis for its two daughters, whose radii
follow Murray's cube law.

World frame (see :mod:`victwin.geometry._scans`): the detector is at ``z = 0`` and the patient's
anterior surface faces it, ``detector_gap_mm`` above it (PA: X-rays enter the back), so the
spine has larger ``z`` than the heart; ``x`` runs from the patient's right to left (the heart
sits at ``x > 0``), ``y`` from head to feet, with ``y = 0`` half-way between the lung apices
and the costophrenic recesses so that :func:`victwin.geometry.radiography_view`'s central ray
(through the detector centre) hits the middle of the lung fields; ``x = 0`` is the midline.

References
----------
Murray CD. The physiological principle of minimum work. PNAS 1926;12:207-214.
"""

from __future__ import annotations

import math
import os
import tomllib
from pathlib import Path

import numpy as np

from ..geometry import Grid
from ._phantom import Phantom
from .lesions import _paint_capsules

__all__ = ["make_chest", "load_chest_recipe", "save_chest_preview", "CHEST_LABELS"]

AIR, ADIPOSE, MUSCLE, SOFT, LUNG, AIRWAY, BLOOD, BONE = range(8)

#: Label -> canonical material of the chest phantom.
CHEST_MATERIALS = {AIR: "air", ADIPOSE: "adipose", MUSCLE: "muscle", SOFT: "soft_tissue",
                   LUNG: "lung", AIRWAY: "air", BLOOD: "blood", BONE: "bone"}

#: Label -> what it holds.
CHEST_LABELS = {AIR: "outside air", ADIPOSE: "subcutaneous fat",
                MUSCLE: "chest-wall muscle, diaphragm, myocardium",
                SOFT: "mediastinum, abdomen, neck, bone marrow, discs",
                LUNG: "lung parenchyma", AIRWAY: "trachea, bronchi, gastric air",
                BLOOD: "heart chambers, great vessels, pulmonary vessels",
                BONE: "cortical bone: spine, ribs, sternum, clavicles, scapulae"}

# recipe schema: section -> {key: kind}; "dist" = number or {mean, sd, min, max}
_SCHEMA = {
    "body": {"width_mm": "dist", "depth_mm": "dist", "fat_mm": "dist", "muscle_mm": "dist",
             "margin_top_mm": "dist", "margin_bottom_mm": "dist"},
    "lungs": {"height_mm": "dist", "dome_height_mm": "dist", "right_dome_raise_mm": "dist",
              "vessel_generations": "int", "vessel_root_radius_mm": "dist"},
    "heart": {"width_mm": "dist", "left_shift_mm": "dist", "tilt_deg": "dist", "wall_mm": "dist"},
    "skeleton": {"rib_radius_mm": "dist", "rib_cortex_mm": "dist", "vertebra_radius_mm": "dist",
                 "vertebra_height_mm": "dist", "disc_mm": "dist", "cortex_mm": "dist",
                 "clavicle_radius_mm": "dist"},
}
_TOP = {"kind", "description", "name", "detector_gap_mm", "voxel_mm"}
# keys that may be zero (all other sizes must be > 0)
_MAY_BE_ZERO = {"lungs.right_dome_raise_mm", "heart.left_shift_mm", "heart.tilt_deg"}


# ----------------------------------------------------------------------------------------------
# recipe
# ----------------------------------------------------------------------------------------------

def _phantoms_dir() -> Path:
    env = os.environ.get("VICTWIN_PHANTOMS")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "phantoms"


def load_chest_recipe(recipe) -> dict:
    """Read and validate a chest recipe.

    Parameters
    ----------
    recipe : str, path or dict
        A name such as ``"chest/adult"`` (a TOML file under the repository's ``phantoms/``
        folder or ``$VICTWIN_PHANTOMS``), a path to a TOML file, or an already parsed dict.

    Returns
    -------
    dict
        The recipe, with ``name`` set.

    Raises
    ------
    ValueError
        One line naming the key, for unknown keys, missing sections, negative sizes and
        distributions whose mean lies outside ``[min, max]``.
    """
    if isinstance(recipe, dict):
        data, name = dict(recipe), str(recipe.get("name", "chest/custom"))
    else:
        p = Path(recipe)
        if p.suffix != ".toml":
            name = str(recipe)
            p = _phantoms_dir() / f"{name}.toml"
        else:
            name = p.stem if p.parent.name != "chest" else f"chest/{p.stem}"
        if not p.is_file():
            raise ValueError(f"chest recipe {str(recipe)!r} not found (looked for {str(p)!r})")
        try:
            data = tomllib.loads(p.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"chest recipe {str(p)!r} is not valid TOML: {exc}") from None
    kind = data.get("kind", "chest")
    if kind != "chest":
        raise ValueError(f"chest recipe key 'kind' must be 'chest', got {kind!r}")
    for key in data:
        if key not in _TOP and key not in _SCHEMA:
            raise ValueError(f"chest recipe has unknown key {key!r} (known: "
                             f"{', '.join(sorted(_TOP | set(_SCHEMA)))})")
    for section, keys in _SCHEMA.items():
        sec = data.get(section)
        if not isinstance(sec, dict):
            raise ValueError(f"chest recipe needs a [{section}] table")
        for key in sec:
            if key not in keys:
                raise ValueError(f"chest recipe has unknown key '{section}.{key}' (known: "
                                 f"{', '.join(sorted(keys))})")
        for key, kind_ in keys.items():
            full = f"{section}.{key}"
            if key not in sec:
                raise ValueError(f"chest recipe is missing key '{full}'")
            if kind_ == "int":
                v = sec[key]
                if not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= 12:
                    raise ValueError(f"chest recipe key '{full}' must be an integer in 1..12, "
                                     f"got {v!r}")
            else:
                _check_dist(full, sec[key], allow_zero=full in _MAY_BE_ZERO)
    gap = data.get("detector_gap_mm", 5.0)
    if not isinstance(gap, (int, float)) or isinstance(gap, bool) or not 0 <= gap <= 500:
        raise ValueError(f"chest recipe key 'detector_gap_mm' must be a number in [0, 500], "
                         f"got {gap!r}")
    data["detector_gap_mm"] = float(gap)
    vox = data.get("voxel_mm", 1.0)
    if not isinstance(vox, (int, float)) or isinstance(vox, bool) or not 0.25 <= vox <= 10:
        raise ValueError(f"chest recipe key 'voxel_mm' must be a number in [0.25, 10], "
                         f"got {vox!r}")
    data["voxel_mm"] = float(vox)
    data["name"] = name
    return data


def _check_dist(key: str, spec, *, allow_zero: bool) -> None:
    lo_ok = (lambda v: v >= 0) if allow_zero else (lambda v: v > 0)
    rule = ">= 0" if allow_zero else "> 0"
    if isinstance(spec, (int, float)) and not isinstance(spec, bool):
        if not (math.isfinite(spec) and lo_ok(spec)):
            raise ValueError(f"chest recipe key '{key}' must be {rule}, got {spec!r}")
        return
    if not isinstance(spec, dict):
        raise ValueError(f"chest recipe key '{key}' must be a number or a table "
                         f"{{mean, sd, min, max}}, got {spec!r}")
    extra = set(spec) - {"mean", "sd", "min", "max"}
    missing = {"mean", "sd", "min", "max"} - set(spec)
    if extra or missing:
        raise ValueError(f"chest recipe key '{key}' must have exactly mean, sd, min, max; "
                         f"got {sorted(spec)}")
    vals = {k: spec[k] for k in ("mean", "sd", "min", "max")}
    for k, v in vals.items():
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
            raise ValueError(f"chest recipe key '{key}.{k}' must be a number, got {v!r}")
    if not lo_ok(vals["min"]):
        raise ValueError(f"chest recipe key '{key}.min' must be {rule}, got {vals['min']!r}")
    if vals["sd"] < 0:
        raise ValueError(f"chest recipe key '{key}.sd' must be >= 0, got {vals['sd']!r}")
    if not vals["min"] <= vals["mean"] <= vals["max"]:
        raise ValueError(f"chest recipe key '{key}' needs min <= mean <= max, got "
                         f"{vals['min']}, {vals['mean']}, {vals['max']}")


def _draw(rng: np.random.Generator, spec) -> float:
    """A value from a fixed number or a truncated normal ``{mean, sd, min, max}``."""
    if not isinstance(spec, dict):
        return float(spec)
    mean, sd, lo, hi = (float(spec[k]) for k in ("mean", "sd", "min", "max"))
    if sd == 0:
        return mean
    for _ in range(100):
        v = rng.normal(mean, sd)
        if lo <= v <= hi:
            return float(v)
    return float(min(max(mean, lo), hi))


def _draw_all(rng, recipe) -> dict:
    out = {}
    for section, keys in _SCHEMA.items():
        for key, kind in keys.items():
            v = recipe[section][key]
            out[f"{section}.{key}"] = int(v) if kind == "int" else _draw(rng, v)
    return out


# ----------------------------------------------------------------------------------------------
# anatomy helpers
# ----------------------------------------------------------------------------------------------

def _bezier(p0, p1, p2, n):
    t = np.linspace(0.0, 1.0, n)[:, None]
    return ((1 - t) ** 2 * np.asarray(p0) + 2 * (1 - t) * t * np.asarray(p1)
            + t ** 2 * np.asarray(p2))


def _polyline_segments(points, r0, r1=None) -> np.ndarray:
    """Capsule rows (see ``_paint_capsules``) along a polyline, radius ``r0`` -> ``r1``."""
    points = np.asarray(points, float)
    r1 = r0 if r1 is None else r1
    n = len(points) - 1
    radii = np.linspace(r0, r1, n + 1)
    return np.column_stack([points[:-1], points[1:], radii[:-1], radii[1:]])


class _Frame:
    """Maps the body-centred anatomy coordinates to world coordinates and the grid."""

    def __init__(self, grid: Grid, zc_mm: float):
        self.grid = grid
        self.zc = zc_mm                     # world z of the body's AP centre
        self.x = grid.axis_mm("x").astype(np.float32)
        self.y = grid.axis_mm("y").astype(np.float32)
        self.zd = (grid.axis_mm("z") - zc_mm).astype(np.float32)   # >0 posterior

    def world(self, x, y, zd):
        return np.array([x, y, zd + self.zc], float)

    def paint(self, labels, segs, value, only=-1):
        segs = np.asarray(segs, float).reshape(-1, 8).copy()
        segs[:, 2] += self.zc
        segs[:, 5] += self.zc
        _paint_capsules(labels, np.asarray(self.grid.origin, float),
                        self.grid.spacing_xyz.astype(float), segs, value, only)


def _cavity_scale(y, y_apex, height):
    """Thoracic cavity radius factor (0..1) against y: a rounded dome over the apices."""
    t = np.clip((np.asarray(y, np.float32) - y_apex) / (0.30 * height), 0.0, 1.0)
    return np.sqrt(1.0 - (1.0 - t) ** 2).astype(np.float32)


def _vessel_tree(rng, root, points, r0, generations) -> np.ndarray:
    """Branching tree by recursive territory splitting; rows for ``_paint_capsules``."""
    segs = []
    stack = [(np.asarray(root, float), points, float(r0), 0)]
    while stack:
        start, pts, r, gen = stack.pop()
        if len(pts) < 2:
            continue
        c = pts.mean(axis=0)
        frac = rng.uniform(0.35, 0.6) if gen else rng.uniform(0.2, 0.35)
        end = start + frac * (c - start) + rng.normal(scale=0.05 * r + 1.0, size=3)
        r_end = r * 0.92
        segs.append((*start, *end, r, r_end))
        if gen + 1 >= generations or len(pts) < 8:
            # the last generation reaches into its territory
            segs.append((*end, *(end + 0.8 * (c - end)), r_end, 0.6 * r_end))
            continue
        spread = pts - c
        axis = np.argmax(spread.var(axis=0))
        order = np.argsort(spread[:, axis], kind="stable")
        half = len(pts) // 2
        r_child = r_end * 2.0 ** (-1.0 / 3.0)        # Murray's law, equal daughters
        stack.append((end, pts[order[:half]], r_child, gen + 1))
        stack.append((end, pts[order[half:]], r_child, gen + 1))
    return np.asarray(segs, float).reshape(-1, 8)


# ----------------------------------------------------------------------------------------------
# the phantom
# ----------------------------------------------------------------------------------------------

def make_chest(recipe="chest/adult", *, seed: int = 0, voxel_mm: float | None = None,
               progress=None) -> Phantom:
    """Build an adult chest phantom for PA radiography.

    Parameters
    ----------
    recipe : str, path or dict
        Chest recipe (see :func:`load_chest_recipe`); ``"chest/adult"`` by default.
    seed : int
        Seed of the sizes and the vessel trees; the same seed gives identical bytes.
    voxel_mm : float, mm, optional
        Isotropic voxel size, in [0.25, 10]; the recipe's ``voxel_mm`` (default 1 mm) when
        omitted.
    progress : bool or callable, optional
        True shows a tqdm bar over the build stages (None: only when stderr is a terminal); a
        callable is called with each stage's name as it starts.

    Returns
    -------
    Phantom
        uint8 labels ``[z, y, x]`` (see :data:`CHEST_LABELS`) with materials from the
        canonical list, in the chest PA world frame; ``meta`` holds the recipe name, seed,
        voxel size, every drawn size (``body_width_mm``, ``lung_height_mm``, ...) and the
        positions of the main organs.
    """
    rec = load_chest_recipe(recipe)
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if voxel_mm is None:
        voxel_mm = rec["voxel_mm"]
    try:
        voxel_mm = float(voxel_mm)
    except (TypeError, ValueError):
        raise ValueError(f"voxel_mm must be a number in [0.25, 10], got {voxel_mm!r}") from None
    if not 0.25 <= voxel_mm <= 10.0:
        raise ValueError(f"voxel_mm must be in [0.25, 10] mm for a chest phantom, "
                         f"got {voxel_mm!r}")
    step, bar = _progress(progress)
    rng = np.random.default_rng(int(seed))
    s = _draw_all(rng, rec)

    # -- sizes ----------------------------------------------------------------------------
    W, D = s["body.width_mm"], s["body.depth_mm"]
    fat, mus = s["body.fat_mm"], s["body.muscle_mm"]
    a, b = W / 2, D / 2
    ai, bi = a - fat - mus, b - fat - mus              # inside the muscle layer
    rib_r = s["skeleton.rib_radius_mm"]
    ax_max, az_max = ai - 2 * rib_r - 2, bi - 2 * rib_r - 2   # thoracic cavity
    if ax_max < 40 or az_max < 30:
        raise ValueError(f"chest recipe sizes leave no thoracic cavity: body {W:.0f} x {D:.0f} "
                         f"mm with fat {fat:.0f} mm and muscle {mus:.0f} mm")
    H = s["lungs.height_mm"]
    top, bottom = s["body.margin_top_mm"], s["body.margin_bottom_mm"]
    gap = rec["detector_gap_mm"]
    y_apex = -0.5 * H                                   # lung fields centred on y = 0
    y_top = y_apex - top                                # top edge of the volume
    margin = 10.0
    nx = int(math.ceil((W + 2 * margin) / voxel_mm))
    ny = int(math.ceil((top + H + bottom) / voxel_mm))
    below = min(margin, gap)                            # the grid never reaches under z = 0
    nz = int(math.ceil((D + margin + below) / voxel_mm))
    origin = (-0.5 * (nx - 1) * voxel_mm, y_top + 0.5 * voxel_mm,
              gap - below + 0.5 * voxel_mm)
    grid = Grid(shape=(nz, ny, nx), spacing=(voxel_mm,) * 3, origin=origin)
    zc = gap + b
    f = _Frame(grid, zc)
    X = f.x[None, None, :]
    Y = f.y[None, :, None]
    X2 = f.x[None, :]
    Z2 = f.zd[:, None]
    labels = np.zeros(grid.shape, np.uint8)

    # -- body wall (the same outline at every level) ---------------------------------------
    step("body")
    p = 2.6

    def superellipse(ha, hb):
        return (np.abs(X2 / ha) ** p + np.abs(Z2 / hb) ** p) <= 1.0

    wall = np.full((nz, nx), AIR, np.uint8)            # the same outline at every level
    wall[superellipse(a, b)] = ADIPOSE
    wall[superellipse(a - fat, b - fat)] = MUSCLE
    wall[superellipse(ai, bi)] = SOFT
    labels[:] = wall[:, None, :]

    # -- thoracic cavity, diaphragm, lungs, mediastinum ------------------------------------
    step("lungs")
    g1 = np.maximum(_cavity_scale(f.y, y_apex, H), 1e-3)
    inv_ax = (1.0 / (ax_max * g1)).astype(np.float32)      # [ny]
    inv_az = (1.0 / (az_max * g1)).astype(np.float32)
    in_y = f.y >= y_apex

    def cavity(sl):
        """Thoracic-cavity mask over the box ``labels[sl]``."""
        xs = f.x[sl[2]][None, None, :]
        zs = f.zd[sl[0]][:, None, None]
        ia, ib = inv_ax[sl[1]][None, :, None], inv_az[sl[1]][None, :, None]
        return ((xs * ia) ** 2 + (zs * ib) ** 2 <= 1.0) & in_y[sl[1]][None, :, None]

    dome = s["lungs.dome_height_mm"]
    raise_r = s["lungs.right_dome_raise_mm"]
    post_drop = 20.0
    y_low = y_apex + H                                  # posterior costophrenic recess
    cx_d, rx_d, rz_d = 0.45 * ax_max, 0.62 * ax_max, 1.05 * az_max
    bump = np.clip(1.0 - ((np.abs(X2) - cx_d) / rx_d) ** 2 - ((Z2 + 0.1 * az_max) / rz_d) ** 2,
                   0.0, 1.0)
    side_h = np.where(X2 < 0, dome + raise_r, dome)    # right hemidiaphragm higher
    y_dia = (y_low - post_drop * (1.0 - np.clip(Z2 / (0.6 * az_max), 0.0, 1.0))
             - side_h * bump).astype(np.float32)       # [nz, nx]
    # mediastinum: a central band, wider low down where the heart is
    t = np.clip((f.y - y_apex) / H, 0.0, 1.0)[None, :, None]
    half_med = (22.0 + 10.0 * t).astype(np.float32)
    in_med = np.abs(X) < half_med                       # [1, ny, nx]
    spine_front = bi - 25.0 - 2 * s["skeleton.vertebra_radius_mm"] - 6.0
    for z0 in range(0, nz, 16):                         # slabs keep temporaries small
        sl = (slice(z0, min(nz, z0 + 16)), slice(None), slice(None))
        cav = cavity(sl)
        yd = y_dia[sl[0]][:, None, :]
        above = Y < yd
        sub = labels[sl]
        sub[cav & above] = LUNG
        sub[cav & ~above & (Y < yd + 6.0)] = MUSCLE     # diaphragm sheet (6 mm)
        sub[cav & above & in_med] = SOFT
    # gastric air bubble under the left dome
    gy = y_low - post_drop - dome * 0.6 + 30.0
    _ellipsoid(labels, f, (0.45 * ax_max, gy, -0.1 * az_max), (38.0, 22.0, 30.0), AIRWAY,
               only=SOFT)

    # -- heart and great vessels -----------------------------------------------------------
    step("heart")
    hw = s["heart.width_mm"]
    hx = s["heart.left_shift_mm"]
    tilt = math.radians(s["heart.tilt_deg"])
    rx_h, ry_h, rz_h = 0.5 * hw / (0.75 + 0.25 * math.cos(tilt)), 0.36 * hw, 0.36 * hw
    # y half-extent of the tilted ellipsoid, to seat it on the left dome's top
    ext_y = math.hypot(rx_h * math.sin(tilt), ry_h * math.cos(tilt))
    y_dome_left = y_low - post_drop * 0.5 - dome
    hy = y_dome_left - 0.8 * ext_y
    hz = -0.35 * az_max
    heart_out = _tilted_ellipsoid_mask(f, (hx, hy, hz), (rx_h, ry_h, rz_h), tilt)
    hwall = s["heart.wall_mm"]
    heart_in = _tilted_ellipsoid_mask(f, (hx, hy, hz),
                                      (rx_h - hwall, ry_h - hwall, rz_h - 0.7 * hwall), tilt,
                                      half=max(rx_h, ry_h, rz_h))
    sl_h, m_out = heart_out
    _, m_in = heart_in
    sub = labels[sl_h]
    inside_cav = cavity(sl_h)
    sub[m_out & inside_cav] = MUSCLE
    sub[m_in & inside_cav] = BLOOD
    heart_top = hy - ext_y
    # aorta: ascending (right of the heart's base), arch, descending left of the spine
    vr = s["skeleton.vertebra_radius_mm"]
    vz = spine_front + vr                               # vertebral body centre (depth)
    r_ao = 0.1 * hw
    arch_y = y_apex + 0.18 * H
    asc = _bezier((hx - 0.25 * rx_h, hy - 0.3 * ext_y, hz + 10), (5.0, arch_y + 30, hz + 5),
                  (-5.0, arch_y, hz + 15), 12)
    arch = _bezier((-5.0, arch_y, hz + 15), (10.0, arch_y - 25, 0.5 * (hz + vz)),
                   (vr + r_ao - 2, arch_y + 15, vz - 5), 12)
    desc = np.array([(vr + r_ao - 2, arch_y + 15, vz - 5),
                     (vr + r_ao - 4, y_low + 30, vz - 10)])
    segs = [_polyline_segments(asc, r_ao), _polyline_segments(arch, r_ao),
            _polyline_segments(desc, 0.9 * r_ao, 0.85 * r_ao)]
    # superior vena cava along the right mediastinal border
    segs.append(_polyline_segments([(-25.0, y_top, hz + 25), (-25.0, heart_top + 25, hz + 15)],
                                   0.08 * hw))
    # pulmonary trunk to the two hila
    hilum_y = y_apex + 0.40 * H
    hil_x = 22.0 + 10.0 * 0.4 + 8.0
    trunk_top = (8.0, heart_top - 5, hz + 25)
    segs.append(_polyline_segments([(hx - 10, heart_top + 20, hz + 5), trunk_top], 0.11 * hw))
    for sx in (-1.0, 1.0):
        segs.append(_polyline_segments([trunk_top, (sx * hil_x, hilum_y, 0.0)], 0.075 * hw))
    for sg in segs:
        f.paint(labels, sg, BLOOD)
    # trachea and main bronchi
    carina = (0.0, y_apex + 0.30 * H, spine_front - 12.0)
    f.paint(labels, _polyline_segments([(0.0, y_top, spine_front - 14.0), carina], 9.0), AIRWAY)
    for sx, yy in ((-1.0, hilum_y - 8), (1.0, hilum_y)):
        f.paint(labels, _polyline_segments([carina, (sx * (hil_x + 6), yy, -5.0)], 6.5, 5.0),
                AIRWAY)

    # -- spine -------------------------------------------------------------------------------
    step("skeleton")
    _spine(labels, f, s, vz, bi)
    # -- ribs ------------------------------------------------------------------------------
    rib_cx = s["skeleton.rib_cortex_mm"]
    ribs = []
    s_post = (H + 30.0) / 11.5
    ends = [150, 155, 152, 150, 148, 146, 144, 140, 135, 128, 110, 95]
    drops = [30, 45, 60, 70, 78, 84, 88, 90, 88, 80, 55, 35]
    for k in range(12):
        y0 = y_apex - 12.0 + k * s_post
        th = np.radians(np.linspace(18.0, ends[k], 40))
        frac = (th - th[0]) / (th[-1] - th[0])
        yy = y0 + drops[k] * (H / 250.0) * frac ** 1.3
        gk = _cavity_scale(yy, y_apex, H).clip(0.3, 1.0)
        A = ax_max * gk + rib_r + 1.0
        B = az_max * gk + rib_r + 1.0
        for sx in (-1.0, 1.0):
            pts = np.column_stack([sx * A * np.sin(th), yy, B * np.cos(th)])
            head = np.array([[sx * (vr + 2.0), y0 - 4.0, vz]])
            ribs.append(_polyline_segments(np.vstack([head, pts]), rib_r))
    rib_segs = np.vstack(ribs)
    f.paint(labels, rib_segs, BONE)
    marrow = rib_segs.copy()
    marrow[:, 6:] -= rib_cx
    f.paint(labels, marrow[marrow[:, 6] > 0], SOFT, only=BONE)
    # -- sternum ---------------------------------------------------------------------------
    _sternum(labels, f, y_apex, H, bi, s["skeleton.cortex_mm"])
    # -- clavicles -------------------------------------------------------------------------
    cr = s["skeleton.clavicle_radius_mm"]
    clav = []
    for sx in (-1.0, 1.0):
        pts = _bezier((sx * 22.0, y_apex - 8.0, -bi + cr),
                      (sx * 0.55 * ai, y_apex - 5.0, -bi - 0.2 * fat),
                      (sx * (ai - 8.0), y_apex - 28.0, 0.1 * bi), 24)
        clav.append(_polyline_segments(pts, cr))
    clav = np.vstack(clav)
    f.paint(labels, clav, BONE)
    cm = clav.copy()
    cm[:, 6:] -= s["skeleton.cortex_mm"]
    f.paint(labels, cm, SOFT, only=BONE)

    # -- scapulae: thin triangular plates on the back of the rib cage -----------------------
    plate = []
    y_sc0, y_sc1 = y_apex - 15.0, y_apex + 0.55 * H
    for yy in np.arange(y_sc0, y_sc1, 2.0):
        u = (yy - y_sc0) / (y_sc1 - y_sc0)                 # 0 at the top, 1 at the inferior angle
        th = np.radians(np.linspace(50.0 + 15.0 * u, 85.0 - 20.0 * u, 8))
        A = ax_max + 2 * rib_r + 4.0                   # on the outer back at every level
        B = az_max + 2 * rib_r + 4.0
        for sx in (-1.0, 1.0):
            pts = np.column_stack([sx * A * np.sin(th), np.full(th.size, yy), B * np.cos(th)])
            plate.append(_polyline_segments(pts, 2.0))
    f.paint(labels, np.vstack(plate), BONE)

    # -- pulmonary vessel trees --------------------------------------------------------------
    step("vessels")
    # territory points: lung voxels found by drawing random voxels (no full-size index array)
    flat = labels.reshape(-1)
    cand = rng.integers(0, flat.size, size=400_000)
    cand = cand[flat[cand] == LUNG]
    if cand.size < 100:
        raise ValueError(f"voxel_mm={voxel_mm} is too coarse to hold the lungs")
    pts_all = grid.index_to_world(np.column_stack(np.unravel_index(cand, grid.shape)))
    pts_all[:, 2] -= zc
    gens = s["lungs.vessel_generations"]
    r0 = s["lungs.vessel_root_radius_mm"]
    trees = []
    for sx in (-1.0, 1.0):
        side = pts_all[np.sign(pts_all[:, 0]) == sx]
        for dy, dz in ((0.0, 5.0), (25.0, -12.0)):          # artery, vein
            take = rng.choice(len(side), size=min(4000, len(side)), replace=False)
            root = (sx * hil_x, hilum_y + dy, dz)
            trees.append(_vessel_tree(rng, root, side[np.sort(take)], r0, gens))
    f.paint(labels, np.vstack(trees), BLOOD, only=LUNG)

    step("done")
    if bar is not None:
        bar.close()
    meta = {
        "recipe": rec["name"], "kind": "chest", "seed": int(seed), "voxel_mm": voxel_mm,
        "view": "chest PA", "label_names": {str(k): v for k, v in CHEST_LABELS.items()},
        "body_width_mm": W, "body_depth_mm": D, "fat_mm": fat, "muscle_mm": mus,
        "lung_height_mm": H, "dome_height_mm": dome, "right_dome_raise_mm": raise_r,
        "heart_width_mm": hw, "heart_left_shift_mm": hx, "heart_tilt_deg": s["heart.tilt_deg"],
        "detector_gap_mm": gap,
        "anatomy_mm": {
            "lung_apex_y": y_apex, "costophrenic_y": y_low,
            "heart_center": f.world(hx, hy, hz).tolist(),
            "spine_center_x": 0.0, "vertebral_body_center_z": float(vz + zc),
            "carina": f.world(*carina).tolist(),
            "hila": [f.world(-hil_x, hilum_y, 0.0).tolist(), f.world(hil_x, hilum_y, 0.0).tolist()],
        },
        "drawn": {k: v for k, v in s.items()},
    }
    return Phantom(labels=labels, grid=grid, materials=dict(CHEST_MATERIALS), meta=meta)


_STAGES = ("body", "lungs", "heart", "skeleton", "vessels", "done")


def _progress(progress):
    """(step callback, tqdm bar or None) for the build stages."""
    if callable(progress):
        return progress, None
    if progress is None:
        import sys

        progress = sys.stderr.isatty()
    if not progress:
        return (lambda name: None), None
    from tqdm import tqdm

    bar = tqdm(total=len(_STAGES) - 1, desc="chest phantom", unit="stage", leave=False)
    seen = []

    def step(name):
        if seen:
            bar.update(1)
        seen.append(name)
        bar.set_postfix_str(name)

    return step, bar


def _box_slices(f: _Frame, center, half):
    """Index slices of the grid box ``center +- half`` (anatomy coordinates)."""
    g = f.grid
    lo = g.world_to_index(f.world(*(np.asarray(center) - half)))
    hi = g.world_to_index(f.world(*(np.asarray(center) + half)))
    sl = []
    for k, n in enumerate(g.shape):
        a = int(max(0, math.floor(min(lo[k], hi[k]))))
        b_ = int(min(n, math.ceil(max(lo[k], hi[k])) + 1))
        sl.append(slice(a, max(a, b_)))
    return tuple(sl)


def _tilted_ellipsoid_mask(f: _Frame, c, r, tilt, half=None):
    """Slices and mask of an ellipsoid with semi-axes ``r`` rotated by ``tilt`` in the x-y plane
    (evaluated in the box ``c +- half``, ``max(r)`` by default)."""
    half = max(r) if half is None else half
    sl = _box_slices(f, c, np.array([half, half, half]))
    x = f.x[sl[2]][None, None, :] - c[0]
    y = f.y[sl[1]][None, :, None] - c[1]
    z = f.zd[sl[0]][:, None, None] - c[2]
    ct, st = math.cos(tilt), math.sin(tilt)
    u = ct * x + st * y          # long axis: towards the patient's left and the feet
    v = -st * x + ct * y
    return sl, (u / r[0]) ** 2 + (v / r[1]) ** 2 + (z / r[2]) ** 2 <= 1.0


def _ellipsoid(labels, f: _Frame, c, r, value, only=-1):
    sl = _box_slices(f, c, np.asarray(r))
    x = f.x[sl[2]][None, None, :] - c[0]
    y = f.y[sl[1]][None, :, None] - c[1]
    z = f.zd[sl[0]][:, None, None] - c[2]
    m = (x / r[0]) ** 2 + (y / r[1]) ** 2 + (z / r[2]) ** 2 <= 1.0
    sub = labels[sl]
    if only >= 0:
        m &= sub == only
    sub[m] = value


def _spine(labels, f: _Frame, s, vz, bi):
    """Vertebral bodies (cortical shell, marrow), discs, arches and spinous processes."""
    vr = s["skeleton.vertebra_radius_mm"]
    vh = s["skeleton.vertebra_height_mm"]
    disc = s["skeleton.disc_mm"]
    cort = s["skeleton.cortex_mm"]
    period = vh + disc
    sl = _box_slices(f, (0.0, 0.5 * (f.y[0] + f.y[-1]), vz + 0.5 * (bi - vz)),
                     np.array([vr + 30.0, 0.5 * (f.y[-1] - f.y[0]) + 1, vr + 0.5 * (bi - vz) + 5]))
    x = f.x[sl[2]][None, None, :]
    y = f.y[sl[1]][None, :, None]
    z = f.zd[sl[0]][:, None, None]
    phase = np.mod(y, period)
    in_body_y = phase < vh
    rr = np.sqrt((x / 1.15) ** 2 + (z - vz) ** 2)      # bodies wider than deep
    body = (rr <= vr) & in_body_y
    body_core = (rr <= vr - cort) & (phase >= cort) & (phase < vh - cort)
    disc_m = (rr <= vr) & ~in_body_y
    # neural arch: a ring behind the body around the canal, and transverse/spinous processes
    cz = vz + vr + 9.0
    rc = np.sqrt(x ** 2 + (z - cz) ** 2)
    arch = (rc >= 8.0) & (rc <= 14.0) & (z > vz + vr - 2) & (phase < 0.8 * period)
    proc_y = (phase > 0.15 * period) & (phase < 0.6 * period)
    transverse = (np.abs(x) <= vr + 22.0) & (np.abs(z - cz) <= 5.0) & proc_y
    spinous_z = (z >= cz) & (z <= bi + 5.0)
    spinous = (np.abs(x) <= 4.0) & spinous_z & (np.abs(phase - 0.5 * period - 0.3 * (z - cz))
                                                 <= 0.18 * period)
    sub = labels[sl]
    _set(sub, disc_m, SOFT)
    _set(sub, body | arch | transverse | spinous, BONE)
    _set(sub, body_core, SOFT)
    _set(sub, (rc < 8.0) & (z > vz + vr - 2), SOFT)      # spinal canal


def _set(sub, mask, value):
    sub[np.broadcast_to(mask, sub.shape)] = value


def _sternum(labels, f: _Frame, y_apex, H, bi, cort):
    y0, y1 = y_apex - 5.0, y_apex + 0.62 * H
    zc = -bi + 7.0
    sl = _box_slices(f, (0.0, 0.5 * (y0 + y1), zc), np.array([30.0, 0.5 * (y1 - y0), 8.0]))
    x = f.x[sl[2]][None, None, :]
    y = f.y[sl[1]][None, :, None]
    z = f.zd[sl[0]][:, None, None]
    halfw = np.where(y < y_apex + 45.0, 25.0, 15.0)     # manubrium wider than the body
    outer = (np.abs(x) <= halfw) & (np.abs(z - zc) <= 6.0) & (y >= y0) & (y <= y1)
    inner = ((np.abs(x) <= halfw - cort) & (np.abs(z - zc) <= 6.0 - cort)
             & (y >= y0 + cort) & (y <= y1 - cort))
    sub = labels[sl]
    _set(sub, outer, BONE)
    _set(sub, inner, SOFT)


# Approximate linear attenuation near 60 keV (1/mm) for the chest preview only, rounded from
# NIST XCOM mass attenuation coefficients (ICRU-44 tissues) times typical densities; the
# physics of acquisition lives in victwin.physics.
_CHEST_PREVIEW_MU_PER_MM = {"air": 0.0, "adipose": 0.0185, "muscle": 0.0215,
                            "soft_tissue": 0.0210, "lung": 0.0055, "blood": 0.0218,
                            "bone": 0.058, "mass": 0.0215, "water": 0.0206,
                            "glandular": 0.0210, "skin": 0.0220, "hydroxyapatite": 0.10,
                            "calcium_oxalate": 0.07}


def save_chest_preview(phantom: Phantom, path, *, title: str | None = None) -> Path:
    """Write a PNG of a chest phantom: a PA line-integral image (bone bright, lungs dark, as a
    radiograph is read: head up, patient's right on the viewer's left) and coronal, axial and
    sagittal slices. Grey levels use rough 60 keV attenuation (display only)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    path = Path(path)
    lab = phantom.labels
    g = phantom.grid
    lut = np.zeros(256, np.float32)
    for k, name in phantom.materials.items():
        lut[k] = _CHEST_PREVIEW_MU_PER_MM.get(name, 0.02)
    proj = np.zeros(lab.shape[1:], np.float32)
    for z0 in range(0, lab.shape[0], 16):
        proj += lut[lab[z0:z0 + 16]].sum(axis=0)
    proj *= g.spacing[0]
    x, y, z = g.axis_mm("x"), g.axis_mm("y"), g.axis_mm("z")
    anat = phantom.meta.get("anatomy_mm", {})
    hc = anat.get("heart_center", list(g.center_mm))
    iz, iy, ix = np.rint(g.world_to_index(hc)).astype(int)
    iz = int(np.clip(iz + 0.15 * lab.shape[0], 0, lab.shape[0] - 1))  # behind the heart
    iy = int(np.clip(iy, 0, lab.shape[1] - 1))
    ix0 = int(np.clip(np.rint(g.world_to_index((0.0, 0.0, 0.0))[2]), 0, lab.shape[2] - 1))
    fig, ax = plt.subplots(1, 4, figsize=(18, 5.4), gridspec_kw={"width_ratios": [1, 1, 1, 0.8]})
    ext = (x[0], x[-1], y[-1], y[0])
    body = proj[proj > 0.05]
    lo, hi = (np.percentile(body, [2, 99.8]) if body.size else (0.0, 1.0))
    ax[0].imshow(proj, cmap="gray", vmin=lo, vmax=hi, extent=ext, interpolation="bilinear")
    ax[0].set_title("PA line integral (display ~60 keV)")
    slice_kw = dict(cmap="gray", vmin=0.0, vmax=0.035, interpolation="nearest")
    ax[1].imshow(lut[lab[iz]], extent=ext, **slice_kw)
    ax[1].set_title(f"coronal z = {z[iz]:.0f} mm")
    ax[2].imshow(lut[lab[:, iy, :]], extent=(x[0], x[-1], z[-1], z[0]), **slice_kw)
    ax[2].set_title(f"axial y = {y[iy]:.0f} mm (anterior up)")
    ax[3].imshow(lut[lab[:, :, ix0]].T, extent=(z[0], z[-1], y[-1], y[0]), **slice_kw)
    ax[3].set_title("sagittal x = 0 (anterior left)")
    for a_, (xl, yl) in zip(ax, [("x (mm), patient right -> left", "y (mm), head -> feet")] * 2
                            + [("x (mm)", "z (mm)"), ("z (mm)", "y (mm)")]):
        a_.set_xlabel(xl)
        a_.set_ylabel(yl)
    m = phantom.meta
    fig.suptitle(title or f"{m.get('recipe', 'chest')}  seed {m.get('seed', '-')}  voxel "
                 f"{g.spacing[0]:g} mm  shape {lab.shape}")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path
