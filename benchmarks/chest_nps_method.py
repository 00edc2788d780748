"""How the measured lung-field NPS exponent of simulated PA chest images depends on the
measurement method (issue 19: a published exponent is only comparable if it was measured the
same way).

    python benchmarks/chest_nps_method.py [--voxel-mm 1.0] [--binning 4] [--band 0.1 0.45]

Published anatomical-noise exponents differ in the choices below; each is varied alone, the
rest kept as the reference method of ``docs/phantoms/chest.md`` (noise-free line integrals
``-log(raw / flat)``, four 48 mm lung-field ROIs per twin, least-squares plane removed, Hann
window, 2-D periodogram averaged over rings, ``log P`` fitted on ``log f``):

* image: noise-free line integrals; the *noisy* line integrals at the ``chest-pa`` technique
  (quantum and electronic noise, as any clinical image has); the linear transmission
  ``raw / flat`` instead of its logarithm;
* detrending: plane / mean only;  window: Hann / none (rectangular);
* ROI side: 48 / 24 mm;
* spectrum: 2-D radial / 1-D (the mean periodogram of the ROI's rows, or of its columns).
  For an isotropic ``f^-beta`` field a 1-D cut has exponent ``beta - 1`` (the 1-D spectrum is
  the 2-D one integrated along the other axis); the table reports ``beta_1D + 1``.

Every variant is first run on Gaussian fields of exactly known exponent (2 and 3) so that a
shift on the twins can be told from a bias of the estimator itself (``calibration`` in the
JSON). Twins: the four bodies of ``benchmarks/chest_twins.py`` (seeds 0-3) at ``--voxel-mm``;
fit band 0.1 cycles/mm up to the twins' own Nyquist frequency at the detector (0.45 at 1 mm)
unless ``--band`` is given. For the noisy images the quantum-noise NPS in the same ROIs (the
periodogram of noisy minus noise-free line integrals) relative to the anatomical NPS, up to
the pixel's Nyquist frequency, is also reported. Writes
``benchmarks/results/chest_nps_method.json`` (``chest_nps_method_<voxel>mm.json`` for a voxel
other than 1 mm).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from chest_twins import TWINS, line_integrals, lung_roi_centres, nps_band  # noqa: E402

from victwin import acquire  # noqa: E402
from victwin.phantom.chest import make_chest  # noqa: E402
from victwin.phantom.chest.measure import beta_bootstrap_ci  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def _detrend(roi: np.ndarray, how: str) -> np.ndarray:
    if how == "mean":
        return roi - roi.mean()
    n0, n1 = roi.shape
    yy, xx = np.mgrid[0:n0, 0:n1]
    A = np.column_stack([np.ones(roi.size), yy.ravel(), xx.ravel()])
    coef, *_ = np.linalg.lstsq(A, roi.ravel(), rcond=None)
    return (roi.ravel() - A @ coef).reshape(roi.shape)


def _window(n: int, how: str) -> np.ndarray:
    return np.hanning(n) if how == "hann" else np.ones(n)


def periodograms(rois, pixel_mm: float, *, detrend="plane", window="hann", kind="2d"):
    """Periodograms of square ROIs, one row per ROI.

    ``kind="2d"``: ``|F2|^2 pixel^2 / N^2`` averaged over rings of radial frequency (the
    estimator of ``victwin.phantom.chest.measure.roi_periodograms`` with the detrending and
    window as options). ``kind="rows"`` / ``"cols"``: the mean over the ROI's rows (columns)
    of their 1-D periodograms ``|F1|^2 pixel / N`` at positive frequencies. The window is
    normalised to unit mean square so that a white field reads the same with and without it.
    Returns ``(f, P)`` with ``f`` in cycles/mm.
    """
    n = rois[0].shape[0]
    w1 = _window(n, window)
    w1 = w1 / np.sqrt(np.mean(w1 ** 2))
    if kind == "2d":
        f1 = np.fft.fftfreq(n, d=pixel_mm)
        fr = np.hypot(*np.meshgrid(f1, f1, indexing="ij")).ravel()
        edges = np.linspace(0, np.abs(f1).max() * np.sqrt(2), n // 2)
        idx = np.digitize(fr, edges)
        keep = [k for k in range(1, len(edges)) if np.any(idx == k)]
        f = np.array([fr[idx == k].mean() for k in keep])
        w = np.outer(w1, w1)
        rows = []
        for roi in rois:
            ps = (np.abs(np.fft.fft2(_detrend(roi, detrend) * w)) ** 2
                  * pixel_mm ** 2 / (n * n)).ravel()
            rows.append([ps[idx == k].mean() for k in keep])
        return f, np.asarray(rows)
    f = np.fft.rfftfreq(n, d=pixel_mm)[1:]
    rows = []
    for roi in rois:
        r = _detrend(roi, detrend)
        lines = r if kind == "rows" else r.T
        ps = np.abs(np.fft.rfft(lines * w1, axis=1)) ** 2 * pixel_mm / n
        rows.append(ps[:, 1:].mean(axis=0))
    return f, np.asarray(rows)


VARIANTS = {
    # name: (image, roi_mm, detrend, window, kind)
    "reference": ("clean", 48.0, "plane", "hann", "2d"),
    "noisy image": ("noisy", 48.0, "plane", "hann", "2d"),
    "linear transmission": ("transmission", 48.0, "plane", "hann", "2d"),
    "mean removed only": ("clean", 48.0, "mean", "hann", "2d"),
    "no window": ("clean", 48.0, "plane", "none", "2d"),
    "24 mm ROIs": ("clean", 24.0, "plane", "hann", "2d"),
    "1-D, rows (+1)": ("clean", 48.0, "plane", "hann", "rows"),
    "1-D, columns (+1)": ("clean", 48.0, "plane", "hann", "cols"),
}


def _cut(img, centres, roi_px):
    h = roi_px // 2
    return [img[cy - h:cy + h, cx - h:cx + h] for cy, cx in centres]


def _beta(f, p, band, kind):
    b, (lo, hi) = beta_bootstrap_ci(f, p, band)
    add = 1.0 if kind != "2d" else 0.0
    return round(b + add, 2), [round(lo + add, 2), round(hi + add, 2)]


def _power_law_field(beta, n=1024, pixel_mm=0.56, seed=0):
    """Gaussian field with power spectrum exactly ``f^-beta`` (white noise filtered by
    ``f^(-beta/2)``), as in ``tests/phantom/test_chest_nps.py``."""
    rng = np.random.default_rng(seed)
    f = np.fft.fftfreq(n, d=pixel_mm)
    fr = np.hypot(*np.meshgrid(f, f, indexing="ij"))
    fr[0, 0] = np.inf
    return np.real(np.fft.ifft2(np.fft.fft2(rng.standard_normal((n, n))) * fr ** (-beta / 2)))


def calibration(pixel_mm: float, band) -> dict:
    """Each (non-image) variant on fields of known exponent: what the estimator returns."""
    out = {}
    for beta in (2.0, 3.0):
        img = _power_law_field(beta, pixel_mm=pixel_mm)
        row = {}
        for name, (image, roi_mm, det, win, kind) in VARIANTS.items():
            if image != "clean":
                continue
            roi = int(round(roi_mm / pixel_mm)) // 2 * 2
            centres = [(r, c) for r in range(roi, 1024 - roi, roi) for c in range(roi, 1024 - roi,
                                                                                    roi)]
            f, p = periodograms(_cut(img, centres, roi), pixel_mm, detrend=det, window=win,
                                kind=kind)
            row[name] = _beta(f, p, band, kind)[0]
        out[f"true beta {beta:g}"] = row
    return out


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--voxel-mm", type=float, default=1.0)
    ap.add_argument("--binning", type=int, default=4)
    ap.add_argument("--band", type=float, nargs=2, default=None,
                    help="fit band, cycles/mm (default: 0.1 to the twins' own Nyquist)")
    args = ap.parse_args(argv)
    band = tuple(args.band) if args.band else nps_band(args.voxel_mm)
    t_start = time.perf_counter()
    load = [os.getloadavg()[0]]
    rois = {name: [] for name in VARIANTS}
    quantum = []
    pix = None
    for k, (name, body) in enumerate(TWINS):
        ph = make_chest({"body": body}, seed=k, voxel_mm=args.voxel_mm, progress=False)
        clean = acquire(ph, "chest-pa", seed=k, binning=args.binning, progress=False,
                        noise=False)
        noisy = acquire(ph, "chest-pa", seed=k, binning=args.binning, progress=False)
        centres, pix = lung_roi_centres(ph, clean)
        li_c, li_n = line_integrals(clean), line_integrals(noisy)
        images = {"clean": li_c, "noisy": li_n, "transmission": np.exp(-li_c)}
        for vname, (image, roi_mm, *_rest) in VARIANTS.items():
            roi = int(round(roi_mm / pix)) // 2 * 2
            rois[vname] += _cut(images[image], centres, roi)
        roi48 = int(round(48.0 / pix)) // 2 * 2
        quantum += _cut(li_n - li_c, centres, roi48)
        load.append(os.getloadavg()[0])
        print(f"{name}: done ({time.perf_counter() - t_start:.0f} s)", flush=True)
    out = {"voxel_mm": args.voxel_mm, "binning": args.binning, "pixel_mm": pix,
           "band_cycles_per_mm": band, "n_rois": len(rois["reference"]),
           "calibration": calibration(pix, band), "twins": {}}
    for vname, (image, roi_mm, det, win, kind) in VARIANTS.items():
        f, p = periodograms(rois[vname], pix, detrend=det, window=win, kind=kind)
        b, ci = _beta(f, p, band, kind)
        out["twins"][vname] = {"image": image, "roi_mm": roi_mm, "detrend": det,
                               "window": win, "spectrum": kind, "beta": b, "ci": ci}
    # quantum-noise NPS in the same ROIs against the anatomical one
    f, p_anat = periodograms(rois["reference"], pix)
    _, p_q = periodograms(quantum, pix)
    pa, pq = p_anat.mean(axis=0), p_q.mean(axis=0)
    nyq = 0.5 / pix
    above = np.nonzero((pq >= pa) & (f > band[0]) & (f <= nyq))[0]
    out["quantum_noise"] = {
        "pixel_nyquist_cycles_per_mm": round(nyq, 3),
        "nps_ratio_quantum_to_anatomy": {f"{fv:.2f}": round(float(q / a), 4)
                                         for fv, q, a in zip(f, pq, pa)
                                         if band[0] <= fv <= nyq},
        "crossover_cycles_per_mm": round(float(f[above[0]]), 2) if len(above) else None,
    }
    for lo_hi in ((0.1, 0.3),):
        fn, pn = periodograms(rois["noisy image"], pix)
        out["twins"]["noisy image"][f"beta_{lo_hi[0]:g}-{lo_hi[1]:g}"] = _beta(fn, pn, lo_hi,
                                                                              "2d")[0]
        fc, pc = periodograms(rois["reference"], pix)
        out["twins"]["reference"][f"beta_{lo_hi[0]:g}-{lo_hi[1]:g}"] = _beta(fc, pc, lo_hi,
                                                                            "2d")[0]
    out["wall_s"] = round(time.perf_counter() - t_start, 1)
    out["load_1min"] = [round(v, 1) for v in load]
    print(json.dumps(out, indent=1))
    RESULTS.mkdir(exist_ok=True)
    fname = ("chest_nps_method.json" if args.voxel_mm == 1.0
             else f"chest_nps_method_{args.voxel_mm:g}mm.json")
    (RESULTS / fname).write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
