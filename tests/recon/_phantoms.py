"""Small analytic test objects, voxelised on fine grids of their own (never the recon grid)."""

from __future__ import annotations

import math

import numpy as np

from victwin.geometry import Grid


def ball(center_xyz, diameter_mm: float, mu_per_mm: float, *, voxel_mm: float = 0.05,
         supersample: int = 2):
    """A ball of attenuation ``mu_per_mm`` on a fine cubic grid around it: ``(volume, grid)``.

    Each fine voxel holds the fraction of its ``supersample**3`` sub-points inside the ball.
    """
    half = 0.5 * diameter_mm + 2 * voxel_mm
    n = int(math.ceil(2 * half / voxel_mm))
    c = np.asarray(center_xyz, float)
    origin = c - 0.5 * (n - 1) * voxel_mm
    grid = Grid(shape=(n, n, n), spacing=(voxel_mm,) * 3, origin=tuple(origin))
    k = supersample
    sub = (np.arange(n * k) + 0.5) / k - 0.5  # sub-point offsets in voxel units
    axis = (sub * voxel_mm) - 0.5 * (n - 1) * voxel_mm
    r2 = (0.5 * diameter_mm) ** 2
    inside = (axis[:, None, None] ** 2 + axis[None, :, None] ** 2 + axis[None, None, :] ** 2) <= r2
    frac = inside.reshape(n, k, n, k, n, k).mean(axis=(1, 3, 5))
    return (mu_per_mm * frac).astype(np.float32), grid


def poisson_counts(line_integrals, photons_per_pixel: float, seed: int):
    """Noisy detector counts ``Poisson(N0 exp(-p))`` and the flat field ``N0``."""
    rng = np.random.default_rng(seed)
    counts = rng.poisson(photons_per_pixel * np.exp(-line_integrals.astype(np.float64)))
    return counts.astype(np.float32), float(photons_per_pixel)


def sbp_asf_ball(dz_mm, diameter_mm: float, center_xyz, sources) -> float:
    """Analytic artifact spread of normalised simple backprojection for a ball at ``dz_mm``.

    At the point ``dz`` above the ball's centre the view from source ``s`` contributes the
    ball's chord along the ray through that point, divided by the grid-crossing length (the
    same for the in-focus point): ``chord = 2 sqrt(r^2 - (dz sin theta)^2)``, ``theta`` the
    ray's angle from vertical. Normalised by the in-focus value (chord ``2 r``) and averaged
    over the views: ``mean_k sqrt(max(0, 1 - (dz sin theta_k / r)^2))`` (parallel rays within
    the ball).
    """
    c = np.asarray(center_xyz, float)
    r = 0.5 * diameter_mm
    s = np.asarray(sources, float)
    point = c + np.array([0.0, 0.0, dz_mm])
    d = s - point
    sin_t = np.hypot(d[:, 0], d[:, 1]) / np.linalg.norm(d, axis=1)
    return float(np.mean(np.sqrt(np.clip(1.0 - (dz_mm * sin_t / r) ** 2, 0.0, None))))
