"""A finer lesion tile in a coarse window images as the composite on the fine grid.

``acquire_regions(..., tiles=)`` traces a region through a window with finer tiles set into
boxes on its voxel boundaries (issue 14 item 5: VICTRE's 50 um lesions in 0.1 mm windows).
The reference is an independent plain acquisition of the same composite rasterised on the
fine grid everywhere (each coarse voxel split 2x2x2, the tile pasted): the per-label path
lengths are the same sums over the same voxel boundaries, so the line integrals agree to
float32 rounding.
"""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest

from victwin.acquisition import Region, acquire_regions, region_support
from victwin.geometry import Grid

from ._phantom import coarsened, hetero_slab, window

THICKNESS_MM = 40.0
SITE_MM = (25.0, 5.0, 40.0)
BEAD = 3   # label of a hydroxyapatite bead (VICTRE's calcification material)


def _composites(system="mammomat-dm"):
    phantom = hetero_slab(THICKNESS_MM)
    phantom.materials = {**phantom.materials, BEAD: "hydroxyapatite"}
    region = Region.around(SITE_MM, 9.0)
    win = window(phantom, region_support(region, system, thickness_mm=THICKNESS_MM,
                                         grid=phantom.grid, binning=4))
    g = win.grid
    # the tile: a 6x6x6 mm box of the window on its voxel boundaries, at half the voxel size,
    # its labels the window's split 2x2x2, a 1.3 mm radius bead off the voxel centres
    site = np.rint((np.asarray(SITE_MM) - g.lower_mm) / g.spacing_xyz).astype(int)[::-1]
    box = tuple(slice(int(c) - 3, int(c) + 3) for c in site)
    tl = win.labels[box].repeat(2, 0).repeat(2, 1).repeat(2, 2)
    lower = g.lower_mm + np.array([s.start for s in box][::-1]) * g.spacing_xyz
    tg = Grid(shape=tl.shape, spacing=(0.5,) * 3, origin=tuple(lower + 0.25))
    z, y, x = np.meshgrid(*[np.arange(n) for n in tl.shape], indexing="ij")
    pts = np.stack([x, y, z], -1) * 0.5 + tg.origin
    tl[np.sum((pts - (np.asarray(SITE_MM) + [0.3, -0.2, 0.4])) ** 2, -1) < 1.3 ** 2] = BEAD
    tile = SimpleNamespace(labels=tl, grid=tg, materials=phantom.materials, meta={})
    # the same composite on the fine grid everywhere
    fl = win.labels.repeat(2, 0).repeat(2, 1).repeat(2, 2)
    fl[tuple(slice(2 * s.start, 2 * s.stop) for s in box)] = tl
    fine = SimpleNamespace(labels=fl, grid=Grid(shape=fl.shape, spacing=(0.5,) * 3,
                                                origin=tuple(g.lower_mm + 0.25)),
                           materials=phantom.materials, meta=dict(phantom.meta))
    win.materials = phantom.materials
    return phantom, region, win, tile, fine


@pytest.mark.parametrize("system, kw", [("mammomat-dm", dict(binning=4)),
                                        ("victre-dm", dict(binning=4, rays_per_pixel=2))])
def test_a_tile_images_as_the_fine_composite(system, kw):
    phantom, region, win, tile, fine = _composites(system)
    coarse = coarsened(phantom, 2)
    kw = dict(seed=4, noise=False, progress=False, backend="cpu", coarse_phantom=coarse, **kw)
    got, = acquire_regions(win, system, [region], windows=[win], tiles=[[tile]], **kw)
    ref, = acquire_regions(fine, system, [region], windows=[fine], **kw)
    plain, = acquire_regions(win, system, [region], windows=[win], **kw)
    li_g, li_r, li_p = (a.line_integrals() for a in (got, ref, plain))
    bead = li_r - li_p
    assert bead.max() > 0.1              # the bead is seen: ~2.6 mm of hydroxyapatite
    assert np.abs(li_g - li_r).max() <= 1e-5 * np.abs(li_r).max(), \
        np.abs(li_g - li_r).max() / np.abs(li_r).max()
    assert got.technique == ref.technique


def test_tiles_are_checked():
    phantom, region, win, tile, fine = _composites()
    kw = dict(seed=4, noise=False, progress=False, binning=4)
    with pytest.raises(ValueError, match="one list"):
        acquire_regions(win, "mammomat-dm", [region], windows=[win], tiles=[], **kw)
    other = dataclasses.replace(tile) if dataclasses.is_dataclass(tile) else \
        SimpleNamespace(**{**vars(tile), "materials": {**tile.materials, BEAD: "mass"}})
    with pytest.raises(ValueError, match=r"tiles\[0\]\[0\] labels its materials differently"):
        acquire_regions(win, "mammomat-dm", [region], windows=[win], tiles=[[other]], **kw)
