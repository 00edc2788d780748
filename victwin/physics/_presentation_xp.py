""""For presentation" processing with its full-resolution steps on the device (NumPy or CuPy).

:func:`present_xp` is :func:`victwin.physics._presentation.present` split by resolution: the
steps on every pixel (log normalisation, 0.5 mm block means, the tissue mask, the bilinear
upsampling of the edge correction, the percentile window and the sigmoid LUT) run on the
device of ``raw``; the steps on the 0.5 mm work image (breast mask by connected components and
hole filling, skin distance, edge profile; ~0.1 % of the pixels at 85 um) run on the CPU with
the same functions as ``present``, as SciPy's ndimage has no CuPy counterpart under numba's
simulator. Only the 0.5 mm images cross between them. Same output as ``present`` up to float
rounding (tested).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

from ._detector import SIGNAL_FLOOR_ADU
from ._device_stages import _bilinear_up, _block_mean
from ._presentation import _TISSUE_P, _WORK_MM, air_level, breast_mask, equalise_periphery

__all__ = ["present_xp"]


def _host(a):
    return a.get() if hasattr(a, "get") else np.asarray(a)


def present_xp(raw, offset_adu: float, flat_adu, pixel_mm: float, *, xp, bits: int = 12,
               equalise: bool = True):
    """:func:`victwin.physics._presentation.present` (``window=None``) on the device of ``xp``.

    Parameters
    ----------
    raw : array ``[nv, nu]`` of ``xp``, ADU
    offset_adu : float, ADU
    flat_adu : float array ``[nv, nu]`` of ``xp``, ADU above offset (finite, > 0)
    pixel_mm : float, mm
    xp : module
    bits : int
    equalise : bool

    Returns
    -------
    (uint16 array ``[nv, nu]`` of ``xp``, (low, high))
    """
    if not (math.isfinite(pixel_mm) and pixel_mm > 0):
        raise ValueError(f"pixel_mm must be > 0, got {pixel_mm!r}")
    signal = xp.maximum(raw.astype(xp.float64) - float(offset_adu), SIGNAL_FLOOR_ADU)
    p = -xp.log(signal / xp.asarray(flat_adu, dtype=xp.float64))
    k = max(1, int(round(_WORK_MM / pixel_mm)))
    small = _block_mean(p, k, xp) if k > 1 else p
    small_h = _host(small)
    mask_s = breast_mask(small_h)
    near = np.repeat(np.repeat(ndimage.binary_dilation(mask_s, iterations=1), k, 0), k, 1)
    mask = (p > air_level(small_h) + _TISSUE_P) & xp.asarray(near[:p.shape[0], :p.shape[1]])
    top = 2 ** bits - 1
    if int(mask.sum()) < 100:  # no breast: a plain linear window of p
        lo, hi = (float(v) for v in xp.percentile(p, xp.asarray([0.5, 99.5])))
        if hi - lo < 1e-6:
            hi = lo + 1.0
        out = xp.clip(xp.rint((p - lo) / (hi - lo) * top), 0, top).astype(xp.uint16)
        return out, (lo, hi)
    if equalise:
        small_eq = equalise_periphery(small_h, mask_s, pixel_mm * k)[0]
        up = _bilinear_up(xp.asarray(small_eq - small_h), k, p.shape, xp)
        p_eq = p + xp.where(mask, up, 0.0)
    else:
        p_eq = p
    lo, hi = (float(v) for v in xp.percentile(p_eq[mask], xp.asarray([1.0, 99.0])))
    if hi - lo < 1e-6:
        hi = lo + 1.0
    centre, width = 0.5 * (lo + hi), hi - lo
    out = xp.rint(top / (1.0 + xp.exp(-4.0 * (p_eq - centre) / width))).astype(xp.uint16)
    out[~mask] = 0
    return out, (lo, hi)
