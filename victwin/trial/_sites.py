"""Lesion sites of a case and the ROIs / VOIs read at them, full field or lesion-local.

A case has one or more *sites* (:class:`victwin.phantom.placement.Site`): with
``cohort.sites`` (VICTRE: 4 masses, 4 calcification clusters and 12 lesion-absent sites per
twin) every lesion site gets a lesion in the lesion-present twin and is read there, and every
lesion-absent site is read in the twin without lesions; without it the case has one lesion,
read in the lesion-present twin, and its lesion-absent ROI is read at the same place in the
twin without lesions (arrays ``<modality>/present`` and ``<modality>/absent``).

For each modality an :class:`RoiPlan` says, before anything is simulated, which pixels each
site needs: the DM ROI around the site's projection, or the DBT VOI (a sub-grid of the full
reconstruction grid, so a lesion-local VOI is the crop of the full volume), and the box
(:class:`victwin.acquisition.Region`) a lesion-local acquisition simulates for it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ._cohort import case_rng
from ._spec import TrialSpec
from ._twins import (_fit_center, _lesion_box, _make_phantom, one_lesion_phantoms,
                     site_lesion_model)

__all__ = ["site_box_mm", "case_sites", "chest_sites", "draw_sites", "check_site_layout", "SiteLayoutError",
           "RoiPlan", "plan_rois", "cut_roi", "voi_slices"]


class SiteLayoutError(ValueError):
    """``cohort.sites`` cannot be laid out in a twin (a box taller than the breast, more
    sites than its area holds, or a site not placed): one line naming the ``sites.<kind>``
    key. A case's layout is a deterministic function of the spec and its seeds, so a case
    that raises it is not retried."""


def voi_slices(kind: str) -> int:
    """VICTRE's DBT VOI depth: 9 slices for masses, 5 for calcification clusters."""
    return 5 if kind == "calcification" else 9


def _roi_px(kind: str, pixel_mm: float, spec: TrialSpec) -> int:
    from victwin.readers import roi_shape

    return int(roi_shape("calcification" if kind == "calcification" else "mass", modality="dm",
                         pixel_mm=pixel_mm, size_mm=spec.readers.roi_mm)[0])


def _slice_mm(spec: TrialSpec) -> float:
    return max([m.reconstruction.get("slice_mm", 1.0) for m in spec.modalities
                if m.reconstruction] or [1.0])


def site_box_mm(kind: str, spec: TrialSpec) -> tuple:
    """The box (x, y, z mm) the readers need around a site of ``kind``: VICTRE's ROI side
    (9.265 mm masses, 5.525 mm calcification clusters, ``readers.roi_mm`` if set) and its VOI
    depth (9 or 5 slices of the spec's DBT slice spacing)."""
    side = _roi_px(kind, 0.085, spec) * 0.085
    return (side, side, voi_slices(kind) * _slice_mm(spec))


def _dm_source(spec: TrialSpec):
    """The focal spot a single-view modality images from (sites may not overlap in it)."""
    from victwin.systems import load

    for m in spec.modalities:
        system = load(m.system)
        views = system.views(spec.resolution.detector_binning)
        if len(views) == 1:
            return tuple(float(v) for v in views[0].source)
    system = load(spec.modalities[0].system)
    views = system.views(spec.resolution.detector_binning)
    return tuple(float(v) for v in views[len(views) // 2].source)


def _on_every_detector(spec: TrialSpec, margin_mm: float = 1.0):
    """``accept(lower, upper)``: the box (grown by ``margin_mm``) projects inside the detector
    in every view of every modality (lesion-local regions must)."""
    from victwin.systems import load

    scans = [load(m.system).views(spec.resolution.detector_binning) for m in spec.modalities]

    def accept(lower, upper) -> bool:
        lo, hi = np.asarray(lower) - margin_mm, np.asarray(upper) + margin_mm
        corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1])
                            for z in (lo[2], hi[2])])
        for views in scans:
            nv, nu = views[0].panel.shape
            for view in views:
                ji = view.project(corners)
                if (not np.all(np.isfinite(ji)) or ji[:, 0].min() < 0 or ji[:, 1].min() < 0
                        or ji[:, 0].max() > nv - 1 or ji[:, 1].max() > nu - 1):
                    return False
        return True

    return accept


def _boxes_meet(a, b) -> bool:
    return all(a[0][i] < b[1][i] and b[0][i] < a[1][i] for i in range(3))


