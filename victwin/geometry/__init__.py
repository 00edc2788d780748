"""Geometry values and scan builders.

``Grid``, ``FlatPanel`` and ``View`` are frozen values validated when built (see the contract
in DESIGN.md); the builders make the DM, DBT and chest PA scans victwin simulates. Lengths are
in mm, angles in degrees; arrays index ``[z, y, x]``, points are ``(x, y, z)``.
"""

from ._core import FlatPanel, Grid, View, views_to_arrays
from ._scans import mammography_view, radiography_view, tomosynthesis_arc

__all__ = ["Grid", "FlatPanel", "View", "views_to_arrays", "mammography_view",
           "tomosynthesis_arc", "radiography_view"]
