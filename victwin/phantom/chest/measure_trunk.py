"""The pulmonary trunk and the left mediastinal border measured on a chest twin (2026-12-03,
branch issue-19trunk12): the trunk's calibre on the labels, and the left border's profile on
the PA projection as a reader sees it (aortic knob, aortopulmonary window, pulmonary trunk
segment, left atrial appendage, left ventricle).

The PA profile is read on the soft-tissue path image: along each PA ray (parallel beam, the
grid's ``z`` axis) the length of everything that is neither air, lung nor bone (a dual-energy
soft-tissue image; blood, muscle and soft tissue differ by a few per cent at 60 keV, fat by
~10 %). In each row the left border is where, going out from the midline, the path first falls
to :data:`BORDER_EXCESS_MM` over the lung beside it: a single hilar vessel (14-17 mm across)
does not reach it, the mediastinum's and heart's full depth does (threshold a model choice).
The lung beside it is read in two steps, as a reader compares a border with the lung next to
it: a first walk against the row's lung field (the 10th percentile of the path between 10 mm
from the midline and 10 mm inside the lung's lateral edge), then the walk again against the
10th percentile of the lung from :data:`LOCAL_GAP_MM` to :data:`LOCAL_WIDTH_MM` lateral of
the first border. (Until 2026-12-03, sixth session, the field's percentile alone: the back's
muscle and the scapulae's cover over the lateral field raised it by 8-14 mm, and with the
grid's back face restored the 2 mm test twins' knob and trunk segment read 22 and 21 mm
from the midline; NOTES.) The path image is read through a median over three columns in each row
before the walk (a median keeps a monotone step where it is and removes only a one-column
notch or spike: in the 2 mm test woman of 2026-12-03 one column at the trunk's medial edge,
where the atrium behind it ends, fell ~4 mm under the threshold between columns over it,
and the trunk segment read 21 mm from the midline instead of 35), and the profile is
smoothed by a median over three rows (a reader follows the contour, not one row where two
hilar vessels overlap).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from .measure import left_heart_border_mm

__all__ = ["BORDER_EXCESS_MM", "SEGMENT_BELOW_BIFURCATION_MM", "LOCAL_GAP_MM", "LOCAL_WIDTH_MM",
           "left_border_profile_mm", "trunk_diameter_mm", "left_border_segments_mm"]

BORDER_EXCESS_MM = 20.0
# The trunk segment is looked for down to this far (mm) below the bifurcation's level: 0, as
# its upper left wall forms the border; just below, the left hilum's end-on lobar arteries and
# superior vein (2-3 vessels along the ray, 48-54 mm of blood) lie lateral to it, a density a
# reader tells from the border (52-56 mm from the midline in the 2 mm test man, 0-8 mm below
# the bifurcation), and the left atrial appendage's top lies 5-10 mm lower.
SEGMENT_BELOW_BIFURCATION_MM = 0.0
# The lung a border is compared with: from LOCAL_GAP_MM to LOCAL_WIDTH_MM lateral of a first
# walk's border (model choices: past the border's own partial-volume column, about a hilar
# vessel's width and a half).
LOCAL_GAP_MM = 4.0
LOCAL_WIDTH_MM = 30.0
_NOT_SOFT = ("air", "lung_parenchyma", "bone")


def _walk(row, k0: int, threshold: float) -> int:
    """First column from ``k0`` out whose path is at most ``threshold``."""
    k = k0
    while k < row.size - 1 and row[k] > threshold:
        k += 1
    return k


def _labels_with(phantom, materials) -> list:
    return [int(k) for k, m in phantom.materials.items() if m in materials]


def left_border_profile_mm(phantom, excess_mm: float = BORDER_EXCESS_MM):
    """``(y, x)`` (world mm, arrays) of the left mediastinal-cardiac border on the PA
    soft-tissue path image (module docstring), in every row that has lung left of the
    midline; ``x`` is the outer face of the border's last column."""
    g = phantom.grid
    v = g.spacing[0]
    lab = phantom.labels
    soft = (~np.isin(lab, _labels_with(phantom, _NOT_SOFT))).sum(axis=0) * v    # (y, x)
    soft = ndimage.median_filter(soft, size=(1, 3), mode="nearest")  # module docstring
    lung = np.isin(lab, _labels_with(phantom, ("lung_parenchyma",))).any(axis=0)
    x, y = g.axis_mm("x"), g.axis_mm("y")
    ys, xs = [], []
    k0 = int(np.flatnonzero(x >= 10.0)[0])
    for j in range(lab.shape[1]):
        cols = np.flatnonzero(lung[j] & (x > 0.0))
        if cols.size < 5:
            continue
        sel = (x > 10.0) & (x <= x[cols[-1]] - 10.0)
        if sel.sum() < 3:
            continue
        k = _walk(soft[j], k0, np.percentile(soft[j, sel], 10) + excess_mm)
        near = sel & (x > x[k - 1] + LOCAL_GAP_MM) & (x <= x[k - 1] + LOCAL_WIDTH_MM)
        if near.sum() >= 3:     # the lung just lateral to the first border (docstring)
            k = _walk(soft[j], k0, np.percentile(soft[j, near], 10) + excess_mm)
        ys.append(y[j])
        xs.append(x[k - 1] + 0.5 * g.spacing[2])
    xs = np.array(xs)
    if xs.size >= 3:            # a 3-row median: single rows where hilar vessels overlap
        xs[1:-1] = np.median(np.stack([xs[:-2], xs[1:-1], xs[2:]]), axis=0)
    return np.array(ys), xs


