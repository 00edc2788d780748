"""Scatter, detector and readout on the device of the arrays (NumPy or CuPy).

The same models as :func:`victwin.physics.scatter_image`, :func:`~victwin.physics.detect` and
:func:`~victwin.physics.digitize`, written against an array module ``xp`` so that a view's
images never leave the GPU between its path lengths and its 14-bit raw values:

* scatter: the same thickness-binned kernel superposition (kernels from
  :func:`~victwin.physics.scatter_kernel`), convolved by FFTs of ``xp`` (CuPy's cuFFT on the
  GPU) instead of ``scipy.signal.fftconvolve``, and interpolated back by the same bilinear
  rule as ``scipy.ndimage.map_coordinates(order=1, mode="nearest")``; equal to the CPU
  function to float64 rounding (tested);
* detector: the same compound Poisson, light spread, electronic noise and MC-GPU charge
  models, with the noise drawn by the counter-based generator (:mod:`._noise_kernels`)
  instead of a NumPy stream: the same statistics, other values (tested against the Poisson
  and Gaussian moments);
* readout: the same gain, offset, rounding and clipping.
"""

from __future__ import annotations

import math

import numpy as np

from . import _noise_kernels
from ._detector import Detector, mcgpu_charge_std_e
from ._scatter import (_BOONE_A, _BOONE_C, MAMMOGRAPHY_SCATTER, SCATTER_CELL_MM, ScatterModel,
                       _mirror_quadrant, _quadrant_xp, scatter_kernel)

__all__ = ["scatter_image_xp", "detect_xp", "digitize_xp"]


def _spr(model: ScatterModel, tissue_mm, xp):
    """``model.infinite_slab_spr`` without boolean indexing (same values)."""
    tau_cm = xp.maximum(tissue_mm, 0.0) / 10.0
    pos = tau_cm > 1e-3
    safe = xp.where(pos, tau_cm, 1.0)
    if model.kind == "boone2000":
        denom = _BOONE_A + _BOONE_C * safe ** -0.5
        val = xp.where(denom > 0, model.amplitude / xp.where(denom > 0, denom, 1.0), xp.inf)
    else:
        val = model.amplitude * safe ** model.exponent
    return xp.where(pos, xp.minimum(val, model.max_spr), 0.0)


