""""For presentation" processing of a mammogram: log, peripheral equalisation, display LUT.

Clinical systems do not show the log signal as it is: the compressed breast thins towards its
edge, so a window that fits the central breast leaves the periphery black and the skin line
invisible, and a window wide enough for the periphery flattens the parenchyma. They equalise
the thickness fall-off first and then apply a non-linear display LUT. The steps here:

1. ``p = ln(flat / (raw - offset))``: the attenuation line integral (0 in air).
2. Breast mask: ``p`` above a small threshold, the largest connected region, holes filled.
   Steps 2-3 are worked out on 0.5 mm block means (the thickness varies over many mm) and the
   correction is interpolated back to the full pixel grid.
3. Peripheral (thickness) equalisation after Byng et al. (Radiology 203:564, 1997) and
   Snoeren & Karssemeijer (IEEE TMI 23:799, 2004): the fall-off of the smoothed signal with
   the distance ``d`` from the skin line is measured (median of the low-pass ``p`` in 0.5 mm
   bins of ``d``), smoothed and made monotone; the zone ends where its slope drops below a
   tenth of its largest value (the plateau where the breast touches both paddles), and the
   deficit against that level is added back, ``p_eq = p + max(P_int - P(d), 0)``. The correction depends only on ``d``, so texture and
   lesion contrast are kept.
4. Display LUT: the DICOM sigmoid VOI LUT function (PS3.3 C.11.2.1.3.1),
   ``y = y_max / (1 + exp(-4 (p_eq - c) / w))``, with the window centre ``c`` at the median of
   the equalised breast and width ``w`` its 1-99 percentile range. The sigmoid never clips:
   only values more than ``2.25 w`` from ``c`` round to 0 or ``y_max``, so pectoralis and skin
   line keep their detail. Air outside the mask is shown black (0).

Dense tissue is bright (MONOCHROME2), as on every mammography display.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

from ._detector import Detector, log_normalise

__all__ = ["air_level", "breast_mask", "skin_distance_mm", "equalise_periphery",
           "sigmoid_lut", "present", "for_presentation"]

#: Threshold on ``p`` above the air level for tissue (an attenuation of 5%; the quantum noise
#: of air at clinical exposure is under 1% per pixel).
_TISSUE_P = 0.05
#: Gaussian sigma (mm) of the low-pass signal whose fall-off is equalised (Byng 1997 smooth
#: the image before measuring the edge profile; the thickness varies over many mm).
_LOWPASS_MM = 2.0
#: Bin width (mm) of the distance profile.
_BIN_MM = 0.5
#: Pixel size (mm) at which the mask, distances and low-pass are worked out (block means);
#: the correction, a smooth function of distance, is interpolated back to full resolution.
_WORK_MM = 0.5


def _block_mean(img: np.ndarray, k: int) -> np.ndarray:
    if k == 1:
        return np.asarray(img, dtype=np.float64)
    ny, nx = img.shape
    py, px = (-ny) % k, (-nx) % k
    a = np.pad(np.asarray(img, dtype=np.float64), ((0, py), (0, px)), mode="edge")
    return a.reshape(a.shape[0] // k, k, a.shape[1] // k, k).mean(axis=(1, 3))


def _upsample(small: np.ndarray, k: int, shape) -> np.ndarray:
    """Bilinear upsampling of block means back onto the full pixel grid ``shape``."""
    if k == 1:
        return small[:shape[0], :shape[1]]
    ys = (np.arange(shape[0]) + 0.5) / k - 0.5
    xs = (np.arange(shape[1]) + 0.5) / k - 0.5
    return ndimage.map_coordinates(small, np.meshgrid(ys, xs, indexing="ij", sparse=False),
                                   order=1, mode="nearest")


def air_level(p: np.ndarray) -> float:
    """``p`` of the unattenuated background: the median of the lower half of the image's border
    pixels (the breast touches at most the chest-wall edge and part of another; the paddle and
    the flat-field fall-off make air differ from 0 by a few hundredths)."""
    border = np.concatenate([p[0], p[-1], p[:, 0], p[:, -1]])
    low = border[border <= np.median(border)]
    return float(np.median(low)) if low.size else 0.0


def breast_mask(p: np.ndarray, threshold: float | None = None) -> np.ndarray:
    """Largest connected region of ``p > threshold`` with its holes filled (bool).

    Default threshold: the air level (:func:`air_level`) plus 0.05.
    """
    if threshold is None:
        threshold = air_level(p) + _TISSUE_P
    m = ndimage.median_filter(p, size=3) > threshold
    lab, n = ndimage.label(m)
    if n == 0:
        return m
    sizes = ndimage.sum_labels(m, lab, index=np.arange(1, n + 1))
    return ndimage.binary_fill_holes(lab == (1 + int(np.argmax(sizes))))


def skin_distance_mm(mask: np.ndarray, pixel_mm: float) -> np.ndarray:
    """Distance (mm) of each breast pixel from the skin line (the mask's border with air).

    Where the breast leaves the image (the chest wall side) the mask is continued past the
    image edge, so the image border is not taken for a skin line.
    """
    pad = 64
    big = np.pad(mask, pad, mode="edge")
    d = ndimage.distance_transform_edt(big)[pad:-pad, pad:-pad]
    return d * pixel_mm


def equalise_periphery(p: np.ndarray, mask: np.ndarray, pixel_mm: float
                       ) -> tuple[np.ndarray, dict]:
    """Add back the thickness fall-off at the breast edge (see the module notes).

    Returns
    -------
    (p_eq, info) : equalised ``p`` (float64, unchanged outside the mask) and a dict with the
        interior level ``p_interior``, the equalised zone ``zone_mm`` and the largest
        correction ``max_correction``.
    """
    if not np.any(mask):
        return p.copy(), {"p_interior": 0.0, "zone_mm": 0.0, "max_correction": 0.0}
    d = skin_distance_mm(mask, pixel_mm)
    # Normalised convolution: the low-pass of p inside the mask only.
    s = _LOWPASS_MM / pixel_mm
    num = ndimage.gaussian_filter(np.where(mask, p, 0.0), s)
    den = ndimage.gaussian_filter(mask.astype(np.float64), s)
    low = np.divide(num, den, out=np.zeros_like(num), where=den > 1e-6)
    dm = d[mask]
    lm = low[mask]
    # Median of the low-pass signal in 0.5 mm bins of distance (bins with enough pixels).
    nb = int(dm.max() / _BIN_MM) + 1
    idx = (dm / _BIN_MM).astype(np.int64)
    order = np.argsort(idx, kind="stable")
    bounds = np.searchsorted(idx[order], np.arange(nb + 1))
    prof = np.full(nb, np.nan)
    for k in range(nb):
        seg = lm[order[bounds[k]:bounds[k + 1]]]
        if seg.size >= 50:
            prof[k] = np.median(seg)
    ok = np.isfinite(prof)
    centres = (np.arange(nb) + 0.5) * _BIN_MM
    if ok.sum() < 4:
        return p.copy(), {"p_interior": float(np.median(lm)), "zone_mm": 0.0,
                          "max_correction": 0.0}
    prof = np.interp(centres, centres[ok], prof[ok])
    # Smooth over 2 mm, make monotone (thickness grows inwards), and end the fall-off zone
    # where the slope has dropped below a tenth of its largest value (the plateau of the
    # compressed breast in contact with both paddles).
    k = max(1, int(round(2.0 / _BIN_MM)))
    prof = ndimage.uniform_filter1d(prof, 2 * k + 1, mode="nearest")
    prof = np.maximum.accumulate(prof)
    slope = np.gradient(prof, _BIN_MM)
    i_max = int(np.argmax(slope))
    flat = np.flatnonzero(slope[i_max:] < 0.1 * slope[i_max])
    i_sat = i_max + (int(flat[0]) if flat.size else len(slope) - 1 - i_max)
    p_int = float(prof[i_sat])
    d_int = float(centres[i_sat])
    corr = np.clip(p_int - np.interp(d, centres[:i_sat + 1], prof[:i_sat + 1]), 0.0, None)
    corr[~mask] = 0.0
    p_eq = p + corr
    return p_eq, {"p_interior": p_int, "zone_mm": d_int, "max_correction": float(corr.max())}


def sigmoid_lut(x, centre: float, width: float, bits: int = 12) -> np.ndarray:
    """DICOM SIGMOID VOI LUT function (PS3.3 C.11.2.1.3.1) onto ``[0, 2**bits - 1]`` (uint16)."""
    if not (math.isfinite(centre) and math.isfinite(width) and width > 0):
        raise ValueError(f"sigmoid window needs a finite centre and width > 0, got "
                         f"({centre!r}, {width!r})")
    top = 2 ** bits - 1
    y = top / (1.0 + np.exp(-4.0 * (np.asarray(x, dtype=np.float64) - centre) / width))
    return np.rint(y).astype(np.uint16)


def present(raw, offset_adu: float, flat_adu, pixel_mm: float, *, window=None, bits: int = 12,
            equalise: bool = True) -> tuple[np.ndarray, tuple[float, float]]:
    """Make the "for presentation" image of a raw mammogram.

    Parameters
    ----------
    raw : array ``[nv, nu]``, ADU
    offset_adu : float, ADU
    flat_adu : float or array ``[nv, nu]``, ADU above offset for an unattenuated pixel
    pixel_mm : float, mm
        Pixel pitch (of the image as given, binning included).
    window : (float, float), optional
        ``(low, high)`` in ``p`` (after equalisation): the sigmoid's centre is their mean and
        its width their difference. Default: the 1st and 99th percentiles of the breast.
    bits : int
        Output bits (12).
    equalise : bool
        Apply the peripheral equalisation.

    Returns
    -------
    (uint16 ``[nv, nu]``, (low, high))
    """
    if not (math.isfinite(pixel_mm) and pixel_mm > 0):
        raise ValueError(f"pixel_mm must be > 0, got {pixel_mm!r}")
    p = log_normalise(raw, offset_adu, flat_adu, dtype=np.float64)
    k = max(1, int(round(_WORK_MM / pixel_mm)))
    small = _block_mean(p, k)
    mask_s = breast_mask(small)
    # Full-resolution mask: tissue pixels of the (slightly dilated) low-resolution breast.
    near = np.repeat(np.repeat(ndimage.binary_dilation(mask_s, iterations=1), k, 0), k, 1)
    mask = (p > air_level(small) + _TISSUE_P) & near[:p.shape[0], :p.shape[1]]
    if mask.sum() < 100:  # no breast: a plain linear window of p (e.g. a flat field)
        lo, hi = np.percentile(p, [0.5, 99.5]) if window is None else window
        if hi - lo < 1e-6:
            hi = lo + 1.0
        top = 2 ** bits - 1
        out = np.clip(np.rint((p - lo) / (hi - lo) * top), 0, top).astype(np.uint16)
        return out, (float(lo), float(hi))
    if equalise:
        small_eq = equalise_periphery(small, mask_s, pixel_mm * k)[0]
        p_eq = p + np.where(mask, _upsample(small_eq - small, k, p.shape), 0.0)
    else:
        p_eq = p
    if window is None:
        lo, hi = np.percentile(p_eq[mask], [1.0, 99.0])
        if hi - lo < 1e-6:
            hi = lo + 1.0
        window = (float(lo), float(hi))
    lo, hi = window
    if not (math.isfinite(lo) and math.isfinite(hi) and hi > lo):
        raise ValueError(f"window must be (low, high) with high > low, got {window!r}")
    out = sigmoid_lut(p_eq, 0.5 * (lo + hi), hi - lo, bits)
    out[~mask] = 0
    return out, (float(lo), float(hi))


def for_presentation(raw, detector: Detector, flat_adu: float, *, window=None,
                     bits: int = 12, pixel_mm: float | None = None, equalise: bool = True
                     ) -> tuple[np.ndarray, tuple[float, float]]:
    """Process a raw image for display ("for presentation"): the steps above.

    ``p = ln(flat / (raw - offset))``, peripheral (thickness) equalisation, then the DICOM
    sigmoid display LUT onto ``[0, 2**bits - 1]``; dense tissue is bright (MONOCHROME2).

    Parameters
    ----------
    raw : uint16 array ``[nv, nu]``
    detector : Detector
    flat_adu : float or float array ``[nv, nu]``, ADU above offset
        Expected raw signal above offset for an unattenuated pixel (the flat field, which
        varies over the panel with the inverse square law and obliquity).
    window : (float, float), optional
        ``(p_low, p_high)`` of the sigmoid (centre and width); default the 1st and 99th
        percentiles of the equalised breast.
    bits : int
        Output bits (12).
    pixel_mm : float, mm, optional
        Pitch of ``raw`` (default the detector's native pitch; pass the binned pitch for a
        binned image).
    equalise : bool
        Apply the peripheral (thickness) equalisation of a compressed breast (mammography
        only: on an uncompressed body such as a chest it draws a dark line along the
        body's medial axis, where the distance from the skin has its ridge).

    Returns
    -------
    (uint16 array ``[nv, nu]``, (p_low, p_high))
    """
    return present(raw, detector.offset_adu, flat_adu,
                   detector.pitch_mm if pixel_mm is None else pixel_mm, window=window, bits=bits,
                   equalise=equalise)
