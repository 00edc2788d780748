"""``victwin plan``: what a trial will cost, before anything runs.

The plan builds case 0's phantom at a coarse voxel (2 mm, a second or so) to learn the breast's
size, scales its voxel count to the spec's voxel size, and counts detector pixels, views and
ray-voxel steps from the systems. Times are estimates from throughput constants measured with
the benchmark scripts (recorded below with their source); they are meant to tell minutes from
days, not to be exact.
"""

from __future__ import annotations

import numpy as np

__all__ = ["plan_trial", "THROUGHPUT", "LESION_LOCAL", "calibrate_case", "case_memory_bytes",
           "check_case_memory", "estimate_line"]

#: Measured throughput of the full-field pipeline on the 2-core CPU machine (AMD EPYC):
#: ``project_labels`` at 2.1e8 ray-voxel steps/s -- a conservative figure for a whole
#: acquisition: the bare kernel reaches 5.6e8 steps/s on benchmarks/results/raytrace.json's
#: DBT case, and acquire.json's 25-view DBT at 170 um traces 1.1e8 rays (4 per pixel) through
#: 45 mm of 0.1 mm voxels in 120 s; primary signal, scatter and detector about 1e6
#: pixel-views/s (acquire.json).
#: GPU: measured on one NVIDIA H200 by ``bash benchmarks/gpu_check.sh`` (second session of
#: 2026-12-04, runs 3 and 4: benchmarks/results/gpu_h200_2026-12-04b_run3.json and _run4.json;
#: README "On a GPU"), VICTRE's systems (85 um, 25-view DBT), phantom labels already on the
#: GPU: a full-field DM + DBT exam (one version) 3.55-3.68 s; one twin imaged at VICTRE's 20
#: sites by ``acquire_regions`` (DM and DBT regions, each with its VOI FBP; the beam and the
#: coarse scatter pass once per twin and system, the DBT views unpresented as in a trial)
#: 8.86-8.88 s, 0.44 s per region (a trial's case has two twins, so two coarse passes for its
#: 20 sites: ~0.02 s more per region). Only acquisition and reconstruction: building the twins
#: and the readers run on the node's CPU and were not measured there. ``victwin plan
#: --calibrate --backend cuda`` on a GPU machine measures a whole case.
THROUGHPUT = {
    "cpu": {"steps_per_s": 2.1e8, "pixels_per_s": 1.0e6},
    "cuda": {"gpu": "NVIDIA H200", "exam_s": 3.68, "region_s": 0.44,
             "source": "benchmarks/results/gpu.json"},
}

