"""Cancellous bone as a dithered mixture of bone and marrow voxels (vertebrae, ribs, clavicles,
sternum, calcified cartilage), and its bone volume fraction."""

from __future__ import annotations

import numpy as np

__all__ = ["TRABECULAR_BV_TV", "fill_cancellous"]

# Trabecular bone volume fraction of vertebral bodies and of the ribs' cancellous interior:
# ASSUMPTION 0.15. Adult thoracic/lumbar vertebrae are recalled as 0.10-0.20 by micro-CT
# (Hildebrand T et al. J Bone Miner Res 1999;14:1167-1174; the paper was not re-read and its
# table is not at hand, and no rib value was found with the search tool). Interiors are painted
# with this fraction of (cortical) bone voxels, the rest marrow (soft tissue).
TRABECULAR_BV_TV = 0.15


def fill_cancellous(labels, interior: int, rng, *, bone: int, soft: int,
                    fraction: float = TRABECULAR_BV_TV) -> None:
    """Turn every voxel labelled ``interior`` into ``bone`` with probability ``fraction``
    (default :data:`TRABECULAR_BV_TV`: cancellous bone as a BV/TV mixture), else ``soft``,
    slab by slab of 16 z-slices so temporaries stay small; draws ``rng`` in z-slab order."""
    for z0 in range(0, labels.shape[0], 16):
        slab = labels[z0:z0 + 16]
        inside = slab == interior
        n = int(inside.sum())
        if n:
            slab[inside] = np.where(rng.random(n, dtype=np.float32) < fraction,
                                    np.uint8(bone), np.uint8(soft))
