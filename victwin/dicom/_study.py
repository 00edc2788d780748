"""Write a whole simulated study (DM, DBT projections, BTO volume, chest DX, SEG, SR) at once."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from ._dx import digital_mammography_image, digital_xray_image
from ._enhanced import breast_projection_image, breast_tomosynthesis_image, source_angles_deg
from ._identity import SyntheticSubject
from ._params import Exposure
from ._truth import lesion_report, lesion_segmentation

__all__ = ["export_study"]


def export_study(out_dir, *, subject: SyntheticSubject, view: str = "CC",
                 laterality: str = "L", dm_exposure: Exposure | None = None,
                 dm_raw=None, dm_processed=None, dbt_exposure: Exposure | None = None,
                 projections=None, dbt_views=None, volume=None, grid=None,
                 lesions=(), lesion_labels=None, chest_exposure: Exposure | None = None,
                 chest_raw=None, chest_processed=None, reconstruction_algorithm: str = "FBP",
                 progress: bool = False, overwrite: bool = False) -> list[Path]:
    """Write every object of one simulated case into ``out_dir`` (one file per instance).

    Any group of inputs may be left out; the objects written are:

    ========================  =====================================================  ==========
    file                      object                                                 needs
    ========================  =====================================================  ==========
    ``DM_PROC.dcm``           Digital Mammography X-Ray Image For Processing          dm_raw
    ``DM_PRES.dcm``           Digital Mammography X-Ray Image For Presentation        dm_processed
    ``BPX.dcm``               Breast Projection X-Ray Image For Processing            projections, dbt_views
    ``BTO.dcm``               Breast Tomosynthesis Image                              volume, grid
    ``SEG.dcm``               Segmentation of the lesions on the BTO (else DM)        lesion_labels, lesions
    ``SR.dcm``                Comprehensive 3D SR with the lesion centres             lesions
    ``DX_PROC.dcm``           Digital X-Ray Image For Processing (chest)              chest_raw
    ``DX_PRES.dcm``           Digital X-Ray Image For Presentation (chest)            chest_processed
    ========================  =====================================================  ==========

    The files are written to a temporary directory next to ``out_dir`` and moved into place
    only when all are written, so a failed export leaves no partial study.

    Returns
    -------
    list of Path
        The files written, in the order above.
    """
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise FileExistsError(f"out_dir {str(out)!r} exists and is not empty "
                              f"(pass overwrite=True to replace it)")
    jobs = []
    dm_proc = [None]
    bpx = [None]
    bto = [None]
    dm_pres = [None]

    if dm_raw is not None:
        _need("dm_exposure", dm_exposure)
        jobs.append(("DM_PROC", lambda: dm_proc.__setitem__(0, digital_mammography_image(
            dm_raw, subject=subject, exposure=dm_exposure, view=view, laterality=laterality,
            for_presentation=False, series_number=1)) or dm_proc[0]))
    if dm_processed is not None:
        _need("dm_exposure", dm_exposure)
        jobs.append(("DM_PRES", lambda: dm_pres.__setitem__(0, digital_mammography_image(
            dm_processed, subject=subject, exposure=dm_exposure, view=view,
            laterality=laterality, for_presentation=True, series_number=2,
            source_image=dm_proc[0])) or dm_pres[0]))
    if projections is not None:
        _need("dbt_exposure", dbt_exposure)
        _need("dbt_views", dbt_views)
        jobs.append(("BPX", lambda: bpx.__setitem__(0, breast_projection_image(
            projections, dbt_views, subject=subject, exposure=dbt_exposure, view=view,
            laterality=laterality, series_number=20)) or bpx[0]))
    if volume is not None:
        _need("dbt_exposure", dbt_exposure)
        _need("grid", grid)
        angles = source_angles_deg(dbt_views) if dbt_views is not None else ()
        jobs.append(("BTO", lambda: bto.__setitem__(0, breast_tomosynthesis_image(
            volume, grid, subject=subject, exposure=dbt_exposure, view=view,
            laterality=laterality, projection_angles_deg=angles,
            source_images=[bpx[0]] if bpx[0] is not None else (), series_number=10,
            reconstruction_algorithm=reconstruction_algorithm)) or bto[0]))
    lesions = list(lesions)
    if lesion_labels is not None:
        if not lesions:
            raise ValueError("lesion_labels given but lesions is empty; pass the Lesion list")
        jobs.append(("SEG", lambda: lesion_segmentation(
            lesion_labels, bto[0] if bto[0] is not None else _must(dm_proc[0], "SEG"),
            lesions, subject=subject)))
    if lesions:
        jobs.append(("SR", lambda: lesion_report(
            lesions, [d for d in (bto[0], dm_proc[0], dm_pres[0], bpx[0]) if d is not None]
            or _must(None, "SR"), subject=subject)))
    dx_proc = [None]
    if chest_raw is not None:
        _need("chest_exposure", chest_exposure)
        jobs.append(("DX_PROC", lambda: dx_proc.__setitem__(0, digital_xray_image(
            chest_raw, subject=subject, exposure=chest_exposure, for_presentation=False,
            series_number=30)) or dx_proc[0]))
    if chest_processed is not None:
        _need("chest_exposure", chest_exposure)
        jobs.append(("DX_PRES", lambda: digital_xray_image(
            chest_processed, subject=subject, exposure=chest_exposure, for_presentation=True,
            series_number=31, source_image=dx_proc[0])))
    if not jobs:
        raise ValueError("nothing to export: give at least one of dm_raw, dm_processed, "
                         "projections, volume, chest_raw, chest_processed")

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        written = []
        for name, build in tqdm(jobs, desc="dicom export", unit="object", disable=not progress):
            ds = build()
            path = tmp / f"{name}.dcm"
            ds.save_as(path, enforce_file_format=True)
            written.append(out / path.name)
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return written


def _need(name, value):
    if value is None:
        raise ValueError(f"{name} is required for the images given, got None")


def _must(ds, what):
    if ds is None:
        raise ValueError(f"{what} needs an image to refer to: give volume+grid or dm_raw")
    return ds