#: Measured lesion-local costs on the shared 2-core CPU machine: case 0 of
#: examples/demo-victre.toml (victre preset, 0.1 mm twin, 85 um with 2x2 sub-pixel rays,
#: 25-view DBT, 4 sites: 1 mass, 1 calcification cluster, 2 absent) run by ``run_case`` as a
#: trial runs it (one WindowSet of fine windows at the sites' supports, shared by DM and DBT,
#: and the 0.5 mm coarse twin, never the whole fine twin):
#: ``python benchmarks/trial_lesion_local.py --cases 0 --out
#: benchmarks/results/trial_lesion_local_merged.json`` (third session of 2026-12-02, which
#: records the load). CPU seconds, because the shared machine's wall time says more about the
#: other users than about victwin; the run's CPU (216.9 s over 218.5 s wall at load 3.7-6.0)
#: is split over its stages by their wall time. ``twin_cpu_s``: draws, site placement, coarse
#: twin, lesion tiles; ``dm_site_cpu_s`` and ``dbt_site_cpu_s``: per site, its modality's
#: share of the fine windows (the union is labelled when DM first asks, so DM carries most of
#: it), acquisitions (with their share of the twin's coarse passes) and ROI / VOI FBP; with
#: many sites per twin the union of their windows grows slower than their number (20 sites:
#: 433 M voxels instead of 964 M, NOTES.md "window cost"), so the plan over-estimates such
#: twins. A quiet 2-core machine turns CPU seconds into wall time at ``QUIET_SPEEDUP`` (the
#: phantom benchmark's CPU / wall on the quiet machine, benchmarks/results/phantom.json:
#: 19.76 / 10.90 s). Other pitches, ray counts and views scale by pixels per site: an
#: extrapolation. ``phantom_cpu_s_per_mvoxel`` (the whole fine twin, for lesion-local runs
#: without sites or with full images) is the earlier ``--one-site`` figure (2026-12-02, load
#: 16.9: 283.4 CPU-s for 1.07 G voxels with 2 lesions). Before the WindowSet and the tracer's
#: z-step change: 282 CPU-s for the same case (trial_lesion_local_compare.json, load 16.1).
LESION_LOCAL = {
    "source": "benchmarks/results/trial_lesion_local_merged.json",
    "pitch_mm": 0.085, "rays_per_pixel": 2,
    # wall by stage (s): twin 11.0 (draws + placement 5.0, coarse twin + lesions 5.9),
    # DM 45.2 (with 50.6 s of fine windows in all), DBT 161.8 (ray tracing 131.3 of the case)
    "twin_cpu_s": 216.9 * 11.0 / 218.5, "dm_site_cpu_s": 216.9 * 45.2 / 218.5 / 4,
    "dbt_site_cpu_s": 216.9 * 161.8 / 218.5 / 4,
    "phantom_cpu_s_per_mvoxel": 283.4 / 1070.4,
    "load": 4.9,
}
QUIET_SPEEDUP = 19.76 / 10.90


def _fmt_bytes(n: float) -> str:
    """Binary units, named as such (until 2026-12-05 the plan printed MiB as "MB")."""
    from victwin._memory import fmt_bytes

    return fmt_bytes(n)


def _fmt_time(s: float) -> str:
    if s != s:     # NaN: not measured
        return "not measured"
    if s < 120:
        return f"{s:.0f} s"
    if s < 7200:
        return f"{s / 60:.0f} min"
    if s < 172800:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.1f} days"


#: An acquisition's working set (NOTES.md, "the chest plan's memory"; tracemalloc peaks of
#: ``acquire`` on 2026-12-05, rounded up by 25 % as the phantom figures): views are simulated
#: one at a time, so one view's arrays count once and only the kept images per view.
#: Measured: victre-dm (9 labels, 4 focal sub-sources) 127 / 371 MB at 0.28 / 1.13 M pixels;
#: chest-pa (17 labels, no blur) 156 / 504 / 1893 MB at 0.59 / 2.36 / 9.44 M pixels;
#: victre-dbt, 25 views at 0.28 M pixels, 194 MB. Fixed part: 46 MB (spectra, the line-integral
#: buffer of ``physics.primary_signal``), here 64 MB.
_ACQ_FIXED_BYTES = 64 * 2**20
#: Per pixel of the view being simulated, besides its path lengths (4 B per label and blur
#: sub-source, exact): the primary's sums, scatter, the detector's spread (FFT) and noise in
#: float64; measured 128 (chest-pa) and 145 (victre-dm) B, here 192.
_ACQ_VIEW_BYTES_PER_PIXEL = 192
#: Per pixel and view kept until the acquisition returns (raw and processed uint16, the flat
#: float32): measured 9.5 B (victre-dbt), here 12.
_ACQ_KEPT_BYTES_PER_PIXEL_VIEW = 12
#: Lesion-local runs (crops and the coarse scatter pass): bytes per pixel and view, a
#: generous round figure kept from before the full-field terms were measured (with it a
#: replica case is planned at 2.1 GB; the replica's run, one worker in-process, peaked at
#: 1.03 GB over its first 13 cases, the kernels' compilation included).
_LOCAL_BYTES_PER_PIXEL_VIEW = 128
#: Bytes per reconstructed voxel: the float32 volume and the CPU backprojection's 4 private
#: accumulators (NOTES.md, "Traps"), plus the filtered projections' share.
_RECON_BYTES_PER_VOXEL = 24


