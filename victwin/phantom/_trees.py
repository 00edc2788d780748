"""Branching trees for ducts and blood vessels, grown in the uncompressed breast frame.

A tree is a list of straight segments ``(x0, y0, z0, x1, y1, z1, radius)`` in mm. Each segment
ends in a bifurcation whose children turn by a random angle about a random axis, shrink in
radius by a fixed ratio and are pulled towards a target (the compartment seed for ducts, the
nipple for vessels), until a generation or branch budget is reached or the tip leaves the
breast. Numbers follow the VICTRE breastPhantom configuration (up to 400 duct branches in 7
generations, up to 750 vessel branches in 6; TDLUs 1-2 mm long and 0.5-1 mm wide) without
its code.
"""

from __future__ import annotations

from collections import deque

import numpy as np

__all__ = ["grow_tree"]


def _unit(v):
    n = np.linalg.norm(v)
    return v / n if n > 0 else v


def _turn(d, angle_rad, rng):
    """Rotate unit vector ``d`` by ``angle_rad`` towards a random perpendicular direction."""
    r = rng.standard_normal(3)
    perp = _unit(r - np.dot(r, d) * d)
    return _unit(np.cos(angle_rad) * d + np.sin(angle_rad) * perp)


def _rho(p, abc):
    return float(np.sqrt(np.sum((p / abc) ** 2)))


def grow_tree(rng: np.random.Generator, start, direction, target, abc, *, generations: int,
              max_branches: int, radius_mm: float, length_mm: tuple[float, float],
              shrink: float = 0.78, branch_deg: tuple[float, float] = (20.0, 45.0),
              pull: float = 0.35, rho_max: float = 0.93, min_radius_mm: float = 0.08):
    """Grow one bifurcating tree.

    Parameters
    ----------
    rng : numpy.random.Generator
    start, direction, target : (x, y, z), mm / unit / mm
        Root point, initial direction, and the point children are pulled towards.
    abc : (a, b, c) mm
        Half-ellipsoid semi-axes; tips with normalised radius above ``rho_max`` stop.
    generations, max_branches : int
        Depth and size limits.
    radius_mm : float
        Root radius; each generation multiplies it by ``shrink``.
    length_mm : (lo, hi)
        Segment length range of the root; children are drawn from the same range times
        ``shrink ** (generation / 2)``.

    Returns
    -------
    segments : float64 ``[n, 7]``
    tips : float64 ``[m, 3]``, end points of the terminal segments
    """
    abc = np.asarray(abc, dtype=float)
    target = np.asarray(target, dtype=float)
    segs = []
    tips = []
    queue = deque([(np.asarray(start, float), _unit(np.asarray(direction, float)),
                    float(radius_mm), 0)])
    while queue and len(segs) < max_branches:
        p, d, r, gen = queue.popleft()
        scale = shrink ** (0.5 * gen)
        L = rng.uniform(*length_mm) * scale
        end = p + L * d
        # Shorten a segment that would leave the breast; drop it if nothing is left.
        rho_end = _rho(end, abc)
        if rho_end > rho_max or end[0] < 1.0:
            for _ in range(4):
                L *= 0.5
                end = p + L * d
                if _rho(end, abc) <= rho_max and end[0] >= 1.0:
                    break
            else:
                if gen > 0:
                    tips.append(p)
                continue
        segs.append((*p, *end, r))
        child_r = r * shrink
        if gen + 1 >= generations or child_r < min_radius_mm:
            tips.append(end)
            continue
        to_target = _unit(target - end)
        for side in range(2):
            ang = np.deg2rad(rng.uniform(*branch_deg))
            nd = _turn(d, ang, rng)
            nd = _unit((1.0 - pull) * nd + pull * to_target)
            queue.append((end, nd, child_r, gen + 1))
    for p, _, _, _ in queue:  # budget reached: open ends become tips
        tips.append(p)
    seg_arr = np.asarray(segs, dtype=np.float64).reshape(-1, 7)
    tip_arr = np.asarray(tips, dtype=np.float64).reshape(-1, 3)
    return seg_arr, tip_arr
