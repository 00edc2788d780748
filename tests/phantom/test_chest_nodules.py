"""Screening nodules: parameter draws against their cited distributions (fast: parameters,
not phantoms), voxel models, and placement away from the pleura."""

import math

import numpy as np
import pytest
from scipy import ndimage, stats

from victwin.phantom import LUNG_MATERIALS
from victwin.phantom.chest.nodules import (MARGIN_FRACTIONS, P_AT_MOST_7MM, TYPE_FRACTIONS,
                                           draw_nodule_parameters, lung_nodule, place_nodule)

from ._chest_bodies import make

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
        assert m.materials == ("ground_glass",)
        # every voxel within 3 mm of the centre of a 10 mm nodule is ground glass (no dither
        # since 2026-12-03; before, about 25 % of them were)
        c = (np.array(m.patch.shape) - 1) / 2.0
        r_mm = np.sqrt(sum(((np.indices(m.patch.shape)[i] - c[i]) * 0.25) ** 2 for i in range(3)))
        assert (m.patch[r_mm <= 3.0] > 0).all()
    else:
        assert set(m.materials) == {"mass", "ground_glass"}
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
    ph = make("chest/male", seed=2, voxel_mm=4.0)
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
    # the nodule replaces parenchyma only (vessels under it stay blood) and is centred on it
    assert {ph.materials[v] for v in np.unique(ph.labels[changed])} <= set(LUNG_MATERIALS)
    assert ph.materials[int(ph.labels[tuple(idx)])] in LUNG_MATERIALS


# ------------------------------------------------------- what a nodule replaces (2026-12-03)

def _vessel_block():
    """1 mm grid: soft tissue around a 40 x 40 x 110 mm block of lung parenchyma with a
    blood vessel 6 mm across along z through its middle. A 10 mm nodule 10 mm inside the
    pleura can only be centred within ~5 mm of the vessel's axis, so it always engulfs part
    of the vessel, and about a quarter of the candidate centres lie in the vessel."""
    from victwin.geometry import Grid
    from victwin.phantom import Phantom

    g = Grid(shape=(120, 50, 50), spacing=(1.0, 1.0, 1.0), origin=(-24.5, -24.5, -59.5))
    labels = np.full(g.shape, 1, np.uint8)
    labels[5:115, 5:45, 5:45] = 2
    y, x = np.mgrid[0:50, 0:50]
    labels[5:115][:, (x - 25) ** 2 + (y - 25) ** 2 <= 9] = 3
    return Phantom(labels=labels, grid=g,
                   materials={0: "air", 1: "soft_tissue", 2: "lung_parenchyma", 3: "blood"})


def _mu_lut(phantom, energy_kev=60.0):
    """Linear attenuation (1/mm) of each label, from the material tables."""
    from victwin.physics import linear_attenuation

    lut = np.zeros(256)
    for lab, name in phantom.materials.items():
        lut[lab] = float(np.asarray(linear_attenuation(name, energy_kev)).ravel()[0])
    return lut


@pytest.mark.parametrize("kind", ["solid", "part-solid", "ground-glass"])
def test_a_nodule_keeps_the_vessels_it_engulfs_and_only_adds_attenuation(kind):
    """Ground-glass opacity "does not obscure bronchial and vascular margins" (Fleischner
    glossary, Hansell et al. 2008): the vessel under a nodule stays blood; the nodule is
    centred in parenchyma, not in the vessel; and along every ray (here the grid's z columns,
    which run along the vessel: a vessel seen end-on) the nodule adds attenuation or none,
    at 40, 60 and 80 keV. Before 2026-12-03 the nodule painted over the vessel: blood
    (1.06 g/cm3, ICRU 46) became ground glass (soft tissue, 1.03) or "mass" (1.06, a lighter
    composition), so the rays along the vessel lost attenuation."""
    ph = _vessel_block()
    blood = ph.labels == 3
    engulfed = 0
    for seed in range(8):
        model = lung_nodule(seed, diameter_mm=10.0, nodule_type=kind, margin="smooth",
                            voxel_mm=0.5)
        new, rec = place_nodule(ph, model, np.random.default_rng(seed))
        idx = tuple(np.rint(ph.grid.world_to_index(rec.center_mm)).astype(int))
        assert ph.materials[int(ph.labels[idx])] == "lung_parenchyma", (seed, rec.center_mm)
        assert np.all(new.labels[blood] == 3), seed
        changed = new.labels != ph.labels
        assert changed.any()
        assert np.all(ph.labels[changed] == 2)
        # the nodule's envelope reaches into the vessel (the check is not vacuous)
        zyx = np.argwhere(blood)
        d = np.sqrt((((zyx - np.asarray(idx)) * 1.0) ** 2).sum(axis=1))
        engulfed += int((d < 0.5 * rec.size_mm - 1.0).sum())
        for e in (40.0, 60.0, 80.0):
            mu = _mu_lut(new, e)                         # the nodule's labels included
            gain = (mu[new.labels].astype(float) - mu[ph.labels]).sum(axis=0)   # per z ray
            assert gain.min() >= 0.0, (seed, e, gain.min())
            if kind != "ground-glass":                    # a solid centre: its ray gains
                assert gain[idx[1], idx[2]] > 0.0, (seed, e)
    assert engulfed > 0


