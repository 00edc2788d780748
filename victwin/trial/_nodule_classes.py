"""Lung-nodule classes of a chest trial: size bands, rib overlap, and size-fitted readers.

**Size classes** (subgroup ``nodule_size``; the readers' classes with
``readers.per_size_class``): the Lung-RADS v1.1 size bands of a solid nodule at baseline,
< 6 mm (category 2), 6 to < 8 mm (3), 8 to < 15 mm (4A), >= 15 mm (4B) by mean diameter, or
by volume < 113, 113 to < 268, 268 to < 1767 and >= 1767 mm^3 (American College of Radiology,
Lung-RADS Version 1.1, 2019; reproduced in NCBI Bookshelf NBK568579, Appendix A, Table 2).
Those volumes are the spheres of 6, 8 and 15 mm, so classing a twin's nodule by its
volume-equivalent diameter (the lesion record's ``size_mm``) applies Lung-RADS' volume bands.
The twins' nodules are 4-30 mm (:data:`victwin.phantom.chest.nodules.SIZE_RANGE_MM`).

**Rib overlap** (subgroup ``rib_overlap``): the fraction of the nodule's projected disc over
bone in the first modality's view (:func:`victwin.phantom.chest.overlap.bone_overlap_fraction`),
recorded by the case stage. Observer studies class a nodule as over a rib (at its margins or
inside it) or between ribs (PubMed 16500060); the threshold :data:`RIB_OVERLAP_THRESHOLD`
(half the disc) puts a nodule in the class where most of it lies. It is a definition, not a
measured value: it does not depend on the nodule's size (a larger nodule more often touches a
rib, but is not more often mostly over one).

**Size-fitted readers** (``readers.per_size_class = true``): one channelized Hotelling
observer per size class, its Laguerre-Gauss width and its ROI scaled to the class:

* channel width ``a = 2/3`` of the nodule radius: the rule of the FDA's LCD-CT tool
  (DIDSR/LCD_CT ``src/LCD/functions/lg_cho_2d.m``: "suggest setting this parameter to be
  about 2/3 of the disk radius"; ``src/LCD/measure_LCD.m`` sets ``channel_width = 2/3 *
  insert_r`` for each insert size), with the same channel definition as ours (Gallas &
  Barrett 2003, ``exp(-pi r^2 / a^2)``); the radius is half the class's middle diameter;
* ROI side = 1.853 x the class's largest diameter: VICTRE read its 5 mm mass (VICTREMass.cfg,
  mean radius 2.5 mm) in 109 x 109 px ROIs at 85 um (VICTRE_PIPELINE
  ``Constants.DEFAULT_ROI``), 9.265 / 5 = 1.853; taken at the class's upper edge, every
  nodule of the class fits with at least VICTRE's margin.

Both are in detector-plane mm (ROI pixels), as VICTRE's ROI sizes are; the magnification at
a nodule (1800 mm SID: about 1.05-1.15) is not applied. The case stage cuts every ROI at
``readers.roi_mm``, which must hold the largest class's ROI; the analysis crops each class's
ROIs from it around the lesion's position.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SIZE_BAND_EDGES_MM", "NODULE_SIZE_CLASSES", "nodule_size_class", "size_class_range_mm",
           "RIB_OVERLAP_THRESHOLD", "RIB_OVERLAP_CLASSES", "rib_overlap_class",
           "LG_WIDTH_PER_RADIUS", "ROI_PER_DIAMETER", "size_class_reader",
           "largest_class_roi_mm", "class_roi_px", "nodule_rib_overlap", "crop_rois"]

#: Lung-RADS v1.1 size-band edges (mm): 6, 8, 15.
SIZE_BAND_EDGES_MM = (6.0, 8.0, 15.0)
#: Class labels, smallest first.
NODULE_SIZE_CLASSES = ("<6 mm", "6-8 mm", "8-15 mm", ">=15 mm")
#: Half the disc over bone: "over ribs"; less: "between ribs".
RIB_OVERLAP_THRESHOLD = 0.5
RIB_OVERLAP_CLASSES = ("between ribs (<50 %)", "over ribs (>=50 %)")
#: LCD-CT's channel width per lesion radius (DIDSR/LCD_CT measure_LCD.m: 2/3 * insert_r).
LG_WIDTH_PER_RADIUS = 2.0 / 3.0
#: VICTRE's ROI side per lesion diameter: 109 px x 0.085 mm / 5 mm.
ROI_PER_DIAMETER = 109 * 0.085 / 5.0


def nodule_size_class(diameter_mm: float) -> str:
    """The Lung-RADS v1.1 size band of a nodule of ``diameter_mm`` (lower edges inclusive)."""
    d = float(diameter_mm)
    if not np.isfinite(d) or d <= 0:
        raise ValueError(f"nodule diameter_mm must be a positive number, got {diameter_mm!r}")
    return NODULE_SIZE_CLASSES[int(np.searchsorted(SIZE_BAND_EDGES_MM, d, side="right"))]


def size_class_range_mm(label: str) -> tuple[float, float]:
    """``(lower, upper)`` diameter (mm) of a size class, cut to the twins' 4-30 mm nodules."""
    from victwin.phantom.chest.nodules import SIZE_RANGE_MM

    if label not in NODULE_SIZE_CLASSES:
        raise ValueError(f"unknown nodule size class {label!r} (valid: "
                         f"{', '.join(NODULE_SIZE_CLASSES)})")
    k = NODULE_SIZE_CLASSES.index(label)
    edges = (SIZE_RANGE_MM[0],) + SIZE_BAND_EDGES_MM + (SIZE_RANGE_MM[1],)
    return float(edges[k]), float(edges[k + 1])


