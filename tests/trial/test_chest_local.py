"""A chest case end to end in lesion-local mode, against the same case in full mode.

``examples/chest-nodules.toml`` at coarse settings (4 mm voxels, 2.24 mm pixels, both arms:
AEC-free PA at 3.2 mAs and at half dose), case 0, every acquisition noise-free. The
lesion-local run simulates only each ROI's pixels (with a coarse full-field scatter pass);
the full run simulates the whole radiograph and crops it. Checks: the lesion-local ROIs equal
the full run's within issue 14's DM bound (relative RMS < 0.1 %), and the nodule's signal
(present - absent, same anatomy, noise-free) is positive -- a solid or part-solid nodule
replaces lung (the twins' parenchyma, 0.141 g/cm^3) with soft tissue, so it raises the line
integral -- and peaks at the ROI centre, where the lesion was put. That holds because a nodule
is centred on parenchyma and replaces only parenchyma (``nodules.NODULE_REPLACES``, since
2026-12-03): on stage12 case 0's 6.4 mm solid nodule, one 4 mm voxel, sat on a vessel and
replaced blood with "mass" of the same density but 1.2 % less attenuation (mean -8.9e-6).

Before this test a chest case could not be recorded at all (``Dose`` refused the ``None``
MGD a chest radiograph has); ``victwin/trial/_records.py`` now takes it as absent.
"""

import dataclasses
import functools
import tomllib
from pathlib import Path

import numpy as np
import pytest

import victwin.acquisition as acquisition
from victwin.trial import run_case, sample_cohort
from victwin.trial._spec import spec_from_dict

CHEST = Path(__file__).resolve().parents[2] / "examples" / "chest-nodules.toml"


@pytest.fixture(scope="module")
def runs():
    d = tomllib.loads(CHEST.read_text())
    d["cohort"]["size"] = 4
    # the one-nodule layout (the shipped spec's 4 nodule sites: tests/trial/test_chest_sites.py)
    d["cohort"].pop("sites")
    d["cohort"]["lesions"] = {"nodule": 1.0}
    d["resolution"] = {"voxel_mm": 4.0, "detector_binning": 16}
    spec = spec_from_dict(d)
    (cid, attrs), = sample_cohort(spec, [0])
    assert attrs["recipe"].startswith("chest/")
    mp = pytest.MonkeyPatch()
    mp.setattr(acquisition, "acquire", functools.partial(acquisition.acquire, noise=False))
    mp.setattr(acquisition, "acquire_regions",
               functools.partial(acquisition.acquire_regions, noise=False))
    out = {}
    try:
        for mode in ("lesion-local", "full"):
            s = dataclasses.replace(spec, resolution=dataclasses.replace(spec.resolution,
                                                                         mode=mode))
            out[mode] = run_case(s, cid, attrs, backend="cpu")
    finally:
        mp.undo()
    return spec, out


def test_chest_lesion_local_rois_equal_the_full_field_crops(runs):
    spec, out = runs
    local, full = out["lesion-local"], out["full"]
    assert local.result.mode == "lesion-local"
    assert "acquisition.coarse_scatter" in local.timings       # the region path ran
    assert "acquisition.coarse_scatter" not in full.timings
    for m in (mod.name for mod in spec.modalities):
        rec = local.result.modalities[m]
        assert rec.full_field is None or not rec.full_field      # no full-field fallback
        assert rec.rois == full.result.modalities[m].rois        # the same pixels
        assert rec.dose.mgd_mgy is None and rec.dose.entrance_air_kerma_mgy > 0
        for name in ("present", "absent"):
            a = local.arrays[f"{m}/{name}"].astype(float)
            b = full.arrays[f"{m}/{name}"].astype(float)
            assert a.shape == b.shape == (25, 25)                 # 56 mm at 2.24 mm
            err = np.sqrt(np.mean((a - b) ** 2) / np.mean(b ** 2))
            assert err < 1e-3, (m, name, err)


def test_chest_nodule_signal_is_positive_at_the_roi_centre(runs):
    _, out = runs
    local = out["lesion-local"]
    for m in local.result.modalities:
        s = (local.arrays[f"{m}/present"].astype(float)
             - local.arrays[f"{m}/absent"].astype(float))
        assert s.mean() > 0, (m, s.mean())
        peak = np.unravel_index(np.argmax(s), s.shape)
        assert max(abs(peak[0] - 12), abs(peak[1] - 12)) <= 1, (m, peak)
        # far from the nodule (ROI border) the two twins are the same anatomy
        assert np.abs(s[0]).max() < 0.2 * s.max()


def test_chest_case_records_the_nodules_rib_overlap(runs):
    """The case records the share of the nodule's projected disc over bone: the same as
    measured here on the case's lesion-free twin, rebuilt, in the first arm's view."""
    from victwin.phantom.chest.overlap import bone_overlap_fraction
    from victwin.systems import load
    from victwin.trial._runner import case_phantoms

    spec, out = runs
    lesion = out["lesion-local"].result.lesion
    assert lesion.kind == "nodule" and 0.0 <= lesion.rib_overlap_fraction <= 1.0
    assert out["full"].result.lesion.rib_overlap_fraction == lesion.rib_overlap_fraction
    (cid, attrs), = sample_cohort(spec, [0])
    phantom, _, rec = case_phantoms(spec, cid, attrs)
    view = load(spec.modalities[0].system).views(spec.resolution.detector_binning)[0]
    expect = bone_overlap_fraction(phantom, view, rec.center_mm, float(rec.size_mm))
    assert lesion.rib_overlap_fraction == pytest.approx(expect, abs=1e-6)
