"""Procedural compressed breast phantoms (cranio-caudal), built from a checked recipe.

The anatomy follows the published procedural generators (Graff, "A new, open-source,
multi-modality digital breast phantom", Proc. SPIE 9783, 2016 — the VICTRE breastPhantom;
Bakic et al., Med. Phys. 29:2131, 2002; Pokrajac et al., Med. Phys. 39:2290, 2012) in method,
with our own code and simplifications:

* outer surface: a half-ellipsoid (chest wall at ``x = 0``) compressed with
  :mod:`._compression`, a skin layer of set thickness, a nipple on the front;
* a pectoralis wedge at the chest wall;
* glandular tissue organised in compartments: Voronoi regions of seeds with a metric shortened
  along the direction to the nipple, so compartments are wedges radiating from it; each
  compartment has its own density offset; gland is where a radial prior (central gland,
  subcutaneous and retromammary fat) plus a power-law texture (:mod:`._texture`) exceeds a
  threshold solved so that the volume glandular fraction hits the drawn target;
* glandular texture read in coordinates stretched along the lines to the nipple, so gland
  forms strands and nodules that radiate from the nipple (:func:`_breast_kernels._fibre_coords`);
* Cooper's ligaments: breastPhantom's model (:mod:`._ligaments`): thin (0.1 mm) perturbed
  superellipsoidal shells elongated towards the nipple, packed one after another until 85% of
  the breast is held, each clipped by the earlier ones, in fat and gland alike;
* ducts branching from the nipple into each compartment with TDLUs at their ends, and vessel
  trees entering from the chest wall (:mod:`._trees`).

World frame (``victwin.geometry._scans``): chest wall at ``x = 0``, nipple towards ``+x``,
``y = 0`` on the breast's mid-line, the breast lies on the support from ``z = support_mm``
(20 mm) to ``support_mm + thickness_mm``.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from ..geometry import Grid
from . import _breast_kernels as K
from ._compression import compress
from ._ligaments import place_ligaments
from ._phantom import Phantom
from ._breast_recipe import BREAST_LABELS, BREAST_MATERIALS, draw_breast_parameters
from ._texture import TextureFields
from ._trees import grow_tree

__all__ = ["make_breast", "glandular_fractions"]

#: Mass densities (g/cm^3) used for the glandular fraction by mass: adipose 0.93 and
#: fibroglandular 1.04 (Hammerstein et al., Radiology 130:485, 1979).
DENSITY_ADIPOSE = 0.93
DENSITY_GLANDULAR = 1.04

#: Up to this many voxels the kernels run on one thread: waking numba's threads costs more than
#: labelling a few voxels (a one-voxel read took 24 ms in parallel on the loaded 2 cores).
_SERIAL_VOXELS = 1 << 15

#: Spacing (mm) of the lattice on which the glandular threshold is solved (or the voxel size
#: when that is coarser).
_SAMPLE_MM = 1.0


def glandular_fractions(counts: np.ndarray, materials: dict) -> tuple[float, float]:
    """Glandular fraction by volume and by mass of the adipose + glandular voxels.

    Skin, nipple, muscle, vessels, air and lesions are excluded (the breast-dosimetry
    convention, e.g. Dance 1990 / VICTRE's ``targetFatFrac``).
    """
    n_g = sum(int(counts[k]) for k, v in materials.items() if v == "glandular" and k < 20)
    n_a = sum(int(counts[k]) for k, v in materials.items() if v == "adipose")
    if n_g + n_a == 0:
        return 0.0, 0.0
    fv = n_g / (n_g + n_a)
    fm = n_g * DENSITY_GLANDULAR / (n_g * DENSITY_GLANDULAR + n_a * DENSITY_ADIPOSE)
    return fv, fm


def _compartment_seeds(rng, n, a, b, c):
    """Seeds spread through the central breast, with unit vectors pointing to the nipple."""
    seeds = []
    while len(seeds) < n:
        p = rng.uniform((0.15 * a, -0.75 * b, -0.7 * c), (0.85 * a, 0.75 * b, 0.7 * c))
        if (p[0] / a) ** 2 + (p[1] / b) ** 2 + (p[2] / c) ** 2 < 0.55:
            seeds.append(p)
    seeds = np.array(seeds)
    nipple = np.array([a, 0.0, 0.0])
    d = nipple - seeds
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    return seeds, d


def _solve_threshold(gval: np.ndarray, lig: np.ndarray, target: float) -> float:
    """Threshold ``t`` with mean(g > t) + mean(g <= t and ligament) = target (bisection)."""
    lo, hi = float(gval.min()) - 1.0, float(gval.max()) + 1.0

    def frac(t):
        above = gval > t
        return float(np.mean(above | lig))

    if frac(hi) >= target:  # ligaments alone exceed the target: no gland
        return hi
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if frac(mid) > target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _segment_boxes(segs, comp, grid, zc):
    """Voxel index boxes ``[n, 6]`` (iz0, iz1, iy0, iy1, ix0, ix1) around each tube."""
    if len(segs) == 0:
        return np.zeros((0, 6), dtype=np.int64)
    t = np.linspace(0.0, 1.0, 5)
    p = segs[:, None, :3] + t[None, :, None] * (segs[:, None, 3:6] - segs[:, None, :3])
    x, y, zr = comp.to_compressed(p[..., 0], p[..., 1], p[..., 2])
    pts = np.stack([x, y, zr + zc], axis=-1)
    grow = segs[:, 6] * max(comp.k, comp.c_prime / comp.c, 1.0) * 1.5
    lo = pts.min(axis=1) - grow[:, None]
    hi = pts.max(axis=1) + grow[:, None]
    ilo = np.floor(grid.world_to_index(lo)).astype(np.int64) - 1  # (z, y, x)
    ihi = np.ceil(grid.world_to_index(hi)).astype(np.int64) + 2
    shape = np.array(grid.shape)
    ilo = np.clip(ilo, 0, shape)
    ihi = np.clip(ihi, 0, shape)
    return np.stack([ilo[:, 0], ihi[:, 0], ilo[:, 1], ihi[:, 1], ilo[:, 2], ihi[:, 2]], axis=1)


@dataclass(frozen=True)
class _Body:
    """The drawn breast: the drawn parameters ``d`` (flat ``section.key``) and its
    compression (the grid follows from these and the voxel size: :func:`_breast_grid`)."""

    d: dict
    comp: object
    support: float
    thickness: float
    zc: float


@dataclass
class _Structures:
    """The random structures of one breast, in mm (independent of the voxel size)."""

    seeds: np.ndarray
    dirs: np.ndarray
    offsets: np.ndarray
    tex: TextureFields
    ligs: object
    duct_segs: list
    tdlu_segs: list
    tdlu_centres: list
    vessel_segs: list


#: The steps of a breast phantom, in order (each a function of this module): the draws
#: (:class:`PreparedBreast`, once per breast), then per voxel size and window the threshold
#: (cached per lattice), the labels, the trees and the metadata.
STEPS = ("_draw_body", "_draw_structures", "_kernel_parameters", "_solve_gland_threshold",
         "_fill_labels", "_paint_trees", "_breast_meta")


def make_breast(spec: dict, *, seed: int, voxel_mm: float | None = None,
                progress: bool | None = None, window_mm=None) -> Phantom:
    """Build a compressed breast phantom from a checked recipe (see ``load_breast_recipe``).

    Parameters
    ----------
    spec : dict
        Breast recipe as returned by ``load_recipe``.
    seed : int
        Seed of every random draw.
    voxel_mm : float, mm, optional
        Isotropic voxel size (default: the recipe's ``voxel_mm``).
    progress : bool, optional
        tqdm progress bar over z-slabs (default: when stderr is a terminal).
    window_mm : ((x0, y0, z0), (x1, y1, z1)), mm, optional
        Build only the voxels that meet this box (see :meth:`PreparedBreast.make`).

    Notes
    -----
    The steps (:data:`STEPS`) draw from one generator in a fixed order: parameters and
    compression, then compartments, texture, ligaments, ducts and vessels; the voxel size
    enters only after every draw. Several windows or voxel sizes of one breast: use
    :class:`PreparedBreast` (``victwin.phantom.prepare``), which draws once.
    """
    from ._prepared import PreparedBreast

    return PreparedBreast(spec, seed=seed).make(voxel_mm, window_mm=window_mm,
                                                progress=progress)


def _draw_body(spec: dict, rng) -> _Body:
    """Draw the recipe's ranges and compress the breast."""
    d = draw_breast_parameters(spec, rng)
    a, b, c = d["shape.depth_mm"], d["shape.half_width_mm"], d["shape.half_height_mm"]
    thickness = d["compression.thickness_mm"]
    comp = compress(a, b, c, thickness, d["compression.bulge"])
    support = d["compression.support_mm"]
    return _Body(d, comp, support, thickness, support + 0.5 * thickness)


def _breast_grid(body: _Body, vox: float) -> Grid:
    """The whole breast's grid at voxel size ``vox``: x from the chest wall, y centred, z from
    the support up."""
    comp, thickness = body.comp, body.thickness
    nlen = body.d["nipple.length_mm"]
    nx = int(math.ceil((comp.A + nlen + 1.0) / vox))
    ny = 2 * int(math.ceil((comp.B + 1.0) / vox))
    nz = max(1, int(math.ceil(thickness / vox - 1e-9)))
    return Grid(shape=(nz, ny, nx), spacing=(vox, vox, vox),
                origin=(0.5 * vox, -0.5 * (ny - 1) * vox, body.support + 0.5 * vox))


def _draw_structures(spec: dict, body: _Body, rng) -> _Structures:
    """Compartments, texture, ligaments, duct trees with TDLUs, and vessel trees (mm)."""
    d = body.d
    a, b, c = d["shape.depth_mm"], d["shape.half_width_mm"], d["shape.half_height_mm"]
    n_comp = d["glandular.compartments"]
    seeds, dirs = _compartment_seeds(rng, n_comp, a, b, c)
    offsets = rng.normal(0.0, d["glandular.compartment_spread"], n_comp)
    # The texture is read in the nipple-centred coordinates of _breast_kernels._fibre_coords:
    # (e r, a y / r', a z / r') with r <= |(a, b, c)| and |a y / r'|, |a z / r'| <= a.
    elong = d["glandular.anisotropy"]
    r_max = math.sqrt(a * a + b * b + c * c)
    tex = TextureFields((-2.0, -a - 2.0, -a - 2.0), (elong * r_max + 4.0, 2 * a + 4.0, 2 * a + 4.0),
                        d["glandular.texture_beta"], rng)
    # Per-lobule ranges from the recipe, the other ligament values as drawn for this phantom.
    lig_cfg = {k[len("ligaments."):]: v for k, v in d.items() if k.startswith("ligaments.")}
    lig_cfg["axis_mm"] = spec["ligaments"]["axis_mm"]
    lig_cfg["axial_ratio"] = spec["ligaments"]["axial_ratio"]
    ligs = place_ligaments(rng, a, b, c, lig_cfg)
    duct_segs, tdlu_segs, tdlu_centres = _draw_ducts(d, rng, seeds, n_comp, (a, b, c))
    vessel_segs = _draw_vessels(d, rng, (a, b, c))
    return _Structures(seeds, dirs, offsets, tex, ligs, duct_segs, tdlu_segs, tdlu_centres,
                       vessel_segs)


def _draw_ducts(d: dict, rng, seeds, n_comp: int, abc_mm):
    """Duct trees from the nipple into each compartment, a TDLU at each tip."""
    a = abc_mm[0]
    abc = np.array(abc_mm)
    nipple_u = np.array([a - 1.0, 0.0, 0.0])
    duct_segs, tdlu_segs, tdlu_centres = [], [], []
    n_gen = d["ducts.generations"]
    per_tree = d["ducts.max_branches"] // max(n_comp, 1)
    if n_gen > 0 and per_tree > 0:
        for i in range(n_comp):
            segs, tips = grow_tree(rng, nipple_u, seeds[i] - nipple_u, seeds[i], abc,
                                   generations=n_gen, max_branches=per_tree,
                                   radius_mm=d["ducts.radius_mm"], length_mm=(4.0, 9.0),
                                   shrink=0.75, branch_deg=(20.0, 40.0), pull=0.3)
            duct_segs.append(segs)
            r_t = d["ducts.tdlu_radius_mm"]
            for tip in tips:
                u = rng.standard_normal(3)
                u /= np.linalg.norm(u)
                # TDLU length 1-2 mm, width 0.5-1 mm (breastPhantom cfg/VICTRE_dense.cfg
                # [TDLU] lines 145-151): a capsule of radius r_t and total length L.
                end = tip + max(rng.uniform(1.0, 2.0) - 2.0 * r_t, 0.0) * u
                tdlu_segs.append((*tip, *end, r_t))
                tdlu_centres.append(0.5 * (tip + end))
    return duct_segs, tdlu_segs, tdlu_centres


def _draw_vessels(d: dict, rng, abc_mm) -> list:
    """Vessel trees entering from the chest wall."""
    a, b, c = abc_mm
    abc = np.array(abc_mm)
    vessel_segs = []
    n_trunks = d["vessels.trunks"]
    if n_trunks > 0 and d["vessels.generations"] > 0:
        per_trunk = d["vessels.max_branches"] // n_trunks
        for _ in range(n_trunks):
            start = np.array([1.0, rng.uniform(-0.6 * b, 0.6 * b), rng.uniform(-0.5 * c, 0.5 * c)])
            direction = np.array([1.0, rng.normal(0, 0.3), rng.normal(0, 0.2)])
            segs, _ = grow_tree(rng, start, direction, np.array([0.9 * a, 0.0, 0.0]), abc,
                                generations=d["vessels.generations"], max_branches=per_trunk,
                                radius_mm=d["vessels.radius_mm"], length_mm=(8.0, 16.0),
                                shrink=0.8, branch_deg=(15.0, 40.0), pull=0.25, rho_max=0.95)
            vessel_segs.append(segs)
    return vessel_segs


def _kernel_parameters(body: _Body, st: _Structures):
    """The parameter vector and the field arrays the compiled kernels read."""
    d, comp = body.d, body.comp
    a, b, c = d["shape.depth_mm"], d["shape.half_width_mm"], d["shape.half_height_mm"]
    elong = d["glandular.anisotropy"]
    tex, ligs = st.tex, st.ligs
    P = np.zeros(K.N_PARAMS)
    P[K.I_A], P[K.I_B], P[K.I_CP], P[K.I_H], P[K.I_K] = comp.A, comp.B, comp.c_prime, comp.h, comp.k
    P[K.I_a], P[K.I_b], P[K.I_c], P[K.I_ZC] = a, b, c, body.zc
    P[K.I_SKIN] = d["skin.thickness_mm"]
    P[K.I_NLEN], P[K.I_NRAD] = d["nipple.length_mm"], d["nipple.radius_mm"]
    P[K.I_MDEPTH] = d["pectoralis.depth_mm"]
    P[K.I_MY0] = d["pectoralis.offset_y_mm"]
    P[K.I_MHW] = d["pectoralis.half_width_mm"]
    P[K.I_WTEX] = d["glandular.texture_weight"]
    P[K.I_LIG] = 0.5 * d["ligaments.thickness_mm"]
    P[K.I_LPERT] = d["ligaments.perturbation"]
    P[K.I_LCELL] = ligs.cell_mm
    P[K.I_LTILE] = ligs.tile_mm
    P[K.I_ELONG] = elong
    P[K.I_EPS] = d["glandular.anisotropy"]
    P[K.I_PRIOR] = d["glandular.radial_weight"]
    P[K.I_RETRO] = d["glandular.retromammary_mm"]
    P[K.I_SUBCUT] = d["glandular.subcutaneous_rho"]
    P[K.I_COARSE], P[K.I_FINE] = tex.coarse_mm, tex.fine_mm
    tex_lower = tex.lower_mm
    fields = (st.seeds, st.dirs, st.offsets, tex.coarse, tex_lower, tex.fine, ligs.shells,
              ligs.noise_offset, ligs.cell_lower, ligs.cell_shape, ligs.cell_start,
              ligs.cell_items, ligs.tile)
    return P, fields


def _solve_gland_threshold(body: _Body, P, fields, vox: float) -> float:
    """Threshold of the gland field so that the glandular volume fraction meets the target,
    solved on a lattice of ``_SAMPLE_MM`` (or the voxel size when coarser)."""
    comp, support, thickness = body.comp, body.support, body.thickness
    g = max(_SAMPLE_MM, vox)  # a coarser phantom needs no finer lattice than its voxels
    xs = np.arange(0.5 * g, comp.A, g)
    ys = np.arange(-comp.B + 0.5 * g, comp.B, g)
    zs = np.arange(support + 0.5 * g, support + thickness, g)
    pts = np.stack(np.meshgrid(xs, ys, zs, indexing="ij"), axis=-1).reshape(-1, 3)
    inside, gval, lig = K.sample_kernel(pts, P, *fields)
    return _solve_threshold(gval[inside], lig[inside], body.d["glandular.fraction_volume"])


def _fill_labels(grid: Grid, P, fields, progress: bool, lo_zyx=(0, 0, 0), hi_zyx=None,
                 step: int = 1) -> np.ndarray:
    """Label the voxels ``lo:hi:step`` of the whole grid ``grid`` (default: all of them; air,
    skin, nipple, muscle, fat, gland, ligament), slab by slab."""
    hi_zyx = grid.shape if hi_zyx is None else hi_zyx
    shape = tuple(-(-(int(b) - int(a)) // step) for a, b in zip(lo_zyx, hi_zyx))
    labels = np.zeros(shape, dtype=np.uint8)
    nz = shape[0]
    vox = grid.spacing[0]
    x0, y0, z0 = grid.origin
    oz, oy, ox = (int(v) for v in lo_zyx)
    slab = max(1, min(16, nz))
    kernel = K.fill_kernel if labels.size > _SERIAL_VOXELS else K.fill_kernel_serial
    with tqdm(total=nz, desc="breast phantom", unit="slice", disable=not progress,
              leave=False) as bar:
        for zs0 in range(0, nz, slab):
            zs1 = min(nz, zs0 + slab)
            kernel(labels, zs0, zs1, oz, oy, ox, step, x0, y0, z0, vox, vox, vox, P, *fields)
            bar.update(zs1 - zs0)
    return labels


def _tree_segments(body: _Body, st: _Structures, grid: Grid):
    """Duct (with TDLU) and vessel segments ``[n, 7]`` and their voxel boxes on the whole
    grid (see :func:`_segment_boxes`)."""
    comp, zc = body.comp, body.zc
    ducts = np.concatenate(st.duct_segs + [np.asarray(st.tdlu_segs, float).reshape(-1, 7)])
    vessels = np.concatenate(st.vessel_segs) if st.vessel_segs else np.zeros((0, 7))
    return (ducts, _segment_boxes(ducts, comp, grid, zc),
            vessels, _segment_boxes(vessels, comp, grid, zc))


def _paint_trees(labels: np.ndarray, grid: Grid, P, trees, lo_zyx=(0, 0, 0),
                 step: int = 1) -> int:
    """Paint ducts and TDLUs (over fat, gland, ligament), then vessels, into the voxels
    ``lo::step`` of the whole grid ``grid`` that ``labels`` holds; returns the number of vessel
    segments of the breast."""
    vox = grid.spacing[0]
    x0, y0, z0 = grid.origin
    oz, oy, ox = (int(v) for v in lo_zyx)
    hi = np.asarray(lo_zyx) + (np.asarray(labels.shape) - 1) * step + 1
    ducts, duct_boxes, vessels, vessel_boxes = trees
    allowed = np.zeros(256, dtype=np.bool_)
    allowed[[K.FAT, K.GLAND, K.LIGAMENT, K.DUCT]] = True
    kernel = K.segments_kernel if labels.size > _SERIAL_VOXELS else K.segments_kernel_serial
    for segs, boxes, code in ((ducts, duct_boxes, K.DUCT), (vessels, vessel_boxes, K.VESSEL)):
        # only the tubes whose boxes meet the voxels held
        meet = np.all((boxes[:, 0::2] < hi) & (boxes[:, 1::2] > np.asarray(lo_zyx)), axis=1)
        if meet.any():
            kernel(labels, oz, oy, ox, step, x0, y0, z0, vox, vox, vox, P,
                              np.ascontiguousarray(segs[meet]),
                              np.ascontiguousarray(boxes[meet]), code, allowed)
        allowed[K.VESSEL] = True
    return int(len(vessels))


def _breast_meta(spec: dict, seed: int, vox: float, body: _Body, st: _Structures,
                 counts: np.ndarray, n_vessel_segments: int,
                 counts_voxel_mm: float | None = None) -> dict:
    """The phantom's metadata: drawn sizes, the glandular fractions and volume measured from
    the label ``counts`` of the whole breast (voxelised at ``counts_voxel_mm``, default
    ``vox``), lesion sites."""
    d, comp, zc, thickness = body.d, body.comp, body.zc, body.thickness
    a, b, c = d["shape.depth_mm"], d["shape.half_width_mm"], d["shape.half_height_mm"]
    nlen = d["nipple.length_mm"]
    target = d["glandular.fraction_volume"]
    fv, fm = glandular_fractions(counts, BREAST_MATERIALS)
    breast_voxels = int(counts[1:].sum())
    if st.tdlu_centres:
        tc = np.asarray(st.tdlu_centres)
        x, y, zr = comp.to_compressed(tc[:, 0], tc[:, 1], tc[:, 2])
        sites = np.round(np.stack([x, y, zr + zc], axis=1), 3)
    else:
        sites = np.zeros((0, 3))
    return {
        "kind": "breast",
        "recipe": spec["name"],
        "seed": int(seed),
        "voxel_mm": vox,
        "density_class": spec["density_class"],
        "birads": spec["birads"],
        "glandular_fraction_volume": round(fv, 6),
        "glandular_fraction_mass": round(fm, 6),
        "glandular_fraction_target": round(target, 6),
        "thickness_mm": round(thickness, 4),
        "support_mm": body.support,
        "breast_volume_ml": round(breast_voxels * (counts_voxel_mm or vox) ** 3 / 1000.0, 3),
        "uncompressed_mm": {"depth": round(a, 3), "half_width": round(b, 3),
                            "half_height": round(c, 3)},
        "compressed_mm": {"depth": round(comp.A, 3), "half_width": round(comp.B, 3),
                          "spread_factor": round(comp.k, 5), "bulge": round(comp.bulge, 4)},
        "nipple_mm": [round(comp.A + nlen, 3), 0.0, round(zc, 3)],
        "skin_mm": round(d["skin.thickness_mm"], 4),
        "pectoralis_depth_mm": round(d["pectoralis.depth_mm"], 3),
        "n_compartments": d["glandular.compartments"],
        "n_ligament_lobules": st.ligs.count,
        "ligamented_fraction": round(st.ligs.coverage, 4),
        "n_duct_segments": int(sum(len(s) for s in st.duct_segs)),
        "n_vessel_segments": n_vessel_segments,
        "lesion_sites_mm": sites.tolist(),
        "labels": {str(k): v[0] for k, v in BREAST_LABELS.items()},
    }
