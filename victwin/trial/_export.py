"""DICOM studies of a trial's cases, re-simulated from the run's spec and seeds.

A run keeps ROIs, not full images (unless asked), but every case is reproducible from (spec,
case id): exporting a case re-runs its phantom, lesion and lesion-present acquisitions (and
the DBT reconstruction) and writes them with :func:`victwin.dicom.from_acquisition`, with
the lesion truth as SEG and SR: every lesion of the lesion-present twin (all the lesion sites
of a ``cohort.sites`` case), one SEG segment and one SR point per lesion, in site order.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ._runner import acquire_version, reconstruct_scan
from ._sites import case_sites
from ._spec import spec_from_dict
from ._store import TrialStore

__all__ = ["export_case_dicom"]


def _lesion_mask_on(grid, phantom, lesion) -> np.ndarray:
    """The lesion's voxels resampled (nearest voxel centre) onto ``grid``, as uint8 0/1.

    Lesions never share a phantom voxel (:func:`victwin.phantom.insert_lesion` refuses to
    cover another lesion's labels) and each grid voxel takes one phantom voxel's label, so the
    masks of a twin's lesions are disjoint on any grid.

    Only a box of 1.5 lesion diameters around the centre is resampled (spicules included),
    so the work does not grow with the reconstruction grid.
    """
    labels = [int(v) for v in lesion.extra.get("labels", [lesion.label])]
    reach = 1.5 * float(np.max(np.atleast_1d(lesion.size_mm))) + 2.0 * max(grid.spacing)
    centre = np.asarray(lesion.center_mm, dtype=float)
    lo = np.floor(grid.world_to_index(centre - reach)).astype(int)  # (z, y, x)
    hi = np.ceil(grid.world_to_index(centre + reach)).astype(int) + 1
    lo = np.clip(np.minimum(lo, hi), 0, grid.shape)
    hi = np.clip(np.maximum(lo, hi), 0, grid.shape)
    mask = np.zeros(grid.shape, np.uint8)
    axes = [np.arange(a, b) for a, b in zip(lo, hi)]
    if any(len(a) == 0 for a in axes):
        return mask
    idx = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 3)
    src = np.rint(phantom.grid.world_to_index(grid.index_to_world(idx))).astype(int)
    inside = np.all((src >= 0) & (src < np.array(phantom.grid.shape)), axis=1)
    box = np.zeros(len(idx), np.uint8)
    hit = src[inside]
    box[inside] = np.isin(phantom.labels[hit[:, 0], hit[:, 1], hit[:, 2]], labels)
    mask[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]] = box.reshape([len(a) for a in axes])
    return mask


def export_case_dicom(run_dir, case_id: int, out_dir, *, backend: str = "cpu",
                      overwrite: bool = False) -> list[Path]:
    """Write one case of a trial run as a DICOM study (re-simulated deterministically).

    Parameters
    ----------
    run_dir : path
        A victwin run directory (``victwin run``).
    case_id : int
    out_dir : path
        Receives the study's ``.dcm`` files.
    backend : {"cpu", "cuda", "auto"}

    Returns
    -------
    list of Path
    """
    from victwin import dicom
    from victwin.systems import load as load_system

    with TrialStore(run_dir) as store:
        spec = spec_from_dict(store.provenance()["spec_toml"])
        ids = {r["case_id"] for r in store.done_cases()}
        if int(case_id) not in ids:
            raise ValueError(f"case {case_id} is not a finished case of {str(run_dir)!r}")
        attributes = store.attributes(int(case_id))
    _, present, _, _, lesions = case_sites(spec, int(case_id), attributes)
    acquisitions, volume, grid, scans = [], None, None, set()
    for modality in spec.modalities:
        scan = load_system(modality.system).scan
        if scan in scans:  # one study holds one acquisition of each kind (the first arm's)
            continue
        scans.add(scan)
        acq = acquire_version(spec, modality, present, int(case_id), attributes, present=True,
                              backend=backend)
        acquisitions.append(acq)
        if modality.reconstruction and volume is None:
            volume, grid = reconstruct_scan(acq, modality, backend=backend)
    # Segment / SR point k + 1 is lesion k (site order); label k + 1 marks its voxels.
    truth = [dicom.Lesion(center_mm=tuple(float(c) for c in lesion.center_mm),
                          kind=lesion.kind if lesion.kind in ("mass", "calcification") else "mass",
                          diameter_mm=float(np.max(np.atleast_1d(lesion.size_mm))), label=k + 1)
             for k, lesion in enumerate(lesions)]
    labels = None
    if grid is not None:
        labels = np.zeros(grid.shape, np.uint8)
        for k, lesion in enumerate(lesions):
            labels[_lesion_mask_on(grid, present, lesion) > 0] = k + 1
        if not labels.any():
            labels = None
    subject = dicom.SyntheticSubject(trial_id=spec.name, case_id=f"{int(case_id):06d}",
                                     age_years=int(round(attributes["age_years"])))
    method = next((m.reconstruction["method"] for m in spec.modalities if m.reconstruction),
                  "fbp")
    synthesized = None
    if volume is not None:  # the DM-like display of the DBT study
        from victwin.recon import synthesize_2d
        synthesized = synthesize_2d(volume, "weighted")
    # Runs made before the cohort drew laterality imaged the left breast.
    laterality = attributes.get("laterality", "L")
    return dicom.from_acquisition(acquisitions, out_dir, subject=subject, volume=volume,
                                  grid=grid, lesions=truth, lesion_labels=labels,
                                  laterality=laterality, view="CC",
                                  reconstruction_algorithm=method.upper(),
                                  synthesized_2d=synthesized, overwrite=overwrite)
