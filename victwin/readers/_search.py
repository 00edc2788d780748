"""Search readers: a location-known template observer applied at every pixel of a whole image.

A location-known-exactly (LKE) observer scores an ROI centred on a known site with
``t = template . g`` (:class:`~victwin.readers.NPWEObserver`,
:class:`~victwin.readers.ChannelizedHotelling`, ... all expose ``template_``). A *scanning*
observer does not know where the lesion is: it computes the same decision variable with the
ROI centred on every pixel (:func:`scan_template`, the "response map"), takes the local maxima
of that map inside the search region as its candidate findings (:func:`search_marks`) and
rates each by its response. The image's rating is its most suspicious finding, and the
finding's location is the reader's localisation (Swensson 1996; Gifford et al. 2016 take the
local maxima of a matched-filter image as the candidates of their visual-search observers).
:func:`localise` scores the marks against known lesion centres with an acceptance radius
(free-response scoring): each lesion's lesion-localisation (LL) rating and the non-lesion
localisation (NL) ratings.

The free-response figure of merit used with these (AFROC: the probability that a lesion's LL
rating exceeds the highest NL rating of a lesion-free image, ties 1/2; Chakraborty & Berbaum
2004) is an AUC between two sets of units, lesions and lesion-free images, so
:func:`victwin.stats.auc` and the clustered analysis of :mod:`victwin.stats` (twins as
clusters) compute it from the arrays returned here (:func:`afroc_units` lays them out,
unmarked as a finite rating below every mark).

References
----------
Swensson RG (1996). Unified measurement of observer performance in detecting and localizing
target objects on images. Med Phys 23(10):1709-1725 (abstract read at
discovery.researcher.life; citation as in RJafroc's ``UtilFigureOfMerit`` references): the
image's rating and first localisation are its "maximally suspicious" finding; applied to
radiologists searching chest films for pulmonary nodules.
Gifford HC, Liang Z, Das M (2016). Visual-search observers for assessing tomographic x-ray
image quality. Med Phys 43(3):1563-1575 (PMC5148186).
Chakraborty DP, Berbaum KS (2004). Observer studies involving detection and localization:
modeling, analysis, and validation. Med Phys 31(8):2313-2330, doi:10.1118/1.1769352 (citation
as in reference lists; the AFROC figure of merit); Chakraborty DP (2017), Observer Performance
Methods for Diagnostic Imaging, CRC Press (named on the RJafroc reference page).
Haygood TM et al. (2013). On the choice of acceptance radius in free-response observer
performance studies. Br J Radiol 86(1021):42313554.
"""

from __future__ import annotations

import numpy as np

__all__ = ["scan_template", "search_marks", "localise", "afroc_units"]


def scan_template(image, template) -> np.ndarray:
    """The response map of a template observer: its decision variable at every pixel.

    ``r[j, i] = sum(template * roi)`` where ``roi`` is the ROI of ``template``'s shape centred
    on pixel ``(j, i)`` as :func:`victwin.readers.extract_rois` cuts it (centre element at
    ``shape // 2``), i.e. the score the LKE observer would give an ROI cut there.

    Parameters
    ----------
    image : ndarray ``[y, x]``
        The whole image (e.g. a chest radiograph's line integrals, float).
    template : ndarray ``[h, w]``, odd ``h`` and ``w``
        An observer's image-space template (``observer.template_``), in the ROI's pixels.

    Returns
    -------
    ndarray ``[y, x]``, float64
        The response map; NaN where the ROI would leave the image (within ``h // 2`` rows or
        ``w // 2`` columns of the edge), as :func:`extract_rois` refuses such ROIs.

    Notes
    -----
    A cross-correlation computed with FFTs (``scipy.signal.fftconvolve`` of the image with
    the flipped template, ``mode="valid"``), so no pixel outside the image enters any value.
    """
    from scipy.signal import fftconvolve

    g = np.asarray(image, dtype=np.float64)
    t = np.asarray(template, dtype=np.float64)
    if g.ndim != 2 or t.ndim != 2:
        raise ValueError(f"image and template must be 2D [y, x], got shapes {g.shape} and "
                         f"{t.shape}")
    if any(s % 2 == 0 for s in t.shape):
        raise ValueError(f"template shape must be odd in both axes (a centre element, as "
                         f"extract_rois), got {t.shape}")
    if any(s > n for s, n in zip(t.shape, g.shape)):
        raise ValueError(f"template {t.shape} is larger than the image {g.shape}")
    valid = fftconvolve(g, t[::-1, ::-1], mode="valid")
    out = np.full(g.shape, np.nan)
    hy, hx = t.shape[0] // 2, t.shape[1] // 2
    out[hy:hy + valid.shape[0], hx:hx + valid.shape[1]] = valid
    return out


