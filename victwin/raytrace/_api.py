"""Public ray-tracing functions: validation, backend dispatch and batching over views."""

from __future__ import annotations

import numbers
from collections.abc import Iterator

import numpy as np

from victwin._backend import get_cupy, resolve_backend
from victwin.geometry import Grid, views_to_arrays

__all__ = ["project_labels", "iter_project_labels", "project_volume", "backproject",
           "backproject_interpolated"]

#: Default bound on the output of one batch of views (bytes).
_BATCH_BYTES = 512 * 2**20


def _is_cupy(a) -> bool:
    return type(a).__module__.split(".")[0] == "cupy"


def _check_grid(grid, shape, name: str) -> None:
    if not isinstance(grid, Grid):
        raise TypeError(f"grid must be a victwin.geometry.Grid, got {type(grid).__name__}")
    if tuple(shape) != grid.shape:
        raise ValueError(f"{name} shape {tuple(shape)} does not match grid.shape {grid.shape}")


def _geometry(views) -> dict:
    geo = views_to_arrays(views)
    for key in ("source", "corner", "du", "dv"):
        if not np.all(np.isfinite(geo[key])):
            raise ValueError(f"view coordinates must be finite; {key} has non-finite values")
    return geo


def _grid_arrays(grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    return np.ascontiguousarray(grid.lower_mm, dtype=np.float64), \
        np.ascontiguousarray(grid.spacing_xyz, dtype=np.float64)


def _batches(n_views: int, bytes_per_view: int, view_batch) -> list[tuple[int, int]]:
    if view_batch is None:
        view_batch = max(1, _BATCH_BYTES // max(bytes_per_view, 1))
    view_batch = int(view_batch)
    if view_batch < 1:
        raise ValueError(f"view_batch must be >= 1, got {view_batch}")
    return [(b0, min(b0 + view_batch, n_views)) for b0 in range(0, n_views, view_batch)]


def _check_labels(labels, grid, n_labels, check_values: bool) -> int:
    if not hasattr(labels, "dtype") or not hasattr(labels, "shape"):
        raise TypeError(f"labels must be a NumPy or CuPy array, got {type(labels).__name__}")
    if labels.dtype != np.uint8:
        raise TypeError(f"labels must have dtype uint8, got {labels.dtype}")
    if labels.ndim != 3:
        raise ValueError(f"labels must be 3-D [z, y, x], got {labels.ndim}-D shape {labels.shape}")
    _check_grid(grid, labels.shape, "labels")
    if isinstance(n_labels, bool) or not isinstance(n_labels, numbers.Integral):
        raise TypeError(f"n_labels must be an integer, got {n_labels!r}")
    n_labels = int(n_labels)
    if not 1 <= n_labels <= 256:
        raise ValueError(f"n_labels must be in 1..256, got {n_labels}")
    if check_values and labels.size:
        top = int(labels.max())
        if top >= n_labels:
            raise ValueError(f"labels contains label {top}, which is >= n_labels ({n_labels})")
    return n_labels


def _device_put(a, dtype=None):
    """Move ``a`` to the GPU (CuPy) when CuPy is present; under the simulator keep NumPy."""
    cp = get_cupy()
    if cp is None:
        return np.ascontiguousarray(a, dtype=dtype)
    return cp.ascontiguousarray(cp.asarray(a, dtype=dtype))


def _device_zeros(shape, dtype):
    cp = get_cupy()
    return np.zeros(shape, dtype) if cp is None else cp.zeros(shape, dtype)


def _to_host(a):
    return a.get() if _is_cupy(a) else a


def iter_project_labels(labels, grid: Grid, views, n_labels: int, *, backend="auto",
                        rays_per_pixel: int = 1, view_batch: int | None = None,
                        check_labels: bool = True) -> Iterator[tuple[slice, np.ndarray]]:
    """Yield :func:`project_labels` one batch of views at a time, bounding memory.

    Yields
    ------
    (views_slice, path_mm)
        ``path_mm`` is float32 ``[len(batch), n_labels, nv, nu]`` for ``views[views_slice]``,
        on the same device as ``labels``.
    """
    n_labels = _check_labels(labels, grid, n_labels, check_labels)
    if isinstance(rays_per_pixel, bool) or not isinstance(rays_per_pixel, numbers.Integral) \
            or rays_per_pixel < 1:
        raise ValueError(f"rays_per_pixel must be an integer >= 1, got {rays_per_pixel!r}")
    k = int(rays_per_pixel)
    geo = _geometry(views)
    nv, nu = geo["shape"]
    n_views = geo["source"].shape[0]
    lo, d = _grid_arrays(grid)
    target = resolve_backend(backend)
    batches = _batches(n_views, 4 * n_labels * nv * nu, view_batch)
    if target == "cpu":
        from . import _cpu

        host_labels = np.ascontiguousarray(_to_host(labels))  # uint8, no float copy
        for b0, b1 in batches:
            out = np.zeros((b1 - b0, n_labels, nv, nu), np.float32)
            _cpu.labels_kernel(host_labels, geo["source"][b0:b1], geo["corner"][b0:b1],
                               geo["du"][b0:b1], geo["dv"][b0:b1], lo, d, k, out)
            yield slice(b0, b1), (_device_put(out) if _is_cupy(labels) else out)
        return
    from . import _cuda

    dev_labels = labels if _is_cupy(labels) else _device_put(labels, np.uint8)
    dlo, dd = _device_put(lo), _device_put(d)
    for b0, b1 in batches:
        out = _device_zeros((b1 - b0, n_labels, nv, nu), np.float32)
        n = (b1 - b0) * nv * nu
        _cuda.launch_labels(
            n, dev_labels.ravel(), *grid.shape, _device_put(geo["source"][b0:b1]),
            _device_put(geo["corner"][b0:b1]),
            _device_put(geo["du"][b0:b1]), _device_put(geo["dv"][b0:b1]), dlo, dd, k, out)
        yield slice(b0, b1), (out if _is_cupy(labels) else _to_host(out))


def project_labels(labels, grid: Grid, views, n_labels: int, *, backend="auto",
                   rays_per_pixel: int = 1, view_batch: int | None = None,
                   check_labels: bool = True):
    """Exact path length (mm) of every ray inside the voxels of each label.

    Parameters
    ----------
    labels : uint8 array ``[z, y, x]`` (NumPy or CuPy)
        Label volume on ``grid``; never converted to float.
    grid : Grid
    views : View or sequence of View
        All panels of one shape ``(nv, nu)``.
    n_labels : int
        Number of label bins (labels must be ``< n_labels``).
    backend : {"auto", "cpu", "cuda"}
    rays_per_pixel : int
        ``k``: trace ``k x k`` rays spread evenly over each pixel's aperture and average them.
    view_batch : int, optional
        Views per kernel launch (default: as many as fit in 512 MiB of output).
    check_labels : bool
        Check ``labels.max() < n_labels`` first (one pass over the volume).

    Returns
    -------
    float32 array ``[n_views, n_labels, nv, nu]``, mm
        On the same device as ``labels`` (NumPy in, NumPy out; CuPy in, CuPy out).

    Notes
    -----
    Siddon's exact traversal (Siddon 1985, Med Phys 12:252) in the incremental form of
    Amanatides & Woo (1987), in float64 arithmetic on both backends.
    """
    geo = views_to_arrays(views)
    n_views = geo["source"].shape[0]
    nv, nu = geo["shape"]
    out = None
    for sl, part in iter_project_labels(labels, grid, views, n_labels, backend=backend,
                                        rays_per_pixel=rays_per_pixel, view_batch=view_batch,
                                        check_labels=check_labels):
        if out is None:
            xp = get_cupy() if _is_cupy(part) else np
            out = xp.empty((n_views, part.shape[1], nv, nu), np.float32)
        out[sl] = part
    return out


def _check_float_volume(volume, grid, name="volume"):
    if not hasattr(volume, "dtype") or not hasattr(volume, "shape"):
        raise TypeError(f"{name} must be a NumPy or CuPy array, got {type(volume).__name__}")
    if volume.dtype.kind not in "fiu" or volume.dtype == np.bool_:
        raise TypeError(f"{name} must have a real numeric dtype, got {volume.dtype}")
    if volume.ndim != 3:
        raise ValueError(f"{name} must be 3-D [z, y, x], got shape {volume.shape}")
    _check_grid(grid, volume.shape, name)


def project_volume(volume, grid: Grid, views, *, backend="auto", view_batch: int | None = None):
    """Line integrals of a voxel volume along every ray (source to pixel centre).

    Parameters
    ----------
    volume : array ``[z, y, x]`` (NumPy or CuPy), value per voxel (e.g. 1/mm)
        Converted to float32 if needed.
    grid : Grid
    views : View or sequence of View
    backend : {"auto", "cpu", "cuda"}
    view_batch : int, optional
        Views per kernel launch on the GPU.

    Returns
    -------
    float32 array ``[n_views, nv, nu]``
        ``sum(volume[voxel] * length_mm)`` per ray; same device as ``volume``.

    Notes
    -----
    :func:`backproject` is the exact adjoint (transpose) of this operator with respect to the
    plain sums over voxels and over pixels (no voxel or pixel area weights).
    """
    _check_float_volume(volume, grid)
    geo = _geometry(views)
    nv, nu = geo["shape"]
    n_views = geo["source"].shape[0]
    lo, d = _grid_arrays(grid)
    target = resolve_backend(backend)
    if target == "cpu":
        from . import _cpu

        vol = np.ascontiguousarray(_to_host(volume), dtype=np.float32)
        out = np.zeros((n_views, nv, nu), np.float32)
        _cpu.forward_kernel(vol, geo["source"], geo["corner"], geo["du"], geo["dv"], lo, d, out)
        return _device_put(out) if _is_cupy(volume) else out
    from . import _cuda

    vol = _device_put(volume, np.float32)
    out = _device_zeros((n_views, nv, nu), np.float32)
    for b0, b1 in _batches(n_views, 4 * nv * nu, view_batch):
        n = (b1 - b0) * nv * nu
        _cuda.forward_kernel[_cuda.blocks_for(n), _cuda.THREADS_PER_BLOCK](
            vol.ravel(), *grid.shape, _device_put(geo["source"][b0:b1]),
            _device_put(geo["corner"][b0:b1]),
            _device_put(geo["du"][b0:b1]), _device_put(geo["dv"][b0:b1]),
            _device_put(lo), _device_put(d), out[b0:b1])
    return out if _is_cupy(volume) else _to_host(out)


def _check_backprojection(projections, grid, views) -> dict:
    """The views' kernel arrays, after checking that ``projections`` match them and ``grid``
    is a Grid (one-line errors)."""
    geo = _geometry(views)
    nv, nu = geo["shape"]
    n_views = geo["source"].shape[0]
    if not hasattr(projections, "shape") or not hasattr(projections, "dtype"):
        raise TypeError(f"projections must be a NumPy or CuPy array, "
                        f"got {type(projections).__name__}")
    if tuple(projections.shape) != (n_views, nv, nu):
        raise ValueError(f"projections shape {tuple(projections.shape)} does not match the views "
                         f"({n_views}, {nv}, {nu})")
    if not isinstance(grid, Grid):
        raise TypeError(f"grid must be a victwin.geometry.Grid, got {type(grid).__name__}")
    return geo


def backproject(projections, grid: Grid, views, *, backend="auto"):
    """Exact adjoint of :func:`project_volume`: scatter each ray's value along its path.

    Parameters
    ----------
    projections : array ``[n_views, nv, nu]`` (NumPy or CuPy)
    grid : Grid
        The volume to backproject into.
    views : sequence of View
        One per projection.
    backend : {"auto", "cpu", "cuda"}

    Returns
    -------
    float32 array ``[z, y, x]``
        ``sum over rays of projections[ray] * length_mm(ray, voxel)``, so that
        ``<project_volume(x), y> == <x, backproject(y)>`` (plain sums). Same device as
        ``projections``. The CPU result is bit-for-bit reproducible on any machine; the CUDA
        result uses atomic additions and may differ in the last bits between runs.
    """
    geo = _check_backprojection(projections, grid, views)
    nv, nu = geo["shape"]
    n_views = geo["source"].shape[0]
    lo, d = _grid_arrays(grid)
    target = resolve_backend(backend)
    if target == "cpu":
        from . import _cpu

        proj = np.ascontiguousarray(_to_host(projections), dtype=np.float32)
        acc = np.zeros((_cpu.N_CHUNKS,) + grid.shape, np.float32)
        _cpu.backproject_kernel(proj, geo["source"], geo["corner"], geo["du"], geo["dv"],
                                lo, d, acc)
        out = np.empty(grid.shape, np.float32)
        _cpu.sum_chunks(acc, out)
        return _device_put(out) if _is_cupy(projections) else out
    from . import _cuda

    proj = _device_put(projections, np.float32)
    acc = _device_zeros((1, grid.n_voxels), np.float32)
    n = n_views * nv * nu
    _cuda.backproject_kernel[_cuda.blocks_for(n), _cuda.THREADS_PER_BLOCK](
        proj, *grid.shape, _device_put(geo["source"]), _device_put(geo["corner"]),
        _device_put(geo["du"]),
        _device_put(geo["dv"]), _device_put(lo), _device_put(d), acc)
    out = acc[0].reshape(grid.shape)
    return out if _is_cupy(projections) else _to_host(out)


def backproject_interpolated(projections, grid: Grid, views, *, average: bool = True,
                             backend="auto"):
    """Voxel-driven backprojection: every view's projection sampled at each voxel's centre.

    Each voxel centre is projected onto each view's detector and the projection is read there
    by bilinear interpolation between pixel centres (the FDK-type backprojector of analytic
    reconstruction; Feldkamp, Davis & Kress 1984). Views whose detector the projection misses
    (outside the pixel-centre lattice) do not contribute.

    Parameters
    ----------
    projections : array ``[n_views, nv, nu]`` (NumPy or CuPy)
    grid : Grid
    views : sequence of View
        One per projection.
    average : bool
        True: the mean over the views that see the voxel (0 where none does); False: the sum.
    backend : {"auto", "cpu", "cuda"}

    Returns
    -------
    float32 array ``[z, y, x]``, same device as ``projections``.

    Notes
    -----
    Unlike :func:`backproject` this is not the adjoint of :func:`project_volume`; in exchange
    a voxel's value depends only on its position, so the result on any sub-grid equals the
    crop of the result on a larger grid (to float rounding), and the cost is one bilinear
    sample per voxel and view.
    """
    from ._interp import projection_matrices

    geo = _check_backprojection(projections, grid, views)
    views = list(views) if not hasattr(views, "panel") else [views]
    P = projection_matrices(views)
    origin = np.asarray(grid.origin, np.float64)
    spacing = np.asarray(grid.spacing_xyz, np.float64)
    target = resolve_backend(backend)
    if target == "cpu":
        from . import _cpu

        proj = np.ascontiguousarray(_to_host(projections), dtype=np.float32)
        out = np.empty(grid.shape, np.float32)
        _cpu.interpolate_kernel(proj, P, origin, spacing, bool(average), out)
        return _device_put(out) if _is_cupy(projections) else out
    from . import _cuda

    proj = _device_put(projections, np.float32)
    out = _device_zeros((grid.n_voxels,), np.float32)
    _cuda.interpolate_kernel[_cuda.blocks_for(grid.n_voxels), _cuda.THREADS_PER_BLOCK](
        proj, _device_put(P), *grid.shape, *(float(o) for o in origin),
        *(float(s) for s in spacing), bool(average), out)
    out = out.reshape(grid.shape)
    return out if _is_cupy(projections) else _to_host(out)
