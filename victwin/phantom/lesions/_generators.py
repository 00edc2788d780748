"""Lesion models and their insertion into phantoms.

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

:func:`insert_lesion` pastes a lesion model into a :class:`~victwin.phantom.Phantom` at a given
centre or at a random one inside a host tissue, and returns the new phantom and the lesion
record. Only voxels under the lesion's own mask change, so the phantoms with and without the
lesion differ only inside the lesion's bounding box.

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
from dataclasses import dataclass, field

import numba
import numpy as np

__all__ = ["LesionModel", "spiculated_mass", "calcification_cluster", "lung_nodule",
           "insert_lesion", "save_lesion_preview"]

#: Lesion kinds and the record ``kind`` they produce.
KINDS = ("mass", "calcification", "nodule")

#: Materials a calcification may be made of (canonical names).
CALCIFICATION_MATERIALS = ("hydroxyapatite", "calcium_oxalate", "calcium_oxalate_victre")

#: Host materials a lesion may never cover (besides other lesions).
FORBIDDEN_MATERIALS = frozenset({"air", "skin", "muscle", "bone"})

#: Materials that only lesions carry; a voxel of these belongs to an earlier lesion.
LESION_MATERIALS = frozenset({"mass", "hydroxyapatite", "calcium_oxalate",
                              "calcium_oxalate_victre"})


# ----------------------------------------------------------------------------------------------
# the lesion model value
# ----------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class LesionModel:
    """A lesion as a small voxel patch, ready to be inserted into a phantom.

    Parameters
    ----------
    kind : {"mass", "calcification", "nodule"}
    patch : uint8 ndarray ``[z, y, x]``
        0 where the lesion leaves the host untouched, ``k >= 1`` where it writes
        ``materials[k - 1]``. The patch centre (index ``(n - 1) / 2`` on each axis) is the
        lesion centre.
    materials : tuple of str
        Canonical material name for each patch value ``1, 2, ...``.
    voxel_mm : float, mm
        Isotropic voxel size of the patch.
    size_mm : float, mm
        Equivalent-sphere diameter of the lesion (mass, nodule) or the cluster extent (largest
        edge of the calcifications' bounding box).
    info : dict
        Generation details (drawn parameters, per-calcification diameters, ...).
    """

    kind: str
    patch: np.ndarray
    materials: tuple
    voxel_mm: float
    size_mm: float
    info: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"LesionModel.kind must be one of {KINDS}, got {self.kind!r}")
        patch = np.ascontiguousarray(self.patch, dtype=np.uint8)
        if patch.ndim != 3 or patch.size == 0:
            raise ValueError(f"LesionModel.patch must be a non-empty 3-D array, got shape "
                             f"{patch.shape}")
        if int(patch.max()) > len(self.materials) or not patch.any():
            raise ValueError(f"LesionModel.patch values must be 1..{len(self.materials)} on at "
                             f"least one voxel, got max {int(patch.max())}")
        if not (self.voxel_mm > 0):
            raise ValueError(f"LesionModel.voxel_mm must be > 0, got {self.voxel_mm!r}")
        patch.setflags(write=False)
        object.__setattr__(self, "patch", patch)
        object.__setattr__(self, "materials", tuple(str(m) for m in self.materials))

    @property
    def mask(self) -> np.ndarray:
        """Boolean ``[z, y, x]`` mask of the voxels the lesion writes."""
        return self.patch > 0

    @property
    def volume_mm3(self) -> float:
        """Volume of the voxels the lesion writes (mm^3)."""
        return float(np.count_nonzero(self.patch)) * self.voxel_mm ** 3

    @property
    def equivalent_diameter_mm(self) -> float:
        """Diameter of the sphere with the lesion's voxel volume (mm)."""
        return (6.0 * self.volume_mm3 / math.pi) ** (1.0 / 3.0)

    def __repr__(self):
        return (f"LesionModel(kind={self.kind!r}, shape={self.patch.shape}, "
                f"materials={self.materials}, voxel_mm={self.voxel_mm}, "
                f"size_mm={self.size_mm:.3f})")


# ----------------------------------------------------------------------------------------------
# validation helpers
# ----------------------------------------------------------------------------------------------

def _check_rng(rng) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, (int, np.integer)):
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be a numpy.random.Generator or an int seed, got "
                    f"{type(rng).__name__}")


