"""The parenchymal density field (victwin.phantom.chest.parenchyma) against its cited figures:
lobule size (Fleischner glossary, 1.0-2.5 cm), lobule density SD (25 HU, Fromson & Denison
1988), a vertical gradient of given slope, no added mean; reproducible by seed."""

import hashlib

import numpy as np
import pytest

from victwin.geometry import Grid
from victwin.phantom.chest.parenchyma import (LOBULE_DENSITY_SD_G_CM3, LOBULE_DIAMETER_MM,
                                              LOBULE_SIZE_MM, LUNG_DENSITY_G_CM3,
                                              lobule_seeds, parenchymal_density)

LUNG = 4


def _box(voxel=2.0, n=(100, 100, 100), margin=3):
    """A lung box (label 4) inside soft tissue (label 3): n voxels per side, ``margin``
    voxels of soft tissue around it."""
    lab = np.full(tuple(k + 2 * margin for k in n), 3, np.uint8)
    lab[margin:-margin, margin:-margin, margin:-margin] = LUNG
    g = Grid(shape=lab.shape, spacing=(voxel,) * 3, origin=(-90.0, 40.0, 5.0))
    return lab, g


def test_lobule_density_sd_and_mean_match_the_cited_figures():
    lab, g = _box()
    w = parenchymal_density(lab, g, [LUNG], np.random.default_rng(3))
    rho = w[lab == LUNG].astype(np.float64) * LUNG_DENSITY_G_CM3     # g/cm3 deviations
    n_cells = len(np.unique(rho))
    # one normal draw per lobule, voxels weighted by the cells' volumes (Poisson-Voronoi:
    # volume CV ~0.42): the voxel SD estimates the 25 HU within a few per cent for ~1500
    # lobules (tolerance ~4 standard errors)
    assert n_cells > 1000
    assert rho.std() == pytest.approx(LOBULE_DENSITY_SD_G_CM3, rel=4 * 1.2 / np.sqrt(n_cells))
    # no mean added: |mean| within 4 standard errors of a volume-weighted mean of n_cells
    assert abs(rho.mean()) < 4 * 1.1 * LOBULE_DENSITY_SD_G_CM3 / np.sqrt(n_cells)
    assert LOBULE_DENSITY_SD_G_CM3 == pytest.approx(25.0 / 1000.0)    # 25 HU, 1 HU = 1 mg/cm3


def test_lobule_size_within_the_fleischner_range():
    lab, g = _box()
    w = parenchymal_density(lab, g, [LUNG], np.random.default_rng(5), sd_g_cm3=0.01)
    n_cells = len(np.unique(w[lab == LUNG]))
    volume = np.count_nonzero(lab == LUNG) * 8.0                        # mm^3
    size = (volume / n_cells) ** (1 / 3)
    # cells cut by the box's faces count whole, so the size per cell is a little below the
    # mean size; both within the glossary's 1.0-2.5 cm
    assert LOBULE_DIAMETER_MM[0] <= size <= LOBULE_DIAMETER_MM[1]
    assert 0.8 * LOBULE_SIZE_MM < size <= 1.02 * LOBULE_SIZE_MM
    # the cells are Voronoi cells: a voxel's value is that of its nearest seed, so a cell
    # is one connected region of constant value
    from scipy import ndimage

    one = w == w[50, 50, 50]
    assert ndimage.label(one)[1] == 1


def test_seed_count_is_poisson_with_the_mean_volume():
    rng = np.random.default_rng(0)
    counts = [len(lobule_seeds((0, 0, 0), (175.0, 175.0, 175.0), rng)) for _ in range(400)]
    # expected 1000 seeds per (10 lobules)^3 box; Poisson: var = mean
    assert np.mean(counts) == pytest.approx(1000, abs=4 * np.sqrt(1000 / 400))
    assert np.var(counts) == pytest.approx(1000, rel=0.3)


