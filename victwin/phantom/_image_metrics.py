"""Measures of how a mammogram's anatomy looks: NPS power-law exponent and straight-line energy.

* :func:`nps_beta`: the anatomical noise power spectrum of the log image ``p`` is a power law
  ``NPS(f) = K / f**beta`` (Burgess, Jacobson & Judy, Med. Phys. 28:419, 2001: beta about
  2.8 for mammograms; Li, Giger et al., J. Digit. Imaging 21:145, 2008: mean beta 2.47 +- 0.20
  and 2.92 +- 0.28 in two groups of clinical CC mammograms). Measured as those papers do:
  square ROIs inside the breast, a plane subtracted from each, a Hann window, the averaged
  periodogram, radially binned, and a straight-line fit of ``log NPS`` against ``log f`` over
  a band of frequencies.
* :func:`line_energy_ratio`: a straight line (a planar ligament seen edge-on) makes a peak in
  the Radon transform far above what a texture with the same power spectrum gives. The ratio
  compares the largest Radon peak of the high-passed ROI (in units of each angle's standard
  deviation) with that of phase-randomised surrogates, which keep the power spectrum exactly
  and destroy straight structures; about 1 means "no more straight lines than chance".
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

__all__ = ["roi_corners", "breast_interior", "nps_beta", "power_law_fit", "line_energy_ratio"]


def roi_corners(mask: np.ndarray, roi_px: int, stride_px: int | None = None) -> list:
    """Top-left corners ``(row, col)`` of ``roi_px`` squares lying wholly inside ``mask``."""
    stride = stride_px or roi_px // 2
    inside = ndimage.binary_erosion(mask, iterations=1) if mask.any() else mask
    # Summed-area table: a square is inside when all its pixels are.
    sat = np.pad(inside.astype(np.int64), ((1, 0), (1, 0))).cumsum(0).cumsum(1)
    out = []
    for r in range(0, mask.shape[0] - roi_px + 1, stride):
        for c in range(0, mask.shape[1] - roi_px + 1, stride):
            s = sat[r + roi_px, c + roi_px] - sat[r, c + roi_px] - sat[r + roi_px, c] + sat[r, c]
            if s == roi_px * roi_px:
                out.append((r, c))
    return out


def breast_interior(mask: np.ndarray, distance_mm: np.ndarray, pixel_mm: float, *,
                    skin_mm: float = 10.0, chest_mm: float = 15.0) -> np.ndarray:
    """Where background ROIs go: more than ``skin_mm`` inside the skin line and more than
    ``chest_mm`` from the chest-wall edge (the image edge the breast touches most, where the
    pectoralis lies)."""
    out = mask & (distance_mm > skin_mm)
    edges = [mask[:, 0].sum(), mask[:, -1].sum(), mask[0].sum(), mask[-1].sum()]
    k = int(round(chest_mm / pixel_mm))
    side = int(np.argmax(edges))
    if side == 0:
        out[:, :k] = False
    elif side == 1:
        out[:, -k:] = False
    elif side == 2:
        out[:k] = False
    else:
        out[-k:] = False
    return out


def _detrend(roi):
    n0, n1 = roi.shape
    y, x = np.mgrid[0:n0, 0:n1]
    A = np.stack([np.ones(roi.size), x.ravel(), y.ravel()], axis=1)
    coef, *_ = np.linalg.lstsq(A, roi.ravel(), rcond=None)
    return roi - (A @ coef).reshape(roi.shape)


def nps_beta(image: np.ndarray, mask: np.ndarray, pixel_mm: float, *, roi_px: int = 256,
             band=(0.1, 1.0), max_rois: int | None = None) -> dict:
    """Power-law exponent of the NPS of ``image`` over ROIs inside ``mask``.

    Parameters
    ----------
    image : float array ``[ny, nx]`` (the log signal ``p`` of a mammogram)
    mask : bool array, where ROIs may lie
    pixel_mm : float, mm
    roi_px : int
        ROI edge in pixels.
    band : (float, float), cycles/mm
        Frequencies fitted.
    max_rois : int, optional
        Use at most this many ROIs, evenly spread over the candidates.

    Returns
    -------
    dict with ``beta``, ``n_rois``, ``f`` (cycles/mm) and ``nps`` (radial average, mm^2 units
    of ``image``^2).

    Raises
    ------
    ValueError
        When no ROI fits in the mask.
    """
    corners = roi_corners(mask, roi_px)
    if not corners:
        raise ValueError(f"no {roi_px}-pixel ROI fits inside the mask")
    if max_rois is not None and len(corners) > max_rois:
        pick = np.linspace(0, len(corners) - 1, max_rois).round().astype(int)
        corners = [corners[i] for i in pick]
    w = np.hanning(roi_px)
    w2 = np.outer(w, w)
    acc = np.zeros((roi_px, roi_px))
    for r, c in corners:
        roi = _detrend(np.asarray(image[r:r + roi_px, c:c + roi_px], dtype=np.float64))
        acc += np.abs(np.fft.fft2(roi * w2)) ** 2
    nps = acc / len(corners) * pixel_mm ** 2 / np.sum(w2 ** 2)
    f = np.fft.fftfreq(roi_px, pixel_mm)
    fr = np.hypot(f[:, None], f[None, :])
    beta, fc, pc = power_law_fit(fr, nps, band)
    return {"beta": beta, "n_rois": len(corners), "f": fc, "nps": pc}


def power_law_fit(freq, power, band) -> tuple:
    """``(beta, f, p)``: the power-law exponent of a 2-D spectrum ``power`` at radial
    frequencies ``freq`` (cycles/mm), from a log-log line through its means in 15
    log-spaced bins over ``band`` (cycles/mm); ``f``, ``p`` are the bins' means."""
    edges = np.geomspace(band[0], band[1], 16)
    fc, pc = [], []
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = (freq >= lo) & (freq < hi)
        if m.any():
            fc.append(freq[m].mean())
            pc.append(power[m].mean())
    fc, pc = np.array(fc), np.array(pc)
    slope = np.polyfit(np.log(fc), np.log(pc), 1)[0]
    return float(-slope), fc, pc


