"""Phantoms: procedural breast phantoms, chest twins, analytic V&V phantoms, lesions, and their
file format.

``make(recipe, seed=..., voxel_mm=...)`` builds a :class:`Phantom` (uint8 labels ``[z, y, x]``
on a :class:`~victwin.geometry.Grid`, a label -> material table, lesion records and metadata)
from a recipe name such as ``"breast/dense"`` (a TOML file in the repository's ``phantoms/``
folder, or ``$VICTWIN_PHANTOMS``), a path to a TOML file, or a dict. ``make(...,
window_mm=box)`` builds only the voxels that meet a world box, equal to the crop of the whole
phantom; ``prepare(recipe, seed=...)`` draws a breast once for many windows or voxel sizes
(``.window_set(boxes)``: many windows, each voxel of their union labelled once).
``Phantom.save`` / ``load`` round-trip a phantom through one ``.npz`` file; ``Phantom.preview``
writes a PNG.

Modules: :mod:`._phantom` (the value and its file), :mod:`._recipes` (recipe names, the
registry of recipe kinds, ``make``), :mod:`._breast_recipe` and :mod:`._breast` (the breast's
schema and its builder in named steps), :mod:`._prepared` (a drawn breast voxelised whole or
in windows), :mod:`._window`, :mod:`._window_set`, :mod:`.chest`, :mod:`.analytic`,
:mod:`.lesions` (models, generators, rasterisers, insertion) and :mod:`.plotting` (every
preview).
"""

from . import analytic, lesions, plotting
from ._breast_recipe import BREAST_LABELS
from ._phantom import LUNG_MATERIALS, MATERIAL_NAMES, Lesion, Phantom, label_counts, labels_present, load
from ._texture import power_law_field
from ._prepared import PreparedBreast
from ._window import crop_to_window
from ._window_set import WindowSet
from ._recipes import RECIPE_KINDS, list_recipes, load_recipe, make, prepare
from .chest import make_chest
from .lesions import (VICTRE_CLUSTER, VICTRE_MASS, VictreClusterParameters, VictreMassParameters,
                      calcification_cluster, insert_lesion, lesion_tiles, lung_nodule,
                      snap_center, spiculated_mass, victre_cluster, victre_mass)

__all__ = ["Phantom", "Lesion", "load", "MATERIAL_NAMES", "LUNG_MATERIALS", "label_counts", "labels_present",
           "analytic", "lesions", "plotting", "power_law_field", "make", "prepare", "PreparedBreast", "WindowSet",
           "crop_to_window",
           "load_recipe",
           "list_recipes",
           "BREAST_LABELS", "RECIPE_KINDS", "insert_lesion", "lesion_tiles", "snap_center",
           "spiculated_mass",
           "calcification_cluster", "lung_nodule", "make_chest", "victre_mass", "victre_cluster",
           "VICTRE_MASS", "VICTRE_CLUSTER", "VictreMassParameters", "VictreClusterParameters"]
