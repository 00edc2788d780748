"""Measure the back's paraspinal muscle and the spine's soft-tissue column from a chest twin's
labels (for :mod:`.erector_spinae`; reads labels and the spine's metadata only).

- :func:`erector_area_mm2` / :func:`erector_thickness_mm`: per column of the axial slice through
  a vertebra's body, the muscle behind the spinal canal's axis less the chest wall's
  superficial layer (the outline's ``muscle``, mm, from the metadata), summed per side: the
  erector spinae's cross-sectional area and its largest thickness, as a CT reading at that
  level would give them (Shimoda et al. 2022: :mod:`.erector_spinae`); the diaphragm's
  posterior crura behind the canal's level count too (50-120 mm^2 per side at T12 in the test twins), and at T4-T8 the
  scapulae's muscle cover;
- :func:`pa_column_step`: the PA mass path (g/cm^2, through the whole depth) beside the spine
  against that a little further out: the step at the spine's soft-tissue column's edge.
"""

from __future__ import annotations

import numpy as np

__all__ = ["level_y_mm", "erector_area_mm2", "erector_thickness_mm", "pa_mass_path",
           "pa_column_step"]


def level_y_mm(phantom, name: str) -> float:
    """World ``y`` (mm) of the middle of vertebra ``name``'s body (``"T12"``, ...)."""
    from .skeleton import LEVEL_NAMES

    sp = phantom.meta["spine"]
    k = LEVEL_NAMES.index(name)
    return float(sp["tops"][k] + 0.5 * sp["bodies"][k])


def _muscle(phantom) -> list:
    """The label of the chest wall's and back's muscle (not the myocardium)."""
    return [int(k) for k, v in phantom.meta["label_names"].items()
            if v.startswith("chest-wall muscle")]


def _erector_mm(phantom, level: str, max_x_mm: float):
    """``(x, e)``: per column of the slice through the middle of ``level``'s body, the muscle
    (mm) behind the spinal canal's axis (``meta["spine"]``: the body's front, its depth and
    9 mm) less the chest wall's superficial layer (``meta["outline"]["muscle"]``), 0 beyond
    ``max_x_mm`` of the midline."""
    from .skeleton import LEVEL_NAMES

    g, meta = phantom.grid, phantom.meta
    k = LEVEL_NAMES.index(level)
    canal = meta["spine"]["front_zd"] + meta["spine"]["depths"][k] + 9.0
    j = int(np.argmin(np.abs(g.axis_mm("y") - level_y_mm(phantom, level))))
    zd = g.axis_mm("z") - meta["zc_mm"]
    mus = np.isin(phantom.labels[:, j, :], _muscle(phantom)) & (zd >= canal)[:, None]
    e = np.clip(mus.sum(axis=0) * float(g.spacing[0]) - float(meta["outline"]["muscle"]),
                0.0, None)
    x = g.axis_mm("x")
    e[np.abs(x) > max_x_mm] = 0.0
    return x, e


def erector_area_mm2(phantom, level: str = "T12", max_x_mm: float = 100.0) -> tuple:
    """``(right, left)``: the back muscle beneath the superficial layer (mm^2) in the axial
    slice through the middle of vertebra ``level``, each side of the midline, within
    ``max_x_mm`` of it (module docstring)."""
    x, e = _erector_mm(phantom, level, max_x_mm)
    dx = float(phantom.grid.spacing[2])
    return float(e[x < 0].sum() * dx), float(e[x > 0].sum() * dx)


def erector_thickness_mm(phantom, level: str = "T12", max_x_mm: float = 100.0) -> float:
    """The largest thickness (mm) of that muscle in the slice (either side)."""
    return float(_erector_mm(phantom, level, max_x_mm)[1].max())


def pa_mass_path(phantom) -> np.ndarray:
    """The PA mass path (g/cm^2) through the whole depth, ``[y, x]``: each label's material's
    density from the material database the images are made from
    (:func:`victwin.physics.get_material`; until 2026-12-04 a table of ICRU nominal values
    here, which disagreed with it: lung 0.26 against 0.141, adipose 0.95 against 0.93,
    glandular 1.02 against 1.04, air 0 against 0.0012)."""
    from victwin.physics import get_material

    lut = np.zeros(256, np.float32)
    for k, v in phantom.materials.items():
        try:
            lut[int(k)] = get_material(v).density_g_cm3
        except ValueError:
            raise ValueError(f"pa_mass_path: label {k} has material {v!r}, which is not in "
                             "victwin.physics' material database") from None
    dz_cm = float(phantom.grid.spacing[0]) / 10.0
    out = np.zeros(phantom.labels.shape[1:], np.float64)
    for k in range(phantom.labels.shape[0]):
        out += lut[phantom.labels[k]]
    return out * dz_cm


def pa_column_step(phantom, levels=("T5", "T9"), inner_mm=(10.0, 20.0),
                   outer_mm=(30.0, 40.0)) -> float:
    """Mean PA mass path (g/cm^2) at ``inner_mm`` from the midline less that at ``outer_mm``
    (both sides), over the rows from the middle of the first of ``levels`` to the second's:
    the soft-tissue column's edge step."""
    g = phantom.grid
    x, y = np.abs(g.axis_mm("x")), g.axis_mm("y")
    rows = (y >= level_y_mm(phantom, levels[0])) & (y <= level_y_mm(phantom, levels[1]))
    p = pa_mass_path(phantom)[rows]
    inner = (x >= inner_mm[0]) & (x <= inner_mm[1])
    outer = (x >= outer_mm[0]) & (x <= outer_mm[1])
    return float(p[:, inner].mean() - p[:, outer].mean())
