"""VICTRE's calcification cluster, as a seeded generator within the fixed cluster's measures.

VICTRE inserted one fixed cluster, DIDSR/VICTRE ``Lesion Insertion/VICTRE_LesionModels/
heteroCalc2_121_100.raw`` (commit 5f36d39; 100^3 uint8 voxels of 0.05 mm, a 5 mm cube).
Measured on that file (26-connected components, centroids; the numbers below):

* 5 calcifications of 21, 21, 24, 24 and 31 voxels: equivalent-sphere diameters 0.171-0.195 mm,
  bounding boxes 0.15-0.25 mm;
* centre-to-centre distances 1.66-3.68 mm (all 10 pairs);
* material: MC-GPU's calcium oxalate at 1.781 g/cm3 (MC-GPU_v1.5b.cu line 2139).

:func:`victre_cluster` draws 5 spheres with diameters uniform in that range, centred in the
5 mm cube, every pair between the smallest and largest measured distance (rejection sampling).
VICTRE used the one cluster; randomising within its measures is a victwin choice (issue 12).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._model import LesionModel, check_rng
from ._raster import crop_symmetric

__all__ = ["VictreClusterParameters", "VICTRE_CLUSTER", "victre_cluster"]


@dataclass(frozen=True)
class VictreClusterParameters:
    """Cluster measures (defaults: VICTRE's heteroCalc2_121_100.raw, module notes)."""

    n_calcifications: int = 5
    diameter_min_mm: float = 0.171
    diameter_max_mm: float = 0.195
    distance_min_mm: float = 1.66
    distance_max_mm: float = 3.68
    cube_mm: float = 5.0
    material: str = "calcium_oxalate_victre"

    def __post_init__(self):
        n = self.n_calcifications
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 50:
            raise ValueError(f"cluster key n_calcifications must be an integer in [1, 50], "
                             f"got {n!r}")
        for k in ("diameter_min_mm", "diameter_max_mm", "distance_min_mm", "distance_max_mm",
                  "cube_mm"):
            v = getattr(self, k)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) \
                    or v < 0:
                raise ValueError(f"cluster key {k} must be a number >= 0, got {v!r}")
        if not 0 < self.diameter_min_mm <= self.diameter_max_mm:
            raise ValueError(f"cluster key diameter_min_mm must be > 0 and <= diameter_max_mm, "
                             f"got {self.diameter_min_mm!r}")
        if self.diameter_max_mm >= self.cube_mm:
            raise ValueError(f"cluster key diameter_max_mm must be smaller than cube_mm "
                             f"({self.cube_mm}): a calcification larger than its cluster, got "
                             f"{self.diameter_max_mm!r}")
        if not self.distance_min_mm <= self.distance_max_mm:
            raise ValueError(f"cluster key distance_min_mm must be <= distance_max_mm, got "
                             f"{self.distance_min_mm!r}")
        if self.distance_min_mm < self.diameter_max_mm:
            raise ValueError(f"cluster key distance_min_mm must be >= diameter_max_mm so that "
                             f"calcifications do not touch, got {self.distance_min_mm!r}")


VICTRE_CLUSTER = VictreClusterParameters()


def _centres(p: VictreClusterParameters, rng, diam) -> np.ndarray:
    for _ in range(50):
        c = np.zeros((0, 3))
        for d in diam:
            half = 0.5 * (p.cube_mm - d)
            for _ in range(500):
                x = rng.uniform(-half, half, 3)
                if len(c) == 0:
                    break
                dist = np.linalg.norm(c - x, axis=1)
                if dist.min() >= p.distance_min_mm and dist.max() <= p.distance_max_mm:
                    break
            else:
                break
            c = np.vstack([c, x])
        if len(c) == len(diam):
            return c
    raise ValueError(f"cluster keys distance_min_mm={p.distance_min_mm} and distance_max_mm="
                     f"{p.distance_max_mm} admit no placement of {len(diam)} calcifications "
                     f"in a {p.cube_mm} mm cube")


def victre_cluster(rng=None, *, voxel_mm: float = 0.05,
                   params: VictreClusterParameters = VICTRE_CLUSTER) -> LesionModel:
    """A calcification cluster within VICTRE's cluster's measures.

    Parameters
    ----------
    rng : numpy.random.Generator or int
    voxel_mm : float, mm
        Voxel size (VICTRE 0.05). A calcification smaller than a voxel still marks the voxel
        holding its centre.
    params : VictreClusterParameters

    Returns
    -------
    LesionModel
        ``kind="calcification"``, material ``params.material``; ``size_mm`` is the cluster's
        extent (largest edge of the bounding box of its voxels); ``info`` holds
        ``diameters_mm`` and ``centers_mm`` ((x, y, z) from the patch centre).
    """
    rng = check_rng(rng)
    voxel_mm = float(voxel_mm)
    if not (math.isfinite(voxel_mm) and 0.005 <= voxel_mm <= 0.5):
        raise ValueError(f"cluster key voxel_mm must be within [0.005, 0.5] mm, got "
                         f"{voxel_mm!r}")
    n = params.n_calcifications
    diam = rng.uniform(params.diameter_min_mm, params.diameter_max_mm, n)
    centres = _centres(params, rng, diam)
    half = int(math.ceil(0.5 * params.cube_mm / voxel_mm)) + 1
    size = 2 * half + 1
    patch = np.zeros((size, size, size), np.uint8)
    ax = (np.arange(size) - half) * voxel_mm
    for c, d in zip(centres, diam):
        lo = np.searchsorted(ax, c - 0.5 * d - voxel_mm)
        hi = np.searchsorted(ax, c + 0.5 * d + voxel_mm, side="right")
        zz, yy, xx = np.meshgrid(ax[lo[2]:hi[2]], ax[lo[1]:hi[1]], ax[lo[0]:hi[0]],
                                 indexing="ij")
        inside = (xx - c[0]) ** 2 + (yy - c[1]) ** 2 + (zz - c[2]) ** 2 <= (0.5 * d) ** 2
        patch[lo[2]:hi[2], lo[1]:hi[1], lo[0]:hi[0]][inside] = 1
        k = np.rint(c[::-1] / voxel_mm).astype(int) + half
        patch[k[0], k[1], k[2]] = 1
    patch = crop_symmetric(patch)
    idx = np.argwhere(patch)
    extent = float(((idx.max(0) - idx.min(0)) + 1).max()) * voxel_mm
    return LesionModel("calcification", patch, (params.material,), voxel_mm, extent,
                       {"model": "VICTRE cluster (heteroCalc2_121_100.raw measures)",
                        "n_calcifications": n, "diameters_mm": diam.tolist(),
                        "centers_mm": centres.tolist(), "extent_mm": params.cube_mm,
                        "material": params.material})
