"""Scatter by convolution: a scatter point-spread function applied to the detected primary.

The model is the convolution ("kernel superposition") method of Boone & Cooper (2000): every
detector pixel that receives primary radiation through tissue also receives scatter spread
around it by a point-spread function (PSF). Here

.. math::

    S(\\mathbf r) = \\big[P \\cdot A(\\tau)\\big] \\ast K_\\lambda(\\mathbf r),\\qquad
    K_\\lambda(r) = \\frac{e^{-r/\\lambda}}{2\\pi\\lambda r},\\qquad \\int K_\\lambda = 1,

with ``P`` the detected primary (absorbed energy per pixel, so the PSF is weighted by the
detected spectrum, as in Boone & Cooper), ``tau`` the tissue path length along the primary ray
(air excluded; oblique for DBT views; see "Which path" below), ``A(tau)`` the scatter-to-primary
ratio of an infinitely wide slab and ``K`` a radial exponential PSF whose range ``lambda`` grows with the
slab thickness. For an infinite slab ``S/P = A``; a finite breast loses the scatter that its
missing tissue would have sent, which gives the dependence on breast diameter.

``A`` is the infinite-diameter limit of Boone et al.'s fit, scaled by ``s``, and ``lambda``
is linear in thickness (each pixel's scatter is spread with the range of its own tissue path,
see :func:`scatter_image`); ``s`` and ``lambda(T)`` were fitted (three numbers) so that the SPR at
the centroid of a semicircular breast matches Boone et al.'s fit over T = 2-8 cm and
D = 8-30 cm (largest deviation 6 %, at T = 8 cm, D = 8 cm; see ``tests/physics/test_scatter.py``
for the measured values).

Which path
----------
``ScatterModel.path`` says what ``tau`` is (:func:`scatter_path_labels`, :func:`scatter_path_mm`):

* ``"geometric"`` (default; every breast system): the chord length through non-air material.
  Breast tissue is 0.93-1.06 g/cm^3, so the geometric path is what Boone's fit was read with.
* ``"water_equivalent"`` (chest): each material's chord weighted by its density relative to
  water, ``tau = sum_m (rho_m / 1 g cm^-3) L_m`` (the mass thickness in g/cm^2, as cm of
  water). At chest energies (chest-pa: 120 kV, W, 2.5 mm Al + 0.1 mm Cu, mean photon energy
  60 keV) the interactions in tissue are mostly Compton scattering, whose cross-section per
  electron is the Klein-Nishina one for every material, and the electrons per gram (Z/A) of
  water (0.555), soft tissue, muscle, blood and lung (0.550-0.551) differ by < 1 %: so a gram
  of lung scatters and attenuates like a gram of water, and 10 cm of lung at 0.14 g/cm^3
  counts as 1.4 cm of water, not 10 cm. Bone (Z/A 0.515, more photoelectric absorption) is
  counted by its mass too, 7 % above its electron-density weight; ribs and spine are a small
  share of a chest path. (Weighting by the linear attenuation at one effective energy instead
  would count bone by its photoelectric absorption too, which removes photons rather than
  scattering them.) Niklason's chest measurements read the same way: the lungs have "an
  effective tissue thickness of only about 10 cm" [3]_ although the chest is 20-25 cm deep
  there. The PSF range ``lambda`` then grows with the water-equivalent path as well, although
  the spread of scatter is geometric (set by the depth it leaves from): an approximation.

References
----------
.. [1] Boone JM, Cooper VN. Scatter/primary in mammography: Monte Carlo validation.
   Med Phys 27(8):1818-1831 (2000) (the convolution method).
.. [2] Boone JM, Lindfors KK, Cooper VN, Seibert JA. Scatter/primary in mammography:
   comprehensive results. Med Phys 27(10):2408-2416 (2000):
   SPR = 1 / (a + b D^-1.5 + c T^-0.5), a = -2.35452817439093, b = 22.3960980055927,
   c = 8.85064260299289 (D diameter, T thickness, cm; Mo/Mo, no grid).
.. [3] Niklason LT. Scattered radiation in chest radiography. MS thesis, University of Utah,
   1980 (abstract: "the lungs have an effective tissue thickness of only about 10 cm";
   collections.lib.utah.edu ark:/87278/s6df6sxm).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

__all__ = ["ScatterModel", "boone_spr", "scatter_kernel", "scatter_image", "MAMMOGRAPHY_SCATTER",
           "SCATTER_CELL_MM", "SCATTER_PATHS", "scatter_path_labels", "scatter_path_mm"]

#: What the scatter model's path ``tau`` is (:attr:`ScatterModel.path`).
SCATTER_PATHS = ("geometric", "water_equivalent")

#: Density of water (g/cm^3) the water-equivalent path is counted in.
WATER_DENSITY_G_CM3 = 1.0

#: Cell size (mm) on which :func:`scatter_image` computes scatter by default: scatter is smooth
#: (``lambda`` >= 3.5 mm); 2 mm changes the field-centre SPR of a 5 cm breast by under 0.1 %
#: against 1 mm and is 8-14x faster at 0.68 mm pixels.
SCATTER_CELL_MM = 2.0

# Boone et al. 2000 (Med Phys 27:2408) fit coefficients.
_BOONE_A = -2.35452817439093
_BOONE_B = 22.3960980055927
_BOONE_C = 8.85064260299289


def boone_spr(thickness_cm, diameter_cm):
    """Boone et al. (2000) field-centre SPR fit, no grid, Mo/Mo (reference values only).

    Parameters
    ----------
    thickness_cm : float or array, cm (valid 2-8)
    diameter_cm : float or array, cm (valid 3-30)

    Returns
    -------
    float or array
        Scatter-to-primary ratio.
    """
    t = np.asarray(thickness_cm, dtype=float)
    d = np.asarray(diameter_cm, dtype=float)
    return 1.0 / (_BOONE_A + _BOONE_B * d ** -1.5 + _BOONE_C * t ** -0.5)


@dataclass(frozen=True)
class ScatterModel:
    """Parameters of the convolution scatter model.

    Parameters
    ----------
    kind : {"boone2000", "power"}
        How the infinite-slab SPR ``A(tau)`` depends on the tissue path ``tau``:
        ``"boone2000"``: ``A = amplitude / (a + c tau_cm^-0.5)`` (Boone's fit at infinite D;
        mammographic energies); ``"power"``: ``A = amplitude * tau_cm ** exponent`` (a generic
        form for thick bodies at chest energies).
    amplitude : float
        ``s`` above (dimensionless).
    exponent : float
        Power of ``tau`` for ``kind="power"``.
    range_mm : float, mm
        PSF range ``lambda`` at zero thickness.
    range_per_thickness : float
        Growth of ``lambda`` (mm) per mm of tissue.
    max_spr : float
        Cap on ``A`` (Boone's form diverges when ``c tau^-0.5 <= -a``, above ~14 cm).
    path : {"geometric", "water_equivalent"}
        What ``tau`` is (module docstring, "Which path"): the chord through non-air material,
        or the density-weighted (water-equivalent) chord.
    """

    kind: str = "boone2000"
    amplitude: float = 0.949
    exponent: float = 1.0
    range_mm: float = 3.54
    range_per_thickness: float = 0.452
    max_spr: float = 10.0
    path: str = "geometric"

    def __post_init__(self):
        if self.kind not in ("boone2000", "power"):
            raise ValueError(f"scatter kind must be 'boone2000' or 'power', got {self.kind!r}")
        if self.path not in SCATTER_PATHS:
            raise ValueError(f"scatter path must be one of {SCATTER_PATHS}, got {self.path!r}")
        for name in ("amplitude", "range_mm", "max_spr"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
                raise ValueError(f"scatter {name} must be a number > 0, got {v!r}")
        for name in ("exponent", "range_per_thickness"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
                raise ValueError(f"scatter {name} must be a number >= 0, got {v!r}")

    def infinite_slab_spr(self, tissue_mm):
        """``A(tau)``: SPR behind an infinitely wide slab of tissue path ``tau`` (mm)."""
        tau_cm = np.maximum(np.asarray(tissue_mm, dtype=np.float64), 0.0) / 10.0
        out = np.zeros_like(tau_cm)
        pos = tau_cm > 1e-3
        if self.kind == "boone2000":
            denom = _BOONE_A + _BOONE_C * tau_cm[pos] ** -0.5
            val = np.where(denom > 0, self.amplitude / np.where(denom > 0, denom, 1.0), np.inf)
        else:
            val = self.amplitude * tau_cm[pos] ** self.exponent
        out[pos] = np.minimum(val, self.max_spr)
        return out

    def range_for(self, thickness_mm: float) -> float:
        """PSF range ``lambda`` (mm) for a body ``thickness_mm`` thick."""
        return self.range_mm + self.range_per_thickness * max(float(thickness_mm), 0.0)


#: Fitted to Boone et al. 2000 on a semicircular breast (see module docstring).
MAMMOGRAPHY_SCATTER = ScatterModel()


def scatter_path_labels(model: ScatterModel | None, label_materials):
    """The labels whose path the scatter model reads, and their weights.

    Parameters
    ----------
    model : ScatterModel or None
    label_materials : sequence of str
        Material of each label.

    Returns
    -------
    labels : list of int
        Every label whose material is not air.
    weights : list of float or None
        None for a geometric path (the plain sum, bytes as before this option); for
        ``path="water_equivalent"`` each label's density / 1 g cm^-3.
    """
    labels = [lab for lab, m in enumerate(label_materials) if m != "air"]
    if model is None or model.path == "geometric":
        return labels, None
    from ._materials import get_material

    return labels, [get_material(label_materials[lab]).density_g_cm3 / WATER_DENSITY_G_CM3
                    for lab in labels]


def scatter_path_mm(paths, labels, weights=None, *, xp=np):
    """``tau`` (mm, float64 ``[nv, nu]``) of one view from its label path lengths.

    Parameters
    ----------
    paths : float array ``[n_labels, nv, nu]``, mm
    labels, weights : as returned by :func:`scatter_path_labels`
    xp : module
        NumPy or CuPy (that of ``paths``).
    """
    if not labels:
        return xp.zeros(paths.shape[-2:], dtype=np.float64)
    if weights is None:
        return paths[labels].sum(axis=0, dtype=np.float64)
    out = xp.zeros(paths.shape[-2:], dtype=np.float64)
    for lab, w in zip(labels, weights):
        out += float(w) * paths[lab].astype(np.float64)
    return out


def _quadrant_xp(range_mm: float, pitch_mm: float, half_size: int, xp) -> np.ndarray:
    """Pixel integrals of ``K`` for pixel offsets ``0..half_size`` on both axes, computed with
    the array module ``xp`` (NumPy here, CuPy on the device: ``_device_stages``).

    ``K`` is radially symmetric and the sub-sample offsets are symmetric about each pixel
    centre, so one quadrant gives the whole kernel exactly (a quarter of the work).
    """
    sub = 4
    offs = (xp.arange(sub, dtype=xp.float64) + 0.5) / sub - 0.5
    c = xp.arange(half_size + 1, dtype=xp.float64)[:, None] + offs[None, :]
    x = (c.reshape(-1) * pitch_mm)
    r = xp.hypot(x[:, None], x[None, :])
    r = xp.maximum(r, 1e-9)
    k = xp.exp(-r / range_mm) / (2.0 * math.pi * range_mm * r)
    n = half_size + 1
    k = k.reshape(n, sub, n, sub).mean(axis=(1, 3)) * pitch_mm ** 2
    r_eq = pitch_mm / math.sqrt(math.pi)
    k[0, 0] = 1.0 - math.exp(-r_eq / range_mm)
    return k


@functools.lru_cache(maxsize=64)
def _kernel_quadrant(range_mm: float, pitch_mm: float, half_size: int) -> np.ndarray:
    """:func:`_quadrant_xp` with NumPy, cached (read-only)."""
    k = _quadrant_xp(range_mm, pitch_mm, half_size, np)
    k.setflags(write=False)
    return k


def _mirror_quadrant(q, xp=np):
    """The whole ``(2 n - 1)``-square kernel from its quadrant ``q`` (``[n, n]``)."""
    top = xp.concatenate([q[::-1, ::-1], q[::-1, 1:]], axis=1)
    bottom = xp.concatenate([q[1:, ::-1], q[1:, 1:]], axis=1)
    return xp.concatenate([top, bottom], axis=0)


def scatter_kernel(range_mm: float, pitch_mm: float, half_size: int) -> np.ndarray:
    """The normalised radial exponential PSF sampled on a square pixel grid.

    Parameters
    ----------
    range_mm : float, mm
        ``lambda``.
    pitch_mm : float, mm
        Pixel pitch of the grid the kernel is applied on.
    half_size : int
        Kernel is ``(2 half_size + 1)`` pixels square.

    Returns
    -------
    float64 array ``[2 half_size + 1, 2 half_size + 1]``
        Pixel integrals of ``K`` (4 x 4 sub-samples per pixel; the central pixel integrated
        exactly over a disc of the same area); sums to the fraction of ``K`` inside the square.
    """
    return _mirror_quadrant(_kernel_quadrant(float(range_mm), float(pitch_mm), int(half_size)))


def _block_mean(a: np.ndarray, f: int) -> np.ndarray:
    nv, nu = a.shape
    pv, pu = (-nv) % f, (-nu) % f
    if pv or pu:
        a = np.pad(a, ((0, pv), (0, pu)), mode="edge")
    return a.reshape(a.shape[0] // f, f, a.shape[1] // f, f).mean(axis=(1, 3))


def scatter_image(primary, tissue_mm, pitch_mm: float, *, model: ScatterModel = MAMMOGRAPHY_SCATTER,
                  thickness_mm: float | None = None, coarse_mm: float = SCATTER_CELL_MM,
                  n_kernels: int = 6) -> np.ndarray:
    """Scatter reaching the detector, in the units of ``primary``.

    Each pixel's scatter source ``P A(tau)`` is spread with the PSF range of its own tissue
    path, ``lambda(tau)`` (kernel superposition with thickness-dependent kernels): the sources
    are split over ``n_kernels`` path-length nodes from 0 to the largest path (linear
    interpolation weights), each part is convolved with its node's kernel, and the parts are
    summed. Thin paths (the rim of a breast seen by oblique rays) therefore scatter into a
    narrow neighbourhood, as thin tissue does, instead of across the whole breast.

    Parameters
    ----------
    primary : float array ``[nv, nu]``
        Detected primary per pixel (e.g. absorbed energy, keV), without grid.
    tissue_mm : float array ``[nv, nu]``, mm
        Path length of the primary ray inside non-air material (oblique for DBT views).
    pitch_mm : float, mm
        Detector pixel pitch.
    model : ScatterModel
    thickness_mm : float, mm, optional
        If given, one kernel with the range for this thickness is used for every pixel.
    coarse_mm : float, mm
        Scatter is smooth (``lambda`` >= 3.5 mm), so it is computed on a grid of about this
        pitch and interpolated back. 2 mm changes the field-centre SPR of a 5 cm breast by
        under 0.1% against 1 mm and is 8-14x faster at 0.68 mm pixels.
    n_kernels : int
        Path-length nodes (>= 2) of the thickness-dependent kernels.

    Returns
    -------
    float64 array ``[nv, nu]``
        Scatter without grid; multiply by a grid's scatter transmission if one is used.
    """
    from scipy import ndimage, signal

    primary = np.asarray(primary, dtype=np.float64)
    tissue_mm = np.asarray(tissue_mm, dtype=np.float64)
    if primary.ndim != 2 or primary.shape != tissue_mm.shape:
        raise ValueError(f"primary and tissue_mm must be 2-D arrays of one shape, got "
                         f"{primary.shape} and {tissue_mm.shape}")
    if not (math.isfinite(pitch_mm) and pitch_mm > 0):
        raise ValueError(f"pitch_mm must be > 0, got {pitch_mm!r}")
    n_kernels = int(n_kernels)
    if n_kernels < 2:
        raise ValueError(f"n_kernels must be >= 2, got {n_kernels}")
    if not np.any(tissue_mm > 1e-3):
        return np.zeros_like(primary)
    f = max(1, int(round(coarse_mm / pitch_mm)))
    cp = pitch_mm * f
    source = primary * model.infinite_slab_spr(tissue_mm)
    if thickness_mm is not None:
        parts = [(model.range_for(thickness_mm), _block_mean(source, f))]
    else:
        top = float(tissue_mm.max())
        nodes = np.linspace(0.0, top, n_kernels)
        pos = np.clip(tissue_mm / top * (n_kernels - 1), 0, n_kernels - 1)
        lo = np.minimum(pos.astype(int), n_kernels - 2)
        frac = pos - lo
        parts = []
        for k in range(1, n_kernels):  # node 0 (no tissue) has A = 0
            w = np.where(lo == k, 1.0 - frac, 0.0) + np.where(lo == k - 1, frac, 0.0)
            if np.any(w > 0):
                parts.append((model.range_for(nodes[k]), _block_mean(source * w, f)))
    sc = None
    for lam, coarse in parts:
        half = int(min(math.ceil(8.0 * lam / cp), max(coarse.shape)))
        term = signal.fftconvolve(coarse, scatter_kernel(lam, cp, half), mode="same")
        sc = term if sc is None else sc + term
    # Back to the detector grid: linear interpolation of the coarse cells (centres at
    # (i + 0.5) f - 0.5 in fine-pixel units).
    nv, nu = primary.shape
    jj = (np.arange(nv) + 0.5) / f - 0.5
    ii = (np.arange(nu) + 0.5) / f - 0.5
    out = ndimage.map_coordinates(sc, np.meshgrid(jj, ii, indexing="ij"), order=1, mode="nearest")
    return np.maximum(out, 0.0)
