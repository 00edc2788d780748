"""Search readers (victwin/readers/_search.py) against independent references.

* the response map against the LKE score of ROIs cut with ``extract_rois`` and dotted with
  the template one by one (no FFT), and against a plain double loop;
* a known blob in white noise: the top mark is where the blob was put;
* the maximum of the response map of white noise, standardised, against the expected Euler
  characteristic of a Gaussian random field (Worsley et al. 1996), which shares nothing with
  the code: a wrong scale of the map (e.g. a missing template norm) moves the exceedance
  probability by orders of magnitude;
* marks as local maxima against a brute-force definition; scoring against hand-made cases,
  and the AFROC figure of merit (an AUC of LL ratings vs each lesion-free image's highest NL
  rating) against the pair count written out.
"""

import numpy as np
import pytest
from scipy.stats import norm

from victwin.readers import afroc_units, extract_rois, localise, scan_template, search_marks
from victwin.stats import auc


def _gauss(sigma_px, half=None):
    half = int(np.ceil(4 * sigma_px)) if half is None else half
    y, x = np.mgrid[-half:half + 1, -half:half + 1]
    return np.exp(-(x * x + y * y) / (2.0 * sigma_px ** 2))


def test_response_map_is_the_lke_score_of_the_roi_cut_there():
    rng = np.random.default_rng(11)
    image = rng.standard_normal((61, 73))
    template = rng.standard_normal((9, 13))
    r = scan_template(image, template)
    assert r.shape == image.shape
    # every interior pixel: extract_rois + dot product (no FFT)
    rows, cols = np.mgrid[4:61 - 4, 6:73 - 6]
    centers = np.stack([rows.ravel(), cols.ravel()], axis=1)
    rois = extract_rois(image, centers, size_px=template.shape)
    expected = rois.reshape(len(rois), -1) @ template.ravel()
    np.testing.assert_allclose(r[rows.ravel(), cols.ravel()], expected, rtol=0, atol=1e-10)
    # a plain double loop at a few pixels
    for j, i in [(4, 6), (30, 40), (56, 66)]:
        s = sum(template[u, v] * image[j - 4 + u, i - 6 + v]
                for u in range(9) for v in range(13))
        assert r[j, i] == pytest.approx(s, abs=1e-10)
    # where the ROI would leave the image there is no score (extract_rois refuses it)
    assert np.all(np.isnan(r[:4])) and np.all(np.isnan(r[-4:]))
    assert np.all(np.isnan(r[:, :6])) and np.all(np.isnan(r[:, -6:]))
    assert np.isfinite(r[4:-4, 6:-6]).all()


def test_response_map_refuses_bad_shapes():
    with pytest.raises(ValueError, match="odd"):
        scan_template(np.zeros((20, 20)), np.zeros((4, 5)))
    with pytest.raises(ValueError, match="2D"):
        scan_template(np.zeros((3, 20, 20)), np.zeros((5, 5)))
    with pytest.raises(ValueError, match="larger than the image"):
        scan_template(np.zeros((10, 10)), np.zeros((11, 3)))


def test_search_finds_a_blob_in_white_noise():
    rng = np.random.default_rng(5)
    blob = _gauss(2.5)                                   # 21 x 21, the signal and template
    where = (47, 91)
    image = rng.standard_normal((120, 150))
    h = blob.shape[0] // 2
    amplitude = 8.0 / np.linalg.norm(blob)               # matched-filter SNR 8 (LKE)
    image[where[0] - h:where[0] + h + 1, where[1] - h:where[1] + h + 1] += amplitude * blob
    pos, rating = search_marks(scan_template(image, blob), radius_px=5.0)
    assert np.hypot(*(pos[0] - where)) <= 1.0
    assert rating[0] == rating.max()
    ll, nl = localise(pos, rating, [where], acceptance_px=5.0)
    assert ll[0] == rating[0] and nl.size == len(rating) - 1 and np.all(nl < ll[0])


def test_maximum_of_white_noise_follows_the_expected_euler_characteristic():
    # Gaussian template of SD s on unit white noise, divided by ||t||: a unit-variance
    # Gaussian field, as smoothing white noise with a kernel of FWHM s sqrt(8 ln 2). For a
    # square of side L (pixels of the valid region), P(max > u) ~ E[EC] = rho0 + R1 rho1 +
    # R2 rho2 with R1 = 2L/FWHM, R2 = (L/FWHM)^2 and the EC densities of Worsley et al.
    # (1996, Hum Brain Mapp 4:58-73). Accurate where it is small; on a sampled field it is
    # a little high (a grid misses the continuous peak), so the tolerance is one-sided wide.
    rng = np.random.default_rng(2026)
    s, n_img, size = 3.0, 600, 220
    t = _gauss(s)
    h = t.shape[0] // 2
    L = size - 2 * h
    fwhm = s * np.sqrt(8 * np.log(2))
    r1, r2 = 2 * L / fwhm, (L / fwhm) ** 2
    maxima = np.empty(n_img)
    for k in range(n_img):
        resp = scan_template(rng.standard_normal((size, size)), t) / np.linalg.norm(t)
        maxima[k] = search_marks(resp, radius_px=1.0)[1][0]
    for u in (4.2, 4.4):
        ec = (norm.sf(u) + r1 * np.sqrt(4 * np.log(2)) / (2 * np.pi) * np.exp(-u * u / 2)
              + r2 * 4 * np.log(2) / (2 * np.pi) ** 1.5 * u * np.exp(-u * u / 2))
        p = np.mean(maxima > u)
        se = np.sqrt(ec * (1 - ec) / n_img)
        assert 0.6 * ec - 3 * se <= p <= ec + 3 * se, (u, p, ec)
    # the same maxima, unstandardised by a factor 2, would exceed u = 4.4 almost always
    assert np.mean(2 * maxima > 4.4) > 0.9