def _positive(name: str, value) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a positive number, got {value!r}") from None
    if not (v > 0 and math.isfinite(v)):
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return v


def _in_range(name: str, value, lo: float, hi: float) -> float:
    v = _positive(name, value)
    if not (lo <= v <= hi):
        raise ValueError(f"{name} must be within [{lo}, {hi}], got {value!r}")
    return v


def _range_pair(name: str, value, lo: float, hi: float) -> tuple[float, float]:
    try:
        a, b = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a (min, max) pair, got {value!r}") from None
    if not (lo <= a <= b <= hi):
        raise ValueError(f"{name} must satisfy {lo} <= min <= max <= {hi}, got {value!r}")
    return a, b


# ----------------------------------------------------------------------------------------------
# compiled rasterisers
# ----------------------------------------------------------------------------------------------

@numba.njit(cache=True, nogil=True)
def _paint_capsules(out, origin, spacing, segs, value, only):
    """Set ``out[z, y, x] = value`` inside capsules.

    ``origin`` and ``spacing`` are the world ``(x, y, z)`` of voxel [0, 0, 0]'s centre and the
    voxel size (mm). ``segs`` rows are ``x0, y0, z0, x1, y1, z1, r0, r1`` (mm), a cone-capped
    segment whose radius goes linearly from ``r0`` to ``r1``. Where ``only >= 0`` a voxel is
    painted only if it currently holds ``only``.
    """
    nz, ny, nx = out.shape
    for s in range(segs.shape[0]):
        ax, ay, az = segs[s, 0], segs[s, 1], segs[s, 2]
        bx, by, bz = segs[s, 3], segs[s, 4], segs[s, 5]
        r0, r1 = segs[s, 6], segs[s, 7]
        rmax = max(r0, r1)
        dx, dy, dz = bx - ax, by - ay, bz - az
        ll = dx * dx + dy * dy + dz * dz
        i0 = max(0, int(math.floor((min(ax, bx) - rmax - origin[0]) / spacing[0])))
        i1 = min(nx - 1, int(math.ceil((max(ax, bx) + rmax - origin[0]) / spacing[0])))
        j0 = max(0, int(math.floor((min(ay, by) - rmax - origin[1]) / spacing[1])))
        j1 = min(ny - 1, int(math.ceil((max(ay, by) + rmax - origin[1]) / spacing[1])))
        k0 = max(0, int(math.floor((min(az, bz) - rmax - origin[2]) / spacing[2])))
        k1 = min(nz - 1, int(math.ceil((max(az, bz) + rmax - origin[2]) / spacing[2])))
        for k in range(k0, k1 + 1):
            pz = origin[2] + k * spacing[2]
            for j in range(j0, j1 + 1):
                py = origin[1] + j * spacing[1]
                for i in range(i0, i1 + 1):
                    if only >= 0 and out[k, j, i] != only:
                        continue
                    px = origin[0] + i * spacing[0]
                    t = 0.0
                    if ll > 0.0:
                        t = ((px - ax) * dx + (py - ay) * dy + (pz - az) * dz) / ll
                        t = min(1.0, max(0.0, t))
                    qx = ax + t * dx - px
                    qy = ay + t * dy - py
                    qz = az + t * dz - pz
                    r = r0 + t * (r1 - r0)
                    if qx * qx + qy * qy + qz * qz <= r * r:
                        out[k, j, i] = value


