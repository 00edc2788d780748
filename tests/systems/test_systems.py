"""Imaging systems as data: the shipped TOML files and the validating loader.

Reference for the Mammomat values: VICTRE MC-GPU v1.5b input files (DIDSR/VICTRE_MCGPU) and
Badano et al., JAMA Netw Open 1:e185474 (2018): SID 650 mm, source to rotation axis 600 mm,
25 views over 50 degrees from -25 in 2.0833 degree steps, W anode with 50 um Rh, 200 um a-Se,
85 um pixels, 50 eV per pair, Swank 0.99, 5200 e- electronic noise, focal spot 0.3 mm, a 5:1
31 line/cm grid for DM only.
"""

import dataclasses
import math
import tomllib

import numpy as np
import pytest

import victwin.systems as systems


def test_available_lists_shipped_systems():
    assert {"mammomat-dm", "mammomat-dbt", "chest-pa"} <= set(systems.available())


def test_mammomat_dbt_matches_victre():
    s = systems.load("mammomat-dbt")
    assert s.scan == "dbt" and s.modality == "MG" and s.grid is None
    views = s.views()
    assert len(views) == 25
    # the source moves on a 600 mm circle about an axis 50 mm above the detector
    axis = np.array([0.0, 0.0, 50.0])
    radii = [np.linalg.norm(np.subtract(v.source, axis)) for v in views]
    assert np.allclose(radii, 600.0)
    angles = [math.degrees(math.atan2(v.source[1], v.source[2] - 50.0)) for v in views]
    assert angles[0] == pytest.approx(-25.0)
    assert np.allclose(np.diff(angles), 50.0 / 24.0)
    assert np.allclose(s.angles_deg(), angles)
    assert views[12].sid_mm == pytest.approx(650.0)
    assert views[0].panel.shape == (3000, 1500) and views[0].panel.pitch == (0.085, 0.085)
    d = s.detector
    assert (d.kind, d.material, d.thickness_mm, d.energy_per_electron_ev, d.swank,
            d.electronic_noise_e, d.bits) == ("direct", "selenium", 0.2, 50.0, 0.99, 5200.0, 14)
    assert s.tube.anode == "W" and ("Rh", 0.05) in s.tube.filters
    assert s.geometry.focal_spot_mm == 0.3


def test_mammomat_dm_has_grid_and_one_view():
    s = systems.load("mammomat-dm")
    (view,) = s.views()
    assert view.sid_mm == pytest.approx(650.0)
    assert s.grid is not None and s.grid.grid.ratio == 5.0
    assert s.grid.grid.line_density_per_cm == 31.0 and s.grid.grid.strip_width_um == 65.0
    assert s.grid.transmission(20.0) == (0.73, 0.13)


def test_binning_reads_out_coarser_pixels():
    (view,) = systems.load("mammomat-dm").views(binning=2)
    assert view.panel.shape == (1500, 750) and view.panel.pitch == (0.17, 0.17)


def test_chest_pa_is_a_csi_system_with_grid():
    s = systems.load("chest-pa")
    (view,) = s.views()
    assert view.sid_mm == pytest.approx(1800.0)
    assert s.detector.kind == "indirect" and s.detector.material == "csi"
    assert s.detector.pitch_mm == 0.14 and s.detector.light_spread_mm > 0
    tp, ts = s.grid.transmission(np.array([50.0, 60.0]))
    assert 0.5 < tp < 0.9 and ts < 0.2 * tp


def test_system_is_frozen():
    s = systems.load("mammomat-dm")
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.name = "x"
    with pytest.raises(TypeError):
        s.aec["mode"] = "mgd"


def _shipped(name) -> dict:
    with open(systems.load(name).source, "rb") as fh:
        return tomllib.load(fh)


def _write(tmp_path, data) -> str:
    def dump(d, prefix=""):
        lines, tables = [], []
        for k, v in d.items():
            if isinstance(v, dict):
                tables.append((k, v))
            elif isinstance(v, list) and v and isinstance(v[0], dict):
                continue
            else:
                lines.append(f"{k} = {toml_value(v)}")
        out = "\n".join(lines) + "\n"
        for k, v in tables:
            out += f"\n[{prefix}{k}]\n" + dump(v, prefix=f"{prefix}{k}.")
        return out

    def toml_value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return f'"{v}"'
        if isinstance(v, list):
            return "[" + ", ".join(toml_value(x) for x in v) + "]"
        return repr(v)

    path = tmp_path / "mine.toml"
    path.write_text(dump(data))
    return str(path)


def test_user_system_from_path(tmp_path):
    data = _shipped("chest-pa")
    data["name"] = "my-chest"
    data["geometry"]["sid_mm"] = 1500.0
    s = systems.load(_write(tmp_path, data))
    assert s.name == "my-chest" and s.views()[0].sid_mm == pytest.approx(1500.0)


@pytest.mark.parametrize("edit, match", [
    (lambda d: d["geometry"].__setitem__("sid_mm_typo", 1.0), r"geometry\.sid_mm_typo"),
    (lambda d: d.__setitem__("colour", "red"), r"system: unknown key colour; valid keys here: "),
    (lambda d: d["detector"].__setitem__("swank", 1.4), r"detector\.swank"),
    (lambda d: d["geometry"].__setitem__("pitch_mm", -0.1),
     r"system: geometry\.pitch_mm must be > 0, got -0\.1"),
    (lambda d: d["geometry"].__setitem__("sid_nm", 1.0),
     r"system: unknown key geometry\.sid_nm; did you mean sid_mm\?"),
    (lambda d: d["tube"].__setitem__("kvp", "high"), r"tube\.kvp"),
    (lambda d: d["tube"].__setitem__("filters", [["Al"]]), r"tube\.filters\[0\]"),
    (lambda d: d.__setitem__("scan", "ct"), r"scan"),
    (lambda d: d["grid"].__setitem__("interspace", "wood"), r"grid\.interspace"),
    (lambda d: d["detector"].pop("thickness_mm"), r"system: missing key detector\.thickness_mm \(a number\)"),
])
def test_bad_system_names_the_key(tmp_path, edit, match):
    data = _shipped("chest-pa")
    edit(data)
    with pytest.raises(ValueError, match=match) as info:
        systems.load(_write(tmp_path, data))
    assert "\n" not in str(info.value)


def test_unknown_name_lists_available():
    with pytest.raises(ValueError, match="mammomat-dm"):
        systems.load("no-such-system")
