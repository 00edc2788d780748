"""Write a whole simulated study (DM, DBT projections, BTO volume, chest DX, SEG, SR) at once."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from tqdm.auto import tqdm

from ._dx import digital_mammography_image, digital_xray_image, synthesized_mammogram
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
                 dm_breast_mask=None, projection_breast_mask=None, synthesized_2d=None,
                 progress: bool = False, overwrite: bool = False) -> list[Path]:
    """Write every object of one simulated case into ``out_dir`` (one file per instance).

    Any group of inputs may be left out; the objects written are:

    ===============  ===============================================  ===========================
    file             object                                           needs
    ===============  ===============================================  ===========================
    ``DM_PROC.dcm``  Digital Mammography X-Ray Image For Processing   dm_raw
    ``DM_PRES.dcm``  Digital Mammography X-Ray Image For Presentation dm_processed
    ``BPX.dcm``      Breast Projection X-Ray Image For Processing     projections, dbt_views
    ``BTO.dcm``      Breast Tomosynthesis Image                       volume, grid
    ``SYN2D.dcm``    Synthesized 2D (DM For Presentation, generated)  synthesized_2d, volume
    ``SEG.dcm``      Segmentation of the lesions on the BTO (else DM) lesion_labels, lesions
    ``SR.dcm``       Comprehensive 3D SR with the lesion centres      lesions
    ``DX_PROC.dcm``  Digital X-Ray Image For Processing (chest)       chest_raw
    ``DX_PRES.dcm``  Digital X-Ray Image For Presentation (chest)     chest_processed
    ===============  ===============================================  ===========================

    Every array is in victwin's orientation (breast frame, detector ``[y, x]`` with the chest
    wall at column 0); the writers flip and place them in patient coordinates for
    ``laterality`` and ``view`` (:func:`victwin.dicom.breast_to_patient`).
    ``dm_breast_mask`` / ``projection_breast_mask`` (the central projection) decide
    PartialView; without them it is decided from the images.

    The files are written to a temporary directory next to ``out_dir`` and moved into place
    only when all are written, so a failed export leaves no partial study. The directory and
    files are made readable by everyone (0755 / 0644), so a PACS import service running as
    another user can read them.

    Returns
    -------
    list of Path
        The files written, in the order above.
    """
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise FileExistsError(f"out_dir {str(out)!r} exists and is not empty "
                              f"(pass overwrite=True to replace it)")
    lesions = list(lesions)
    _need("dm_exposure", dm_exposure, dm_raw is not None or dm_processed is not None)
    _need("dbt_exposure", dbt_exposure, projections is not None or volume is not None)
    _need("dbt_views", dbt_views, projections is not None)
    _need("grid", grid, volume is not None)
    _need("chest_exposure", chest_exposure, chest_raw is not None or chest_processed is not None)
    if lesion_labels is not None and not lesions:
        raise ValueError("lesion_labels given but lesions is empty; pass the Lesion list")
    if lesion_labels is not None and volume is None and dm_raw is None:
        raise ValueError("lesion_labels need an image to refer to: give volume+grid or dm_raw")
    if synthesized_2d is not None and volume is None:
        raise ValueError("synthesized_2d needs the volume (and grid) it was computed from")
    names = [name for name, given in (
        ("DM_PROC", dm_raw), ("DM_PRES", dm_processed), ("BPX", projections),
        ("BTO", volume), ("SYN2D", synthesized_2d), ("SEG", lesion_labels), ("SR", lesions or None),
        ("DX_PROC", chest_raw), ("DX_PRES", chest_processed)) if given is not None]
    if not names or names == ["SR"]:
        raise ValueError("nothing to export: give at least one of dm_raw, dm_processed, "
                         "projections, volume, chest_raw, chest_processed")

    def build():
        """Yield (name, dataset) in dependency order: sources before what refers to them."""
        dm_proc = bpx = bto = dm_pres = dx_proc = None
        if dm_raw is not None:
            dm_proc = digital_mammography_image(
                dm_raw, subject=subject, exposure=dm_exposure, view=view,
                laterality=laterality, for_presentation=False, series_number=1,
                breast_mask=dm_breast_mask)
            yield "DM_PROC", dm_proc
        if dm_processed is not None:
            dm_pres = digital_mammography_image(
                dm_processed, subject=subject, exposure=dm_exposure, view=view,
                laterality=laterality, for_presentation=True, series_number=2,
                source_image=dm_proc)
            yield "DM_PRES", dm_pres
        if projections is not None:
            bpx = breast_projection_image(projections, dbt_views, subject=subject,
                                          exposure=dbt_exposure, view=view,
                                          laterality=laterality, series_number=20,
                                          breast_mask=projection_breast_mask)
            yield "BPX", bpx
        if volume is not None:
            angles = source_angles_deg(dbt_views) if dbt_views is not None else ()
            bto = breast_tomosynthesis_image(
                volume, grid, subject=subject, exposure=dbt_exposure, view=view,
                laterality=laterality, projection_angles_deg=angles,
                source_images=[bpx] if bpx is not None else (), series_number=10,
                reconstruction_algorithm=reconstruction_algorithm)
            yield "BTO", bto
            if synthesized_2d is not None:
                yield "SYN2D", synthesized_mammogram(
                    synthesized_2d, subject=subject, exposure=dbt_exposure, view=view,
                    laterality=laterality, source_volume=bto,
                    pixel_spacing_mm=grid.spacing[1:], series_number=11)
        if lesion_labels is not None:
            yield "SEG", lesion_segmentation(lesion_labels, bto if bto is not None else dm_proc,
                                             lesions, subject=subject)
        if lesions:
            evidence = [d for d in (bto, dm_proc, dm_pres, bpx) if d is not None]
            if not evidence:
                raise ValueError("lesions need a breast image to refer to: give volume+grid, "
                                 "dm_raw, dm_processed or projections")
            yield "SR", lesion_report(lesions, evidence, subject=subject)
        if chest_raw is not None:
            dx_proc = digital_xray_image(chest_raw, subject=subject, exposure=chest_exposure,
                                         for_presentation=False, series_number=30)
            yield "DX_PROC", dx_proc
        if chest_processed is not None:
            yield "DX_PRES", digital_xray_image(
                chest_processed, subject=subject, exposure=chest_exposure,
                for_presentation=True, series_number=31, source_image=dx_proc)

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        written = []
        for name, ds in tqdm(build(), total=len(names), desc="dicom export", unit="object",
                             disable=not progress):
            path = tmp / f"{name}.dcm"
            ds.save_as(path, enforce_file_format=True)
            written.append(out / path.name)
        # mkdtemp makes a 0700 directory; a PACS import service runs as another user.
        os.chmod(tmp, 0o755)
        for path in tmp.iterdir():
            os.chmod(path, 0o644)
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return written


def _need(name, value, required):
    if required and value is None:
        raise ValueError(f"{name} is required for the images given, got None")