def _block_mean(a, f: int, xp):
    nv, nu = a.shape
    pv, pu = (-nv) % f, (-nu) % f
    if pv or pu:
        a = xp.pad(a, ((0, pv), (0, pu)), mode="edge")
    return a.reshape(a.shape[0] // f, f, a.shape[1] // f, f).mean(axis=(1, 3))


def _scatter_kernel_xp(range_mm: float, pitch_mm: float, half_size: int, xp):
    """:func:`victwin.physics._scatter.scatter_kernel` computed on the device of ``xp`` (the
    same sub-sampled pixel integrals and exact central disc; equal to it to rounding). The
    CPU built it for every node of every view (2 ms each, 0.24 s of a lesion-local case on
    the GPU node, NOTES.md); NumPy keeps the CPU function's cached tables."""
    if xp is np:
        return scatter_kernel(range_mm, pitch_mm, half_size)
    return _mirror_quadrant(_quadrant_xp(float(range_mm), float(pitch_mm), int(half_size), xp),
                            xp)


def _fftconvolve_same(image, kernel, xp, fft_shape=None):
    """``scipy.signal.fftconvolve(image, kernel, mode="same")`` for an odd square kernel;
    ``fft_shape`` (at least image + kernel - 1 on each axis) pads further, so that kernels of
    several sizes share one FFT plan (CuPy caches plans by shape)."""
    s0 = image.shape[0] + kernel.shape[0] - 1
    s1 = image.shape[1] + kernel.shape[1] - 1
    if fft_shape is not None:
        if fft_shape[0] < s0 or fft_shape[1] < s1:
            raise ValueError(f"fft_shape {fft_shape} is smaller than the linear convolution "
                             f"({s0}, {s1})")
        s0, s1 = int(fft_shape[0]), int(fft_shape[1])
    spec = xp.fft.rfft2(image, s=(s0, s1)) * xp.fft.rfft2(kernel, s=(s0, s1))
    full = xp.fft.irfft2(spec, s=(s0, s1))
    h0, h1 = (kernel.shape[0] - 1) // 2, (kernel.shape[1] - 1) // 2
    return full[h0:h0 + image.shape[0], h1:h1 + image.shape[1]]


def _bilinear_up(small, f: int, shape, xp):
    """``map_coordinates(small, coarse-cell coordinates, order=1, mode="nearest")``."""
    def axis(n, m):
        c = xp.clip((xp.arange(n, dtype=xp.float64) + 0.5) / f - 0.5, 0.0, m - 1)
        i0 = xp.minimum(xp.floor(c).astype(xp.int64), max(m - 2, 0))
        return i0, xp.minimum(i0 + 1, m - 1), c - i0

    j0, j1, ty = axis(shape[0], small.shape[0])
    i0, i1, tx = axis(shape[1], small.shape[1])
    ty, tx = ty[:, None], tx[None, :]
    top = small[j0[:, None], i0[None, :]] * (1 - tx) + small[j0[:, None], i1[None, :]] * tx
    bot = small[j1[:, None], i0[None, :]] * (1 - tx) + small[j1[:, None], i1[None, :]] * tx
    return top * (1 - ty) + bot * ty


def scatter_image_xp(primary, tissue_mm, pitch_mm: float, *, xp,
                     model: ScatterModel = MAMMOGRAPHY_SCATTER, coarse_mm: float = SCATTER_CELL_MM,
                     n_kernels: int = 6):
    """:func:`victwin.physics.scatter_image` on the device of ``xp`` (float64 ``[nv, nu]``).

    Parameters as :func:`~victwin.physics.scatter_image` (without ``thickness_mm``);
    ``primary`` and ``tissue_mm`` are arrays of ``xp``.
    """
    primary = xp.asarray(primary, dtype=xp.float64)
    tissue_mm = xp.asarray(tissue_mm, dtype=xp.float64)
    if primary.ndim != 2 or primary.shape != tissue_mm.shape:
        raise ValueError(f"primary and tissue_mm must be 2-D arrays of one shape, got "
                         f"{primary.shape} and {tissue_mm.shape}")
    top = float(tissue_mm.max())
    if not top > 1e-3:
        return xp.zeros_like(primary)
    f = max(1, int(round(coarse_mm / pitch_mm)))
    cell = pitch_mm * f
    source = primary * _spr(model, tissue_mm, xp)
    nodes = np.linspace(0.0, top, n_kernels)
    pos = xp.clip(tissue_mm / top * (n_kernels - 1), 0, n_kernels - 1)
    lo = xp.minimum(pos.astype(xp.int64), n_kernels - 2)
    frac = pos - lo
    sc = None
    # one FFT shape for every node's kernel and every view of this image shape: the kernels'
    # half sizes are capped at the coarse image's larger side (below), so this shape holds
    # each linear convolution; without it each kernel size got its own cuFFT plan (378 plans,
    # 0.27 s, in one lesion-local case on the GPU node; NOTES.md)
    n0, n1 = -(-primary.shape[0] // f), -(-primary.shape[1] // f)
    cap = max(n0, n1)
    fft_shape = (n0 + 2 * cap, n1 + 2 * cap)
    for k in range(1, n_kernels):  # node 0 (no tissue) has A = 0
        w = xp.where(lo == k, 1.0 - frac, 0.0) + xp.where(lo == k - 1, frac, 0.0)
        if not bool((w > 0).any()):
            continue
        coarse = _block_mean(source * w, f, xp)
        lam = model.range_for(nodes[k])
        half = int(min(math.ceil(8.0 * lam / cell), max(coarse.shape)))
        term = _fftconvolve_same(coarse, _scatter_kernel_xp(lam, cell, half, xp), xp,
                                 fft_shape)
        sc = term if sc is None else sc + term
    return xp.maximum(_bilinear_up(sc, f, primary.shape, xp), 0.0)


def _light_spread(image, spread_mm: float, pitch_mm: float, xp):
    """``_detector._light_spread`` with the FFTs of ``xp``."""
    pad = int(min(max(image.shape), math.ceil(8 * spread_mm / pitch_mm) + 1))
    padded = xp.pad(image, pad, mode="reflect")
    fv = np.fft.fftfreq(padded.shape[0], d=pitch_mm)
    fu = np.fft.rfftfreq(padded.shape[1], d=pitch_mm)
    mtf = 1.0 / (1.0 + (2 * math.pi * spread_mm) ** 2 * (fv[:, None] ** 2 + fu[None, :] ** 2))
    out = xp.fft.irfft2(xp.fft.rfft2(padded) * xp.asarray(mtf), s=padded.shape)
    return out[pad:pad + image.shape[0], pad:pad + image.shape[1]]


def _compound_poisson(e1, e2, swank, key, backend, xp):
    ok = (e1 > 0) & (e2 > 0)
    q = xp.where(ok, swank * e1 * e1 / xp.where(ok, e2, 1.0), 0.0)
    per_quantum = xp.where(q > 0, e1 / xp.where(q > 0, q, 1.0), 0.0)
    return _noise_kernels.poisson(q, key, backend=backend, xp=xp) * per_quantum


def detect_xp(energy_kev, energy2_kev2, detector: Detector, key, *, xp, backend: str,
              binning: int = 1, primary_kev=None):
    """:func:`victwin.physics.detect` on the device of ``xp`` with counter-based noise.

    Parameters
    ----------
    energy_kev, energy2_kev2 : float arrays ``[nv, nu]`` of ``xp``, keV and keV^2
    detector : Detector
    key : (int, int) or None
        Noise key (:func:`victwin.physics._noise_kernels.noise_key`); None: expected values.
    xp : module
    backend : {"cpu", "cuda"}
        Build of the noise kernels.
    binning : int
    primary_kev : float array ``[nv, nu]`` of ``xp``, optional
        Expected primary part (``"mcgpu"`` model).

    Returns
    -------
    float64 array ``[nv, nu]`` of ``xp``, electrons (as :func:`~victwin.physics.detect`).
    """
    e1 = xp.asarray(energy_kev, dtype=xp.float64)
    e2 = xp.asarray(energy2_kev2, dtype=xp.float64)
    k2 = binning * binning
    per_e = 1000.0 / detector.energy_per_electron_ev
    if detector.noise_model == "mcgpu":
        en = detector.electronic_noise_e
        if key is None:
            return e1 * per_e + k2 * en
        mean = _compound_poisson(e1, e2, 1.0, key, backend, xp) * per_e
        if primary_kev is None:
            frac = xp.ones_like(e1)
        else:
            p = xp.asarray(primary_kev, dtype=xp.float64)
            frac = xp.where(e1 > 0, p / xp.where(e1 > 0, e1, 1.0), 1.0)
        m_p, m_s = mean * frac / k2, mean * (1.0 - frac) / k2
        var = k2 * (mcgpu_charge_std_e(m_p, detector, xp=xp) ** 2
                    + mcgpu_charge_std_e(m_s, detector, electronic=False, xp=xp) ** 2)
        charge = _noise_kernels.normal(mean + k2 * en, xp.sqrt(var), key, backend=backend,
                                       xp=xp)
        return xp.rint(xp.maximum(charge, 0.0))
    absorbed = e1 if key is None else _compound_poisson(e1, e2, detector.swank, key,
                                                        backend, xp)
    if detector.kind == "indirect" and detector.light_spread_mm > 0:
        absorbed = _light_spread(absorbed, detector.light_spread_mm,
                                 detector.pitch_mm * binning, xp)
    electrons = absorbed * per_e
    if key is not None and detector.electronic_noise_e > 0:
        electrons = _noise_kernels.normal(electrons, detector.electronic_noise_e * binning,
                                          key, backend=backend, xp=xp)
    return electrons


def digitize_xp(electrons, detector: Detector, *, xp, binning: int = 1):
    """:func:`victwin.physics.digitize` on the device of ``xp`` (uint16)."""
    gain = detector.gain_adu_per_e / binning ** 2
    if detector.noise_model == "mcgpu":
        electrons = electrons - binning ** 2 * detector.electronic_noise_e
    adu = xp.rint(detector.offset_adu + gain * electrons)
    return xp.clip(adu, 0, detector.max_adu).astype(xp.uint16)
