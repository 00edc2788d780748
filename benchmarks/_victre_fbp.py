"""Run VICTRE's C FBP (DIDSR/VICTRE, "FBP DBT reconstruction in C") on victwin's projections.

A measurement harness for ``benchmarks/recon.py --victre BINARY``. The C code it runs is not
part of victwin (GPL-3 ``FBP_DBTrecon.h``, James Brock; FDA public-domain ``FBP_DBTrecon.c``)
and none of it is copied here: fetch DIDSR/VICTRE, and in its folder "FBP DBT reconstruction
in C" build it with ``g++ -O3 -march=native -w -o FBP_DBTrecon FBP_DBTrecon.c -lfftw3f -lm``
(the shipped Makefile uses ``-O0``). The binary reads fixed relative paths (lines 897, 905,
906 of ``FBP_DBTrecon.c``), so it is run in a temporary folder holding them.

Geometry mapping (victwin world -> VICTRE, verified with beads on a 4 x 4 binned case)
----------------------------------------------------------------------------------
victwin: z up from the detector (z = 0); x from the chest wall (x = 0) to the nipple; y along the
chest wall; ``tomosynthesis_arc(..., rotation_axis="x")``: source at
``(0, R sin(theta_k), h + R cos(theta_k))``, detector ``[row j, column i]`` = ``[y, x]``,
projections ``[view, nv, nu]``.

VICTRE (C code, lengths in cm): ``s`` = tube-motion axis = victwin ``y``; ``t`` = victwin ``-x``
(detector row 0 of VICTRE's file touches the chest-wall edge t = 0); vertical = victwin ``z``.

=========================  =====================================================================
VICTRE argument            victwin quantity
=========================  =====================================================================
1  na                      ``n_views``
2  ns (along tube)         ``nv`` (detector rows, y)
3  nt (perpendicular)      ``nu`` (detector columns, x)
4  ds [cm]                 ``pitch_mm / 10``
5  dsd [cm]                ``sid_mm / 10`` = (R + h) / 10, SID at 0 degrees
6  dso [cm]                ``source_to_axis_mm / 10`` = R / 10
7  offset_s [px]           ``-panel.center[1] / pitch`` (0 for victwin's panels)
8  orbit [deg]             ``|angles_deg[-1] - angles_deg[0]|``
9-12 phantom dims, voxsz   chosen so that nx = ny_victwin, ny = nx_victwin, nz = nz (exactly)
13 dx [cm]                 ``voxel_mm / 10`` (in-plane, square)
14 dz [cm]                 ``slice_mm / 10``
15 offset_x [px]           ``x_offset_px`` = ``-(grid y centre) / voxel_mm``
16 first angle [deg]       ``-angles_deg[-1]`` (VICTRE reverses the view order, line 969, and
                           puts the source at s = -dso sin(beta), line 586)
17 angle step [deg]        ``angles_deg[1] - angles_deg[0]``
=========================  =====================================================================

Projection file: view k of the file = victwin view k (same acquisition order), written as the
transposed image ``proj[k].T`` (``[nu][nv]``, the tube-motion axis fastest), float32.

Fixed by the C code (not arguments): the volume starts at the chest-wall edge (voxel centres at
x = (k + 0.5) voxel_mm, line 888) and its bottom face is 19.5 mm above the detector
(``d_objbottom_det = 2 - 0.1/2`` cm, line 869), so slice k is centred at
``19.5 + (k + 0.5) slice_mm`` mm (20, 21, ... mm for 1 mm slices; victwin's ``dbt_grid`` default
puts them at 20.5, 21.5, ...: use ``dbt_grid(..., support_mm=19.5)`` to compare on one grid).
:func:`victre_grid` returns the exact victwin ``Grid`` of the output.

Output values are VICTRE's (1/cm scale since lengths are in cm; divide by 10 for victwin's 1/mm).
"""

from __future__ import annotations

import math
import os
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

__all__ = ["run_victre_fbp", "victre_grid", "args_from_victwin", "BUILD_DIR"]

