"""A synthesised 2D image (DM-like) from a reconstructed DBT volume."""

from __future__ import annotations

import numpy as np

from ._ops import array_module

__all__ = ["synthesize_2d", "SYNTH_METHODS"]

#: Methods accepted by :func:`synthesize_2d`.
SYNTH_METHODS = ("mip", "weighted", "average")


def synthesize_2d(volume, method: str = "weighted", *, temperature: float | None = None,
                  slices: tuple[int, int] | None = None):
    """Collapse a reconstructed volume ``[z, y, x]`` to one 2D image ``[y, x]``.

    Parameters
    ----------
    volume : float array ``[z, y, x]`` (NumPy or CuPy), 1/mm
    method : {"mip", "weighted", "average"}
        ``"mip"``: maximum over z (keeps calcifications at full contrast); ``"average"``: mean
        over z (a projection-like image of the mean attenuation); ``"weighted"``: the soft
        maximum ``t log(mean_z exp(v / t))``, which runs from the average (``t -> inf``) to the
        MIP (``t -> 0``): bright, focal structures dominate as in a MIP while the soft-tissue
        background keeps the texture of an average, as synthesised mammograms aim to do.
    temperature : float, 1/mm, optional
        ``t`` for ``"weighted"``; default a quarter of the volume's standard deviation.
    slices : (start, stop), optional
        Use only slices ``start:stop`` (a thick-slab view).

    Returns
    -------
    float32 array ``[y, x]``, same device as ``volume``.
    """
    xp = array_module(volume)
    if not hasattr(volume, "ndim") or volume.ndim != 3:
        raise ValueError(f"volume must be a 3-D array [z, y, x], got "
                         f"{getattr(volume, 'shape', type(volume).__name__)}")
    method = str(method).lower()
    if method not in SYNTH_METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, SYNTH_METHODS))}, "
                         f"got {method!r}")
    if slices is not None:
        z0, z1 = (int(s) for s in slices)
        if not 0 <= z0 < z1 <= volume.shape[0]:
            raise ValueError(f"slices must satisfy 0 <= start < stop <= {volume.shape[0]}, "
                             f"got {slices!r}")
        volume = volume[z0:z1]
    v = xp.asarray(volume, dtype=np.float32)
    if method == "mip":
        return v.max(axis=0)
    if method == "average":
        return v.mean(axis=0, dtype=np.float64).astype(np.float32)
    if temperature is None:
        temperature = 0.25 * float(v.std())
    temperature = float(temperature)
    if not np.isfinite(temperature) or temperature < 0:
        raise ValueError(f"temperature must be a finite number >= 0, got {temperature!r}")
    if temperature == 0:
        return v.max(axis=0)
    top = v.max(axis=0)
    # log-mean-exp shifted by the maximum so exp never overflows.
    s = xp.exp((v - top[None]).astype(np.float64) / temperature).mean(axis=0)
    return (top + temperature * xp.log(s)).astype(np.float32)
