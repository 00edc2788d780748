"""Location-known-exactly ROI/VOI extraction and lesion-absent location sampling.

Arrays index ``[y, x]`` (2D images) or ``[z, y, x]`` (3D volumes). Centres are given either as
array indices in the same axis order (``centers_index``) or as world points ``(x, y[, z])`` in
mm (``centers_mm``) together with the pixel spacing in array order and the world position of
the centre of element ``[0, 0(, 0)]`` (the ``Grid`` contract of ``DESIGN.md``).

References
----------
VICTRE ROI sizes: Badano A. et al., "Evaluation of digital breast tomosynthesis as replacement
of full-field digital mammography using an in silico imaging trial", JAMA Netw Open 1(7):e185474
(2018); DIDSR/VICTRE_PIPELINE ``Constants.DEFAULT_ROI`` and ``ROIExtraction`` (DM 65 x 65 px for
calcification clusters and 109 x 109 px for masses at 85 um; DBT VOI 65 x 65 x 5 and
109 x 109 x 9 slices).
"""

from __future__ import annotations

import numpy as np

#: Detector pixel pitch (mm) at which VICTRE's ROI sizes in pixels are defined.
VICTRE_PIXEL_MM = 0.085

# (in-plane pixels, DBT slices) for each lesion kind, VICTRE defaults.
_VICTRE_SIZES = {"calcification": (65, 5), "mass": (109, 9)}
_KIND_ALIASES = {
    "calcification": "calcification",
    "calcification_cluster": "calcification",
    "calc": "calcification",
    "cluster": "calcification",
    "mass": "mass",
    "spiculated_mass": "mass",
}
_MODALITIES = ("dm", "dbt")


def _odd_count(length_mm: float, pixel_mm: float) -> int:
    """Nearest odd number of pixels covering ``length_mm`` (so the ROI has a centre pixel)."""
    x = round(length_mm / pixel_mm, 9)
    return int(np.floor(x / 2.0)) * 2 + 1


def roi_shape(lesion_kind, *, modality="dm", pixel_mm=VICTRE_PIXEL_MM, size_mm=None,
              slices=None):
    """ROI (DM) or VOI (DBT) shape used by VICTRE for a lesion kind, in array order.

    Parameters
    ----------
    lesion_kind : str
        ``"calcification"`` (aliases ``"calcification_cluster"``, ``"calc"``, ``"cluster"``)
        or ``"mass"`` (alias ``"spiculated_mass"``).
    modality : {"dm", "dbt"}
        ``"dm"`` gives ``(ny, nx)``, ``"dbt"`` gives ``(nz, ny, nx)``.
    pixel_mm : float
        In-plane pixel pitch (mm). VICTRE's sizes are 65 and 109 px at 0.085 mm, i.e.
        5.525 mm and 9.265 mm; other pitches keep the size in mm (nearest odd pixel count).
    size_mm : float, optional
        In-plane ROI side (mm), overriding the VICTRE default.
    slices : int, optional
        Number of DBT slices (odd), overriding the VICTRE default (5 or 9).

    Returns
    -------
    tuple of int
        ``(ny, nx)`` or ``(nz, ny, nx)``, all odd.
    """
    key = _KIND_ALIASES.get(str(lesion_kind).lower())
    if key is None:
        raise ValueError(f"lesion_kind must be one of {sorted(_KIND_ALIASES)}, got {lesion_kind!r}")
    mod = str(modality).lower()
    if mod not in _MODALITIES:
        raise ValueError(f"modality must be one of {_MODALITIES}, got {modality!r}")
    if not np.isfinite(pixel_mm) or pixel_mm <= 0:
        raise ValueError(f"pixel_mm must be a positive number, got {pixel_mm!r}")
    px_default, slices_default = _VICTRE_SIZES[key]
    if size_mm is None:
        n = _odd_count(px_default * VICTRE_PIXEL_MM, pixel_mm)
    else:
        if not np.isfinite(size_mm) or size_mm <= 0:
            raise ValueError(f"size_mm must be a positive number, got {size_mm!r}")
        n = _odd_count(size_mm, pixel_mm)
    if mod == "dm":
        return (n, n)
    nz = slices_default if slices is None else int(slices)
    if nz < 1 or nz % 2 == 0:
        raise ValueError(f"slices must be a positive odd integer, got {slices!r}")
    return (nz, n, n)


