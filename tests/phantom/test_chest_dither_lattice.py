"""A chest twin's bone texture does not depend on how far its grid extends (issue 19).

The bone dithers (cancellous fill, rib and vertebral shells, scapular plates: every caller of
:func:`victwin.phantom.chest.cancellous.uniform_at`) are keyed by the voxel's place on the
anatomy's voxel lattice. The same body built with neutral and with PA scapulae has grids of
different extents (wider over the glided girdle, shallower behind the blades) on one lattice;
until 2026-12-06 the dither was keyed by the voxel's index in each grid's own array, and ~40 %
of the bone/marrow choices differed between the two postures at 3 mm (8384 of 19962 voxels; the
rib swap found in test_chest_body_size's Schroeder 2013 column).

Checked, independent of the code's numbers:

* an invariance: at every world voxel both grids hold where both twins have the same painted
  interior (the "envelope": the voxels the dither decides, with the same bone and the same
  marrow label), the neutral and PA twins make the same choice. The envelope is read from the
  same twins built with every dither number forced to 0 (all bone) and to just under 1 (all
  marrow).
* a twin built with margins larger by whole voxels (another grid shape and origin) is the
  same twin, voxel for voxel, wherever both grids reach.
* the bone fraction of the cancellous interior (the voxels drawn with probability
  :data:`TRABECULAR_BV_TV`: bone when every number is forced just under 0.15, marrow when
  forced to 0.15) within binomial limits (4 SD) of that cited constant (0.15; Hildebrand 1999,
  cancellous.py).
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

from victwin.phantom.chest import make_chest
from victwin.phantom.chest import cancellous
from victwin.phantom.chest.cancellous import TRABECULAR_BV_TV
from victwin.phantom.chest.recipe import load_chest_recipe

VOX = 3.0
# the woman of test_chest_body_size's Schroeder 2013 check (mean BMI of that cohort)
BODY, SEED = {"sex": "female", "age_years": 40, "height_cm": 163.0, "bmi": 26.0}, 3
_ALL_MARROW = np.nextafter(1.0, 0.0)


def _build(recipe: dict, monkeypatch, force=None):
    """The twin of ``recipe``; ``force``: every dither number set to this value instead."""
    with monkeypatch.context() as m:
        if force is not None:
            real = cancellous.uniform_at
            fake = lambda key, index: np.full(np.shape(index), float(force))   # noqa: E731
            users = [mod for name, mod in sys.modules.items()
                     if name.startswith("victwin.phantom.chest")
                     and getattr(mod, "uniform_at", None) is real]
            assert len(users) >= 4          # cancellous (fill), ribs, skeleton, scapula
            for mod in users:
                m.setattr(mod, "uniform_at", fake)
        return make_chest(recipe, seed=SEED, voxel_mm=VOX)


def _recipe(positioning: str, **extra) -> dict:
    return {"body": BODY, "scapulae": {"positioning": positioning}, **extra}


def _common(ga, gb):
    """Index slices of ``ga`` and ``gb`` over the voxel centres both grids hold (the two grids
    must share the lattice: offsets by whole voxels)."""
    sa, sb = [], []
    for axis in ("z", "y", "x"):
        a, b = ga.axis_mm(axis), gb.axis_mm(axis)
        off = (b[0] - a[0]) / VOX
        o = int(round(off))
        assert abs(off - o) < 1e-6, (axis, off)           # the same lattice
        i0, i1 = max(0, o), min(len(a), len(b) + o)
        sa.append(slice(i0, i1))
        sb.append(slice(i0 - o, i1 - o))
    return tuple(sa), tuple(sb)


@pytest.fixture(scope="module")
def twins():
    with pytest.MonkeyPatch.context() as mp:
        out = {}
        for pos in ("neutral", "pa"):
            out[pos] = {f: _build(_recipe(pos), mp, f) for f in (None, 0.0, _ALL_MARROW)}
        yield out


def test_neutral_and_pa_twins_choose_bone_or_marrow_alike_where_both_paint_bone(twins):
    n, p = twins["neutral"], twins["pa"]
    sn, sp = _common(n[None].grid, p[None].grid)
    bone_n, marrow_n = n[0.0].labels[sn], n[_ALL_MARROW].labels[sn]
    bone_p, marrow_p = p[0.0].labels[sp], p[_ALL_MARROW].labels[sp]
    same = (bone_n != marrow_n) & (bone_n == bone_p) & (marrow_n == marrow_p)
    assert same.sum() > 10_000, same.sum()              # the ribs, spine, sternum, clavicles
    real_n, real_p = n[None].labels[sn], p[None].labels[sp]
    differ = same & (real_n != real_p)
    assert differ.sum() == 0, (int(differ.sum()), int(same.sum()))


def test_a_twin_with_larger_margins_is_the_same_twin_where_both_grids_reach(twins, monkeypatch):
    base = load_chest_recipe(_recipe("neutral"))["margins"]
    padded = _build(_recipe("neutral", margins={"top_mm": base["top_mm"] + 2 * VOX,
                                                "bottom_mm": base["bottom_mm"] + 3 * VOX}),
                    monkeypatch)
    ref = twins["neutral"][None]
    assert padded.grid.shape != ref.grid.shape
    sa, sb = _common(ref.grid, padded.grid)
    assert np.array_equal(ref.labels, ref.labels[sa])   # the padded grid holds all of it
    assert np.array_equal(ref.labels[sa], padded.labels[sb])


def test_cancellous_bone_fraction_within_binomial_limits_of_bv_tv(twins, monkeypatch):
    below = _build(_recipe("neutral"), monkeypatch, np.nextafter(TRABECULAR_BV_TV, 0.0))
    at = _build(_recipe("neutral"), monkeypatch, TRABECULAR_BV_TV)
    interior = below.labels != at.labels               # drawn with probability BV/TV exactly
    n = int(interior.sum())
    assert n > 5_000, n
    k = int((twins["neutral"][None].labels[interior] == below.labels[interior]).sum())
    sd = np.sqrt(n * TRABECULAR_BV_TV * (1.0 - TRABECULAR_BV_TV))
    assert abs(k - n * TRABECULAR_BV_TV) < 4.0 * sd, (k, n * TRABECULAR_BV_TV, sd)