BUILD_DIR = Path(__file__).resolve().parent / "build"

# Relative paths hard-coded in FBP_DBTrecon.c (lines 897, 905, 906); the binary is run with
# its working directory set to a temporary folder holding these sub-folders.
_FLAT_DIR = "PATH TO THE CONCATENATED FLATFIELD PROJECTIONS RAW FILE"
_PROJ_DIR = "PATH TO THE CONCATENATED DBT PROJECTIONS FILE"
_OUT_DIR = "PATH TO THE OUTPUT RECONSTRUCTED FILE"
_SEED = "1"
# d_objbottom_det (line 869), cm: bottom face of the reconstructed volume above the detector.
BOTTOM_MM = 10.0 * (2 - (0.1 / 2))


def _num(x: float) -> str:
    """A float as the shortest decimal that atof() reads back to the same double."""
    return repr(float(x))


def _dim_for(n_target: int, voxsz: float, d: float, name: str) -> int:
    """Integer phantom dimension ``m`` with ``ceil(m * voxsz / d) == n_target`` in IEEE doubles
    (FBP_DBTrecon.c lines 876-886 compute the grid size that way)."""
    guess = int(round(n_target * d / voxsz))
    for m in sorted(range(max(1, guess - 3), guess + 4), key=lambda m: abs(m - guess)):
        if math.ceil((m * voxsz) / d) == n_target:
            return m
    raise ValueError(f"{name}: no phantom dimension gives {n_target} voxels "
                     f"(voxel {voxsz} cm, spacing {d} cm)")


def victre_grid(grid_shape_zyx, voxel_mm: float, slice_mm: float, x_offset_px: float = 0.0):
    """The victwin :class:`~victwin.geometry.Grid` on which VICTRE's output voxels lie
    (the volume :func:`run_victre_fbp` returns, ``[z, y, x]``)."""
    from victwin.geometry import Grid

    nz, ny, nx = (int(v) for v in grid_shape_zyx)
    y_center = -float(x_offset_px) * voxel_mm
    return Grid(shape=(nz, ny, nx), spacing=(slice_mm, voxel_mm, voxel_mm),
                origin=(0.5 * voxel_mm, y_center - 0.5 * (ny - 1) * voxel_mm,
                        BOTTOM_MM + 0.5 * slice_mm))


