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
from types import SimpleNamespace

import numpy as np

from ._features import channel_outputs
from ._records import CaseResult, RoiRecord
from ._lesion_tiles import lesion_boxes_mm, tiled_windows
from ._local import case_twins, window_box, window_reach
from ._nodule_classes import nodule_rib_overlap
from ._sites import case_sites, cut_roi, plan_rois
from ._spec import TrialSpec
from ._stages import stage as enter_stage
from ._twins import _Clock, one_lesion_phantoms

__all__ = ["run_case", "CaseOutput", "PREVIEW_PX", "case_phantoms", "acquire_version",
           "reconstruct_scan"]

#: Longest side of the preview images kept per case (pixels).
PREVIEW_PX = 160


@dataclass
class CaseOutput:
    """What one case returns to the driver."""

    case_id: int
    arrays: dict          # name -> ndarray (ROIs "<modality>/present|absent", previews, images)
    result: CaseResult    # lesion, sites, dose, exposure, geometry of the ROIs
    timings: dict         # seconds per stage
    worker: str
    backend: str


def _preview(image: np.ndarray) -> np.ndarray:
    """Downsample a 2-D image to at most PREVIEW_PX on its longest side (block mean), float32."""
    step = max(1, int(np.ceil(max(image.shape) / PREVIEW_PX)))
    h, w = (image.shape[0] // step) * step, (image.shape[1] // step) * step
    img = image[:h, :w].astype(np.float32)
    return img.reshape(h // step, step, w // step, step).mean(axis=(1, 3))


def _cut_name(modality, acqs) -> str:
    """The progress bar's name of the ROI stage: "ROIs", "VOIs" (cut from a reconstructed
    volume) or "VOIs (FBP)" (each VOI reconstructed from its region's acquisition)."""
    recon = modality.reconstruction
    if not recon:
        return "ROIs"
    regions = bool(acqs) and acqs[0].region is not None
    return f"VOIs ({recon['method'].upper()})" if regions else "VOIs"


def reconstruct_scan(acq, modality, *, backend="auto", on_device: bool = False):
    """Reconstruct a DBT acquisition as the modality's spec asks: ``(volume, grid)``.
    ``on_device`` (backend "cuda" with CuPy): the volume stays on the GPU (a CuPy array), so
    that only the VOIs cut from it come back; otherwise it is a NumPy array."""
    from victwin._backend import get_cupy, resolve_backend
    from victwin.recon import dbt_grid, reconstruct

    recon = modality.reconstruction
    enter_stage(f"{modality.name} {recon['method'].upper()}")
    tech = acq.technique
    thickness = float(tech.compressed_thickness_mm)
    support = float(tech.sid_mm - tech.source_to_breast_mm)
    grid = dbt_grid(acq.views, thickness, support_mm=support, slice_mm=recon.get("slice_mm", 1.0))
    options = {"iterations": recon["iterations"]} if recon["method"] in ("sart", "sirt") else {}
    p = acq.line_integrals()
    cp = get_cupy() if on_device and resolve_backend(backend) == "cuda" else None
    if cp is not None and recon["method"] in ("fbp", "sbp"):
        p = cp.asarray(p)   # CuPy in, CuPy out (victwin.recon.reconstruct)
    volume = reconstruct(p, acq.views, grid, method=recon["method"],
                         input="line_integrals", thickness_mm=thickness, support_mm=support,
                         backend=backend, progress=False, **options)
    if cp is not None:
        cp.cuda.runtime.deviceSynchronize()   # its time in this stage, not at the first .get()
    return volume, grid


def recon_device(target: str) -> str:
    """Where ``reconstruct(..., backend=target)`` runs FBP (see ``victwin.recon.reconstruct``)."""
    if target != "cuda":
        return "cpu"
    from victwin._backend import get_cupy

    return ("cuda (CuPy FFT filtering, CUDA backprojection)" if get_cupy() is not None
            else "cuda (NumPy stand-in: SciPy FFT filtering, simulated CUDA backprojection)")


def case_phantoms(spec: TrialSpec, case_id: int, attributes: dict, clock=None):
    """The case's lesion-free phantom, its lesion-present version, and the lesion record.

    With ``cohort.sites`` the lesion-present version holds every lesion site's lesion and the
    record is the first one's (:func:`victwin.trial._sites.case_sites` gives them all).
    """
    if spec.cohort.sites is not None:
        phantom, present, _, _, lesions = case_sites(spec, case_id, attributes, clock)
        return phantom, present, lesions[0]
    return one_lesion_phantoms(spec, case_id, attributes, clock)


def acquire_version(spec: TrialSpec, modality, phantom, case_id: int, attributes: dict, *,
                    present: bool, backend: str = "auto", regions=None, windows=None,
                    coarse_phantom=None, presentation: bool = True, tiles=None):
    """One acquisition of one version (lesion present or absent) of a case's phantom.

    Its noise streams derive from (case, version, arm, view) -- the arm's index in the spec,
    so two arms on the same system get independent noise -- and it can be re-run alone.
    With ``regions`` (lesion-local) it returns one acquisition per region
    (:func:`victwin.acquisition.acquire_regions`; each region's noise adds the region's key),
    traced through ``windows`` (one per region) and a ``coarse_phantom`` when given.
    ``presentation=False`` skips the for-presentation images (DBT projections in a trial);
    ``tiles`` (one list or None per region) sets finer lesion tiles into the windows.
    """
    from victwin.acquisition import acquire, acquire_regions

    arm = spec.modalities.index(modality)
    stream = (2 * case_id + bool(present)) * len(spec.modalities) + arm
    kw = dict(seed=attributes["noise_seed"], case=stream, backend=backend,
              binning=spec.resolution.detector_binning,
              rays_per_pixel=spec.resolution.rays_per_pixel, progress=False,
              dose_scale=modality.dose_scale, presentation=presentation)
    if regions is not None:
        return acquire_regions(phantom, modality.system, list(regions), windows=windows,
                               coarse_phantom=coarse_phantom, tiles=tiles, **kw)
    return acquire(phantom, modality.system, **kw)


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
    local = spec.resolution.mode == "lesion-local"
    target = resolve_backend(backend)
    clock = _Clock()
    arrays: dict[str, np.ndarray] = {}
    result: dict = {"modalities": {}}

    enter_stage("phantom")
    # lesion-local with sites: fine windows per site + a coarse twin (trial/_local.py)
    windowed = local and spec.cohort.sites is not None and "bmi" not in attributes
    fine = spec.resolution.lesion_voxel_mm   # lesions in finer tiles (trial/_lesion_tiles.py)
    if fine and not windowed:
        raise ValueError("resolution.lesion_voxel_mm needs breast twins in lesion-local windows "
                         "(a chest cohort has none)")
    if windowed:
        lt = case_twins(spec, case_id, attributes, clock)
        sites, names, lesions, meta = lt.sites, lt.names, lt.lesions, lt.meta
        phantom, present = SimpleNamespace(meta=meta), None
        shape = lt.shape
    else:
        phantom, present, sites, names, lesions = case_sites(spec, case_id, attributes, clock)
        meta, shape = phantom.meta, phantom.labels.shape
    result["phantom"] = {k: meta[k] for k in ("thickness_mm", "glandular_fraction_volume",
                                              "glandular_fraction_mass") if k in meta}
    result["phantom"]["voxels"] = list(shape)
    first = lesions[0]
    result["lesion"] = {"kind": first.kind, "center_mm": [float(v) for v in first.center_mm],
                        "size_mm": float(np.max(np.atleast_1d(first.size_mm)))}
    if first.kind == "nodule":      # the rib_overlap subgroup (trial/_nodule_classes.py)
        t0 = time.perf_counter()
        result["lesion"]["rib_overlap_fraction"] = nodule_rib_overlap(spec, phantom, first)
        clock.add("rib_overlap", time.perf_counter() - t0)
    result["sites"] = [dict(site.to_dict(), name=name) for site, name in zip(sites, names)]
    if first.kind == "nodule" and spec.cohort.sites is not None:
        # each nodule site and its lesion-absent pair carry the nodule's size, type and rib
        # overlap (per-site nodule_size / rib_overlap subgroups; trial/_nodule_classes.py)
        t0 = time.perf_counter()
        n = len(lesions)
        for k, lesion in enumerate(lesions):
            f = (result["lesion"]["rib_overlap_fraction"] if k == 0
                 else nodule_rib_overlap(spec, phantom, lesion))
            info = {"lesion_size_mm": float(lesion.size_mm), "rib_overlap_fraction": f,
                    "nodule_type": lesion.extra.get("nodule_type")}
            result["sites"][k].update(info)
            result["sites"][n + k].update(info, pair=names[k])
        clock.add("rib_overlap", time.perf_counter() - t0)
    result["mode"] = spec.resolution.mode
    twins = {"present": present, "absent": phantom}
    if windowed:
        # every window box of the case, announced once: their union is labelled once
        wanted = [(m, p.region) for m in spec.modalities
                  for p in plan_rois(spec, m, phantom, sites, names)]
        # labelled: where the rays reach, and under every lesion a tile will split
        under = lesion_boxes_mm(lt.lesion_models, spec.resolution.voxel_mm) if fine else []
        lt.plan_windows([window_box(spec, m, r, meta["thickness_mm"]) for m, r in wanted],
                        reach=[window_reach(spec, m, r, meta["thickness_mm"], lt.grid) + under
                               for m, r in wanted])
    if target == "cuda" and not windowed:
        # each twin's labels go to the GPU once, for every view and region (a windowed case
        # has no whole-twin labels here: acquire_regions uploads each window and the coarse
        # twin itself)
        from victwin.acquisition import on_device

        twins = {k: on_device(v) for k, v in twins.items()}

    tiled: dict = {}     # lesion tiles traced (resolution.lesion_voxel_mm)

    def timed_acquire(modality, version, regions=None):
        kw = {"presentation": not modality.reconstruction}  # FBP reads raw, not processed
        twin = twins[version]
        if windowed:  # the fine phantom first: its own stage and timing ("phantom.windows")
            if regions is None:
                enter_stage(f"whole fine lesion-{version} twin")
                twin = lt.full(version)
            else:
                enter_stage(f"{modality.name} fine windows, lesion-{version} twin")
                boxes = [window_box(spec, modality, r, meta["thickness_mm"]) for r in regions]
                if fine and version == "present":
                    wins, kw["tiles"], n = tiled_windows(lt, boxes, fine)
                    for key, value in n.items():
                        tiled[key] = tiled.get(key, 0) + value
                else:
                    wins = lt.windows(version, boxes)
                twin, kw = wins[0], dict(kw, windows=wins, coarse_phantom=lt.coarse[version])
        enter_stage(f"{modality.name} acquisition, lesion-{version} twin")
        t0 = time.perf_counter()
        out = acquire_version(spec, modality, twin, case_id, attributes,
                              present=version == "present", backend=target, regions=regions,
                              **kw)
        clock.add("acquisition", time.perf_counter() - t0)
        for acq in (out if isinstance(out, list) else [out]):
            for stage, seconds in acq.timings_s.items():
                clock.add(f"acquisition.{stage}", seconds)
        return out

    for m_index, modality in enumerate(spec.modalities):
        t_mod = time.perf_counter()
        mres: dict = {"rois": {}}
        plans = plan_rois(spec, modality, phantom, sites, names)
        stage = "reconstruction+roi" if modality.reconstruction else "roi"
        full: dict = {}            # version -> (acquisition, volume, grid) of a full field
        need_full = set() if local else {"present", "absent"}
        if keep:
            need_full |= {"present", "absent"}
        if spec.storage.previews:
            need_full.add("present")
        for version in ("present", "absent"):
            mine = [p for p in plans if (p.site.truth == 1) == (version == "present")]
            if not mine and version not in need_full:
                continue
            if version in need_full:
                acq = timed_acquire(modality, version)
                volume = grid = None
                t0 = time.perf_counter()
                if modality.reconstruction:
                    # kept images go to the store whole; otherwise only VOIs leave the GPU
                    volume, grid = reconstruct_scan(acq, modality, backend=target,
                                                    on_device=not keep)
                clock.add(stage, time.perf_counter() - t0)
                full[version] = (acq, volume, grid)
                if keep:
                    arrays[f"images/{modality.name}/{version}"] = (
                        volume if volume is not None else acq.raw)
            acqs = None
            if local and mine:
                try:
                    acqs = timed_acquire(modality, version, [p.region for p in mine])
                except ValueError as exc:
                    # a lesion drawn near the field's edge (one-lesion layout): its ROI needs
                    # pixels off the detector, which a full field shifts inside instead
                    if "outside the detector" not in str(exc):
                        raise
                    mres.setdefault("full_field", []).append(version)
            if acqs is None and mine:
                if version not in full:
                    acq = timed_acquire(modality, version)
                    t0 = time.perf_counter()
                    volume, grid = (reconstruct_scan(acq, modality, backend=target,
                                                     on_device=True)
                                    if modality.reconstruction else (None, None))
                    clock.add(stage, time.perf_counter() - t0)
                    full[version] = (acq, volume, grid)
                acqs = [full[version][0]] * len(mine)
            enter_stage(f"{modality.name} {_cut_name(modality, acqs)}, lesion-{version} twin")
            t0 = time.perf_counter()
            for plan, acq in zip(mine, acqs):
                vol, grid = (None, None) if acq.region is not None else full[version][1:]
                roi, record = cut_roi(acq, plan, modality, backend=target, volume=vol,
                                      grid=grid)
                if spec.storage.rois == "channels":   # what the readers see of it (_features)
                    roi = channel_outputs(spec, roi, RoiRecord.from_dict(record).pitch_mm)
                arrays[f"{modality.name}/{plan.name}"] = roi
                mres["rois"][plan.name] = record
            clock.add(stage, time.perf_counter() - t0)
            if version == "present" and mine:
                acq = acqs[0]
                mres["devices"] = dict(acq.devices)  # where each stage ran
                if modality.reconstruction:
                    mres["devices"]["reconstruction"] = recon_device(target)
                mres["dose"] = {"mgd_mgy": acq.dose.mgd_mgy,
                                "entrance_air_kerma_mgy": acq.dose.entrance_air_kerma_mgy}
                tech = acq.technique
                mres["exposure"] = {"kvp": tech.kvp, "anode": tech.anode,
                                    "mas_total": tech.mas_total, "hvl_mm_al": tech.hvl_mm_al,
                                    "n_views": len(acq.views)}
        lead = next(p for p in plans if p.site.truth == 1)
        mres["roi"] = dict(mres["rois"][lead.name])      # the first lesion's, for the report
        if "present" in full and spec.storage.previews:
            acq, volume, grid = full["present"]
            if volume is not None:
                shown = volume[int(np.clip(lead.center_index[0], 0, grid.shape[0] - 1))]
                shown = shown.get() if not isinstance(shown, np.ndarray) else shown
            else:
                shown = acq.line_integrals()[0]
            mres["roi"]["image_shape"] = list(shown.shape)  # previews are downsampled
            arrays[f"previews/{modality.name}"] = _preview(shown)
        mres["order"] = m_index
        result["modalities"][modality.name] = mres
        clock.add(f"modality.{modality.name}", time.perf_counter() - t_mod)
    if fine:
        result["lesion_tiles"] = dict(tiled, voxel_mm=float(fine))
    return CaseOutput(case_id=case_id, arrays=arrays, timings=clock.t,
                      result=CaseResult.from_dict(result, f"case {case_id} result"),
                      worker=f"{platform.node()}:{os.getpid()}", backend=target)
