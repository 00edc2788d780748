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

    [scapulae]
    positioning = "pa"           # "pa": the PA radiograph's (backs of the hands on the hips,
                                 # shoulders rolled forward: medial borders outside the lung
                                 # fields, EUR 16260); "neutral": standing, arms at the sides
                                 # (Yoshida 2022), the placement before 2026-12-05
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from ...schema import Choice, Either, Number, Pair, String, Table, check
from .population import AGE_RANGE_YEARS, BMI_RANGE, HEIGHT_RANGE_CM, SEXES
from .scapula import POSITIONINGS

__all__ = ["load_chest_recipe", "DEFAULTS", "CHEST_SCHEMA"]

_POPULATION = Choice(("population",))

#: Every key of a chest recipe with its rule and its default (:mod:`victwin.schema`).
CHEST_SCHEMA = Table({
    "kind": Choice(("chest",), default="chest"),
    "name": String(default="chest/custom"),
    "description": String(default=""),
    "detector_gap_mm": Number(0, 500, default=5.0),
    "voxel_mm": Number(0.25, 10, default=1.0),
    "body": Table({
        "sex": Choice(SEXES + ("population",), default="population"),
        "age_years": Either(_POPULATION, Number(*AGE_RANGE_YEARS), default="population"),
        "height_cm": Either(_POPULATION, Number(*HEIGHT_RANGE_CM), default="population"),
        "bmi": Either(_POPULATION, Number(*BMI_RANGE), default="population"),
        "female_fraction": Number(0, 1, default=0.5),
        "age_range_years": Pair(*AGE_RANGE_YEARS, default=[40.0, 80.0]),
    }, default={}),
    "lungs": Table({
        "vessel_points": Number(100, 100_000, integer=True, default=6000),
        "vessel_min_diameter_mm": Number(0.1, 20, default=0.8),
        "airway_min_diameter_mm": Number(0.5, 20, default=2.0),
    }, default={}),
    "margins": Table({
        "top_mm": Number(0, 300, default=70.0),
        "bottom_mm": Number(0, 300, default=60.0),
    }, default={}),
    "scapulae": Table({
        "positioning": Choice(POSITIONINGS, default="pa"),
    }, default={}),
})

#: The defaults, as a plain dict (from :data:`CHEST_SCHEMA`).
DEFAULTS = {k: v for k, v in check(CHEST_SCHEMA, {}, "chest recipe").items()
            if k not in ("kind", "name", "description")}


def _phantoms_dir() -> Path:
    from victwin._data import recipes_dir  # the one place recipe names resolve

    return recipes_dir()


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
    data = dict(data)
    data["name"] = name
    return check(CHEST_SCHEMA, data, "chest recipe")