def acquisition_bytes_per_pixel(system, binning: int, n_labels: int, n_views: int) -> float:
    """Working-set bytes per detector pixel of one acquisition of ``system`` at ``binning``:
    one view's arrays (:data:`_ACQ_VIEW_BYTES_PER_PIXEL` plus 4 B of path length per label
    and per blur sub-source of the view) and the kept images of all ``n_views``
    (:data:`_ACQ_KEPT_BYTES_PER_PIXEL_VIEW` each); add :data:`_ACQ_FIXED_BYTES` once."""
    # the sub-sources of the system's focal-spot (and, in DBT, motion) blur: each is traced
    blur = system.blur.for_scan(system.scan) if system.blur is not None else None
    n_sub = 1
    if blur is not None and blur.enabled:
        view = tuple(system.views(binning))[0]
        # the count does not depend on the rotation centre (only the positions do)
        n_sub = len(blur.sub_sources(view.source, towards_mm=view.panel.center,
                                     rotation_center_mm=(0.0, 0.0, 0.0))[0])
    return float(_ACQ_VIEW_BYTES_PER_PIXEL + 4 * int(n_labels) * n_sub
                 + _ACQ_KEPT_BYTES_PER_PIXEL_VIEW * int(n_views))


#: Bytes per voxel of the ~2 mm lattice on which a chest twin's nodules are placed (the
#: distance to the pleura: SciPy's int32 feature transform, the float64 distances, the lung
#: masks): 24.3 B measured (VmHWM over the placement's start, 10.9 M lattice voxels,
#: 2026-12-05, after ``chest.nodules.edt_mm``; SciPy's own distances took ~50), here 32.
_NODULE_LATTICE_BYTES_PER_VOXEL = 32


def case_memory_bytes(voxels: float, work_bytes: float, voxel_mm: float = 0.5,
                      kind: str | None = None, lattice_voxels: float = 0.0) -> float:
    """Peak resident memory of a worker running one case: its process base, the phantom's
    generation, its lesion-present copy, imaging.

    Parameters
    ----------
    voxels : float
        Phantom voxels per case.
    work_bytes : float, bytes
        The largest acquisition + reconstruction working set over the modalities.
    voxel_mm : float, mm
        The phantom's voxel (a breast's generation overheads per voxel fall with it).
    kind : str, optional
        The phantom's ``meta["kind"]``: ``"chest"`` twins are built in slabs and use
        :data:`victwin._memory.CHEST_BYTES_PER_VOXEL`; any other kind the breast figure
        (:func:`victwin._memory.phantom_bytes_per_voxel`).
    lattice_voxels : float
        Voxels of the nodule placement's distance lattice (chest twins with nodules;
        :func:`victwin.phantom.chest.nodules.lattice_step`), 0 for none.

    The worker's process base, both twins' labels (lesion-free and lesion-present, with the
    preset's copies: 2 B/voxel) and the larger of the two stages that do not overlap: the
    phantom's generation with the nodule's placement, or imaging (``work_bytes``).
    """
    # the process base (interpreter, NumPy, SciPy, numba's kernels) is held by each worker.
    # Without it, the lattice and the measured acquisition term, a 1 mm chest case was
    # planned at 425 MB and peaked at 1.53 GB (0.64 GB after the fixes of 2026-12-05, planned
    # 0.97 GB; benchmarks/results/case_memory_chest_1mm.json)
    from victwin._memory import (CHEST_BYTES_PER_VOXEL, PHANTOM_BASE_BYTES,
                                 phantom_bytes_per_voxel)

    per_voxel = (CHEST_BYTES_PER_VOXEL if kind == "chest"
                 else phantom_bytes_per_voxel(voxel_mm))
    build = float(voxels) * per_voxel + _NODULE_LATTICE_BYTES_PER_VOXEL * float(lattice_voxels)
    return PHANTOM_BASE_BYTES + 2.0 * float(voxels) + max(build, float(work_bytes))


