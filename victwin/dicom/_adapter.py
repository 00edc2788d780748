"""Map the acquisition engine's :class:`victwin.acquisition.Acquisition` onto the DICOM writers."""

from __future__ import annotations

from ._params import Exposure
from ._study import export_study

__all__ = ["exposure_from_acquisition", "from_acquisition"]

_MATERIAL_SYMBOL = {"aluminum": "Al", "aluminium": "Al", "copper": "Cu", "rhodium": "Rh",
                    "molybdenum": "Mo", "silver": "Ag", "tungsten": "W", "beryllium": "Be"}
_DETECTOR_TYPE = {"direct": "DIRECT", "indirect": "SCINTILLATOR"}


def _added_filter(filters) -> tuple[str, float]:
    """The first added filter that is not the tube's beryllium window (DICOM records one)."""
    items = [(_MATERIAL_SYMBOL.get(str(m).lower(), str(m)), float(t)) for m, t in filters]
    for material, thickness in items:
        if material != "Be":
            return material, thickness
    return items[0] if items else ("Be", 0.0)


def exposure_from_acquisition(acq) -> Exposure:
    """The :class:`Exposure` DICOM records for an acquisition (whole sweep for DBT).

    kVp, anode, added filter, total mAs, HVL, SID, source-to-support distance
    (DistanceSourceToPatient), thickness, pixel spacing, binning and focal spot come from
    ``acq.technique``; entrance dose is the summed incident air kerma and organ dose the mean
    glandular dose (None where the engine has none, e.g. chest: OrganDose is then left out)
    from ``acq.dose``. The magnification DICOM records is SID / DistanceSourceToPatient
    (its definition), not the engine's mid-breast value.
    """
    e, d = acq.technique, acq.dose
    material, thickness = _added_filter(e.filters)
    kind = str(acq.detector.get("kind", "direct")).lower()
    return Exposure(kvp=e.kvp, exposure_mas=e.mas_total, anode=e.anode,
                    filter_material=material, filter_thickness_mm=thickness,
                    hvl_mm_al=e.hvl_mm_al, compressed_thickness_mm=e.compressed_thickness_mm,
                    sid_mm=e.sid_mm, source_to_patient_mm=min(e.source_to_breast_mm, e.sid_mm),
                    imager_pixel_spacing_mm=e.pixel_spacing_mm,
                    entrance_dose_mgy=d.entrance_air_kerma_mgy,
                    organ_dose_mgy=d.mgd_mgy,
                    detector_type=_DETECTOR_TYPE.get(kind, "DIRECT"),
                    focal_spot_mm=e.focal_spot_mm,
                    exposure_control="AUTOMATIC" if e.exposure_control == "AUTOMATIC"
                    else "MANUAL", grid=bool(e.grid),
                    detector_binning=int(getattr(e, "binning", 1) or 1))


def breast_masks(acq):
    """Breast mask ``[view, y, x]`` of each raw image: transmission below the threshold of
    :func:`victwin.dicom._partial.breast_mask_from_image`, against the acquisition's own
    open-field signal (``flat_adu``, above the detector offset). None without ``flat_adu``."""
    import numpy as np

    from ._partial import breast_mask_from_image

    flat = getattr(acq, "flat_adu", None)
    if flat is None:
        return None
    offset = float(acq.detector.get("offset_adu", 0.0))
    raw = np.asarray(acq.raw, dtype=np.float64) - offset
    return np.stack([breast_mask_from_image(raw[k], for_presentation=False, flat=flat[k])
                     for k in range(raw.shape[0])])


def from_acquisition(acquisitions, out_dir, *, subject, view: str = "CC",
                     laterality: str = "L", volume=None, grid=None, lesions=(),
                     lesion_labels=None, reconstruction_algorithm: str = "FBP",
                     synthesized_2d=None, progress: bool = False, overwrite: bool = False):
    """Export one or more acquisitions of a case (DM, DBT, chest) with :func:`export_study`.

    Parameters
    ----------
    acquisitions : Acquisition or sequence of Acquisition
        ``scan == "dm"``: raw/processed view 0 become the DM For Processing / For
        Presentation images; ``"dbt"``: the raw projections become the Breast Projection
        image (with the views' geometry); ``"radiography"``: the chest DX pair.
    out_dir, subject, view, laterality
    volume, grid : the DBT reconstruction and its Grid (Breast Tomosynthesis Image).
    lesions, lesion_labels : lesion truth (SR, and SEG on the BTO or DM).
    synthesized_2d : 2-D array, optional
        The synthesised 2D image of the volume (``SYN2D.dcm``).

    PartialView is decided from each breast acquisition's own open field (``flat_adu``):
    breast where the raw transmission is below 95 %.

    Returns
    -------
    list of Path
    """
    if not isinstance(acquisitions, (list, tuple)):
        acquisitions = [acquisitions]
    kwargs = {}
    for acq in acquisitions:
        scan = getattr(acq, "scan", None)
        exposure = exposure_from_acquisition(acq)
        masks = breast_masks(acq) if scan in ("dm", "dbt") else None
        if scan == "dm":
            kwargs.update(dm_exposure=exposure, dm_raw=acq.raw[0], dm_processed=acq.processed[0],
                          dm_breast_mask=None if masks is None else masks[0])
        elif scan == "dbt":
            kwargs.update(dbt_exposure=exposure, projections=acq.raw, dbt_views=acq.views,
                          projection_breast_mask=None if masks is None
                          else masks[len(masks) // 2])
        elif scan == "radiography":
            kwargs.update(chest_exposure=exposure, chest_raw=acq.raw[0],
                          chest_processed=acq.processed[0])
        else:
            raise ValueError(f"acquisition scan must be 'dm', 'dbt' or 'radiography', "
                             f"got {scan!r}")
    if volume is not None and "dbt_exposure" not in kwargs:
        raise ValueError("volume given without a DBT acquisition to describe it")
    return export_study(out_dir, subject=subject, view=view, laterality=laterality,
                        volume=volume, grid=grid, lesions=lesions, lesion_labels=lesion_labels,
                        reconstruction_algorithm=reconstruction_algorithm,
                        synthesized_2d=synthesized_2d, progress=progress,
                        overwrite=overwrite, **kwargs)
