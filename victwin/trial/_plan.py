"""``victwin plan``: what a trial will cost, before anything runs.

The plan builds case 0's phantom at a coarse voxel (2 mm, a second or so) to learn the breast's
size, scales its voxel count to the spec's voxel size, and counts detector pixels, views and
ray-voxel steps from the systems. Times are estimates from throughput constants measured with
the benchmark scripts (recorded below with their source); they are meant to tell minutes from
days, not to be exact.
"""

from __future__ import annotations

import numpy as np

__all__ = ["plan_trial", "THROUGHPUT", "case_memory_bytes", "check_case_memory"]

#: Throughput used for estimates. CPU figures: 2-core AMD EPYC, benchmarks/results/*.json
#: (project_labels 2.1e8 ray-voxel steps/s on the DBT case, primary signal about 3e6 pixel
#: views/s with 54 energy bins, scatter about 2e6 pixels/s). GPU: the issue's H100 target of
#: 1e11 steps/s (not measured here: no GPU was available), other stages stay on the host.
THROUGHPUT = {
    "cpu": {"steps_per_s": 2.1e8, "pixels_per_s": 1.0e6},
    "cuda": {"steps_per_s": 1.0e11, "pixels_per_s": 1.0e7},
}


def _fmt_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"  # pragma: no cover


def _fmt_time(s: float) -> str:
    if s < 120:
        return f"{s:.0f} s"
    if s < 7200:
        return f"{s / 60:.0f} min"
    if s < 172800:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.1f} days"


#: Bytes per detector pixel and view held while one acquisition is simulated: float64
#: images, per-material path lengths and the scatter estimate; a generous round figure (the
#: tiny test spec's acquisitions stay well below it), meant to refuse requests off by orders of
#: magnitude, not to budget tightly.
_ACQ_BYTES_PER_PIXEL_VIEW = 128
#: Bytes per reconstructed voxel: the float32 volume and the CPU backprojection's 4 private
#: accumulators (NOTES.md, "Traps"), plus the filtered projections' share.
_RECON_BYTES_PER_VOXEL = 24


def case_memory_bytes(voxels: float, work_bytes: float) -> float:
    """Peak memory of one case: the phantom's generation, its lesion-present copy, imaging.

    Parameters
    ----------
    voxels : float
        Phantom voxels per case.
    work_bytes : float, bytes
        The largest acquisition + reconstruction working set over the modalities.
    """
    from victwin._memory import PHANTOM_BYTES_PER_VOXEL

    return float(voxels) * (PHANTOM_BYTES_PER_VOXEL + 2) + float(work_bytes)


def check_case_memory(plan: dict, voxel_mm: float, workers: int) -> None:
    """Refuse (one-line ``MemoryError``) a run whose ``workers`` cases do not fit in memory."""
    from victwin._memory import check_memory

    per_case = plan["case_memory_bytes"]
    check_memory(per_case * workers,
                 f"{workers} case(s) at once at voxel_mm = {voxel_mm} "
                 f"({plan['phantom_voxels']:.3g} phantom voxels, "
                 f"{_fmt_bytes(per_case)} per case)",
                 "use a coarser resolution.voxel_mm or fewer --workers")


def plan_trial(spec) -> dict:
    """Estimate cases, voxels, pixels, storage and time per backend for a spec.

    Returns
    -------
    dict
        ``cases``, ``phantom_voxels`` (per case), ``per_modality`` (views, pixels per view,
        ray-voxel steps), ``storage_bytes``, ``estimated_s`` (backend -> seconds),
        and ``lines`` (the printed summary).
    """
    from victwin.phantom import make
    from victwin.systems import load

    from ._cohort import sample_cohort

    cohort = sample_cohort(spec, [0])  # only case 0's phantom is probed (fast for 10^6 cases)
    coarse = 2.0
    probe = make(cohort[0][1]["recipe"], seed=cohort[0][1]["phantom_seed"], voxel_mm=coarse,
                 progress=False)
    body = int(np.count_nonzero(probe.labels))
    scale = (coarse / spec.resolution.voxel_mm) ** 3
    voxels = int(probe.labels.size * scale)
    thickness_mm = float(probe.meta.get("thickness_mm", probe.grid.size_mm[2]))
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
        roi_bytes += 2 * 4 * roi_px
        image_bytes += 2 * (4 * nv * nu * (thickness_mm if m.reconstruction else n_views))
        work_bytes = max(work_bytes, _ACQ_BYTES_PER_PIXEL_VIEW * nv * nu * n_views
                         + (_RECON_BYTES_PER_VOXEL * nv * nu * thickness_mm
                            / m.reconstruction.get("slice_mm", 1.0) if m.reconstruction else 0))
        per_mod[m.name] = {"system": system.name, "views": n_views,
                           "detector": [int(nv), int(nu)], "pixel_mm": pitch,
                           "ray_voxel_steps": float(steps)}
    n = spec.cohort.size
    storage = n * (roi_bytes + 2 * 4 * 160 * 80 * len(spec.modalities))
    if spec.storage.keep_images:
        storage += n * image_bytes
    estimated = {}
    for backend, rate in THROUGHPUT.items():
        per_case = steps_total / rate["steps_per_s"] + pixels_total / rate["pixels_per_s"]
        estimated[backend] = n * per_case
    memory = case_memory_bytes(voxels, work_bytes)
    lines = [
        f"trial {spec.name} (spec {spec.hash}): {n} cases, each imaged with and without a "
        f"lesion by {len(spec.modalities)} modalities",
        f"phantom: about {voxels / 1e6:.0f} M voxels per case at {spec.resolution.voxel_mm} mm "
        f"({_fmt_bytes(voxels)} of labels)",
    ]
    for name, pm in per_mod.items():
        lines.append(f"  {name}: {pm['system']}, {pm['views']} view(s), detector "
                     f"{pm['detector'][0]} x {pm['detector'][1]} at {pm['pixel_mm']:.3f} mm, "
                     f"~{pm['ray_voxel_steps']:.2g} ray-voxel steps per acquisition")
    lines.append(f"memory: about {_fmt_bytes(memory)} per case (times the number of workers)")
    lines.append(f"storage: about {_fmt_bytes(storage)}"
                 + (" (full images kept)" if spec.storage.keep_images else " (ROIs and previews)"))
    for backend, seconds in estimated.items():
        lines.append(f"estimated time on {backend}: {_fmt_time(seconds)} of compute "
                     f"(divide by the number of workers)")
    return {"trial": spec.name, "spec_hash": spec.hash, "cases": n, "phantom_voxels": voxels,
            "per_modality": per_mod, "storage_bytes": float(storage),
            "case_memory_bytes": float(memory),
            "estimated_s": estimated, "lines": lines}
