"""Independent references: analytic results and published fits, in plain NumPy.

Nothing here calls the models it is a reference for (``victwin.raytrace``,
``victwin.physics``): the live credibility checks (:mod:`victwin.validation._checks`) and the
test suite compare the models against these.
"""

from __future__ import annotations

import numpy as np

__all__ = ["slab_chord", "BOONE_SPR_FIT", "boone_spr_fit", "ideal_aperture_mtf"]


def slab_chord(src, end, lo, hi) -> np.ndarray:
    """Length (mm) of each segment ``src -> end`` inside the box ``[lo, hi]``.

    The slab method (Kay & Kajiya, SIGGRAPH 1986): the segment's parameter interval inside
    each pair of parallel faces, intersected over the three axes.

    Parameters
    ----------
    src, end : array_like, (n, 3), mm
        Segment ends, ``(x, y, z)``.
    lo, hi : array_like, (3,) or (n, 3), mm
        The box's lower and upper corners, ``(x, y, z)``.

    Returns
    -------
    ndarray, (n,), mm
    """
    src = np.asarray(src, float)
    r = np.asarray(end, float) - src
    lo = np.broadcast_to(np.asarray(lo, float), src.shape)
    hi = np.broadcast_to(np.asarray(hi, float), src.shape)
    t0 = np.zeros(len(src))
    t1 = np.ones(len(src))
    with np.errstate(divide="ignore", invalid="ignore"):
        for a in range(3):
            ra = r[:, a]
            ta = (lo[:, a] - src[:, a]) / ra
            tb = (hi[:, a] - src[:, a]) / ra
            par = ra == 0
            inside = (src[:, a] >= lo[:, a]) & (src[:, a] < hi[:, a])
            t0 = np.maximum(t0, np.where(par, np.where(inside, -np.inf, np.inf),
                                         np.minimum(ta, tb)))
            t1 = np.minimum(t1, np.where(par, np.where(inside, np.inf, -np.inf),
                                         np.maximum(ta, tb)))
    return np.clip(t1 - t0, 0.0, None) * np.linalg.norm(r, axis=1)


#: Boone JM, Lindfors KK, Cooper VN, Seibert JA, Med Phys 27:2408 (2000): field-centre SPR (no
#: grid) of a semicircular 50/50 breast, SPR = 1 / (a + b D^-1.5 + c T^-0.5), ``(a, b, c)``.
BOONE_SPR_FIT = (-2.35452817439093, 22.3960980055927, 8.85064260299289)


def boone_spr_fit(thickness_cm: float, diameter_cm: float) -> float:
    """Boone et al. (2000)'s field-centre scatter-to-primary ratio of a semicircular breast.

    Parameters
    ----------
    thickness_cm, diameter_cm : float
        Compressed thickness and diameter of the semicircle, cm.
    """
    a, b, c = BOONE_SPR_FIT
    return 1.0 / (a + b * diameter_cm ** -1.5 + c * thickness_cm ** -0.5)


def ideal_aperture_mtf(f_per_mm, aperture_mm: float):
    """MTF of an ideal square aperture: ``|sinc(f a)|`` (at Nyquist of pitch a: 2/pi)."""
    return np.abs(np.sinc(np.asarray(f_per_mm, float) * aperture_mm))