def check_case_memory(plan: dict, voxel_mm: float, workers: int) -> None:
    """Refuse (one-line ``MemoryError``) a run whose ``workers`` cases do not fit in memory."""
    from victwin._memory import check_memory

    per_case = plan["case_memory_bytes"]
    check_memory(per_case * workers,
                 f"{workers} case(s) at once at voxel_mm = {voxel_mm} "
                 f"({plan['phantom_voxels']:.3g} phantom voxels, "
                 f"{_fmt_bytes(per_case)} per case)",
                 "use a coarser resolution.voxel_mm or fewer --workers")


def estimate_line(plan: dict, n_cases: int, workers: int) -> str:
    """The estimate ``victwin run`` and ``victwin demo`` print before the cases start.

    Parameters
    ----------
    plan : dict
        :func:`plan_trial`'s result (``estimated_s``, ``cases``, ``case_memory_bytes``).
    n_cases : int
        Cases still to run (a resumed run has fewer than ``plan["cases"]``).
    workers : int
        Cases at once (memory is per case).
    """
    per_case_s = plan["estimated_s"]["cpu"] / max(plan["cases"], 1)
    return (f"{n_cases} case(s) to run: about {_fmt_time(per_case_s * n_cases)} on a quiet "
            f"2-core CPU machine (the first run compiles kernels too), "
            f"{_fmt_bytes(plan['case_memory_bytes'])} per case x {workers} at once; "
            f"'victwin plan' says how")


def _gpu_line(spec, n: int) -> str:
    """The acquisition + reconstruction time of ``n`` cases on the measured GPU
    (``THROUGHPUT["cuda"]``): per region (lesion-local) or per full-field exam, two versions
    of a twin without sites; twin building and reading are not included (CPU, not measured
    on the GPU node)."""
    g = THROUGHPUT["cuda"]
    if spec.resolution.mode == "full":
        per_case, what = 2 * g["exam_s"], f"2 full-field DM + DBT exams of {g['exam_s']} s"
    else:
        regions = _rois_per_twin(spec)
        per_case, what = regions * g["region_s"], (f"{regions} lesion-local DM + DBT regions "
                                                   f"of {g['region_s']} s")
    victre = all(m.system.startswith("victre") for m in spec.modalities)
    scope = ("" if victre else "; this trial's systems differ and the figure is not scaled to "
             "them")
    return (f"on a GPU ({g['gpu']}, measured for VICTRE's DM + 25-view DBT systems at 85 um; "
            f"{g['source']}): acquisition and reconstruction about {_fmt_time(n * per_case)} "
            f"({what} per case{scope}); building the twins and reading them run on the CPU "
            f"and are not included")


def _rois_per_twin(spec) -> int:
    """ROIs a twin gives: 2 (one lesion), every site, or 2 per chest nodule site (each nodule
    and its lesion-absent pair)."""
    sites = spec.cohort.sites
    if sites is None:
        return 2
    return sum(sites.values()) * (2 if spec.cohort.family == "chest" else 1)


def _windowed(spec, recipe_kind: str) -> bool:
    """Whether a lesion-local case of ``spec`` builds windows and a coarse twin instead of
    its whole fine twin (``trial/_local.py``): sites, a breast, no full images asked for."""
    return (spec.resolution.mode == "lesion-local" and spec.cohort.sites is not None
            and recipe_kind == "breast" and not spec.storage.keep_images
            and not spec.storage.previews)


