"""VICTRE's lesions, measured on generated lesions against VICTRE's own numbers."""

import math

import numpy as np
import pytest
from scipy import ndimage
from scipy.spatial.distance import pdist

from victwin.physics import MATERIALS
from victwin.phantom import (VICTRE_MASS, VictreClusterParameters, VictreMassParameters,
                             victre_cluster, victre_mass)
from victwin.phantom.lesions._victre_mass import _Core

SEEDS = range(50)


def test_cluster_counts_sizes_and_spacing_over_50_seeds():
    # VICTRE's cluster (DIDSR/VICTRE Lesion Insertion/VICTRE_LesionModels/
    # heteroCalc2_121_100.raw, 0.05 mm voxels), measured with the same scipy calls: 5
    # calcifications of 21-31 voxels, centroid distances 1.66-3.68 mm, inside a 5 mm cube.
    counts, vox, dists = [], [], []
    for s in SEEDS:
        m = victre_cluster(s)
        assert m.materials == ("calcium_oxalate_victre",)
        lab, n = ndimage.label(m.patch > 0, structure=np.ones((3, 3, 3)))
        counts.append(n)
        idx = range(1, n + 1)
        vox.extend(ndimage.sum(m.patch > 0, lab, idx))
        cen = np.array(ndimage.center_of_mass(m.patch > 0, lab, idx)) * 0.05
        dists.extend(pdist(cen))
        idx_all = np.argwhere(m.patch)
        assert np.ptp(idx_all, axis=0).max() * 0.05 < 5.0
    assert set(counts) == {5}
    # voxels per calcification: VICTRE 21-31 (sphere rasterisation allows a few more/less)
    assert 17 <= min(vox) and max(vox) <= 35
    assert np.mean(vox) == pytest.approx(np.mean([21, 21, 24, 24, 31]), rel=0.15)
    # centroid spacing (voxelised centroids move by < 1 voxel)
    assert min(dists) >= 1.66 - 0.05 and max(dists) <= 3.68 + 0.05
    assert MATERIALS["calcium_oxalate_victre"].density_g_cm3 == pytest.approx(1.781)


def test_mass_core_radius_over_50_seeds_is_victres_alpha():
    # breastMass cfg/VICTREMass.cfg line 15: alpha = 2.5 mm "mean mass radius"; the core
    # (random sphere + spikes/bumps + fuzz) at 0.1 mm voxels for speed.
    radii = [float(_Core(VICTRE_MASS, np.random.default_rng(s), 0.1).rmap.mean())
             for s in SEEDS]
    assert np.mean(radii) == pytest.approx(2.5, rel=0.05)
    # spread comes from sigma2 ~ N(0.31, 0.04) and the random sphere: a few percent
    assert 0.01 < np.std(radii) / np.mean(radii) < 0.1


def test_mass_size_and_spicules():
    # "the 5 mm diameter spiculated mass used in the VICTRE study" (breastMass
    # doc/running.rst): equivalent-sphere diameter of core + spicules within 15 %
    diam, ext = [], []
    for s in range(6):
        m = victre_mass(s, voxel_mm=0.1)
        assert m.kind == "mass" and m.materials == ("mass",)
        lab, n = ndimage.label(m.patch > 0, structure=np.ones((3, 3, 3)))
        assert n >= 1
        # spicules: the mass reaches well beyond its core
        assert m.info["extent_mm"] > 2 * m.info["core_max_radius_mm"]
        diam.append(m.size_mm)
        ext.append(m.info["extent_mm"])
    assert np.mean(diam) == pytest.approx(5.0, rel=0.15)
    assert MATERIALS["mass"].density_g_cm3 == pytest.approx(1.06)


def test_bad_values_name_the_key():
    with pytest.raises(ValueError, match="diameter_max_mm"):
        VictreClusterParameters(diameter_max_mm=6.0, distance_min_mm=6.0, distance_max_mm=7.0)
    with pytest.raises(ValueError, match="alpha_mm"):
        VictreMassParameters(alpha_mm=-1.0)
    with pytest.raises(ValueError, match="distance_max_mm"):
        victre_cluster(0, params=VictreClusterParameters(distance_min_mm=4.9,
                                                         distance_max_mm=4.95))
    with pytest.raises(ValueError, match="voxel_mm"):
        victre_mass(0, voxel_mm=0.0)
    assert math.isclose(VICTRE_MASS.alpha_mm, 2.5)
