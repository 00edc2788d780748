"""Algebraic reconstruction: SIRT and (ordered-subsets) SART with non-negativity.

Update for a subset ``S`` of views (SART: Andersen & Kak 1984, Ultrason Imaging 6:81; ordered
subsets: Wang & Jiang 2004, J X-Ray Sci Technol 12:169; SIRT is the single subset of all
views):

    x <- max(0, x + lam * A_S.T(W_S (p_S - A_S x)) / A_S.T(m_S))

with ``W = 1 / (A 1)`` on rays crossing the grid (``m``) and 0 elsewhere. ``A`` / ``A.T`` are
the exact ray-tracing pair, so the iteration is the one its convergence theory assumes.

Stopping: a fixed number of iterations, or earlier when the relative residual
``||A x - p|| / ||p||`` (over valid rays) changes by less than ``tol`` (relative) between two
full iterations.
"""

from __future__ import annotations

import math

import numpy as np

from ._ops import SlabOperator, ray_weights, safe_divide
from ._progress import progress_bar

__all__ = ["algebraic"]

#: Cache the per-subset normalisation volumes up to this many bytes; recompute beyond.
_CACHE_BYTES = 2**30


def _subset_order(n_subsets: int) -> list[int]:
    # Golden-ratio order: consecutive subsets are far apart in angle (faster early progress).
    phi = (math.sqrt(5.0) - 1.0) / 2.0
    return sorted(range(n_subsets), key=lambda k: (k * phi) % 1.0)


def _relative_residual(op, x, p, valid, xp, norm_p):
    r = (op.forward(x) - p) * valid
    return float(xp.sqrt(xp.sum(r.astype(np.float64) ** 2))) / norm_p


#: Share of the measured attenuation (positive line integrals) allowed on rays that miss the
#: grid before an iterative method refuses it as a sub-region of the object.
OUTSIDE_SHARE = 0.01


def _check_object_inside(p, lengths, xp, label: str) -> None:
    """Refuse a grid that leaves part of the measured object outside it.

    An iterative method fits every ray's line integral with the grid's voxels, so object
    outside a sub-region would be pushed into it; a grid that misses rays carrying more than
    :data:`OUTSIDE_SHARE` of the attenuation is such a sub-region.
    """
    positive = xp.maximum(p, 0)
    total = float(positive.sum())
    outside = float(xp.where(lengths <= 0, positive, 0).sum())
    if total > 0 and outside > OUTSIDE_SHARE * total:
        raise ValueError(f"{label} needs a grid over the whole object: {100 * outside / total:.0f}% "
                         f"of the measured attenuation lies on rays that miss the grid, and an "
                         f"iterative fit would push it into the grid; use fbp or sbp for a "
                         f"sub-region, or a grid over the whole support")


def algebraic(p, op: SlabOperator, xp, *, n_subsets: int, n_iter: int = 10,
              relaxation: float = 1.0, tol: float | None = None, nonneg: bool = True,
              x0=None, callback=None, progress: bool = True, label: str = "sart"):
    """Run SIRT (``n_subsets=1``) or OS-SART on line integrals ``p``; returns the volume."""
    n_views = p.shape[0]
    if isinstance(n_iter, bool) or int(n_iter) != n_iter or n_iter < 1:
        raise ValueError(f"n_iter must be an integer >= 1, got {n_iter!r}")
    n_iter = int(n_iter)
    if isinstance(n_subsets, bool) or int(n_subsets) != n_subsets or not 1 <= n_subsets <= n_views:
        raise ValueError(f"n_subsets must be an integer in 1..{n_views} (number of views), "
                         f"got {n_subsets!r}")
    n_subsets = int(n_subsets)
    relaxation = float(relaxation)
    if not 0 < relaxation < 2:
        raise ValueError(f"relaxation must be in (0, 2), got {relaxation!r}")
    if tol is not None:
        tol = float(tol)
        if not math.isfinite(tol) or tol < 0:
            raise ValueError(f"tol must be a finite number >= 0 or None, got {tol!r}")
    grid = op.grid
    if x0 is None:
        x = xp.zeros(grid.shape, np.float32)
    else:
        if tuple(x0.shape) != grid.shape:
            raise ValueError(f"x0 shape {tuple(x0.shape)} does not match grid.shape {grid.shape}")
        x = xp.array(x0, dtype=np.float32)
    lengths = op.forward_ones(xp)
    _check_object_inside(p, lengths, xp, label)
    weights, valid = ray_weights(lengths, grid, xp)
    subsets = [list(range(k, n_views, n_subsets)) for k in range(n_subsets)]
    order = _subset_order(n_subsets)
    sub_views = [tuple(op.views[i] for i in s) for s in subsets]
    cache_ok = n_subsets * grid.n_voxels * 4 <= _CACHE_BYTES
    cache: dict[int, object] = {}
    track = tol is not None or callback is not None
    norm_p = float(xp.sqrt(xp.sum((p * valid).astype(np.float64) ** 2))) or 1.0
    previous = _relative_residual(op, x, p, valid, xp, norm_p) if track else None
    with progress_bar(n_iter * n_subsets, label, progress) as bar:
        for it in range(n_iter):
            for s in order:
                idx = subsets[s]
                views = sub_views[s]
                r = (p[idx] - op.forward(x, views)) * weights[idx]
                for k, (z0, z1) in enumerate(op.slabs):
                    if s in cache and k in cache[s]:
                        den = cache[s][k]
                    else:
                        den = op.backward_slab(k, valid[idx], views)
                        if cache_ok:
                            cache.setdefault(s, {})[k] = den
                    step = safe_divide(op.backward_slab(k, r, views), den, xp)
                    x[z0:z1] += np.float32(relaxation) * step
                    if nonneg:
                        xp.maximum(x[z0:z1], 0, out=x[z0:z1])
                bar.update(1)
            if track:
                residual = _relative_residual(op, x, p, valid, xp, norm_p)
                bar.set_postfix(residual=f"{residual:.3g}")
                if callback is not None:
                    callback(it + 1, x, residual)
                if tol is not None and previous > 0 and abs(previous - residual) / previous < tol:
                    break
                previous = residual
    return x
