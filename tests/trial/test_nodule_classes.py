"""Lung-nodule classes of a chest trial: Lung-RADS size bands, rib overlap, size-fitted readers.

References the tests check against: the Lung-RADS v1.1 band edges written out by hand (6, 8,
15 mm), the analytic shadow of a bone bar on a nodule's disc (circular segments), plain
slicing for the crops, and the trial's single reader on ROIs cropped beforehand.
"""

import math

import numpy as np
import pytest

from victwin.trial import analyse_run, spec_from_dict
from victwin.trial._nodule_classes import (NODULE_SIZE_CLASSES, RIB_OVERLAP_CLASSES,
                                           class_roi_px, crop_rois, nodule_size_class,
                                           rib_overlap_class, size_class_reader)

from ._chest_store import chest_store

# ----------------------------------------------------------------------------- size bands


@pytest.mark.parametrize("d, label", [(4.0, "<6 mm"), (5.999, "<6 mm"), (6.0, "6-8 mm"),
                                      (7.999, "6-8 mm"), (8.0, "8-15 mm"), (14.999, "8-15 mm"),
                                      (15.0, ">=15 mm"), (30.0, ">=15 mm")])
def test_size_bands_are_lung_rads_edges(d, label):
    """Lung-RADS v1.1 solid nodules: < 6, 6 to < 8, 8 to < 15, >= 15 mm (lower edges in)."""
    assert nodule_size_class(d) == label


def test_size_bands_brute_force():
    edges = (6.0, 8.0, 15.0)                     # Lung-RADS v1.1, typed here
    for d in np.random.default_rng(0).uniform(4.0, 30.0, 2000):
        k = sum(d >= e for e in edges)
        assert nodule_size_class(d) == NODULE_SIZE_CLASSES[k]


def test_rib_overlap_threshold_is_half_the_disc():
    assert rib_overlap_class(0.0) == rib_overlap_class(0.4999) == RIB_OVERLAP_CLASSES[0]
    assert rib_overlap_class(0.5) == rib_overlap_class(1.0) == RIB_OVERLAP_CLASSES[1]
    with pytest.raises(ValueError, match="rib overlap fraction must be in"):
        rib_overlap_class(1.2)


def test_class_readers_follow_the_cited_rules():
    """Width = 2/3 of the middle radius (LCD-CT), ROI = 109 * 0.085 / 5 x the upper edge
    (VICTRE), values typed here for two classes."""
    w, roi = size_class_reader("<6 mm")
    assert w == pytest.approx(2 / 3 * 2.5) and roi == pytest.approx(6.0 * 9.265 / 5.0)
    w, roi = size_class_reader(">=15 mm")
    assert w == pytest.approx(2 / 3 * 11.25) and roi == pytest.approx(30.0 * 9.265 / 5.0)


# --------------------------------------------------------------------------- rib overlap

def _bar_phantom(y_lo, y_hi, z_lo, z_hi, voxel=0.5):
    """Soft tissue with one bone bar (a 'rib' along x): the voxels whose centres lie
    between y_lo..y_hi and z_lo..z_hi."""
    from victwin.geometry import Grid
    from victwin.phantom import Phantom

    n_xy, n_z = 161, 121                         # 80 x 80 x 60 mm
    g = Grid(shape=(n_z, n_xy, n_xy), spacing=(voxel,) * 3,
             origin=(-40.0, -40.0, 100.0))
    z = g.origin[2] + voxel * np.arange(n_z)
    y = g.origin[1] + voxel * np.arange(n_xy)
    labels = np.ones(g.shape, np.uint8)
    zz, yy = np.meshgrid(z, y, indexing="ij")
    labels[(zz > z_lo) & (zz < z_hi) & (yy > y_lo) & (yy < y_hi)] = 2
    return Phantom(labels=labels, grid=g, materials={0: "air", 1: "soft_tissue", 2: "bone"})


def _segment_fraction(r, a, b):
    """Fraction of a disc of radius r (centre 0) between the chords y = a and y = b."""
    def below(t):          # area of the disc with y < t
        t = float(np.clip(t, -r, r))
        return r * r * math.acos(-t / r) + t * math.sqrt(r * r - t * t)
    return (below(b) - below(a)) / (math.pi * r * r)