def _lesion_local_case_s(spec, voxels: float, per_mod: dict,
                         windowed: bool = False) -> tuple[float, str]:
    """Seconds per case of a lesion-local run on a quiet 2-core machine, from LESION_LOCAL:
    the twin (windowed: draws, placement, coarse twin and lesions, ``twin_cpu_s``; else the
    whole fine twin, ``phantom_cpu_s_per_mvoxel``) plus each site's DM and DBT costs (its
    windows, acquisitions with its share of the coarse passes, ROI / VOI)."""
    m = LESION_LOCAL
    twin_key = "twin_cpu_s" if windowed else "phantom_cpu_s_per_mvoxel"
    if any(m.get(k) is None for k in (twin_key, "dm_site_cpu_s", "dbt_site_cpu_s")):
        return float("nan"), ("no lesion-local cost has been measured yet: run "
                              "benchmarks/trial_lesion_local.py --compare, or --calibrate")
    n_sites = _rois_per_twin(spec)
    cpu = m["twin_cpu_s"] if windowed else voxels / 1e6 * m["phantom_cpu_s_per_mvoxel"]
    for pm in per_mod.values():
        rays = pm["rays_per_pixel"]
        scale = (m["pitch_mm"] / pm["pixel_mm"]) ** 2 * (rays / m["rays_per_pixel"]) ** 2
        if pm["views"] == 1:
            cpu += n_sites * m["dm_site_cpu_s"] * scale
        else:
            cpu += n_sites * m["dbt_site_cpu_s"] * scale * pm["views"] / 25
    return cpu / QUIET_SPEEDUP, (f"lesion-local, {n_sites} sites per twin, from CPU seconds "
                                 f"measured at 85 um ({m['source']}, load {m['load']}) / "
                                 f"{QUIET_SPEEDUP:.2f}")


def calibrate_case(spec, backend: str = "auto") -> dict:
    """Run case 0 of ``spec`` here and time it: ``case_s``, ``stages``, ``load``."""
    import os
    import time

    from ._cohort import sample_cohort
    from ._runner import run_case

    (case_id, attributes), = sample_cohort(spec, [0])
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    out = run_case(spec, case_id, attributes, backend=backend)
    seconds = time.perf_counter() - t0
    top = {k: v for k, v in out.timings.items() if "." not in k}
    stages = ", ".join(f"{k} {v:.0f} s" for k, v in sorted(top.items(), key=lambda kv: -kv[1]))
    return {"case_s": seconds, "stages": stages, "timings_s": out.timings,
            "load": (load0 + os.getloadavg()[0]) / 2, "backend": out.backend}


