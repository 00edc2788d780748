"""PNG previews of phantoms, all in one place (display only; the physics lives in
:mod:`victwin.physics`).

* :func:`save_preview` picks the view for the phantom's kind: :func:`save_breast_preview`
  (breast and analytic phantoms: three orthogonal slices through the centre and a projection)
  or :func:`save_chest_preview` (PA and lateral line integrals and two slices);
* :func:`save_lesion_preview`: close-ups of a phantom's lesions.

Grey levels come from rough linear attenuation tables (``PREVIEW_MU_PER_MM`` near 20 keV for
the breast, ``CHEST_PREVIEW_MU_PER_MM`` near 60 keV for the chest).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["save_preview", "save_breast_preview", "save_chest_preview", "save_lesion_preview",
           "line_integral", "PREVIEW_MU_PER_MM", "CHEST_PREVIEW_MU_PER_MM"]

# Approximate linear attenuation at 20 keV (1/mm), used ONLY to shade the preview projection.
# Rounded from NIST XCOM / Hammerstein et al. 1979 breast tissue values; physics lives elsewhere.
PREVIEW_MU_PER_MM = {
    "air": 0.0, "water": 0.08, "adipose": 0.045, "glandular": 0.08, "skin": 0.085,
    "muscle": 0.085, "blood": 0.09, "lung": 0.025, "bone": 0.45, "soft_tissue": 0.08,
    "mass": 0.085, "hydroxyapatite": 2.4, "calcium_oxalate": 1.2, "pmma": 0.065,
    "polystyrene": 0.05, "aluminum": 0.93, "selenium": 6.0, "csi": 10.0,
    "calcium_oxalate_victre": 0.95, "adipose_victre": 0.045, "glandular_victre": 0.08,
    "skin_victre": 0.085, "connective_victre": 0.087, "muscle_victre": 0.085,
    "blood_victre": 0.085, "mass_victre": 0.082, "lung_parenchyma": 0.0135,
}

# Approximate linear attenuation near 60 keV (1/mm) for the chest preview only, rounded from
# NIST XCOM mass attenuation coefficients (ICRU-44 tissues) times typical densities.
CHEST_PREVIEW_MU_PER_MM = {"air": 0.0, "adipose": 0.0185, "muscle": 0.0215,
                           "soft_tissue": 0.0210, "lung": 0.0055, "blood": 0.0218,
                           "bone": 0.058, "mass": 0.0215, "water": 0.0206,
                           "glandular": 0.0210, "skin": 0.0220, "hydroxyapatite": 0.10,
                           "calcium_oxalate": 0.07, "lung_parenchyma": 0.003}


def _save(fig, path: Path, *, dpi: int) -> Path:
    """Lay out ``fig``, write it to ``path`` (folders made) and close it."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def save_preview(phantom, path, *, title: str | None = None) -> Path:
    """Write the PNG preview that suits the phantom's kind (``meta["kind"]``): the chest view
    for chest twins, else the breast view (slices and a projection)."""
    if phantom.meta.get("kind") == "chest":
        return save_chest_preview(phantom, path, title=title)
    return save_breast_preview(phantom, path, title=title)


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


