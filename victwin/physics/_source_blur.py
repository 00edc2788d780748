"""Focal-spot and source-motion blur as a weighted set of source sub-positions.

MC-GPU v1.5b (VICTRE) draws every photon from a random point of the focal spot and, in DBT, at
a random angle along the tube's motion during the view (DIDSR/VICTRE_MCGPU
``MC-GPU_kernel_v1.5b.cu``, function ``source``, lines 459-530). A ray tracer gets the same
expected image by averaging the primary *intensity* over source positions drawn from those
distributions. Averaging intensities (not line integrals, not a detector-plane convolution)
keeps two properties of the physical blur: it grows with each object's own magnification
(a source shift ``d`` moves the shadow of a point at height ``h`` by ``d h / (SID - h)``), and
it acts on the transmitted signal, so a dense small object is blurred as in an exposure.

This module only chooses the positions and weights (a quadrature of the source distribution);
the acquisition traces each sub-view and sums ``weight x intensity``.

MC-GPU's two distributions:

* **Focal spot** (kernel lines 459-481): the photon starts at ``position + r w``, ``w`` uniform
  on the unit sphere, ``r = g sigma`` with ``g`` a standard normal value redrawn until
  ``|g| < 2`` (``sample_gausspdf_below2sigma``, lines 1627-1652) and ``sigma = FWHM / 2.3548``
  (line 476). VICTRE used FWHM 0.0300 cm (``MC-GPU_v1.5b_hetero_phantom_mammo+DBT.in`` line 33).
  The offset across the beam along one axis is therefore ``x = r u`` with ``u`` uniform in
  [-1, 1] (Archimedes), not a Gaussian: its rms is ``sigma sqrt(E[g^2 | |g|<2] / 3) = 0.508
  sigma`` = 65 um for the 300 um spot (a 2-D Gaussian spot of that FWHM has 127 um).
  ``focal_spot_model="mcgpu"`` reproduces this; ``"gaussian"`` is a Gaussian of the FWHM per
  axis, cut at 2 sigma, for users who want the nominal spot.
* **Motion** (kernel lines 515-527): the source turns about the scan's rotation axis by a
  uniform angle in ``[-blur/2, +blur/2]`` around the nominal view angle; VICTRE's DBT used
  0.18 degrees ("exposure time x angular speed", Mackenzie 2017; input line 34) and 0 for DM.

Quadrature: each 1-D distribution (the per-axis focal-spot offset, the motion angle) is
replaced by its ``n``-point Gauss rule, built from the distribution's own moments (Golub-Welsch
on a fine discretisation), which matches the first ``2n - 1`` moments exactly. The focal spot
uses the product of the rules along two axes across the central ray (``n_focal**2`` points);
motion multiplies that by ``n_motion``. MC-GPU's offset along the beam (which changes the
magnification by < 0.02 %) is left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

__all__ = ["SourceBlur", "FOCAL_SPOT_MODELS", "focal_spot_rule", "motion_rule",
           "focal_spot_mtf", "motion_mtf"]

FOCAL_SPOT_MODELS = ("mcgpu", "gaussian")
_FWHM_TO_SIGMA = 1.0 / (2.0 * math.sqrt(2.0 * math.log(2.0)))   # MC-GPU: 0.424660900144
_TRUNC = 2.0                                                  # MC-GPU: |g| < 2 sigma


def _check_int(name: str, value, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
            or not lo <= value <= hi:
        raise ValueError(f"blur key {name} must be an integer in [{lo}, {hi}], got {value!r}")
    return int(value)


@lru_cache(maxsize=64)
def _marginal_density(model: str, n: int = 4001) -> tuple[np.ndarray, np.ndarray]:
    """Per-axis density of the focal-spot offset in units of sigma, on a grid in [-2, 2]."""
    x = np.linspace(-_TRUNC, _TRUNC, n)
    if model == "gaussian":
        p = np.exp(-0.5 * x ** 2)
    else:
        # x = r u, u ~ U(-1, 1), r = |g| (g normal, |g| < 2): f(x) = int_{|x|}^2 phi(r) / r dr
        # (the 1/2 of u's density and the 2 of |g|'s cancel up to normalisation)
        r = np.linspace(0.0, _TRUNC, 20001)[1:]
        phi = np.exp(-0.5 * r ** 2) / r
        cum = np.concatenate([[0.0], np.cumsum(0.5 * (phi[1:] + phi[:-1]) * np.diff(r))])
        tail = cum[-1] - np.interp(np.abs(x), r, cum)
        # the log singularity at 0 is integrable; cap it at the first grid spacing
        p = np.where(np.abs(x) < r[0], cum[-1] - 0.0, tail)
    dx = x[1] - x[0]
    w = p * dx
    return x, w / w.sum()


def _gauss_rule(x: np.ndarray, w: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """n-point Gauss rule of a discrete measure (Stieltjes recurrence + Golub-Welsch)."""
    if n == 1:
        m = float(np.dot(w, x))
        return np.array([m]), np.array([1.0])
    a = np.zeros(n)
    b = np.zeros(n)
    p_prev = np.zeros_like(x)
    p = np.ones_like(x)
    norm_prev = 1.0
    for k in range(n):
        norm = float(np.dot(w, p * p))
        a[k] = float(np.dot(w, x * p * p)) / norm
        if k > 0:
            b[k] = norm / norm_prev
        p_next = (x - a[k]) * p - (b[k] * p_prev if k > 0 else 0.0)
        p_prev, p, norm_prev = p, p_next, norm
    jac = np.diag(a) + np.diag(np.sqrt(b[1:]), 1) + np.diag(np.sqrt(b[1:]), -1)
    nodes, vecs = np.linalg.eigh(jac)
    weights = vecs[0, :] ** 2
    return nodes, weights / weights.sum()


def focal_spot_rule(fwhm_mm: float, n: int, model: str = "mcgpu"
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Gauss rule of the per-axis focal-spot offset.

    Parameters
    ----------
    fwhm_mm : float, mm
        Nominal FWHM of the focal spot (MC-GPU's input; VICTRE 0.300 mm).
    n : int
        Points (1-16); 1 gives the spot centre.
    model : {"mcgpu", "gaussian"}

    Returns
    -------
    (offsets_mm, weights)
    """
    if model not in FOCAL_SPOT_MODELS:
        raise ValueError(f"blur key focal_spot_model must be one of {FOCAL_SPOT_MODELS}, "
                         f"got {model!r}")
    sigma = float(fwhm_mm) * _FWHM_TO_SIGMA
    if sigma == 0.0 or n == 1:
        return np.zeros(1), np.ones(1)
    x, w = _marginal_density(model)
    nodes, weights = _gauss_rule(x, w, n)
    return nodes * sigma, weights


