"""PNG preview of a chest twin; drawn by :mod:`victwin.phantom.plotting` (one module for all
phantom previews), re-exported here."""

from ..plotting import CHEST_PREVIEW_MU_PER_MM as PREVIEW_MU_PER_MM
from ..plotting import line_integral, save_chest_preview

__all__ = ["save_chest_preview", "line_integral", "PREVIEW_MU_PER_MM"]
