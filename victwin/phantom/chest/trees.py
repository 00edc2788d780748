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

Pulmonary arteries and veins (``flow_split=``) branch asymmetrically: an axial vessel gives off
side branches. At every bifurcation the minor daughter supplies the fixed share ``r`` of its
parent's region (the cut of step 2 is moved parallel to itself until it leaves that share on
one side) and the major daughter the rest, so that with Murray's law the parent-to-daughter
diameter ratios are the same at every calibre, as measured in pulmonary arterial trees
(Dawson et al. 1999, abstract: "the parent-to-daughter diameter ratios at a bifurcation ...
are independent of vessel diameter"). In such a tree a branch's Strahler order rises by one
each time its flow grows by ``1 / r`` (the smallest subtree of order k + 1 is the one whose
minor daughter first reaches order k), so the Strahler diameter ratio is ``r ** (-1 / n)``
and ``r = R_D ** -n`` follows from a measured diameter ratio ``R_D`` per Strahler order
(:data:`PULMONARY_DIAMETER_RATIO`, Huang et al. 1996; :data:`PULMONARY_FLOW_SPLIT`).

References
----------
Kitaoka H, Takaki R, Suki B. A three-dimensional model of the human airway tree. J Appl Physiol
1999;87:2207-2217.
Weibel ER. Morphometry of the Human Lung. Springer, 1963 (model A: airway diameter by
generation, Table used in :data:`WEIBEL_DIAMETER_MM`).
Murray CD. The physiological principle of minimum work. PNAS 1926;12:207-214.
Huang W, Yen RT, McLaurine M, Bledsoe G. Morphometry of the human pulmonary vasculature. J Appl
Physiol 1996;81:2123-2133 (abstract, doi:10.1152/jappl.1996.81.5.2123: silicone casts, 15
diameter-defined Strahler orders of arteries between the main pulmonary artery and the
capillaries in the left lung, 15 orders of veins in the right lung).
Dawson CA, Krenz GS, Karau KL, et al. Structure-function relationships in the pulmonary
arterial tree. J Appl Physiol 1999;86:569-583 (abstract; its Table 1 summarises Huang's
arterial data as radii of 0.01-7.4 mm, as reproduced in Nakamura Y, Awa S, Physiol Rep
2014;2:e00236, Table 2, https://pmc.ncbi.nlm.nih.gov/articles/PMC3966250/table/tbl02).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["grow_tree", "lung_points", "strahler_orders", "strahler_diameter_ratio",
           "WEIBEL_DIAMETER_MM",
           "LENGTH_OVER_DIAMETER", "PULMONARY_DIAMETER_RATIO", "PULMONARY_FLOW_SPLIT",
           "VESSEL_MAX_GENERATIONS", "branch_angles_deg", "pulmonary_trees",
           "outside_wider_tubes", "lung_inside"]

#: Weibel 1963 model A, airway diameter (mm) by generation 0 (trachea) .. 10.
WEIBEL_DIAMETER_MM = (18.0, 12.2, 8.3, 5.6, 4.5, 3.5, 2.8, 2.3, 1.86, 1.54, 1.30)
#: Branch length / diameter (Weibel 1963; Kitaoka 1999 rule 6).
LENGTH_OVER_DIAMETER = 3.0
#: Human pulmonary arteries, mean diameter ratio per diameter-defined Strahler order: Huang et
#: al. 1996 (left-lung cast; abstract: 15 orders from the capillaries to the main pulmonary
#: artery) with radii of 0.01 mm (order 1) to 7.4 mm (order 15), the range Dawson et al. 1999
#: (Table 1) give for Huang's data, read in Nakamura & Awa 2014, Table 2 (PMC3966250; that
#: table gives the range only, read here as the mean radii of orders 1 and 15):
#: (7.4 / 0.01) ** (1 / 14) = 1.603 (log diameter linear in order, end orders used). A second,
#: unnamed transcription of Huang's table (a model configuration found by the code search:
#: per-order artery diameter ratios, 0.637 for order 15 and 0.000861 for order 1, relative to
#: the main artery) spans the same factor 740. Only the arterial range could be read; the veins
#: use the same value (ASSUMPTION: Huang counts the same 15 venous orders between capillaries
#: and left atrium, but their diameters were not readable).
PULMONARY_DIAMETER_RATIO = (7.4 / 0.01) ** (1.0 / 14.0)
#: Share of the parent's flow (region) supplied by the minor daughter at every pulmonary
#: bifurcation: r = R_D ** -3 (Murray's cube law; derivation in the module docstring) = 0.243,
#: i.e. daughters of 0.62 and 0.91 times the parent's diameter. Derived from
#: :data:`PULMONARY_DIAMETER_RATIO`, not fitted to any twin.
PULMONARY_FLOW_SPLIT = PULMONARY_DIAMETER_RATIO ** -3.0
#: Generation cap of the vessel trees: a safety limit only (the trees stop at the voxel-size
#: diameter or at one point per region first). An axial vessel keeping 1 - r = 0.76 of the flow
#: at each side branch needs ~33 generations to reach one point of 6000 (24, the airways' cap,
#: would stop it at ~1.7 mm).
VESSEL_MAX_GENERATIONS = 64


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
              first_generation: int = 1, inside=None, flow_split: float | None = None,
              first_division=None):
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
    flow_split : float in (0, 0.5], optional
        Asymmetric branching: the minor daughter supplies this share of its parent's points
        (rounded to whole points, at least one on each side) and the major daughter the rest
        (:data:`PULMONARY_FLOW_SPLIT` for pulmonary vessels). ``None`` (airways): the cut
        passes through the branch and the shares follow from the region's shape.
    first_division : bool array (N,), optional
        The root branch divides into the points this selects and the rest (anatomical
        tributaries, e.g. a lobe's veins joining at the hilum), each daughter by Murray's law
        and angle for its share; the later divisions as ``flow_split`` says.

    Returns
    -------
    ndarray (M, 10)
        One row per branch: start (3), end (3), radius at start and end (mm), generation,
        parent row index (-1 for the root).
    """
    if flow_split is not None and not 0.0 < flow_split <= 0.5:
        raise ValueError(f"flow_split must be in (0, 0.5], got {flow_split}")
    pts = np.asarray(points, float)
    if first_division is not None:
        first_division = np.asarray(first_division, bool)
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
        if parent == -1 and first_division is not None and \
                0 < np.count_nonzero(first_division[idx]) < len(idx):
            # the root's tributaries: the selected points first, the rest after
            order = np.argsort(~first_division[idx], kind="stable")
            n1 = int(np.count_nonzero(first_division[idx]))
        elif flow_split is None:
            # the cut keeps the plane through the branch: points on either side of it
            n1 = int(np.count_nonzero(side < 0))
            if n1 == 0 or n1 == len(idx):
                n1 = len(idx) // 2
        else:
            # the same plane moved parallel to itself until the minor daughter's share is
            # flow_split, on the side of the plane that held fewer points (so the major
            # daughter keeps the bulk of the region and continues as the axial vessel)
            k = min(max(1, int(round(flow_split * len(idx)))), len(idx) - 1)
            if 2 * np.count_nonzero(side < 0) <= len(idx):
                n1 = k
            else:
                n1 = len(idx) - k
        a, b = idx[order[:n1]], idx[order[n1:]]
        r = n1 / len(idx)
        t1, t2 = branch_angles_deg(r, exponent)
        for sub, share, ang in ((a, r, t1), (b, 1.0 - r, t2)):
            c = pts[sub].mean(axis=0)
            nd = _unit(_rotate_towards(d, c - end, math.radians(ang)))
            stack.append((end, nd, diam * share ** (1.0 / exponent), sub, gen + 1, row, c))
    return np.asarray(rows, float).reshape(-1, 10)


def pulmonary_trees(pts: dict, artery_roots, vein_roots, artery_mm: float, vein_mm: float,
                    min_diameter_mm: float, *, upper_vein_roots=None, upper_lobes=None,
                    inside=None, middle_lobes=None) -> list:
    """The pulmonary artery and vein trees of both lungs, grown from the hilar roots.

    At the root of each lung the pulmonary artery divides into an upper branch (superior
    lobe) and a lower, larger one, the descending (interlobar) artery (Gray's Anatomy, 20th
    ed. (1918) p. 545, "Right pulmonary artery"; Chang's widths, ``anatomy.LOBAR_ARTERY_MM``,
    are the descending artery's): the arterial tree's root (``artery_mm``) starts towards the
    centroid of the lung's points below its root (Kitaoka's rule 1 applied to the lower lung;
    model choice) and the tree fills the whole lung. Each lung has a superior and an inferior pulmonary
    vein opening separately into the left atrium (Gray's): one tree each, the superior for the
    lung's points in ``upper_lobes`` (default: above the vein root), the inferior for the rest,
    the inferior from the vein root and the superior from
    ``upper_vein_roots`` (the builder's: the hilar point's crossing, 2026-12-03), of diameter
    ``vein_mm`` x share^(1/3) (Murray's law undoing the merged root: 13.2 mm each for equal
    shares of 16.6 mm), each starting
    towards its region's centroid. Until 2026-12-03 (branch issue-19lat9) one arterial and one
    venous tree per lung started along ``(side, 0.3, 0)``, straight out along the left-right
    axis at the same height and depth on both sides: on a lateral their roots and axial
    daughters were seen end-on and superimposed (170 mm of blood on one ray: a bright tube
    and blob at the hila; NOTES, 2026-12-03).

    Parameters
    ----------
    pts : dict
        ``{-1: (n, 3), 1: (n, 3)}`` points in the right and left lung (mm).
    artery_roots, vein_roots : pair of (x, y, zd)
        Right and left roots (mm).
    artery_mm, vein_mm : float, mm
        Root diameters (the vein's: both veins of a lung merged by Murray's law).
    min_diameter_mm : float, mm
        Branches thinner than this end the trees.
    upper_vein_roots : pair of (x, y, zd), optional
        Right and left roots (mm) of the superior veins' trees (the points ``upper_lobes``
        selects, or without it the lung's points above ``vein_roots``' level); default
        ``vein_roots``. :func:`.builder._vessel_trees` gives the
        upper-lobe veins' hilar crossings (:func:`.hilum.upper_vein_root`, 2026-12-03).
    upper_lobes : pair of bool arrays, optional
        Per lung, which of its points the superior vein drains (the builder's: the upper lobe,
        with the middle lobe on the right, in front of the oblique fissure,
        :func:`.hilum.upper_lobe_mask`, 2026-12-03 fifth session); the inferior vein drains
        the rest. Default: the points above ``vein_roots``' level.
    inside : callable, optional
        ``inside(side)`` -> the ``inside(p)`` test of :func:`grow_tree` for that lung's trees
        (the builder's: :func:`lung_inside`, since 2026-12-05, fifth session): a branch that
        would end outside its own lung stops short. Default: no test (until then the trees
        had none: in the 178 cm man at 2 mm ~20 % of the branches ended outside the lung,
        hundreds of them on the other lung's side of the midline, painted wherever that lung's
        voxels lay: a vein crossing the posterior junction at T2; NOTES).
    middle_lobes : pair of bool arrays, optional
        Per lung, which of its points (within ``upper_lobes``) the superior vein's middle-lobe
        (right) or lingular (left) tributary drains (the builder's:
        :func:`.hilum.middle_lobe_mask`): the superior vein's root branch divides into that
        tributary and the upper lobe's own veins (``grow_tree``'s ``first_division``). The
        superior vein is the union of the upper lobe's and the middle lobe's (lingula's)
        veins at the hilum (Elsevier Complete Anatomy, "Pulmonary veins of right lung", "...
        of left lung"), and it runs obliquely down and in to the left atrium (Radiopaedia,
        "Pulmonary veins"). Default (and until 2026-12-05, fifth session): the first division
        as every other (``PULMONARY_FLOW_SPLIT``), which in the 195 cm, BMI-35 twin (seed 4)
        let both superior veins' axial trunks run 60-90 mm straight out sideways at one level
        and depth, 9-13 mm wide, one behind the other on a lateral (NOTES).

    Returns
    -------
    list of (str, int, ndarray)
        ``(kind, side, rows)``, right lung (-1) first; per lung the artery, then the superior
        and the inferior vein; rows as :func:`grow_tree` returns them.
    """
    def grow(points, root, towards, d0, side, first=None):
        root = np.asarray(root, float)
        return grow_tree(points, root, towards - root, d0, exponent=3.0,
                         min_diameter_mm=min_diameter_mm, flow_split=PULMONARY_FLOW_SPLIT,
                         max_generations=VESSEL_MAX_GENERATIONS,
                         inside=None if inside is None else inside(side),
                         first_division=first)

    trees = []
    for k, side in enumerate((-1, 1)):
        p = np.asarray(pts[side], float)
        lower = p[p[:, 1] >= artery_roots[k][1]]
        trees.append(("artery", side, grow(p, artery_roots[k], lower.mean(axis=0), artery_mm,
                                           side)))
        yv = vein_roots[k][1]
        up_roots = vein_roots if upper_vein_roots is None else upper_vein_roots
        up = p[:, 1] < yv if upper_lobes is None else np.asarray(upper_lobes[k], bool)
        mid = None if middle_lobes is None else np.asarray(middle_lobes[k], bool)
        for sel, roots, first in ((up, up_roots, None if mid is None else mid[up]),
                                  (~up, vein_roots, None)):
            share = np.count_nonzero(sel) / len(p)
            trees.append(("vein", side, grow(p[sel], roots[k], p[sel].mean(axis=0),
                                             vein_mm * share ** (1.0 / 3.0), side, first)))
    return trees


def outside_wider_tubes(rows, tubes, *, piece_mm: float) -> np.ndarray:
    """The parts of the capsules ``rows`` that do not run inside a wider capsule of ``tubes``.

    The bronchial and the pulmonary vascular trees are grown independently towards the same
    lung points (:func:`grow_tree`), so in places a branch of one runs inside a branch of the
    other, which no lung has (bronchus and artery run side by side, each in its own wall).
    Where they do, the wider tube is drawn whole and the narrower one is interrupted: each row
    is cut into pieces at most ``piece_mm`` long and a piece is dropped when its midpoint lies
    inside a capsule of ``tubes`` whose radius there exceeds the piece's (ASSUMPTION, a model
    choice for an artefact of the trees' growth: the wider tube is the one an image shows).
    Side-by-side tubes (axis outside the other tube) are kept.

    Parameters
    ----------
    rows : ndarray (n, >= 8)
        Capsules: start (3), end (3), radius at start and end (mm); further columns (e.g.
        generation, parent) are copied to each piece.
    tubes : ndarray (m, >= 8)
        The other tree's capsules (the first 8 columns as ``rows``).
    piece_mm : float, mm
        Longest piece (the builder's: half a voxel).

    Returns
    -------
    ndarray (k, rows.shape[1])
        The kept pieces, in the order of ``rows``.
    """
    from scipy.spatial import cKDTree

    if piece_mm <= 0:
        raise ValueError(f"piece_mm must be > 0, got {piece_mm}")
    rows, tubes = np.asarray(rows, float), np.asarray(tubes, float)
    for name, a in (("rows", rows), ("tubes", tubes)):
        if a.ndim != 2 or a.shape[1] < 8:
            raise ValueError(f"{name} must be an (n, >= 8) array of capsules, got shape {a.shape}")
    if len(rows) == 0 or len(tubes) == 0:
        return rows.copy()
    a, b = rows[:, 0:3], rows[:, 3:6]
    n = np.maximum(1, np.ceil(np.linalg.norm(b - a, axis=1) / piece_mm)).astype(np.int64)
    rep = np.repeat(np.arange(len(rows)), n)
    k = np.arange(rep.size) - np.repeat(np.cumsum(n) - n, n)
    t0, t1 = (k / n[rep])[:, None], ((k + 1) / n[rep])[:, None]
    s = rows[rep]
    r0, r1 = s[:, 6:7], s[:, 7:8]
    pieces = np.hstack([a[rep] + t0 * (b[rep] - a[rep]), a[rep] + t1 * (b[rep] - a[rep]),
                        r0 + t0 * (r1 - r0), r0 + t1 * (r1 - r0), s[:, 8:]])
    mid = 0.5 * (pieces[:, 0:3] + pieces[:, 3:6])
    r_mid = 0.5 * (pieces[:, 6] + pieces[:, 7])
    wide = tubes[tubes[:, 6:8].max(axis=1) > r_mid.min()]
    if len(wide) == 0:
        return pieces
    near = cKDTree(mid)
    inside = np.zeros(len(pieces), bool)
    for tube in wide:
        p, q = tube[0:3], tube[3:6]
        d = q - p
        reach = 0.5 * math.sqrt(float(d @ d)) + max(tube[6], tube[7])
        j = np.asarray(near.query_ball_point(0.5 * (p + q), reach), np.int64)
        if j.size == 0:
            continue
        t = np.clip((mid[j] - p) @ d / max(float(d @ d), 1e-12), 0.0, 1.0)
        r = tube[6] + t * (tube[7] - tube[6])
        dist = np.linalg.norm(mid[j] - (p + t[:, None] * d), axis=1)
        inside[j[(dist < r) & (r_mid[j] < r)]] = True
    return pieces[~inside]


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


def strahler_diameter_ratio(rows, *, min_diameter_mm: float = 0.0) -> float:
    """Mean diameter ratio per Strahler order: ``exp`` of the slope of log mean diameter
    against order (least squares over the orders :func:`strahler_orders` gives), as the
    morphometric studies summarise their trees (Horsfield & Thomas 1981; Huang et al. 1996).

    Parameters
    ----------
    rows : ndarray (M, >= 10)
        Branches as :func:`grow_tree` returns them.
    min_diameter_mm : float, mm
        Narrower branches are left out before ordering.

    Returns
    -------
    float
        The ratio (1 for a tree of a single order).
    """
    rows = np.asarray(rows, float)
    order = strahler_orders(rows, min_diameter_mm=min_diameter_mm)
    top = int(order.max())
    if top < 2:
        return 1.0
    d = 2.0 * rows[:, 6]
    means = np.array([d[order == k].mean() for k in range(1, top + 1)])
    return float(math.exp(np.polyfit(np.arange(1, top + 1), np.log(means), 1)[0]))


def lung_points(cav, rng, n_per_lung: int):
    """Uniform random points inside each lung (analytic mask; independent of the voxels);
    the builder's (moved here from ``builder.py`` on 2026-12-05 to keep it under 600 lines).

    Parameters
    ----------
    cav : Cavity
        The thoracic cavity (anatomy coordinates, mm).
    rng : numpy.random.Generator
        The trees' generator (draws 20000-point batches until each lung has enough).
    n_per_lung : int
        Points wanted in each lung.

    Returns
    -------
    dict
        ``{-1: (n, 3), 1: (n, 3)}`` float arrays of ``(x, y, zd)`` points (mm) in the right
        (``x < 0``) and left lung.
    """
    lo, hi = cav.bounds()
    out = {-1: [], 1: []}
    need = {-1: n_per_lung, 1: n_per_lung}
    for _ in range(200):
        p = rng.uniform(lo, hi, size=(20000, 3)).astype(np.float32)
        m = cav.lung(p[:, 0], p[:, 1], p[:, 2])
        for s in (-1, 1):
            q = p[m & (np.sign(p[:, 0]) == s)]
            out[s].append(q[:need[s]])
            need[s] -= len(out[s][-1])
        if need[-1] <= 0 and need[1] <= 0:
            break
    return {s: np.vstack(v).astype(float) for s, v in out.items()}


def lung_inside(cav, step_mm: float = 2.0):
    """``inside(side)`` -> ``inside(p)``: whether the point ``p`` (x, y, zd; mm) lies in the lung
    ``side`` (-1 right, 1 left) of the cavity ``cav`` (:meth:`.lungs.Cavity.lung`, the mask
    the trees' points are drawn from, :func:`lung_points`), looked up on a lattice of
    ``step_mm`` over :meth:`.lungs.Cavity.bounds` (nearest node; computed once). For
    :func:`pulmonary_trees`' ``inside``: each lung's vessels stay inside that lung (each lung's
    arteries and veins enter and leave at its own hilum and branch within it, the right's never
    in the left: textbook anatomy, no passage quoted here), the rule of :func:`grow_tree` that
    a branch leaving its region stops short (Kitaoka et al. 1999, abstract: the branches are
    generated "when the contour of an organ and the position of the trunk are specified"; its
    rules for a branch leaving the contour were not read)."""
    lo, hi = (np.asarray(v, float) for v in cav.bounds())
    ax = [np.arange(a, b + step_mm, step_mm, dtype=np.float32) for a, b in zip(lo, hi)]
    mask = np.zeros((len(ax[2]), len(ax[1]), len(ax[0])), bool)           # [zd, y, x]
    x, zd = ax[0][None, None, :], ax[2][:, None, None]
    for j in range(0, len(ax[1]), 16):     # 16 rows at a time (element-wise: same mask)
        mask[:, j:j + 16, :] = cav.lung(x, ax[1][None, j:j + 16, None], zd)
    shape = np.array([len(ax[0]), len(ax[1]), len(ax[2])])

    def for_side(side):
        def inside(p):
            i = np.rint((np.asarray(p, float) - lo) / step_mm).astype(int)
            if np.any(i < 0) or np.any(i >= shape) or np.sign(p[0]) != side:
                return False
            return bool(mask[i[2], i[1], i[0]])
        return inside

    return for_side
