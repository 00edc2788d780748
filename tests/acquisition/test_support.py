"""The support of a region: a phantom cropped to it gives the region's rays the same voxels.

Reference: the same lesion-local run (noise-free) on the full phantom. Cropping the phantom to
the support must leave every crop pixel's line integral unchanged (to float rounding), in DM
and in every DBT view, with the systems' focal-spot and motion blur sub-sources; cropping one
voxel row less on a side the rays reach must change them (the box is not too large to test
anything).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from victwin.acquisition import Region, acquire, region_support

from ._phantom import crop, hetero_slab, window

THICKNESS_MM = 40.0
SITE_MM = (25.0, 5.0, 40.0)


@pytest.fixture(scope="module")
def phantom():
    return hetero_slab(THICKNESS_MM)


def _line_integrals(phantom, system, region, **kw):
    acq = acquire(phantom, system, region=region, seed=2, noise=False, scatter=False,
                  progress=False, **kw)
    return acq.line_integrals(), acq


@pytest.mark.parametrize("system, kw", [
    ("mammomat-dm", dict(binning=4)),
    ("mammomat-dbt", dict(binning=6, rays_per_pixel=2)),
    ("victre-dm", dict(binning=4, rays_per_pixel=2)),          # focal-spot sub-sources
    ("victre-dbt", dict(binning=6, rays_per_pixel=1, views=[0, 12, 24])),  # + motion blur
])
def test_window_at_the_support_gives_the_same_line_integrals(phantom, system, kw):
    region = Region.around(SITE_MM, 9.0)
    sup = region_support(region, system, thickness_mm=THICKNESS_MM, grid=phantom.grid,
                         binning=kw["binning"], views=kw.get("views"))
    window = crop(phantom, sup.slices)
    assert window.labels.size < 0.5 * phantom.labels.size     # a real crop
    full, ref = _line_integrals(phantom, system, region, **kw)
    got, acq = _line_integrals(window, system, region, **kw)
    assert acq.region == ref.region and acq.views == ref.views
    rel = np.abs(got - full).max() / np.abs(full).max()
    assert rel < 1e-6, rel
    # the world box is the voxel box's outer faces
    g = phantom.grid
    assert np.allclose(sup.lower_mm, g.lower_mm + np.array(sup.index_lower[::-1]) * g.spacing_xyz)
    # the same box without the grid (from the breast slab), grown by one voxel, holds it
    loose = region_support(region, system, thickness_mm=THICKNESS_MM, binning=kw["binning"],
                           views=kw.get("views"), pad_mm=1.0)
    assert np.all(np.asarray(loose.lower_mm)[:2] <= np.asarray(sup.lower_mm)[:2] + 1.0 + 1e-9)
    assert np.all(np.asarray(loose.upper_mm)[:2] >= np.asarray(sup.upper_mm)[:2] - 1.0 - 1e-9)


def test_a_smaller_window_changes_the_line_integrals(phantom):
    """Two voxels less on the x side the rays reach farthest: some pixel changes."""
    region = Region.around(SITE_MM, 9.0)
    kw = dict(binning=6, rays_per_pixel=1)
    sup = region_support(region, "mammomat-dbt", thickness_mm=THICKNESS_MM,
                         grid=phantom.grid, binning=6)
    full, _ = _line_integrals(phantom, "mammomat-dbt", region, **kw)
    sz, sy, sx = sup.slices
    for short in ((sz, sy, slice(sx.start + 3, sx.stop)), (sz, slice(sy.start + 3, sy.stop), sx),
                  (sz, slice(sy.start, sy.stop - 3), sx)):
        got, _ = _line_integrals(crop(phantom, short), "mammomat-dbt", region, **kw)
        assert np.abs(got - full).max() > 1e-3


def test_support_needs_a_thickness_or_a_grid():
    region = Region.around(SITE_MM, 9.0)
    with pytest.raises(ValueError, match="thickness_mm is required"):
        region_support(region, "mammomat-dm")
    with pytest.raises(ValueError, match="grid is required"):
        region_support(Region.around((0, 0, 150), 10.0), "chest-pa")


REGIONS = [Region.around(SITE_MM, 9.0), Region.around((20.0, -8.0, 38.0), (6.0, 8.0, 5.0))]


@pytest.mark.parametrize("system, kw", [("mammomat-dm", dict(binning=4)),
                                        ("mammomat-dbt", dict(binning=6, rays_per_pixel=1))])
def test_acquire_regions_on_windows_equals_the_full_phantom(phantom, system, kw):
    """Windows at the supports + the same phantom for the coarse pass: the same line
    integrals (noise-free, < 1e-6 relative), strip fill, technique and dose as the full run."""
    from victwin.acquisition import acquire_regions

    sups = [region_support(r, system, thickness_mm=THICKNESS_MM, grid=phantom.grid,
                           binning=kw["binning"]) for r in REGIONS]
    wins = [window(phantom, s) for s in sups]
    run = dict(seed=3, case=1, noise=False, progress=False, **kw)
    ref = acquire_regions(phantom, system, REGIONS, **run)
    got = acquire_regions(wins[0], system, REGIONS, windows=wins, coarse_phantom=phantom,
                          **run)
    for a, b in zip(got, ref):
        la, lb = a.line_integrals(), b.line_integrals()
        assert np.abs(la - lb).max() / np.abs(lb).max() < 1e-6
        assert a.technique == b.technique and a.dose == b.dose
        if b.strip_fill is not None:
            assert a.strip_fill.tobytes() == b.strip_fill.tobytes()


def test_windows_are_checked(phantom):
    from victwin.acquisition import acquire_regions

    sups = [region_support(r, "mammomat-dm", thickness_mm=THICKNESS_MM, grid=phantom.grid,
                           binning=4) for r in REGIONS]
    wins = [window(phantom, s) for s in sups]
    kw = dict(seed=3, binning=4, progress=False)
    with pytest.raises(ValueError, match="one phantom per region"):
        acquire_regions(wins[0], "mammomat-dm", REGIONS, windows=wins[:1], **kw)
    with pytest.raises(ValueError, match=r"windows\[0\] does not hold region 0's support"):
        acquire_regions(wins[1], "mammomat-dm", REGIONS, windows=wins[::-1], **kw)
    other = SimpleNamespace(**{**vars(wins[1]), "meta": dict(wins[1].meta,
                                                             thickness_mm=45.0)})
    with pytest.raises(ValueError, match=r"windows\[1\] is not of the same twin"):
        acquire_regions(wins[0], "mammomat-dm", REGIONS, windows=[wins[0], other], **kw)