def _check_shape(size, ndim, name="size_px"):
    size = tuple(int(s) for s in np.atleast_1d(size))
    if len(size) != ndim:
        raise ValueError(f"{name} must have {ndim} entries (array order), got {size}")
    if any(s < 1 or s % 2 == 0 for s in size):
        raise ValueError(f"{name} entries must be positive odd integers, got {size}")
    return size


def _centers_to_index(ndim, centers_index, centers_mm, spacing_mm, origin_mm):
    if (centers_index is None) == (centers_mm is None):
        raise ValueError("give exactly one of centers_index and centers_mm")
    if centers_index is not None:
        c = np.asarray(centers_index, dtype=float)
        c = c.reshape(1, -1) if c.ndim == 1 else c
        if c.ndim != 2 or c.shape[1] != ndim:
            raise ValueError(f"centers_index must have shape (n, {ndim}) in array order, "
                             f"got {np.shape(centers_index)}")
    else:
        if spacing_mm is None:
            raise ValueError("spacing_mm (array order) is required with centers_mm")
        sp = np.asarray(spacing_mm, dtype=float).reshape(-1)
        if sp.size != ndim or np.any(~np.isfinite(sp)) or np.any(sp <= 0):
            raise ValueError(f"spacing_mm must be {ndim} positive numbers in array order, "
                             f"got {spacing_mm!r}")
        org = np.zeros(ndim) if origin_mm is None else np.asarray(origin_mm, float).reshape(-1)
        if org.size != ndim:
            raise ValueError(f"origin_mm must have {ndim} entries (x, y[, z]), got {origin_mm!r}")
        p = np.asarray(centers_mm, dtype=float)
        p = p.reshape(1, -1) if p.ndim == 1 else p
        if p.ndim != 2 or p.shape[1] != ndim:
            raise ValueError(f"centers_mm must have shape (n, {ndim}) as points (x, y[, z]), "
                             f"got {np.shape(centers_mm)}")
        # points are (x, y, z); array axes are reversed (z, y, x)
        c = ((p - org) / sp[::-1])[:, ::-1]
    if np.any(~np.isfinite(c)):
        raise ValueError("centers must be finite numbers")
    return np.floor(c + 0.5).astype(np.int64)


def extract_rois(image, centers_index=None, *, centers_mm=None, spacing_mm=None,
                 origin_mm=None, size_px):
    """Cut ROIs (2D) or VOIs (3D) centred on known locations.

    Parameters
    ----------
    image : ndarray, shape ``[y, x]`` or ``[z, y, x]``
        Image or reconstructed volume.
    centers_index : array_like, shape ``(n, ndim)``, optional
        ROI centres as array indices in array order (``(row, col)`` or ``(slice, row, col)``);
        fractional values are rounded to the nearest element.
    centers_mm : array_like, shape ``(n, ndim)``, optional
        ROI centres as world points ``(x, y[, z])`` in mm (instead of ``centers_index``).
    spacing_mm : sequence of float, optional
        Element spacing (mm) in array order ``(dy, dx)`` or ``(dz, dy, dx)``; required with
        ``centers_mm``.
    origin_mm : sequence of float, optional
        World point ``(x, y[, z])`` (mm) of the centre of element ``[0, 0(, 0)]``; default 0.
    size_px : sequence of int
        ROI shape in array order, odd entries (see :func:`roi_shape`).

    Returns
    -------
    ndarray, shape ``[n, *size_px]``
        ROIs in the image's dtype; ROI ``i`` has its centre element at ``size_px // 2``.

    Raises
    ------
    ValueError
        If any ROI extends past the image edge (the message names the first such centre).
    """
    img = np.asarray(image)
    if img.ndim not in (2, 3):
        raise ValueError(f"image must be 2D [y, x] or 3D [z, y, x], got shape {img.shape}")
    size = _check_shape(size_px, img.ndim)
    c = _centers_to_index(img.ndim, centers_index, centers_mm, spacing_mm, origin_mm)
    half = np.array(size) // 2
    lo = c - half
    hi = c + half
    bad = np.any((lo < 0) | (hi >= np.array(img.shape)), axis=1)
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"ROI {i} centred at index {tuple(int(v) for v in c[i])} with size "
                         f"{size} falls off the image of shape {img.shape}")
    idx = []
    for ax in range(img.ndim):
        ar = lo[:, ax, None] + np.arange(size[ax])[None, :]
        shape = [c.shape[0]] + [1] * img.ndim
        shape[ax + 1] = size[ax]
        idx.append(ar.reshape(shape))
    return img[tuple(idx)]


