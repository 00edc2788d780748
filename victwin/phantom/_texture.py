"""Gaussian random fields with a power-law spectrum, for glandular texture.

Mammographic texture has a power spectrum ``P(f) ~ f**-beta`` with ``beta`` about 3 (Burgess,
Jacobson & Judy, Med. Phys. 28:419, 2001; Heine & Velthuizen, Med. Phys. 29:647, 2002). For a
3-D field whose spectral density is ``S(f) = |f|**-beta`` the projection along one axis has the
2-D spectrum ``S(fx, fy, 0)``, i.e. the same exponent, so a 3-D field with exponent ``beta``
gives projections with exponent ``beta`` (before thresholding into tissue classes).

The field is built at two scales so that a 0.05-0.1 mm phantom never needs a full-size FFT:
a coarse field (1 mm spacing, frequencies up to ``split``) and a small periodic tile (0.25 mm
spacing, frequencies above ``split``), each shaped by the same spectral density, so their sum
has one continuous power law. All spacings are in mm and independent of the phantom voxel, so
the same seed gives the same anatomy at any voxel size.
"""

from __future__ import annotations

import numpy as np
import scipy.fft as sfft

__all__ = ["power_law_field", "TextureFields"]


def power_law_field(shape, spacing_mm: float, beta: float, rng: np.random.Generator, *,
                    f_low: float = 0.0, f_high: float = np.inf) -> np.ndarray:
    """A zero-mean Gaussian field with spectral density ``|f|**-beta`` in a frequency band.

    Parameters
    ----------
    shape : (n0, n1, n2) ints
        Grid size; the field is periodic over it.
    spacing_mm : float, mm
        Grid spacing (the same along every axis).
    beta : float
        Power-law exponent of the 3-D spectral density.
    rng : numpy.random.Generator
        Source of the white noise.
    f_low, f_high : float, cycles/mm
        Band kept: ``f_low < |f| <= f_high``.

    Returns
    -------
    float32 ndarray of ``shape``
        Field whose variance is the integral of ``|f|**-beta`` over the band (absolute scale,
        so fields from different grids with the same ``beta`` add up to one spectrum).
    """
    shape = tuple(int(n) for n in shape)
    white = rng.standard_normal(shape, dtype=np.float32)
    spec = sfft.rfftn(white, workers=-1)  # float32 in -> complex64 out
    f2 = np.zeros(spec.shape, dtype=np.float32)
    for axis, n in enumerate(shape):
        f = (np.fft.rfftfreq(n, spacing_mm) if axis == len(shape) - 1
             else np.fft.fftfreq(n, spacing_mm)).astype(np.float32)
        sl = [None] * len(shape)
        sl[axis] = slice(None)
        f2 = f2 + f[tuple(sl)] ** 2
    f = np.sqrt(f2)
    band = (f > f_low) & (f <= f_high)
    amp = np.zeros_like(f)
    # Amplitude sqrt(S / dx^3) makes the sample variance equal the band integral of S.
    amp[band] = f[band] ** (-beta / 2.0) / np.float32(spacing_mm ** 1.5)
    spec *= amp
    return sfft.irfftn(spec, s=shape, axes=tuple(range(len(shape))), workers=-1).astype(np.float32)


class TextureFields:
    """A coarse grid field plus a fine periodic tile, sampled by the voxel kernels.

    Parameters
    ----------
    lower_mm : (x, y, z) floats, mm
        Corner of the coarse grid (uncompressed breast frame).
    size_mm : (x, y, z) floats, mm
        Extent to cover.
    beta : float
        Spectral exponent.
    rng : numpy.random.Generator
    coarse_mm, fine_mm : float, mm
        Spacings of the coarse grid and of the tile; ``split`` = 0.4 / coarse_mm cycles/mm.
    tile : int
        Tile edge in samples.
    """

    def __init__(self, lower_mm, size_mm, beta: float, rng: np.random.Generator, *,
                 coarse_mm: float = 1.0, fine_mm: float = 0.25, tile: int = 96,
                 f_min: float = 1.0 / 64.0):
        self.lower_mm = np.asarray(lower_mm, dtype=np.float64)
        n = np.ceil(np.asarray(size_mm, dtype=float) / coarse_mm).astype(int) + 2
        n = np.array([sfft.next_fast_len(int(v), real=True) for v in n])
        split = 0.4 / coarse_mm
        # Array order [z, y, x] for both fields.
        coarse = power_law_field(tuple(n[::-1]), coarse_mm, beta, rng, f_low=f_min, f_high=split)
        fine = power_law_field((tile, tile, tile), fine_mm, beta, rng, f_low=split,
                               f_high=1.5)
        scale = np.float32(1.0 / np.sqrt(coarse.var(dtype=np.float64) + fine.var(dtype=np.float64)))
        self.coarse = np.ascontiguousarray(coarse * scale)
        self.fine = np.ascontiguousarray(fine * scale)
        self.coarse_mm = float(coarse_mm)
        self.fine_mm = float(fine_mm)
