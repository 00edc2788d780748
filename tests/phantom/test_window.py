"""Windows of a breast phantom (``make(..., window_mm=)``, ``prepare``) against crops of the
whole phantom, byte for byte.

The windows sit where the labels change most: in gland, through the skin and the nipple, at
the pectoralis, around ducts and vessels, clipped at the grid's edges. Coarse voxels keep this
fast; one small window is checked at 0.2 mm.
"""

import numpy as np
import pytest

from victwin.phantom import BREAST_LABELS, make, prepare
from victwin.phantom._prepared import WHOLE_VOLUME_KEYS

LABEL = {v[0]: k for k, v in BREAST_LABELS.items()}   # tissue name -> label code


@pytest.fixture(scope="module")
def scattered():
    prep = prepare("breast/scattered", seed=3)
    return prep, make("breast/scattered", seed=3, voxel_mm=0.5)


def _crop(full, window):
    """The crop of the whole phantom over the voxels whose cells meet ``window`` (computed
    here from the grid's corners, independently of the code under test)."""
    g = full.grid
    lo = np.asarray(window[0], float)
    hi = np.asarray(window[1], float)
    lower = g.lower_mm
    sp = g.spacing_xyz
    i0 = np.clip(np.floor((lo - lower) / sp).astype(int), 0, g.shape_xyz)
    i1 = np.clip(np.ceil((hi - lower) / sp).astype(int), 0, g.shape_xyz)
    return full.labels[i0[2]:i1[2], i0[1]:i1[1], i0[0]:i1[0]], i0[::-1]


def _around(full, code, half_mm, rng, pick=0.5):
    """A box of half-size ``half_mm`` (x, y, z) around a voxel of label ``code``, with corners
    off the voxel boundaries."""
    idx = np.argwhere(full.labels == code)
    assert len(idx), code
    c = full.grid.index_to_world(idx[int(pick * (len(idx) - 1))]) + rng.uniform(-0.2, 0.2, 3)
    h = np.asarray(half_mm, float)
    return (tuple(c - h), tuple(c + h))


def _check(full, win, window):
    want, i0 = _crop(full, window)
    assert win.labels.shape == want.shape
    assert win.labels.tobytes() == want.tobytes()
    assert win.meta["window"]["index"] == i0.tolist()
    assert win.meta["window"]["full_shape"] == list(full.shape)
    # the window's voxel [0, 0, 0] is the full grid's voxel i0
    assert np.allclose(win.grid.origin, full.grid.index_to_world(i0), atol=1e-9)
    assert win.grid.spacing == full.grid.spacing


