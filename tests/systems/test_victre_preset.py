"""The `victre` preset: its systems, materials and lesion models, and one-line errors."""

import tomllib

import pytest

from victwin import systems
from victwin.physics import MATERIALS, victre_spectrum
from victwin.systems import get_preset


def _dict(name):
    with open(systems.load(name).source, "rb") as fh:
        return tomllib.load(fh)


def test_victre_systems_are_mcgpu_as_victre_ran_it():
    dm, dbt = systems.load("victre-dm"), systems.load("victre-dbt")
    for s in (dm, dbt):
        assert s.detector.noise_model == "mcgpu"
        assert s.detector.electronic_noise_e == 5200.0 and s.detector.swank == 0.99
        assert s.tube.spectrum == "victre" and s.aec["spectrum"] == "victre"
        # MC-GPU input line 33: focal spot FWHM 0.0300 cm
        assert s.blur.focal_spot_fwhm_mm == pytest.approx(0.3)
        assert s.blur.focal_spot_model == "mcgpu"
        assert s.tube.make_spectrum(28).mean_energy_kev == pytest.approx(
            victre_spectrum(28).mean_energy_kev)
        assert [r["kvp"] for r in s.aec["rows"]] == [28.0, 30.0]
    # line 34: 0.18 deg for DBT, 0 for FFDM
    assert dbt.blur.motion_arc_deg == pytest.approx(0.18)
    assert dm.blur.motion_arc_deg == 0.0
    assert dm.grid is not None and dbt.grid is None      # input line 9: grid in the DM only
    # geometry as mammomat (VICTRE's Mammomat)
    assert dbt.geometry == systems.load("mammomat-dbt").geometry


@pytest.mark.parametrize("table,key,value,message", [
    ("blur", "focal_spot_fwhm_mm", -0.1, "system: blur.focal_spot_fwhm_mm"),
    ("blur", "motion_arc_deg", -0.18, "system: blur.motion_arc_deg"),
    ("blur", "n_motion", 0, "system: blur.n_motion"),
    ("blur", "focal_spot_model", "cauchy", "system: blur.focal_spot_model"),
    ("detector", "noise_model", "geant", "system: detector.noise_model"),
    ("tube", "spectrum", "tasmip", "system: tube.spectrum"),
    ("tube", "kvp", 29.0, "system: tube.spectrum"),
])
def test_bad_values_give_one_line_naming_the_key(table, key, value, message):
    data = _dict("victre-dbt")
    data[table][key] = value
    with pytest.raises(ValueError, match=message) as exc:
        systems.from_dict(data)
    assert "\n" not in str(exc.value)


def test_unknown_preset_in_a_spec_names_the_key():
    from victwin.trial import spec_from_dict

    base = {"trial": {"name": "t", "seed": 1, "preset": "victre2"},
            "cohort": {"size": 4},
            "modality": [{"name": "DM", "system": "victre-dm"},
                         {"name": "DBT", "system": "victre-dbt"}]}
    with pytest.raises(ValueError, match="trial.preset"):
        spec_from_dict(base)
    with pytest.raises(ValueError, match="unknown preset"):
        get_preset("victre2")
    base["trial"]["preset"] = "victre"
    spec = spec_from_dict(base)
    assert spec.preset == "victre" and spec.to_dict()["preset"] == "victre"
    assert spec_from_dict(spec.to_toml_dict()) == spec
    base["trial"].pop("preset")
    plain = spec_from_dict(base)
    assert "preset" not in plain.to_dict() and plain.hash != spec.hash


def test_preset_materials_are_mcgpus_densities():
    from victwin.phantom import make

    p = make("breast/dense", seed=3, voxel_mm=2.0, progress=False)
    m = get_preset("victre").label_materials(p)
    rho = {lab: MATERIALS[name].density_g_cm3 for lab, name in m.items()}
    # MC-GPU_v1.5b.cu lines 2127-2141, by BREAST_LABELS tissue
    assert rho[1] == 0.92 and rho[2] == 1.09 and rho[3] == 1.035 and rho[4] == 1.09
    assert rho[5] == 1.05 and rho[6] == 1.12 and rho[7] == 1.05 and rho[8] == 1.00
    assert m[0] == "air"
    assert get_preset("victwin").apply(p) is p
    assert get_preset("victre").apply(p).materials == m
