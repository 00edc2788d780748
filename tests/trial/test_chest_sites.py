"""Several nodules per chest twin (``cohort.sites = {nodule = N}``).

Checked against: brute-force distances from each nodule to every non-lung voxel; the ROI
squares each nodule's class crop covers, with every other nodule's voxels projected by
similar triangles (written out here, not ``View.project``); the Obuchowski clustered variance,
which is unchanged when every ROI of every twin is duplicated (while the ROI-level one
shrinks); the spec's one-line errors; a chest case with sites run end to end at coarse voxels.
"""

import math
import tomllib
from pathlib import Path

import numpy as np
import pytest

from victwin.geometry import FlatPanel, Grid, View
from victwin.phantom import Phantom
from victwin.phantom.chest.nodules import lung_nodule, place_nodule_sites
from victwin.trial._spec import spec_from_dict

from ._chest_store import two_site_store

CHEST = Path(__file__).resolve().parents[2] / "examples" / "chest-nodules.toml"
SID = 1800.0
VIEW = View(source=(0.0, 0.0, SID), panel=FlatPanel(shape=(1200, 1200), pitch=(0.5, 0.5),
                                                     center=(0.0, 0.0, 0.0),
                                                     u=(1.0, 0.0, 0.0), v=(0.0, 1.0, 0.0)))


def _lungs(bone_bar=True):
    """Soft tissue 240 x 160 x 100 mm at 1 mm, a lung block 200 x 120 x 60 mm inside it,
    and (``bone_bar``) a 'rib' of bone 6 mm across through the lung's middle."""
    g = Grid(shape=(100, 160, 240), spacing=(1.0, 1.0, 1.0), origin=(-119.5, -79.5, 100.5))
    labels = np.full(g.shape, 1, np.uint8)
    labels[20:80, 20:140, 20:220] = 2
    if bone_bar:
        labels[45:55, 77:83, 20:220] = 3
    return Phantom(labels=labels, grid=g,
                   materials={0: "air", 1: "soft_tissue", 2: "lung", 3: "bone"})


def _models(n, seed=0, sizes=None):
    rng = np.random.default_rng(seed)
    return [lung_nodule(rng, voxel_mm=0.5, nodule_type="solid",
                        diameter_mm=None if sizes is None else sizes[k]) for k in range(n)]


def _projected_xy(pts):
    """Detector (x, y) mm of points, by similar triangles: source at (0, 0, SID), panel z=0."""
    pts = np.asarray(pts, float)
    return pts[..., :2] * (SID / (SID - pts[..., 2:3]))


@pytest.mark.parametrize("seed", [3, 4])
def test_nodules_in_lung_apart_in_projection_and_fitting(seed):
    phantom = _lungs()
    models = _models(4, sizes=(5.0, 7.0, 12.0, 18.0))
    sides = [11.1, 14.8, 27.8, 55.6]
    present, lesions = place_nodule_sites(phantom, models, np.random.default_rng(seed),
                                          view=VIEW, roi_side_mm=sides)
    assert len(lesions) == 4 and len(present.lesions) == 4
    g = phantom.grid
    zyx = np.stack(np.meshgrid(*[g.origin[::-1][a] + np.arange(g.shape[a]) for a in range(3)],
                               indexing="ij"), axis=-1)
    xyz = zyx[..., ::-1]
    non_lung = xyz[phantom.labels != 2]
    for model, lesion in zip(models, lesions):
        assert lesion.size_mm == pytest.approx(model.size_mm)
        # >= 10 mm + the radius from any non-lung voxel, to within the 2 mm lattice the
        # distances are computed on
        d = np.sqrt(((non_lung - np.asarray(lesion.center_mm)) ** 2).sum(axis=1)).min()
        assert d >= 10.0 + 0.5 * model.size_mm - 2.0, (d, model.size_mm)
    # the lesion-fit rule: no nodule voxel on bone (or on another nodule)
    changed = present.labels != phantom.labels
    assert not np.any(phantom.labels[changed] == 3)
    # no class ROI (a square of its side about the nodule's projected centre) holds a voxel
    # of another nodule
    # (the nodules share their material's label: each nodule voxel is given to the nearest
    # centre, the nodules being far apart)
    nod = xyz[changed]
    centres = np.array([x.center_mm for x in lesions])
    owner = np.argmin(((nod[:, None, :] - centres[None]) ** 2).sum(axis=2), axis=1)
    for i, lesion in enumerate(lesions):
        c = _projected_xy(lesion.center_mm)
        for j in range(len(lesions)):
            if i == j:
                continue
            vox = nod[owner == j]
            assert len(vox) > 0
            corners = np.array([[sx, sy, sz] for sx in (-0.5, 0.5) for sy in (-0.5, 0.5)
                                for sz in (-0.5, 0.5)])
            p = _projected_xy((vox[:, None, :] + corners[None]).reshape(-1, 3))
            inside = np.all(np.abs(p - c) <= sides[i] / 2, axis=1)
            assert not inside.any(), (i, j)