def test_windows_equal_crops_of_the_whole_phantom(scattered):
    prep, full = scattered
    rng = np.random.default_rng(0)
    g = full.grid
    lo, hi = g.lower_mm, g.upper_mm
    nipple = np.asarray(full.meta["nipple_mm"])
    windows = {
        "gland": _around(full, LABEL["glandular"], (6.0, 4.1, 3.3), rng),
        "ligament": _around(full, LABEL["ligament"], (3.0, 3.0, 2.0), rng, 0.3),
        "duct": _around(full, LABEL["duct"], (5.0, 2.5, 4.0), rng, 0.7),
        "vessel": _around(full, LABEL["vessel"], (4.2, 7.0, 2.6), rng),
        "pectoralis": _around(full, LABEL["pectoralis"], (5.0, 5.0, 5.0), rng),
        "skin": _around(full, LABEL["skin"], (3.3, 3.3, 30.0), rng, 0.4),
        "nipple": (tuple(nipple - (8.1, 5.3, 4.7)), tuple(nipple + (3.7, 5.3, 4.9))),
        # clipped: past the grid on every low face, and on every high face
        "low corner": (tuple(lo - 7.0), tuple(lo + (20.3, 15.2, 5.1))),
        "high corner": (tuple(hi - (12.2, 9.9, 4.4)), tuple(hi + 3.0)),
        # the whole grid and more
        "all": (tuple(lo - 1.0), tuple(hi + 1.0)),
        # one voxel's cell exactly, and a box thinner than a voxel
        "one voxel": (tuple(g.index_to_world((5, 100, 60)) - 0.25),
                      tuple(g.index_to_world((5, 100, 60)) + 0.25)),
        "sliver": ((30.05, -2.0, 35.0), (30.06, 2.0, 36.0)),
    }
    for name, window in windows.items():
        _check(full, prep.make(0.5, window_mm=window), window)
    # the simple entry point gives the same phantom as the prepared breast
    for name in ("duct", "nipple"):
        win = make("breast/scattered", seed=3, voxel_mm=0.5, window_mm=windows[name])
        assert win == prep.make(0.5, window_mm=windows[name]), name
    # the windows hold what they were put around
    held = lambda n: set(np.unique(prep.make(0.5, window_mm=windows[n]).labels).tolist())
    assert {LABEL["skin"], LABEL["nipple"], LABEL["air"]} <= held("nipple")
    assert {LABEL["pectoralis"], LABEL["air"]} <= held("low corner") | held("pectoralis")
    assert LABEL["duct"] in held("duct") and LABEL["vessel"] in held("vessel")
    assert prep.make(0.5, window_mm=windows["one voxel"]).shape == (1, 1, 1)


def test_a_window_outside_the_grid_or_malformed_is_one_line_error(scattered):
    prep, full = scattered
    hi = full.grid.upper_mm
    with pytest.raises(ValueError, match=r"^window_mm .* does not meet the phantom grid") as e:
        make("breast/scattered", seed=3, voxel_mm=0.5,
             window_mm=(tuple(hi + 1.0), tuple(hi + 5.0)))
    assert "\n" not in str(e.value)
    for bad in [((0, 0, 30), (10, 10, 30)), ((0, 0), (1, 1)), "box", ((0, 0, 0), (1, np.nan, 2))]:
        with pytest.raises(ValueError, match=r"^window_mm must be \(\(x0, y0, z0\)"):
            prep.make(0.5, window_mm=bad)
    with pytest.raises(ValueError, match="windows are for breast"):
        make("chest/adult", seed=0, voxel_mm=4.0, window_mm=((0, 0, 0), (10, 10, 10)))
    with pytest.raises(ValueError, match="only breast recipes"):
        prepare("analytic/shepp_logan")


def test_window_meta_is_the_whole_phantoms_with_whole_volume_values_of_the_breast(scattered):
    prep, full = scattered
    window = ((40.0, -10.0, 30.0), (50.0, 0.0, 40.0))
    win = prep.make(0.5, window_mm=window)
    assert win.meta["window"]["whole_volume_voxel_mm"] == 1.0
    rest = {k: v for k, v in win.meta.items() if k not in WHOLE_VOLUME_KEYS + ("window",)}
    assert rest == {k: v for k, v in full.meta.items() if k not in WHOLE_VOLUME_KEYS}
    # the whole-volume values are those of the whole breast at 1 mm, never the window's
    at_1mm = make("breast/scattered", seed=3, voxel_mm=1.0)
    for k in WHOLE_VOLUME_KEYS:
        assert win.meta[k] == at_1mm.meta[k], k
        assert win.meta[k] == pytest.approx(full.meta[k], rel=0.05), k
    # at 1 mm a window reports exactly the whole phantom's values
    w1 = make("breast/scattered", seed=3, voxel_mm=1.0, window_mm=window)
    assert {k: w1.meta[k] for k in WHOLE_VOLUME_KEYS} == {k: at_1mm.meta[k]
                                                          for k in WHOLE_VOLUME_KEYS}


