"""CUDA kernels: the traversal of ``_traverse`` compiled with ``numba.cuda.jit(device=True)``.

One thread per detector pixel (all of its sub-rays), consecutive threads on neighbouring
pixels of a row so that neighbouring rays read neighbouring voxels. Backprojection scatters
with ``cuda.atomic.add`` into one float32 volume, so the order of additions (and therefore the
last bits of the result) may differ from run to run; the CPU result is reproducible.

Volumes are passed flattened (1-D, C order) with their shape as scalars, and the
backprojection accumulator as ``(1, n_voxels)``.

This module is imported only when the CUDA backend is used; under ``NUMBA_ENABLE_CUDASIM=1``
numba's simulator runs these kernels on NumPy arrays (tests use tiny inputs).
"""

from __future__ import annotations

from numba import config, cuda

from . import _interp, _traverse

THREADS_PER_BLOCK = 256


def _deposit_atomic_py(acc, c, off, w):
    cuda.atomic.add(acc, (c, off), w)


_device = cuda.jit(device=True)
(_trace_labels, _trace_volume, _trace_backproject, _trace_labels_prefetch,
 _trace_labels_zrun) = _traverse.build(_device, _deposit_atomic_py, labels_prefetch=True)
_ray_end = _device(_traverse.ray_end_py)
_sample, _sample_view, _voxel = _interp.build(_device)


