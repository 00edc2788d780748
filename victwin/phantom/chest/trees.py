"""Space-filling branching trees (airways, pulmonary arteries and veins) after Kitaoka et al.

The algorithm of Kitaoka, Takaki & Suki (1999), on a cloud of points sampling the region a
tree must supply (here: one lung):

1. a branch ends where it has grown ``LENGTH_OVER_DIAMETER`` times its diameter towards the
   centroid of its region (Weibel 1963: length / diameter about 3 over the conducting airways);
2. the region is cut in two by a plane through the branch that contains the branch's
   direction; the plane is turned to cut across the region's widest spread;
3. the flow-dividing ratio ``r`` is the share of the region (points) each daughter supplies;
4. daughter diameters ``d_i = d * r_i ** (1 / n)`` with ``n = 2.8`` for airways (Kitaoka 1999,
   from the airway data of Weibel and Horsfield) and ``n = 3`` for vessels (Murray 1926);
5. branching angles minimise the tree's volume and power for that ``r`` (Kitaoka 1999, eq. 5,
   Murray's optimum): ``cos t1 = (1 + r^(4/n) - (1-r)^(4/n)) / (2 r^(2/n))`` and the same with
   ``r -> 1 - r`` for the other daughter; each turns towards its own sub-region;
6. a branch whose region holds fewer than ``min_points`` points, or whose diameter falls under
   ``min_diameter_mm``, becomes a terminal branch: ``LENGTH_OVER_DIAMETER`` diameters long
   (the same length rule), pointing at its region's centroid.

References
----------
Kitaoka H, Takaki R, Suki B. A three-dimensional model of the human airway tree. J Appl Physiol
1999;87:2207-2217.
Weibel ER. Morphometry of the Human Lung. Springer, 1963 (model A: airway diameter by
generation, Table used in :data:`WEIBEL_DIAMETER_MM`).
Murray CD. The physiological principle of minimum work. PNAS 1926;12:207-214.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["grow_tree", "strahler_orders", "WEIBEL_DIAMETER_MM", "LENGTH_OVER_DIAMETER",
           "branch_angles_deg"]

#: Weibel 1963 model A, airway diameter (mm) by generation 0 (trachea) .. 10.
WEIBEL_DIAMETER_MM = (18.0, 12.2, 8.3, 5.6, 4.5, 3.5, 2.8, 2.3, 1.86, 1.54, 1.30)
#: Branch length / diameter (Weibel 1963; Kitaoka 1999 rule 6).
LENGTH_OVER_DIAMETER = 3.0


def branch_angles_deg(r: float, n: float) -> tuple[float, float]:
    """Kitaoka 1999 / Murray optimal branching angles (deg) of the daughters supplying shares
    ``r`` and ``1 - r`` of the flow, for diameter exponent ``n``."""
    r = min(max(r, 1e-6), 1 - 1e-6)

    def ang(a, b):
        c = (1.0 + a ** (4.0 / n) - b ** (4.0 / n)) / (2.0 * a ** (2.0 / n))
        return math.degrees(math.acos(min(1.0, max(-1.0, c))))

    return ang(r, 1.0 - r), ang(1.0 - r, r)


def _unit(v):
    n = math.sqrt(float(v @ v))
    return v / n if n > 1e-9 else v


def _rotate_towards(d, target, angle_rad):
    """``d`` (unit) turned by ``angle_rad`` in the plane of ``d`` and ``target`` towards
    ``target``."""
    perp = target - float(target @ d) * d
    n = math.sqrt(float(perp @ perp))
    if n < 1e-9:
        return d
    return math.cos(angle_rad) * d + (math.sin(angle_rad) / n) * perp


def grow_tree(points, start, direction, diameter_mm: float, *, exponent: float,
              min_points: int = 2, min_diameter_mm: float = 0.8, max_generations: int = 24,
              first_generation: int = 1, inside=None):
    """Grow a tree from ``start`` along ``direction`` filling ``points`` (N x 3, mm).

    Parameters
    ----------
    points : ndarray (N, 3)
        Points sampling the region the tree supplies (anatomy coordinates, mm).
    start, direction : array-like (3,)
        The root branch's start and initial direction.
    diameter_mm : float
        Root branch diameter.
    exponent : float
        Diameter exponent ``n`` (2.8 airways, 3 vessels).
    inside : callable, optional
        ``inside(p) -> bool`` for a branch end; a branch that would leave the region stops
        short (ends at its midpoint).

    Returns
    -------
    ndarray (M, 10)
        One row per branch: start (3), end (3), radius at start and end (mm), generation,
        parent row index (-1 for the root).
    """
    pts = np.asarray(points, float)
    rows = []
    stack = [(np.asarray(start, float), _unit(np.asarray(direction, float)), float(diameter_mm),
              np.arange(len(pts)), first_generation, -1, pts.mean(axis=0))]
    while stack:
        p0, d, diam, idx, gen, parent, centroid = stack.pop()
        if len(idx) == 0:
            continue
        to_c = centroid - p0
        dist = math.sqrt(float(to_c @ to_c))
        terminal = (len(idx) < max(2, min_points) or diam < min_diameter_mm
                    or gen >= max_generations)
        if terminal:
            # a terminal branch obeys the same length rule as every other branch (Kitaoka
            # 1999 rule 6: length = 3 diameters) and points at its region's centroid; it does
            # not run all the way to the centroid (with one point left, that is a random
            # point up to centimetres away: long sub-millimetre lines that carried most of
            # the trees' volume and flattened the lung-field power spectrum)
            if dist > 0:
                end = p0 + to_c * (min(LENGTH_OVER_DIAMETER * diam, dist) / dist)
            else:
                end = p0 + d * LENGTH_OVER_DIAMETER * diam
            rows.append((*p0, *end, 0.5 * diam, 0.5 * diam, gen, parent))
            continue
        length = min(LENGTH_OVER_DIAMETER * diam, 0.8 * dist) if dist > 0 else diam
        end = p0 + d * length
        if inside is not None and not inside(end):
            end = p0 + 0.5 * d * length
        row = len(rows)
        rows.append((*p0, *end, 0.5 * diam, 0.5 * diam, gen, parent))
        region = pts[idx]
        # split plane through the branch containing d, normal across the widest spread
        rel = region - end
        rel_perp = rel - np.outer(rel @ d, d)
        if len(region) >= 3:
            cov = rel_perp.T @ rel_perp
            w, v = np.linalg.eigh(cov)
            normal = v[:, -1]
        else:
            normal = _unit(np.cross(d, [0.0, 0.0, 1.0]))
        side = rel @ normal
        order = np.argsort(side, kind="stable")
        # the cut keeps the plane through the branch: points on either side of it
        n1 = int(np.count_nonzero(side < 0))
        if n1 == 0 or n1 == len(idx):
            n1 = len(idx) // 2
        a, b = idx[order[:n1]], idx[order[n1:]]
        r = n1 / len(idx)
        t1, t2 = branch_angles_deg(r, exponent)
        for sub, share, ang in ((a, r, t1), (b, 1.0 - r, t2)):
            c = pts[sub].mean(axis=0)
            nd = _unit(_rotate_towards(d, c - end, math.radians(ang)))
            stack.append((end, nd, diam * share ** (1.0 / exponent), sub, gen + 1, row, c))
    return np.asarray(rows, float).reshape(-1, 10)


def strahler_orders(rows, *, min_diameter_mm: float = 0.0) -> np.ndarray:
    """Strahler order of each branch of a tree, counting only branches at least
    ``min_diameter_mm`` wide (as an angiogram resolves vessels of >= 1 mm).

    A branch with no counted children has order 1; a parent takes the largest order of its
    children, plus one where two or more children share it (Strahler 1957; the ordering of
    pulmonary angiograms by Horsfield & Thomas, Thorax 1981;36:360).

    Parameters
    ----------
    rows : ndarray (M, >= 10)
        Branches as :func:`grow_tree` returns them (radius at start in column 6, mm; parent
        row in column 9, -1 for the root; a parent precedes its children).
    min_diameter_mm : float, mm
        Narrower branches are left out (order 0), and so is everything below them.

    Returns
    -------
    ndarray of int (M,)
        The order of each branch, 0 where left out.
    """
    rows = np.asarray(rows, float)
    parent = rows[:, 9].astype(int)
    if np.any(parent >= np.arange(len(rows))):
        raise ValueError("strahler_orders needs each parent row before its children")
    keep = 2.0 * rows[:, 6] >= min_diameter_mm
    for i in range(len(rows)):                       # a branch below a left-out one is out
        if parent[i] >= 0 and not keep[parent[i]]:
            keep[i] = False
    order = np.zeros(len(rows), int)
    top = np.zeros(len(rows), int)                   # largest child order seen
    count = np.zeros(len(rows), int)                 # children sharing it
    for i in range(len(rows) - 1, -1, -1):
        if not keep[i]:
            continue
        order[i] = 1 if count[i] == 0 else top[i] + (count[i] >= 2)
        p = parent[i]
        if p >= 0:
            if order[i] > top[p]:
                top[p], count[p] = order[i], 1
            elif order[i] == top[p]:
                count[p] += 1
    return order