def test_placement_is_a_function_of_the_seed():
    phantom = _lungs(bone_bar=False)
    models = _models(3, seed=1)
    sides = [15.0, 15.0, 15.0]

    def centres(seed):
        _, lesions = place_nodule_sites(phantom, models, np.random.default_rng(seed),
                                        view=VIEW, roi_side_mm=sides)
        return [tuple(x.center_mm) for x in lesions]

    assert centres(5) == centres(5)
    assert centres(5) != centres(6)


def test_a_twin_that_cannot_hold_the_nodules_is_a_one_line_error():
    phantom = _lungs(bone_bar=False)
    models = _models(12, seed=2, sizes=[5.0] * 12)
    with pytest.raises(ValueError, match=r"sites.nodule: could not place nodule \d+ of 12 "
                                         r".* in 30 tries: ask for fewer sites") as err:
        place_nodule_sites(phantom, models, np.random.default_rng(0), view=VIEW,
                           roi_side_mm=[60.0] * 12, max_tries=30)
    assert "\n" not in str(err.value)
    big = _models(1, seed=0, sizes=[30.0])
    labels = np.where(phantom.labels == 2, 1, phantom.labels).astype(np.uint8)
    labels[45:55, 70:90, 100:140] = 2                      # a 10 x 20 x 40 mm lung
    small = Phantom(labels=labels, grid=phantom.grid, materials=phantom.materials)
    with pytest.raises(ValueError, match=r"sites.nodule: no lung point lies 2\d.\d mm from "
                                         r"the pleura for nodule 1 \(\d\d.\d mm\)") as err:
        place_nodule_sites(small, big, np.random.default_rng(0), view=VIEW, roi_side_mm=[55.6])
    assert "\n" not in str(err.value)


# ------------------------------------------------------------------------------ spec

def _spec(**cohort):
    d = tomllib.loads(CHEST.read_text())
    d["cohort"] = dict({"size": 4, "age_years": [40, 80]}, **cohort)
    return d


def test_chest_sites_spec():
    spec = spec_from_dict(_spec(sites={"nodule": 4}))
    assert spec.cohort.family == "chest" and spec.cohort.sites == {"nodule": 4}
    assert spec_from_dict(spec.to_toml_dict()) == spec
    assert spec.hash != spec_from_dict(_spec(lesions={"nodule": 1.0})).hash


@pytest.mark.parametrize("sites, match", [
    ({"nodule": 2, "mass": 1}, r"cohort.sites must be nodule alone in a chest trial .*not "
                               r"with mass"),
    ({"nodule": 2, "absent": 3}, r"cohort.sites must be nodule alone .*not with absent"),
    ({"nodule": 0}, r"cohort.sites must be a table with at least one lesion site"),
])
def test_chest_sites_errors_are_one_line(sites, match):
    with pytest.raises(ValueError, match=match) as err:
        spec_from_dict(_spec(sites=sites))
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("observer", ["npw", "npwe"])
def test_per_size_class_takes_an_npw_observer(observer):
    d = _spec(sites={"nodule": 4})
    d["readers"] = {"observer": observer, "per_size_class": True, "roi_mm": 56.0}
    spec = spec_from_dict(d)
    assert spec.readers.observer == observer and spec.readers.per_size_class
    d["readers"]["roi_mm"] = 30.0                # still has to hold the largest class's ROI
    with pytest.raises(ValueError, match=r"readers.roi_mm must be at least 55.6 mm"):
        spec_from_dict(d)
    d["readers"] = {"observer": "hotelling", "per_size_class": True, "roi_mm": 56.0}
    with pytest.raises(ValueError, match=r"readers.observer must be cho, npw or npwe with "
                                         r"readers.per_size_class"):
        spec_from_dict(d)


# ------------------------------------------------------------------- clustered by twin