@numba.njit(cache=True, nogil=True)
def _star_body(out, center, voxel, scale, table, rmin, rmax, value):
    """Voxelise a star-shaped body ``|p - c| <= scale * r(u)``.

    ``r(u)`` is tabulated on a polar grid ``table[n_theta, n_phi]`` (theta = arccos(u_z) in
    [0, pi], phi = atan2(u_y, u_x) in [-pi, pi]) and read with bilinear interpolation.
    ``center`` is in voxel-index units ``(z, y, x)``; ``rmin``/``rmax`` (mm) bound
    ``scale * r`` so that voxels inside ``rmin`` are set without reading the table.
    """
    nz, ny, nx = out.shape
    nt, npp = table.shape
    h = int(math.ceil(rmax / voxel)) + 1
    k0, k1 = max(0, int(center[0]) - h), min(nz, int(center[0]) + h + 2)
    j0, j1 = max(0, int(center[1]) - h), min(ny, int(center[1]) + h + 2)
    i0, i1 = max(0, int(center[2]) - h), min(nx, int(center[2]) + h + 2)
    for k in range(k0, k1):
        dz = (k - center[0]) * voxel
        for j in range(j0, j1):
            dy = (j - center[1]) * voxel
            for i in range(i0, i1):
                dx = (i - center[2]) * voxel
                d2 = dx * dx + dy * dy + dz * dz
                if d2 > rmax * rmax:
                    continue
                if d2 <= rmin * rmin:
                    out[k, j, i] = value
                    continue
                d = math.sqrt(d2)
                ft = math.acos(min(1.0, max(-1.0, dz / d))) / math.pi * (nt - 1)
                fp = (math.atan2(dy, dx) + math.pi) / (2.0 * math.pi) * (npp - 1)
                t0 = min(int(ft), nt - 2)
                p0 = min(int(fp), npp - 2)
                at, ap = ft - t0, fp - p0
                r = ((1 - at) * ((1 - ap) * table[t0, p0] + ap * table[t0, p0 + 1])
                     + at * ((1 - ap) * table[t0 + 1, p0] + ap * table[t0 + 1, p0 + 1]))
                if d <= scale * r:
                    out[k, j, i] = value


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
        """``r`` on the polar grid read by ``_star_body`` (1 degree steps)."""
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
    _star_body(out, np.array([half, half, half], float), float(voxel_mm), float(scale_mm),
               lobes.table(), scale_mm * lo, scale_mm * hi, value)
    return out


# ----------------------------------------------------------------------------------------------
# spiculated mass
# ----------------------------------------------------------------------------------------------

def _grow_spicules(rng, lobes: _Lobes, scale_mm: float, n_spicules: int, length_mm: float,
                   root_radius_mm: float, step_mm: float, branch_prob: float,
                   max_branches: int, min_radius_mm: float) -> np.ndarray:
    """Spicules as branching, tapering random walks from the core surface; rows as in
    :func:`_paint_capsules` with coordinates relative to the core centre (mm). Radii never drop
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
    rng = _check_rng(rng)
    voxel_mm = _in_range("voxel_mm", voxel_mm, 1e-3, 5.0)
    if diameter_mm is None:
        diameter_mm = rng.uniform(5.0, 10.0)
    diameter_mm = _in_range("diameter_mm", diameter_mm, 2.0, 30.0)
    if not (0.0 <= float(lobulation) <= 1.0):
        raise ValueError(f"lobulation must be within [0, 1], got {lobulation!r}")
    if n_spicules is None:
        n_spicules = int(rng.integers(12, 31))
    if int(n_spicules) != n_spicules or not 0 <= n_spicules <= 200:
        raise ValueError(f"n_spicules must be an integer in [0, 200], got {n_spicules!r}")
    if spicule_length_mm is None:
        spicule_length_mm = diameter_mm * rng.uniform(0.5, 1.0)
    spicule_length_mm = _in_range("spicule_length_mm", spicule_length_mm, 1e-3, 50.0)

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
        _paint_capsules(patch, np.zeros(3), np.full(3, voxel_mm),
                        segs + np.array([c, c, c, c, c, c, 0.0, 0.0]), 1, -1)
    patch = _crop_symmetric(patch)
    model = LesionModel("mass", patch, ("mass",), voxel_mm, 0.0,
                        {"target_diameter_mm": diameter_mm, "core_scale_mm": scale,
                         "n_spicules": int(n_spicules), "n_spicule_segments": len(segs),
                         "spicule_length_mm": spicule_length_mm})
    return dataclasses.replace(model, size_mm=model.equivalent_diameter_mm)


def _crop_symmetric(patch: np.ndarray) -> np.ndarray:
    """Trim empty borders equally on both sides of each axis, keeping the centre voxel."""
    sl = []
    for ax in range(3):
        other = tuple(a for a in range(3) if a != ax)
        used = np.flatnonzero(patch.any(axis=other))
        n = patch.shape[ax]
        c = (n - 1) // 2
        m = max(c - used[0], used[-1] - c)
        sl.append(slice(c - m, c + m + 1))
    return np.ascontiguousarray(patch[tuple(sl)])


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
    rng = _check_rng(rng)
    if material not in CALCIFICATION_MATERIALS:
        raise ValueError(f"material must be one of {CALCIFICATION_MATERIALS}, got {material!r}")
    voxel_mm = _in_range("voxel_mm", voxel_mm, 1e-3, 1.0)
    extent_mm = _in_range("extent_mm", extent_mm, 0.2, 50.0)
    dmin, dmax = _range_pair("diameter_range_mm", diameter_range_mm, 0.05, 2.0)
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

    patch = _crop_symmetric(patch)
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
        in (0, 1). 0.3 raises lung of ~0.26 g/cm^3 to ~0.5 g/cm^3, a ground-glass density.
    voxel_mm : float, mm

    Returns
    -------
    LesionModel
        ``kind="nodule"``; materials ``("mass",)`` for solid nodules, ``("mass",
        "soft_tissue")`` for part-solid ones (value 2 = ground-glass halo voxels).
        ``size_mm`` is the equivalent diameter of the whole nodule envelope.
    """
    rng = _check_rng(rng)
    if nodule_type not in NODULE_TYPES:
        raise ValueError(f"nodule_type must be one of {NODULE_TYPES}, got {nodule_type!r}")
    voxel_mm = _in_range("voxel_mm", voxel_mm, 1e-3, 5.0)
    if diameter_mm is None:
        diameter_mm = rng.uniform(5.0, 15.0)
    diameter_mm = _in_range("diameter_mm", diameter_mm, 2.0, 40.0)
    solid_fraction = _in_range("solid_fraction", solid_fraction, 0.1, 0.9)
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
    patch = _crop_like(patch, envelope)
    return LesionModel("nodule", patch, materials, voxel_mm, env_d,
                       {"nodule_type": nodule_type, "target_diameter_mm": diameter_mm,
                        "solid_fraction": solid_fraction if nodule_type != "solid" else 1.0,
                        "halo_fill": float(halo_fill) if nodule_type != "solid" else 0.0})


