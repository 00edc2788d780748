"""Lesion-site placement: no overlap, allowed tissue only, seeded, impossible counts refused.

The phantom is a hand-built compressed breast at 0.5 mm whose tissue is known voxel by voxel:
a 40 mm slab (z 20-60 mm) of adipose with a glandular block, a 1 mm skin shell, muscle at the
chest wall (x < 4 mm) and air outside, so every rule can be checked against the labels directly.
"""

import numpy as np
import pytest

from victwin.geometry import Grid
from victwin.phantom import Phantom
from victwin.phantom.placement import (CHEST_WALL_MARGIN_MM, footprint_mm, place_sites)

AIR, FAT, SKIN, GLAND, MUSCLE = 0, 1, 2, 3, 4
VOX = 0.5
SUPPORT, THICK = 20.0, 40.0
VICTRE_BOXES = {"mass": (9.265, 9.265, 9.0), "calcification": (5.525, 5.525, 5.0)}
SOURCE = (0.0, 0.0, 650.0)     # VICTRE's DM focal spot: 65 cm above the detector, at the chest wall


@pytest.fixture(scope="module")
def breast():
    nx, ny, nz = 200, 240, int(THICK / VOX) + 4      # x 0-100 mm, y -60..60 mm, z 19-61 mm
    grid = Grid(shape=(nz, ny, nx), spacing=(VOX, VOX, VOX),
                origin=(VOX / 2, -60 + VOX / 2, SUPPORT - 2 * VOX + VOX / 2))
    z, y, x = np.meshgrid(*(grid.origin[::-1][a] + VOX * np.arange(grid.shape[a])
                            for a in range(3)), indexing="ij")
    labels = np.full(grid.shape, AIR, np.uint8)
    inside = (z > SUPPORT) & (z < SUPPORT + THICK) & (np.abs(y) < 55) & (x < 95)
    labels[inside] = FAT
    # glandular tissue in a block, and scattered in a checkerboard beyond it
    labels[inside & (x > 30) & (x < 80) & (np.abs(y) < 40)] = GLAND
    skin = inside & ~((z > SUPPORT + 1) & (z < SUPPORT + THICK - 1) & (np.abs(y) < 54)
                      & (x < 94))
    labels[skin] = SKIN
    labels[inside & (x < 4)] = MUSCLE
    return Phantom(labels=labels, grid=grid,
                   materials={AIR: "air", FAT: "adipose", SKIN: "skin", GLAND: "glandular",
                              MUSCLE: "muscle"},
                   meta={"thickness_mm": THICK, "support_mm": SUPPORT})


def _box_labels(phantom, site):
    g = phantom.grid
    lo = np.floor((np.asarray(site.lower_mm) - (np.asarray(g.origin) - VOX / 2)) / VOX).astype(int)
    hi = np.ceil((np.asarray(site.upper_mm) - (np.asarray(g.origin) - VOX / 2)) / VOX).astype(int)
    return phantom.labels[lo[2]:hi[2], lo[1]:hi[1], lo[0]:hi[0]]


def test_victre_counts_are_placed_in_allowed_tissue_without_overlap(breast):
    sites = place_sites(breast, {"mass": 4, "calcification": 4, "absent": 12}, VICTRE_BOXES,
                        rng=1, source_mm=SOURCE)
    kinds = [s.kind for s in sites]
    assert kinds.count("mass") == 4 and kinds.count("calcification") == 4
    assert kinds.count("absent") == 12
    # VICTRE's lesion-absent ROIs: half calcification-sized, half mass-sized
    assert sorted(s.roi_kind for s in sites if s.kind == "absent") == \
        ["calcification"] * 6 + ["mass"] * 6
    for s in sites:
        assert s.size_mm == VICTRE_BOXES[s.roi_kind]
        c = breast.grid.world_to_index(s.center_mm)
        assert breast.labels[tuple(np.rint(c).astype(int))] == GLAND       # centre in gland
        box = _box_labels(breast, s)
        assert box.size > 0 and not np.isin(box, [AIR, SKIN, MUSCLE]).any()
        assert s.center_mm[0] >= CHEST_WALL_MARGIN_MM
        assert SUPPORT <= s.lower_mm[2] and s.upper_mm[2] <= SUPPORT + THICK
    # projected boxes are pairwise disjoint (rectangles, checked by brute force on a raster)
    cover = np.zeros((240, 240), int)   # 0.5 mm cells over x 0-120, y -60..60
    for s in sites:
        x0, y0, x1, y1 = footprint_mm(s, SOURCE)
        assert x1 - x0 > s.size_mm[0]    # magnified by the cone beam
        i0, i1 = int(np.ceil(x0 / 0.5)), int(np.floor(x1 / 0.5))
        j0, j1 = int(np.ceil((y0 + 60) / 0.5)), int(np.floor((y1 + 60) / 0.5))
        cover[j0:j1, i0:i1] += 1
    assert cover.max() == 1