def args_from_victwin(views, grid) -> dict:
    """Keyword arguments of :func:`run_victre_fbp` for a victwin scan and grid.

    Raises ValueError if VICTRE's code cannot represent them: the sweep must be along ``y``
    (``rotation_axis="x"``), uniform in angle, the panel flat at z = 0 with its chest-wall edge
    at x = 0, the grid square in-plane with ``origin x = voxel/2`` and
    ``origin z = 19.5 mm + slice/2``.
    """
    views = tuple(views)
    panel = views[0].panel
    src = np.array([v.source for v in views], float)
    nv, nu = panel.shape
    pv, pu = panel.pitch
    tol = 1e-6
    if any(v.panel != panel for v in views):
        raise ValueError("views must share one detector")
    if not (np.allclose(panel.u, (1, 0, 0)) and np.allclose(panel.v, (0, 1, 0))
            and abs(panel.center[2]) < tol):
        raise ValueError(f"panel must lie at z = 0 with u = +x, v = +y, got {panel!r}")
    if abs(pv - pu) > tol:
        raise ValueError(f"panel pitch must be square for VICTRE, got {panel.pitch}")
    if abs(panel.center[0] - 0.5 * nu * pu) > tol:
        raise ValueError("panel's chest-wall edge must be at x = 0 (VICTRE hard-codes "
                         "offset_t = -nt/2, line 868)")
    if np.ptp(src[:, 0]) > tol or abs(src[0, 0]) > tol:
        raise ValueError("sources must lie in the x = 0 plane (rotation_axis='x')")
    # source = (0, R sin th, h + R cos th): recover h, R and th from three views
    y, z = src[:, 1], src[:, 2]
    # circle through the sources with its centre on y = 0: h from two views
    k = int(np.argmax(np.abs(y)))
    j = int(np.argmin(np.abs(y)))
    # |S - (0,0,h)|^2 equal for views j and k
    h = ((y[k] ** 2 + z[k] ** 2) - (y[j] ** 2 + z[j] ** 2)) / (2 * (z[k] - z[j]))
    radius = float(np.mean(np.hypot(y, z - h)))
    if np.max(np.abs(np.hypot(y, z - h) - radius)) > 1e-4:
        raise ValueError("sources are not on one arc about an axis at y = 0")
    angles = np.degrees(np.arctan2(y, z - h))
    step = np.diff(angles)
    if len(views) > 1 and np.ptp(step) > 1e-6:
        raise ValueError("views must be uniformly spaced in angle")
    nz, ny, nx = grid.shape
    dz, dy, dx = grid.spacing
    if abs(dx - dy) > tol:
        raise ValueError(f"grid must be square in-plane, got spacing {grid.spacing}")
    x_offset_px = -(grid.origin[1] + 0.5 * (ny - 1) * dy) / dy
    want = victre_grid(grid.shape, dx, dz, x_offset_px)
    if want != grid:
        raise ValueError(f"VICTRE cannot reconstruct on {grid!r}; its nearest grid is {want!r} "
                         f"(x from the chest wall, bottom face {BOTTOM_MM:g} mm above the "
                         "detector)")
    # round away the last-bit noise of recovering R and h from the source positions
    radius, h = round(radius, 9), round(float(h), 9)
    return dict(n_views=len(views), angles_deg=angles, pitch_mm=pu, sid_mm=h + radius,
                source_to_axis_mm=radius, axis_height_mm=h, grid_shape_zyx=grid.shape,
                voxel_mm=dx, slice_mm=dz, x_offset_px=x_offset_px,
                detector_offset_px=-panel.center[1] / pv)


