"""The lesion-local twins of a case against the whole twins the full mode builds.

Reference: ``case_sites`` (the whole lesion-free twin, every lesion inserted in it). Each
window ``case_twins`` gives -- of the lesion-free twin, and of the lesion-present twin with
lesions pasted from their tiles -- must equal the crop of the whole twin byte for byte, with
the same materials (preset applied), at each site's DM and DBT supports.
"""

import dataclasses
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from victwin.trial import load_spec, sample_cohort
from victwin.trial._local import case_twins, window_box
from victwin.trial._sites import case_sites, plan_rois
from victwin.trial._twins import _Clock

TINY = Path(__file__).resolve().parent / "tiny.toml"


def test_windows_are_crops_of_the_whole_twins():
    spec = load_spec(TINY)
    spec = dataclasses.replace(spec, cohort=dataclasses.replace(
        spec.cohort, sites={"mass": 2, "calcification": 2, "absent": 2}))
    (cid, attrs), = sample_cohort(spec, [0])
    absent, present, sites, names, lesions = case_sites(spec, cid, attrs)
    lt = case_twins(spec, cid, attrs, _Clock())
    assert lt.sites == sites and lt.names == names
    assert [les.center_mm for les in lt.lesions] == [les.center_mm for les in lesions]
    assert lt.shape == absent.labels.shape
    whole = {"absent": absent, "present": present}
    n_lesion_voxels = 0
    for modality in spec.modalities:
        plans = plan_rois(spec, modality, absent, sites, names)
        boxes = [window_box(spec, modality, p.region, absent.meta["thickness_mm"])
                 for p in plans]
        for version in ("absent", "present"):
            for w in lt.windows(version, boxes):
                z, y, x = w.meta["window"]["index"]
                nz, ny, nx = w.labels.shape
                crop = whole[version].labels[z:z + nz, y:y + ny, x:x + nx]
                assert w.labels.tobytes() == crop.tobytes()
                assert w.materials == whole[version].materials
                if version == "present":
                    n_lesion_voxels += int(np.sum(w.labels != absent.labels[
                        z:z + nz, y:y + ny, x:x + nx]))
    assert n_lesion_voxels > 0          # the lesions are in the present windows


def test_the_whole_twin_on_demand_equals_the_full_modes():
    spec = load_spec(TINY)
    spec = dataclasses.replace(spec, cohort=dataclasses.replace(
        spec.cohort, sites={"mass": 1, "calcification": 1, "absent": 1}))
    (cid, attrs), = sample_cohort(spec, [0])
    absent, present, *_ = case_sites(spec, cid, attrs)
    lt = case_twins(spec, cid, attrs, _Clock())
    for version, ref in (("absent", absent), ("present", present)):
        whole = lt.full(version)
        assert whole.labels.tobytes() == ref.labels.tobytes()
        assert whole.materials == ref.materials
        assert lt.full(version) is whole          # made once


def test_announced_windows_are_crops_hold_their_support_and_label_the_union_once():
    """The runner announces every box first (``plan_windows``): each window is still the crop
    of the whole twin, holds its region's support, and the fine voxels labelled are those of
    the union of the windows (counted here on a mask), fewer than their sum."""
    from victwin.acquisition import region_support
    from victwin.systems import load

    spec = load_spec(TINY)
    spec = dataclasses.replace(spec, cohort=dataclasses.replace(
        spec.cohort, sites={"mass": 2, "calcification": 2, "absent": 2}))
    (cid, attrs), = sample_cohort(spec, [0])
    absent, present, sites, names, _ = case_sites(spec, cid, attrs)
    lt = case_twins(spec, cid, attrs, _Clock())
    whole = {"absent": absent, "present": present}
    thickness = absent.meta["thickness_mm"]
    plans = {m.name: plan_rois(spec, m, absent, sites, names) for m in spec.modalities}
    lt.plan_windows([window_box(spec, m, p.region, thickness)
                     for m in spec.modalities for p in plans[m.name]])
    union = np.zeros(absent.labels.shape, bool)
    handed = 0
    for modality in spec.modalities:
        system = load(modality.system)
        for version in ("present", "absent"):
            mine = [p for p in plans[modality.name]
                    if (p.site.truth == 1) == (version == "present")]
            wins = lt.windows(version, [window_box(spec, modality, p.region, thickness)
                                        for p in mine])
            for p, w in zip(mine, wins):
                z, y, x = w.meta["window"]["index"]
                nz, ny, nx = w.labels.shape
                crop = whole[version].labels[z:z + nz, y:y + ny, x:x + nx]
                assert w.labels.tobytes() == crop.tobytes()
                assert w.materials == whole[version].materials
                sup = region_support(p.region, system, thickness_mm=thickness, grid=absent.grid,
                                     binning=spec.resolution.detector_binning)
                assert np.all(np.asarray(sup.index_lower) >= (z, y, x))
                assert np.all(np.asarray(sup.index_upper) <= (z + nz, y + ny, x + nx))
                union[z:z + nz, y:y + ny, x:x + nx] = True
                handed += w.labels.size
    assert lt.labelled_voxels == int(union.sum())
    assert lt.labelled_voxels < handed


