"""The twins of a lesion-local case: a coarse twin for the full-field pass and fine windows.

A lesion-local case (``[resolution] mode = "lesion-local"`` with ``cohort.sites``, breast
recipes) reads only the ROI/VOI of each site, so it needs the fine phantom only where the
site's rays go: the region's support (:func:`victwin.acquisition.region_support`). The breast
is drawn once (``victwin.phantom.prepare``) and :func:`case_twins` gives

* the twin at :data:`COARSE_VOXEL_MM` (or the spec's voxels if coarser): the same draws
  voxelised coarser, with the preset's materials and, for the lesion-present version, the
  same lesion models at the same centres; the coarse full-field pass (scatter, DBT strip
  fill) traces it;
* per site and modality, a window of the fine twin holding the site's support
  (``PreparedBreast.make(window_mm=)``: the crop of the whole fine twin, byte for byte); the
  runner announces every box of the case first (:meth:`LocalTwins.plan_windows`), so the
  union of the boxes is labelled once (a site's DM box lies inside its DBT box, neighbouring
  sites' boxes overlap) and each window is copied out of it (``PreparedBreast.window_set``); for
  lesion sites with every lesion that reaches into it: each lesion is inserted once, in a
  fine tile around it (``insert_lesion`` with the labels numbered as in the whole twin), and
  the tile is pasted into the windows it overlaps, so a window equals the crop of the whole
  lesion-present twin.

The beam (AEC) and dose read the windows' meta: the whole fine twin's thickness and the
whole breast's glandular fractions as ``make(..., window_mm=)`` reports them (measured at
1 mm; the ``victre`` systems' AEC reads the thickness alone).

Sites are drawn on the prepared breast (``place_sites`` labels only the fine voxels its rules
read): a case never builds its whole fine twin unless it keeps images or previews, or a
one-lesion site falls back to a full field.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ._twins import site_lesion_model

__all__ = ["COARSE_VOXEL_MM", "LocalTwins", "case_twins", "window_box", "window_reach"]

#: Slab thickness (mm) of a window's reach (:func:`window_reach`): a DBT site's rays fill a
#: wedge of its box, narrow near the detector; per-slab supports of 8 mm hold ~half the box's
#: voxels (NOTES.md, "window cost").
REACH_SLAB_MM = 8.0

#: Voxel size (mm) of the coarse twin: the coarse pass traces one ray per 2 mm scatter cell
#: (``acquisition._coarse.COARSE_PIXELS_PER_CELL``), so 0.5 mm voxels sample each ray's path
#: 4x finer than its cell. Effect measured against the pass through the fine twin: NOTES.md
#: ("coarse twin"), and tests/acquisition/test_region.py (2x coarser, within issue 14's bounds).
COARSE_VOXEL_MM = 0.5


def window_box(spec, modality, region, thickness_mm: float) -> tuple:
    """The world box (mm) a window for ``region`` in ``modality`` must hold: the region's
    support from the breast slab, grown by one phantom voxel."""
    from victwin.acquisition import region_support

    sup = region_support(region, modality.system, thickness_mm=thickness_mm,
                         binning=spec.resolution.detector_binning,
                         pad_mm=spec.resolution.voxel_mm)
    return sup.window_mm


def window_reach(spec, modality, region, thickness_mm: float, grid) -> list:
    """The world boxes (mm) of a window for ``region`` that its rays can touch: the region's
    support (:func:`victwin.acquisition.region_support`, one voxel of padding) with the
    phantom's ``grid`` cut into z slabs of :data:`REACH_SLAB_MM` (one voxel of overlap each
    side), one box per slab the rays cross. Voxels of the window box outside these boxes
    need no label (``PreparedBreast.window_set(reach=)``)."""
    from victwin.acquisition import region_support
    from victwin.geometry import Grid

    nz = grid.shape[0]
    step = max(1, int(round(REACH_SLAB_MM / grid.spacing[0])))
    boxes = []
    for z0 in range(0, nz, step):
        a, b = max(0, z0 - 1), min(nz, z0 + step + 1)
        g = Grid(shape=(b - a,) + tuple(grid.shape[1:]), spacing=grid.spacing,
                 origin=tuple(float(v) for v in np.asarray(grid.origin)
                              + np.array([0, 0, a]) * grid.spacing_xyz))
        s = region_support(region, modality.system, thickness_mm=thickness_mm, grid=g,
                           binning=spec.resolution.detector_binning)
        if s.index_lower is not None and np.all(np.subtract(s.index_upper, s.index_lower) > 0):
            boxes.append(s.window_mm)
    return boxes


def _overlap(a_index, a_shape, b_index, b_shape):
    """Slices of ``a`` and of ``b`` (full-grid boxes) over their overlap, or None."""
    lo = np.maximum(a_index, b_index)
    hi = np.minimum(np.add(a_index, a_shape), np.add(b_index, b_shape))
    if np.any(hi <= lo):
        return None
    sa = tuple(slice(int(x - o), int(y - o)) for x, y, o in zip(lo, hi, a_index))
    sb = tuple(slice(int(x - o), int(y - o)) for x, y, o in zip(lo, hi, b_index))
    return sa, sb


@dataclass
class LocalTwins:
    """A case's twins for lesion-local runs: see the module docstring."""

    spec: object
    prepared: object                  # victwin.phantom.PreparedBreast
    sites: list
    names: list
    lesions: list
    meta: dict
    shape: tuple
    coarse: dict                      # version -> coarse twin (preset applied)
    tiles: list = field(default_factory=list, repr=False)   # lesion-present fine tiles
    materials: dict = field(default_factory=dict, repr=False)
    lesion_records: tuple = ()
    coarse_skipped: list = field(default_factory=list)   # lesion sites not in the coarse twin
    lesion_models: list = field(default_factory=list, repr=False)  # (model, centre mm) each
    clock: object = field(default=None, repr=False)      # timings ("phantom.windows")
    _whole: dict = field(default_factory=dict, repr=False)
    _set: object = field(default=None, repr=False)      # victwin.phantom.WindowSet

    def plan_windows(self, boxes, reach=None) -> None:
        """Announce every window box (mm) the case will ask for, of either version.

        The windows are then cut from one :class:`victwin.phantom.WindowSet` of the lesion-free
        fine twin: the union of the boxes is labelled once (a site's DM box lies inside its
        DBT box; the boxes of neighbouring sites overlap), each window copied out of it, and
        each version's window is what :meth:`windows` gave without the announcement, byte for
        byte. Without it every window is made on its own. With ``reach`` (one list of boxes per
        box, :func:`window_reach`) only the voxels the rays can touch are labelled (the
        lesion tiles are still pasted over the whole box, so a window keeps its labels).
        """
        t0 = time.perf_counter()
        self._set = self.prepared.window_set(list(boxes), self.spec.resolution.voxel_mm,
                                             reach=reach)
        if self.clock is not None:
            self.clock.add("phantom.windows", time.perf_counter() - t0)

    @property
    def grid(self):
        """The whole fine twin's grid (no voxel labelled)."""
        return self.prepared.grid(self.spec.resolution.voxel_mm)

    @property
    def labelled_voxels(self):
        """Fine voxels labelled for the announced windows so far (None: none announced)."""
        return None if self._set is None else self._set.labelled_voxels

    def full(self, version: str):
        """The whole fine twin (full-field fallbacks, previews, kept images): made on demand,
        once."""
        if version not in self._whole:
            self._whole[version] = self._window(version, None)
        return self._whole[version]

    def windows(self, version: str, boxes) -> list:
        """One fine window of the ``version`` twin per box (mm)."""
        return [self._window(version, b) for b in boxes]

    def _window(self, version: str, window_mm):
        t0 = time.perf_counter()
        try:
            return self._make_window(version, window_mm)
        finally:
            if self.clock is not None:
                self.clock.add("phantom.windows", time.perf_counter() - t0)

    def _make_window(self, version: str, window_mm):
        from victwin.systems import get_preset

        vox = self.spec.resolution.voxel_mm
        if window_mm is not None and self._set is not None:
            w = self._set.window(window_mm)
        else:
            w = self.prepared.make(vox, window_mm=window_mm)
        if version == "present" and self.tiles:
            index = np.asarray((w.meta.get("window") or {}).get("index", (0, 0, 0)))
            labels = None
            for tile in self.tiles:
                t_index = np.asarray(tile.meta["window"]["index"])
                ov = _overlap(index, w.labels.shape, t_index, tile.labels.shape)
                if ov is None:
                    continue
                if labels is None:
                    labels = np.array(w.labels, copy=True)
                labels[ov[0]] = tile.labels[ov[1]]
            w = w.replace(labels=w.labels if labels is None else labels,
                          materials=dict(self.materials), lesions=self.lesion_records)
        return get_preset(self.spec.preset).apply(w)


