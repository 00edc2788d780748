"""ROI/VOI extraction and lesion-absent sampling against plain slicing."""

import numpy as np
import pytest

import victwin.readers as R


def test_victre_default_sizes():
    """VICTRE (Badano et al. 2018; VICTRE_PIPELINE Constants.DEFAULT_ROI): DM 65x65 px
    calcification clusters and 109x109 px masses at 85 um; DBT VOIs 65x65x5 and 109x109x9."""
    assert R.roi_shape("calcification", modality="dm") == (65, 65)
    assert R.roi_shape("mass", modality="dm") == (109, 109)
    assert R.roi_shape("calcification_cluster", modality="dbt") == (5, 65, 65)
    assert R.roi_shape("mass", modality="dbt") == (9, 109, 109)
    # same physical size (9.265 mm) at 0.1 mm pixels: 92.65 px -> nearest odd 93
    assert R.roi_shape("mass", modality="dm", pixel_mm=0.1) == (93, 93)
    assert R.roi_shape("mass", modality="dbt", size_mm=5.0, pixel_mm=0.1, slices=3) == (3, 51, 51)


def test_roi_shape_errors():
    with pytest.raises(ValueError, match="lesion_kind must be one of .* got 'cyst'"):
        R.roi_shape("cyst")
    with pytest.raises(ValueError, match="modality"):
        R.roi_shape("mass", modality="ct")
    with pytest.raises(ValueError, match="slices must be a positive odd integer, got 4"):
        R.roi_shape("mass", modality="dbt", slices=4)


def test_extract_2d_and_3d_match_slicing():
    img = np.arange(40 * 50, dtype=float).reshape(40, 50)
    rois = R.extract_rois(img, [(10, 20), (30, 5)], size_px=(5, 7))
    np.testing.assert_array_equal(rois[0], img[8:13, 17:24])
    np.testing.assert_array_equal(rois[1], img[28:33, 2:9])
    vol = np.arange(9 * 20 * 30).reshape(9, 20, 30)
    vois = R.extract_rois(vol, [(4, 10, 12)], size_px=(5, 3, 9))
    np.testing.assert_array_equal(vois[0], vol[2:7, 9:12, 8:17])
    assert vois.dtype == vol.dtype


def test_extract_mm_centres_follow_grid_contract():
    """Points are (x, y, z) mm; spacing in array order; origin = centre of voxel [0,0,0]."""
    vol = np.random.default_rng(0).normal(size=(6, 20, 30))
    spacing = (1.0, 0.1, 0.085)          # dz, dy, dx
    origin = (-1.0, 2.0, 10.0)           # x0, y0, z0
    idx = np.array([(3, 11, 17)])        # z, y, x
    pt = [(origin[0] + 17 * 0.085, origin[1] + 11 * 0.1, origin[2] + 3 * 1.0)]
    a = R.extract_rois(vol, centers_mm=pt, spacing_mm=spacing, origin_mm=origin,
                       size_px=(3, 5, 5))
    b = R.extract_rois(vol, idx, size_px=(3, 5, 5))
    np.testing.assert_array_equal(a, b)


def test_extract_off_image_is_a_clear_error():
    img = np.zeros((40, 50))
    with pytest.raises(ValueError, match=r"ROI 1 centred at index \(2, 25\) .* falls off"):
        R.extract_rois(img, [(20, 25), (2, 25)], size_px=(7, 7))
    with pytest.raises(ValueError, match="odd"):
        R.extract_rois(img, [(20, 25)], size_px=(6, 7))
    with pytest.raises(ValueError, match="exactly one"):
        R.extract_rois(img, size_px=(7, 7))


def test_sample_absent_centres_rules_and_seed():
    mask = np.zeros((80, 100), bool)
    mask[10:70, 20:95] = True
    lesions = [(40, 50)]
    size = (11, 11)
    c = R.sample_absent_centers(mask, 50, size_px=size, lesion_centers_index=lesions,
                                rng=np.random.default_rng(7))
    assert c.shape == (50, 2)
    rois = R.extract_rois(mask.astype(int), c, size_px=size)
    assert rois.all()                                    # whole ROI inside the tissue
    d = np.abs(c - np.array(lesions[0]))
    assert np.all((d >= 11).any(axis=1))                 # boxes do not overlap the lesion box
    again = R.sample_absent_centers(mask, 50, size_px=size, lesion_centers_index=lesions,
                                    rng=np.random.default_rng(7))
    np.testing.assert_array_equal(c, again)
    # every valid centre is reachable: the draw covers the valid region broadly
    many = R.sample_absent_centers(mask, 2000, size_px=size, lesion_centers_index=lesions,
                                   rng=np.random.default_rng(8))
    assert many[:, 0].min() == 15 and many[:, 0].max() == 64
    with pytest.raises(ValueError, match="only .* valid centres"):
        R.sample_absent_centers(mask, 10 ** 6, size_px=size, rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match="Generator"):
        R.sample_absent_centers(mask, 1, size_px=size, rng=3)


def test_sample_absent_partial_mask_fraction_3d():
    mask = np.zeros((7, 30, 30), bool)
    mask[:, :, :15] = True
    c = R.sample_absent_centers(mask, 200, size_px=(3, 5, 5), rng=np.random.default_rng(1),
                                min_inside_fraction=0.6)
    assert np.all(mask[tuple(c.T)])
    frac = R.extract_rois(mask, c, size_px=(3, 5, 5)).reshape(200, -1).mean(axis=1)
    assert frac.min() >= 0.6 and frac.min() < 1.0


def test_valid_centres_equal_brute_force_enumeration():
    """On a random blobby 3D mask the set of admissible centres equals a plain loop over
    every centre with slicing (ROI in image, centre in mask, >= 70% in mask, no overlap)."""
    rng = np.random.default_rng(4)
    mask = rng.random((6, 14, 16)) < 0.8
    size, lesion = (3, 5, 5), (3, 7, 8)
    valid = set()
    for z in range(1, 5):
        for yy in range(2, 12):
            for xx in range(2, 14):
                box = mask[z - 1:z + 2, yy - 2:yy + 3, xx - 2:xx + 3]
                far = abs(z - 3) >= 3 or abs(yy - 7) >= 5 or abs(xx - 8) >= 5
                if mask[z, yy, xx] and box.mean() >= 0.7 and far:
                    valid.add((z, yy, xx))
    got = R.sample_absent_centers(mask, len(valid), size_px=size, lesion_centers_index=[lesion],
                                  rng=np.random.default_rng(0), min_inside_fraction=0.7)
    assert set(map(tuple, got.tolist())) == valid
    with pytest.raises(ValueError, match=f"only {len(valid)} valid centres"):
        R.sample_absent_centers(mask, len(valid) + 1, size_px=size,
                                lesion_centers_index=[lesion], rng=np.random.default_rng(0),
                                min_inside_fraction=0.7)
