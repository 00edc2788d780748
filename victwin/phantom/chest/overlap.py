"""How much of a nodule's projected disc lies over bone (ribs) in a radiograph.

Observer studies on chest radiographs classify a nodule by whether it lies over a rib (at its
upper or lower margin, or inside it) or between two ribs, and find detection best between
ribs (PubMed 16500060, abstract; see ``docs/phantoms/chest.md``). A twin's nodule is placed
in 3D, so whether it is "over a rib" is a property of the projection: this module traces
rays from the focal spot through the nodule's disc (its volume-equivalent diameter, in the
plane through its centre parallel to the detector) in the lesion-free twin and counts the
rays that cross bone.

The chest twin has three bone labels (``CHEST_LABELS``): "bone" (spine, ribs, sternum),
"clavicles (bone)" (since 2026-12-02) and "scapulae (bone)" (since 2026-12-03), all of the bone
material; bone is selected by material, so clavicles and scapulae count as bone here. A nodule
is at least 10 mm inside the lung (:func:`~.nodules.place_nodule`), where the bone in a PA
projection is ribs, plus clavicles at the apices and the scapulae's blades and borders.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["bone_overlap_fraction", "MIN_BONE_MM", "DISC_SAMPLES"]

#: A ray counts as over bone when it runs at least this far (mm) through bone voxels: more
#: than a graze of a voxel corner, less than the two cortices of a rib (2 x 1.2 mm).
MIN_BONE_MM = 1.0
#: Rays across the disc's diameter (an odd count: the central ray is one of them).
DISC_SAMPLES = 25


def bone_overlap_fraction(phantom, view, center_mm, diameter_mm: float, *,
                          min_bone_mm: float = MIN_BONE_MM, samples: int = DISC_SAMPLES,
                          backend: str = "cpu") -> float:
    """Fraction of a nodule's projected disc that lies over bone.

    Parameters
    ----------
    phantom : Phantom
        The lesion-free twin (labels, grid, materials; bone = labels whose material name
        contains ``"bone"``).
    view : victwin.geometry.View
        The radiograph's view (source and panel).
    center_mm : (x, y, z), mm
        The nodule's centre.
    diameter_mm : float, mm
        Its diameter (the lesion record's ``size_mm``, the volume-equivalent diameter).
    min_bone_mm : float, mm
        Bone path a ray needs to count as over bone (:data:`MIN_BONE_MM`).
    samples : int
        Rays across the disc's diameter, on a square lattice (:data:`DISC_SAMPLES`); the rays
        whose detector point lies within the projected disc are counted.
    backend : {"cpu", "cuda", "auto"}

    Returns
    -------
    float in [0, 1]
        Rays through the disc with at least ``min_bone_mm`` of bone, over all rays through it.
    """
    from victwin.geometry import FlatPanel, View
    from victwin.raytrace import project_labels

    if not (isinstance(diameter_mm, (int, float)) and math.isfinite(diameter_mm)
            and diameter_mm > 0):
        raise ValueError(f"diameter_mm must be a positive number, got {diameter_mm!r}")
    if int(samples) != samples or samples < 1 or samples % 2 == 0:
        raise ValueError(f"samples must be a positive odd integer, got {samples!r}")
    bone = [int(k) for k, m in phantom.materials.items() if "bone" in str(m)]
    if not bone:
        return 0.0
    c = np.asarray(center_mm, dtype=float)
    s = np.asarray(view.source, dtype=float)
    panel = view.panel
    n = np.asarray(panel.normal, dtype=float)
    p0 = np.asarray(panel.center, dtype=float)
    # the disc (radius r, parallel to the panel, through c) projects to a disc of radius
    # r * M on the panel, M the magnification at the nodule's depth
    mag = float(np.dot(p0 - s, n) / np.dot(c - s, n))
    radius = 0.5 * float(diameter_mm) * mag
    hit = s + mag * (c - s)                             # the centre's projection on the panel
    k = int(samples)
    pitch = 2.0 * radius / k
    small = FlatPanel(shape=(k, k), pitch=(pitch, pitch), center=tuple(float(v) for v in hit),
                      u=panel.u, v=panel.v)
    paths = project_labels(phantom.labels, phantom.grid, [View(source=tuple(s), panel=small)],
                           int(phantom.labels.max()) + 1, backend=backend)[0]
    bone_mm = np.asarray(paths)[bone].sum(axis=0)
    offsets = (np.arange(k) - (k - 1) / 2) * pitch
    jj, ii = np.meshgrid(offsets, offsets, indexing="ij")
    disc = jj ** 2 + ii ** 2 <= radius ** 2
    return float(np.mean(bone_mm[disc] >= min_bone_mm))
