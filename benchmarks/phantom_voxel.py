"""50 um vs 100 um phantoms: what the phantom's voxel size changes in the ROIs a reader sees.

VICTRE's phantoms are 50 um (issue 14 item 5: "50 um phantom voxels, or 100 um with VICTRE's
lesions rasterised at 50 um, your choice with the difference measured"). victwin's replica
(``examples/victre-replica.toml``) uses 0.1 mm phantoms with VICTRE's 50 um lesion models
resampled (nearest neighbour) onto the 0.1 mm grid. This script measures the difference, on
the same twins, same sites, same lesion models, with everything else as a lesion-local trial
(victre preset, victre-dm / victre-dbt at 85 um, the system's sub-rays and blur sub-sources,
FBP at the spec's slices):

* the twin is drawn once (``victwin.phantom.prepare``) and its sites once (at 0.1 mm);
* per site, a window of the twin at each voxel size holding the region's support
  (``PreparedBreast.make(v, window_mm=)``, ``trial._local.window_box``), and for a lesion
  site the same lesion model (VICTRE's 50 um mass / cluster, the runner's seed) inserted
  into it at the site;
* noise-free ``acquire_regions`` through the windows; the coarse full-field pass (scatter,
  DBT strip fill) through the same lesion-free 0.5 mm twin at both voxel sizes, so only the
  fine voxels differ;
* the ROI (DM) or VOI FBP (DBT) cut as the runner does (``trial._sites.cut_roi``).

Reported per lesion site: the lesion signal ``s = ROI(present) - ROI(absent)`` (line
integrals for DM, attenuation mm^-1 for DBT) at each voxel size: relative RMS difference
``rms(s_0.1 - s_0.05) / rms(s_0.05)``, peak signal and its ratio, integrated signal ratio;
the ratio (0.1 over 0.05 mm) of the known-signal ideal observer's d' in white noise
(``white_snr_ratio`` = ``rms(s_0.1) / rms(s_0.05)``: quantum noise only, no anatomy -- a
proxy, not the trial's CHO) and, for DM, of the spec's channelized Hotelling observer in the
same white noise (``cho_white_ratio``). Per background ROI (each site's lesion-free ROI):
relative RMS difference, mean, std and the NPS power-law exponent beta (0.15-1 cycles/mm;
DBT: the VOI's central slice), and the DM pixel noise std of one noisy acquisition at
0.1 mm for scale.

    python benchmarks/phantom_voxel.py --modality DM --cases 2,3,0,5 --per-kind 1
    python benchmarks/phantom_voxel.py --modality DBT --cases 2 --kinds mass,calcification
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import environment, print_table, write_json  # noqa: E402

VOXELS_MM = (0.1, 0.05)
COARSE_MM = 0.5


def _rms(a) -> float:
    return float(np.sqrt(np.mean(np.square(a, dtype=np.float64))))


def _periodogram(img2d: np.ndarray, pixel_mm: float):
    """Radial frequency (cycles/mm) and periodogram (detrended plane, Hann window) of the
    largest square of ``img2d``."""
    from victwin.phantom._image_metrics import _detrend

    n = min(img2d.shape)
    img = _detrend(np.asarray(img2d[:n, :n], dtype=np.float64))
    w = np.outer(np.hanning(n), np.hanning(n))
    p = np.abs(np.fft.fft2(img * w)) ** 2 * pixel_mm ** 2 / np.sum(w ** 2)
    f = np.fft.fftfreq(n, pixel_mm)
    return np.hypot(f[:, None], f[None, :]), p


def _beta(img2d: np.ndarray, pixel_mm: float, band=(0.15, 1.0)) -> float:
    """NPS power-law exponent of one image: log-log fit of the periodogram over ``band``
    cycles/mm in 15 log-spaced bins (the fit of victwin.phantom._image_metrics.nps_beta)."""
    from victwin.phantom._image_metrics import power_law_fit

    fr, p = _periodogram(img2d, pixel_mm)
    return power_law_fit(fr, p, band)[0]


def _hf_power(img2d: np.ndarray, pixel_mm: float, band=(1.5, 5.0)) -> float:
    """Mean periodogram power of ``img2d`` in ``band`` cycles/mm."""
    fr, p = _periodogram(img2d, pixel_mm)
    m = (fr >= band[0]) & (fr < band[1])
    return float(p[m].mean())


def _cho_white(signal: np.ndarray, channels: dict, pixel_mm: float) -> float:
    """d' of a channelized Hotelling observer for the known ``signal`` in white noise of unit
    variance (covariance ``U U^T``): the spec's Laguerre-Gauss channels on a 2-D ROI."""
    from victwin.readers import laguerre_gauss

    u = laguerre_gauss(signal.shape, n_channels=int(channels["count"]),
                       width_mm=float(channels["width_mm"]), spacing_mm=pixel_mm)
    u = u.reshape(u.shape[0], -1)
    v = u @ signal.ravel()
    return float(np.sqrt(v @ np.linalg.solve(u @ u.T, v)))


