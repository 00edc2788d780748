"""A small heterogeneous breast slab for the lesion-local tests (1 mm voxels)."""

from types import SimpleNamespace

import numpy as np
from scipy import ndimage

from victwin.geometry import Grid

VOXEL_MM = 1.0
SUPPORT_MM = 20.0


def hetero_slab(thickness_mm=40.0, radius_mm=50.0, seed=1, flat=False):
    """Half-disc breast on the support; glandular blobs (smoothed noise, ~30 %) unless
    ``flat``; a 6 mm glandular ball at (25, 5, 40) mm."""
    nz = int(round(thickness_mm / VOXEL_MM))
    nx, ny = int(radius_mm / VOXEL_MM) + 1, int(2 * radius_mm / VOXEL_MM) + 2
    x = (np.arange(nx) + 0.5) * VOXEL_MM
    y = (np.arange(ny) - (ny - 1) / 2) * VOXEL_MM
    z = SUPPORT_MM + (np.arange(nz) + 0.5) * VOXEL_MM
    yy, xx = np.meshgrid(y, x, indexing="ij")
    inside = xx ** 2 + yy ** 2 <= radius_mm ** 2
    labels = np.zeros((nz, ny, nx), np.uint8)
    labels[:, inside] = 1
    if not flat:
        noise = ndimage.gaussian_filter(np.random.default_rng(seed).normal(size=labels.shape), 2.0)
        labels[(noise > np.quantile(noise, 0.7)) & (labels == 1)] = 2
        zz = z[:, None, None]
        ball = (xx[None] - 25) ** 2 + (yy[None] - 5) ** 2 + (zz - 40) ** 2 <= 9
        labels[ball & (labels > 0)] = 2
    grid = Grid(shape=labels.shape, spacing=(VOXEL_MM,) * 3, origin=(x[0], y[0], z[0]))
    return SimpleNamespace(labels=labels, grid=grid,
                           materials={0: "air", 1: "adipose", 2: "glandular"},
                           meta={"thickness_mm": thickness_mm, "glandular_fraction_mass": 0.3})


def crop(phantom, sl):
    """The phantom's voxels ``sl`` (z, y, x slices) on their own sub-grid."""
    g = phantom.grid
    first = np.array([s.start for s in sl][::-1], float)
    labels = np.ascontiguousarray(phantom.labels[sl])
    grid = Grid(shape=labels.shape, spacing=g.spacing,
                origin=tuple(np.asarray(g.origin) + first * g.spacing_xyz))
    return SimpleNamespace(labels=labels, grid=grid, materials=phantom.materials,
                           meta=phantom.meta)


def window(phantom, sup):
    """The crop at ``sup`` with the ``meta["window"]`` record ``victwin.phantom.make`` gives."""
    w = crop(phantom, sup.slices)
    w.meta = dict(phantom.meta, window={"index": list(sup.index_lower),
                                        "full_shape": list(phantom.labels.shape)})
    return w


def coarsened(phantom, k=2):
    """The phantom at ``k`` times its voxel size, each coarse voxel the label at its centre's
    nearest fine voxel (a stand-in for making the twin at coarse voxels: the same anatomy,
    sampled coarser, without the bias a majority vote gives the minority tissue)."""
    g = phantom.grid
    labels = np.ascontiguousarray(phantom.labels[k // 2::k, k // 2::k, k // 2::k])
    grid = Grid(shape=labels.shape, spacing=tuple(s * k for s in g.spacing),
                origin=tuple(np.asarray(g.origin) + (k // 2) * g.spacing_xyz))
    return SimpleNamespace(labels=labels, grid=grid, materials=phantom.materials,
                           meta=dict(phantom.meta, glandular_fraction_mass=0.31))