def run_victre_fbp(line_integrals_or_intensity, flat, *, n_views, angles_deg, pitch_mm, sid_mm,
                   source_to_axis_mm, axis_height_mm, grid_shape_zyx, voxel_mm, slice_mm,
                   x_offset_px, binary, detector_offset_px: float = 0.0, workdir=None,
                   keep_files: bool = False, timeout_s: float | None = None):
    """Reconstruct with VICTRE's C FBP binary and measure it.

    Line numbers below are of ``FBP_DBTrecon.c`` in DIDSR/VICTRE at 5f36d39.

    Parameters
    ----------
    line_integrals_or_intensity : array ``[n_views, nv, nu]`` (victwin layout)
        Line integrals ``-ln(I/I0)`` if ``flat`` is None, else intensities. Rows (``nv``) run
        along the tube motion (victwin ``y``), columns (``nu``) from the chest wall (``x``).
    flat : None, float, or array ``[nv, nu]`` / ``[n_views, nv, nu]``
        Flat field. None: the input are line integrals and are written as ``exp(-p)`` with a
        flat field of 1 (VICTRE always computes ``log(flat) - log(proj)`` itself, line 961,
        clipping negatives and NaN/inf to 0, lines 962-963).
    n_views : int
    angles_deg : sequence of float, degrees
        victwin source angles in acquisition order (uniform steps), e.g. -25 ... 25.
    pitch_mm : float, mm
        Detector pitch (square pixels).
    sid_mm : float, mm
        Source-to-detector distance at 0 degrees; must equal source_to_axis + axis_height.
    source_to_axis_mm, axis_height_mm : float, mm
        Arc radius and height of the rotation axis above the detector.
    grid_shape_zyx : (nz, ny, nx)
        victwin grid shape; the grid itself is :func:`victre_grid` (fixed by the C code).
    voxel_mm, slice_mm : float, mm
        In-plane voxel and slice spacing.
    x_offset_px : float, voxels
        VICTRE's "offset of the volume centre to the rotation centre in the X direction":
        the grid's y centre is at ``-x_offset_px * voxel_mm``.
    binary : path
        The compiled FBP_DBTrecon.
    detector_offset_px : float, pixels
        VICTRE's argument 7 (``-panel.center[1] / pitch``; 0 for victwin's panels).
    workdir : path, optional
        Folder for the temporary files (default: a new temporary folder, removed afterwards
        unless ``keep_files``).

    Returns
    -------
    volume : float32 array ``[z, y, x]``
        z increasing away from the detector (slice 0 is the lowest); VICTRE's values (1/cm).
    info : dict
        ``cpu_s`` (user + system CPU of the binary), ``wall_s``, ``max_rss_mb`` (peak resident
        memory of the binary, MiB), ``command``, ``stdout`` (its log), ``grid_nxyz`` (VICTRE's
        nx, ny, nz), ``io_s`` (time to write the inputs and read the output, not in cpu_s).
    """
    t_io0 = time.perf_counter()
    p = np.asarray(line_integrals_or_intensity)
    n_views = int(n_views)
    if p.ndim != 3 or p.shape[0] != n_views:
        raise ValueError(f"projections must be [n_views={n_views}, nv, nu], got {p.shape}")
    _, nv, nu = p.shape
    angles = np.asarray(angles_deg, float)
    if angles.shape != (n_views,):
        raise ValueError(f"angles_deg must have {n_views} values, got {angles.shape}")
    step = float(angles[1] - angles[0]) if n_views > 1 else 0.0
    if n_views > 1 and np.max(np.abs(np.diff(angles) - step)) > 1e-6:
        raise ValueError("angles_deg must be uniformly spaced (VICTRE takes a start and a step)")
    if abs(sid_mm - (source_to_axis_mm + axis_height_mm)) > 1e-6:
        raise ValueError(f"sid_mm ({sid_mm}) must equal source_to_axis_mm + axis_height_mm "
                         f"({source_to_axis_mm + axis_height_mm})")
    nz, ny, nx = (int(v) for v in grid_shape_zyx)
    binary = Path(binary).resolve()
    if not binary.is_file():
        raise ValueError(f"binary not found: {binary}")

    # VICTRE's volume axes: X (its nx) = victwin y, Y (its ny) = victwin x, Z = z.
    ds, dsd, dso = pitch_mm / 10, sid_mm / 10, source_to_axis_mm / 10
    dx, dz = voxel_mm / 10, slice_mm / 10
    vnx, vny, vnz = ny, nx, nz
    voxsz = min(dx, dz)
    dims = (_dim_for(vnx, voxsz, dx, "nx"), _dim_for(vny, voxsz, dx, "ny"),
            _dim_for(vnz, voxsz, dz, "nz"))
    orbit = abs(float(angles[-1] - angles[0]))
    args = [str(n_views), str(nv), str(nu), _num(ds), _num(dsd), _num(dso),
            _num(detector_offset_px), _num(orbit), *(str(d) for d in dims), _num(voxsz),
            _num(dx), _num(dz), _num(x_offset_px), _num(-angles[-1]), _num(step), _SEED]

    own_tmp = workdir is None
    wd = Path(tempfile.mkdtemp(prefix="victre_fbp_")) if own_tmp else Path(workdir)
    try:
        for d in (_FLAT_DIR, _PROJ_DIR, _OUT_DIR):
            (wd / d).mkdir(parents=True, exist_ok=True)
        if flat is None:
            proj = np.exp(-p.astype(np.float64)).astype(np.float32)
            ff = np.ones(p.shape, np.float32)
        else:
            proj = p.astype(np.float32)
            ff = np.broadcast_to(np.asarray(flat, np.float32), p.shape)
        # per view [t][s] = victwin [nu][nv], s (tube motion) fastest (lines 968-974)
        proj = np.ascontiguousarray(proj.transpose(0, 2, 1))
        ff = np.ascontiguousarray(ff.transpose(0, 2, 1))
        # Exact sizes matter: line 939 freads sizeof(double) items into a float buffer, which
        # only stays in bounds because the file ends after n floats.
        proj.tofile(wd / _PROJ_DIR / f"DBT_{_SEED}_25proj.raw")
        ff.tofile(wd / _FLAT_DIR / "flatfield_25proj.raw")
        del proj, ff
        out_path = wd / _OUT_DIR / f"DBT_{_SEED}_recon.raw"
        if out_path.exists():
            out_path.unlink()
        t_io = time.perf_counter() - t_io0

        cmd = [str(binary), *args]
        log_path = wd / "stdout.txt"
        t0 = time.perf_counter()
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(cmd, cwd=wd, stdout=log, stderr=subprocess.STDOUT)
            try:
                _, status, ru = _wait4(proc.pid, timeout_s)
            except BaseException:
                proc.kill()
                os.waitpid(proc.pid, 0)
                proc.returncode = -9
                raise
            proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t0
        stdout = log_path.read_text(errors="replace")
        expect = vnx * vny * vnz * 8
        if proc.returncode != 0 or not out_path.exists() or out_path.stat().st_size != expect:
            size = out_path.stat().st_size if out_path.exists() else None
            raise RuntimeError(f"VICTRE FBP failed (exit {proc.returncode}, output size {size}, "
                               f"expected {expect}); log tail: {stdout[-500:]!r}")
        t1 = time.perf_counter()
        img = np.fromfile(out_path, dtype="<f8").reshape(vnz, vny, vnx)  # [Z][Y][X], X fastest
        vol = np.ascontiguousarray(img.transpose(0, 2, 1), dtype=np.float32)  # [z][y][x]
        t_io += time.perf_counter() - t1
    finally:
        if own_tmp and not keep_files:
            import shutil

            shutil.rmtree(wd, ignore_errors=True)
    info = dict(cpu_s=ru.ru_utime + ru.ru_stime, user_s=ru.ru_utime, sys_s=ru.ru_stime,
                wall_s=wall, max_rss_mb=ru.ru_maxrss / 1024.0, io_s=t_io,
                command=" ".join(f"'{c}'" if " " in c else c for c in cmd), stdout=stdout,
                grid_nxyz=(vnx, vny, vnz), workdir=str(wd), stage_s=_stage_times(stdout))
    return vol, info


