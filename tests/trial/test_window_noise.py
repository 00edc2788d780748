"""Noisy lesion-local ROIs through fine windows against the same runs through the whole twin.

Issue 14's noise equivalence (equal mean and variance, CHO d' within the exact CI over >= 200
ROI pairs) is shown for regions of a whole phantom against the full field's crops
(tests/acquisition/test_region_noise.py). The runner's windowed path
(``trial/_local.py``) traces each region through a window of the fine twin at the region's
support and the coarse pass through the coarse twin. Here, with noise on, the same regions,
seed and noise stream are acquired through the windows and through the whole twins
(``case_sites``: the full mode's twins) and their ROIs / VOIs must be the same bytes: then
the region-level statistics carry over to the window path unchanged.

Setting: the tiny spec's case 0 (a real scattered breast, recipe from the cohort) at 0.5 mm
voxels -- the runner's coarse twin is then the whole twin, so only the windows differ -- with
VICTRE's systems (victre-dm, victre-dbt: focal-spot and motion sub-sources, the system's
sub-rays) at a 0.34 mm detector (binning 4), 1 mass, 1 calcification cluster and 1
lesion-absent site.
"""

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from victwin.trial import load_spec, sample_cohort
from victwin.trial._local import case_twins, window_box
from victwin.trial._runner import acquire_version
from victwin.trial._sites import case_sites, cut_roi, plan_rois
from victwin.trial._spec import ModalitySpec
from victwin.trial._twins import _Clock

TINY = Path(__file__).resolve().parent / "tiny.toml"

pytestmark = pytest.mark.slow   # two noisy lesion-local runs of one case, DM and 25-view DBT


@pytest.fixture(scope="module")
def spec():
    s = load_spec(TINY)
    return dataclasses.replace(
        s, preset="victre",
        cohort=dataclasses.replace(s.cohort, sites={"mass": 1, "calcification": 1,
                                                    "absent": 1}),
        resolution=dataclasses.replace(s.resolution, voxel_mm=0.5, detector_binning=4),
        modalities=(ModalitySpec(name="DM", system="victre-dm"),
                    ModalitySpec(name="DBT", system="victre-dbt",
                                 reconstruction={"method": "fbp", "slice_mm": 1.0})))


def test_window_path_gives_the_whole_twins_noisy_rois(spec):
    (cid, attrs), = sample_cohort(spec, [0])
    absent, present, sites, names, _ = case_sites(spec, cid, attrs)
    lt = case_twins(spec, cid, attrs, _Clock())
    assert lt.sites == sites
    assert lt.coarse["absent"].labels.shape == absent.labels.shape   # 0.5 mm: coarse = whole
    whole = {"absent": absent, "present": present}
    thickness = absent.meta["thickness_mm"]
    n_rois = 0
    for modality in spec.modalities:
        plans = plan_rois(spec, modality, absent, sites, names)
        for version in ("present", "absent"):
            mine = [p for p in plans if (p.site.truth == 1) == (version == "present")]
            regions = [p.region for p in mine]
            wins = lt.windows(version, [window_box(spec, modality, r, thickness)
                                        for r in regions])
            assert all(w.labels.size < 0.5 * absent.labels.size for w in wins)
            kw = dict(present=version == "present", backend="cpu", regions=regions,
                      presentation=not modality.reconstruction)
            ref = acquire_version(spec, modality, whole[version], cid, attrs, **kw)
            got = acquire_version(spec, modality, wins[0], cid, attrs, windows=wins,
                                  coarse_phantom=lt.coarse[version], **kw)
            for p, a, b in zip(mine, got, ref):
                # the beam reads the thickness (victre AEC); the dose reads the glandular
                # fraction, which a window reports for the whole breast at 1 mm, the whole
                # twin at its own 0.5 mm (NOTES.md, windowed breast phantoms): MGD differs
                # by that voxelisation only
                assert a.technique == b.technique
                assert a.dose.mgd_mgy == pytest.approx(b.dose.mgd_mgy, rel=1e-3)
                assert a.raw.tobytes() == b.raw.tobytes(), (modality.name, p.name)
                ra, _ = cut_roi(a, p, modality, backend="cpu")
                rb, _ = cut_roi(b, p, modality, backend="cpu")
                assert ra.tobytes() == rb.tobytes(), (modality.name, p.name)
                assert ra.std() > 0
                n_rois += 1
    assert n_rois == 2 * len(sites)
