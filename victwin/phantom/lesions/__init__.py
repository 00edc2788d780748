"""Lesion models, their generators and insertion (``_generators`` is the former ``lesions.py``;
the next commit splits it into one module per idea)."""

from ._generators import *  # noqa: F401,F403
from ._generators import (CALCIFICATION_MATERIALS, FORBIDDEN_MATERIALS, KINDS,  # noqa: F401
                          LESION_MATERIALS, NODULE_TYPES, __all__, _paint_capsules)
