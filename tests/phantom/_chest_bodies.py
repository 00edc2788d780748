"""Chest twins shared across the test session: :func:`build` makes each (body, seed, voxel)
twin once (``functools.lru_cache``) instead of once per module, and hands out the same
read-only phantom (its labels not writeable: a test that would modify a shared twin fails
loudly instead of changing what the other modules see). Builds are deterministic by seed
(labels' sha256 equal build to build, NOTES 2026-12-03 sixth session), so sharing changes no
result. ``tests/phantom/conftest.py``'s session fixture ``chest_twin`` is :func:`build`.

:func:`make` is ``make_chest`` through a cache on disk shared by every process of one pytest
run (the two xdist workers of ``.ci/run``; ``tests/conftest.py`` makes the directory and
removes it at the end): a twin one process has built is read back (pickled) by the others
instead of built again, a fresh object at every call. Until 2026-12-06 the shared 2 mm twins
were built once on each worker, and a few fixtures' twins twice in one file (NOTES, the session
of 2026-12-06). Builds that wrap or patch the builder (:func:`build_caught`, a patched module
constant) must not go through it: its key is the recipe, seed and voxel only."""

from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import os
import pickle
from pathlib import Path

from victwin.phantom.chest import make_chest

#: Environment variable naming the run's cache directory (set by tests/conftest.py).
CACHE_ENV = "VICTWIN_TEST_TWIN_CACHE"


def make(recipe, *, seed: int, voxel_mm: float, **kw):
    """``make_chest(recipe, seed=seed, voxel_mm=voxel_mm, progress=False)``, built once per
    test run across processes (module docstring); ``kw`` other ``make_chest`` arguments that
    change the twin. Without the cache directory (a run outside pytest), a plain build."""
    root = os.environ.get(CACHE_ENV)
    if not root or not os.path.isdir(root):
        return make_chest(recipe, seed=seed, voxel_mm=voxel_mm, progress=False, **kw)
    key = hashlib.sha256(json.dumps([recipe, int(seed), float(voxel_mm), kw], sort_keys=True,
                                    default=str).encode()).hexdigest()[:32]
    path = Path(root) / f"{key}.pkl"
    with open(Path(root) / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)          # one process builds; the others wait, read
        if path.is_file():
            with open(path, "rb") as fh:
                return pickle.load(fh)
        ph = make_chest(recipe, seed=seed, voxel_mm=voxel_mm, progress=False, **kw)
        tmp = path.with_suffix(".part")
        with open(tmp, "wb") as fh:
            pickle.dump(ph, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
    return ph

VOX = 2.0
BODIES = {"man": ({"sex": "male", "age_years": 55, "height_cm": 178, "bmi": 26}, 3),
          "woman": ({"sex": "female", "age_years": 45, "height_cm": 160, "bmi": 31}, 4)}
#: The lean woman of benchmarks/chest_twins.py (seed 0), shared by the scapular cover, sternum
#: and lung density tests.
LEAN_WOMAN = ({"sex": "female", "age_years": 35, "height_cm": 158, "bmi": 21}, 0)


@functools.lru_cache(maxsize=None)
def _build(body_items: tuple, seed: int, voxel_mm: float):
    ph = make({"body": dict(body_items)}, seed=seed, voxel_mm=voxel_mm)
    ph.labels.flags.writeable = False
    return ph


def build(body: dict, seed: int, voxel_mm: float = VOX):
    """The chest twin of ``body`` (a recipe's body table) and ``seed`` at ``voxel_mm``, built
    once per session (do not modify it: it is shared; its labels are read-only)."""
    return _build(tuple(sorted(body.items())), int(seed), float(voxel_mm))


def twin(name: str):
    """The 2 mm twin of :data:`BODIES` ``name`` (shared, read-only: :func:`build`)."""
    body, seed = BODIES[name]
    return build(body, seed, VOX)


def build_caught(body: dict, seed: int, voxel_mm: float, positioning: str):
    """(twin, trunk labels just before the skeleton is painted, the scapulae painted whole):
    the builder's ``_paint_skeleton`` and ``paint_scapulae`` are wrapped for the one build, so
    a test can ask what tissue lay where a bone was then drawn (test_chest_shoulders,
    test_chest_bones_under_skin; each caches its own bodies)."""
    from copy import deepcopy

    import numpy as np

    import victwin.phantom.chest.builder as builder

    mark = 250                      # a label no tissue uses: the scapulae painted alone
    out = {}
    real_skel, real_scap = builder._paint_skeleton, builder.paint_scapulae

    def skel(labels, *args, **kw):
        out["trunk"] = labels.copy()
        return real_skel(labels, *args, **kw)

    def scap(labels, *args, **kw):
        full = labels.copy()
        same = [deepcopy(a) if isinstance(a, np.random.Generator) else a for a in args]
        real_scap(full, *same, **{**kw, "BONE": mark, "body": None})
        out["scapulae"] = full == mark
        real_scap(labels, *args, **kw)

    builder._paint_skeleton, builder.paint_scapulae = skel, scap
    try:
        ph = make_chest({"body": body, "scapulae": {"positioning": positioning}}, seed=seed,
                        voxel_mm=voxel_mm, progress=False)
    finally:
        builder._paint_skeleton, builder.paint_scapulae = real_skel, real_scap
    return ph, out["trunk"], out["scapulae"]
