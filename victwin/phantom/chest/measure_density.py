"""Mean density of a chest twin's lungs, vessels and airways included, on the CT scale.

CT measures a lung as everything inside the pleura: parenchyma, the blood of the vessels the
scan resolves and the air of the airways. A twin paints the pulmonary vessels as blood and the
airways as air, so its lung material is the parenchyma *between* them, and only the whole - the
mix of all three - can be compared with CT:

* normal lungs on CT average -817 HU (17 subjects with normal lung function: mean lung density
  -770 to -875 HU, overall mean -817 HU; "An appraisal of CT pulmonary density mapping in
  normal subjects", Clin Radiol 1991;43(4):238-242, PMID 2025994, abstract). The abstract does
  not state the breathing phase. Assumed: breath-hold inspiration, as for a PA radiograph (on
  inspiration the lung's attenuation falls and its normal range narrows: "Pulmonary tissue
  attenuation with computed tomography: comparison of inspiration and expiration scans",
  J Comput Assist Tomogr 1979;3:740, abstract; no mean lung density at TLC with a normal range
  was found to cite instead).

The CT number of a voxel mix is ``1000 (mu - mu_water) / (mu_water - mu_air)`` with ``mu`` the
volume-weighted mean linear attenuation at an effective CT energy of 70 keV (assumed, a 120 kVp
beam; ICRU 46 lung and water differ in mass attenuation by < 0.6 % from 50 to 100 keV, so the
result moves by < 1 HU with this choice).

The region is the lung as :func:`victwin.phantom.chest.measure.lung_volume_ml` counts it: each
coronal slice's lung mask with its holes (vessels, airways) filled.
"""

from __future__ import annotations

import numpy as np

__all__ = ["CT_MEAN_LUNG_HU", "CT_LUNG_HU_RANGE", "CT_EFFECTIVE_KEV", "lung_region_counts",
           "ct_number", "lung_mean_hu", "parenchyma_density_for_hu"]

#: Mean CT lung density of 17 normal subjects (Clin Radiol 1991;43:238, abstract), HU.
CT_MEAN_LUNG_HU = -817.0
#: Range of the 17 subjects' mean lung densities (same source), HU.
CT_LUNG_HU_RANGE = (-875.0, -770.0)
#: Effective energy (keV) for CT numbers; assumed (120 kVp CT), the result is insensitive to it.
CT_EFFECTIVE_KEV = 70.0


def lung_region_counts(phantom) -> dict:
    """Voxel counts by material name inside the lungs, vessels and airways included.

    The region is each coronal slice's lung-parenchyma mask with its holes filled (the lung of
    :func:`victwin.phantom.chest.measure.lung_volume_ml`).
    """
    from scipy import ndimage

    from .measure import labels_of

    lung = np.isin(phantom.labels, labels_of(phantom, "lung"))
    counts = np.zeros(256, np.int64)
    for j in range(lung.shape[1]):
        m = ndimage.binary_fill_holes(lung[:, j, :])
        counts += np.bincount(phantom.labels[:, j, :][m], minlength=256)
    out: dict = {}
    for lab in np.flatnonzero(counts):
        name = phantom.materials.get(int(lab), "air")
        out[name] = out.get(name, 0) + int(counts[lab])
    return out


def ct_number(mu_per_mm, energy_kev: float = CT_EFFECTIVE_KEV) -> float:
    """CT number (HU) of a linear attenuation ``mu_per_mm`` (1/mm) at ``energy_kev``."""
    from victwin.physics import linear_attenuation

    mw = float(linear_attenuation("water", energy_kev))
    ma = float(linear_attenuation("air", energy_kev))
    return 1000.0 * (float(mu_per_mm) - mw) / (mw - ma)


def lung_mean_hu(phantom, *, energy_kev: float = CT_EFFECTIVE_KEV) -> float:
    """Mean CT number (HU) of the twin's lungs with their vessels and airways."""
    from victwin.physics import linear_attenuation

    counts = lung_region_counts(phantom)
    n = sum(counts.values())
    mu = sum(c * float(linear_attenuation(m, energy_kev)) for m, c in counts.items()) / n
    return ct_number(mu, energy_kev)


def parenchyma_density_for_hu(phantom, hu: float = CT_MEAN_LUNG_HU, *,
                              energy_kev: float = CT_EFFECTIVE_KEV) -> float:
    """Density (g/cm3) the twin's lung material would need for the whole lung to read ``hu``.

    Solves ``sum_i f_i mu_i = mu(hu)`` for the lung material's density, the volume fractions
    ``f_i`` and the other materials' ``mu_i`` as painted.
    """
    from victwin.physics import get_material, linear_attenuation

    from .measure import labels_of

    counts = lung_region_counts(phantom)
    n = sum(counts.values())
    lung_names = {phantom.materials[k] for k in labels_of(phantom, "lung")}
    mw = float(linear_attenuation("water", energy_kev))
    ma = float(linear_attenuation("air", energy_kev))
    target = mw + hu / 1000.0 * (mw - ma)
    rest = sum(c * float(linear_attenuation(m, energy_kev)) for m, c in counts.items()
               if m not in lung_names) / n
    f_p = sum(c for m, c in counts.items() if m in lung_names) / n
    name = sorted(lung_names)[0]
    mass_mu = float(linear_attenuation(name, energy_kev)) / get_material(name).density_g_cm3
    return (target - rest) / (f_p * mass_mu)