def _lesion_fits(spec: TrialSpec, case_id: int, phantom, windows=None):
    """``fits(index, kind, center_mm)`` for :func:`~victwin.phantom.placement.place_sites`:
    the lesion the case will insert at site ``index`` (:func:`site_lesion_model`) fits there.

    The check is the insertion itself, on a window of the lesion-free twin at the spec's
    voxels around the lesion's patch (:func:`victwin.phantom.insert_lesion`: clear of air,
    skin, muscle, the grid's edge and the lesions placed before it whose boxes meet it) and,
    with ``resolution.lesion_voxel_mm``, at the tiles' voxels too
    (:func:`victwin.phantom.lesion_tiles`). A site whose ROI box passed but whose lesion
    fails is redrawn, as VICTRE's ``lesionInsertion.py`` redraws a location whose lesion
    cube meets forbidden tissue; before this check such a case failed at insertion (2 of the
    first 41 twins of victre-replica-150: masses of 10-15 mm near the compressed breast's
    surface). Cases whose lesions all fit keep their sites (the candidates are drawn in the
    same order). ``windows``, a dict, receives each placed lesion's lesion-free window
    (site index -> Phantom), which the lesion-local case inserts the lesion into.
    """
    from victwin.phantom import PreparedBreast, crop_to_window, insert_lesion, lesion_tiles

    vox = float(spec.resolution.voxel_mm)
    tile_mm = spec.resolution.lesion_voxel_mm
    placed = []                                        # (model, centre, box) of lesions so far

    def window(box):
        if isinstance(phantom, PreparedBreast):
            return phantom.make(vox, window_mm=box)
        return crop_to_window(phantom, box)

    def fits(k: int, kind: str, center) -> bool:
        if kind == "absent":
            return True
        model = site_lesion_model(spec, case_id, k, kind)
        box = _lesion_box(model, center, vox)
        near = [(m, c) for m, c, b in placed if _boxes_meet(b, box)]
        try:
            w = window(box)
            held = w
            for m, c in near:
                held, _ = insert_lesion(held, m, center_mm=c)
            insert_lesion(held, model, center_mm=center)
            if tile_mm:
                lesion_tiles(w, near + [(model, center)], tile_mm=tile_mm)
        except ValueError:
            return False
        placed.append((model, center, box))
        if windows is not None:
            windows[k] = w
        return True

    return fits


def draw_sites(spec: TrialSpec, case_id: int, phantom, *, lesions: bool = True,
               lesion_windows=None, **kw) -> list:
    """The case's sites (``cohort.sites``) drawn on its lesion-free twin ``phantom`` (a
    Phantom, or a PreparedBreast with ``voxel_mm=``: the same sites).

    With ``lesions`` (default) every lesion site is also checked with the lesion the case
    inserts there (:func:`_lesion_fits`); ``phantom`` is then at the spec's voxels. The
    pre-flight layout check (:func:`check_site_layout`, coarser voxels) leaves it out.
    ``lesion_windows`` (a dict) receives the windows the check made (:func:`_lesion_fits`).
    """
    from victwin.phantom.placement import place_sites

    counts = dict(spec.cohort.sites)
    boxes = {k: site_box_mm(k, spec) for k in counts if k != "absent"}
    fits = _lesion_fits(spec, case_id, phantom, lesion_windows) if lesions else None
    try:
        return place_sites(phantom, counts, boxes,
                           rng=case_rng(spec.seed, case_id, "placement"),
                           source_mm=_dm_source(spec), accept=_on_every_detector(spec),
                           fits=fits, **kw)
    except ValueError as exc:
        raise SiteLayoutError(f"case {case_id}: {exc}") from None


#: Voxel size (mm) of the pre-flight layout check: place_sites reads a ~1 mm sub-lattice for
#: its area test anyway, and at 1 mm a prepared breast labels the voxels it reads in ~1 CPU-s.
LAYOUT_CHECK_VOXEL_MM = 1.0


def check_site_layout(spec: TrialSpec, case_id: int = 0) -> None:
    """Pre-flight for ``victwin plan`` / ``run``: lay out case ``case_id``'s sites on its
    prepared breast at :data:`LAYOUT_CHECK_VOXEL_MM` (or the spec's voxels if coarser), so
    that counts no twin can hold fail in one line before any case runs.

    Raises
    ------
    SiteLayoutError
        One line naming the ``sites.<kind>`` key and the case.
    """
    if spec.cohort.sites is None or spec.cohort.family != "breast":
        return
    from victwin.phantom import prepare

    from ._cohort import sample_cohort

    attributes = sample_cohort(spec, [case_id])[0][1]
    prepared = prepare(attributes["recipe"], seed=attributes["phantom_seed"])
    draw_sites(spec, case_id, prepared, lesions=False,
               voxel_mm=max(LAYOUT_CHECK_VOXEL_MM, spec.resolution.voxel_mm))


