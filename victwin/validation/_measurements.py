"""Measurement procedures run on the models: test objects imaged, quantities read off.

Each builds a test object, images it with the installed models and measures one quantity the
way a physicist measures it on a real system; the quantity is then compared with an
independent reference (:mod:`victwin.validation._references`, a published value). The live
credibility checks and the test suite call the same procedures.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

__all__ = ["slanted_edge", "presampled_mtf", "semicircle_phantom", "field_centre_spr"]


def slanted_edge(*, angle_deg: float = 4.0, n: int = 80, rays_per_pixel: int = 8,
                 mas: float = 200.0, pitch_mm: float = 0.085, noise_seed=None):
    """Image an aluminium half-plane on a panel rotated by ``angle_deg`` (a slanted edge).

    The edge ``x = 0`` (a voxel boundary of a 0.5 mm grid, 0.1 mm Al just above the panel) is
    ray-traced with ``rays_per_pixel`` rays per pixel side, through VICTRE's a-Se detector
    (gain lowered so that the 14-bit range holds the flat field), W/Rh 28 kVp.

    Returns
    -------
    raw : ndarray, (n, n), ADU
    detector : victwin.physics.Detector
    flat_adu : float
        The noiseless open-field signal.
    panel : victwin.geometry.FlatPanel
    """
    from victwin.geometry import FlatPanel, Grid, View
    from victwin.physics import (A_SE_VICTRE, detect, digitize, noise_generator,
                                 primary_signal, quantum_efficiency, spectrum)
    from victwin.raytrace import project_labels

    beam = spectrum("W", 28, [("Be", 1.0), ("Rh", 0.05)])
    a = math.radians(angle_deg)
    panel = FlatPanel(shape=(n, n), pitch=(pitch_mm, pitch_mm), center=(0.0, 0.0, 0.0),
                      u=(math.cos(a), math.sin(a), 0.0), v=(-math.sin(a), math.cos(a), 0.0))
    view = View(source=(0.0, 0.0, 650.0), panel=panel)
    nx = 32  # 0.5 mm voxels from x = -8 to 8: the edge x = 0 is a voxel boundary
    grid = Grid(shape=(1, 1, nx), spacing=(0.1, 20.0, 0.5), origin=(-7.75, 0.0, 1.05))
    labels = np.zeros((1, 1, nx), np.uint8)
    labels[..., nx // 2:] = 1
    paths = project_labels(labels, grid, view, 2, backend="cpu",
                           rays_per_pixel=rays_per_pixel)[0]
    n_pix = beam.total_photons_per_mas_mm2(650.0) * mas * pitch_mm ** 2
    sig = primary_signal(paths, ["air", "aluminum"], beam, n_pix,
                         detector_efficiency=lambda e: quantum_efficiency(A_SE_VICTRE, e))
    det = replace(A_SE_VICTRE, gain_adu_per_e=1e-4)  # flat field ~11000 ADU
    rng = None if noise_seed is None else noise_generator(noise_seed)
    raw = digitize(detect(sig.energy_kev, sig.energy2_kev2, det, rng), det)
    flat = float(np.max(sig.energy_kev)) * 1000 / det.energy_per_electron_ev * det.gain_adu_per_e
    return raw, det, flat, panel


def presampled_mtf(raw, detector, flat_adu: float, panel, *, bin_frac: float = 0.1,
                   window_mm: float = 2.0):
    """Presampled MTF of a slanted-edge image (IEC 62220-1 method).

    The image is linearised (log of flat / signal), every pixel is projected onto the edge
    normal (the panel's x distance from the edge ``x = 0``) and binned at ``bin_frac`` of the
    pitch into an oversampled edge spread function; its finite difference is the line spread
    function, whose normalised Fourier magnitude, divided by the finite-difference and binning
    sinc factors, is the MTF.

    Returns
    -------
    f_per_mm, mtf : ndarray

    Raises
    ------
    ValueError
        An ESF bin holds no pixel (the edge angle or the window is too small).
    """
    p = np.log(flat_adu / (np.asarray(raw, float) - detector.offset_adu))
    d = panel.pixel_centers()[..., 0].ravel()  # signed distance from the edge x = 0, mm
    delta = panel.pitch[1] * bin_frac
    keep = np.abs(d) < window_mm
    idx = np.floor(d[keep] / delta).astype(int)
    idx -= idx.min()
    counts = np.bincount(idx)
    if not np.all(counts > 0):
        raise ValueError(f"slanted edge: {int((counts == 0).sum())} ESF bins are empty; use a "
                         f"larger angle, window or bin_frac")
    esf = np.bincount(idx, weights=p.ravel()[keep]) / counts
    lsf = np.diff(esf)
    spec = np.abs(np.fft.rfft(lsf, n=8 * lsf.size))
    f = np.fft.rfftfreq(8 * lsf.size, d=delta)
    return f, spec / spec[0] / np.sinc(f * delta) ** 2


def semicircle_phantom(thickness_mm: float, diameter_mm: float, *, voxel_mm: float = 1.0,
                       support_mm: float = 20.0):
    """Boone et al. (2000)'s test object: a compressed semicircular breast slab (label 1) on
    the breast support, chest wall at ``x = 0``. Returns ``(labels, grid)``."""
    from victwin.geometry import Grid

    r = diameter_mm / 2.0
    nx, ny = int(math.ceil(r / voxel_mm)) + 1, int(math.ceil(diameter_mm / voxel_mm)) + 2
    nz = int(round(thickness_mm / voxel_mm))
    x = (np.arange(nx) + 0.5) * voxel_mm
    y = (np.arange(ny) - (ny - 1) / 2.0) * voxel_mm
    yy, xx = np.meshgrid(y, x, indexing="ij")
    labels = np.zeros((nz, ny, nx), np.uint8)
    labels[:, xx ** 2 + yy ** 2 <= r ** 2] = 1
    grid = Grid(shape=(nz, ny, nx), spacing=(voxel_mm,) * 3,
                origin=(x[0], y[0], support_mm + voxel_mm / 2))
    return labels, grid


def field_centre_spr(thickness_mm: float, diameter_mm: float, view, *,
                     support_mm: float = 20.0) -> float:
    """Scatter-to-primary ratio under the centroid of a 50/50 semicircular breast.

    Ray-traces :func:`semicircle_phantom`, makes the primary of a Mo/Mo 28 kVp beam, runs the
    mammography scatter model (no grid) and reads S/P at the pixel under the centroid
    ``4R / (3 pi)`` of the semicircle, projected from the source through the slab's mid-plane.
    Boone et al. used normally incident beams: a source far away (``sid_mm`` ~1e5) matches.
    """
    from victwin.physics import MAMMOGRAPHY_SCATTER, primary_signal, scatter_image, spectrum
    from victwin.raytrace import project_labels

    labels, grid = semicircle_phantom(thickness_mm, diameter_mm, support_mm=support_mm)
    paths = project_labels(labels, grid, view, 2, backend="cpu")[0]
    beam = spectrum("Mo", 28, [("Mo", 0.03)])
    primary = np.asarray(primary_signal(paths, ["air", "breast_tissue_50"], beam,
                                        1000.0).energy_kev, dtype=float)
    s = scatter_image(primary, paths[1], view.panel.pitch[1], model=MAMMOGRAPHY_SCATTER)
    r = diameter_mm / 2.0
    src = np.asarray(view.source, float)
    p = np.array([4 * r / (3 * math.pi), 0.0, support_mm + thickness_mm / 2.0])
    hit = src + (p - src) * (src[2] / (src[2] - p[2]))
    centers = view.panel.pixel_centers()
    j, i = np.unravel_index(np.argmin(np.sum((centers - hit) ** 2, axis=-1)), centers.shape[:2])
    return float(s[j, i] / primary[j, i])