def test_one_voxel_nodules_on_a_4mm_twin_always_show():
    """On a 4 mm twin a 6.3 mm nodule (two voxels' volume) gets one voxel. Its centre was a
    blood voxel for ~4-8 % of the placements before 2026-12-03 (blood: ~5 % of the
    candidate points; 12 of 300 placements in case 0 of examples/chest-nodules.toml, 9 of
    120 here, seeds 25 and 26 among them), where the nodule replaced the vessel and its
    signal was -1 % of the vessel's attenuation. Now every such nodule turns a parenchyma
    voxel into nodule tissue."""
    ph = make("chest/male", seed=2, voxel_mm=4.0)
    model = lung_nodule(1, diameter_mm=6.3, nodule_type="solid", margin="smooth", voxel_mm=0.5)
    for seed in range(30):
        new, rec = place_nodule(ph, model, np.random.default_rng(seed))
        mu = _mu_lut(new)
        changed = new.labels != ph.labels
        assert np.count_nonzero(changed) == 1, seed
        assert {ph.materials[int(v)] for v in ph.labels[changed]} <= set(LUNG_MATERIALS), seed
        assert float((mu[new.labels[changed]] - mu[ph.labels[changed]]).sum()) > 0.0


def test_only_over_is_the_whole_mask_where_the_host_is_all_parenchyma():
    """``insert_lesion(only_over=...)`` writes the same bytes as without it where every voxel
    under the nodule is of a replaced material (a nodule away from the vessel)."""
    from victwin.phantom import insert_lesion

    ph = _vessel_block()
    model = lung_nodule(4, diameter_mm=8.0, nodule_type="part-solid", margin="lobulated",
                        voxel_mm=0.5)
    at = (-12.0, 0.0, 0.0)                          # 12 mm from the vessel's axis
    a, _ = insert_lesion(ph, model, center_mm=at)
    b, _ = insert_lesion(ph, model, center_mm=at, only_over="lung_parenchyma")
    assert np.array_equal(a.labels, b.labels) and (a.labels != ph.labels).any()
    near = (-4.0, 0.0, 0.0)                         # 5 mm from the axis: over the vessel
    c, _ = insert_lesion(ph, model, center_mm=near, only_over=("lung_parenchyma",))
    d, _ = insert_lesion(ph, model, center_mm=near)
    assert np.all(c.labels[ph.labels == 3] == 3)
    assert np.any(d.labels[ph.labels == 3] != 3)
    assert np.array_equal(c.labels[ph.labels != 3], d.labels[ph.labels != 3])
    # a host name the phantom does not hold (a misspelling) is a one-line error, not a lesion
    # recorded with no voxels
    with pytest.raises(ValueError, match="names no material"):
        insert_lesion(ph, model, center_mm=at, only_over="lung_parenchym")


@pytest.mark.parametrize("shape, sampling", [((37, 41, 29), (2.0, 2.0, 2.0)),
                                             ((20, 33, 50), (1.5, 0.7, 2.3))])
def test_lung_distance_equals_scipy_bit_for_bit_with_less_memory(monkeypatch, shape, sampling):
    """The nodule placement's distance to the pleura (``edt_mm``) is SciPy's
    ``distance_transform_edt`` value for value, computed in slabs (here many: a 100-voxel
    slab) so that a 1 mm chest's lattice needs ~20 B/voxel instead of ~50."""
    import tracemalloc

    from victwin.phantom.chest import nodules

    rng = np.random.default_rng(0)
    mask = ndimage.gaussian_filter(rng.random(shape), 2) > 0.5
    want = ndimage.distance_transform_edt(mask, sampling=sampling)
    monkeypatch.setattr(nodules, "_EDT_SLAB_VOXELS", 100)
    np.testing.assert_array_equal(nodules.edt_mm(mask, sampling), want)
    # memory on a larger mask: SciPy's peak ~50 B/voxel, this one's ~20 (int32 features x 3,
    # the float64 result) plus a slab
    monkeypatch.setattr(nodules, "_EDT_SLAB_VOXELS", 1 << 16)
    big = np.ones((64, 128, 128), bool)
    big[32, 64, 64] = False
    peaks = []
    for f in (lambda: nodules.edt_mm(big, (2.0, 2.0, 2.0)),
              lambda: ndimage.distance_transform_edt(big, sampling=(2.0, 2.0, 2.0))):
        tracemalloc.start()
        try:
            f()
            peaks.append(tracemalloc.get_traced_memory()[1] / big.size)
        finally:
            tracemalloc.stop()
    assert peaks[0] < 24 < 45 < peaks[1], peaks