def test_gradient_has_the_given_slope_and_no_mean():
    lab, g = _box(n=(40, 60, 30))
    slope = 0.40 / 250.0                      # 40 % over 25 cm (the supine-FRC bound)
    w = parenchymal_density(lab, g, [LUNG], np.random.default_rng(1), sd_g_cm3=0.0,
                            gradient_per_mm=slope)
    idx = np.nonzero(lab == LUNG)
    y = g.origin[1] + g.spacing[1] * idx[1]
    fit = np.polyfit(y, w[idx].astype(np.float64), 1)
    assert fit[0] == pytest.approx(slope, rel=1e-5)
    assert abs(w[idx].mean()) < 1e-6
    assert w[idx].max() - w[idx].min() == pytest.approx(slope * (y.max() - y.min()), rel=1e-5)


def test_field_only_in_the_lung_and_reproducible_by_seed():
    lab, g = _box(n=(30, 30, 30))
    before = lab.copy()
    a = parenchymal_density(lab, g, [LUNG], np.random.default_rng(7))
    b = parenchymal_density(lab, g, [LUNG], np.random.default_rng(7))
    c = parenchymal_density(lab, g, [LUNG], np.random.default_rng(8))
    assert np.array_equal(lab, before)
    assert a.dtype == np.float32 and a.shape == lab.shape
    assert not a[lab != LUNG].any() and a[lab == LUNG].all()
    sha = [hashlib.sha256(x.tobytes()).hexdigest() for x in (a, b, c)]
    assert sha[0] == sha[1] != sha[2]


def test_no_lung_gives_zeros_and_bad_values_are_one_line_errors():
    lab, g = _box(n=(10, 10, 10))
    assert not parenchymal_density(lab, g, [9], np.random.default_rng(0)).any()
    with pytest.raises(ValueError, match="sd_g_cm3 must be >= 0 g/cm3, got -0.1"):
        parenchymal_density(lab, g, [LUNG], np.random.default_rng(0), sd_g_cm3=-0.1)
    with pytest.raises(ValueError, match="size_mm must be > 0 mm, got 0"):
        lobule_seeds((0, 0, 0), (1, 1, 1), np.random.default_rng(0), size_mm=0)


def test_benchmark_density_hook_equals_a_thicker_lung():
    """benchmarks/chest_parenchyma.py adds a density field as extra lung path: a lung slab at
    twice its density (w = 1) must image exactly like a slab twice as thick (every ray's path
    in the lung doubles), through the full polyenergetic chest-pa chain (scatter off: its
    model reads the tissue path as geometric thickness, documented in the benchmark)."""
    import sys
    from pathlib import Path
    from types import SimpleNamespace

    from victwin import acquire

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from chest_parenchyma import line_integrals, lung_density

    def slab(lung_voxels):
        # 100 mm soft tissue, the lung behind it, 20 mm of air (inside the grid air attenuates
        # too, so both phantoms get the same air path)
        lab = np.zeros((12 + lung_voxels, 40, 40), np.uint8)
        lab[:10] = 1
        lab[10:10 + lung_voxels] = 2
        return SimpleNamespace(labels=lab, meta={"thickness_mm": 200.0},
                               grid=Grid(shape=lab.shape, spacing=(10.0,) * 3,
                                         origin=(-195.0, -195.0, 10.0)),
                               materials={0: "air", 1: "soft_tissue", 2: "lung"})

    thin, thick = slab(4), slab(8)
    w = (thin.labels == 2).astype(np.float32)            # density x 2
    kw = dict(seed=0, binning=32, progress=False, noise=False, scatter=False)
    with lung_density(w, 2):
        a = acquire(thin, "chest-pa", **kw)
    b = acquire(thick, "chest-pa", **kw)
    c = acquire(thin, "chest-pa", **kw)
    # pixels whose rays stay inside the grid's sides (|u|, |v| < 150 mm at 4.48 mm pixels);
    # the raw image is integer ADU, so "equal" is equal to within the rounding (1 ADU)
    core = (0, slice(15, 81), slice(15, 81))
    diff = np.abs(a.raw[core].astype(int) - b.raw[core].astype(int))
    assert diff.max() <= 1
    # and doubling the lung is far more than the rounding: the lung stays darker
    assert (c.raw[core].astype(int) - b.raw[core].astype(int)).min() > 20
    assert line_integrals(b)[core[1:]].mean() > line_integrals(c)[core[1:]].mean() + 0.05