def test_bone_overlap_fraction_is_the_shadow_of_a_bar():
    """A bone bar above the nodule (nearer the source) shadows the strip of the nodule's
    plane between its edges projected from the source; the fraction is that strip's share
    of the disc (circular segments)."""
    from victwin.geometry import FlatPanel, View
    from victwin.phantom.chest.overlap import bone_overlap_fraction

    source = np.array([0.0, 0.0, 1800.0])
    view = View(source=tuple(source), panel=FlatPanel(shape=(64, 64), pitch=(1.0, 1.0),
                                                      center=(0.0, 0.0, 0.0),
                                                      u=(1.0, 0.0, 0.0), v=(0.0, 1.0, 0.0)))
    zc, d = 120.0, 12.0
    # bar 9.5 mm high, 10 mm thick; edges on voxel faces (voxel centres at multiples of 0.5)
    y_lo, y_hi, z_lo, z_hi = -0.75, 8.75, 140.25, 150.25
    ph = _bar_phantom(y_lo, y_hi, z_lo, z_hi)
    frac = bone_overlap_fraction(ph, view, (0.0, 0.0, zc), d, samples=81)
    # a ray through (x, y, zc) is at y * (1800 - z) / (1800 - zc) at depth z: it crosses the
    # bar's full thickness when inside the strip at both faces (the edges are ~0.05 mm apart)
    scale = (1800.0 - zc) / (1800.0 - 0.5 * (z_lo + z_hi))
    expect = _segment_fraction(0.5 * d, y_lo * scale, y_hi * scale)
    assert 0.3 < expect < 0.7
    assert frac == pytest.approx(expect, abs=0.02)


def test_bone_overlap_fraction_none_and_all():
    from victwin.geometry import FlatPanel, View
    from victwin.phantom.chest.overlap import bone_overlap_fraction

    view = View(source=(0.0, 0.0, 1800.0), panel=FlatPanel(
        shape=(8, 8), pitch=(1.0, 1.0), center=(0.0, 0.0, 0.0), u=(1.0, 0.0, 0.0),
        v=(0.0, 1.0, 0.0)))
    far = _bar_phantom(30.0, 39.0, 140.0, 150.0)          # the bar misses a 6 mm disc at 0
    assert bone_overlap_fraction(far, view, (0.0, 0.0, 120.0), 6.0) == 0.0
    over = _bar_phantom(-30.0, 30.0, 140.0, 150.0)        # the bar covers it
    assert bone_overlap_fraction(over, view, (0.0, 0.0, 120.0), 6.0) == 1.0
    with pytest.raises(ValueError, match="diameter_mm must be a positive number"):
        bone_overlap_fraction(over, view, (0.0, 0.0, 120.0), -1.0)


# ---------------------------------------------------------------------------------- crops

def test_crop_rois_around_the_lesion():
    X = np.arange(3 * 9 * 9, dtype=float).reshape(3, 9, 9)
    out = crop_rois(X, 5, [None, (1, -2), (0, 4)])
    np.testing.assert_array_equal(out[0], X[0, 2:7, 2:7])
    np.testing.assert_array_equal(out[1], X[1, 1:6, 4:9])     # lesion at (3, 6): centre there
    np.testing.assert_array_equal(out[2], X[2, 2:7, 0:5])     # lesion at (4, 0): moved inside
    with pytest.raises(ValueError, match="size_px must be odd"):
        crop_rois(X, 4)


# ------------------------------------------------------------------ readers and subgroups

PIXEL_MM = 0.5


def _chest_spec(readers, size=40, subgroups=("nodule_size", "rib_overlap")):
    return spec_from_dict({
        "trial": {"name": "nodules", "seed": 9},
        "cohort": {"size": size, "lesions": {"nodule": 1.0}},
        "modality": [{"name": "A", "system": "chest-pa"},
                     {"name": "B", "system": "chest-pa", "dose_scale": 0.5}],
        "readers": dict({"n_readers": 3}, **readers),
        "analysis": {"subgroups": list(subgroups)},
    })


