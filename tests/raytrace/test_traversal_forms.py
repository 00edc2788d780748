"""The label traversal's three forms (plain, prefetching, z-runs) give the same numbers.

The CUDA build times them side by side (benchmarks/gpu_check.py) and launches one of them
(``victwin.raytrace._cuda.LABELS_LAUNCH``); the CPU build uses the plain form. Their claim
is bit-identical path lengths (the same segments summed in the same order), checked here by
compiling all three for the CPU and tracing every kind of ray of ``reference.random_rays``
(generic, axis-parallel, inside, on faces, missing), rays through voxel corners and edges,
and the DBT views of a mammography geometry; the plain form itself is checked against
exact slab chords in test_project_labels.py.
"""

import numba
import numpy as np
import pytest

from victwin.geometry import Grid, tomosynthesis_arc, views_to_arrays
from victwin.raytrace import _traverse

from .reference import random_boxes_phantom, random_rays
from .test_project_labels import GRIDS   # the grids the plain form is checked on

_jit = numba.njit(inline="always")
_PLAIN, _, _, _PREFETCH, _ZRUN = _traverse.build(_jit, inner_jit=numba.njit,
                                                 labels_prefetch=True)


def _tracer(trace):
    @numba.njit
    def run(labels, src, end, lo, d, shape, out):
        nz, ny, nx = shape
        for r in range(src.shape[0]):
            trace(labels, out, 0, 0, r, src[r, 0], src[r, 1], src[r, 2], end[r, 0],
                  end[r, 1], end[r, 2], 1.0, lo[0], lo[1], lo[2], d[0], d[1], d[2],
                  nx, ny, nz)
    return run


_RUN = {name: _tracer(t) for name, t in (("plain", _PLAIN), ("prefetch", _PREFETCH),
                                         ("zrun", _ZRUN))}


def _trace_all(labels, grid, src, end, n_labels):
    out = {}
    for name, run in _RUN.items():
        acc = np.zeros((1, n_labels, 1, len(src)), np.float32)
        run(labels.ravel(), np.ascontiguousarray(src, np.float64),
            np.ascontiguousarray(end, np.float64),
            np.ascontiguousarray(grid.lower_mm, np.float64),
            np.ascontiguousarray(grid.spacing_xyz, np.float64),
            np.array(grid.shape, np.int64), acc)
        out[name] = acc
    return out


@pytest.mark.parametrize("grid", GRIDS)
def test_forms_equal_on_every_kind_of_ray(grid):
    rng = np.random.default_rng(11)
    labels, _ = random_boxes_phantom(rng, grid, n_boxes=6, n_labels=5)
    src, end = random_rays(rng, grid, 40)
    # through voxel corners and along edges: exact plane hits on two or three axes at once
    lo, d = grid.lower_mm, grid.spacing_xyz
    n = np.array(grid.shape_xyz)
    corners = lo + rng.integers(0, n + 1, size=(60, 3)) * d
    far = lo + rng.integers(0, n + 1, size=(60, 3)) * d
    src = np.concatenate([src, corners - 3.0 * (far - corners), corners])
    end = np.concatenate([end, far, far + 2.0 * (far - corners)])
    keep = np.linalg.norm(end - src, axis=1) > 1e-6
    out = _trace_all(labels, grid, src[keep], end[keep], 5)
    assert out["plain"].sum() > 0
    np.testing.assert_array_equal(out["prefetch"], out["plain"])
    np.testing.assert_array_equal(out["zrun"], out["plain"])


def test_forms_equal_on_dbt_views():
    """Mostly z-only steps, as the GPU traces them: a 25-view arc through a 0.2 mm slab."""
    grid = Grid(shape=(40, 60, 50), spacing=(0.2, 0.2, 0.2), origin=(0.1, -5.9, 20.1))
    rng = np.random.default_rng(5)
    labels = (rng.random(grid.shape) * 3).astype(np.uint8)
    labels[:, :20] = 1           # long runs of one label as well
    geo = views_to_arrays(tomosynthesis_arc(25, 50.0, 50.0, detector_binning=80))
    nv, nu = geo["shape"]
    jj, ii = np.meshgrid(np.arange(nv), np.arange(nu), indexing="ij")
    src, end = [], []
    for b in range(len(geo["source"])):
        e = (geo["corner"][b] + ii.reshape(-1, 1) * geo["du"][b]
             + jj.reshape(-1, 1) * geo["dv"][b])
        end.append(e)
        src.append(np.broadcast_to(geo["source"][b], e.shape))
    out = _trace_all(labels, grid, np.concatenate(src), np.concatenate(end), 3)
    assert out["plain"].sum() > 0
    np.testing.assert_array_equal(out["prefetch"], out["plain"])
    np.testing.assert_array_equal(out["zrun"], out["plain"])
