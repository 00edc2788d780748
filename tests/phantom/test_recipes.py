"""Recipe resolution and validation: names, files, dicts, one-line errors naming the key."""

import tomllib
from pathlib import Path

import pytest

import victwin
from victwin.phantom import list_recipes, load_recipe, make

REPO_PHANTOMS = Path(victwin.__file__).resolve().parents[1] / "phantoms"


def _dense():
    with open(REPO_PHANTOMS / "breast" / "dense.toml", "rb") as fh:
        return tomllib.load(fh)


def test_four_density_recipes_are_listed():
    names = list_recipes()
    for n in ("breast/fatty", "breast/scattered", "breast/heterogeneous", "breast/dense",
              "analytic/shepp_logan"):
        assert n in names


def test_name_path_and_dict_resolve_to_the_same_recipe(tmp_path):
    by_name = load_recipe("breast/dense")
    by_path = load_recipe(REPO_PHANTOMS / "breast" / "dense.toml")
    by_dict = load_recipe(dict(_dense(), name="breast/dense"))
    assert by_name == dict(by_path, name="breast/dense") == by_dict
    assert by_name["glandular"]["fraction_volume"] == {"min": 0.52, "max": 0.68}


def test_env_var_overrides_the_recipe_folder(tmp_path, monkeypatch):
    (tmp_path / "breast").mkdir()
    raw = (REPO_PHANTOMS / "breast" / "dense.toml").read_text()
    (tmp_path / "breast" / "mine.toml").write_text(raw)
    monkeypatch.setenv("VICTWIN_PHANTOMS", str(tmp_path))
    assert list_recipes() == ["breast/mine"]
    assert load_recipe("breast/mine")["birads"] == "d"


def _bad(mutate):
    raw = _dense()
    mutate(raw)
    return raw


@pytest.mark.parametrize("mutate, key", [
    (lambda r: r["shape"].update(lenght_mm=3.0), "shape.lenght_mm"),
    (lambda r: r.update(colour="blue"), "colour"),
    (lambda r: r["shape"].update(depth_mm=-5.0), "shape.depth_mm"),
    (lambda r: r["shape"].update(half_width_mm={"min": -1.0, "max": 3.0}), "shape.half_width_mm.min"),
    (lambda r: r["glandular"].update(fraction_volume=1.2), "glandular.fraction_volume"),
    (lambda r: r["glandular"].update(fraction_volume={"min": 0.7, "max": 0.5}),
     "glandular.fraction_volume"),
    (lambda r: r["compression"].update(thickness_mm=100.0), "compression.thickness_mm"),
    (lambda r: r["compression"].update(bulge=0.5), "compression.bulge"),
    (lambda r: r["ducts"].update(generations=2.5), "ducts.generations"),
    (lambda r: r["glandular"].update(fraction_volume="lots"), "glandular.fraction_volume"),
    (lambda r: r.update(kind="brain"), "kind"),
])
def test_bad_recipes_give_one_line_error_naming_the_key(mutate, key):
    with pytest.raises(ValueError) as info:
        make(_bad(mutate), seed=0, voxel_mm=2.0)
    msg = str(info.value)
    assert "\n" not in msg
    assert repr(key) in msg or key in msg


def test_unknown_name_lists_the_available_recipes():
    with pytest.raises(ValueError, match="breast/dense"):
        load_recipe("breast/extra-dense")


@pytest.mark.parametrize("kwargs, match", [({"seed": -1}, "seed"), ({"seed": 1.5}, "seed"),
                                           ({"voxel_mm": 0.0}, "voxel_mm"),
                                           ({"voxel_mm": -0.1}, "voxel_mm")])
def test_bad_make_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make("breast/dense", **{"seed": 0, "voxel_mm": 2.0, **kwargs})


def test_analytic_recipe_errors_name_the_key():
    with pytest.raises(ValueError, match="shapes\\[0\\].radius_mm"):
        make({"kind": "analytic", "size_mm": [10, 10, 10],
              "shapes": [{"type": "ellipsoid", "center_mm": [0, 0, 0], "radius_mm": 3}]})
    with pytest.raises(ValueError, match="semi_axes_mm"):
        make({"kind": "analytic", "size_mm": [10, 10, 10],
              "shapes": [{"type": "ellipsoid", "center_mm": [0, 0, 0],
                          "semi_axes_mm": [1, -1, 1]}]})
