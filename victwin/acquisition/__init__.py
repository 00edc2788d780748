"""Acquisition: simulate an imaging system's exposure of a phantom, and keep the result.

``acquire(phantom, system, seed=...)`` returns an :class:`Acquisition` (raw and processed
images, the simulated views, :class:`Technique` and :class:`Dose` records);
``Acquisition.line_integrals()`` is the one log normalisation the reconstruction and readers
use; :func:`save` / :func:`load` keep it on disk with its views (``victwin acquire`` writes,
``victwin recon`` reads); ``acquire(..., region=Region(...))`` simulates only the pixels a
lesion site's ROI/VOI needs (``Acquisition.reconstruction_input()`` lays DBT crops out for
FBP), and ``acquire_regions(phantom, system, regions, seed=...)`` several sites of one twin,
sharing the beam and the coarse scatter pass (same bytes as one ``acquire`` per region);
``on_device(phantom)`` uploads a twin's labels to the GPU once for all its acquisitions.
``region_support(region, system, ...)`` the box of phantom voxels a region's rays cross
(a window phantom holding it gives the same line integrals as the full phantom).
Units: mm, keV, mAs, mGy; images ``[n_views, nv, nu]``.
"""

from ._acquire import acquire, acquire_regions
from ._beam import Beam, build_beam
from ._estimate import estimate_acquisition
from ._gpu_view import on_device
from ._io import load, save
from ._records import Acquisition, Dose, Technique
from ._region import DBT_FILTER_MARGIN_MM, Region, RegionRecord
from ._support import RegionSupport, region_support
from ._view import ViewImage, simulate_view

__all__ = ["acquire", "acquire_regions", "estimate_acquisition", "Acquisition", "Technique", "Dose", "Beam", "build_beam",
           "simulate_view", "ViewImage", "save", "load", "Region", "RegionRecord",
           "DBT_FILTER_MARGIN_MM", "on_device", "RegionSupport", "region_support"]
