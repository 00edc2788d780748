"""Material records: canonical names, compositions, mixtures, errors."""

import pytest

from victwin.physics import MATERIALS, Material, breast_tissue, get_material

CANONICAL = ["air", "water", "adipose", "glandular", "skin", "muscle", "blood", "lung", "bone",
             "soft_tissue", "mass", "hydroxyapatite", "calcium_oxalate", "pmma", "polystyrene",
             "aluminum", "selenium", "csi"]

# Standard atomic weights (IUPAC 2013, conventional values) -- independent of xraylib's table.
_A = {"H": 1.008, "C": 12.011, "O": 15.999, "P": 30.974, "Ca": 40.078, "Cs": 132.905, "I": 126.904}


@pytest.mark.parametrize("name", CANONICAL)
def test_every_canonical_material_is_known_and_cited(name):
    mat = get_material(name)
    assert mat.name == name
    assert sum(mat.mass_fractions.values()) == pytest.approx(1.0, abs=1e-12)
    assert mat.density_g_cm3 > 0
    assert mat.source


def test_hammerstein_glandular_and_adipose_as_published():
    # Hammerstein et al. 1979 Radiology 130:485, table 1.
    g, a = get_material("glandular"), get_material("adipose")
    assert g.density_g_cm3 == 1.04 and a.density_g_cm3 == 0.93
    assert g.mass_fractions["O"] == pytest.approx(0.677) and a.mass_fractions["C"] == pytest.approx(0.619)


@pytest.mark.parametrize("name, element, expected", [
    ("water", "H", 2 * _A["H"] / (2 * _A["H"] + _A["O"])),
    ("hydroxyapatite", "Ca", 5 * _A["Ca"] / (5 * _A["Ca"] + 3 * (_A["P"] + 4 * _A["O"]) + _A["O"] + _A["H"])),
    ("csi", "Cs", _A["Cs"] / (_A["Cs"] + _A["I"])),
])
def test_formula_mass_fractions_match_atomic_weights(name, element, expected):
    # xraylib rounds some atomic weights (H 1.01), hence 0.3%.
    assert get_material(name).mass_fractions[element] == pytest.approx(expected, rel=3e-3)


def test_breast_tissue_mixture_by_weight_with_additive_volumes():
    w = 0.3
    mix = breast_tissue(w)
    g, a = MATERIALS["glandular"], MATERIALS["adipose"]
    assert mix.density_g_cm3 == pytest.approx(1.0 / (w / 1.04 + (1 - w) / 0.93))
    for element in ("H", "C", "N", "O"):
        assert mix.mass_fractions[element] == pytest.approx(
            w * g.mass_fractions[element] + (1 - w) * a.mass_fractions[element])
    assert breast_tissue(1.0).density_g_cm3 == pytest.approx(1.04)
    assert get_material("breast_tissue_30") == mix


def test_element_symbols_for_filters():
    mo = get_material("Mo")
    assert mo.mass_fractions == {"Mo": 1.0} and mo.density_g_cm3 == pytest.approx(10.22, rel=0.01)


def test_unknown_material_lists_valid_names():
    with pytest.raises(ValueError, match="unknown material 'unobtainium'.*glandular"):
        get_material("unobtainium")


@pytest.mark.parametrize("kwargs, match", [
    (dict(density_g_cm3=0.0, composition={"H": 1.0}), "density_g_cm3"),
    (dict(density_g_cm3=1.0, composition={"H": 0.5}), "sum to 1"),
    (dict(density_g_cm3=1.0, composition={"Xx": 1.0}), "unknown element"),
])
def test_material_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Material("bad", **kwargs)


def test_breast_tissue_rejects_fraction_outside_unit_interval():
    with pytest.raises(ValueError, match="glandular_fraction"):
        breast_tissue(1.2)
