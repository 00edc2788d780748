"""Exact ray tracing through voxel grids on the CPU (numba) and GPU (numba.cuda + CuPy).

``project_labels`` gives per-label path lengths for the polyenergetic physics;
``project_volume`` and its exact adjoint ``backproject`` are the operator pair that
reconstruction needs; ``backproject_interpolated`` is the voxel-driven (FDK-type)
backprojector of analytic reconstruction. See the contract in DESIGN.md: lengths in mm, arrays ``[z, y, x]``.
"""

from ._api import (backproject, backproject_interpolated, iter_project_labels, project_labels,
                   project_volume)
from ._operator import RayTransform
from ._tiles import iter_project_labels_tiled


def cpu_kernels_cached() -> bool:
    """Whether the CPU kernels are already compiled and cached (False on a first run)."""
    from ._cpu import kernels_cached

    return kernels_cached()


__all__ = ["project_labels", "iter_project_labels", "project_volume", "backproject",
           "backproject_interpolated", "RayTransform", "cpu_kernels_cached",
           "iter_project_labels_tiled"]
