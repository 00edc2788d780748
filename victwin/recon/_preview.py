"""PNG preview of a reconstructed volume: central slices and a synthesised 2D image."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ._synthesize import synthesize_2d

__all__ = ["save_preview"]


def _window(img: np.ndarray) -> tuple[float, float]:
    finite = img[np.isfinite(img)]
    if finite.size == 0:
        return 0.0, 1.0
    lo, hi = np.percentile(finite, [0.5, 99.9])
    full = float(finite.max() - finite.min())
    if hi - lo <= 1e-3 * full:  # a small object in empty space: show the full range
        lo, hi = finite.min(), finite.max()
    return float(lo), float(max(hi, lo + 1e-12))


def save_preview(path, volume, grid, *, title: str = "") -> Path:
    """Write a PNG with the central x-y slice, the central y-z and x-z sections and the
    synthesised (weighted) 2D image of ``volume`` ``[z, y, x]`` on ``grid`` (mm axes)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    v = np.asarray(volume.get() if hasattr(volume, "get") else volume, dtype=np.float32)
    nz, ny, nx = v.shape
    x, y, z = grid.axis_mm("x"), grid.axis_mm("y"), grid.axis_mm("z")
    dz, dy, dx = grid.spacing
    ext_xy = (x[0] - dx / 2, x[-1] + dx / 2, y[-1] + dy / 2, y[0] - dy / 2)
    panels = [
        (v[nz // 2], ext_xy, f"slice z = {z[nz // 2]:.1f} mm", "x (mm)", "y (mm)"),
        (synthesize_2d(v, "weighted"), ext_xy, "synthesised 2D (weighted)", "x (mm)", "y (mm)"),
        (v[:, ny // 2, :], (x[0] - dx / 2, x[-1] + dx / 2, z[0] - dz / 2, z[-1] + dz / 2),
         f"x-z section, y = {y[ny // 2]:.1f} mm", "x (mm)", "z (mm)"),
        (v[:, :, nx // 2], (y[0] - dy / 2, y[-1] + dy / 2, z[0] - dz / 2, z[-1] + dz / 2),
         f"y-z section, x = {x[nx // 2]:.1f} mm", "y (mm)", "z (mm)"),
    ]
    fig, axes = plt.subplots(2, 2, figsize=(11, 9))
    for ax, (img, ext, name, xl, yl) in zip(axes.ravel(), panels):
        lo, hi = _window(img)
        origin = "lower" if yl == "z (mm)" else "upper"
        im = ax.imshow(img, cmap="gray", extent=ext, vmin=lo, vmax=hi, origin=origin,
                       aspect="auto" if yl == "z (mm)" else "equal", interpolation="nearest")
        ax.set_title(name, fontsize=10)
        ax.set_xlabel(xl)
        ax.set_ylabel(yl)
        fig.colorbar(im, ax=ax, fraction=0.046, label="1/mm")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp.png")
    fig.savefig(tmp, dpi=90)
    plt.close(fig)
    os.replace(tmp, path)
    return path
