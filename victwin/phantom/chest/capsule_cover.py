"""Bones held under the skin (2026-12-05, sixth session, issue-19tall24): which points lie within
a cover's thickness of a bone drawn as capsules (the clavicles, the spinous processes), for
:meth:`.outline.Outline.trunk`; and where the clavicles' ends lie (:func:`clavicle_ends`), shared
by the skeleton's painting and the outline's cover so both see the same bone."""

from __future__ import annotations

import numpy as np

from .sternum import clavicular_notch_zd

__all__ = ["capsules_cover", "clavicle_ends"]


def capsules_cover(bone, x, y, zd, extra: float) -> np.ndarray:
    """Points (x, y, zd) within ``extra`` mm (the cover) of the capsules ``bone`` (rows ``x0, y0,
    zd0, x1, y1, zd1, r0, r1``, ``x`` >= 0, mirrored in x: :attr:`.outline.Outline.clavicles`,
    :attr:`.outline.Outline.spinous`); a box around all capsules is tested first."""
    segs = np.asarray(bone, np.float32)
    shape = np.broadcast_shapes(np.shape(x), np.shape(y), np.shape(zd))
    out = np.zeros(shape, bool)
    reach = float(segs[:, 6:].max()) + max(extra, 0.0)
    ax = np.abs(np.asarray(x, np.float32))
    y = np.asarray(y, np.float32)
    zd = np.asarray(zd, np.float32)
    lo, hi = segs[:, :6].reshape(-1, 2, 3).min(axis=(0, 1)), \
        segs[:, :6].reshape(-1, 2, 3).max(axis=(0, 1))
    near = ((ax >= lo[0] - reach) & (ax <= hi[0] + reach) & (y >= lo[1] - reach)
            & (y <= hi[1] + reach) & (zd >= lo[2] - reach) & (zd <= hi[2] + reach))
    at = np.nonzero(np.broadcast_to(near, shape))
    if not at[0].size:
        return out
    px, py, pz = (np.broadcast_to(v, shape)[at] for v in (ax, y, zd))
    hit = np.zeros(px.shape, bool)
    for x0, y0, z0, x1, y1, z1, r0, r1 in segs:
        dx, dy, dz = x1 - x0, y1 - y0, z1 - z0
        t = np.clip(((px - x0) * dx + (py - y0) * dy + (pz - z0) * dz)
                    / max(dx * dx + dy * dy + dz * dz, 1e-6), 0.0, 1.0)
        r = r0 + t * (r1 - r0) + extra
        hit |= ((px - x0 - t * dx) ** 2 + (py - y0 - t * dy) ** 2
                + (pz - z0 - t * dz) ** 2) <= r * r
    out[at] = hit
    return out


def clavicle_ends(cav, sp, sex: str, acromion_forward_mm: float) -> dict:
    """The clavicles' ``front_zd`` and ``back_zd`` (:func:`.skeleton.clavicle_path`): the
    sternal ends 3 mm in front of the manubrium's mid-plane at the notch (as when the manubrium
    stood at -b0), the acromial ends at the back of the shoulder, forward with the acromia for
    a PA film (``acromion_forward_mm``)."""
    return {"front_zd": clavicular_notch_zd(cav, sp, sex) - 3.0,
            "back_zd": 0.2 * cav.b0 - acromion_forward_mm}
