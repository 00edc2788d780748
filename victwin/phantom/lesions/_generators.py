"""Procedural lesion generators: spiculated mass, calcification cluster, lung nodule.

Three procedural lesion families, each generated from a seeded :class:`numpy.random.Generator`
as a small voxel patch at a given voxel size:

* :func:`spiculated_mass`: a lobulated core (a star-shaped body whose radius is a sum of smooth
  bumps on the sphere) with spicules grown as branching, tapering random walks from its surface,
  in the spirit of the breast-mass model of de Sisternes et al. (2015) used by VICTRE
  (DIDSR/breastMass). VICTRE used one 5 mm mass; we draw the equivalent diameter in 5-10 mm.
* :func:`calcification_cluster`: a few small calcifications (irregular ellipsoids, 0.1-0.5 mm)
  inside a cube a few mm across, at least a set distance apart. VICTRE's cluster holds 5
  calcifications of 0.15-0.25 mm in a 5 mm cube, 1.7-3.7 mm apart.
* :func:`lung_nodule`: a solid nodule (lobulated soft-tissue sphere) or a part-solid one (solid
  core inside a ground-glass halo).

Each returns a :class:`LesionModel`; :func:`~victwin.phantom.lesions.insert_lesion` pastes it
into a phantom.

Sizes are in mm: radii and diameters are given in mm and divided by the voxel size exactly
once. (The VICTRE pipeline's ``generate_cluster``, DIDSR/VICTRE_PIPELINE since commit 951a29b,
divides default radii already in mm by the voxel size again, draws radius 0 and fills its whole
5 mm cube; a test here checks that our cluster fills well under 1 % of its cube.)

Ground glass: the material table maps each label to one canonical material, so a ground-glass
halo is made as a dithered mixture: a fraction ``halo_fill`` of the halo voxels becomes soft
tissue and the rest stays lung. Over a few voxels (and in every projection) this reads as lung
of raised density, as ground-glass opacity is.

References
----------
de Sisternes L, Brankov JG, Zysk AM, Schmidt RA, Nishikawa RM, Wernick MN. A computational
model to generate simulated three-dimensional breast masses. Med Phys 2015;42(2):1098-1118.

Badano A, et al. Evaluation of digital breast tomosynthesis as replacement of full-field digital
mammography using an in silico imaging trial. JAMA Netw Open 2018;1(7):e185474.

Murray CD. The physiological principle of minimum work. PNAS 1926;12:207-214 (the cube law
used for the radius of daughter branches).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ._model import CALCIFICATION_MATERIALS, LesionModel, check_rng, in_range, range_pair
from ._raster import crop_like, crop_symmetric, paint_capsules, paint_star_body

__all__ = ["spiculated_mass", "calcification_cluster", "lung_nodule", "NODULE_TYPES"]


def _unit_vectors(rng: np.random.Generator, n: int) -> np.ndarray:
    v = rng.normal(size=(n, 3))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _fibonacci_sphere(n: int = 2000) -> np.ndarray:
    i = np.arange(n) + 0.5
    phi = np.arccos(1.0 - 2.0 * i / n)
    theta = math.pi * (1.0 + 5.0 ** 0.5) * i
    return np.stack([np.cos(theta) * np.sin(phi), np.sin(theta) * np.sin(phi), np.cos(phi)], 1)


class _Lobes:
    """The radius function of a lobulated core: ``1 + sum_j w_j exp(k_j (u.u_j - 1))``."""

    def __init__(self, rng, n_big, n_small, big_w, small_w):
        self.dirs = _unit_vectors(rng, n_big + n_small)
        self.w = np.concatenate([rng.uniform(0.5, 1.0, n_big) * big_w,
                                 rng.uniform(0.5, 1.0, n_small) * small_w])
        self.kappa = np.concatenate([rng.uniform(2.0, 5.0, n_big),
                                     rng.uniform(15.0, 40.0, n_small)])

    def radius(self, u: np.ndarray) -> np.ndarray:
        c = u @ self.dirs.T
        return 1.0 + (self.w * np.exp(self.kappa * (c - 1.0))).sum(axis=1)

    def table(self, n_theta: int = 181, n_phi: int = 361) -> np.ndarray:
        """``r`` on the polar grid read by :func:`paint_star_body` (1 degree steps)."""
        th = np.linspace(0.0, math.pi, n_theta)[:, None]
        ph = np.linspace(-math.pi, math.pi, n_phi)[None, :]
        u = np.stack(np.broadcast_arrays(np.sin(th) * np.cos(ph), np.sin(th) * np.sin(ph),
                                         np.cos(th)), -1).reshape(-1, 3)
        return np.ascontiguousarray(self.radius(u).reshape(n_theta, n_phi))

    def unit_volume(self) -> float:
        """Volume (mm^3) of the body for ``scale = 1``: (1/3) * integral of r^3 over the sphere."""
        r = self.radius(_fibonacci_sphere())
        return 4.0 * math.pi / 3.0 * float(np.mean(r ** 3))

    def bounds(self) -> tuple[float, float]:
        r = self.radius(_fibonacci_sphere())
        # the sampled extremes, widened by the radius function's slope between samples
        return float(r.min()) * 0.97, float(r.max()) * 1.03 + 0.02


def _voxelise_core(lobes: _Lobes, scale_mm: float, voxel_mm: float, half: int,
                   value: int = 1) -> np.ndarray:
    n = 2 * half + 1
    out = np.zeros((n, n, n), np.uint8)
    lo, hi = lobes.bounds()
    paint_star_body(out, np.array([half, half, half], float), float(voxel_mm), float(scale_mm),
               lobes.table(), scale_mm * lo, scale_mm * hi, value)
    return out


# ----------------------------------------------------------------------------------------------
# spiculated mass
# ----------------------------------------------------------------------------------------------

def _grow_spicules(rng, lobes: _Lobes, scale_mm: float, n_spicules: int, length_mm: float,
                   root_radius_mm: float, step_mm: float, branch_prob: float,
                   max_branches: int, min_radius_mm: float) -> np.ndarray:
    """Spicules as branching, tapering random walks from the core surface; rows as in
    :func:`paint_capsules` with coordinates relative to the core centre (mm). Radii never drop
    below ``min_radius_mm`` (sqrt(3)/2 voxel keeps a thin spicule 26-connected)."""
    segs = []
    roots = _unit_vectors(rng, n_spicules)
    r_surface = lobes.radius(roots) * scale_mm
    # stack of walkers: position, direction, radius, remaining length
    stack = []
    for u, rs in zip(roots, r_surface):
        length = length_mm * rng.uniform(0.5, 1.0)
        # start a little inside the surface so that the spicule joins the core
        stack.append((u * (rs - root_radius_mm), u.copy(), root_radius_mm, length))
    n_branches = 0
    while stack:
        p, d, r, left = stack.pop()
        taper = r / max(left, step_mm)      # radius lost per mm, reaching ~0 at the tip
        while left > 0:
            step = min(step_mm, left)
            # persistent walk with a weak outward pull, so spicules radiate from the core
            d = d + rng.normal(scale=0.15, size=3) + 0.1 * p / max(np.linalg.norm(p), 1e-9)
            d /= np.linalg.norm(d)
            q = p + step * d
            r_next = max(r - taper * step, min_radius_mm)
            segs.append((*p, *q, r, r_next))
            p, r, left = q, r_next, left - step
            if n_branches < max_branches and left > 2 * step and rng.random() < branch_prob:
                # a daughter leaves at ~20-50 degrees with Murray's-law radius
                b = d + rng.normal(scale=0.6, size=3)
                b /= np.linalg.norm(b)
                stack.append((p.copy(), b, r * 2.0 ** (-1.0 / 3.0), left * rng.uniform(0.3, 0.7)))
                n_branches += 1
    return np.asarray(segs, dtype=np.float64).reshape(-1, 8)


def spiculated_mass(rng=None, *, diameter_mm: float | None = None, voxel_mm: float = 0.1,
                    n_spicules: int | None = None, spicule_length_mm: float | None = None,
                    lobulation: float = 0.35) -> LesionModel:
    """A spiculated breast mass: a lobulated core with branching spicules.

    Parameters
    ----------
    rng : numpy.random.Generator or int
        Source of randomness (an int is used as a seed).
    diameter_mm : float, mm, optional
        Equivalent-sphere diameter of the whole mass (core and spicules), in [2, 30]; drawn
        uniformly in [5, 10] mm (the VICTRE range) when omitted.
    voxel_mm : float, mm
        Isotropic voxel size of the patch.
    n_spicules : int, optional
        Number of spicule roots; drawn in [12, 30] when omitted.
    spicule_length_mm : float, mm, optional
        Longest spicule length; 0.5-1.0 of the diameter when omitted (VICTRE's 5 mm mass
        spans 8.3 mm with its spicules).
    lobulation : float
        Weight of the large lobes in the core's radius function, in [0, 1].

    Returns
    -------
    LesionModel
        ``kind="mass"``, one material ``"mass"``; ``size_mm`` is the measured equivalent
        diameter.
    """
    rng = check_rng(rng)
    voxel_mm = in_range("voxel_mm", voxel_mm, 1e-3, 5.0)
    if diameter_mm is None:
        diameter_mm = rng.uniform(5.0, 10.0)
    diameter_mm = in_range("diameter_mm", diameter_mm, 2.0, 30.0)
    if not (0.0 <= float(lobulation) <= 1.0):
        raise ValueError(f"lobulation must be within [0, 1], got {lobulation!r}")
    if n_spicules is None:
        n_spicules = int(rng.integers(12, 31))
    if int(n_spicules) != n_spicules or not 0 <= n_spicules <= 200:
        raise ValueError(f"n_spicules must be an integer in [0, 200], got {n_spicules!r}")
    if spicule_length_mm is None:
        spicule_length_mm = diameter_mm * rng.uniform(0.5, 1.0)
    spicule_length_mm = in_range("spicule_length_mm", spicule_length_mm, 1e-3, 50.0)

    lobes = _Lobes(rng, n_big=int(rng.integers(4, 8)), n_small=24,
                   big_w=float(lobulation), small_w=0.06)
    root_r = max(0.06 * diameter_mm, 0.6 * voxel_mm)
    # spicule shape at unit scale, then the core scale that brings the total volume to target
    spicule_rng_state = rng.bit_generator.state
    target_v = math.pi / 6.0 * diameter_mm ** 3
    scale = 0.5 * diameter_mm / (lobes.unit_volume() / (4.0 * math.pi / 3.0)) ** (1.0 / 3.0)
    segs = np.zeros((0, 8))
    for _ in range(3):      # fixed-point on the spicule volume; converges in 2-3 passes
        rng.bit_generator.state = spicule_rng_state
        segs = _grow_spicules(rng, lobes, scale, int(n_spicules), spicule_length_mm, root_r,
                              step_mm=max(0.25, 2 * voxel_mm), branch_prob=0.12,
                              max_branches=3 * int(n_spicules),
                              min_radius_mm=0.87 * voxel_mm)
        lengths = np.linalg.norm(segs[:, 3:6] - segs[:, :3], axis=1)
        v_spic = float(np.sum(math.pi / 3.0 * lengths * (segs[:, 6] ** 2 + segs[:, 6] * segs[:, 7]
                                                           + segs[:, 7] ** 2)))
        v_core = max(target_v - 0.6 * v_spic, 0.3 * target_v)   # ~40 % of spicule volume overlaps
        scale = (v_core / lobes.unit_volume()) ** (1.0 / 3.0)

    _, hi = lobes.bounds()
    extent = max(scale * hi, float(np.abs(segs[:, :6]).max(initial=0.0)) + root_r) + 2 * voxel_mm
    half = int(math.ceil(extent / voxel_mm))
    patch = _voxelise_core(lobes, scale, voxel_mm, half)
    if len(segs):
        c = half * voxel_mm
        paint_capsules(patch, segs + np.array([c, c, c, c, c, c, 0.0, 0.0]), 1,
                       origin_mm=np.zeros(3), spacing_mm=np.full(3, voxel_mm))
    patch = crop_symmetric(patch)
    model = LesionModel("mass", patch, ("mass",), voxel_mm, 0.0,
                        {"target_diameter_mm": diameter_mm, "core_scale_mm": scale,
                         "n_spicules": int(n_spicules), "n_spicule_segments": len(segs),
                         "spicule_length_mm": spicule_length_mm})
    return dataclasses.replace(model, size_mm=model.equivalent_diameter_mm)


# ----------------------------------------------------------------------------------------------
# calcification cluster
# ----------------------------------------------------------------------------------------------

def calcification_cluster(rng=None, *, n_calcifications: int | None = None,
                          extent_mm: float = 5.0, diameter_range_mm=(0.15, 0.5),
                          min_separation_mm: float = 1.0, material: str = "hydroxyapatite",
                          voxel_mm: float = 0.05) -> LesionModel:
    """A cluster of small calcifications inside a cube.

    Parameters
    ----------
    rng : numpy.random.Generator or int
    n_calcifications : int, optional
        Number of calcifications, in [1, 50]; drawn in [4, 10] when omitted (VICTRE's cluster
        has 5; the VICTRE pipeline's generator draws 4-10).
    extent_mm : float, mm
        Edge of the cube that holds the whole cluster (5 mm in VICTRE).
    diameter_range_mm : (min, max), mm
        Range of each calcification's largest diameter, within [0.05, 2].
    min_separation_mm : float, mm
        Smallest centre-to-centre distance (VICTRE's are 1.7-3.7 mm apart).
    material : {"hydroxyapatite", "calcium_oxalate"}
    voxel_mm : float, mm

    Returns
    -------
    LesionModel
        ``kind="calcification"``; ``size_mm`` is the cluster extent (largest edge of the
        bounding box of the calcification voxels); ``info["diameters_mm"]`` and
        ``info["centers_mm"]`` (relative to the patch centre, ``(x, y, z)``) list the drawn
        calcifications.
    """
    rng = check_rng(rng)
    if material not in CALCIFICATION_MATERIALS:
        raise ValueError(f"material must be one of {CALCIFICATION_MATERIALS}, got {material!r}")
    voxel_mm = in_range("voxel_mm", voxel_mm, 1e-3, 1.0)
    extent_mm = in_range("extent_mm", extent_mm, 0.2, 50.0)
    dmin, dmax = range_pair("diameter_range_mm", diameter_range_mm, 0.05, 2.0)
    if dmax >= extent_mm:
        raise ValueError(f"diameter_range_mm max must be smaller than extent_mm={extent_mm}, "
                         f"got {diameter_range_mm!r}")
    min_sep = float(min_separation_mm)
    if not (0.0 <= min_sep < extent_mm):
        raise ValueError(f"min_separation_mm must be within [0, extent_mm), got "
                         f"{min_separation_mm!r}")
    if n_calcifications is None:
        n_calcifications = int(rng.integers(4, 11))
    if int(n_calcifications) != n_calcifications or not 1 <= n_calcifications <= 50:
        raise ValueError(f"n_calcifications must be an integer in [1, 50], got "
                         f"{n_calcifications!r}")
    n = int(n_calcifications)

    diam = rng.uniform(dmin, dmax, n)
    # centres: keep each whole calcification inside the cube; reject close pairs (bounded)
    centres = np.zeros((0, 3))
    for i in range(n):
        box = 0.5 * (extent_mm - diam[i])
        for _ in range(1000):
            c = rng.uniform(-box, box, 3)
            if len(centres) == 0 or np.min(np.linalg.norm(centres - c, axis=1)) >= min_sep:
                break
        else:
            raise ValueError(f"min_separation_mm={min_sep} is too large to place {n} "
                             f"calcifications in a {extent_mm} mm cube")
        centres = np.vstack([centres, c])

    half = int(math.ceil(0.5 * extent_mm / voxel_mm)) + 1
    size = 2 * half + 1
    patch = np.zeros((size, size, size), np.uint8)
    ax = (np.arange(size) - half) * voxel_mm
    for c, d in zip(centres, diam):
        # irregular ellipsoid: semi-axes (d/2) * (1, a, b), a, b in [0.5, 1], random rotation
        semi = 0.5 * d * np.array([1.0, *rng.uniform(0.5, 1.0, 2)])
        q = rng.normal(size=4)
        rot = _quat_to_matrix(q / np.linalg.norm(q))
        lo = np.searchsorted(ax, c - 0.5 * d - voxel_mm)
        hi = np.searchsorted(ax, c + 0.5 * d + voxel_mm, side="right")
        xs, ys, zs = ax[lo[0]:hi[0]], ax[lo[1]:hi[1]], ax[lo[2]:hi[2]]
        zz, yy, xx = np.meshgrid(zs, ys, xs, indexing="ij")
        p = np.stack([xx - c[0], yy - c[1], zz - c[2]], -1) @ rot   # body coordinates
        inside = np.sum((p / semi) ** 2, axis=-1) <= 1.0
        sub = patch[lo[2]:hi[2], lo[1]:hi[1], lo[0]:hi[0]]
        sub[inside] = 1
        # a calcification smaller than a voxel still marks the voxel holding its centre
        k = np.rint(c[::-1] / voxel_mm).astype(int) + half
        patch[k[0], k[1], k[2]] = 1

    patch = crop_symmetric(patch)
    idx = np.argwhere(patch)
    extent = float(((idx.max(0) - idx.min(0)) + 1).max()) * voxel_mm
    return LesionModel("calcification", patch, (material,), voxel_mm, extent,
                       {"n_calcifications": n, "diameters_mm": diam.tolist(),
                        "centers_mm": centres.tolist(), "extent_mm": extent_mm,
                        "material": material})


def _quat_to_matrix(q: np.ndarray) -> np.ndarray:
    w, x, y, z = q
    return np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                     [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                     [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])


# ----------------------------------------------------------------------------------------------
# lung nodule
# ----------------------------------------------------------------------------------------------

NODULE_TYPES = ("solid", "part-solid")


def lung_nodule(rng=None, *, diameter_mm: float | None = None, nodule_type: str = "solid",
                solid_fraction: float = 0.5, halo_fill: float = 0.3,
                voxel_mm: float = 0.5) -> LesionModel:
    """A solid or part-solid lung nodule.

    Parameters
    ----------
    rng : numpy.random.Generator or int
    diameter_mm : float, mm, optional
        Equivalent-sphere diameter of the whole nodule (halo included), in [2, 40]; drawn in
        [5, 15] mm when omitted.
    nodule_type : {"solid", "part-solid"}
    solid_fraction : float
        Part-solid only: diameter of the solid core over the whole diameter, in [0.1, 0.9].
    halo_fill : float
        Part-solid only: fraction of the halo's voxels made soft tissue (the rest stays lung),
        in (0, 1). 0.3 raises ICRU 46 lung (material ``"lung"``, 0.26 g/cm^3, -742 HU at
        70 keV) to 0.49 g/cm^3 (-514 HU) and the chest twins' parenchyma (``"lung_parenchyma"``,
        0.141 g/cm^3, -861 HU) to 0.41 g/cm^3 (-597 HU); ground-glass nodules measure about
        -600 to -700 HU (:mod:`victwin.phantom.chest.nodules`, which fills 25 %: -641 HU).
    voxel_mm : float, mm

    Returns
    -------
    LesionModel
        ``kind="nodule"``; materials ``("mass",)`` for solid nodules, ``("mass",
        "soft_tissue")`` for part-solid ones (value 2 = ground-glass halo voxels).
        ``size_mm`` is the equivalent diameter of the whole nodule envelope.
    """
    rng = check_rng(rng)
    if nodule_type not in NODULE_TYPES:
        raise ValueError(f"nodule_type must be one of {NODULE_TYPES}, got {nodule_type!r}")
    voxel_mm = in_range("voxel_mm", voxel_mm, 1e-3, 5.0)
    if diameter_mm is None:
        diameter_mm = rng.uniform(5.0, 15.0)
    diameter_mm = in_range("diameter_mm", diameter_mm, 2.0, 40.0)
    solid_fraction = in_range("solid_fraction", solid_fraction, 0.1, 0.9)
    if not (0.0 < float(halo_fill) < 1.0):
        raise ValueError(f"halo_fill must be within (0, 1), got {halo_fill!r}")

    lobes = _Lobes(rng, n_big=int(rng.integers(3, 6)), n_small=12, big_w=0.2, small_w=0.04)
    unit_r = (lobes.unit_volume() / (4.0 * math.pi / 3.0)) ** (1.0 / 3.0)
    scale = 0.5 * diameter_mm / unit_r
    _, hi = lobes.bounds()
    half = int(math.ceil(scale * hi / voxel_mm)) + 2
    envelope = _voxelise_core(lobes, scale, voxel_mm, half)
    if nodule_type == "solid":
        patch, materials = envelope, ("mass",)
    else:
        core = _voxelise_core(lobes, scale * solid_fraction, voxel_mm, half)
        halo = (envelope > 0) & (core == 0)
        patch = core.copy()
        patch[halo & (rng.random(envelope.shape) < float(halo_fill))] = 2
        materials = ("mass", "soft_tissue")
    env_d = (6.0 * np.count_nonzero(envelope) * voxel_mm ** 3 / math.pi) ** (1.0 / 3.0)
    # crop on the envelope so that the halo's unfilled voxels stay inside the patch
    patch = crop_like(patch, envelope)
    return LesionModel("nodule", patch, materials, voxel_mm, env_d,
                       {"nodule_type": nodule_type, "target_diameter_mm": diameter_mm,
                        "solid_fraction": solid_fraction if nodule_type != "solid" else 1.0,
                        "halo_fill": float(halo_fill) if nodule_type != "solid" else 0.0})