def case_sites(spec: TrialSpec, case_id: int, attributes: dict, clock=None):
    """The case's lesion-free twin, its lesion-present twin, its sites and their names.

    Returns
    -------
    (phantom, present, sites, names, lesions)
        ``names[k]`` is the array name of site ``k`` ("present"/"absent" for the one-lesion
        layout, "s0", "s1", ... with ``cohort.sites``); ``lesions`` the inserted lesions'
        records, in the order of the lesion sites.
    """
    from victwin.phantom import insert_lesion
    from victwin.phantom.placement import Site
    from victwin.systems import get_preset

    if spec.cohort.sites is None:
        phantom, present, lesion = one_lesion_phantoms(spec, case_id, attributes, clock)
        kind = attributes["lesion"]
        box = site_box_mm(kind, spec)
        c = tuple(float(v) for v in lesion.center_mm)
        sites = [Site(kind, kind, c, box), Site("absent", kind, c, box)]
        return phantom, present, sites, ["present", "absent"], [lesion]

    phantom = _make_phantom(spec, attributes, clock)
    t0 = time.perf_counter()
    if spec.cohort.family == "chest":
        phantom, present, sites, names, lesions = chest_sites(spec, case_id, phantom)
        if clock is not None:
            clock.add("lesion", time.perf_counter() - t0)
        return phantom, present, sites, names, lesions
    sites = draw_sites(spec, case_id, phantom)
    present, lesions = phantom, []
    for k, site in enumerate(sites):
        if site.truth:
            model = site_lesion_model(spec, case_id, k, site.kind)
            present, lesion = insert_lesion(present, model, center_mm=site.center_mm)
            lesions.append(lesion)
    preset = get_preset(spec.preset)
    phantom, present = preset.apply(phantom), preset.apply(present)
    if clock is not None:
        clock.add("lesion", time.perf_counter() - t0)
    return phantom, present, sites, [f"s{k}" for k in range(len(sites))], lesions


def chest_sites(spec: TrialSpec, case_id: int, phantom):
    """``cohort.sites = {nodule = N}`` in a chest twin: N nodules, each drawn from the
    screening distributions on its own stream (``lesion-k``, :func:`site_lesion_model`),
    placed by :func:`victwin.phantom.chest.nodules.place_nodule_sites` (in lung 10 mm inside
    the pleura, where it fits, none in another's size-class ROI in the first modality's
    view), then N lesion-absent sites at the same places, read in the twin without nodules
    (matched pairs, as the one-nodule chest trial reads its nodule).

    Returns ``(phantom, present, sites, names, lesions)`` as :func:`case_sites`: sites
    ``s0 .. s{N-1}`` the nodules, ``s{N} .. s{2N-1}`` their lesion-absent pairs.
    """
    from victwin.phantom.chest.nodules import place_nodule_sites
    from victwin.phantom.placement import Site
    from victwin.systems import get_preset

    from ._nodule_classes import class_roi_px, first_view, nodule_size_class

    n = int(spec.cohort.sites["nodule"])
    models = [site_lesion_model(spec, case_id, k, "nodule") for k in range(n)]
    view = first_view(spec)
    pixel = float(view.panel.pitch[0])
    sides = [class_roi_px(nodule_size_class(m.size_mm), pixel) * pixel for m in models]
    try:
        present, lesions = place_nodule_sites(phantom, models,
                                              case_rng(spec.seed, case_id, "placement"),
                                              view=view, roi_side_mm=sides)
    except ValueError as exc:
        raise SiteLayoutError(f"case {case_id}: {exc}") from None
    box = site_box_mm("nodule", spec)
    centres = [tuple(float(v) for v in lesion.center_mm) for lesion in lesions]
    sites = ([Site("nodule", "nodule", c, box) for c in centres]
             + [Site("absent", "nodule", c, box) for c in centres])
    preset = get_preset(spec.preset)
    return (preset.apply(phantom), preset.apply(present), sites,
            [f"s{k}" for k in range(2 * n)], list(lesions))


@dataclass(frozen=True)
class RoiPlan:
    """Where one site is read in one modality.

    ``size_px``: ROI ``(ny, nx)`` or VOI ``(nz, ny, nx)``; ``grid``: the VOI's grid (DBT) or
    None; ``region``: the box a lesion-local acquisition simulates for it.
    """

    name: str
    site: object
    size_px: tuple
    region: object
    grid: object = None
    shift_px: tuple = ()
    center_index: tuple = ()


def _slab(spec_phantom_meta: dict, system):
    support = float(system.geometry.breast_support_mm)
    return support, float(spec_phantom_meta["thickness_mm"])


