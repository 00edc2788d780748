"""``reconstruct``: one entry point for every DBT reconstruction method."""

from __future__ import annotations

import enum

import numpy as np

from victwin._backend import get_cupy, resolve_backend
from victwin.geometry import Grid

from ._analytic import fbp, object_slab, sbp
from ._iterative import algebraic
from ._ops import INPUTS, SlabOperator, array_module, to_line_integrals
from ._scan import as_views, dbt_grid, scan_info

__all__ = ["reconstruct", "Method"]


class Method(str, enum.Enum):
    """Reconstruction methods."""

    FBP = "fbp"
    SBP = "sbp"
    SART = "sart"
    SIRT = "sirt"


_OPTIONS = {
    Method.FBP: {"window": "hann", "cutoff": 1.0, "order": 4, "dc": 1.0,
                 "slice_thickness_mm": "auto"},
    Method.SBP: {},
    Method.SART: {"n_iter": 5, "n_subsets": None, "relaxation": 1.0, "tol": None,
                  "nonneg": True, "x0": None, "callback": None},
    Method.SIRT: {"n_iter": 50, "relaxation": 1.0, "tol": None, "nonneg": True, "x0": None,
                  "callback": None},
}


def _method(value) -> Method:
    try:
        return Method(str(getattr(value, "value", value)).lower())
    except ValueError:
        valid = ", ".join(repr(m.value) for m in Method)
        raise ValueError(f"method must be one of {valid}, got {value!r}") from None


def reconstruct(projections, views, grid: Grid | None = None, method="fbp", *, input=None,
                flat=None, thickness_mm: float | None = None, support_mm: float = 20.0,
                backend="auto", progress: bool = True, slab_voxels: int | None = None,
                **options):
    """Reconstruct a tomosynthesis scan (fixed detector, moving source) on a voxel grid.

    Parameters
    ----------
    projections : float array ``[n_views, nv, nu]`` (NumPy or CuPy)
        One image per view, of the kind named by ``input``.
    views : sequence of View
        The scan; every view shares one detector (``FlatPanel``).
    grid : Grid, optional
        Output grid. Default :func:`dbt_grid` ``(views, thickness_mm, support_mm=...)``:
        detector pitch demagnified to the support in-plane, 1 mm slices over the thickness.
    method : {"fbp", "sbp", "sart", "sirt"}
        ``"fbp"``: filtered backprojection (ramp with low-frequency floor, Hann or Butterworth
        apodisation and slice-thickness filter along the scan direction); ``"sbp"``: normalised
        simple backprojection (shift-and-add baseline); ``"sart"``: ordered-subsets SART;
        ``"sirt"``: SIRT.
    input : {"line_integrals", "transmission", "intensity"}, optional
        What ``projections`` hold: line integrals ``-ln(I/I0)`` (dimensionless), transmissions
        ``I/I0``, or raw intensities to be divided by ``flat``. Default: ``"intensity"`` when
        ``flat`` is given, else ``"line_integrals"``.
    flat : float or array ``[nv, nu]`` or ``[n_views, nv, nu]``, optional
        Unattenuated signal (flat field) for ``input="intensity"``.
    thickness_mm : float, mm
        Compressed thickness: with ``support_mm`` it defines the object slab (heights
        ``support_mm`` to ``support_mm + thickness_mm`` above the detector) that FBP and SBP
        normalise by, and the default grid. Without it the grid is taken to be the whole
        object slab: give it whenever the grid is a sub-region (a VOI, a slab, one slice).
    support_mm : float, mm
        Breast-support height above the detector (VICTRE: 20 mm).
    backend : {"auto", "cpu", "cuda"}
        Where the reconstruction runs. ``"cuda"`` (with CuPy) runs FBP and SBP wholly on the
        GPU, the filtering by CuPy FFTs included, uploading NumPy projections once and
        returning only the volume on ``grid`` (a VOI when ``grid`` is one); SART and SIRT
        trace on the GPU. CuPy arrays in give CuPy arrays out, NumPy in gives NumPy out
        (with CuPy projections and ``"cpu"``, the filtering still runs on the GPU with CuPy
        and only the backprojection on the CPU). Under numba's CUDA simulator (no CuPy) the
        same path runs with NumPy arrays and SciPy FFTs.
    progress : bool
        Show tqdm progress bars.
    slab_voxels : int, optional
        SART and SIRT: largest z-slab handed to the ray tracer at once (memory bound; default
        2**24 voxels).
    **options
        ``fbp``: ``window`` ("hann", "butterworth", "none"; default "hann"), ``cutoff``
        (fraction of the detector Nyquist, default 1.0), ``order`` (Butterworth, 4), ``dc``
        (low-frequency floor, 1.0), ``slice_thickness_mm`` ("auto" = slice spacing, a number,
        or None for off). ``sart``: ``n_iter`` (5), ``n_subsets`` (default: one view per
        subset), ``relaxation`` (1.0), ``tol`` (stop when the relative residual changes by
        less, None), ``nonneg`` (True), ``x0`` (start volume, default zeros), ``callback``
        (``f(iteration, volume, relative_residual)`` after each iteration). ``sirt``: as
        ``sart`` without ``n_subsets``, ``n_iter`` default 50. ``iterations`` is accepted as
        an alias of ``n_iter``.

    Returns
    -------
    float32 array ``[z, y, x]`` on ``grid``, 1/mm
        Same device as ``projections``.

    Notes
    -----
    SBP and FBP divide each ray by its length through the object slab, filter (FBP) and take
    at each voxel the mean over the views of the interpolated value at its projection, so a
    uniform slab filling the object reconstructs to its attenuation coefficient and any
    sub-grid gives the crop of the full-grid result (see ``victwin.recon._analytic``). The
    iterative methods solve ``A x = p`` in the least-squares sense weighted by ``1 / (A 1)``,
    with ``x >= 0`` when ``nonneg``, through the exact ray-driven pair; they need the whole
    support (the default grid's extent) and refuse a sub-grid.
    """
    views = as_views(views)
    m = _method(method)
    allowed = _OPTIONS[m]
    if "iterations" in options and "n_iter" in allowed:  # accepted alias of n_iter
        if "n_iter" in options:
            raise ValueError("give n_iter or its alias iterations, not both")
        options["n_iter"] = options.pop("iterations")
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        names = ", ".join(allowed) or "none"
        raise ValueError(f"unknown option(s) {', '.join(unknown)} for method {m.value!r}; "
                         f"valid: {names}")
    opts = {**allowed, **options}
    if input is None:
        input = "intensity" if flat is not None else "line_integrals"
    if input not in INPUTS:
        raise ValueError(f"input must be one of {', '.join(map(repr, INPUTS))}, got {input!r}")
    if not hasattr(projections, "shape") or not hasattr(projections, "dtype"):
        raise TypeError(f"projections must be a NumPy or CuPy array, got "
                        f"{type(projections).__name__}")
    nv, nu = views[0].panel.shape
    if tuple(projections.shape) != (len(views), nv, nu):
        raise ValueError(f"projections shape {tuple(projections.shape)} does not match the views "
                         f"({len(views)}, {nv}, {nu})")
    scan_info(views)  # one fixed detector, sources on one side
    if grid is None:
        if thickness_mm is None:
            raise ValueError("give grid or thickness_mm (the compressed thickness) for the "
                             "default grid")
        grid = dbt_grid(views, thickness_mm, support_mm=support_mm)
    elif not isinstance(grid, Grid):
        raise TypeError(f"grid must be a victwin.geometry.Grid, got {type(grid).__name__}")
    target = resolve_backend(backend)  # fail early with the backend's own message
    slab = object_slab(views, grid, thickness_mm=thickness_mm, support_mm=support_mm)
    if m in (Method.SART, Method.SIRT) and thickness_mm is not None:
        z0 = float(views[0].panel.center[2])
        _check_whole_support(grid, (z0 + slab[0], z0 + slab[1]), m.value)
    cp = get_cupy()
    # backend "cuda" with host arrays: the projections go up once, every step (filtering by
    # CuPy FFTs, backprojection) runs on the GPU and only the volume on `grid` comes back
    # (FBP and SBP; the iterative methods keep their callers' arrays, as their callbacks do)
    upload = (target == "cuda" and cp is not None and array_module(projections) is np
              and m in (Method.FBP, Method.SBP))
    if upload:
        projections = cp.asarray(projections)
        if flat is not None and not isinstance(flat, (int, float)):
            flat = cp.asarray(flat)
    out = _run(m, projections, views, grid, slab, opts, input=input, flat=flat,
               backend=backend, progress=progress, slab_voxels=slab_voxels)
    return out.get() if upload else out