def _radon_peak(img, theta):
    import warnings

    from skimage.transform import radon

    n = img.shape[0]
    yy, xx = np.mgrid[0:n, 0:n]
    disk = (xx - (n - 1) / 2) ** 2 + (yy - (n - 1) / 2) ** 2 <= ((n - 1) / 2) ** 2
    with warnings.catch_warnings():  # skimage's float tolerance check at the circle's rim
        warnings.simplefilter("ignore", UserWarning)
        sino = radon(np.where(disk, img, 0.0), theta=theta, circle=True)
    # Each angle's profile in units of its own spread; chords near the rim are short, so keep
    # the central 70% of offsets where every chord is long.
    k = int(0.15 * sino.shape[0])
    core = sino[k:-k]
    z = (core - core.mean(axis=0)) / core.std(axis=0)
    return float(np.abs(z).max())


def line_energy_ratio(image: np.ndarray, pixel_mm: float, *, highpass_mm: float = 0.3,
                      surrogates: int = 4, seed: int = 0, n_angles: int = 180) -> float:
    """Radon peak of a square ROI over the mean Radon peak of phase-randomised surrogates.

    Parameters
    ----------
    image : float array ``[n, n]``
        A square ROI of the log image inside the breast.
    pixel_mm : float, mm
    highpass_mm : float, mm
        Sigma of the Gaussian whose low-pass is subtracted first: 0.3 mm keeps lines of the
        width of a ligament seen edge-on (0.1-0.3 mm) and takes out the parenchyma's bulk.
    surrogates : int
        Number of phase-randomised copies (same amplitude spectrum, uniform random phases).
    seed : int
        Seed of the surrogate phases.
    n_angles : int
        Projection angles over 180 degrees.
    """
    img = np.asarray(image, dtype=np.float64)
    if img.ndim != 2 or img.shape[0] != img.shape[1]:
        raise ValueError(f"image must be a square 2-D ROI, got shape {img.shape}")
    img = img - ndimage.gaussian_filter(img, highpass_mm / pixel_mm)
    img -= img.mean()
    theta = np.linspace(0.0, 180.0, n_angles, endpoint=False)
    peak = _radon_peak(img, theta)
    rng = np.random.default_rng(seed)
    amp = np.abs(np.fft.rfft2(img))
    ref = []
    for _ in range(surrogates):
        phase = np.exp(2j * np.pi * rng.random(amp.shape))
        ref.append(_radon_peak(np.fft.irfft2(amp * phase, s=img.shape), theta))
    return peak / float(np.mean(ref))