def motion_rule(arc_deg: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre rule of a uniform angle in ``[-arc/2, arc/2]`` (degrees)."""
    if arc_deg == 0.0 or n == 1:
        return np.zeros(1), np.ones(1)
    t, w = np.polynomial.legendre.leggauss(n)
    return 0.5 * float(arc_deg) * t, 0.5 * w


def focal_spot_mtf(f_per_mm, fwhm_mm: float, magnification: float, model: str = "mcgpu"):
    """Exact per-axis MTF (detector plane) of the focal spot for an object at magnification
    ``M``: the characteristic function of the offset at ``f (M - 1)``.

    ``"mcgpu"``: ``E_g[sinc(2 pi f (M-1) sigma |g|)]`` over the normal cut at ``|g| < 2``;
    ``"gaussian"``: ``E[cos(2 pi f (M-1) sigma g)]`` over the same cut normal. Both by
    adaptive quadrature (scipy), independent of the Gauss rules above.
    """
    from scipy import integrate

    sigma = float(fwhm_mm) * _FWHM_TO_SIGMA
    k = 2 * math.pi * np.atleast_1d(np.asarray(f_per_mm, dtype=float)) * (magnification - 1) \
        * sigma
    z = integrate.quad(lambda g: math.exp(-0.5 * g * g), 0, _TRUNC)[0]
    out = []
    for kk in k:
        if model == "mcgpu":
            fn = (lambda g, kk=kk: math.exp(-0.5 * g * g) * (math.sin(kk * g) / (kk * g)
                                                              if kk * g else 1.0))
        else:
            fn = (lambda g, kk=kk: math.exp(-0.5 * g * g) * math.cos(kk * g))
        out.append(integrate.quad(fn, 0, _TRUNC, limit=200)[0] / z)
    return np.abs(np.asarray(out))


def motion_mtf(f_per_mm, travel_mm: float):
    """MTF of a uniform shift over ``travel_mm`` (at the detector): ``|sinc(f L)|``."""
    return np.abs(np.sinc(np.asarray(f_per_mm, dtype=float) * travel_mm))


def _rotate(v: np.ndarray, axis: np.ndarray, angle_rad: float) -> np.ndarray:
    """Rodrigues' rotation of vector ``v`` about unit ``axis``."""
    c, s = math.cos(angle_rad), math.sin(angle_rad)
    return v * c + np.cross(axis, v) * s + axis * np.dot(axis, v) * (1 - c)


@dataclass(frozen=True)
class SourceBlur:
    """Focal spot and source motion of one system, and how finely to sample them.

    Parameters
    ----------
    focal_spot_fwhm_mm : float, mm
        Nominal focal-spot FWHM (0: point source). VICTRE 0.300 (MC-GPU input line 33).
    focal_spot_model : {"mcgpu", "gaussian"}
        Distribution of the spot (module notes); ``"mcgpu"`` is VICTRE's.
    motion_arc_deg : float, degrees
        Source rotation during one view (0 for DM; VICTRE DBT 0.18, input line 34).
    n_focal : int
        Gauss points per axis for the spot (1-8; ``n_focal**2`` sub-sources).
    n_motion : int
        Gauss-Legendre points along the motion (1-16).
    """

    focal_spot_fwhm_mm: float = 0.0
    focal_spot_model: str = "mcgpu"
    motion_arc_deg: float = 0.0
    n_focal: int = 2
    n_motion: int = 3

    def __post_init__(self):
        for name in ("focal_spot_fwhm_mm", "motion_arc_deg"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) \
                    or v < 0:
                raise ValueError(f"blur key {name} must be a number >= 0, got {v!r}")
        if self.motion_arc_deg > 10.0:
            raise ValueError(f"blur key motion_arc_deg must be <= 10 degrees, got "
                             f"{self.motion_arc_deg!r}")
        if self.focal_spot_fwhm_mm > 5.0:
            raise ValueError(f"blur key focal_spot_fwhm_mm must be <= 5 mm, got "
                             f"{self.focal_spot_fwhm_mm!r}")
        if self.focal_spot_model not in FOCAL_SPOT_MODELS:
            raise ValueError(f"blur key focal_spot_model must be one of {FOCAL_SPOT_MODELS}, "
                             f"got {self.focal_spot_model!r}")
        _check_int("n_focal", self.n_focal, 1, 8)
        _check_int("n_motion", self.n_motion, 1, 16)

    @property
    def enabled(self) -> bool:
        """True when any blur is simulated."""
        return (self.focal_spot_fwhm_mm > 0 and self.n_focal > 1) or \
            (self.motion_arc_deg > 0 and self.n_motion > 1)

    def for_scan(self, scan: str) -> "SourceBlur":
        """This blur for a scan kind: motion applies to ``"dbt"`` only (MC-GPU disables it for
        the single 0-degree mammogram, MC-GPU_v1.5b.cu line 536)."""
        if scan == "dbt" or self.motion_arc_deg == 0:
            return self
        return SourceBlur(self.focal_spot_fwhm_mm, self.focal_spot_model, 0.0, self.n_focal,
                          self.n_motion)

    def sub_sources(self, source_mm, *, towards_mm, rotation_center_mm=None,
                    rotation_axis=(1.0, 0.0, 0.0)) -> tuple[np.ndarray, np.ndarray]:
        """Sub-source positions and weights for one view.

        Parameters
        ----------
        source_mm : (x, y, z), mm
            Nominal focal spot of the view.
        towards_mm : (x, y, z), mm
            A point on the central ray (e.g. the detector centre); the spot's two axes are
            across this ray.
        rotation_center_mm : (x, y, z), mm, optional
            A point on the scan's rotation axis (required when ``motion_arc_deg > 0``).
        rotation_axis : (x, y, z)
            Direction of the rotation axis (VICTRE: (1, 0, 0)).

        Returns
        -------
        (positions ``[n, 3]`` mm, weights ``[n]`` summing to 1)
        """
        s = np.asarray(source_mm, dtype=float)
        ray = np.asarray(towards_mm, dtype=float) - s
        ray /= np.linalg.norm(ray)
        axis = np.asarray(rotation_axis, dtype=float)
        axis /= np.linalg.norm(axis)
        # spot axes: e1 along the rotation axis projected across the ray, e2 = ray x e1
        e1 = axis - np.dot(axis, ray) * ray
        if np.linalg.norm(e1) < 1e-9:
            e1 = np.cross(ray, [0.0, 1.0, 0.0] if abs(ray[1]) < 0.9 else [1.0, 0.0, 0.0])
        e1 /= np.linalg.norm(e1)
        e2 = np.cross(ray, e1)
        off, w_off = focal_spot_rule(self.focal_spot_fwhm_mm, self.n_focal,
                                     self.focal_spot_model)
        spots = (s[None, None, :] + off[:, None, None] * e1 + off[None, :, None] * e2)
        spots = spots.reshape(-1, 3)
        w_spot = (w_off[:, None] * w_off[None, :]).ravel()
        ang, w_ang = motion_rule(self.motion_arc_deg, self.n_motion)
        if len(ang) > 1 and rotation_center_mm is None:
            raise ValueError("rotation_center_mm is required for motion blur")
        c = np.zeros(3) if rotation_center_mm is None else np.asarray(rotation_center_mm, float)
        pos, wts = [], []
        for a, wa in zip(ang, w_ang):
            for p, wp in zip(spots, w_spot):
                pos.append(c + _rotate(p - c, axis, math.radians(a)) if a else p)
                wts.append(wa * wp)
        return np.asarray(pos), np.asarray(wts)

    def sub_views(self, view, *, rotation_center_mm=None, rotation_axis=(1.0, 0.0, 0.0)):
        """``[(View, weight), ...]`` for one ``victwin.geometry.View`` (panel unchanged)."""
        from victwin.geometry import View

        pos, wts = self.sub_sources(view.source, towards_mm=view.panel.center,
                                    rotation_center_mm=rotation_center_mm,
                                    rotation_axis=rotation_axis)
        return [(View(source=tuple(p), panel=view.panel), float(w)) for p, w in zip(pos, wts)]