def test_same_seed_same_sites_other_seed_other_sites(breast):
    counts = {"mass": 2, "calcification": 2, "absent": 4}
    a = place_sites(breast, counts, VICTRE_BOXES, rng=7, source_mm=SOURCE)
    b = place_sites(breast, counts, VICTRE_BOXES, rng=np.random.default_rng(7), source_mm=SOURCE)
    c = place_sites(breast, counts, VICTRE_BOXES, rng=8, source_mm=SOURCE)
    assert a == b
    assert [s.center_mm for s in a] != [s.center_mm for s in c]


def test_more_sites_than_fit_is_one_line_naming_the_key(breast):
    # 200 mass boxes need far more projected area than the 90 x 108 mm breast has
    with pytest.raises(ValueError, match=r"^sites\.absent: .* ask for fewer sites$") as e:
        place_sites(breast, {"mass": 20, "absent": 180}, VICTRE_BOXES, rng=1,
                    source_mm=SOURCE)
    assert "\n" not in str(e.value)
    # fits by area but not in the glandular block clear of each other: refused after tries
    with pytest.raises(ValueError, match=r"^sites\.mass: could not place site \d+ of 40 .*"
                                         r"placed mass \d+: ask for fewer sites$"):
        place_sites(breast, {"mass": 40}, VICTRE_BOXES, rng=1, source_mm=SOURCE, max_tries=300)


def test_a_box_taller_than_the_breast_and_bad_counts_are_refused(breast):
    with pytest.raises(ValueError, match=r"^sites\.mass: the mass ROI box is 45 mm tall but "
                                         r"the compressed breast is 40\.0 mm thick$"):
        place_sites(breast, {"mass": 1}, {"mass": (9.0, 9.0, 45.0)}, rng=1)
    with pytest.raises(ValueError, match=r"^sites\.mass must be an integer >= 0, got -1$"):
        place_sites(breast, {"mass": -1}, VICTRE_BOXES, rng=1)
    with pytest.raises(ValueError, match=r"^sites\.nodule: no ROI box size"):
        place_sites(breast, {"nodule": 1}, VICTRE_BOXES, rng=1)


def test_sites_on_a_prepared_breast_equal_those_on_the_built_phantom():
    from victwin.phantom import make, prepare

    def accept(lower, upper):           # a further rule (as the trial's "on every detector")
        return upper[1] < 35.0

    prep = prepare("breast/dense", seed=2)
    for vox, counts in ((1.0, {"mass": 4, "calcification": 4, "absent": 12}),
                        (0.5, {"mass": 2, "calcification": 2, "absent": 3})):
        built = make("breast/dense", seed=2, voxel_mm=vox)
        for seed in (1, 2):
            kw = dict(rng=seed, source_mm=SOURCE, accept=accept)
            want = place_sites(built, counts, VICTRE_BOXES, **kw)
            got = place_sites(prep, counts, VICTRE_BOXES, voxel_mm=vox, **kw)
            assert got == want, (vox, seed)
            assert len(got) == sum(counts.values())
    # impossible counts: the same one-line errors
    built = make("breast/dense", seed=2, voxel_mm=1.0)
    for counts, tries in (({"mass": 20, "absent": 180}, 2000), ({"mass": 30}, 200)):
        msgs = []
        for src, kw in ((built, {}), (prep, {"voxel_mm": 1.0})):
            with pytest.raises(ValueError, match=r"^sites\.\w+: .*ask for fewer sites$") as e:
                place_sites(src, counts, VICTRE_BOXES, rng=1, source_mm=SOURCE,
                            max_tries=tries, **kw)
            msgs.append(str(e.value))
        assert msgs[0] == msgs[1]
    with pytest.raises(ValueError, match="voxel_mm is for a PreparedBreast"):
        place_sites(built, {"mass": 1}, VICTRE_BOXES, rng=1, voxel_mm=1.0)


def test_fits_is_the_last_rule_and_sees_each_sites_index_and_kind(breast):
    counts = {"mass": 3, "calcification": 2, "absent": 4}
    calls = []

    def low(index, kind, center):           # e.g. "the lesion fits": here, lesions low down
        calls.append((index, kind, center))
        return kind == "absent" or center[2] < SUPPORT + THICK / 2

    sites = place_sites(breast, counts, VICTRE_BOXES, rng=3, source_mm=SOURCE, fits=low)
    assert all(s.center_mm[2] < SUPPORT + THICK / 2 for s in sites if s.truth)
    # every placed site was the last candidate asked about at its index, with its kind
    last = {}
    for index, kind, center in calls:
        last[index] = (kind, center)
    assert [last[k] for k in range(len(sites))] == [(s.kind, s.center_mm) for s in sites]
    # the box rules come first: every candidate fits() saw passed them
    for index, kind, center in calls:
        assert breast.labels[tuple(np.rint(breast.grid.world_to_index(center)).astype(int))] \
            == GLAND
    # a rule nothing passes: one line, saying the lesion was checked too
    with pytest.raises(ValueError, match=r"^sites\.mass: could not place site 1 of 1 .*its "
                                         r"lesion too\) in 50 tries; placed none"):
        place_sites(breast, {"mass": 1}, VICTRE_BOXES, rng=1, max_tries=50,
                    fits=lambda *a: False)