def plan_trial(spec, *, calibrate: dict | None = None) -> dict:
    """Estimate cases, voxels, pixels, storage and time per backend for a spec.

    Returns
    -------
    dict
        ``cases``, ``phantom_voxels`` (per case), ``per_modality`` (views, pixels per view,
        ray-voxel steps), ``storage_bytes``, ``estimated_s`` (``cpu``: from measured
        throughput; ``measured``: from ``calibrate``), and ``lines`` (the printed summary).

    Parameters
    ----------
    spec : TrialSpec
    calibrate : dict, optional
        :func:`calibrate_case`'s measurement of case 0 on this machine.
    """
    from victwin.systems import load

    from . import _local
    from ._cohort import sample_cohort
    from ._twins import _make_phantom

    cohort = sample_cohort(spec, [0])  # only case 0's phantom is probed (fast for 10^6 cases)
    coarse = 2.0
    # case 0's twin as the run builds it (a chest twin with the body its cohort drew)
    probe = _make_phantom(spec, cohort[0][1], voxel_mm=coarse)
    kind = probe.meta.get("kind", "")
    body = int(np.count_nonzero(probe.labels))
    scale = (coarse / spec.resolution.voxel_mm) ** 3
    voxels = int(probe.labels.size * scale)
    thickness_mm = float(probe.meta.get("thickness_mm", probe.grid.size_mm[2]))
    windowed = _windowed(spec, kind)
    # path lengths per label of the twin, its lesion's label and the preset's materials
    n_labels = max(probe.materials) + 2
    per_mod = {}
    steps_total = 0.0
    pixels_total = 0.0
    work_bytes = 0.0  # the largest acquisition + reconstruction of one modality
    roi_bytes = 0
    image_bytes = 0
    for m in spec.modalities:
        system = load(m.system)
        k = spec.resolution.detector_binning
        nv, nu = (s // k for s in system.geometry.detector_shape)
        n_views = system.n_views
        pitch = system.geometry.pitch_mm * k
        # rays through the body: its shadow on the detector; steps: about 1.5 per voxel depth
        shadow_mm2 = body * coarse ** 3 / max(thickness_mm, 1.0)
        rays = min(nv * nu, shadow_mm2 / pitch ** 2) * (system.rays_per_pixel
                                                       if spec.resolution.rays_per_pixel is None
                                                       else spec.resolution.rays_per_pixel) ** 2
        steps = rays * 1.5 * thickness_mm / spec.resolution.voxel_mm * n_views
        recon_steps = 0.0
        if m.reconstruction:
            slices = thickness_mm / m.reconstruction.get("slice_mm", 1.0)
            recon_steps = 3.0 * nv * nu * n_views * 1.5 * slices  # forward + back + weights
        # two versions (lesion present and absent) per case
        steps_total += 2 * (steps + recon_steps)
        pixels_total += 2 * nv * nu * n_views
        roi_px = (109 * 0.085 / pitch) ** 2 * (9 if m.reconstruction else 1)
        if spec.storage.rois == "channels":  # float64 channel outputs per ROI (VOI slice)
            roi_bytes += 2 * 8 * spec.readers.channels["count"] * (9 if m.reconstruction else 1)
        else:
            roi_bytes += 2 * 4 * roi_px
        image_bytes += 2 * (4 * nv * nu * (thickness_mm if m.reconstruction else n_views))
        per_pixel = acquisition_bytes_per_pixel(system, k, n_labels, n_views)
        full_work = (_ACQ_FIXED_BYTES + per_pixel * nv * nu
                     + (_RECON_BYTES_PER_VOXEL * nv * nu * thickness_mm
                        / m.reconstruction.get("slice_mm", 1.0) if m.reconstruction else 0))
        if spec.resolution.mode == "lesion-local" and not spec.storage.keep_images \
                and not spec.storage.previews:
            # one site's crop: a ~10 mm box plus the DBT filter margin along the scan (3 mm
            # each side, DBT_FILTER_MARGIN_MM) and the arc's parallax, its strip laid out for
            # FBP (the panel's length), and the coarse scatter pass (a full field at ~2 mm)
            box_px = 12.0 / pitch
            along = (box_px + (6.0 + 2 * thickness_mm * np.tan(np.radians(25.0))) / pitch) \
                if n_views > 1 else box_px
            crop = box_px * along + (box_px * max(nv, nu) if n_views > 1 else 0)
            coarse = nv * nu * pitch ** 2
            # not measured per pixel: the earlier generous 128 B per pixel and view of
            # every crop and coarse pass (a lesion-local case keeps each site's views)
            full_work = _LOCAL_BYTES_PER_PIXEL_VIEW * (crop + coarse) * n_views
        work_bytes = max(work_bytes, full_work)
        per_mod[m.name] = {"system": system.name, "views": n_views,
                           "detector": [int(nv), int(nu)], "pixel_mm": pitch,
                           "ray_voxel_steps": float(steps),
                           "rays_per_pixel": int(system.rays_per_pixel
                                                 if spec.resolution.rays_per_pixel is None
                                                 else spec.resolution.rays_per_pixel)}
    n = spec.cohort.size
    sites = spec.cohort.sites
    roi_bytes *= _rois_per_twin(spec) / 2   # ROIs per twin
    storage = n * (roi_bytes + (2 * 4 * 160 * 80 * len(spec.modalities)
                                if spec.storage.previews else 0))
    if spec.storage.keep_images:
        storage += n * image_bytes
    estimated = {}
    rate = THROUGHPUT["cpu"]
    full_case = steps_total / rate["steps_per_s"] + pixels_total / rate["pixels_per_s"]
    if spec.resolution.mode == "full":
        estimated["cpu"] = n * full_case
        basis = "full field, from measured CPU ray-tracing and pixel throughput"
    else:
        per_case, basis = _lesion_local_case_s(spec, voxels, per_mod, windowed)
        if spec.storage.keep_images or spec.storage.previews:
            per_case += full_case / (1 if spec.storage.keep_images else 2)
            basis += " + full images for keep_images / previews"
        estimated["cpu"] = n * per_case
    if calibrate is not None:
        estimated["measured"] = n * calibrate["case_s"]
    if windowed:
        # no whole fine twin: the coarse twin and one site's largest (DBT) window at a time,
        # ~ (box + 2 x 3 mm filter margin + the 50-degree arc's parallax) x box x thickness
        side = 12.0
        window_mm3 = (side + 6.0 + 2 * thickness_mm * np.tan(np.radians(25.0))) * side \
            * thickness_mm
        mem_voxels = voxels * (spec.resolution.voxel_mm / _local.COARSE_VOXEL_MM) ** 3 \
            + window_mm3 / spec.resolution.voxel_mm ** 3
        memory = case_memory_bytes(mem_voxels, work_bytes, spec.resolution.voxel_mm, kind)
    else:
        lattice = 0.0
        if kind == "chest":     # the nodules' placement lattice (chest.nodules.place_nodule)
            from victwin.phantom.chest.nodules import lattice_step

            lattice = voxels / lattice_step(spec.resolution.voxel_mm) ** 3
        memory = case_memory_bytes(voxels, work_bytes, spec.resolution.voxel_mm, kind,
                                   lattice_voxels=lattice)
    lines = [
        f"trial {spec.name} (spec {spec.hash}): {n} cases, each imaged with and without "
        f"{'a lesion' if sites is None else 'its lesions'} by {len(spec.modalities)} modalities"
        f" ({spec.resolution.mode}"
        + ("" if sites is None else ", sites per twin: "
           + ", ".join(f"{k} {v}" for k, v in sites.items())) + ")",
        f"phantom: about {voxels / 1e6:.0f} M voxels per case at {spec.resolution.voxel_mm} mm "
        f"({_fmt_bytes(voxels)} of labels)"
        + (f"; lesion-local: built only in windows at each site's support, plus the twin at "
           f"{max(_local.COARSE_VOXEL_MM, spec.resolution.voxel_mm)} mm for the coarse pass"
           if windowed else ""),
    ]
    for name, pm in per_mod.items():
        lines.append(f"  {name}: {pm['system']}, {pm['views']} view(s), detector "
                     f"{pm['detector'][0]} x {pm['detector'][1]} at {pm['pixel_mm']:.3f} mm, "
                     f"~{pm['ray_voxel_steps']:.2g} ray-voxel steps per acquisition")
    lines.append(f"memory: about {_fmt_bytes(memory)} per case (times the number of workers)")
    lines.append(f"storage: about {_fmt_bytes(storage)}"
                 + (" (full images kept)" if spec.storage.keep_images else
                    " (ROIs and previews)" if spec.storage.previews else " (ROIs)"))
    lines.append(f"estimated time on a quiet 2-core CPU machine: {_fmt_time(estimated['cpu'])} "
                 f"({basis}; one worker uses both cores)")
    if calibrate is not None:
        lines.append(f"measured here: case 0 took {calibrate['case_s']:.0f} s "
                     f"({calibrate['stages']}); {n} cases: {_fmt_time(estimated['measured'])} "
                     f"(load {calibrate['load']:.1f}; includes numba's first-use compilation "
                     f"when its cache is cold)")
    else:
        lines.append(_gpu_line(spec, n))
        lines.append("--calibrate runs case 0 here (on --backend) and extrapolates from its "
                     "time")
    return {"trial": spec.name, "spec_hash": spec.hash, "cases": n, "phantom_voxels": voxels,
            "per_modality": per_mod, "storage_bytes": float(storage),
            "case_memory_bytes": float(memory),
            "estimated_s": estimated, "calibration": calibrate, "lines": lines}