def _nodule_store(path, spec, sizes, overlaps, n_px, crop=None):
    """Finished chest cases with noise ROIs (``n_px``; ``crop``: stored cropped to it); the
    present ROI adds a disc of the case's size (B at half the amplitude)."""
    store, cases = chest_store(path, spec, len(sizes))
    rng = np.random.default_rng(4)
    yy, xx = (np.mgrid[:n_px, :n_px] - n_px // 2) * PIXEL_MM
    for (cid, _), d, f in zip(cases, sizes, overlaps):
        disc = (yy ** 2 + xx ** 2 <= (0.5 * d) ** 2).astype(float)
        arrays, mods = {}, {}
        for m, amp in (("A", 0.08), ("B", 0.05)):
            a = rng.normal(size=(n_px, n_px))
            p = rng.normal(size=(n_px, n_px)) + amp * disc
            if crop is not None:
                a, p = crop_rois(np.stack([a, p]), crop)
            arrays[f"{m}/absent"] = a.astype(np.float32)
            arrays[f"{m}/present"] = p.astype(np.float32)
            k = a.shape[-1]
            roi = {"center_index": [500, 500], "size_px": [k, k], "pixel_mm": PIXEL_MM,
                   "shift_px": [0, 0]}
            mods[m] = {"roi": roi, "rois": {"present": roi, "absent": roi},
                       "dose": {"entrance_air_kerma_mgy": 0.1}, "order": 0}
        store.commit_case(cid, arrays, {"modalities": mods, "phantom": {},
                                        "lesion": {"kind": "nodule", "size_mm": float(d),
                                                   "center_mm": [0.0, 0.0, 150.0],
                                                   "rib_overlap_fraction": float(f)}},
                          {"roi": 0.0})
    return store


def test_one_size_class_reads_as_the_single_reader(tmp_path):
    """Every nodule in the 8-15 mm class: the size-fitted readers (ROIs cut large, cropped
    to the class's ROI, the class's channel width) score exactly as the trial's single
    reader given that width on ROIs cropped to that size beforehand, up to each reader's
    calibration to likelihood ratios (an increasing affine map: the same AUCs)."""
    from victwin.readers import roi_shape
    from victwin.stats import read_imrmc

    rng = np.random.default_rng(1)
    sizes = rng.uniform(8.0, 14.9, 40)
    overlaps = rng.uniform(0.0, 1.0, 40)
    width, roi_mm = size_class_reader("8-15 mm")
    n_class = roi_shape("mass", pixel_mm=PIXEL_MM, size_mm=roi_mm)[0]
    fitted = _chest_spec({"per_size_class": True, "roi_mm": 56.0,
                          "channels": {"kind": "laguerre-gauss", "count": 3}})
    single = _chest_spec({"channels": {"kind": "laguerre-gauss", "count": 3,
                                       "width_mm": width}})
    big = _nodule_store(tmp_path / "fitted", fitted, sizes, overlaps, n_class + 10)
    small = _nodule_store(tmp_path / "single", single, sizes, overlaps, n_class + 10,
                          crop=n_class)
    res_f, res_s = analyse_run(big, fitted), analyse_run(small, single)
    big.close()
    small.close()
    t_f = read_imrmc(tmp_path / "fitted" / "analysis" / "scores.imrmc")
    t_s = read_imrmc(tmp_path / "single" / "analysis" / "scores.imrmc")
    assert t_f.cases == t_s.cases and t_f.n_cases == 40
    for m in range(t_f.scores.shape[0]):
        for r in range(t_f.scores.shape[1]):
            x, y = t_s.scores[m, r], t_f.scores[m, r]
            slope, icpt = np.polyfit(x, y, 1)
            assert slope > 0
            np.testing.assert_allclose(y, slope * x + icpt, rtol=0, atol=1e-9 * np.ptp(y))
    for m, auc in res_s["mrmc"]["mean_auc"].items():
        assert res_f["mrmc"]["mean_auc"][m] == pytest.approx(auc, abs=1e-12)
    info = res_f["size_class_readers"]["8-15 mm"]
    assert info["roi_px"] == n_class and info["trained_on"] == "this class"
    assert "size_class_readers" not in res_s


def test_size_and_rib_subgroups_count_every_test_twin(tmp_path):
    """Mixed sizes: every test twin is scored (a class too rare to train alone borrows the
    other classes' training ROIs), the subgroup rows count the test twins of each class as
    classed here by hand, every declared class has a row, analysed rows carry AUC CIs."""
    from victwin.stats import read_imrmc

    rng = np.random.default_rng(2)
    n = 60
    sizes = np.where(np.arange(n) % 2 == 0, rng.uniform(4.0, 5.9, n), rng.uniform(8.0, 14.0, n))
    sizes[:2] = (18.0, 22.0)                     # two >= 15 mm nodules: too few to train alone
    overlaps = rng.uniform(0.0, 1.0, n)
    spec = _chest_spec({"per_size_class": True, "roi_mm": 56.0,
                        "channels": {"kind": "laguerre-gauss", "count": 3}}, size=n)
    n_px = 113                                   # 56 mm at 0.5 mm
    store = _nodule_store(tmp_path / "run", spec, sizes, overlaps, n_px)
    res = analyse_run(store, spec)
    store.close()
    table = read_imrmc(tmp_path / "run" / "analysis" / "scores.imrmc")
    test_twins = sorted({int(c[:-2]) for c in table.cases})
    assert len(test_twins) == res["n_test_cases"] == n // 2
    assert table.n_cases == 2 * len(test_twins)              # no ROI left out
    by_hand = {}
    for k in test_twins:
        d = sizes[k]
        label = "<6 mm" if d < 6 else "6-8 mm" if d < 8 else "8-15 mm" if d < 15 else ">=15 mm"
        by_hand[label] = by_hand.get(label, 0) + 1
    rows = {r["subgroup"]: r for r in res["subgroups"]["nodule_size"]["subgroups"]}
    assert set(rows) == set(NODULE_SIZE_CLASSES)
    assert [r["subgroup"] for r in res["subgroups"]["nodule_size"]["subgroups"]] == \
        list(NODULE_SIZE_CLASSES)
    for label in NODULE_SIZE_CLASSES:
        assert rows[label]["n_abnormal"] == by_hand.get(label, 0)
    assert rows["6-8 mm"]["too_small"] and rows["6-8 mm"]["note"] == "no test cases in this class"
    assert rows["<6 mm"]["auc_ci"]["A"][0] < rows["<6 mm"]["auc"]["A"] < \
        rows["<6 mm"]["auc_ci"]["A"][1]
    readers = res["size_class_readers"]
    assert readers["<6 mm"]["trained_on"] == "this class"
    if ">=15 mm" in readers:                                 # a large one in the test set
        # it borrows the nearest class with training ROIs (8-15 mm; no 6-8 mm nodules) and
        # reads at that class's crop, the smaller of the two
        assert readers[">=15 mm"]["trained_on"] == "nearest size classes"
        assert readers[">=15 mm"]["training_classes"] == ["8-15 mm", ">=15 mm"]
        assert readers[">=15 mm"]["roi_px"] == class_roi_px("8-15 mm", PIXEL_MM)
    ribs = {r["subgroup"]: r for r in res["subgroups"]["rib_overlap"]["subgroups"]}
    over = sum(overlaps[k] >= 0.5 for k in test_twins)
    assert ribs[RIB_OVERLAP_CLASSES[1]]["n_abnormal"] == over
    assert ribs[RIB_OVERLAP_CLASSES[0]]["n_abnormal"] == len(test_twins) - over


# ------------------------------------------------------------------------------ spec errors

_FIT = {"per_size_class": True, "roi_mm": 56.0, "channels": {"kind": "laguerre-gauss"}}


@pytest.mark.parametrize("readers, match", [
    (dict(_FIT, roi_mm=24.0), r"readers.roi_mm must be at least 55.6 mm with "
                              r"readers.per_size_class .*got 24.0"),
    ({"per_size_class": True}, r"readers.roi_mm must be at least 55.6 mm.*got None"),
    (dict(_FIT, channels={"kind": "laguerre-gauss", "width_mm": 6.0}),
     r"readers.channels.width_mm must be absent with readers.per_size_class"),
    (dict(_FIT, observer="hotelling"), r"readers.observer must be cho, npw or npwe with "
                                       r"readers.per_size_class"),
    (dict(_FIT, channels={"kind": "gabor"}), r"readers.channels.kind must be laguerre-gauss"),
    (dict(_FIT, per_size_class="yes"), r"readers.per_size_class"),
])
def test_spec_errors_are_one_line(readers, match):
    with pytest.raises(ValueError, match=match) as err:
        _chest_spec(readers)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("extra, match", [
    ({"readers": _FIT}, r"readers.per_size_class must be used only with lung nodules"),
    ({"analysis": {"subgroups": ["density", "rib_overlap"]}},
     r"analysis.subgroups must be rib_overlap used only with lung nodules"),
])
def test_nodule_options_need_a_chest_cohort(extra, match):
    d = {"trial": {"name": "breast", "seed": 1}, "cohort": {"size": 4},
         "modality": [{"name": "A", "system": "mammomat-dm"},
                      {"name": "B", "system": "mammomat-dm"}]}
    with pytest.raises(ValueError, match=match) as err:
        spec_from_dict(dict(d, **extra))
    assert "\n" not in str(err.value)


def test_the_option_left_out_keeps_the_spec_hash():
    """Unset, per_size_class is left out of the canonical form (older specs keep their hash);
    set, it changes the hash."""
    base = _chest_spec({"channels": {"kind": "laguerre-gauss", "width_mm": 6.0}})
    assert "per_size_class" not in base.to_dict()["readers"]
    assert _chest_spec(_FIT).hash != base.hash
    assert spec_from_dict(_chest_spec(_FIT).to_toml_dict()) == _chest_spec(_FIT)
