"""The pectoralis muscle of the breast phantom, shaped as breastPhantom shapes it (private).

breastPhantom (DIDSR/breastPhantom, ``breastPhantom.cxx`` lines 2295-2318, commit 370336f)
lays the chest muscle into the backing layer of the breast (``shape.ringWidth = 10`` mm,
``cfg/VICTRE_*.cfg`` line 40-41): for each medio-lateral column ``j`` of the volume the muscle
is ``ringWidth * (1 - (j / dim_y)**2)`` deep along the nipple axis, full depth at one side
(``j = 0`` for a left breast) and falling as a parabola to nothing at the other, the same at
every height (constant in ``k``), and only where the voxel is breast tissue. The compression
keeps it as a fixed boundary (breastPhantom's FEBio model), so it stays constant through the
compressed thickness: in a CC view it projects as a bright band along the chest wall whose
anterior edge is a convex parabola, sharp (full muscle thickness up to the edge) rather than
the rounded half-ellipsoid victwin drew before.

victwin draws the span per phantom (recipe ``[pectoralis]``): the parabola runs from
``y0 - half_width`` (full ``depth``) to ``y0 + half_width`` (zero); towards the thick side
beyond ``y0 - half_width`` the muscle keeps its full depth up to the breast outline, as
breastPhantom's does up to the volume edge.
"""

from __future__ import annotations

import numba as nb


@nb.njit(cache=True, inline="always")
def pectoralis_depth_mm(y, depth_mm, y0_mm, half_width_mm):
    """Depth (mm from the chest wall along the nipple axis) of the muscle at lateral ``y`` (mm).

    ``depth * (1 - s**2)`` with ``s = (y - (y0 - half_width)) / (2 half_width)`` clipped to
    ``[0, 1]`` (breastPhantom.cxx line 2303: ``ringWidth * (1 - j**2 / dim_y**2)``).
    """
    s = (y - (y0_mm - half_width_mm)) / (2.0 * half_width_mm)
    if s < 0.0:
        s = 0.0
    if s >= 1.0:
        return 0.0
    return depth_mm * (1.0 - s * s)


@nb.njit(cache=True, inline="always")
def in_pectoralis(x, y, depth_mm, y0_mm, half_width_mm):
    """True where a point at ``x`` mm from the chest wall and lateral ``y`` mm is muscle
    (the caller has checked that it is inside the breast, below the skin)."""
    if depth_mm <= 0.0:
        return False
    return x < pectoralis_depth_mm(y, depth_mm, y0_mm, half_width_mm)
