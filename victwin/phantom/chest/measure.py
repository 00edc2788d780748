"""Anatomy measured on a built chest twin, for the anatomy table and the tests.

Every measurement reads the labels (or a projection of them), not the numbers the builder
drew, so it checks the builder:

* :func:`lung_volume_ml`: lung voxels with the vessels and airways inside them (holes of
  each axial slice of the lung mask filled) - compare with the ERS 1993 TLC;
* :func:`cardiothoracic_ratio`: the heart's largest transverse extent in the PA projection
  over the largest distance between the lung fields' lateral edges (Danzer 1919);
* :func:`posterior_rib_crossings`: rib crossings along a vertical line through the posterior
  rib cage (count and spacing), and how many lie above the right dome
  (:func:`ribs_above_right_dome`; 9-11 on a full-inspiration film, Felson 1973);
* :func:`lung_nps_exponent`: the power-law exponent of the radial noise power spectrum of
  lung-field ROIs of a PA image.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

__all__ = ["lung_volume_ml", "cardiothoracic_ratio", "posterior_rib_crossings",
           "ribs_above_right_dome", "lung_nps_exponent", "labels_of"]


def labels_of(phantom, *materials) -> list:
    return [k for k, m in phantom.materials.items() if m in materials]


def _lung_mask(phantom):
    return np.isin(phantom.labels, labels_of(phantom, "lung"))


def lung_volume_ml(phantom) -> float:
    """Volume (mL) of both lungs, intrapulmonary vessels and airways included."""
    lung = _lung_mask(phantom)
    n = 0
    for j in range(lung.shape[1]):
        n += int(np.count_nonzero(ndimage.binary_fill_holes(lung[:, j, :])))
    return n * float(np.prod(phantom.grid.spacing)) / 1000.0


def _lung_fields(phantom, anterior: bool = False):
    """PA lung-field mask ``[y, x]``: columns with >= 20 mm of lung along the ray (``anterior``:
    counting only the lung in front of the vertebral bodies, where the heart's borders meet
    the lung and make its silhouette)."""
    lung = _lung_mask(phantom)
    if anterior:
        zd = phantom.grid.axis_mm("z") - phantom.meta["zc_mm"]
        lung = lung[zd < phantom.meta["cavity"]["spine_front"]]
    thick = lung.sum(axis=0) * phantom.grid.spacing[0]
    return thick >= (5.0 if anterior else 20.0)


def cardiothoracic_ratio(phantom) -> tuple[float, float, float]:
    """(CTR, cardiac diameter mm, thoracic diameter mm): the heart's (myocardium and chambers
    labels) largest transverse extent in the PA projection over the largest distance between
    the lateral edges of the lung fields (Danzer 1919)."""
    fields = _lung_fields(phantom)
    x = phantom.grid.axis_mm("x")
    heart_labels = [k for k, v in phantom.meta["label_names"].items()
                    if v in ("myocardium", "heart chambers")]
    heart = np.isin(phantom.labels, [int(k) for k in heart_labels]).any(axis=(0, 1))
    cols = np.flatnonzero(heart)
    heart_mm = float(x[cols[-1]] - x[cols[0]] + phantom.grid.spacing[2])
    thorax_mm = 0.0
    for j in np.flatnonzero(fields.any(axis=1)):
        c = np.flatnonzero(fields[j])
        thorax_mm = max(thorax_mm, float(x[c[-1]] - x[c[0]] + phantom.grid.spacing[2]))
    return heart_mm / thorax_mm, heart_mm, thorax_mm


def posterior_rib_crossings(phantom, side: int = -1) -> np.ndarray:
    """y (mm) of the rib crossings along a vertical band at ``x = side * 0.4 a0`` (+-12 mm)
    through the posterior half of the body (peaks of the bone profile along y)."""
    cav = phantom.meta["cavity"]
    g = phantom.grid
    x = g.axis_mm("x")
    band = np.abs(x - side * 0.4 * cav["a0"]) <= 12.0      # a 24 mm wide band of columns
    zd = g.axis_mm("z") - phantom.meta["zc_mm"]
    post = zd > 0
    bone = np.isin(phantom.labels[post][:, :, band], labels_of(phantom, "bone")).sum(axis=(0, 2))
    # a rib's cross-section is a cortical ring around marrow: smooth the bone profile along y
    # by 3 mm and take one peak per rib (ribs lie >= 12 mm apart, centre to centre)
    from scipy.signal import find_peaks

    dy = g.spacing[1]
    prof = ndimage.gaussian_filter1d(bone.astype(float), 3.0 / dy)
    peaks, _ = find_peaks(prof, distance=max(1, int(12.0 / dy)), height=0.15 * prof.max())
    y = g.axis_mm("y")
    centres = y[peaks]
    # rib crossings within the lung span (the clavicle and lumbar processes lie outside)
    lo, hi = cav["y_apex"] - 40.0, cav["y_apex"] + cav["height"] + 40.0
    return centres[(centres > lo) & (centres < hi)]


def ribs_above_right_dome(phantom) -> tuple[int, float]:
    """(number of posterior rib crossings above the right dome's top, dome top y in mm)."""
    cav = phantom.meta["cavity"]
    g = phantom.grid
    lung = _lung_mask(phantom)
    x = g.axis_mm("x")
    band = np.abs(x + 0.45 * cav["a0"]) <= 10.0
    col = lung[:, :, band].any(axis=(0, 2))
    ys = g.axis_mm("y")[col]
    # the dome top: the lowest lung level under the dome's centre in the anterior half
    zd = g.axis_mm("z") - phantom.meta["zc_mm"]
    ant = lung[(zd > -0.6 * cav["b0"]) & (zd < 0.0)][:, :, band].any(axis=(0, 2))
    dome_y = float(g.axis_mm("y")[ant][-1]) if ant.any() else float(ys[-1])
    crossings = posterior_rib_crossings(phantom, side=-1)
    return int(np.count_nonzero(crossings < dome_y)), dome_y


def lung_nps_exponent(image, pixel_mm: float, centres_px, roi_px: int = 128,
                      f_range=(0.05, 0.5)) -> tuple[float, np.ndarray, np.ndarray]:
    """Power-law exponent beta of the radial NPS, ``P(f) ~ f^-beta``, of square ROIs.

    Each ROI is detrended (least-squares plane), Hann-windowed and Fourier transformed; the
    periodograms are averaged, radially binned, and ``log P`` is fitted against ``log f`` over
    ``f_range`` (cycles/mm). Returns (beta, f, P).
    """
    img = np.asarray(image, np.float64)
    h = roi_px // 2
    yy, xx = np.mgrid[0:roi_px, 0:roi_px]
    A = np.column_stack([np.ones(roi_px * roi_px), yy.ravel(), xx.ravel()])
    win = np.outer(np.hanning(roi_px), np.hanning(roi_px))
    acc = np.zeros((roi_px, roi_px))
    n = 0
    for cy, cx in centres_px:
        roi = img[cy - h:cy + h, cx - h:cx + h]
        if roi.shape != (roi_px, roi_px):
            continue
        coef, *_ = np.linalg.lstsq(A, roi.ravel(), rcond=None)
        r = (roi.ravel() - A @ coef).reshape(roi.shape) * win
        acc += np.abs(np.fft.fft2(r)) ** 2
        n += 1
    if n == 0:
        raise ValueError("no ROI fits inside the image")
    ps = np.fft.fftshift(acc / n) * pixel_mm ** 2 / (roi_px * roi_px)
    f = np.fft.fftshift(np.fft.fftfreq(roi_px, d=pixel_mm))
    fr = np.hypot(*np.meshgrid(f, f, indexing="ij"))
    edges = np.linspace(0, fr.max(), roi_px // 2)
    idx = np.digitize(fr.ravel(), edges)
    fb = np.array([fr.ravel()[idx == k].mean() for k in range(1, len(edges))])
    pb = np.array([ps.ravel()[idx == k].mean() for k in range(1, len(edges))])
    m = (fb >= f_range[0]) & (fb <= f_range[1]) & (pb > 0)
    slope, _ = np.polyfit(np.log(fb[m]), np.log(pb[m]), 1)
    return float(-slope), fb, pb
