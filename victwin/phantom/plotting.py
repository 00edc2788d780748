"""PNG preview of a phantom: three orthogonal slices through the centre and a projection."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["save_preview"]


def _mu_table(materials: dict, table: dict) -> np.ndarray:
    lut = np.zeros(256, dtype=np.float32)
    for lab, name in materials.items():
        lut[lab] = table.get(name, 0.08)
    return lut


def _projection(labels: np.ndarray, lut: np.ndarray, dz_mm: float, slab: int = 16):
    """Sum of ``lut[labels] * dz`` along z (a parallel-beam line integral, 1/mm * mm) and the
    number of non-air voxels in each column."""
    out = np.zeros(labels.shape[1:], dtype=np.float32)
    count = np.zeros(labels.shape[1:], dtype=np.int32)
    for z0 in range(0, labels.shape[0], slab):
        block = labels[z0:z0 + slab]
        out += lut[block].sum(axis=0, dtype=np.float32)
        count += (block != 0).sum(axis=0, dtype=np.int32)
    return out * np.float32(dz_mm), count


def save_preview(phantom, path, *, title: str | None = None, table: dict | None = None) -> Path:
    """Write a PNG with axial, coronal and sagittal slices and a vertical projection.

    Grey levels are approximate 20 keV attenuation of each label's material (display only).
    Axial: ``z`` = middle, image ``[y, x]``; side: ``y`` = middle, ``[z, x]``;
    front: ``x`` at a quarter of the grid, ``[z, y]``; projection: the line integral of mu
    along z divided by the path length in tissue, shown as a mammogram (dense tissue bright).
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from ._phantom import _PREVIEW_MU_PER_MM

    path = Path(path)
    labels = phantom.labels
    grid = phantom.grid
    lut = _mu_table(phantom.materials, table or _PREVIEW_MU_PER_MM)
    nz, ny, nx = labels.shape
    x = grid.axis_mm("x")
    y = grid.axis_mm("y")
    z = grid.axis_mm("z")
    ext_xy = (x[0], x[-1], y[0], y[-1])
    ext_xz = (x[0], x[-1], z[0], z[-1])
    ext_yz = (y[0], y[-1], z[0], z[-1])
    proj, count = _projection(labels, lut, grid.spacing[0])
    vmax = float(lut[np.unique(labels[nz // 2])].max()) or 1.0

    fig, axes = plt.subplots(2, 2, figsize=(10, 8))
    kw = dict(cmap="gray", origin="lower", vmin=0.0, vmax=vmax, interpolation="nearest")
    axes[0, 0].imshow(lut[labels[nz // 2]], extent=ext_xy, **kw)
    axes[0, 0].set_title(f"axial z = {z[nz // 2]:.1f} mm")
    axes[0, 0].set_xlabel("x (mm)")
    axes[0, 0].set_ylabel("y (mm)")
    axes[0, 1].imshow(lut[labels[:, ny // 2, :]], extent=ext_xz, aspect="auto", **kw)
    axes[0, 1].set_title(f"side y = {y[ny // 2]:.1f} mm")
    axes[0, 1].set_xlabel("x (mm)")
    axes[0, 1].set_ylabel("z (mm)")
    ix = nx // 4
    axes[1, 0].imshow(lut[labels[:, :, ix]], extent=ext_yz, aspect="auto", **kw)
    axes[1, 0].set_title(f"front x = {x[ix]:.1f} mm")
    axes[1, 0].set_xlabel("y (mm)")
    axes[1, 0].set_ylabel("z (mm)")
    # Mean attenuation along each column (line integral / path length): removes the thickness
    # fall-off at the breast edge, like the peripheral equalisation of a processed mammogram.
    inside = count > 0
    img = np.where(inside, proj / np.maximum(count, 1) / np.float32(grid.spacing[0]), np.nan)
    thick = count >= 0.3 * count.max() if inside.any() else inside
    lo, hi = (np.percentile(img[thick], [0.5, 99.5]) if thick.any() else (0.0, 1.0))
    axes[1, 1].imshow(img, extent=ext_xy, cmap="gray", origin="lower", vmin=lo, vmax=hi)
    axes[1, 1].set_title("projection along z (mean mu, 20 keV)")
    axes[1, 1].set_xlabel("x (mm)")
    axes[1, 1].set_ylabel("y (mm)")
    meta = phantom.meta
    fig.suptitle(title or f"{meta.get('recipe', 'phantom')}  seed {meta.get('seed', '-')}  "
                 f"voxel {grid.spacing[0]:g} mm  shape {labels.shape}")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
