"""A fast volume-preserving approximation of cranio-caudal compression (not FEM).

The uncompressed breast is a half-ellipsoid with semi-axes ``a`` (chest wall to nipple, ``x``),
``b`` (half width, ``y``) and ``c`` (half height, ``z``, the compressed direction). Under a CC
compression to thickness ``T`` the paddles flatten the top and bottom and the tissue spreads
sideways. The model:

* the footprint spreads uniformly by ``k`` (``x -> k x``, ``y -> k y``; the chest wall stays at
  ``x = 0``);
* the compressed outer surface is the half-ellipsoid ``(k a, k b, c')`` with ``c' = bulge * T/2``,
  clipped by the paddles at ``|z| <= T/2``: flat contact areas and a rounded, bulging edge, as a
  compressed breast looks;
* ``k`` is chosen so that the compressed volume equals the uncompressed one (closed form:
  the clipped half-ellipsoid holds ``pi/2 * A * B * (2h - 2h^3 / (3 c'^2))``);
* each vertical tissue column keeps its footprint position (scaled by ``k``) and is squeezed
  uniformly from its uncompressed height to its compressed height, so every point of the
  compressed breast maps to one point of the uncompressed breast (the anatomy is generated in
  the uncompressed frame and looked up through this map).

Volume is preserved in total (exactly, by the choice of ``k``), not pointwise; the finite
element model VICTRE uses (breastCompress: linear elastic, fat E = 5 kPa, gland 15 kPa,
nu = 0.49) also keeps the volume nearly constant since nu is close to 0.5.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Compression", "compress"]


@dataclass(frozen=True)
class Compression:
    """Parameters of the compressed shape (all mm)."""

    a: float          # uncompressed chest wall -> nipple
    b: float          # uncompressed half width
    c: float          # uncompressed half height
    thickness: float  # compressed thickness T
    bulge: float      # c' / (T/2)
    k: float          # lateral spread factor

    @property
    def h(self) -> float:
        return 0.5 * self.thickness

    @property
    def c_prime(self) -> float:
        return self.bulge * self.h

    @property
    def A(self) -> float:
        return self.k * self.a

    @property
    def B(self) -> float:
        return self.k * self.b

    @property
    def volume_uncompressed_mm3(self) -> float:
        return 2.0 / 3.0 * math.pi * self.a * self.b * self.c

    @property
    def volume_compressed_mm3(self) -> float:
        h, cp = self.h, self.c_prime
        return 0.5 * math.pi * self.A * self.B * (2 * h - 2 * h ** 3 / (3 * cp ** 2))

    # -- maps (NumPy; the numba kernels repeat the same formulas) -----------------------------
    def to_uncompressed(self, x, y, zr):
        """Compressed ``(x, y, z - z_mid)`` -> uncompressed ``(x, y, z)`` (mm)."""
        x = np.asarray(x, float)
        y = np.asarray(y, float)
        zr = np.asarray(zr, float)
        xu, yu = x / self.k, y / self.k
        r2 = np.clip((xu / self.a) ** 2 + (yu / self.b) ** 2, 0.0, 1.0 - 1e-12)
        s = np.sqrt(1.0 - r2)
        hc = np.minimum(self.h, self.c_prime * s)
        return xu, yu, zr * (self.c * s) / hc

    def to_compressed(self, xu, yu, zu):
        """Uncompressed ``(x, y, z)`` -> compressed ``(x, y, z - z_mid)`` (mm)."""
        xu = np.asarray(xu, float)
        yu = np.asarray(yu, float)
        zu = np.asarray(zu, float)
        r2 = np.clip((xu / self.a) ** 2 + (yu / self.b) ** 2, 0.0, 1.0 - 1e-12)
        s = np.sqrt(1.0 - r2)
        hc = np.minimum(self.h, self.c_prime * s)
        return xu * self.k, yu * self.k, zu * hc / (self.c * s)


def compress(a: float, b: float, c: float, thickness_mm: float, bulge: float) -> Compression:
    """Solve the spread factor ``k`` that keeps the breast volume under compression.

    Raises
    ------
    ValueError
        When ``thickness_mm`` is not smaller than the uncompressed height ``2 c`` or when
        ``bulge`` is below 1.
    """
    if not thickness_mm < 2.0 * c:
        raise ValueError(f"compression.thickness_mm must be below the uncompressed height "
                         f"2*half_height_mm = {2 * c:.1f} mm, got {thickness_mm:.1f}")
    if bulge < 1.0:
        raise ValueError(f"compression.bulge must be >= 1, got {bulge}")
    h = 0.5 * thickness_mm
    cp = bulge * h
    v0 = 2.0 / 3.0 * math.pi * a * b * c
    k = math.sqrt(v0 / (0.5 * math.pi * a * b * (2 * h - 2 * h ** 3 / (3 * cp ** 2))))
    return Compression(a=a, b=b, c=c, thickness=thickness_mm, bulge=bulge, k=k)
