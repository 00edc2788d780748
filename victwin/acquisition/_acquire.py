"""``acquire``: simulate an imaging system's acquisition of a phantom.

The pipeline: input checks; the beam, built once (:mod:`._beam`); the system's views traced
through the phantom's label volume a batch at a time (exact path lengths per label,
``rays_per_pixel x rays_per_pixel`` sub-pixel rays for the pixel aperture); each view turned
into images by the pure per-view step :func:`._view.simulate_view` (polyenergetic primary,
convolution scatter, anti-scatter grid, detector with quantum and electronic noise, 14-bit
readout); then the technique and dose records. Every view draws its noise from its own
stream, seeded by (seed, case, system name, view index), so any view can be re-run alone and
gives the same bytes.

With ``region=`` (a :class:`~._region.Region`, the box a reader's ROI/VOI needs) the run is
lesion-local: each view simulates only the pixels of its sub-panel (:func:`._region.plan_region`),
its scatter comes from a coarse full-field pass (:mod:`._coarse`), the beam (AEC) and dose
are the full field's (they never depend on pixels), and each view's noise stream is seeded by
(seed, case, system, view, region) (:func:`._region.region_noise`).
"""

from __future__ import annotations

import dataclasses
import time
from types import SimpleNamespace

import numpy as np

from victwin._checks import check_seed
from victwin._backend import get_cupy, resolve_backend
from victwin.physics import scatter_path_labels

from ._beam import build_beam, phantom_glandularity, phantom_thickness_mm
from ._dose import dose_record
from ._records import Acquisition, Technique
from ._region import plan_region, region_noise
from ._view import _blur_sub_views, _check_views, simulate_view, view_noise

__all__ = ["acquire"]


def _check_phantom(phantom) -> tuple[dict, int]:
    for attr in ("labels", "grid", "materials"):
        if not hasattr(phantom, attr):
            raise TypeError(f"phantom must have .labels, .grid and .materials; missing {attr!r}")
    labels = phantom.labels
    if not hasattr(labels, "dtype") or labels.dtype != np.uint8 or labels.ndim != 3:
        raise ValueError("phantom.labels must be a uint8 array [z, y, x]")
    materials = {int(k): str(v) for k, v in dict(phantom.materials).items()}
    # the label count is the table's (every label it names, present or not) unless a voxel
    # holds a larger label: a window whose unreached voxels are left unlabelled
    # (``PreparedBreast.window_set(reach=)``) traces with as many label planes as the whole
    # window would, hence the same path-length arrays and sums
    top = int(labels.max()) if labels.size else 0
    n_labels = max([top] + [k for k in materials if k >= 0]) + 1
    # only labels without a material need a presence check (a full-volume bincount costs
    # ~10 s on a 0.1 mm phantom on a loaded 2-core machine); labels may be a CuPy array
    missing = [lab for lab in range(n_labels)
               if lab not in materials and bool((labels == lab).any())]
    if missing:
        raise ValueError(f"phantom.materials has no material for label(s) {missing}")
    return materials, n_labels


def stage_devices(target: str, *, lesion_local: bool = False) -> dict:
    """Where each stage of an acquisition runs for the resolved backend ``target``.

    ``"cuda"``: on the GPU with CuPy arrays; ``"cuda (NumPy stand-in)"``: the CUDA code path
    with NumPy arrays (numba's simulator, where CuPy is absent); ``"cpu"``. On ``"cuda"``
    every stage runs on the GPU (:mod:`._gpu_view`), with counter-based noise, except the
    0.5 mm steps of the display processing (and a lesion-local run's coarse scatter pass),
    which run on the CPU and say so.
    """
    if target != "cuda":
        return {s: "cpu" for s in ("raytrace", "primary", "physics", "scatter", "detector",
                                   "noise", "readout", "presentation")}
    from ._gpu_view import stage_devices_cuda

    return stage_devices_cuda(get_cupy() is not None, lesion_local=lesion_local)