def _labels_kernel_py(trace):
    """The label projection kernel's Python (one thread per pixel, all its sub-rays) around
    a per-ray ``trace`` (``_trace_labels``, ``_trace_labels_prefetch`` or
    ``_trace_labels_zrun``)."""
    def labels_kernel(labels, nz, ny, nx, source, corner, du, dv, lo, d, k, out):
        n_views, _, nv, nu = out.shape
        r = cuda.grid(1)
        if r >= n_views * nv * nu:
            return
        b = r // (nv * nu)
        j = (r // nu) % nv
        i = r % nu
        w = 1.0 / (k * k)
        for c in range(k):
            for a in range(k):
                ex, ey, ez = _ray_end(corner, du, dv, b, j, i, a, c, k)
                trace(labels, out, b, j, i, source[b, 0], source[b, 1], source[b, 2],
                      ex, ey, ez, w, lo[0], lo[1], lo[2], d[0], d[1], d[2], nx, ny, nz)

    return labels_kernel


#: The plain label projection kernel (the compiler's register count, no prefetch).
labels_kernel = cuda.jit(_labels_kernel_py(_trace_labels))


@cuda.jit
def forward_kernel(volume, nz, ny, nx, source, corner, du, dv, lo, d, out):
    n_views, nv, nu = out.shape
    r = cuda.grid(1)
    if r >= n_views * nv * nu:
        return
    b = r // (nv * nu)
    j = (r // nu) % nv
    i = r % nu
    ex, ey, ez = _ray_end(corner, du, dv, b, j, i, 0, 0, 1)
    out[b, j, i] = _trace_volume(volume, source[b, 0], source[b, 1], source[b, 2], ex, ey, ez,
                                 lo[0], lo[1], lo[2], d[0], d[1], d[2], nx, ny, nz)


@cuda.jit
def backproject_kernel(projections, nz, ny, nx, source, corner, du, dv, lo, d, acc):
    n_views, nv, nu = projections.shape
    r = cuda.grid(1)
    if r >= n_views * nv * nu:
        return
    b = r // (nv * nu)
    j = (r // nu) % nv
    i = r % nu
    value = projections[b, j, i]
    if value == 0.0:
        return
    ex, ey, ez = _ray_end(corner, du, dv, b, j, i, 0, 0, 1)
    _trace_backproject(acc, 0, value, source[b, 0], source[b, 1], source[b, 2], ex, ey, ez,
                       lo[0], lo[1], lo[2], d[0], d[1], d[2], nx, ny, nz)


@cuda.jit
def interpolate_kernel(q, P, nz, ny, nx, ox, oy, oz, dx, dy, dz, average, out):
    """Voxel-driven backprojection, one thread per voxel (see ``_cpu.interpolate_kernel``);
    no atomics, so the result is reproducible."""
    r = cuda.grid(1)
    if r >= nz * ny * nx:
        return
    iz = r // (ny * nx)
    iy = (r // nx) % ny
    ix = r % nx
    _, nv, nu = q.shape
    acc, cnt = _voxel(q, P, ox + ix * dx, oy + iy * dy, oz + iz * dz, nv, nu)
    if average:
        out[r] = acc / cnt if cnt > 0.0 else 0.0
    else:
        out[r] = acc


def blocks_for(n_threads: int, threads_per_block: int = THREADS_PER_BLOCK) -> int:
    return max(1, (n_threads + threads_per_block - 1) // threads_per_block)


#: Launch of the label projection: (threads per block, register cap or None, traversal form:
#: False plain, True the next label read one step ahead, "zrun" that with the z-only steps in
#: a loop of their own; see :func:`labels_variant`). ``labels_kernel`` above is (256, None,
#: False). Measured on an H200 (benchmarks/gpu_check.py: 25-view DBT of a 0.05 mm
#: 940 x 1950 x 1280 phantom, 3.03e10 ray-voxel steps), first session of 2026-12-04: plain
#: 1.10e11 steps/s (88 registers: 16 warps per multiprocessor at 256 threads per block);
#: capped at 64 registers 1.77e11; prefetching and capped at 56 2.01e11, at 48 2.15e11 (256
#: threads) and 2.26e11 (128 threads), at 40 2.25e11, at 32 1.25e11 (spills in the loop).
#: Second session, after the step's instructions were cut (no per-step clamp, the exit in
#: ``mxy``, no z index, the offset steps chosen; ``_traverse``), run 2: prefetching 2.50e11
#: (cap 48) and 2.66e11 (cap 40); z-runs 3.05e11 (128 threads, cap 48), 3.08e11 (cap 40),
#: 2.82e11 (cap 56), 2.57e11 (cap 64), 2.89e11 (256 threads, cap 48), 3.02e11 (64 threads).
#: The z-run loop then took 32-bit label registers (45 -> 41 instructions in ptxas' sm_90
#: code, benchmarks/ptx_registers.py); runs 3 and 4: z-runs at 128 threads 3.37-3.39e11
#: (cap 48) and 3.56e11 (cap 40, both runs), 64 threads 3.38 / 3.54e11, 256 threads cap 40
#: 3.42e11. Nsight Compute at cap 48 (benchmarks/results/gpu_ncu_labels_zrun_h200.txt): 0.53
#: warps issued per scheduler-cycle (0.75 before: fewer instructions, now waiting on the label
#: loads), 20.2 of 32 threads active, 54.8 % achieved occupancy.
LABELS_LAUNCH = (128, 40, "zrun")

#: The traversal forms by the launch tuple's third element.
_FORMS = {False: "plain", True: "prefetch", "plain": "plain", "prefetch": "prefetch",
          "zrun": "zrun"}

_VARIANTS: dict = {}


def labels_variant(max_registers=None, prefetch=False):
    """The label projection kernel compiled with a register cap (``max_registers``, numba's
    ``cuda.jit`` option; None: the compiler's choice) and a traversal form (``prefetch``:
    False, True or "zrun", :data:`LABELS_LAUNCH`). Every variant computes the same numbers;
    they differ in instructions per step, occupancy and latency hiding
    (benchmarks/gpu_check.py times them side by side)."""
    if prefetch not in _FORMS:
        raise ValueError(f"unknown label traversal form {prefetch!r}: one of False, True, "
                         "'zrun'")
    form = _FORMS[prefetch]
    key = (max_registers, form)
    if key == (None, "plain"):
        return labels_kernel
    if key not in _VARIANTS:
        trace = {"plain": _trace_labels, "prefetch": _trace_labels_prefetch,
                 "zrun": _trace_labels_zrun}[form]
        # numba's simulator runs the Python and takes no register cap
        opts = ({} if max_registers is None or config.ENABLE_CUDASIM
                else {"max_registers": int(max_registers)})
        _VARIANTS[key] = cuda.jit(**opts)(_labels_kernel_py(trace))
    return _VARIANTS[key]


def launch_labels(n_threads: int, *args, launch=None) -> None:
    """Run the label projection over ``n_threads`` rays with ``launch`` (default
    :data:`LABELS_LAUNCH`); ``args`` are ``labels_kernel``'s."""
    threads, max_registers, prefetch = LABELS_LAUNCH if launch is None else launch
    kernel = labels_variant(max_registers, prefetch)
    kernel[blocks_for(n_threads, threads), threads](*args)
