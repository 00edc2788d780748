"""The case runner: one patient twin from phantom to ROIs, as a pure function.

``run_case(spec, case_id, attributes)`` builds the case's phantom, a lesion-present and a
lesion-absent version of it, images both with every modality (reconstructing DBT), and cuts
the lesion-present ROI at the lesion and the lesion-absent ROI at the same place in the
lesion-free version (same anatomy, independent noise). It returns arrays and JSON-ready
records and never aggregates across cases (that is the analysis stage's job).
"""

from __future__ import annotations

import os
import platform
import time
from dataclasses import dataclass

import numpy as np

from ._cohort import case_rng
from ._spec import TrialSpec

__all__ = ["run_case", "CaseOutput", "PREVIEW_PX", "case_phantoms", "acquire_version",
           "reconstruct_scan"]

#: Longest side of the preview images kept per case (pixels).
PREVIEW_PX = 160


@dataclass
class CaseOutput:
    """What one case returns to the driver."""

    case_id: int
    arrays: dict          # name -> ndarray (ROIs "<modality>/present|absent", previews, images)
    result: dict          # JSON-ready: lesion, dose, exposure, geometry of the ROIs
    timings: dict         # seconds per stage
    worker: str
    backend: str


class _Clock:
    def __init__(self):
        self.t = {}

    def add(self, key, seconds):
        self.t[key] = self.t.get(key, 0.0) + seconds


def _lesion_model(kind: str, rng, voxel_mm: float, preset: str = "victwin"):
    from victwin.phantom import (calcification_cluster, spiculated_mass, victre_cluster,
                                 victre_mass)
    from victwin.phantom.chest.nodules import lung_nodule
    from victwin.systems import get_preset

    p = get_preset(preset)
    if kind == "mass" and p.mass == "victre":
        # breastMass's voxel size (VICTREMass.cfg imgRes 0.05 mm) or the phantom's if finer
        return victre_mass(rng, voxel_mm=min(voxel_mm, 0.05))
    if kind == "calcification" and p.calcification == "victre":
        return victre_cluster(rng, voxel_mm=min(voxel_mm, 0.05))
    if kind == "mass":
        # VICTRE's masses are 5-10 mm across; at coarse voxels keep them resolvable.
        return spiculated_mass(rng, voxel_mm=min(voxel_mm, 0.2))
    if kind == "calcification":
        return calcification_cluster(rng, voxel_mm=min(voxel_mm, 0.05))
    if kind == "nodule":
        return lung_nodule(rng, voxel_mm=min(voxel_mm, 0.5))
    raise ValueError(f"unknown lesion kind {kind!r}")


def _roi_size_px(kind: str, pixel_mm: float, spec: TrialSpec, *, modality: str):
    from victwin.readers import roi_shape

    size_mm = spec.readers.roi_mm
    shape = roi_shape("calcification" if kind == "calcification" else "mass",
                      modality=modality, pixel_mm=pixel_mm, size_mm=size_mm)
    return tuple(int(s) for s in shape)