def sample_absent_centers(mask, n, *, size_px, lesion_centers_index=(), rng,
                          min_inside_fraction=1.0, non_overlapping=False):
    """Draw lesion-absent ROI centres inside a tissue mask, away from the lesions.

    A candidate centre is accepted when (1) its whole ROI lies in the image, (2) at least
    ``min_inside_fraction`` of the ROI's elements are in ``mask`` and the centre itself is in
    ``mask``, and (3) its ROI box does not overlap the ROI box of any lesion centre (boxes of
    shape ``size_px`` around each). ``n`` centres are drawn without replacement, uniformly
    among the accepted candidates; absent ROIs may overlap one another unless
    ``non_overlapping`` is set, in which case candidates are visited in random order and
    kept when their box misses every box kept so far (random sequential adsorption).

    Parameters
    ----------
    mask : ndarray of bool, shape ``[y, x]`` or ``[z, y, x]``
        The tissue class to sample in (e.g. ``labels == GLANDULAR``).
    n : int
        Number of centres.
    size_px : sequence of int
        ROI shape in array order (odd entries).
    lesion_centers_index : array_like, shape ``(m, ndim)``
        Lesion centres (array indices) whose ROIs must not be overlapped.
    rng : numpy.random.Generator
        Source of the draw (seed it from trial seed, case id and step name).
    min_inside_fraction : float
        Fraction of the ROI that must lie inside ``mask`` (0 < f <= 1).
    non_overlapping : bool
        Also keep the absent ROIs apart from one another (independent samples).

    Returns
    -------
    ndarray of int64, shape ``(n, ndim)``
        Centres as array indices.
    """
    m = np.asarray(mask)
    if m.ndim not in (2, 3):
        raise ValueError(f"mask must be 2D [y, x] or 3D [z, y, x], got shape {m.shape}")
    m = m.astype(bool)
    size = _check_shape(size_px, m.ndim)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    n = int(n)
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if not 0.0 < float(min_inside_fraction) <= 1.0:
        raise ValueError(f"min_inside_fraction must be in (0, 1], got {min_inside_fraction!r}")
    half = np.array(size) // 2
    if any(k > n_ax for k, n_ax in zip(size, m.shape)):
        raise ValueError(f"size_px {size} is larger than the mask of shape {m.shape}")
    # (1) + (2): exact integer box counts of mask elements for every centre whose ROI lies
    # inside the image (running sums along each axis, 'valid' region only)
    count = m.astype(np.int32)
    for ax, w in enumerate(size):
        c = np.cumsum(count, axis=ax, dtype=np.int32)
        zero = np.zeros_like(np.take(c, [0], axis=ax))
        c = np.concatenate([zero, c], axis=ax)
        n_ax = c.shape[ax]
        count = np.take(c, np.arange(w, n_ax), axis=ax) - np.take(c, np.arange(0, n_ax - w),
                                                                   axis=ax)
    need = int(np.ceil(float(min_inside_fraction) * int(np.prod(size)) - 1e-9))
    ok = np.zeros(m.shape, bool)
    inner = tuple(slice(int(h), int(h) + count.shape[a]) for a, h in enumerate(half))
    ok[inner] = (count >= need) & m[inner]
    # (3) no overlap with lesion ROI boxes: boxes overlap iff |d| < size on every axis
    les = np.asarray(lesion_centers_index, dtype=float).reshape(-1, m.ndim)
    les = np.floor(les + 0.5).astype(np.int64)
    for lc in les:
        sl = tuple(slice(max(int(lc[a]) - 2 * int(half[a]), 0),
                         max(int(lc[a]) + 2 * int(half[a]) + 1, 0)) for a in range(m.ndim))
        ok[sl] = False
    cand = np.flatnonzero(ok.ravel())
    if cand.size < n:
        raise ValueError(f"n={n} lesion-absent ROIs of size {size} requested but only "
                         f"{cand.size} valid centres exist in the mask")
    if not non_overlapping:
        pick = rng.choice(cand, size=n, replace=False)
        return np.stack(np.unravel_index(pick, m.shape), axis=1).astype(np.int64)
    order = np.stack(np.unravel_index(rng.permutation(cand), m.shape), axis=1)
    sz = np.array(size)
    kept = np.empty((n, m.ndim), np.int64)
    k = 0
    for c in order:
        if k == n:
            break
        if k == 0 or not np.any(np.all(np.abs(kept[:k] - c) < sz, axis=1)):
            kept[k] = c
            k += 1
    if k < n:
        raise ValueError(f"n={n} non-overlapping lesion-absent ROIs of size {size} requested "
                         f"but only {k} fit in the mask")
    return kept