def _two_twins_and_boxes():
    """Case 0 of the tiny spec with a mass, a cluster and an absent site: two independent
    ``case_twins`` of it (``whole`` and ``part``), its thickness (mm), every (modality,
    region) the runner announces and their window boxes (mm)."""
    spec = load_spec(TINY)
    spec = dataclasses.replace(spec, cohort=dataclasses.replace(
        spec.cohort, sites={"mass": 1, "calcification": 1, "absent": 1}))
    (cid, attrs), = sample_cohort(spec, [0])
    whole, part = (case_twins(spec, cid, attrs, _Clock()) for _ in range(2))
    thickness = whole.meta["thickness_mm"]
    wanted = [(m, p.region) for m in spec.modalities
              for p in plan_rois(spec, m, SimpleNamespace(meta=whole.meta), whole.sites,
                                 whole.names)]
    boxes = [window_box(spec, m, r, thickness) for m, r in wanted]
    return spec, cid, attrs, whole, part, thickness, wanted, boxes


def test_windows_labelled_only_where_the_rays_reach_give_the_same_bytes():
    """``plan_windows(reach=)`` labels only each window's per-slab supports
    (``window_reach``); the voxels left out hold air. Reference: the same case's windows
    labelled whole. Inside the reach the labels are the whole window's, and every region's
    acquisition (noise included) through the partly labelled windows gives the same bytes,
    so the tracer never reads a voxel outside the reach and the label count is unchanged."""
    from victwin.trial._local import window_reach
    from victwin.trial._runner import acquire_version

    spec, cid, attrs, whole, part, thickness, wanted, boxes = _two_twins_and_boxes()
    whole.plan_windows(boxes)
    part.plan_windows(boxes, reach=[window_reach(spec, m, r, thickness, part.grid)
                                    for m, r in wanted])
    assert part.labelled_voxels is not None
    for modality in spec.modalities:
        plans = plan_rois(spec, modality, SimpleNamespace(meta=whole.meta), whole.sites,
                          whole.names)
        for version in ("present", "absent"):
            mine = [p for p in plans if (p.site.truth == 1) == (version == "present")]
            if not mine:
                continue
            mb = [window_box(spec, modality, p.region, thickness) for p in mine]
            out = []
            for lt in (whole, part):
                wins = lt.windows(version, mb)
                out.append((wins, acquire_version(
                    spec, modality, wins[0], cid, attrs, present=version == "present",
                    backend="cpu", regions=[p.region for p in mine], windows=wins,
                    coarse_phantom=lt.coarse[version], presentation=False)))
            (w_full, a_full), (w_part, a_part) = out
            for wf, wp in zip(w_full, w_part):
                kept = wp.labels != 0
                assert np.array_equal(wp.labels[kept], wf.labels[kept])
                assert wp.materials == wf.materials and wp.meta == wf.meta
            for af, ap in zip(a_full, a_part):
                assert af.raw.tobytes() == ap.raw.tobytes()
    assert part.labelled_voxels < whole.labelled_voxels


def test_tissue_under_every_lesion_is_labelled_in_reach_windows():
    """With ``resolution.lesion_voxel_mm`` a tile splits the window's labels under a lesion
    and inserts it with insert_lesion's forbidden-overlap check, so those voxels must hold the
    twin's tissue even where no ray of the window's region reaches (the runner adds
    ``lesion_boxes_mm`` to every window's reach). Checked against the windows labelled whole:
    (1) every voxel insert_lesion paints lies inside the lesion's box; (2) windows whose reach
    is only the lesion boxes hold the whole window's labels, tissue, there (with an empty
    reach they would hold air: the check can fail)."""
    from victwin.phantom import insert_lesion
    from victwin.trial._lesion_tiles import lesion_boxes_mm

    spec, cid, attrs, whole, part, thickness, wanted, boxes = _two_twins_and_boxes()
    under = lesion_boxes_mm(part.lesion_models, spec.resolution.voxel_mm)
    assert len(under) == 2
    whole.plan_windows(boxes)
    part.plan_windows(boxes, reach=[list(under) for _ in wanted])

    def index_box(grid, box):
        lo, hi = (np.asarray(v, float) for v in box)
        sp, n = grid.spacing_xyz, grid.shape_xyz
        i0 = np.clip(np.floor((lo - grid.lower_mm) / sp).astype(int), 0, n)
        i1 = np.clip(np.ceil((hi - grid.lower_mm) / sp).astype(int), 0, n)
        return tuple(slice(a, b) for a, b in zip(i0[::-1], i1[::-1]))

    checked = 0
    for wf, wp in zip(whole.windows("absent", boxes), part.windows("absent", boxes)):
        for (model, centre), box in zip(part.lesion_models, under):
            sl = index_box(wf.grid, box)
            if any(s.stop <= s.start for s in sl):
                continue
            assert np.array_equal(wp.labels[sl], wf.labels[sl])
            assert np.all(wf.labels[sl] != 0)      # tissue, not air, under the lesion
            try:
                with_lesion, _ = insert_lesion(wf, model, center_mm=centre)
            except ValueError:                     # cut by the window's edge: not this check
                continue
            painted = np.zeros(wf.labels.shape, bool)
            painted[sl] = True
            assert not np.any((with_lesion.labels != wf.labels) & ~painted)
            checked += 1
    assert checked >= 2
