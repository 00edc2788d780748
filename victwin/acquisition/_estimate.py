"""How long and how much memory an acquisition will take, before it starts (order of magnitude).

The time is the ray tracing (rays x voxels crossed / measured throughput) plus the per-pixel
physics; the memory is the output images plus one view's working arrays. Both are estimates
to tell a user what is coming (``victwin acquire`` prints them), not budgets.
"""

from __future__ import annotations

#: CPU ray-voxel steps per second of ``project_labels`` on the DBT case (0.1 mm labels, 25
#: views, 2 cores; README "Throughput", benchmarks/raytrace.py).
CPU_STEPS_PER_S = 5.6e8
#: Detector pixels per second through the polyenergetic physics, scatter and detector on the
#: CPU (the same order as victwin.trial's plan; about 1e6 on 2 cores).
CPU_PIXELS_PER_S = 1.0e6

__all__ = ["estimate_acquisition"]


def estimate_acquisition(phantom, system, *, binning: int | None = None,
                         rays_per_pixel: int | None = None, n_labels: int | None = None) -> dict:
    """Estimated cost of ``acquire(phantom, system, ...)`` on the CPU.

    Returns
    -------
    dict
        ``views``, ``detector`` (rows, columns), ``rays``, ``ray_voxel_steps`` (every ray taken
        to cross the phantom's depth: an upper bound), ``seconds`` and ``memory_bytes``.
    """
    from victwin.systems import load

    system = load(system)
    k_bin = system.geometry.binning if binning is None else int(binning)
    rpp = system.rays_per_pixel if rays_per_pixel is None else int(rays_per_pixel)
    views = system.views(k_bin)
    nv, nu = views[0].panel.shape
    n_views = len(views)
    nz = phantom.labels.shape[0]
    n_labels = int(phantom.labels.max()) + 1 if n_labels is None else int(n_labels)
    rays = n_views * nv * nu * rpp * rpp
    steps = rays * 1.5 * nz  # ~1.5 voxel steps per slab of voxels crossed (oblique rays)
    seconds = steps / CPU_STEPS_PER_S + n_views * nv * nu / CPU_PIXELS_PER_S
    images = n_views * nv * nu * (2 + 2 + 4)  # raw, processed (uint16), flat (float32)
    per_view = nv * nu * (4 * n_labels + 8 * 8)  # path lengths + float64 physics arrays
    return {"views": n_views, "detector": (nv, nu), "rays": rays, "ray_voxel_steps": steps,
            "seconds": seconds, "memory_bytes": phantom.labels.nbytes + images + per_view}
