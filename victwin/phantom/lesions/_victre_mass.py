"""VICTRE's spiculated mass: the de Sisternes et al. (2015) model with breastMass's parameters.

VICTRE inserted one mass made by DIDSR/breastMass (C. Graff, 2018; commit 65e6466) from
``cfg/VICTREMass.cfg``. This module generates masses from the same model and the same
parameter distributions, from victwin's own seeded generator (VICTRE used one fixed seed,
-308854003; victwin draws a new mass per seed within the model's distribution, as issue 12
allows). No code was copied; the steps below restate the published model as breastMass runs it
(line numbers of ``breastMass.cxx``):

1. **Core, a Gaussian random sphere** (lines 156-205, 300-321): ``r(theta, phi) = alpha /
   sqrt(1 + s2) exp(s)``, ``s = sum_{l=2..lMax} sum_m s_lm Y_lm`` with real-valued ``s``,
   ``s2 ~ N(meanSigma2, stdSigma2)`` (>= 0), ``C_l = log(1 + s2) l^-nu / sum_{i=1..lMax}
   i^-nu`` for ``l >= 2`` (0 for ``l = 0, 1``), coefficients ``N(0, 1)`` (``m = 0``: times
   sqrt 2; ``m > 0``: complex) times ``sqrt(2 pi C_l / (2 l + 1))``.
2. **Low-frequency spikes and bumps** (lines 207-269, 323-348): ``N_LF ~ N(meanLF, stdLF)``
   centres uniform on the core surface, a fraction ``~ N(meanShape, stdShape)`` (clipped to
   [0, 1]) of them bumps; each with length ``~ N(meanLFLen, stdLFLen) alpha`` and radius
   ``~ N(meanLFRad, stdLFRad) alpha``; a surface point at distance ``d <= rad`` from a centre
   rises by ``len ((rad - d) / rad)^4`` (spike) or ``len (exp(-d / 2 / (rad/2)^2) - exp(-4.5))``
   (bump; breastMass's expression).
3. **Fuzz** (lines 350-357): each radius-map sample times ``1 + fuzzAlpha N(0, 1)``.
4. **Radius map and voxels** (lines 271-431): the radius is tabulated on a ``(2 pi alpha / h)
   x (pi alpha / h)`` grid in (phi, cos theta) and a voxel at distance ``r`` from the centre
   is inside when ``r <=`` the bilinear radius; the volume spans ``4 r_max``.
5. **Spicules** (lines 433-526, 586-793): ``N_init ~ N(meanInitial, stdInitial)`` initial
   segments in neighbourhoods of ``~ N(meanNeigh, stdNeigh)`` segments around a random surface
   point (offsets ``(floor(log2(k + 1)) + U) pi / 50`` in theta and phi); each segment starts
   on the core surface with radius ``~ N(meanInitRad, stdInitRad) alpha``, length
   ``~ N(meanInitLen, stdInitLen) alpha`` and a direction 15 degrees (sd) off the radial point's
   angles; a segment is a sphere, a truncated cone to radius ``~ N(meanRadDec, stdRadDec)`` times
   its own, and a sphere. While the end radius exceeds half a voxel it continues (probability
   ``contProb ~ N(meanContProb, stdContProb)``) with length ``~ N(meanLenDec, stdLenDec)`` times
   its own and angles ``+ gamma N(0, 1)`` (``gamma ~ N(meanBranchAng, stdBranchAng)`` degrees),
   or bifurcates, symmetrically (``dr ~ U(0.5, 0.8)``, angles ``gamma (N +- 1)``) or not
   (``dr ~ U(0.8, 1)``, the second child turned by ``+-pi/5``), the children's radius and length
   scaled by ``dr^(1/2.6)`` and ``(1 - dr)^(1/2.6)``. breastMass draws ``N_init``,
   ``contProb`` and ``gamma`` from one normal deviate (no ``Next()`` between lines 435 and
   451); this is kept. Segments leaving the volume are cut there, as in breastMass.

Known departure: breastMass reads the radius map outside its azimuth range for spicule roots
near phi = +-pi (lines 485-519); here the azimuth wraps around.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree
from scipy.special import sph_harm_y

from ._model import LesionModel, check_rng
from ._raster import crop_symmetric, paint_capsules

__all__ = ["VictreMassParameters", "VICTRE_MASS", "victre_mass"]


@dataclass(frozen=True)
class VictreMassParameters:
    """breastMass configuration; defaults are DIDSR/breastMass ``cfg/VICTREMass.cfg`` (line)."""

    alpha_mm: float = 2.5            # l. 15 mean mass radius (mm): "5 mm diameter" mass
    complexity: float = 1.0          # l. 7
    l_max: int = 4                   # l. 13
    mean_sigma2: float = 0.31        # l. 17 (mm^2)
    std_sigma2: float = 0.04         # l. 19
    power_law: float = 4.0           # l. 21
    mean_lf: float = 611.2           # l. 23
    std_lf: float = 70.6             # l. 25
    mean_shape: float = 0.36         # l. 27
    std_shape: float = 0.48          # l. 29
    mean_lf_rad: float = 0.229       # l. 31
    std_lf_rad: float = 0.073        # l. 33
    mean_lf_len: float = 0.113       # l. 35
    std_lf_len: float = 0.021        # l. 37
    mean_fuzz_alpha: float = 0.015   # l. 39
    std_fuzz_alpha: float = 0.0      # l. 41
    mean_initial: float = 1358.0     # l. 45
    std_initial: float = 365.0       # l. 47
    mean_neigh: float = 8.98         # l. 49
    std_neigh: float = 1.89          # l. 51
    mean_init_rad: float = 0.024     # l. 53
    std_init_rad: float = 0.0053     # l. 55
    mean_rad_dec: float = 0.89       # l. 57
    std_rad_dec: float = 0.31        # l. 59
    mean_init_len: float = 0.173     # l. 61
    std_init_len: float = 0.018      # l. 63
    mean_len_dec: float = 0.91       # l. 65
    std_len_dec: float = 0.30        # l. 67
    mean_cont_prob: float = 0.717    # l. 69
    std_cont_prob: float = 0.057     # l. 71
    mean_branch_ang_deg: float = 6.55   # l. 73
    std_branch_ang_deg: float = 0.62    # l. 75

    def __post_init__(self):
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) \
                    or v < 0:
                raise ValueError(f"mass key {f.name} must be a number >= 0, got {v!r}")
        if not 0.5 <= self.alpha_mm <= 15.0:
            raise ValueError(f"mass key alpha_mm must be within [0.5, 15] mm, got "
                             f"{self.alpha_mm!r}")
        if int(self.l_max) != self.l_max or not 2 <= self.l_max <= 12:
            raise ValueError(f"mass key l_max must be an integer in [2, 12], got {self.l_max!r}")


#: VICTRE's mass (breastMass cfg/VICTREMass.cfg).
VICTRE_MASS = VictreMassParameters()


class _Core:
    """Gaussian random sphere plus low-frequency perturbations and fuzz, as a radius map."""

    def __init__(self, p: VictreMassParameters, rng: np.random.Generator, voxel_mm: float):
        a = p.alpha_mm
        s2 = max(0.0, rng.normal(p.mean_sigma2 * p.complexity, p.std_sigma2))
        lmax = int(p.l_max)
        plaw = sum(i ** -p.power_law for i in range(1, lmax + 1))
        ct = math.log(1.0 + s2) / plaw
        self.coef = []   # (l, m, complex coefficient), m >= 0
        for ll in range(2, lmax + 1):
            cl = ct / ll ** p.power_law
            scale = math.sqrt(2 * math.pi * cl / (2 * ll + 1))
            for m in range(ll + 1):
                c = complex(rng.normal() * math.sqrt(2.0), 0.0) if m == 0 \
                    else complex(rng.normal(), rng.normal())
                self.coef.append((ll, m, c * scale))
        self.r0 = a / math.sqrt(1.0 + s2)
        self.sigma2 = s2
        # low-frequency perturbations
        n_lf = max(0, int(round(rng.normal(p.mean_lf, p.std_lf))))
        frac = min(1.0, max(0.0, rng.normal(p.mean_shape, p.std_shape)))
        n_spike = n_lf - int(round(n_lf * frac))
        lf_len = np.maximum(rng.normal(p.mean_lf_len * p.complexity, p.std_lf_len, n_lf), 0) * a
        lf_rad = rng.normal(p.mean_lf_rad, p.std_lf_rad, n_lf) * a
        lf_phi = rng.uniform(-math.pi, math.pi, n_lf)
        lf_theta = np.arccos(2 * rng.random(n_lf) - 1)
        lf_r = self.grs(lf_theta, lf_phi)
        lf_xyz = _xyz(lf_r, lf_theta, lf_phi)
        # radius map on (u, v) = (0.5 + phi / 2 pi, (cos theta + 1) / 2)
        nu = int(math.ceil(a * 2 * math.pi / voxel_mm))
        nv = int(math.ceil(a * math.pi / voxel_mm))
        u = np.arange(nu) / (nu - 1)
        v = np.arange(nv) / (nv - 1)
        uu, vv = np.meshgrid(u, v, indexing="ij")
        theta = np.arccos(2 * vv - 1).ravel()
        phi = (-math.pi + 2 * math.pi * uu).ravel()
        r = self.grs(theta, phi)
        xyz = _xyz(r, theta, phi)
        dr = np.zeros_like(r)
        spike = np.arange(n_lf) < n_spike
        if n_lf and lf_rad.max() > 0:
            # pairs (map point, perturbation) closer than the largest radius, then exact test
            pairs = cKDTree(xyz).sparse_distance_matrix(cKDTree(lf_xyz), float(lf_rad.max()),
                                                        output_type="coo_matrix")
            i, j, d = pairs.row, pairs.col, pairs.data
            rad = lf_rad[j]
            keep = d <= rad
            i, j, d, rad = i[keep], j[keep], d[keep], rad[keep]
            val = np.where(spike[j], lf_len[j] * ((rad - d) / rad) ** 4,
                           lf_len[j] * (np.exp(-d / 2.0 / (rad / 2.0) ** 2) - math.exp(-4.5)))
            np.add.at(dr, i, val)
        r = r + dr
        fuzz = rng.normal(p.mean_fuzz_alpha, p.std_fuzz_alpha, r.shape)
        r = r * (1.0 + fuzz * rng.normal(size=r.shape))
        self.rmap = r.reshape(nu, nv)
        self.rmax = float(self.rmap.max())
        self.n_lf, self.n_spike = n_lf, n_spike

    def grs(self, theta, phi):
        s = np.zeros(np.broadcast(theta, phi).shape)
        for ll, m, c in self.coef:
            y = sph_harm_y(ll, m, theta, phi)
            s += (c * y).real if m == 0 else 2.0 * (c * y).real
        return self.r0 * np.exp(s)

    def radius(self, theta, phi):
        """Radius-map value (bilinear) at angles; azimuth wrapped to [-pi, pi)."""
        phi = (np.asarray(phi) + math.pi) % (2 * math.pi) - math.pi
        nu, nv = self.rmap.shape
        cu = (0.5 + phi / (2 * math.pi)) * (nu - 1)
        cv = (np.cos(theta) + 1.0) / 2.0 * (nv - 1)
        return ndimage.map_coordinates(self.rmap, [np.ravel(cu), np.ravel(cv)], order=1,
                                       mode="nearest").reshape(np.shape(cu))


def _xyz(r, theta, phi):
    st = np.sin(theta)
    return np.stack([r * st * np.cos(phi), r * st * np.sin(phi), r * np.cos(theta)], axis=-1)


def _voxelise_core(core: _Core, voxel_mm: float, half: int) -> np.ndarray:
    n = 2 * half + 1
    out = np.zeros((n, n, n), np.uint8)
    h = min(half, int(math.ceil(core.rmax / voxel_mm)) + 1)
    ax = np.arange(-h, h + 1) * voxel_mm
    yy, xx = np.meshgrid(ax, ax, indexing="ij")
    for k, z in enumerate(ax):
        r = np.sqrt(xx * xx + yy * yy + z * z)
        with np.errstate(invalid="ignore"):
            theta = np.arccos(np.where(r > 0, z / np.where(r > 0, r, 1.0), 1.0))
        phi = np.arctan2(yy, xx)
        inside = r <= core.radius(theta, phi)
        out[half - h + k, half - h:half + h + 1, half - h:half + h + 1] = inside
    return out


def _spicule_segments(core: _Core, p: VictreMassParameters, rng, voxel_mm: float,
                      limit_mm: float) -> tuple[np.ndarray, dict]:
    a = p.alpha_mm
    z = rng.normal()                      # one deviate for the three draws (module notes, 5)
    n_init = max(0, int(round(p.mean_initial + p.std_initial * z)))
    cont = min(1.0, max(0.0, p.mean_cont_prob + p.std_cont_prob * z))
    gamma = min(math.pi, max(0.0, math.radians(p.mean_branch_ang_deg
                                               + p.std_branch_ang_deg * z)))
    spread = math.radians(15.0)
    k_exp = 1.0 / 2.6
    segs = []
    stack = []
    done = 0
    while done < n_init:
        phi0 = rng.uniform(-math.pi, math.pi)
        theta0 = math.acos(2 * rng.random() - 1)
        n_seg = max(0, int(round(rng.normal(p.mean_neigh, p.std_neigh))))
        k = 0
        while k < n_seg and done < n_init:
            step = (math.floor(math.log2(k + 1)) + rng.random()) * math.pi / 50.0
            phi = phi0 + step
            theta = theta0 + (math.floor(math.log2(k + 1)) + rng.random()) * math.pi / 50.0
            rad = max(0.0, rng.normal(p.mean_init_rad, p.std_init_rad)) * a
            length = max(0.0, rng.normal(p.mean_init_len, p.std_init_len)) * a
            tdir = theta + rng.normal(0.0, spread)
            pdir = phi + rng.normal(0.0, spread)
            r = float(core.radius(np.array(theta), np.array(phi)))
            stack.append((_xyz(r, theta, phi), tdir, pdir, rad, length))
            k += 1
            done += 1
        while stack:
            start, tdir, pdir, rad, length = stack.pop()
            if np.any(np.abs(start) > limit_mm):
                continue                  # starts outside the volume: dropped (breastMass)
            end_rad = min(rad, max(0.0, rng.normal(p.mean_rad_dec, p.std_rad_dec) * rad))
            d = np.array([math.sin(tdir) * math.cos(pdir), math.sin(tdir) * math.sin(pdir),
                          math.cos(tdir)])
            end = start + length * d
            segs.append((*start, *end, rad, end_rad))
            if not (end_rad > voxel_mm / 2.0 and np.all(np.abs(end) <= limit_mm)):
                continue
            new_len = min(length, max(0.0, length * rng.normal(p.mean_len_dec, p.std_len_dec)))
            if rng.random() < cont:
                stack.append((end, tdir + gamma * rng.normal(), pdir + gamma * rng.normal(),
                              end_rad, new_len))
            elif rng.random() < 0.5:
                dr = rng.uniform(0.5, 0.8)
                f1, f2 = dr ** k_exp, (1 - dr) ** k_exp
                t1, p1 = tdir + gamma * (rng.normal() + 1.0), pdir + gamma * rng.normal()
                t2, p2 = tdir + gamma * (rng.normal() - 1.0), pdir + gamma * rng.normal()
                stack.append((end, t2, p2, end_rad * f2, new_len * f2))
                stack.append((end, t1, p1, end_rad * f1, new_len * f1))
            else:
                dr = rng.uniform(0.8, 1.0)
                f1, f2 = dr ** k_exp, (1 - dr) ** k_exp
                t1, p1 = tdir + gamma * rng.normal(), pdir + gamma * rng.normal()
                t2 = tdir + gamma * rng.normal() + (math.pi / 5 if rng.random() < 0.5
                                                    else -math.pi / 5)
                p2 = pdir + gamma * rng.normal()
                stack.append((end, t2, p2, end_rad * f2, new_len * f2))
                stack.append((end, t1, p1, end_rad * f1, new_len * f1))
    info = {"n_initial_segments": n_init, "continue_probability": cont,
            "branch_angle_deg": math.degrees(gamma), "n_segments": len(segs)}
    return np.asarray(segs, dtype=np.float64).reshape(-1, 8), info


def victre_mass(rng=None, *, voxel_mm: float = 0.05,
                params: VictreMassParameters = VICTRE_MASS) -> LesionModel:
    """A spiculated mass from VICTRE's model (de Sisternes 2015 as in breastMass).

    Parameters
    ----------
    rng : numpy.random.Generator or int
        Source of randomness (an int is a seed).
    voxel_mm : float, mm
        Voxel size (breastMass ``imgRes``; VICTRE 0.05). The spicules stop when their radius
        falls under half a voxel, so, as in breastMass, finer voxels give longer spicules.
    params : VictreMassParameters
        Model parameters (default VICTRE's cfg; ``alpha_mm`` 2.5 is the "5 mm" mass).

    Returns
    -------
    LesionModel
        ``kind="mass"``, material ``"mass"`` (VICTRE: glandular at 1.06 g/cm3); ``size_mm`` is
        the equivalent-sphere diameter; ``info`` holds the drawn parameters,
        ``core_mean_radius_mm`` and ``extent_mm`` (largest edge of the bounding box).
    """
    rng = check_rng(rng)
    voxel_mm = float(voxel_mm)
    if not (math.isfinite(voxel_mm) and 0.01 <= voxel_mm <= 0.5):
        raise ValueError(f"mass key voxel_mm must be within [0.01, 0.5] mm, got {voxel_mm!r}")
    if not isinstance(params, VictreMassParameters):
        raise TypeError("params must be a VictreMassParameters")
    core = _Core(params, rng, voxel_mm)
    half = int(math.ceil(4 * core.rmax / voxel_mm)) // 2
    patch = _voxelise_core(core, voxel_mm, half)
    limit = half * voxel_mm
    segs, sinfo = _spicule_segments(core, params, rng, voxel_mm, limit)
    if len(segs):
        c = half * voxel_mm
        paint_capsules(patch, segs + np.array([c, c, c, c, c, c, 0.0, 0.0]), 1,
                       origin_mm=np.zeros(3), spacing_mm=np.full(3, voxel_mm))
    patch = crop_symmetric(patch)
    idx = np.argwhere(patch)
    extent = float(((idx.max(0) - idx.min(0)) + 1).max()) * voxel_mm
    info = {"model": "de Sisternes 2015 / breastMass (VICTRE cfg)", "alpha_mm": params.alpha_mm,
            "sigma2_mm2": core.sigma2, "n_low_frequency": core.n_lf, "n_spikes": core.n_spike,
            "core_mean_radius_mm": float(core.rmap.mean()), "core_max_radius_mm": core.rmax,
            "extent_mm": extent, **sinfo}
    model = LesionModel("mass", patch, ("mass",), voxel_mm, 1.0, info)
    import dataclasses

    return dataclasses.replace(model, size_mm=model.equivalent_diameter_mm)