def test_marks_are_the_local_maxima_of_the_region():
    rng = np.random.default_rng(8)
    resp = rng.standard_normal((40, 50))
    resp[:3] = np.nan
    mask = np.zeros(resp.shape, bool)
    mask[5:35, 4:45] = True
    radius = 2.5
    pos, rating = search_marks(resp, mask, radius_px=radius)
    # brute force: in the region, finite, and no region pixel within radius is larger
    expected = set()
    for j in range(40):
        for i in range(50):
            if not (mask[j, i] and np.isfinite(resp[j, i])):
                continue
            ok = True
            for jj in range(40):
                for ii in range(50):
                    if (mask[jj, ii] and np.isfinite(resp[jj, ii])
                            and (jj - j) ** 2 + (ii - i) ** 2 <= radius ** 2
                            and resp[jj, ii] > resp[j, i]):
                        ok = False
            if ok:
                expected.add((j, i))
    assert {tuple(p) for p in pos} == expected
    assert np.all(np.diff(rating) <= 0)
    np.testing.assert_array_equal(rating, resp[pos[:, 0], pos[:, 1]])


def test_search_marks_refuses_bad_inputs():
    with pytest.raises(ValueError, match="radius_px"):
        search_marks(np.zeros((5, 5)), radius_px=0)
    with pytest.raises(ValueError, match="mask shape"):
        search_marks(np.zeros((5, 5)), np.ones((4, 5), bool), radius_px=1)


def test_localise_scores_marks_by_acceptance_radius():
    pos = [(10, 10), (10, 14), (40, 40), (70, 12)]
    rating = [0.9, 2.0, 0.5, 1.5]
    ll, nl = localise(pos, rating, [(10, 11), (70, 10), (90, 90)],
                      acceptance_px=[3.0, 2.0, 5.0])
    # lesion 0: marks 0 (d = 1) and 1 (d = 3) -> 2.0; lesion 1: mark 3 (d = 2); lesion 2: none
    np.testing.assert_array_equal(ll, [2.0, 1.5, -np.inf])
    np.testing.assert_array_equal(nl, [0.5])
    with pytest.raises(ValueError, match="acceptance_px"):
        localise(pos, rating, [(0, 0)], acceptance_px=0.0)
    with pytest.raises(ValueError, match="differ in length"):
        localise(pos, rating[:2], [(0, 0)], acceptance_px=1.0)


def test_afroc_figure_of_merit_is_an_auc_of_ll_against_the_highest_nl():
    # 3 lesion images (LL per lesion) and 4 lesion-free images (highest NL; -inf: unmarked)
    ll = np.array([2.0, 0.3, -np.inf, 1.0, 0.7])
    max_nl = np.array([0.5, 1.0, -np.inf, 0.1])
    pairs = [1.0 if a > b else 0.5 if a == b else 0.0 for a in ll for b in max_nl]
    fom = np.mean(pairs)
    scores, truth = afroc_units(ll, max_nl)
    assert np.isfinite(scores).all()
    np.testing.assert_array_equal(truth, [1] * 5 + [0] * 4)
    assert auc(scores, truth) == pytest.approx(fom)
    # no marks anywhere: every pair ties
    s0, t0 = afroc_units([-np.inf, -np.inf], [-np.inf])
    assert auc(s0, t0) == 0.5
    with pytest.raises(ValueError, match="NaN"):
        afroc_units([np.nan], [0.0])


@pytest.mark.parametrize("radius", [1.0, 3.7, 12.0, 30.5])
def test_disc_maximum_equals_a_footprint_filter(radius):
    # the row-segment disc maximum against scipy's 2-D footprint filter (another algorithm)
    from scipy.ndimage import maximum_filter

    from victwin.readers._search import _disc_max

    rng = np.random.default_rng(int(radius * 10))
    field = rng.standard_normal((97, 83))
    field[rng.random(field.shape) < 0.05] = -np.inf
    r = int(radius)
    y, x = np.mgrid[-r:r + 1, -r:r + 1]
    ref = maximum_filter(field, footprint=(x * x + y * y) <= radius * radius, mode="constant",
                         cval=-np.inf)
    np.testing.assert_array_equal(_disc_max(field, radius), ref)
