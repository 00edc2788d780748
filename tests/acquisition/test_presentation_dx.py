"""For-presentation image of a radiograph (DX): one global display LUT of the log signal.

A thicker path through the same material must never be shown darker than a thinner one. The
peripheral equalisation of a compressed breast (distance from the skin) broke this on chest
laterals: on an uncompressed body the distance map has a ridge along the medial axis and the
correction left a dark vertical line there (NOTES, issue 19).
"""

from types import SimpleNamespace

import numpy as np

from victwin import acquire
from victwin.geometry import Grid


def _cylinder(voxel_mm=5.0, a_x_mm=150.0, a_z_mm=100.0, height_mm=600.0):
    """Upright elliptic cylinder of soft tissue (axis along y), taller than the panel, so
    that its image leaves the top and bottom of the detector like a chest lateral."""
    nx, ny, nz = (int(round(2 * a_x_mm / voxel_mm)) + 2, int(round(height_mm / voxel_mm)),
                  int(round(2 * a_z_mm / voxel_mm)) + 2)
    x = (np.arange(nx) - (nx - 1) / 2) * voxel_mm
    z = (np.arange(nz) - (nz - 1) / 2) * voxel_mm
    inside = (x[None, :] / a_x_mm) ** 2 + (z[:, None] / a_z_mm) ** 2 <= 1.0
    labels = np.repeat(inside[:, None, :], ny, axis=1).astype(np.uint8)
    grid = Grid(shape=labels.shape, spacing=(voxel_mm,) * 3,
                origin=(x[0], -(ny - 1) / 2 * voxel_mm, 10.0 + 0.5 * voxel_mm))
    return SimpleNamespace(labels=labels, grid=grid, materials={0: "air", 1: "soft_tissue"},
                           meta={"thickness_mm": 2 * a_z_mm})


def test_radiograph_presentation_keeps_thicker_paths_brighter():
    a = acquire(_cylinder(), "chest-pa", seed=0, binning=16, progress=False, noise=False)
    proc = a.processed[0].astype(np.float64)
    p = -np.log(np.clip(a.raw[0].astype(np.float64) - a.detector["offset_adu"], 1.0, None)
                / np.asarray(a.flat_adu)[0])
    rows = slice(proc.shape[0] // 4, 3 * proc.shape[0] // 4)
    # inside the cylinder's shadow, away from its edge (the direct beam saturates the 14-bit
    # raw of this system, so air reads p ~ 1.5, not 0)
    body = p[rows] > p.min() + 0.5
    pv, yv = p[rows][body], proc[rows][body]
    order = np.argsort(pv, kind="stable")
    # the displayed value is a non-decreasing function of the attenuation (1 grey level of
    # rounding allowed): no pixel is shown darker than a pixel of less attenuation
    drop = np.maximum.accumulate(yv[order]) - yv[order]
    assert drop.max() <= 1.0, f"display darker for thicker paths by up to {drop.max():g} levels"
    # and the thickest column (the cylinder's axis) shows as the brightest of its row
    mid = proc.shape[0] // 2
    axis = int(np.argmax(p[mid]))
    assert proc[mid, axis] >= proc[mid].max() - 1.0
