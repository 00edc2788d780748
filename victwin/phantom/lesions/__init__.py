"""Lesions: the model value, procedural generators, their rasterisers, and insertion.

One idea per module: :mod:`._model` (:class:`LesionModel`, kinds, materials, argument
checks), :mod:`._raster` (compiled capsule and star-body painters, patch crops; the capsule
painter also draws the chest twins' ribs and vessels), :mod:`._generators` (spiculated mass,
calcification cluster, lung nodule), :mod:`._victre_mass` and :mod:`._victre_cluster` (VICTRE's
lesion models), :mod:`._insert` (:func:`insert_lesion`), :mod:`._tile` (:func:`lesion_tiles`: lesions at
50 um in tiles of a 0.1 mm window). Close-up previews are drawn by
:func:`victwin.phantom.plotting.save_lesion_preview` (also importable from here).

Sizes are in mm; a lesion is generated as a small voxel patch at a given voxel size from a
seeded :class:`numpy.random.Generator`, then inserted so that the phantoms with and without it
differ only inside its bounding box.
"""

from ..plotting import save_lesion_preview
from ._generators import NODULE_TYPES, calcification_cluster, lung_nodule, spiculated_mass
from ._insert import insert_lesion
from ._model import (CALCIFICATION_MATERIALS, FORBIDDEN_MATERIALS, KINDS, LESION_MATERIALS,
                     LesionModel)
from ._raster import paint_capsules
from ._tile import lesion_tiles, snap_center
from ._victre_cluster import VICTRE_CLUSTER, VictreClusterParameters, victre_cluster
from ._victre_mass import VICTRE_MASS, VictreMassParameters, victre_mass

__all__ = ["LesionModel", "spiculated_mass", "calcification_cluster", "lung_nodule",
           "insert_lesion", "lesion_tiles", "snap_center", "save_lesion_preview", "paint_capsules", "victre_mass",
           "victre_cluster", "VICTRE_MASS", "VICTRE_CLUSTER", "VictreMassParameters",
           "VictreClusterParameters", "KINDS", "NODULE_TYPES", "CALCIFICATION_MATERIALS",
           "FORBIDDEN_MATERIALS", "LESION_MATERIALS"]