def test_prepared_whole_phantom_and_lattice_equal_make(scattered):
    prep, full = scattered
    assert prep.make(0.5) == full                     # labels, grid, meta
    assert "window" not in full.meta
    lat = prep.lattice((3, 10, 7), full.shape, step=4, voxel_mm=0.5)
    assert lat.tobytes() == np.ascontiguousarray(full.labels[3::4, 10::4, 7::4]).tobytes()


def test_a_small_window_at_0_2_mm_equals_the_crop():
    full = make("breast/dense", seed=5, voxel_mm=0.2)
    idx = np.argwhere(full.labels == LABEL["duct"])
    c = full.grid.index_to_world(idx[len(idx) // 2])
    window = (tuple(c - (3.03, 2.01, 2.47)), tuple(c + (2.96, 2.52, 1.95)))
    win = prepare("breast/dense", seed=5).make(0.2, window_mm=window)
    _check(full, win, window)


def test_analytic_windows_are_crops():
    full = make("analytic/shepp_logan", voxel_mm=2.0)
    lo = full.grid.lower_mm
    window = (tuple(lo + (10.3, 20.1, 5.0)), tuple(lo + (50.0, 44.4, 17.9)))
    win = make("analytic/shepp_logan", voxel_mm=2.0, window_mm=window)
    _check(full, win, window)


def test_lesions_inserted_into_windows_equal_crops_of_the_whole_insertion(scattered):
    from victwin.phantom import calcification_cluster, insert_lesion, spiculated_mass
    from victwin.phantom.placement import place_sites

    prep, full = scattered
    boxes = {"mass": (9.265, 9.265, 9.0), "calcification": (5.525, 5.525, 5.0)}
    sites = place_sites(prep, {"mass": 1, "calcification": 1}, boxes, rng=4, voxel_mm=0.5)
    models = [spiculated_mass(5, diameter_mm=7.0, voxel_mm=0.25),
              calcification_cluster(6, voxel_mm=0.1)]
    whole, records = full, []
    for site, model in zip(sites, models):
        whole, rec = insert_lesion(whole, model, center_mm=site.center_mm)
        records.append(rec)
    c = np.asarray(sites[0].center_mm)
    windows = {"holds the mass": (tuple(c - 6.3), tuple(c + 6.3)),
               "cuts the mass": (tuple(c - 2.1), tuple(c + (9.0, 8.0, 7.0))),
               "misses the mass": (tuple(c + 6.0), tuple(c + 12.0)),
               "holds both": (tuple(np.min([s.lower_mm for s in sites], axis=0) - 1.0),
                              tuple(np.max([s.upper_mm for s in sites], axis=0) + 1.0))}
    for name, window in windows.items():
        win = prep.make(0.5, window_mm=window)
        for site, model, want in zip(sites, models, records):
            win, rec = insert_lesion(win, model, center_mm=site.center_mm)
            assert rec.extra["bbox_index_zyx"] == want.extra["bbox_index_zyx"], name
            assert np.allclose(rec.center_mm, want.center_mm, atol=1e-9)
            assert rec.label == want.label and rec.extra["labels"] == want.extra["labels"]
        crop, _ = _crop(whole, window)
        assert win.labels.tobytes() == crop.tobytes(), name
        assert win.materials == whole.materials
    # a lesion over the breast's edge: the window that holds the edge refuses it as the whole
    # phantom does (the label named is the first offending voxel each scan meets: air or skin)
    nipple = np.asarray(full.meta["nipple_mm"])
    win = prep.make(0.5, window_mm=(tuple(nipple - 16.0), tuple(nipple + 2.0)))
    msgs = []
    for ph in (full, win):
        with pytest.raises(ValueError, match=r"cannot hold the mass: the lesion would cover "
                                             r"label \d \((air|skin)\)$") as e:
            insert_lesion(ph, models[0], center_mm=tuple(float(v) for v in nipple - (10, 0, 0)))
        msgs.append(str(e.value).rsplit(": the lesion", 1)[0])
    assert msgs[0] == msgs[1]
