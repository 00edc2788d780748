"""The foundation-stage demo: one DM projection of an analytic breast-like phantom.

This stands in for the demo trial until the trial engine exists: it builds a small label
phantom from ellipsoids (fat, glandular tissue, a 6 mm mass) on a 0.5 mm grid, traces one
cone-beam mammography view through it with :func:`victwin.raytrace.project_labels`, applies
Beer-Lambert attenuation at a single energy, and writes the image as a PNG.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from victwin.geometry import Grid, mammography_view
from victwin.raytrace import project_labels

__all__ = ["demo_projection"]

#: label -> material of the demo phantom
DEMO_MATERIALS = {0: "air", 1: "adipose", 2: "glandular", 3: "mass"}

#: Linear attenuation (1/mm) at 20 keV used when victwin.physics is not available: glandular
#: 0.0781 and adipose 0.0510 are Hammerstein-composition values (issue 4's reference figures).
_FALLBACK_MU_20KEV = {"air": 0.0, "adipose": 0.0510, "glandular": 0.0781, "mass": 0.0800}


def _demo_phantom(voxel_mm: float = 0.5):
    thickness, depth, width = 45.0, 90.0, 160.0  # mm: z, x (chest wall->nipple), y
    grid = Grid(shape=(round(thickness / voxel_mm), round(width / voxel_mm),
                       round(depth / voxel_mm)),
                spacing=(voxel_mm,) * 3,
                origin=(voxel_mm / 2, -width / 2 + voxel_mm / 2, 20.0 + voxel_mm / 2))
    x, y, z = (grid.axis_mm(a) for a in "xyz")
    Z, Y, X = np.meshgrid(z - 20.0 - thickness / 2, y, x, indexing="ij")
    labels = np.zeros(grid.shape, np.uint8)
    labels[(X / depth) ** 2 + (Y / (width / 2)) ** 2 < 1.0] = 1
    rng = np.random.default_rng(2018)
    for _ in range(40):  # glandular blobs, nearer the nipple than the chest wall
        c = (rng.uniform(10, 60), rng.uniform(-45, 45), rng.uniform(-12, 12))
        r = rng.uniform(3, 12, size=3)
        blob = (((X - c[0]) / r[0]) ** 2 + ((Y - c[1]) / r[1]) ** 2
                + ((Z - c[2]) / r[2]) ** 2) < 1.0
        labels[blob & (labels == 1)] = 2
    labels[((X - 40) ** 2 + (Y - 10) ** 2 + Z ** 2) < 3.0 ** 2] = 3
    return labels, grid


def _mu_20kev() -> np.ndarray:
    try:
        from victwin.physics import linear_attenuation

        return np.array([float(linear_attenuation(DEMO_MATERIALS[k], 20.0))
                         for k in sorted(DEMO_MATERIALS)])
    except ImportError:
        return np.array([_FALLBACK_MU_20KEV[DEMO_MATERIALS[k]] for k in sorted(DEMO_MATERIALS)])


def demo_projection(out_dir, *, backend="auto", binning: int = 4) -> dict:
    """Render the demo projection into ``out_dir``; returns paths and timings.

    Parameters
    ----------
    out_dir : path
        Created if missing; receives ``demo-projection.png`` and ``demo-projection.npy``.
    backend : {"auto", "cpu", "cuda"}
    binning : int
        Detector binning of the 85 um Mammomat panel (4 -> 0.34 mm pixels).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    labels, grid = _demo_phantom()
    view = mammography_view(detector_binning=binning)
    t1 = time.perf_counter()
    paths = project_labels(labels, grid, view, len(DEMO_MATERIALS), backend=backend)[0]
    t2 = time.perf_counter()
    line_integral = np.tensordot(_mu_20kev(), paths, axes=(0, 0))
    image = np.exp(-line_integral).astype(np.float32)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    npy = out_dir / "demo-projection.npy"
    png = out_dir / "demo-projection.png"
    np.save(npy, image)
    fig, ax = plt.subplots(figsize=(4, 7), dpi=150)
    pitch = view.panel.pitch[0]
    nv, nu = image.shape
    # display as mammograms are read: attenuation bright (log image), chest wall at the left
    ax.imshow(line_integral, cmap="gray", extent=(0, nu * pitch, nv * pitch / 2, -nv * pitch / 2))
    ax.set_xlabel("x, chest wall to nipple (mm)")
    ax.set_ylabel("y, along the chest wall (mm)")
    ax.set_title("victwin demo: 20 keV DM projection", fontsize=8)
    fig.tight_layout()
    fig.savefig(png)
    plt.close(fig)
    return {"png": str(png), "npy": str(npy), "phantom_voxels": labels.shape,
            "detector": image.shape, "phantom_s": t1 - t0, "raytrace_s": t2 - t1}