def trunk_diameter_mm(phantom, fraction: float = 0.5, half_mm: float = 25.0) -> float:
    """Diameter (mm) of the pulmonary trunk as calipers read it on a section perpendicular to
    its axis (``meta["anatomy_mm"]["pulmonary_trunk"]``, valve to bifurcation), ``fraction``
    of the way up: the median over 12 directions of the run of blood (material "blood")
    through the axis point (every chord through a circle's centre is a diameter; a vessel
    touching the trunk, or a wall painted across it, lengthens or shortens a few of them).
    Blood is the label named for the great vessels (``meta["label_names"]``, "... great
    vessels ..."; without names, every label of material "blood"), so that the heart's
    chambers and atria next to the trunk end the runs. Sampled every quarter voxel to
    ``half_mm`` each side, nearest voxel."""
    _, valve, bif = (np.asarray(p, float) for p in phantom.meta["anatomy_mm"]["pulmonary_trunk"])
    u = (bif - valve) / np.linalg.norm(bif - valve)
    c = valve + fraction * (bif - valve)
    a = np.cross(u, [1.0, 0.0, 0.0] if abs(u[0]) < 0.9 else [0.0, 1.0, 0.0])
    a /= np.linalg.norm(a)
    b = np.cross(u, a)
    g = phantom.grid
    h = 0.25 * min(g.spacing)
    n = int(half_mm / h)
    t = np.arange(-n, n + 1) * h
    names = phantom.meta.get("label_names", {})
    blood_labels = [int(k) for k, v in names.items() if "great vessels" in v] or \
        _labels_with(phantom, ("blood",))
    axes = [g.axis_mm(name) for name in ("z", "y", "x")]
    chords = []
    for th in np.linspace(0.0, np.pi, 12, endpoint=False):
        pts = c + t[:, None] * (np.cos(th) * a + np.sin(th) * b)              # (m, xyz)
        idx = tuple(np.clip(np.rint((pts[:, 2 - i] - ax[0]) / (ax[1] - ax[0])).astype(int), 0,
                            ax.size - 1) for i, ax in enumerate(axes))
        blood = np.isin(phantom.labels[idx], blood_labels)
        if not blood[n]:
            raise ValueError(f"no blood on the pulmonary trunk's axis at fraction {fraction:g}")
        hi = n + int(np.argmin(np.append(blood[n:], False)))
        lo = n - int(np.argmin(np.append(blood[n::-1], False)))
        chords.append((hi - lo - 1) * h)
    return float(np.median(chords))


def left_border_segments_mm(phantom, excess_mm: float = BORDER_EXCESS_MM) -> dict:
    """The PA left border (:func:`left_border_profile_mm`) read as a reader reads it, by
    level (world mm), each a point ``(y, x)``: ``knob`` the outermost point within 15 mm of
    the aortic knob's level (``meta["anatomy_mm"]["aortic_knob"]``); ``segment`` the
    outermost point between the knob's level + 15 mm and
    :data:`SEGMENT_BELOW_BIFURCATION_MM` below the trunk's bifurcation (``meta``);
    ``window`` the innermost point between ``knob`` and ``segment``; ``heart`` the outermost
    point between the bifurcation and the heart's lowest row
    (:func:`.measure.left_heart_border_mm`: the left ventricle). ``line_x`` (mm): the line
    from ``knob`` to ``heart`` at the segment's level; ``beyond_line`` (mm): how far the
    segment lies outside that line (negative inside: concave)."""
    y, x = left_border_profile_mm(phantom, excess_mm)
    yk = phantom.meta["anatomy_mm"]["aortic_knob"][1]
    yb = phantom.meta["anatomy_mm"]["pulmonary_trunk"][2][1]

    def outer(m):
        if not m.any():
            raise ValueError("no border rows in the range asked for")
        j = np.flatnonzero(m)[np.argmax(x[m])]
        return float(y[j]), float(x[j])

    knob = outer(np.abs(y - yk) <= 15.0)
    y_heart, _ = left_heart_border_mm(phantom)
    heart = outer((y > yb) & (y <= y_heart.max()))
    seg = outer((y >= yk + 15.0) & (y <= yb + SEGMENT_BELOW_BIFURCATION_MM))
    m = (y > knob[0]) & (y < seg[0])
    j = np.flatnonzero(m)[np.argmin(x[m])] if m.any() else None
    window = (float(y[j]), float(x[j])) if j is not None else seg
    line = knob[1] + (heart[1] - knob[1]) * (seg[0] - knob[0]) / (heart[0] - knob[0])
    return {"knob": knob, "window": window, "segment": seg, "heart": heart,
            "line_x": float(line), "beyond_line": float(seg[1] - line)}