def _disc_max(field: np.ndarray, radius_px: float) -> np.ndarray:
    """Maximum of ``field`` over a disc of ``radius_px`` around every pixel (outside: -inf).

    The disc is a stack of row segments; each segment's running maximum along the rows is a
    1-D filter whose cost does not grow with its length, so a 50-pixel disc on a 1536^2 image
    takes about a second (a 2-D footprint filter takes over ten).
    """
    from scipy.ndimage import maximum_filter1d

    r = int(np.floor(radius_px))
    ny = field.shape[0]
    rows: dict = {}
    peak = np.full(field.shape, -np.inf)
    for dy in range(-r, r + 1):
        w = int(np.floor(np.sqrt(max(radius_px * radius_px - dy * dy, 0.0))))
        if w not in rows:
            rows[w] = maximum_filter1d(field, size=2 * w + 1, axis=1, mode="constant",
                                       cval=-np.inf)
        seg = rows[w]
        # peak[j] = max(peak[j], seg[j + dy]) where j + dy is inside the image
        lo, hi = max(0, -dy), min(ny, ny - dy)
        if lo < hi:
            np.maximum(peak[lo:hi], seg[lo + dy:hi + dy], out=peak[lo:hi])
    return peak


def search_marks(response, mask=None, *, radius_px: float) -> tuple:
    """Candidate findings of a scanning reader: the local maxima of its response map.

    A pixel is a mark if it lies in the search region, its response is finite, and no pixel
    of the region within ``radius_px`` of it responds more. Each mark is rated by its
    response (the "degree of suspicion", Swensson 1996); the highest is the image's rating.

    Parameters
    ----------
    response : ndarray ``[y, x]``
        From :func:`scan_template` (NaN pixels are never marks and suppress nothing).
    mask : ndarray of bool ``[y, x]``, optional
        The search region (e.g. the lung fields); default every finite pixel.
    radius_px : float
        Suppression radius (pixels, > 0): two marks are at least this far apart unless
        they respond equally (a plateau gives one mark per pixel of it).

    Returns
    -------
    positions : ndarray of int ``[n, 2]``
        Marks as ``(row, col)``, ordered by decreasing rating (ties by position).
    ratings : ndarray of float ``[n]``
    """
    r = np.asarray(response, dtype=np.float64)
    if r.ndim != 2:
        raise ValueError(f"response must be 2D [y, x], got shape {r.shape}")
    if not radius_px > 0:
        raise ValueError(f"radius_px must be > 0, got {radius_px}")
    region = np.isfinite(r)
    if mask is not None:
        m = np.asarray(mask, dtype=bool)
        if m.shape != r.shape:
            raise ValueError(f"mask shape {m.shape} differs from the response's {r.shape}")
        region &= m
    field = np.where(region, r, -np.inf)
    peak = _disc_max(field, radius_px)
    is_mark = region & (field >= peak)
    rows, cols = np.nonzero(is_mark)
    ratings = field[rows, cols]
    order = np.lexsort((cols, rows, -ratings))
    return np.stack([rows[order], cols[order]], axis=1), ratings[order]


