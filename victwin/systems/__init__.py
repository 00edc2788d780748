"""Imaging systems as data, and presets of the whole chain.

Each system is a TOML file in this folder (``mammomat-dm``, ``mammomat-dbt``, ``victre-dm``,
``victre-dbt``, ``chest-pa``), loaded by name with :func:`load` into a validated, frozen
:class:`System`; ``load`` also takes a path to a user's own TOML file, and :func:`available`
lists the shipped names. :func:`get_preset` returns a named :class:`Preset` (``"victwin"``,
``"victre"``): the lesion models and materials that go with the systems.
"""

from ._presets import PRESETS, Preset, get_preset, preset_names
from ._system import GridSpec, ScanGeometry, System, Tube, available, from_dict, load

__all__ = ["System", "ScanGeometry", "Tube", "GridSpec", "load", "available", "from_dict",
           "Preset", "PRESETS", "get_preset", "preset_names"]