def _run(m, projections, views, grid, slab, opts, *, input, flat, backend, progress,
         slab_voxels):
    xp = array_module(projections)
    p = to_line_integrals(projections, input=input, flat=flat, xp=xp)
    if m is Method.SBP:
        return sbp(p, views, grid, xp, slab=slab, backend=backend, progress=progress)
    if m is Method.FBP:
        return fbp(p, views, grid, xp, slab=slab, window=opts["window"],
                   cutoff=opts["cutoff"], order=opts["order"], dc=opts["dc"],
                   slice_thickness_mm=opts["slice_thickness_mm"], backend=backend,
                   progress=progress)
    op = SlabOperator(grid, views, backend=backend, slab_voxels=slab_voxels)
    n_subsets = 1 if m is Method.SIRT else (opts["n_subsets"] or len(views))
    return algebraic(p, op, xp, n_subsets=n_subsets, n_iter=opts["n_iter"],
                     relaxation=opts["relaxation"], tol=opts["tol"], nonneg=opts["nonneg"],
                     x0=opts["x0"], callback=opts["callback"], progress=progress,
                     label=m.value)


def _check_whole_support(grid: Grid, slab, method: str) -> None:
    """Iterative methods fit the whole object: refuse a grid that does not span the object
    slab in depth (the in-plane extent is checked against the data in ``_iterative``)."""
    lo, hi = grid.lower_mm, grid.upper_mm
    tol = float(grid.spacing[0])
    if slab is not None and (lo[2] > slab[0] + tol or hi[2] < slab[1] - tol):
        raise ValueError(f"{method} needs a grid over the whole object: the object slab spans "
                         f"z {slab[0]:.1f}..{slab[1]:.1f} mm but the grid {lo[2]:.1f}..{hi[2]:.1f}; "
                         f"iterative methods fit every ray, so a sub-region would absorb what "
                         f"lies outside it: use fbp or sbp for a sub-region")