def rib_overlap_class(fraction: float) -> str:
    """"between ribs" below :data:`RIB_OVERLAP_THRESHOLD` of the disc over bone, else "over"."""
    f = float(fraction)
    if not 0.0 <= f <= 1.0:
        raise ValueError(f"rib overlap fraction must be in [0, 1], got {fraction!r}")
    return RIB_OVERLAP_CLASSES[int(f >= RIB_OVERLAP_THRESHOLD)]


def size_class_reader(label: str) -> tuple[float, float]:
    """``(channel width mm, ROI side mm)`` of a size class's observer (module docstring)."""
    lo, hi = size_class_range_mm(label)
    width = LG_WIDTH_PER_RADIUS * 0.25 * (lo + hi)       # 2/3 of the middle radius
    return width, ROI_PER_DIAMETER * hi


def largest_class_roi_mm() -> float:
    """The ROI side (mm) the largest size class needs: ``readers.roi_mm`` must hold it."""
    return max(size_class_reader(c)[1] for c in NODULE_SIZE_CLASSES)


def class_roi_px(label: str, pixel_mm: float) -> int:
    """The side (pixels, odd) of a size class's ROI crop at ``pixel_mm`` (the analysis's crop;
    the chest sites keep every other nodule out of it)."""
    from victwin.readers import roi_shape

    return int(roi_shape("mass", modality="dm", pixel_mm=pixel_mm,
                         size_mm=size_class_reader(label)[1])[0])


def first_view(spec):
    """The first modality's (only) view at the spec's binning: rib overlap and the chest
    sites' projected separation are measured in it."""
    from victwin.systems import load

    return load(spec.modalities[0].system).views(spec.resolution.detector_binning)[0]


def nodule_rib_overlap(spec, phantom, lesion) -> float:
    """The case's nodule's fraction of projected disc over bone, in the first modality's
    (only) view at the spec's binning (the case stage records it)."""
    from victwin.phantom.chest.overlap import bone_overlap_fraction

    view = first_view(spec)
    return round(bone_overlap_fraction(phantom, view, lesion.center_mm,
                                       float(np.max(np.atleast_1d(lesion.size_mm)))), 6)


def crop_rois(rois, size_px: int, shifts=None) -> np.ndarray:
    """Square ``size_px`` crops of 2-D ROIs ``[n, N, N]`` around each lesion's position.

    ``shifts[k]`` is ROI ``k``'s recorded ``shift_px`` (how far its centre moved to stay on
    the detector, so the lesion is at ``N // 2 - shift``); the crop is centred there, moved
    the least to stay inside the ROI. ``size_px`` odd and at most ``N``.
    """
    X = np.asarray(rois)
    n_rows, n_cols = X.shape[-2:]
    n = int(size_px)
    if n < 1 or n % 2 == 0 or n > min(n_rows, n_cols):
        raise ValueError(f"size_px must be odd and at most the ROI's {min(n_rows, n_cols)} "
                         f"pixels, got {size_px!r}")
    out = np.empty(X.shape[:-2] + (n, n), dtype=X.dtype)
    h = n // 2
    for k in range(X.shape[0]):
        sj, si = (0, 0) if shifts is None or shifts[k] is None else shifts[k][-2:]
        j = int(np.clip(n_rows // 2 - sj, h, n_rows - 1 - h))
        i = int(np.clip(n_cols // 2 - si, h, n_cols - 1 - h))
        out[k] = X[k, j - h:j + h + 1, i - h:i + h + 1]
    return out
