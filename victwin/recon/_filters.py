"""The FBP filter for tomosynthesis: ramp with a low-frequency floor, apodisation, slice thickness.

All three factors act along the detector axis parallel to the source motion (the only
direction in which the views differ); the perpendicular axis is left unfiltered, as in
DBT FBP (Mertelmeier et al. 2006, Proc SPIE 6142:61420F).

Units. The reconstruction divides every ray by its length through the grid and averages the
backprojections of the views (a *normalised* backprojection, see ``_analytic``); in those
units a simple backprojection has the in-plane transfer ``~1 / (2 alpha T |nu|)`` at object
frequencies ``|nu| >> nu_c = 1 / (2 alpha T)`` and ``~1`` below ``nu_c`` (``2 alpha`` the
angular range in radians, ``T`` the grid thickness in mm; central-slice theorem with a view
density of ``N / (2 alpha)`` per radian). The filter ``sqrt(dc**2 + (R(nu) / nu_c)**2)``, with
``R`` the band-limited discrete ramp (Ramachandran & Lakshminarayanan 1971), therefore gives
unit gain both to in-focus detail (the ramp part, as in FBP) and to structures wide compared
with ``T tan(alpha)`` (the floor ``dc``: it plays the part of the "spectral tilting" of
Mertelmeier et al., keeping the low frequencies a pure ramp removes in a limited-angle scan;
our form is derived from the transfer above, not copied from theirs).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.fft

__all__ = ["fbp_filter", "apply_filter", "WINDOWS"]

#: Apodisation windows accepted by :func:`fbp_filter`.
WINDOWS = ("hann", "butterworth", "none")


def _next_pow2(n: int) -> int:
    return 1 << max(0, int(n - 1).bit_length())


def padded_length(n: int) -> int:
    """FFT length for ``n`` detector samples: a power of two >= ``2 n - 1`` (no wrap-around)."""
    return max(2, _next_pow2(2 * n - 1))


def discrete_ramp(n_pad: int, pitch_mm: float) -> np.ndarray:
    """Frequency response (cycles/mm) of the band-limited ramp on ``n_pad`` samples.

    The spatial kernel is sampled (``h[0] = 1/(4 tau^2)``, ``h[odd] = -1/(pi n tau)^2``,
    ``h[even] = 0``; Kak & Slaney, *Principles of Computerized Tomographic Imaging*, eq. 3.61),
    which avoids the DC error of sampling ``|nu|`` directly. Returned for ``numpy.fft.rfftfreq``
    ordering, real, ``~|nu|``.
    """
    tau = float(pitch_mm)
    n = np.arange(n_pad)
    k = np.minimum(n, n_pad - n)  # circular distance
    h = np.zeros(n_pad)
    h[0] = 1.0 / (4.0 * tau * tau)
    odd = (k % 2) == 1
    h[odd] = -1.0 / (math.pi * k[odd] * tau) ** 2
    return np.abs(np.fft.rfft(h).real) * tau


def _window(nu: np.ndarray, nyquist: float, window: str, cutoff: float, order: int) -> np.ndarray:
    fc = cutoff * nyquist
    if window == "none":
        return np.ones_like(nu)
    if window == "hann":
        return np.where(nu < fc, 0.5 * (1.0 + np.cos(np.pi * nu / fc)), 0.0)
    return 1.0 / (1.0 + (nu / fc) ** (2 * order))


def fbp_filter(n_samples: int, pitch_mm: float, *, angular_range_deg: float,
               thickness_mm: float, magnification: float = 1.0, window: str = "hann",
               cutoff: float = 1.0, order: int = 4, dc: float = 1.0,
               slice_thickness_mm: float | None = 1.0) -> np.ndarray:
    """Frequency response of the DBT FBP filter along the scan direction.

    Parameters
    ----------
    n_samples : int
        Detector samples along the scan direction.
    pitch_mm : float, mm
        Detector pitch along the scan direction.
    angular_range_deg : float, degrees
        Effective angular range ``2 alpha`` covered by the views (``n/(n-1)`` x the arc).
    thickness_mm : float, mm
        Thickness ``T`` of the reconstruction grid (the normalisation length).
    magnification : float
        Source-to-detector over source-to-object distance at the grid's centre; converts
        detector frequencies to object frequencies.
    window : {"hann", "butterworth", "none"}
        Spectral apodisation of the ramp. Hann: ``0.5 (1 + cos(pi nu / nu_w))`` up to
        ``nu_w``; Butterworth: ``1 / (1 + (nu / nu_w)^(2 order))``.
    cutoff : float
        ``nu_w`` as a fraction of the detector Nyquist frequency ``1 / (2 pitch)``; > 0.
    order : int
        Butterworth order.
    dc : float
        Low-frequency floor (spectral tilt) in units of the normalised backprojection:
        1 keeps a uniform slab that fills the grid at its attenuation coefficient; 0 is a pure
        ramp (the mean along z is lost).
    slice_thickness_mm : float or None, mm
        Slice-thickness filter: a Hann low-pass along the scan direction reaching zero at the
        object frequency ``1 / (slice_thickness_mm tan(alpha))``, half gain where the depth
        resolution of a detail, ``1 / (2 nu tan(alpha))``, equals the slice thickness (so a
        detail is not thinner than the slices that sample it). ``None`` switches it off.

    Returns
    -------
    float64 array ``[padded_length(n_samples) // 2 + 1]``
        Gain per ``numpy.fft.rfftfreq`` bin.
    """
    n_pad = padded_length(n_samples)
    alpha = math.radians(angular_range_deg) / 2.0
    nu_det = np.fft.rfftfreq(n_pad, d=pitch_mm)
    nu_obj_ramp = discrete_ramp(n_pad, pitch_mm) * magnification
    nu_c = 1.0 / (2.0 * alpha * thickness_mm)
    gain = np.sqrt(dc * dc + (nu_obj_ramp / nu_c) ** 2)
    gain = gain * _window(nu_det, 0.5 / pitch_mm, window, cutoff, order)
    if slice_thickness_mm is not None:
        nu_st = 1.0 / (slice_thickness_mm * math.tan(alpha))
        nu_obj = nu_det * magnification
        gain = gain * np.where(nu_obj < nu_st, 0.5 * (1.0 + np.cos(np.pi * nu_obj / nu_st)), 0.0)
    return gain


def apply_filter(q, gain: np.ndarray, axis: int, xp=np):
    """Filter ``q`` along ``axis`` by the real response ``gain`` (zero padding, no wrap)."""
    n = q.shape[axis]
    n_pad = 2 * (len(gain) - 1)
    g = xp.asarray(gain, dtype=xp.float32 if q.dtype == np.float32 else xp.float64)
    # SciPy's FFT keeps float32 in single precision (NumPy's works in double); CuPy's own
    # FFT on the GPU.
    fft = scipy.fft if xp is np else xp.fft
    spec = fft.rfft(q, n=n_pad, axis=axis)
    shape = [1] * q.ndim
    shape[axis] = -1
    spec *= g.reshape(shape)
    out = fft.irfft(spec, n=n_pad, axis=axis)
    index = [slice(None)] * q.ndim
    index[axis] = slice(0, n)
    return xp.ascontiguousarray(out[tuple(index)], dtype=np.float32)
