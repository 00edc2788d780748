"""Phantom recipes: where they live, how they are checked, and ``make`` that dispatches on kind.

A recipe is a TOML table (or a dict) with a ``kind`` key: ``"breast"`` (procedural compressed
breast, validated here), ``"analytic"`` (ellipsoids/boxes, see :mod:`victwin.phantom.analytic`)
or ``"chest"`` (built by :mod:`victwin.phantom.chest`). Names such as ``"breast/dense"`` resolve to
``<phantoms>/breast/dense.toml`` where ``<phantoms>`` is ``$VICTWIN_PHANTOMS`` if set, else the
recipes shipped as package data (``victwin/data/phantoms``, a link to the repository's
``phantoms/`` folder, so the two are the same files).

Breast recipe values that vary between patients are *ranges*: a number (fixed) or a table
``{min = ..., max = ...}`` drawn uniformly with the phantom's seed.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np

from victwin._checks import check_seed

__all__ = ["make", "load_recipe", "list_recipes", "recipes_dir", "BREAST_LABELS",
           "BREAST_MATERIALS", "draw_breast_parameters"]

#: Label table of breast phantoms: label -> (tissue, canonical material). Labels 20 and up are
#: left to lesion insertion. Ligaments, ducts and TDLUs are glandular (fibroglandular) tissue;
#: the nipple is skin; vessels are blood.
BREAST_LABELS = {
    0: ("air", "air"),
    1: ("fat", "adipose"),
    2: ("skin", "skin"),
    3: ("glandular", "glandular"),
    4: ("nipple", "skin"),
    5: ("pectoralis", "muscle"),
    6: ("ligament", "glandular"),
    7: ("duct", "glandular"),
    8: ("vessel", "blood"),
}
BREAST_MATERIALS = {k: v[1] for k, v in BREAST_LABELS.items()}

# ---- schema ---------------------------------------------------------------------------------
# kind of value: "pos" (> 0), "nonneg" (>= 0), "frac" (0 < v < 1), "frac01" (0 <= v <= 1),
# "ge1" (>= 1), "real"; a "range" may be a number or {min, max}; "int" ranges are integers.
_R = "range"
_BREAST_SCHEMA = {
    "kind": ("str", None),
    "name": ("str", None),
    "description": ("str", None),
    "density_class": ("str", None),
    "birads": ("str", None),
    "voxel_mm": ("number", "pos"),
    "shape": {
        "depth_mm": (_R, "pos"),
        "half_width_mm": (_R, "pos"),
        "half_height_mm": (_R, "pos"),
    },
    "compression": {
        "thickness_mm": (_R, "pos"),
        "bulge": (_R, "ge1"),
        "support_mm": ("number", "nonneg"),
    },
    "skin": {"thickness_mm": (_R, "pos")},
    "nipple": {"length_mm": (_R, "nonneg"), "radius_mm": (_R, "pos")},
    "pectoralis": {
        "depth_mm": (_R, "nonneg"),
        "half_width_mm": (_R, "pos"),
        "offset_y_mm": (_R, "real"),
    },
    "glandular": {
        "fraction_volume": (_R, "frac"),
        "compartments": ("intrange", "pos"),
        "compartment_spread": (_R, "nonneg"),
        "texture_beta": (_R, "pos"),
        "texture_weight": (_R, "nonneg"),
        "radial_weight": (_R, "nonneg"),
        "subcutaneous_rho": (_R, "frac"),
        "retromammary_mm": (_R, "pos"),
        "anisotropy": (_R, "frac01"),
    },
    "ligaments": {"thickness_mm": (_R, "pos"), "axis_mm": (_R, "pos"),
                  "axial_ratio": (_R, "frac"), "target_fraction": (_R, "frac"),
                  "max_tries": ("intrange", "pos"), "perturbation": (_R, "frac01"),
                  "deflection": (_R, "frac01"), "noise_scale": (_R, "pos"),
                  "noise_lacunarity": (_R, "ge1"), "noise_persistence": (_R, "frac"),
                  "noise_octaves": ("intrange", "pos")},
    "ducts": {
        "generations": ("intrange", "nonneg"),
        "max_branches": ("intrange", "nonneg"),
        "radius_mm": (_R, "pos"),
        "tdlu_radius_mm": (_R, "pos"),
    },
    "vessels": {
        "trunks": ("intrange", "nonneg"),
        "generations": ("intrange", "nonneg"),
        "max_branches": ("intrange", "nonneg"),
        "radius_mm": (_R, "pos"),
    },
}

#: Defaults for every breast key (a moderate, heterogeneously dense breast); recipes override.
_BREAST_DEFAULTS = {
    "kind": "breast",
    "name": "breast",
    "description": "",
    "density_class": "",
    "birads": "",
    "voxel_mm": 0.1,
    "shape": {"depth_mm": {"min": 65.0, "max": 85.0}, "half_width_mm": {"min": 42.0, "max": 50.0},
              "half_height_mm": {"min": 40.0, "max": 50.0}},
    "compression": {"thickness_mm": {"min": 40.0, "max": 50.0}, "bulge": {"min": 1.15, "max": 1.35},
                    "support_mm": 20.0},
    # VICTRE's skin, 0.75 mm (breastPhantom cfg/VICTRE_dense.cfg line 15, skinThick).
    "skin": {"thickness_mm": {"min": 0.75, "max": 0.75}},
    "nipple": {"length_mm": {"min": 3.0, "max": 5.0}, "radius_mm": {"min": 3.5, "max": 4.5}},
    "pectoralis": {"depth_mm": {"min": 0.0, "max": 10.0}, "half_width_mm": {"min": 30.0, "max": 50.0},
                   "offset_y_mm": {"min": -20.0, "max": 20.0}},
    "glandular": {"fraction_volume": {"min": 0.25, "max": 0.45},
                  "compartments": {"min": 10, "max": 16},
                  "compartment_spread": 0.5, "texture_beta": 3.5, "texture_weight": 1.0,
                  "radial_weight": 2.0, "subcutaneous_rho": 0.85, "retromammary_mm": 4.0,
                  "anisotropy": 0.35},
    # breastPhantom's Cooper's ligaments, cfg/VICTRE_dense.cfg [lig] lines 311-324 (the same
    # in all four VICTRE cfgs); see _ligaments.
    "ligaments": {"thickness_mm": 0.1, "axis_mm": {"min": 20.0, "max": 25.0},
                  "axial_ratio": {"min": 0.2, "max": 0.3}, "target_fraction": 0.85,
                  "max_tries": 15000, "perturbation": 0.05, "deflection": 0.12,
                  "noise_scale": 0.007, "noise_lacunarity": 1.5, "noise_persistence": 0.3,
                  "noise_octaves": 6},
    "ducts": {"generations": 7, "max_branches": 400, "radius_mm": {"min": 0.8, "max": 1.0},
              "tdlu_radius_mm": {"min": 0.25, "max": 0.5}},  # width 0.5-1 mm, cfg [TDLU]
    "vessels": {"trunks": {"min": 2, "max": 4}, "generations": 6, "max_branches": 750,
                "radius_mm": {"min": 1.0, "max": 1.4}},
}

_KINDS = ("breast", "analytic", "chest")


def recipes_dir() -> Path:
    """The folder recipe names resolve in: ``$VICTWIN_PHANTOMS`` if set, else the recipes
    shipped with victwin (package data ``victwin/data/phantoms``, the repository's
    ``phantoms/``)."""
    from victwin._data import recipes_dir as shipped_or_env

    return shipped_or_env()


def list_recipes() -> list[str]:
    """Names of the recipes in :func:`recipes_dir` (e.g. ``"breast/dense"``)."""
    root = recipes_dir()
    if not root.is_dir():
        return []
    return sorted(str(p.relative_to(root).with_suffix("")) for p in root.rglob("*.toml"))


def _read_toml(path: Path) -> dict:
    from victwin._textfile import read_toml_file

    return read_toml_file(path, "recipe")  # size, UTF-8 (BOM ok), TOML and nesting checked


def _raw_recipe(recipe) -> tuple[dict, str]:
    if isinstance(recipe, dict):
        return copy.deepcopy(recipe), str(recipe.get("name", "custom"))
    if isinstance(recipe, Path) or (isinstance(recipe, str) and recipe.endswith(".toml")):
        path = Path(recipe)
        if not path.is_file():
            raise ValueError(f"recipe file {str(path)!r} does not exist")
        raw = _read_toml(path)
        return raw, str(raw.get("name", path.stem))
    if isinstance(recipe, str):
        path = recipes_dir() / f"{recipe}.toml"
        if not path.is_file():
            names = ", ".join(list_recipes()) or "none found"
            raise ValueError(f"unknown recipe {recipe!r} (looked for {str(path)!r}; "
                             f"available: {names})")
        raw = _read_toml(path)
        raw.setdefault("name", recipe)
        return raw, recipe
    raise TypeError(f"recipe must be a name, a path to a TOML file or a dict, "
                    f"got {type(recipe).__name__}")


def _check_scalar(key: str, value, rule: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"recipe key {key!r} must be a number, got {value!r}")
    v = float(value)
    ok = {"pos": v > 0, "nonneg": v >= 0, "frac": 0 < v < 1, "frac01": 0 <= v <= 1,
          "ge1": v >= 1, "real": np.isfinite(v)}[rule]
    if not (ok and np.isfinite(v)):
        need = {"pos": "> 0", "nonneg": ">= 0", "frac": "strictly between 0 and 1",
                "frac01": "between 0 and 1", "ge1": ">= 1", "real": "finite"}[rule]
        raise ValueError(f"recipe key {key!r} must be {need}, got {value!r}")
    return v


def _check_range(key: str, value, rule: str, integer: bool):
    if isinstance(value, dict):
        extra = set(value) - {"min", "max"}
        if extra or not {"min", "max"} <= set(value):
            raise ValueError(f"recipe key {key!r} must be a number or {{min, max}}, got {value!r}")
        lo = _check_scalar(f"{key}.min", value["min"], rule)
        hi = _check_scalar(f"{key}.max", value["max"], rule)
        if lo > hi:
            raise ValueError(f"recipe key {key!r} has min {lo} > max {hi}")
        out = {"min": lo, "max": hi}
    else:
        v = _check_scalar(key, value, rule)
        out = {"min": v, "max": v}
    if integer:
        for b in ("min", "max"):
            if not float(out[b]).is_integer():
                raise ValueError(f"recipe key {key!r} must be an integer, got {out[b]!r}")
            out[b] = int(out[b])
    return out


def _validate(raw: dict, schema: dict, defaults: dict, prefix: str = "") -> dict:
    if not isinstance(raw, dict):
        raise ValueError(f"recipe key {prefix.rstrip('.')!r} must be a table, got {raw!r}")
    for key in raw:
        if key not in schema:
            raise ValueError(f"unknown recipe key {prefix + key!r} "
                             f"(expected one of {', '.join(schema)})")
    out = {}
    for key, spec in schema.items():
        full = prefix + key
        value = raw.get(key, defaults.get(key))
        if isinstance(spec, dict):
            out[key] = _validate(value if value is not None else {}, spec,
                                 defaults.get(key, {}), full + ".")
            continue
        kind, rule = spec
        if kind == "str":
            if value is not None and not isinstance(value, str):
                raise ValueError(f"recipe key {full!r} must be a string, got {value!r}")
            out[key] = value or ""
        elif kind == "number":
            out[key] = _check_scalar(full, value, rule)
        else:
            out[key] = _check_range(full, value, rule, integer=(kind == "intrange"))
    return out


def _validate_breast(raw: dict, name: str) -> dict:
    spec = _validate(raw, _BREAST_SCHEMA, _BREAST_DEFAULTS)
    spec["name"] = name
    # Cross-field checks that make a recipe impossible whatever the draw.
    t_max = spec["compression"]["thickness_mm"]["max"]
    h_min = spec["shape"]["half_height_mm"]["min"]
    if t_max >= 2 * h_min:
        raise ValueError(f"recipe key 'compression.thickness_mm' (max {t_max}) must be below the "
                         f"uncompressed height 2*shape.half_height_mm (min {2 * h_min})")
    if spec["skin"]["thickness_mm"]["max"] * 2 >= spec["compression"]["thickness_mm"]["min"]:
        raise ValueError(f"recipe key 'skin.thickness_mm' ({spec['skin']['thickness_mm']['max']}) "
                         f"leaves no tissue inside a compressed thickness of "
                         f"{spec['compression']['thickness_mm']['min']} mm")
    return spec


def load_recipe(recipe) -> dict:
    """Resolve and check a recipe; returns a plain dict with a ``name`` and a ``kind``.

    Breast recipes come back complete (defaults filled in, every range as ``{min, max}``).

    Raises
    ------
    ValueError
        One line naming the key: unknown key, value out of range, min > max, unknown name.
    """
    raw, name = _raw_recipe(recipe)
    kind = raw.get("kind")
    if kind not in _KINDS:
        raise ValueError(f"recipe key 'kind' must be one of {', '.join(_KINDS)}, got {kind!r}")
    if kind == "breast":
        return _validate_breast(raw, name)
    raw["name"] = name
    if kind == "chest":
        from .chest import load_chest_recipe

        return load_chest_recipe(raw)
    if kind == "analytic":
        from .analytic import validate_recipe

        return validate_recipe(raw)
    return raw


def draw_breast_parameters(spec: dict, rng: np.random.Generator) -> dict:
    """Draw every range of a checked breast recipe, in schema order (flat ``section.key``)."""
    out = {}

    def walk(schema, values, prefix):
        for key, sub in schema.items():
            if isinstance(sub, dict):
                walk(sub, values[key], prefix + key + ".")
            elif sub[0] in (_R, "intrange"):
                lo, hi = values[key]["min"], values[key]["max"]
                if sub[0] == "intrange":
                    out[prefix + key] = int(rng.integers(lo, hi + 1))
                else:
                    out[prefix + key] = float(rng.uniform(lo, hi)) if hi > lo else float(lo)
            elif sub[0] == "number":
                out[prefix + key] = float(values[key])

    walk(_BREAST_SCHEMA, spec, "")
    return out


def make(recipe, *, seed: int = 0, voxel_mm: float | None = None, progress: bool | None = None):
    """Build a phantom from a recipe.

    Parameters
    ----------
    recipe : str, pathlib.Path or dict
        A recipe name (``"breast/dense"``, ``"analytic/shepp_logan"``...), a TOML file, or a dict.
    seed : int
        Seed of the ``numpy.random.Generator`` behind every draw; the same recipe, seed and voxel
        size give the same bytes.
    voxel_mm : float, mm, optional
        Isotropic voxel size; defaults to the recipe's ``voxel_mm``.
    progress : bool, optional
        Show a tqdm progress bar (default: only when stderr is a terminal).

    Returns
    -------
    Phantom
    """
    seed = check_seed(seed)
    if voxel_mm is not None:
        if isinstance(voxel_mm, bool) or not isinstance(voxel_mm, (int, float, np.floating)) \
                or not np.isfinite(voxel_mm) or voxel_mm <= 0:
            raise ValueError(f"voxel_mm must be a number > 0, got {voxel_mm!r}")
        voxel_mm = float(voxel_mm)
    spec = load_recipe(recipe)
    kind = spec["kind"]
    if kind == "breast":
        from ._breast import make_breast

        return make_breast(spec, seed=seed, voxel_mm=voxel_mm, progress=progress)
    if kind == "analytic":
        from .analytic import make_analytic

        return make_analytic(spec, voxel_mm=voxel_mm, seed=seed)
    from .chest import make_chest

    return make_chest(spec, seed=seed, voxel_mm=voxel_mm, progress=progress)