def _crop_like(patch: np.ndarray, ref: np.ndarray) -> np.ndarray:
    sl = []
    for ax in range(3):
        other = tuple(a for a in range(3) if a != ax)
        used = np.flatnonzero(ref.any(axis=other))
        c = (ref.shape[ax] - 1) // 2
        m = max(c - used[0], used[-1] - c)
        sl.append(slice(c - m, c + m + 1))
    return np.ascontiguousarray(patch[tuple(sl)])


# ----------------------------------------------------------------------------------------------
# insertion
# ----------------------------------------------------------------------------------------------

def _resample_patch(model: LesionModel, spacing_zyx) -> np.ndarray:
    """The model's patch on a grid of voxel size ``spacing_zyx`` (nearest neighbour), with an
    odd size on every axis so that its centre falls on a voxel."""
    sp = np.asarray(spacing_zyx, float)
    if np.allclose(sp, model.voxel_mm, rtol=1e-6, atol=0.0):
        return np.asarray(model.patch)
    n_in = np.asarray(model.patch.shape)
    half_mm = 0.5 * (n_in - 1) * model.voxel_mm
    half_out = np.maximum(np.ceil(half_mm / sp - 1e-9).astype(int), 0)
    out_axes = [(np.arange(2 * h + 1) - h) * s for h, s in zip(half_out, sp)]
    if model.kind == "calcification" and np.all(sp > model.voxel_mm):
        # every calcification voxel marks the coarse voxel it falls in, so that no
        # calcification disappears when a fine cluster goes into a coarse phantom
        out = np.zeros([len(a) for a in out_axes], np.uint8)
        nz = np.argwhere(model.patch)
        pos = (nz - (n_in - 1) / 2) * model.voxel_mm
        k = np.clip(np.rint(pos / sp).astype(int) + half_out, 0, 2 * half_out)
        out[k[:, 0], k[:, 1], k[:, 2]] = model.patch[nz[:, 0], nz[:, 1], nz[:, 2]]
        return out
    idx = [np.clip(np.rint(a / model.voxel_mm + (n - 1) / 2).astype(int), 0, n - 1)
           for a, n in zip(out_axes, n_in)]
    return np.ascontiguousarray(model.patch[np.ix_(*idx)])