def save_breast_preview(phantom, path, *, title: str | None = None,
                        table: dict | None = None) -> Path:
    """Write a PNG with axial, coronal and sagittal slices and a vertical projection.

    Grey levels are approximate 20 keV attenuation of each label's material (display only).
    Axial: ``z`` = middle, image ``[y, x]``; side: ``y`` = middle, ``[z, x]``;
    front: ``x`` at a quarter of the grid, ``[z, y]``; projection: the line integral of mu
    along z divided by the path length in tissue, shown as a mammogram (dense tissue bright).
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    path = Path(path)
    labels = phantom.labels
    grid = phantom.grid
    lut = _mu_table(phantom.materials, table or PREVIEW_MU_PER_MM)
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
    return _save(fig, path, dpi=90)


def save_lesion_preview(phantom, path, *, title: str | None = None, margin: float = 1.5):
    """Write a PNG with close-ups of every lesion of a phantom (at most 6).

    For each lesion: the slice ``z = centre`` and the projection along ``z`` (mean attenuation,
    display only, rough 20 keV values as in :meth:`Phantom.preview`) over a square region
    ``(1 + 2 * margin) * size`` wide around the centre, with the lesion's outline.

    Returns
    -------
    pathlib.Path
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.patches
    import matplotlib.pyplot as plt

    path = Path(path)
    lesions = list(phantom.lesions)[:6]
    if not lesions:
        raise ValueError("phantom has no lesions to preview")
    lut = np.zeros(256, np.float32)
    for k, name in phantom.materials.items():
        lut[k] = PREVIEW_MU_PER_MM.get(name, 0.08)
    g = phantom.grid
    lab = phantom.labels
    fig, axes = plt.subplots(2, len(lesions), figsize=(3.6 * len(lesions), 7.2), squeeze=False)
    for col, les in enumerate(lesions):
        ci = np.rint(g.world_to_index(les.center_mm)).astype(int)
        half_mm = (0.5 + margin) * max(les.size_mm, 2.0)
        hy = max(int(round(half_mm / g.spacing[1])), 2)
        hx = max(int(round(half_mm / g.spacing[2])), 2)
        ys = slice(max(ci[1] - hy, 0), min(ci[1] + hy + 1, lab.shape[1]))
        xs = slice(max(ci[2] - hx, 0), min(ci[2] + hx + 1, lab.shape[2]))
        x = g.axis_mm("x")[xs]
        y = g.axis_mm("y")[ys]
        ext = (x[0], x[-1], y[0], y[-1])
        sl = lut[lab[ci[0], ys, xs]]
        proj = lut[lab[:, ys, xs]].mean(axis=0)
        labels_les = les.extra.get("labels", [les.label])
        outline = np.isin(lab[:, ys, xs], labels_les).any(axis=0)
        a0, a1 = axes[0, col], axes[1, col]
        a0.imshow(sl, cmap="gray", origin="lower", extent=ext, interpolation="nearest",
                  vmin=0.0, vmax=float(np.percentile(sl, 99.5)) or 1.0)
        a0.set_title(f"{les.kind} {les.size_mm:.1f} mm\nslice z = {les.center_mm[2]:.1f} mm",
                     fontsize=9)
        lo, hi = np.percentile(proj[proj > 0], [1, 99.7]) if (proj > 0).any() else (0, 1)
        a1.imshow(proj, cmap="gray", origin="lower", extent=ext, vmin=lo, vmax=hi,
                  interpolation="nearest")
        if les.kind == "calcification":
            # a box around the cluster: an outline would hide calcifications this small
            (bx0, by0, _), (bx1, by1, _) = les.extra.get("bbox_mm", [[0, 0, 0], [0, 0, 0]])
            a1.add_patch(matplotlib.patches.Rectangle((bx0, by0), bx1 - bx0, by1 - by0,
                                                      fill=False, ec="tab:red", lw=0.6,
                                                      ls="--", alpha=0.7))
            a1.set_title("projection along z (cluster box red)", fontsize=9)
        else:
            a1.contour(x, y, outline.astype(float), levels=[0.5], colors="tab:red",
                       linewidths=0.4, alpha=0.6)
            a1.set_title("projection along z (outline red)", fontsize=9)
        for a in (a0, a1):
            a.set_xlabel("x (mm)")
            a.set_ylabel("y (mm)")
    m = phantom.meta
    fig.suptitle(title or f"lesions in {m.get('recipe', 'phantom')} seed {m.get('seed', '-')} "
                 f"(voxel {g.spacing[0]:g} mm)")
    return _save(fig, path, dpi=90)


def line_integral(phantom, axis: str = "z") -> np.ndarray:
    """Parallel-beam line integral (display attenuation) along ``axis`` ("z": PA, "x":
    lateral); ``[y, x]`` or ``[y, z]``."""
    lut = np.zeros(256, np.float32)
    for k, name in phantom.materials.items():
        lut[k] = CHEST_PREVIEW_MU_PER_MM.get(name, 0.02)
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


def save_chest_preview(phantom, path, *, title: str | None = None) -> Path:
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
        lut[k] = CHEST_PREVIEW_MU_PER_MM.get(name, 0.02)
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
    return _save(fig, path, dpi=80)
