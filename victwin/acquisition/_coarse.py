"""The coarse full-field pass of a lesion-local run: each view's scatter, sampled at its crop.

The scatter model (:func:`victwin.physics.scatter_image`) is a convolution of the *whole*
field's primary, computed on cells of ``f`` pixels (``f = round(coarse_mm / pitch)``,
``coarse_mm`` = 2 mm as :func:`victwin.acquisition.simulate_view` calls it) and interpolated
back. A crop alone cannot give it, so every view's full panel is traced once at ``m``-times
coarser pixels (``m`` from :func:`coarse_factors`), with :data:`COARSE_RAYS_PER_PIXEL`
squared rays each; the same model runs on that image with the full field's cell size, so the
cells coincide with the full field's, and the result is interpolated (bilinear) at the crop's
pixel centres and divided by ``m**2`` (pixel area).

The same pass gives each view's noise-free line integrals on the coarse pixels: DBT regions
keep them over the band of the panel their reconstruction strip covers
(:func:`fill_band`), and :meth:`Acquisition.reconstruction_input` fills the strip beyond each
crop with them (bilinear), so the FBP filter sees the far field at 2 mm resolution instead of
a repeated edge value, and the crops need a smaller filter margin.

The pass depends on the phantom, the system, the beam and the views, never on the region:
:func:`coarse_pass` computes it once (a :class:`CoarseScatter`) and :func:`sample_scatter`
reads any region's crops from it, so ``acquire_regions`` runs it once for all its regions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from victwin.geometry import FlatPanel, View
from victwin.physics import (SCATTER_CELL_MM, primary_signal, scatter_image, scatter_image_xp,
                             scatter_path_mm)

from ._view import _array_module, geometry_factor

__all__ = ["coarse_factors", "coarse_panel", "coarse_pass", "sample_scatter", "fill_band",
           "CoarseScatter", "COARSE_RAYS_PER_PIXEL", "COARSE_PIXELS_PER_CELL"]

#: Rays per axis per coarse pixel: one ray at the centre of each coarse pixel.
COARSE_RAYS_PER_PIXEL = 1

#: ``backend="cuda"``: the pass's primary and scatter on the GPU (True) or, after tracing
#: there, on the CPU (False; benchmarks/gpu_check.py times both).
ON_DEVICE = True

#: Coarse-pass pixels per scatter cell, per axis (the coarse pixel is ``f / this`` panel
#: pixels, rounded down to a divisor of ``f``): 1, one ray per 2 mm scatter cell (it was 2,
#: four rays per cell: 4x the rays). Measured against the full field (NOTES.md): crop line
#: integrals' relative RMS 1.3-2.0e-4 (DM 85 um) and 5.4-5.7e-4 (DBT 170 um) on the 0.1 mm
#: dense breast (benchmarks/lesion_local.py; 1.1e-4 and 3.4e-4 with four rays); DBT VOI FBP
#: 1.6 % of the VOI's std on the tests' slab (0.96 % with four rays).
COARSE_PIXELS_PER_CELL = 1


def coarse_factors(pitch_mm: float, per_cell: int | None = None) -> tuple[int, int]:
    """``(f, m)``: pixels per scatter cell and per coarse-pass pixel, for a panel of
    ``pitch_mm`` (``m`` the largest divisor of ``f`` up to ``f / per_cell``)."""
    k = COARSE_PIXELS_PER_CELL if per_cell is None else int(per_cell)
    f = max(1, int(round(SCATTER_CELL_MM / pitch_mm)))
    m = max([d for d in range(1, f // k + 1) if f % d == 0] or [1])
    return f, m


def coarse_panel(panel: FlatPanel, m: int) -> FlatPanel:
    """``panel`` read in ``m x m`` blocks from its pixel ``[0, 0]`` corner (the last row and
    column of blocks may reach past the panel's edge)."""
    nv, nu = panel.shape
    pv, pu = panel.pitch
    h, w = math.ceil(nv / m), math.ceil(nu / m)
    u, v = np.asarray(panel.u), np.asarray(panel.v)
    corner = np.asarray(panel.center) - 0.5 * nu * pu * u - 0.5 * nv * pv * v
    center = corner + 0.5 * w * m * pu * u + 0.5 * h * m * pv * v
    return FlatPanel(shape=(h, w), pitch=(pv * m, pu * m), center=tuple(center), u=panel.u,
                     v=panel.v)


@dataclass(frozen=True, eq=False)
class CoarseScatter:
    """Each view's full-field scatter on the coarse panel.

    Attributes
    ----------
    full_panel : FlatPanel
        The (binned) panel of the full field.
    m : int
        Panel pixels per coarse pixel (per axis).
    fields : dict or None
        View index (in the scan) -> float64 ``[h, w]``, keV per coarse pixel, before the grid
        (None: run without scatter).
    line_integrals : dict
        View index -> float32 ``[h, w]``: noise-free ``-ln(signal / flat)`` of the coarse
        pixels (primary and, if on, scatter, through the grid), as
        :meth:`Acquisition.line_integrals` reads a pixel.
    """

    full_panel: FlatPanel
    m: int
    fields: dict | None
    line_integrals: dict


def coarse_pass(phantom, views, indices, beam, system, *, label_materials, tissue_labels,
                n_labels: int, rays_per_pixel: int, backend: str = "auto",
                per_cell: int | None = None, with_scatter: bool = True,
                tissue_weights=None) -> CoarseScatter:
    """Trace ``views`` (their full panels; ``indices`` their indices in the scan) once at
    coarse pixels and run the scatter model on each.

    ``rays_per_pixel`` is the run's own: used when the coarse pixels are the panel's
    (``m = 1``), so the pass then equals the full field's primary exactly. ``tissue_labels``
    and ``tissue_weights`` give the scatter model's path as the full field's views do
    (``victwin.physics.scatter_path_labels``)."""
    from victwin.raytrace import iter_project_labels

    full = views[0].panel
    f, m = coarse_factors(full.pitch[1], per_cell)
    cpanel = coarse_panel(full, m)
    cviews = [View(source=v.source, panel=cpanel) for v in views]
    area = cpanel.pitch[0] * cpanel.pitch[1]
    rpp = int(rays_per_pixel) if m == 1 else COARSE_RAYS_PER_PIXEL
    fields, li = ({} if with_scatter else None), {}
    # backend "cuda": the path lengths stay on the GPU (CuPy; NumPy under numba's simulator),
    # primary and scatter run there (cuFFT) and only each view's small coarse scatter field
    # and line integrals come back
    from victwin._backend import resolve_backend

    device = resolve_backend(backend) == "cuda" and ON_DEVICE
    if device:
        from ._gpu_view import geometry_factor_xp
    for sl, paths in iter_project_labels(phantom.labels, phantom.grid, cviews, n_labels,
                                         backend=backend, rays_per_pixel=rpp,
                                         view_batch=None):
        if not device and not isinstance(paths, np.ndarray):
            paths = paths.get()
        xp = _array_module(paths)
        for b, k in enumerate(range(sl.start, sl.stop)):
            if not device:
                g = geometry_factor(cviews[k], area)
            else:   # the coarse panel is the same for every twin: kept on the device
                g = geometry_factor_xp(cviews[k], area, xp, cache=True)
            n_pix = beam.photons_per_mas_mm2_1m * beam.mas_per_view * g
            sig = primary_signal(paths[b], label_materials, beam.spectrum, n_pix,
                                 detector_efficiency=beam.efficiency)
            e1 = xp.asarray(sig.energy_kev, dtype=xp.float64)
            s = xp.zeros_like(e1)
            if with_scatter:
                tissue = scatter_path_mm(paths[b], tissue_labels, tissue_weights, xp=xp)
                if not device:
                    s = scatter_image(e1, tissue, cpanel.pitch[1], model=system.scatter,
                                      coarse_mm=f * full.pitch[1])
                else:
                    s = scatter_image_xp(e1, tissue, cpanel.pitch[1], model=system.scatter,
                                         coarse_mm=f * full.pitch[1], xp=xp)
                fields[int(indices[k])] = s if xp is np else s.get()
            signal = beam.grid_primary * e1 + beam.grid_scatter * s
            flat = beam.grid_primary * n_pix * beam.flat_kev_per_photon
            line = (-xp.log(xp.maximum(signal / flat, 1e-12))).astype(xp.float32)
            li[int(indices[k])] = line if xp is np else line.get()
    return CoarseScatter(full_panel=full, m=m, fields=fields, line_integrals=li)


def sample_scatter(coarse: CoarseScatter, record, indices) -> np.ndarray:
    """Scatter (keV per pixel, before the grid) of each view's crop, float64
    ``[len(indices), nv, nu]``: ``record.offsets[k]`` is view ``indices[k]``'s offset."""
    if record.full_panel != coarse.full_panel:
        raise ValueError("the coarse scatter pass was run on another panel than the region's")
    h, w = record.shape
    m = coarse.m
    out = np.zeros((len(indices), h, w), np.float64)
    for k, i in enumerate(indices):
        r0, c0 = record.offsets[k]
        jj = (r0 + np.arange(h) + 0.5) / m - 0.5
        ii = (c0 + np.arange(w) + 0.5) / m - 0.5
        out[k] = ndimage.map_coordinates(coarse.fields[int(i)],
                                         np.meshgrid(jj, ii, indexing="ij"), order=1,
                                         mode="nearest") / (m * m)
    return out


def fill_band(coarse: CoarseScatter, record, indices) -> tuple[np.ndarray, tuple]:
    """The coarse line integrals a DBT region's strip is filled with: float32
    ``[len(indices), hc, wc]`` (all coarse rows or columns along the scan axis, those that
    cover the strip across it, one more each side) and the block ``(m, row0, col0, hc, wc)``
    in coarse pixels of the full panel (:func:`victwin.acquisition._region.strip_layout`)."""
    from ._region import strip_panel

    _, first, last = strip_panel(record)
    m = coarse.m
    h, w = next(iter(coarse.line_integrals.values())).shape
    lo, hi = max(0, first // m - 1), min(h if record.scan_axis == -1 else w,
                                         (last - 1) // m + 2)
    if record.scan_axis == -2:  # scan along rows: every row, the columns across
        r0, c0, hc, wc = 0, lo, h, hi - lo
    else:
        r0, c0, hc, wc = lo, 0, hi - lo, w
    band = np.stack([coarse.line_integrals[int(i)][r0:r0 + hc, c0:c0 + wc] for i in indices])
    return band, (m, r0, c0, hc, wc)
