"""A 50 um lesion tile inside a 0.1 mm window (issue 14 item 5, prototype): DM/DBT signal.

VICTRE rasterises its lesions at 50 um. The replica's 0.1 mm windows put a 50 um
calcification cluster on the 0.1 mm grid by nearest neighbour (every coarse voxel a
calcification touches becomes calcium: 1.7-3.8x VICTRE's calcium, ``phantom_voxel.py``).
Here the lesion keeps its 50 um voxels: a tile (a box on the window's 0.1 mm voxel
boundaries around the lesion, the window's 0.1 mm labels split 2x2x2 into 0.05 mm voxels, the
same 50 um lesion model inserted into it at the site as on the whole 0.05 mm grid) is traced
in place of its box (``acquire_regions(..., tiles=)``, ``victwin.raytrace._tiles``: the
per-label path lengths of the window with the box dropped plus those of the tile, exact).

Per calcification (or mass) site, noise-free DM ROI (or DBT VOI FBP) signal ``ROI(present) - ROI(absent)``
(line integrals), set-up as ``phantom_voxel.py`` (same twin, sites, lesion model, windows at
the region's support, coarse 0.5 mm pass, victre preset and system):

* ``0.05``: the whole window at 0.05 mm with the lesion (the reference);
* ``0.1``: the window at 0.1 mm, lesion by nearest neighbour (the replica today);
* ``tile``: the window at 0.1 mm with the 50 um lesion tile.

    python benchmarks/lesion_tile.py --cases 2 --kind calcification
    python benchmarks/lesion_tile.py --cases 2 --modality DBT     (VOI FBP, as the runner)
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import environment, print_table, write_json  # noqa: E402

COARSE_MM = 0.5
VOX_MM, FINE_MM = 0.1, 0.05


def _rms(a) -> float:
    return float(np.sqrt(np.mean(np.square(a, dtype=np.float64))))


def snap(grid, center_mm):
    """The centre of ``grid``'s voxel nearest ``center_mm``, ties broken the same way on
    every window (a site drawn at 0.1 mm is a tie on the 0.05 mm grid along every axis: its
    voxel centres fall on fine voxel boundaries; ``insert_lesion`` snaps on the window's own
    grid, where float rounding breaks the tie either way -- seen: the 0.05 mm window and the
    tile put the same cluster 0.05 mm apart in y)."""
    at = grid.world_to_index(np.asarray(center_mm, float))
    return tuple(float(v) for v in grid.index_to_world(np.floor(at + 0.5 + 1e-6).astype(int)))


def lesion_tile(window, present, prepared, model, center_mm, fine_mm=FINE_MM, pad=1):
    """The 50 um lesion tile of a 0.1 mm window.

    The box: the voxels the nearest-neighbour lesion changed (``present`` vs ``window``),
    padded by ``pad`` coarse voxels, grown until the fine lesion's whole box
    (``extra["bbox_mm"]``) lies inside it (a mass resampled to 0.1 mm can be smaller than at
    50 um), clipped to the window. Its labels: ``window``'s split 2x2x2 (the same tissue, on
    the fine grid), then the lesion inserted as on the whole fine grid (``meta["window"]``)
    at the fine grid's voxel nearest ``center_mm`` (:func:`snap`).
    """
    from victwin.geometry import Grid
    from victwin.phantom import Phantom, insert_lesion

    r = int(round(window.grid.spacing[0] / fine_mm))
    assert r == 2 and np.allclose(window.grid.spacing, VOX_MM)
    full_f = prepared.grid(fine_mm)
    changed = np.argwhere(present.labels != window.labels)
    g = window.grid
    while True:
        lo = np.maximum(changed.min(0) - pad, 0)
        hi = np.minimum(changed.max(0) + 1 + pad, window.labels.shape)
        box = tuple(slice(a, b) for a, b in zip(lo, hi))
        labels = window.labels[box].repeat(r, 0).repeat(r, 1).repeat(r, 2)
        lower = g.lower_mm + lo[::-1] * g.spacing_xyz
        tgrid = Grid(shape=labels.shape, spacing=(fine_mm,) * 3,
                     origin=tuple(lower + fine_mm / 2))
        # where the tile lies in the whole fine grid (its y axis is centred: the whole grids'
        # corners differ by a fine voxel there, so the index is found from the corner, and
        # every coarse voxel boundary must be a fine one)
        at = (lower - full_f.lower_mm) / fine_mm
        index = np.rint(at).astype(int)
        assert np.allclose(at, index, atol=1e-6), at
        meta = dict(window.meta, window=dict(window.meta["window"],
                                             index=index[::-1].tolist(),
                                             full_shape=list(full_f.shape)))
        tile = Phantom(labels=labels, grid=tgrid, materials=dict(window.materials), meta=meta)
        out, rec = insert_lesion(tile, model, center_mm=snap(full_f, center_mm))
        b_lo, b_hi = (np.asarray(v) for v in rec.extra["bbox_mm"])
        inside = np.all(b_lo >= tgrid.lower_mm - 1e-9) and np.all(b_hi <= tgrid.upper_mm + 1e-9)
        clipped = np.all(lo == 0) and np.all(hi == window.labels.shape)
        if inside or clipped:
            return out
        pad += 1


def _lesion_voxels(phantom) -> int:
    """Voxels holding the phantom's last lesion's labels."""
    les = phantom.lesions[-1]
    return int(np.isin(phantom.labels, list(les.extra.get("labels", [les.label]))).sum())


def run_twin(spec, modality, case_id, attrs, kind, rows, loads, png=None):
    from victwin.acquisition import acquire_regions
    from victwin.phantom import insert_lesion, prepare
    from victwin.systems import get_preset
    from victwin.trial._cohort import case_rng
    from victwin.trial._local import window_box
    from victwin.trial._sites import cut_roi, draw_sites, plan_rois
    from victwin.trial._twins import _lesion_model

    preset = get_preset(spec.preset)
    prepared = prepare(attrs["recipe"], seed=attrs["phantom_seed"])
    sites = draw_sites(spec, case_id, prepared, voxel_mm=VOX_MM)
    k = next(i for i, s in enumerate(sites) if s.kind == kind)
    meta = prepared.meta(VOX_MM)
    thick = meta["thickness_mm"]
    plan = plan_rois(spec, modality, SimpleNamespace(meta=meta), [sites[k]], [f"s{k}"])[0]
    coarse = preset.apply(prepared.make(COARSE_MM))
    model = _lesion_model(kind, case_rng(spec.seed, case_id, f"lesion-{k}"), VOX_MM,
                          spec.preset)
    kw = dict(seed=1, case=0, binning=spec.resolution.detector_binning,
              rays_per_pixel=spec.resolution.rays_per_pixel, progress=False,
              presentation=False, noise=False, backend="cpu", coarse_phantom=coarse)

    def roi(phantom, **extra):
        a = acquire_regions(phantom, modality.system, [plan.region], windows=[phantom],
                            **extra, **kw)[0]
        return cut_roi(a, plan, modality)[0].astype(np.float64)

    sig, cpu = {}, {}
    for v in (VOX_MM, FINE_MM):
        sv = dataclasses.replace(spec, resolution=dataclasses.replace(spec.resolution,
                                                                      voxel_mm=v))
        c0 = time.process_time()
        w = prepared.make(v, window_mm=window_box(sv, modality, plan.region, thick))
        # the 0.05 mm reference places the lesion where the tile does (whole-grid snap)
        c = sites[k].center_mm if v == VOX_MM else snap(prepared.grid(v), sites[k].center_mm)
        wp, _ = insert_lesion(w, model, center_mm=c)
        absent, present = preset.apply(w), preset.apply(wp)
        a = roi(absent)
        sig[v] = roi(present) - a
        cpu[v] = time.process_time() - c0
        if v == VOX_MM:
            c0 = time.process_time()
            raw_tile = lesion_tile(w, wp, prepared, model, sites[k].center_mm)
            tile = preset.apply(raw_tile)
            sig["tile"] = roi(present, tiles=[[tile]]) - a
            cpu["tile"] = time.process_time() - c0
            n_tile, n_nn = _lesion_voxels(raw_tile), _lesion_voxels(wp)
        else:
            n_fine = _lesion_voxels(wp)
        loads.append(os.getloadavg()[0])
    ref = sig[FINE_MM]
    for name in (VOX_MM, "tile"):
        s = sig[name]
        rows.append({"case": case_id, "site": plan.name, "kind": kind, "method": str(name),
                     "rel_rms_diff": _rms(s - ref) / _rms(ref),
                     "peak_ref": float(ref.max()), "peak": float(s.max()),
                     "peak_ratio": float(s.max() / ref.max()),
                     "integral_ratio": float(s.sum() / ref.sum()),
                     "cpu_s": cpu[name]})
    if png:
        _figure(sig, png, f"case {case_id} {plan.name} {kind}: DM signal (line integral)")
    return {"case": case_id, "site": plan.name, "tile_voxels": int(raw_tile.labels.size),
            "lesion_mm3": {
        "0.05_window": n_fine * FINE_MM ** 3, "tile": n_tile * FINE_MM ** 3,
        "0.1_nearest": n_nn * VOX_MM ** 3},
        "cpu_s": {str(a): b for a, b in cpu.items()}}


def _figure(sig, path, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [(FINE_MM, "0.05 mm window (reference)"), (VOX_MM, "0.1 mm, nearest neighbour"),
              ("tile", "0.1 mm + 50 um tile")]
    vmax = max(float(sig[k].max()) for k, _ in panels)
    fig, ax = plt.subplots(1, 4, figsize=(14, 3.6))
    for a, (k, name) in zip(ax, panels):
        im = a.imshow(sig[k], vmin=0, vmax=vmax, cmap="gray")
        a.set_title(name, fontsize=9)
        a.axis("off")
    d = sig["tile"] - sig[FINE_MM]
    m = float(np.abs(d).max())
    ax[3].imshow(d, vmin=-vmax, vmax=vmax, cmap="RdBu_r")
    ax[3].set_title(f"tile - reference (same scale; max |d| {m:.4f})", fontsize=9)
    ax[3].axis("off")
    fig.colorbar(im, ax=ax[:3], shrink=0.8)
    fig.suptitle(title)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    print(f"wrote {path}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spec", default=str(Path(__file__).resolve().parents[1] / "examples"
                                          / "victre-replica.toml"))
    ap.add_argument("--cases", default="2")
    ap.add_argument("--kind", default="calcification", choices=("calcification", "mass"))
    ap.add_argument("--modality", default="DM", choices=("DM", "DBT"))
    ap.add_argument("--out", default=None)
    ap.add_argument("--png", default=None, help="figure of the first site's signals")
    args = ap.parse_args(argv)

    from victwin.trial import load_spec, sample_cohort

    spec = load_spec(args.spec)
    modality = next(m for m in spec.modalities if m.name == args.modality)
    rows, twins, loads = [], [], [os.getloadavg()[0]]
    for case_id, attrs in sample_cohort(spec, [int(c) for c in args.cases.split(",")]):
        twins.append(run_twin(spec, modality, case_id, attrs, args.kind, rows, loads,
                              args.png if not twins else None))
        print(twins[-1], flush=True)
    print(f"\n{args.modality} lesion signal (present - absent) against the 0.05 mm window")
    print_table(rows, ["case", "site", "kind", "method", "rel_rms_diff", "peak_ref", "peak",
                       "peak_ratio", "integral_ratio", "cpu_s"])
    name = f"lesion_tile_{args.kind}" + ("" if args.modality == "DM" else "_dbt")
    write_json(name, {"environment": environment(), "spec": args.spec,
                      "modality": args.modality, "rows": rows, "twins": twins,
                      "load": loads}, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
