"""Chest recipe: schema, loading and validation (one-line errors naming the key).

A chest recipe (``phantoms/chest/*.toml`` or a dict)::

    kind = "chest"
    description = "..."
    detector_gap_mm = 5.0        # anterior body surface (or breast) above the detector
    voxel_mm = 1.0

    [body]                       # each: a value, or "population" (NHANES 2015-2018 draw)
    sex = "population"           # "female", "male" or "population"
    age_years = "population"     # years, 18-90
    height_cm = "population"     # cm, 120-220
    bmi = "population"           # kg/m^2, 12-70
    female_fraction = 0.5        # when sex is drawn
    age_range_years = [40, 80]   # when age is drawn (uniform)

    [lungs]
    vessel_points = 6000         # points sampling each lung for the vessel trees
    vessel_min_diameter_mm = 0.8 # smallest vessel drawn
    airway_min_diameter_mm = 2.0 # smallest airway drawn

    [margins]
    top_mm = 70.0                # volume above the lung apices
    bottom_mm = 60.0             # below the costophrenic recesses
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

from .population import AGE_RANGE_YEARS, BMI_RANGE, HEIGHT_RANGE_CM, SEXES

__all__ = ["load_chest_recipe", "DEFAULTS"]

DEFAULTS = {
    "detector_gap_mm": 5.0,
    "voxel_mm": 1.0,
    "body": {"sex": "population", "age_years": "population", "height_cm": "population",
             "bmi": "population", "female_fraction": 0.5, "age_range_years": [40.0, 80.0]},
    "lungs": {"vessel_points": 6000, "vessel_min_diameter_mm": 0.8,
              "airway_min_diameter_mm": 2.0},
    "margins": {"top_mm": 70.0, "bottom_mm": 60.0},
}
_TOP = {"kind", "description", "name", "detector_gap_mm", "voxel_mm", "body", "lungs",
        "margins"}
_RANGES = {"age_years": AGE_RANGE_YEARS, "height_cm": HEIGHT_RANGE_CM, "bmi": BMI_RANGE}


def _phantoms_dir() -> Path:
    from victwin._data import recipes_dir  # the one place recipe names resolve

    return recipes_dir()


def _num(key, v, lo, hi, *, integer=False):
    ok = isinstance(v, (int, float)) and not isinstance(v, bool)
    if integer:
        ok = ok and float(v).is_integer()
    if not ok or not math.isfinite(v) or not lo <= v <= hi:
        kind = "an integer" if integer else "a number"
        raise ValueError(f"chest recipe key '{key}' must be {kind} in [{lo:g}, {hi:g}], "
                         f"got {v!r}")
    return int(v) if integer else float(v)


def load_chest_recipe(recipe) -> dict:
    """Read and validate a chest recipe (a name such as ``"chest/adult"``, a ``.toml`` path
    or a dict); returns the recipe with defaults filled in and ``name`` set.

    Raises
    ------
    ValueError
        One line naming the key, the rule and the value.
    """
    if isinstance(recipe, dict):
        data, name = dict(recipe), str(recipe.get("name", "chest/custom"))
    else:
        p = Path(recipe)
        if p.suffix != ".toml":
            name = str(recipe)
            p = _phantoms_dir() / f"{name}.toml"
        else:
            name = f"chest/{p.stem}" if p.parent.name == "chest" else p.stem
        if not p.is_file():
            raise ValueError(f"chest recipe {str(recipe)!r} not found (looked for {str(p)!r})")
        try:
            data = tomllib.loads(p.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"chest recipe {str(p)!r} is not valid TOML: {exc}") from None
    if data.get("kind", "chest") != "chest":
        raise ValueError(f"chest recipe key 'kind' must be 'chest', got {data.get('kind')!r}")
    for key in data:
        if key not in _TOP:
            raise ValueError(f"chest recipe has unknown key {key!r} (known: "
                             f"{', '.join(sorted(_TOP))})")
    out = {"kind": "chest", "name": name, "description": str(data.get("description", ""))}
    out["detector_gap_mm"] = _num("detector_gap_mm", data.get("detector_gap_mm", 5.0), 0, 500)
    out["voxel_mm"] = _num("voxel_mm", data.get("voxel_mm", 1.0), 0.25, 10)
    for section in ("body", "lungs", "margins"):
        sec = data.get(section, {})
        if not isinstance(sec, dict):
            raise ValueError(f"chest recipe key '{section}' must be a table, got {sec!r}")
        for key in sec:
            if key not in DEFAULTS[section]:
                raise ValueError(f"chest recipe has unknown key '{section}.{key}' (known: "
                                 f"{', '.join(sorted(DEFAULTS[section]))})")
        out[section] = {**DEFAULTS[section], **sec}
    b = out["body"]
    if b["sex"] not in SEXES + ("population",):
        raise ValueError(f"chest recipe key 'body.sex' must be 'female', 'male' or "
                         f"'population', got {b['sex']!r}")
    for key, (lo, hi) in _RANGES.items():
        if b[key] != "population":
            b[key] = _num(f"body.{key}", b[key], lo, hi)
    b["female_fraction"] = _num("body.female_fraction", b["female_fraction"], 0, 1)
    ar = b["age_range_years"]
    if (not isinstance(ar, (list, tuple)) or len(ar) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in ar)
            or not AGE_RANGE_YEARS[0] <= ar[0] <= ar[1] <= AGE_RANGE_YEARS[1]):
        raise ValueError(f"chest recipe key 'body.age_range_years' must be [min, max] with "
                         f"{AGE_RANGE_YEARS[0]:g} <= min <= max <= {AGE_RANGE_YEARS[1]:g}, "
                         f"got {ar!r}")
    b["age_range_years"] = [float(ar[0]), float(ar[1])]
    lu = out["lungs"]
    lu["vessel_points"] = _num("lungs.vessel_points", lu["vessel_points"], 100, 100_000,
                               integer=True)
    lu["vessel_min_diameter_mm"] = _num("lungs.vessel_min_diameter_mm",
                                        lu["vessel_min_diameter_mm"], 0.1, 20)
    lu["airway_min_diameter_mm"] = _num("lungs.airway_min_diameter_mm",
                                        lu["airway_min_diameter_mm"], 0.5, 20)
    m = out["margins"]
    m["top_mm"] = _num("margins.top_mm", m["top_mm"], 0, 300)
    m["bottom_mm"] = _num("margins.bottom_mm", m["bottom_mm"], 0, 300)
    return out