def _lesion_labels(phantom, model: LesionModel) -> list[int]:
    """Label for each of the model's materials: the label earlier lesions of the same material
    already use, else the next free label."""
    used = {les.label for les in phantom.lesions}
    extra = [les.extra.get("labels", []) for les in phantom.lesions]
    for e in extra:
        used.update(int(v) for v in e)
    out = []
    taken = set(phantom.materials)
    for name in model.materials:
        same = [lab for lab in sorted(used) if phantom.materials.get(lab) == name]
        if same:
            out.append(same[0])
            continue
        free = [lab for lab in range(1, 256) if lab not in taken]
        if not free:
            raise ValueError("phantom has no free label value (1..255) for a lesion")
        out.append(free[0])
        taken.add(free[0])
    return out


def _default_tissue(kind: str) -> str:
    return "lung" if kind == "nodule" else "glandular"


def insert_lesion(phantom, lesion_model: LesionModel, *, center_mm=None, rng=None,
                  tissue: str | None = None, max_tries: int = 2000):
    """Insert a lesion into a phantom.

    Parameters
    ----------
    phantom : victwin.phantom.Phantom
    lesion_model : LesionModel
        From :func:`spiculated_mass`, :func:`calcification_cluster` or :func:`lung_nodule`;
        resampled (nearest neighbour) to the phantom's voxel size when they differ.
    center_mm : (x, y, z) floats, mm, optional
        World position of the lesion centre (snapped to the nearest voxel). When omitted, a
        centre is drawn at random on a voxel of the host ``tissue``.
    rng : numpy.random.Generator or int, optional
        Source of randomness for the placement.
    tissue : str, optional
        Host material for random placement; ``"glandular"`` for masses and calcifications,
        ``"lung"`` for nodules when omitted.
    max_tries : int
        Number of candidate centres tried before giving up.

    Returns
    -------
    (Phantom, Lesion)
        The new phantom, whose labels differ from ``phantom.labels`` only under the lesion's
        mask, with the lesion's labels added to its material table and the record appended to
        its ``lesions``; and the lesion record (``kind``, ``center_mm``, ``size_mm``,
        ``label``; ``extra`` holds the bounding box, all labels used and generation details).

    Raises
    ------
    ValueError
        One line, when the lesion would cover air, skin, nipple, muscle, bone or another
        lesion, leave the grid, or when no such place is found in ``max_tries`` tries.

    Notes
    -----
    As in the VICTRE pipeline (``Constants.FORBIDDEN_OVERLAP``) a lesion may not overlap air,
    skin (the nipple is skin), muscle or other lesions; bone is added for chest phantoms.
    """
    from .._phantom import Lesion, Phantom

    if not isinstance(phantom, Phantom):
        raise TypeError(f"phantom must be a victwin.phantom.Phantom, got {type(phantom).__name__}")
    if not isinstance(lesion_model, LesionModel):
        raise TypeError(f"lesion_model must be a LesionModel, got "
                        f"{type(lesion_model).__name__}")
    if int(max_tries) != max_tries or max_tries < 1:
        raise ValueError(f"max_tries must be a positive integer, got {max_tries!r}")
    rng = _check_rng(rng)
    tissue = _default_tissue(lesion_model.kind) if tissue is None else str(tissue)

    patch = _resample_patch(lesion_model, phantom.grid.spacing)
    mask = patch > 0
    if not mask.any():
        raise ValueError(f"the {lesion_model.kind} ({lesion_model.size_mm:.2f} mm) covers no "
                         f"voxel of the phantom's {tuple(phantom.grid.spacing)} mm grid")
    half = (np.asarray(patch.shape) - 1) // 2
    shape = np.asarray(phantom.labels.shape)
    labels = phantom.labels

    lesion_labels = {les.label for les in phantom.lesions}
    for les in phantom.lesions:
        lesion_labels.update(int(v) for v in les.extra.get("labels", []))
    ok = np.ones(256, dtype=bool)
    for lab, name in phantom.materials.items():
        if name in FORBIDDEN_MATERIALS or name in LESION_MATERIALS or lab in lesion_labels:
            ok[lab] = False
    for lab in range(256):
        if lab not in phantom.materials:
            ok[lab] = False

    # a few mask voxels checked first reject most bad candidates cheaply
    offsets = np.argwhere(mask) - half
    probe = offsets[rng.permutation(len(offsets))[:64]]

    def fits(c) -> str | None:
        lo, hi = c - half, c + half + 1
        if np.any(lo < 0) or np.any(hi > shape):
            return "the lesion would leave the phantom grid"
        p = probe + c
        under = labels[p[:, 0], p[:, 1], p[:, 2]]
        if ok[under].all():
            under = labels[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]][mask]
        bad = ~ok[under]
        if bad.any():
            lab = int(under[bad][0])
            return (f"the lesion would cover label {lab} "
                    f"({phantom.materials.get(lab, 'unknown')})")
        return None

    if center_mm is not None:
        c_idx = np.rint(phantom.grid.world_to_index(np.asarray(center_mm, float))).astype(int)
        why = fits(c_idx)
        if why:
            raise ValueError(f"center_mm={tuple(center_mm)!r} cannot hold the "
                             f"{lesion_model.kind}: {why}")
    else:
        host = [lab for lab, name in phantom.materials.items() if name == tissue]
        if not host:
            raise ValueError(f"tissue {tissue!r} is not a material of this phantom "
                             f"(materials: {sorted(set(phantom.materials.values()))})")
        is_host = np.zeros(256, dtype=bool)
        is_host[host] = True
        # candidate centres: host voxels far enough from the grid edges, drawn at random
        lo_b, hi_b = half, shape - half - 1
        if np.any(hi_b < lo_b):
            raise ValueError(f"the {lesion_model.kind} ({patch.shape} voxels) is larger than "
                             f"the phantom grid {tuple(shape)}")
        c_idx = None
        n_draw = 0
        tries = 0
        while tries < int(max_tries) and n_draw < 200 * int(max_tries):
            cand = rng.integers(lo_b, hi_b + 1, size=(256, 3))
            n_draw += len(cand)
            cand = cand[is_host[labels[cand[:, 0], cand[:, 1], cand[:, 2]]]]
            for c in cand:
                tries += 1
                if fits(c) is None:
                    c_idx = c
                    break
                if tries >= int(max_tries):
                    break
            if c_idx is not None:
                break
        if c_idx is None:
            raise ValueError(f"could not place the {lesion_model.kind} inside {tissue!r} "
                             f"tissue in {int(max_tries)} tries (it must avoid air, skin, "
                             f"nipple, muscle, bone and other lesions)")

    new_labels = _lesion_labels(phantom, lesion_model)
    lo, hi = c_idx - half, c_idx + half + 1
    out = np.array(labels, copy=True)
    region = out[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]]
    lut = np.zeros(len(lesion_model.materials) + 1, np.uint8)
    lut[1:] = new_labels
    region[mask] = lut[patch[mask]]

    center = tuple(float(v) for v in phantom.grid.index_to_world(c_idx))
    bbox_lo = phantom.grid.index_to_world(lo) - 0.5 * phantom.grid.spacing_xyz
    bbox_hi = phantom.grid.index_to_world(hi - 1) + 0.5 * phantom.grid.spacing_xyz
    extra = {"material": lesion_model.materials[0], "labels": new_labels,
             "materials": list(lesion_model.materials),
             "bbox_index_zyx": [lo.tolist(), hi.tolist()],
             "bbox_mm": [bbox_lo.tolist(), bbox_hi.tolist()],
             "host_tissue": tissue if center_mm is None else None,
             **_jsonable_info(lesion_model.info)}
    record = Lesion(kind=lesion_model.kind, center_mm=center,
                    size_mm=float(lesion_model.size_mm), label=new_labels[0], extra=extra)
    materials = {lab: name for lab, name in zip(new_labels, lesion_model.materials)}
    new = phantom.with_labels(out, materials=materials, lesions=(*phantom.lesions, record))
    return new, record


