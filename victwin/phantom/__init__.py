"""Phantoms: procedural breast phantoms, analytic V&V phantoms, lesions, and their file format.

``make(recipe, seed=..., voxel_mm=...)`` builds a :class:`Phantom` (uint8 labels ``[z, y, x]``
on a :class:`~victwin.geometry.Grid`, a label -> material table, lesion records and metadata)
from a recipe name such as ``"breast/dense"`` (a TOML file in the repository's ``phantoms/``
folder, or ``$VICTWIN_PHANTOMS``), a path to a TOML file, or a dict. ``Phantom.save`` /
``load`` round-trip a phantom through one ``.npz`` file; ``Phantom.preview`` writes a PNG.
"""

from . import analytic
from ._phantom import MATERIAL_NAMES, Lesion, Phantom, label_counts, labels_present, load
from ._texture import power_law_field

__all__ = ["Phantom", "Lesion", "load", "MATERIAL_NAMES", "label_counts", "labels_present",
           "analytic", "power_law_field"]

try:
    from ._recipes import BREAST_LABELS, list_recipes, load_recipe, make
except ImportError:  # pragma: no cover - during development only
    pass
else:
    __all__ += ["make", "load_recipe", "list_recipes", "BREAST_LABELS"]

try:
    from .lesions import calcification_cluster, insert_lesion, lung_nodule, spiculated_mass
except ImportError:
    pass
else:
    __all__ += ["insert_lesion", "spiculated_mass", "calcification_cluster", "lung_nodule"]

from .chest import make_chest  # noqa: E402

__all__ += ["make_chest"]

from ._victre_cluster import VICTRE_CLUSTER, VictreClusterParameters, victre_cluster  # noqa: E402
from ._victre_mass import VICTRE_MASS, VictreMassParameters, victre_mass  # noqa: E402

__all__ += ["victre_mass", "victre_cluster", "VICTRE_MASS", "VICTRE_CLUSTER",
            "VictreMassParameters", "VictreClusterParameters"]
