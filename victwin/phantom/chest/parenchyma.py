"""Lung parenchymal density: lobules of their own density and a vertical gravity gradient.

Between the vessels and airways the chest builder fills the lung with one material, ICRU 46
inflated lung at 0.26 g/cm3 (:mod:`victwin.physics`). Real parenchyma varies in density on
two scales that a PA radiograph might show:

* **secondary pulmonary lobules**, polyhedral units bounded by interlobular septa, 1.0-2.5 cm
  across (Fleischner Society glossary [1]_; 1-2.5 cm, up to a dozen acini [2]_). Each is
  modelled as one Voronoi cell of Poisson seed points with a mean cell volume of
  :data:`LOBULE_SIZE_MM` cubed (the midpoint of the cited range: an assumption; the cells'
  own spread in size is that of a Poisson-Voronoi tessellation, not a cited one), and each
  cell gets its own density deviation, normal with standard deviation
  :data:`LOBULE_DENSITY_SD_G_CM3`;
* **gravity**: dependent lung is denser. Supine at FRC the dependent lung is about 40 % denser
  than the nondependent lung (introduction of Hopkins et al. 2007 [3]_); at total
  lung capacity the vertical gradient is "slight" (Millar & Denison 1989 [4]_). No figure for
  the erect lung at TLC was found in the stored sources, so the gradient is a parameter
  (default 0) and :data:`SUPINE_FRC_DEPENDENT_EXCESS` serves as its upper bound.

The amplitude of the lobular deviations is the one cited figure of within-subject spread of
CT lung density found: Fromson & Denison 1988 [5]_ report that the mean density of each CT
slice of 14 healthy lungs, after its trend with the slice's area is removed, scatters with a
standard deviation of 25 HU (normal, mean 0). Taking that as the lobule-to-lobule standard
deviation is an **assumption**: a slice averages hundreds of lobules, so independent lobules
scattering by 25 HU would make the slices scatter much less; the figure is used as a
generous amplitude, and :mod:`benchmarks.chest_parenchyma` measures twice it as well. One
HU is 0.001 g/cm3 on the CT scale for air-tissue mixtures (0 HU water, -1000 HU air).

The field is a relative density ``w = rho / rho_lung - 1`` on the lung voxels (0 elsewhere);
for one composition the attenuation scales with the density, so a ray's lung path ``L``
becomes ``L + integral of w`` exactly (no linearisation). ``benchmarks/chest_parenchyma.py``
adds it that way and measures the lung-field NPS before and after; the builder does not
paint it (the measurement and the decision: ``docs/phantoms/chest.md``, "Parenchymal
texture").

References
----------
.. [1] Hansell DM, Bankier AA, MacMahon H, McLoud TC, Müller NL, Remy J. Fleischner Society:
   glossary of terms for thoracic imaging. Radiology 2008;246:697-722 ("secondary pulmonary
   lobule ... varies in size from 1.0 to 2.5 cm in diameter"; RadLex RID1361).
.. [2] Jones J, Gaillard F, et al. Secondary pulmonary lobule. Radiopaedia, rID 8761
   ("between 1 and 2.5 cm across ... up to a dozen acini").
.. [3] Hopkins SR et al. (UCSD). J Appl Physiol 2007;103:240 (MRI of lung density and
   perfusion against gravity; introduction: supine, the dependent lung is ~40 % denser than
   the nondependent lung).
.. [4] Millar AB, Denison DM. Vertical gradients of lung density in healthy supine men.
   Thorax 1989;44:485-490 (peripheral lung at TLC 0.0715 (SD 0.017) g/cm3, gradient slight).
.. [5] Fromson BH, Denison DM. Quantitative features in the computed tomography of healthy
   lungs. Thorax 1988;43:120 (residual slice density normal, mean 0, SD 25 HU).
"""

from __future__ import annotations

import numpy as np

__all__ = ["LOBULE_DIAMETER_MM", "LOBULE_SIZE_MM", "LOBULE_DENSITY_SD_G_CM3",
           "LUNG_DENSITY_G_CM3", "SUPINE_FRC_DEPENDENT_EXCESS", "lobule_seeds",
           "parenchymal_density"]

