"""The twins of a lesion-local case: a coarse twin for the full-field pass and fine windows.

A lesion-local case (``[resolution] mode = "lesion-local"`` with ``cohort.sites``) reads
only the ROI/VOI of each site, so it needs the fine phantom only where the site's rays go:
the region's support (:func:`victwin.acquisition.region_support`). :func:`case_twins` gives

* the twin at :data:`COARSE_VOXEL_MM` (or the spec's voxels if coarser; ``victwin.phantom.make(..., voxel_mm=)``, the same
  recipe and seed, the preset's materials, and for the lesion-present version the same
  lesion models at the same centres): the coarse full-field pass (scatter, DBT strip fill)
  traces it;
* per site and modality, a window of the fine twin (the lesion-free one for lesion-absent
  sites, the one holding every lesion for lesion sites) that holds the site's support, made
  by :func:`_fine_window`.

The beam (AEC) and dose read the windows' meta, i.e. the full fine phantom's (thickness and
glandular fraction), never the coarse twin's.

:func:`_fine_window` is a stand-in for ``victwin.phantom.make(recipe, seed=,
voxel_mm=, window_mm=)`` (engineer 14w's exact windowed generation; labels = the full
phantom's crop byte for byte) until it lands: it makes the full fine twins once per case (as
the full mode does) and crops them, so the lesion-local path and its checks run, but the case
still pays for the full fine phantom. Swapping it for the windowed ``make`` (with lesions
inserted in each window) is the only change needed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ._twins import _make_phantom

__all__ = ["COARSE_VOXEL_MM", "LocalTwins", "case_twins", "window_box"]

#: Voxel size (mm) of the coarse twin: the coarse pass traces one ray per 2 mm scatter cell
#: (``acquisition._coarse.COARSE_PIXELS_PER_CELL``), so 0.5 mm voxels sample each ray's
#: path 4x finer than its cell. Measured against the pass through the fine twin: NOTES.md
#: ("coarse twin").
COARSE_VOXEL_MM = 0.5


def _crop(phantom, window_mm):
    """Every voxel of ``phantom`` that intersects the box ``window_mm`` (clipped), on its
    sub-grid, with ``meta["window"]`` as ``victwin.phantom.make(..., window_mm=)`` records."""
    from victwin.geometry import Grid

    g = phantom.grid
    d = np.asarray(g.spacing_xyz, float)
    n = np.asarray(g.shape_xyz, int)
    lo = np.clip(np.floor((np.asarray(window_mm[0], float) - g.lower_mm) / d).astype(int), 0, n)
    hi = np.clip(np.ceil((np.asarray(window_mm[1], float) - g.lower_mm) / d).astype(int), 0, n)
    if np.any(hi <= lo):
        raise ValueError(f"window {window_mm} mm misses the phantom's grid")
    sl = tuple(slice(int(a), int(b)) for a, b in zip(lo[::-1], hi[::-1]))
    labels = np.ascontiguousarray(phantom.labels[sl])
    grid = Grid(shape=labels.shape, spacing=g.spacing,
                origin=tuple(np.asarray(g.origin) + lo * d))
    meta = dict(phantom.meta, window={"index": [int(v) for v in lo[::-1]],
                                      "full_shape": list(phantom.labels.shape)})
    return phantom.replace(labels=labels, grid=grid, meta=meta)


def window_box(spec, modality, region, thickness_mm: float) -> tuple:
    """The world box (mm) a window for ``region`` in ``modality`` must hold: the region's
    support from the breast slab, grown by one phantom voxel."""
    from victwin.acquisition import region_support

    sup = region_support(region, modality.system, thickness_mm=thickness_mm,
                         binning=spec.resolution.detector_binning,
                         pad_mm=spec.resolution.voxel_mm)
    return sup.window_mm


@dataclass
class LocalTwins:
    """A case's twins for lesion-local runs: see the module docstring."""

    sites: list
    names: list
    lesions: list
    meta: dict
    shape: tuple
    coarse: dict                      # version -> coarse twin
    _full: dict = field(default_factory=dict, repr=False)   # stand-in: version -> fine twin

    def full(self, version: str):
        """The whole fine twin (full-field fallbacks, previews, kept images)."""
        return self._full[version]

    def windows(self, version: str, boxes) -> list:
        """One fine window per box (mm) of the ``version`` twin (:func:`_fine_window`)."""
        return [_fine_window(self, version, b) for b in boxes]


def _fine_window(twins: LocalTwins, version: str, window_mm):
    # stand-in for victwin.phantom.make(..., window_mm=) + insertion on windows (issue-14w)
    return _crop(twins._full[version], window_mm)


def case_twins(spec, case_id: int, attributes: dict, clock=None) -> LocalTwins:
    """The lesion-local twins of a case with ``cohort.sites`` (breast recipes)."""
    from victwin.phantom import insert_lesion
    from victwin.systems import get_preset

    from ._sites import case_sites

    models: list = []
    phantom, present, sites, names, lesions = case_sites(spec, case_id, attributes, clock,
                                                         models=models)
    t0 = time.perf_counter()
    coarse = _make_phantom(spec, attributes,
                           voxel_mm=max(COARSE_VOXEL_MM, spec.resolution.voxel_mm))
    coarse_present = coarse
    for center, model in models:
        coarse_present, _ = insert_lesion(coarse_present, model, center_mm=center)
    preset = get_preset(spec.preset)
    coarse = {"absent": preset.apply(coarse), "present": preset.apply(coarse_present)}
    if clock is not None:
        clock.add("phantom.coarse", time.perf_counter() - t0)
    return LocalTwins(sites=sites, names=names, lesions=lesions, meta=dict(phantom.meta),
                      shape=tuple(phantom.labels.shape), coarse=coarse,
                      _full={"absent": phantom, "present": present})
