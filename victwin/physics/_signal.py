"""Polyenergetic primary signal from per-material path lengths.

For each pixel with path lengths ``L_m`` (mm) through materials ``m`` the primary photons of
energy ``E`` reach the detector with probability ``T(E) = exp(-sum_m mu_m(E) L_m)`` (Beer-Lambert).
With ``N`` incident photons per pixel, photon fractions ``p(E)`` and detector absorption
efficiency ``eta(E)`` the expected detected quanta, absorbed energy and its second moment are::

    Q  = N sum_E p(E) eta(E) T(E)
    S1 = N sum_E p(E) eta(E) E T(E)        (keV)
    S2 = N sum_E p(E) eta(E) E^2 T(E)      (keV^2)

``S2 / S1`` and ``S1^2 / (Q S2)`` (the Swank-like spectral factor) are what an
energy-integrating detector needs for its noise. Everything is two matrix products done in
one pass over (energy bins x materials): ``A = M @ L`` with ``M[E, m] = mu_m(E)``, then
``W @ exp(-A)`` with the rows of ``W`` the three spectral weightings. Pixels are processed in
chunks so memory stays bounded; NumPy or CuPy (``xp``), output on the input's device.

On the CPU both products are summed per pixel in a fixed order (labels, then energy bins,
ascending, in float32; :mod:`._ordered_sum`), not by BLAS: a multi-threaded GEMM partitions
the work by the thread count and its last bits follow ``OPENBLAS_NUM_THREADS`` (measured, NOTES.md
"thread-count determinism"), so the acquisition's bytes would depend on the machine's cores.
On CUDA the products stay ``cupy.matmul`` (cuBLAS gives the same bits run to run on one GPU
model).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._attenuation import linear_attenuation
from ._ordered_sum import mix
from ._spectra import Spectrum

__all__ = ["PrimarySignal", "primary_signal", "attenuation_matrix"]

#: Bins whose photon fraction is below this (relative to the largest bin) are dropped: their
#: contribution to any of the sums is < 1e-9 of the total.
_NEGLIGIBLE = 1e-9
#: Most pixels per chunk (CUDA: ~40 energy bins need ~40 * 2**18 * 4 B = 42 MB of line
#: integrals per chunk).
_CHUNK = 1 << 18
#: CPU: the line-integral buffer ``[lead, n_E, chunk]`` (float32) holds at most this many
#: bytes; the chunk shrinks with the energy bins. A 120 kV chest spectrum keeps ~215 bins, so
#: a full :data:`_CHUNK` took 225 MB (measured with tracemalloc, NOTES.md "the chest plan's
#: memory"); the per-pixel sums do not depend on the chunk (byte-identical images).
_BUF_BYTES = 32 << 20


@dataclass(frozen=True, eq=False)
class PrimarySignal:
    """Expected primary signal per pixel (arrays shaped like the pixel axes ``[..., nv, nu]``).

    Attributes
    ----------
    quanta : array
        Expected detected (absorbed) primary photons per pixel, ``N sum p eta T``.
    energy_kev : array
        Expected absorbed primary energy per pixel (keV), ``N sum p eta E T``.
    energy2_kev2 : array
        Second moment ``N sum p eta E^2 T`` (keV^2): the variance of the absorbed energy of a
        Poisson number of photons.
    incident_quanta : array
        Expected primary photons reaching the detector surface, ``N sum p T`` (no ``eta``).
    """

    quanta: object
    energy_kev: object
    energy2_kev2: object
    incident_quanta: object


def _array_module(arr, xp):
    if xp is not None:
        return xp
    mod = type(arr).__module__.split(".")[0]
    if mod == "cupy":
        import cupy

        return cupy
    return np


def _spectrum_parts(spectrum_or_energies):
    """Energies (keV) and photon fractions (sum 1) from a Spectrum, (E, w) pair or energies."""
    if isinstance(spectrum_or_energies, Spectrum):
        e = spectrum_or_energies.energy_kev
        w = spectrum_or_energies.weights
    elif isinstance(spectrum_or_energies, tuple) and len(spectrum_or_energies) == 2:
        e = np.atleast_1d(np.asarray(spectrum_or_energies[0], dtype=np.float64))
        w = np.atleast_1d(np.asarray(spectrum_or_energies[1], dtype=np.float64))
        if e.shape != w.shape or e.ndim != 1:
            raise ValueError(f"spectrum_or_energies (energy_kev, weights) must be 1-D of equal length, "
                             f"got {e.shape} and {w.shape}")
        if np.any(w < 0) or not w.sum() > 0:
            raise ValueError("spectrum_or_energies weights must be >= 0 with a positive sum")
        w = w / w.sum()
    else:
        e = np.atleast_1d(np.asarray(spectrum_or_energies, dtype=np.float64))
        if e.ndim != 1:
            raise ValueError(f"spectrum_or_energies energies must be 1-D, got shape {e.shape}")
        w = np.full(e.shape, 1.0 / e.size)
    keep = w > _NEGLIGIBLE * w.max()
    return e[keep], w[keep], keep


def _material_list(materials, n_labels: int) -> list:
    if isinstance(materials, dict):
        names = []
        for label in range(n_labels):
            if label not in materials:
                raise ValueError(f"materials has no entry for label {label} (n_labels={n_labels})")
            names.append(materials[label])
        return names
    names = list(materials)
    if len(names) != n_labels:
        raise ValueError(f"materials must name one material per label: {n_labels} labels, got {len(names)}")
    return names


def attenuation_matrix(materials, energy_kev) -> np.ndarray:
    """``M[E, m]``: linear attenuation (1/mm) of each material at each energy, float64."""
    e = np.asarray(energy_kev, dtype=np.float64)
    return np.stack([linear_attenuation(m, e) for m in materials], axis=1)


def primary_signal(path_mm, materials, spectrum_or_energies, photons_per_pixel, *,
                   detector_efficiency=None, xp=None) -> PrimarySignal:
    """Expected polyenergetic primary signal from per-label path lengths.

    Parameters
    ----------
    path_mm : array, float32, shape ``[..., n_labels, nv, nu]``
        Path length (mm) of each pixel's ray through each label, as returned (per view) by
        ``victwin.raytrace.project_labels``. NumPy or CuPy.
    materials : sequence of str or dict
        Label -> material name table (index = label), ``n_labels`` long, or a dict with every
        label ``0..n_labels-1``.
    spectrum_or_energies : Spectrum, (energy_kev, weights) tuple, or 1-D energies
        The incident spectrum; weights are renormalised to photon fractions. Plain energies get
        equal weights (a single energy makes it monoenergetic).
    photons_per_pixel : float or array broadcastable to ``[..., nv, nu]``
        Expected incident photons per pixel (all energies), e.g. fluence x pixel area.
    detector_efficiency : callable or array, optional
        ``eta(E)``: absorbed fraction at each energy; a callable gets the energies (keV), an
        array gives one value per energy bin of the spectrum. ``None`` means ideal (``eta = 1``).
        Bins holding less than 1e-9 of the largest bin's photons are skipped.
    xp : module, optional
        ``numpy`` or ``cupy``; by default the module of ``path_mm``.

    Returns
    -------
    PrimarySignal
        ``quanta``, ``energy_kev``, ``energy2_kev2``, ``incident_quanta``, float32 arrays shaped
        ``[..., nv, nu]`` on the device of ``path_mm``. On the CPU the bytes do not depend on
        the number of BLAS, OpenMP or numba threads (fixed-order sums, no BLAS;
        ``tests/acquisition/test_thread_determinism.py``).
    """
    xp = _array_module(path_mm, xp)
    path = xp.asarray(path_mm)
    if path.ndim < 3:
        raise ValueError(f"path_mm must have shape [..., n_labels, nv, nu], got {tuple(path.shape)}")
    n_labels = path.shape[-3]
    names = _material_list(materials, n_labels)
    energy, weight, keep = _spectrum_parts(spectrum_or_energies)
    if detector_efficiency is None:
        eta = np.ones_like(energy)
    elif callable(detector_efficiency):
        eta = np.asarray(detector_efficiency(energy), dtype=np.float64)
    else:
        eta = np.asarray(detector_efficiency, dtype=np.float64)
        if eta.shape != keep.shape:
            raise ValueError(f"detector_efficiency must have one value per energy bin ({keep.size}), "
                             f"got shape {eta.shape}")
        eta = eta[keep]
    if eta.shape != energy.shape or np.any((eta < 0) | (eta > 1)):
        raise ValueError("detector_efficiency must give values in [0, 1], one per energy")

    mu = attenuation_matrix(names, energy).astype(np.float32)  # [n_E, n_labels]
    weights = np.stack([weight * eta, weight * eta * energy, weight * eta * energy**2, weight])
    mu_x = xp.asarray(mu)
    w_x = xp.asarray(weights.astype(np.float32))  # [4, n_E]

    lead = path.shape[:-3]
    pix = path.shape[-2:]
    npix = int(np.prod(pix))
    flat = path.reshape(lead + (n_labels, npix)).astype(xp.float32, copy=False)
    out = xp.empty(lead + (4, npix), dtype=xp.float32)
    if xp is np:
        # Both sums in a fixed order per pixel (labels, then energy bins, ascending), not
        # through BLAS: a threaded GEMM's last bits follow the thread count.
        flat3 = np.ascontiguousarray(flat.reshape((-1, n_labels, npix)))
        out3 = out.reshape((-1, 4, npix))
        buf = None
        chunk = int(min(_CHUNK, max(1024, _BUF_BYTES // (4 * flat3.shape[0] * mu.shape[0]))))
        for start in range(0, npix, chunk):
            count = min(chunk, npix - start)
            if buf is None or buf.shape[2] != count:
                buf = np.empty((flat3.shape[0], mu.shape[0], count), np.float32)
            mix(mu, flat3, buf, x_start=start, count=count)  # line integrals [lead, n_E, chunk]
            np.negative(buf, out=buf)
            np.exp(buf, out=buf)
            mix(w_x, buf, out3, out_start=start, count=count)
    else:
        for start in range(0, npix, _CHUNK):
            stop = min(start + _CHUNK, npix)
            line_integral = xp.matmul(mu_x, flat[..., start:stop])  # [..., n_E, chunk]
            out[..., start:stop] = xp.matmul(w_x, xp.exp(-line_integral))
    out = out.reshape(lead + (4,) + pix)
    n = xp.asarray(photons_per_pixel, dtype=xp.float32)
    if xp.any(n < 0):
        raise ValueError("photons_per_pixel must be >= 0")
    parts = [out[..., i, :, :] * n for i in range(4)]
    return PrimarySignal(quanta=parts[0], energy_kev=parts[1], energy2_kev2=parts[2], incident_quanta=parts[3])
