"""End to end: lesions in synthetic images -> LKE ROIs -> CHO -> hold-out detectability.

White Gaussian noise of SD sigma with Gaussian blobs s at known centres; the ideal CHO with
channel matrix U has SNR^2 = s^T U (sigma^2 U^T U)^-1 U^T s (Barrett & Myers 2004, ch. 14),
and a trained CHO with image-space template w has SNR w.s / (sigma ||w||) <= that.
"""

import numpy as np

import victwin.readers as R


def _set(rng, blob, sigma, size, n_images=2):
    rois, truth = [], []
    for _ in range(n_images):
        img = rng.normal(0, sigma, (420, 820))
        gy, gx = np.meshgrid(np.arange(40, 400, 36), np.arange(40, 400, 36), indexing="ij")
        les = np.stack([gy.ravel(), gx.ravel()], axis=1)          # 100 lesions, x < 400
        for cy, cx in les:
            img[cy - 10:cy + 11, cx - 10:cx + 11] += blob
        mask = np.zeros(img.shape, bool)
        mask[20:400, 420:800] = True                               # lesion-free "tissue"
        absent = R.sample_absent_centers(mask, 100, size_px=size, lesion_centers_index=les,
                                         rng=rng, non_overlapping=True)
        d = np.abs(absent[:, None] - absent[None])
        assert np.all(np.any(d >= 21, axis=2) | np.eye(100, dtype=bool))
        rois += [R.extract_rois(img, absent, size_px=size), R.extract_rois(img, les, size_px=size)]
        truth += [np.zeros(100, int), np.ones(100, int)]
    return np.concatenate(rois), np.concatenate(truth)


def test_image_to_detectability():
    rng = np.random.default_rng(2018)
    sigma, size = 1.0, (21, 21)
    yy, xx = np.mgrid[0:21, 0:21] - 10
    blob = 0.35 * np.exp(-(xx ** 2 + yy ** 2) / (2 * 3.0 ** 2))
    U = R.laguerre_gauss(size, n_channels=5, width_mm=0.85, spacing_mm=0.085)   # a = 10 px
    Uf = U.reshape(5, -1).T
    ideal = np.sqrt(blob.ravel() @ Uf @ np.linalg.solve(sigma ** 2 * Uf.T @ Uf,
                                                        Uf.T @ blob.ravel()))
    Xtr, ytr = _set(rng, blob, sigma, size)
    Xte, yte = _set(rng, blob, sigma, size)
    cho = R.ChannelizedHotelling(U)
    res = R.assess(cho, Xtr, ytr, Xte, yte)
    assert res.evaluation == "hold-out" and res.n_test == (200, 200)
    se = np.sqrt(2 / 200 + ideal ** 2 / (4 * 200))       # large-sample SE of d'
    assert abs(res.dprime - ideal) < 4 * se, (res.dprime, ideal)
    w = cho.template_.ravel()
    trained = w @ blob.ravel() / (sigma * np.linalg.norm(w))
    assert trained <= ideal
    assert res.interval.snr_ci[0] < trained < res.interval.snr_ci[1]
