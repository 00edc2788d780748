"""DBT VOIs with noise: lesion-local (strip with coarse fill) against the full field.

The small slab of ``tests/acquisition/test_region_noise.py`` (30 mm adipose half-disc, 1 mm
voxels; the lesion-present twin has faint 6 % glandular spheres at the sites), DBT
(mammomat-dbt) at 0.68 mm (binning 8, one ray per pixel), 20 sites >= 8 mm apart, VOIs of
3 x 12 x 12 voxels (1 mm x 0.5 mm) by FBP on the same grid from the full field and from
``acquire_regions``; N cases of each twin: 20 N VOI pairs per twin. Prints and writes (JSON)

* the noise-free relative RMS difference of the lesion-local VOIs against the full field's;
* the mean and variance of the residuals about the expected (noise-free) VOIs, lesion-absent
  twin, full field vs lesion-local, with their standard errors over VOIs;
* the CHO d' (5 Laguerre-Gauss channels on the VOIs' central slice, trained and tested on the
  same set) of each, with the exact 95 % CI of Wunderlich et al. 2015
  (``victwin.readers.exact_ci_same_set``): issue 14 asks that each lie in the other's CI.

Usage: ``python benchmarks/lesion_local_dbt_noise.py [--cases N] [--json PATH]``
(default 10 cases: 200 pairs per twin).
"""
import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "acquisition"))
import test_region_noise as t  # noqa: E402  (the tests' slab and sites)

from victwin.acquisition import Region, acquire, acquire_regions  # noqa: E402
from victwin.geometry import Grid  # noqa: E402
from victwin.readers import (ChannelizedHotelling, exact_ci_same_set,  # noqa: E402
                             laguerre_gauss)

from _common import environment  # noqa: E402

B = 8
SITES = t.SITES_MM[::2]  # 20 of the 40 sites, >= 8 mm apart
VXY, N_PX = 0.5, 12


def vois(twin, case, noise):
    kw = dict(seed=21, case=case, binning=B, rays_per_pixel=1, noise=noise, progress=False)
    full = acquire(twin, "mammomat-dbt", **kw)
    loc = acquire_regions(twin, "mammomat-dbt",
                          [Region.around(s, (8.0, 8.0, 6.0)) for s in SITES], **kw)
    from victwin.recon import reconstruct

    pf = full.line_integrals()
    a, b = [], []
    for s, acq in zip(SITES, loc):
        lower = np.subtract(s, (N_PX * VXY / 2, N_PX * VXY / 2, 1.5))
        g = Grid(shape=(3, N_PX, N_PX), spacing=(1.0, VXY, VXY),
                 origin=tuple(lower + (VXY / 2, VXY / 2, 0.5)))
        rk = dict(thickness_mm=t.THICKNESS_MM, support_mm=t.SUPPORT_MM, progress=False)
        a.append(reconstruct(pf, full.views, g, "fbp", **rk))
        p, v = acq.reconstruction_input()
        b.append(reconstruct(p, v, g, "fbp", **rk))
    return np.stack(a), np.stack(b)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=10)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    t0, c0 = time.perf_counter(), time.process_time()
    load0 = os.getloadavg()
    twins = {"absent": t._slab(False), "present": t._slab(True)}
    expected = {k: vois(v, 0, False) for k, v in twins.items()}
    ef, el = expected["absent"]
    relrms = float(np.sqrt(np.mean((el - ef) ** 2) / np.mean(ef ** 2)))
    print(f"noise-free relative RMS (absent twin): {relrms:.2e}", flush=True)
    sets = {k: ([], []) for k in twins}
    for c in range(args.cases):
        for k, twin in twins.items():
            a, b = vois(twin, c, True)
            sets[k][0].append(a)
            sets[k][1].append(b)
        print(f"case {c}: {time.perf_counter() - t0:.0f} s", flush=True)
    full = {k: np.concatenate(v[0]) for k, v in sets.items()}
    local = {k: np.concatenate(v[1]) for k, v in sets.items()}
    n = len(full["absent"])
    out = {"environment": environment(), "cases": args.cases, "pairs_per_twin": n,
           "noise_free_relative_rms": relrms}
    reps = (args.cases, 1, 1, 1)       # the expected VOIs of every case, case after case
    rf, rl = full["absent"] - np.tile(ef, reps), local["absent"] - np.tile(el, reps)
    for name, stat in (("mean", lambda r: r.mean(axis=(1, 2, 3))),
                       ("variance", lambda r: r.var(axis=(1, 2, 3)))):
        x, y = stat(rf), stat(rl)
        se = float(np.sqrt(x.var(ddof=1) / n + y.var(ddof=1) / n))
        out[name] = {"full": float(x.mean()), "local": float(y.mean()), "se": se,
                     "difference_in_se": float((y.mean() - x.mean()) / se)}
        print(f"{name}: full {x.mean():.4g}, local {y.mean():.4g}, SE {se:.3g} "
              f"({out[name]['difference_in_se']:+.2f} SE)")
    channels = laguerre_gauss((N_PX, N_PX), n_channels=5, width_px=N_PX / 2.0)
    y = np.repeat([0, 1], n)
    d = {}
    for name, src in (("full", full), ("local", local)):
        X = np.concatenate([src["absent"][:, 1], src["present"][:, 1]]).astype(float)
        cho = ChannelizedHotelling(channels).fit(X, y)
        v = cho.channel_outputs(X)
        r = exact_ci_same_set(v[y == 0], v[y == 1])
        d[name] = {"dprime": float(r.snr), "ci95": [float(r.snr_ci[0]), float(r.snr_ci[1])]}
        print(f"CHO d' {name}: {r.snr:.3f} (exact 95 % CI {r.snr_ci[0]:.3f}-{r.snr_ci[1]:.3f})")
    d["each_inside_the_other"] = bool(
        d["full"]["ci95"][0] <= d["local"]["dprime"] <= d["full"]["ci95"][1]
        and d["local"]["ci95"][0] <= d["full"]["dprime"] <= d["local"]["ci95"][1])
    out["cho"] = d
    out["wall_s"] = time.perf_counter() - t0
    out["cpu_s"] = time.process_time() - c0
    out["load_before"], out["load_after"] = list(load0), list(os.getloadavg())
    print(f"{out['wall_s']:.0f} s wall, {out['cpu_s']:.0f} CPU-s, load {load0[0]:.1f} -> "
          f"{out['load_after'][0]:.1f}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