def test_sites_of_a_twin_are_one_cluster():
    """Every ROI of every twin duplicated (two sites with the same scores): the analysis's
    twin clusters give the same clustered AUCs, error variance and SE as the table without
    duplicates (Obuchowski's estimator: the cluster sums double, the counts double), whereas
    the ROI-level DeLong error variance halves, as if the sites were independent."""
    from victwin import stats
    from victwin.stats import ScoreTable
    from victwin.trial._analysis import twin_clusters

    rng = np.random.default_rng(0)
    n, r = 40, 3
    truth = np.repeat([0, 1], n)                     # twin t holds one ROI of each truth
    base = rng.normal(size=(2, r, 2 * n)) + 0.9 * truth + 0.5 * rng.normal(size=(1, 1, 2 * n))
    ids = [f"{k % n}-s{k // n}" for k in range(2 * n)]
    one = ScoreTable(cases=tuple(ids), truth=truth, modalities=("A", "B"),
                     readers=tuple(f"r{i}" for i in range(r)), scores=base)
    ids2 = ids + [f"{k % n}-s{2 + k // n}" for k in range(2 * n)]
    two = ScoreTable(cases=tuple(ids2), truth=np.concatenate([truth, truth]),
                     modalities=("A", "B"), readers=one.readers,
                     scores=np.concatenate([base, base], axis=2))
    c1 = stats.clustered_mrmc(one, twin_clusters(one.cases))
    c2 = stats.clustered_mrmc(two, twin_clusters(two.cases))
    assert len(set(twin_clusters(two.cases).values())) == n
    assert c2.rrrc["se"] == pytest.approx(c1.rrrc["se"], rel=1e-9)
    np.testing.assert_allclose(c2.reader_auc, c1.reader_auc, rtol=0, atol=1e-12)
    assert c2.var == pytest.approx(c1.var, rel=1e-9)     # the AUC's error variance
    naive1, naive2 = stats.mrmc(one, cov="delong"), stats.mrmc(two, cov="delong")
    assert naive1.var == pytest.approx(c1.var, rel=0.1)  # one ROI pair per twin: ~ the same
    assert naive2.var < 0.6 * naive1.var                  # ~ halved: sites taken as independent


# ------------------------------------------------------------------- end to end, coarse

def test_a_chest_case_with_sites_end_to_end():
    """Case 0 of the shipped spec at 4 mm voxels and 2.24 mm pixels: 4 nodule sites and
    their lesion-absent pairs, each read at its nodule's place; every site records its
    nodule's size, type and rib overlap (the absent one its pair's); a nodule of at least
    two voxels' volume holds more attenuation in its ROI than its pair's in the noise-free
    images. Why it must: a nodule is centred on parenchyma and replaces parenchyma only
    (``nodules.NODULE_REPLACES``), so no voxel loses attenuation and a solid or part-solid
    nodule's centre voxel gains it; a ground-glass one too (its material, parenchyma with 25 %
    soft tissue by volume, fills every voxel of its envelope since 2026-12-03; before, a
    25 % dither could leave it no voxel on this grid).
    On stage12 (2026-12-03) site 3, a 6.3 mm solid nodule of one voxel, was centred on a
    vessel and replaced its blood (1.06 g/cm3, ICRU 46) with "mass" (1.06 g/cm3, 1.2 % less
    attenuating at 70 keV): -0.0006 at the ROI centre."""
    import functools

    import victwin.acquisition as acquisition
    from victwin.trial import run_case, sample_cohort

    d = tomllib.loads(CHEST.read_text())
    d["cohort"]["size"] = 4
    d["resolution"] = {"voxel_mm": 4.0, "detector_binning": 16}
    spec = spec_from_dict(d)
    assert spec.cohort.sites == {"nodule": 4}
    (cid, attrs), = sample_cohort(spec, [0])
    mp = pytest.MonkeyPatch()
    mp.setattr(acquisition, "acquire_regions",
               functools.partial(acquisition.acquire_regions, noise=False))
    try:
        out = run_case(spec, cid, attrs, backend="cpu")
    finally:
        mp.undo()
    sites = out.result.sites
    vox_mm3 = d["resolution"]["voxel_mm"] ** 3
    checked = 0
    assert [s.name for s in sites] == [f"s{k}" for k in range(8)]
    assert [s.truth for s in sites] == [1] * 4 + [0] * 4
    for k in range(4):
        s, a = sites[k], sites[4 + k]
        assert a.pair == s.name and a.center_mm == s.center_mm
        assert (a.lesion_size_mm, a.rib_overlap_fraction, a.nodule_type) == \
            (s.lesion_size_mm, s.rib_overlap_fraction, s.nodule_type)
        assert 4.0 <= s.lesion_size_mm <= 30.0 and 0.0 <= s.rib_overlap_fraction <= 1.0
        # on this 4 mm grid a nodule of less than two voxels' volume (< 6.25 mm) may get no
        # voxel at all (case 0 draws one of 4.3 mm: 0.64 voxels), so only larger ones must show
        if math.pi / 6 * s.lesion_size_mm ** 3 < 2 * vox_mm3:
            continue
        checked += 1
        for m in spec.modality_names:
            p = out.arrays[f"{m}/{s.name}"].astype(float)
            q = out.arrays[f"{m}/{a.name}"].astype(float)
            c = p.shape[0] // 2
            gain = (p - q)[c - 1:c + 2, c - 1:c + 2].mean()
            assert gain > 0, (m, k, s.nodule_type, gain)
    assert checked >= 2, checked  # case 0's nodules: 11.0, 7.9, 4.3 and 6.3 mm
    assert out.result.lesion.rib_overlap_fraction == sites[0].rib_overlap_fraction