def localise(positions, ratings, lesion_centers, *, acceptance_px) -> tuple:
    """Score marks against lesion centres (free-response scoring).

    A mark within ``acceptance_px`` of a lesion's centre localises that lesion (a lesion
    localisation, LL); a mark within no lesion's acceptance radius is a non-lesion
    localisation (NL). A lesion's LL rating is the highest rating among the marks that
    localise it, ``-inf`` if none does (unmarked; it then ties with an unmarked image in the
    AFROC figure of merit, Chakraborty & Berbaum 2004).

    Parameters
    ----------
    positions : array_like ``[n, 2]``
        Marks as ``(row, col)`` (from :func:`search_marks`).
    ratings : array_like ``[n]``
    lesion_centers : array_like ``[k, 2]``
        Lesion centres as ``(row, col)`` in the same image (fractional allowed).
    acceptance_px : float or array_like ``[k]``
        Acceptance radius per lesion (pixels, > 0); Haygood et al. (2013) base it on the
        size of the larger lesions.

    Returns
    -------
    ll : ndarray ``[k]``
        Each lesion's LL rating (``-inf`` if unmarked).
    nl : ndarray ``[m]``
        The ratings of the marks that localise no lesion (in mark order).
    """
    p = np.asarray(positions, dtype=np.float64).reshape(-1, 2)
    s = np.asarray(ratings, dtype=np.float64).ravel()
    c = np.asarray(lesion_centers, dtype=np.float64).reshape(-1, 2)
    if len(p) != len(s):
        raise ValueError(f"positions ({len(p)}) and ratings ({len(s)}) differ in length")
    a = np.broadcast_to(np.asarray(acceptance_px, dtype=np.float64), (len(c),))
    if np.any(~(a > 0)):
        raise ValueError(f"acceptance_px must be > 0, got {np.asarray(acceptance_px)}")
    d = np.hypot(p[:, None, 0] - c[None, :, 0], p[:, None, 1] - c[None, :, 1])  # [n, k]
    hit = d <= a[None, :]
    ll = np.where(hit, s[:, None], -np.inf).max(axis=0, initial=-np.inf)
    nl = s[~hit.any(axis=1)]
    return ll, nl


def afroc_units(ll, max_nl) -> tuple:
    """Lesions and lesion-free images as the two unit sets of the AFROC figure of merit.

    The AFROC figure of merit is the probability that a lesion's LL rating exceeds the
    highest NL rating of a lesion-free image (ties 1/2), i.e. the Mann-Whitney AUC of the
    lesions' LL ratings (truth 1) against the lesion-free images' highest NL ratings (truth 0)
    (Chakraborty & Berbaum 2004). Unmarked lesions and lesion-free images without marks
    (``-inf``) get one finite rating below every mark, so they tie with each other and lose
    to every mark, and :func:`victwin.stats.auc` (finite scores only) computes the figure of
    merit.

    Parameters
    ----------
    ll : array_like ``[k]``
        LL ratings of the lesions (from :func:`localise`), ``-inf`` if unmarked.
    max_nl : array_like ``[m]``
        Each lesion-free image's highest NL rating, ``-inf`` if it has no mark.

    Returns
    -------
    scores : ndarray ``[k + m]``, finite
    truth : ndarray of int ``[k + m]``, 1 for the lesions then 0 for the images
    """
    a = np.asarray(ll, dtype=np.float64).ravel()
    b = np.asarray(max_nl, dtype=np.float64).ravel()
    s = np.concatenate([a, b])
    if np.isnan(s).any() or np.isposinf(s).any():
        raise ValueError("ratings must be finite or -inf (unmarked); got NaN or +inf")
    finite = s[np.isfinite(s)]
    low = (finite.min() - 1.0 - abs(finite.min())) if finite.size else 0.0
    scores = np.where(np.isfinite(s), s, low)
    truth = np.r_[np.ones(a.size, dtype=int), np.zeros(b.size, dtype=int)]
    return scores, truth
