"""Acquisition time: one full-field DM view and one 25-view DBT scan of a 0.1 mm breast phantom.

Each case runs ``victwin.acquisition.acquire`` end to end and splits the time into ray tracing,
physics (spectrum, attenuation, polyenergetic primary), scatter, and detector (noise,
digitisation, for-presentation mapping).

Phantom: a breast-sized procedural phantom at 0.1 mm voxels (450 x 1300 x 650 voxels, z y x:
a 45 mm compressed semicircular breast of 65 mm radius on the 20 mm breast support, 1.5 mm
skin, adipose with glandular blobs from a thresholded smooth random field). It is built with
NumPy in seconds; ``victwin.phantom.make`` at 0.1 mm (~300 M voxels) takes much longer and
is not what is timed here.

Cases
-----
``dm-85um``     mammomat-dm, 3000 x 1500 pixels (85 um), 2 x 2 sub-pixel rays
``dm-170um``    the same, detector binned 2 x 2 (1500 x 750)
``dbt-170um``   mammomat-dbt, 25 views, binned 2 x 2
``dbt-85um``    mammomat-dbt, 25 views, 3000 x 1500 (``--full-dbt``; long on a CPU)

Usage::

    python benchmarks/acquire.py [--full-dbt] [--backend auto|cpu|cuda] [--out PATH]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import environment, print_table, write_json  # noqa: E402

from victwin.acquisition import acquire  # noqa: E402
from victwin.geometry import Grid  # noqa: E402


def breast_phantom(voxel_mm=0.1, thickness_mm=45.0, radius_mm=65.0, skin_mm=1.5, seed=0):
    """A procedural compressed breast: semicircle slab, skin, adipose, glandular blobs."""
    rng = np.random.default_rng(seed)
    nz = int(round(thickness_mm / voxel_mm))
    nx = int(round(radius_mm / voxel_mm))
    ny = 2 * nx
    x = (np.arange(nx) + 0.5) * voxel_mm
    y = (np.arange(ny) - (ny - 1) / 2) * voxel_mm
    r = np.hypot(*np.meshgrid(y, x, indexing="ij"))  # [y, x]
    # glandular field: smooth noise on a 2 mm lattice, trilinear-free (nearest) upsampling
    # keeps it cheap; glandular where the field is high and within 75 % of the radius
    coarse = rng.standard_normal((nz // 20 + 2, ny // 20 + 2, nx // 20 + 2)).astype(np.float32)
    from scipy import ndimage

    coarse = ndimage.gaussian_filter(coarse, 1.5)
    labels = np.zeros((nz, ny, nx), np.uint8)
    inside = r <= radius_mm
    core = r <= radius_mm - skin_mm
    zi = np.arange(nz)
    for k in range(nz):
        sl = labels[k]
        sl[inside] = 3  # skin
        if skin_mm <= zi[k] * voxel_mm < thickness_mm - skin_mm:
            sl[core] = 1  # adipose
            field = np.repeat(np.repeat(coarse[k // 20], 20, axis=0)[:ny], 20, axis=1)[:, :nx]
            sl[core & (field > 0.1) & (r < 0.75 * radius_mm)] = 2  # glandular
    grid = Grid(shape=(nz, ny, nx), spacing=(voxel_mm,) * 3,
                origin=(x[0], y[0], 20.0 + voxel_mm / 2))
    return SimpleNamespace(labels=labels, grid=grid,
                           materials={0: "air", 1: "adipose", 2: "glandular", 3: "skin"},
                           meta={"thickness_mm": thickness_mm, "glandular_fraction_mass": 0.3})


def run_case(name, phantom, system, binning, backend):
    t0 = time.perf_counter()
    acq = acquire(phantom, system, seed=1, binning=binning, backend=backend, progress=True)
    total = time.perf_counter() - t0
    t = acq.timings_s
    return {"case": name, "system": system, "views": len(acq.views),
            "pixels": f"{acq.raw.shape[1]}x{acq.raw.shape[2]}",
            "pitch_mm": acq.technique.pixel_spacing_mm,
            "rays_per_pixel": acq.technique.rays_per_pixel ** 2,
            "raytrace_s": t["raytrace"], "physics_s": t["physics"], "scatter_s": t["scatter"],
            "detector_s": t["detector"], "total_s": total,
            "s_per_view": total / len(acq.views), "mgd_mgy": acq.dose.mgd_mgy}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", default="auto", choices=("auto", "cpu", "cuda"))
    ap.add_argument("--full-dbt", action="store_true", help="also time DBT at 85 um")
    ap.add_argument("--out", default=None, help="JSON path (default results/acquire.json)")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    phantom = breast_phantom()
    build_s = time.perf_counter() - t0
    print(f"phantom {phantom.labels.shape} (z, y, x) at 0.1 mm built in {build_s:.1f} s")
    cases = [("dm-85um", "mammomat-dm", 1), ("dm-170um", "mammomat-dm", 2),
             ("dbt-170um", "mammomat-dbt", 2)]
    if args.full_dbt:
        cases.append(("dbt-85um", "mammomat-dbt", 1))
    rows = [run_case(n, phantom, s, b, args.backend) for n, s, b in cases]
    cols = ["case", "views", "pixels", "rays_per_pixel", "raytrace_s", "physics_s", "scatter_s",
            "detector_s", "total_s", "s_per_view", "mgd_mgy"]
    print_table(rows, cols)
    from victwin._backend import resolve_backend

    write_json("acquire", {"environment": environment(),
                           "backend": resolve_backend(args.backend),
                           "phantom": {"shape_zyx": list(phantom.labels.shape), "voxel_mm": 0.1,
                                       "build_s": build_s,
                                       "kind": "procedural semicircular breast (see docstring)"},
                           "results": rows}, args.out)


if __name__ == "__main__":
    main()
