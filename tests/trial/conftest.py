"""Fixtures: a synthetic, analysed run directory built without the imaging pipeline.

Each case's ROIs are white Gaussian noise; the lesion-present ROI adds a Gaussian blob of
known amplitude, weaker in the first modality (DM) than in the second (DBT), so the answer is
known in direction: DBT ahead of DM. Previews carry the blob at the recorded ROI centre.
"""

from __future__ import annotations

import numpy as np
import pytest

#: Blob amplitudes (noise sigma = 1) per modality; the second is the stronger.
AMPLITUDE = {"DM": 0.2, "DBT": 0.85}
ROI = 16            # ROI side, px
PIXEL_MM = 0.5
IMAGE_SHAPE = (160, 192)   # the "full" image the preview is cut down from
PREVIEW_STEP = 4
N_CASES = 34
N_FAILED = 2
DENSITIES = ("fatty", "scattered", "heterogeneous", "dense")

SPEC = {
    "trial": {"name": "synthetic-report", "seed": 4242,
              "description": "Synthetic ROIs: noise plus a known blob (report test)"},
    "cohort": {"size": N_CASES, "density_mix": "victre", "lesions": {"mass": 1.0}},
    "modality": [{"name": "DM", "system": "mammomat-dm"},
                 {"name": "DBT", "system": "mammomat-dbt",
                  "reconstruction": {"method": "fbp"}}],
    "readers": {"observer": "cho", "n_readers": 3, "training_fraction": 0.5,
                "channels": {"kind": "laguerre-gauss", "count": 4, "width_mm": 2.0}},
    "analysis": {"covariance": "jackknife", "subgroups": ["density", "lesion"]},
    "storage": {"max_attempts": 1},
}


def _blob(shape, centre, sigma_px):
    yy, xx = np.mgrid[:shape[0], :shape[1]]
    return np.exp(-((yy - centre[0]) ** 2 + (xx - centre[1]) ** 2) / (2 * sigma_px ** 2))


def build_run(run_dir, *, with_image_shape=True, n_cases=N_CASES, readers=None,
              analyse=True, rois="full"):
    """Create, fill and analyse a synthetic run; returns (store, spec, results).

    ``n_cases`` (the last ``N_FAILED`` fail), ``readers`` (entries replacing the spec's
    ``readers``) and ``rois`` (``storage.rois``: ``"channels"`` keeps the channel outputs
    of the same ROIs) vary the run; the defaults build the run the report tests read. With
    ``analyse=False`` the run is left unanalysed (``results`` is ``None``)."""
    from victwin.trial import TrialStore, analyse_run, provenance_record, spec_from_dict

    raw = {**SPEC, "cohort": {**SPEC["cohort"], "size": n_cases},
           "readers": {**SPEC["readers"], **(readers or {})},
           "storage": {**SPEC["storage"], "rois": rois}}
    spec = spec_from_dict(raw)
    store = TrialStore(run_dir, create=True)
    store.set_provenance(provenance_record(spec, backend="cpu", executor="local x1"))
    rng = np.random.default_rng(20240607)
    cases = []
    for cid in range(n_cases):
        cases.append((cid, {"density": DENSITIES[cid % 4], "lesion": "mass",
                            "age_years": float(40 + (7 * cid) % 35),
                            "recipe": f"breast/{DENSITIES[cid % 4]}",
                            "phantom_seed": 1000 + cid, "noise_seed": 5000 + cid}))
    store.add_cases(cases)
    blob = _blob((ROI, ROI), (ROI / 2, ROI / 2), 2.0)
    for cid, attrs in cases[:n_cases - N_FAILED]:
        arrays, modalities = {}, {}
        centre = [int(rng.integers(40, 120)), int(rng.integers(40, 150))]
        for order, (m, amp) in enumerate(AMPLITUDE.items()):
            arrays[f"{m}/present"] = (rng.standard_normal((ROI, ROI)) + amp * blob
                                      ).astype(np.float32)
            arrays[f"{m}/absent"] = rng.standard_normal((ROI, ROI)).astype(np.float32)
            full = 0.3 * rng.standard_normal(IMAGE_SHAPE) + 3.0 * _blob(IMAGE_SHAPE, centre, 6)
            h, w = IMAGE_SHAPE[0] // PREVIEW_STEP, IMAGE_SHAPE[1] // PREVIEW_STEP
            arrays[f"previews/{m}"] = full.reshape(h, PREVIEW_STEP, w, PREVIEW_STEP).mean(
                axis=(1, 3)).astype(np.float32)
            roi = ({"center_index": centre, "size_px": [ROI, ROI], "pixel_mm": PIXEL_MM}
                   if m == "DM" else
                   {"center_index": [4] + centre, "size_px": [9, ROI, ROI],
                    "voxel_mm": [1.0, PIXEL_MM, PIXEL_MM]})
            if with_image_shape:
                roi["image_shape"] = list(IMAGE_SHAPE)
            mgd = (1.2 if m == "DM" else 1.5) * (1 + 0.15 * rng.standard_normal())
            modalities[m] = {"dose": {"mgd_mgy": mgd, "entrance_air_kerma_mgy": 5 * mgd},
                             "exposure": {"kvp": 28 + cid % 3, "anode": "W",
                                          "mas_total": 80.0, "hvl_mm_al": 0.5,
                                          "n_views": 1 if m == "DM" else 25},
                             "roi": roi, "order": order}
        result = {"phantom": {"thickness_mm": 35.0 + cid, "glandular_fraction_volume": 0.2,
                              "glandular_fraction_mass": 0.22, "voxels": [50, 200, 120]},
                  "lesion": {"kind": "mass", "center_mm": [30.0, 1.0, 45.0], "size_mm": 7.0},
                  "modalities": modalities}
        timings = {"phantom": 2.0 + 0.1 * cid, "lesion": 0.3, "acquisition": 4.0,
                   "acquisition.raytrace": 3.1, "acquisition.detector": 0.6,
                   "roi": 0.05, "reconstruction+roi": 1.7}
        if rois == "channels":     # what the runner keeps then (trial/_features.py)
            from victwin.trial._features import channel_outputs
            arrays = {k: (v if k.startswith("previews/") else
                          channel_outputs(spec, v, PIXEL_MM)) for k, v in arrays.items()}
        store.commit_case(cid, arrays, result, timings, worker="host:1", backend="cpu")
    for cid, _ in cases[n_cases - N_FAILED:]:
        store.fail_case(cid, f"RuntimeError: synthetic failure of case {cid}", max_attempts=1)
    results = analyse_run(store, spec) if analyse else None
    return store, spec, results




@pytest.fixture(scope="session")
def synthetic_run(tmp_path_factory):
    """An analysed synthetic run directory: ``(store, spec, results)``."""
    store, spec, results = build_run(tmp_path_factory.mktemp("run") / "run")
    yield store, spec, results
    store.close()


@pytest.fixture(scope="session")
def tiny_reference(tmp_path_factory):
    """An undisturbed run of ``tiny.toml`` (1 worker, CPU), shared by the engine and fault
    tests: ``(run_dir, outcome)``. Tests that damage a run work on a copy of it."""
    from pathlib import Path

    from victwin.trial import run_trial

    out = tmp_path_factory.mktemp("tiny-ref") / "run"
    result = run_trial(Path(__file__).resolve().parent / "tiny.toml", out, workers=1,
                       backend="cpu", progress=False)
    return out, result