def _jsonable_info(info: dict) -> dict:
    out = {}
    for k, v in info.items():
        if isinstance(v, np.ndarray):
            v = v.tolist()
        elif isinstance(v, np.generic):
            v = v.item()
        out[k] = v
    return out


# ----------------------------------------------------------------------------------------------
# preview
# ----------------------------------------------------------------------------------------------

def save_lesion_preview(phantom, path, *, title: str | None = None, margin: float = 1.5):
    """Write a PNG with close-ups of every lesion of a phantom (at most 6).

    For each lesion: the slice ``z = centre`` and the projection along ``z`` (mean attenuation,
    display only, rough 20 keV values as in :meth:`Phantom.preview`) over a square region
    ``(1 + 2 * margin) * size`` wide around the centre, with the lesion's outline.

    Returns
    -------
    pathlib.Path
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.patches
    import matplotlib.pyplot as plt
    from pathlib import Path

    from .._phantom import _PREVIEW_MU_PER_MM

    path = Path(path)
    lesions = list(phantom.lesions)[:6]
    if not lesions:
        raise ValueError("phantom has no lesions to preview")
    lut = np.zeros(256, np.float32)
    for k, name in phantom.materials.items():
        lut[k] = _PREVIEW_MU_PER_MM.get(name, 0.08)
    g = phantom.grid
    lab = phantom.labels
    fig, axes = plt.subplots(2, len(lesions), figsize=(3.6 * len(lesions), 7.2), squeeze=False)
    for col, les in enumerate(lesions):
        ci = np.rint(g.world_to_index(les.center_mm)).astype(int)
        half_mm = (0.5 + margin) * max(les.size_mm, 2.0)
        hy = max(int(round(half_mm / g.spacing[1])), 2)
        hx = max(int(round(half_mm / g.spacing[2])), 2)
        ys = slice(max(ci[1] - hy, 0), min(ci[1] + hy + 1, lab.shape[1]))
        xs = slice(max(ci[2] - hx, 0), min(ci[2] + hx + 1, lab.shape[2]))
        x = g.axis_mm("x")[xs]
        y = g.axis_mm("y")[ys]
        ext = (x[0], x[-1], y[0], y[-1])
        sl = lut[lab[ci[0], ys, xs]]
        proj = lut[lab[:, ys, xs]].mean(axis=0)
        labels_les = les.extra.get("labels", [les.label])
        outline = np.isin(lab[:, ys, xs], labels_les).any(axis=0)
        a0, a1 = axes[0, col], axes[1, col]
        a0.imshow(sl, cmap="gray", origin="lower", extent=ext, interpolation="nearest",
                  vmin=0.0, vmax=float(np.percentile(sl, 99.5)) or 1.0)
        a0.set_title(f"{les.kind} {les.size_mm:.1f} mm\nslice z = {les.center_mm[2]:.1f} mm",
                     fontsize=9)
        lo, hi = np.percentile(proj[proj > 0], [1, 99.7]) if (proj > 0).any() else (0, 1)
        a1.imshow(proj, cmap="gray", origin="lower", extent=ext, vmin=lo, vmax=hi,
                  interpolation="nearest")
        if les.kind == "calcification":
            # a box around the cluster: an outline would hide calcifications this small
            (bx0, by0, _), (bx1, by1, _) = les.extra.get("bbox_mm", [[0, 0, 0], [0, 0, 0]])
            a1.add_patch(matplotlib.patches.Rectangle((bx0, by0), bx1 - bx0, by1 - by0,
                                                      fill=False, ec="tab:red", lw=0.6,
                                                      ls="--", alpha=0.7))
            a1.set_title("projection along z (cluster box red)", fontsize=9)
        else:
            a1.contour(x, y, outline.astype(float), levels=[0.5], colors="tab:red",
                       linewidths=0.4, alpha=0.6)
            a1.set_title("projection along z (outline red)", fontsize=9)
        for a in (a0, a1):
            a.set_xlabel("x (mm)")
            a.set_ylabel("y (mm)")
    m = phantom.meta
    fig.suptitle(title or f"lesions in {m.get('recipe', 'phantom')} seed {m.get('seed', '-')} "
                 f"(voxel {g.spacing[0]:g} mm)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
