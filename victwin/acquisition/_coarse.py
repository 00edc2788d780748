"""The coarse full-field pass of a lesion-local run: each view's scatter, sampled at its crop.

The scatter model (:func:`victwin.physics.scatter_image`) is a convolution of the *whole*
field's primary, computed on cells of ``f`` pixels (``f = round(coarse_mm / pitch)``,
``coarse_mm`` = 2 mm as :func:`victwin.acquisition.simulate_view` calls it) and interpolated
back. A crop alone cannot give it, so every view's full panel is traced once at ``m``-times
coarser pixels (``m`` the largest divisor of ``f`` up to ``f / 2``: half a scatter cell, about
1 mm), with :data:`COARSE_RAYS_PER_PIXEL` squared rays each (one, at its centre); the same model runs on that image
with the full field's cell size, so the cells coincide with the full field's, and the result
is interpolated (bilinear) at the crop's pixel centres and divided by ``m**2`` (pixel area).
"""

from __future__ import annotations

import inspect
import math

import numpy as np
from scipy import ndimage

from victwin.geometry import FlatPanel, View
from victwin.physics import primary_signal, scatter_image

from ._view import geometry_factor

__all__ = ["coarse_factors", "coarse_panel", "coarse_scatter", "COARSE_RAYS_PER_PIXEL"]

#: Rays per axis per coarse pixel: one ray at the centre of each ~1 mm pixel, so each scatter
#: cell (2 mm) is the mean of 4 primaries (as the full field's is the mean of its pixels').
#: Measured (benchmarks/lesion_local.py, 85 um DM): crop relative RMS 8e-5 with 2 x 2 rays
#: per coarse pixel; see NOTES.md for 1 x 1.
COARSE_RAYS_PER_PIXEL = 1

#: The scatter cell size simulate_view uses (scatter_image's default).
_SCATTER_CELL_MM = inspect.signature(scatter_image).parameters["coarse_mm"].default


def coarse_factors(pitch_mm: float) -> tuple[int, int]:
    """``(f, m)``: pixels per scatter cell and per coarse-pass pixel, for a panel of
    ``pitch_mm``."""
    f = max(1, int(round(_SCATTER_CELL_MM / pitch_mm)))
    m = max([d for d in range(1, f // 2 + 1) if f % d == 0] or [1])
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


def coarse_scatter(phantom, views, record, beam, system, *, label_materials, tissue_labels,
                   n_labels: int, rays_per_pixel: int, backend: str = "auto") -> np.ndarray:
    """Scatter (keV per pixel, before the grid) of each view's crop, float64
    ``[n_views, nv, nu]`` (the crop's shape), from one coarse full-field pass.

    ``rays_per_pixel`` is the run's own: used when the coarse pixels are the panel's
    (``m = 1``), so the pass then equals the full field's primary exactly."""
    from victwin.raytrace import iter_project_labels

    full = record.full_panel
    f, m = coarse_factors(full.pitch[1])
    cpanel = coarse_panel(full, m)
    cviews = [View(source=v.source, panel=cpanel) for v in views]
    h, w = record.shape
    out = np.zeros((len(views), h, w), np.float64)
    area = cpanel.pitch[0] * cpanel.pitch[1]
    rpp = int(rays_per_pixel) if m == 1 else COARSE_RAYS_PER_PIXEL
    for sl, paths in iter_project_labels(phantom.labels, phantom.grid, cviews, n_labels,
                                         backend=backend, rays_per_pixel=rpp,
                                         view_batch=1):
        if hasattr(paths, "get"):
            paths = paths.get()
        for b, k in enumerate(range(sl.start, sl.stop)):
            n_pix = beam.photons_per_mas_mm2_1m * beam.mas_per_view * geometry_factor(
                cviews[k], area)
            sig = primary_signal(paths[b], label_materials, beam.spectrum, n_pix,
                                 detector_efficiency=beam.efficiency)
            tissue = paths[b][tissue_labels].sum(axis=0, dtype=np.float64) if tissue_labels \
                else np.zeros(cpanel.shape)
            s = scatter_image(np.asarray(sig.energy_kev, np.float64), tissue, cpanel.pitch[1],
                              model=system.scatter, coarse_mm=f * full.pitch[1])
            r0, c0 = record.offsets[k]
            jj = (r0 + np.arange(h) + 0.5) / m - 0.5
            ii = (c0 + np.arange(w) + 0.5) / m - 0.5
            out[k] = ndimage.map_coordinates(s, np.meshgrid(jj, ii, indexing="ij"), order=1,
                                             mode="nearest") / (m * m)
    return out
