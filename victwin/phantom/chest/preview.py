"""PNG preview of a chest twin: PA and lateral line-integral images and three slices."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .._phantom import Phantom

__all__ = ["save_chest_preview", "line_integral", "PREVIEW_MU_PER_MM"]

# Approximate linear attenuation near 60 keV (1/mm) for the preview only, rounded from NIST
# XCOM mass attenuation coefficients (ICRU-44 tissues) times typical densities; the physics
# of acquisition lives in victwin.physics.
PREVIEW_MU_PER_MM = {"air": 0.0, "adipose": 0.0185, "muscle": 0.0215, "soft_tissue": 0.0210,
                     "lung": 0.0055, "blood": 0.0218, "bone": 0.058, "mass": 0.0215,
                     "water": 0.0206, "glandular": 0.0210, "skin": 0.0220,
                     "hydroxyapatite": 0.10, "calcium_oxalate": 0.07}


def line_integral(phantom: Phantom, axis: str = "z") -> np.ndarray:
    """Parallel-beam line integral (display attenuation) along ``axis`` ("z": PA, "x":
    lateral); ``[y, x]`` or ``[y, z]``."""
    lut = np.zeros(256, np.float32)
    for k, name in phantom.materials.items():
        lut[k] = PREVIEW_MU_PER_MM.get(name, 0.02)
    lab = phantom.labels
    if axis == "z":
        out = np.zeros(lab.shape[1:], np.float32)
        for z0 in range(0, lab.shape[0], 16):
            out += lut[lab[z0:z0 + 16]].sum(axis=0)
        return out * phantom.grid.spacing[0]
    out = np.zeros((lab.shape[1], lab.shape[0]), np.float32)
    for z0 in range(0, lab.shape[0], 16):
        out[:, z0:z0 + 16] = lut[lab[z0:z0 + 16]].sum(axis=2).T
    return out * phantom.grid.spacing[2]


def save_chest_preview(phantom: Phantom, path, *, title: str | None = None) -> Path:
    """PA and lateral line integrals (bone bright, as a radiograph is read: head up, patient's
    right on the viewer's left) and coronal / axial slices; display attenuation only."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    path = Path(path)
    g = phantom.grid
    lab = phantom.labels
    pa, lat = line_integral(phantom, "z"), line_integral(phantom, "x")
    x, y, z = g.axis_mm("x"), g.axis_mm("y"), g.axis_mm("z")
    lut = np.zeros(256, np.float32)
    for k, name in phantom.materials.items():
        lut[k] = PREVIEW_MU_PER_MM.get(name, 0.02)
    anat = phantom.meta.get("anatomy_mm", {})
    hc = anat.get("heart_center", list(g.center_mm))
    iz, iy, _ = np.rint(g.world_to_index(hc)).astype(int)
    iz = int(np.clip(iz + 0.15 * lab.shape[0], 0, lab.shape[0] - 1))
    iy = int(np.clip(iy, 0, lab.shape[1] - 1))
    fig, ax = plt.subplots(1, 4, figsize=(19, 5.6),
                           gridspec_kw={"width_ratios": [1, 0.7, 1, 1]})

    from scipy.ndimage import gaussian_filter

    def show(a, img, ext):
        # unsharp masking (subtract 70 % of a 25 mm blur), as clinical chest processing
        # equalises the lungs and the mediastinum before display
        img = img - 0.7 * gaussian_filter(img, 25.0 / g.spacing[1])
        body = img[img > np.percentile(img, 20)]
        lo, hi = (np.percentile(body, [2, 99.8]) if body.size else (0.0, 1.0))
        a.imshow(img, cmap="gray", vmin=lo, vmax=hi, extent=ext, interpolation="bilinear")

    show(ax[0], pa, (x[0], x[-1], y[-1], y[0]))
    ax[0].set_title("PA line integral, unsharp-masked (display ~60 keV)")
    show(ax[1], lat[:, ::-1], (z[-1], z[0], y[-1], y[0]))
    ax[1].set_title("lateral (anterior right)")
    kw = dict(cmap="gray", vmin=0.0, vmax=0.035, interpolation="nearest")
    ax[2].imshow(lut[lab[iz]], extent=(x[0], x[-1], y[-1], y[0]), **kw)
    ax[2].set_title(f"coronal z = {z[iz]:.0f} mm")
    ax[3].imshow(lut[lab[:, iy, :]], extent=(x[0], x[-1], z[-1], z[0]), **kw)
    ax[3].set_title(f"axial y = {y[iy]:.0f} mm (anterior up)")
    m = phantom.meta
    b = m.get("body", {})
    who = (f"{b.get('sex', '?')} {b.get('age_years', 0):.0f} y, {b.get('height_cm', 0):.0f} cm, "
           f"BMI {b.get('bmi', 0):.1f}" if b else "")
    fig.suptitle(title or f"{m.get('recipe', 'chest')}  seed {m.get('seed', '-')}  {who}  "
                 f"voxel {g.spacing[0]:g} mm  shape {lab.shape}")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path
