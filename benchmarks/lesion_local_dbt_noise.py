"""DBT VOIs with noise: lesion-local (strip with coarse fill) against the full field.

The small slab of ``tests/acquisition/test_region_noise.py`` without lesions, DBT at 0.68 mm
(binning 8, one ray per pixel), 20 sites >= 8 mm apart, VOIs of 3 x 12 x 12 voxels (1 mm x
0.5 mm) by FBP; 5 cases: 100 VOI pairs. Prints the noise-free relative RMS difference and the
mean and variance of the residuals about the expected (noise-free) VOIs, with their SEs
(over VOIs). ~40 CPU-s; ~200 s wall at load 16.

Usage: ``python benchmarks/lesion_local_dbt_noise.py [N_CASES]`` (default 5)
"""
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "acquisition"))
import test_region_noise as t  # noqa: E402  (the tests' slab and sites)

from victwin.acquisition import Region, acquire, acquire_regions
from victwin.geometry import Grid
from victwin.recon import reconstruct
B = 8
SITES = t.SITES_MM[::2]  # 20 of the 40 sites, >= 8 mm apart
ph = t._slab(False)
vxy, n = 0.5, 12
N_CASES = int(sys.argv[1]) if len(sys.argv) > 1 else 5


def vois(case, noise):
    kw = dict(seed=21, case=case, binning=B, rays_per_pixel=1, noise=noise, progress=False)
    full = acquire(ph, "mammomat-dbt", **kw)
    loc = acquire_regions(ph, "mammomat-dbt",
                          [Region.around(s, (8.0, 8.0, 6.0)) for s in SITES], **kw)
    pf = full.line_integrals()
    a, b = [], []
    for s, acq in zip(SITES, loc):
        lower = np.subtract(s, (n * vxy / 2, n * vxy / 2, 1.5))
        g = Grid(shape=(3, n, n), spacing=(1.0, vxy, vxy),
                 origin=tuple(lower + (vxy / 2, vxy / 2, 0.5)))
        rk = dict(thickness_mm=t.THICKNESS_MM, support_mm=t.SUPPORT_MM, progress=False)
        a.append(reconstruct(pf, full.views, g, "fbp", **rk))
        p, v = acq.reconstruction_input()
        b.append(reconstruct(p, v, g, "fbp", **rk))
    return np.stack(a), np.stack(b)


t0 = time.perf_counter()
ef, el = vois(0, False)
print("expected", time.perf_counter() - t0, "relrms",
      np.sqrt(np.mean((el - ef) ** 2) / np.mean(ef ** 2)), flush=True)
F, L = [], []
for c in range(N_CASES):
    a, b = vois(c, True); F.append(a - ef); L.append(b - el)
    print("case", c, time.perf_counter() - t0, flush=True)
F, L = np.concatenate(F), np.concatenate(L); N = len(F)
for name, st in (("mean", lambda r: r.mean(axis=(1, 2, 3))),
                 ("var", lambda r: r.var(axis=(1, 2, 3)))):
    x, y = st(F), st(L)
    print(name, N, "full", x.mean(), "local", y.mean(), "se",
          np.sqrt(x.var(ddof=1) / N + y.var(ddof=1) / N))