def _view_step(target: str):
    """The per-view step: ``._view.simulate_view`` on the CPU, ``._gpu_view``'s (same
    signature and result) on ``"cuda"``."""
    if target == "cuda":
        from ._gpu_view import simulate_view_gpu

        return simulate_view_gpu
    return simulate_view


def _on_device(phantom):
    """A view of ``phantom`` whose labels are on the GPU (unchanged without CuPy)."""
    cp = get_cupy()
    if cp is None or type(phantom.labels).__module__.split(".")[0] == "cupy":
        return phantom
    return SimpleNamespace(labels=cp.asarray(phantom.labels), grid=phantom.grid,
                           materials=phantom.materials, meta=getattr(phantom, "meta", {}))


def _check_int(name: str, value, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def _technique(system, views, indices, beam, thickness, k_bin, rpp) -> Technique:
    g = system.geometry
    support = 0.0 if system.scan == "radiography" else g.breast_support_mm
    sid = g.sid_mm
    to_support = sid - support
    to_entrance = to_support - thickness
    mid = to_support - thickness / 2.0
    angles = system.angles_deg()
    return Technique(kvp=beam.kvp, anode=beam.anode, filters=tuple(beam.filters),
                     mas_per_view=tuple(beam.mas_per_view for _ in indices),
                     mas_total=beam.mas_total, hvl_mm_al=beam.hvl_mm_al, sid_mm=float(sid),
                     source_to_breast_mm=float(to_support),
                     source_to_entrance_mm=float(to_entrance),
                     magnification=float(sid / mid) if mid > 0 else float("nan"),
                     compressed_thickness_mm=float(thickness),
                     angles_deg=tuple(float(angles[i]) for i in indices),
                     exposure_control=beam.exposure_control,
                     focal_spot_mm=float(g.focal_spot_mm), grid=system.grid is not None,
                     grid_primary_transmission=beam.grid_primary,
                     grid_scatter_transmission=beam.grid_scatter,
                     pixel_spacing_mm=float(views[0].panel.pitch[1]), binning=int(k_bin),
                     rays_per_pixel=int(rpp), dose_scale=beam.dose_scale)


def acquire(phantom, system, *, seed: int, case: int = 0, backend: str = "auto",
            mas: float | None = None, kvp: float | None = None, dose_scale: float = 1.0,
            binning: int | None = None, rays_per_pixel: int | None = None,
            scatter: bool = True, noise: bool = True, views=None, region=None,
            progress: bool = True, presentation: bool = True) -> Acquisition:
    """Simulate one acquisition of ``phantom`` on ``system``.

    Parameters
    ----------
    phantom : Phantom-like
        Has ``labels`` (uint8 ``[z, y, x]``), ``grid`` (Grid), ``materials`` (label -> material
        name) and ``meta`` (``thickness_mm``, ``glandular_fraction_mass``, ...).
    system : str, path or System
        A system name (``victwin.systems.available()``), a TOML path, or a loaded System.
    seed : int
        Seed of the noise streams (>= 0).
    case : int
        Case index mixed into the noise streams (>= 0).
    backend : {"auto", "cpu", "cuda"}
        ``"cuda"``: the labels are uploaded once (or used where they are, if CuPy), and every
        view is traced, turned into its primary, scatter, noisy detector signal, raw and
        processed images on the GPU; only the record's images come back
        (:func:`stage_devices`; recorded in ``Acquisition.devices``). The noise then comes
        from a counter-based generator keyed by the view's stream: other values than the
        CPU's, the same statistics.
    mas : float, mAs, optional
        Total mAs of the scan (split evenly over its views); default from the system's AEC
        table (mammography) or its fixed technique.
    kvp : float, kV, optional
        Override the tube voltage (default: AEC or the system's).
    dose_scale : float
        Multiplies the mAs the technique would otherwise have (> 0; e.g. 0.5 for a half-dose
        arm that keeps the AEC's choice of kVp and filter).
    binning : int, optional
        Detector binning (default the system's).
    rays_per_pixel : int, optional
        Sub-pixel rays per axis for the aperture (default the system's).
    scatter : bool
        Add scatter (if the system has a scatter model).
    noise : bool
        Add quantum and electronic noise (False: expected values, for tests and MTF).
    views : sequence of int, optional
        Simulate only these view indices (noise streams are the same as in a full run).
    region : Region, optional
        Lesion-local run: simulate only the pixels each view needs for this box (mm; see
        :class:`victwin.acquisition.Region`). Images are then the crops, ``views`` their
        sub-panels and ``.region`` records where they lie in the full panel; line integrals
        equal the full field's crop (noise-free) and have its noise statistics. The box must
        project inside the detector in every view and lie inside the compressed breast.
    progress : bool
        Show a progress bar over views.
    presentation : bool
        Compute the for-presentation images (False: ``processed`` is zeros and ``windows``
        NaN; ``raw``, ``line_integrals()`` and reconstruction are unchanged).

    Returns
    -------
    Acquisition
        On the CPU its bytes depend only on the inputs, not on the number of BLAS, OpenMP or
        numba threads (``OPENBLAS_NUM_THREADS``, ``NUMBA_NUM_THREADS``, the machine's cores):
        no per-pixel sum runs through BLAS (the few left are 1-D dot products and 3-vector
        products OpenBLAS runs on one thread), and every threaded kernel sums each output in
        a fixed order (``tests/acquisition/test_thread_determinism.py``; NOTES.md,
        thread-count determinism). The same holds for :func:`acquire_regions`.
    """
    shared, seed, case = _prepare(phantom, system, seed=seed, case=case, mas=mas, kvp=kvp,
                                  dose_scale=dose_scale, binning=binning,
                                  rays_per_pixel=rays_per_pixel, views=views)
    return _run(phantom, shared, seed=seed, case=case, backend=backend, scatter=scatter,
                noise=noise, region=region, progress=progress, presentation=presentation)


def _prepare(phantom, system, *, seed, case, mas, kvp, dose_scale, binning, rays_per_pixel,
             views):
    """Checked inputs and the beam: everything an acquisition needs before its region."""
    from victwin.systems import load

    system = load(system)
    materials, n_labels = _check_phantom(phantom)
    seed = check_seed(seed)
    case = _check_int("case", case, 0)
    k_bin = system.geometry.binning if binning is None else _check_int("binning", binning, 1)
    rpp = system.rays_per_pixel if rays_per_pixel is None else _check_int(
        "rays_per_pixel", rays_per_pixel, 1)
    all_views = tuple(system.views(k_bin))
    indices = _check_views(len(all_views), views)
    t0 = time.perf_counter()
    beam = build_beam(system, phantom, mas=mas, kvp=kvp, dose_scale=dose_scale)
    shared = _Shared(system=system, materials=materials, n_labels=n_labels, k_bin=k_bin,
                     rpp=rpp, indices=indices, beam=beam, beam_s=time.perf_counter() - t0,
                     all_views=all_views, thickness_mm=phantom_thickness_mm(phantom))
    return shared, seed, case


@dataclasses.dataclass(eq=False)
class _Shared:
    """What an acquisition computes before it looks at the region: checked inputs, the beam
    (AEC), and (``acquire_regions``) the coarse scatter pass of those views."""

    system: object
    materials: dict
    n_labels: int
    k_bin: int
    rpp: int
    indices: list
    beam: object
    beam_s: float
    all_views: tuple = ()
    coarse: object = None
    thickness_mm: float = 0.0   # phantom_thickness_mm(phantom), computed once per acquisition


def _plan(phantom, shared: _Shared, region):
    """The region's sub-views and record for the shared run's views (one-line errors)."""
    system, indices, all_views = shared.system, shared.indices, shared.all_views
    # radiography records no body placement along z: only the detector rule applies
    support = None if system.scan == "radiography" else system.geometry.breast_support_mm
    # the plan sees the whole scan, so a view's crop does not depend on which are run
    sub_views, record = plan_region(region, all_views, system,
                                    thickness_mm=shared.thickness_mm, support_mm=support)
    record = dataclasses.replace(record, offsets=tuple(record.offsets[i] for i in indices))
    return tuple(sub_views[i] for i in indices), record


def _run(phantom, shared: _Shared, *, seed: int, case: int, backend: str, scatter: bool,
         noise: bool, region, progress: bool, window=None, coarse_phantom=None,
         presentation: bool = True, tiles=None) -> Acquisition:
    """One acquisition; ``phantom`` gives the meta (thickness, glandularity) the records
    read, ``window`` (default ``phantom``) the labels the region's rays are traced through,
    ``coarse_phantom`` (default ``phantom``) those of the coarse full-field pass."""
    from victwin.raytrace import iter_project_labels

    system, n_labels, k_bin, rpp = shared.system, shared.n_labels, shared.k_bin, shared.rpp
    materials, indices, beam = shared.materials, shared.indices, shared.beam
    all_views = shared.all_views
    sel_views = tuple(all_views[i] for i in indices)
    thickness = shared.thickness_mm
    record = None
    if region is not None:
        sel_views, record = _plan(phantom, shared, region)

    target = resolve_backend(backend)
    devices = stage_devices(target, lesion_local=record is not None)
    simulate_view = _view_step(target)
    window = phantom if window is None else window
    coarse_phantom = phantom if coarse_phantom is None else coarse_phantom
    if target == "cuda":
        # the labels go to the GPU once (a CuPy phantom stays where it is); every pass below
        # (coarse scatter, all views) traces from them and the path lengths stay there
        window, coarse_phantom = _on_device(window), _on_device(coarse_phantom)

    label_materials = [materials.get(lab, "air") for lab in range(n_labels)]
    # the scatter model's path: non-air labels, weighted by density if the system asks
    tissue_labels, tissue_weights = scatter_path_labels(system.scatter, label_materials)
    timings = {"raytrace": 0.0, "physics": shared.beam_s, "scatter": 0.0, "detector": 0.0}
    crop_scatter = fill = None
    with_scatter = scatter and system.scatter is not None
    multi = len(all_views) > 1
    if record is not None and (with_scatter or multi):
        from ._coarse import coarse_pass, fill_band, sample_scatter

        t_c = time.perf_counter()
        if shared.coarse is None:
            shared.coarse = coarse_pass(coarse_phantom, [all_views[i] for i in indices],
                                        indices,
                                        beam, system, label_materials=label_materials,
                                        tissue_labels=tissue_labels, n_labels=n_labels,
                                        tissue_weights=tissue_weights,
                                        rays_per_pixel=rpp, backend=target,
                                        with_scatter=with_scatter)
        if with_scatter:
            crop_scatter = sample_scatter(shared.coarse, record, indices)
        if multi:  # DBT: the far field the reconstruction strip is filled with
            fill, block = fill_band(shared.coarse, record, indices)
            record = dataclasses.replace(record, fill_block=block)
        timings["coarse_scatter"] = time.perf_counter() - t_c

    nv, nu = sel_views[0].panel.shape
    raw = np.empty((len(sel_views), nv, nu), np.uint16)
    processed = np.empty_like(raw)
    flats = np.empty(raw.shape, np.float32)
    windows = []
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=len(sel_views), desc=f"acquire {system.name}", unit="view")
    subs = _blur_sub_views(system, sel_views)
    n_sub = 1 if subs is None else len(subs[0])
    trace_views = sel_views if subs is None else tuple(v for s in subs for v, _ in s)
    t_ray = time.perf_counter()
    if tiles:   # finer lesion tiles set into the window (victwin.raytrace._tiles)
        from victwin.raytrace import iter_project_labels_tiled

        batches = iter_project_labels_tiled(window.labels, window.grid,
                                            [(t.labels, t.grid) for t in tiles], trace_views,
                                            n_labels, backend=target, rays_per_pixel=rpp,
                                            view_batch=n_sub)
    else:
        batches = iter_project_labels(window.labels, window.grid, trace_views, n_labels,
                                      backend=target, rays_per_pixel=rpp, view_batch=n_sub)
    for sl, paths in batches:
        # CuPy paths stay on the GPU: simulate_view computes the primary there. Kernels run
        # asynchronously: wait for them, so that "raytrace" holds their time, not "physics"
        if type(paths).__module__.split(".")[0] == "cupy":
            get_cupy().cuda.runtime.deviceSynchronize()
        timings["raytrace"] += time.perf_counter() - t_ray
        for b, vi in enumerate(range(sl.start // n_sub, sl.stop // n_sub)):
            if not noise:
                rng = None
            elif record is None:
                rng = view_noise(seed, case, system.name, indices[vi])
            else:
                rng = region_noise(seed, case, system.name, indices[vi], record.region)
            blur_paths = None if subs is None else [
                (paths[b * n_sub + k], v, w) for k, (v, w) in enumerate(subs[vi])]
            image = simulate_view(paths[b * n_sub], sel_views[vi], beam, system,
                                  label_materials=label_materials,
                                  tissue_labels=tissue_labels, binning=k_bin, rng=rng,
                                  tissue_weights=tissue_weights,
                                  scatter=scatter, blur_paths=blur_paths,
                                  scatter_kev=None if crop_scatter is None else crop_scatter[vi],
                                  presentation=presentation)
            raw[vi], processed[vi], flats[vi] = image.raw, image.processed, image.flat_adu
            windows.append(image.window)
            for stage, seconds in image.timings_s.items():
                timings[stage] = timings.get(stage, 0.0) + seconds
            if bar is not None:
                bar.update(1)
        t_ray = time.perf_counter()
    if bar is not None:
        bar.close()

    technique = _technique(system, sel_views, indices, beam, thickness, k_bin, rpp)
    dose = dose_record(system, technique, sel_views, beam, phantom_glandularity(phantom))
    det = system.detector
    return Acquisition(raw=raw, processed=processed, windows=tuple(windows), views=sel_views,
                       technique=technique, dose=dose, system=system.name,
                       modality=system.modality, scan=system.scan, seed=seed, case=case,
                       detector={"kind": det.kind, "material": det.material,
                                 "thickness_mm": det.thickness_mm, "bits": det.bits,
                                 "offset_adu": det.offset_adu,
                                 "gain_adu_per_e": det.gain_adu_per_e,
                                 "pitch_mm": det.pitch_mm * k_bin},
                       timings_s=timings, flat_adu=flats, view_indices=tuple(indices),
                       region=record, strip_fill=fill, devices=devices)


def acquire_regions(phantom, system, regions, *, seed: int, case: int = 0, windows=None,
                    coarse_phantom=None, tiles=None, **kwargs) -> list[Acquisition]:
    """Simulate several lesion-local regions of one phantom on one system.

    Equal, byte for byte, to ``[acquire(phantom, system, seed=seed, case=case, region=r,
    **kwargs) for r in regions]``, but what does not depend on the region is done once:
    the input checks, the beam (AEC) and the coarse full-field scatter pass
    (:mod:`._coarse`). The first acquisition's ``timings_s`` carry those shared costs
    (``"physics"`` the beam, ``"coarse_scatter"`` the pass); the others only their own.

    With ``windows`` and ``coarse_phantom`` the full fine phantom is never needed: region
    ``k``'s rays are traced through ``windows[k]`` (a window of the fine phantom holding the
    region's :func:`~victwin.acquisition.region_support`, e.g. ``victwin.phantom.make(...,
    window_mm=)``: same voxels there, so the same line integrals) and the coarse full-field
    pass (scatter, DBT strip fill) through ``coarse_phantom`` (e.g. the twin made at coarse
    voxels). The beam (AEC) and dose read only ``phantom.meta`` (thickness and glandular
    fraction by mass; the ``victre`` systems' AEC reads the thickness alone,
    ``mode = "mcgpu_histories"``, the ``mammomat`` ones both, ``detector_kerma``), never the
    labels, so they are the full field's when ``phantom`` carries the full phantom's meta
    (a window does).

    Parameters
    ----------
    phantom, system, seed, case, kwargs
        As :func:`acquire` (``region`` is not accepted here).
    regions : sequence of Region
        The boxes (mm) to simulate; at least one.
    windows : sequence of Phantom-like, optional
        One per region: the phantom its rays are traced through (default ``phantom``). Each
        must carry ``phantom``'s thickness and glandular fraction in its meta; one with
        ``meta["window"]`` (``index``, ``full_shape``) is checked to hold the region's support.
    coarse_phantom : Phantom-like, optional
        The phantom of the coarse full-field pass (default ``phantom``); same thickness.
    tiles : sequence of (sequence of Phantom-like or None), optional
        One entry per region: finer label tiles (e.g. a lesion box rasterised at 0.05 mm in a
        0.1 mm window) that replace their boxes of the region's window (or ``phantom``) in
        the region's trace; each box must lie on that grid's voxel boundaries, and each
        tile number its materials as ``phantom`` does (issue 14 item 5;
        :func:`victwin.raytrace.iter_project_labels_tiled`, CPU or CUDA); the coarse
        full-field pass does not see them.

    Returns
    -------
    list of Acquisition
        One per region, in the order given.
    """
    if "region" in kwargs:
        raise ValueError("acquire_regions takes regions=[...], not region=")
    regions = list(regions)
    if not regions:
        raise ValueError("regions is empty: give at least one Region")
    from ._region import Region

    for k, r in enumerate(regions):
        if not isinstance(r, Region):
            raise TypeError(f"regions[{k}] must be a victwin.acquisition.Region, got "
                            f"{type(r).__name__}")
    own = {k: kwargs.pop(k) for k in ("backend", "scatter", "noise", "progress", "presentation")
           if k in kwargs}
    prep = {k: kwargs.pop(k) for k in ("mas", "kvp", "dose_scale", "binning",
                                       "rays_per_pixel", "views") if k in kwargs}
    if kwargs:
        raise TypeError(f"acquire_regions got unexpected keyword argument(s) {sorted(kwargs)}")
    defaults = {"mas": None, "kvp": None, "dose_scale": 1.0, "binning": None,
                "rays_per_pixel": None, "views": None}
    shared, seed, case = _prepare(phantom, system, seed=seed, case=case,
                                  **{**defaults, **prep})
    windows = _check_windows(phantom, windows, len(regions), shared)
    tiles = _check_tiles(phantom, tiles, len(regions), shared)
    if coarse_phantom is not None:
        # measured glandular fractions differ at coarse voxels; the beam reads phantom's
        shared.n_labels = max(shared.n_labels, _check_other(
            phantom, coarse_phantom, "coarse_phantom", keys=("thickness_mm",)))
    for k, r in enumerate(regions):  # every region's rules checked before any work is done
        _plan(phantom, shared, r)
        if windows is not None:
            _check_support(phantom, windows[k], r, shared, k)
    run_kw = {"backend": "auto", "scatter": True, "noise": True, "progress": True, **own}
    if resolve_backend(run_kw["backend"]) == "cuda":
        phantom = _on_device(phantom)   # uploaded once for all regions, not once per region
        if coarse_phantom is not None:
            coarse_phantom = _on_device(coarse_phantom)
    out = []
    for k, r in enumerate(regions):
        out.append(_run(phantom, shared, seed=seed, case=case, region=r,
                        window=None if windows is None else windows[k],
                        coarse_phantom=coarse_phantom, tiles=tiles[k], **run_kw))
        shared.beam_s = 0.0  # counted once, in the first region's timings
    return out


def _check_other(phantom, other, name: str,
                 keys=("thickness_mm", "glandular_fraction_mass")) -> int:
    """``other`` is a phantom of the same twin as ``phantom`` (same ``keys`` in its meta, a
    material for each label): its label count."""
    try:
        _, n = _check_phantom(other)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: {exc}") from None
    mine, theirs = getattr(phantom, "meta", {}) or {}, getattr(other, "meta", {}) or {}
    for key in keys:
        if key in mine and mine.get(key) != theirs.get(key):
            raise ValueError(f"{name} is not of the same twin: meta[{key!r}] is "
                             f"{theirs.get(key)!r}, the phantom's {mine[key]!r}")
    return n


def _check_windows(phantom, windows, n_regions: int, shared: _Shared):
    if windows is None:
        return None
    windows = list(windows)
    if len(windows) != n_regions:
        raise ValueError(f"windows must give one phantom per region: {len(windows)} windows "
                         f"for {n_regions} regions")
    table = dict(getattr(phantom, "materials", {}) or {})
    for k, w in enumerate(windows):
        shared.n_labels = max(shared.n_labels, _check_other(phantom, w, f"windows[{k}]"))
        # one attenuation table serves every window: a label must name one material in all
        differ = {int(lab): (name, table.get(lab)) for lab, name in w.materials.items()
                  if table.get(lab) != name}
        if differ:
            lab, (name, first) = next(iter(sorted(differ.items())))
            raise ValueError(f"windows[{k}] labels its materials differently from the phantom: "
                             f"label {lab} is {name!r} there, {first!r} in the phantom (number "
                             f"the labels of every window as in the whole twin)")
    return windows


def _check_tiles(phantom, tiles, n_regions: int, shared: _Shared) -> list:
    """One list of tiles (or None) per region, each numbering its materials as ``phantom``."""
    if tiles is None:
        return [None] * n_regions
    tiles = list(tiles)
    if len(tiles) != n_regions:
        raise ValueError(f"tiles must give one list (or None) per region: {len(tiles)} for "
                         f"{n_regions} regions")
    table = dict(getattr(phantom, "materials", {}) or {})
    for k, ts in enumerate(tiles):
        for j, t in enumerate(ts or ()):
            name = f"tiles[{k}][{j}]"
            shared.n_labels = max(shared.n_labels, _check_other(phantom, t, name, keys=()))
            differ = {int(lab): (m, table.get(lab)) for lab, m in t.materials.items()
                      if table.get(lab) != m}
            if differ:
                lab, (m, first) = next(iter(sorted(differ.items())))
                raise ValueError(f"{name} labels its materials differently from the phantom: "
                                 f"label {lab} is {m!r} there, {first!r} in the phantom")
    return [list(ts) if ts else None for ts in tiles]


def _check_support(phantom, window, region, shared: _Shared, k: int) -> None:
    """A window that says where it lies in its full phantom must hold the region's support."""
    info = (getattr(window, "meta", {}) or {}).get("window")
    if not info:
        return
    from victwin.geometry import Grid

    from ._support import region_support

    g = window.grid
    index = np.asarray(info["index"], int)
    full = Grid(shape=tuple(int(v) for v in info["full_shape"]), spacing=g.spacing,
                origin=tuple(np.asarray(g.origin) - index[::-1] * g.spacing_xyz))
    sup = region_support(region, shared.system, thickness_mm=shared.thickness_mm,
                         grid=full, binning=shared.k_bin, views=shared.indices)
    lo, hi = index, index + np.asarray(window.labels.shape)
    if np.any(np.asarray(sup.index_lower) < lo) or np.any(np.asarray(sup.index_upper) > hi):
        raise ValueError(f"windows[{k}] does not hold region {k}'s support: voxels "
                         f"{list(sup.index_lower)}..{list(sup.index_upper)} (z, y, x) of the "
                         f"full grid, the window has {lo.tolist()}..{hi.tolist()}")