def plan_rois(spec: TrialSpec, modality, phantom, sites, names) -> list[RoiPlan]:
    """One :class:`RoiPlan` per site for ``modality`` (full-field geometry of its system)."""
    from victwin.acquisition import Region
    from victwin.geometry import Grid
    from victwin.recon import dbt_grid
    from victwin.systems import load

    system = load(modality.system)
    views = system.views(spec.resolution.detector_binning)
    meta = phantom.meta or {}
    breast = system.scan != "radiography" and "thickness_mm" in meta
    if breast:
        support, thickness = _slab(meta, system)
        z_lo, z_hi = support, support + thickness
    plans = []
    if modality.reconstruction:
        grid = dbt_grid(views, thickness, support_mm=support,
                        slice_mm=modality.reconstruction.get("slice_mm", 1.0))
    for name, site in zip(names, sites):
        if modality.reconstruction:
            idx = np.rint(grid.world_to_index(site.center_mm)).astype(int)
            size_xy = _roi_px(site.roi_kind, grid.spacing[2], spec)
            size = (min(voi_slices(site.roi_kind), grid.shape[0]), size_xy, size_xy)
            center = np.asarray(_fit_center(idx, size, grid.shape))
            first = center - (np.asarray(size) - 1) // 2
            origin = grid.index_to_world(first)
            voi = Grid(shape=size, spacing=grid.spacing, origin=tuple(float(v) for v in origin))
            half = np.asarray(grid.spacing_xyz) / 2
            lower = np.asarray(voi.origin) - half
            upper = np.asarray(voi.index_to_world(np.asarray(size) - 1)) + half
            plans_kw = {"grid": voi, "shift_px": tuple(int(a - b) for a, b in zip(center, idx)),
                        "center_index": tuple(int(v) for v in center)}
        else:
            pixel = views[0].panel.pitch[0]
            n = _roi_px(site.roi_kind, pixel, spec)
            size = (n, n)
            # a box of the ROI's side around the centre: its projection (magnified) covers
            # the ROI's pixels around the centre's projection
            c = np.asarray(site.center_mm, float)
            lower = c - np.array([n * pixel / 2, n * pixel / 2, 0.5])
            upper = c + np.array([n * pixel / 2, n * pixel / 2, 0.5])
            plans_kw = {}
        if breast:   # the box must lie in the compressed breast (the top slice may reach out)
            lower[2], upper[2] = max(lower[2], z_lo), min(upper[2], z_hi)
        region = Region(tuple(float(v) for v in lower), tuple(float(v) for v in upper))
        plans.append(RoiPlan(name=name, site=site, size_px=tuple(int(s) for s in size),
                             region=region, **plans_kw))
    return plans


def cut_roi(acq, plan: RoiPlan, modality, *, backend="auto", volume=None, grid=None):
    """The ROI / VOI of ``plan`` from an acquisition (full field or the plan's region).

    Returns ``(array, record)``; ``record`` is JSON-ready (centre index in the image or the
    full reconstruction grid, size, pitch, shift).
    """
    from victwin.readers import extract_rois

    if plan.grid is None:                       # a projection image (DM, chest)
        view = acq.views[0]
        image = acq.line_integrals()[0]
        j, i = view.project(plan.site.center_mm)
        at = (int(round(j)), int(round(i)))
        center = _fit_center(at, plan.size_px, image.shape)
        roi = extract_rois(image, [center], size_px=plan.size_px)[0]
        offset = (0, 0) if acq.region is None else acq.region.offsets[0]
        record = {"center_index": [int(c + o) for c, o in zip(center, offset)],
                  "size_px": list(plan.size_px), "pixel_mm": view.panel.pitch[0],
                  "shift_px": [a - b for a, b in zip(center, at)]}
        return roi, record
    if volume is not None:                      # the full volume: crop it
        first = np.rint(grid.world_to_index(plan.grid.origin)).astype(int)
        sl = tuple(slice(int(f), int(f) + s) for f, s in zip(first, plan.size_px))
        roi = volume[sl]
        roi = roi.get() if not isinstance(roi, np.ndarray) else roi   # a volume on the GPU
        roi = np.ascontiguousarray(roi, dtype=np.float32)
    else:                                       # lesion-local: FBP of the VOI alone
        from victwin.recon import reconstruct

        from victwin._backend import get_cupy, resolve_backend

        recon = modality.reconstruction
        tech = acq.technique
        # backend "cuda" with CuPy: the strip is laid out on the GPU and only the VOI returns
        cp = get_cupy() if resolve_backend(backend) == "cuda" else None
        p, views = acq.reconstruction_input(xp=cp)
        roi = reconstruct(p, views, plan.grid, method=recon["method"], input="line_integrals",
                          thickness_mm=float(tech.compressed_thickness_mm),
                          support_mm=float(tech.sid_mm - tech.source_to_breast_mm),
                          backend=backend, progress=False)
        roi = np.asarray(roi.get() if cp is not None else roi, dtype=np.float32)
    record = {"center_index": list(plan.center_index), "size_px": list(plan.size_px),
              "voxel_mm": list(plan.grid.spacing), "shift_px": list(plan.shift_px)}
    return roi, record