def _fit_center(center, size, shape) -> tuple:
    """Shift an ROI centre the least so that the whole ROI lies inside the image.

    Lesions near the chest wall or the field edge would otherwise fail their case on every
    attempt and be left out of the trial; the shift is recorded with the ROI.
    """
    out = []
    for c, s, n in zip(center, size, shape):
        if s > n:
            raise ValueError(f"ROI of {s} pixels does not fit an image axis of {n} pixels")
        out.append(int(np.clip(c, s // 2, n - 1 - (s - 1) // 2)))
    return tuple(out)


def _preview(image: np.ndarray) -> np.ndarray:
    """Downsample a 2-D image to at most PREVIEW_PX on its longest side (block mean), float32."""
    step = max(1, int(np.ceil(max(image.shape) / PREVIEW_PX)))
    h, w = (image.shape[0] // step) * step, (image.shape[1] // step) * step
    img = image[:h, :w].astype(np.float32)
    return img.reshape(h // step, step, w // step, step).mean(axis=(1, 3))


def _image_rois(acq, center_mm, kind, spec, arrays, name, version, result):
    """DM / chest: ROI around the lesion's projection in the single view's image."""
    view = acq.views[0]
    image = acq.line_integrals()[0]
    j, i = view.project(center_mm)
    size = _roi_size_px(kind, view.panel.pitch[0], spec, modality="dm")
    lesion_at = (int(round(j)), int(round(i)))
    center = _fit_center(lesion_at, size, image.shape)
    from victwin.readers import extract_rois

    arrays[f"{name}/{version}"] = extract_rois(image, [center], size_px=size)[0]
    if version == "present":
        result["roi"] = {"center_index": list(center), "size_px": list(size),
                         "pixel_mm": view.panel.pitch[0],
                         "shift_px": [a - b for a, b in zip(center, lesion_at)]}
    return image


def reconstruct_scan(acq, modality, *, backend="auto"):
    """Reconstruct a DBT acquisition as the modality's spec asks: ``(volume, grid)``."""
    from victwin.recon import dbt_grid, reconstruct

    recon = modality.reconstruction
    tech = acq.technique
    thickness = float(tech.compressed_thickness_mm)
    support = float(tech.sid_mm - tech.source_to_breast_mm)
    grid = dbt_grid(acq.views, thickness, support_mm=support, slice_mm=recon.get("slice_mm", 1.0))
    options = {"iterations": recon["iterations"]} if recon["method"] in ("sart", "sirt") else {}
    volume = reconstruct(acq.line_integrals(), acq.views, grid, method=recon["method"],
                         input="line_integrals", thickness_mm=thickness, support_mm=support,
                         backend=backend, progress=False, **options)
    return volume, grid


def _volume_rois(volume, grid, center_mm, kind, spec, name, arrays, version, result):
    from victwin.readers import extract_rois

    idx = np.rint(grid.world_to_index(center_mm)).astype(int)
    pixel_mm = grid.spacing[2]
    size_xy = _roi_size_px(kind, pixel_mm, spec, modality="dm")
    n_slices = 9 if kind != "calcification" else 5  # VICTRE's DBT VOIs: 109x109x9, 65x65x5
    size = (min(n_slices, grid.shape[0]),) + size_xy
    center = _fit_center(idx, size, grid.shape)
    arrays[f"{name}/{version}"] = extract_rois(volume, [center], size_px=size)[0]
    if version == "present":
        result["roi"] = {"center_index": list(center), "size_px": list(size),
                         "voxel_mm": list(grid.spacing),
                         "shift_px": [int(a - b) for a, b in zip(center, idx)]}


def case_phantoms(spec: TrialSpec, case_id: int, attributes: dict, clock=None):
    """The case's lesion-free phantom, its lesion-present version, and the lesion record."""
    from victwin.phantom import insert_lesion, make

    clock = clock or _Clock()
    t0 = time.perf_counter()
    recipe = attributes["recipe"]
    if "bmi" in attributes:       # a chest twin whose body the cohort drew
        from victwin.phantom.chest import load_chest_recipe

        recipe = load_chest_recipe(recipe)
        recipe["body"].update({k: attributes[k] for k in ("sex", "age_years", "height_cm",
                                                          "bmi")})
    phantom = make(recipe, seed=attributes["phantom_seed"],
                   voxel_mm=spec.resolution.voxel_mm, progress=False)
    clock.add("phantom", time.perf_counter() - t0)
    t0 = time.perf_counter()
    model = _lesion_model(attributes["lesion"], case_rng(spec.seed, case_id, "lesion"),
                          spec.resolution.voxel_mm, spec.preset)
    if attributes["lesion"] == "nodule":      # in lung, away from the pleura
        from victwin.phantom.chest.nodules import place_nodule

        present, lesion = place_nodule(phantom, model, case_rng(spec.seed, case_id, "placement"))
    else:
        present, lesion = insert_lesion(phantom, model,
                                        rng=case_rng(spec.seed, case_id, "placement"))
    from victwin.systems import get_preset

    preset = get_preset(spec.preset)          # the preset's materials (none for "victwin")
    phantom, present = preset.apply(phantom), preset.apply(present)
    clock.add("lesion", time.perf_counter() - t0)
    return phantom, present, lesion


def acquire_version(spec: TrialSpec, modality, phantom, case_id: int, attributes: dict, *,
                    present: bool, backend: str = "auto"):
    """One acquisition of one version (lesion present or absent) of a case's phantom.

    Its noise streams derive from (case, version, arm, view) -- the arm's index in the spec,
    so two arms on the same system get independent noise -- and it can be re-run alone.
    """
    from victwin import acquire

    arm = spec.modalities.index(modality)
    stream = (2 * case_id + bool(present)) * len(spec.modalities) + arm
    return acquire(phantom, modality.system, seed=attributes["noise_seed"],
                   case=stream, backend=backend,
                   binning=spec.resolution.detector_binning,
                   rays_per_pixel=spec.resolution.rays_per_pixel, progress=False,
                   dose_scale=modality.dose_scale)


def run_case(spec: TrialSpec, case_id: int, attributes: dict, *, backend: str = "auto",
             keep_images: bool | None = None) -> CaseOutput:
    """Run one case end to end (phantom, lesion, acquisitions, reconstruction, ROIs).

    Parameters
    ----------
    spec : TrialSpec
    case_id : int
    attributes : dict
        The case's row from :func:`victwin.trial.sample_cohort`.
    backend : {"auto", "cpu", "cuda"}
        Resolved on the worker that runs the case.
    keep_images : bool, optional
        Keep full images and volumes (default: the spec's ``storage.keep_images``).
    """
    from victwin._backend import resolve_backend

    keep = spec.storage.keep_images if keep_images is None else keep_images
    target = resolve_backend(backend)
    clock = _Clock()
    arrays: dict[str, np.ndarray] = {}
    result: dict = {"modalities": {}}

    phantom, present, lesion = case_phantoms(spec, case_id, attributes, clock)
    kind = attributes["lesion"]
    center_mm = np.asarray(lesion.center_mm, dtype=float)
    meta = phantom.meta
    result["phantom"] = {k: meta[k] for k in ("thickness_mm", "glandular_fraction_volume",
                                              "glandular_fraction_mass") if k in meta}
    result["phantom"]["voxels"] = list(phantom.labels.shape)
    result["lesion"] = {"kind": kind, "center_mm": center_mm.tolist(),
                        "size_mm": float(np.max(np.atleast_1d(lesion.size_mm)))}

    for m_index, modality in enumerate(spec.modalities):
        mres: dict = {}
        for version, ph in (("present", present), ("absent", phantom)):
            t0 = time.perf_counter()
            acq = acquire_version(spec, modality, ph, case_id, attributes,
                                  present=version == "present", backend=target)
            clock.add("acquisition", time.perf_counter() - t0)
            for stage, seconds in acq.timings_s.items():
                clock.add(f"acquisition.{stage}", seconds)
            if version == "present":
                mres["dose"] = {"mgd_mgy": acq.dose.mgd_mgy,
                                "entrance_air_kerma_mgy": acq.dose.entrance_air_kerma_mgy}
                tech = acq.technique
                mres["exposure"] = {"kvp": tech.kvp, "anode": tech.anode,
                                    "mas_total": tech.mas_total, "hvl_mm_al": tech.hvl_mm_al,
                                    "n_views": len(acq.views)}
            t0 = time.perf_counter()
            if modality.reconstruction:
                volume, grid = reconstruct_scan(acq, modality, backend=target)
                _volume_rois(volume, grid, center_mm, kind, spec, modality.name, arrays,
                             version, mres)
                shown = volume[int(np.clip(np.rint(grid.world_to_index(center_mm))[0], 0,
                                           grid.shape[0] - 1))]
                if keep:
                    arrays[f"images/{modality.name}/{version}"] = volume
                clock.add("reconstruction+roi", time.perf_counter() - t0)
            else:
                shown = _image_rois(acq, center_mm, kind, spec, arrays, modality.name, version,
                                    mres)
                if keep:
                    arrays[f"images/{modality.name}/{version}"] = acq.raw
                clock.add("roi", time.perf_counter() - t0)
            if version == "present":
                mres["roi"]["image_shape"] = list(shown.shape)  # previews are downsampled
                if spec.storage.previews:
                    arrays[f"previews/{modality.name}"] = _preview(shown)
        mres["order"] = m_index
        result["modalities"][modality.name] = mres
    return CaseOutput(case_id=case_id, arrays=arrays, result=result, timings=clock.t,
                      worker=f"{platform.node()}:{os.getpid()}", backend=target)
