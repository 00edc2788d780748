"""A lesion-local trial with ``resolution.lesion_voxel_mm``: lesions in finer tiles.

Reference (independent of the tiles): the site's lesion-free window split into
``lesion_voxel_mm`` voxels *everywhere*, the same lesion model inserted there with plain
:func:`insert_lesion` at the fine voxel nearest the site (ties rounded up, computed here),
acquired with plain ray tracing. The trial's lesion-present ROI/VOI (window at ``voxel_mm``,
the lesion in a tile, ``iter_project_labels_tiled``) must equal it: per-label path lengths
agree to float32 rounding (``tests/raytrace/test_tiles.py``: within 2e-6 of the longest ray),
so with the same noise streams the ROIs agree to that rounding. The same trial without the key
(the lesion nearest-neighbour on ``voxel_mm``) must differ from the reference by far more (the
test can fail).

Setting: the tiny spec's case 0 (tiny systems binned to 0.34 mm pixels, one ray each: at
1.36 mm a ray through the pixel centre can miss the cluster; 5-view DBT), 0.2 mm windows,
one calcification cluster (victwin's model, 50 um) and one lesion-absent site; tiles of
0.05 mm (4x4x4 per window voxel).
"""

import dataclasses
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from victwin.geometry import Grid
from victwin.phantom import insert_lesion
from victwin.trial import load_spec, sample_cohort
from victwin.trial._local import case_twins, window_box
from victwin.trial._runner import acquire_version, run_case
from victwin.trial._sites import cut_roi, plan_rois
from victwin.trial._twins import _Clock

TINY = Path(__file__).resolve().parent / "tiny.toml"
VOXEL_MM, FINE_MM = 0.2, 0.05

pytestmark = pytest.mark.slow   # three runs of one case (tiles, none, reference), DM + DBT


def _spec(fine):
    s = load_spec(TINY)
    return dataclasses.replace(
        s, cohort=dataclasses.replace(s.cohort, sites={"calcification": 1, "absent": 1}),
        resolution=dataclasses.replace(s.resolution, voxel_mm=VOXEL_MM, detector_binning=4,
                                       lesion_voxel_mm=fine))


def _fine_window(window, r, materials):
    """``window`` split ``r`` times along every axis (same box, same whole-grid place)."""
    labels = window.labels
    for axis in range(3):
        labels = labels.repeat(r, axis)
    d = np.asarray(window.grid.spacing) / r
    grid = Grid(shape=labels.shape, spacing=tuple(d),
                origin=tuple(window.grid.lower_mm + d[::-1] / 2))
    info = window.meta["window"]
    meta = dict(window.meta, window=dict(info, index=[r * v for v in info["index"]],
                                         full_shape=[r * v for v in info["full_shape"]]))
    return window.replace(labels=np.ascontiguousarray(labels), grid=grid, meta=meta,
                          materials=materials)


def _nearest_fine_voxel(grid, center_mm):
    """Centre of ``grid``'s voxel nearest ``center_mm``, a tie (half a voxel) rounded up."""
    at = (np.asarray(center_mm, float) - grid.lower_mm) / grid.spacing_xyz   # x y z, voxels
    return tuple(grid.lower_mm + (np.floor(at + 1e-6) + 0.5) * grid.spacing_xyz)


@pytest.fixture(scope="module")
def runs():
    out = {}
    for fine in (FINE_MM, None):
        spec = _spec(fine)
        (cid, attrs), = sample_cohort(spec, [0])
        out[fine] = run_case(spec, cid, attrs, backend="cpu")
    return spec, cid, attrs, out


def test_tiled_rois_equal_the_fine_window_and_differ_without_tiles(runs):
    spec, cid, attrs, out = runs
    spec = _spec(FINE_MM)
    lt = case_twins(spec, cid, attrs, _Clock())
    (model, center), = lt.lesion_models
    r = round(VOXEL_MM / FINE_MM)
    thickness = lt.meta["thickness_mm"]
    assert out[FINE_MM].result.lesion_tiles["voxel_mm"] == FINE_MM
    assert out[FINE_MM].result.lesion_tiles["tiles"] == len(spec.modalities)
    assert out[None].result.lesion_tiles is None
    for modality in spec.modalities:
        plan, = [p for p in plan_rois(spec, modality, SimpleNamespace(meta=lt.meta), lt.sites,
                                      lt.names) if p.site.truth == 1]
        window, = lt.windows("absent", [window_box(spec, modality, plan.region, thickness)])
        ref_w = _fine_window(window, r, dict(lt.prepared.materials))
        ref_w, _ = insert_lesion(ref_w, model,
                                 center_mm=_nearest_fine_voxel(ref_w.grid, center))
        acq, = acquire_version(spec, modality, ref_w, cid, attrs, present=True,
                               backend="cpu", regions=[plan.region], windows=[ref_w],
                               coarse_phantom=lt.coarse["present"],
                               presentation=not modality.reconstruction)
        ref = cut_roi(acq, plan, modality, backend="cpu")[0].astype(np.float64)
        key = f"{modality.name}/{plan.name}"
        tiled = out[FINE_MM].arrays[key].astype(np.float64)
        nearest = out[None].arrays[key].astype(np.float64)
        absent = out[FINE_MM].arrays[key.replace(plan.name, "s1")].astype(np.float64)
        scale = np.abs(ref).max()
        d_tile = np.abs(tiled - ref).max() / scale
        d_nearest = np.abs(nearest - ref).max() / scale
        print(modality.name, d_tile, d_nearest)
        assert d_tile <= 1e-5, (modality.name, d_tile)
        assert d_nearest > 100 * max(d_tile, 1e-6), (modality.name, d_nearest, d_tile)
        # the lesion-absent ROI is not touched by the key
        assert absent.tobytes() == out[None].arrays[
            key.replace(plan.name, "s1")].astype(np.float64).tobytes()
