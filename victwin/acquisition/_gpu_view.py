"""One view on the GPU: path lengths -> primary -> scatter -> detector -> raw, on the device.

The CUDA counterpart of :func:`._view.simulate_view` (same arguments, same
:class:`~._view.ViewImage`): the per-label path lengths stay on the GPU (CuPy; NumPy arrays
stand in under numba's simulator), and so do the geometry factor, the polyenergetic primary,
the scatter convolution (cuFFT), the detector (counter-based Poisson and Gaussian noise,
:mod:`victwin.physics._noise_kernels`), the 14-bit readout and the full-resolution steps of
the "for presentation" processing (its 0.5 mm breast mask and edge profile run on the CPU,
:mod:`victwin.physics._presentation_xp`). Three images per view come back to the host, the
ones the acquisition record holds: raw and processed uint16 and the float32 flat field
(:func:`stage_devices_cuda` says where each stage ran).

Noise differs from the CPU path's values (a counter-based generator, keyed from the same
per-view NumPy stream, instead of that stream) but not in its statistics; a case is
reproducible on either backend.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from victwin.physics import (detect_xp, digitize_xp, noise_key, present_xp,
                             scatter_image_xp)

from ._beam import REF_DISTANCE_MM, Beam
from ._view import ViewImage, primary_sums

__all__ = ["simulate_view_gpu", "geometry_factor_xp", "stage_devices_cuda", "on_device"]


def _array_module(a):
    return sys.modules["cupy"] if type(a).__module__.split(".")[0] == "cupy" else np


def _sync(xp):
    if xp is not np:
        xp.cuda.runtime.deviceSynchronize()


def on_device(phantom):
    """``phantom`` with its labels on the GPU, uploaded once: pass the result to every
    ``acquire`` / ``acquire_regions`` of that twin (all views and regions then trace from the
    same device copy). Unchanged where there is no CuPy (CPU, or numba's simulator) or the
    labels already are a CuPy array. The result has ``labels``, ``grid``, ``materials``,
    ``meta`` and ``lesions``.
    """
    from types import SimpleNamespace

    from victwin._backend import get_cupy

    cp = get_cupy()
    if cp is None or type(phantom.labels).__module__.split(".")[0] == "cupy":
        return phantom
    return SimpleNamespace(labels=cp.asarray(phantom.labels), grid=phantom.grid,
                           materials=phantom.materials, meta=getattr(phantom, "meta", {}),
                           lesions=getattr(phantom, "lesions", ()))


def stage_devices_cuda(cupy_present: bool, *, lesion_local: bool = False) -> dict:
    """Where each stage of a ``backend="cuda"`` acquisition runs.

    ``"cuda"`` with CuPy, ``"cuda (NumPy stand-in)"`` under numba's simulator (the CUDA code
    path and kernels, NumPy arrays). ``presentation`` runs its full-resolution steps there and
    its 0.5 mm mask and edge profile on the CPU (:mod:`victwin.physics._presentation_xp`);
    a lesion-local run's coarse
    full-field scatter pass (``victwin.acquisition._coarse``) traces, and computes its primary
    and scatter, on the GPU too (its small coarse images come back), reported as
    ``"coarse_scatter"``.
    """
    gpu = "cuda" if cupy_present else "cuda (NumPy stand-in)"
    out = {"raytrace": gpu, "primary": gpu, "physics": gpu, "scatter": gpu, "detector": gpu,
           "noise": f"{gpu}: Philox4x32-10 counter-based (keyed per view)",
           "readout": gpu,
           "presentation": f"{gpu}; its 0.5 mm breast mask and edge profile on the cpu",
           "copied_to_host": "per view: raw and processed uint16, flat field float32 (the "
                             "record's images); path lengths and intermediate images stay "
                             "on the GPU"}
    if lesion_local:
        out["coarse_scatter"] = (f"{gpu}: raytrace, primary and scatter; the coarse images "
                                 "(2 mm cells) copied to the host")
    return out


#: Geometry factors of the coarse scatter pass's panels kept on the device, by geometry: they
#: are the same for every twin imaged by one system (each cost ~1 ms of kernel launches on the
#: GPU node, NOTES.md). Crops are not kept: each site has its own.
_GEOMETRY_CACHE: dict = {}
_GEOMETRY_CACHE_ENTRIES = 128


def geometry_factor_xp(view, pixel_area_mm2: float, xp, *, cache: bool = False):
    """:func:`._view.geometry_factor` computed on the device of ``xp`` (float64 ``[nv, nu]``).
    ``cache``: keep the result for later calls with the same geometry (then read-only)."""
    key = None
    if cache:
        p = view.panel
        key = (xp.__name__, float(pixel_area_mm2), tuple(map(float, view.source)),
               tuple(map(float, p.center)), tuple(map(float, p.u)), tuple(map(float, p.v)),
               tuple(p.shape), tuple(map(float, p.pitch)))
        hit = _GEOMETRY_CACHE.get(key)
        if hit is not None:
            return hit
    out = _geometry_factor_xp(view, pixel_area_mm2, xp)
    if cache:
        if len(_GEOMETRY_CACHE) >= _GEOMETRY_CACHE_ENTRIES:
            _GEOMETRY_CACHE.pop(next(iter(_GEOMETRY_CACHE)))
        _GEOMETRY_CACHE[key] = out
    return out


def _geometry_factor_xp(view, pixel_area_mm2: float, xp):
    p = view.panel
    nv, nu = p.shape
    pv, pu = p.pitch
    i = (xp.arange(nu, dtype=xp.float64) - (nu - 1) / 2.0) * pu
    j = (xp.arange(nv, dtype=xp.float64) - (nv - 1) / 2.0) * pv
    # Python floats, not NumPy scalars, meet the device arrays
    c = (np.asarray(p.center, np.float64) - np.asarray(view.source, np.float64)).tolist()
    u, v, n = (np.asarray(a, np.float64).tolist() for a in (p.u, p.v, p.normal))
    d = [c[k] + i[None, :] * u[k] + j[:, None] * v[k] for k in range(3)]
    r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2]
    cos = xp.abs(d[0] * n[0] + d[1] * n[1] + d[2] * n[2]) / xp.sqrt(r2)
    return float(pixel_area_mm2) * (float(REF_DISTANCE_MM) ** 2 / r2) * cos


def simulate_view_gpu(paths, view, beam: Beam, system, *, label_materials, tissue_labels,
                      binning: int, rng=None, scatter: bool = True, scatter_kev=None,
                      blur_paths=None, presentation: bool = True,
                      tissue_weights=None) -> ViewImage:
    """:func:`._view.simulate_view` with every stage up to the readout on the GPU.

    Parameters are those of :func:`._view.simulate_view`; ``paths`` (and ``blur_paths``'
    arrays) are CuPy arrays (NumPy under the simulator). ``rng`` is the view's NumPy stream:
    two 32-bit words drawn from it key the counter-based noise. ``timings_s`` holds
    "physics", "scatter", "detector" (noise and readout) and "presentation".
    """
    det = system.detector
    panel = view.panel
    nv, nu = panel.shape
    t1 = time.perf_counter()
    if blur_paths is None:
        blur_paths = [(paths, view, 1.0)]
    xp = _array_module(blur_paths[0][0])
    backend = "cuda"
    area = float(panel.pitch[0] * panel.pitch[1])
    g_p, g_s = float(beam.grid_primary), float(beam.grid_scatter)
    e1, e2, tissue, n_pix = primary_sums(blur_paths, beam, label_materials, tissue_labels,
                                         lambda v: geometry_factor_xp(v, area, xp), xp=xp,
                                         tissue_weights=tissue_weights)
    _sync(xp)
    t2 = time.perf_counter()
    if scatter and scatter_kev is not None:
        s = xp.asarray(scatter_kev, dtype=xp.float64)
    elif scatter and system.scatter is not None:
        s = scatter_image_xp(e1, tissue, panel.pitch[1], model=system.scatter, xp=xp)
    else:
        s = xp.zeros_like(e1)
    _sync(xp)
    t3 = time.perf_counter()
    mean_e = xp.where(e1 > 0, e2 / xp.where(e1 > 0, e1, 1.0), 0.0)
    tot1 = g_p * e1 + g_s * s
    tot2 = g_p * e2 + g_s * s * mean_e
    key = None if rng is None else noise_key(rng)
    electrons = detect_xp(tot1, tot2, det, key, xp=xp, backend=backend, binning=binning,
                          primary_kev=g_p * e1)
    raw = digitize_xp(electrons, det, xp=xp, binning=binning)
    flat = (g_p * (n_pix * float(beam.flat_kev_per_photon))
            * (1000.0 / det.energy_per_electron_ev) * det.gain_adu_per_e / binning ** 2)
    _sync(xp)
    t4 = time.perf_counter()
    if presentation:
        # peripheral equalisation for mammography only, as ._view.simulate_view
        processed, window = present_xp(raw, det.offset_adu, flat, panel.pitch[1], xp=xp,
                                       equalise=system.modality == "MG")
    else:
        processed, window = xp.zeros_like(raw), (float("nan"), float("nan"))
    flat = flat.astype(xp.float32)
    if xp is not np:  # the record's three images come back; nothing else does
        raw, processed, flat = raw.get(), processed.get(), flat.get()
    t5 = time.perf_counter()
    return ViewImage(raw=raw, processed=processed, window=window, flat_adu=flat,
                     timings_s={"physics": t2 - t1, "scatter": t3 - t2, "detector": t4 - t3,
                                "presentation": t5 - t4})
