"""Phantom recipes: where they live, the registry of recipe kinds, and ``make``.

A recipe is a TOML table (or a dict) with a ``kind`` key. Each kind owns its schema and its
builder, listed once in :data:`RECIPE_KINDS`: ``"breast"`` (procedural compressed breast,
:mod:`._breast_recipe` and :mod:`._breast`), ``"analytic"`` (ellipsoids/boxes,
:mod:`victwin.phantom.analytic`) and ``"chest"`` (:mod:`victwin.phantom.chest`). Names such as
``"breast/dense"`` resolve to ``<phantoms>/breast/dense.toml`` where ``<phantoms>`` is
``$VICTWIN_PHANTOMS`` if set, else the recipes shipped as package data
(``victwin/data/phantoms``, a link to the repository's ``phantoms/`` folder: the same files).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from victwin._checks import check_seed

from ..schema import Choice, Table, check
from ._breast import make_breast
from ._breast_recipe import BREAST_SCHEMA, load_breast_recipe
from ._window import check_window, crop_to_window
from .analytic import ANALYTIC_SCHEMA, make_analytic, validate_recipe
from .chest import load_chest_recipe, make_chest
from .chest.recipe import CHEST_SCHEMA

__all__ = ["make", "prepare", "load_recipe", "list_recipes", "recipes_dir", "RecipeKind",
           "RECIPE_KINDS"]


@dataclass(frozen=True)
class RecipeKind:
    """One kind of phantom recipe: its schema (every key, rule and default), the function that
    checks a recipe against it (plus the rules that tie keys together) and the one that builds
    a phantom from a checked recipe."""

    name: str
    schema: Table
    load: Callable[[dict], dict]
    build: Callable[..., object]


def _build_analytic(spec, *, seed, voxel_mm, progress):
    return make_analytic(spec, voxel_mm=voxel_mm, seed=seed)   # no progress bar: it is quick


#: The registry: recipe ``kind`` -> :class:`RecipeKind`.
RECIPE_KINDS = {
    "breast": RecipeKind("breast", BREAST_SCHEMA, load_breast_recipe, make_breast),
    "analytic": RecipeKind("analytic", ANALYTIC_SCHEMA, validate_recipe, _build_analytic),
    "chest": RecipeKind("chest", CHEST_SCHEMA, load_chest_recipe, make_chest),
}


def recipes_dir() -> Path:
    """The folder recipe names resolve in: ``$VICTWIN_PHANTOMS`` if set, else the recipes
    shipped with victwin (package data ``victwin/data/phantoms``, the repository's
    ``phantoms/``)."""
    from victwin._data import recipes_dir as shipped_or_env

    return shipped_or_env()


def list_recipes() -> list[str]:
    """Names of the recipes in :func:`recipes_dir` (e.g. ``"breast/dense"``)."""
    root = recipes_dir()
    if not root.is_dir():
        return []
    return sorted(str(p.relative_to(root).with_suffix("")) for p in root.rglob("*.toml"))


def _read_toml(path: Path) -> dict:
    from victwin._textfile import read_toml_file

    return read_toml_file(path, "recipe")  # size, UTF-8 (BOM ok), TOML and nesting checked


def _raw_recipe(recipe) -> tuple[dict, str]:
    if isinstance(recipe, dict):
        return copy.deepcopy(recipe), str(recipe.get("name", "custom"))
    if isinstance(recipe, Path) or (isinstance(recipe, str) and recipe.endswith(".toml")):
        path = Path(recipe)
        if not path.is_file():
            raise ValueError(f"recipe file {str(path)!r} does not exist")
        raw = _read_toml(path)
        return raw, str(raw.get("name", path.stem))
    if isinstance(recipe, str):
        path = recipes_dir() / f"{recipe}.toml"
        if not path.is_file():
            names = ", ".join(list_recipes()) or "none found"
            raise ValueError(f"unknown recipe {recipe!r} (looked for {str(path)!r}; "
                             f"available: {names})")
        raw = _read_toml(path)
        raw.setdefault("name", recipe)
        return raw, recipe
    raise TypeError(f"recipe must be a name, a path to a TOML file or a dict, "
                    f"got {type(recipe).__name__}")


def load_recipe(recipe) -> dict:
    """Resolve and check a recipe; returns a plain dict with a ``name`` and a ``kind``.

    Breast recipes come back complete (defaults filled in, every range as ``{min, max}``).

    Raises
    ------
    ValueError
        One line naming the key: unknown key, value out of range, min > max, unknown name.
    """
    raw, name = _raw_recipe(recipe)
    kind = check(Choice(tuple(RECIPE_KINDS)), raw.get("kind"), "recipe", "kind")
    raw["name"] = name
    return RECIPE_KINDS[kind].load(raw)


def make(recipe, *, seed: int = 0, voxel_mm: float | None = None, progress: bool | None = None,
         window_mm=None):
    """Build a phantom from a recipe, whole or a window of it.

    Parameters
    ----------
    recipe : str, pathlib.Path or dict
        A recipe name (``"breast/dense"``, ``"analytic/shepp_logan"``...), a TOML file, or a dict.
    seed : int
        Seed of the ``numpy.random.Generator`` behind every draw; the same recipe, seed and voxel
        size give the same bytes.
    voxel_mm : float, mm, optional
        Isotropic voxel size; defaults to the recipe's ``voxel_mm``.
    progress : bool, optional
        Show a tqdm progress bar (default: only when stderr is a terminal).
    window_mm : ((x0, y0, z0), (x1, y1, z1)), mm, optional
        Build only the voxels of the whole phantom's grid that meet this world box (clipped
        to the grid): same spacing, origin on the same lattice, labels equal to the crop of the
        whole phantom byte for byte; ``meta["window"]`` gives the window's full-grid ``index``
        ``[z0, y0, x0]`` and the ``full_shape``. Breast phantoms build only the window's voxels
        (what a window reports for whole-volume metadata such as the glandular fractions:
        :meth:`victwin.phantom.PreparedBreast.make`); analytic phantoms are cropped from the
        whole one; chest twins refuse. Several windows of one breast: :func:`prepare`.

    Returns
    -------
    Phantom

    Raises
    ------
    ValueError
        One line: a bad recipe, voxel size or window, a window that misses the grid, a window
        of a chest twin.
    """
    seed = check_seed(seed)
    if voxel_mm is not None:
        if isinstance(voxel_mm, bool) or not isinstance(voxel_mm, (int, float, np.floating)) \
                or not np.isfinite(voxel_mm) or voxel_mm <= 0:
            raise ValueError(f"voxel_mm must be a number > 0, got {voxel_mm!r}")
        voxel_mm = float(voxel_mm)
    spec = load_recipe(recipe)
    if window_mm is None:
        return RECIPE_KINDS[spec["kind"]].build(spec, seed=seed, voxel_mm=voxel_mm,
                                                progress=progress)
    if spec["kind"] == "breast":
        return make_breast(spec, seed=seed, voxel_mm=voxel_mm, progress=progress,
                           window_mm=window_mm)
    if spec["kind"] == "analytic":
        check_window(window_mm)
        whole = RECIPE_KINDS["analytic"].build(spec, seed=seed, voxel_mm=voxel_mm,
                                               progress=progress)
        return crop_to_window(whole, window_mm)
    raise ValueError(f"window_mm: windows are for breast (and analytic) phantoms, not "
                     f"{spec['kind']} recipe {spec['name']!r}")


def prepare(recipe, *, seed: int = 0):
    """Make a breast's random draws once, to voxelise it later whole or in windows.

    Parameters
    ----------
    recipe : str, pathlib.Path or dict
        A breast recipe (``"breast/dense"``, a TOML file or a dict).
    seed : int

    Returns
    -------
    PreparedBreast
        ``.make(voxel_mm=None, window_mm=None)`` equals ``make(recipe, seed=seed, ...)``
        byte for byte; ``.grid(voxel_mm)``, ``.lattice(lo, hi, step=...)``.

    Raises
    ------
    ValueError
        One line: a bad recipe, or a recipe that is not a breast.
    """
    from ._prepared import PreparedBreast

    seed = check_seed(seed)
    spec = load_recipe(recipe)
    if spec["kind"] != "breast":
        raise ValueError(f"prepare: recipe {spec['name']!r} is a {spec['kind']} recipe; only "
                         f"breast recipes are prepared (use make)")
    return PreparedBreast(spec, seed=seed)
