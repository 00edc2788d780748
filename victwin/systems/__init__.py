"""Imaging systems as data.

Each system is a TOML file in this folder (``mammomat-dm``, ``mammomat-dbt``, ``chest-pa``),
loaded by name with :func:`load` into a validated, frozen :class:`System`; ``load`` also takes a
path to a user's own TOML file, and :func:`available` lists the shipped names.
"""

from ._system import GridSpec, ScanGeometry, System, Tube, available, from_dict, load

__all__ = ["System", "ScanGeometry", "Tube", "GridSpec", "load", "available", "from_dict"]