# ------------------------------------------------------------- analysis of chest sites

PIXEL_MM = 0.5


def _sites_store(path, spec, sizes, overlaps, n_px=61):
    """Finished chest cases with 2 nodule sites each (``sizes[k]``, ``overlaps[k]``: the
    twin's two nodules) and their lesion-absent pairs: noise ROIs, a disc of the nodule's
    size added to its ROI."""
    return two_site_store(path, spec, sizes, overlaps, n_px=n_px, pixel_mm=PIXEL_MM,
                          amps={"A": 0.08, "B": 0.05}, spacing_mm=10.0, roi_mm=56.0)


@pytest.mark.parametrize("observer", ["cho", "npwe"])
def test_chest_sites_are_classed_and_read_per_site(tmp_path, observer):
    """Each twin holds a < 6 mm and an 8-15 mm nodule: every test ROI is scored, the
    nodule_size and rib_overlap rows count the sites by their own nodule (classed here by
    hand), each class's readers see only that class's ROIs (as many twins as the test set),
    and the headline resamples twins."""
    from victwin.stats import read_imrmc
    from victwin.trial import analyse_run

    rng = np.random.default_rng(2)
    n = 30
    sizes = np.stack([rng.uniform(4.0, 5.9, n), rng.uniform(8.0, 14.0, n)], axis=1)
    overlaps = rng.uniform(0.0, 1.0, (n, 2))
    readers = {"observer": observer, "per_size_class": True, "roi_mm": 56.0, "n_readers": 3}
    if observer == "cho":
        readers["channels"] = {"kind": "laguerre-gauss", "count": 3}
    spec = spec_from_dict({
        "trial": {"name": "nodules", "seed": 9},
        "cohort": {"size": n, "sites": {"nodule": 2}},
        "modality": [{"name": "A", "system": "chest-pa"},
                     {"name": "B", "system": "chest-pa", "dose_scale": 0.5}],
        "readers": readers, "analysis": {"subgroups": ["nodule_size", "rib_overlap"]}})
    store = _sites_store(tmp_path / "run", spec, sizes, overlaps)
    res = analyse_run(store, spec)
    store.close()
    table = read_imrmc(tmp_path / "run" / "analysis" / "scores.imrmc")
    test_twins = sorted({int(c.split("-")[0]) for c in table.cases})
    assert len(test_twins) == res["n_test_cases"] == n // 2
    assert table.n_cases == 4 * len(test_twins)
    assert res["headline"]["analysis"] == "mrmc_clustered"
    assert res["mrmc_clustered"]["cluster_unit"] == "twin"
    rows = {r["subgroup"]: r for r in res["subgroups"]["nodule_size"]["subgroups"]}
    assert rows["<6 mm"]["n_abnormal"] == rows["<6 mm"]["n_normal"] == len(test_twins)
    assert rows["8-15 mm"]["n_abnormal"] == len(test_twins)
    assert rows["6-8 mm"]["n_abnormal"] == 0
    over = sum(int(overlaps[k, j] >= 0.5) for k in test_twins for j in range(2))
    ribs = {r["subgroup"]: r for r in res["subgroups"]["rib_overlap"]["subgroups"]}
    assert ribs["over ribs (>=50 %)"]["n_abnormal"] == over
    assert ribs["between ribs (<50 %)"]["n_abnormal"] == 2 * len(test_twins) - over
    info = res["size_class_readers"]
    assert info["<6 mm"]["n_test_twins"] == info["8-15 mm"]["n_test_twins"] == len(test_twins)
    assert info["<6 mm"]["trained_on"] == "this class"
    assert ("channel_width_mm" in info["<6 mm"]) == (observer == "cho")
    # the larger discs are the easier ones to find
    assert rows["8-15 mm"]["auc"]["A"] > rows["<6 mm"]["auc"]["A"]


def test_nodule_sites_need_size_class_readers():
    """Placement spaces the nodules for their size classes' ROIs only, so a spec that reads
    the whole ``roi_mm`` ROI with several nodules per twin is refused in one line."""
    d = _spec(sites={"nodule": 4})
    d["readers"]["per_size_class"] = False
    with pytest.raises(ValueError, match=r"readers.per_size_class must be true with "
                                         r"cohort.sites = \{nodule = N\}"):
        spec_from_dict(d)