def _stage_times(log: str) -> dict:
    """The binary's own clock() timings (CPU s): weighting, filtering and backprojection
    (FBP_DBTrecon.c lines 1059-1094), their sum, and the whole run (line 1138); ``other`` =
    reading, log, flat-field division and the rebinning to the virtual CT detector
    (ct_projections) and writing."""
    import re

    out = {}
    for key, pat in (("weight", r"Weighting projections \.\.\. ([0-9.eE+-]+) sec"),
                     ("filter", r"Filtering projections \.\.\. ([0-9.eE+-]+) sec"),
                     ("backproject", r"\n([0-9.eE+-]+) sec\nWriting"),
                     ("processing", r"Total processing time elapsed: ([0-9.eE+-]+) sec"),
                     ("total", r"Total execution time elapsed : ([0-9.eE+-]+) sec")):
        m = re.search(pat, log)
        if m:
            out[key] = float(m.group(1))
    if "total" in out and "processing" in out:
        out["other"] = out["total"] - out["processing"]
    return out


def _wait4(pid: int, timeout_s: float | None):
    """``os.wait4`` of one child (its own rusage, unlike RUSAGE_CHILDREN), with a timeout."""
    if timeout_s is None:
        return os.wait4(pid, 0)
    deadline = time.monotonic() + timeout_s
    while True:
        wpid, status, ru = os.wait4(pid, os.WNOHANG)
        if wpid == pid:
            return wpid, status, ru
        if time.monotonic() > deadline:
            raise TimeoutError(f"VICTRE FBP ran longer than {timeout_s} s")
        time.sleep(0.05)
