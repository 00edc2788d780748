"""The breast recipe: its labels, its schema and defaults, its checks, and the draw of its
ranges.

Breast recipe values that vary between patients are *ranges*: a number (fixed) or a table
``{min = ..., max = ...}`` drawn uniformly with the phantom's seed.
"""

from __future__ import annotations

import numpy as np

from ..schema import Number, Range, String, Table, check, invalid

__all__ = ["BREAST_LABELS", "BREAST_MATERIALS", "BREAST_SCHEMA", "load_breast_recipe",
           "draw_breast_parameters"]

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

# ---- schema: one entry per key, with its rule and its default --------------------------------
# Defaults describe a moderate, heterogeneously dense breast; recipes override them. The draw
# (draw_breast_parameters) walks this table in order, so the order of keys is part of the
# phantom's bytes: append new keys at the end of a section.
_POS = Number(0, lo_open=True)                 # > 0
_NONNEG = Number(0)                            # >= 0
_FRAC = Number(0, 1, lo_open=True, hi_open=True)
_FRAC01 = Number(0, 1)
_GE1 = Number(1)
_REAL = Number()
_POS_INT = Number(0, lo_open=True, integer=True)
_NONNEG_INT = Number(0, integer=True)


def _r(bound: Number, lo, hi=None) -> Range:
    """A range key with default ``lo`` (a number) or ``{min: lo, max: hi}``."""
    return Range(bound, default=lo if hi is None else {"min": lo, "max": hi})


BREAST_SCHEMA = Table({
    "kind": String(default="breast"),
    "name": String(default="breast"),
    "description": String(default=""),
    "density_class": String(default=""),
    "birads": String(default=""),
    "voxel_mm": Number(0, lo_open=True, default=0.1),
    "shape": Table({
        "depth_mm": _r(_POS, 65.0, 85.0),
        "half_width_mm": _r(_POS, 42.0, 50.0),
        "half_height_mm": _r(_POS, 40.0, 50.0),
    }, default={}),
    "compression": Table({
        "thickness_mm": _r(_POS, 40.0, 50.0),
        "bulge": _r(_GE1, 1.15, 1.35),
        "support_mm": Number(0, default=20.0),
    }, default={}),
    # VICTRE's skin, 0.75 mm (breastPhantom cfg/VICTRE_dense.cfg line 15, skinThick).
    "skin": Table({"thickness_mm": _r(_POS, 0.75, 0.75)}, default={}),
    "nipple": Table({"length_mm": _r(_NONNEG, 3.0, 5.0), "radius_mm": _r(_POS, 3.5, 4.5)},
                    default={}),
    "pectoralis": Table({
        "depth_mm": _r(_NONNEG, 0.0, 10.0),
        "half_width_mm": _r(_POS, 30.0, 50.0),
        "offset_y_mm": _r(_REAL, -20.0, 20.0),
    }, default={}),
    "glandular": Table({
        "fraction_volume": _r(_FRAC, 0.25, 0.45),
        "compartments": _r(_POS_INT, 10, 16),
        "compartment_spread": _r(_NONNEG, 0.5),
        "texture_beta": _r(_POS, 3.5),
        "texture_weight": _r(_NONNEG, 1.0),
        "radial_weight": _r(_NONNEG, 2.0),
        "subcutaneous_rho": _r(_FRAC, 0.85),
        "retromammary_mm": _r(_POS, 4.0),
        "anisotropy": _r(_FRAC01, 0.35),
    }, default={}),
    # breastPhantom's Cooper's ligaments, cfg/VICTRE_dense.cfg [lig] lines 311-324 (the same
    # in all four VICTRE cfgs); see _ligaments.
    "ligaments": Table({
        "thickness_mm": _r(_POS, 0.1),
        "axis_mm": _r(_POS, 20.0, 25.0),
        "axial_ratio": _r(_FRAC, 0.2, 0.3),
        "target_fraction": _r(_FRAC, 0.85),
        "max_tries": _r(_POS_INT, 15000),
        "perturbation": _r(_FRAC01, 0.05),
        "deflection": _r(_FRAC01, 0.12),
        "noise_scale": _r(_POS, 0.007),
        "noise_lacunarity": _r(_GE1, 1.5),
        "noise_persistence": _r(_FRAC, 0.3),
        "noise_octaves": _r(_POS_INT, 6),
    }, default={}),
    "ducts": Table({
        "generations": _r(_NONNEG_INT, 7),
        "max_branches": _r(_NONNEG_INT, 400),
        "radius_mm": _r(_POS, 0.8, 1.0),
        "tdlu_radius_mm": _r(_POS, 0.25, 0.5),   # width 0.5-1 mm, cfg [TDLU]
    }, default={}),
    "vessels": Table({
        "trunks": _r(_NONNEG_INT, 2, 4),
        "generations": _r(_NONNEG_INT, 6),
        "max_branches": _r(_NONNEG_INT, 750),
        "radius_mm": _r(_POS, 1.0, 1.4),
    }, default={}),
})


def load_breast_recipe(raw: dict) -> dict:
    """Check a breast recipe (a dict with its ``name``); returns it complete (defaults filled
    in, every range as ``{min, max}``).

    Raises
    ------
    ValueError
        One line naming the key, the rule and the value (:mod:`victwin.schema`).
    """
    spec = check(BREAST_SCHEMA, raw, "recipe")
    # Cross-field checks that make a recipe impossible whatever the draw.
    t_max = spec["compression"]["thickness_mm"]["max"]
    h_min = spec["shape"]["half_height_mm"]["min"]
    if t_max >= 2 * h_min:
        raise invalid("recipe", "compression.thickness_mm", f"below the uncompressed height "
                      f"2 * shape.half_height_mm (min {2 * h_min:g})", t_max)
    skin = spec["skin"]["thickness_mm"]["max"]
    if skin * 2 >= spec["compression"]["thickness_mm"]["min"]:
        raise invalid("recipe", "skin.thickness_mm", f"below half the compressed thickness "
                      f"(min {spec['compression']['thickness_mm']['min']:g} mm)", skin)
    return spec


def draw_breast_parameters(spec: dict, rng: np.random.Generator) -> dict:
    """Draw every range of a checked breast recipe, in schema order (flat ``section.key``)."""
    out = {}

    def walk(table: Table, values, prefix):
        for key, sub in table.fields.items():
            if isinstance(sub, Table):
                walk(sub, values[key], prefix + key + ".")
            elif isinstance(sub, Range):
                lo, hi = values[key]["min"], values[key]["max"]
                if sub.integer:
                    out[prefix + key] = int(rng.integers(lo, hi + 1))
                else:
                    out[prefix + key] = float(rng.uniform(lo, hi)) if hi > lo else float(lo)
            elif isinstance(sub, Number):
                out[prefix + key] = float(values[key])

    walk(BREAST_SCHEMA, spec, "")
    return out
