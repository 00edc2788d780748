"""The breast recipe: its labels, its schema and defaults, its checks, and the draw of its
ranges.

Breast recipe values that vary between patients are *ranges*: a number (fixed) or a table
``{min = ..., max = ...}`` drawn uniformly with the phantom's seed.
"""

from __future__ import annotations

import numpy as np

__all__ = ["BREAST_LABELS", "BREAST_MATERIALS", "load_breast_recipe", "draw_breast_parameters"]

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


def load_breast_recipe(raw: dict) -> dict:
    """Check a breast recipe (a dict with its ``name``); returns it complete (defaults filled
    in, every range as ``{min, max}``)."""
    name = str(raw.get("name", "breast"))
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


