"""The chest twins' lungs against CT of normal lungs, and ground-glass nodules against their HU.

References: mean CT lung density of 17 normal subjects -817 HU, range -770 to -875 HU (Clin
Radiol 1991;43:238); pure ground-glass nodules about -600 to -700 HU (see
``victwin.phantom.chest.nodules``).
"""

import numpy as np
import pytest

from victwin.geometry import Grid
from victwin.phantom import LUNG_MATERIALS, Phantom
from victwin.phantom.chest.measure import labels_of
from victwin.phantom.chest.measure_density import (CT_LUNG_HU_RANGE, CT_MEAN_LUNG_HU, ct_number,
                                                   lung_mean_hu, lung_region_counts,
                                                   parenchyma_density_for_hu)
from victwin.phantom.chest.nodules import GGO_FILL, lung_nodule
from victwin.physics import get_material, linear_attenuation

E_KEV = 70.0
GGO_HU = (-700.0, -600.0)    # pure ground-glass nodules, nodules.py's cited range

TWINS = [({"sex": "female", "age_years": 35, "height_cm": 158, "bmi": 21}, 0),
         ({"sex": "male", "age_years": 45, "height_cm": 168, "bmi": 23}, 2),
         ({"sex": "male", "age_years": 70, "height_cm": 188, "bmi": 31}, 3)]


@pytest.fixture(scope="module", params=TWINS, ids=["woman158", "man168", "man188"])
def twin(request, chest_twin):
    return chest_twin(*request.param, 2.0)   # the lean woman shared with other modules


def test_twin_lungs_read_as_normal_lungs_on_ct(twin):
    # vessels and airways included, as CT measures a lung; ICRU 46's whole lung (0.26 g/cm3)
    # plus the painted vessels read -700 HU, outside the 17 normal subjects' -875..-770 HU
    hu = lung_mean_hu(twin)
    lo, hi = CT_LUNG_HU_RANGE
    assert lo <= hu <= hi
    # the parenchyma was derived at 1 mm from the cited mean; at 2 mm it holds within 15 HU
    assert hu == pytest.approx(CT_MEAN_LUNG_HU, abs=15.0)
    # the lung label is the parenchyma, not a whole lung, and it is found by the name "lung"
    assert {twin.materials[k] for k in labels_of(twin, "lung")} == {"lung_parenchyma"}


def test_twin_lung_region_holds_the_painted_vessels_and_airways(twin):
    counts = lung_region_counts(twin)
    n = sum(counts.values())
    # blood (vessels) a few per cent, airway air a few per mille, the rest parenchyma
    assert 0.02 < counts["blood"] / n < 0.08
    assert 0.0005 < counts["air"] / n < 0.01
    assert counts["lung_parenchyma"] / n > 0.9


def _box_lung(material):
    """A 'lung' cube of ``material`` with a blood tube and an air tube through it (holes of each
    coronal slice), inside air: 12 x 12 x 12 voxels of 2 mm."""
    lab = np.zeros((16, 16, 16), np.uint8)
    lab[2:14, 2:14, 2:14] = 1
    lab[4:6, 2:14, 4:6] = 2          # a vessel along y: a hole in every coronal slice
    lab[8:9, 2:14, 9:10] = 3         # an airway along y
    g = Grid(shape=lab.shape, spacing=(2.0, 2.0, 2.0), origin=(0.0, 0.0, 0.0))
    return Phantom(labels=lab, grid=g, materials={0: "air", 1: material, 2: "blood", 3: "air"})


@pytest.mark.parametrize("material", LUNG_MATERIALS)
def test_mean_hu_of_a_box_lung_by_hand(material):
    ph = _box_lung(material)
    counts = lung_region_counts(ph)
    assert counts == {material: 12 ** 3 - 4 * 12 - 12, "blood": 4 * 12, "air": 12}
    mu = {m: float(linear_attenuation(m, E_KEV)) for m in (material, "blood", "air", "water")}
    mean_mu = (counts[material] * mu[material] + counts["blood"] * mu["blood"]
               + counts["air"] * mu["air"]) / 12 ** 3
    expected = 1000.0 * (mean_mu - mu["water"]) / (mu["water"] - mu["air"])
    assert lung_mean_hu(ph) == pytest.approx(expected, rel=1e-9)
    # the inverse: the density that gives this HU is the material's own
    assert parenchyma_density_for_hu(ph, expected) == pytest.approx(
        get_material(material).density_g_cm3, rel=1e-9)


def test_ct_number_of_water_and_air():
    assert ct_number(linear_attenuation("water", E_KEV)) == pytest.approx(0.0, abs=1e-9)
    assert ct_number(linear_attenuation("air", E_KEV)) == pytest.approx(-1000.0, abs=1e-9)


def test_ground_glass_nodule_reads_its_cited_hu_against_the_twins_lung(twin):
    model = lung_nodule(1, diameter_mm=16.0, nodule_type="ground-glass", margin="smooth",
                        voxel_mm=0.5)
    assert model.materials == ("ground_glass",)
    host = {twin.materials[lab] for lab in labels_of(twin, "lung")}.pop()
    # the nodule's material is the twins' parenchyma with GGO_FILL of soft tissue by volume:
    # its mu is the volume-weighted mean of the parts' (checked here from the parts' own mu)
    mu_mix = (GGO_FILL * linear_attenuation("soft_tissue", E_KEV)
              + (1.0 - GGO_FILL) * linear_attenuation(host, E_KEV))
    mu = linear_attenuation(model.materials[0], E_KEV)
    assert mu == pytest.approx(mu_mix, rel=1e-9)
    lo, hi = GGO_HU
    assert lo <= ct_number(mu) <= hi


def test_ground_glass_fill_is_the_physics_mixture_fraction():
    from victwin.physics._materials import GROUND_GLASS_SOFT_TISSUE_FRACTION

    assert GROUND_GLASS_SOFT_TISSUE_FRACTION == GGO_FILL