def run_twin(spec, modality, case_id, attrs, per_kind, kinds, rows_sig, rows_bg, loads,
             save_dir=None):
    from victwin.acquisition import acquire_regions
    from victwin.phantom import insert_lesion, prepare
    from victwin.systems import get_preset
    from victwin.trial._cohort import case_rng
    from victwin.trial._local import window_box
    from victwin.trial._sites import cut_roi, draw_sites, plan_rois
    from victwin.trial._twins import _lesion_model

    preset = get_preset(spec.preset)
    t0 = time.perf_counter()
    c0 = time.process_time()
    prepared = prepare(attrs["recipe"], seed=attrs["phantom_seed"])
    sites = draw_sites(spec, case_id, prepared, voxel_mm=VOXELS_MM[0])
    keep = []
    for kind in kinds:
        keep += [k for k, s in enumerate(sites) if s.kind == kind][:per_kind]
    meta = prepared.meta(VOXELS_MM[0])
    thick = meta["thickness_mm"]
    for v in VOXELS_MM:
        assert abs(prepared.meta(v)["thickness_mm"] - thick) < 1e-9
    names = [f"s{k}" for k in keep]
    plans = plan_rois(spec, modality, SimpleNamespace(meta=meta), [sites[k] for k in keep],
                      names)
    coarse = preset.apply(prepared.make(COARSE_MM))
    models = {k: _lesion_model(sites[k].kind, case_rng(spec.seed, case_id, f"lesion-{k}"),
                               VOXELS_MM[0], spec.preset) for k in keep if sites[k].truth}
    print(f"case {case_id} ({attrs['recipe']}): sites {names}, thickness {thick:.1f} mm, "
          f"prepare {time.perf_counter() - t0:.0f} s, load {os.getloadavg()[0]:.1f}",
          flush=True)
    rois = {}          # (v, version, name) -> ROI
    cost = {}
    for v in VOXELS_MM:
        sv = dataclasses.replace(spec, resolution=dataclasses.replace(spec.resolution,
                                                                      voxel_mm=v))
        tw, cw = time.perf_counter(), time.process_time()
        absent, present = [], []
        for k, p in zip(keep, plans):
            w = prepared.make(v, window_mm=window_box(sv, modality, p.region, thick))
            absent.append(preset.apply(w))
            if k in models:
                wp, _ = insert_lesion(w, models[k], center_mm=sites[k].center_mm)
                present.append(preset.apply(wp))
        t_win, c_win = time.perf_counter() - tw, time.process_time() - cw
        ta, ca = time.perf_counter(), time.process_time()
        kw = dict(seed=1, case=0, binning=spec.resolution.detector_binning,
                  rays_per_pixel=spec.resolution.rays_per_pixel, progress=False,
                  presentation=False, noise=False)
        acq_a = acquire_regions(absent[0], modality.system, [p.region for p in plans],
                                windows=absent, coarse_phantom=coarse, **kw)
        lp = [p for k, p in zip(keep, plans) if k in models]
        # one call per lesion site: acquire_regions reads the label -> material table of its
        # first phantom for every window, and each present window numbers its own lesion
        acq_p = [acquire_regions(w, modality.system, [p.region], windows=[w],
                                 coarse_phantom=coarse, **kw)[0]
                 for p, w in zip(lp, present)]
        for p, a in zip(plans, acq_a):
            rois[(v, "absent", p.name)] = cut_roi(a, p, modality)[0].astype(np.float64)
        for p, a in zip(lp, acq_p):
            rois[(v, "present", p.name)] = cut_roi(a, p, modality)[0].astype(np.float64)
        if v == VOXELS_MM[0] and not modality.reconstruction:
            noisy = acquire_regions(absent[0], modality.system, [p.region for p in plans],
                                    windows=absent, coarse_phantom=coarse,
                                    **dict(kw, noise=True))
            for p, a in zip(plans, noisy):
                rois[("noisy", p.name)] = cut_roi(a, p, modality)[0].astype(np.float64)
        cost[v] = {"windows_wall_s": t_win, "windows_cpu_s": c_win,
                   "window_voxels": int(sum(w.labels.size for w in absent + present)),
                   "acquire_wall_s": time.perf_counter() - ta,
                   "acquire_cpu_s": time.process_time() - ca}
        loads.append(os.getloadavg()[0])
        print(f"  {v} mm: windows {t_win:.0f} s ({cost[v]['window_voxels'] / 1e6:.0f} M "
              f"voxels), acquisitions {cost[v]['acquire_wall_s']:.0f} s, load "
              f"{os.getloadavg()[0]:.1f}", flush=True)
        del absent, present
    if save_dir:      # the ROIs, for a second look without re-running
        np.savez_compressed(Path(save_dir) / f"phantom_voxel_{modality.name}_{case_id}.npz",
                            **{"/".join(map(str, k)): a for k, a in rois.items()})
    fine, coarse_v = VOXELS_MM[1], VOXELS_MM[0]
    pixel = 0.085 * spec.resolution.detector_binning
    for k, p in zip(keep, plans):
        a_f, a_c = rois[(fine, "absent", p.name)], rois[(coarse_v, "absent", p.name)]
        mid = lambda x: x[x.shape[0] // 2] if x.ndim == 3 else x   # noqa: E731
        bg = {"case": case_id, "recipe": attrs["recipe"].split("/")[-1], "site": p.name,
              "roi_kind": p.site.roi_kind, "rel_rms_diff": _rms(a_c - a_f) / _rms(a_f),
              "mean_0.05": float(a_f.mean()), "mean_0.1": float(a_c.mean()),
              "std_0.05": float(a_f.std()), "std_0.1": float(a_c.std()),
              "beta_0.05": _beta(mid(a_f), pixel), "beta_0.1": _beta(mid(a_c), pixel),
              "hf_power_ratio": _hf_power(mid(a_c), pixel) / _hf_power(mid(a_f), pixel),
              "rms_diff_over_anatomy_std": _rms(a_c - a_f) / float(a_f.std())}
        if ("noisy", p.name) in rois:
            sigma = float(np.std(rois[("noisy", p.name)] - a_c))
            bg["noise_std_0.1"] = sigma
            bg["rms_diff_over_noise"] = _rms(a_c - a_f) / sigma
        rows_bg.append(bg)
        if k not in models:
            continue
        s_f = rois[(fine, "present", p.name)] - a_f
        s_c = rois[(coarse_v, "present", p.name)] - a_c
        row = {"case": case_id, "recipe": bg["recipe"], "site": p.name, "kind": p.site.kind,
               "rel_rms_diff": _rms(s_c - s_f) / _rms(s_f),
               "peak_0.05": float(s_f.max()), "peak_0.1": float(s_c.max()),
               "peak_ratio": float(s_c.max() / s_f.max()),
               "integral_ratio": float(s_c.sum() / s_f.sum()),
               "signal_rms_0.05": _rms(s_f),
               # d' of the ideal observer for a known signal in white noise, 0.1 over 0.05 mm
               "white_snr_ratio": _rms(s_c) / _rms(s_f)}
        if s_f.ndim == 2:   # the same with the spec's CHO channels (DM ROIs)
            ch = spec.readers.channels
            row["cho_white_ratio"] = _cho_white(s_c, ch, pixel) / _cho_white(s_f, ch, pixel)
        if "noise_std_0.1" in bg:
            row["peak_over_noise_0.05"] = row["peak_0.05"] / bg["noise_std_0.1"]
            row["rms_diff_over_noise"] = _rms(s_c - s_f) / bg["noise_std_0.1"]
        rows_sig.append(row)
    return {"case": case_id, "recipe": attrs["recipe"], "thickness_mm": thick,
            "sites": [dict(sites[k].to_dict(), name=f"s{k}") for k in keep],
            "cost": cost, "wall_s": time.perf_counter() - t0,
            "cpu_s": time.process_time() - c0}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spec", default=str(Path(__file__).resolve().parents[1] / "examples"
                                          / "victre-replica.toml"))
    ap.add_argument("--modality", default="DM", choices=("DM", "DBT"))
    ap.add_argument("--cases", default="0,2,3,5", help="case ids of --spec (comma-separated)")
    ap.add_argument("--per-kind", type=int, default=1,
                    help="sites of each kind (mass, calcification, absent) per twin")
    ap.add_argument("--kinds", default="mass,calcification,absent",
                    help="site kinds to measure (a lesion site's lesion-free ROI is a "
                         "background ROI too)")
    ap.add_argument("--save-rois", default=None, metavar="DIR",
                    help="write each twin's noise-free ROIs to DIR (.npz)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)

    from victwin.trial import load_spec, sample_cohort

    spec = load_spec(args.spec)
    modality = next(m for m in spec.modalities if m.name == args.modality)
    ids = [int(c) for c in args.cases.split(",")]
    rows_sig, rows_bg, twins, loads = [], [], [], [os.getloadavg()[0]]
    for case_id, attrs in sample_cohort(spec, ids):
        twins.append(run_twin(spec, modality, case_id, attrs, args.per_kind,
                              args.kinds.split(","), rows_sig, rows_bg, loads,
                              args.save_rois))
    print(f"\n{args.modality}: lesion signal (present - absent), 0.1 mm vs 0.05 mm phantoms")
    print_table(rows_sig, [c for c in ("case", "recipe", "site", "kind", "rel_rms_diff",
                                       "peak_0.05", "peak_0.1", "peak_ratio",
                                       "integral_ratio", "white_snr_ratio",
                                       "cho_white_ratio", "rms_diff_over_noise")
                           if any(c in r for r in rows_sig)])
    print(f"\n{args.modality}: lesion-free ROIs, 0.1 mm vs 0.05 mm phantoms")
    print_table(rows_bg, [c for c in ("case", "recipe", "site", "roi_kind", "rel_rms_diff",
                                      "mean_0.05", "mean_0.1", "std_0.05", "std_0.1",
                                      "beta_0.05", "beta_0.1", "hf_power_ratio",
                                      "rms_diff_over_noise")
                          if any(c in r for r in rows_bg)])
    summary = {}
    for kind in ("mass", "calcification"):
        r = [x for x in rows_sig if x["kind"] == kind]
        if r:
            summary[kind] = {f"{m}_{f.__name__}": float(f([x[m] for x in r]))
                             for m in ("rel_rms_diff", "peak_ratio", "integral_ratio",
                                       "white_snr_ratio", "cho_white_ratio") if m in r[0]
                             for f in (np.min, np.median, np.max)}
    if rows_bg:
        summary["background"] = {
            "rel_rms_diff_max": max(x["rel_rms_diff"] for x in rows_bg),
            "std_ratio_median": float(np.median([x["std_0.1"] / x["std_0.05"]
                                                 for x in rows_bg])),
            "beta_diff_median": float(np.median([x["beta_0.1"] - x["beta_0.05"]
                                                 for x in rows_bg])),
            "hf_power_ratio_median": float(np.median([x["hf_power_ratio"] for x in rows_bg]))}
    print("\nsummary:", summary)
    loads.append(os.getloadavg()[0])
    write_json(f"phantom_voxel_{args.modality.lower()}",
               {"environment": environment(), "spec": args.spec, "modality": args.modality,
                "system": modality.system, "voxels_mm": VOXELS_MM, "coarse_mm": COARSE_MM,
                "summary": summary, "signal": rows_sig, "background": rows_bg,
                "twins": twins, "load": loads}, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