def _draw_sites(spec, case_id: int, prepared, lesion_windows=None):
    """Sites drawn on the prepared breast: ``place_sites`` labels only the fine voxels its
    rules read, and gives the sites it gives on the whole fine twin. ``lesion_windows`` (a
    dict) receives the lesion-free window around each lesion site that the placement's lesion
    check made (``_sites._lesion_fits``)."""
    from ._sites import draw_sites

    return draw_sites(spec, case_id, prepared, voxel_mm=spec.resolution.voxel_mm,
                      lesion_windows=lesion_windows)


def case_twins(spec, case_id: int, attributes: dict, clock) -> LocalTwins:
    """The lesion-local twins of a case with ``cohort.sites`` (a breast recipe)."""
    from victwin.phantom import insert_lesion, prepare
    from victwin.systems import get_preset

    t0 = time.perf_counter()
    prepared = prepare(attributes["recipe"], seed=attributes["phantom_seed"])
    vox = spec.resolution.voxel_mm
    lesion_windows = {}
    sites = _draw_sites(spec, case_id, prepared, lesion_windows)
    clock.add("phantom", time.perf_counter() - t0)

    t0 = time.perf_counter()
    coarse = prepared.make(max(COARSE_VOXEL_MM, vox))
    coarse_present = coarse
    tiles, lesions, skipped, models = [], [], [], []
    materials, records = dict(prepared.materials), ()
    for k, site in enumerate(sites):
        if not site.truth:
            continue
        model = site_lesion_model(spec, case_id, k, site.kind)
        # the fine tile: labels numbered after the lesions before it, as in the whole twin (the
        # placement's lesion check made it: the lesion-free window around the lesion's patch)
        tile = lesion_windows[k].replace(materials=dict(materials), lesions=records)
        tile, lesion = insert_lesion(tile, model, center_mm=site.center_mm)
        materials, records = dict(tile.materials), tile.lesions
        tiles.append(tile)
        lesions.append(lesion)
        models.append((model, site.center_mm))
        try:
            coarse_present, _ = insert_lesion(coarse_present, model, center_mm=site.center_mm)
        except ValueError:
            # at coarse voxels the lesion may touch skin the fine box kept clear of; the coarse
            # pass then lacks it (its scatter; NOTES.md: < 0.11 of a pixel's noise SD)
            skipped.append(k)
    preset = get_preset(spec.preset)
    twins = LocalTwins(spec=spec, prepared=prepared, sites=sites,
                       names=[f"s{k}" for k in range(len(sites))], lesions=lesions,
                       meta=prepared.meta(vox), shape=tuple(prepared.grid(vox).shape),
                       coarse={"absent": preset.apply(coarse),
                               "present": preset.apply(coarse_present)},
                       tiles=tiles, materials=materials, lesion_records=records,
                       coarse_skipped=skipped, lesion_models=models, clock=clock)
    clock.add("phantom.coarse+lesion", time.perf_counter() - t0)
    return twins
