"""Screening nodules: parameter draws against their cited distributions (fast: parameters,
not phantoms), voxel models, and placement away from the pleura."""

import math

import numpy as np
import pytest
from scipy import ndimage, stats

from victwin.phantom import LUNG_MATERIALS
from victwin.phantom.chest import make_chest
from victwin.phantom.chest.nodules import (MARGIN_FRACTIONS, P_AT_MOST_7MM, TYPE_FRACTIONS,
                                           draw_nodule_parameters, lung_nodule, place_nodule)

N = 600


@pytest.fixture(scope="module")
def draws():
    return [draw_nodule_parameters(np.random.default_rng(s)) for s in range(N)]


def test_sizes_match_nlst(draws):
    d = np.array([p["diameter_mm"] for p in draws])
    assert d.min() >= 4.0 and d.max() <= 30.0
    # Gierada et al. 2014 (NLST): largest nodule <= 7 mm in 11,598 / 18,141 positive screens
    k = int((d <= 7.0).sum())
    assert stats.binomtest(k, N, P_AT_MOST_7MM).pvalue > 0.001
    assert abs(k / N - 11598 / 18141) < 0.07
    # sizes up to 30 mm do occur
    assert (d > 15.0).any()


def test_types_match_elcap(draws):
    # Henschke et al. 2002 (ELCAP baseline): 81 % solid, 7 % part-solid, 12 % nonsolid
    names = list(TYPE_FRACTIONS)
    counts = np.array([sum(p["nodule_type"] == t for p in draws) for t in names])
    expected = np.array([0.81, 0.07, 0.12]) * N
    assert stats.chisquare(counts, expected).pvalue > 0.001


def test_margins_match_nlst():
    # NLST (BMC Med Imaging 2021, Table 2): smooth 73, poorly defined 10 (drawn as lobulated),
    # spiculated 4 of 87 nodules; one draw per seed over 2000 seeds
    n = 2000
    got = [draw_nodule_parameters(np.random.default_rng(s))["margin"] for s in range(n)]
    names = ["smooth", "lobulated", "spiculated"]
    counts = np.array([got.count(m) for m in names])
    published = np.array([73, 10, 4]) / 87
    assert stats.chisquare(counts, published * n).pvalue > 0.001
    assert dict(zip(names, published)) == pytest.approx(MARGIN_FRACTIONS)
    # every margin occurs; spiculated is rare (4.6 %), not a third
    assert counts.min() > 0 and counts[2] / n < 0.08


@pytest.mark.parametrize("kind", ["solid", "part-solid", "ground-glass"])
def test_voxel_models(kind):
    m = lung_nodule(1, diameter_mm=10.0, nodule_type=kind, margin="smooth", voxel_mm=0.25)
    assert m.kind == "nodule"
    assert m.size_mm == pytest.approx(10.0, rel=0.12)            # envelope ~ target diameter
    if kind == "solid":
        assert m.materials == ("mass",)
    elif kind == "ground-glass":
        assert m.materials == ("soft_tissue",)
        # dithered to ~ -630 HU: about 25 % of the envelope (the rest stays lung)
        c = (np.array(m.patch.shape) - 1) // 2
        r = int(3.0 / 0.25)
        core = m.patch[c[0] - r:c[0] + r, c[1] - r:c[1] + r, c[2] - r:c[2] + r]
        assert 0.18 < (core > 0).mean() < 0.32
    else:
        assert set(m.materials) == {"mass", "soft_tissue"}
        assert (m.patch == 1).any() and (m.patch == 2).any()


def test_spiculated_nodules_reach_further_than_smooth_ones():
    s = lung_nodule(2, diameter_mm=12.0, nodule_type="solid", margin="spiculated", voxel_mm=0.25)
    r = lung_nodule(2, diameter_mm=12.0, nodule_type="solid", margin="smooth", voxel_mm=0.25)
    assert s.patch.shape[0] > 1.4 * r.patch.shape[0]


def test_bad_nodule_parameters():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="diameter_mm"):
        draw_nodule_parameters(rng, diameter_mm=45.0)
    with pytest.raises(ValueError, match="nodule_type"):
        draw_nodule_parameters(rng, nodule_type="cavitary")
    with pytest.raises(ValueError, match="margin"):
        draw_nodule_parameters(rng, margin="fuzzy")


def test_nodules_are_placed_in_lung_away_from_the_pleura():
    ph = make_chest("chest/male", seed=2, voxel_mm=4.0)
    model = lung_nodule(3, diameter_mm=12.0, nodule_type="solid", margin="smooth", voxel_mm=1.0)
    new, rec = place_nodule(ph, model, np.random.default_rng(5), pleura_margin_mm=10.0)
    g = ph.grid
    lung = np.isin(ph.labels, [k for k, m in ph.materials.items() if m in (*LUNG_MATERIALS, "blood")])
    lung &= ndimage.binary_dilation(np.isin(ph.labels, [k for k, m in ph.materials.items()
                                                        if m in LUNG_MATERIALS]), iterations=2)
    dist = ndimage.distance_transform_edt(lung, sampling=g.spacing)
    idx = np.rint(g.world_to_index(rec.center_mm)).astype(int)
    assert dist[tuple(idx)] >= 0.5 * rec.size_mm + 10.0 - 2 * math.sqrt(3) * g.spacing[0]
    changed = new.labels != ph.labels
    assert changed.any()
    assert {ph.materials[v] for v in np.unique(ph.labels[changed])} <= {*LUNG_MATERIALS, "blood"}
