"""Cooper's ligaments as thin, curved shells: the VICTRE breastPhantom model, redrawn.

breastPhantom (DIDSR/breastPhantom ``breastPhantom.cxx`` lines 4143-4340, "Cooper's
Ligaments") places "ligament lobules" one after another until 85% of the fat and gland is
inside one:

* a seed is drawn uniformly in the breast's bounding box and kept only if it falls in fat or
  gland that no earlier lobule holds (every draw counts towards ``maxTry``);
* the lobule is a superellipsoid ``(|l0|^p + |l1/sB|^p + |l2/sC|^p)^(1/p) = A`` with
  ``p = 2.7`` (``breastPhantom.cxx`` line 4312), semi-axis ``A`` uniform in
  ``[minAxis, maxAxis]`` and the two other semi-axes ``A * U(minAxialRatio, maxAxialRatio)``;
  its long axis points from the seed to the nipple, deflected by up to ``maxDeflect * pi``;
* its surface is perturbed radially by up to ``maxPerturb * A`` with Perlin noise of base
  frequency ``A * scale`` (lacunarity, persistence, octaves from the cfg);
* voxels of fat or gland not yet held by an earlier lobule become ligament when they lie in
  the outer ``thickness`` of the lobule, and are "held" (keep their tissue) inside it.

VICTRE's values (``cfg/VICTRE_dense.cfg`` ``[lig]``, lines 311-324; identical in the hetero,
scattered and fatty cfgs): thickness 0.1 mm, targetFrac 0.85, maxTry 15000, minAxis 20,
maxAxis 25 mm, minAxialRatio 0.2, maxAxialRatio 0.3, maxPerturb 0.05, maxDeflect 0.12,
scale 0.007, lacunarity 1.5, persistence 0.3, numOctaves 6.

Because each shell is clipped by every earlier one, the ligaments are fragments of curved
shells, elongated towards the nipple, not planes: in a projection they are short arcs.

Our simplifications: the placement (and its 85% stopping rule) is run on a 2 mm lattice of
the uncompressed breast, and the coverage count ignores the surface perturbation; the Perlin
noise is replaced by a periodic band-limited Gaussian tile with the same octave frequencies and
weights (:func:`perturbation_tile`). The voxel labelling itself (``_breast_kernels``) tests
every voxel against the exact shells in placement order.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["Ligaments", "place_ligaments", "perturbation_tile", "EXPONENT"]

#: Superellipsoid exponent of a ligament lobule (breastPhantom.cxx line 4312, hard-coded).
EXPONENT = 2.7

#: Lattice spacing (mm) of the placement simulation and cell size (mm) of the lookup grid.
_LATTICE_MM = 2.0
_CELL_MM = 2.0


class Ligaments:
    """Placed ligament lobules plus a cell list for the voxel kernels.

    Attributes
    ----------
    shells : float64 ``[n, 15]``
        Per lobule: centre (3), rotation rows (9: axis0, axis1, axis2), ``A`` (mm),
        ``1/sB``, ``1/sC``.
    noise_offset : float64 ``[n, 3]``
        Offset of each lobule into the perturbation tile (tile samples).
    cell_lower : float64 ``[3]``, mm; cell_mm : float; cell_shape : int ``[3]`` (x, y, z)
    cell_start : int64 ``[ncells + 1]``; cell_items : int32 ``[m]`` (CSR, placement order)
    tile : float32 ``[n, n, n]`` periodic perturbation noise; tile_mm : its spacing
    coverage : float
        Fraction of the breast lattice inside some lobule when placement stopped.
    tries : int
        Seed draws used (breastPhantom's ``fltry``).
    """

    def __init__(self, shells, noise_offset, cell_lower, cell_mm, cell_shape, cell_start,
                 cell_items, tile, tile_mm, coverage, tries):
        self.shells = shells
        self.noise_offset = noise_offset
        self.cell_lower = cell_lower
        self.cell_mm = float(cell_mm)
        self.cell_shape = cell_shape
        self.cell_start = cell_start
        self.cell_items = cell_items
        self.tile = tile
        self.tile_mm = float(tile_mm)
        self.coverage = float(coverage)
        self.tries = int(tries)

    @property
    def count(self) -> int:
        return int(self.shells.shape[0])


def perturbation_tile(rng: np.random.Generator, *, base_mm: float, lacunarity: float,
                      persistence: float, octaves: int, n: int = 64,
                      spacing_mm: float = 1.0) -> np.ndarray:
    """Periodic 3-D noise standing in for Perlin noise of ``octaves`` octaves.

    Octave ``k`` is a Gaussian field band-limited to ``f_k = lacunarity**k / base_mm``
    (within a factor ``sqrt(lacunarity)``) with amplitude ``persistence**k``, as Perlin octaves
    are. The sum is scaled to a standard deviation of 1/3 so that it stays within [-1, 1]
    (Perlin noise's range) at 3 sigma. Values are float32 ``[n, n, n]``.
    """
    white = rng.standard_normal((n, n, n))
    spec = np.fft.rfftn(white)
    f = np.fft.fftfreq(n, spacing_mm)
    fr = np.fft.rfftfreq(n, spacing_mm)
    fmag = np.sqrt(f[:, None, None] ** 2 + f[None, :, None] ** 2 + fr[None, None, :] ** 2)
    amp = np.zeros_like(fmag)
    nyq = 0.5 / spacing_mm
    for k in range(int(octaves)):
        fk = lacunarity ** k / base_mm
        if fk > nyq:
            break
        band = (fmag >= fk / math.sqrt(lacunarity)) & (fmag < fk * math.sqrt(lacunarity))
        amp[band] += persistence ** k / math.sqrt(max(int(band.sum()), 1))
    field = np.fft.irfftn(spec * amp, s=(n, n, n), axes=(0, 1, 2))
    sd = field.std()
    return (field / (3.0 * sd) if sd > 0 else field).astype(np.float32)


def _perpendiculars(u, angle):
    """Two unit vectors perpendicular to unit ``u`` and to each other, rotated by ``angle``."""
    t = np.array([1.0, 0.0, 0.0]) if abs(u[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    v = np.cross(u, t)
    v /= np.linalg.norm(v)
    w = np.cross(u, v)
    return math.cos(angle) * v + math.sin(angle) * w, -math.sin(angle) * v + math.cos(angle) * w


def _superellipsoid_norm(local, inv_b, inv_c, p=EXPONENT):
    return (np.abs(local[:, 0]) ** p + np.abs(local[:, 1] * inv_b) ** p
            + np.abs(local[:, 2] * inv_c) ** p) ** (1.0 / p)


def place_ligaments(rng: np.random.Generator, a: float, b: float, c: float, cfg: dict, *,
                    inside=None) -> Ligaments:
    """Place ligament lobules in the uncompressed half-ellipsoid breast ``(a, b, c)`` (mm).

    Parameters
    ----------
    rng : numpy.random.Generator
    a, b, c : float, mm
        Semi-axes: chest wall to nipple (``x``), half width (``y``), half height (``z``).
    cfg : dict
        The recipe's ``ligaments`` section (checked): ``thickness_mm``, ``axis_mm``,
        ``axial_ratio`` ({min, max}), ``target_fraction``, ``max_tries``,
        ``perturbation``, ``deflection`` (fraction of pi), ``noise_scale``,
        ``noise_lacunarity``, ``noise_persistence``, ``noise_octaves``.
    inside : callable, optional
        ``inside(x, y, z) -> bool array`` for lattice points that are fat or gland (default:
        the half-ellipsoid less a 1 mm shell).
    """
    g = _LATTICE_MM
    xs = np.arange(0.5 * g, a, g)
    ys = np.arange(-b + 0.5 * g, b, g)
    zs = np.arange(-c + 0.5 * g, c, g)
    X, Y, Z = np.meshgrid(xs, ys, zs, indexing="ij")
    if inside is None:
        mask = (X / a) ** 2 + (Y / b) ** 2 + (Z / c) ** 2 < (1.0 - 1.0 / max(a, b, c)) ** 2
    else:
        mask = inside(X, Y, Z)
    n_in = int(mask.sum())
    covered = np.zeros(mask.shape, dtype=bool)
    nipple = np.array([a, 0.0, 0.0])
    lo_ax, hi_ax = cfg["axis_mm"]["min"], cfg["axis_mm"]["max"]
    lo_r, hi_r = cfg["axial_ratio"]["min"], cfg["axial_ratio"]["max"]
    pert = float(cfg["perturbation"])
    thick = float(cfg["thickness_mm"])
    defl = float(cfg["deflection"])
    target = float(cfg["target_fraction"])
    max_tries = int(cfg["max_tries"])
    shells, offsets = [], []
    tries = 0
    n_cov = 0
    shape = np.array(mask.shape)
    while n_in and n_cov < target * n_in and tries < max_tries:
        # breastPhantom: a voxel uniform in the bounding box, kept if fat/gland not yet held.
        idx = rng.integers(0, shape)
        tries += 1
        if not mask[tuple(idx)] or covered[tuple(idx)]:
            continue
        seed = np.array([xs[idx[0]], ys[idx[1]], zs[idx[2]]]) + rng.uniform(-0.5 * g, 0.5 * g, 3)
        A = rng.uniform(lo_ax, hi_ax)
        sb, sc = rng.uniform(lo_r, hi_r, 2)
        ax0 = nipple - seed
        ax0 /= max(np.linalg.norm(ax0), 1e-9)
        ax1, ax2 = _perpendiculars(ax0, rng.uniform(0.0, 2 * math.pi))
        dtheta = rng.uniform(0.0, 2 * math.pi)
        dr = math.tan(math.pi * rng.uniform(0.0, defl))
        ax0 = ax0 + dr * (math.cos(dtheta) * ax1 + math.sin(dtheta) * ax2)
        ax0 /= np.linalg.norm(ax0)
        ax1, ax2 = _perpendiculars(ax0, rng.uniform(0.0, 2 * math.pi))
        R = np.stack([ax0, ax1, ax2])
        shells.append(np.concatenate([seed, R.ravel(), [A, 1.0 / sb, 1.0 / sc]]))
        offsets.append(rng.uniform(0.0, 64.0, 3))
        # Coverage on the lattice (perturbation ignored).
        ext = np.abs(R).T @ (A * np.array([1.0, sb, sc]))
        i0 = np.clip(np.floor((seed - ext - np.array([xs[0], ys[0], zs[0]])) / g).astype(int), 0, shape)
        i1 = np.clip(np.ceil((seed + ext - np.array([xs[0], ys[0], zs[0]])) / g).astype(int) + 1, 0, shape)
        sl = tuple(slice(i0[k], i1[k]) for k in range(3))
        pts = np.stack([X[sl], Y[sl], Z[sl]], axis=-1).reshape(-1, 3) - seed
        loc = pts @ R.T
        hit = (_superellipsoid_norm(loc, 1.0 / sb, 1.0 / sc) <= A).reshape(X[sl].shape)
        new = hit & mask[sl] & ~covered[sl]
        n_cov += int(new.sum())
        covered[sl] |= hit
    shells = np.asarray(shells, dtype=np.float64).reshape(-1, 15)
    offsets = np.asarray(offsets, dtype=np.float64).reshape(-1, 3)

    # Cell lists, in placement order: lobule i is listed in a cell when its oriented box
    # (perturbed, thickened) comes within the cell's half-diagonal h of the cell centre, unless
    # an earlier lobule holds the whole cell (then no later one can matter there). "Holds":
    # N2(centre) + h / s_min < A - (A pert + thick) / s_min, with N2 the ellipsoidal norm
    # (Lipschitz constant 1 / s_min), which implies the kernel's quick interior test everywhere
    # in the cell.
    cm = _CELL_MM
    lower = np.array([-cm, -b - cm, -c - cm])
    cshape = np.ceil(np.array([a + 2 * cm, 2 * b + 2 * cm, 2 * c + 2 * cm]) / cm).astype(np.int64)
    h = 0.5 * math.sqrt(3.0) * cm
    centres = [lower[k] + (np.arange(cshape[k]) + 0.5) * cm for k in range(3)]
    closed = np.zeros(cshape[::-1], dtype=bool)  # [z, y, x]
    cells, owners = [], []      # (cell, lobule) pairs, lobules in placement order
    for i, sh in enumerate(shells):
        R = sh[3:12].reshape(3, 3)
        A = sh[12]
        semi = np.array([1.0, 1.0 / sh[13], 1.0 / sh[14]])
        half = A * (semi + pert) + thick
        ext = np.abs(R).T @ half + h
        c0 = np.clip(np.floor((sh[:3] - ext - lower) / cm).astype(int), 0, cshape - 1)
        c1 = np.clip(np.floor((sh[:3] + ext - lower) / cm).astype(int), 0, cshape - 1)
        cx = centres[0][c0[0]:c1[0] + 1]
        cy = centres[1][c0[1]:c1[1] + 1]
        cz = centres[2][c0[2]:c1[2] + 1]
        Zc, Yc, Xc = np.meshgrid(cz, cy, cx, indexing="ij")
        d = np.stack([Xc - sh[0], Yc - sh[1], Zc - sh[2]], axis=-1)
        loc = d @ R.T
        near = np.all(np.abs(loc) <= half + h, axis=-1)
        sl = (slice(c0[2], c1[2] + 1), slice(c0[1], c1[1] + 1), slice(c0[0], c1[0] + 1))
        near &= ~closed[sl]
        kz, ky, kx = np.nonzero(near)
        flat = ((kz + c0[2]) * cshape[1] + (ky + c0[1])) * cshape[0] + (kx + c0[0])
        cells.append(flat)
        owners.append(np.full(flat.size, i, dtype=np.int32))
        n2 = np.sqrt(loc[..., 0] ** 2 + (loc[..., 1] * sh[13]) ** 2 + (loc[..., 2] * sh[14]) ** 2)
        inv_smin = max(sh[13], sh[14])
        closed[sl] |= n2 + h * inv_smin < A - (A * pert + thick) * inv_smin
    # CSR lists: a stable sort by cell keeps each cell's lobules in placement order.
    n_cells = int(np.prod(cshape))
    cells = np.concatenate(cells).astype(np.int64) if cells else np.zeros(0, np.int64)
    owners = np.concatenate(owners) if owners else np.zeros(0, np.int32)
    counts = np.bincount(cells, minlength=n_cells).astype(np.int64)
    start = np.zeros(n_cells + 1, dtype=np.int64)
    np.cumsum(counts, out=start[1:])
    items = np.ascontiguousarray(owners[np.argsort(cells, kind="stable")], dtype=np.int32)
    base_mm = 1.0 / (0.5 * (lo_ax + hi_ax) * float(cfg["noise_scale"]))
    tile = perturbation_tile(rng, base_mm=base_mm, lacunarity=float(cfg["noise_lacunarity"]),
                             persistence=float(cfg["noise_persistence"]),
                             octaves=int(cfg["noise_octaves"]))
    return Ligaments(shells, offsets, lower, _CELL_MM, cshape, start, items, tile, 1.0,
                     n_cov / max(n_in, 1), tries)
