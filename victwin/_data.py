"""Where victwin's package data lives: recipes, example trial specs and spectra.

Everything under ``victwin/data/`` is package data and ships in the wheel. In the repository
``victwin/data/phantoms`` and ``victwin/data/examples`` are symbolic links to the top-level
``phantoms/`` and ``examples/`` folders of DESIGN.md's layout, so those folders are the one
source of the files; building a wheel copies the files the links point to.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["data_path", "recipes_dir"]

_DATA = Path(__file__).resolve().parent / "data"


def data_path(*parts: str) -> Path:
    """Path of ``victwin/data/<parts...>`` in the installed package (it may not exist)."""
    return _DATA.joinpath(*parts)


def recipes_dir() -> Path:
    """The folder recipe names resolve in: ``$VICTWIN_PHANTOMS`` if set, else the recipes
    shipped with victwin (``victwin/data/phantoms``, the repository's ``phantoms/``)."""
    env = os.environ.get("VICTWIN_PHANTOMS")
    return Path(env) if env else data_path("phantoms")
