"""Tomosynthesis reconstruction (fixed detector, moving source) on CPU and CUDA.

``reconstruct(projections, views, grid, method=...)`` runs normalised simple backprojection
(``"sbp"``), filtered backprojection (``"fbp"``), ordered-subsets SART (``"sart"``) or SIRT
(``"sirt"``) through the exact ray-tracing pair of :mod:`victwin.raytrace`; ``dbt_grid`` gives
the default grid; ``synthesize_2d`` collapses a volume to a DM-like image; ``save_scan`` /
``load_scan`` define the on-disk scan that ``victwin recon DIR`` reads. Units: mm, 1/mm;
arrays ``[z, y, x]`` and projections ``[n_views, nv, nu]``.
"""

from ._analytic import fbp_response
from ._io import load_scan, save_scan
from ._preview import save_preview
from ._reconstruct import Method, reconstruct
from ._scan import dbt_grid
from ._synthesize import synthesize_2d

__all__ = ["reconstruct", "Method", "dbt_grid", "synthesize_2d", "fbp_response", "save_scan",
           "load_scan", "save_preview"]
