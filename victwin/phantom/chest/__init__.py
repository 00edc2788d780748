"""Chest twins for PA and lateral radiography, varied by sex, age, height and BMI.

One idea per module: :mod:`.population` (who: NHANES 2015-2018 table, checks),
:mod:`.anatomy` (thorax sizes from the body: ERS 1993 TLC, CTR, fat with BMI),
:mod:`.lungs` (cavity, apices, diaphragm domes, mediastinum, heart shape, TLC solve),
:mod:`.outline` (trunk, fat, neck, shoulders, breasts), :mod:`.skeleton` (spine, sternum,
clavicles, scapulae), :mod:`.ribs` (12 pairs with costal cartilage), :mod:`.mediastinum`
(heart, great vessels, the PA silhouette of the mediastinum, trachea and main bronchi),
:mod:`.trees` (Kitaoka-type airway and vessel trees), :mod:`.parenchyma` (lobular density
field of the lung, measured by ``benchmarks/chest_parenchyma.py``; not painted),
:mod:`.nodules` (screening nodules and their placement), :mod:`.recipe` (schema),
:mod:`.builder` (``make_chest`` in named steps), :mod:`.measure` (anatomy measured on a
phantom), :mod:`.measure_density` (the lungs' mean CT density, vessels and airways included),
:mod:`.preview` (PNG).
"""

from .builder import CHEST_LABELS, CHEST_MATERIALS, STEPS, make_chest, twin_body, vessel_trees
from .recipe import load_chest_recipe

__all__ = ["make_chest", "vessel_trees", "twin_body", "load_chest_recipe", "CHEST_LABELS",
           "CHEST_MATERIALS", "STEPS"]