#: Secondary pulmonary lobule diameter range (mm), Fleischner glossary (Hansell et al. 2008).
LOBULE_DIAMETER_MM = (10.0, 25.0)
#: Mean lobule size (mm): the cube root of the mean Voronoi cell volume; the midpoint of
#: :data:`LOBULE_DIAMETER_MM` (assumed).
LOBULE_SIZE_MM = 17.5
#: Lobule-to-lobule density standard deviation (g/cm3): 25 HU, the residual SD of healthy CT
#: slice densities (Fromson & Denison 1988), used per lobule (assumed; see the module text).
LOBULE_DENSITY_SD_G_CM3 = 0.025
#: The builder's lung material (ICRU 46 adult inflated lung, g/cm3).
LUNG_DENSITY_G_CM3 = 0.26
#: Dependent over nondependent lung density minus 1, supine at FRC (Hopkins et al. 2007):
#: an upper bound for the erect lung at TLC, whose gradient is "slight" (Millar & Denison).
SUPINE_FRC_DEPENDENT_EXCESS = 0.40


def lobule_seeds(lo_mm, hi_mm, rng, *, size_mm: float = LOBULE_SIZE_MM) -> np.ndarray:
    """Poisson seed points of the lobules in a box: one per ``size_mm**3`` on average.

    Parameters
    ----------
    lo_mm, hi_mm : (x, y, z) floats, mm
        Opposite corners of the box (world mm).
    rng : numpy.random.Generator
        Draws the number of seeds (Poisson) and their positions (uniform).
    size_mm : float, mm
        Mean lobule size (cube root of the mean cell volume), > 0.

    Returns
    -------
    ndarray, shape (n, 3)
        Seed points ``(x, y, z)`` (mm).
    """
    if not size_mm > 0:
        raise ValueError(f"size_mm must be > 0 mm, got {size_mm!r}")
    lo, hi = np.asarray(lo_mm, float), np.asarray(hi_mm, float)
    n = int(rng.poisson(np.prod(hi - lo) / size_mm ** 3))
    return rng.uniform(lo, hi, size=(max(n, 1), 3))


def parenchymal_density(labels: np.ndarray, grid, lung_labels, rng, *,
                        sd_g_cm3: float = LOBULE_DENSITY_SD_G_CM3,
                        size_mm: float = LOBULE_SIZE_MM, gradient_per_mm: float = 0.0,
                        lung_density_g_cm3: float = LUNG_DENSITY_G_CM3) -> np.ndarray:
    """Relative density ``rho / rho_lung - 1`` of the lung voxels: lobules plus gradient.

    Parameters
    ----------
    labels : ndarray of uint8, shape (nz, ny, nx)
        The phantom's labels.
    grid : Grid
        Their grid (mm).
    lung_labels : sequence of int
        Labels holding parenchyma (the field is 0 on every other voxel).
    rng : numpy.random.Generator
        Draws the lobule seeds (:func:`lobule_seeds` over the lung's bounding box, 1 lobule
        margin) and one normal deviation per lobule.
    sd_g_cm3 : float, g/cm3
        Standard deviation of the lobules' density deviations, >= 0.
    size_mm : float, mm
        Mean lobule size (cube root of the mean cell volume).
    gradient_per_mm : float, 1/mm
        Relative density change per mm towards the feet (``+y``, the erect patient's
        dependent direction), centred on the lung's mean ``y`` so that it adds no mean.
    lung_density_g_cm3 : float, g/cm3
        The lung material's density, which ``sd_g_cm3`` is relative to.

    Returns
    -------
    ndarray of float32, shape (nz, ny, nx)
        ``w``: a ray's lung path ``L`` (mm) becomes ``L + sum(w) * step`` (mm) for the same
        material; 0 outside the lung.
    """
    from scipy.spatial import cKDTree

    if not sd_g_cm3 >= 0:
        raise ValueError(f"sd_g_cm3 must be >= 0 g/cm3, got {sd_g_cm3!r}")
    if not lung_density_g_cm3 > 0:
        raise ValueError(f"lung_density_g_cm3 must be > 0 g/cm3, got {lung_density_g_cm3!r}")
    out = np.zeros(labels.shape, np.float32)
    lung = np.isin(labels, np.asarray(list(lung_labels), np.uint8))
    idx = np.nonzero(lung)
    if idx[0].size == 0:
        return out
    (x0, y0, z0), (dx, dy, dz) = grid.origin, grid.spacing_xyz
    # voxel centres (x, y, z) mm of the lung voxels
    pts = np.column_stack([x0 + dx * idx[2], y0 + dy * idx[1], z0 + dz * idx[0]])
    seeds = lobule_seeds(pts.min(axis=0) - size_mm, pts.max(axis=0) + size_mm, rng,
                         size_mm=size_mm)
    dev = rng.normal(0.0, sd_g_cm3 / lung_density_g_cm3, size=len(seeds))
    _, cell = cKDTree(seeds).query(pts, k=1, workers=1)
    w = dev[cell]
    if gradient_per_mm:
        w = w + gradient_per_mm * (pts[:, 1] - pts[:, 1].mean())
    out[idx] = w.astype(np.float32)
    return out
